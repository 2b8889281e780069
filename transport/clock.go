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

// SystemClock is the real clock: time.Now and time.AfterFunc.
var SystemClock Clock = systemClock{}

type systemClock struct{}

func (systemClock) Now() time.Time { return time.Now() }

func (systemClock) AfterFunc(d time.Duration, f func()) func() bool {
	return time.AfterFunc(d, f).Stop
}
