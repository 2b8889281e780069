package carp

import (
	"context"
	"slices"
	"sync"
)

// notifier runs callbacks one at a time, in the order they were queued, on
// a goroutine that exists only while there are callbacks to run: a host
// with hundreds of idle groups holds no goroutine for them. Queueing never
// blocks the protocol. The queue is bounded: when a callback hangs while
// the group keeps changing state (adverts rewritten on the wire can make
// it flap), at most MaxPendingCallbacks deliveries wait, and the oldest
// give way to the newest, so that the last state always arrives; what was
// dropped is counted (Stats.CallbacksDropped) and shows as a gap in
// Transition.Seq.
type notifier struct {
	mu       sync.Mutex
	queue    []item
	pending  int // droppable items in queue
	dropped  uint64
	running  bool // a worker goroutine is serving the queue
	closed   bool
	idle     chan struct{} // closed when the current worker returns
	onDrop   func(total uint64)
	dropping bool // dropping since the queue was last drained
}

// item is one queued call; drop, if set, makes it droppable and is called
// instead of run when it gives way.
type item struct {
	run, drop func()
}

// MaxPendingCallbacks bounds the deliveries (callbacks and Subscribe
// sends) waiting behind a callback that has not returned.
const MaxPendingCallbacks = 1024

func newNotifier() *notifier { return &notifier{} }

// enqueue queues f, which is never dropped, and starts a worker if none
// runs. After close, f is dropped.
func (n *notifier) enqueue(f func()) { n.add(item{run: f}) }

// enqueueDroppable queues f, which may give way to newer deliveries; drop
// is then called instead (it must not block).
func (n *notifier) enqueueDroppable(f, drop func()) { n.add(item{run: f, drop: drop}) }

func (n *notifier) add(it item) {
	var gone []func()
	var total uint64
	var report func(uint64)
	n.mu.Lock()
	if n.closed {
		n.mu.Unlock()
		if it.drop != nil {
			it.drop()
		}
		return
	}
	if it.drop != nil {
		for n.pending >= MaxPendingCallbacks {
			i := slices.IndexFunc(n.queue, func(q item) bool { return q.drop != nil })
			gone = append(gone, n.queue[i].drop)
			n.queue = slices.Delete(n.queue, i, i+1)
			n.pending--
			n.dropped++
		}
		n.pending++
		if len(gone) > 0 && !n.dropping {
			n.dropping, report, total = true, n.onDrop, n.dropped
		}
	}
	n.queue = append(n.queue, it)
	if !n.running {
		n.running = true
		n.idle = make(chan struct{})
		go n.work(n.idle)
	}
	n.mu.Unlock()
	for _, d := range gone {
		d()
	}
	if report != nil {
		report(total)
	}
}

// droppedCount is how many deliveries gave way so far.
func (n *notifier) droppedCount() uint64 {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.dropped
}

// work serves the queue until it is empty.
func (n *notifier) work(idle chan struct{}) {
	defer close(idle)
	for {
		n.mu.Lock()
		if len(n.queue) == 0 {
			n.running = false
			n.dropping = false
			n.queue = nil // let a long queue's array go
			n.mu.Unlock()
			return
		}
		it := n.queue[0]
		n.queue[0] = item{}
		n.queue = n.queue[1:]
		if it.drop != nil {
			n.pending--
		}
		n.mu.Unlock()
		it.run()
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
	n.queue = append(n.queue, item{run: func() { close(marker) }})
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
