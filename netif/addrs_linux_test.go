package netif_test

import (
	"context"
	"net/netip"
	"slices"
	"sync/atomic"
	"testing"
	"time"

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

// watchAddrs runs WatchAddrs on ifname in ns until the test ends and
// returns the channel of reported lists.
func watchAddrs(t *testing.T, ns *netif.Namespace, ifname string) <-chan []netif.Addr {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	lists := make(chan []netif.Addr, 64)
	errc := make(chan error, 1)
	var returned atomic.Bool
	go func() {
		errc <- netif.WatchAddrs(ctx, ifname, ns, func(l []netif.Addr) {
			if returned.Load() {
				t.Error("fn called after WatchAddrs returned")
			}
			select {
			case lists <- l:
			case <-ctx.Done(): // nobody reads any more
			}
		})
	}()
	t.Cleanup(func() {
		cancel()
		require.NoError(t, <-errc)
		returned.Store(true)
	})
	return lists
}

// waitAddrs waits (generously) for a reported list that satisfies ok.
func waitAddrs(t *testing.T, lists <-chan []netif.Addr, what string, ok func([]netif.Addr) bool) {
	t.Helper()
	deadline := time.After(waitFor)
	for {
		select {
		case l := <-lists:
			if ok(l) {
				return
			}
		case <-deadline:
			t.Fatalf("no address list with %s reported", what)
		}
	}
}

// with returns a predicate: the list holds p, usable or not as given.
func with(p netip.Prefix, usable bool) func([]netif.Addr) bool {
	return func(l []netif.Addr) bool { return slices.Contains(l, netif.Addr{Prefix: p, Usable: usable}) }
}

func TestWatchAddrs(t *testing.T) {
	h, ns := newHost(t, "watchaddrs")
	ll, err := h.LinkLocal()
	require.NoError(t, err)
	lists := watchAddrs(t, ns, h.Interface)
	waitAddrs(t, lists, "the initial addresses", func(l []netif.Addr) bool {
		return with(h.Addr, true)(l) && with(netip.PrefixFrom(ll, 64), true)(l)
	})

	v4 := netip.MustParsePrefix("192.0.2.5/24")
	require.NoError(t, h.AddrAdd(v4))
	waitAddrs(t, lists, "an added IPv4 address", with(v4, true))

	// netns turns DAD off on eth0; an up script's "ip addr add" gets it.
	h.Exec(t, "sysctl", "-q", "-w", "net.ipv6.conf."+h.Interface+".accept_dad=1")
	v6 := netip.MustParsePrefix("2001:db8::5/64")
	h.Exec(t, "ip", "addr", "add", v6.String(), "dev", h.Interface)
	waitAddrs(t, lists, "the IPv6 address tentative", with(v6, false))
	waitAddrs(t, lists, "the IPv6 address usable after DAD", with(v6, true))

	require.NoError(t, h.AddrDel(v4))
	waitAddrs(t, lists, "the IPv4 address gone", func(l []netif.Addr) bool {
		return !slices.ContainsFunc(l, func(a netif.Addr) bool { return a.Prefix == v4 })
	})
}

func TestWatchAddrsDeletedInterface(t *testing.T) {
	h, ns := newHost(t, "watchdel")
	addLink(t, h, "vip0")
	h.Exec(t, "ip", "addr", "add", "192.0.2.9/32", "dev", "vip0")
	lists := watchAddrs(t, ns, "vip0")
	waitAddrs(t, lists, "the address", with(netip.MustParsePrefix("192.0.2.9/32"), true))
	h.Exec(t, "ip", "link", "del", "vip0")
	waitAddrs(t, lists, "no address", func(l []netif.Addr) bool { return len(l) == 0 })
}

func TestWatchAddrsErrors(t *testing.T) {
	err := netif.WatchAddrs(context.Background(), "", nil, func([]netif.Addr) { t.Error("fn called") })
	require.ErrorIs(t, err, netif.ErrNoInterface)
	err = netif.WatchAddrs(context.Background(), "gocarp-none0", nil, func([]netif.Addr) { t.Error("fn called") })
	require.ErrorIs(t, err, netif.ErrInterfaceNotFound)
}

func TestForwarding(t *testing.T) {
	h, ns := newHost(t, "fwd")
	// Only in the namespace: a read in the wrong one would not find it.
	addLink(t, h, "fwd0")
	for _, ipv6 := range []bool{false, true} {
		family := "ipv4"
		if ipv6 {
			family = "ipv6"
		}
		t.Run(family, func(t *testing.T) {
			for _, on := range []bool{true, false, true} {
				value := "0"
				if on {
					value = "1"
				}
				h.Exec(t, "sysctl", "-q", "-w", "net."+family+".conf.fwd0.forwarding="+value)
				got, err := netif.Forwarding("fwd0", ns, ipv6)
				require.NoError(t, err)
				require.Equal(t, on, got)
				got, err = netif.Forwarding(h.Interface, ns, ipv6)
				require.NoError(t, err)
				require.False(t, got, "per interface: eth0 does not forward")
			}
			h.Run(t, func() {
				// nil: the calling thread's namespace, which is h's here.
				got, err := netif.Forwarding("fwd0", nil, ipv6)
				require.NoError(t, err)
				require.True(t, got)
			})
		})
	}
}

func TestForwardingErrors(t *testing.T) {
	_, err := netif.Forwarding("", nil, false)
	require.ErrorIs(t, err, netif.ErrNoInterface)
	for _, name := range []string{"gocarp-none0", "../all", ".."} {
		_, err = netif.Forwarding(name, nil, false)
		require.ErrorIs(t, err, netif.ErrInterfaceNotFound, name)
	}
}
