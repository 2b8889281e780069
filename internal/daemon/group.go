package daemon

import (
	"context"
	"fmt"
	"log/slog"
	"net/netip"

	"github.com/gocarp/gocarp/carp"
	"github.com/gocarp/gocarp/internal/config"
	"github.com/gocarp/gocarp/internal/hooks"
	"github.com/gocarp/gocarp/link"
	"github.com/gocarp/gocarp/netif"
	"github.com/gocarp/gocarp/transport"
	"github.com/gocarp/gocarp/wire"
)

// group is one running group and what serves it alone.
type group struct {
	name  string
	cfg   *config.Group
	log   *slog.Logger
	l     *ifaceLink
	g     *carp.Group
	hooks *hooks.Runner
	vips  *netif.VIPSet // nil unless manage_vips
	addrs []netip.Addr  // the VIPs without prefix, for scripts
}

func newGroup(d *Daemon, l *ifaceLink, gc *config.Group) (*group, error) {
	g := &group{name: gc.Name, cfg: gc, l: l, log: d.log.With("group", gc.Name, "interface", gc.Interface, "vhid", gc.VHID)}
	var v4, v6 bool
	for _, p := range gc.VIPs {
		g.addrs = append(g.addrs, p.Addr())
		if p.Addr().Is4() {
			v4 = true
		} else {
			v6 = true
		}
	}
	cc := gc.Carp()
	if v4 {
		src, err := sourceFor(gc.Source, gc.VIPs, l.addrs, l.isVIP)
		if err != nil {
			return nil, &ExitError{Code: ExitConfig, Err: gc.Wrap(fmt.Errorf("interface %s: %w", gc.Interface, err))}
		}
		cc.Source = src
	}
	if v6 {
		src6, err := source6For(cc.Peers, l.addrs)
		if err != nil {
			return nil, &ExitError{Code: ExitConfig, Err: gc.Wrap(fmt.Errorf("interface %s: %w", gc.Interface, err))}
		}
		cc.Source6 = src6
	}
	port, err := l.link.Port(gc.VHID)
	if err != nil {
		return nil, &ExitError{Code: ExitConfig, Err: gc.Wrap(err)}
	}
	var tr transport.Transport = port
	if gc.IgnoreIfState {
		tr = ignoreCarrier{port}
	}
	cc.Transport = tr
	cc.Logger = d.log.With("group", gc.Name) // carp adds interface and vhid
	cc.Announcer = l.annc
	cc.OnMaster = func(t carp.Transition) { g.transition(t, true) }
	cc.OnBackup = func(t carp.Transition) { g.transition(t, false) }
	if gc.ManageVIPs {
		g.vips, err = l.vips.Add(gc.VIPs)
		if err != nil {
			_ = port.Close()
			return nil, &ExitError{Code: ExitConfig, Err: gc.Wrap(fmt.Errorf("vips: %w", err))}
		}
	}
	for _, a := range g.addrs {
		l.owner[a] = g
	}
	g.g, err = carp.New(cc)
	if err != nil {
		_ = port.Close()
		if g.vips != nil {
			g.vips.Remove()
		}
		return nil, &ExitError{Code: ExitConfig, Err: gc.Wrap(err)}
	}
	g.hooks = hooks.New(g.log, gc.ScriptTimeout)
	return g, nil
}

// source6For picks the IPv6 advert source: the link-local address, unless
// a peer is global (routed): then a global address of the interface.
func source6For(peers []netip.Addr, addrs []netip.Prefix) (netip.Addr, error) {
	global := false
	for _, p := range peers {
		if p.Is6() && !p.IsLinkLocalUnicast() {
			global = true
		}
	}
	for _, p := range addrs {
		a := p.Addr()
		if a.Is6() && !a.Is4In6() && a.IsLinkLocalUnicast() != global {
			return a, nil
		}
	}
	if global {
		return netip.Addr{}, fmt.Errorf("no global IPv6 address to send adverts to the peers from")
	}
	return netip.Addr{}, fmt.Errorf("no IPv6 link-local address, needed for IPv6 VIPs")
}

func (g *group) start() error {
	return g.g.Start()
}

// transition runs on the group's callback goroutine, in order; nothing in
// it blocks: scripts are queued and VIP changes go to the VIP manager.
func (g *group) transition(t carp.Transition, master bool) {
	if t.Reason == carp.ReasonStopped {
		// A MASTER stopped without a bow-out (no -z): ucarp runs no
		// script then, and leaves what its scripts added. Managed VIPs go
		// when the VIP manager stops, as they always did.
		g.log.Info("stopped as MASTER without bowing out: no down script")
		return
	}
	// ucarp's wording; the state is the one entered, which is INIT (not
	// BACKUP) after a carrier loss.
	g.log.Info("switching to state: "+t.To.String(), "reason", t.Reason.String())
	script := g.cfg.DownScript
	if master {
		script = g.cfg.UpScript
	}
	if g.vips != nil {
		g.vips.SetMaster(master)
	}
	for _, vip := range g.addrs {
		g.hooks.Enqueue(script, hooks.ScriptArgs(g.cfg.Interface, vip, g.cfg.XParam)...)
	}
}

// stop ends the group: gracefully (bow out, down script) or as a crash.
func (g *group) stop(ctx context.Context, graceful bool) error {
	var err error
	if graceful {
		err = g.g.Shutdown(ctx)
	} else {
		err = g.g.Close()
	}
	if herr := g.hooks.Close(ctx); herr != nil && err == nil {
		err = herr
	}
	return err
}

// logStatus logs ucarp's SIGUSR1 line, "MASTER on eth0 id 42", with the
// group's counters as key=value pairs after it.
func (g *group) logStatus() {
	st := g.g.Stats()
	master := "none"
	if st.Master.IsValid() {
		master = st.Master.String()
	}
	g.log.Info(fmt.Sprintf("%s on %s id %d", st.State, g.cfg.Interface, g.cfg.VHID),
		"transitions", st.Transitions,
		"master", master,
		"adverts_sent", st.AdvertsSent,
		"adverts_received", st.AdvertsReceived,
		"send_errors", st.SendErrors,
		"announcements", st.Announcements,
		"announce_errors", st.AnnounceErrors,
		"demote", st.Demote,
		slog.Group("dropped", dropAttrs(st.Dropped)...))
}

// ignoreCarrier is a port whose group does not follow the carrier
// (ignore_ifstate, ucarp's -S): it hides transport.CarrierNotifier.
type ignoreCarrier struct{ p *link.Port }

func (i ignoreCarrier) Send(b []byte) error                      { return i.p.Send(b) }
func (i ignoreCarrier) Listen(h transport.Handler) error         { return i.p.Listen(h) }
func (i ignoreCarrier) Close() error                             { return i.p.Close() }
func (i ignoreCarrier) Addrs() []netip.Addr                      { return i.p.Addrs() }
func (i ignoreCarrier) ListenPackets(h func(*wire.Packet)) error { return i.p.ListenPackets(h) }
