package inspect_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gopacket/gopacket/pcapgo"
	"github.com/stretchr/testify/require"

	"github.com/gocarp/gocarp/internal/inspect"
)

var update = flag.Bool("update", false, "rewrite testdata/*.txt golden files from the current output")

// verified is one line of a *.verify.txt file: an advert as decoded and
// checked by an independent tool when the captures were made.
type verified struct {
	time                     string // RFC 3339, microseconds, UTC
	src, dst                 string
	ttl, ver, typ, vhid      int
	advbase, advskew, demote int
	counter                  string
	ipCksumOK, carpCksumOK   bool
	match                    bool
	truncated                bool // digest cut short: the packet is malformed
	password, vip            string
}

var (
	verifyField = regexp.MustCompile(`(\w+)=(\S+)`)
	verifyCreds = regexp.MustCompile(`HMAC=MATCH \('([^']*)', '([^']*)'\)`)
)

// readVerify parses name.verify.txt from testdata.
func readVerify(t *testing.T, name string) []verified {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", name+".verify.txt"))
	require.NoError(t, err)
	defer f.Close()
	var out []verified
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if !strings.Contains(line, " CARP ") {
			continue
		}
		ts, _, _ := strings.Cut(line, " ")
		secs, usecs, ok := strings.Cut(ts, ".")
		require.True(t, ok, line)
		s, err := strconv.ParseInt(secs, 10, 64)
		require.NoError(t, err)
		us, err := strconv.ParseInt(usecs, 10, 64)
		require.NoError(t, err)
		kv := map[string]string{}
		for _, m := range verifyField.FindAllStringSubmatch(line, -1) {
			kv[m[1]] = m[2]
		}
		num := func(k string) int {
			v, err := strconv.ParseInt(kv[k], 0, 32)
			require.NoError(t, err, "%s in %q", k, line)
			return int(v)
		}
		v := verified{
			time: time.Unix(s, us*1000).UTC().Format("2006-01-02T15:04:05.000000Z07:00"),
			src:  kv["src"], dst: kv["dst"],
			ttl: num("ttl"), ver: num("ver"), typ: num("type"), vhid: num("vhid"),
			advbase: num("advbase"), advskew: num("advskew"), demote: num("pad1"),
			counter:     kv["counter"],
			ipCksumOK:   kv["ipcksum_ok"] == "True",
			carpCksumOK: kv["carp_cksum_ok"] == "True",
			match:       kv["HMAC"] == "MATCH",
			truncated:   len(kv["md"]) < 40,
		}
		if m := verifyCreds.FindStringSubmatch(line); m != nil {
			v.password, v.vip = m[1], m[2]
		}
		out = append(out, v)
	}
	require.NoError(t, sc.Err())
	require.NotEmpty(t, out, name)
	return out
}

// credentials returns the password and VIP the verify file matched with.
func credentials(t *testing.T, vs []verified) ([]byte, netip.Addr) {
	t.Helper()
	for _, v := range vs {
		if v.match {
			return []byte(v.password), netip.MustParseAddr(v.vip)
		}
	}
	t.Fatal("no advert matched in the verify file")
	return nil, netip.Addr{}
}

// captures lists the ucarp captures copied into testdata.
func captures(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", "*.pcap"))
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(files), 14)
	names := make([]string, len(files))
	for i, f := range files {
		names[i] = strings.TrimSuffix(filepath.Base(f), ".pcap")
	}
	return names
}

func readFile(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	require.NoError(t, err)
	return b
}

// countRecords counts the records of a pcap file independently of ReadPcap.
func countRecords(t *testing.T, data []byte) int {
	t.Helper()
	r, err := pcapgo.NewReader(bytes.NewReader(data))
	require.NoError(t, err)
	n := 0
	for {
		if _, _, err := r.ReadPacketData(); err != nil {
			return n
		}
		n++
	}
}

// decodeJSON splits JSON-lines output into maps.
func decodeJSON(t *testing.T, out []byte) []map[string]any {
	t.Helper()
	var recs []map[string]any
	for line := range bytes.Lines(out) {
		var m map[string]any
		require.NoError(t, json.Unmarshal(line, &m), "%s", line)
		recs = append(recs, m)
	}
	return recs
}

func TestVectorsJSON(t *testing.T) {
	for _, name := range captures(t) {
		t.Run(name, func(t *testing.T) {
			want := readVerify(t, name)
			pass, vip := credentials(t, want)
			data := readFile(t, name+".pcap")

			var out, hints bytes.Buffer
			sum, err := inspect.ReadPcap(bytes.NewReader(data),
				inspect.Options{Password: pass, VIPs: []netip.Addr{vip}, JSON: true, Stderr: &hints}, &out)
			require.NoError(t, err)
			got := decodeJSON(t, out.Bytes())

			// Malformed packets cannot fill the JSON keys: they go to
			// stderr as text lines instead of being lost.
			var wantSum inspect.Summary
			wantSum.Packets = countRecords(t, data)
			wantSum.CARP = len(want)
			j := 0
			for i, w := range want {
				if w.truncated {
					wantSum.Malformed++
					require.Contains(t, hints.String(), w.src+" > "+w.dst+" ttl", "advert %d", i)
					require.Contains(t, hints.String(), "CARP malformed: carp: packet too short", "advert %d", i)
					continue
				}
				require.Less(t, j, len(got), "advert %d missing from the JSON", i)
				g := got[j]
				j++
				require.Equal(t, w.time, g["time"], "advert %d", i)
				require.Equal(t, w.src, g["src"], "advert %d", i)
				require.Equal(t, w.dst, g["dst"], "advert %d", i)
				require.EqualValues(t, w.ttl, g["ttl"], "advert %d", i)
				require.EqualValues(t, w.ver, g["version"], "advert %d", i)
				require.EqualValues(t, w.typ, g["type"], "advert %d", i)
				require.EqualValues(t, w.vhid, g["vhid"], "advert %d", i)
				require.EqualValues(t, w.advbase, g["advbase"], "advert %d", i)
				require.EqualValues(t, w.advskew, g["advskew"], "advert %d", i)
				require.EqualValues(t, w.demote, g["demote"], "advert %d", i)
				require.Equal(t, w.counter, g["counter"], "advert %d", i)
				cksumOK := w.ipCksumOK && w.carpCksumOK
				require.Equal(t, cksumOK, g["cksum_ok"], "advert %d", i)
				auth := "bad"
				if w.match {
					auth = "ok"
					wantSum.AuthOK++
				} else {
					wantSum.AuthBad++
				}
				require.Equal(t, auth, g["auth"], "advert %d", i)
				if !cksumOK {
					wantSum.ChecksumBad++
				}
			}
			require.Len(t, got, j)
			require.Equal(t, wantSum, sum)
			if wantSum.Malformed == 0 {
				require.Empty(t, hints.String(), "no hint when a password and the VIP are given and digests match")
			}
		})
	}
}

// TestVectorsText checks the text lines against the verify files: which
// checksum is bad, and the auth verdict.
func TestVectorsText(t *testing.T) {
	for _, name := range captures(t) {
		t.Run(name, func(t *testing.T) {
			want := readVerify(t, name)
			pass, vip := credentials(t, want)
			var out bytes.Buffer
			_, err := inspect.ReadPcap(bytes.NewReader(readFile(t, name+".pcap")),
				inspect.Options{Password: pass, VIPs: []netip.Addr{vip}}, &out)
			require.NoError(t, err)
			lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
			require.Len(t, lines, len(want))
			for i, w := range want {
				l := lines[i]
				require.True(t, strings.HasPrefix(l, fmt.Sprintf("%s %s > %s ttl %d ", w.time, w.src, w.dst, w.ttl)), l)
				if w.truncated {
					require.Contains(t, l, " CARP malformed: carp: packet too short", l)
					continue
				}
				cksum := map[[2]bool]string{
					{true, true}: "ok", {false, true}: "bad(ip)", {true, false}: "bad(carp)", {false, false}: "bad(ip,carp)",
				}[[2]bool{w.ipCksumOK, w.carpCksumOK}]
				auth := map[bool]string{true: "ok", false: "bad"}[w.match]
				require.True(t, strings.HasSuffix(l, " cksum "+cksum+" auth "+auth), l)
				require.Contains(t, l, fmt.Sprintf(" CARPv%d ", w.ver), l)
				require.Contains(t, l, fmt.Sprintf(" vhid %d advbase %d advskew %d demote %d counter %s ",
					w.vhid, w.advbase, w.advskew, w.demote, w.counter), l)
			}
		})
	}
}

func TestVectorsWrongPassword(t *testing.T) {
	for _, name := range captures(t) {
		t.Run(name, func(t *testing.T) {
			want := readVerify(t, name)
			pass, vip := credentials(t, want)
			wrong := bytes.Clone(pass) // same length: v2_maxpass is at the maximum
			wrong[len(wrong)-1] ^= 1
			var hints bytes.Buffer
			var out bytes.Buffer
			sum, err := inspect.ReadPcap(bytes.NewReader(readFile(t, name+".pcap")),
				inspect.Options{Password: wrong, VIPs: []netip.Addr{vip}, JSON: true, Stderr: &hints}, &out)
			require.NoError(t, err)
			require.Zero(t, sum.AuthOK)
			require.Equal(t, sum.CARP-sum.Malformed, sum.AuthBad)
			for _, g := range decodeJSON(t, out.Bytes()) {
				if g["malformed"] == nil {
					require.Equal(t, "bad", g["auth"])
				}
			}
			require.Equal(t, 1, strings.Count(hints.String(), "no digest matched"), hints.String())
		})
	}
}

func TestVectorsWrongVIP(t *testing.T) {
	want := readVerify(t, "exp1")
	pass, _ := credentials(t, want)
	// A second VIP the peers do not have: BSD-style, it is hashed too.
	vips := []netip.Addr{netip.MustParseAddr("198.51.100.100"), netip.MustParseAddr("198.51.100.101")}
	sum, err := inspect.ReadPcap(bytes.NewReader(readFile(t, "exp1.pcap")),
		inspect.Options{Password: pass, VIPs: vips, Stderr: &bytes.Buffer{}}, &bytes.Buffer{})
	require.NoError(t, err)
	require.Equal(t, inspect.Summary{Packets: sum.Packets, CARP: len(want), AuthBad: len(want)}, sum)
}

func TestVectorsUnchecked(t *testing.T) {
	for _, name := range captures(t) {
		want := readVerify(t, name)
		pass, vip := credentials(t, want)
		tests := []struct {
			name string
			opts inspect.Options
			hint bool
		}{
			{name: "no password", opts: inspect.Options{VIPs: []netip.Addr{vip}}},
			{name: "no password no VIP"},
			{name: "password without VIP", opts: inspect.Options{Password: pass}, hint: true},
		}
		for _, tt := range tests {
			t.Run(name+"/"+tt.name, func(t *testing.T) {
				var out, hints bytes.Buffer
				tt.opts.JSON, tt.opts.Stderr = true, &hints
				sum, err := inspect.ReadPcap(bytes.NewReader(readFile(t, name+".pcap")), tt.opts, &out)
				require.NoError(t, err)
				require.Zero(t, sum.AuthOK+sum.AuthBad)
				got := decodeJSON(t, out.Bytes())
				require.Len(t, got, len(want)-sum.Malformed)
				for _, g := range got {
					require.Equal(t, "unchecked", g["auth"])
				}
				if tt.hint {
					require.Equal(t, 1, strings.Count(hints.String(), "-a VIP needed to check the digest"), hints.String())
				} else {
					require.NotContains(t, hints.String(), "-a VIP needed")
				}
				require.Equal(t, sum.Malformed, strings.Count(hints.String(), "CARP malformed"))
			})
		}
	}
}

// TestGoldenExp1 pins the text output for exp1.pcap. Regenerate with
// go test -run TestGoldenExp1 -update, and read the diff before accepting.
func TestGoldenExp1(t *testing.T) {
	var out bytes.Buffer
	_, err := inspect.ReadPcap(bytes.NewReader(readFile(t, "exp1.pcap")), inspect.Options{
		Password: []byte("secret"), VIPs: []netip.Addr{netip.MustParseAddr("198.51.100.100")},
	}, &out)
	require.NoError(t, err)
	golden := filepath.Join("testdata", "exp1.txt")
	if *update {
		require.NoError(t, os.WriteFile(golden, out.Bytes(), 0o644))
	}
	want, err := os.ReadFile(golden)
	require.NoError(t, err)
	require.Equal(t, string(want), out.String())
}
