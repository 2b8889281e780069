package carp

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// A callback that hangs while the group flaps 5,000 times holds at most
// MaxPendingCallbacks deliveries; the oldest give way (their drop runs,
// so a virtual clock's hold is released), and the newest, the last
// state, still arrives.
func TestNotifierBounded(t *testing.T) {
	n := newNotifier()
	var reported atomic.Uint64
	n.onDrop = func(total uint64) { reported.Store(total) }
	gate := make(chan struct{})
	n.enqueue(func() { <-gate })
	var ran, dropped atomic.Int64
	var last atomic.Int64
	const flaps = 5000
	for i := 1; i <= flaps; i++ {
		n.enqueueDroppable(func() { ran.Add(1); last.Store(int64(i)) }, func() { dropped.Add(1) })
	}
	n.mu.Lock()
	require.LessOrEqual(t, len(n.queue), MaxPendingCallbacks+1)
	n.mu.Unlock()
	require.Equal(t, int64(flaps-MaxPendingCallbacks), dropped.Load())
	require.Equal(t, uint64(flaps-MaxPendingCallbacks), n.droppedCount())
	require.NotZero(t, reported.Load(), "the first drop is reported")
	close(gate)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	require.NoError(t, n.wait(ctx))
	require.Equal(t, int64(MaxPendingCallbacks), ran.Load())
	require.Equal(t, int64(flaps), last.Load(), "the last state arrives")

	// What must run is never dropped.
	gate = make(chan struct{})
	n.enqueue(func() { <-gate })
	var always atomic.Bool
	n.enqueue(func() { always.Store(true) })
	for range 2 * MaxPendingCallbacks {
		n.enqueueDroppable(func() {}, func() {})
	}
	close(gate)
	require.NoError(t, n.wait(ctx))
	require.True(t, always.Load())
}
