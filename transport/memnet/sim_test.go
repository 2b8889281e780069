package memnet_test

import (
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gocarp/gocarp/transport"
	"github.com/gocarp/gocarp/transport/memnet"
)

var t0 = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

func TestSimOrder(t *testing.T) {
	tests := []struct {
		name   string
		delays []time.Duration // scheduled in this order, event i logs i
		want   []int
	}{
		{"ByTime", []time.Duration{3, 1, 2}, []int{1, 2, 0}},
		{"EqualTimesInSchedulingOrder", []time.Duration{5, 5, 5, 1}, []int{3, 0, 1, 2}},
		{"NegativeIsZero", []time.Duration{0, -time.Second, 1}, []int{0, 1, 2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := memnet.NewSim(1, t0)
			var got []int
			var at []time.Duration
			for i, d := range tt.delays {
				s.AfterFunc(d, func() {
					got = append(got, i)
					at = append(at, s.Now().Sub(t0))
				})
			}
			s.RunFor(time.Hour)
			require.Equal(t, tt.want, got)
			for i, ev := range tt.want {
				require.Equal(t, max(tt.delays[ev], 0), at[i], "clock at event %d", ev)
			}
			require.Equal(t, t0.Add(time.Hour), s.Now())
		})
	}
}

func TestSimRunUntil(t *testing.T) {
	s := memnet.NewSim(1, t0)
	var ran []time.Duration
	for _, d := range []time.Duration{time.Second, 2 * time.Second, 3 * time.Second} {
		s.AfterFunc(d, func() { ran = append(ran, s.Now().Sub(t0)) })
	}
	s.RunUntil(t0.Add(2 * time.Second)) // inclusive
	require.Equal(t, []time.Duration{time.Second, 2 * time.Second}, ran)
	require.Equal(t, t0.Add(2*time.Second), s.Now())
	require.Equal(t, 1, s.Pending())

	s.RunUntil(t0) // the past: the clock stays
	require.Equal(t, t0.Add(2*time.Second), s.Now())
	require.Equal(t, 1, s.Pending())

	s.RunFor(500 * time.Millisecond)
	require.Equal(t, t0.Add(2500*time.Millisecond), s.Now())
	require.Len(t, ran, 2)
}

func TestSimStep(t *testing.T) {
	s := memnet.NewSim(1, t0)
	require.False(t, s.Step())
	require.Equal(t, t0, s.Now())

	var n int
	s.AfterFunc(time.Minute, func() { n++ })
	s.AfterFunc(time.Second, func() { n += 10 })
	require.True(t, s.Step())
	require.Equal(t, 10, n)
	require.Equal(t, t0.Add(time.Second), s.Now())
	require.True(t, s.Step())
	require.Equal(t, 11, n)
	require.Equal(t, t0.Add(time.Minute), s.Now())
	require.False(t, s.Step())
}

func TestSimNested(t *testing.T) {
	// Events scheduled by events run in the same RunUntil if due, including
	// zero-delay ones, and later ones wait.
	s := memnet.NewSim(1, t0)
	var log []string
	s.AfterFunc(time.Second, func() {
		log = append(log, "outer")
		s.AfterFunc(0, func() { log = append(log, "now") })
		s.AfterFunc(time.Second, func() { log = append(log, "later") })
		s.AfterFunc(time.Hour, func() { log = append(log, "too late") })
	})
	s.RunFor(2 * time.Second)
	require.Equal(t, []string{"outer", "now", "later"}, log)
	require.Equal(t, 1, s.Pending())
}

func TestSimStop(t *testing.T) {
	s := memnet.NewSim(1, t0)
	var ran []string
	stopA := s.AfterFunc(time.Second, func() { ran = append(ran, "a") })
	stopB := s.AfterFunc(2*time.Second, func() { ran = append(ran, "b") })
	stopC := s.AfterFunc(3*time.Second, func() { ran = append(ran, "c") })
	// An event may cancel a later one.
	s.AfterFunc(1500*time.Millisecond, func() { require.True(t, stopC()) })

	require.True(t, stopB())
	require.False(t, stopB(), "second stop")
	s.RunFor(time.Hour)
	require.Equal(t, []string{"a"}, ran)
	require.False(t, stopA(), "stop after firing")
	require.False(t, stopC())
	require.Zero(t, s.Pending())
}

func TestSimReentrantRunPanics(t *testing.T) {
	s := memnet.NewSim(1, t0)
	s.AfterFunc(0, func() { s.RunFor(time.Second) })
	require.Panics(t, func() { s.RunFor(time.Second) })
	// The guard is released after the panic.
	s.AfterFunc(0, func() {})
	require.NotPanics(t, func() { s.RunFor(time.Second) })
}

func TestSimNilFuncPanics(t *testing.T) {
	s := memnet.NewSim(1, t0)
	require.Panics(t, func() { s.AfterFunc(0, nil) })
}

func TestSimRand(t *testing.T) {
	draw := func(seed int64) []uint64 {
		r := memnet.NewSim(seed, t0).Rand()
		out := make([]uint64, 8)
		for i := range out {
			out[i] = r.Uint64()
		}
		return out
	}
	require.Equal(t, draw(7), draw(7))
	require.NotEqual(t, draw(7), draw(8))
	require.NotEqual(t, draw(0), draw(-1))
}

// TestSimConcurrentCallers checks, under -race, that Now and AfterFunc from
// other goroutines are safe while the Sim runs.
func TestSimConcurrentCallers(t *testing.T) {
	s := memnet.NewSim(1, t0)
	var clock transport.Clock = s
	var mu sync.Mutex
	fired := 0
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 100 {
				_ = clock.Now()
				stop := clock.AfterFunc(time.Millisecond, func() {
					mu.Lock()
					fired++
					mu.Unlock()
				})
				_ = stop
			}
		})
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	for running := true; running; {
		select {
		case <-done:
			running = false
		default:
		}
		s.RunFor(time.Millisecond)
	}
	s.RunFor(time.Second)
	require.Equal(t, 400, fired)
}
