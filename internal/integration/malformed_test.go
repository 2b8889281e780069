package integration

import (
	"encoding/binary"
	"net"
	"net/netip"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/mdlayher/packet"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"

	"github.com/gocarp/gocarp/hmac"
	"github.com/gocarp/gocarp/internal/netns"
	"github.com/gocarp/gocarp/wire"
)

// Offsets in an IPv4 CARP packet as wire.AppendIPv4 builds it.
const (
	offTotalLen   = 2
	offTTL        = 8
	offIPChecksum = 10
	offDst        = 16
	offCARP       = wire.IPv4HeaderLen
	offCARPSum    = offCARP + 6
)

// advertSpec is one crafted advert.
type advertSpec struct {
	src      netip.Addr
	dst      netip.Addr
	vhid     uint8
	password string
	advbase  uint8
	advskew  uint8
}

// build returns a valid IPv4 CARP packet for s.
func (s advertSpec) build(t *testing.T, counter uint64) []byte {
	t.Helper()
	signer, err := hmac.NewSigner([]byte(s.password), s.vhid, []netip.Addr{vip})
	require.NoError(t, err)
	a := wire.Advert{
		Version: wire.Version, Type: wire.TypeAdvertisement, VHID: s.vhid,
		AdvSkew: s.advskew, AuthLen: wire.AuthLen, AdvBase: s.advbase,
		Counter: counter, Digest: signer.Sign(counter),
	}
	b, err := wire.AppendIPv4(nil, s.src, s.dst, uint16(counter), &a)
	require.NoError(t, err)
	return b
}

// fixIPChecksum recomputes the IPv4 header checksum.
func fixIPChecksum(b []byte) {
	binary.BigEndian.PutUint16(b[offIPChecksum:], 0)
	binary.BigEndian.PutUint16(b[offIPChecksum:], wire.Checksum(b[:wire.IPv4HeaderLen]))
}

// fixCARPChecksum recomputes the CARP checksum.
func fixCARPChecksum(b []byte) {
	binary.BigEndian.PutUint16(b[offCARPSum:], 0)
	binary.BigEndian.PutUint16(b[offCARPSum:], wire.Checksum(b[offCARP:offCARP+wire.AdvertLen]))
}

// TestMalformedAdverts injects broken adverts into a running BACKUP node.
// Each would, if accepted, make it take over at once: they announce
// advbase 255, a master about to time out (spec §4.2). The node must drop
// every one, count each under its reason, and stay BACKUP while the real
// master keeps the VIP. A last, valid one shows the injection path works.
func TestMalformedAdverts(t *testing.T) {
	t.Parallel()
	lan := newLAN(t, "bad", 3)
	hm, hn, hi := lan.Hosts[0], lan.Hosts[1], lan.Hosts[2]
	shared := groupArgs()
	m := newNode(t, kindCarpd, "master", hm, true, peerArgs(hm.Addr.Addr(), "0", true, shared)...)
	n := newNode(t, kindCarpd, "node", hn, true, peerArgs(hn.Addr.Addr(), "100", false, shared)...)
	l := &lab{lan: lan, client: hi, nodes: []*node{m, n}}
	m.start(t)
	m.p.waitOutput(t, regexp.MustCompile(`switching to state: MASTER`))
	n.start(t)
	l.converged(t, m)
	before := n.status(t)
	require.Equal(t, "BACKUP", before.State)

	// Every crafted advert starts from this one, valid in every respect.
	good := advertSpec{
		src: hi.Addr.Addr(), dst: wire.IPv4Group, vhid: 42, password: defaultPass,
		advbase: 255, advskew: 255,
	}
	cases := []struct {
		reason string
		make   func(counter uint64) []byte
	}{
		{"bad_ttl", func(c uint64) []byte {
			b := good.build(t, c)
			b[offTTL] = 64
			fixIPChecksum(b)
			return b
		}},
		{"bad_version", func(c uint64) []byte {
			b := good.build(t, c)
			b[offCARP] = 3<<4 | wire.TypeAdvertisement
			fixCARPChecksum(b)
			return b
		}},
		{"bad_ip_checksum", func(c uint64) []byte {
			b := good.build(t, c)
			b[offIPChecksum] ^= 0x5a
			return b
		}},
		{"bad_checksum", func(c uint64) []byte {
			b := good.build(t, c)
			b[offCARPSum] ^= 0x5a
			return b
		}},
		{"bad_digest", func(c uint64) []byte {
			s := good
			s.password = "wrong"
			return s.build(t, c)
		}},
		{"too_short", func(c uint64) []byte {
			b := good.build(t, c)[:wire.IPv4HeaderLen+20]
			binary.BigEndian.PutUint16(b[offTotalLen:], uint16(len(b)))
			fixIPChecksum(b)
			return b
		}},
		{"bad_vhid", func(c uint64) []byte {
			s := good
			s.vhid = 43
			return s.build(t, c)
		}},
		{"own_packet", func(c uint64) []byte {
			s := good
			s.src = hn.Addr.Addr() // the node's own -s
			return s.build(t, c)
		}},
		{"bad_destination", func(c uint64) []byte {
			b := good.build(t, c)
			copy(b[offDst:], netip.MustParseAddr("224.0.0.19").AsSlice())
			fixIPChecksum(b)
			return b
		}},
	}
	const copies = 3
	var pkts [][]byte
	want := map[string]uint64{}
	for i, tc := range cases {
		for j := range copies {
			pkts = append(pkts, tc.make(uint64(1000+i*copies+j)))
		}
		want[tc.reason] = copies
	}
	inject(t, hi, pkts...)

	// Wait until the counters show every packet, then check them exactly.
	var after status
	waitFor(t, "every injected packet counted", func() bool {
		after = n.status(t)
		var total uint64
		for reason := range want {
			total += after.uint(t, "dropped."+reason) - before.uint(t, "dropped."+reason)
		}
		return total >= uint64(len(pkts))
	})
	for reason, w := range want {
		require.Equal(t, w, after.uint(t, "dropped."+reason)-before.uint(t, "dropped."+reason), "dropped.%s", reason)
	}
	for k := range after.Values {
		if reason, ok := strings.CutPrefix(k, "dropped."); ok && want[reason] == 0 {
			require.Equal(t, before.Values[k], after.Values[k], "%s: nothing injected for it", k)
		}
	}

	// State unchanged: still BACKUP, never MASTER, the master keeps the VIP.
	require.Equal(t, "BACKUP", after.State)
	require.Equal(t, before.uint(t, "transitions"), after.uint(t, "transitions"))
	l.converged(t, m)
	require.NotContains(t, n.p.out.String(), "switching to state: MASTER")

	// Control: the same advert, valid, makes the node take over at once
	// (then the better master takes it back).
	inject(t, hi, good.build(t, 2000))
	n.p.waitOutput(t, regexp.MustCompile(`(?s)switching to state: MASTER.*switching to state: BACKUP`))
	// Its scripts have run both ways before the VIP can settle.
	waitFor(t, "node's down script after its up script", func() bool {
		ev := n.eventLines(t)
		return slices.ContainsFunc(ev, func(e string) bool { return strings.HasPrefix(e, "UP") }) && n.lastEvent(t) == "DOWN"
	})
	l.converged(t, m)
}

// inject sends IPv4 packets from h as Ethernet frames to the CARP group's
// MAC, through a raw AF_PACKET socket (as an attacker on the segment
// would).
func inject(t *testing.T, h *netns.Host, pkts ...[]byte) {
	t.Helper()
	dst := net.HardwareAddr{0x01, 0x00, 0x5e, 0x00, 0x00, 0x12}
	h.Run(t, func() {
		ifi, err := net.InterfaceByName(h.Interface)
		require.NoError(t, err)
		c, err := packet.Listen(ifi, packet.Raw, unix.ETH_P_IP, nil)
		require.NoError(t, err)
		defer c.Close()
		for _, p := range pkts {
			frame := append(append(append([]byte{}, dst...), h.MAC...), 0x08, 0x00)
			frame = append(frame, p...)
			_, err := c.WriteTo(frame, &packet.Addr{HardwareAddr: dst})
			require.NoError(t, err)
		}
	})
}
