package daemon

import (
	"context"
	"fmt"
	"log/slog"
	"net/netip"
	"sync/atomic"
	"time"

	"github.com/gocarp/gocarp/carp"
	"github.com/gocarp/gocarp/carpnet"
	"github.com/gocarp/gocarp/internal/config"
	"github.com/gocarp/gocarp/internal/hooks"
)

// group is one running group and what serves it alone.
type group struct {
	name  string
	cfg   *config.Group
	log   *slog.Logger
	l     *ifaceLink
	g     *carp.Group
	hooks *hooks.Runner
	addrs []netip.Addr // the VIPs without prefix, for scripts

	// own are the group's own sources of demotion (not those mirrored
	// from its sync set), sync its sync set, startupTimer ends the
	// startup demotion: the daemon's, under Daemon.dm (demote.go).
	// scripts are read by transition, changed by a reload.
	scripts atomic.Pointer[scripts]

	own          map[string]uint8
	sync         *syncSet
	startupTimer *time.Timer
}

func newGroup(d *Daemon, l *ifaceLink, gc *config.Group) (*group, error) {
	g := &group{name: gc.Name, cfg: gc, l: l, own: map[string]uint8{}, log: d.log.With("group", gc.Name, "interface", gc.Interface, "vhid", gc.VHID)}
	for _, p := range gc.VIPs {
		g.addrs = append(g.addrs, p.Addr())
	}
	cc := gc.Carp()
	cc.Source = gc.Source                    // -s or source; zero: carpnet picks the interface's
	cc.Logger = d.log.With("group", gc.Name) // carp adds interface and vhid
	cc.OnMaster = func(t carp.Transition) { g.transition(t, true) }
	cc.OnBackup = func(t carp.Transition) { g.transition(t, false) }
	var opts []carpnet.GroupOption
	if gc.ManageVIPs {
		opts = append(opts, carpnet.VIPPrefixes(gc.VIPs...))
	}
	if gc.IgnoreIfState {
		opts = append(opts, carpnet.IgnoreCarrier)
	}
	var err error
	if g.g, err = l.ifc.NewGroup(cc, opts...); err != nil {
		return nil, &ExitError{Code: ExitConfig, Err: gc.Wrap(err)}
	}
	g.hooks = hooks.New(g.log, gc.ScriptTimeout)
	g.setScripts(gc)
	return g, nil
}

// scripts are the group's up and down scripts, with their arguments.
type scripts struct{ up, down, iface, xparam string }

func (g *group) setScripts(gc *config.Group) {
	g.scripts.Store(&scripts{up: gc.UpScript, down: gc.DownScript, iface: gc.Interface, xparam: gc.XParam})
	g.hooks.SetTimeout(gc.ScriptTimeout)
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
	sc := g.scripts.Load()
	script := sc.down
	if master {
		script = sc.up
	}
	// The last state wins: runs of an older transition not started yet
	// are dropped, so a flapping group cannot queue scripts without bound.
	runs := make([][]string, 0, len(g.addrs))
	for _, vip := range g.addrs {
		runs = append(runs, hooks.ScriptArgs(sc.iface, vip, sc.xparam))
	}
	g.hooks.Replace(script, runs...)
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
