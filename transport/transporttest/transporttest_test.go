package transporttest_test

import (
	"encoding/binary"
	"net/netip"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gocarp/gocarp/transport/transporttest"
)

// sum16 folds the one's complement sum of b; a region whose checksum field
// is right sums to 0xffff.
func sum16(b []byte) uint16 {
	var s uint32
	for i := 0; i+1 < len(b); i += 2 {
		s += uint32(binary.BigEndian.Uint16(b[i:]))
	}
	for s > 0xffff {
		s = s>>16 + s&0xffff
	}
	return uint16(s)
}

func TestPackets(t *testing.T) {
	tests := []struct {
		name     string
		pkt      []byte
		hdr      int
		version  byte
		protoOff int // of the protocol / next header byte
		src, dst netip.Addr
	}{
		{
			name: "IPv4", pkt: transporttest.IPv4Packet(netip.MustParseAddr("192.0.2.7"), 0x1234),
			hdr: 20, version: 4, protoOff: 9,
			src: netip.MustParseAddr("192.0.2.7"), dst: netip.MustParseAddr("224.0.0.18"),
		},
		{
			name: "IPv6", pkt: transporttest.IPv6Packet(netip.MustParseAddr("fe80::7"), 0x1234),
			hdr: 40, version: 6, protoOff: 6,
			src: netip.MustParseAddr("fe80::7"), dst: netip.MustParseAddr("ff02::12"),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := tt.pkt
			require.Len(t, p, tt.hdr+36)
			require.Equal(t, tt.version, p[0]>>4)
			require.EqualValues(t, 112, p[tt.protoOff])
			var src, dst netip.Addr
			if tt.version == 4 {
				require.EqualValues(t, len(p), binary.BigEndian.Uint16(p[2:]))
				require.EqualValues(t, 255, p[8])
				require.Equal(t, uint16(0xffff), sum16(p[:20]), "IPv4 header checksum")
				src, dst = netip.AddrFrom4([4]byte(p[12:16])), netip.AddrFrom4([4]byte(p[16:20]))
			} else {
				require.EqualValues(t, 36, binary.BigEndian.Uint16(p[4:]))
				require.EqualValues(t, 255, p[7])
				src, dst = netip.AddrFrom16([16]byte(p[8:24])), netip.AddrFrom16([16]byte(p[24:40]))
			}
			require.Equal(t, tt.src, src)
			require.Equal(t, tt.dst, dst)
			c := p[tt.hdr:]
			require.Equal(t, []byte{0x21, 1, 0, 7, 0, 1}, c[:6])
			require.Equal(t, uint16(0xffff), sum16(c), "CARP checksum")
			require.EqualValues(t, 0x1234, binary.BigEndian.Uint64(c[8:]))
		})
	}
	require.NotEqual(t,
		transporttest.IPv4Packet(netip.MustParseAddr("192.0.2.1"), 1),
		transporttest.IPv4Packet(netip.MustParseAddr("192.0.2.1"), 2))
}
