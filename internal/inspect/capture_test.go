package inspect_test

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"net/netip"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/pcapgo"
	"github.com/stretchr/testify/require"

	"github.com/gocarp/gocarp/internal/inspect"
)

type pcapRecord struct {
	ci   gopacket.CaptureInfo
	data []byte
}

func records(t *testing.T, file []byte) (*pcapgo.Reader, []pcapRecord) {
	t.Helper()
	r, err := pcapgo.NewReader(bytes.NewReader(file))
	require.NoError(t, err)
	var recs []pcapRecord
	for {
		data, ci, err := r.ReadPacketData()
		if err == io.EOF {
			return r, recs
		}
		require.NoError(t, err)
		recs = append(recs, pcapRecord{ci, data})
	}
}

// rewrite writes recs as a pcap like the original.
func rewrite(t *testing.T, r *pcapgo.Reader, recs []pcapRecord) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := pcapgo.NewWriter(&buf)
	require.NoError(t, w.WriteFileHeader(r.Snaplen(), r.LinkType()))
	for _, rec := range recs {
		require.NoError(t, w.WritePacket(rec.ci, rec.data))
	}
	return buf.Bytes()
}

// TestTruncatedCapture cuts a capture inside every record (in its header
// and in its data): ReadPcap prints every packet before the cut, exactly
// as for a clean file of those packets, then reports the truncation.
func TestTruncatedCapture(t *testing.T) {
	opts := inspect.Options{Password: []byte("secret"), VIPs: []netip.Addr{netip.MustParseAddr("198.51.100.100")}}
	for _, name := range []string{"exp1", "validate"} {
		r, recs := records(t, readFile(t, name+".pcap"))
		require.NotEmpty(t, recs)
		printed := false
		for k := range recs {
			clean := rewrite(t, r, recs[:k])
			var want bytes.Buffer
			wantSum, err := inspect.ReadPcap(bytes.NewReader(clean), opts, &want)
			require.NoError(t, err)
			require.Equal(t, k, wantSum.Packets)

			full := rewrite(t, r, recs[:k+1])
			recLen := len(full) - len(clean)
			for _, cut := range []int{1, 8, 15, 16, 16 + len(recs[k].data)/2, recLen - 1} {
				var out bytes.Buffer
				sum, err := inspect.ReadPcap(bytes.NewReader(full[:len(clean)+cut]), opts, &out)
				require.ErrorIs(t, err, inspect.ErrBadCapture, "%s record %d cut %d", name, k, cut)
				require.ErrorIs(t, err, io.ErrUnexpectedEOF)
				require.Contains(t, err.Error(), "truncated")
				require.Equal(t, wantSum, sum)
				require.Equal(t, want.String(), out.String())
				printed = printed || out.Len() > 0
			}
		}
		require.True(t, printed, "some cut must come after CARP packets")
	}
}

func TestGarbledCapture(t *testing.T) {
	file := readFile(t, "exp1.pcap")
	r, recs := records(t, file)
	const k = 5
	prefix := rewrite(t, r, recs[:k])
	var want bytes.Buffer
	wantSum, err := inspect.ReadPcap(bytes.NewReader(prefix), inspect.Options{}, &want)
	require.NoError(t, err)
	require.NotZero(t, wantSum.CARP)

	tests := []struct {
		name   string
		caplen uint32
		length uint32
		want   string
	}{
		{name: "caplen above snaplen", caplen: 0x7fffffff, length: 0x7fffffff,
			want: "record 6 at offset %d: captured length 2147483647 above the limit of 262144 bytes"},
		{name: "caplen above length", caplen: 60, length: 50,
			want: "record 6 at offset %d: captured length 60 above the packet's length 50"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := bytes.Clone(file)
			off := len(prefix) // header of record k
			binary.LittleEndian.PutUint32(g[off+8:], tt.caplen)
			binary.LittleEndian.PutUint32(g[off+12:], tt.length)
			var out bytes.Buffer
			sum, err := inspect.ReadPcap(bytes.NewReader(g), inspect.Options{}, &out)
			require.ErrorIs(t, err, inspect.ErrBadCapture)
			require.Contains(t, err.Error(), "garbled after 5 packets")
			require.Contains(t, err.Error(), fmt.Sprintf(tt.want, off), "the record and where it starts")
			require.Equal(t, wantSum, sum)
			require.Equal(t, want.String(), out.String())
		})
	}
}

func TestNotACapture(t *testing.T) {
	for name, data := range map[string][]byte{
		"empty":        {},
		"short header": readFile(t, "exp1.pcap")[:10],
		"text":         []byte("this is not a capture file at all\n"),
		"bad gzip":     {0x1f, 0x8b, 0, 0},
		"pcapng cut":   {0x0a, 0x0d, 0x0d, 0x0a, 0x1c, 0, 0, 0},
	} {
		t.Run(name, func(t *testing.T) {
			var out bytes.Buffer
			sum, err := inspect.ReadPcap(bytes.NewReader(data), inspect.Options{}, &out)
			require.ErrorIs(t, err, inspect.ErrBadCapture)
			require.Zero(t, sum)
			require.Empty(t, out.String())
		})
	}
}

type failWriter struct{ n int }

func (w *failWriter) Write(b []byte) (int, error) {
	if w.n == 0 {
		return 0, io.ErrClosedPipe
	}
	w.n--
	return len(b), nil
}

// TestWriteError: output going away (a closed pipe) stops the read.
func TestWriteError(t *testing.T) {
	sum, err := inspect.ReadPcap(bytes.NewReader(readFile(t, "exp1.pcap")), inspect.Options{}, &failWriter{n: 2})
	require.ErrorIs(t, err, io.ErrClosedPipe)
	require.NotErrorIs(t, err, inspect.ErrBadCapture)
	require.Equal(t, 3, sum.CARP)
}
