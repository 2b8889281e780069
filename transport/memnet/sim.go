package memnet

import (
	"container/heap"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/gocarp/gocarp/transport"
)

var (
	_ transport.Clock   = (*Sim)(nil)
	_ transport.Settler = (*Sim)(nil)
)

// DefaultHoldTimeout is how long, in real time, a Sim waits for a piece of
// held work (Hold) before it leaves it behind.
const DefaultHoldTimeout = time.Second

// Sim is a deterministic discrete-event simulator: a virtual clock and a
// queue of scheduled functions. Time stands still until RunUntil, RunFor or
// Step moves it, and events run one at a time, in the goroutine that called
// those methods, ordered by time and, for equal times, by the order in which
// they were scheduled.
//
// A Sim is meant to be driven from a single goroutine. Its state is guarded by
// a mutex all the same, so that a stray call to Now or AfterFunc from another
// goroutine is not a data race; events still run only inside RunUntil and
// Step. Calling RunUntil, RunFor or Step from inside an event, or from two
// goroutines at once, panics.
//
// Work that code above hands to other goroutines and declares with Hold (a
// carp.Group's callbacks) is waited for before the next event and before
// RunUntil returns, so it too happens at its virtual time: a test reads
// the callbacks' effects right after RunFor, with nothing to wait for.
type Sim struct {
	// HoldTimeout bounds, in real time, the wait for each held piece of
	// work: one still held then (a callback that hangs) is left behind
	// and not waited for again. DefaultHoldTimeout when zero.
	HoldTimeout time.Duration

	mu      sync.Mutex
	now     time.Time
	seq     uint64
	queue   eventQueue
	running bool
	rng     *rand.Rand
	holds   map[*hold]struct{}
}

// hold is one piece of work a Sim waits for.
type hold struct {
	done      chan struct{}
	abandoned bool // waited for once in vain: not waited for again
}

// Hold implements transport.Settler.
func (s *Sim) Hold() (release func()) {
	h := &hold{done: make(chan struct{})}
	s.mu.Lock()
	if s.holds == nil {
		s.holds = make(map[*hold]struct{})
	}
	s.holds[h] = struct{}{}
	s.mu.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			close(h.done)
			s.mu.Lock()
			delete(s.holds, h)
			s.mu.Unlock()
		})
	}
}

// settle waits for the held work, each piece at most HoldTimeout, until
// none is left that has not been waited for in vain.
func (s *Sim) settle() {
	timeout := s.HoldTimeout
	if timeout <= 0 {
		timeout = DefaultHoldTimeout
	}
	for {
		s.mu.Lock()
		var next *hold
		for h := range s.holds {
			if !h.abandoned {
				next = h
				break
			}
		}
		s.mu.Unlock()
		if next == nil {
			return
		}
		t := time.NewTimer(timeout)
		select {
		case <-next.done:
		case <-t.C:
			s.mu.Lock()
			next.abandoned = true
			s.mu.Unlock()
		}
		t.Stop()
	}
}

// NewSim returns a Sim whose clock reads start and whose random source is
// seeded with seed. The same seed and the same sequence of calls give the same
// run.
func NewSim(seed int64, start time.Time) *Sim {
	s1 := uint64(seed)
	// Derive the second PCG word from the seed so one number fixes the
	// stream; the odd constant keeps it from equalling the first word.
	s2 := splitmix64(s1 ^ 0x9e3779b97f4a7c15)
	return &Sim{now: start, rng: rand.New(rand.NewPCG(s1, s2))}
}

func splitmix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// Now returns the virtual time.
func (s *Sim) Now() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.now
}

// AfterFunc schedules f to run at Now()+d; a negative d counts as zero. f runs
// inside RunUntil or Step, never on its own goroutine. stop cancels f and
// reports whether it was still pending.
func (s *Sim) AfterFunc(d time.Duration, f func()) (stop func() bool) {
	if f == nil {
		panic("memnet: AfterFunc with nil func")
	}
	d = max(d, 0)
	s.mu.Lock()
	defer s.mu.Unlock()
	ev := &event{at: s.now.Add(d), seq: s.seq, f: f}
	s.seq++
	heap.Push(&s.queue, ev)
	return func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		if ev.index < 0 {
			return false
		}
		heap.Remove(&s.queue, ev.index)
		return true
	}
}

// Rand returns the Sim's random source (math/rand/v2 PCG, seeded by NewSim),
// the only randomness memnet uses. Like the rest of a simulation it belongs to
// the goroutine driving the Sim: *rand.Rand is not safe for concurrent use.
func (s *Sim) Rand() *rand.Rand { return s.rng }

// float64 and int64N draw from the Sim's source under its lock, for Send
// calls that may come from any goroutine.
func (s *Sim) float64() float64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.rng.Float64()
}

func (s *Sim) int64N(n int64) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.rng.Int64N(n)
}

// Pending returns the number of scheduled events that have not run yet.
func (s *Sim) Pending() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.queue)
}

// RunUntil runs, in order, every event scheduled at or before t, including
// events scheduled by those events, moving the clock to each event's time;
// then it sets the clock to t. The clock never goes backwards: if t is before
// Now, only events due now run.
func (s *Sim) RunUntil(t time.Time) {
	s.enter()
	defer s.leave()
	for s.runNext(t, true) {
	}
	s.settle()
	s.mu.Lock()
	if t.After(s.now) {
		s.now = t
	}
	s.mu.Unlock()
}

// RunFor runs the simulation for d of virtual time: RunUntil(Now().Add(d)).
func (s *Sim) RunFor(d time.Duration) {
	s.RunUntil(s.Now().Add(d))
}

// Step runs the next event, moving the clock to its time. It reports false,
// and does nothing, if no event is scheduled.
func (s *Sim) Step() bool {
	s.enter()
	defer s.leave()
	return s.runNext(time.Time{}, false)
}

// runNext pops and runs the earliest event, if there is one and (when bounded)
// it is due at or before limit. The lock is released while the event runs so
// that it can schedule, cancel and read the clock.
func (s *Sim) runNext(limit time.Time, bounded bool) bool {
	s.settle()
	s.mu.Lock()
	if len(s.queue) == 0 || (bounded && s.queue[0].at.After(limit)) {
		s.mu.Unlock()
		return false
	}
	ev := heap.Pop(&s.queue).(*event)
	if ev.at.After(s.now) {
		s.now = ev.at
	}
	s.mu.Unlock()
	ev.f()
	return true
}

func (s *Sim) enter() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.running {
		panic("memnet: Sim run from inside an event or from two goroutines")
	}
	s.running = true
}

func (s *Sim) leave() {
	s.mu.Lock()
	s.running = false
	s.mu.Unlock()
}

type event struct {
	at    time.Time
	seq   uint64 // tie-break: equal times run in scheduling order
	f     func()
	index int // position in the heap; -1 once popped or removed
}

type eventQueue []*event

func (q eventQueue) Len() int { return len(q) }

func (q eventQueue) Less(i, j int) bool {
	if !q[i].at.Equal(q[j].at) {
		return q[i].at.Before(q[j].at)
	}
	return q[i].seq < q[j].seq
}

func (q eventQueue) Swap(i, j int) {
	q[i], q[j] = q[j], q[i]
	q[i].index = i
	q[j].index = j
}

func (q *eventQueue) Push(x any) {
	ev := x.(*event)
	ev.index = len(*q)
	*q = append(*q, ev)
}

func (q *eventQueue) Pop() any {
	old := *q
	n := len(old)
	ev := old[n-1]
	old[n-1] = nil
	ev.index = -1
	*q = old[:n-1]
	return ev
}
