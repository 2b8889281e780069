package inspect_test

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
	"github.com/stretchr/testify/require"

	"github.com/gocarp/gocarp/hmac"
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

// FuzzParseArgs feeds NUL-separated argument lists to ParseArgs (the
// argument "@pass" names a password file holding "filepw"). It never
// panics and gives the same answer twice; an error is ErrHelp or matches
// ErrUsage, with a message, and comes with zero results; a success reads
// exactly one of a capture file (one of the arguments) or an interface
// (found in the arguments), with VIPs that are valid addresses and a
// password that is absent or of 1..19 bytes, absent only when the
// environment has none.
func FuzzParseArgs(f *testing.F) {
	for _, s := range []string{
		"x.pcap", "-", "-p\x00secret\x00-a\x00198.51.100.100\x00-a\x002001:db8::1\x00--json\x00x.pcap",
		"-psecret\x00-a198.51.100.100\x00-ieth0", "--pass=secret\x00--addr=198.51.100.100\x00--interface=eth1",
		"--passf\x00@pass\x00--js\x00--int\x00eth0", "-o\x00@pass\x00x.pcap", "x.pcap\x00-p\x00secret",
		"-p\x00s\x00--\x00-p", "-p\x000123456789abcdefghij\x00x", "-h", "x\x00--help", "-p\x00a\x00-o\x00@pass\x00x",
		"--json=yes\x00x", "--pas\x00a\x00x", "-i\x00eth0\x00x", "x\x00y", "-i\x00a\x00--interface\x00b", "-p\x00\x00x",
		"--addr=nope\x00x", "x\x00-p", "-z",
	} {
		f.Add(s)
	}
	passFile := filepath.Join(f.TempDir(), "pass")
	require.NoError(f, os.WriteFile(passFile, []byte("filepw\nsecond\n"), 0o600))
	f.Fuzz(func(t *testing.T, in string) {
		args := strings.Split(in, "\x00")
		for i, a := range args {
			// -o reads files: only the one above (a path could name a FIFO).
			if strings.Contains(a, "/") {
				t.Skip()
			}
			args[i] = strings.ReplaceAll(a, "@pass", passFile)
		}
		envpw := ""
		if len(in)%2 == 0 {
			envpw = "envpw"
		}
		env := func(k string) string {
			if k == inspect.PasswordEnv {
				return envpw
			}
			return ""
		}
		opts, source, iface, err := inspect.ParseArgs(slices.Clone(args), env)
		opts2, source2, iface2, err2 := inspect.ParseArgs(slices.Clone(args), env)
		require.Equal(t, opts, opts2)
		require.Equal(t, source, source2)
		require.Equal(t, iface, iface2)
		require.Equal(t, err, err2)
		if err != nil {
			require.True(t, err == inspect.ErrHelp || errors.Is(err, inspect.ErrUsage), "%T %v", err, err)
			require.NotEmpty(t, err.Error())
			require.Zero(t, opts.Password)
			require.Empty(t, opts.VIPs)
			require.False(t, opts.JSON)
			require.Empty(t, source)
			require.Empty(t, iface)
			return
		}
		require.True(t, (source == "") != (iface == ""), "source %q, iface %q", source, iface)
		if source != "" {
			require.Contains(t, args, source)
		} else {
			require.True(t, slices.ContainsFunc(args, func(a string) bool { return strings.HasSuffix(a, iface) }), "iface %q", iface)
		}
		for _, a := range opts.VIPs {
			require.True(t, a.IsValid())
		}
		if opts.Password == nil {
			require.Empty(t, envpw, "the environment's password was not taken")
		} else {
			require.NotEmpty(t, opts.Password)
			require.LessOrEqual(t, len(opts.Password), hmac.MaxPasswordLen)
		}
		if opts.JSON {
			require.True(t, slices.ContainsFunc(args, func(a string) bool {
				return len(a) > 2 && strings.HasPrefix("--json", a)
			}), "--json from nowhere")
		}
	})
}
