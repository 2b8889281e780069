package afpacket_test

import (
	"encoding/binary"
	"io"
	"net"
	"net/netip"
	"os"
	"testing"

	"github.com/gopacket/gopacket/pcapgo"
	"github.com/stretchr/testify/require"
	"golang.org/x/net/bpf"

	"github.com/gocarp/gocarp/transport/afpacket"
	"github.com/gocarp/gocarp/transport/transporttest"
)

func mac(s string) net.HardwareAddr {
	m, err := net.ParseMAC(s)
	if err != nil {
		panic(err)
	}
	return m
}

func TestVirtualMAC(t *testing.T) {
	tests := []struct {
		vhid uint8
		bsd  bool
		want string
	}{
		{1, false, "00:00:5e:00:00:01"},
		{42, false, "00:00:5e:00:00:2a"},
		{255, false, "00:00:5e:00:00:ff"},
		{1, true, "00:00:5e:00:01:01"},
		{42, true, "00:00:5e:00:01:2a"},
	}
	for _, tt := range tests {
		require.Equal(t, mac(tt.want), afpacket.VirtualMAC(tt.vhid, tt.bsd), "vhid %d bsd %v", tt.vhid, tt.bsd)
	}
}

func TestMulticastMAC(t *testing.T) {
	tests := []struct {
		group string
		want  string
	}{
		{"224.0.0.18", "01:00:5e:00:00:12"},
		{"239.192.0.1", "01:00:5e:40:00:01"}, // ucarp --mcast vector
		{"224.128.0.1", "01:00:5e:00:00:01"}, // bit 24 is dropped
		{"239.255.255.255", "01:00:5e:7f:ff:ff"},
		{"ff02::12", "33:33:00:00:00:12"},
		{"ff02::1", "33:33:00:00:00:01"},
		{"ff02::1:ff12:3456", "33:33:ff:12:34:56"},
	}
	for _, tt := range tests {
		got, err := afpacket.MulticastMAC(netip.MustParseAddr(tt.group))
		require.NoError(t, err, tt.group)
		require.Equal(t, mac(tt.want), got, tt.group)
	}
	for _, bad := range []string{"198.51.100.1", "2001:db8::1", "fe80::1", "255.255.255.255"} {
		_, err := afpacket.MulticastMAC(netip.MustParseAddr(bad))
		require.ErrorIs(t, err, afpacket.ErrBadGroup, bad)
	}
}

// withDst returns a copy of pkt with its IP destination replaced.
func withDst(pkt []byte, dst netip.Addr) []byte {
	p := append([]byte(nil), pkt...)
	if dst.Is4() {
		b := dst.As4()
		copy(p[16:20], b[:])
	} else {
		b := dst.As16()
		copy(p[24:40], b[:])
	}
	return p
}

// edit returns a copy of pkt changed by fn, with the IPv4 header checksum
// left as it is: the kernel writes its own for routed packets.
func edit(pkt []byte, fn func(b []byte) []byte) []byte {
	return fn(append([]byte(nil), pkt...))
}

func TestPlanSendFramed(t *testing.T) {
	v4 := transporttest.IPv4Packet(netip.MustParseAddr("198.51.100.1"), 1)
	v6 := transporttest.IPv6Packet(netip.MustParseAddr("fe80::1"), 1)
	tests := []struct {
		name        string
		pkt         []byte
		noMulticast bool
		want        string
		etherType   uint16
	}{
		{"IPv4Group", v4, false, "01:00:5e:00:00:12", 0x0800},
		{"IPv4GroupNoMcast", v4, true, "ff:ff:ff:ff:ff:ff", 0x0800},
		{"IPv4OtherGroup", withDst(v4, netip.MustParseAddr("239.192.0.1")), false, "01:00:5e:40:00:01", 0x0800},
		{"IPv4Broadcast", withDst(v4, netip.MustParseAddr("255.255.255.255")), false, "ff:ff:ff:ff:ff:ff", 0x0800},
		{"IPv6Group", v6, false, "33:33:00:00:00:12", 0x86dd},
		{"IPv6GroupNoMcast", v6, true, "ff:ff:ff:ff:ff:ff", 0x86dd},
		// Framed as given: what a routed packet would refuse goes.
		{"IPv4GroupOtherProtocol", edit(v4, func(b []byte) []byte { b[9] = 17; return b }), false, "01:00:5e:00:00:12", 0x0800},
		{"IPv6GroupExtensionHeader", edit(v6, func(b []byte) []byte { b[6] = 0; return b }), false, "33:33:00:00:00:12", 0x86dd},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := afpacket.PlanSend(tt.pkt, tt.noMulticast)
			require.NoError(t, err)
			require.False(t, p.Routed)
			require.Equal(t, mac(tt.want), p.MAC)
			require.Equal(t, tt.etherType, p.EtherType)
		})
	}
}

func TestPlanSendRouted(t *testing.T) {
	src4, dst4 := netip.MustParseAddr("198.51.100.1"), netip.MustParseAddr("203.0.113.1")
	v4 := withDst(transporttest.IPv4Packet(src4, 1), dst4)
	src6, dst6 := netip.MustParseAddr("2001:db8:1::1"), netip.MustParseAddr("2001:db8:2::1")
	v6 := withDst(transporttest.IPv6Packet(src6, 1), dst6)
	ll := withDst(transporttest.IPv6Packet(netip.MustParseAddr("fe80::1"), 1), netip.MustParseAddr("fe80::2"))
	carp4, carp6 := v4[20:], v6[40:]
	tests := []struct {
		name        string
		pkt         []byte
		noMulticast bool
		src, dst    string // "" src: the kernel picks
		payload     []byte
	}{
		{"IPv4", v4, false, "198.51.100.1", "203.0.113.1", carp4},
		{"IPv4NoMcast", v4, true, "198.51.100.1", "203.0.113.1", carp4},
		{"IPv4SameSubnet", withDst(v4, netip.MustParseAddr("198.51.100.2")), false, "198.51.100.1", "198.51.100.2", carp4},
		{"IPv4Padded", append(append([]byte(nil), v4...), 0, 0, 0, 0), false, "198.51.100.1", "203.0.113.1", carp4},
		{"IPv4Options", edit(v4, func(b []byte) []byte {
			b[0] = 0x46
			binary.BigEndian.PutUint16(b[2:], 60)
			return append(b[:20], append([]byte{1, 1, 1, 0}, b[20:]...)...) // four NOP/EOL option bytes
		}), false, "198.51.100.1", "203.0.113.1", carp4},
		{"IPv4UnspecifiedSource", edit(v4, func(b []byte) []byte { copy(b[12:16], []byte{0, 0, 0, 0}); return b }), false, "", "203.0.113.1", carp4},
		{"IPv6", v6, false, "2001:db8:1::1", "2001:db8:2::1", carp6},
		{"IPv6LinkLocal", ll, false, "fe80::1", "fe80::2", carp6},
		{"IPv6Padded", append(append([]byte(nil), v6...), 0, 0), false, "2001:db8:1::1", "2001:db8:2::1", carp6},
		{"IPv6UnspecifiedSource", edit(v6, func(b []byte) []byte { copy(b[8:24], make([]byte, 16)); return b }), false, "", "2001:db8:2::1", carp6},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := afpacket.PlanSend(tt.pkt, tt.noMulticast)
			require.NoError(t, err)
			require.True(t, p.Routed)
			require.Nil(t, p.MAC)
			if tt.src == "" {
				require.False(t, p.Src.IsValid(), "source %s", p.Src)
			} else {
				require.Equal(t, netip.MustParseAddr(tt.src), p.Src)
			}
			require.Equal(t, netip.MustParseAddr(tt.dst), p.Dst)
			require.Equal(t, tt.payload, p.Payload)
			require.Len(t, p.Payload, 36)
		})
	}
}

func TestPlanSendErrors(t *testing.T) {
	v4 := withDst(transporttest.IPv4Packet(netip.MustParseAddr("198.51.100.1"), 1), netip.MustParseAddr("203.0.113.1"))
	v6 := withDst(transporttest.IPv6Packet(netip.MustParseAddr("2001:db8:1::1"), 1), netip.MustParseAddr("2001:db8:2::1"))
	tests := []struct {
		name string
		pkt  []byte
		err  error
	}{
		{"Empty", nil, io.ErrUnexpectedEOF},
		{"ShortIPv4", v4[:19], io.ErrUnexpectedEOF},
		{"ShortIPv6", v6[:39], io.ErrUnexpectedEOF},
		{"NotIP", append([]byte{0x50}, v4[1:]...), afpacket.ErrBadPacket},
		{"IPv4Truncated", v4[:50], io.ErrUnexpectedEOF},
		{"IPv6Truncated", v6[:70], io.ErrUnexpectedEOF},
		{"IPv4OptionsCut", edit(v4, func(b []byte) []byte { b[0] = 0x4f; binary.BigEndian.PutUint16(b[2:], 40); return b[:40] }), afpacket.ErrBadPacket},
		{"IPv4HeaderLengthShort", edit(v4, func(b []byte) []byte { b[0] = 0x44; return b }), afpacket.ErrBadPacket},
		{"IPv4LengthBelowHeader", edit(v4, func(b []byte) []byte { binary.BigEndian.PutUint16(b[2:], 19); return b }), afpacket.ErrBadPacket},
		{"IPv4OtherProtocol", edit(v4, func(b []byte) []byte { b[9] = 17; return b }), afpacket.ErrBadPacket},
		{"IPv4MoreFragments", edit(v4, func(b []byte) []byte { binary.BigEndian.PutUint16(b[6:], 0x2000); return b }), afpacket.ErrBadPacket},
		{"IPv4FragmentOffset", edit(v4, func(b []byte) []byte { binary.BigEndian.PutUint16(b[6:], 0x4001); return b }), afpacket.ErrBadPacket},
		{"IPv4NoDestination", withDst(v4, netip.IPv4Unspecified()), afpacket.ErrBadPacket},
		{"IPv4MulticastSource", edit(v4, func(b []byte) []byte { copy(b[12:16], []byte{224, 0, 0, 18}); return b }), afpacket.ErrBadPacket},
		{"IPv6ExtensionHeader", edit(v6, func(b []byte) []byte { b[6] = 0; return b }), afpacket.ErrBadPacket},
		{"IPv6NoDestination", withDst(v6, netip.IPv6Unspecified()), afpacket.ErrBadPacket},
		{"IPv6MappedDestination", withDst(v6, netip.MustParseAddr("::ffff:203.0.113.1")), afpacket.ErrBadPacket},
		{"IPv6MulticastSource", edit(v6, func(b []byte) []byte { copy(b[8:24], netip.MustParseAddr("ff02::12").AsSlice()); return b }), afpacket.ErrBadPacket},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := afpacket.PlanSend(tt.pkt, false)
			require.ErrorIs(t, err, tt.err)
			require.ErrorIs(t, err, afpacket.ErrBadPacket)
		})
	}
}

// readPcap returns the frames of a capture in testdata.
func readPcap(t testing.TB, name string) [][]byte {
	t.Helper()
	f, err := os.Open("testdata/" + name)
	require.NoError(t, err)
	defer f.Close()
	r, err := pcapgo.NewReader(f)
	require.NoError(t, err)
	var frames [][]byte
	for {
		data, _, err := r.ReadPacketData()
		if err == io.EOF {
			return frames
		}
		require.NoError(t, err)
		frames = append(frames, data)
	}
}

func isCARP(frame []byte) bool {
	return len(frame) >= 34 && binary.BigEndian.Uint16(frame[12:]) == 0x0800 && frame[23] == 112
}

// TestFramesMatchUcarp rebuilds every advert frame ucarp sent from its IP
// packet: the Ethernet header must come out byte for byte as captured.
func TestFramesMatchUcarp(t *testing.T) {
	tests := []struct {
		file        string
		noMulticast bool
	}{
		{"exp1.pcap", false},
		{"v3_mcast.pcap", false},
		{"v4_nomcast.pcap", true},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			n := 0
			for _, frame := range readPcap(t, tt.file) {
				if !isCARP(frame) {
					continue
				}
				n++
				pkt := afpacket.IPPacket(frame)
				require.Len(t, pkt, 56)
				p, err := afpacket.PlanSend(pkt, tt.noMulticast)
				require.NoError(t, err)
				require.False(t, p.Routed)
				got := afpacket.AppendFrame(nil, p.MAC, frame[6:12], p.EtherType, pkt)
				require.Equal(t, frame, got)
			}
			require.Positive(t, n, "capture holds adverts")
		})
	}
}

func TestIPPacket(t *testing.T) {
	v4 := transporttest.IPv4Packet(netip.MustParseAddr("198.51.100.1"), 1)
	v6 := transporttest.IPv6Packet(netip.MustParseAddr("fe80::1"), 1)
	eth := func(et uint16, pkt []byte, pad int) []byte {
		f := afpacket.AppendFrame(nil, mac("01:00:5e:00:00:12"), mac("02:00:00:00:00:01"), et, pkt)
		return append(f, make([]byte, pad)...)
	}
	tests := []struct {
		name  string
		frame []byte
		want  []byte
	}{
		{"IPv4", eth(0x0800, v4, 0), v4},
		{"IPv4Padded", eth(0x0800, v4, 8), v4},
		{"IPv6", eth(0x86dd, v6, 0), v6},
		{"IPv6Padded", eth(0x86dd, v6, 3), v6},
		{"TooShort", eth(0x0800, v4[:10], 0), nil},
		{"IPv6TooShort", eth(0x86dd, v6[:30], 0), nil},
		// A length beyond the frame is passed on whole: the codec judges it.
		{"IPv4LongLength", eth(0x0800, append([]byte{0x45, 0, 0xff, 0xff}, v4[4:]...), 0), append([]byte{0x45, 0, 0xff, 0xff}, v4[4:]...)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.want, afpacket.IPPacket(tt.frame))
		})
	}
}

// skbMeta is what the kernel knows about a frame besides its bytes.
type skbMeta struct {
	pktType uint32 // PACKET_HOST 0, BROADCAST 1, MULTICAST 2, OTHERHOST 3, OUTGOING 4
	vlan    bool   // tag stripped into the skb
}

// runFilter runs prog over frame with the given metadata. The x/net VM knows
// only the length extension, so every other extension load is replaced by a
// constant load of the value the kernel would provide: same instruction
// count, same jumps.
func runFilter(t *testing.T, prog []bpf.Instruction, frame []byte, meta skbMeta) int {
	t.Helper()
	p := make([]bpf.Instruction, len(prog))
	for i, ins := range prog {
		ext, ok := ins.(bpf.LoadExtension)
		if !ok {
			p[i] = ins
			continue
		}
		switch ext.Num {
		case bpf.ExtType:
			p[i] = bpf.LoadConstant{Dst: bpf.RegA, Val: meta.pktType}
		case bpf.ExtVLANTagPresent:
			v := uint32(0)
			if meta.vlan {
				v = 1
			}
			p[i] = bpf.LoadConstant{Dst: bpf.RegA, Val: v}
		default:
			require.FailNow(t, "filter loads an extension the test does not model", "%v", ext.Num)
		}
	}
	vm, err := bpf.NewVM(p)
	require.NoError(t, err)
	n, err := vm.Run(frame)
	require.NoError(t, err)
	return n
}

func TestFilter(t *testing.T) {
	var advert, garp []byte
	for _, f := range readPcap(t, "exp1.pcap") {
		if isCARP(f) && advert == nil {
			advert = f
		}
		if binary.BigEndian.Uint16(f[12:]) == 0x0806 && garp == nil {
			garp = f
		}
	}
	require.NotNil(t, advert)
	require.NotNil(t, garp)

	frame := func(et uint16, pkt []byte) []byte {
		return afpacket.AppendFrame(nil, mac("33:33:00:00:00:12"), mac("02:00:00:00:00:01"), et, pkt)
	}
	set := func(f []byte, off int, v ...byte) []byte {
		f = append([]byte(nil), f...)
		copy(f[off:], v)
		return f
	}
	v6 := frame(0x86dd, transporttest.IPv6Packet(netip.MustParseAddr("fe80::1"), 1))
	udp := set(advert, 23, 17)
	fragment := set(advert, 20, 0x00, 0x08) // offset 64 bytes
	firstFragment := set(advert, 20, 0x20, 0x00)
	ipv4Options := func() []byte {
		// IHL 6: the protocol byte does not move, the filter still finds it.
		p := append([]byte(nil), advert[14:34]...)
		p[0] = 0x46
		p = append(p, 1, 1, 1, 0) // NOP NOP NOP EOL
		return append(append(append([]byte(nil), advert[:14]...), p...), advert[34:]...)
	}()
	icmp6 := set(v6, 20, 58)
	// A unicast advert after one router: to our MAC and address, TTL (hop
	// limit) 254. The filter reads neither the address nor the TTL.
	routed := set(set(set(advert, 0, 0x02, 0, 0, 0, 0, 0x02), 22, 254), 30, 203, 0, 113, 1)
	routed6 := set(set(set(v6, 0, 0x02, 0, 0, 0, 0, 0x02), 21, 254), 38, netip.MustParseAddr("2001:db8:2::1").AsSlice()...)
	hopByHop := set(v6, 20, 0) // extension header before CARP
	tagged := func() []byte {
		// A tag left inline: the EtherType field reads 0x8100.
		f := append([]byte(nil), advert[:12]...)
		f = append(f, 0x81, 0x00, 0x00, 0x64)
		return append(f, advert[12:]...)
	}()

	multicast := skbMeta{pktType: 2}
	tests := []struct {
		name   string
		frame  []byte
		meta   skbMeta
		accept bool
	}{
		{"IPv4CARP", advert, multicast, true},
		{"IPv4CARPToHost", advert, skbMeta{pktType: 0}, true},
		{"IPv4CARPRoutedToHost", routed, skbMeta{pktType: 0}, true},
		{"IPv4CARPBroadcast", advert, skbMeta{pktType: 1}, true},
		{"IPv4CARPOwnOutgoing", advert, skbMeta{pktType: 4}, false},
		{"IPv4CARPOtherHost", advert, skbMeta{pktType: 3}, false},
		{"IPv4CARPVLANStripped", advert, skbMeta{pktType: 2, vlan: true}, false},
		{"IPv4CARPVLANInline", tagged, multicast, false},
		{"IPv4CARPOptions", ipv4Options, multicast, true},
		{"IPv4CARPFirstFragment", firstFragment, multicast, true},
		{"IPv4CARPLaterFragment", fragment, multicast, false},
		{"IPv4UDP", udp, multicast, false},
		{"ARP", garp, skbMeta{pktType: 1}, false},
		{"IPv6CARP", v6, multicast, true},
		{"IPv6CARPOwnOutgoing", v6, skbMeta{pktType: 4}, false},
		{"IPv6CARPRoutedToHost", routed6, skbMeta{pktType: 0}, true},
		{"IPv6ICMP", icmp6, multicast, false},
		{"IPv6ExtensionHeader", hopByHop, multicast, false},
		{"Truncated", advert[:20], multicast, false},
		{"Empty", nil, multicast, false},
	}
	prog := afpacket.Filter()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := runFilter(t, prog, tt.frame, tt.meta)
			if tt.accept {
				// The kernel keeps min(n, length): n must cover the frame.
				require.GreaterOrEqual(t, n, len(tt.frame), "accepted whole")
			} else {
				require.Zero(t, n, "rejected")
			}
		})
	}

	_, err := bpf.Assemble(prog)
	require.NoError(t, err)
}

func TestRejectAll(t *testing.T) {
	vm, err := bpf.NewVM(afpacket.RejectAll())
	require.NoError(t, err)
	for _, f := range [][]byte{nil, {0x45}, transporttest.IPv4Packet(netip.MustParseAddr("198.51.100.1"), 1)} {
		n, err := vm.Run(f)
		require.NoError(t, err)
		require.Zero(t, n)
	}
}
