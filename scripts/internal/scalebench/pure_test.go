package scalebench

import (
	"bytes"
	"io"
	"math"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name  string
		args  []string
		check func(*testing.T, config)
		bad   string
	}{
		{name: "defaults", check: func(t *testing.T, c config) {
			require.Equal(t, 255, c.n)
			require.Equal(t, 1, c.advbase)
			require.Equal(t, 60*time.Second, c.window)
			require.Equal(t, 10*time.Second, c.warmup)
			require.Equal(t, 1, c.rounds)
			require.Equal(t, []string{"carpd", "ucarp", "keepalived"}, c.impls)
			require.Empty(t, c.carpd)
		}},
		{name: "short run", args: []string{"-n", "20", "-window", "10s", "-warmup", "0s", "-rounds", "3"}, check: func(t *testing.T, c config) {
			require.Equal(t, 20, c.n)
			require.Equal(t, 10*time.Second, c.window)
			require.Zero(t, c.warmup)
			require.Equal(t, 3, c.rounds)
		}},
		{name: "order kept", args: []string{"-impl", "keepalived,carpd"}, check: func(t *testing.T, c config) {
			require.Equal(t, []string{"keepalived", "carpd"}, c.impls)
		}},
		{name: "profile", args: []string{"-profile", "cpu.pprof"}, check: func(t *testing.T, c config) {
			require.Equal(t, "cpu.pprof", c.profile)
		}},
		{name: "n zero", args: []string{"-n", "0"}, bad: "want 1 to 255"},
		{name: "n too big", args: []string{"-n", "256"}, bad: "want 1 to 255"},
		{name: "advbase zero", args: []string{"-advbase", "0"}, bad: "-advbase"},
		{name: "tiny window", args: []string{"-window", "10ms"}, bad: "-window"},
		{name: "zero rounds", args: []string{"-rounds", "0"}, bad: "-rounds"},
		{name: "unknown impl", args: []string{"-impl", "vrrpd"}, bad: "unknown implementation"},
		{name: "impl twice", args: []string{"-impl", "ucarp,ucarp"}, bad: "twice"},
		{name: "profile without carpd", args: []string{"-impl", "ucarp", "-profile", "x"}, bad: "-profile"},
		{name: "stray argument", args: []string{"now"}, bad: "unexpected argument"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := parse(tt.args, io.Discard)
			if tt.bad != "" {
				require.ErrorContains(t, err, tt.bad)
				return
			}
			require.NoError(t, err)
			tt.check(t, c)
		})
	}
}

func TestVIPs(t *testing.T) {
	require.Equal(t, "203.0.113.1/24", vipFor(1).String())
	require.Equal(t, "203.0.113.254/24", vipFor(254).String())
	require.Equal(t, "198.51.100.101/24", vipFor(255).String())
	all := vips(maxGroups)
	require.Len(t, all, maxGroups)
	seen := map[netip.Addr]bool{}
	for _, a := range all {
		require.False(t, seen[a], "%s twice", a)
		seen[a] = true
		require.NotContains(t, []netip.Addr{addrA, addrB, addrObs}, a)
		last := a.As4()[3]
		require.True(t, last != 0 && last != 255, "%s is a network or broadcast address", a)
	}
}

func TestCarpdConfig(t *testing.T) {
	got := carpdConfig(2, 1, 100)
	want := `# scale-bench: 2 groups, advskew 100

[defaults]
password = "secret"
advbase = 1
preempt = true
manage_vips = true

[[group]]
interface = "eth0"
vhid = 1
vips = ["203.0.113.1/24"]
advskew = 100

[[group]]
interface = "eth0"
vhid = 2
vips = ["203.0.113.2/24"]
advskew = 100
`
	require.Equal(t, want, got)
	require.Equal(t, 255, strings.Count(carpdConfig(255, 1, 0), "[[group]]"))
	require.Contains(t, carpdConfig(255, 3, 0), "advbase = 3\n")
	require.Contains(t, carpdConfig(255, 1, 0), "vhid = 255\nvips = [\"198.51.100.101/24\"]\nadvskew = 0\n")
}

func TestKeepalivedConfig(t *testing.T) {
	got := keepalivedConfig("a", 1, 1, 200)
	want := `# scale-bench: 1 groups, priority 200
global_defs {
    router_id scale-a
    vrrp_version 2
}

vrrp_instance g1 {
    state BACKUP
    interface eth0
    virtual_router_id 1
    priority 200
    advert_int 1
    virtual_ipaddress {
        203.0.113.1/24
    }
}
`
	require.Equal(t, want, got)
	conf := keepalivedConfig("b", 255, 2, 100)
	require.Equal(t, 255, strings.Count(conf, "vrrp_instance "))
	require.Equal(t, 255, strings.Count(conf, "    priority 100\n"))
	require.Equal(t, 255, strings.Count(conf, "advert_int 2\n"))
	require.Contains(t, conf, "virtual_router_id 255\n")
	require.Equal(t, strings.Count(conf, "{"), strings.Count(conf, "}"))
}

func TestArgv(t *testing.T) {
	require.Equal(t, []string{"/usr/sbin/ucarp", "-i", "eth0", "-s", "198.51.100.2", "-v", "7", "-p", "secret",
		"-a", "203.0.113.7", "-b", "1", "-k", "100", "-P", "-f", "none", "-u", "/t/up", "-d", "/t/down"},
		ucarpArgv("/usr/sbin/ucarp", addrB, 7, 1, 100, "/t/up", "/t/down"))
	require.Equal(t, []string{"/usr/sbin/keepalived", "-n", "-l", "-f", "/t/k/keepalived.conf",
		"-p", "/t/k/keepalived.pid", "-r", "/t/k/vrrp.pid", "-c", "/t/k/checkers.pid", "-b", "/t/k/bfd.pid"},
		keepalivedArgv("/usr/sbin/keepalived", "/t/k/keepalived.conf", "/t/k/"))
	require.Equal(t, "#!/bin/sh\nexec /sbin/ip addr add \"$2\"/24 dev \"$1\"\n", upScript("/sbin/ip"))
	require.Contains(t, downScript("/sbin/ip"), "/sbin/ip addr del \"$2\"/24 dev \"$1\"")
}

func TestParseStat(t *testing.T) {
	// A real line (keepalived's VRRP child), and a command name with
	// spaces and parentheses.
	real := "4242 (keepalived) S 4241 4241 4241 0 -1 4194624 1200 0 0 0 31 17 2 3 20 0 1 0 987654 15000000 800 18446744073709551615 1 1 0 0 0 0 0 4096 16899 0 0 0 17 1 0 0 0 0 0\n"
	p, err := parseStat(real)
	require.NoError(t, err)
	require.Equal(t, procStat{pid: 4242, comm: "keepalived", start: 987654, ticks: 31 + 17 + 2 + 3}, p)

	odd := "7 (a (b) c) R 1 1 1 0 -1 0 0 0 0 0 5 6 0 0 20 0 1 0 42 0 0"
	p, err = parseStat(odd)
	require.NoError(t, err)
	require.Equal(t, procStat{pid: 7, comm: "a (b) c", start: 42, ticks: 11}, p)

	negative := "8 (x) S 1 1 1 0 -1 0 0 0 0 0 5 6 -1 -1 20 0 1 0 42 0 0"
	p, err = parseStat(negative)
	require.NoError(t, err)
	require.Equal(t, uint64(11), p.ticks)

	for _, bad := range []string{"", "12 keepalived S 1", "x (y) S 1 2 3", "9 (z) S 1 1 1 0 -1 0 0 0 0 0 x 6 0 0 20 0 1 0 42 0 0"} {
		_, err := parseStat(bad)
		require.Error(t, err, "%q", bad)
	}
}

func TestParseKB(t *testing.T) {
	status := "Name:\tcarpd\nVmPeak:\t  1250000 kB\nVmRSS:\t    12345 kB\nRssAnon:\t    8000 kB\nThreads:\t7\n"
	v, err := parseKB(status, "VmRSS")
	require.NoError(t, err)
	require.Equal(t, uint64(12345), v)
	rollup := "00400000-7ffd0000 ---p 00000000 00:00 0                          [rollup]\nRss:               12345 kB\nPss:                6789 kB\nPss_Anon:           5000 kB\n"
	v, err = parseKB(rollup, "Pss")
	require.NoError(t, err)
	require.Equal(t, uint64(6789), v, "Pss, not Pss_Anon")
	_, err = parseKB("Name:\tzombie\nState:\tZ (zombie)\n", "VmRSS")
	require.Error(t, err)
	_, err = parseKB("VmRSS:\t12 MB\n", "VmRSS")
	require.Error(t, err)
}

func TestCPU(t *testing.T) {
	before := []procStat{{pid: 10, start: 100, ticks: 50}, {pid: 11, start: 100, ticks: 7}, {pid: 12, start: 100, ticks: 9}}
	after := []procStat{
		{pid: 10, start: 100, ticks: 80}, // +30
		// 11 ended: lost
		{pid: 12, start: 500, ticks: 4}, // pid reused: all 4 are new
		{pid: 13, start: 600, ticks: 2}, // started in the window
	}
	require.Equal(t, uint64(36), cpuTicks(before, after))
	require.Equal(t, uint64(0), cpuTicks(before, before))
	require.Equal(t, uint64(0), cpuTicks([]procStat{{pid: 1, start: 1, ticks: 9}}, []procStat{{pid: 1, start: 1, ticks: 8}}), "no wrap-around")

	require.InDelta(t, 1.0, cpuPercent(60, 100, time.Minute), 1e-9)      // 0.6 s in 60 s
	require.InDelta(t, 150.0, cpuPercent(300, 100, 2*time.Second), 1e-9) // more than one core
	require.InDelta(t, 0.5, cpuPercent(3, 100, 6*time.Second), 1e-9)
	require.InDelta(t, 1.0, cpuPercent(600, 1000, time.Minute), 1e-9) // another USER_HZ
	require.Zero(t, cpuPercent(10, 100, 0))
	require.Zero(t, cpuPercent(10, 0, time.Second))
}

func TestParseAddrs(t *testing.T) {
	out := `2: eth0    inet 198.51.100.1/24 scope global eth0\       valid_lft forever preferred_lft forever
2: eth0    inet 203.0.113.1/24 scope global eth0\       valid_lft forever preferred_lft forever
2: eth0    inet 203.0.113.2/24 scope global secondary eth0\       valid_lft forever preferred_lft forever
2: eth0    inet 198.51.100.101/24 scope global secondary eth0\       valid_lft forever preferred_lft forever
`
	got := parseAddrs(out)
	require.Equal(t, []netip.Addr{addrA, vipFor(1).Addr(), vipFor(2).Addr(), vipFor(255).Addr()}, got)
	require.Equal(t, 2, countIn(got, vips(3)))
	require.Equal(t, 3, countIn(got, vips(255)))
	require.Equal(t, 1, countIn([]netip.Addr{vipFor(1).Addr(), vipFor(1).Addr()}, vips(1)), "counted once")
	require.Empty(t, parseAddrs(""))
}

func TestAdvertSource(t *testing.T) {
	frame := make([]byte, 14+20+36)
	frame[12], frame[13] = 0x08, 0x00
	ip := frame[14:]
	ip[0], ip[9] = 0x45, 112
	copy(ip[12:16], []byte{198, 51, 100, 2})
	copy(ip[16:20], []byte{224, 0, 0, 18})
	ip[20], ip[21] = 0x21, 77 // version 2 advert, vhid 77
	src, vhid, ok := advertSource(frame)
	require.True(t, ok)
	require.Equal(t, addrB, src)
	require.Equal(t, uint8(77), vhid)

	other := bytes.Clone(frame)
	other[14+9] = 17 // UDP
	_, _, ok = advertSource(other)
	require.False(t, ok)
	arp := bytes.Clone(frame)
	arp[13] = 0x06
	_, _, ok = advertSource(arp)
	require.False(t, ok)
	_, _, ok = advertSource(frame[:30])
	require.False(t, ok)
}

func TestSummaryAndCell(t *testing.T) {
	med, lo, hi := summary([]float64{3, 1, 2, 10})
	require.Equal(t, []float64{2.5, 1, 10}, []float64{med, lo, hi})
	med, _, _ = summary(nil)
	require.True(t, math.IsNaN(med))
	require.Equal(t, "1.50", cell([]float64{1.5}, 2))
	require.Equal(t, "2.0 [1.0 – 3.0]", cell([]float64{3, 1, 2}, 1))
	require.Equal(t, "4", cell([]float64{4, 4}, 0))
}

func TestTable(t *testing.T) {
	results := []result{
		{impl: "carpd", procs: 2, cpu: 0.5, rss: 20, pss: 18, advA: 255, converged: 4 * time.Second, stable: true},
		{impl: "keepalived", procs: 4, cpu: 1, rss: 40, pss: 20, advA: 255, converged: 4 * time.Second, stable: true},
		{impl: "keepalived", procs: 4, cpu: 2, rss: 40, pss: 20, advA: 255, converged: 5 * time.Second, stable: false},
	}
	var b strings.Builder
	table(&b, []string{"carpd", "ucarp", "keepalived"}, map[string]string{"carpd": "carpd v1"}, results)
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	require.Len(t, lines, 6, b.String())
	require.True(t, strings.HasPrefix(lines[0], "| implementation |"))
	require.Equal(t, strings.Count(lines[0], "|"), strings.Count(lines[1], "|"))
	require.Equal(t, "| carpd v1 | 2 | 0.50 | 20.0 | 18.0 | 255.0 / 0.0 | 4.0 | yes |", lines[2])
	require.Equal(t, "| keepalived | 4 | 1.50 [1.00 – 2.00] | 40.0 | 20.0 | 255.0 / 0.0 | 4.5 [4.0 – 5.0] | **no** (1 of 2 rounds) |", lines[3])
	require.Equal(t, "carpd / keepalived (medians): CPU 0.33×, RSS 0.50×, PSS 0.90×", lines[5])
}
