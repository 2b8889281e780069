package integration

import (
	"net/netip"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gocarp/gocarp/internal/netns"
)

// peersLine is the TOML of a peers key.
func peersLine(peers ...netip.Addr) string {
	q := make([]string, len(peers))
	for i, p := range peers {
		q[i] = strconv.Quote(p.String())
	}
	return "peers = [" + strings.Join(q, ", ") + "]\n"
}

// carpdNode wraps a running carpd for the status helpers.
func carpdNode(name string, h *netns.Host, p *proc) *node {
	return &node{name: name, kind: kindCarpd, host: h, p: p}
}

// TestUnicastMulticastFiltered runs a dual-stack pair with unicast peers
// (IPv4, and IPv6 link-local) on a LAN whose switch drops every CARP
// multicast: they elect one master and fail over as on an open LAN.
func TestUnicastMulticastFiltered(t *testing.T) {
	t.Parallel()
	lan := newLAN(t, "uni", 2)
	a, b := lan.Hosts[0], lan.Hosts[1]
	dropped := lan.DropCARPMulticast(t)

	llA, err := a.LinkLocal()
	require.NoError(t, err)
	llB, err := b.LinkLocal()
	require.NoError(t, err)
	vips := []string{dsVIP4.String() + "/24", dsVIP6.String() + "/64"}
	cfg := func(skew int, peers ...netip.Addr) string {
		return writeConfig(t, t.TempDir(), []configGroup{{vhid: 7, vips: vips, advskew: skew,
			extra: "manage_vips = true\n" + peersLine(peers...)}})
	}
	pa := startProc(t, a, "A", carpdBin, "-f", "none", "--control", controlPath(t), "-c", cfg(0, b.Addr.Addr(), llB))
	pb := startProc(t, b, "B", carpdBin, "-f", "none", "--control", controlPath(t), "-c", cfg(100, a.Addr.Addr(), llA))
	waitFor(t, "A holds both VIPs, B none", func() bool {
		return a.HasAddr(dsVIP4) && a.HasAddr(dsVIP6) && !b.HasAddr(dsVIP4) && !b.HasAddr(dsVIP6)
	})
	sb := carpdNode("B", b, pb).status(t)
	require.Equal(t, "BACKUP", sb.State)
	require.NotZero(t, sb.uint(t, "adverts_received"), "B hears A's unicast adverts")
	// Nothing went to the CARP groups: the drop rules never matched.
	v4, v6 := dropped()
	require.Equal(t, [2]uint64{0, 0}, [2]uint64{v4, v6})

	pa.signal(t, syscall.SIGKILL)
	pa.waitExit(t)
	require.NoError(t, a.SetPortUp(false))
	waitFor(t, "B holds both VIPs", func() bool { return b.HasAddr(dsVIP4) && b.HasAddr(dsVIP6) })
}

// TestUnicastRouted runs a pair on two subnets joined by a router, as in a
// cloud: the adverts reach each peer routed, with TTL 254, and are
// accepted because they come from a listed peer.
func TestUnicastRouted(t *testing.T) {
	t.Parallel()
	netns.Available(t)
	r := netns.NewRoutedLANs(t, "ur", 1)
	a, b := r.LANs[0].Hosts[0], r.LANs[1].Hosts[0]
	t.Cleanup(func() { killNamespace(a); killNamespace(b) })
	vips := []string{"192.0.2.100/32", "2001:db8:ff::100/128"}
	cfg := func(skew int, peer *netns.Host) string {
		return writeConfig(t, t.TempDir(), []configGroup{{vhid: 9, vips: vips, advskew: skew,
			extra: "manage_vips = false\n" + peersLine(peer.Addr.Addr(), peer.Addr6.Addr())}})
	}
	pa := startProc(t, a, "A", carpdBin, "-f", "none", "--control", controlPath(t), "-c", cfg(0, b))
	pb := startProc(t, b, "B", carpdBin, "-f", "none", "--control", controlPath(t), "-c", cfg(100, a))
	na, nb := carpdNode("A", a, pa), carpdNode("B", b, pb)
	// SIGUSR1 before carpd catches it would kill it.
	pa.waitOutput(t, regexp.MustCompile(`carpd started`))
	pb.waitOutput(t, regexp.MustCompile(`carpd started`))
	waitFor(t, "A MASTER, B BACKUP hearing it", func() bool {
		sa, sb := na.status(t), nb.status(t)
		return sa.State == "MASTER" && sb.State == "BACKUP" && sb.uint(t, "adverts_received") >= 2
	})
	sb := nb.status(t)
	// The master heard is the source of A's last advert, IPv4 or IPv6.
	require.Contains(t, []string{a.Addr.Addr().String(), a.Addr6.Addr().String()}, sb.Values["master"])
	require.Zero(t, sb.uint(t, "dropped.bad_ttl"), "routed adverts from a peer are not TTL drops")

	pa.signal(t, syscall.SIGKILL)
	pa.waitExit(t)
	waitFor(t, "B takes over", func() bool { return nb.status(t).State == "MASTER" })
	require.Contains(t, pb.out.String(), `msg="switching to state: MASTER"`)
}
