package inspect_test

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
	"github.com/stretchr/testify/require"

	"github.com/gocarp/gocarp/internal/inspect"
)

// TestPcapngMixedLinkTypes: each pcapng interface is decoded by its own
// link type; packets of one the decoder does not know are counted and
// skipped with one hint naming the link type as tcpdump does.
func TestPcapngMixedLinkTypes(t *testing.T) {
	var buf bytes.Buffer
	w, err := pcapgo.NewNgWriterInterface(&buf, pcapgo.NgInterface{Name: "eth0", LinkType: layers.LinkTypeEthernet}, pcapgo.DefaultNgWriterOptions)
	require.NoError(t, err)
	wifi, err := w.AddInterface(pcapgo.NgInterface{Name: "wlan0", LinkType: layers.LinkTypeIEEE802_11})
	require.NoError(t, err)
	raw, err := w.AddInterface(pcapgo.NgInterface{Name: "tun0", LinkType: layers.LinkTypeRaw, TimestampResolution: 9})
	require.NoError(t, err)
	packets := []struct {
		ifc  int
		data []byte
	}{
		{0, frame(layers.LinkTypeEthernet, ipv4Advert(t, signedAdvert(t, 7, 5)))},
		{wifi, []byte{0x08, 0, 0, 0}},
		{raw, ipv6Advert(t, signedAdvert(t, 7, 6))},
		{wifi, []byte{0x08, 0, 0, 1}},
	}
	for i, p := range packets {
		ci := gopacket.CaptureInfo{Timestamp: synthStart.Add(time.Duration(i) * time.Second), CaptureLength: len(p.data),
			Length: len(p.data), InterfaceIndex: p.ifc}
		require.NoError(t, w.WritePacket(ci, p.data))
	}
	require.NoError(t, w.Flush())

	var out, hints bytes.Buffer
	sum, err := inspect.ReadPcap(&buf, inspect.Options{Password: synthPass, VIPs: synthVIPs, Stderr: &hints}, &out)
	require.NoError(t, err)
	require.Equal(t, inspect.Summary{Packets: 4, CARP: 2, AuthOK: 2}, sum)
	require.Equal(t, 2, strings.Count(out.String(), "auth ok\n"), out.String())
	require.Contains(t, out.String(), "2026-11-22T02:06:53.123456Z fe80::1 > ff02::12")
	require.Equal(t, "carpd inspect: skipping packets of link type IEEE802_11 (105): "+inspect.ErrLinkType.Error()+"\n", hints.String())
}

func TestUnsupportedLinkTypeNamed(t *testing.T) {
	_, err := inspect.ReadPcap(bytes.NewReader(writePcap(t, layers.LinkTypeIEEE802_11, []byte{1, 2, 3})), inspect.Options{}, &bytes.Buffer{})
	require.ErrorIs(t, err, inspect.ErrLinkType)
	require.Contains(t, err.Error(), ": IEEE802_11 (105)")
	_, err = inspect.ReadPcap(bytes.NewReader(writePcap(t, layers.LinkType(4242), []byte{1, 2, 3})), inspect.Options{}, &bytes.Buffer{})
	require.ErrorIs(t, err, inspect.ErrLinkType)
	require.Contains(t, err.Error(), ": unknown (4242)")
}

// TestHugeRecordGzip: a megabyte of .pcap.gz whose second record claims
// 2 GiB is reported after the first, without a buffer for the claim.
func TestHugeRecordGzip(t *testing.T) {
	file := writePcap(t, layers.LinkTypeRaw, ipv4Advert(t, signedAdvert(t, 7, 5)))
	file = binary.LittleEndian.AppendUint32(file, 0) // ts
	file = binary.LittleEndian.AppendUint32(file, 0)
	file = binary.LittleEndian.AppendUint32(file, 1<<31) // caplen
	file = binary.LittleEndian.AppendUint32(file, 1<<31) // length
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	_, _ = zw.Write(file)
	_, _ = zw.Write(make([]byte, 1<<20))
	require.NoError(t, zw.Close())

	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	var out bytes.Buffer
	sum, err := inspect.ReadPcap(bytes.NewReader(gz.Bytes()), inspect.Options{Password: synthPass, VIPs: synthVIPs}, &out)
	runtime.ReadMemStats(&after)
	require.ErrorIs(t, err, inspect.ErrBadCapture)
	require.Contains(t, err.Error(), "capture garbled after 1 packets: pcap: record 2 at offset 96: captured length 2147483648 above the limit of 262144 bytes")
	require.Equal(t, inspect.Summary{Packets: 1, CARP: 1, AuthOK: 1}, sum)
	// gzip's window, bufio and the signer: far from the 256 KiB cap, let
	// alone the claim.
	require.Less(t, after.TotalAlloc-before.TotalAlloc, uint64(256<<10))
}
