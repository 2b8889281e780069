package carp_test

import (
	"strings"
	"sync/atomic"
	"testing"
	"time"
	"unsafe"

	"github.com/stretchr/testify/require"

	"github.com/gocarp/gocarp/transport"
	"github.com/gocarp/gocarp/transport/memnet"
)

// wallClock is a host's clock in the chaos matrix: what
// transport.SystemClock would give on a host whose wall clock is stepped
// (NTP, an operator, a VM resumed) while its monotonic clock runs on. Its
// times carry a monotonic reading, as time.Now's do, that follows the
// Sim's virtual clock; their wall reading is the same plus an offset that
// Step moves back and forth. Go compares and subtracts two such times by
// their monotonic readings, so code that uses only Sub, Add, Before,
// After and Equal does not notice a step; code that reads the wall time
// (Unix, Format, Round(0), UTC, a time built from its parts) does.
//
// Timers are the Sim's (a duration from now: no wall reading in them),
// and so is Hold, so that a group on a wallClock is as deterministic as
// one on the Sim.
type wallClock struct {
	sim     *memnet.Sim
	simBase time.Time // the Sim's time when base was read
	base    time.Time // time.Now() then: it has a monotonic reading
	offset  atomic.Int64
}

var (
	_ transport.Clock   = (*wallClock)(nil)
	_ transport.Settler = (*wallClock)(nil)
)

func newWallClock(sim *memnet.Sim) *wallClock {
	return &wallClock{sim: sim, simBase: sim.Now(), base: time.Now()}
}

// Now is the virtual time as a monotonic reading, with the wall reading
// stepped by the offset.
func (c *wallClock) Now() time.Time {
	return stepWall(c.base.Add(c.sim.Now().Sub(c.simBase)), time.Duration(c.offset.Load()))
}

func (c *wallClock) AfterFunc(d time.Duration, f func()) func() bool { return c.sim.AfterFunc(d, f) }

func (c *wallClock) Hold() func() { return c.sim.Hold() }

// Step moves the wall clock by d (whole seconds), not the monotonic one.
func (c *wallClock) Step(d time.Duration) { c.offset.Add(int64(d.Truncate(time.Second))) }

// virtual turns one of the clock's times back into the Sim's time, by
// the monotonic reading alone.
func (c *wallClock) virtual(t time.Time) time.Time { return c.simBase.Add(t.Sub(c.base)) }

// timeLayout mirrors time.Time (go1.9 and later): with the hasMonotonic
// bit set, wall holds 33 bits of seconds since 1885 above 30 bits of
// nanoseconds, and ext the monotonic reading. TestWallClockStep checks
// the mirror against the time package's own methods.
type timeLayout struct {
	wall uint64
	ext  int64
	loc  *time.Location
}

const (
	hasMonotonic = 1 << 63
	nsecShift    = 30
	secMask      = (1<<33 - 1) << nsecShift
)

// stepWall returns t with its wall reading moved by d (whole seconds)
// and its monotonic reading kept.
func stepWall(t time.Time, d time.Duration) time.Time {
	p := (*timeLayout)(unsafe.Pointer(&t))
	if p.wall&hasMonotonic == 0 {
		panic("stepWall: no monotonic reading")
	}
	sec := int64(p.wall&secMask>>nsecShift) + int64(d/time.Second)
	p.wall = p.wall&^secMask | uint64(sec)<<nsecShift&secMask
	return t
}

// TestWallClockStep checks the wall step against the time package: the
// wall reading moves, the monotonic one does not, and Go's comparisons
// follow the monotonic one. If this fails, the chaos matrix's clock jumps
// would not be what they claim.
func TestWallClockStep(t *testing.T) {
	sim := memnet.NewSim(1, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	c := newWallClock(sim)
	t0 := c.Now()
	require.Contains(t, t0.String(), "m=+", "a monotonic reading, as time.Now's")
	for _, step := range []time.Duration{time.Hour, -3 * time.Hour, 48 * time.Hour, -47 * time.Hour, time.Second} {
		before := c.Now()
		c.Step(step)
		after := c.Now()
		require.Equal(t, int64(step/time.Second), after.Unix()-before.Unix(), "the wall reading moves by %s", step)
		require.Equal(t, before.Nanosecond(), after.Nanosecond())
		require.Zero(t, after.Sub(before), "Sub follows the monotonic reading")
		require.True(t, after.Equal(before))
		require.False(t, after.Before(before) || after.After(before))
		require.True(t, strings.Contains(after.String(), "m=+"))
		// Stripped of the monotonic reading, the step shows.
		require.Equal(t, step, after.Round(0).Sub(before.Round(0)))
	}
	sim.RunFor(1500 * time.Millisecond)
	require.Equal(t, 1500*time.Millisecond, c.Now().Sub(t0), "the monotonic reading follows the Sim")
	require.Equal(t, sim.Now(), c.virtual(c.Now()))
}
