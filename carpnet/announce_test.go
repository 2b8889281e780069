package carpnet

import (
	"errors"
	"net/netip"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

type recAnnouncer struct {
	calls [][]netip.Addr
	err   error
}

func (r *recAnnouncer) Announce(vips []netip.Addr) error {
	r.calls = append(r.calls, append([]netip.Addr(nil), vips...))
	return r.err
}

// fakeWait is a waitingAnnouncer over fakes: addresses usable or not, a
// MASTER flag, and timers that fire when the test says.
type fakeWait struct {
	*waitingAnnouncer
	next   *recAnnouncer
	usable map[netip.Addr]bool // nil: not known yet
	master bool
	timers []func()
	waited []time.Duration
	fails  []error
}

func newFakeWait() *fakeWait {
	f := &fakeWait{next: &recAnnouncer{}, master: true}
	f.waitingAnnouncer = &waitingAnnouncer{
		next: f.next,
		usable: func(v netip.Addr) (bool, bool) {
			if f.usable == nil {
				return false, false
			}
			return f.usable[v], true
		},
		master: func() bool { return f.master },
		after: func(d time.Duration, fn func()) {
			f.waited = append(f.waited, d)
			f.timers = append(f.timers, fn)
		},
		wait:   AnnounceWait,
		failed: func(err error) { f.fails = append(f.fails, err) },
	}
	return f
}

func (f *fakeWait) fire() {
	ts := f.timers
	f.timers = nil
	for _, fn := range ts {
		fn()
	}
}

var (
	vipA = netip.MustParseAddr("198.51.100.100")
	vipB = netip.MustParseAddr("2001:db8::100")
)

func TestWaitingAnnouncer(t *testing.T) {
	both := []netip.Addr{vipA, vipB}

	t.Run("addresses not known yet: at once", func(t *testing.T) {
		f := newFakeWait()
		require.NoError(t, f.Announce(both))
		require.Equal(t, [][]netip.Addr{both}, f.next.calls)
		require.Empty(t, f.timers)
	})
	t.Run("usable: at once", func(t *testing.T) {
		f := newFakeWait()
		f.usable = map[netip.Addr]bool{vipA: true, vipB: true}
		require.NoError(t, f.Announce(both))
		require.Equal(t, [][]netip.Addr{both}, f.next.calls)
		require.Empty(t, f.timers)
	})
	t.Run("absent: not before it is usable", func(t *testing.T) {
		f := newFakeWait()
		f.usable = map[netip.Addr]bool{vipB: true}
		require.NoError(t, f.Announce(both))
		require.Equal(t, [][]netip.Addr{{vipB}}, f.next.calls, "the usable one only")
		require.Equal(t, []time.Duration{AnnounceWait}, f.waited)
		// The address watch announced vipA when it appeared: the
		// fallback has nothing left to do.
		f.usable[vipA] = true
		f.fire()
		require.Len(t, f.next.calls, 1)
	})
	t.Run("never appears: after the wait", func(t *testing.T) {
		f := newFakeWait()
		f.usable = map[netip.Addr]bool{vipA: false} // in duplicate address detection
		require.NoError(t, f.Announce(both))
		require.Empty(t, f.next.calls)
		f.fire()
		require.Equal(t, [][]netip.Addr{both}, f.next.calls)
	})
	t.Run("no longer MASTER at the fallback", func(t *testing.T) {
		f := newFakeWait()
		f.usable = map[netip.Addr]bool{}
		require.NoError(t, f.Announce(both))
		f.master = false
		f.fire()
		require.Empty(t, f.next.calls)
	})
	t.Run("errors", func(t *testing.T) {
		f := newFakeWait()
		f.next.err = errors.New("no socket")
		f.usable = map[netip.Addr]bool{vipA: true}
		require.ErrorIs(t, f.Announce(both), f.next.err, "what is announced at once says its error")
		f.fire()
		require.Equal(t, []error{f.next.err}, f.fails, "the fallback logs its error")
	})
}
