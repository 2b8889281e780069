package carp_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gocarp/gocarp/carp"
	"github.com/gocarp/gocarp/health"
)

// Demotion is the sum of its sources: one source's change never undoes
// another's.
func TestGroupDemoteSources(t *testing.T) {
	_, a, _ := gtPair(t, nil)
	total, err := a.g.Demote("check web", 50, "down")
	require.NoError(t, err)
	require.Equal(t, uint8(50), total)
	total, err = a.g.Demote("operator", 30, "maintenance")
	require.NoError(t, err)
	require.Equal(t, uint8(80), total)
	require.NoError(t, a.g.SetDemote(5))
	st := a.g.Stats()
	require.Equal(t, uint8(85), st.Demote)
	require.Equal(t, map[string]uint8{"check web": 50, "operator": 30, "": 5}, st.DemoteSources)
	require.Equal(t, uint8(85), st.AdvSkew, "skew demotion by default")

	total, err = a.g.Demote("check web", 0, "up")
	require.NoError(t, err)
	require.Equal(t, uint8(35), total, "the operator's and the application's stay")
	total, _ = a.g.Demote("x", 200, "")
	require.Equal(t, uint8(235), total)
	total, _ = a.g.Demote("y", 200, "")
	require.Equal(t, uint8(255), total, "capped")
	require.Equal(t, uint8(240), a.g.Stats().AdvSkew, "skew capped at 240")
}

// Reconfigure keeps the state and the advert rhythm; a worse advert goes
// out at once and moves mastership to a preempting backup.
func TestGroupReconfigure(t *testing.T) {
	l, a, b := gtPair(t, func(c *carp.Config) { c.Preempt = true })
	require.NoError(t, a.g.Reconfigure(carp.Tuning{AdvBase: 1, AdvSkew: 10}))
	require.Equal(t, carp.StateMaster, a.g.State())
	l.runUntil(10 * time.Second)
	ads := l.advertsBetween("a", 6*time.Second, 10*time.Second)
	require.NotEmpty(t, ads)
	for i, s := range ads {
		require.Equal(t, uint8(10), s.pkt.Advert.AdvSkew)
		if i > 0 {
			require.Equal(t, time.Second+39062*time.Microsecond, s.at-ads[i-1].at, "the new interval, no gap")
		}
	}
	require.Len(t, a.callbacks(t), 2, "no transition: INIT->BACKUP, BACKUP->MASTER only")
	require.Equal(t, carp.Tuning{AdvBase: 1, AdvSkew: 10, DeadRatio: 3}, a.g.Tuning())

	// Refused: nothing changes.
	err := a.g.Reconfigure(carp.Tuning{SubSecond: true})
	require.ErrorIs(t, err, carp.ErrConfig)
	require.Equal(t, uint8(10), a.g.Stats().AdvSkew)

	// Worse than b (advskew 100): b preempts at a's next advert, sent now.
	require.NoError(t, a.g.Reconfigure(carp.Tuning{AdvBase: 1, AdvSkew: 200}))
	l.runUntil(10*time.Second + 100*time.Millisecond)
	require.Equal(t, carp.StateMaster, b.g.State())
	require.Equal(t, carp.StateBackup, a.g.State())
}

// A check that fails on the master demotes it, and a preempting backup
// takes over; its recovery moves mastership back.
func TestGroupChecks(t *testing.T) {
	var failing atomic.Bool
	l := newGtLAN(t)
	a := l.node("a", "192.0.2.1", func(c *carp.Config) {
		c.Preempt = true
		c.Checks = []health.Check{{Name: "web", Interval: time.Second, Rise: 2, Fall: 3, Demote: 150,
			Func: func(context.Context) error {
				if failing.Load() {
					return errors.New("503")
				}
				return nil
			}}}
	}).start(t)
	b := l.node("b", "192.0.2.2", func(c *carp.Config) { c.AdvSkew = 100; c.Preempt = true }).start(t)
	require.Equal(t, map[string]uint8{"check web": 150}, a.g.Stats().DemoteSources, "a check starts down")
	l.runUntil(10 * time.Second)
	require.Equal(t, carp.StateMaster, a.g.State(), "up after its second success, a preempts")
	require.Nil(t, a.g.Stats().DemoteSources)
	st := a.g.Checks()
	require.Len(t, st, 1)
	require.True(t, st[0].Up)

	failing.Store(true)
	l.runUntil(12500 * time.Millisecond) // runs at 11, 12 fail
	require.Equal(t, carp.StateMaster, a.g.State())
	l.runUntil(13500 * time.Millisecond) // the third at 13 s: down, advskew 150 sent at once
	require.Equal(t, carp.StateBackup, a.g.State())
	require.Equal(t, carp.StateMaster, b.g.State())
	require.Equal(t, "503", a.g.Checks()[0].LastError)

	failing.Store(false)
	l.runUntil(20 * time.Second)
	require.Equal(t, carp.StateMaster, a.g.State())
	require.Equal(t, carp.StateBackup, b.g.State())

	// Validated with the rest of the config.
	bad := a.cfg
	bad.Checks = []health.Check{{Name: "x"}}
	bad.Transport = gtTransport(t)
	_, err := carp.New(bad)
	var ce *carp.ConfigError
	require.ErrorAs(t, err, &ce)
	require.Equal(t, "Checks", ce.Field)
	require.NoError(t, a.g.Close())
	require.Len(t, a.g.Checks(), 1, "stopped with the group")
}
