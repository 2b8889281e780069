package wire_test

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gocarp/gocarp/wire"
)

// vecGoodPacket is ucarp's advert with counter 0 from counter_wrap.pcap
// (the deterministic vector), and a Filter that accepts it.
func vecGoodPacket(t testing.TB) ([]byte, wire.Filter) {
	t.Helper()
	pkt := vecReadCapture(t, "counter_wrap")[1].pkt
	return pkt, wire.Filter{
		VHID:   42,
		Local:  []netip.Addr{netip.MustParseAddr("198.51.100.3")},
		Signer: vecSigner(t, "secret", 42, "198.51.100.100"),
	}
}

// vecFixIP recomputes the IPv4 header checksum of pkt.
func vecFixIP(pkt []byte) {
	hl := int(pkt[0]&0x0f) * 4
	pkt[10], pkt[11] = 0, 0
	binary.BigEndian.PutUint16(pkt[10:], wire.Checksum(pkt[:hl]))
}

// vecFixCARP recomputes the CARP checksum of an option-less IPv4 packet.
func vecFixCARP(pkt []byte) {
	c := pkt[wire.IPv4HeaderLen : wire.IPv4HeaderLen+wire.AdvertLen]
	c[6], c[7] = 0, 0
	binary.BigEndian.PutUint16(c[6:], wire.Checksum(c))
}

func TestFilterErrors(t *testing.T) {
	good, base := vecGoodPacket(t)
	mut := func(f func(b []byte)) []byte {
		b := append([]byte(nil), good...)
		f(b)
		return b
	}
	tests := []struct {
		name   string
		pkt    []byte
		filter func(f *wire.Filter)
		err    error
	}{
		{"valid", good, nil, nil},
		{"own source", good, func(f *wire.Filter) { f.Local = append(f.Local, netip.MustParseAddr("198.51.100.1")) }, wire.ErrOwnPacket},
		{"own source mapped", good, func(f *wire.Filter) { f.Local = []netip.Addr{netip.MustParseAddr("::ffff:198.51.100.1")} }, wire.ErrOwnPacket},
		{"TTL 64", mut(func(b []byte) { b[8] = 64; vecFixIP(b) }), nil, wire.ErrBadTTL},
		{"TTL 254", mut(func(b []byte) { b[8] = 254; vecFixIP(b) }), nil, wire.ErrBadTTL},
		{"TTL 64 with SkipTTL", mut(func(b []byte) { b[8] = 64; vecFixIP(b) }), func(f *wire.Filter) { f.SkipTTL = true }, nil},
		{"version 1", mut(func(b []byte) { b[20] = 0x11; vecFixCARP(b) }), nil, wire.ErrBadVersion},
		{"version 3", mut(func(b []byte) { b[20] = 0x31; vecFixCARP(b) }), nil, wire.ErrBadVersion},
		{"other vhid", good, func(f *wire.Filter) { f.VHID = 43 }, wire.ErrBadVHID},
		{"other group", good, func(f *wire.Filter) { f.Group = netip.MustParseAddr("239.192.0.1") }, wire.ErrBadDestination},
		{"configured group", mut(func(b []byte) { copy(b[16:20], []byte{239, 192, 0, 1}); vecFixIP(b) }),
			func(f *wire.Filter) { f.Group = netip.MustParseAddr("239.192.0.1") }, nil},
		{"IPv6 group set, IPv4 packet keeps default", good, func(f *wire.Filter) { f.Group = netip.MustParseAddr("ff02::99") }, nil},
		{"unicast dst", mut(func(b []byte) { copy(b[16:20], []byte{198, 51, 100, 3}); vecFixIP(b) }), nil, wire.ErrBadDestination},
		{"unicast dst accepted", mut(func(b []byte) { copy(b[16:20], []byte{198, 51, 100, 3}); vecFixIP(b) }),
			func(f *wire.Filter) { f.Unicast = []netip.Addr{netip.MustParseAddr("198.51.100.3")} }, nil},
		{"unicast dst still needs TTL", mut(func(b []byte) { copy(b[16:20], []byte{198, 51, 100, 3}); b[8] = 1; vecFixIP(b) }),
			func(f *wire.Filter) { f.Unicast = []netip.Addr{netip.MustParseAddr("198.51.100.3")} }, wire.ErrBadTTL},
		// Unicast peers (spec §6): a listed peer's unicast advert passes
		// whatever its TTL (it may be routed); anyone else's is refused.
		{"peer, unicast, routed TTL", mut(func(b []byte) { copy(b[16:20], []byte{198, 51, 100, 3}); b[8] = 254; vecFixIP(b) }),
			func(f *wire.Filter) { f.Peers = []netip.Addr{netip.MustParseAddr("198.51.100.1")} }, nil},
		{"not a peer, unicast", mut(func(b []byte) { copy(b[16:20], []byte{198, 51, 100, 3}); vecFixIP(b) }),
			func(f *wire.Filter) { f.Peers = []netip.Addr{netip.MustParseAddr("198.51.100.9")} }, wire.ErrNotPeer},
		{"peers set, multicast keeps TTL rule", mut(func(b []byte) { b[8] = 254; vecFixIP(b) }),
			func(f *wire.Filter) { f.Peers = []netip.Addr{netip.MustParseAddr("198.51.100.1")} }, wire.ErrBadTTL},
		{"peers set, multicast accepted", good,
			func(f *wire.Filter) { f.Peers = []netip.Addr{netip.MustParseAddr("198.51.100.9")} }, nil},
		{"peer, unicast, bad digest", mut(func(b []byte) { copy(b[16:20], []byte{198, 51, 100, 3}); b[40] ^= 1; vecFixIP(b); vecFixCARP(b) }),
			func(f *wire.Filter) { f.Peers = []netip.Addr{netip.MustParseAddr("198.51.100.1")} }, wire.ErrBadDigest},
		{"IP checksum", mut(func(b []byte) { b[11]++ }), nil, wire.ErrBadIPChecksum},
		{"CARP checksum", mut(func(b []byte) { b[27]++ }), nil, wire.ErrBadChecksum},
		{"digest", mut(func(b []byte) { b[40] ^= 1; vecFixCARP(b) }), nil, wire.ErrBadDigest},
		{"counter", mut(func(b []byte) { b[35] ^= 1; vecFixCARP(b) }), nil, wire.ErrBadDigest},
		{"other password", good, func(f *wire.Filter) { f.Signer = vecSigner(t, "Secret", 42, "198.51.100.100") }, wire.ErrBadDigest},
		{"other VIP", good, func(f *wire.Filter) { f.Signer = vecSigner(t, "secret", 42, "198.51.100.101") }, wire.ErrBadDigest},
		{"no signer: digest unchecked", mut(func(b []byte) { b[40] ^= 1; vecFixCARP(b) }), func(f *wire.Filter) { f.Signer = nil }, nil},
		{"type 2, authlen 0, demote 5 accepted", mut(func(b []byte) { b[20], b[23], b[24] = 0x22, 0, 5; vecFixCARP(b) }), nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := base
			if tt.filter != nil {
				tt.filter(&f)
			}
			var p wire.Packet
			require.NoError(t, p.UnmarshalBinary(tt.pkt))
			err := f.Check(&p)
			if tt.err == nil {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, tt.err)
			for _, other := range vecFilterOrder {
				if other != tt.err {
					require.NotErrorIs(t, err, other)
				}
			}
		})
	}
}

func TestFilterIPv6(t *testing.T) {
	pkt := vecIPv6Packet(t)
	s := vecSigner(t, "secret", 42, "2001:db8::100")
	var p wire.Packet
	require.NoError(t, p.UnmarshalBinary(pkt))
	for _, tt := range []struct {
		name string
		f    wire.Filter
		err  error
	}{
		{"default group", wire.Filter{VHID: 42, Signer: s}, nil},
		{"IPv4 group set, IPv6 packet keeps default", wire.Filter{VHID: 42, Signer: s, Group: netip.MustParseAddr("239.1.1.1")}, nil},
		{"other IPv6 group", wire.Filter{VHID: 42, Signer: s, Group: netip.MustParseAddr("ff02::99")}, wire.ErrBadDestination},
		{"own link-local, zoned", wire.Filter{VHID: 42, Signer: s, Local: []netip.Addr{netip.MustParseAddr("fe80::1%eth0")}}, wire.ErrOwnPacket},
		{"IPv4 VIP signer", wire.Filter{VHID: 42, Signer: vecSigner(t, "secret", 42, "198.51.100.100")}, wire.ErrBadDigest},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.f.Check(&p)
			if tt.err == nil {
				require.NoError(t, err)
			} else {
				require.ErrorIs(t, err, tt.err)
			}
		})
	}
	pkt[7] = 1 // hop limit
	require.NoError(t, p.UnmarshalBinary(pkt))
	f := wire.Filter{VHID: 42, Signer: s}
	require.ErrorIs(t, f.Check(&p), wire.ErrBadTTL)
}

// vecFilterOrder is spec §7's order of Filter.Check's errors.
var vecFilterOrder = []error{
	wire.ErrOwnPacket, wire.ErrBadTTL, wire.ErrBadVersion, wire.ErrBadVHID,
	wire.ErrBadDestination, wire.ErrBadIPChecksum, wire.ErrBadChecksum, wire.ErrBadDigest,
}

// TestFilterOrder builds packets with every combination of the eight faults
// Filter detects and checks that the first in spec §7 order is reported.
func TestFilterOrder(t *testing.T) {
	good, base := vecGoodPacket(t)
	// One fault per entry of vecFilterOrder, as a change to the packet (the
	// checksums are fixed up afterwards unless the fault is a checksum) or
	// to the filter.
	pktFaults := [...]func(b []byte){
		1: func(b []byte) { b[8] = 64 },     // TTL
		2: func(b []byte) { b[20] = 0x31 },  // version 3
		4: func(b []byte) { b[19] = 19 },    // dst 224.0.0.19
		7: func(b []byte) { b[40] ^= 0x80 }, // digest
	}
	for mask := range 1 << len(vecFilterOrder) {
		has := func(i int) bool { return mask&(1<<i) != 0 }
		b := append([]byte(nil), good...)
		f := base
		for i, pf := range pktFaults {
			if pf != nil && has(i) {
				pf(b)
			}
		}
		vecFixCARP(b)
		if has(6) {
			b[wire.IPv4HeaderLen+6] ^= 0xff
		}
		vecFixIP(b)
		if has(5) {
			b[10] ^= 0xff
		}
		if has(0) {
			f.Local = []netip.Addr{netip.MustParseAddr("198.51.100.1")}
		}
		if has(3) {
			f.VHID = 7
		}

		var want error
		for i, e := range vecFilterOrder {
			if has(i) {
				want = e
				break
			}
		}
		var p wire.Packet
		require.NoError(t, p.UnmarshalBinary(b))
		got := f.Check(&p)
		if want == nil {
			require.NoError(t, got)
			continue
		}
		require.ErrorIs(t, got, want, "faults %08b", mask)
	}
}

func vecFieldCARP(off int) string {
	switch {
	case off == 0:
		return "version/type"
	case off == 1:
		return "vhid"
	case off == 2:
		return "advskew"
	case off == 3:
		return "authlen"
	case off == 4:
		return "demote"
	case off == 5:
		return "advbase"
	case off < 8:
		return "checksum"
	case off < 16:
		return "counter"
	default:
		return "digest"
	}
}

func vecFieldIPv4(off int) string {
	return [...]string{
		"version/ihl", "tos", "total length", "total length", "id", "id", "flags/fragment", "flags/fragment",
		"ttl", "protocol", "ip checksum", "ip checksum", "src", "src", "src", "src", "dst", "dst", "dst", "dst",
	}[off]
}

func vecDescribe(err error) string {
	if err == nil {
		return "accepted"
	}
	return wire.DropReason(err)
}

// TestBitFlip flips every bit of a captured advert, once as a broken
// packet and once the way an attacker would send it (checksums fixed up),
// and checks what each flip does.
func TestBitFlip(t *testing.T) {
	good, f := vecGoodPacket(t)
	results := map[string]map[string]int{} // "layer field" -> outcome -> count
	record := func(kind, field string, err error) {
		k := kind + " " + field
		if results[k] == nil {
			results[k] = map[string]int{}
		}
		results[k][vecDescribe(err)]++
	}
	check := func(b []byte) error {
		var p wire.Packet
		if err := p.UnmarshalBinary(b); err != nil {
			return err
		}
		return f.Check(&p)
	}
	require.NoError(t, check(good))

	// CARP bytes.
	for bit := range wire.AdvertLen * 8 {
		off, mask := bit/8, byte(1)<<(7-bit%8)
		field := vecFieldCARP(off)
		if off == 0 && mask&0xf0 == 0 {
			field = "type"
		} else if off == 0 {
			field = "version"
		}

		b := append([]byte(nil), good...)
		b[wire.IPv4HeaderLen+off] ^= mask
		raw := check(b)
		record("carp raw", field, raw)
		switch field {
		case "version":
			require.ErrorIs(t, raw, wire.ErrBadVersion, "bit %d", bit)
		case "vhid":
			require.ErrorIs(t, raw, wire.ErrBadVHID, "bit %d", bit)
		default: // any other flip breaks the CARP checksum
			require.ErrorIs(t, raw, wire.ErrBadChecksum, "bit %d (%s)", bit, field)
		}

		if field == "checksum" {
			continue // fixing the checksum undoes the flip
		}
		vecFixCARP(b)
		forged := check(b)
		record("carp forged", field, forged)
		switch field {
		case "version":
			require.ErrorIs(t, forged, wire.ErrBadVersion, "bit %d", bit)
		case "vhid":
			require.ErrorIs(t, forged, wire.ErrBadVHID, "bit %d", bit)
		case "counter", "digest":
			require.ErrorIs(t, forged, wire.ErrBadDigest, "bit %d (%s)", bit, field)
		case "type", "advskew", "authlen", "demote", "advbase":
			// Not covered by the digest: the digest's message carries the
			// receiver's own constants 0x02 0x01, not the packet's type
			// nibble, and nobody checks type (ucarp, BSD). Accepted.
			require.NoError(t, forged, "bit %d (%s)", bit, field)
			var p wire.Packet
			require.NoError(t, p.UnmarshalBinary(b))
			require.NotEqual(t, vecAdvertOf(t, good), p.Advert, "the flip changed a decoded field")
		default:
			t.Fatalf("unclassified field %s", field)
		}
	}

	// IPv4 header bytes.
	for bit := range wire.IPv4HeaderLen * 8 {
		off, mask := bit/8, byte(1)<<(7-bit%8)
		field := vecFieldIPv4(off)
		b := append([]byte(nil), good...)
		b[off] ^= mask
		raw := check(b)
		record("ip raw", field, raw)
		if field == "src" && slices.Contains(f.Local, netip.AddrFrom4([4]byte(b[12:16]))) {
			field = "src (now ours)"
		}
		switch field {
		case "src (now ours)":
			require.ErrorIs(t, raw, wire.ErrOwnPacket)
		case "version/ihl":
			// 4 -> 6 parses as IPv6 and finds no protocol 112.
			require.True(t, errors.Is(raw, wire.ErrBadIPHeader) || errors.Is(raw, wire.ErrTooShort) ||
				errors.Is(raw, wire.ErrNotCARP), "bit %d: %v", bit, raw)
		case "ttl":
			require.ErrorIs(t, raw, wire.ErrBadTTL)
		case "protocol":
			require.ErrorIs(t, raw, wire.ErrNotCARP)
		case "dst":
			require.ErrorIs(t, raw, wire.ErrBadDestination)
		default:
			require.ErrorIs(t, raw, wire.ErrBadIPChecksum, "bit %d (%s)", bit, field)
		}

		if field == "ip checksum" || field == "version/ihl" {
			continue // fixing undoes the flip / the header no longer parses
		}
		vecFixIP(b)
		forged := check(b)
		record("ip forged", field, forged)
		switch field {
		case "src (now ours)":
			require.ErrorIs(t, forged, wire.ErrOwnPacket)
		case "ttl":
			require.ErrorIs(t, forged, wire.ErrBadTTL)
		case "protocol":
			require.ErrorIs(t, forged, wire.ErrNotCARP)
		case "dst":
			require.ErrorIs(t, forged, wire.ErrBadDestination)
		case "tos", "total length", "id", "flags/fragment", "src":
			// The IP header is not covered by the digest; a spoofed
			// source is accepted (spec §2).
			require.NoError(t, forged, "bit %d (%s)", bit, field)
		default:
			t.Fatalf("unclassified field %s", field)
		}
	}

	keys := make([]string, 0, len(results))
	for k := range results {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		var parts []string
		for o, n := range results[k] {
			parts = append(parts, fmt.Sprintf("%s x%d", o, n))
		}
		sort.Strings(parts)
		t.Logf("%-28s %s", k, strings.Join(parts, ", "))
	}
}

func vecAdvertOf(t *testing.T, pkt []byte) wire.Advert {
	t.Helper()
	var p wire.Packet
	require.NoError(t, p.UnmarshalBinary(pkt))
	return p.Advert
}
