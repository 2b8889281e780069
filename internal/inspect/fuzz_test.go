package inspect_test

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"net/netip"
	"path/filepath"
	"testing"

	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
	"github.com/stretchr/testify/require"

	"github.com/gocarp/gocarp/internal/inspect"
)

// FuzzReadPcap: any input gives lines or an error, never a panic, and
// every CARP packet counted gets exactly one line.
func FuzzReadPcap(f *testing.F) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.pcap"))
	require.NoError(f, err)
	for _, name := range files {
		data := readFile(f, filepath.Base(name))
		f.Add(data, false)
		f.Add(data[:len(data)*2/3], true)
	}
	// pcapng, as a seed of its own: its blocks are not pcap records.
	r, err := pcapgo.NewReader(bytes.NewReader(readFile(f, "validate2.pcap")))
	require.NoError(f, err)
	var ng bytes.Buffer
	nw, err := pcapgo.NewNgWriter(&ng, r.LinkType())
	require.NoError(f, err)
	for {
		data, ci, err := r.ReadPacketData()
		if err != nil {
			break
		}
		require.NoError(f, nw.WritePacket(ci, data))
	}
	require.NoError(f, nw.Flush())
	f.Add(ng.Bytes(), false)

	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	_, _ = zw.Write(readFile(f, "validate2.pcap"))
	require.NoError(f, zw.Close())
	f.Add(gz.Bytes(), true)
	for _, lt := range []layers.LinkType{layers.LinkTypeLinuxSLL2, layers.LinkTypeLoop} {
		f.Add(writePcap(f, lt, frame(lt, ipv6Advert(f, signedAdvert(f, 1, 1)))), false)
	}

	vips := []netip.Addr{netip.MustParseAddr("198.51.100.100"), netip.MustParseAddr("2001:db8::1")}
	f.Fuzz(func(t *testing.T, data []byte, asJSON bool) {
		var out bytes.Buffer
		var stderr bytes.Buffer
		opts := inspect.Options{Password: []byte("secret"), VIPs: vips, JSON: asJSON, Stderr: &stderr}
		sum, _ := inspect.ReadPcap(bytes.NewReader(data), opts, &out)

		require.LessOrEqual(t, sum.CARP, sum.Packets)
		require.LessOrEqual(t, sum.Malformed, sum.CARP)
		decoded := sum.CARP - sum.Malformed
		require.LessOrEqual(t, sum.AuthOK+sum.AuthBad, decoded)
		require.LessOrEqual(t, sum.ChecksumBad, decoded)
		if asJSON {
			// Malformed packets go to stderr: JSON lines keep exactly their keys.
			require.Equal(t, decoded, bytes.Count(out.Bytes(), []byte("\n")))
			require.Equal(t, sum.Malformed, bytes.Count(stderr.Bytes(), []byte("CARP malformed")))
			for line := range bytes.Lines(out.Bytes()) {
				require.True(t, json.Valid(line), "%q", line)
			}
		} else {
			require.Equal(t, sum.CARP, bytes.Count(out.Bytes(), []byte("\n")))
		}
	})
}
