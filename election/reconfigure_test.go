package election_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gocarp/gocarp/election"
)

func TestReconfigure(t *testing.T) {
	self := ip("198.51.100.1")
	m := newMachine(t, election.Config{AdvBase: 1, AdvSkew: 10, Self: self})
	step(m, t0, ev(election.EventStart))
	at, _ := fire(t, m)
	require.Equal(t, election.Master, m.State())

	// Better: no advert now; the next one, at its usual time, carries it.
	now := at.Add(100 * time.Millisecond)
	armed := m.Deadline()
	acts, err := m.Reconfigure(now, election.Config{AdvBase: 1, AdvSkew: 5})
	require.NoError(t, err)
	require.Empty(t, acts)
	require.Equal(t, election.Master, m.State(), "the state is kept")
	require.Equal(t, armed, m.Deadline(), "the deadline armed before stays")
	_, acts = fire(t, m)
	require.Equal(t, ad(1, 5, 0, election.ReasonAdvertTimer), acts[0])

	// Worse: the advert goes out at once, so that a better backup can
	// take over now; the interval follows it.
	now = m.Deadline().Add(-time.Millisecond)
	acts, err = m.Reconfigure(now, election.Config{AdvBase: 2, AdvSkew: 100, Preempt: true})
	require.NoError(t, err)
	// (with the second gratuitous ARP, due two adverts after the takeover)
	require.Equal(t, []election.Action{ad(2, 100, 0, election.ReasonReconfigured), garp(election.ReasonDelayedARP)}, acts)
	require.Equal(t, now.Add(2*time.Second+us(100*1_000_000/256)), m.Deadline())
	require.Equal(t, election.Advert{AdvBase: 2, AdvSkew: 100}, m.Advertised())

	// Demotion is kept across a change, and applied the new way.
	step(m, now, demoteTo(20))
	require.Equal(t, uint8(120), m.Advertised().AdvSkew)
	acts, err = m.Reconfigure(now, election.Config{AdvBase: 2, AdvSkew: 100, Demotion: election.DemoteByte})
	require.NoError(t, err)
	require.Equal(t, election.Advert{AdvBase: 2, AdvSkew: 100, Demote: 20}, m.Advertised())
	require.Equal(t, []election.Action{ad(2, 100, 20, election.ReasonReconfigured)}, acts, "demote byte 20 is worse than 0")

	// A config New refuses changes nothing.
	_, err = m.Reconfigure(now, election.Config{AdvBase: 0, AdvSkew: 0})
	require.ErrorIs(t, err, election.ErrZeroInterval)
	_, err = m.Reconfigure(now, election.Config{AdvBase: 255, AdvSkew: 255})
	require.ErrorIs(t, err, election.ErrAdvSkew)
	require.Equal(t, election.Advert{AdvBase: 2, AdvSkew: 100, Demote: 20}, m.Advertised())
	require.Equal(t, election.Master, m.State())

	// As BACKUP, the master-down interval follows the new values.
	b := newMachine(t, election.Config{AdvBase: 1, Self: ip("198.51.100.2")})
	step(b, t0, ev(election.EventStart))
	_, err = b.Reconfigure(t0, election.Config{AdvBase: 1, AdvSkew: 128, DeadRatio: 4})
	require.NoError(t, err)
	require.Equal(t, election.Backup, b.State())
	require.Equal(t, 4*time.Second+500*time.Millisecond, b.MasterDown())
}
