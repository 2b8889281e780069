package link_test

import (
	"bytes"
	"encoding/binary"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gocarp/gocarp/internal/pcapfile"
	"github.com/gocarp/gocarp/link"
	"github.com/gocarp/gocarp/wire"
)

// capturePackets returns the CARP IP packets (the Ethernet header cut off)
// of ucarp's captures in ../wire/testdata, the same files as
// /work/shared/vectors/ucarp.
func capturePackets(t testing.TB) [][]byte {
	t.Helper()
	names, err := filepath.Glob("../wire/testdata/*.pcap")
	require.NoError(t, err)
	require.NotEmpty(t, names)
	var out [][]byte
	for _, name := range names {
		data, err := os.ReadFile(name)
		require.NoError(t, err)
		r, err := pcapfile.NewReader(bytes.NewReader(data))
		require.NoError(t, err)
		for {
			rec, err := r.Next()
			if err == io.EOF {
				break
			}
			require.NoError(t, err)
			if rec.LinkType != pcapfile.LinkTypeEN10MB || len(rec.Data) < 14 {
				continue
			}
			if et := binary.BigEndian.Uint16(rec.Data[12:]); et == 0x0800 || et == 0x86dd {
				out = append(out, bytes.Clone(rec.Data[14:]))
			}
		}
	}
	return out
}

// fuzzPort records what one port's handler was given.
type fuzzPort struct {
	raw    [][]byte
	parsed []wire.Packet
}

// The vhids the fuzzed link runs: a third of them listen for raw packets,
// a third for parsed ones, a third have no port (bad_vhid).
func fuzzPortKind(vhid uint8) int { return int(vhid) % 3 }

// FuzzReceive drives a link's receive path, the handler its transport
// calls, with arbitrary packets, and checks each against a model built
// from wire.Packet and the documented link checks: every packet is
// counted once as received and exactly once as delivered or as one drop
// reason; a delivered packet reaches exactly the port of its vhid, raw
// handlers with the very bytes, parsed ones with the packet the codec
// decodes; the input is never written to.
func FuzzReceive(f *testing.F) {
	own := netip.MustParseAddr("192.0.2.201")
	pkts := capturePackets(f)
	for _, p := range pkts {
		f.Add(p)
	}
	f.Add(signed(f, 1, netip.MustParseAddr("198.51.100.202"), 0))
	f.Add(signed(f, 2, netip.MustParseAddr("198.51.100.202"), 0))
	f.Add(signed(f, 3, netip.MustParseAddr("198.51.100.202"), 0))
	f.Add(signed(f, 2, own, 0))
	f.Add([]byte{})
	f.Add([]byte{0x45})
	f.Add([]byte{0x60})

	tr := &capture{}
	l, err := link.New(link.Config{Interface: "eth0", Transport: tr})
	require.NoError(f, err)
	f.Cleanup(func() { _ = l.Close() })
	// IPv4-mapped and zoned forms are normalised by SetAddrs.
	l.SetAddrs([]netip.Addr{netip.AddrFrom16(own.As16()), netip.MustParseAddr("fe80::201%eth0")})
	var ports [256]*fuzzPort
	for v := 0; v < 256; v++ {
		vhid := uint8(v)
		switch fuzzPortKind(vhid) {
		case 0:
			continue
		case 1:
			p, err := l.Port(vhid)
			require.NoError(f, err)
			fp := &fuzzPort{}
			ports[v] = fp
			require.NoError(f, p.Listen(func(b []byte) { fp.raw = append(fp.raw, bytes.Clone(b)) }))
		case 2:
			p, err := l.Port(vhid)
			require.NoError(f, err)
			fp := &fuzzPort{}
			ports[v] = fp
			require.NoError(f, p.ListenPackets(func(pkt *wire.Packet) { fp.parsed = append(fp.parsed, *pkt) }))
		}
	}
	ownAddrs := []netip.Addr{own, netip.MustParseAddr("fe80::201")}

	f.Fuzz(func(t *testing.T, data []byte) {
		for _, p := range ports {
			if p != nil {
				p.raw, p.parsed = p.raw[:0], p.parsed[:0]
			}
		}
		in := bytes.Clone(data)
		before := l.Stats()
		tr.h(data)
		after := l.Stats()
		require.Equal(t, in, data, "the link wrote to the packet")

		// The model.
		var p wire.Packet
		want := ""
		switch err := p.UnmarshalBinary(in); {
		case err != nil:
			want = wire.DropReason(err)
		case p.Src == ownAddrs[0] || p.Src == ownAddrs[1]:
			want = "own_packet"
		case p.Dst.IsMulticast() && p.TTL != wire.TTL:
			want = "bad_ttl"
		case p.Advert.Version != wire.Version:
			want = "bad_version"
		case ports[p.Advert.VHID] == nil:
			want = "bad_vhid"
		}

		require.Equal(t, before.Received+1, after.Received)
		drops := 0
		for reason, n := range after.Dropped {
			if d := n - before.Dropped[reason]; d != 0 {
				require.Equal(t, want, reason, "dropped as %s", reason)
				require.Equal(t, uint64(1), d)
				drops++
			}
		}
		delivered := int(after.Delivered - before.Delivered)
		require.Equal(t, 1, drops+delivered, "counted once: %d drops, %d deliveries", drops, delivered)

		for v, fp := range ports {
			if fp == nil {
				continue
			}
			got := len(fp.raw) + len(fp.parsed)
			if want != "" || v != int(p.Advert.VHID) {
				require.Zero(t, got, "vhid %d got a packet (want drop %q, packet vhid %d)", v, want, p.Advert.VHID)
				continue
			}
			require.Equal(t, 1, got, "vhid %d", v)
			require.Equal(t, 1, delivered)
			if len(fp.raw) == 1 {
				require.Equal(t, in, fp.raw[0])
			} else {
				require.Equal(t, p, fp.parsed[0])
			}
		}
	})
}
