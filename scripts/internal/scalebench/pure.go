package scalebench

// The pure parts of scale-bench: configuration files and command lines,
// /proc and ip(8) parsing, the arithmetic and the table. They build on every
// system, so that their tests run anywhere without root.

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The implementations, in their default order.
var allImpls = []string{"carpd", "ucarp", "keepalived"}

// Addresses: the preferred host a, the other host b, an observer that counts
// the adverts; all on 198.51.100.0/24 (RFC 5737).
var (
	addrA   = netip.MustParseAddr("198.51.100.1")
	addrB   = netip.MustParseAddr("198.51.100.2")
	addrObs = netip.MustParseAddr("198.51.100.50")
)

const (
	password  = "secret"
	iface     = "eth0"
	skewOther = 100 // advskew of host b; host a has 0
	prioPref  = 200 // keepalived priority of host a ("priority for skew")
	prioOther = 100 // and of host b
	maxGroups = 255 // vhid is 1..255
)

// config is the command line of one run.
type config struct {
	n          int
	advbase    int
	window     time.Duration
	warmup     time.Duration
	converge   time.Duration // bound on the wait for convergence
	rounds     int
	impls      []string
	carpd      string
	ucarp      string
	keepalived string
	profile    string
}

const usage = "usage: scale-bench [-n 255] [-advbase 1] [-warmup 10s] [-window 60s] [-converge-timeout 2m] [-rounds 1]\n" +
	"                   [-impl carpd,ucarp,keepalived] [-carpd PATH] [-ucarp PATH] [-keepalived PATH] [-profile FILE]"

func parse(args []string, stderr io.Writer) (config, error) {
	var c config
	var impls string
	fs := flag.NewFlagSet("scale-bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprintln(stderr, usage); fs.PrintDefaults() }
	fs.IntVar(&c.n, "n", 255, "groups (vhids 1..n), 1 to 255")
	fs.IntVar(&c.advbase, "advbase", 1, "advertisement interval in seconds (carpd advbase, ucarp -b, keepalived advert_int)")
	fs.DurationVar(&c.warmup, "warmup", 10*time.Second, "wait after convergence before the window")
	fs.DurationVar(&c.window, "window", 60*time.Second, "measurement window")
	fs.DurationVar(&c.converge, "converge-timeout", 2*time.Minute, "give up if the VIPs have not all settled on the preferred host by then")
	fs.IntVar(&c.rounds, "rounds", 1, "rounds; each measures every implementation once, in -impl order")
	fs.StringVar(&impls, "impl", strings.Join(allImpls, ","), "implementations to measure, in this order")
	fs.StringVar(&c.carpd, "carpd", "", "carpd binary with -c (default: go build ./cmd/carpd)")
	fs.StringVar(&c.ucarp, "ucarp", "/usr/sbin/ucarp", "ucarp binary")
	fs.StringVar(&c.keepalived, "keepalived", "/usr/sbin/keepalived", "keepalived binary")
	fs.StringVar(&c.profile, "profile", "", "write a CPU profile of carpd during the window of its first round to this file")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	switch {
	case fs.NArg() > 0:
		return c, fmt.Errorf("unexpected argument %q\n%s", fs.Arg(0), usage)
	case c.n < 1 || c.n > maxGroups:
		return c, fmt.Errorf("-n %d: want 1 to %d groups", c.n, maxGroups)
	case c.advbase < 1 || c.advbase > 255:
		return c, fmt.Errorf("-advbase %d: want 1 to 255 seconds", c.advbase)
	case c.window < time.Second:
		return c, fmt.Errorf("-window %v: want at least 1s", c.window)
	case c.warmup < 0 || c.converge <= 0:
		return c, errors.New("-warmup and -converge-timeout must not be negative")
	case c.rounds < 1:
		return c, fmt.Errorf("-rounds %d: want at least 1", c.rounds)
	}
	for i := range strings.SplitSeq(impls, ",") {
		if !slices.Contains(allImpls, i) {
			return c, fmt.Errorf("-impl: unknown implementation %q (want %s)", i, strings.Join(allImpls, ", "))
		}
		if slices.Contains(c.impls, i) {
			return c, fmt.Errorf("-impl: %s twice", i)
		}
		c.impls = append(c.impls, i)
	}
	if c.profile != "" && !slices.Contains(c.impls, "carpd") {
		return c, errors.New("-profile profiles carpd, which -impl leaves out")
	}
	return c, nil
}

// vipFor is the VIP of group vhid (1..255): 203.0.113.1-254 for the first
// 254 groups, then 198.51.100.101 and up (clear of the hosts' addresses).
func vipFor(vhid int) netip.Prefix {
	if vhid <= 254 {
		return netip.PrefixFrom(netip.AddrFrom4([4]byte{203, 0, 113, byte(vhid)}), 24)
	}
	return netip.PrefixFrom(netip.AddrFrom4([4]byte{198, 51, 100, byte(100 + vhid - 254)}), 24)
}

// vips are the VIPs of groups 1..n.
func vips(n int) []netip.Addr {
	out := make([]netip.Addr, 0, n)
	for v := 1; v <= n; v++ {
		out = append(out, vipFor(v).Addr())
	}
	return out
}

// carpdConfig is the carpd -c file of one host: n groups on eth0.
func carpdConfig(n, advbase, skew int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# scale-bench: %d groups, advskew %d\n\n", n, skew)
	fmt.Fprintf(&b, "[defaults]\npassword = %q\nadvbase = %d\npreempt = true\nmanage_vips = true\n", password, advbase)
	for v := 1; v <= n; v++ {
		fmt.Fprintf(&b, "\n[[group]]\ninterface = %q\nvhid = %d\nvips = [%q]\nadvskew = %d\n", iface, v, vipFor(v).String(), skew)
	}
	return b.String()
}

// keepalivedConfig is the keepalived.conf of one host: n vrrp_instance
// blocks, state BACKUP on both hosts, the priority standing for the skew.
func keepalivedConfig(host string, n, advbase, priority int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# scale-bench: %d groups, priority %d\nglobal_defs {\n    router_id scale-%s\n    vrrp_version 2\n}\n", n, priority, host)
	for v := 1; v <= n; v++ {
		fmt.Fprintf(&b, "\nvrrp_instance g%d {\n    state BACKUP\n    interface %s\n    virtual_router_id %d\n    priority %d\n    advert_int %d\n    virtual_ipaddress {\n        %s\n    }\n}\n",
			v, iface, v, priority, advbase, vipFor(v))
	}
	return b.String()
}

// ucarpArgv is the command line of the ucarp process of group vhid, as
// ucarp is run: one process per group.
func ucarpArgv(bin string, src netip.Addr, vhid, advbase, skew int, up, down string) []string {
	return []string{bin, "-i", iface, "-s", src.String(), "-v", strconv.Itoa(vhid), "-p", password,
		"-a", vipFor(vhid).Addr().String(), "-b", strconv.Itoa(advbase), "-k", strconv.Itoa(skew),
		"-P", "-f", "none", "-u", up, "-d", down}
}

// keepalivedArgv runs keepalived in the foreground, logging to the console,
// with pid files of its own (one set per host).
func keepalivedArgv(bin, conf, pidDir string) []string {
	p := func(name string) string { return strings.TrimSuffix(pidDir, "/") + "/" + name + ".pid" }
	return []string{bin, "-n", "-l", "-f", conf, "-p", p("keepalived"), "-r", p("vrrp"), "-c", p("checkers"), "-b", p("bfd")}
}

// upScript and downScript add and remove the VIP for ucarp, which runs them
// as: script <interface> <vip>.
func upScript(ip string) string {
	return fmt.Sprintf("#!/bin/sh\nexec %s addr add \"$2\"/24 dev \"$1\"\n", ip)
}

func downScript(ip string) string {
	return fmt.Sprintf("#!/bin/sh\n%s addr del \"$2\"/24 dev \"$1\" 2>/dev/null\nexit 0\n", ip)
}

// procStat is what /proc/PID/stat says of one process.
type procStat struct {
	pid   int
	comm  string
	start uint64 // starttime, clock ticks since boot: tells a reused pid
	ticks uint64 // utime + stime + cutime + cstime
}

// parseStat parses /proc/PID/stat. The command name is in parentheses and
// may itself contain spaces and parentheses: the fields start after the
// last ')'. The CPU times include the children the process has reaped (hook
// scripts), which are gone before anyone could sample them.
func parseStat(s string) (procStat, error) {
	open, closing := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
	if open < 0 || closing < open {
		return procStat{}, fmt.Errorf("stat: no (comm): %q", s)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(s[:open]))
	if err != nil {
		return procStat{}, fmt.Errorf("stat: pid: %w", err)
	}
	// f[0] is field 3 (state): field k is f[k-3].
	f := strings.Fields(s[closing+1:])
	if len(f) < 20 {
		return procStat{}, fmt.Errorf("stat: %d fields after comm, want at least 20", len(f))
	}
	num := func(field int) (uint64, error) {
		v, err := strconv.ParseUint(f[field-3], 10, 64)
		if err != nil {
			// cutime and cstime are signed in the kernel's format.
			if i, ierr := strconv.ParseInt(f[field-3], 10, 64); ierr == nil && i < 0 {
				return 0, nil
			}
			return 0, fmt.Errorf("stat: field %d: %w", field, err)
		}
		return v, nil
	}
	p := procStat{pid: pid, comm: s[open+1 : closing]}
	for _, field := range []int{14, 15, 16, 17} { // utime stime cutime cstime
		v, err := num(field)
		if err != nil {
			return procStat{}, err
		}
		p.ticks += v
	}
	if p.start, err = num(22); err != nil {
		return procStat{}, err
	}
	return p, nil
}

// parseKB returns the value in kB of the line "key:   1234 kB" of a
// /proc/PID/status or smaps_rollup file.
func parseKB(s, key string) (uint64, error) {
	for line := range strings.Lines(s) {
		k, v, ok := strings.Cut(line, ":")
		if !ok || k != key {
			continue
		}
		f := strings.Fields(v)
		if len(f) != 2 || f[1] != "kB" {
			return 0, fmt.Errorf("%s: %q", key, strings.TrimSpace(line))
		}
		return strconv.ParseUint(f[0], 10, 64)
	}
	return 0, fmt.Errorf("no %s line", key)
}

// cpuTicks is the CPU time spent between two samples of the same processes:
// the growth of each process seen in both, plus the whole time of the ones
// started in between. Processes that ended in between are lost, unless their
// parent, also sampled, reaped them.
func cpuTicks(before, after []procStat) uint64 {
	then := make(map[int]procStat, len(before))
	for _, p := range before {
		then[p.pid] = p
	}
	var sum uint64
	for _, p := range after {
		if q, ok := then[p.pid]; ok && q.start == p.start {
			if p.ticks >= q.ticks {
				sum += p.ticks - q.ticks
			}
			continue
		}
		sum += p.ticks
	}
	return sum
}

// cpuPercent converts clock ticks (at hz per second) used over elapsed to a
// percentage of one core.
func cpuPercent(ticks uint64, hz int, elapsed time.Duration) float64 {
	if hz <= 0 || elapsed <= 0 {
		return 0
	}
	return float64(ticks) / float64(hz) / elapsed.Seconds() * 100
}

// parseAddrs returns the IPv4 addresses in the output of ip -o -4 addr show.
func parseAddrs(out string) []netip.Addr {
	var addrs []netip.Addr
	for line := range strings.Lines(out) {
		f := strings.Fields(line)
		for i := 0; i+1 < len(f); i++ {
			if f[i] != "inet" {
				continue
			}
			if p, err := netip.ParsePrefix(f[i+1]); err == nil {
				addrs = append(addrs, p.Addr())
			}
		}
	}
	return addrs
}

// countIn counts the addresses of have that are in want.
func countIn(have, want []netip.Addr) int {
	set := make(map[netip.Addr]bool, len(want))
	for _, a := range want {
		set[a] = true
	}
	n := 0
	for _, a := range have {
		if set[a] {
			n++
			delete(set, a)
		}
	}
	return n
}

// advertSource returns the IPv4 source and the vhid (the VRID for VRRP: the
// same byte) of a CARP or VRRP advertisement (IP protocol 112) in an
// Ethernet frame.
func advertSource(frame []byte) (netip.Addr, uint8, bool) {
	const ethLen = 14
	if len(frame) < ethLen+20 || frame[12] != 0x08 || frame[13] != 0x00 {
		return netip.Addr{}, 0, false
	}
	ip := frame[ethLen:]
	ihl := int(ip[0]&0x0f) * 4
	if ip[0]>>4 != 4 || ihl < 20 || ip[9] != 112 || len(ip) < ihl+2 {
		return netip.Addr{}, 0, false
	}
	return netip.AddrFrom4([4]byte(ip[12:16])), ip[ihl+1], true
}

// result is what one round of one implementation measured.
type result struct {
	impl      string
	procs     int           // processes on both hosts during the window
	cpu       float64       // % of one core, both hosts
	rss, pss  float64       // MiB, both hosts, at the end of the window
	advA      float64       // adverts per second from host a in the window
	advB      float64       // and from host b
	converged time.Duration // start → all VIPs on a, none on b
	stable    bool          // still so at the end of the window
}

// summary is the median, minimum and maximum of xs.
func summary(xs []float64) (med, lo, hi float64) {
	if len(xs) == 0 {
		return math.NaN(), math.NaN(), math.NaN()
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	med = s[n/2]
	if n%2 == 0 {
		med = (s[n/2-1] + s[n/2]) / 2
	}
	return med, s[0], s[n-1]
}

// cell formats the summary of xs with prec decimals: the value alone for one
// round, "median [min – max]" for several.
func cell(xs []float64, prec int) string {
	med, lo, hi := summary(xs)
	if len(xs) <= 1 || lo == hi {
		return strconv.FormatFloat(med, 'f', prec, 64)
	}
	return fmt.Sprintf("%s [%s – %s]", strconv.FormatFloat(med, 'f', prec, 64),
		strconv.FormatFloat(lo, 'f', prec, 64), strconv.FormatFloat(hi, 'f', prec, 64))
}

// table writes the Markdown table of the results, one row per
// implementation, and the carpd-to-keepalived ratios when both ran.
func table(w io.Writer, impls []string, labels map[string]string, results []result) {
	fmt.Fprintln(w, "| implementation | processes | CPU, % of one core | RSS, MiB | PSS, MiB | adverts/s from a / b | converged after, s | stable |")
	fmt.Fprintln(w, "|---|---:|---:|---:|---:|---:|---:|---|")
	med := map[string][3]float64{}
	for _, impl := range impls {
		var procs, cpu, rss, pss, advA, advB, conv []float64
		stable, n := 0, 0
		for _, r := range results {
			if r.impl != impl {
				continue
			}
			n++
			procs = append(procs, float64(r.procs))
			cpu = append(cpu, r.cpu)
			rss = append(rss, r.rss)
			pss = append(pss, r.pss)
			advA = append(advA, r.advA)
			advB = append(advB, r.advB)
			conv = append(conv, r.converged.Seconds())
			if r.stable {
				stable++
			}
		}
		if n == 0 {
			continue
		}
		st := "yes"
		if stable < n {
			st = fmt.Sprintf("**no** (%d of %d rounds)", n-stable, n)
		}
		label := labels[impl]
		if label == "" {
			label = impl
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s / %s | %s | %s |\n", label, cell(procs, 0), cell(cpu, 2),
			cell(rss, 1), cell(pss, 1), cell(advA, 1), cell(advB, 1), cell(conv, 1), st)
		c, _, _ := summary(cpu)
		r, _, _ := summary(rss)
		p, _, _ := summary(pss)
		med[impl] = [3]float64{c, r, p}
	}
	c, okC := med["carpd"]
	k, okK := med["keepalived"]
	if okC && okK {
		fmt.Fprintf(w, "\ncarpd / keepalived (medians): CPU %s, RSS %s, PSS %s\n", ratio(c[0], k[0]), ratio(c[1], k[1]), ratio(c[2], k[2]))
	}
}

func ratio(a, b float64) string {
	if b == 0 {
		return "n/a"
	}
	return fmt.Sprintf("%.2f×", a/b)
}
