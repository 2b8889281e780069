package main

// The pure parts of bench: the command line, the nodes' command lines and
// configuration files, the frames the observer decodes, the output of go
// test -bench, the protocols' bounds, the arithmetic and the tables. They
// build on every system, so that their tests run anywhere without root.

import (
	"bufio"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gocarp/gocarp/scripts/internal/benchstat"
)

// The implementations, in their default (interleaving) order.
var allImpls = []string{"carpd", "ucarp", "keepalived"}

// The figures, in the order they run.
var allFigures = []string{"failover", "handover", "subsecond", "hold", "health", "scale", "codec"}

// Addresses, all in 198.51.100.0/24 (RFC 5737): the master m, the backup
// b, the client c (which also observes the wire) and the VIP.
var (
	masterAddr = netip.MustParseAddr("198.51.100.1")
	backupAddr = netip.MustParseAddr("198.51.100.2")
	clientAddr = netip.MustParseAddr("198.51.100.50")
	vip        = netip.MustParseAddr("198.51.100.100")
	masterMAC  = net.HardwareAddr{0x02, 0, 0, 0, 0, 0x01}
	backupMAC  = net.HardwareAddr{0x02, 0, 0, 0, 0, 0x02}
	clientMAC  = net.HardwareAddr{0x02, 0, 0, 0, 0, 0x50}
)

const (
	vhid     = 42
	password = "benchpass"
	iface    = "eth0"
	// keepalived's priorities: the master 200; the backup 156, so that its
	// skew time (256 − priority)/256 × interval is CARP's advskew-100 skew
	// (100/256 s) at an interval of 1 s.
	prioMaster = 200
	prioBackup = 156
	// The health check's demotion in keepalived (weight): 200 − 100 = 100
	// puts the master below the backup's 156.
	checkWeight = 100
)

// config is the command line.
type config struct {
	rounds      int
	hold        time.Duration
	hog         int
	ping        time.Duration
	impls       []string
	figures     []string
	carpd       string
	ucarp       string
	keepalived  string
	scaleN      int
	scaleWindow time.Duration
	scaleRounds int
	codecCount  int
	keepLogs    bool
}

const usage = `usage: bench [-rounds 10] [-hold 10m] [-only failover,handover,subsecond,hold,health,scale,codec]
             [-impl carpd,ucarp,keepalived] [-carpd PATH] [-ucarp PATH] [-keepalived PATH]
             [-ping 1ms] [-hog 2] [-scale-n 255] [-scale-window 60s] [-scale-rounds 1] [-codec-count 5]`

func parse(args []string, stderr io.Writer) (config, error) {
	var c config
	var impls, figures string
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprintln(stderr, usage); fs.PrintDefaults() }
	fs.IntVar(&c.rounds, "rounds", 10, "rounds per implementation and figure (failover, handover, subsecond, health), interleaved")
	fs.DurationVar(&c.hold, "hold", 10*time.Minute, "subsecond hold: how long each pair runs beside the CPU hog")
	fs.IntVar(&c.hog, "hog", 2, "subsecond hold: busy-looping threads of the CPU hog (0: no hog)")
	fs.DurationVar(&c.ping, "ping", time.Millisecond, "the client's echo request interval")
	fs.StringVar(&impls, "impl", strings.Join(allImpls, ","), "implementations, interleaved in this order")
	fs.StringVar(&figures, "only", strings.Join(allFigures, ","), "figures to measure")
	fs.StringVar(&c.carpd, "carpd", "", "carpd binary (default: CGO_ENABLED=0 go build ./cmd/carpd)")
	fs.StringVar(&c.ucarp, "ucarp", "/usr/sbin/ucarp", "ucarp binary")
	fs.StringVar(&c.keepalived, "keepalived", "/usr/sbin/keepalived", "keepalived binary")
	fs.IntVar(&c.scaleN, "scale-n", 255, "scale: groups")
	fs.DurationVar(&c.scaleWindow, "scale-window", 60*time.Second, "scale: measurement window")
	fs.IntVar(&c.scaleRounds, "scale-rounds", 1, "scale: rounds")
	fs.IntVar(&c.codecCount, "codec-count", 5, "codec: go test -count")
	fs.BoolVar(&c.keepLogs, "keep-logs", false, "keep the daemons' logs (the directory is printed) even on success")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	switch {
	case fs.NArg() > 0:
		return c, fmt.Errorf("unexpected argument %q\n%s", fs.Arg(0), usage)
	case c.rounds < 1:
		return c, fmt.Errorf("-rounds %d: want at least 1", c.rounds)
	case c.hold < time.Second:
		return c, fmt.Errorf("-hold %v: want at least 1s", c.hold)
	case c.hog < 0:
		return c, fmt.Errorf("-hog %d: want 0 or more", c.hog)
	case c.ping <= 0:
		return c, errors.New("-ping must be positive")
	case c.scaleN < 1 || c.scaleN > 255:
		return c, fmt.Errorf("-scale-n %d: want 1 to 255", c.scaleN)
	case c.codecCount < 1:
		return c, fmt.Errorf("-codec-count %d: want at least 1", c.codecCount)
	}
	var err error
	if c.impls, err = list("-impl", impls, allImpls); err != nil {
		return c, err
	}
	if c.figures, err = list("-only", figures, allFigures); err != nil {
		return c, err
	}
	return c, nil
}

// list splits a comma-separated flag value, each item one of known, once.
func list(name, v string, known []string) ([]string, error) {
	var out []string
	for s := range strings.SplitSeq(v, ",") {
		s = strings.TrimSpace(s)
		if !slices.Contains(known, s) {
			return nil, fmt.Errorf("%s: unknown %q (want %s)", name, s, strings.Join(known, ", "))
		}
		if slices.Contains(out, s) {
			return nil, fmt.Errorf("%s: %s twice", name, s)
		}
		out = append(out, s)
	}
	return out, nil
}

func (c config) has(figure string) bool { return slices.Contains(c.figures, figure) }

// timing is the protocol setting of a figure: CARP's advbase and the two
// advskews, and what keepalived is given for it.
type timing struct {
	name         string
	advbase      int // 0: sub-second mode
	skewM, skewB int
	// keepalived: the VRRP version and advert_int in centiseconds, the
	// nearest it can express to the CARP master's interval.
	vrrpVersion int
	advertCS    int
}

var (
	timingSecond = timing{name: "advbase 1, advskew 0/100", advbase: 1, skewM: 0, skewB: 100, vrrpVersion: 2, advertCS: 100}
	timingSub26  = subsecond(26, 52)
	timingSub3   = subsecond(3, 6)
)

// subsecond is sub-second mode at master skew m, backup skew b; keepalived
// gets VRRPv3 at the nearest centisecond to the master's m/256 s.
func subsecond(m, b int) timing {
	cs := max(1, int(math.Round(float64(m)*100/256)))
	return timing{name: fmt.Sprintf("advbase 0, advskew %d/%d", m, b), advbase: 0, skewM: m, skewB: b, vrrpVersion: 3, advertCS: cs}
}

// carpInterval is CARP's advert interval for advbase and advskew.
func carpInterval(advbase, skew int) time.Duration {
	return time.Duration(advbase)*time.Second + time.Duration(skew)*time.Second/256
}

// interval is the master's advert interval of impl under t.
func (t timing) interval(impl string) time.Duration {
	if impl == "keepalived" {
		return time.Duration(t.advertCS) * 10 * time.Millisecond
	}
	return carpInterval(t.advbase, t.skewM)
}

// bound is the protocol's master-down interval of the backup: how long
// after the master's last advert it takes over. CARP: deadratio (3) ×
// advbase + the backup's advskew/256 s; in sub-second mode 3 × the
// backup's interval, advskew/256 s. VRRP: 3 × the master's interval + the
// skew time, (256 − priority)/256 s in VRRPv2, × the interval in VRRPv3.
func (t timing) bound(impl string) time.Duration {
	if impl != "keepalived" {
		if t.advbase == 0 {
			return 3 * carpInterval(0, t.skewB)
		}
		return 3*time.Duration(t.advbase)*time.Second + carpInterval(0, t.skewB)
	}
	adv := t.interval(impl)
	skew := time.Duration(256-prioBackup) * time.Second / 256
	if t.vrrpVersion == 3 {
		skew = time.Duration(256-prioBackup) * adv / 256
	}
	return 3*adv + skew
}

// boundCell states t's bound for the implementations (one value when they
// agree).
func boundCell(t timing, impls []string) string {
	var parts []string
	seen := map[string]bool{}
	for _, impl := range impls {
		v := ms(t.bound(impl))
		if !seen[v] {
			seen[v] = true
			parts = append(parts, v)
		}
	}
	if len(parts) == 1 {
		return parts[0]
	}
	var out []string
	for _, impl := range impls {
		out = append(out, impl+" "+ms(t.bound(impl)))
	}
	return strings.Join(out, "; ")
}

// nodeArgs is the ucarp command line of a node, the same for carpd and
// ucarp: t's timing, up/down scripts that move the VIP, -z (the down
// script at exit), -P (preempt) when preempt.
func nodeArgs(bin string, src netip.Addr, advbase, skew int, preempt bool, up, down string) []string {
	args := []string{bin, "-i", iface, "-s", src.String(), "-v", strconv.Itoa(vhid), "-p", password,
		"-a", vip.String(), "-b", strconv.Itoa(advbase), "-k", strconv.Itoa(skew), "-z"}
	if preempt {
		args = append(args, "-P")
	}
	return append(args, "-u", up, "-d", down, "-f", "none")
}

// keepalivedNode is one keepalived host of a figure.
type keepalivedNode struct {
	host     string // m or b
	master   bool   // state MASTER and priority 200, else BACKUP and 156
	t        timing
	preempt  bool
	checkCmd string // the vrrp_script's command; "" for none
	checkMS  int    // its interval, ms (rounded up to whole seconds)
	fall     int
}

// keepalivedCheckSeconds is the vrrp_script interval keepalived gets for
// ms: whole seconds, at least 1. keepalived 2.2.7 reads interval and
// timeout as integers ("invalid number '0.2'", then "setting to 1").
func keepalivedCheckSeconds(ms int) int { return max(1, (ms+999)/1000) }

// keepalivedVersion is the version word of keepalived --version's first
// line ("Keepalived v2.2.7 (01/16,2022)" → "v2.2.7").
func keepalivedVersion(line string) string {
	for f := range strings.FieldsSeq(line) {
		if len(f) > 1 && f[0] == 'v' && f[1] >= '0' && f[1] <= '9' {
			return f
		}
	}
	return "(version ?)"
}

// advertInt formats centiseconds as keepalived's advert_int (seconds).
func advertInt(cs int) string {
	if cs%100 == 0 {
		return strconv.Itoa(cs / 100)
	}
	return strconv.FormatFloat(float64(cs)/100, 'f', 2, 64)
}

// keepalivedConfig is the keepalived.conf of one node: one vrrp_instance
// (VRID 42, the VIP as a /32, as the scripts of carpd and ucarp add it).
func keepalivedConfig(n keepalivedNode) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# bench: %s, %s\nglobal_defs {\n    router_id bench-%s\n    vrrp_version %d\n", n.host, n.t.name, n.host, n.t.vrrpVersion)
	if n.checkCmd != "" {
		b.WriteString("    script_user root\n    enable_script_security\n")
	}
	b.WriteString("}\n")
	if n.checkCmd != "" {
		sec := keepalivedCheckSeconds(n.checkMS)
		fmt.Fprintf(&b, "\nvrrp_script flag {\n    script \"%s\"\n    interval %d\n    timeout %d\n    fall %d\n    rise 1\n    weight -%d\n}\n",
			n.checkCmd, sec, sec, n.fall, checkWeight)
	}
	state, prio := "BACKUP", prioBackup
	if n.master {
		state, prio = "MASTER", prioMaster
	}
	fmt.Fprintf(&b, "\nvrrp_instance bench {\n    state %s\n    interface %s\n    virtual_router_id %d\n    priority %d\n    advert_int %s\n",
		state, iface, vhid, prio, advertInt(n.t.advertCS))
	if !n.preempt {
		b.WriteString("    nopreempt\n")
	}
	fmt.Fprintf(&b, "    virtual_ipaddress {\n        %s/32\n    }\n", vip)
	if n.checkCmd != "" {
		b.WriteString("    track_script {\n        flag\n    }\n")
	}
	b.WriteString("}\n")
	return b.String()
}

// keepalivedArgv runs keepalived in the foreground, logging to the
// console, VRRP only, with pid files of its own.
func keepalivedArgv(bin, conf, dir string) []string {
	p := func(name string) string { return strings.TrimSuffix(dir, "/") + "/" + name + ".pid" }
	return []string{bin, "-n", "-l", "-P", "-f", conf, "-p", p("keepalived"), "-r", p("vrrp"), "-c", p("checkers"), "-b", p("bfd")}
}

// carpdCheckConfig is the carpd -c file of a node of the health figure:
// one group (the ucarp flags of the other figures, preempt), and on the
// master a [[check]] that fails while the flag file exists.
func carpdCheckConfig(master bool, up, down, control, checkCmd string, checkMS, fall int) string {
	var b strings.Builder
	src, skew := backupAddr, timingSecond.skewB
	if master {
		src, skew = masterAddr, timingSecond.skewM
	}
	fmt.Fprintf(&b, "# bench: health figure, %s\n\n[control]\nsocket = %q\n\n", map[bool]string{true: "master", false: "backup"}[master], control)
	fmt.Fprintf(&b, "[[group]]\ninterface = %q\nvhid = %d\nvips = [%q]\npassword = %q\nsource = %q\nadvbase = 1\nadvskew = %d\npreempt = true\nmanage_vips = false\nup_script = %q\ndown_script = %q\n",
		iface, vhid, vip.String(), password, src.String(), skew, up, down)
	if master {
		fmt.Fprintf(&b, "checks = [\"flag\"]\n\n[[check]]\nname = \"flag\"\ncommand = [%s]\ninterval = \"%dms\"\ntimeout = \"%dms\"\nrise = 1\nfall = %d\n",
			quoteList(strings.Fields(checkCmd)), checkMS, checkMS, fall)
	}
	return b.String()
}

func quoteList(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = strconv.Quote(s)
	}
	return strings.Join(q, ", ")
}

// upScript and downScript move the VIP for carpd and ucarp, which run them
// as: script <interface> <vip> [xparam].
func upScript(ip string) string {
	return fmt.Sprintf("#!/bin/sh\nexec %s addr add \"$2\"/32 dev \"$1\"\n", ip)
}

func downScript(ip string) string {
	return fmt.Sprintf("#!/bin/sh\n%s addr del \"$2\"/32 dev \"$1\" 2>/dev/null\nexit 0\n", ip)
}

// frame is what the observer makes of one Ethernet frame.
type frame struct {
	kind   int // kindAdvert, kindEchoReply
	src    netip.Addr
	srcMAC net.HardwareAddr
	// adverts (IP protocol 112): the VHID (VRID), and the CARP fields
	// advskew and advbase or the VRRP priority
	carp    bool
	vhid    uint8
	advskew uint8  // CARP
	advbase uint8  // CARP
	counter uint64 // CARP
	prio    uint8  // VRRP
}

const (
	kindNone = iota
	kindAdvert
	kindEchoReply
)

// leaving reports whether the advert is a master's farewell: CARP's
// bow-out (advbase and advskew 255) or VRRP's priority 0.
func (f frame) leaving() bool {
	if f.carp {
		return f.advbase == 255 && f.advskew == 255
	}
	return f.prio == 0
}

// parseFrame decodes an IPv4 Ethernet frame: a CARP or VRRP advert, or an
// ICMP echo reply. CARP and VRRP share IP protocol 112 and version 2; a
// CARP advert is 36 bytes, a VRRPv2 one with one address 20 and VRRPv3 12.
func parseFrame(b []byte) (frame, bool) {
	const ethLen = 14
	if len(b) < ethLen+20 || b[12] != 0x08 || b[13] != 0x00 {
		return frame{}, false
	}
	ip := b[ethLen:]
	ihl := int(ip[0]&0x0f) * 4
	total := int(ip[2])<<8 | int(ip[3])
	if ip[0]>>4 != 4 || ihl < 20 || total > len(ip) || total < ihl {
		return frame{}, false
	}
	f := frame{src: netip.AddrFrom4([4]byte(ip[12:16])), srcMAC: net.HardwareAddr(slices.Clone(b[6:12]))}
	pl := ip[ihl:total]
	switch ip[9] {
	case 112:
		if len(pl) < 8 {
			return frame{}, false
		}
		f.kind, f.vhid = kindAdvert, pl[1]
		if pl[0]>>4 == 2 && len(pl) >= 36 {
			f.carp, f.advskew, f.advbase = true, pl[2], pl[5]
			f.counter = binary.BigEndian.Uint64(pl[8:16])
		} else {
			f.prio = pl[2]
		}
	case 1:
		if len(pl) < 8 || pl[0] != 0 {
			return frame{}, false
		}
		f.kind = kindEchoReply
	default:
		return frame{}, false
	}
	return f, true
}

// advert is one advert seen by the observer.
type advert struct {
	at      time.Time
	src     netip.Addr
	leaving bool
	skew    uint8  // CARP advskew, VRRP priority
	counter uint64 // CARP's replay counter
}

// holdStats is what a hold saw: the adverts of m and b after the start.
type holdStats struct {
	fromM, fromB int
	takeovers    int           // runs of adverts from b (each a spurious takeover)
	maxGapM      time.Duration // the longest silence of m between two of its adverts
}

// hold sums up the adverts of a hold (in arrival order).
func hold(as []advert) holdStats {
	var h holdStats
	var lastM time.Time
	prevB := false
	for _, a := range as {
		switch a.src {
		case masterAddr:
			h.fromM++
			if !lastM.IsZero() {
				h.maxGapM = max(h.maxGapM, a.at.Sub(lastM))
			}
			lastM = a.at
			prevB = false
		case backupAddr:
			h.fromB++
			if !prevB {
				h.takeovers++
			}
			prevB = true
		}
	}
	return h
}

// goBench is one line of go test -bench -benchmem output.
type goBench struct {
	name   string // without the -GOMAXPROCS suffix
	nsOp   float64
	bOp    float64
	allocs float64
}

// parseGoBench reads the benchmark lines of go test -bench -benchmem.
func parseGoBench(r io.Reader) []goBench {
	var out []goBench
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 4 || !strings.HasPrefix(f[0], "Benchmark") {
			continue
		}
		g := goBench{name: f[0], nsOp: math.NaN(), bOp: math.NaN(), allocs: math.NaN()}
		if i := strings.LastIndexByte(g.name, '-'); i > 0 {
			if _, err := strconv.Atoi(g.name[i+1:]); err == nil {
				g.name = g.name[:i]
			}
		}
		for i := 2; i+1 < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				continue
			}
			switch f[i+1] {
			case "ns/op":
				g.nsOp = v
			case "B/op":
				g.bOp = v
			case "allocs/op":
				g.allocs = v
			}
		}
		if !math.IsNaN(g.nsOp) {
			out = append(out, g)
		}
	}
	return out
}

// floatSummary is the median, minimum and maximum of xs.
func floatSummary(xs []float64) (med, lo, hi float64) {
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

// ms formats a duration in milliseconds, one decimal.
func ms(d time.Duration) string {
	return strconv.FormatFloat(float64(d)/float64(time.Millisecond), 'f', 1, 64)
}

// cell formats the summary of ds in ms: "median [min – max]", with the
// p90 when there are at least 10 rounds, the value alone for one round.
func cell(ds []time.Duration) string {
	s := benchstat.Durations(ds)
	switch {
	case s.N == 0:
		return "–"
	case s.N == 1:
		return ms(s.Med)
	case s.N >= 10:
		return fmt.Sprintf("%s [%s – %s, p90 %s]", ms(s.Med), ms(s.Min), ms(s.Max), ms(s.P90))
	}
	return fmt.Sprintf("%s [%s – %s]", ms(s.Med), ms(s.Min), ms(s.Max))
}

// cleanCell is cell over the rounds that are not flagged early (the
// backup was already advertising before the trigger: nothing left to
// measure), with how many were left out.
func cleanCell(ds []time.Duration, early []bool) string {
	var clean []time.Duration
	n := 0
	for i, d := range ds {
		if early[i] {
			n++
			continue
		}
		clean = append(clean, d)
	}
	c := cell(clean)
	if n > 0 {
		c += fmt.Sprintf(" (%d of %d rounds left out: the backup was already advertising before the kill)", n, len(ds))
	}
	return c
}

// row is one line of a result table: a label and a cell per
// implementation ("n/a" for one that cannot take part).
type row struct {
	label string
	bound string
	cells map[string]string
}

// markdown writes rows as a Markdown table, one column per
// implementation, and a bound column unless no row has one.
func markdown(w io.Writer, first string, impls []string, rows []row) {
	bounds := slices.ContainsFunc(rows, func(r row) bool { return r.bound != "" })
	fmt.Fprintf(w, "| %s |", first)
	sep := "|---|"
	if bounds {
		fmt.Fprint(w, " bound |")
		sep += "---|"
	}
	for _, i := range impls {
		fmt.Fprintf(w, " %s |", i)
		sep += "---|"
	}
	fmt.Fprintf(w, "\n%s\n", sep)
	for _, r := range rows {
		fmt.Fprintf(w, "| %s |", r.label)
		if bounds {
			fmt.Fprintf(w, " %s |", r.bound)
		}
		for _, i := range impls {
			c, ok := r.cells[i]
			if !ok {
				c = "–"
			}
			fmt.Fprintf(w, " %s |", c)
		}
		fmt.Fprintln(w)
	}
}
