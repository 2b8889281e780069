package election_test

import (
	"errors"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/gocarp/gocarp/election"
	"github.com/stretchr/testify/require"
)

const (
	I = election.Init
	B = election.Backup
	M = election.Master
)

func TestNewValidation(t *testing.T) {
	self := ip("198.51.100.1")
	tests := []struct {
		name string
		cfg  election.Config
		err  error
	}{
		{"zero interval", election.Config{Self: self}, election.ErrZeroInterval},
		{"skew 255 base 255", election.Config{AdvBase: 255, AdvSkew: 255, Self: self}, election.ErrAdvSkew},
		{"no self", election.Config{AdvBase: 1}, election.ErrNoSelf},
		{"deadratio", election.Config{AdvBase: 1, DeadRatio: 1 << 20, Self: self}, election.ErrDeadRatio},
		{"tie-break", election.Config{AdvBase: 1, TieBreak: 9, Self: self}, election.ErrTieBreak},
		{"demotion", election.Config{AdvBase: 1, Demotion: 9, Self: self}, election.ErrDemotion},
		{"advbase 0 with skew", election.Config{AdvSkew: 1, Self: self}, nil},
		{"skew 254", election.Config{AdvBase: 1, AdvSkew: 254, Self: self}, nil},
		{"ipv6 self", election.Config{AdvBase: 1, Self: ip("fe80::1")}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := election.New(tt.cfg)
			if tt.err != nil {
				require.ErrorIs(t, err, tt.err)
				require.Nil(t, m)
				require.True(t, strings.HasPrefix(err.Error(), "election: "))
				return
			}
			require.NoError(t, err)
			require.Equal(t, election.Init, m.State())
			require.True(t, m.Deadline().IsZero())
			require.Zero(t, m.Demote())
		})
	}
	// All sentinels are distinct.
	errs := []error{election.ErrZeroInterval, election.ErrAdvSkew, election.ErrNoSelf, election.ErrDeadRatio, election.ErrTieBreak, election.ErrDemotion}
	for i, a := range errs {
		for j, b := range errs {
			require.Equal(t, i == j, errors.Is(a, b), "%v vs %v", a, b)
		}
	}
}

func TestTimers(t *testing.T) {
	tests := []struct {
		name            string
		base, skew      uint8
		ratio           uint
		interval, mdown time.Duration
	}{
		{"ucarp default", 1, 0, 0, time.Second, 3 * time.Second},
		{"skew 100", 1, 100, 3, us(1_390_625), us(3_390_625)},
		// v2_maxpass: -b 2 -k 37 -r 1; 37e6/256 = 144531.25 → 144531 µs.
		{"v2_maxpass", 2, 37, 1, us(2_144_531), us(2_144_531)},
		// v3_mcast: -b 1 -k 255 is rejected here, 254 is the maximum.
		{"skew 254", 1, 254, 3, us(1_992_187), us(3_992_187)},
		// advbase 0: 26e6/256 = 101562 µs; master-down deadratio × that.
		{"advbase 0", 0, 26, 0, us(101_562), us(3 * 101_562)},
		{"advbase 0 ratio 5", 0, 26, 5, us(101_562), us(5 * 101_562)},
		{"advbase 0 skew 1", 0, 1, 3, us(3_906), us(11_718)},
		{"max", 255, 254, 3, 255*time.Second + us(992_187), 765*time.Second + us(992_187)},
		{"deadratio 1", 5, 0, 1, 5 * time.Second, 5 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := newMachine(t, election.Config{AdvBase: tt.base, AdvSkew: tt.skew, DeadRatio: tt.ratio, Self: ip("198.51.100.1")})
			require.Equal(t, tt.interval, m.Interval())
			require.Equal(t, tt.mdown, m.MasterDown())

			// The deadlines follow the figures: start, take over, advertise.
			require.Equal(t, []election.Action{tr(I, B, election.ReasonStart)}, step(m, t0, ev(election.EventStart)))
			require.Equal(t, t0.Add(tt.mdown), m.Deadline())
			at, acts := fire(t, m)
			require.Equal(t, M, m.State(), "%v", acts)
			for i := 0; i < 3; i++ {
				require.Equal(t, at.Add(tt.interval), m.Deadline())
				var acts []election.Action
				at, acts = fire(t, m)
				require.Equal(t, ad(tt.base, tt.skew, 0, election.ReasonAdvertTimer), acts[0])
			}
		})
	}
}

// A late timer (a busy host) does not slow the advert rate: the next
// advert is due an interval after the previous one was due. After a stall
// longer than an interval the machine sends one advert and restarts its
// schedule from then, with no burst of catch-up adverts.
func TestAdvertScheduleLateTimer(t *testing.T) {
	m := newMachine(t, election.Config{AdvSkew: 26, Self: ip("198.51.100.1")}) // 101.562 ms
	step(m, t0, ev(election.EventStart))
	at, _ := fire(t, m)
	require.Equal(t, M, m.State())
	iv := m.Interval()
	due := at.Add(iv)
	for i := 0; i < 100; i++ {
		require.Equal(t, due, m.Deadline(), "advert %d", i)
		acts := step(m, due.Add(2*time.Millisecond), ev(election.EventTimeout)) // 2 ms late each time
		require.Equal(t, ad(0, 26, 0, election.ReasonAdvertTimer), acts[0])
		due = due.Add(iv)
	}
	// A stall of three intervals: one advert, then every interval from it.
	late := m.Deadline().Add(3 * iv)
	require.Equal(t, []election.Action{ad(0, 26, 0, election.ReasonAdvertTimer)}, step(m, late, ev(election.EventTimeout)))
	require.Equal(t, late.Add(iv), m.Deadline())
	require.Nil(t, step(m, late.Add(iv/2), ev(election.EventTimeout)), "no catch-up advert")
}

func TestPreemption(t *testing.T) {
	// s1_preempt / counter_wrap: a better backup with -P takes over from a
	// worse master at its first advert; s2a_nopreempt: without -P it stays.
	for _, preempt := range []bool{false, true} {
		m := newMachine(t, election.Config{AdvBase: 1, AdvSkew: 0, Preempt: preempt, Self: ip("198.51.100.2")})
		step(m, t0, ev(election.EventStart))
		for i := 1; i <= 10; i++ {
			now := t0.Add(time.Duration(i) * us(1_390_625))
			acts := step(m, now, peer("198.51.100.1", 1, 100, 0))
			if preempt {
				require.Equal(t, []election.Action{
					tr(B, M, election.ReasonPreempt), garp(election.ReasonPreempt), ad(1, 0, 0, election.ReasonPreempt),
				}, acts)
				require.Equal(t, now.Add(time.Second), m.Deadline())
				break
			}
			require.Nil(t, acts)
			require.Equal(t, B, m.State())
			require.Equal(t, now.Add(3*time.Second), m.Deadline())
		}
		if !preempt {
			require.Equal(t, B, m.State())
		}
		// A preempting backup never preempts an equal or better master.
		for _, a := range []election.Event{peer("198.51.100.1", 1, 0, 0), peer("198.51.100.1", 0, 200, 0)} {
			m := newMachine(t, election.Config{AdvBase: 1, Preempt: true, Self: ip("198.51.100.2")})
			step(m, t0, ev(election.EventStart))
			require.Nil(t, step(m, t0.Add(time.Second), a))
			require.Equal(t, B, m.State())
		}
	}
}

func TestMasterWillTimeOut(t *testing.T) {
	// s2b_timeout: A -b 5 -r 1 is master; B -b 1 (deadratio 3) hears it and
	// takes over at once, since 5 s > 3 s.
	tests := []struct {
		name     string
		skew     uint8
		ratio    uint
		peer     election.Event
		takeover bool
	}{
		{"advbase 5 vs 3", 0, 3, peer("198.51.100.1", 5, 0, 0), true},
		{"advbase 3 equals master-down", 0, 3, peer("198.51.100.1", 3, 0, 0), false},
		// ucarp compares whole timevals: 3 s + 1/256 > 3 s.
		{"advbase 3 skew 1", 0, 3, peer("198.51.100.1", 3, 1, 0), true},
		// Our own skew counts: master-down 3.390625 s.
		{"own skew", 100, 3, peer("198.51.100.1", 3, 100, 0), false},
		{"own skew exceeded", 100, 3, peer("198.51.100.1", 3, 101, 0), true},
		{"deadratio 5", 0, 5, peer("198.51.100.1", 5, 0, 0), false},
		{"deadratio 1", 0, 1, peer("198.51.100.1", 1, 1, 0), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := newMachine(t, election.Config{AdvBase: 1, AdvSkew: tt.skew, DeadRatio: tt.ratio, Self: ip("198.51.100.2")})
			step(m, t0, ev(election.EventStart))
			acts := step(m, t0.Add(time.Second), tt.peer)
			if tt.takeover {
				require.Equal(t, M, m.State())
				require.Equal(t, tr(B, M, election.ReasonMasterWillTimeOut), acts[0])
				return
			}
			require.Nil(t, acts)
			require.Equal(t, B, m.State())
		})
	}
}

// TestTieBreakByteOrder: s3_tiebreak_byteorder. Two masters with equal
// adverts. ucarp keeps the one whose address is lower as a little-endian
// uint32; BSD makes whoever hears an equal advert step down.
func TestTieBreakByteOrder(t *testing.T) {
	pairs := []struct{ winner, loser string }{
		{"203.0.113.5", "198.51.100.10"}, // the s3 capture: B reasserts, A demotes
		{"198.51.100.33", "192.0.2.50"},  // spec §4.2
		{"fe80::1", "fe80::2"},           // IPv6: memcmp, lower stays
		{"2001:db8::ff", "2001:db8::1:0"},
	}
	for _, p := range pairs {
		// Sanity: for the IPv4 pairs, network-order comparison would pick
		// the other node, so this test tells the two byte orders apart.
		if w := netip.MustParseAddr(p.winner); w.Is4() {
			require.Equal(t, 1, w.Compare(netip.MustParseAddr(p.loser)), "pair %v does not discriminate byte order", p)
		}
		for _, tb := range []election.TieBreak{election.TieBreakUcarp, election.TieBreakBSD} {
			t.Run(p.winner+"_vs_"+p.loser+"/"+tb.String(), func(t *testing.T) {
				master := func(self string) *election.Machine {
					m := newMachine(t, election.Config{AdvBase: 1, TieBreak: tb, Self: ip(self)})
					step(m, t0, ev(election.EventStart))
					_, acts := fire(t, m)
					require.Equal(t, M, m.State(), "%v", acts)
					return m
				}
				w, l := master(p.winner), master(p.loser)
				now := t0.Add(5 * time.Second)
				gotW := step(w, now, peer(p.loser, 1, 0, 0))
				gotL := step(l, now, peer(p.winner, 1, 0, 0))
				if tb == election.TieBreakBSD {
					for _, m := range []*election.Machine{w, l} {
						require.Equal(t, B, m.State())
					}
					require.Equal(t, []election.Action{tr(M, B, election.ReasonTieBreak)}, gotW)
					require.Equal(t, []election.Action{tr(M, B, election.ReasonTieBreak)}, gotL)
					return
				}
				require.Equal(t, M, w.State())
				require.Equal(t, []election.Action{garp(election.ReasonTieBreak)}, gotW)
				require.Equal(t, B, l.State())
				require.Equal(t, []election.Action{ad(1, 0, 0, election.ReasonTieBreak), tr(M, B, election.ReasonTieBreak)}, gotL)
				require.Equal(t, now.Add(3*time.Second), l.Deadline())
			})
		}
	}
}

func TestDemoteByte(t *testing.T) {
	m := newMachine(t, election.Config{AdvBase: 1, Demotion: election.DemoteByte, Self: ip("198.51.100.1")})
	step(m, t0, ev(election.EventStart))
	at, _ := fire(t, m)

	// Demotion as master: the worse advert goes out at once.
	now := at.Add(100 * time.Millisecond)
	require.Equal(t, []election.Action{ad(1, 0, 3, election.ReasonDemoted)}, step(m, now, demoteTo(3)))
	require.Equal(t, uint8(3), m.Demote())
	require.Equal(t, time.Second, m.Interval(), "the demote byte does not change timing")
	require.Equal(t, now.Add(time.Second), m.Deadline())
	_, acts := fire(t, m)
	require.Equal(t, ad(1, 0, 3, election.ReasonAdvertTimer), acts[0])

	// Demote compares before timing: a slower but less demoted peer wins.
	now = m.Deadline().Add(-time.Millisecond)
	require.Equal(t, []election.Action{ad(1, 0, 3, election.ReasonLowerDemote), tr(M, B, election.ReasonLowerDemote)},
		step(m, now, peer("198.51.100.2", 2, 200, 2)))

	// Backup: a master with a higher demote is taken over, preempt or not.
	require.Nil(t, step(m, now.Add(time.Second), peer("198.51.100.2", 2, 200, 3)), "equal demote, no preempt")
	acts = step(m, now.Add(2*time.Second), peer("198.51.100.2", 1, 0, 4))
	require.Equal(t, []election.Action{tr(B, M, election.ReasonLowerDemote), garp(election.ReasonLowerDemote), ad(1, 0, 3, election.ReasonLowerDemote)}, acts)

	// Undemoting as master sends nothing extra; the next advert says 0.
	require.Nil(t, step(m, now.Add(2500*time.Millisecond), demoteTo(0)))
	_, acts = fire(t, m)
	require.Equal(t, ad(1, 0, 0, election.ReasonAdvertTimer), acts[0])

	// A demoted peer is worse even with better timing.
	m2 := newMachine(t, election.Config{AdvBase: 2, Demotion: election.DemoteByte, Self: ip("198.51.100.1")})
	step(m2, t0, ev(election.EventStart))
	fire(t, m2)
	require.Equal(t, []election.Action{garp(election.ReasonReassert)}, step(m2, t0.Add(7*time.Second), peer("198.51.100.2", 1, 0, 1)))
	require.Equal(t, M, m2.State())
}

func TestDemoteSkew(t *testing.T) {
	tests := []struct {
		name   string
		skew   uint8
		demote uint8
		want   uint8
	}{
		{"none", 100, 0, 100},
		{"small", 0, 5, 5},
		{"adds", 100, 100, 200},
		{"capped", 100, 200, 240},
		{"capped max", 0, 255, 240},
		{"at cap", 240, 1, 240},
		// FreeBSD would lower 250 to 240; a demotion must never make us better.
		{"above cap", 250, 10, 250},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := newMachine(t, election.Config{AdvBase: 1, AdvSkew: tt.skew, Self: ip("198.51.100.1")})
			require.Nil(t, step(m, t0, demoteTo(tt.demote)))
			require.Equal(t, tt.demote, m.Demote())
			skewPart := us(int64(tt.want) * 1_000_000 / 256)
			require.Equal(t, time.Second+skewPart, m.Interval())
			require.Equal(t, 3*time.Second+skewPart, m.MasterDown(), "backup timing uses the demoted skew")
			step(m, t0, ev(election.EventStart))
			require.Equal(t, t0.Add(3*time.Second+skewPart), m.Deadline())
			_, acts := fire(t, m)
			require.Equal(t, ad(1, tt.want, 0, election.ReasonMasterDown), acts[2], "demote byte stays 0")
		})
	}
}

func TestBowOut(t *testing.T) {
	cfgA := election.Config{AdvBase: 1, Demotion: election.DemoteByte, Self: ip("198.51.100.1")}
	cfgB := election.Config{AdvBase: 1, AdvSkew: 100, Self: ip("198.51.100.2")}
	a, b := newMachine(t, cfgA), newMachine(t, cfgB)
	step(a, t0, ev(election.EventStart))
	step(b, t0, ev(election.EventStart))
	at, _ := fire(t, a)
	require.Nil(t, step(b, at, peer("198.51.100.1", 1, 0, 0)))

	// Not master: bowing out does nothing.
	require.Nil(t, step(b, at, ev(election.EventBowOut)))
	require.Equal(t, B, b.State())

	// A bows out carrying its demote byte; B acts on the advert at once.
	step(a, at, demoteTo(7))
	now := at.Add(200 * time.Millisecond)
	acts := step(a, now, ev(election.EventBowOut))
	require.Equal(t, []election.Action{ad(255, 255, 7, election.ReasonBowOut)}, acts)
	require.Equal(t, M, a.State(), "make before break: A keeps the VIPs")
	require.True(t, a.Leaving())
	require.Equal(t, now.Add(3*time.Second), a.Deadline(), "the leave bound: A's master-down interval")

	// B (skew 100) takes over after its stagger, 100/4096 s, not the
	// master-down time.
	require.Nil(t, step(b, now, election.Event{Kind: election.EventAdvert, Advert: election.Advert{Src: ip("198.51.100.1"), AdvBase: acts[0].Advert.AdvBase, AdvSkew: acts[0].Advert.AdvSkew, Demote: 7}}))
	require.Equal(t, now.Add(24414062*time.Nanosecond), b.Deadline())
	at2, acts := fire(t, b)
	require.Equal(t, now.Add(24414062*time.Nanosecond), at2)
	require.Equal(t, []election.Action{tr(B, M, election.ReasonPeerBowOut), garp(election.ReasonPeerBowOut), ad(1, 100, 0, election.ReasonPeerBowOut)}, acts)

	// A, still leaving, has sent nothing since; B's first advert (worse
	// timing, better demote) completes the handover: A gives up the VIPs
	// now, and it is B's advert that restarts A's timer.
	require.Equal(t, []election.Action{tr(M, B, election.ReasonBowOut)}, step(a, at2, peer("198.51.100.2", 1, 100, 0)))
	require.Equal(t, B, a.State())
	require.False(t, a.Leaving())
	require.Equal(t, at2.Add(3*time.Second), a.Deadline())
	require.Nil(t, step(a, at2.Add(time.Second), peer("198.51.100.2", 1, 100, 0)))
	require.Equal(t, B, a.State())

	// A master hearing a bow-out advert keeps the VIP, even from a less
	// demoted peer.
	require.Equal(t, []election.Action{garp(election.ReasonReassert)}, step(b, now.Add(time.Second), peer("198.51.100.3", 255, 255, 0)))
	require.Equal(t, M, b.State())
	d := newMachine(t, election.Config{AdvBase: 1, Demotion: election.DemoteByte, Self: ip("198.51.100.4")})
	step(d, t0, ev(election.EventStart))
	fire(t, d)
	step(d, t0.Add(3500*time.Millisecond), demoteTo(9))
	require.Equal(t, []election.Action{garp(election.ReasonReassert)}, step(d, t0.Add(3600*time.Millisecond), peer("198.51.100.3", 255, 255, 0)),
		"a bow-out advert is never better, whatever its demote byte")
	require.Equal(t, M, d.State())

	// Staggered takeover: the preferred backup answers first and the
	// others, hearing it, stay BACKUP; a skew-0 backup takes over at once.
	e := newMachine(t, election.Config{AdvBase: 1, AdvSkew: 10, Self: ip("198.51.100.5")})
	f := newMachine(t, election.Config{AdvBase: 1, AdvSkew: 20, Self: ip("198.51.100.6")})
	z := newMachine(t, election.Config{AdvBase: 1, Self: ip("198.51.100.7")})
	for _, m := range []*election.Machine{e, f, z} {
		step(m, t0, ev(election.EventStart))
	}
	bow := peer("198.51.100.1", 255, 255, 0)
	require.Nil(t, step(e, t0.Add(time.Second), bow))
	require.Nil(t, step(f, t0.Add(time.Second), bow))
	require.Equal(t, tr(B, M, election.ReasonPeerBowOut), step(z, t0.Add(time.Second), bow)[0])
	require.True(t, e.Deadline().Before(f.Deadline()))
	at3, acts := fire(t, e)
	require.Equal(t, tr(B, M, election.ReasonPeerBowOut), acts[0])
	require.Nil(t, step(f, at3.Add(100*time.Microsecond), peer("198.51.100.5", 1, 10, 0)))
	require.Equal(t, B, f.State())
	require.Equal(t, at3.Add(100*time.Microsecond).Add(f.MasterDown()), f.Deadline(), "the new master's advert restarts the normal timer")

	// If nobody takes over, the bowed-out master never stopped being
	// MASTER: at the bound it re-announces and advertises again.
	c := newMachine(t, election.Config{AdvBase: 1, Self: ip("198.51.100.9")})
	step(c, t0, ev(election.EventStart))
	fire(t, c)
	step(c, t0.Add(4*time.Second), ev(election.EventBowOut))
	require.Equal(t, M, c.State())
	at4, acts := fire(t, c)
	require.Equal(t, t0.Add(7*time.Second), at4)
	require.Equal(t, []election.Action{garp(election.ReasonNoTakeover), ad(1, 0, 0, election.ReasonNoTakeover)}, acts)
	require.False(t, c.Leaving())
	require.Equal(t, M, c.State())
}

// TestLeavingSendsNoAdvert: from the bow-out to the end of the leave, a
// leaving master sends nothing, whatever it hears or is told: never two
// masters advertising after a handover.
func TestLeavingSendsNoAdvert(t *testing.T) {
	for _, kind := range []election.EventKind{election.EventBowOut, election.EventShutdown} {
		t.Run(kind.String(), func(t *testing.T) {
			m := newMachine(t, election.Config{AdvBase: 1, AdvSkew: 50, Preempt: true, Self: ip("198.51.100.1")})
			step(m, t0, ev(election.EventStart))
			at, _ := fire(t, m)
			bow := at.Add(100 * time.Millisecond)
			require.Equal(t, []election.Action{ad(255, 255, 0, election.ReasonBowOut)}, step(m, bow, ev(kind)))
			bound := m.Deadline()
			require.Equal(t, bow.Add(m.MasterDown()), bound)
			now := bow
			for _, e := range []election.Event{
				ev(election.EventSendError), ev(election.EventSendError), ev(election.EventSendError), // skew 240 at once as MASTER
				demoteTo(100),                     // a worse priority is advertised at once as MASTER
				peer("198.51.100.3", 255, 255, 0), // reasserted against as MASTER
				ev(election.EventBowOut), ev(election.EventShutdown), ev(election.EventStart), ev(election.EventLinkUp),
				ev(election.EventSendOK),
			} {
				now = now.Add(time.Millisecond)
				require.Empty(t, step(m, now, e), "leaving, on %v", e.Kind)
				require.True(t, m.Leaving())
				require.Equal(t, M, m.State())
			}
			for _, early := range []time.Time{now, bound.Add(-time.Nanosecond)} {
				require.Empty(t, step(m, early, ev(election.EventTimeout)), "a stale or early timer")
			}
			require.Equal(t, bound, m.Deadline())
		})
	}
}

// garpSchedule fires n timeouts and returns, per advert, whether a
// gratuitous ARP went with it.
func garpSchedule(t *testing.T, m *election.Machine, n int) []bool {
	t.Helper()
	var got []bool
	for i := 0; i < n; i++ {
		_, acts := fire(t, m)
		require.Equal(t, election.ActionSendAdvert, acts[0].Kind)
		switch len(acts) {
		case 1:
			got = append(got, false)
		case 2:
			require.Equal(t, garp(election.ReasonDelayedARP), acts[1])
			got = append(got, true)
		default:
			t.Fatalf("unexpected actions %v", acts)
		}
	}
	return got
}

func TestGratuitousARPSchedule(t *testing.T) {
	// exp1: "GARP, ad, ad, ad+GARP" — the takeover advert, then the second
	// advert after it carries the delayed gratuitous ARP (sc_delayed_arp = 2).
	m := newMachine(t, election.Config{AdvBase: 1, Self: ip("198.51.100.1")})
	step(m, t0, ev(election.EventStart))
	_, acts := fire(t, m)
	require.Equal(t, []election.ActionKind{election.ActionTransition, election.ActionGratuitousARP, election.ActionSendAdvert}, kinds(acts))
	require.Equal(t, []bool{false, true, false, false, false}, garpSchedule(t, m, 5))

	// A worse master heard: gratuitous ARP now and two adverts later.
	now := m.Deadline().Add(-300 * time.Millisecond)
	require.Equal(t, []election.Action{garp(election.ReasonReassert)}, step(m, now, peer("198.51.100.2", 1, 100, 0)))
	require.Equal(t, []bool{false, true, false}, garpSchedule(t, m, 3))

	// Heard again before the delayed one: the count restarts.
	now = m.Deadline().Add(-300 * time.Millisecond)
	step(m, now, peer("198.51.100.2", 1, 100, 0))
	require.Equal(t, []bool{false}, garpSchedule(t, m, 1))
	step(m, m.Deadline().Add(-time.Millisecond), peer("198.51.100.2", 1, 100, 0))
	require.Equal(t, []bool{false, true, false}, garpSchedule(t, m, 3))

	// Stepping down cancels a pending delayed ARP; the farewell advert never
	// carries one.
	step(m, m.Deadline().Add(-time.Millisecond), peer("198.51.100.2", 1, 100, 0))
	fire(t, m) // one advert: one more to go
	acts = step(m, m.Deadline().Add(-time.Millisecond), peer("198.51.100.2", 0, 100, 0))
	require.Equal(t, []election.ActionKind{election.ActionSendAdvert, election.ActionTransition}, kinds(acts))
	_, acts = fire(t, m) // master down again
	require.Equal(t, tr(B, M, election.ReasonMasterDown), acts[0])
	require.Equal(t, []bool{false, true, false}, garpSchedule(t, m, 3))
}

func kinds(acts []election.Action) []election.ActionKind {
	var k []election.ActionKind
	for _, a := range acts {
		k = append(k, a.Kind)
	}
	return k
}

func TestSendErrors(t *testing.T) {
	m := newMachine(t, election.Config{AdvBase: 1, Self: ip("198.51.100.1")})
	step(m, t0, ev(election.EventStart))
	now, _ := fire(t, m)
	ms := func(n int) time.Time { now = now.Add(time.Duration(n) * time.Millisecond); return now }

	// Non-consecutive errors do nothing.
	for _, e := range []election.EventKind{election.EventSendError, election.EventSendError, election.EventSendOK, election.EventSendError, election.EventSendError} {
		require.Nil(t, step(m, ms(1), ev(e)))
	}
	require.Equal(t, time.Second, m.Interval())

	// The third in a row: advertise skew 240 at once.
	acts := step(m, ms(1), ev(election.EventSendError))
	require.Equal(t, []election.Action{ad(1, 240, 0, election.ReasonDemoted)}, acts)
	require.Equal(t, time.Second+us(937_500), m.Interval())
	require.Equal(t, 3*time.Second+us(937_500), m.MasterDown())
	require.Equal(t, now.Add(m.Interval()), m.Deadline())
	require.Nil(t, step(m, ms(1), ev(election.EventSendError)), "already suppressed")

	// The inflated skew is what we compare with: a 100-skew peer is better.
	probe := newMachine(t, election.Config{AdvBase: 1, Self: ip("198.51.100.1")})
	step(probe, t0, ev(election.EventStart))
	fire(t, probe)
	for i := 0; i < 3; i++ {
		step(probe, now, ev(election.EventSendError))
	}
	require.Equal(t, []election.Action{ad(1, 240, 0, election.ReasonBetterMaster), tr(M, B, election.ReasonBetterMaster)},
		step(probe, now, peer("198.51.100.2", 1, 100, 0)))

	// Recovery needs three successes in a row; an error restarts the count.
	for _, e := range []election.EventKind{election.EventSendOK, election.EventSendOK, election.EventSendError, election.EventSendOK, election.EventSendOK} {
		require.Nil(t, step(m, ms(1), ev(e)))
	}
	require.Equal(t, time.Second+us(937_500), m.Interval())
	require.Nil(t, step(m, ms(1), ev(election.EventSendOK)), "recovering sends nothing extra")
	require.Equal(t, time.Second, m.Interval())
	_, acts = fire(t, m)
	require.Equal(t, ad(1, 0, 0, election.ReasonAdvertTimer), acts[0])

	// Independent from demotion: the larger skew wins.
	m = newMachine(t, election.Config{AdvBase: 1, AdvSkew: 250, Self: ip("198.51.100.1")})
	step(m, t0, demoteTo(5))
	for i := 0; i < 3; i++ {
		require.Nil(t, step(m, t0, ev(election.EventSendError)), "not master: nothing to send")
	}
	require.Equal(t, time.Second+us(250*1_000_000/256), m.Interval())
	m = newMachine(t, election.Config{AdvBase: 1, AdvSkew: 10, Self: ip("198.51.100.1")})
	step(m, t0, demoteTo(5))
	for i := 0; i < 3; i++ {
		step(m, t0, ev(election.EventSendError))
	}
	require.Equal(t, 3*time.Second+us(937_500), m.MasterDown(), "backup timing inflated too")
	for i := 0; i < 3; i++ {
		step(m, t0, ev(election.EventSendOK))
	}
	require.Equal(t, time.Second+us(15*1_000_000/256), m.Interval(), "back to the demoted skew")
}

func TestStaleTimeouts(t *testing.T) {
	m := newMachine(t, election.Config{AdvBase: 1, Self: ip("198.51.100.2")})
	require.Nil(t, step(m, t0, ev(election.EventTimeout)), "INIT has no timer")
	step(m, t0, ev(election.EventStart))
	old := m.Deadline()

	// An advert re-arms; the timer for the old deadline fires late and stale.
	step(m, t0.Add(2*time.Second), peer("198.51.100.1", 1, 0, 0))
	require.Nil(t, step(m, old, ev(election.EventTimeout)))
	require.Equal(t, B, m.State())
	require.Equal(t, t0.Add(5*time.Second), m.Deadline())
	require.Nil(t, step(m, m.Deadline().Add(-time.Nanosecond), ev(election.EventTimeout)), "early by 1 ns")

	// A late timeout acts, and re-arms from when it was handled.
	late := m.Deadline().Add(700 * time.Millisecond)
	require.Len(t, step(m, late, ev(election.EventTimeout)), 3)
	require.Equal(t, late.Add(time.Second), m.Deadline())

	// The same timer delivered twice sends one advert.
	at, acts := fire(t, m)
	require.Len(t, acts, 1)
	require.Nil(t, step(m, at, ev(election.EventTimeout)))
	require.Equal(t, at.Add(time.Second), m.Deadline())
}

func TestLinkDownUp(t *testing.T) {
	m := newMachine(t, election.Config{AdvBase: 1, Self: ip("198.51.100.1")})
	// Link state before start is remembered.
	require.Nil(t, step(m, t0, ev(election.EventLinkDown)))
	require.Nil(t, step(m, t0, ev(election.EventStart)), "link down: stay INIT")
	require.Equal(t, I, m.State())
	require.Nil(t, step(m, t0, ev(election.EventStart)))
	require.Equal(t, []election.Action{tr(I, B, election.ReasonLinkUp)}, step(m, t0.Add(time.Second), ev(election.EventLinkUp)))
	require.Equal(t, t0.Add(4*time.Second), m.Deadline(), "no 10 s wait")

	at, _ := fire(t, m)
	require.Equal(t, M, m.State())
	now := at.Add(300 * time.Millisecond)
	require.Equal(t, []election.Action{tr(M, I, election.ReasonLinkDown)}, step(m, now, ev(election.EventLinkDown)))
	require.True(t, m.Deadline().IsZero())
	require.Nil(t, step(m, now.Add(time.Second), peer("198.51.100.2", 1, 100, 0)), "INIT ignores adverts")
	require.Nil(t, step(m, now.Add(time.Second), ev(election.EventTimeout)))
	require.Nil(t, step(m, now.Add(time.Second), ev(election.EventLinkDown)))
	require.Equal(t, []election.Action{tr(I, B, election.ReasonLinkUp)}, step(m, now.Add(2*time.Second), ev(election.EventLinkUp)))
	require.Equal(t, now.Add(5*time.Second), m.Deadline())

	// Link up before start does not start.
	m = newMachine(t, election.Config{AdvBase: 1, Self: ip("198.51.100.1")})
	require.Nil(t, step(m, t0, ev(election.EventLinkUp)))
	require.Equal(t, I, m.State())
	require.Equal(t, []election.Action{tr(I, B, election.ReasonStart)}, step(m, t0, ev(election.EventStart)))
}

func TestStepDoesNotAllocate(t *testing.T) {
	m := newMachine(t, election.Config{AdvBase: 1, AdvSkew: 0, Self: ip("198.51.100.1")})
	worse := peer("198.51.100.2", 1, 100, 0)
	better := peer("198.51.100.2", 0, 100, 0)
	now := t0
	step(m, now, ev(election.EventStart))
	allocs := testing.AllocsPerRun(100, func() {
		// BACKUP → MASTER, adverts, reassert, send results, step down.
		now = m.Deadline()
		m.Step(now, ev(election.EventTimeout))
		for i := 0; i < 3; i++ {
			now = m.Deadline()
			m.Step(now, ev(election.EventTimeout))
			m.Step(now, ev(election.EventSendOK))
		}
		m.Step(now, worse)
		m.Step(now, demoteTo(1))
		m.Step(now, demoteTo(0))
		m.Step(now, better)
		m.Step(now, ev(election.EventLinkDown))
		m.Step(now, ev(election.EventLinkUp))
	})
	require.Zero(t, allocs)
}

func TestStrings(t *testing.T) {
	require.Equal(t, "INIT", election.Init.String())
	require.Equal(t, "BACKUP", election.Backup.String())
	require.Equal(t, "MASTER", election.Master.String())
	require.Equal(t, "State(9)", election.State(9).String())
	require.Equal(t, "ucarp", election.TieBreakUcarp.String())
	require.Equal(t, "bsd", election.TieBreakBSD.String())
	require.Equal(t, "skew", election.DemoteSkew.String())
	require.Equal(t, "byte", election.DemoteByte.String())
	require.Equal(t, "send-advert", election.ActionSendAdvert.String())
	require.Equal(t, "transition", election.ActionTransition.String())
	require.Equal(t, "gratuitous-arp", election.ActionGratuitousARP.String())
	require.Equal(t, "ActionKind(7)", election.ActionKind(7).String())
	require.Equal(t, "TieBreak(7)", election.TieBreak(7).String())
	require.Equal(t, "Demotion(7)", election.Demotion(7).String())

	seen := map[string]bool{}
	for k := election.EventStart; k <= election.EventShutdown; k++ {
		s := k.String()
		require.NotContains(t, s, "EventKind", "kind %d unnamed", k)
		require.False(t, seen[s])
		seen[s] = true
	}
	require.Equal(t, "EventKind(99)", election.EventKind(99).String())

	seen = map[string]bool{}
	for r := election.ReasonNone; r <= election.ReasonNoTakeover; r++ {
		s := r.String()
		require.NotContains(t, s, "Reason", "reason %d unnamed", r)
		require.Equal(t, strings.ToLower(s), s)
		require.False(t, seen[s], "duplicate %q", s)
		seen[s] = true
	}
	require.Equal(t, "Reason(200)", election.Reason(200).String())

	require.Equal(t, "transition BACKUP -> MASTER (master down)", tr(B, M, election.ReasonMasterDown).String())
	require.Equal(t, "send-advert advbase=1 advskew=100 demote=2 (advert timer)", ad(1, 100, 2, election.ReasonAdvertTimer).String())
	require.Equal(t, "gratuitous-arp (reassert)", garp(election.ReasonReassert).String())
}

func TestAddr(t *testing.T) {
	require.False(t, election.Addr{}.IsValid())
	require.Equal(t, "invalid", election.Addr{}.String())
	for _, s := range []string{"198.51.100.1", "0.0.0.0", "255.255.255.255", "fe80::1", "2001:db8::1:0:0:1", "2001:db8:0:1:1:1:1:1", "::", "::1", "1::", "2001:db8::ff00:42:8329", "::ffff:192.0.2.1"} {
		n := netip.MustParseAddr(s)
		a := ip(s)
		require.True(t, a.IsValid())
		require.Equal(t, n.Is4(), a.Is4(), s)
		if n.Is4() {
			require.Equal(t, n.As4(), a.As4())
			require.Equal(t, netip.AddrFrom4(n.As4()).As16(), a.As16())
		} else {
			require.Equal(t, n.As16(), a.As16())
			require.Equal(t, [4]byte{}, a.As4())
		}
		if s == "::ffff:192.0.2.1" {
			require.Equal(t, "::ffff:c000:201", a.String())
			continue
		}
		require.Equal(t, n.String(), a.String(), s)
	}
	require.Equal(t, ip("192.0.2.1"), election.AddrFrom4([4]byte{192, 0, 2, 1}), "comparable")
	require.NotEqual(t, ip("::ffff:192.0.2.1"), ip("192.0.2.1"))
}

func BenchmarkStep(b *testing.B) {
	m, err := election.New(election.Config{AdvBase: 1, Self: ip("198.51.100.1")})
	require.NoError(b, err)
	now := t0
	m.Step(now, ev(election.EventStart))
	worse := peer("198.51.100.2", 1, 100, 0)
	b.ReportAllocs()
	for b.Loop() {
		now = m.Deadline()
		m.Step(now, ev(election.EventTimeout))
		m.Step(now, ev(election.EventSendOK))
		m.Step(now, worse)
	}
}
