package main

import (
	"bytes"
	"encoding/binary"
	"io"
	"math"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestParse(t *testing.T) {
	c, err := parse(nil, io.Discard)
	require.NoError(t, err)
	require.Equal(t, 10, c.rounds)
	require.Equal(t, 10*time.Minute, c.hold)
	require.Equal(t, allImpls, c.impls)
	require.Equal(t, allFigures, c.figures)
	require.True(t, c.has("codec"))

	c, err = parse([]string{"-rounds", "2", "-hold", "30s", "-only", "failover,codec", "-impl", "keepalived,carpd"}, io.Discard)
	require.NoError(t, err)
	require.Equal(t, 2, c.rounds)
	require.Equal(t, 30*time.Second, c.hold)
	require.Equal(t, []string{"failover", "codec"}, c.figures)
	require.Equal(t, []string{"keepalived", "carpd"}, c.impls)
	require.False(t, c.has("scale"))

	for _, bad := range [][]string{
		{"-rounds", "0"}, {"-hold", "10ms"}, {"-impl", "vrrpd"}, {"-impl", "carpd,carpd"},
		{"-only", "speed"}, {"-scale-n", "256"}, {"-ping", "0s"}, {"extra"}, {"-hog", "-1"},
	} {
		_, err := parse(bad, io.Discard)
		require.Error(t, err, "%v", bad)
	}
}

func TestTimings(t *testing.T) {
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	// advbase 1: CARP 3 × 1 s + 100/256 s; VRRPv2 priority 156 the same.
	require.Equal(t, 3390.625, ms(timingSecond.bound("carpd")))
	require.Equal(t, 3390.625, ms(timingSecond.bound("keepalived")))
	require.Equal(t, time.Second, timingSecond.interval("carpd"))
	require.Equal(t, time.Second, timingSecond.interval("keepalived"))
	// Sub-second: 3 × 52/256 s, 3 × 6/256 s.
	require.InDelta(t, 609.375, ms(timingSub26.bound("ucarp")), 0.001)
	require.InDelta(t, 70.3125, ms(timingSub3.bound("carpd")), 0.001)
	require.InDelta(t, 101.5625, ms(timingSub26.interval("carpd")), 0.001)
	// keepalived: the nearest centisecond (101.6 ms → 0.10 s, 11.7 ms →
	// 0.01 s), VRRPv3, 3 × interval + 100/256 × interval.
	require.Equal(t, 10, timingSub26.advertCS)
	require.Equal(t, 1, timingSub3.advertCS)
	require.Equal(t, 3, timingSub3.vrrpVersion)
	require.InDelta(t, 339.0625, ms(timingSub26.bound("keepalived")), 0.001)
	require.InDelta(t, 33.90625, ms(timingSub3.bound("keepalived")), 0.001)
	require.Equal(t, "1", advertInt(100))
	require.Equal(t, "0.10", advertInt(10))
	require.Equal(t, "0.01", advertInt(1))
	require.Equal(t, "carpd 609.4; keepalived 339.1", boundCell(timingSub26, []string{"carpd", "keepalived"}))
	require.Equal(t, "3390.6", boundCell(timingSecond, []string{"carpd", "ucarp", "keepalived"}))
}

func TestKeepalivedConfig(t *testing.T) {
	conf := keepalivedConfig(keepalivedNode{host: "m", master: true, t: timingSub26, preempt: true})
	for _, want := range []string{
		"vrrp_version 3\n", "state MASTER\n", "interface eth0\n", "virtual_router_id 42\n",
		"priority 200\n", "advert_int 0.10\n", "198.51.100.100/32\n",
	} {
		require.Contains(t, conf, want)
	}
	require.NotContains(t, conf, "nopreempt")
	require.NotContains(t, conf, "vrrp_script")
	require.Equal(t, strings.Count(conf, "{"), strings.Count(conf, "}"))

	conf = keepalivedConfig(keepalivedNode{host: "b", t: timingSecond, checkCmd: "/usr/bin/test ! -e /tmp/x", checkMS: 200, fall: 3})
	for _, want := range []string{
		"vrrp_version 2\n", "state BACKUP\n", "priority 156\n", "advert_int 1\n", "nopreempt\n",
		"script_user root\n", "enable_script_security\n",
		"script \"/usr/bin/test ! -e /tmp/x\"\n", "interval 1\n", "timeout 1\n", "fall 3\n", "weight -100\n",
		"track_script {\n        flag\n",
	} {
		require.Contains(t, conf, want)
	}
	require.Equal(t, strings.Count(conf, "{"), strings.Count(conf, "}"))
	require.Equal(t, 1, keepalivedCheckSeconds(200))
	require.Equal(t, 2, keepalivedCheckSeconds(1500))

	argv := keepalivedArgv("/usr/sbin/keepalived", "/d/k.conf", "/d/")
	require.Equal(t, []string{"/usr/sbin/keepalived", "-n", "-l", "-P", "-f", "/d/k.conf", "-p", "/d/keepalived.pid", "-r", "/d/vrrp.pid", "-c", "/d/checkers.pid", "-b", "/d/bfd.pid"}, argv)
	require.Equal(t, "v2.2.7", keepalivedVersion("Keepalived v2.2.7 (01/16,2022)"))
}

func TestCarpdCheckConfig(t *testing.T) {
	conf := carpdCheckConfig(true, "/u.sh", "/d.sh", "/run/x.sock", "/usr/bin/test ! -e /tmp/f", 200, 3)
	for _, want := range []string{
		"socket = \"/run/x.sock\"", "vhid = 42", "vips = [\"198.51.100.100\"]", "source = \"198.51.100.1\"",
		"advskew = 0", "preempt = true", "up_script = \"/u.sh\"", "checks = [\"flag\"]",
		"command = [\"/usr/bin/test\", \"!\", \"-e\", \"/tmp/f\"]", "interval = \"200ms\"", "fall = 3",
	} {
		require.Contains(t, conf, want)
	}
	conf = carpdCheckConfig(false, "/u.sh", "/d.sh", "/run/y.sock", "/usr/bin/test ! -e /tmp/f", 200, 3)
	require.Contains(t, conf, "advskew = 100")
	require.Contains(t, conf, "source = \"198.51.100.2\"")
	require.NotContains(t, conf, "[[check]]")
}

func TestNodeArgs(t *testing.T) {
	got := nodeArgs("/bin/x", netip.MustParseAddr("198.51.100.2"), 0, 52, true, "/u", "/d")
	require.Equal(t, "/bin/x -i eth0 -s 198.51.100.2 -v 42 -p benchpass -a 198.51.100.100 -b 0 -k 52 -z -P -u /u -d /d -f none", strings.Join(got, " "))
	got = nodeArgs("/bin/x", masterAddr, 1, 0, false, "/u", "/d")
	require.NotContains(t, got, "-P")
}

// ipv4Frame builds an Ethernet + IPv4 frame around payload.
func ipv4Frame(src netip.Addr, proto byte, payload []byte) []byte {
	b := make([]byte, 14+20)
	copy(b[0:6], []byte{1, 0, 0x5e, 0, 0, 0x12})
	copy(b[6:12], backupMAC)
	b[12], b[13] = 0x08, 0x00
	ip := b[14:]
	ip[0] = 0x45
	binary.BigEndian.PutUint16(ip[2:], uint16(20+len(payload)))
	ip[8], ip[9] = 255, proto
	copy(ip[12:16], src.AsSlice())
	copy(ip[16:20], []byte{224, 0, 0, 18})
	return append(b, payload...)
}

func TestParseFrame(t *testing.T) {
	// CARP: 36 bytes, version 2 type 1, vhid, advskew, authlen 7, demote, advbase.
	carp := make([]byte, 36)
	carp[0], carp[1], carp[2], carp[3], carp[5] = 0x21, 42, 100, 7, 1
	f, ok := parseFrame(ipv4Frame(backupAddr, 112, carp))
	require.True(t, ok)
	require.Equal(t, kindAdvert, f.kind)
	require.True(t, f.carp)
	require.Equal(t, backupAddr, f.src)
	require.Equal(t, backupMAC, f.srcMAC)
	require.Equal(t, uint8(42), f.vhid)
	require.Equal(t, uint8(100), f.advskew)
	require.False(t, f.leaving())
	carp[2], carp[5] = 255, 255 // bow-out
	f, _ = parseFrame(ipv4Frame(backupAddr, 112, carp))
	require.True(t, f.leaving())

	// VRRPv3: 12 bytes with one address; priority 0 is the farewell.
	vrrp := []byte{0x31, 42, 200, 1, 0, 10, 0, 0, 198, 51, 100, 100}
	f, ok = parseFrame(ipv4Frame(masterAddr, 112, vrrp))
	require.True(t, ok)
	require.False(t, f.carp)
	require.Equal(t, uint8(200), f.prio)
	require.False(t, f.leaving())
	vrrp[2] = 0
	f, _ = parseFrame(ipv4Frame(masterAddr, 112, vrrp))
	require.True(t, f.leaving())
	// VRRPv2, 20 bytes: not CARP either.
	v2 := append([]byte{0x21, 42, 156, 1, 0, 1, 0, 0, 198, 51, 100, 100}, make([]byte, 8)...)
	f, _ = parseFrame(ipv4Frame(masterAddr, 112, v2))
	require.False(t, f.carp)
	require.Equal(t, uint8(156), f.prio)

	// An echo reply from the VIP; an echo request is not one.
	f, ok = parseFrame(ipv4Frame(vip, 1, []byte{0, 0, 0, 0, 0, 1, 0, 1}))
	require.True(t, ok)
	require.Equal(t, kindEchoReply, f.kind)
	require.Equal(t, vip, f.src)
	_, ok = parseFrame(ipv4Frame(vip, 1, []byte{8, 0, 0, 0, 0, 1, 0, 1}))
	require.False(t, ok)

	// Not IPv4, truncated, other protocols, a length past the frame.
	_, ok = parseFrame([]byte{1, 2, 3})
	require.False(t, ok)
	fr := ipv4Frame(vip, 1, []byte{0, 0, 0, 0, 0, 1, 0, 1})
	fr[12] = 0x86
	_, ok = parseFrame(fr)
	require.False(t, ok)
	_, ok = parseFrame(ipv4Frame(vip, 17, make([]byte, 8)))
	require.False(t, ok)
	fr = ipv4Frame(backupAddr, 112, carp)
	_, ok = parseFrame(fr[:len(fr)-10])
	require.False(t, ok)
}

func TestHold(t *testing.T) {
	t0 := time.Unix(1000, 0)
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	as := []advert{
		{at: at(0), src: masterAddr}, {at: at(100), src: masterAddr},
		{at: at(150), src: backupAddr}, {at: at(160), src: backupAddr}, // one takeover, two adverts
		{at: at(300), src: masterAddr}, // the longest silence: 200 ms
		{at: at(310), src: backupAddr}, // a second takeover
		{at: at(400), src: masterAddr},
		{at: at(450), src: clientAddr}, // someone else: ignored
	}
	h := hold(as)
	require.Equal(t, holdStats{fromM: 4, fromB: 3, takeovers: 2, maxGapM: 200 * time.Millisecond}, h)
	require.Equal(t, holdStats{}, hold(nil))
}

func TestParseGoBench(t *testing.T) {
	out := `goos: linux
goarch: amd64
pkg: github.com/gocarp/gocarp/hmac
cpu: Intel(R) Xeon(R) Processor
BenchmarkSign-2             	 3000000	       401.5 ns/op	       0 B/op	       0 allocs/op
BenchmarkSign-2             	 3000000	       399.0 ns/op	       0 B/op	       0 allocs/op
BenchmarkBareHMACSHA1-2     	 1000000	      1203 ns/op	     512 B/op	       6 allocs/op
BenchmarkParseVerify-2   	 2000000	       605.1 ns/op	  92.56 MB/s	       0 B/op	       0 allocs/op
BenchmarkNoMem           	 1000	       7 ns/op
PASS
ok  	github.com/gocarp/gocarp/hmac	5.1s
`
	got := parseGoBench(strings.NewReader(out))
	require.Len(t, got, 5)
	require.Equal(t, goBench{"BenchmarkSign", 401.5, 0, 0}, got[0])
	require.Equal(t, goBench{"BenchmarkBareHMACSHA1", 1203, 512, 6}, got[2])
	require.Equal(t, goBench{"BenchmarkParseVerify", 605.1, 0, 0}, got[3])
	require.Equal(t, "BenchmarkNoMem", got[4].name)
	require.True(t, math.IsNaN(got[4].allocs))
}

func TestCells(t *testing.T) {
	ms := time.Millisecond
	require.Equal(t, "–", cell(nil))
	require.Equal(t, "3.0", cell([]time.Duration{3 * ms}))
	require.Equal(t, "2.0 [1.0 – 3.0]", cell([]time.Duration{3 * ms, 1 * ms, 2 * ms}))
	var ten []time.Duration
	for i := 1; i <= 10; i++ {
		ten = append(ten, time.Duration(i)*ms)
	}
	require.Equal(t, "5.5 [1.0 – 10.0, p90 9.0]", cell(ten))
	require.Equal(t, "2.0 [1.0 – 3.0] (1 of 4 rounds left out: the backup was already advertising before the kill)",
		cleanCell([]time.Duration{1 * ms, 2 * ms, 3 * ms, 100 * ms}, []bool{false, false, false, true}))
	med, lo, hi := floatSummary([]float64{4, 1, 3, 2})
	require.Equal(t, []float64{2.5, 1, 4}, []float64{med, lo, hi})

	var buf bytes.Buffer
	markdown(&buf, "x", []string{"carpd", "ucarp"}, []row{{"gap", "3390.6", map[string]string{"carpd": "1"}}})
	require.Equal(t, "| x | bound | carpd | ucarp |\n|---|---|---|---|\n| gap | 3390.6 | 1 | – |\n", buf.String())
	buf.Reset()
	markdown(&buf, "x", []string{"carpd"}, []row{{"cpu", "", map[string]string{"carpd": "1"}}})
	require.Equal(t, "| x | carpd |\n|---|---|\n| cpu | 1 |\n", buf.String())
}

func TestStatTicks(t *testing.T) {
	line := "4242 (a (b) c) R 1 2 3 4 5 6 7 8 9 10 150 50 0 0 20 0 1 0 100 1000 10"
	n, err := statTicks(line)
	require.NoError(t, err)
	require.Equal(t, uint64(200), n)
	_, err = statTicks("4242 no comm")
	require.Error(t, err)
}
