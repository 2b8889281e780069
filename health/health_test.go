package health_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gocarp/gocarp/health"
	"github.com/gocarp/gocarp/transport/memnet"
)

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// recorder keeps the changes a monitor reports, with their virtual times.
type recorder struct {
	mu      sync.Mutex
	changes []health.Change
}

func (r *recorder) add(c health.Change) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.changes = append(r.changes, c)
}

func (r *recorder) get() []health.Change {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]health.Change(nil), r.changes...)
}

func at(d time.Duration) time.Time { return t0.Add(d) }

func TestRiseFall(t *testing.T) {
	sim := memnet.NewSim(1, t0)
	var failing atomic.Bool
	var runs atomic.Int64
	var rec recorder
	m, err := health.Start(health.Check{
		Name: "web", Interval: time.Second, Rise: 2, Fall: 3, Demote: 50,
		Func: func(context.Context) error {
			runs.Add(1)
			if failing.Load() {
				return errors.New("HTTP 503")
			}
			return nil
		},
	}, sim, rec.add)
	require.NoError(t, err)
	t.Cleanup(m.Stop)
	require.False(t, m.Status().Up, "a check starts down")

	// Runs at 0 s and 1 s: up on the second success.
	sim.RunUntil(at(1500 * time.Millisecond))
	require.Equal(t, []health.Change{{Check: "web", Up: true, At: at(time.Second), Demote: 50}}, rec.get())

	// Failing from 5.5 s: runs at 6, 7, 8 s fail; down at the third.
	sim.RunUntil(at(5500 * time.Millisecond))
	failing.Store(true)
	sim.RunUntil(at(7500 * time.Millisecond))
	require.Len(t, rec.get(), 1, "two failures are not three")
	sim.RunUntil(at(8500 * time.Millisecond))
	ch := rec.get()
	require.Len(t, ch, 2)
	require.Equal(t, at(8*time.Second), ch[1].At)
	require.Equal(t, uint8(50), ch[1].Demote)
	require.False(t, ch[1].Up)
	require.EqualError(t, ch[1].Err, "HTTP 503")

	st := m.Status()
	require.False(t, st.Up)
	require.Equal(t, at(8*time.Second), st.Since)
	require.Equal(t, uint64(9), st.Runs) // 0..8 s
	require.Equal(t, uint64(3), st.Failures)
	require.Equal(t, "HTTP 503", st.LastError)
	require.Equal(t, int64(9), runs.Load())

	// One success after a failure is not two: a flapping service stays down.
	failing.Store(false)
	sim.RunUntil(at(9500 * time.Millisecond))
	failing.Store(true)
	sim.RunUntil(at(10500 * time.Millisecond))
	require.Len(t, rec.get(), 2)
	require.NotEmpty(t, m.Status().LastError, "the last run failed")
}

// A run that ignores its ctx is a failure at its timeout, and one more for
// every interval it is still going; no second run starts meanwhile.
func TestHangingCheck(t *testing.T) {
	sim := memnet.NewSim(1, t0)
	sim.HoldTimeout = 100 * time.Millisecond // the hung run is not waited for long
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	var runs atomic.Int64
	var hang atomic.Bool
	var rec recorder
	m, err := health.Start(health.Check{
		Name: "stuck", Interval: time.Second, Timeout: 300 * time.Millisecond, Fall: 2,
		Func: func(ctx context.Context) error {
			runs.Add(1)
			if hang.Load() {
				<-release // ignores ctx
			}
			return nil
		},
	}, sim, rec.add)
	require.NoError(t, err)
	t.Cleanup(m.Stop)
	sim.RunUntil(at(500 * time.Millisecond))
	require.True(t, m.Status().Up)
	hang.Store(true)
	// The run at 1 s hangs: a failure at 1.3 s, one more at 2 s.
	sim.RunUntil(at(1500 * time.Millisecond))
	require.Equal(t, uint64(1), m.Status().Failures)
	require.Contains(t, m.Status().LastError, "timed out after 300ms")
	sim.RunUntil(at(2500 * time.Millisecond))
	ch := rec.get()
	require.Len(t, ch, 2)
	require.False(t, ch[1].Up)
	require.Equal(t, at(2*time.Second), ch[1].At)
	require.ErrorIs(t, ch[1].Err, health.ErrTimeout)
	sim.RunUntil(at(5500 * time.Millisecond))
	require.Equal(t, int64(2), runs.Load(), "no run starts while one hangs")
	require.Equal(t, uint64(5), m.Status().Failures)
}

// A run that honours its ctx ends at the timeout, as a failure.
func TestTimeoutCancels(t *testing.T) {
	sim := memnet.NewSim(1, t0)
	// The clock gives up waiting for a run at HoldTimeout (real time),
	// then fires its timeout, then waits for it to return.
	sim.HoldTimeout = 200 * time.Millisecond
	var rec recorder
	var cancelled atomic.Int64
	m, err := health.Start(health.Check{
		Name: "slow", Interval: time.Second, Timeout: 200 * time.Millisecond,
		Func: func(ctx context.Context) error {
			select {
			case <-ctx.Done():
				cancelled.Add(1)
				return ctx.Err()
			case <-time.After(time.Minute):
				return nil
			}
		},
	}, sim, rec.add)
	require.NoError(t, err)
	t.Cleanup(m.Stop)
	sim.RunUntil(at(3500 * time.Millisecond))
	st := m.Status()
	require.False(t, st.Up)
	require.Equal(t, uint64(4), st.Runs, "each run ended at its timeout, so the next could start")
	require.Equal(t, uint64(4), st.Failures)
	require.Eventually(t, func() bool { return cancelled.Load() == 4 }, 5*time.Second, time.Millisecond)
	require.Empty(t, rec.get(), "never up, so never down")
}

func TestStop(t *testing.T) {
	sim := memnet.NewSim(1, t0)
	var runs atomic.Int64
	var rec recorder
	m, err := health.Start(health.Check{Name: "x", Func: func(context.Context) error { runs.Add(1); return nil }}, sim, rec.add)
	require.NoError(t, err)
	sim.RunUntil(at(2500 * time.Millisecond))
	require.Equal(t, int64(3), runs.Load(), "DefaultInterval is 1 s")
	require.Len(t, rec.get(), 1, "DefaultRise is 1")
	require.Equal(t, uint8(health.DefaultDemote), m.Check().Demote)
	m.Stop()
	m.Stop()
	sim.RunUntil(at(10 * time.Second))
	require.Equal(t, int64(3), runs.Load())
	require.Zero(t, sim.Pending())
}

func TestValidate(t *testing.T) {
	ok := func(context.Context) error { return nil }
	for _, tt := range []struct {
		c    health.Check
		want string
	}{
		{health.Check{Func: ok}, "Name is empty"},
		{health.Check{Name: "a"}, `check "a": Func is nil`},
		{health.Check{Name: "a", Func: ok, Interval: -1}, "Interval must not be negative"},
		{health.Check{Name: "a", Func: ok, Timeout: -1}, "Timeout must not be negative"},
		{health.Check{Name: "a", Func: ok, Rise: -1}, "Rise must not be negative"},
		{health.Check{Name: "a", Func: ok, Fall: -1}, "Fall must not be negative"},
	} {
		require.ErrorContains(t, tt.c.Validate(), tt.want)
		_, err := health.Start(tt.c, nil, nil)
		require.ErrorContains(t, err, tt.want)
	}
}

func TestStartUp(t *testing.T) {
	sim := memnet.NewSim(1, t0)
	var rec recorder
	m, err := health.Start(health.Check{Name: "x", StartUp: true, Fall: 2,
		Func: func(context.Context) error { return errors.New("no") }}, sim, rec.add)
	require.NoError(t, err)
	t.Cleanup(m.Stop)
	require.True(t, m.Status().Up)
	sim.RunUntil(at(500 * time.Millisecond))
	require.Empty(t, rec.get(), "one failure is not Fall")
	sim.RunUntil(at(1500 * time.Millisecond))
	require.Len(t, rec.get(), 1)
	require.False(t, rec.get()[0].Up)
}
