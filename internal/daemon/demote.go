package daemon

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/gocarp/gocarp/carp"
	"github.com/gocarp/gocarp/health"
	"github.com/gocarp/gocarp/internal/config"
	"github.com/gocarp/gocarp/internal/control"
	"github.com/gocarp/gocarp/internal/hooks"
	"github.com/gocarp/gocarp/netif"
)

// The daemon's sources of demotion, each a name in carp.Group.Demote:
//   - "operator": carpd demote;
//   - "check NAME": a [[check]] the group lists, while it is down;
//   - "track IFACE": a tracked interface, while its carrier is lost;
//   - "startup": startup_demote_for, from the group's start;
//   - "link down": a member of a sync set whose own link is down;
//   - "sync MEMBER: SOURCE": a source of another member of the sync set.
//
// All of it is kept under Daemon.dm: the sources are few and change
// seldom, and one lock keeps a check, a tracked interface and a reload from
// interleaving their changes.

const (
	sourceOperator = "operator"
	sourceStartup  = "startup"
	sourceLinkDown = "link down"
)

// linkDownDemote is what a sync set member whose link is down adds to the
// others: the most skew demotion advertises.
const linkDownDemote = config.DefaultTrackDemote

// checkRun is one [[check]] running, and the groups that list it.
type checkRun struct {
	cfg    config.Check
	mon    *health.Monitor
	up     bool
	groups []*group
}

func (c *checkRun) source() string { return "check " + c.cfg.Name }

// tracker follows one tracked interface for the groups that track it.
type tracker struct {
	iface  string
	up     bool
	reason string
	groups map[*group]uint8
	cancel context.CancelFunc
	done   chan struct{}
}

func (t *tracker) source() string { return "track " + t.iface }

// syncSet is a sync set: its members share their demotion.
type syncSet struct {
	name    string
	members []*group
}

// setSource sets one of g's own sources, and mirrors it on the other
// members of g's sync set; d.dm is held.
func (d *Daemon) setSource(g *group, source string, n uint8, reason string) (uint8, error) {
	if n == 0 {
		delete(g.own, source)
	} else {
		g.own[source] = n
	}
	total, err := g.g.Demote(source, n, reason)
	if s := g.sync; s != nil {
		for _, m := range s.members {
			if m != g {
				_, _ = m.g.Demote(syncSource(g, source), n, reason+" (sync set "+s.name+")")
			}
		}
	}
	return total, err
}

func syncSource(g *group, source string) string { return "sync " + g.name + ": " + source }

// joinSync puts g in the sync set of its config, taking on the others'
// sources and giving them its own; d.dm is held.
func (d *Daemon) joinSync(g *group) {
	name := g.cfg.Sync
	if name == "" {
		return
	}
	s := d.syncs[name]
	if s == nil {
		s = &syncSet{name: name}
		d.syncs[name] = s
	}
	for _, m := range s.members {
		for src, n := range m.own {
			_, _ = g.g.Demote(syncSource(m, src), n, "joined sync set "+name)
		}
		for src, n := range g.own {
			_, _ = m.g.Demote(syncSource(g, src), n, "joined sync set "+name)
		}
	}
	s.members = append(s.members, g)
	g.sync = s
}

// leaveSync takes g out of its sync set, clearing what it gave the others
// and what it took from them; d.dm is held.
func (d *Daemon) leaveSync(g *group) {
	s := g.sync
	if s == nil {
		return
	}
	s.members = slices.DeleteFunc(s.members, func(m *group) bool { return m == g })
	for _, m := range s.members {
		for src := range g.own {
			_, _ = m.g.Demote(syncSource(g, src), 0, g.name+" left sync set "+s.name)
		}
		for src := range m.own {
			_, _ = g.g.Demote(syncSource(m, src), 0, "left sync set "+s.name)
		}
	}
	if len(s.members) == 0 {
		delete(d.syncs, s.name)
	}
	g.sync = nil
}

// startCheck runs a [[check]]; the groups attach to it. d.dm is held.
func (d *Daemon) startCheck(c config.Check, up bool) (*checkRun, error) {
	cr := &checkRun{cfg: c, up: up}
	var err error
	cr.mon, err = health.Start(health.Check{
		Name: c.Name, Func: hooks.CheckCommand(c.Command),
		Interval: c.Interval, Timeout: c.Timeout, Rise: c.Rise, Fall: c.Fall, Demote: c.Demote, StartUp: up,
	}, nil, func(ch health.Change) { d.checkChanged(cr, ch) })
	if err != nil {
		return nil, err
	}
	return cr, nil
}

// checkChanged applies a check's change to its groups.
func (d *Daemon) checkChanged(cr *checkRun, ch health.Change) {
	d.dm.Lock()
	defer d.dm.Unlock()
	if d.checks[cr.cfg.Name] != cr {
		return // stopped or replaced by a reload
	}
	cr.up = ch.Up
	n, reason := cr.cfg.Demote, "down"
	if ch.Up {
		n, reason = 0, "up"
		d.log.Info("check up", "check", cr.cfg.Name)
	} else {
		if ch.Err != nil {
			reason = "down: " + ch.Err.Error()
		}
		d.log.Warn("check down", "check", cr.cfg.Name, "err", ch.Err)
	}
	for _, g := range cr.groups {
		_, _ = d.setSource(g, cr.source(), n, reason)
	}
}

// attachCheck makes g listen to cr: demoted at once while it is down (as
// every check is when it starts). d.dm is held.
func (d *Daemon) attachCheck(g *group, cr *checkRun) {
	cr.groups = append(cr.groups, g)
	if !cr.up {
		_, _ = d.setSource(g, cr.source(), cr.cfg.Demote, "down until its first successes")
	}
}

func (d *Daemon) detachCheck(g *group, cr *checkRun, why string) {
	cr.groups = slices.DeleteFunc(cr.groups, func(m *group) bool { return m == g })
	if _, ok := g.own[cr.source()]; ok {
		_, _ = d.setSource(g, cr.source(), 0, why)
	}
}

// startTracker follows iface for its groups until stopped. d.dm is held.
func (d *Daemon) startTracker(iface string) *tracker {
	ctx, cancel := context.WithCancel(context.Background())
	t := &tracker{iface: iface, up: true, groups: map[*group]uint8{}, cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(t.done)
		for {
			err := netif.WatchLink(ctx, iface, nil, func(up bool) {
				reason := "carrier lost"
				if up {
					reason = "carrier back"
				}
				d.trackChanged(t, up, reason)
			})
			if ctx.Err() != nil {
				return
			}
			// Gone, or never there: down, and looked for again.
			d.trackChanged(t, false, fmt.Sprintf("cannot follow it: %v", err))
			select {
			case <-ctx.Done():
				return
			case <-time.After(trackRetry):
			}
		}
	}()
	return t
}

// trackRetry is how often a tracked interface that cannot be followed (it
// does not exist) is looked for again.
const trackRetry = time.Second

func (d *Daemon) trackChanged(t *tracker, up bool, reason string) {
	d.dm.Lock()
	defer d.dm.Unlock()
	if d.trackers[t.iface] != t || (t.up == up && t.reason == reason) {
		return
	}
	was := t.up
	t.up, t.reason = up, reason
	if was == up {
		return
	}
	if up {
		d.log.Info("tracked interface up", "interface", t.iface)
	} else {
		d.log.Warn("tracked interface down", "interface", t.iface, "reason", reason)
	}
	for g, n := range t.groups {
		if up {
			n = 0
		}
		_, _ = d.setSource(g, t.source(), n, t.iface+": "+reason)
	}
}

func (d *Daemon) attachTracker(g *group, t *tracker, n uint8) {
	t.groups[g] = n
	if !t.up {
		_, _ = d.setSource(g, t.source(), n, t.iface+": "+t.reason)
	}
}

func (d *Daemon) detachTracker(g *group, t *tracker, why string) {
	delete(t.groups, g)
	if _, ok := g.own[t.source()]; ok {
		_, _ = d.setSource(g, t.source(), 0, why)
	}
}

// attach wires g to its checks, tracked interfaces, sync set and startup
// demotion, starting the checks and trackers no group ran yet; d.dm is
// held. Called before g starts, so that its first advert is demoted.
func (d *Daemon) attach(g *group) error {
	d.joinSync(g)
	if g.cfg.StartupDemoteFor > 0 {
		_, _ = d.setSource(g, sourceStartup, config.StartupDemote, fmt.Sprintf("for %v after the start (startup_demote_for)", g.cfg.StartupDemoteFor))
		g.startupTimer = time.AfterFunc(g.cfg.StartupDemoteFor, func() {
			d.dm.Lock()
			defer d.dm.Unlock()
			if _, ok := g.own[sourceStartup]; ok {
				_, _ = d.setSource(g, sourceStartup, 0, "startup_demote_for is over")
			}
		})
	}
	for _, name := range g.cfg.Checks {
		cr := d.checks[name]
		if cr == nil {
			var err error
			if cr, err = d.startCheck(d.checkCfg[name], false); err != nil {
				return fmt.Errorf("check %s: %w", name, err)
			}
			d.checks[name] = cr
		}
		d.attachCheck(g, cr)
	}
	for _, tr := range g.cfg.Track {
		t := d.trackers[tr.Interface]
		if t == nil {
			t = d.startTracker(tr.Interface)
			d.trackers[tr.Interface] = t
		}
		d.attachTracker(g, t, tr.Demote)
	}
	return nil
}

// detach undoes attach, and stops the checks and trackers no group uses
// any more; d.dm is held.
func (d *Daemon) detach(g *group) {
	if g.startupTimer != nil {
		g.startupTimer.Stop()
	}
	for _, cr := range d.checks {
		if slices.Contains(cr.groups, g) {
			d.detachCheck(g, cr, "removed")
		}
	}
	for _, t := range d.trackers {
		if _, ok := t.groups[g]; ok {
			d.detachTracker(g, t, "removed")
		}
	}
	d.leaveSync(g)
	d.pruneRunners()
}

// pruneRunners stops the checks and trackers no group uses; d.dm is held.
func (d *Daemon) pruneRunners() {
	for name, cr := range d.checks {
		if len(cr.groups) == 0 {
			cr.mon.Stop()
			delete(d.checks, name)
		}
	}
	for name, t := range d.trackers {
		if len(t.groups) == 0 {
			t.cancel()
			delete(d.trackers, name)
		}
	}
}

// stopRunners stops every check, tracker and startup timer, and waits for
// the trackers.
func (d *Daemon) stopRunners() {
	d.dm.Lock()
	var waits []chan struct{}
	for name, cr := range d.checks {
		cr.mon.Stop()
		delete(d.checks, name)
	}
	for name, t := range d.trackers {
		t.cancel()
		waits = append(waits, t.done)
		delete(d.trackers, name)
	}
	for _, g := range d.order {
		if g.startupTimer != nil {
			g.startupTimer.Stop()
		}
	}
	d.dm.Unlock()
	for _, w := range waits {
		<-w
	}
}

// followLink makes a sync set member's own link count for the others:
// while the group is in INIT (its carrier lost) the set is demoted by
// linkDownDemote. It runs until the group stops.
func (d *Daemon) followLink(g *group) {
	events, _ := g.g.Subscribe(16)
	go func() {
		for t := range events {
			d.dm.Lock()
			_, down := g.own[sourceLinkDown]
			switch {
			case t.To == carp.StateInit && !down && g.sync != nil:
				_, _ = d.setSource(g, sourceLinkDown, linkDownDemote, "the group's link is down: "+t.Reason.String())
			case t.To != carp.StateInit && down:
				_, _ = d.setSource(g, sourceLinkDown, 0, "the group's link is back")
			}
			d.dm.Unlock()
		}
	}()
}

// checkStatus reports the checks, in config order.
func (d *Daemon) checkStatus() []control.CheckStatus {
	d.dm.Lock()
	defer d.dm.Unlock()
	var out []control.CheckStatus
	for _, name := range d.checkOrder {
		cr := d.checks[name]
		if cr == nil {
			continue
		}
		st := cr.mon.Status()
		cs := control.CheckStatus{Name: name, Up: st.Up, Since: st.Since, Runs: st.Runs, Failures: st.Failures,
			LastError: st.LastError, Demote: cr.cfg.Demote}
		for _, g := range cr.groups {
			cs.Groups = append(cs.Groups, g.name)
		}
		out = append(out, cs)
	}
	return out
}

// checksEqual: a check whose settings did not change keeps running.
func checksEqual(a, b config.Check) bool {
	return a.Name == b.Name && slices.Equal(a.Command, b.Command) && a.Interval == b.Interval &&
		a.Timeout == b.Timeout && a.Rise == b.Rise && a.Fall == b.Fall && a.Demote == b.Demote
}
