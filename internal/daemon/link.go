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
	// vips are the VIP managers of the groups that manage theirs.
	vips []*netif.VIPManager
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
	l := &ifaceLink{name: name, ifi: ifi, addrs: addrs, log: log.With("interface", name)}
	for _, g := range groups {
		if g.NoMcast != noMcast {
			return nil, configError("interface %s: groups %s and %s disagree on nomcast: it is the interface's setting",
				name, groups[0].Name, g.Name)
		}
		if g.SourceMAC != sourceMAC {
			return nil, configError("interface %s: groups %s and %s disagree on source_mac: it is the interface's setting",
				name, groups[0].Name, g.Name)
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
		return nil, configError("interface %s: %w", name, err)
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
	return l, nil
}

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
	for _, m := range l.vips {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := m.Run(ctx); err != nil && !errors.Is(err, context.Canceled) {
				l.log.Error("VIP manager", "err", err)
			}
		}()
	}
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
