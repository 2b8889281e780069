package daemon

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"slices"
	"sync"

	"github.com/gocarp/gocarp/carp"
	"github.com/gocarp/gocarp/carpnet"
	"github.com/gocarp/gocarp/internal/config"
	"github.com/gocarp/gocarp/transport/afpacket"
	"github.com/gocarp/gocarp/wire"
)

// ifaceLink is one interface and the settings its groups share.
type ifaceLink struct {
	name string
	ifc  *carpnet.Interface
	// What its groups share, as opened: a reload may not change it.
	noMcast   bool
	sourceMAC string
	cancel    context.CancelFunc // ends run
}

// openLink opens the interface for its groups: one socket joined to every
// group address they use, one announcer, one VIP manager.
func openLink(name string, groups []*config.Group, log *slog.Logger) (*ifaceLink, error) {
	if _, err := net.InterfaceByName(name); err != nil {
		// Named as the key or flag that gave it (interface, -i).
		return nil, &ExitError{Code: ExitConfig, Err: groups[0].Wrap(&carp.ConfigError{Field: "Interface",
			Msg: fmt.Sprintf("%s: no such network interface", name)})}
	}
	var (
		joins     []netip.Addr
		reserved  []netip.Addr
		noMcast   = groups[0].NoMcast
		sourceMAC = groups[0].SourceMAC
		carrier   = false
	)
	for _, g := range groups {
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
		carrier = carrier || !g.IgnoreIfState
		var v4, v6 bool
		for _, p := range g.VIPs {
			reserved = append(reserved, p.Addr())
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
	mac, err := sourceMACFor(sourceMAC, groups)
	if err != nil {
		return nil, &ExitError{Code: ExitConfig, Err: groups[len(groups)-1].Wrap(err)}
	}
	ifc, err := carpnet.Open(carpnet.Config{
		Interface:     name,
		Groups:        joins,
		SourceMAC:     mac,
		NoMulticast:   noMcast,
		IgnoreCarrier: !carrier,
		Reserved:      reserved,
		Logger:        log,
	})
	if err != nil {
		return nil, setupError("group %s: %w", groups[0].Name, err)
	}
	return &ifaceLink{name: name, ifc: ifc, noMcast: noMcast, sourceMAC: sourceMAC}, nil
}

// sourceMACFor is the Ethernet source of the interface's adverts: nil for
// the interface's own. The virtual MACs are per vhid, so they need the
// interface to themselves.
func sourceMACFor(mode string, groups []*config.Group) (net.HardwareAddr, error) {
	switch mode {
	case "", "real":
		return nil, nil
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

// run follows the interface until ctx ends; wg tells when it has.
func (l *ifaceLink) run(ctx context.Context, wg *sync.WaitGroup) {
	ctx, l.cancel = context.WithCancel(ctx)
	wg.Add(1)
	go func() {
		defer wg.Done()
		_ = l.ifc.Run(ctx)
	}()
}

// close ends run (which removes the managed VIPs left) and closes the
// interface.
func (l *ifaceLink) close() {
	if l.cancel != nil {
		l.cancel()
	}
	_ = l.ifc.Close()
}
