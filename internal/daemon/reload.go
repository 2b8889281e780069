package daemon

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/gocarp/gocarp/carp"
	"github.com/gocarp/gocarp/internal/config"
	"github.com/gocarp/gocarp/wire"
)

// Reload reads the config file again and applies what changed, without a
// flap (SIGHUP, carpd reload):
//   - the new file is parsed and checked whole first; a bad file is
//     refused, and the running config stays;
//   - a group whose settings are all the same is not touched: no advert
//     gap, no transition, no script run;
//   - a group whose advbase, advskew, deadratio, preempt, tiebreak or
//     demotion changed applies the change in place (carp.Group.Reconfigure)
//     and keeps its state; so do changes of its checks, tracked interfaces,
//     sync set, scripts, xparam and script timeout;
//   - a group whose VIPs, password, source, peers, mcast, manage_vips,
//     ignore_ifstate or name changed is replaced: the old one bows out if
//     MASTER and releases its VIPs, the new one starts;
//   - a removed group bows out if MASTER and releases its VIPs; an added
//     group starts (on a new interface, too).
//
// What an interface's groups share (nomcast, source_mac, the multicast
// groups its socket joined, following its carrier) cannot change under a
// running socket: such a change is refused, and needs a restart. Reload
// returns a line per change, or why it refused.
func (d *Daemon) Reload() ([]string, error) {
	d.reloadMu.Lock()
	defer d.reloadMu.Unlock()
	if d.path == "" {
		return nil, errors.New("nothing to reload: this carpd runs a command line, not a config file (-c)")
	}
	if d.runCtx == nil || d.runCtx.Err() != nil {
		return nil, errors.New("not running")
	}
	cfg, err := config.Load(d.path)
	if err == nil {
		err = d.checkReload(cfg)
	}
	if err != nil {
		d.log.Error("reload refused: the running config stays", "file", d.path, "err", err)
		return nil, fmt.Errorf("reload refused, the running config stays: %w", err)
	}
	done, err := d.apply(cfg)
	if err != nil {
		d.log.Error("reload applied in part", "file", d.path, "err", err)
		return done, err
	}
	for _, line := range done {
		d.log.Info("reload: " + line)
	}
	d.log.Info("reloaded", "file", d.path, "changes", len(done))
	return done, nil
}

// groupKey is a group's identity across reloads: its vhid on its link.
func groupKey(g *config.Group) string { return fmt.Sprintf("%s/%d", g.Interface, g.VHID) }

// needsReplace says why a group cannot change in place, "" if it can.
func needsReplace(o, n *config.Group) string {
	switch {
	case o.Name != n.Name:
		return "name"
	case !slices.Equal(o.VIPs, n.VIPs):
		return "vips"
	case string(o.Password) != string(n.Password):
		return "password"
	case o.Secure != n.Secure:
		return "secure"
	case o.Source != n.Source:
		return "source"
	case !slices.Equal(o.Peers, n.Peers):
		return "peers"
	case o.Mcast != n.Mcast:
		return "mcast"
	case o.ManageVIPs != n.ManageVIPs:
		return "manage_vips"
	case o.IgnoreIfState != n.IgnoreIfState:
		return "ignore_ifstate"
	}
	return ""
}

func tuningOf(g *config.Group) carp.Tuning {
	c := g.Carp()
	return carp.Tuning{AdvBase: c.AdvBase, SubSecond: c.SubSecond, AdvSkew: c.AdvSkew, DeadRatio: c.DeadRatio,
		Preempt: c.Preempt, TieBreak: c.TieBreak, Demotion: c.Demotion}
}

// checkReload refuses what a reload cannot apply to the running links.
func (d *Daemon) checkReload(cfg *config.Config) error {
	d.mu.RLock()
	defer d.mu.RUnlock()
	old := map[string]*group{}
	for _, g := range d.order {
		old[groupKey(g.cfg)] = g
	}
	for i := range cfg.Groups {
		n := &cfg.Groups[i]
		l := d.links[n.Interface]
		if l == nil {
			continue // a new interface: opened as at the start
		}
		restart := func(key, what string) error {
			return &ExitError{Code: ExitConfig, Err: n.Wrap(fmt.Errorf(
				"%s: %s on the running interface %s; changing what its groups share needs a restart of carpd", key, what, n.Interface))}
		}
		switch {
		case n.NoMcast != l.noMcast:
			return restart("nomcast", fmt.Sprintf("%v here, %v", n.NoMcast, l.noMcast))
		case n.SourceMAC != l.sourceMAC:
			return restart("source_mac", fmt.Sprintf("%q here, %q", n.SourceMAC, l.sourceMAC))
		}
		if o := old[groupKey(n)]; o != nil && needsReplace(o.cfg, n) == "" {
			continue // kept: its mcast and carrier did not change either
		}
		switch {
		case l.sourceMAC == "ucarp" || l.sourceMAC == "bsd":
			return restart("source_mac", fmt.Sprintf("%q is per vhid, and a group is added", l.sourceMAC))
		case !n.IgnoreIfState && !l.ifc.FollowsCarrier():
			return restart("ignore_ifstate", "false here, while no group follows the carrier")
		}
		joined := l.ifc.Joined()
		for _, p := range n.VIPs {
			want := wire.IPv6Group
			if p.Addr().Is4() {
				want = n.Mcast
			}
			if !slices.Contains(joined, want) {
				return restart("mcast", fmt.Sprintf("adverts to %s, a group the socket did not join", want))
			}
		}
	}
	return nil
}

// apply changes the running daemon into cfg; cfg passed checkReload.
func (d *Daemon) apply(cfg *config.Config) ([]string, error) {
	d.mu.RLock()
	oldOrder := slices.Clone(d.order)
	d.mu.RUnlock()
	old := map[string]*group{}
	for _, g := range oldOrder {
		old[groupKey(g.cfg)] = g
	}
	var (
		done    []string
		errs    []error
		remove  []*group
		add     []*config.Group
		kept    = map[string]*group{}
		byIface = map[string][]*config.Group{}
	)
	next := map[string]bool{}
	for i := range cfg.Groups {
		n := &cfg.Groups[i]
		next[groupKey(n)] = true
		o := old[groupKey(n)]
		switch why := ""; {
		case o == nil:
			add = append(add, n)
			done = append(done, n.Name+": added")
		case func() bool { why = needsReplace(o.cfg, n); return why != "" }():
			remove = append(remove, o)
			add = append(add, n)
			done = append(done, fmt.Sprintf("%s: replaced (%s changed): the old one bowed out", n.Name, why))
		default:
			kept[groupKey(n)] = o
		}
	}
	for _, g := range oldOrder {
		if !next[groupKey(g.cfg)] {
			remove = append(remove, g)
			done = append(done, g.name+": removed: bowed out, VIPs released")
		}
	}
	for _, n := range add {
		if d.links[n.Interface] == nil {
			byIface[n.Interface] = append(byIface[n.Interface], n)
		}
	}

	// New interfaces first: a failure there changes nothing.
	opened := map[string]*ifaceLink{}
	for name, gs := range byIface {
		l, err := openLink(name, gs, d.log)
		if err != nil {
			for _, o := range opened {
				o.close()
			}
			return nil, err
		}
		opened[name] = l
	}

	// The groups that go bow out, in parallel, and let go of their links.
	d.dm.Lock()
	for _, g := range remove {
		d.detach(g)
	}
	d.dm.Unlock()
	d.stopGroups(remove)
	for _, g := range remove {
		g.l.ifc.Remove(g.g)
	}

	// The checks of the new file. A running check whose settings changed
	// is restarted in the state it had; one a reload starts, starts up: it
	// must fail before it moves a VIP.
	d.dm.Lock()
	d.setChecks(cfg)
	for name, cr := range d.checks {
		nc, ok := d.checkCfg[name]
		if !ok || checksEqual(cr.cfg, nc) {
			continue
		}
		groups := cr.groups
		cr.mon.Stop()
		delete(d.checks, name)
		ncr, err := d.startCheck(nc, cr.up)
		if err != nil {
			errs = append(errs, fmt.Errorf("check %s: %w", name, err))
			continue
		}
		ncr.groups, ncr.up = groups, cr.up
		d.checks[name] = ncr
		done = append(done, "check "+name+": changed, restarted "+map[bool]string{true: "up", false: "down"}[cr.up])
	}
	d.dm.Unlock()

	// The groups kept, changed in place.
	unchanged := 0
	for i := range cfg.Groups {
		n := &cfg.Groups[i]
		g := kept[groupKey(n)]
		if g == nil {
			continue
		}
		what, err := d.update(g, n)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", g.name, err))
		}
		if len(what) == 0 {
			unchanged++
			continue
		}
		done = append(done, g.name+": "+strings.Join(what, ", ")+" (in place)")
	}

	// The links of new interfaces run; then the new groups start.
	for name, l := range opened {
		l.run(d.runCtx, d.wg)
		d.links[name] = l
	}
	var order []*group
	added := map[string]*group{}
	for _, n := range add {
		g, err := newGroup(d, d.links[n.Interface], n)
		if err == nil {
			d.dm.Lock()
			err = d.attach(g)
			d.dm.Unlock()
			if err == nil {
				if n.Sync != "" {
					d.followLink(g)
				}
				err = g.start()
			}
			if err != nil {
				_ = g.g.Close()
				g.l.ifc.Remove(g.g)
				d.dm.Lock()
				d.detach(g)
				d.dm.Unlock()
			}
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: not started: %w", n.Name, err))
			continue
		}
		added[groupKey(n)] = g
	}
	for i := range cfg.Groups {
		k := groupKey(&cfg.Groups[i])
		if g := kept[k]; g != nil {
			order = append(order, g)
		} else if g := added[k]; g != nil {
			order = append(order, g)
		}
	}
	d.mu.Lock()
	d.order = order
	d.byName = map[string]*group{}
	for _, g := range order {
		d.byName[g.name] = g
	}
	// Interfaces left without a group close.
	for name, l := range d.links {
		if !slices.ContainsFunc(order, func(g *group) bool { return g.l == l }) {
			l.close()
			delete(d.links, name)
			done = append(done, "interface "+name+": no group left, closed")
		}
	}
	d.mu.Unlock()
	d.dm.Lock()
	d.pruneRunners()
	d.dm.Unlock()
	// The control socket answers this very reload, and the HTTP listener
	// is cmd/carpd's: neither moves while carpd runs. Say so to the
	// operator, not only to the log.
	for _, t := range []struct{ table, started, now string }{
		{"[control]", d.cfgControl, cfg.Control},
		{"[http]", d.cfgHTTP, cfg.HTTP},
	} {
		if t.now != t.started {
			d.log.Warn("reload: " + t.table + " changed; it takes effect at the next start")
			done = append(done, t.table+" changed: not applied, it takes effect when carpd restarts")
		}
	}
	if unchanged > 0 {
		done = append(done, fmt.Sprintf("%d group(s) unchanged", unchanged))
	}
	return done, errors.Join(errs...)
}

// update changes a kept group in place to n: its election settings, its
// scripts, its checks, tracked interfaces and sync set. It returns what
// changed.
func (d *Daemon) update(g *group, n *config.Group) ([]string, error) {
	o := g.cfg
	var what []string
	var err error
	if ot, nt := tuningOf(o), tuningOf(n); ot != nt {
		for _, c := range []struct {
			key  string
			a, b any
		}{{"advbase", ot.AdvBase, nt.AdvBase}, {"advskew", ot.AdvSkew, nt.AdvSkew}, {"deadratio", ot.DeadRatio, nt.DeadRatio},
			{"preempt", ot.Preempt, nt.Preempt}, {"tiebreak", ot.TieBreak, nt.TieBreak}, {"demotion", ot.Demotion, nt.Demotion}} {
			if c.a != c.b {
				what = append(what, fmt.Sprintf("%s %v -> %v", c.key, c.a, c.b))
			}
		}
		if ot.SubSecond != nt.SubSecond {
			what = append(what, fmt.Sprintf("sub-second %v -> %v", ot.SubSecond, nt.SubSecond))
		}
		err = g.g.Reconfigure(nt)
	}
	if o.UpScript != n.UpScript || o.DownScript != n.DownScript || o.XParam != n.XParam || o.ScriptTimeout != n.ScriptTimeout {
		what = append(what, "scripts")
	}
	g.setScripts(n)
	// g.cfg changes: under d.mu (Status reads it) and d.dm (demote.go).
	d.mu.Lock()
	defer d.mu.Unlock()
	d.dm.Lock()
	defer d.dm.Unlock()
	// Checks: detached from those it no longer lists, attached to the new.
	for _, name := range o.Checks {
		if !slices.Contains(n.Checks, name) {
			if cr := d.checks[name]; cr != nil {
				d.detachCheck(g, cr, "no longer in the group's checks")
			}
			what = append(what, "check "+name+" removed")
		}
	}
	var attach []string
	for _, name := range n.Checks {
		if !slices.Contains(o.Checks, name) {
			attach = append(attach, name)
			what = append(what, "check "+name+" added")
		}
	}
	// Tracked interfaces: the same, a changed demotion re-attached.
	for _, t := range o.Track {
		if !slices.Contains(n.Track, t) {
			if tr := d.trackers[t.Interface]; tr != nil {
				d.detachTracker(g, tr, "no longer tracked")
			}
			what = append(what, "track "+t.Interface+" removed")
		}
	}
	var track []config.Track
	for _, t := range n.Track {
		if !slices.Contains(o.Track, t) {
			track = append(track, t)
			what = append(what, fmt.Sprintf("track %s:%d added", t.Interface, t.Demote))
		}
	}
	syncChanged := o.Sync != n.Sync
	if syncChanged {
		d.leaveSync(g)
		what = append(what, fmt.Sprintf("sync %q -> %q", o.Sync, n.Sync))
	}
	g.cfg = n
	if syncChanged {
		d.joinSync(g)
		if n.Sync != "" && o.Sync == "" {
			d.followLink(g)
		}
	}
	for _, name := range attach {
		cr := d.checks[name]
		if cr == nil {
			var serr error
			if cr, serr = d.startCheck(d.checkCfg[name], true); serr != nil {
				err = errors.Join(err, serr)
				continue
			}
			cr.up = true
			d.checks[name] = cr
		}
		d.attachCheck(g, cr)
	}
	for _, t := range track {
		tr := d.trackers[t.Interface]
		if tr == nil {
			tr = d.startTracker(t.Interface)
			d.trackers[t.Interface] = tr
		}
		d.attachTracker(g, tr, t.Demote)
	}
	return what, err
}

// stopGroups stops groups gracefully (bow out, down script, VIPs
// released), in parallel.
func (d *Daemon) stopGroups(gs []*group) {
	var timeout time.Duration
	for _, g := range gs {
		timeout = max(timeout, g.cfg.ScriptTimeout)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second+timeout)
	defer cancel()
	var wg sync.WaitGroup
	for _, g := range gs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := g.stop(ctx, true); err != nil {
				g.log.Warn("stopping the group", "err", err)
			}
		}()
	}
	wg.Wait()
}
