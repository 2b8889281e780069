package netns_test

import (
	"context"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gocarp/gocarp/internal/netns"
)

const waitTimeout = 5 * time.Second

func TestLANAddressing(t *testing.T) {
	netns.Available(t)
	lan := netns.NewLAN(t, "addr", 3)
	require.Len(t, lan.Hosts, 3)

	// The switch is silent: no IPv6 on its side, so it sends nothing.
	out := string(must(exec.Command("ip", "-n", lan.Bridge, "addr", "show").CombinedOutput()))
	require.NotContains(t, out, "inet6")

	seen := map[string]bool{}
	for i, h := range lan.Hosts {
		require.Equal(t, i, h.Index)
		require.Equal(t, "eth0", h.Interface)
		require.False(t, seen[h.Namespace], "namespace names are unique")
		seen[h.Namespace] = true
		require.True(t, strings.HasPrefix(h.Namespace, lan.Name))

		wantMAC := net.HardwareAddr{0x02, 0, 0, 0, 0, byte(i + 1)}
		require.Equal(t, wantMAC, h.MAC)
		want := netip.AddrFrom4([4]byte{198, 51, 100, byte(i + 1)})
		require.Equal(t, netip.PrefixFrom(want, 24), h.Addr)
		require.True(t, h.HasAddr(want))

		// What the kernel says, not what the struct says.
		out := h.Exec(t, "ip", "-o", "link", "show", "dev", "eth0")
		require.Contains(t, out, "link/ether "+wantMAC.String())
		require.Contains(t, out, "LOWER_UP")

		up, err := h.Carrier()
		require.NoError(t, err)
		require.True(t, up)

		ll, err := h.LinkLocal()
		require.NoError(t, err)
		require.True(t, ll.IsLinkLocalUnicast())
		out = h.Exec(t, "ip", "-6", "-o", "addr", "show", "dev", "eth0")
		require.NotContains(t, out, "tentative", "link-local usable at once")
	}
}

func TestLANConnectivity(t *testing.T) {
	netns.Available(t)
	lan := netns.NewLAN(t, "ping", 2)
	a, b := lan.Hosts[0], lan.Hosts[1]
	llB, err := b.LinkLocal()
	require.NoError(t, err)
	// The zone is a's eth0, by index: names resolve in the caller's namespace.
	idx, err := a.InterfaceIndex()
	require.NoError(t, err)

	tests := []struct {
		name    string
		network string
		dst     netip.AddrPort
		zone    string
	}{
		{"IPv4", "udp4", netip.AddrPortFrom(b.Addr.Addr(), 9999), ""},
		{"IPv6LinkLocal", "udp6", netip.AddrPortFrom(llB, 9999), strconv.Itoa(idx)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var srv, cli net.PacketConn
			b.Run(t, func() {
				var err error
				srv, err = net.ListenPacket(tt.network, ":9999")
				require.NoError(t, err)
			})
			defer srv.Close()
			a.Run(t, func() {
				var err error
				cli, err = net.ListenPacket(tt.network, ":0")
				require.NoError(t, err)
			})
			defer cli.Close()

			// The sockets stay in their namespaces outside Run.
			dst := &net.UDPAddr{IP: tt.dst.Addr().AsSlice(), Port: int(tt.dst.Port()), Zone: tt.zone}
			_, err := cli.WriteTo([]byte("ping"), dst)
			require.NoError(t, err)
			require.NoError(t, srv.SetReadDeadline(time.Now().Add(waitTimeout)))
			buf := make([]byte, 16)
			n, from, err := srv.ReadFrom(buf)
			require.NoError(t, err)
			require.Equal(t, "ping", string(buf[:n]))
			if tt.zone == "" {
				require.Equal(t, a.Addr.Addr(), from.(*net.UDPAddr).AddrPort().Addr().Unmap())
			}
		})
	}
}

func TestSetPortUp(t *testing.T) {
	netns.Available(t)
	lan := netns.NewLAN(t, "port", 2)
	h := lan.Hosts[1]

	require.True(t, carrier(t, h))
	require.NoError(t, h.SetPortUp(false))
	require.Eventually(t, func() bool { return !carrier(t, h) }, waitTimeout, 10*time.Millisecond)
	out := h.Exec(t, "ip", "-o", "link", "show", "dev", "eth0")
	require.Contains(t, out, "NO-CARRIER")
	require.Contains(t, out, "UP", "administratively still up")
	require.True(t, carrier(t, lan.Hosts[0]), "other hosts keep their carrier")

	require.NoError(t, h.SetPortUp(true))
	require.Eventually(t, func() bool { return carrier(t, h) }, waitTimeout, 10*time.Millisecond)
}

func carrier(t *testing.T, h *netns.Host) bool {
	up, err := h.Carrier()
	require.NoError(t, err)
	return up
}

func TestAddrAddDel(t *testing.T) {
	netns.Available(t)
	lan := netns.NewLAN(t, "vip", 1)
	h := lan.Hosts[0]
	tests := []netip.Prefix{
		netip.MustParsePrefix("198.51.100.100/32"),
		netip.MustParsePrefix("2001:db8::100/64"),
	}
	for _, p := range tests {
		t.Run(p.String(), func(t *testing.T) {
			require.False(t, h.HasAddr(p.Addr()))
			require.NoError(t, h.AddrAdd(p))
			require.True(t, h.HasAddr(p.Addr()))
			require.Contains(t, h.Exec(t, "ip", "-o", "addr", "show", "dev", "eth0"), p.String())
			require.Error(t, h.AddrAdd(p), "already there")
			require.NoError(t, h.AddrDel(p))
			require.False(t, h.HasAddr(p.Addr()))
		})
	}
}

func TestRunPanicReraised(t *testing.T) {
	netns.Available(t)
	lan := netns.NewLAN(t, "panic", 1)
	require.PanicsWithValue(t, "boom", func() {
		lan.Hosts[0].Run(t, func() { panic("boom") })
	})
}

func TestRunIsInsideNamespace(t *testing.T) {
	netns.Available(t)
	lan := netns.NewLAN(t, "inside", 1)
	h := lan.Hosts[0]
	var names []string
	h.Run(t, func() {
		ifs, err := net.Interfaces()
		require.NoError(t, err)
		for _, ifi := range ifs {
			names = append(names, ifi.Name)
		}
	})
	require.ElementsMatch(t, []string{"lo", "eth0"}, names)
}

// TestCleanup checks that a LAN leaves nothing behind: its namespaces are
// gone and processes started through Command were killed.
func TestCleanup(t *testing.T) {
	netns.Available(t)
	before := rootLinks(t)
	var (
		namespaces []string
		pid        int
	)
	t.Run("lan", func(t *testing.T) {
		lan := netns.NewLAN(t, "clean", 2)
		namespaces = append(namespaces, lan.Bridge)
		for _, h := range lan.Hosts {
			namespaces = append(namespaces, h.Namespace)
		}
		cmd := lan.Hosts[0].Command(context.Background(), "sleep", "1000")
		require.NoError(t, cmd.Start())
		pid = cmd.Process.Pid
		list := string(must(exec.Command("ip", "netns", "list").CombinedOutput()))
		for _, ns := range namespaces {
			require.Contains(t, list, ns)
		}
	})
	list := string(must(exec.Command("ip", "netns", "list").CombinedOutput()))
	for _, ns := range namespaces {
		require.NotContains(t, list, ns)
	}
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err == nil {
		// A zombie (nobody waited for it) has left its namespace.
		require.Contains(t, string(stat), ") Z", "process still running")
	}
	require.Equal(t, before, rootLinks(t), "the machine's own interfaces are untouched")
}

// rootLinks lists the names of the interfaces of the test's own namespace.
func rootLinks(t *testing.T) []string {
	t.Helper()
	ifs, err := net.Interfaces()
	require.NoError(t, err)
	var names []string
	for _, ifi := range ifs {
		names = append(names, ifi.Name)
	}
	return names
}

func must(b []byte, err error) []byte {
	if err != nil {
		panic(err)
	}
	return b
}
