package carp

import (
	"fmt"

	"github.com/gocarp/gocarp/election"
	"github.com/gocarp/gocarp/health"
)

// Demote sets the demotion of one source (0 removes it) and returns the
// total the group now advertises: the sum of every source's, capped at
// 255, so that two sources (a health check, a tracked interface, an
// operator, the start) never overwrite each other. Each change is logged
// with its source and reason. How the total is advertised, and what it
// moves, is Config.Demotion's: see SetDemote. Demote may be called before
// Start.
func (g *Group) Demote(source string, n uint8, reason string) (total uint8, err error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.stopped {
		return g.m.Demote(), ErrStopped
	}
	return g.demote(source, n, reason), nil
}

// demote is Demote with g.mu held.
func (g *Group) demote(source string, n uint8, reason string) uint8 {
	old := g.demotions[source]
	if n == 0 {
		delete(g.demotions, source)
	} else {
		if g.demotions == nil {
			g.demotions = map[string]uint8{}
		}
		g.demotions[source] = n
	}
	sum := 0
	for _, v := range g.demotions {
		sum += int(v)
	}
	total := uint8(min(sum, 255))
	if old != n {
		g.log.Info("demotion", "source", source, "from", old, "to", n, "reason", reason,
			"total", total, "style", g.cfg.Demotion.String())
	}
	if total != g.m.Demote() {
		g.step(election.Event{Kind: election.EventDemote, Demote: total})
	}
	return total
}

// Tuning is what Reconfigure changes on a running group: the election's
// settings, with Config's meaning and defaults.
type Tuning struct {
	AdvBase   uint8
	SubSecond bool
	AdvSkew   uint8
	DeadRatio uint
	Preempt   bool
	TieBreak  TieBreak
	Demotion  Demotion
}

// Tuning returns the group's settings as Reconfigure takes them.
func (g *Group) Tuning() Tuning {
	g.mu.Lock()
	defer g.mu.Unlock()
	c := &g.cfg.Config
	return Tuning{AdvBase: c.AdvBase, SubSecond: c.SubSecond, AdvSkew: c.AdvSkew, DeadRatio: c.DeadRatio,
		Preempt: c.Preempt, TieBreak: c.TieBreak, Demotion: c.Demotion}
}

// Reconfigure changes the group's election settings in place, keeping
// its state and its demotion: no transition, no gap in its adverts. A
// MASTER whose advert got worse sends it at once (so that a better backup
// can take over now, if it preempts); otherwise the next advert carries
// the new values at its usual time. A Tuning Config.Validate would refuse
// is a *ConfigError, and nothing changes.
func (g *Group) Reconfigure(t Tuning) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.stopped {
		return ErrStopped
	}
	c := g.cfg.Config
	c.AdvBase, c.SubSecond, c.AdvSkew, c.DeadRatio = t.AdvBase, t.SubSecond, t.AdvSkew, t.DeadRatio
	c.Preempt, c.TieBreak, c.Demotion = t.Preempt, t.TieBreak, t.Demotion
	r, err := c.validate()
	if err != nil {
		return err
	}
	g.cfg.AdvBase, g.cfg.SubSecond, g.cfg.AdvSkew, g.cfg.DeadRatio = r.AdvBase, r.SubSecond, r.AdvSkew, r.DeadRatio
	g.cfg.Preempt, g.cfg.TieBreak, g.cfg.Demotion = r.Preempt, r.TieBreak, r.Demotion
	now := g.clock.Now()
	acts, err := g.m.Reconfigure(now, g.cfg.electionConfig())
	if err != nil {
		// validate checks all the machine does.
		return fmt.Errorf("carp: %w", err)
	}
	g.log.Info("reconfigured", "advbase", r.AdvBase, "advskew", r.AdvSkew, "deadratio", r.DeadRatio,
		"preempt", r.Preempt, "tiebreak", r.TieBreak.String(), "demotion", r.Demotion.String())
	var next election.Event
	if g.perform(now, acts, &next) {
		for range 4 {
			if !g.stepOnce(now, next, &next) {
				break
			}
		}
	}
	g.arm(now)
	return nil
}

// startChecks starts Config.Checks; g.mu is held. A check starts down:
// its demotion holds until its first successes.
func (g *Group) startChecks() {
	for _, c := range g.cfg.Checks {
		source := "check " + c.Name
		n := c.Demote
		if n == 0 {
			n = health.DefaultDemote
		}
		g.demote(source, n, "starting: down until its first successes")
		m, err := health.Start(c, g.clock, func(ch health.Change) {
			n, reason := ch.Demote, "down"
			if ch.Up {
				n, reason = 0, "up"
			} else if ch.Err != nil {
				reason = "down: " + ch.Err.Error()
			}
			_, _ = g.Demote(source, n, reason)
		})
		if err == nil { // validated by New
			g.checks = append(g.checks, m)
		}
	}
}

// Checks returns the state of the group's health checks, in Config order.
func (g *Group) Checks() []health.Status {
	g.mu.Lock()
	ms := append([]*health.Monitor(nil), g.checks...)
	g.mu.Unlock()
	out := make([]health.Status, len(ms))
	for i, m := range ms {
		out[i] = m.Status()
	}
	return out
}
