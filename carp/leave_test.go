package carp_test

import (
	"context"
	"fmt"
	"net/netip"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gocarp/gocarp/carp"
	"github.com/gocarp/gocarp/election"
	"github.com/gocarp/gocarp/transport"
	"github.com/gocarp/gocarp/transport/memnet"
)

// Make-before-break handover (BowOut, Shutdown of a MASTER): the leaving
// master keeps its VIPs until the new master's first advert. As in
// group_test.go everything runs on a memnet LAN under the Sim's virtual
// clock, so the times below are exact.

// gtWait bounds, in real time, the waits for another goroutine (Shutdown's):
// a correctness bound, not a timing claim.
const gtWait = 10 * time.Second

// shutdownAsync calls Shutdown on its own goroutine, as a program does
// while the test goroutine drives the virtual clock, and returns once the
// group has bowed out (or stopped, for a BACKUP), with Shutdown's result
// to come on the channel.
func (n *gtNode) shutdownAsync(t *testing.T, ctx context.Context) <-chan error {
	t.Helper()
	errc := make(chan error, 1)
	go func() { errc <- n.g.Shutdown(ctx) }()
	require.Eventually(t, func() bool {
		st := n.g.Stats()
		return st.Leaving || st.State == carp.StateStopped
	}, gtWait, time.Millisecond, "Shutdown did not start")
	return errc
}

// gtResult waits for Shutdown's result.
func gtResult(t *testing.T, errc <-chan error) error {
	t.Helper()
	select {
	case err := <-errc:
		return err
	case <-time.After(gtWait):
		t.Fatal("Shutdown did not return")
		return nil
	}
}

// gtPending fails t if Shutdown has returned. A wrong Shutdown that does
// not wait shows here, or in the group's state checked beside it.
func gtPending(t *testing.T, errc <-chan error) {
	t.Helper()
	require.Never(t, func() bool { return len(errc) > 0 }, 50*time.Millisecond, 5*time.Millisecond, "Shutdown returned before the handover completed")
}

// gtLeaveWatch records what a master does for its application: WhileMaster
// runs, announcements, subscribed transitions.
type gtLeaveWatch struct {
	ann    *gtAnnouncer
	master chan context.Context
	events <-chan carp.Transition
}

// leavePair is gtPair with a 1 ms one-way delay on the LAN (so that sending
// and hearing an advert are two instants), an announcer and a WhileMaster
// on a, and a subscription to a's transitions.
func leavePair(t *testing.T, editB func(*carp.Config)) (*gtLAN, *gtNode, *gtNode, *gtLeaveWatch) {
	t.Helper()
	l := newGtLAN(t)
	l.lan.SetImpairment(memnet.Impairment{Delay: time.Millisecond})
	w := &gtLeaveWatch{ann: &gtAnnouncer{sim: l.sim}, master: make(chan context.Context, 4)}
	a := l.node("a", "192.0.2.1", func(c *carp.Config) {
		c.Announcer = w.ann
		c.WhileMaster = func(ctx context.Context, _ carp.Transition) {
			w.master <- ctx
			<-ctx.Done()
		}
	})
	w.events, _ = a.g.Subscribe(16)
	a.start(t)
	b := l.node("b", "192.0.2.2", func(c *carp.Config) {
		c.AdvSkew = 100
		if editB != nil {
			editB(c)
		}
	}).start(t)
	l.runUntil(5500 * time.Millisecond)
	require.Equal(t, carp.StateMaster, a.g.State())
	require.Equal(t, carp.StateBackup, b.g.State())
	return l, a, b, w
}

// firstAdvert returns when b sent its first advert, and when a heard it.
func firstAdvert(t *testing.T, l *gtLAN, from string) (sent, heard time.Duration) {
	t.Helper()
	ads := l.adverts(from)
	require.NotEmpty(t, ads, "%s never advertised", from)
	return ads[0].at, ads[0].at + time.Millisecond
}

// TestGroupBowOutMakeBeforeBreak: after BowOut the master keeps its VIPs,
// its WhileMaster ctx, its MASTER state and sends nothing until the new
// master's first advert reaches it; the transition then carries that
// advert's time and source.
func TestGroupBowOutMakeBeforeBreak(t *testing.T) {
	l, a, b, w := leavePair(t, nil)
	ctx := <-w.master
	announced := len(w.ann.at)
	require.NoError(t, a.g.BowOut())

	st := a.g.Stats()
	require.Equal(t, carp.StateMaster, st.State, "make before break: still MASTER")
	require.True(t, st.Leaving)
	require.Equal(t, netip.MustParseAddr("192.0.2.1"), st.Master)
	bow := l.advertsBetween("a", 5500*time.Millisecond, time.Hour)
	require.Len(t, bow, 1)
	require.Equal(t, uint8(255), bow[0].pkt.Advert.AdvBase)
	require.Equal(t, uint8(255), bow[0].pkt.Advert.AdvSkew)

	// b hears the bow-out 1 ms later and takes over after its stagger.
	l.runUntil(5600 * time.Millisecond)
	sent, heard := firstAdvert(t, l, "b")
	require.Greater(t, sent, 5501*time.Millisecond, "b takes over after its stagger")
	require.Equal(t, carp.StateMaster, b.g.State())

	// Replay from the start to the instant before a hears b: a was MASTER
	// throughout, leaving, with its ctx alive and nothing sent.
	l2, a2, b2, w2 := leavePair(t, nil)
	ctx2 := <-w2.master
	require.NoError(t, a2.g.BowOut())
	l2.runUntil(heard - time.Nanosecond)
	require.Equal(t, carp.StateMaster, b2.g.State(), "b is MASTER already")
	st = a2.g.Stats()
	require.Equal(t, carp.StateMaster, st.State, "a serves until it hears b")
	require.True(t, st.Leaving)
	require.NoError(t, ctx2.Err(), "WhileMaster goes on until the handover completes")
	require.NotContains(t, fmt.Sprint(a2.callbacks(t)), "MASTER->BACKUP", "no OnBackup yet")
	require.Len(t, w2.ann.at, announced, "no announcement while leaving")
	require.Len(t, l2.advertsBetween("a", 5500*time.Millisecond+time.Nanosecond, time.Hour), 0, "nothing after the bow-out")

	// In the first run, a heard b at `heard`: the handover completed then.
	l.runUntil(40 * time.Second)
	st = a.g.Stats()
	require.Equal(t, carp.StateBackup, st.State)
	require.False(t, st.Leaving)
	require.Equal(t, netip.MustParseAddr("192.0.2.2"), st.Master, "b is the master now")
	tr := st.LastTransition
	require.Equal(t, carp.StateMaster, tr.From)
	require.Equal(t, carp.StateBackup, tr.To)
	require.Equal(t, carp.ReasonBowOut, tr.Reason)
	require.Equal(t, gtT0.Add(heard), tr.At, "the transition carries the time it completed")
	require.Equal(t, gtCall(false, carp.StateMaster, carp.StateBackup, carp.ReasonBowOut, heard, 3), a.callbacks(t)[2])
	require.Error(t, ctx.Err(), "WhileMaster's ctx ended with the handover")
	require.Len(t, w.ann.at, announced, "the leaving master announced nothing")
	require.Len(t, l.advertsBetween("a", 5500*time.Millisecond+time.Nanosecond, time.Hour), 0,
		"never another advert from a after its bow-out: never two masters advertising")
	require.Equal(t, carp.StateMaster, b.g.State())
	var got []string
	for len(w.events) > 0 {
		e := <-w.events
		got = append(got, fmt.Sprintf("%s->%s (%s) @%s", e.From, e.To, e.Reason, e.At.Sub(gtT0)))
	}
	require.Equal(t, []string{"INIT->BACKUP (start) @0s", "BACKUP->MASTER (master down) @3s",
		fmt.Sprintf("MASTER->BACKUP (bow out) @%s", heard)}, got)
}

// TestGroupLeavingNotConfused: while leaving, whatever a peer advertises,
// the master sends no advert and no announcement (in MASTER a worse or
// equal advert makes it reassert, a better one makes it send a farewell
// advert). Any advert that is not a bow-out completes the handover: only a
// master advertises. A bow-out advert (another master leaving too) and our
// own advert looped back are no answer.
func TestGroupLeavingNotConfused(t *testing.T) {
	self := netip.MustParseAddr("192.0.2.1")
	// Equal priorities go to ucarp's tie-break, little-endian uint32:
	// as 192.0.2.1 (0x010200c0) we win over 192.0.2.200 (0xc80200c0) and
	// lose to 198.51.100.0 (0x006433c6).
	higher := netip.MustParseAddr("192.0.2.200")
	lower := netip.MustParseAddr("198.51.100.0")
	tests := []struct {
		name     string
		ad       gtCraft
		answered bool
	}{
		{"worse", gtCraft{AdvBase: 1, AdvSkew: 200}, true},
		{"better", gtCraft{AdvBase: 1}, true},
		// Our skew is 10 + a demotion of 50 while leaving.
		{"equal we win", gtCraft{Src: higher, AdvBase: 1, AdvSkew: 60}, true},
		{"equal we lose", gtCraft{Src: lower, AdvBase: 1, AdvSkew: 60}, true},
		{"demoted", gtCraft{AdvBase: 1, Demote: 5}, true},
		{"will time out", gtCraft{AdvBase: 9}, true},
		{"another bow-out", gtCraft{AdvBase: 255, AdvSkew: 255}, false},
		{"our own advert looped back", gtCraft{Src: self, AdvBase: 1, AdvSkew: 10}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := newGtLAN(t)
			ann := &gtAnnouncer{sim: l.sim}
			a := l.node("a", self.String(), func(c *carp.Config) { c.Announcer = ann; c.AdvSkew = 10 }).start(t)
			l.runUntil(3500 * time.Millisecond)
			require.Equal(t, carp.StateMaster, a.g.State())
			require.NoError(t, a.g.BowOut())
			announced := len(ann.at)
			// A demotion, advertised at once by a MASTER, is not while leaving.
			l.runUntil(3550 * time.Millisecond)
			require.NoError(t, a.g.SetDemote(50))
			l.runUntil(3600 * time.Millisecond)
			l.inject(tt.ad.bytes(t))
			l.runUntil(3700 * time.Millisecond)
			st := a.g.Stats()
			require.Len(t, l.advertsBetween("a", 3500*time.Millisecond+time.Nanosecond, time.Hour), 0, "no advert after the bow-out")
			require.Len(t, ann.at, announced, "no announcement while leaving")
			if tt.answered {
				require.Equal(t, carp.StateBackup, st.State)
				require.False(t, st.Leaving)
				require.Equal(t, carp.ReasonBowOut, st.LastTransition.Reason)
				require.Equal(t, gtT0.Add(3600*time.Millisecond), st.LastTransition.At)
				require.Equal(t, tt.ad.srcOr(gtPeer), st.Master)
				return
			}
			require.Equal(t, carp.StateMaster, st.State)
			require.True(t, st.Leaving)
			require.Equal(t, uint64(2), st.Transitions, "nothing reported")
		})
	}
}

func (c gtCraft) srcOr(def netip.Addr) netip.Addr {
	if c.Src.IsValid() {
		return c.Src
	}
	return def
}

// TestGroupBowOutNoAnswer: with nobody to take over, the leave ends at the
// bound, the master-down interval after the bow-out (3 s here): the group,
// MASTER all along, re-announces and advertises again; no transition is
// reported, since none happened, and WhileMaster goes on.
func TestGroupBowOutNoAnswer(t *testing.T) {
	l := newGtLAN(t)
	ann := &gtAnnouncer{sim: l.sim}
	ctxs := make(chan context.Context, 4)
	n := l.node("a", "192.0.2.1", func(c *carp.Config) {
		c.Announcer = ann
		c.WhileMaster = func(ctx context.Context, _ carp.Transition) { ctxs <- ctx; <-ctx.Done() }
	}).start(t)
	l.runUntil(3500 * time.Millisecond)
	require.NoError(t, n.g.BowOut())
	require.NoError(t, n.g.BowOut(), "BowOut while leaving is no error")
	announced := len(ann.at)

	l.runUntil(6500*time.Millisecond - time.Nanosecond)
	st := n.g.Stats()
	require.Equal(t, carp.StateMaster, st.State)
	require.True(t, st.Leaving)
	require.Len(t, l.advertsBetween("a", 3500*time.Millisecond, time.Hour), 1, "the bow-out advert alone")

	l.runUntil(6500 * time.Millisecond)
	st = n.g.Stats()
	require.Equal(t, carp.StateMaster, st.State)
	require.False(t, st.Leaving)
	ads := l.advertsBetween("a", 3500*time.Millisecond+time.Nanosecond, time.Hour)
	require.Len(t, ads, 1)
	require.Equal(t, 6500*time.Millisecond, ads[0].at)
	require.Equal(t, uint8(1), ads[0].pkt.Advert.AdvBase, "a normal advert again")
	require.Equal(t, []time.Duration{6500 * time.Millisecond}, ann.at[announced:], "re-announced")
	require.Equal(t, uint64(2), st.Transitions, "no transition: it never stopped being MASTER")
	l.runUntil(10 * time.Second)
	require.Len(t, l.advertsBetween("a", 6500*time.Millisecond, 10*time.Second), 4, "advertising every second")
	ctx := <-ctxs
	require.NoError(t, ctx.Err(), "WhileMaster never ended")
	require.Empty(t, ctxs, "and never ran again")
}

// TestGroupShutdownWaitsForNewMaster: Shutdown of a MASTER bows out and
// returns only once the new master's advert has come; the transport stays
// open until then, and the group reports MASTER → BACKUP (bow out) at that
// time, then STOPPED.
func TestGroupShutdownWaitsForNewMaster(t *testing.T) {
	l, a, b, w := leavePair(t, nil)
	errc := a.shutdownAsync(t, context.Background())
	require.Equal(t, carp.StateMaster, a.g.State())
	l.runUntil(5600 * time.Millisecond)
	_, heard := firstAdvert(t, l, "b")

	l2, a2, _, _ := leavePair(t, nil)
	errc2 := a2.shutdownAsync(t, context.Background())
	l2.runUntil(heard - time.Nanosecond)
	gtPending(t, errc2)
	require.Equal(t, carp.StateMaster, a2.g.State())
	require.NoError(t, a2.port.Send([]byte{0x45}), "the transport is open while leaving")
	l2.runUntil(heard)
	require.NoError(t, gtResult(t, errc2))

	require.NoError(t, gtResult(t, errc))
	st := a.g.Stats()
	require.Equal(t, carp.StateStopped, st.State)
	require.Equal(t, gtT0.Add(heard), st.LastTransition.At, "stopped in the step that completed the handover")
	require.ErrorIs(t, a.port.Send([]byte{0x45}), transport.ErrClosed)
	calls := a.rec.snapshot() // Shutdown waited for them
	require.Len(t, calls, 3)
	require.Equal(t, gtCall(false, carp.StateMaster, carp.StateBackup, carp.ReasonBowOut, heard, 3), calls[2])
	var got []string
	for e := range w.events {
		got = append(got, fmt.Sprintf("%s->%s (%s)", e.From, e.To, e.Reason))
	}
	require.Equal(t, []string{"INIT->BACKUP (start)", "BACKUP->MASTER (master down)", "MASTER->BACKUP (bow out)", "BACKUP->STOPPED (stopped)"}, got)
	require.Len(t, l.advertsBetween("a", 5500*time.Millisecond, time.Hour), 1, "the bow-out advert alone")
	l.runUntil(time.Minute)
	require.Equal(t, carp.StateMaster, b.g.State())
}

// TestGroupShutdownNoAnswer: with nobody to answer, Shutdown returns at the
// bound, having given the VIPs up (MASTER → BACKUP, no takeover) without
// sending anything more; also when it follows a BowOut, which then does
// not come back.
func TestGroupShutdownNoAnswer(t *testing.T) {
	for _, bowOutFirst := range []bool{false, true} {
		t.Run(fmt.Sprintf("bowout-first=%v", bowOutFirst), func(t *testing.T) {
			l := newGtLAN(t)
			n := l.node("a", "192.0.2.1", nil).start(t)
			l.runUntil(3500 * time.Millisecond)
			if bowOutFirst {
				require.NoError(t, n.g.BowOut())
				l.runUntil(4 * time.Second)
			}
			errc := n.shutdownAsync(t, context.Background())
			l.runUntil(6500*time.Millisecond - time.Nanosecond)
			gtPending(t, errc)
			require.Equal(t, carp.StateMaster, n.g.State())
			l.runUntil(6500 * time.Millisecond)
			require.NoError(t, gtResult(t, errc))
			require.Equal(t, []string{
				gtCall(false, carp.StateInit, carp.StateBackup, election.ReasonStart, 0, 1),
				gtCall(true, carp.StateBackup, carp.StateMaster, election.ReasonMasterDown, 3*time.Second, 2),
				gtCall(false, carp.StateMaster, carp.StateBackup, carp.ReasonNoTakeover, 6500*time.Millisecond, 3),
			}, n.rec.snapshot())
			require.Equal(t, carp.StateStopped, n.g.State())
			l.runUntil(time.Minute)
			require.Len(t, l.advertsBetween("a", 3500*time.Millisecond, time.Hour), 1, "the bow-out advert alone")
		})
	}
}

// TestGroupShutdownCtx: a Shutdown whose ctx ends while leaving stops the
// group at once, as Close does (MASTER → STOPPED, stopped), and returns
// ctx's error; a Close meanwhile releases a waiting Shutdown too.
func TestGroupShutdownCtx(t *testing.T) {
	t.Run("ctx ends", func(t *testing.T) {
		l := newGtLAN(t)
		n := l.node("a", "192.0.2.1", nil).start(t)
		l.runUntil(3500 * time.Millisecond)
		ctx, cancel := context.WithCancel(context.Background())
		errc := n.shutdownAsync(t, ctx)
		gtPending(t, errc)
		cancel()
		require.ErrorIs(t, gtResult(t, errc), context.Canceled)
		st := n.g.Stats()
		require.Equal(t, carp.StateStopped, st.State)
		require.Equal(t, carp.StateMaster, st.LastTransition.From)
		require.Equal(t, carp.ReasonStopped, st.LastTransition.Reason)
		require.ErrorIs(t, n.port.Send([]byte{0x45}), transport.ErrClosed)
		l.runUntil(time.Minute)
		require.Len(t, l.advertsBetween("a", 3500*time.Millisecond, time.Hour), 1, "the bow-out advert alone")
	})
	t.Run("Close meanwhile", func(t *testing.T) {
		l := newGtLAN(t)
		n := l.node("a", "192.0.2.1", nil).start(t)
		l.runUntil(3500 * time.Millisecond)
		errc := n.shutdownAsync(t, context.Background())
		require.NoError(t, n.g.Close(), "Close stays immediate")
		require.NoError(t, gtResult(t, errc))
		require.Equal(t, carp.StateStopped, n.g.State())
		require.Equal(t, carp.ReasonStopped, n.g.Stats().LastTransition.Reason)
	})
}

// TestGroupLeavingLinkDown: a carrier loss while leaving ends the leave
// (MASTER → INIT) and releases Shutdown.
func TestGroupLeavingLinkDown(t *testing.T) {
	l := newGtLAN(t)
	n := l.node("a", "192.0.2.1", nil).start(t)
	l.runUntil(3500 * time.Millisecond)
	errc := n.shutdownAsync(t, context.Background())
	require.NoError(t, n.g.SetLink(false))
	require.NoError(t, gtResult(t, errc))
	calls := n.rec.snapshot()
	require.Equal(t, gtCall(false, carp.StateMaster, carp.StateInit, carp.ReasonLinkDown, 3500*time.Millisecond, 3), calls[len(calls)-1])
	require.Equal(t, carp.StateStopped, n.g.State())
}
