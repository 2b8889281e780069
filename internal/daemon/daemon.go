// Package daemon is carpd's engine: it turns a parsed ucarp command line
// into a running carp.Group on a real interface, with ucarp's scripts,
// signals and shutdown behaviour, and the additions ucarp lacks (native VIP
// management, carrier watching without a 10 s sleep, a bow-out on planned
// shutdown and on SIGUSR2).
package daemon

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"slices"
	"sync"
	"time"

	"github.com/gocarp/gocarp/arp"
	"github.com/gocarp/gocarp/carp"
	"github.com/gocarp/gocarp/internal/cli"
	"github.com/gocarp/gocarp/internal/hooks"
	"github.com/gocarp/gocarp/netif"
	"github.com/gocarp/gocarp/transport/afpacket"
)

// ExitError carries the process exit status for an error: 1 for a bad
// configuration, 2 for a failure to set up at run time (ucarp's codes).
type ExitError struct {
	Code int
	Err  error
}

func (e *ExitError) Error() string { return e.Err.Error() }
func (e *ExitError) Unwrap() error { return e.Err }

func setupError(format string, args ...any) error {
	return &ExitError{Code: cli.ExitSetup, Err: fmt.Errorf(format, args...)}
}

// Signal is what the daemon does on a process signal.
type Signal int

// The signals the daemon acts on; main maps OS signals to them.
const (
	SigStatus   Signal = iota // SIGUSR1: log the state line
	SigHandOver               // SIGUSR2: bow out as MASTER
	SigStop                   // SIGTERM, SIGINT, SIGQUIT, SIGHUP
)

// Daemon is one carpd process's group and everything around it.
type Daemon struct {
	opts   *cli.Options
	log    *slog.Logger
	iface  string
	group  *carp.Group
	conn   *afpacket.Conn
	annc   *arp.Announcer
	hooks  *hooks.Runner
	vipMgr *netif.VIPManager
	vips   *netif.VIPSet
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// New sets the daemon up: it opens the interface and builds the group, but
// sends nothing until Run.
func New(o *cli.Options, log *slog.Logger) (*Daemon, error) {
	d := &Daemon{opts: o, log: log, iface: o.Interface}
	if d.iface == "" {
		name, err := cli.DefaultInterface()
		if err != nil {
			return nil, &ExitError{Code: cli.ExitConfig, Err: fmt.Errorf("no interface given (-i) and none found: %w", err)}
		}
		d.iface = name
	}
	ifi, err := net.InterfaceByName(d.iface)
	if err != nil {
		return nil, setupError("interface %s: %w", d.iface, err)
	}
	var v4, v6 bool
	for _, a := range o.VIPs {
		if a.Is4() {
			v4 = true
		} else {
			v6 = true
		}
	}
	var source6 netip.Addr
	if v6 {
		_, ll, err := netif.InterfaceAddrs(d.iface)
		if err != nil {
			return nil, setupError("interface %s: %w", d.iface, err)
		}
		if len(ll) == 0 {
			return nil, setupError("interface %s has no IPv6 link-local address, needed for IPv6 VIPs", d.iface)
		}
		source6 = ll[0]
	}
	srcMAC, err := sourceMAC(o.SourceMAC, o.VHID, ifi.HardwareAddr)
	if err != nil {
		return nil, &ExitError{Code: cli.ExitConfig, Err: err}
	}
	var groups []netip.Addr
	if v4 {
		groups = append(groups, o.Mcast)
	}
	if v6 {
		groups = append(groups, carp.IPv6Group)
	}
	conn, err := afpacket.Listen(afpacket.Config{
		Interface:   d.iface,
		Groups:      groups,
		SourceMAC:   srcMAC,
		NoMulticast: o.NoMcast,
	})
	if err != nil {
		return nil, setupError("opening %s: %w", d.iface, err)
	}
	d.conn = conn
	annc, err := arp.NewAnnouncer(d.iface, nil)
	if err != nil {
		_ = conn.Close()
		return nil, setupError("gratuitous ARP on %s: %w", d.iface, err)
	}
	d.annc = annc
	d.hooks = hooks.New(log, o.ScriptTimeout)
	if o.ManageVIPs {
		d.vipMgr, err = netif.NewVIPManager(netif.VIPConfig{Interface: d.iface, Logger: log})
		if err == nil {
			prefixes := make([]netip.Prefix, len(o.VIPs))
			for i, a := range o.VIPs {
				prefixes[i] = netif.HostPrefix(a)
			}
			d.vips, err = d.vipMgr.Add(prefixes)
		}
		if err != nil {
			d.closeAll()
			return nil, &ExitError{Code: cli.ExitConfig, Err: err}
		}
	}
	tb := carp.TieBreakUcarp
	if o.TieBreak == "bsd" {
		tb = carp.TieBreakBSD
	}
	src := o.SrcIP
	if !v4 {
		src = netip.Addr{}
	}
	d.group, err = carp.New(carp.Config{
		Interface: d.iface,
		VHID:      o.VHID,
		VIPs:      o.VIPs,
		Password:  o.Password,
		Source:    src,
		Source6:   source6,
		Group:     o.Mcast,
		AdvBase:   o.AdvBase,
		AdvSkew:   o.AdvSkew,
		DeadRatio: o.DeadRatio,
		Preempt:   o.Preempt,
		TieBreak:  tb,
		Neutral:   o.Neutral,
		Transport: conn,
		Logger:    log,
		Announcer: annc,
		OnMaster:  func(t carp.Transition) { d.transition(t, true) },
		OnBackup:  func(t carp.Transition) { d.transition(t, false) },
	})
	if err != nil {
		d.closeAll()
		return nil, &ExitError{Code: cli.ExitConfig, Err: err}
	}
	return d, nil
}

func sourceMAC(mode string, vhid uint8, real net.HardwareAddr) (net.HardwareAddr, error) {
	switch mode {
	case "", "real":
		return real, nil
	case "ucarp":
		return afpacket.VirtualMAC(vhid, false), nil
	case "bsd":
		return afpacket.VirtualMAC(vhid, true), nil
	}
	mac, err := net.ParseMAC(mode)
	if err != nil {
		return nil, fmt.Errorf("--source-mac %q: %w", mode, err)
	}
	return mac, nil
}

// transition runs on the group's callback goroutine, in order; nothing in
// it blocks: scripts are queued and VIP changes go to their own goroutine.
func (d *Daemon) transition(t carp.Transition, master bool) {
	// ucarp's wording; the state is the one entered, which is INIT (not
	// BACKUP) after a carrier loss.
	d.log.Info("switching to state: "+t.To.String(), "reason", t.Reason.String())
	script := d.opts.DownScript
	if master {
		script = d.opts.UpScript
	}
	if d.vips != nil {
		d.vips.SetMaster(master)
	}
	for _, vip := range d.opts.VIPs {
		d.hooks.Enqueue(script, hooks.ScriptArgs(d.iface, vip, d.opts.XParam)...)
	}
}

// Run runs the group until ctx ends or a stop signal arrives, then shuts
// down as ucarp does: with -z a MASTER bows out (so a backup takes over at
// once) and its down script runs; without -z the process leaves silently
// and any VIP a script added stays, as with ucarp.
func (d *Daemon) Run(ctx context.Context, signals <-chan Signal) error {
	ctx, cancel := context.WithCancel(ctx)
	d.cancel = cancel
	defer cancel()
	if d.vipMgr != nil {
		d.wg.Add(1)
		go func() {
			defer d.wg.Done()
			if err := d.vipMgr.Run(ctx); err != nil && !errors.Is(err, context.Canceled) {
				d.log.Error("VIP manager", "err", err)
			}
		}()
	}
	if err := d.group.Start(); err != nil {
		d.closeAll()
		return setupError("starting: %w", err)
	}
	d.log.Info("carpd started", "iface", d.iface, "vhid", d.opts.VHID, "vips", fmt.Sprint(d.opts.VIPs),
		"advbase", d.opts.AdvBase, "advskew", d.opts.AdvSkew, "preempt", d.opts.Preempt)
	if !d.opts.IgnoreIfState {
		d.wg.Add(1)
		go func() {
			defer d.wg.Done()
			err := netif.WatchLink(ctx, d.iface, nil, func(up bool) {
				if up {
					d.log.Info("carrier up", "iface", d.iface)
				} else {
					d.log.Warn("carrier lost", "iface", d.iface)
				}
				_ = d.group.SetLink(up)
			})
			if err != nil && ctx.Err() == nil {
				d.log.Error("watching the link; carrier loss will go unnoticed", "err", err)
			}
		}()
	}
	for {
		select {
		case <-ctx.Done():
			return d.stop()
		case s := <-signals:
			switch s {
			case SigStatus:
				d.logStatus()
			case SigHandOver:
				d.log.Info("handing over: bowing out")
				_ = d.group.BowOut()
			case SigStop:
				return d.stop()
			}
		}
	}
}

// logStatus logs ucarp's SIGUSR1 line, "MASTER on eth0 id 42", with the
// group's counters as key=value pairs after it: the only window an operator
// (or a test) has into a running carpd.
func (d *Daemon) logStatus() {
	st := d.group.Stats()
	reasons := make([]string, 0, len(st.Dropped))
	for r := range st.Dropped {
		reasons = append(reasons, r)
	}
	slices.Sort(reasons)
	dropped := make([]any, 0, len(reasons))
	for _, r := range reasons {
		dropped = append(dropped, slog.Uint64(r, st.Dropped[r]))
	}
	master := "none"
	if st.Master.IsValid() {
		master = st.Master.String()
	}
	d.log.Info(fmt.Sprintf("%s on %s id %d", st.State, d.iface, d.opts.VHID),
		"transitions", st.Transitions,
		"master", master,
		"adverts_sent", st.AdvertsSent,
		"adverts_received", st.AdvertsReceived,
		"send_errors", st.SendErrors,
		"announcements", st.Announcements,
		"announce_errors", st.AnnounceErrors,
		"demote", st.Demote,
		slog.Group("dropped", dropped...))
}

// Group returns the running group, for status queries.
func (d *Daemon) Group() *carp.Group { return d.group }

// Interface returns the interface in use.
func (d *Daemon) Interface() string { return d.iface }

func (d *Daemon) stop() error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second+d.opts.ScriptTimeout)
	defer cancel()
	var err error
	if d.opts.Shutdown {
		err = d.group.Shutdown(ctx)
	} else {
		err = d.group.Close()
	}
	if d.cancel != nil {
		d.cancel()
	}
	d.wg.Wait()
	if herr := d.hooks.Close(ctx); herr != nil && err == nil {
		err = herr
	}
	d.closeAll()
	d.log.Info("carpd stopped")
	return err
}

func (d *Daemon) closeAll() {
	if d.annc != nil {
		_ = d.annc.Close()
	}
	if d.conn != nil {
		_ = d.conn.Close()
	}
}
