package carp_test

import (
	"net/netip"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gocarp/gocarp/carp"
	"github.com/gocarp/gocarp/link"
	"github.com/gocarp/gocarp/transport/memnet"
)

// TestGroupStartOnLinkDown: a group started on a link.Port whose
// carrier is known to be down stays in INIT from Start on (no BACKUP, no
// OnBackup), and goes BACKUP when the carrier comes back.
func TestGroupStartOnLinkDown(t *testing.T) {
	sim := memnet.NewSim(1, gtT0)
	lan := memnet.NewNetwork(sim)
	l, err := link.New(link.Config{Interface: "lan0", Transport: lan.Attach("a")})
	require.NoError(t, err)
	defer l.Close()
	l.SetCarrier(false)
	p, err := l.Port(gtVHID)
	require.NoError(t, err)
	calls := &callLog{}
	g, err := carp.New(carp.Config{
		Interface: "lan0", VHID: gtVHID, VIPs: []netip.Addr{gtVIP}, Password: gtPassword,
		Source: netip.MustParseAddr("192.0.2.1"), Transport: p, Clock: sim, Rand: sim.Rand().Uint64,
		OnBackup: func(tr carp.Transition) { calls.add(call{from: tr.From, to: tr.To}) },
	})
	require.NoError(t, err)
	require.NoError(t, g.Start())
	sim.RunFor(10 * time.Second)
	require.Equal(t, carp.StateInit, g.State())
	require.Zero(t, g.Stats().Transitions, "no transition while the link is down")
	require.Empty(t, calls.calls)
	l.SetCarrier(true)
	sim.RunFor(time.Second)
	require.Equal(t, carp.StateBackup, g.State())
	require.Equal(t, uint64(1), g.Stats().Transitions)
	require.NoError(t, g.Close())
}
