package daemon

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"slices"
	"sync"

	"github.com/gocarp/gocarp/arp"
	"github.com/gocarp/gocarp/carp"
	"github.com/gocarp/gocarp/internal/config"
	"github.com/gocarp/gocarp/link"
	"github.com/gocarp/gocarp/netif"
	"github.com/gocarp/gocarp/transport/afpacket"
	"github.com/gocarp/gocarp/wire"
)

// ifaceLink is everything of one interface that its groups share.
type ifaceLink struct {
	name  string
	ifi   *net.Interface
	addrs []netip.Prefix // at start, for choosing sources
	log   *slog.Logger
	conn  *afpacket.Conn
	link  *link.Link
	annc  *arp.Announcer
	// watchCarrier: some group on the interface follows its carrier.
	watchCarrier bool
	// vips manages the VIPs of the groups with manage_vips; nil if none.
	vips *netif.VIPManager
	// owner maps each VIP of the interface to its group.
	owner map[netip.Addr]*group
	// allVIPs holds every VIP of every group of the interface.
	allVIPs map[netip.Addr]bool
	// usable holds the addresses last seen, true for those usable (not in
	// duplicate address detection), for the announcement a VIP gets when
	// it becomes usable; WatchAddrs' goroutine owns it.
	usable map[netip.Addr]bool
}

// openLink opens the interface for its groups: one socket joined to every
// group address they use, one announcer.
func openLink(name string, groups []*config.Group, log *slog.Logger) (*ifaceLink, error) {
	ifi, err := net.InterfaceByName(name)
	if err != nil {
		return nil, setupError("interface %s (group %s): %w", name, groups[0].Name, err)
	}
	addrs, err := interfaceAddrs(ifi)
	if err != nil {
		return nil, setupError("interface %s: %w", name, err)
	}
	var (
		joins     []netip.Addr
		noMcast   = groups[0].NoMcast
		sourceMAC = groups[0].SourceMAC
	)
	l := &ifaceLink{name: name, ifi: ifi, addrs: addrs, log: log.With("interface", name),
		owner: map[netip.Addr]*group{}, allVIPs: map[netip.Addr]bool{}}
	manage := false
	for _, g := range groups {
		manage = manage || g.ManageVIPs
		for _, p := range g.VIPs {
			l.allVIPs[p.Addr()] = true
		}
		if g.NoMcast != noMcast {
			return nil, &ExitError{Code: ExitConfig, Err: g.Wrap(fmt.Errorf(
				"nomcast: %v here, %v in group %s: it is the setting of interface %s, the same for all its groups",
				g.NoMcast, noMcast, groups[0].Name, name))}
		}
		if g.SourceMAC != sourceMAC {
			return nil, &ExitError{Code: ExitConfig, Err: g.Wrap(fmt.Errorf(
				"source_mac: %q here, %q in group %s: it is the setting of interface %s, the same for all its groups",
				g.SourceMAC, sourceMAC, groups[0].Name, name))}
		}
		if !g.IgnoreIfState {
			l.watchCarrier = true
		}
		var v4, v6 bool
		for _, p := range g.VIPs {
			if p.Addr().Is4() {
				v4 = true
			} else {
				v6 = true
			}
		}
		mcast := g.Mcast
		if !mcast.IsValid() {
			mcast = wire.IPv4Group
		}
		if v4 && !slices.Contains(joins, mcast) {
			joins = append(joins, mcast)
		}
		if v6 && !slices.Contains(joins, wire.IPv6Group) {
			joins = append(joins, wire.IPv6Group)
		}
	}
	mac, err := sourceMACFor(sourceMAC, groups, ifi.HardwareAddr)
	if err != nil {
		return nil, &ExitError{Code: ExitConfig, Err: groups[len(groups)-1].Wrap(err)}
	}
	l.conn, err = afpacket.Listen(afpacket.Config{
		Interface:   name,
		Groups:      joins,
		SourceMAC:   mac,
		NoMulticast: noMcast,
	})
	if err != nil {
		return nil, setupError("opening %s: %w", name, permissionHint(err))
	}
	l.link, err = link.New(link.Config{Interface: name, Transport: l.conn, Logger: l.log})
	if err != nil {
		_ = l.conn.Close()
		return nil, setupError("link %s: %w", name, err)
	}
	l.annc, err = arp.NewAnnouncer(name, nil)
	if err != nil {
		l.close()
		return nil, setupError("gratuitous ARP on %s: %w", name, permissionHint(err))
	}
	// Neighbour advertisements come from the link-local address, as the
	// BSDs send them, and say Router when the interface forwards (read
	// once, at start).
	for _, p := range addrs {
		if p.Addr().Is6() && p.Addr().IsLinkLocalUnicast() {
			l.annc.Source = p.Addr()
			break
		}
	}
	if fwd, err := netif.Forwarding(name, nil, true); err == nil {
		l.annc.Router = fwd
	}
	if manage {
		l.vips, err = netif.NewVIPManager(netif.VIPConfig{Interface: name, Logger: log}) // it adds interface=
		if err != nil {
			l.close()
			return nil, configError("interface %s: %w", name, err)
		}
	}
	return l, nil
}

// isVIP reports whether a is a VIP of a group of the interface.
func (l *ifaceLink) isVIP(a netip.Addr) bool { return l.allVIPs[a] }

// permissionHint says what is missing when the kernel refuses a socket.
func permissionHint(err error) error {
	if errors.Is(err, os.ErrPermission) {
		return fmt.Errorf("%w (carpd needs CAP_NET_RAW and CAP_NET_ADMIN: run it as root)", err)
	}
	return err
}

// sourceMACFor is the Ethernet source of the interface's adverts. The
// virtual MACs are per vhid, so they need the interface to themselves.
func sourceMACFor(mode string, groups []*config.Group, real net.HardwareAddr) (net.HardwareAddr, error) {
	switch mode {
	case "", "real":
		return real, nil
	case "ucarp", "bsd":
		if len(groups) > 1 {
			return nil, fmt.Errorf("source_mac %q is a per-vhid MAC: it needs the interface to one group, and %d share it", mode, len(groups))
		}
		return afpacket.VirtualMAC(groups[0].VHID, mode == "bsd"), nil
	}
	mac, err := net.ParseMAC(mode)
	if err != nil {
		return nil, fmt.Errorf("source_mac %q: %w", mode, err)
	}
	return mac, nil
}

// run starts the interface's watchers and VIP managers; they stop when
// ctx ends, and wg tells when they have.
func (l *ifaceLink) run(ctx context.Context, wg *sync.WaitGroup) {
	if l.vips != nil {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := l.vips.Run(ctx); err != nil && !errors.Is(err, context.Canceled) {
				l.log.Error("VIP manager", "err", err)
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		if err := netif.WatchAddrs(ctx, l.name, nil, l.addrsChanged); err != nil && ctx.Err() == nil {
			l.log.Error("watching the addresses; the own-packet filter keeps those of the start", "err", err)
		}
	}()
	if l.watchCarrier {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := netif.WatchLink(ctx, l.name, nil, func(up bool) {
				if up {
					l.log.Info("carrier up")
				} else {
					l.log.Warn("carrier lost")
				}
				l.link.SetCarrier(up)
			})
			if err != nil && ctx.Err() == nil {
				l.log.Error("watching the link; carrier loss will go unnoticed", "err", err)
			}
		}()
	}
}

// addrsChanged follows the interface's addresses: the link's own-packet
// filter gets them all, and a VIP of a MASTER that has just become usable
// (an up script added it with duplicate address detection) is announced
// again, since the announcement at takeover went out before the address
// answered.
func (l *ifaceLink) addrsChanged(list []netif.Addr) {
	addrs := make([]netip.Addr, 0, len(list))
	usable := make(map[netip.Addr]bool, len(list))
	for _, a := range list {
		addrs = append(addrs, a.Prefix.Addr())
		usable[a.Prefix.Addr()] = a.Usable
	}
	l.link.SetAddrs(addrs)
	if l.usable != nil {
		for a, ok := range usable {
			g := l.owner[a]
			if !ok || l.usable[a] || g == nil || !a.Is6() || g.g.State() != carp.StateMaster {
				continue
			}
			if err := l.annc.Announce([]netip.Addr{a}); err != nil {
				g.log.Warn("announcing a VIP that became usable", "vip", a, "err", err)
				continue
			}
			if _, wasThere := l.usable[a]; wasThere {
				g.log.Info("announced a VIP that left duplicate address detection", "vip", a)
			} else {
				g.log.Debug("announced a VIP that appeared", "vip", a)
			}
		}
	}
	l.usable = usable
}

func (l *ifaceLink) close() {
	if l.annc != nil {
		_ = l.annc.Close()
	}
	if l.link != nil {
		_ = l.link.Close() // closes conn
	} else if l.conn != nil {
		_ = l.conn.Close()
	}
}
