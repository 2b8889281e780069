package carp

import (
	"context"
	"sync"
)

// notifier runs callbacks one at a time, in the order they were queued, on
// a goroutine that exists only while there are callbacks to run: a host
// with hundreds of idle groups holds no goroutine for them. The queue is
// unbounded so that queueing never blocks the protocol; transitions are
// rare, so it stays short unless a callback hangs, and then every
// transition is still delivered in order.
type notifier struct {
	mu      sync.Mutex
	queue   []func()
	running bool // a worker goroutine is serving the queue
	closed  bool
	idle    chan struct{} // closed when the current worker returns
}

func newNotifier() *notifier { return &notifier{} }

// enqueue queues f and starts a worker if none runs. After close, f is
// dropped.
func (n *notifier) enqueue(f func()) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.closed {
		return
	}
	n.queue = append(n.queue, f)
	if !n.running {
		n.running = true
		n.idle = make(chan struct{})
		go n.work(n.idle)
	}
}

// work serves the queue until it is empty.
func (n *notifier) work(idle chan struct{}) {
	defer close(idle)
	for {
		n.mu.Lock()
		if len(n.queue) == 0 {
			n.running = false
			n.queue = nil // let a long queue's array go
			n.mu.Unlock()
			return
		}
		f := n.queue[0]
		n.queue[0] = nil
		n.queue = n.queue[1:]
		n.mu.Unlock()
		f()
	}
}

// wait returns once every callback queued before the call has returned.
func (n *notifier) wait(ctx context.Context) error {
	n.mu.Lock()
	if !n.running {
		n.mu.Unlock()
		return nil
	}
	if n.closed {
		// Nothing more is queued: the worker's end is the drain.
		idle := n.idle
		n.mu.Unlock()
		select {
		case <-idle:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	// A worker runs: it will reach the marker after what is queued.
	marker := make(chan struct{})
	n.queue = append(n.queue, func() { close(marker) })
	n.mu.Unlock()
	select {
	case <-marker:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// close drops what is queued from now on; what is queued already still
// runs.
func (n *notifier) close() {
	n.mu.Lock()
	n.closed = true
	n.mu.Unlock()
}

// subscriber is one channel of Subscribe.
type subscriber struct {
	ch     chan Transition
	cancel chan struct{} // closed by the unsubscribe func
	once   sync.Once
	closed bool // ch is closed; only the callback goroutine touches it
}

// send delivers t, waiting for the receiver (on the callback goroutine,
// never the protocol's) unless the subscription has been cancelled.
func (s *subscriber) send(t Transition) {
	if s.closed {
		return
	}
	select {
	case s.ch <- t:
	case <-s.cancel:
	}
}

// end closes the channel after the last transition.
func (s *subscriber) end() {
	if !s.closed {
		s.closed = true
		close(s.ch)
	}
}
