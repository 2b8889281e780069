package netns_test

import (
	"net"
	"net/netip"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/net/ipv4"
	"golang.org/x/net/ipv6"

	"github.com/gocarp/gocarp/internal/netns"
)

func TestRoutedAddressing(t *testing.T) {
	netns.Available(t)
	r := netns.NewRoutedLANs(t, "raddr", 2)
	require.Equal(t, r.Router[0].Namespace, r.Router[1].Namespace, "one router")
	for k, lan := range r.LANs {
		require.Len(t, lan.Hosts, 2)
		gw := r.Router[k]
		require.Equal(t, netip.MustParsePrefix([]string{"198.51.100.254/24", "203.0.113.254/24"}[k]), gw.Addr)
		require.Equal(t, netip.MustParsePrefix([]string{"2001:db8:1::fe/64", "2001:db8:2::fe/64"}[k]), gw.Addr6)
		require.Equal(t, []string{"eth0", "eth1"}[k], gw.Interface)
		require.True(t, gw.HasAddr(gw.Addr.Addr()))
		require.True(t, gw.HasAddr(gw.Addr6.Addr()))
		up, err := gw.Carrier()
		require.NoError(t, err)
		require.True(t, up)
		for i, h := range lan.Hosts {
			want4 := [][]string{{"198.51.100.1/24", "198.51.100.2/24"}, {"203.0.113.1/24", "203.0.113.2/24"}}[k][i]
			want6 := [][]string{{"2001:db8:1::1/64", "2001:db8:1::2/64"}, {"2001:db8:2::1/64", "2001:db8:2::2/64"}}[k][i]
			require.Equal(t, netip.MustParsePrefix(want4), h.Addr)
			require.Equal(t, netip.MustParsePrefix(want6), h.Addr6)
			require.True(t, h.HasAddr(h.Addr.Addr()))
			require.True(t, h.HasAddr(h.Addr6.Addr()))
			// What the kernel says: default routes via the router.
			require.Contains(t, h.Exec(t, "ip", "route", "show", "default"), "via "+gw.Addr.Addr().String())
			require.Contains(t, h.Exec(t, "ip", "-6", "route", "show", "default"), "via "+gw.Addr6.Addr().String())
		}
	}
	require.Equal(t, "1\n", r.Router[0].Exec(t, "cat", "/proc/sys/net/ipv4/ip_forward"))
	require.Equal(t, "1\n", r.Router[0].Exec(t, "cat", "/proc/sys/net/ipv6/conf/all/forwarding"))
}

// TestRoutedForwarding sends UDP from a host of the first LAN to one of the
// second: it arrives from the sender's own address with the TTL (hop
// limit) one below the sender's 64, so through exactly one router.
func TestRoutedForwarding(t *testing.T) {
	netns.Available(t)
	r := netns.NewRoutedLANs(t, "rfwd", 1)
	a, b := r.LANs[0].Hosts[0], r.LANs[1].Hosts[0]
	tests := []struct {
		name     string
		network  string
		from, to *netns.Host
		src, dst netip.Addr
	}{
		{"IPv4", "udp4", a, b, a.Addr.Addr(), b.Addr.Addr()},
		{"IPv6", "udp6", a, b, a.Addr6.Addr(), b.Addr6.Addr()},
		{"IPv4Back", "udp4", b, a, b.Addr.Addr(), a.Addr.Addr()},
		{"IPv6Back", "udp6", b, a, b.Addr6.Addr(), a.Addr6.Addr()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			from, to := tt.from, tt.to
			var srv, cli net.PacketConn
			to.Run(t, func() {
				var err error
				srv, err = net.ListenPacket(tt.network, ":9999")
				require.NoError(t, err)
			})
			defer srv.Close()
			from.Run(t, func() {
				var err error
				cli, err = net.ListenPacket(tt.network, ":0")
				require.NoError(t, err)
			})
			defer cli.Close()
			if tt.src.Is4() {
				require.NoError(t, ipv4.NewPacketConn(cli).SetTTL(64))
			} else {
				require.NoError(t, ipv6.NewPacketConn(cli).SetHopLimit(64))
			}

			_, err := cli.WriteTo([]byte("ping"), &net.UDPAddr{IP: tt.dst.AsSlice(), Port: 9999})
			require.NoError(t, err)
			require.NoError(t, srv.SetReadDeadline(time.Now().Add(waitTimeout)))
			buf := make([]byte, 16)
			var (
				n    int
				ttl  int
				peer net.Addr
			)
			if tt.src.Is4() {
				p := ipv4.NewPacketConn(srv)
				require.NoError(t, p.SetControlMessage(ipv4.FlagTTL, true))
				var cm *ipv4.ControlMessage
				n, cm, peer, err = p.ReadFrom(buf)
				require.NoError(t, err)
				ttl = cm.TTL
			} else {
				p := ipv6.NewPacketConn(srv)
				require.NoError(t, p.SetControlMessage(ipv6.FlagHopLimit, true))
				var cm *ipv6.ControlMessage
				n, cm, peer, err = p.ReadFrom(buf)
				require.NoError(t, err)
				ttl = cm.HopLimit
			}
			require.Equal(t, "ping", string(buf[:n]))
			require.Equal(t, tt.src, peer.(*net.UDPAddr).AddrPort().Addr().Unmap())
			require.Equal(t, 63, ttl, "one hop")
		})
	}
}

func TestRoutedCleanup(t *testing.T) {
	netns.Available(t)
	before := rootLinks(t)
	var namespaces []string
	t.Run("routed", func(t *testing.T) {
		r := netns.NewRoutedLANs(t, "rclean", 1)
		namespaces = append(namespaces, r.Router[0].Namespace)
		for _, lan := range r.LANs {
			namespaces = append(namespaces, lan.Bridge, lan.Hosts[0].Namespace)
		}
		list := string(must(exec.Command("ip", "netns", "list").CombinedOutput()))
		for _, ns := range namespaces {
			require.Contains(t, list, ns)
		}
	})
	list := string(must(exec.Command("ip", "netns", "list").CombinedOutput()))
	for _, ns := range namespaces {
		require.False(t, strings.Contains(list, ns), "%s left behind", ns)
	}
	require.Equal(t, before, rootLinks(t), "the machine's own interfaces are untouched")
}
