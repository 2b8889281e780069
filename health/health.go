// Package health runs health checks: a function called every interval,
// whose results turn into a state (up after Rise successes in a row, down
// after Fall failures in a row) that a group turns into demotion.
//
// A check never blocks its caller or the protocol: each run goes on a
// goroutine of its own, with a context that ends at the timeout. A run
// still going at its timeout counts as a failure at once; no new run starts
// until it returns, and every interval it is still going counts as one more
// failure, so a check that hangs (and ignores its context) still falls.
//
// Time comes from a transport.Clock, so a check under a virtual clock
// (memnet.Sim) is as deterministic as the groups it demotes: the clock
// waits (transport.Settler) for a run to report before it moves on.
package health

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/gocarp/gocarp/transport"
)

// Defaults of a Check's zero fields.
const (
	DefaultInterval = time.Second
	DefaultRise     = 1
	DefaultFall     = 1
	// DefaultDemote is what a check that is down adds to its groups'
	// demotion: the most skew demotion advertises (FreeBSD's cap).
	DefaultDemote = 240
)

// Check is one health check. The zero values of its fields mean the
// documented defaults.
type Check struct {
	// Name names the check in logs, status and demotion sources.
	Name string
	// Func is the check: nil error is a success. Its ctx ends at Timeout;
	// a Func should return then.
	Func func(ctx context.Context) error
	// Interval is the time from the start of one run to the next;
	// DefaultInterval when zero.
	Interval time.Duration
	// Timeout bounds a run; Interval when zero.
	Timeout time.Duration
	// Rise is how many successes in a row make a down check up, Fall how
	// many failures make an up check down; DefaultRise and DefaultFall
	// when zero.
	Rise, Fall int
	// Demote is what the check adds to its groups' demotion while down;
	// DefaultDemote when zero.
	Demote uint8
	// StartUp starts the check up rather than down: it then demotes only
	// after Fall failures. For a check added to a running system (carpd's
	// reload), which must not move a VIP before it has failed.
	StartUp bool
}

// Validate reports what is wrong with c, naming the field.
func (c Check) Validate() error {
	switch {
	case c.Name == "":
		return errors.New("health: Check.Name is empty")
	case c.Func == nil:
		return fmt.Errorf("health: check %q: Func is nil", c.Name)
	case c.Interval < 0:
		return fmt.Errorf("health: check %q: Interval must not be negative, got %v", c.Name, c.Interval)
	case c.Timeout < 0:
		return fmt.Errorf("health: check %q: Timeout must not be negative, got %v", c.Name, c.Timeout)
	case c.Rise < 0:
		return fmt.Errorf("health: check %q: Rise must not be negative, got %d", c.Name, c.Rise)
	case c.Fall < 0:
		return fmt.Errorf("health: check %q: Fall must not be negative, got %d", c.Name, c.Fall)
	}
	return nil
}

// withDefaults returns c with its zero fields set.
func (c Check) withDefaults() Check {
	if c.Interval == 0 {
		c.Interval = DefaultInterval
	}
	if c.Timeout == 0 {
		c.Timeout = c.Interval
	}
	if c.Rise == 0 {
		c.Rise = DefaultRise
	}
	if c.Fall == 0 {
		c.Fall = DefaultFall
	}
	if c.Demote == 0 {
		c.Demote = DefaultDemote
	}
	return c
}

// Status is a snapshot of a running check.
type Status struct {
	Name string
	// Up is the state after rise/fall. A check starts down (unless
	// StartUp), so that a node does not count as healthy before its first
	// successes.
	Up bool
	// Since is when Up last changed, or when the check started.
	Since time.Time
	// Runs counts the runs started, Failures the failed ones (a run past
	// its timeout, and each interval it is still going, is one).
	Runs, Failures uint64
	// LastError is why the last failure failed; "" after a success.
	LastError string
	// Demote is what the check adds to the demotion while down.
	Demote uint8
}

// Change is a check's state change, as OnChange gets it.
type Change struct {
	Check string
	Up    bool
	At    time.Time
	// Err is the last failure when the check goes down.
	Err error
	// Demote is the check's Demote: what to add while down.
	Demote uint8
}

// Monitor runs one check until Stop.
type Monitor struct {
	c        Check
	clock    transport.Clock
	onChange func(Change)

	notifyMu sync.Mutex // held while onChange runs: calls do not overlap

	mu       sync.Mutex
	queue    []Change // changes not yet given to onChange, in order
	st       Status
	streak   int // successes (> 0) or failures (< 0) in a row
	running  bool
	runGen   uint64 // the run under way; a report of another is stale
	counted  bool   // the run under way has been counted as failed
	stopped  bool
	stopTick func() bool
	stopTime func() bool
	cancel   context.CancelFunc
	release  func()
}

// ErrTimeout is the failure of a run still going at its timeout.
var ErrTimeout = errors.New("timed out")

// Start validates c and runs it: the first run at once, then every
// Interval. onChange (may be nil) is called, from the check's goroutines
// and never with a lock of the Monitor held, each time the state changes;
// calls do not overlap. The check starts down (up with StartUp): onChange
// is not called for that.
func Start(c Check, clock transport.Clock, onChange func(Change)) (*Monitor, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	if clock == nil {
		clock = transport.SystemClock
	}
	c = c.withDefaults()
	m := &Monitor{c: c, clock: clock, onChange: onChange}
	m.st = Status{Name: c.Name, Up: c.StartUp, Since: clock.Now(), Demote: c.Demote}
	m.mu.Lock()
	m.tick()
	m.mu.Unlock()
	return m, nil
}

// Check returns the check with its defaults applied.
func (m *Monitor) Check() Check { return m.c }

// Status returns a snapshot.
func (m *Monitor) Status() Status {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.st
}

// Stop ends the check: no run starts after it, the run under way has its
// ctx cancelled, and onChange is not called again once Stop returns
// (except by a call already under way).
func (m *Monitor) Stop() {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.stopped {
		return
	}
	m.stopped = true
	if m.stopTick != nil {
		m.stopTick()
	}
	if m.stopTime != nil {
		m.stopTime()
	}
	if m.cancel != nil {
		m.cancel()
	}
	if m.release != nil {
		m.release()
	}
}

// tick starts a run (or counts the one still going as a failure) and
// schedules the next; m.mu is held.
func (m *Monitor) tick() {
	if m.stopped {
		return
	}
	m.stopTick = m.clock.AfterFunc(m.c.Interval, m.onTick)
	if m.running {
		if m.counted {
			// Still going past its timeout (a failure then) and an
			// interval more: one more failure.
			m.failLocked(fmt.Errorf("%w after %v, and still running", ErrTimeout, m.c.Timeout))
		}
		return
	}
	m.running, m.counted = true, false
	m.runGen++
	m.st.Runs++
	gen := m.runGen
	ctx, cancel := context.WithCancel(context.Background())
	m.cancel = cancel
	if s, ok := m.clock.(transport.Settler); ok {
		m.release = s.Hold()
	}
	m.stopTime = m.clock.AfterFunc(m.c.Timeout, func() { m.onTimeout(gen) })
	go func() {
		err := m.c.Func(ctx)
		cancel()
		m.report(gen, err)
	}()
}

func (m *Monitor) onTick() {
	m.mu.Lock()
	m.tick()
	m.mu.Unlock()
	m.notify()
}

// onTimeout cancels the run gen if it is still going and counts it as a
// failure.
func (m *Monitor) onTimeout(gen uint64) {
	m.mu.Lock()
	if m.stopped || !m.running || gen != m.runGen || m.counted {
		m.mu.Unlock()
		return
	}
	m.counted = true
	// Cancelled, a run that honours its ctx returns at once. A virtual
	// clock waits for it again (a bounded wait, Settler: it gave up on the
	// run to get here), so that the next run starts on time.
	m.cancel()
	if s, ok := m.clock.(transport.Settler); ok {
		if m.release != nil {
			m.release()
		}
		m.release = s.Hold()
	}
	m.failLocked(fmt.Errorf("%w after %v", ErrTimeout, m.c.Timeout))
	m.mu.Unlock()
	m.notify()
}

// report takes the result of run gen.
func (m *Monitor) report(gen uint64, err error) {
	m.mu.Lock()
	if m.stopped || gen != m.runGen {
		m.mu.Unlock()
		return
	}
	m.running = false
	if m.stopTime != nil {
		m.stopTime()
	}
	release := m.release
	m.release = nil
	if !m.counted {
		if err == nil {
			m.succeedLocked()
		} else {
			m.failLocked(err)
		}
	}
	m.mu.Unlock()
	m.notify()
	// Released after the change is reported, so that a virtual clock
	// moves on only once the groups have their demotion.
	if release != nil {
		release()
	}
}

func (m *Monitor) succeedLocked() {
	m.st.LastError = ""
	if m.streak < 0 {
		m.streak = 0
	}
	m.streak++
	if !m.st.Up && m.streak >= m.c.Rise {
		m.st.Up, m.st.Since = true, m.clock.Now()
		m.queue = append(m.queue, Change{Check: m.c.Name, Up: true, At: m.st.Since, Demote: m.c.Demote})
	}
}

func (m *Monitor) failLocked(err error) {
	m.st.Failures++
	m.st.LastError = err.Error()
	if m.streak > 0 {
		m.streak = 0
	}
	m.streak--
	if m.st.Up && -m.streak >= m.c.Fall {
		m.st.Up, m.st.Since = false, m.clock.Now()
		m.queue = append(m.queue, Change{Check: m.c.Name, Up: false, At: m.st.Since, Err: err, Demote: m.c.Demote})
	}
}

// notify gives the queued changes to onChange, in order, one at a time.
func (m *Monitor) notify() {
	m.notifyMu.Lock()
	defer m.notifyMu.Unlock()
	for {
		m.mu.Lock()
		if m.stopped || len(m.queue) == 0 {
			m.queue = nil
			m.mu.Unlock()
			return
		}
		ch := m.queue[0]
		m.queue = m.queue[1:]
		m.mu.Unlock()
		if m.onChange != nil {
			m.onChange(ch)
		}
	}
}
