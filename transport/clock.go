package transport

import "time"

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
	// clock's choosing, each time it expires.
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

func (systemClock) NewTimer(f func()) Timer {
	t := time.AfterFunc(time.Hour, f)
	t.Stop()
	return sysTimer{t}
}

type sysTimer struct{ t *time.Timer }

func (s sysTimer) Reset(d time.Duration) { s.t.Reset(d) }
func (s sysTimer) Stop() bool            { return s.t.Stop() }
