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

func TestDestination(t *testing.T) {
	v4 := transporttest.IPv4Packet(netip.MustParseAddr("198.51.100.1"), 1)
	v6 := transporttest.IPv6Packet(netip.MustParseAddr("fe80::1"), 1)
	tests := []struct {
		name        string
		pkt         []byte
		noMulticast bool
		want        string
		etherType   uint16
		err         error
	}{
		{"IPv4Group", v4, false, "01:00:5e:00:00:12", 0x0800, nil},
		{"IPv4GroupNoMcast", v4, true, "ff:ff:ff:ff:ff:ff", 0x0800, nil},
		{"IPv4OtherGroup", withDst(v4, netip.MustParseAddr("239.192.0.1")), false, "01:00:5e:40:00:01", 0x0800, nil},
		{"IPv4Broadcast", withDst(v4, netip.MustParseAddr("255.255.255.255")), false, "ff:ff:ff:ff:ff:ff", 0x0800, nil},
		{"IPv6Group", v6, false, "33:33:00:00:00:12", 0x86dd, nil},
		{"IPv6GroupNoMcast", v6, true, "ff:ff:ff:ff:ff:ff", 0x86dd, nil},
		{"IPv4Unicast", withDst(v4, netip.MustParseAddr("198.51.100.2")), false, "", 0, afpacket.ErrUnicastDestination},
		{"IPv4UnicastNoMcast", withDst(v4, netip.MustParseAddr("198.51.100.2")), true, "", 0, afpacket.ErrUnicastDestination},
		{"IPv6Unicast", withDst(v6, netip.MustParseAddr("2001:db8::2")), false, "", 0, afpacket.ErrUnicastDestination},
		{"Empty", nil, false, "", 0, io.ErrUnexpectedEOF},
		{"ShortIPv4", v4[:19], false, "", 0, io.ErrUnexpectedEOF},
		{"ShortIPv6", v6[:39], false, "", 0, io.ErrUnexpectedEOF},
		{"NotIP", append([]byte{0x50}, v4[1:]...), false, "", 0, afpacket.ErrBadPacket},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dst, et, err := afpacket.Destination(tt.pkt, tt.noMulticast)
			if tt.err != nil {
				require.ErrorIs(t, err, tt.err)
				if tt.err == io.ErrUnexpectedEOF {
					require.ErrorIs(t, err, afpacket.ErrBadPacket)
				}
				return
			}
			require.NoError(t, err)
			require.Equal(t, mac(tt.want), dst)
			require.Equal(t, tt.etherType, et)
		})
	}
}

// readPcap returns the frames of a capture in testdata.
func readPcap(t *testing.T, name string) [][]byte {
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
				dst, et, err := afpacket.Destination(pkt, tt.noMulticast)
				require.NoError(t, err)
				got := afpacket.AppendFrame(nil, dst, frame[6:12], et, pkt)
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
