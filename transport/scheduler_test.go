package transport

import (
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// checkHeap verifies the heap order and every timer's index.
func checkHeap(t *testing.T, s *scheduler) {
	t.Helper()
	for i, tm := range s.heap {
		require.Equal(t, i, tm.index)
		if i > 0 {
			require.False(t, tm.when.Before(s.heap[(i-1)/2].when), "heap order at %d", i)
		}
	}
}

// Random Resets and Stops keep the heap a heap, with the index of every
// armed timer right and -1 for the others.
func TestSchedulerHeap(t *testing.T) {
	s := &scheduler{}
	r := rand.New(rand.NewPCG(1, 2))
	var timers []*schedTimer
	for range 64 {
		timers = append(timers, s.newTimer(func() {}))
	}
	for range 5000 {
		tm := timers[r.IntN(len(timers))]
		if r.IntN(3) == 0 {
			armed := tm.index >= 0
			require.Equal(t, armed, tm.Stop())
			require.Equal(t, -1, tm.index)
		} else {
			tm.Reset(time.Hour + time.Duration(r.IntN(1000))*time.Second)
			require.GreaterOrEqual(t, tm.index, 0)
		}
		checkHeap(t, s)
	}
	for _, tm := range timers {
		tm.Stop()
	}
	require.Empty(t, s.heap)
}

// Timers fire in deadline order, a stopped one never, a re-armed one once
// at its new time.
func TestSchedulerFires(t *testing.T) {
	s := &scheduler{}
	var (
		mu    sync.Mutex
		order []int
		done  = make(chan struct{})
	)
	record := func(i int) func() {
		return func() {
			mu.Lock()
			defer mu.Unlock()
			order = append(order, i)
			if i == 4 {
				close(done)
			}
		}
	}
	t1, t2, t3, t4 := s.newTimer(record(1)), s.newTimer(record(2)), s.newTimer(record(3)), s.newTimer(record(4))
	t3.Reset(30 * time.Millisecond)
	t1.Reset(10 * time.Millisecond)
	t2.Reset(time.Hour)
	t2.Reset(20 * time.Millisecond) // re-armed earlier
	stopped := s.newTimer(func() { t.Error("a stopped timer fired") })
	stopped.Reset(15 * time.Millisecond)
	require.True(t, stopped.Stop())
	require.False(t, stopped.Stop())
	t4.Reset(60 * time.Millisecond)
	select {
	case <-done:
	case <-time.After(5 * time.Second): // correctness bound, not a timing claim
		t.Fatal("timers never fired")
	}
	mu.Lock()
	defer mu.Unlock()
	require.Equal(t, []int{1, 2, 3, 4}, order)
	require.False(t, t1.Stop(), "a fired timer is not armed")
}

// Re-arming allocates nothing: a group does it on every advert it hears.
func TestSchedulerAllocs(t *testing.T) {
	s := &scheduler{}
	var timers []*schedTimer
	for range 16 {
		timers = append(timers, s.newTimer(func() {}))
	}
	for _, tm := range timers {
		tm.Reset(time.Hour)
	}
	i := 0
	allocs := testing.AllocsPerRun(1000, func() {
		timers[i%len(timers)].Reset(time.Hour + time.Duration(i)*time.Millisecond)
		i++
	})
	require.Zero(t, allocs)
	for _, tm := range timers {
		tm.Stop()
	}
}
