package election_test

import (
	"net/netip"
	"testing"
	"time"

	"github.com/gocarp/gocarp/election"
	"github.com/stretchr/testify/require"
)

// t0 is an arbitrary start of virtual time.
var t0 = time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC)

func ip(s string) election.Addr {
	a := netip.MustParseAddr(s)
	if a.Is4() {
		return election.AddrFrom4(a.As4())
	}
	return election.AddrFrom16(a.As16())
}

func us(n int64) time.Duration { return time.Duration(n) * time.Microsecond }

func tr(from, to election.State, r election.Reason) election.Action {
	return election.Action{Kind: election.ActionTransition, From: from, To: to, Reason: r}
}

func garp(r election.Reason) election.Action {
	return election.Action{Kind: election.ActionGratuitousARP, Reason: r}
}

func ad(base, skew, demote uint8, r election.Reason) election.Action {
	return election.Action{Kind: election.ActionSendAdvert, Advert: election.Advert{AdvBase: base, AdvSkew: skew, Demote: demote}, Reason: r}
}

func peer(src string, base, skew, demote uint8) election.Event {
	return election.Event{Kind: election.EventAdvert, Advert: election.Advert{Src: ip(src), AdvBase: base, AdvSkew: skew, Demote: demote}}
}

func ev(k election.EventKind) election.Event { return election.Event{Kind: k} }

func demoteTo(n uint8) election.Event {
	return election.Event{Kind: election.EventDemote, Demote: n}
}

func newMachine(t *testing.T, cfg election.Config) *election.Machine {
	t.Helper()
	m, err := election.New(cfg)
	require.NoError(t, err)
	return m
}

// step runs one event and returns a copy of the actions (Step reuses its
// slice); nil when there are none, so tests can compare with nil.
func step(m *election.Machine, now time.Time, e election.Event) []election.Action {
	acts := m.Step(now, e)
	if len(acts) == 0 {
		return nil
	}
	return append([]election.Action(nil), acts...)
}

// fire delivers the timeout exactly at the deadline and returns when that was.
func fire(t *testing.T, m *election.Machine) (time.Time, []election.Action) {
	t.Helper()
	d := m.Deadline()
	require.False(t, d.IsZero(), "no deadline armed in %v", m.State())
	return d, step(m, d, ev(election.EventTimeout))
}
