package carp

import (
	"context"
	"sync"
)

// notifier runs callbacks one at a time, in the order they were queued, on
// a goroutine of its own. The queue is unbounded so that queueing never
// blocks the protocol; transitions are rare, so it stays short unless a
// callback hangs, and then every transition is still delivered in order.
type notifier struct {
	mu     sync.Mutex
	cond   *sync.Cond
	queue  []func()
	busy   bool // a callback is running
	closed bool
	done   chan struct{}
}

func newNotifier() *notifier {
	n := &notifier{done: make(chan struct{})}
	n.cond = sync.NewCond(&n.mu)
	return n
}

func (n *notifier) enqueue(f func()) {
	n.mu.Lock()
	n.queue = append(n.queue, f)
	n.mu.Unlock()
	n.cond.Signal()
}

// run serves the queue until close, then drains what is left.
func (n *notifier) run() {
	defer close(n.done)
	for {
		n.mu.Lock()
		for len(n.queue) == 0 && !n.closed {
			n.cond.Wait()
		}
		if len(n.queue) == 0 {
			n.mu.Unlock()
			return
		}
		f := n.queue[0]
		n.queue[0] = nil
		n.queue = n.queue[1:]
		n.busy = true
		n.mu.Unlock()
		f()
		n.mu.Lock()
		n.busy = false
		n.mu.Unlock()
	}
}

// wait returns once every callback queued before the call has returned.
func (n *notifier) wait(ctx context.Context) error {
	n.mu.Lock()
	if len(n.queue) == 0 && !n.busy {
		// Nothing queued or running (also before Start, when run has
		// not been started, and after a drained close).
		n.mu.Unlock()
		return nil
	}
	if n.closed {
		n.mu.Unlock()
		select {
		case <-n.done:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	n.mu.Unlock()
	marker := make(chan struct{})
	n.enqueue(func() { close(marker) })
	select {
	case <-marker:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// close lets run return once the queue is empty.
func (n *notifier) close() {
	n.mu.Lock()
	n.closed = true
	n.mu.Unlock()
	n.cond.Broadcast()
}
