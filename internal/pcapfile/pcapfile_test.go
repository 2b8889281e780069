package pcapfile

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
	"github.com/stretchr/testify/require"
)

// realCaptures are ucarp's captures, as inspect and wire test them.
func realCaptures(t testing.TB) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	for _, dir := range []string{"../inspect/testdata", "../../wire/testdata"} {
		names, err := filepath.Glob(filepath.Join(dir, "*.pcap"))
		require.NoError(t, err)
		require.NotEmpty(t, names, dir)
		for _, name := range names {
			b, err := os.ReadFile(name)
			require.NoError(t, err)
			files[name] = b
		}
	}
	return files
}

// readAll reads every record of file with this package's reader.
func readAll(t testing.TB, file []byte) []Record {
	t.Helper()
	r, err := NewReader(bytes.NewReader(file))
	require.NoError(t, err)
	var recs []Record
	for {
		rec, err := r.Next()
		if err == io.EOF {
			return recs
		}
		require.NoError(t, err)
		rec.Data = bytes.Clone(rec.Data) // the buffer is reused
		recs = append(recs, rec)
	}
}

// pcapgoAll reads every record of file with pcapgo, as the reference.
func pcapgoAll(t testing.TB, file []byte) []Record {
	t.Helper()
	var src gopacket.PacketDataSource
	var linkType func(gopacket.CaptureInfo) LinkType
	if binary.LittleEndian.Uint32(file) == magicPcapng {
		ng, err := pcapgo.NewNgReader(bytes.NewReader(file), pcapgo.NgReaderOptions{WantMixedLinkType: true})
		require.NoError(t, err)
		src = ng
		linkType = func(ci gopacket.CaptureInfo) LinkType { return LinkType(ci.AncillaryData[0].(layers.LinkType)) }
	} else {
		pr, err := pcapgo.NewReader(bytes.NewReader(file))
		require.NoError(t, err)
		src = pr
		linkType = func(gopacket.CaptureInfo) LinkType { return LinkType(pr.LinkType()) }
	}
	var recs []Record
	for {
		data, ci, err := src.ReadPacketData()
		if err == io.EOF {
			return recs
		}
		require.NoError(t, err)
		recs = append(recs, Record{Timestamp: ci.Timestamp, CaptureLength: ci.CaptureLength, Length: ci.Length,
			LinkType: linkType(ci), Interface: ci.InterfaceIndex, Data: data})
	}
}

// requireSame compares every record of file as both readers see it.
func requireSame(t *testing.T, file []byte) []Record {
	t.Helper()
	got, want := readAll(t, file), pcapgoAll(t, file)
	require.Equal(t, len(want), len(got), "records")
	for i := range want {
		g, w := got[i], want[i]
		require.True(t, w.Timestamp.Equal(g.Timestamp), "record %d: time %v, pcapgo %v", i, g.Timestamp, w.Timestamp)
		g.Timestamp, w.Timestamp = time.Time{}, time.Time{}
		require.Equal(t, w, g, "record %d", i)
	}
	return got
}

// toPcapng rewrites a pcap as pcapng with pcapgo's writer.
func toPcapng(t testing.TB, file []byte) []byte {
	t.Helper()
	r, err := pcapgo.NewReader(bytes.NewReader(file))
	require.NoError(t, err)
	var buf bytes.Buffer
	w, err := pcapgo.NewNgWriter(&buf, r.LinkType())
	require.NoError(t, err)
	for {
		data, ci, err := r.ReadPacketData()
		if err == io.EOF {
			break
		}
		require.NoError(t, err)
		require.NoError(t, w.WritePacket(ci, data))
	}
	require.NoError(t, w.Flush())
	return buf.Bytes()
}

// toBigEndian rewrites a little-endian microsecond pcap in the other byte
// order, and with nanoseconds if asked.
func toBigEndian(t testing.TB, file []byte, nano bool) []byte {
	t.Helper()
	r, err := pcapgo.NewReader(bytes.NewReader(file))
	require.NoError(t, err)
	var recs []pcapRec
	for {
		data, ci, err := r.ReadPacketData()
		if err == io.EOF {
			break
		}
		require.NoError(t, err)
		frac := uint32(ci.Timestamp.Nanosecond() / 1000)
		if nano {
			frac = uint32(ci.Timestamp.Nanosecond()) + 789 // the digits microseconds lack
		}
		recs = append(recs, pcapRec{sec: uint32(ci.Timestamp.Unix()), frac: frac,
			caplen: uint32(ci.CaptureLength), length: uint32(ci.Length), data: data})
	}
	return pcapFile(binary.BigEndian, nano, uint32(r.LinkType()), r.Snaplen(), recs...)
}

// TestSameAsPcapgo: every real capture, as pcap in both byte orders and
// resolutions and as pcapng, reads record for record as pcapgo reads it.
func TestSameAsPcapgo(t *testing.T) {
	for name, file := range realCaptures(t) {
		t.Run(filepath.Base(filepath.Dir(filepath.Dir(name)))+"/"+filepath.Base(name), func(t *testing.T) {
			recs := requireSame(t, file)
			require.NotEmpty(t, recs)
			lt, ok := mustReader(t, file).LinkType()
			require.True(t, ok)
			require.Equal(t, LinkTypeEN10MB, lt)
			requireSame(t, toBigEndian(t, file, false))
			nano := requireSame(t, toBigEndian(t, file, true))
			require.Equal(t, recs[0].Timestamp.Add(789), nano[0].Timestamp)
			ng := requireSame(t, toPcapng(t, file))
			_, ok = mustReader(t, toPcapng(t, file)).LinkType()
			require.False(t, ok, "pcapng has a link type per interface")
			for i := range recs {
				require.Equal(t, recs[i].Data, ng[i].Data)
			}
		})
	}
}

func mustReader(t testing.TB, file []byte) *Reader {
	t.Helper()
	r, err := NewReader(bytes.NewReader(file))
	require.NoError(t, err)
	return r
}

var (
	t0     = time.Date(2026, 11, 22, 2, 6, 51, 123456789, time.UTC)
	frameA = []byte("an ethernet frame, of 39 bytes or so...") // odd length: padding
	frameB = []byte{0x45, 0, 0, 20, 1, 2, 3}
)

// synthPcapng has two sections, little- then big-endian, interfaces of
// several link types and resolutions, every packet block kind, and blocks
// to skip. Its last interface has a binary resolution, which pcapgo
// converts with a rounded scale: it is left to TestPcapngTimestamps.
func synthPcapng(withBinary bool) []byte {
	w := &ngWriter{}
	w.section(binary.LittleEndian)
	w.block(0x0bad, []byte("custom block, skipped"))
	w.iface(LinkTypeEN10MB, 65535, -1, 0)          // default 10^-6
	w.iface(LinkTypeRaw, 0, 9, 0)                  // nanoseconds
	w.iface(LinkTypeIEEE80211, 2346, 3, 1_000_000) // milliseconds, offset
	w.epb(false, 0, ngTime(t0, 1e6), uint32(len(frameA)), frameA)
	w.epb(false, 1, ngTime(t0, 1e9), 1500, frameB) // cut by a snap length
	w.block(5, make([]byte, 20))                   // interface statistics, skipped
	w.epb(true, 2, ngTime(t0, 1e3), uint32(len(frameB)), frameB)
	w.spb(uint32(len(frameA)), frameA)

	w.section(binary.BigEndian) // interfaces start again from 0
	w.iface(LinkTypeLinuxSLL2, 8, 6, 0)
	w.epb(false, 0, ngTime(t0, 1e6), 8, frameA[:8])
	w.spb(uint32(len(frameA)), frameA[:8]) // cut to interface 0's snap length
	w.epb(true, 0, ngTime(t0.Add(time.Second), 1e6), uint32(len(frameB)), frameB)
	if withBinary {
		w.iface(LinkTypeLoop, 0, 0x80|20, 0)
		w.epb(false, 1, 5<<20|1<<19, uint32(len(frameB)), frameB)
	}
	return w.b
}

func TestPcapngSynthetic(t *testing.T) {
	recs := requireSame(t, synthPcapng(false))
	want := []struct {
		lt     LinkType
		ifc    int
		ts     time.Time
		data   []byte
		length int
	}{
		{LinkTypeEN10MB, 0, t0.Truncate(time.Microsecond), frameA, len(frameA)},
		{LinkTypeRaw, 1, t0, frameB, 1500},
		{LinkTypeIEEE80211, 2, t0.Truncate(time.Millisecond).Add(1_000_000 * time.Second), frameB, len(frameB)},
		{LinkTypeEN10MB, 0, time.Time{}, frameA, len(frameA)},
		{LinkTypeLinuxSLL2, 0, t0.Truncate(time.Microsecond), frameA[:8], 8},
		{LinkTypeLinuxSLL2, 0, time.Time{}, frameA[:8], len(frameA)},
		{LinkTypeLinuxSLL2, 0, t0.Add(time.Second).Truncate(time.Microsecond), frameB, len(frameB)},
	}
	require.Len(t, recs, len(want))
	for i, w := range want {
		r := recs[i]
		require.Equal(t, w.lt, r.LinkType, "record %d", i)
		require.Equal(t, w.ifc, r.Interface, "record %d", i)
		require.True(t, w.ts.Equal(r.Timestamp), "record %d: %v, want %v", i, r.Timestamp, w.ts)
		require.Equal(t, w.data, r.Data, "record %d", i)
		require.Equal(t, len(w.data), r.CaptureLength, "record %d", i)
		require.Equal(t, w.length, r.Length, "record %d", i)
	}
}

// TestPcapngTimestamps: a binary resolution is converted exactly.
func TestPcapngTimestamps(t *testing.T) {
	recs := readAll(t, synthPcapng(true))
	last := recs[len(recs)-1]
	require.Equal(t, LinkTypeLoop, last.LinkType)
	require.Equal(t, time.Unix(5, 500_000_000).UTC(), last.Timestamp)

	ifc := iface{units: 1 << 63}
	require.Equal(t, time.Unix(1, 500_000_000).UTC(), ifc.time(3<<62))
	ifc = iface{units: 1e19, offset: -10}
	require.Equal(t, time.Unix(-9, 1).UTC(), ifc.time(1e19+1e10))
}

// TestLinkTypeFCS: the FCS length in the upper bits of a pcap header's
// link type is not part of the link type.
func TestLinkTypeFCS(t *testing.T) {
	const fcs4 = 4<<28 | 1<<26
	file := pcapFile(binary.LittleEndian, false, fcs4|uint32(LinkTypeEN10MB), 65535, pcapRec{data: frameA})
	lt, ok := mustReader(t, file).LinkType()
	require.True(t, ok)
	require.Equal(t, LinkTypeEN10MB, lt)
	requireSame(t, file)
}

func TestLinkTypeString(t *testing.T) {
	for lt, want := range map[LinkType]string{
		LinkTypeEN10MB: "EN10MB", LinkTypeLinuxSLL: "LINUX_SLL", LinkTypeLinuxSLL2: "LINUX_SLL2",
		LinkTypeRaw: "RAW", LinkTypeRawBSD: "RAW", LinkTypeRawOpen: "RAW", LinkTypeNull: "NULL", LinkTypeLoop: "LOOP",
		LinkTypeIPv4: "IPV4", LinkTypeIPv6: "IPV6", LinkTypeIEEE80211: "IEEE802_11", 4242: "unknown",
	} {
		require.Equal(t, want, lt.String(), "%d", uint16(lt))
	}
}

// TestTruncated cuts each capture at every byte: the records before the
// cut are read, then io.ErrUnexpectedEOF, or io.EOF at a record boundary.
func TestTruncated(t *testing.T) {
	exp1, err := os.ReadFile("../inspect/testdata/exp1.pcap")
	require.NoError(t, err)
	for name, file := range map[string][]byte{
		"pcap": exp1, "pcap BE nano": toBigEndian(t, exp1, true), "pcapng": toPcapng(t, exp1), "pcapng synthetic": synthPcapng(true),
	} {
		t.Run(name, func(t *testing.T) {
			all := readAll(t, file)
			boundaries := 0
			for cut := 4; cut < len(file); cut++ {
				r, err := NewReader(bytes.NewReader(file[:cut]))
				if err != nil {
					require.ErrorIs(t, err, io.ErrUnexpectedEOF, "cut %d", cut)
					continue
				}
				n := 0
				for {
					rec, err := r.Next()
					if err == io.EOF {
						boundaries++
						break
					}
					if err != nil {
						require.ErrorIs(t, err, io.ErrUnexpectedEOF, "cut %d", cut)
						require.NotErrorIs(t, err, ErrFormat, "cut %d", cut)
						break
					}
					require.Equal(t, all[n].Data, rec.Data, "cut %d record %d", cut, n)
					n++
				}
				require.Less(t, n, len(all)+1)
			}
			require.NotZero(t, boundaries)
		})
	}
}

func TestMalformed(t *testing.T) {
	le := binary.LittleEndian
	good := pcapFile(le, false, 1, 65535, pcapRec{data: frameA}, pcapRec{data: frameB})
	second := 24 + 16 + len(frameA) // offset of record 2
	patch := func(b []byte, off int, v uint32) []byte {
		b = bytes.Clone(b)
		le.PutUint32(b[off:], v)
		return b
	}
	ngBlock := func(f func(w *ngWriter)) []byte {
		w := &ngWriter{}
		w.section(le)
		f(w)
		return w.b
	}
	ngIface := func(w *ngWriter) { w.iface(LinkTypeEN10MB, 0, -1, 0) }
	shbLen := len(ngBlock(func(*ngWriter) {}))
	epb := ngBlock(func(w *ngWriter) { ngIface(w); w.epb(false, 0, 1, uint32(len(frameA)), frameA) })
	epbAt := len(ngBlock(ngIface))

	tests := []struct {
		name string
		file []byte
		want string // in the error; "" for an error at NewReader
	}{
		{"pcap: unknown magic", []byte("not a capture at all, no"), ""},
		{"pcap: version", patch(good, 4, 0x00020002), ""},
		{"pcap: huge record", patch(good, second+8, 0xffffffff), "pcap: record 2 at offset 79: captured length 4294967295 above the limit of 262144 bytes"},
		{"pcap: just above the cap", patch(patch(good, second+8, MaxCaptureLength+1), second+12, MaxCaptureLength+1), "captured length 262145 above the limit"},
		{"pcap: caplen above length", patch(good, second+12, 3), "record 2 at offset 79: captured length 7 above the packet's length 3"},
		{"pcapng: bad byte order", patch(epb, 8, 0x01020304), "bad byte-order magic"},
		{"pcapng: version", patch(epb, 12, 2), "version 2.0"},
		{"pcapng: length not a multiple of 4", patch(epb, epbAt+4, 61), "length 61 not a multiple of 4"},
		{"pcapng: length too small", patch(epb, epbAt+4, 8), "length 8 not a multiple of 4 of at least 12"},
		{"pcapng: lengths differ", patch(epb, len(epb)-4, 4), "length 88 at its start, 4 at its end"},
		{"pcapng: EPB too short", ngBlock(func(w *ngWriter) { ngIface(w); w.block(blockEPB, make([]byte, 16)) }), "16 bytes, too short for 20"},
		{"pcapng: huge EPB record", patch(epb, epbAt+20, 0xfffffff0), "record 1 at offset 80: captured length 4294967280 above the limit"},
		{"pcapng: caplen beyond block", patch(patch(epb, epbAt+20, 200), epbAt+24, 200), "captured length 200 beyond its block of 88 bytes"},
		{"pcapng: no interface", ngBlock(func(w *ngWriter) { w.epb(false, 0, 1, 3, frameB[:3]) }), "interface 0, but the section has 0"},
		{"pcapng: interface of the last section", append(ngBlock(ngIface), ngBlock(func(w *ngWriter) { w.epb(false, 0, 1, 3, frameB[:3]) })...), "interface 0, but the section has 0"},
		{"pcapng: SPB before interface", ngBlock(func(w *ngWriter) { w.spb(3, frameB[:3]) }), "simple packet before any interface"},
		{"pcapng: SPB beyond block", ngBlock(func(w *ngWriter) { ngIface(w); w.spb(64, frameB[:3]) }), "captured length 64 beyond its block"},
		{"pcapng: tsresol", ngBlock(func(w *ngWriter) { w.iface(LinkTypeEN10MB, 0, 20, 0) }), "timestamp resolution 10^-20"},
		{"pcapng: tsresol binary", ngBlock(func(w *ngWriter) { w.iface(LinkTypeEN10MB, 0, 0x80|64, 0) }), "timestamp resolution 2^-64"},
		{"pcapng: option beyond block", patch(ngBlock(ngIface), shbLen+16+2, 0xff), "option 2 of 255 bytes beyond the block"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := NewReader(bytes.NewReader(tt.file))
			if tt.want == "" {
				require.ErrorIs(t, err, ErrFormat)
				return
			}
			require.NoError(t, err)
			for err == nil {
				_, err = r.Next()
			}
			require.ErrorIs(t, err, ErrFormat)
			require.NotErrorIs(t, err, io.ErrUnexpectedEOF)
			require.Contains(t, err.Error(), tt.want)
			require.LessOrEqual(t, cap(r.buf), minBufferSize, "no buffer for what the file only claims")
		})
	}
}

// TestHugeClaimGzip: a megabyte of gzip whose one record claims more than
// the cap costs no buffer; a record under the cap that claims more than
// the file holds costs only what arrives.
func TestHugeClaimGzip(t *testing.T) {
	tests := []struct {
		name    string
		caplen  uint32
		payload int
		err     error
	}{
		{name: "above the cap", caplen: 0xffffffff, payload: 1<<20 - 40, err: ErrFormat},
		{name: "beyond the file", caplen: MaxCaptureLength, payload: 1000, err: io.ErrUnexpectedEOF},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var gz bytes.Buffer
			zw, err := gzip.NewWriterLevel(&gz, gzip.BestSpeed)
			require.NoError(t, err)
			_, _ = zw.Write(pcapFile(binary.LittleEndian, false, 1, 65535, pcapRec{caplen: tt.caplen, length: tt.caplen}))
			_, _ = zw.Write(make([]byte, tt.payload))
			require.NoError(t, zw.Close())

			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			zr, err := gzip.NewReader(bytes.NewReader(gz.Bytes()))
			require.NoError(t, err)
			r, err := NewReader(zr)
			require.NoError(t, err)
			_, err = r.Next()
			runtime.ReadMemStats(&after)
			require.ErrorIs(t, err, tt.err)
			require.LessOrEqual(t, cap(r.buf), minBufferSize)
			// The gzip reader's window and bufio's buffer, not the claim.
			require.Less(t, after.TotalAlloc-before.TotalAlloc, uint64(MaxCaptureLength))
		})
	}
}

// TestBufferReused: reading records allocates nothing once the buffer is
// as large as the largest of them, and never more than the cap.
func TestBufferReused(t *testing.T) {
	big := bytes.Repeat([]byte{0x45}, MaxCaptureLength)
	var recs []pcapRec
	for range 10 {
		recs = append(recs, pcapRec{data: frameA}, pcapRec{data: big}, pcapRec{data: frameB})
	}
	file := pcapFile(binary.LittleEndian, false, 1, MaxCaptureLength, recs...)
	r := mustReader(t, file)
	allocs := testing.AllocsPerRun(len(recs)-2, func() {
		rec, err := r.Next()
		require.NoError(t, err)
		require.Equal(t, rec.CaptureLength, len(rec.Data))
	})
	require.Zero(t, allocs, "only the first big record grows the buffer")
	require.Equal(t, MaxCaptureLength, cap(r.buf))
}

// readAllocated reads every record of data and returns the bytes the
// heap gave out meanwhile, and how many records there were. A run above
// bound is tried twice more and the least is kept: the fuzzing engine's
// own goroutines allocate too.
func readAllocated(data []byte, bound uint64) (allocated uint64, records int) {
	var before, after runtime.MemStats
	allocated = ^uint64(0)
	for try := 0; try < 3 && allocated > bound; try++ {
		n := 0
		runtime.ReadMemStats(&before)
		r, err := NewReader(bytes.NewReader(data))
		for err == nil {
			_, err = r.Next()
			n++
		}
		runtime.ReadMemStats(&after)
		allocated, records = min(allocated, after.TotalAlloc-before.TotalAlloc), n-1
	}
	return allocated, records
}

// allocBound is what reading a file of n bytes may allocate: bufio's 4 KiB,
// the first record buffer, the buffer's doublings (each at most twice the
// bytes that arrived, so a sum below four times the file), the interfaces
// of pcapng sections (32 bytes for each IDB of at least 20), and an error
// message. It does not depend on any length the file claims.
func allocBound(n int) uint64 { return uint64(8*n + 16<<10) }

// FuzzReader: any input gives records within their bounds and then io.EOF
// or an error of the file, never a panic, never a buffer above the cap,
// and reading it allocates in proportion to its size (allocBound), never
// to what its lengths claim.
func FuzzReader(f *testing.F) {
	for _, file := range realCaptures(f) {
		f.Add(file)
		f.Add(toPcapng(f, file))
	}
	exp1, err := os.ReadFile("../inspect/testdata/exp1.pcap")
	require.NoError(f, err)
	f.Add(toBigEndian(f, exp1, true))
	f.Add(synthPcapng(true))
	// A record that claims the most there is, and holds 4 bytes of it.
	f.Add(pcapFile(binary.LittleEndian, false, 1, MaxCaptureLength,
		pcapRec{caplen: MaxCaptureLength, length: MaxCaptureLength, data: []byte{1, 2, 3, 4}})[:24+16+4])
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := NewReader(bytes.NewReader(data))
		for err == nil {
			var rec Record
			rec, err = r.Next()
			if err != nil {
				break
			}
			require.Len(t, rec.Data, rec.CaptureLength)
			require.LessOrEqual(t, rec.CaptureLength, rec.Length)
			require.LessOrEqual(t, rec.CaptureLength, MaxCaptureLength)
			require.LessOrEqual(t, cap(r.buf), MaxCaptureLength)
			require.LessOrEqual(t, cap(r.buf), max(2*len(data), minBufferSize), "buffer beyond what the file holds")
		}
		if err != io.EOF && !errors.Is(err, ErrFormat) && !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Fatalf("unexpected error %v", err)
		}
		allocated, _ := readAllocated(data, allocBound(len(data)))
		require.LessOrEqual(t, allocated, allocBound(len(data)), "%d bytes allocated reading %d", allocated, len(data))
		require.LessOrEqual(t, allocated, allocBound(MaxCaptureLength))
	})
}
