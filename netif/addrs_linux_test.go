package netif_test

import (
	"net/netip"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gocarp/gocarp/netif"
)

func TestInterfaceAddrsInNamespace(t *testing.T) {
	h, _ := newHost(t, "addrs")
	require.NoError(t, h.AddrAdd(netip.MustParsePrefix("192.0.2.5/32")))
	require.NoError(t, h.AddrAdd(netip.MustParsePrefix("2001:db8::5/64")))
	ll, err := h.LinkLocal()
	require.NoError(t, err)

	h.Run(t, func() {
		// The thread is in the namespace: the nil-namespace paths see it.
		v4, v6, err := netif.InterfaceAddrs(h.Interface)
		require.NoError(t, err)
		require.ElementsMatch(t, []netip.Addr{h.Addr.Addr(), netip.MustParseAddr("192.0.2.5")}, v4)
		require.Equal(t, []netip.Addr{ll}, v6, "only link-local IPv6, without zone")

		v4, v6, err = netif.InterfaceAddrs("lo")
		require.NoError(t, err)
		require.Equal(t, []netip.Addr{netip.AddrFrom4([4]byte{127, 0, 0, 1})}, v4, "the namespace's own lo")
		require.Empty(t, v6, "::1 is not link-local")
	})
}
