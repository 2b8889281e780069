package afpacket_test

import (
	"bytes"
	"encoding/binary"
	"net/netip"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gocarp/gocarp/transport/afpacket"
	"github.com/gocarp/gocarp/transport/transporttest"
)

// ipLength is what the IP header says the packet's length is, and
// whether it has a header that says so (the model of IPPacket).
func ipLength(pkt []byte) (int, bool) {
	switch {
	case len(pkt) < 20:
		return 0, false
	case pkt[0]>>4 == 4:
		return int(binary.BigEndian.Uint16(pkt[2:4])), true
	case pkt[0]>>4 == 6 && len(pkt) >= 40:
		return 40 + int(binary.BigEndian.Uint16(pkt[4:6])), true
	}
	return 0, false
}

// FuzzFrame feeds arbitrary Ethernet frames to the receive side's frame
// parser (IPPacket) and arbitrary IP packets to the send side's
// classifier (PlanSend). IPPacket returns nil exactly for frames without
// an IPv4 or IPv6 header, else the frame's bytes after the Ethernet
// header (the same memory), cut to the IP length when that is shorter and
// at least a header. A framed plan goes to the group's multicast MAC or
// to broadcast, and the frame AppendFrame builds from it parses back to
// the packet; a routed plan is unicast protocol 112 whose payload lies
// inside the packet, after a header.
func FuzzFrame(f *testing.F) {
	names, err := filepath.Glob("testdata/*.pcap")
	require.NoError(f, err)
	for _, name := range names {
		for _, frame := range readPcap(f, filepath.Base(name)) {
			f.Add(frame, false)
		}
	}
	eth := func(et uint16, pkt []byte) []byte {
		return afpacket.AppendFrame(nil, mac("01:00:5e:00:00:12"), mac("02:00:00:00:00:01"), et, pkt)
	}
	f.Add(eth(0x86dd, transporttest.IPv6Packet(netip.MustParseAddr("fe80::1"), 1)), true)
	f.Add(eth(0x0800, withDst(transporttest.IPv4Packet(netip.MustParseAddr("198.51.100.1"), 1), netip.MustParseAddr("198.51.100.2"))), false)
	f.Add([]byte{}, false)
	f.Fuzz(func(t *testing.T, frame []byte, noMulticast bool) {
		in := bytes.Clone(frame)
		pkt := afpacket.IPPacket(frame)
		require.Equal(t, in, frame, "IPPacket wrote to the frame")
		var ip []byte
		if len(frame) >= 14 {
			ip = frame[14:]
		}
		n, ok := ipLength(ip)
		if !ok {
			require.Nil(t, pkt)
		} else {
			require.NotNil(t, pkt)
			want := ip
			if n >= 20 && n < len(ip) {
				want = ip[:n]
			}
			require.Equal(t, want, pkt)
			require.Same(t, &frame[14], &pkt[0], "IPPacket copies")
		}

		// The send side, on the IP packet if there is one, else on the
		// raw bytes.
		if pkt == nil {
			pkt = frame
		}
		plan, err := afpacket.PlanSend(pkt, noMulticast)
		require.Equal(t, in, frame, "PlanSend wrote to the packet")
		if err != nil {
			require.ErrorIs(t, err, afpacket.ErrBadPacket)
			return
		}
		require.Contains(t, []uint16{0x0800, 0x86dd}, plan.EtherType)
		require.Equal(t, plan.EtherType == 0x0800, pkt[0]>>4 == 4)
		if !plan.Routed {
			switch {
			case plan.Dst.IsMulticast() && !noMulticast:
				m, err := afpacket.MulticastMAC(plan.Dst)
				require.NoError(t, err)
				require.Equal(t, m, plan.MAC)
			default:
				require.True(t, plan.Dst.IsMulticast() || plan.Dst == netip.MustParseAddr("255.255.255.255"), "%s", plan.Dst)
				require.Equal(t, afpacket.Broadcast, plan.MAC)
			}
			require.Nil(t, plan.Payload)
			back := afpacket.AppendFrame(nil, plan.MAC, mac("02:00:00:00:00:01"), plan.EtherType, pkt)
			got := afpacket.IPPacket(back)
			if _, ok := ipLength(pkt); ok {
				require.NotNil(t, got)
				require.True(t, bytes.HasPrefix(pkt, got), "a frame parses back to its packet")
			}
			return
		}
		require.False(t, plan.Dst.IsMulticast())
		require.False(t, plan.Dst.IsUnspecified())
		require.Nil(t, plan.MAC)
		require.GreaterOrEqual(t, len(pkt), 20)
		proto := pkt[9]
		if plan.EtherType == 0x86dd {
			proto = pkt[6]
		}
		require.Equal(t, uint8(112), proto)
		hdr := 40
		if plan.EtherType == 0x0800 {
			hdr = int(pkt[0]&0x0f) * 4
		}
		require.GreaterOrEqual(t, hdr, 20)
		require.LessOrEqual(t, hdr+len(plan.Payload), len(pkt))
		if len(plan.Payload) > 0 {
			require.Same(t, &pkt[hdr], &plan.Payload[0], "the payload follows the header")
		}
	})
}
