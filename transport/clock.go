package transport

import (
	"sync"
	"time"
)

// Clock is the time source everything above the codec uses, so that the same
// code runs against the real clock and a virtual one (memnet.Sim).
type Clock interface {
	// Now returns the current time.
	Now() time.Time
	// AfterFunc calls f once, d from now, on a goroutine of the clock's
	// choosing (its own goroutine for SystemClock, the simulation goroutine
	// for a virtual clock). stop cancels the call; it reports whether the
	// call was still pending, as time.Timer.Stop does.
	AfterFunc(d time.Duration, f func()) (stop func() bool)
}

// SystemClock is the real clock: time.Now and time.AfterFunc. It is also a
// TimerClock.
var SystemClock Clock = systemClock{}

var _ TimerClock = systemClock{}

type systemClock struct{}

func (systemClock) Now() time.Time { return time.Now() }

func (systemClock) AfterFunc(d time.Duration, f func()) func() bool {
	return time.AfterFunc(d, f).Stop
}

// TimerClock is an optional add-on interface of a Clock whose timers can
// be re-armed without allocating: a group re-arms its timer on every
// advert it hears, and with many groups that is the hot path.
type TimerClock interface {
	Clock
	// NewTimer returns a stopped timer that calls f, on a goroutine of the
	// clock's choosing, each time it expires. f must not block: the
	// clock may run other timers' functions after it on the same
	// goroutine.
	NewTimer(f func()) Timer
}

// Timer is a re-armable timer made by TimerClock.NewTimer.
type Timer interface {
	// Reset arms the timer to fire d from now, replacing any pending
	// expiry.
	Reset(d time.Duration)
	// Stop disarms the timer; it reports whether an expiry was pending. A
	// call of f already under way is not waited for.
	Stop() bool
}

// NewTimer returns a timer of the process-wide scheduler: every timer
// made here shares one runtime timer, and the functions of the timers
// that expire together run one after the other on one goroutine. With
// hundreds of groups whose adverts fall due in the same instant, that is
// one goroutine instead of hundreds, and their stacks.
func (systemClock) NewTimer(f func()) Timer { return sysScheduler.newTimer(f) }

var sysScheduler = &scheduler{}

// scheduler keeps timers in a min-heap by deadline and arms one runtime
// timer for the earliest.
type scheduler struct {
	mu      sync.Mutex
	heap    []*schedTimer
	wake    *time.Timer // fires run; nil until the first timer is armed
	wakeAt  time.Time   // what wake is armed for; zero when stopped
	due     []*schedTimer
	running bool // run is calling functions; due is in use
}

type schedTimer struct {
	s     *scheduler
	f     func()
	when  time.Time
	index int // in s.heap; -1 when not armed
}

func (s *scheduler) newTimer(f func()) *schedTimer {
	return &schedTimer{s: s, f: f, index: -1}
}

func (t *schedTimer) Reset(d time.Duration) {
	s := t.s
	s.mu.Lock()
	defer s.mu.Unlock()
	t.when = time.Now().Add(d)
	if t.index >= 0 {
		s.fix(t.index)
	} else {
		t.index = len(s.heap)
		s.heap = append(s.heap, t)
		s.up(t.index)
	}
	s.rearm()
}

func (t *schedTimer) Stop() bool {
	s := t.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if t.index < 0 {
		return false
	}
	s.remove(t.index)
	s.rearm()
	return true
}

// rearm points the runtime timer at the earliest deadline; s.mu is held.
func (s *scheduler) rearm() {
	if len(s.heap) == 0 {
		if s.wake != nil && !s.wakeAt.IsZero() {
			s.wake.Stop()
			s.wakeAt = time.Time{}
		}
		return
	}
	next := s.heap[0].when
	if next.Equal(s.wakeAt) {
		return
	}
	s.wakeAt = next
	d := time.Until(next)
	if s.wake == nil {
		s.wake = time.AfterFunc(d, s.run)
	} else {
		s.wake.Reset(d)
	}
}

// run calls the functions of every timer that is due, in deadline order.
func (s *scheduler) run() {
	s.mu.Lock()
	s.wakeAt = time.Time{}
	now := time.Now()
	due := s.due[:0]
	if s.running {
		due = nil // another run is using s.due
	}
	for len(s.heap) > 0 && !s.heap[0].when.After(now) {
		t := s.heap[0]
		s.remove(0)
		due = append(due, t)
	}
	s.rearm()
	own := !s.running
	s.running = true
	s.mu.Unlock()
	for i, t := range due {
		t.f()
		due[i] = nil
	}
	s.mu.Lock()
	if own {
		s.due = due[:0]
		s.running = false
	}
	s.mu.Unlock()
}

// The heap, by deadline (container/heap's algorithms, without its
// interface boxing).

func (s *scheduler) less(i, j int) bool { return s.heap[i].when.Before(s.heap[j].when) }

func (s *scheduler) swap(i, j int) {
	s.heap[i], s.heap[j] = s.heap[j], s.heap[i]
	s.heap[i].index, s.heap[j].index = i, j
}

func (s *scheduler) up(j int) {
	for {
		i := (j - 1) / 2
		if i == j || !s.less(j, i) {
			break
		}
		s.swap(i, j)
		j = i
	}
}

func (s *scheduler) down(i0, n int) bool {
	i := i0
	for {
		j1 := 2*i + 1
		if j1 >= n || j1 < 0 {
			break
		}
		j := j1
		if j2 := j1 + 1; j2 < n && s.less(j2, j1) {
			j = j2
		}
		if !s.less(j, i) {
			break
		}
		s.swap(i, j)
		i = j
	}
	return i > i0
}

func (s *scheduler) fix(i int) {
	if !s.down(i, len(s.heap)) {
		s.up(i)
	}
}

func (s *scheduler) remove(i int) {
	n := len(s.heap) - 1
	t := s.heap[i]
	if n != i {
		s.swap(i, n)
		if !s.down(i, n) {
			s.up(i)
		}
	}
	s.heap[n] = nil
	s.heap = s.heap[:n]
	t.index = -1
}

// Settler is an optional add-on interface of a virtual Clock: one that
// waits, before it moves time on, for the work that code above it has
// handed to other goroutines (a group's callbacks), so that what the work
// does happens at the virtual time it belongs to and a simulation is the
// same on every run. memnet.Sim is one.
type Settler interface {
	// Hold tells the clock that work is under way; the clock waits for
	// release before its next event (within a bound of its choosing, so
	// that work that hangs does not hang the simulation). release may be
	// called more than once.
	Hold() (release func())
}
