// Package daemon is carpd's engine: it runs every group of a validated
// config (a config file, or the ucarp command line as a config of one
// group) in one process. Each interface gets one link (one raw socket, one
// announcer, one carrier watch, one VIP manager, its addresses followed),
// and each group a carp.Group on a port of its interface's link, with
// ucarp's scripts, native VIP management and a bow-out on planned shutdown.
//
// Groups are kept in config order and by name (unique, as (interface,
// vhid) is: the config checks both, the link refuses a vhid twice); the
// signal handlers and the control socket go through them.
package daemon

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"sync"
	"time"

	"github.com/gocarp/gocarp/carp"
	"github.com/gocarp/gocarp/internal/cli"
	"github.com/gocarp/gocarp/internal/config"
	"github.com/gocarp/gocarp/internal/control"
)

// ExitError carries the process exit status for an error: 1 for a bad
// configuration, 2 for a failure to set up at run time (ucarp's codes).
type ExitError struct {
	Code int
	Err  error
}

func (e *ExitError) Error() string { return e.Err.Error() }
func (e *ExitError) Unwrap() error { return e.Err }

// Exit codes, as ucarp's.
const (
	ExitConfig = 1
	ExitSetup  = 2
)

func setupError(format string, args ...any) error {
	return &ExitError{Code: ExitSetup, Err: fmt.Errorf(format, args...)}
}

func configError(format string, args ...any) error {
	return &ExitError{Code: ExitConfig, Err: fmt.Errorf(format, args...)}
}

// Signal is what the daemon does on a process signal.
type Signal int

// The signals the daemon acts on; main maps OS signals to them.
const (
	SigStatus   Signal = iota // SIGUSR1: log the state line of every group
	SigHandOver               // SIGUSR2: every MASTER bows out
	SigStop                   // SIGTERM, SIGINT, SIGQUIT; SIGHUP for the ucarp command line
	SigReload                 // SIGHUP with a config file: Reload
)

// Options are the daemon-wide settings that are not a group's.
type Options struct {
	// Graceful makes a stop signal a planned shutdown: every MASTER bows
	// out (so a backup takes over at once) and runs its down script, and
	// managed VIPs are released. Otherwise the process leaves silently, as
	// ucarp without -z does.
	Graceful bool
	// Logger receives everything; nil discards.
	Logger *slog.Logger
	// Control is the path of the control socket (carpd status); none
	// when empty.
	Control string
	// Ready, if set, is called once every group has started (carpd -B
	// and the service manager learn the start went well).
	Ready func()
}

// Daemon is one carpd process: its links and its groups.
type Daemon struct {
	opts Options
	log  *slog.Logger
	// path is the config file Reload reads; "" for a command line.
	// cfgControl and cfgHTTP are its [control] and [http] as started.
	path, cfgControl, cfgHTTP string

	// mu guards links, byName and order, which a reload changes; reloadMu
	// makes reloads and the stop one at a time. runCtx and wg are Run's,
	// for the links a reload opens.
	mu       sync.RWMutex
	reloadMu sync.Mutex
	runCtx   context.Context
	wg       *sync.WaitGroup

	links  map[string]*ifaceLink
	byName map[string]*group // every group, by its unique name
	order  []*group          // as in the config, for logs and status

	// dm guards the demotion plumbing (demote.go): the checks running,
	// the tracked interfaces, the sync sets and each group's own sources.
	dm         sync.Mutex
	checkCfg   map[string]config.Check // the config's [[check]]s, by name
	checkOrder []string
	checks     map[string]*checkRun // those some group lists, running
	trackers   map[string]*tracker
	syncs      map[string]*syncSet
}

// New sets everything up (sockets, links, groups) but sends nothing until
// Run. A failure closes what was opened.
func New(cfg *config.Config, opts Options) (*Daemon, error) {
	d := &Daemon{opts: opts, log: opts.Logger, links: map[string]*ifaceLink{}, byName: map[string]*group{},
		checkCfg: map[string]config.Check{}, checks: map[string]*checkRun{}, trackers: map[string]*tracker{}, syncs: map[string]*syncSet{}}
	if d.log == nil {
		d.log = slog.New(slog.DiscardHandler)
	}
	d.setChecks(cfg)
	d.warnPasswordFiles(cfg)
	d.path, d.cfgControl, d.cfgHTTP = cfg.Path, cfg.Control, cfg.HTTP
	if len(cfg.Groups) == 0 {
		return nil, configError("%s: no group to run", cfg.Path)
	}
	byIface := map[string][]*config.Group{}
	var ifaces []string
	for i := range cfg.Groups {
		g := &cfg.Groups[i]
		if g.Interface == "" {
			// The ucarp command line without -i: ucarp's choice.
			name, err := cli.DefaultInterface()
			if err != nil {
				return nil, configError("no interface given (-i) and none found: %w", err)
			}
			g.Interface, g.Name = name, fmt.Sprintf("%s-%d", name, g.VHID)
		}
		if _, ok := byIface[g.Interface]; !ok {
			ifaces = append(ifaces, g.Interface)
		}
		byIface[g.Interface] = append(byIface[g.Interface], g)
	}
	for _, name := range ifaces {
		l, err := openLink(name, byIface[name], d.log)
		if err != nil {
			d.closeLinks()
			return nil, err
		}
		d.links[name] = l
	}
	for i := range cfg.Groups {
		gc := &cfg.Groups[i]
		g, err := newGroup(d, d.links[gc.Interface], gc)
		if err != nil {
			d.closeGroups()
			d.closeLinks()
			return nil, err
		}
		d.byName[g.name] = g
		d.order = append(d.order, g)
	}
	return d, nil
}

// Run runs every group until ctx ends or a stop signal arrives, then shuts
// down (gracefully with Options.Graceful).
func (d *Daemon) Run(ctx context.Context, signals <-chan Signal) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	d.reloadMu.Lock()
	d.runCtx, d.wg = ctx, &wg
	d.reloadMu.Unlock()
	if d.opts.Control != "" {
		ln, err := control.Listen(d.opts.Control)
		if err != nil {
			d.closeGroups()
			d.closeLinks()
			return setupError("%w", err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			control.Serve(ctx, ln, d, d.log)
		}()
	}
	for _, l := range d.links {
		l.run(ctx, &wg)
	}
	for i, g := range d.order {
		d.dm.Lock()
		err := d.attach(g)
		d.dm.Unlock()
		if err == nil {
			if g.cfg.Sync != "" {
				d.followLink(g)
			}
			err = g.start()
		}
		if err != nil {
			for _, s := range d.order[:i] {
				_ = s.g.Close()
			}
			cancel()
			wg.Wait()
			d.stopRunners()
			d.closeGroups()
			d.closeLinks()
			return setupError("starting %s: %w", g.name, err)
		}
	}
	if len(d.order) == 1 {
		g := d.order[0]
		d.log.Info("carpd started", "interface", g.cfg.Interface, "vhid", g.cfg.VHID, "vips", fmt.Sprint(g.addrs),
			"advbase", g.cfg.AdvBase, "advskew", g.cfg.AdvSkew, "preempt", g.cfg.Preempt)
	} else {
		d.log.Info("carpd started", "groups", len(d.order), "interfaces", len(d.links))
	}
	if d.opts.Ready != nil {
		d.opts.Ready()
	}
	for {
		select {
		case <-ctx.Done():
			return d.stop(cancel, &wg)
		case s := <-signals:
			switch s {
			case SigStatus:
				d.logStatus()
			case SigHandOver:
				d.log.Info("handing over: bowing out")
				gs, _ := d.named(nil)
				for _, g := range gs {
					_ = g.g.BowOut()
				}
			case SigReload:
				_, _ = d.Reload() // it logs what it did, or why not
			case SigStop:
				return d.stop(cancel, &wg)
			}
		}
	}
}

// stop shuts every group down, in parallel: with many groups a serial
// bow-out would leave the last ones waiting.
func (d *Daemon) stop(cancel context.CancelFunc, wg *sync.WaitGroup) error {
	// A reload under way finishes first; none starts after.
	d.reloadMu.Lock()
	defer d.reloadMu.Unlock()
	d.runCtx = nil
	var timeout time.Duration
	for _, g := range d.order {
		timeout = max(timeout, g.cfg.ScriptTimeout)
	}
	ctx, cancelStop := context.WithTimeout(context.Background(), 10*time.Second+timeout)
	defer cancelStop()
	errs := make([]error, len(d.order))
	var sw sync.WaitGroup
	for i, g := range d.order {
		sw.Add(1)
		go func() {
			defer sw.Done()
			errs[i] = g.stop(ctx, d.opts.Graceful)
		}()
	}
	sw.Wait()
	d.stopRunners()
	// The VIP managers release their addresses when their context ends,
	// after the groups' last transitions.
	cancel()
	wg.Wait()
	d.closeLinks()
	d.log.Info("carpd stopped")
	return errors.Join(errs...)
}

// logStatus logs ucarp's SIGUSR1 line for every group, "MASTER on eth0 id
// 42", with the group's counters after it, and a line per link.
func (d *Daemon) logStatus() {
	d.mu.RLock()
	defer d.mu.RUnlock()
	for _, g := range d.order {
		g.logStatus()
	}
	names := make([]string, 0, len(d.links))
	for n := range d.links {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		st := d.links[n].ifc.Link().Stats()
		d.log.Info("link "+n, "interface", n, "received", st.Received, "delivered", st.Delivered,
			slog.Group("dropped", dropAttrs(st.Dropped)...))
	}
}

func dropAttrs(m map[string]uint64) []any {
	reasons := make([]string, 0, len(m))
	for r := range m {
		reasons = append(reasons, r)
	}
	slices.Sort(reasons)
	out := make([]any, 0, len(reasons))
	for _, r := range reasons {
		out = append(out, slog.Uint64(r, m[r]))
	}
	return out
}

func (d *Daemon) closeGroups() {
	for _, g := range d.order {
		_ = g.g.Close()
		_ = g.hooks.Close(context.Background()) // nothing was queued: no group ran
	}
}

func (d *Daemon) closeLinks() {
	for _, l := range d.links {
		l.close()
	}
}

// Status reports every group, in config order, for the control socket.
func (d *Daemon) Status() control.Status {
	d.mu.RLock()
	defer d.mu.RUnlock()
	st := control.Status{Groups: make([]control.GroupStatus, 0, len(d.order))}
	for _, g := range d.order {
		s := g.g.Stats()
		gs := control.GroupStatus{
			Name:            g.name,
			Interface:       g.cfg.Interface,
			VHID:            g.cfg.VHID,
			State:           s.State.String(),
			Leaving:         s.Leaving,
			Since:           s.LastTransition.At,
			Reason:          s.LastTransition.Reason.String(),
			AdvBase:         s.AdvBase,
			AdvSkew:         s.AdvSkew,
			Demote:          s.Demote,
			Transitions:     s.Transitions,
			AdvertsSent:     s.AdvertsSent,
			AdvertsReceived: s.AdvertsReceived,
			SendErrors:      s.SendErrors,
			Announcements:   s.Announcements,
			AnnounceErrors:  s.AnnounceErrors,
		}
		for _, v := range g.addrs {
			gs.VIPs = append(gs.VIPs, v.String())
		}
		if s.Master.IsValid() {
			gs.Master = s.Master.String()
		}
		if len(s.Dropped) > 0 {
			gs.Dropped = s.Dropped
		}
		gs.DemoteSources = s.DemoteSources
		gs.Checks = g.cfg.Checks
		for _, t := range g.cfg.Track {
			gs.TrackInterfaces = append(gs.TrackInterfaces, fmt.Sprintf("%s:%d", t.Interface, t.Demote))
		}
		gs.Sync = g.cfg.Sync
		gs.Secure = g.cfg.Secure
		st.Groups = append(st.Groups, gs)
	}
	names := make([]string, 0, len(d.links))
	for n := range d.links {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		ls := d.links[n].ifc.Link().Stats()
		l := control.LinkStatus{Interface: n, Received: ls.Received, Delivered: ls.Delivered}
		if len(ls.Dropped) > 0 {
			l.Dropped = ls.Dropped
		}
		st.Links = append(st.Links, l)
	}
	st.Checks = d.checkStatus()
	return st
}

// setChecks takes the [[check]]s of cfg; those no group lists are
// reported, and not run.
func (d *Daemon) setChecks(cfg *config.Config) {
	used := map[string]bool{}
	for i := range cfg.Groups {
		for _, n := range cfg.Groups[i].Checks {
			used[n] = true
		}
	}
	d.checkCfg = map[string]config.Check{}
	d.checkOrder = nil
	for _, c := range cfg.Checks {
		d.checkCfg[c.Name] = c
		d.checkOrder = append(d.checkOrder, c.Name)
		if !used[c.Name] {
			d.log.Warn("no group lists this check: not run", "check", c.Name, "line", c.Line)
		}
	}
}

// named returns the groups with these names (every group when none), or
// an error naming the first unknown one.
func (d *Daemon) named(names []string) ([]*group, error) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	if len(names) == 0 {
		return slices.Clone(d.order), nil
	}
	var out []*group
	for _, n := range names {
		g, ok := d.byName[n]
		if !ok {
			return nil, fmt.Errorf("no group named %q (carpd status lists them)", n)
		}
		out = append(out, g)
	}
	return out, nil
}

// HandOver makes every named group that is MASTER bow out: a backup takes
// over at once (the planned handover).
func (d *Daemon) HandOver(names []string) ([]string, error) {
	gs, err := d.named(names)
	if err != nil {
		return nil, err
	}
	var done []string
	type leaving struct {
		g     *group
		since time.Time
	}
	var left []leaving
	for _, g := range gs {
		if st := g.g.State(); st != carp.StateMaster {
			done = append(done, fmt.Sprintf("%s: %s, nothing to hand over", g.name, st))
			continue
		}
		g.log.Info("handing over: bowing out", "by", "carpd handover")
		if err := g.g.BowOut(); err != nil {
			return done, fmt.Errorf("%s: %w", g.name, err)
		}
		left = append(left, leaving{g, time.Now()})
	}
	// The handover is make-before-break: each leaving MASTER serves until
	// the new master's first advert. Say how it ended.
	deadline := time.Now().Add(handOverWait)
	for _, l := range left {
		st := l.g.g.Stats()
		for st.Leaving && time.Now().Before(deadline) {
			time.Sleep(time.Millisecond)
			st = l.g.g.Stats()
		}
		var msg string
		switch {
		case st.Leaving:
			msg = fmt.Sprintf("%s: bowed out, no new master yet after %v (it serves on until one answers, or takes the group back)",
				l.g.name, handOverWait)
		case st.State == carp.StateMaster:
			msg = fmt.Sprintf("%s: bowed out, but nobody took over: still MASTER", l.g.name)
		default:
			msg = fmt.Sprintf("%s: bowed out, handed over to %s in %v", l.g.name, st.Master, st.LastTransition.At.Sub(l.since).Round(100*time.Microsecond))
		}
		if l.g.g.Tuning().Preempt {
			// Its next advert is the better one again.
			msg += " (preempt is on: it takes the group back unless demoted, carpd demote)"
		}
		done = append(done, msg)
	}
	return done, nil
}

// handOverWait bounds how long carpd handover waits to say how the
// handovers ended; the groups go on either way.
const handOverWait = 5 * time.Second

// Demote sets the operator's demotion of a group; 0 clears it.
func (d *Daemon) Demote(name string, n uint8, reason string) ([]string, error) {
	gs, err := d.named([]string{name})
	if err != nil {
		return nil, err
	}
	if n == 0 && reason == "" {
		reason = "cleared"
	}
	d.dm.Lock()
	total, err := d.setSource(gs[0], sourceOperator, n, reason)
	d.dm.Unlock()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return []string{fmt.Sprintf("%s: operator demotion %d, total %d", name, n, total)}, nil
}

// warnPasswordFiles warns of a password file others may read: the
// password is the key of every advert's digest.
func (d *Daemon) warnPasswordFiles(cfg *config.Config) {
	seen := map[string]bool{}
	for i := range cfg.Groups {
		p := cfg.Groups[i].PasswordFile
		if p == "" || seen[p] {
			continue
		}
		seen[p] = true
		if fi, err := os.Stat(p); err == nil && fi.Mode().Perm()&0o077 != 0 {
			d.log.Warn("the password file is readable or writable by others than its owner: chmod 600 it",
				"file", p, "mode", fmt.Sprintf("%04o", fi.Mode().Perm()))
		}
	}
}
