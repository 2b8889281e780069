package arp_test

import (
	"encoding/binary"
	"encoding/hex"
	"io"
	"net"
	"net/netip"
	"os"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
	"github.com/mdlayher/ndp"
	"github.com/stretchr/testify/require"

	"github.com/gocarp/gocarp/arp"
)

func mac(s string) net.HardwareAddr {
	m, err := net.ParseMAC(s)
	if err != nil {
		panic(err)
	}
	return m
}

func unhex(s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}

// arpFrames returns the ARP frames of testdata/exp1.pcap, captured from
// ucarp 1.5.2.
func arpFrames(t *testing.T) [][]byte {
	t.Helper()
	f, err := os.Open("testdata/exp1.pcap")
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
		if len(data) >= 14 && binary.BigEndian.Uint16(data[12:]) == 0x0806 {
			frames = append(frames, data)
		}
	}
}

func TestGratuitousARPMatchesUcarp(t *testing.T) {
	frames := arpFrames(t)
	require.Len(t, frames, 4, "A's two GARPs, then B's two")
	for i, frame := range frames {
		// Sender MAC and VIP as ucarp put them in its frame.
		src := net.HardwareAddr(frame[22:28])
		vip := netip.AddrFrom4([4]byte(frame[28:32]))
		require.Equal(t, netip.MustParseAddr("198.51.100.100"), vip)
		got, err := arp.GratuitousARP(src, vip)
		require.NoError(t, err)
		require.Equal(t, frame, got, "frame %d", i)
		require.Len(t, got, arp.GratuitousARPLen)
	}
}

func TestGratuitousARP(t *testing.T) {
	tests := []struct {
		name string
		mac  net.HardwareAddr
		vip  netip.Addr
		want []byte
		err  error
	}{
		{
			name: "ucarp exp1 node A",
			mac:  mac("02:00:00:00:00:0a"),
			vip:  netip.MustParseAddr("198.51.100.100"),
			want: unhex("ffffffffffff02000000000a0806" + "0001080006040001" +
				"02000000000ac6336464" + "02000000000ac6336464"),
		},
		{
			name: "virtual MAC, IPv4-mapped VIP",
			mac:  mac("00:00:5e:00:01:2a"),
			vip:  netip.MustParseAddr("::ffff:192.0.2.7"),
			want: unhex("ffffffffffff00005e00012a0806" + "0001080006040001" +
				"00005e00012ac0000207" + "00005e00012ac0000207"),
		},
		{name: "IPv6 VIP", mac: mac("02:00:00:00:00:0a"), vip: netip.MustParseAddr("2001:db8::1"), err: arp.ErrNotIPv4},
		{name: "no VIP", mac: mac("02:00:00:00:00:0a"), err: arp.ErrNotIPv4},
		{name: "no MAC", vip: netip.MustParseAddr("192.0.2.7"), err: arp.ErrBadMAC},
		{name: "EUI-64", mac: mac("02:00:00:00:00:00:00:0a"), vip: netip.MustParseAddr("192.0.2.7"), err: arp.ErrBadMAC},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := arp.GratuitousARP(tt.mac, tt.vip)
			if tt.err != nil {
				require.ErrorIs(t, err, tt.err)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
		})
	}
}

// onesSum is the RFC 1071 sum over b, folded, not complemented.
func onesSum(b []byte) uint16 {
	var s uint64
	for i := 0; i < len(b); i += 2 {
		w := uint64(b[i]) << 8
		if i+1 < len(b) {
			w |= uint64(b[i+1])
		}
		s += w
	}
	for s>>16 != 0 {
		s = s&0xffff + s>>16
	}
	return uint16(s)
}

func TestNeighborAdvertisement(t *testing.T) {
	tests := []struct {
		name   string
		mac    net.HardwareAddr
		vip    netip.Addr
		src    netip.Addr // zero: the VIP
		router bool
		want   string // the whole frame, when pinned
	}{
		{
			// Pinned from the hand-built framer ndp replaced: the wire
			// did not change.
			name: "global", mac: mac("02:00:00:00:00:0a"), vip: netip.MustParseAddr("2001:db8::100"),
			want: "33330000000102000000000a86dd" +
				"6000000000203aff20010db8000000000000000000000100ff020000000000000000000000000001" +
				"8800f723" + "20000000" + "20010db8000000000000000000000100" + "020102000000000a",
		},
		{
			name: "router", mac: mac("00:00:5e:00:01:2a"), vip: netip.MustParseAddr("2001:db8:1::1"), router: true,
			want: "33330000000100005e00012a86dd" +
				"6000000000203aff20010db8000100000000000000000001ff020000000000000000000000000001" +
				"88001bff" + "a0000000" + "20010db8000100000000000000000001" + "020100005e00012a",
		},
		{name: "link-local with zone", mac: mac("02:00:00:00:00:0b"), vip: netip.MustParseAddr("fe80::1%eth0")},
		{name: "from link-local", mac: mac("02:00:00:00:00:0a"), vip: netip.MustParseAddr("2001:db8::100"), src: netip.MustParseAddr("fe80::200:ff:fe00:a")},
		{name: "router from link-local with zone", mac: mac("02:00:00:00:00:0a"), vip: netip.MustParseAddr("2001:db8::100"), src: netip.MustParseAddr("fe80::200:ff:fe00:a%eth0"), router: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := arp.NeighborAdvertisement(tt.mac, tt.vip, tt.src, tt.router)
			require.NoError(t, err)
			require.Len(t, b, arp.NeighborAdvertisementLen)
			if tt.want != "" {
				require.Equal(t, unhex(tt.want), b)
			}
			src := tt.src.WithZone("")
			if !src.IsValid() {
				src = tt.vip.WithZone("")
			}

			// Checksum, computed here from the RFC 8200 pseudo-header: the
			// sum over pseudo-header and message is all ones.
			icmp := b[14+40:]
			pseudo := append(append([]byte(nil), b[14+8:14+40]...), 0, 0, 0, byte(len(icmp)), 0, 0, 0, 58)
			require.Equal(t, uint16(0xffff), onesSum(append(pseudo, icmp...)), "ICMPv6 checksum")

			// ndp reads back what it was asked to write.
			m, err := ndp.ParseMessage(icmp)
			require.NoError(t, err)
			require.Equal(t, &ndp.NeighborAdvertisement{
				Router:        tt.router,
				Solicited:     false,
				Override:      true,
				TargetAddress: tt.vip.WithZone(""),
				Options:       []ndp.Option{&ndp.LinkLayerAddress{Direction: ndp.Target, Addr: tt.mac}},
			}, m)

			// An independent decoder agrees on every field.
			pkt := gopacket.NewPacket(b, layers.LayerTypeEthernet, gopacket.Default)
			require.Nil(t, pkt.ErrorLayer())
			eth := pkt.Layer(layers.LayerTypeEthernet).(*layers.Ethernet)
			require.Equal(t, mac("33:33:00:00:00:01"), eth.DstMAC)
			require.Equal(t, tt.mac, eth.SrcMAC)
			ip6 := pkt.Layer(layers.LayerTypeIPv6).(*layers.IPv6)
			require.Equal(t, uint8(255), ip6.HopLimit)
			require.Equal(t, uint8(0), ip6.TrafficClass)
			require.Equal(t, layers.IPProtocolICMPv6, ip6.NextHeader)
			require.Equal(t, uint16(32), ip6.Length)
			require.Equal(t, src.AsSlice(), []byte(ip6.SrcIP))
			require.Equal(t, netip.MustParseAddr("ff02::1").AsSlice(), []byte(ip6.DstIP))
			ic := pkt.Layer(layers.LayerTypeICMPv6).(*layers.ICMPv6)
			require.NoError(t, ic.SetNetworkLayerForChecksum(ip6))
			err, res := ic.VerifyChecksum()
			require.NoError(t, err)
			require.True(t, res.Valid, "gopacket checksum")
			require.Equal(t, uint8(layers.ICMPv6TypeNeighborAdvertisement), ic.TypeCode.Type())
			na := pkt.Layer(layers.LayerTypeICMPv6NeighborAdvertisement).(*layers.ICMPv6NeighborAdvertisement)
			require.True(t, na.Override())
			require.False(t, na.Solicited(), "unsolicited")
			require.Equal(t, tt.router, na.Router())
			require.Equal(t, tt.vip.WithZone("").AsSlice(), []byte(na.TargetAddress))
			require.Len(t, na.Options, 1)
			require.Equal(t, layers.ICMPv6OptTargetAddress, na.Options[0].Type)
			require.Equal(t, []byte(tt.mac), na.Options[0].Data)
		})
	}
}

func TestNeighborAdvertisementErrors(t *testing.T) {
	tests := []struct {
		name string
		mac  net.HardwareAddr
		vip  netip.Addr
		src  netip.Addr
		err  error
	}{
		{"IPv4 VIP", mac("02:00:00:00:00:0a"), netip.MustParseAddr("192.0.2.1"), netip.Addr{}, arp.ErrNotIPv6},
		{"IPv4-mapped VIP", mac("02:00:00:00:00:0a"), netip.MustParseAddr("::ffff:192.0.2.1"), netip.Addr{}, arp.ErrNotIPv6},
		{"no VIP", mac("02:00:00:00:00:0a"), netip.Addr{}, netip.Addr{}, arp.ErrNotIPv6},
		{"short MAC", net.HardwareAddr{2, 0, 0}, netip.MustParseAddr("2001:db8::1"), netip.Addr{}, arp.ErrBadMAC},
		{"IPv4 source", mac("02:00:00:00:00:0a"), netip.MustParseAddr("2001:db8::1"), netip.MustParseAddr("192.0.2.1"), arp.ErrBadSource},
		{"IPv4-mapped source", mac("02:00:00:00:00:0a"), netip.MustParseAddr("2001:db8::1"), netip.MustParseAddr("::ffff:192.0.2.1"), arp.ErrBadSource},
		{"multicast source", mac("02:00:00:00:00:0a"), netip.MustParseAddr("2001:db8::1"), netip.MustParseAddr("ff02::1"), arp.ErrBadSource},
		{"unspecified source", mac("02:00:00:00:00:0a"), netip.MustParseAddr("2001:db8::1"), netip.IPv6Unspecified(), arp.ErrBadSource},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := arp.NeighborAdvertisement(tt.mac, tt.vip, tt.src, false)
			require.ErrorIs(t, err, tt.err)
		})
	}
}
