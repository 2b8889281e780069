package wire_test

import (
	"bufio"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
	"github.com/stretchr/testify/require"

	"github.com/gocarp/gocarp/hmac"
	"github.com/gocarp/gocarp/wire"
)

// vecCapture describes one ucarp capture in testdata (README.ucarp.md).
type vecCapture struct {
	file     string
	password string
	vhid     uint8
	vip      string
	group    string // destination the adverts use; 224.0.0.18 unless --mcast
}

// vecCaptures lists every capture with the parameters README.ucarp.md gives
// for it. validate and validate2 are checked separately by
// TestVectorValidate.
var vecCaptures = []vecCapture{
	{"exp1", "secret", 42, "198.51.100.100", "224.0.0.18"},
	{"v2_maxpass", "0123456789abcdefghi", 1, "198.51.100.201", "224.0.0.18"},
	{"v3_mcast", "p", 255, "198.51.100.254", "239.192.0.1"},
	{"v4_nomcast", "secret", 7, "198.51.100.77", "224.0.0.18"},
	{"s1_preempt", "secret", 42, "198.51.100.100", "224.0.0.18"},
	{"s2a_nopreempt", "secret", 42, "198.51.100.100", "224.0.0.18"},
	{"s2b_timeout", "secret", 42, "198.51.100.100", "224.0.0.18"},
	{"s3_tiebreak_byteorder", "secret", 42, "198.51.100.100", "224.0.0.18"},
	{"s4_linkdown", "secret", 42, "198.51.100.100", "224.0.0.18"},
	{"s5_ignoreifstate", "secret", 42, "198.51.100.100", "224.0.0.18"},
	{"counter_wrap", "secret", 42, "198.51.100.100", "224.0.0.18"},
	{"adv255", "secret", 42, "198.51.100.100", "224.0.0.18"},
}

// vecFrame is one CARP frame of a capture: the IP packet (Ethernet header
// stripped) and its capture timestamp as the verify files print it.
type vecFrame struct {
	ts  string
	pkt []byte
}

// vecReadCapture returns the IPv4/IPv6 protocol-112 frames of
// testdata/name.pcap, skipping ARP and anything else.
func vecReadCapture(t testing.TB, name string) []vecFrame {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", name+".pcap"))
	require.NoError(t, err)
	defer f.Close()
	r, err := pcapgo.NewReader(f)
	require.NoError(t, err)
	require.Equal(t, layers.LinkTypeEthernet, r.LinkType())

	var out []vecFrame
	for {
		data, ci, err := r.ReadPacketData()
		if errors.Is(err, io.EOF) {
			break
		}
		require.NoError(t, err)
		if len(data) < 14 {
			continue
		}
		ip := data[14:]
		switch binary.BigEndian.Uint16(data[12:14]) {
		case 0x0800:
			if len(ip) < 20 || ip[9] != wire.ProtocolNumber {
				continue
			}
		case 0x86dd:
			if len(ip) < 40 || ip[6] != wire.ProtocolNumber {
				continue
			}
		default: // ARP and the rest
			continue
		}
		ts := ci.Timestamp
		out = append(out, vecFrame{
			ts:  fmt.Sprintf("%d.%06d", ts.Unix(), ts.Nanosecond()/1000),
			pkt: append([]byte(nil), ip...),
		})
	}
	return out
}

// vecLine is one advertisement line of a *.verify.txt file, recorded by an
// independent decoder when the captures were made.
type vecLine map[string]string

func (l vecLine) str(t testing.TB, k string) string {
	t.Helper()
	v, ok := l[k]
	require.True(t, ok, "verify line has no %q: %v", k, l)
	return v
}

func (l vecLine) uint(t testing.TB, k string) uint64 {
	t.Helper()
	v := l.str(t, k)
	base := 10
	if strings.HasPrefix(v, "0x") {
		v, base = v[2:], 16
	} else if k == "counter" {
		base = 16
	}
	n, err := strconv.ParseUint(v, base, 64)
	require.NoError(t, err, "%s=%s", k, v)
	return n
}

func (l vecLine) bool(t testing.TB, k string) bool {
	t.Helper()
	b, err := strconv.ParseBool(l.str(t, k))
	require.NoError(t, err)
	return b
}

func (l vecLine) addr(t testing.TB, k string) netip.Addr {
	t.Helper()
	a, err := netip.ParseAddr(l.str(t, k))
	require.NoError(t, err)
	return a
}

// vecReadVerify parses testdata/name.verify.txt: one line per advert,
// "<ts> CARP key=value ...", then a summary line "<n> advertisements, ...".
func vecReadVerify(t testing.TB, name string) []vecLine {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", name+".verify.txt"))
	require.NoError(t, err)
	defer f.Close()
	var lines []vecLine
	summary := -1
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) == 0 {
			continue
		}
		if len(fields) >= 2 && fields[1] == "advertisements," {
			summary, err = strconv.Atoi(fields[0])
			require.NoError(t, err)
			continue
		}
		require.Equal(t, "CARP", fields[1], "unexpected line %q", sc.Text())
		l := vecLine{"ts": fields[0]}
		for _, f := range fields[2:] {
			if k, v, ok := strings.Cut(f, "="); ok {
				l[k] = v
			}
		}
		lines = append(lines, l)
	}
	require.NoError(t, sc.Err())
	require.Equal(t, summary, len(lines), "summary line disagrees with the number of adverts")
	return lines
}

// vecCheckFields compares a decoded packet with the independently recorded
// fields of its verify line.
func vecCheckFields(t *testing.T, l vecLine, fr vecFrame, p *wire.Packet) {
	t.Helper()
	require.Equal(t, l.str(t, "ts"), fr.ts, "capture timestamp")
	require.Equal(t, l.addr(t, "src"), p.Src)
	require.Equal(t, l.addr(t, "dst"), p.Dst)
	require.EqualValues(t, l.uint(t, "ttl"), p.TTL)
	require.EqualValues(t, l.uint(t, "tos"), p.TOS)
	require.EqualValues(t, l.uint(t, "id"), p.ID)
	require.EqualValues(t, l.uint(t, "off"), binary.BigEndian.Uint16(fr.pkt[6:8]))
	require.Equal(t, l.bool(t, "ipcksum_ok"), p.IPChecksumOK)
	require.Equal(t, l.bool(t, "carp_cksum_ok"), p.ChecksumOK)
	a := &p.Advert
	require.EqualValues(t, l.uint(t, "ver"), a.Version)
	require.EqualValues(t, l.uint(t, "type"), a.Type)
	require.EqualValues(t, l.uint(t, "vhid"), a.VHID)
	require.EqualValues(t, l.uint(t, "advskew"), a.AdvSkew)
	require.EqualValues(t, l.uint(t, "authlen"), a.AuthLen)
	require.EqualValues(t, l.uint(t, "pad1"), a.Demote)
	require.EqualValues(t, l.uint(t, "advbase"), a.AdvBase)
	require.EqualValues(t, l.uint(t, "cksum"), a.Checksum)
	require.Equal(t, l.uint(t, "counter"), a.Counter)
	require.Equal(t, l.str(t, "md"), hex.EncodeToString(a.Digest[:]))
}

func vecSigner(t testing.TB, password string, vhid uint8, vip string) *hmac.Signer {
	t.Helper()
	s, err := hmac.NewSigner([]byte(password), vhid, []netip.Addr{netip.MustParseAddr(vip)})
	require.NoError(t, err)
	return s
}

// TestVectorCaptures decodes every advertisement of every ucarp capture,
// checks it against its verify line, checks that Filter accepts it with the
// capture's password, VHID and VIP (and rejects it with another password),
// and that AppendIPv4 rebuilds the exact bytes ucarp sent.
func TestVectorCaptures(t *testing.T) {
	total := 0
	for _, c := range vecCaptures {
		t.Run(c.file, func(t *testing.T) {
			frames := vecReadCapture(t, c.file)
			lines := vecReadVerify(t, c.file)
			require.NotEmpty(t, frames)
			require.Len(t, frames, len(lines), "one verify line per CARP frame")

			f := wire.Filter{
				VHID:   c.vhid,
				Group:  netip.MustParseAddr(c.group),
				Signer: vecSigner(t, c.password, c.vhid, c.vip),
			}
			wrong := f
			wrong.Signer = vecSigner(t, c.password[:len(c.password)-1]+"?", c.vhid, c.vip)

			for i, fr := range frames {
				l := lines[i]
				var p wire.Packet
				require.NoError(t, p.UnmarshalBinary(fr.pkt), "frame %d", i)
				vecCheckFields(t, l, fr, &p)
				require.Equal(t, "MATCH", l.str(t, "HMAC"))
				require.True(t, p.IPChecksumOK)
				require.True(t, p.ChecksumOK)
				require.NoError(t, f.Check(&p), "frame %d from %v", i, p.Src)
				require.ErrorIs(t, wrong.Check(&p), wire.ErrBadDigest)

				// ucarp's framing is ours: rebuild the packet byte for byte.
				a := p.Advert
				got, err := wire.AppendIPv4(nil, p.Src, p.Dst, p.ID, &a)
				require.NoError(t, err)
				require.Equal(t, hex.EncodeToString(fr.pkt[:wire.IPv4HeaderLen+wire.AdvertLen]), hex.EncodeToString(got))
				require.Len(t, fr.pkt, wire.IPv4HeaderLen+wire.AdvertLen, "no trailing bytes in ucarp frames")
				total++
			}
		})
	}
	t.Logf("%d ucarp adverts decoded, verified and rebuilt", total)
}

// vecValidateExpect is what each injected advert of validate*.pcap is
// about, keyed by the injector's source address (198.51.100.10..32).
var vecValidateExpect = map[string]error{
	"198.51.100.10": nil,                    // control: valid
	"198.51.100.11": wire.ErrBadTTL,         // TTL 64
	"198.51.100.12": wire.ErrBadVersion,     // version 3
	"198.51.100.13": wire.ErrBadVHID,        // vhid 43
	"198.51.100.14": wire.ErrBadDestination, // dst 224.0.0.19
	"198.51.100.15": wire.ErrBadChecksum,    // CARP checksum off by one
	"198.51.100.16": wire.ErrBadIPChecksum,  // IP checksum wrong
	"198.51.100.17": wire.ErrBadDigest,      // digest altered, checksum fixed up
	"198.51.100.18": nil,                    // type 2, authlen 0, pad 5: not checked
	"198.51.100.19": nil,                    // counter 1111..., accepted
	"198.51.100.20": nil,                    // same counter replayed: accepted
	"198.51.100.21": nil,                    // counter going backwards: accepted
	"198.51.100.22": wire.ErrTooShort,       // truncated after 6 digest bytes
	"198.51.100.23": wire.ErrBadDigest,      // digest of another key/message
	"198.51.100.24": wire.ErrBadDigest,      // idem
	"198.51.100.25": wire.ErrBadDigest,      // idem
	"198.51.100.26": nil,                    // TOS 0: not checked
	"198.51.100.27": wire.ErrBadDestination, // unicast to 198.51.100.1 (accepted in unicast mode)
	"198.51.100.30": wire.ErrBadIPChecksum,  // both checksums wrong, cancelling in ucarp's sum
	"198.51.100.31": nil,                    // IP total length 200 > packet: not checked
	"198.51.100.32": nil,                    // 16 trailing bytes: ignored
}

// vecExpectFromLine derives the expected Filter result from what the
// independent decoder recorded, in spec §7 order.
func vecExpectFromLine(t *testing.T, l vecLine) error {
	t.Helper()
	switch {
	case len(l.str(t, "md")) != 2*hmac.Size:
		return wire.ErrTooShort
	case l.uint(t, "ttl") != wire.TTL:
		return wire.ErrBadTTL
	case l.uint(t, "ver") != wire.Version:
		return wire.ErrBadVersion
	case l.uint(t, "vhid") != 42:
		return wire.ErrBadVHID
	case l.addr(t, "dst") != wire.IPv4Group:
		return wire.ErrBadDestination
	case !l.bool(t, "ipcksum_ok"):
		return wire.ErrBadIPChecksum
	case !l.bool(t, "carp_cksum_ok"):
		return wire.ErrBadChecksum
	case l.str(t, "HMAC") != "MATCH":
		return wire.ErrBadDigest
	}
	return nil
}

// TestVectorValidate replays the crafted adverts of validate.pcap and
// validate2.pcap (README: A in BACKUP, injector sends bad adverts from
// 198.51.100.10..32) and checks each is classified as its verify line says.
func TestVectorValidate(t *testing.T) {
	f := wire.Filter{VHID: 42, Signer: vecSigner(t, "secret", 42, "198.51.100.100")}
	unicast := f
	unicast.Unicast = []netip.Addr{netip.MustParseAddr("198.51.100.1")}
	seen := map[string]bool{}

	for _, name := range []string{"validate", "validate2"} {
		frames := vecReadCapture(t, name)
		lines := vecReadVerify(t, name)
		require.Len(t, frames, len(lines))
		for i, fr := range frames {
			l := lines[i]
			src := l.str(t, "src")
			t.Run(fmt.Sprintf("%s/%d_%s", name, i, src), func(t *testing.T) {
				want := vecExpectFromLine(t, l)
				if src == "198.51.100.1" || src == "198.51.100.2" {
					require.NoError(t, want, "node A/B adverts are valid")
				} else {
					table, ok := vecValidateExpect[src]
					require.True(t, ok, "unknown injected source %s", src)
					require.Equal(t, table, want, "verify line and table disagree")
				}

				var p wire.Packet
				err := p.UnmarshalBinary(fr.pkt)
				if errors.Is(want, wire.ErrTooShort) {
					require.ErrorIs(t, err, wire.ErrTooShort)
					require.ErrorIs(t, err, io.ErrUnexpectedEOF)
					require.Equal(t, "too_short", wire.DropReason(err))
					seen[src] = true
					return
				}
				require.NoError(t, err)
				vecCheckFields(t, l, fr, &p)
				got := f.Check(&p)
				if want == nil {
					require.NoError(t, got)
				} else {
					require.ErrorIs(t, got, want)
				}
				t.Logf("%s: %v (%s)", src, got, wire.DropReason(got))

				switch src {
				case "198.51.100.27": // unicast mode accepts it
					require.NoError(t, unicast.Check(&p))
				case "198.51.100.30":
					// Both checksums are wrong, yet their sum is right:
					// ucarp's combined check would have accepted it.
					require.False(t, p.IPChecksumOK)
					require.False(t, p.ChecksumOK)
					require.Zero(t, wire.Checksum(fr.pkt[:wire.IPv4HeaderLen+wire.AdvertLen]))
				}
				seen[src] = true
			})
		}
	}
	for src := range vecValidateExpect {
		require.True(t, seen[src], "no advert from %s in the captures", src)
	}
}

func TestPacketUnmarshalErrors(t *testing.T) {
	good := vecReadCapture(t, "counter_wrap")[1].pkt
	mod := func(f func(b []byte) []byte) []byte {
		return f(append([]byte(nil), good...))
	}
	v6 := vecIPv6Packet(t)
	tests := []struct {
		name string
		pkt  []byte
		err  error
	}{
		{"empty", nil, wire.ErrTooShort},
		{"1 byte", good[:1], wire.ErrTooShort},
		{"IPv4 header cut", good[:19], wire.ErrTooShort},
		{"IPv4 advert cut", good[:55], wire.ErrTooShort},
		{"IPv4 header only", good[:20], wire.ErrTooShort},
		{"version 5", mod(func(b []byte) []byte { b[0] = 0x55; return b }), wire.ErrBadIPHeader},
		{"version 0", mod(func(b []byte) []byte { b[0] = 0x05; return b }), wire.ErrBadIPHeader},
		{"IHL 4", mod(func(b []byte) []byte { b[0] = 0x44; return b }), wire.ErrBadIPHeader},
		{"IHL 0", mod(func(b []byte) []byte { b[0] = 0x40; return b }), wire.ErrBadIPHeader},
		{"IHL 6 without room", mod(func(b []byte) []byte { b[0] = 0x46; return b }), wire.ErrTooShort},
		{"IHL 15 above total length", mod(func(b []byte) []byte { b[0] = 0x4f; return b }), wire.ErrBadIPHeader},
		{"IHL 15 advert cut", mod(func(b []byte) []byte { b[0], b[3] = 0x4f, 96; return b }), wire.ErrTooShort},
		{"total length 19", mod(func(b []byte) []byte { b[2], b[3] = 0, 19; return b }), wire.ErrBadIPHeader},
		{"total length 0", mod(func(b []byte) []byte { b[2], b[3] = 0, 0; return b }), wire.ErrBadIPHeader},
		{"protocol VRRP-not (17)", mod(func(b []byte) []byte { b[9] = 17; return b }), wire.ErrNotCARP},
		{"short UDP", mod(func(b []byte) []byte { b[9] = 17; return b[:28] }), wire.ErrNotCARP},
		{"IPv6 header cut", v6[:39], wire.ErrTooShort},
		{"IPv6 advert cut", v6[:75], wire.ErrTooShort},
		{"IPv6 next header 0 (hop-by-hop)", func() []byte { b := append([]byte(nil), v6...); b[6] = 0; return b }(), wire.ErrNotCARP},
		{"total length 200 accepted", mod(func(b []byte) []byte { b[2], b[3] = 0, 200; return b }), nil},
		{"total length 20 accepted", mod(func(b []byte) []byte { b[2], b[3] = 0, 20; return b }), nil},
		{"trailing bytes accepted", mod(func(b []byte) []byte { return append(b, 0xaa, 0xbb) }), nil},
		{"IPv6", v6, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := wire.Packet{TTL: 9, Src: netip.MustParseAddr("192.0.2.99")}
			err := p.UnmarshalBinary(tt.pkt)
			if tt.err == nil {
				require.NoError(t, err)
				require.Equal(t, wire.Version, int(p.Advert.Version))
				return
			}
			require.ErrorIs(t, err, tt.err)
			require.Equal(t, wire.Packet{}, p, "p is zeroed on error")
			require.True(t, strings.HasPrefix(err.Error(), "carp: "))
		})
	}
}

// TestPacketIPv4Options: a header with options still finds the advert.
func TestPacketIPv4Options(t *testing.T) {
	good := vecReadCapture(t, "counter_wrap")[1].pkt
	b := append([]byte(nil), good[:20]...)
	b[0] = 0x46                     // 24-byte header
	b[3] += 4                       // total length 60
	b = append(b, 0x94, 0x04, 0, 0) // router alert option
	b = append(b, good[20:]...)     // the advert
	b[10], b[11] = 0, 0
	binary.BigEndian.PutUint16(b[10:], wire.Checksum(b[:24]))

	var p wire.Packet
	require.NoError(t, p.UnmarshalBinary(b))
	require.True(t, p.IPChecksumOK)
	require.True(t, p.ChecksumOK)
	f := wire.Filter{VHID: 42, Signer: vecSigner(t, "secret", 42, "198.51.100.100")}
	require.NoError(t, f.Check(&p))
}

func vecIPv6Packet(t testing.TB) []byte {
	t.Helper()
	s := vecSigner(t, "secret", 42, "2001:db8::100")
	a := wire.Advert{Version: 2, Type: 1, VHID: 42, AdvSkew: 7, AuthLen: 7, Demote: 1, AdvBase: 1, Counter: 5, Digest: s.Sign(5)}
	b, err := wire.AppendIPv6(nil, netip.MustParseAddr("fe80::1%eth0"), wire.IPv6Group, &a)
	require.NoError(t, err)
	return b
}

func TestAppendIPv6RoundTrip(t *testing.T) {
	s := vecSigner(t, "secret", 42, "2001:db8::100")
	src := netip.MustParseAddr("fe80::1%eth0")
	a := wire.Advert{Version: 2, Type: 1, VHID: 42, AdvSkew: 7, AuthLen: 7, Demote: 1, AdvBase: 1, Counter: 5, Digest: s.Sign(5)}
	prefix := []byte{0xde, 0xad}
	b, err := wire.AppendIPv6(prefix, src, wire.IPv6Group, &a)
	require.NoError(t, err)
	require.Equal(t, prefix, b[:2], "appends")
	pkt := b[2:]
	require.Len(t, pkt, wire.IPv6HeaderLen+wire.AdvertLen)
	require.Equal(t, "61000000"+"0024"+"70"+"ff"+
		"fe800000000000000000000000000001"+"ff020000000000000000000000000012",
		hex.EncodeToString(pkt[:wire.IPv6HeaderLen]))

	var p wire.Packet
	require.NoError(t, p.UnmarshalBinary(pkt))
	require.Equal(t, wire.Packet{
		Src:          src.WithZone(""),
		Dst:          wire.IPv6Group,
		TTL:          255,
		TOS:          0x10,
		IPChecksumOK: true,
		ChecksumOK:   true,
		Advert:       a,
	}, p)
	f := wire.Filter{VHID: 42, Signer: s}
	require.NoError(t, f.Check(&p))

	// The same advert over IPv4 carries the same 36 bytes.
	a4 := a
	b4, err := wire.AppendIPv4(nil, netip.MustParseAddr("192.0.2.1"), wire.IPv4Group, 1, &a4)
	require.NoError(t, err)
	require.Equal(t, pkt[wire.IPv6HeaderLen:], b4[wire.IPv4HeaderLen:])
}

func TestAppendAddressErrors(t *testing.T) {
	v4 := netip.MustParseAddr("192.0.2.1")
	v6 := netip.MustParseAddr("fe80::1")
	mapped := netip.MustParseAddr("::ffff:192.0.2.1")
	a := wire.Advert{Version: 2, Type: 1}
	prefix := []byte{1, 2, 3}
	for _, tt := range []struct {
		name     string
		src, dst netip.Addr
		v6, ok   bool
	}{
		{"v4 ok", v4, wire.IPv4Group, false, true},
		{"v4 mapped ok", mapped, wire.IPv4Group, false, true},
		{"v4 with v6 src", v6, wire.IPv4Group, false, false},
		{"v4 with zero dst", v4, netip.Addr{}, false, false},
		{"v6 ok", v6, wire.IPv6Group, true, true},
		{"v6 with v4 src", v4, wire.IPv6Group, true, false},
		{"v6 with mapped src", mapped, wire.IPv6Group, true, false},
		{"v6 with zero src", netip.Addr{}, wire.IPv6Group, true, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var b []byte
			var err error
			if tt.v6 {
				b, err = wire.AppendIPv6(prefix, tt.src, tt.dst, &a)
			} else {
				b, err = wire.AppendIPv4(prefix, tt.src, tt.dst, 0, &a)
			}
			if tt.ok {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			require.Equal(t, prefix, b, "b unchanged on error")
		})
	}
	bad := wire.Advert{Version: 16}
	b, err := wire.AppendIPv4(prefix, v4, wire.IPv4Group, 0, &bad)
	require.Error(t, err)
	require.Equal(t, prefix, b)
	b, err = wire.AppendIPv6(prefix, v6, wire.IPv6Group, &bad)
	require.Error(t, err)
	require.Equal(t, prefix, b)
}

// TestVectorDeterministic reproduces the IPv4 part of the deterministic
// vector of README.ucarp.md byte for byte.
func TestVectorDeterministic(t *testing.T) {
	const want = "4510" + "0038" + "6dfa" + "4000" + "ff70" + "0304" + "c6336401" + "e0000012" +
		"212a000700016ad3" + "0000000000000000" + "0ed755491e05bff266f98c2c45082c25587a7514"
	s := vecSigner(t, "secret", 42, "198.51.100.100")
	a := wire.Advert{Version: wire.Version, Type: wire.TypeAdvertisement, VHID: 42, AuthLen: wire.AuthLen, AdvBase: 1, Counter: 0, Digest: s.Sign(0)}
	b, err := wire.AppendIPv4(nil, netip.MustParseAddr("198.51.100.1"), wire.IPv4Group, 0x6dfa, &a)
	require.NoError(t, err)
	require.Equal(t, want, hex.EncodeToString(b))
	require.EqualValues(t, 0x6ad3, a.Checksum)

	// And it is the frame ucarp put on the wire.
	frames := vecReadCapture(t, "counter_wrap")
	require.Equal(t, want, hex.EncodeToString(frames[1].pkt))
}

func TestCodecZeroAllocs(t *testing.T) {
	pkt := vecReadCapture(t, "counter_wrap")[1].pkt
	v6 := vecIPv6Packet(t)
	f := wire.Filter{
		VHID:   42,
		Local:  []netip.Addr{netip.MustParseAddr("198.51.100.3"), netip.MustParseAddr("fe80::3%eth0")},
		Signer: vecSigner(t, "secret", 42, "198.51.100.100"),
	}
	f6 := wire.Filter{VHID: 42, Signer: vecSigner(t, "secret", 42, "2001:db8::100")}
	var p wire.Packet
	var err4, err6 error
	allocs := testing.AllocsPerRun(200, func() {
		if err4 = p.UnmarshalBinary(pkt); err4 == nil {
			err4 = f.Check(&p)
		}
		if err6 = p.UnmarshalBinary(v6); err6 == nil {
			err6 = f6.Check(&p)
		}
	})
	require.NoError(t, err4)
	require.NoError(t, err6)
	require.Zero(t, allocs, "UnmarshalBinary + Check + Verify")

	// Rejections allocate nothing either.
	short := pkt[:30]
	allocs = testing.AllocsPerRun(200, func() {
		err4 = p.UnmarshalBinary(short)
	})
	require.ErrorIs(t, err4, wire.ErrTooShort)
	require.Zero(t, allocs)

	// Sending into a buffer with room allocates nothing.
	buf := make([]byte, 0, 128)
	a := p.Advert
	allocs = testing.AllocsPerRun(200, func() {
		a.Digest = f6.Signer.Sign(a.Counter)
		buf, err4 = wire.AppendIPv4(buf[:0], netip.MustParseAddr("198.51.100.1"), wire.IPv4Group, 1, &a)
	})
	require.NoError(t, err4)
	require.Zero(t, allocs)
}

func BenchmarkParseVerify(b *testing.B) {
	pkt := vecReadCapture(b, "counter_wrap")[1].pkt
	f := wire.Filter{VHID: 42, Signer: vecSigner(b, "secret", 42, "198.51.100.100")}
	var p wire.Packet
	b.ReportAllocs()
	b.SetBytes(int64(len(pkt)))
	for b.Loop() {
		if err := p.UnmarshalBinary(pkt); err != nil {
			b.Fatal(err)
		}
		if err := f.Check(&p); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParse(b *testing.B) {
	pkt := vecReadCapture(b, "counter_wrap")[1].pkt
	var p wire.Packet
	b.ReportAllocs()
	for b.Loop() {
		if err := p.UnmarshalBinary(pkt); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSignAppendIPv4(b *testing.B) {
	s := vecSigner(b, "secret", 42, "198.51.100.100")
	src := netip.MustParseAddr("198.51.100.1")
	buf := make([]byte, 0, 64)
	a := wire.Advert{Version: 2, Type: 1, VHID: 42, AuthLen: 7, AdvBase: 1}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		a.Counter = uint64(i)
		a.Digest = s.Sign(a.Counter)
		var err error
		if buf, err = wire.AppendIPv4(buf[:0], src, wire.IPv4Group, uint16(i), &a); err != nil {
			b.Fatal(err)
		}
	}
}

func FuzzPacket(f *testing.F) {
	for _, c := range append(vecCaptures, vecCapture{file: "validate"}, vecCapture{file: "validate2"}) {
		for _, fr := range vecReadCapture(f, c.file) {
			f.Add(fr.pkt)
		}
	}
	f.Add(vecIPv6Packet(f))
	f.Add([]byte{})
	f.Add([]byte{0x45})
	f.Add([]byte{0x60})
	s := vecSigner(f, "secret", 42, "198.51.100.100")
	filter := wire.Filter{VHID: 42, Signer: s, Local: []netip.Addr{netip.MustParseAddr("198.51.100.3")}}

	f.Fuzz(func(t *testing.T, data []byte) {
		var p wire.Packet
		err := p.UnmarshalBinary(data)
		if err != nil {
			require.Contains(t, []string{"too_short", "bad_ip_header", "not_carp"}, wire.DropReason(err), "%v", err)
			require.Equal(t, wire.Packet{}, p)
			return
		}
		check := filter.Check(&p)
		require.NotEqual(t, "other", wire.DropReason(check))

		var off int
		switch data[0] >> 4 {
		case 4:
			off = int(data[0]&0x0f) * 4
		case 6:
			off = wire.IPv6HeaderLen
		default:
			t.Fatalf("parsed a packet with IP version %d", data[0]>>4)
		}
		in := data[off : off+wire.AdvertLen]

		// Re-encoding the advert reproduces its bytes, the checksum field
		// aside when it was wrong.
		a := p.Advert
		out, err := a.AppendBinary(nil)
		require.NoError(t, err)
		require.Equal(t, in[:6], out[:6])
		require.Equal(t, in[8:], out[8:])
		if p.ChecksumOK && p.Advert.Checksum == a.Checksum {
			require.Equal(t, in, out)
		}
		require.Equal(t, wire.Checksum(in) == 0, p.ChecksumOK)

		// A packet framed the way we frame them is rebuilt byte for byte.
		a = p.Advert
		switch {
		case p.Src.Is4() && off == wire.IPv4HeaderLen && p.TOS == 0x10 && p.TTL == wire.TTL && p.IPChecksumOK &&
			binary.BigEndian.Uint16(data[2:4]) == wire.IPv4HeaderLen+wire.AdvertLen &&
			binary.BigEndian.Uint16(data[6:8]) == 0x4000 && p.ChecksumOK:
			out, err := wire.AppendIPv4(nil, p.Src, p.Dst, p.ID, &a)
			require.NoError(t, err)
			if a.Checksum == p.Advert.Checksum {
				require.Equal(t, data[:wire.IPv4HeaderLen+wire.AdvertLen], out)
			}
		case p.Src.Is6() && string(data[:6]) == "\x61\x00\x00\x00\x00\x24" && p.TTL == wire.TTL && p.ChecksumOK:
			out, err := wire.AppendIPv6(nil, p.Src, p.Dst, &a)
			require.NoError(t, err)
			if a.Checksum == p.Advert.Checksum {
				require.Equal(t, data[:wire.IPv6HeaderLen+wire.AdvertLen], out)
			}
		}
	})
}
