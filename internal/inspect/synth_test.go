package inspect_test

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"io"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
	"github.com/stretchr/testify/require"

	"github.com/gocarp/gocarp/hmac"
	"github.com/gocarp/gocarp/internal/inspect"
	"github.com/gocarp/gocarp/wire"
)

// A BSD-style group with several VIPs: the digest covers all of them.
var (
	synthPass = []byte("multi")
	synthVIPs = []netip.Addr{
		netip.MustParseAddr("192.0.2.11"),
		netip.MustParseAddr("2001:db8::1"),
		netip.MustParseAddr("192.0.2.10"),
	}
	synthStart = time.Date(2026, 11, 22, 2, 6, 51, 123456000, time.UTC)
)

// signedAdvert returns an advert for vhid/counter signed over synthVIPs.
func signedAdvert(t testing.TB, vhid uint8, counter uint64) *wire.Advert {
	t.Helper()
	s, err := hmac.NewSigner(synthPass, vhid, synthVIPs)
	require.NoError(t, err)
	return &wire.Advert{Version: wire.Version, Type: wire.TypeAdvertisement, VHID: vhid, AdvSkew: 100,
		AuthLen: wire.AuthLen, Demote: 3, AdvBase: 2, Counter: counter, Digest: s.Sign(counter)}
}

func ipv4Advert(t testing.TB, a *wire.Advert) []byte {
	t.Helper()
	b, err := wire.AppendIPv4(nil, netip.MustParseAddr("192.0.2.1"), wire.IPv4Group, 0x1234, a)
	require.NoError(t, err)
	return b
}

func ipv6Advert(t testing.TB, a *wire.Advert) []byte {
	t.Helper()
	b, err := wire.AppendIPv6(nil, netip.MustParseAddr("fe80::1"), wire.IPv6Group, a)
	require.NoError(t, err)
	return b
}

// frame wraps an IP packet for link type lt; vlan adds 802.1Q tags.
func frame(lt layers.LinkType, ip []byte, vlanTags ...uint16) []byte {
	et := uint16(0x0800)
	if ip[0]>>4 == 6 {
		et = 0x86dd
	}
	var b []byte
	switch lt {
	case layers.LinkTypeEthernet:
		b = append(b, 0x01, 0x00, 0x5e, 0, 0, 0x12, 0x00, 0x00, 0x5e, 0, 0, 7)
		for _, tpid := range vlanTags {
			b = binary.BigEndian.AppendUint16(b, tpid)
			b = binary.BigEndian.AppendUint16(b, 42) // VLAN id
		}
		b = binary.BigEndian.AppendUint16(b, et)
	case layers.LinkTypeLinuxSLL:
		b = append(b, 0, 0, 0, 1, 0, 6, 2, 0, 0, 0, 0, 1, 0, 0)
		b = binary.BigEndian.AppendUint16(b, et)
	case layers.LinkTypeLinuxSLL2:
		b = binary.BigEndian.AppendUint16(b, et)
		b = append(b, 0, 0, 0, 0, 0, 2, 0, 1, 0, 6, 2, 0, 0, 0, 0, 1, 0, 0)
	case layers.LinkTypeNull:
		b = binary.LittleEndian.AppendUint32(b, 2) // AF_INET, host order
	case layers.LinkTypeLoop:
		b = binary.BigEndian.AppendUint32(b, 24) // AF_INET6 on OpenBSD, network order
	}
	return append(b, ip...)
}

// writePcap writes frames as a pcap of link type lt, one second apart.
func writePcap(t testing.TB, lt layers.LinkType, frames ...[]byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := pcapgo.NewWriter(&buf)
	require.NoError(t, w.WriteFileHeader(65535, lt))
	for i, f := range frames {
		ci := gopacket.CaptureInfo{Timestamp: synthStart.Add(time.Duration(i) * time.Second), CaptureLength: len(f), Length: len(f)}
		require.NoError(t, w.WritePacket(ci, f))
	}
	return buf.Bytes()
}

func TestLinkTypes(t *testing.T) {
	v4 := ipv4Advert(t, signedAdvert(t, 7, 5))
	v6 := ipv6Advert(t, signedAdvert(t, 7, 6))
	udp := append([]byte{0x45, 0, 0, 28, 0, 0, 0x40, 0, 64, 17, 0, 0, 192, 0, 2, 1, 192, 0, 2, 2}, make([]byte, 8)...)
	want := []string{
		"2026-11-22T02:06:51.123456Z 192.0.2.1 > 224.0.0.18 ttl 255 CARPv2 advert vhid 7 advbase 2 advskew 100 demote 3 counter 0000000000000005 cksum ok auth ok",
		// The UDP packet at :52 is skipped.
		"2026-11-22T02:06:53.123456Z fe80::1 > ff02::12 ttl 255 CARPv2 advert vhid 7 advbase 2 advskew 100 demote 3 counter 0000000000000006 cksum ok auth ok",
	}
	tests := []struct {
		name string
		lt   layers.LinkType
		tags []uint16
	}{
		{name: "ethernet", lt: layers.LinkTypeEthernet},
		{name: "802.1Q", lt: layers.LinkTypeEthernet, tags: []uint16{0x8100}},
		{name: "QinQ", lt: layers.LinkTypeEthernet, tags: []uint16{0x88a8, 0x8100}},
		{name: "SLL", lt: layers.LinkTypeLinuxSLL},
		{name: "SLL2", lt: layers.LinkTypeLinuxSLL2},
		{name: "raw", lt: layers.LinkTypeRaw},
		{name: "null", lt: layers.LinkTypeNull},
		{name: "loop", lt: layers.LinkTypeLoop},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := writePcap(t, tt.lt, frame(tt.lt, v4, tt.tags...), frame(tt.lt, udp, tt.tags...), frame(tt.lt, v6, tt.tags...))
			var out bytes.Buffer
			sum, err := inspect.ReadPcap(bytes.NewReader(data), inspect.Options{Password: synthPass, VIPs: synthVIPs}, &out)
			require.NoError(t, err)
			require.Equal(t, strings.Join(want, "\n")+"\n", out.String())
			require.Equal(t, inspect.Summary{Packets: 3, CARP: 2, AuthOK: 2}, sum)
		})
	}
}

func TestUnsupportedLinkType(t *testing.T) {
	data := writePcap(t, layers.LinkTypeIEEE802_11, []byte{1, 2, 3})
	_, err := inspect.ReadPcap(bytes.NewReader(data), inspect.Options{}, &bytes.Buffer{})
	require.ErrorIs(t, err, inspect.ErrLinkType)
}

// TestMultiVIPDigest: the digest covers every VIP, so all must be given;
// their order on the command line does not matter.
func TestMultiVIPDigest(t *testing.T) {
	data := writePcap(t, layers.LinkTypeRaw, ipv4Advert(t, signedAdvert(t, 9, 1)), ipv6Advert(t, signedAdvert(t, 9, 2)))
	tests := []struct {
		name string
		vips []netip.Addr
		ok   bool
	}{
		{name: "all", vips: synthVIPs, ok: true},
		{name: "all, other order, a duplicate", vips: []netip.Addr{synthVIPs[1], synthVIPs[2], synthVIPs[0], synthVIPs[2]}, ok: true},
		{name: "IPv4 only", vips: synthVIPs[0:1]},
		{name: "missing IPv6", vips: []netip.Addr{synthVIPs[0], synthVIPs[2]}},
		{name: "one too many", vips: append([]netip.Addr{netip.MustParseAddr("192.0.2.12")}, synthVIPs...)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			sum, err := inspect.ReadPcap(bytes.NewReader(data),
				inspect.Options{Password: synthPass, VIPs: tt.vips, Stderr: &bytes.Buffer{}}, &out)
			require.NoError(t, err)
			if tt.ok {
				require.Equal(t, 2, sum.AuthOK, out.String())
				require.Equal(t, 2, strings.Count(out.String(), "auth ok\n"))
			} else {
				require.Equal(t, 2, sum.AuthBad, out.String())
				require.Equal(t, 2, strings.Count(out.String(), "auth bad\n"))
			}
		})
	}
}

// TestOddPackets covers what ucarp's own captures lack: another type,
// VRRP on protocol 112, a later IPv4 fragment, an IP header too short.
func TestOddPackets(t *testing.T) {
	typ2 := signedAdvert(t, 7, 5)
	typ2.Type = 2
	frag := ipv4Advert(t, signedAdvert(t, 7, 5))
	frag[6], frag[7] = 0x00, 0x08 // offset 64 bytes
	binary.BigEndian.PutUint16(frag[10:], 0)
	binary.BigEndian.PutUint16(frag[10:], wire.Checksum(frag[:20]))
	// keepalived's VRRPv2: 0x21 as well, but 20 bytes with one address.
	vrrp := []byte{0x45, 0xc0, 0, 40, 0, 0, 0, 0, 255, 112, 0, 0, 192, 0, 2, 1, 224, 0, 0, 18,
		0x21, 51, 100, 1, 0, 1, 0, 0, 192, 0, 2, 100, 0, 0, 0, 0, 0, 0, 0, 0}
	tests := []struct {
		name string
		ip   []byte
		want string
		sum  inspect.Summary
	}{
		{name: "type 2", ip: ipv4Advert(t, typ2),
			want: "CARPv2 type 2 vhid 7 advbase 2 advskew 100 demote 3 counter 0000000000000005 cksum ok auth ok",
			sum:  inspect.Summary{Packets: 1, CARP: 1, AuthOK: 1}},
		{name: "VRRPv2", ip: vrrp,
			want: "192.0.2.1 > 224.0.0.18 ttl 255 CARP malformed: carp: packet too short",
			sum:  inspect.Summary{Packets: 1, CARP: 1, Malformed: 1}},
		{name: "fragment", ip: frag, want: "CARP malformed: IPv4 fragment",
			sum: inspect.Summary{Packets: 1, CARP: 1, Malformed: 1}},
		{name: "IPv4 header cut", ip: vrrp[:12], want: "2026-11-22T02:06:51.123456Z CARP malformed: carp: packet too short",
			sum: inspect.Summary{Packets: 1, CARP: 1, Malformed: 1}},
		{name: "bad IHL", ip: append([]byte{0x41}, vrrp[1:]...), want: "CARP malformed: carp: malformed IP header",
			sum: inspect.Summary{Packets: 1, CARP: 1, Malformed: 1}},
		{name: "IPv6 cut", ip: ipv6Advert(t, signedAdvert(t, 7, 5))[:60], want: "CARP malformed: carp: packet too short",
			sum: inspect.Summary{Packets: 1, CARP: 1, Malformed: 1}},
		{name: "not IP", ip: []byte{0x00, 0x01, 0x08, 0x00}, sum: inspect.Summary{Packets: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			sum, err := inspect.ReadPcap(bytes.NewReader(writePcap(t, layers.LinkTypeRaw, tt.ip)),
				inspect.Options{Password: synthPass, VIPs: synthVIPs}, &out)
			require.NoError(t, err)
			require.Equal(t, tt.sum, sum)
			if tt.want == "" {
				require.Empty(t, out.String())
				return
			}
			require.Contains(t, out.String(), tt.want)
			require.Equal(t, 1, strings.Count(out.String(), "\n"))
		})
	}
}

// TestSnapLength: a capture taken with a small snap length cuts the
// digest; the line says so instead of blaming the packet.
func TestSnapLength(t *testing.T) {
	f := frame(layers.LinkTypeEthernet, ipv4Advert(t, signedAdvert(t, 7, 5)))
	var buf bytes.Buffer
	w := pcapgo.NewWriter(&buf)
	require.NoError(t, w.WriteFileHeader(64, layers.LinkTypeEthernet))
	require.NoError(t, w.WritePacket(gopacket.CaptureInfo{Timestamp: synthStart, CaptureLength: 64, Length: len(f)}, f[:64]))
	var out bytes.Buffer
	sum, err := inspect.ReadPcap(&buf, inspect.Options{}, &out)
	require.NoError(t, err)
	require.Equal(t, inspect.Summary{Packets: 1, CARP: 1, Malformed: 1}, sum)
	require.Contains(t, out.String(), "snap length")
}

// TestFormats: pcapng and gzip give the same lines as the plain pcap.
func TestFormats(t *testing.T) {
	plain := readFile(t, "validate.pcap")
	opts := inspect.Options{Password: []byte("secret"), VIPs: []netip.Addr{netip.MustParseAddr("198.51.100.100")}}
	var want bytes.Buffer
	wantSum, err := inspect.ReadPcap(bytes.NewReader(plain), opts, &want)
	require.NoError(t, err)
	require.NotZero(t, wantSum.AuthOK)

	// pcapng, written record by record from the pcap.
	r, err := pcapgo.NewReader(bytes.NewReader(plain))
	require.NoError(t, err)
	var ng bytes.Buffer
	nw, err := pcapgo.NewNgWriter(&ng, r.LinkType())
	require.NoError(t, err)
	for {
		data, ci, err := r.ReadPacketData()
		if err != nil {
			break
		}
		require.NoError(t, nw.WritePacket(ci, data))
	}
	require.NoError(t, nw.Flush())

	gz := func(b []byte) []byte {
		var out bytes.Buffer
		zw := gzip.NewWriter(&out)
		_, err := zw.Write(b)
		require.NoError(t, err)
		require.NoError(t, zw.Close())
		return out.Bytes()
	}
	for name, data := range map[string][]byte{"pcapng": ng.Bytes(), "pcap.gz": gz(plain), "pcapng.gz": gz(ng.Bytes())} {
		t.Run(name, func(t *testing.T) {
			var out bytes.Buffer
			sum, err := inspect.ReadPcap(bytes.NewReader(data), opts, &out)
			require.NoError(t, err)
			require.Equal(t, wantSum, sum)
			require.Equal(t, want.String(), out.String())
		})
	}
}

func TestBadOptions(t *testing.T) {
	tests := []struct {
		name string
		opts inspect.Options
		err  error
	}{
		{name: "empty password", opts: inspect.Options{Password: []byte{}}, err: hmac.ErrEmptyPassword},
		{name: "long password", opts: inspect.Options{Password: make([]byte, 20)}, err: hmac.ErrPasswordTooLong},
		{name: "zero VIP", opts: inspect.Options{Password: []byte("x"), VIPs: []netip.Addr{{}}}, err: hmac.ErrInvalidVIP},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			_, err := inspect.ReadPcap(bytes.NewReader(readFile(t, "exp1.pcap")), tt.opts, &out)
			require.ErrorIs(t, err, tt.err)
			require.Empty(t, out.String(), "nothing printed before the options are known good")
		})
	}
}

// A secure-mode advert (gocarp only) is recognised as such, apart from the
// compatible digest; rewriting a field it covers makes it bad.
func TestSecureDigest(t *testing.T) {
	ss, err := hmac.NewSecureSigner(synthPass, 9, synthVIPs)
	require.NoError(t, err)
	secure := func(src string, counter uint64) *wire.Advert {
		a := signedAdvert(t, 9, counter)
		a.Digest = ss.SignFields(a.Fields(), netip.MustParseAddr(src), counter)
		return a
	}
	rewritten := secure("192.0.2.1", 3)
	rewritten.AdvSkew = 0 // an attacker's better priority
	data := writePcap(t, layers.LinkTypeRaw,
		ipv4Advert(t, signedAdvert(t, 9, 1)),
		ipv4Advert(t, secure("192.0.2.1", 2)),
		ipv6Advert(t, secure("fe80::1", 4)),
		ipv4Advert(t, rewritten),
		ipv6Advert(t, secure("fe80::2", 5)), // signed for another source
	)
	var out, stderr bytes.Buffer
	sum, err := inspect.ReadPcap(bytes.NewReader(data), inspect.Options{Password: synthPass, VIPs: synthVIPs, Stderr: &stderr}, &out)
	require.NoError(t, err)
	require.Equal(t, []int{1, 2, 2}, []int{sum.AuthOK, sum.AuthSecure, sum.AuthBad}, out.String())
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	require.Len(t, lines, 5)
	for i, want := range []string{"auth ok", "auth secure", "auth secure", "auth bad", "auth bad"} {
		require.True(t, strings.HasSuffix(lines[i], want), "line %d: %s", i, lines[i])
	}
	require.Contains(t, sum.String(), "auth 1 ok / 2 secure / 2 bad")

	// A secure match is a match: no "no digest matched" hint.
	only := writePcap(t, layers.LinkTypeRaw, ipv4Advert(t, secure("192.0.2.1", 2)), ipv4Advert(t, rewritten))
	_, err = inspect.ReadPcap(bytes.NewReader(only), inspect.Options{Password: synthPass, VIPs: synthVIPs, Stderr: &stderr}, io.Discard)
	require.NoError(t, err)
	require.Empty(t, stderr.String())

	out.Reset()
	_, err = inspect.ReadPcap(bytes.NewReader(data), inspect.Options{Password: synthPass, VIPs: synthVIPs, JSON: true, Stderr: &stderr}, &out)
	require.NoError(t, err)
	require.Equal(t, 2, strings.Count(out.String(), `"auth":"secure"`), out.String())
}
