//go:build linux

package carpnet_test

import (
	"context"
	"net/netip"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gocarp/gocarp/carp"
	"github.com/gocarp/gocarp/carpnet"
	"github.com/gocarp/gocarp/internal/netns"
	"github.com/gocarp/gocarp/netif"
)

// The embedding a Go developer writes from the package doc, on two hosts
// of a namespace LAN: one call opens the interface, one makes each group
// with its VIP managed (two vhids in one process, sharing the interface).
// The preferred host takes both VIPs; when one of its groups is closed (a
// crash, to its peer) it lets that VIP go and the other host takes it,
// while the other group stays.
func TestTwoHostsFailOver(t *testing.T) {
	netns.Available(t)
	lan := netns.NewLAN(t, "cnet", 2)
	vip := netip.MustParseAddr("198.51.100.100")
	vip2 := netip.MustParseAddr("198.51.100.101")
	type node struct {
		h       *netns.Host
		g, g2   *carp.Group
		serving atomic.Bool
	}
	start := func(h *netns.Host, skew uint8) *node {
		n := &node{h: h}
		ns, err := netif.OpenNamespace(h.Namespace)
		require.NoError(t, err)
		t.Cleanup(func() { _ = ns.Close() })
		var ifc *carpnet.Interface
		h.Run(t, func() {
			ifc, err = carpnet.Open(carpnet.Config{Interface: h.Interface, Namespace: ns})
		})
		require.NoError(t, err)
		n.g, err = ifc.NewGroup(carp.Config{
			VHID:     42,
			VIPs:     []netip.Addr{vip},
			Password: []byte("secret"),
			AdvSkew:  skew,
			OnMaster: func(carp.Transition) { n.serving.Store(true) },
			OnBackup: func(carp.Transition) { n.serving.Store(false) },
		}, carpnet.VIPPrefixes(netip.MustParsePrefix("198.51.100.100/24")))
		require.NoError(t, err)
		n.g2, err = ifc.NewGroup(carp.Config{
			VHID:     43,
			VIPs:     []netip.Addr{vip2},
			Password: []byte("secret"),
			AdvSkew:  skew,
		}, carpnet.ManageVIPs)
		require.NoError(t, err)
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { _ = ifc.Run(ctx); close(done) }()
		t.Cleanup(func() {
			_ = n.g.Close()
			_ = n.g2.Close()
			cancel()
			<-done
			_ = ifc.Close()
		})
		require.NoError(t, n.g.Start())
		require.NoError(t, n.g2.Start())
		return n
	}
	a := start(lan.Hosts[0], 0)
	b := start(lan.Hosts[1], 100)
	const wait = 15 * time.Second // correctness bound, not a timing claim
	require.Eventually(t, func() bool { return a.h.HasAddr(vip) && a.h.HasAddr(vip2) && a.serving.Load() }, wait, 10*time.Millisecond)
	require.Equal(t, carp.StateBackup, b.g.State())
	require.Equal(t, carp.StateBackup, b.g2.State())
	require.False(t, b.h.HasAddr(vip))
	require.Zero(t, b.g.Stats().Dropped["bad_vhid"], "each group sees its own vhid only")

	require.NoError(t, a.g.Close())
	require.Eventually(t, func() bool { return b.h.HasAddr(vip) && b.serving.Load() }, wait, 10*time.Millisecond)
	require.Eventually(t, func() bool { return !a.h.HasAddr(vip) }, wait, 10*time.Millisecond,
		"a closed MASTER lets its managed VIP go")
	require.False(t, a.serving.Load())
	require.Equal(t, carp.StateStopped, a.g.State())
	require.Equal(t, carp.StateMaster, a.g2.State(), "the other group of the process is untouched")
	require.True(t, a.h.HasAddr(vip2))
}
