//go:build linux

// Package scalebench measures what N CARP/VRRP groups cost, on a LAN of
// network namespaces, with carpd (one process per host, carpd -c FILE with
// N groups), with ucarp (N processes per host, as ucarp is run) and with
// keepalived (one process per host, N vrrp_instance blocks), in one run, and
// prints a Markdown table: the work of scripts/scale-bench and of the
// scale figure of scripts/bench. Run as root from the module root:
//
//	sudo go run ./scripts/scale-bench [-n 255] [-advbase 1] [-window 60s] [-rounds 1]
//
// The LAN: a bridge, the preferred host a (198.51.100.1: advskew 0, or
// keepalived priority 200), the other host b (198.51.100.2: advskew 100, or
// priority 100) and an observer that counts the adverts of each host. Group
// vhid k has the VIP 203.0.113.k/24 (k ≤ 254; group 255 has 198.51.100.101).
// Every implementation preempts and manages its VIPs (carpd manage_vips,
// ucarp up/down scripts running ip addr add/del, keepalived itself).
//
// For each implementation in turn, on a fresh LAN: start both hosts, wait
// until all N VIPs are on a and none on b (at most -converge-timeout), wait
// -warmup more, then measure over -window:
//
//   - CPU: utime+stime (and cutime+cstime: reaped hook scripts) of every
//     process in the two host namespaces, both hosts summed, as % of one
//     core;
//   - memory at the end of the window: the sum of VmRSS and of Pss
//     (smaps_rollup) over the same processes, in MiB;
//   - the adverts per second each host sent (a should send N/advbase, b
//     none), and whether the VIPs were still all on a at the end.
//
// -profile FILE takes a CPU profile of carpd (both hosts) in its first
// round. If the carpd binary honours $CARPD_CPUPROFILE (it then writes a
// pprof CPU profile there when it exits), the script sets it, FILE for host
// a and FILE.b for host b, and the profiles cover carpd's whole run (start,
// warm-up, window). Otherwise it runs perf record -g on carpd's processes
// for a window of its own after the measured one, so that perf's cost does
// not show in the table; FILE is then a perf.data (perf report -i FILE).
//
// Everything (namespaces, processes, the temporary directory) is removed at
// the end, on Ctrl-C and on failure; logs are kept only on failure.
package scalebench

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/gocarp/gocarp/internal/lab"
	"golang.org/x/sys/unix"
)

const prefix = "carpscale-"

// profileEnv is the variable a carpd with the profiling hook honours.
const profileEnv = "CARPD_CPUPROFILE"

// Command is how the header says the run was started (default
// $SCALE_BENCH_CMD, else go run ./scripts/scale-bench), before its args.
var Command string

// Figure is the median of one implementation's rounds.
type Figure struct {
	Impl, Label   string
	Procs         int
	CPU, RSS, PSS float64 // % of one core; MiB
	Stable        bool    // every round
}

// Run parses the scale-bench command line args, measures, and writes the
// rounds and the table to w (usage errors to stderr). It returns the
// medians per implementation, in -impl order.
func Run(ctx context.Context, args []string, w, stderr io.Writer) ([]Figure, error) {
	var b *bench
	results, err := run(ctx, args, w, stderr, &b)
	if err != nil {
		return nil, err
	}
	var figs []Figure
	for _, impl := range b.cfg.impls {
		var procs, cpu, rss, pss []float64
		f := Figure{Impl: impl, Label: b.labels[impl], Stable: true}
		for _, r := range results {
			if r.impl != impl {
				continue
			}
			procs, cpu, rss, pss = append(procs, float64(r.procs)), append(cpu, r.cpu), append(rss, r.rss), append(pss, r.pss)
			f.Stable = f.Stable && r.stable
		}
		if len(cpu) == 0 {
			continue
		}
		p, _, _ := summary(procs)
		f.Procs = int(p)
		f.CPU, _, _ = summary(cpu)
		f.RSS, _, _ = summary(rss)
		f.PSS, _, _ = summary(pss)
		figs = append(figs, f)
	}
	return figs, nil
}

// bench is one run.
type bench struct {
	cfg     config
	dir     string
	ip      string // path of ip(8)
	up      string // ucarp's VIP up script
	down    string // and down script
	hz      int    // clock ticks per second in /proc/PID/stat
	out     io.Writer
	hook    bool   // carpd honours $CARPD_CPUPROFILE
	perf    string // perf binary, when profiling without the hook
	labels  map[string]string
	profile string // what the profile is, once taken
}

func run(ctx context.Context, args []string, w, stderr io.Writer, bp **bench) (results []result, err error) {
	cfg, err := parse(args, stderr)
	if err != nil {
		return nil, err
	}
	if err := lab.Check(); err != nil {
		return nil, err
	}
	for impl, bin := range map[string]string{"ucarp": cfg.ucarp, "keepalived": cfg.keepalived} {
		if slices.Contains(cfg.impls, impl) {
			if _, err := os.Stat(bin); err != nil {
				return nil, fmt.Errorf("%s: %w (Debian: apt install %s)", impl, err, impl)
			}
		}
	}
	b := &bench{cfg: cfg, out: w, hz: clockTicks()}
	*bp = b
	if b.ip, err = exec.LookPath("ip"); err != nil {
		return nil, err
	}
	if b.dir, err = os.MkdirTemp("", "carpscale-"); err != nil {
		return nil, err
	}
	defer func() {
		if err != nil && ctx.Err() == nil {
			fmt.Fprintf(w, "logs kept in %s\n", b.dir)
			return
		}
		_ = os.RemoveAll(b.dir)
	}()
	if slices.Contains(cfg.impls, "carpd") {
		if cfg.carpd == "" {
			// As a release is built: static, without cgo (carpd needs no
			// C library; the package ships this build).
			fmt.Fprintln(w, "building carpd (CGO_ENABLED=0 go build ./cmd/carpd)...")
			b.cfg.carpd = filepath.Join(b.dir, "carpd")
			build := exec.CommandContext(ctx, "go", "build", "-o", b.cfg.carpd, "github.com/gocarp/gocarp/cmd/carpd")
			build.Env = append(os.Environ(), "CGO_ENABLED=0")
			if out, err := build.CombinedOutput(); err != nil {
				return nil, fmt.Errorf("go build carpd (run from the module root): %w: %s", err, out)
			}
		} else if b.cfg.carpd, err = filepath.Abs(cfg.carpd); err != nil {
			return nil, err
		}
		if cfg.profile != "" {
			if err := b.setupProfile(); err != nil {
				return nil, err
			}
		}
	}
	b.up, b.down = filepath.Join(b.dir, "vip-up.sh"), filepath.Join(b.dir, "vip-down.sh")
	if err := os.WriteFile(b.up, []byte(upScript(b.ip)), 0o755); err != nil {
		return nil, err
	}
	if err := os.WriteFile(b.down, []byte(downScript(b.ip)), 0o755); err != nil {
		return nil, err
	}
	b.labels = map[string]string{
		"carpd":      "carpd " + versionWord(b.cfg.carpd, "--version", 1) + " (1 process per host, -c)",
		"ucarp":      "ucarp " + versionWord(cfg.ucarp, "--help", 1) + " (1 process per group and host)",
		"keepalived": "keepalived " + versionWord(cfg.keepalived, "--version", 1) + " (1 per host, N vrrp_instance)",
	}
	header := b.header(args)
	fmt.Fprint(w, header)
	fmt.Fprintln(w)

	if stale, err := lab.RemoveStale(ctx, prefix); err != nil {
		return nil, err
	} else if len(stale) > 0 {
		fmt.Fprintf(w, "removed leftovers of an earlier run: %s\n", strings.Join(stale, " "))
	}
	began := time.Now()
	for round := 1; round <= cfg.rounds; round++ {
		for _, impl := range cfg.impls {
			r, err := b.measure(ctx, impl, round)
			if err != nil {
				if ctx.Err() != nil {
					return nil, errors.New("interrupted; cleaned up")
				}
				return nil, fmt.Errorf("%s round %d: %w", impl, round, err)
			}
			results = append(results, r)
			fmt.Fprintf(w, "round %d %-10s  %4d processes  CPU %6.2f %%  RSS %7.1f MiB  PSS %7.1f MiB  adverts/s a %.1f b %.1f  converged after %.1f s  stable %v\n",
				round, impl, r.procs, r.cpu, r.rss, r.pss, r.advA, r.advB, r.converged.Seconds(), r.stable)
		}
	}
	fmt.Fprintf(w, "\n%d measurements in %s\n\n", len(results), time.Since(began).Round(time.Second))
	fmt.Fprint(w, header)
	fmt.Fprintln(w)
	table(w, cfg.impls, b.labels, results)
	if b.profile != "" {
		fmt.Fprintf(w, "\n%s\n", b.profile)
	}
	return results, nil
}

// setupProfile picks how -profile is taken: carpd's own hook, or perf.
func (b *bench) setupProfile() error {
	abs, err := filepath.Abs(b.cfg.profile)
	if err != nil {
		return err
	}
	b.cfg.profile = abs
	if err := os.MkdirAll(filepath.Dir(abs), 0o755); err != nil {
		return err
	}
	bin, err := os.ReadFile(b.cfg.carpd)
	if err != nil {
		return err
	}
	if bytes.Contains(bin, []byte(profileEnv)) {
		b.hook = true
		return nil
	}
	if b.perf, err = exec.LookPath("perf"); err != nil {
		return fmt.Errorf("-profile: %s does not honour $%s and perf is not installed (Debian: apt install linux-perf)", b.cfg.carpd, profileEnv)
	}
	return nil
}

func (b *bench) header(args []string) string {
	var s strings.Builder
	cmd := Command
	if cmd == "" {
		cmd = os.Getenv("SCALE_BENCH_CMD") // set by scripts/scale-bench.sh
	}
	if cmd == "" {
		cmd = "go run ./scripts/scale-bench"
	}
	for _, a := range args {
		if strings.ContainsAny(a, " \t\"'$\\") {
			a = strconv.Quote(a)
		}
		cmd += " " + a
	}
	c := b.cfg
	fmt.Fprintf(&s, "    $ sudo %s\n\n", cmd)
	fmt.Fprintf(&s, "- date: %s\n", time.Now().Format(time.RFC3339))
	fmt.Fprintf(&s, "- machine: %s\n", lab.Machine())
	fmt.Fprintf(&s, "- %d groups (vhid 1–%d, one VIP each), advbase %d s, on two hosts: a preferred (advskew 0 / priority %d), b (advskew %d / priority %d)\n",
		c.n, c.n, c.advbase, prioPref, skewOther, prioOther)
	fmt.Fprintf(&s, "- each implementation on a fresh LAN of network namespaces; measured after all VIPs were on a (at most %s) + %s, over %s; %d round(s), in the order %s\n",
		c.converge, c.warmup, c.window, c.rounds, strings.Join(c.impls, ", "))
	fmt.Fprintf(&s, "- CPU: utime+stime (+ reaped children) of every process of both hosts, as %% of one core (resolution %.3f %%); RSS and PSS: sums over the same processes at the end of the window\n",
		cpuPercent(1, b.hz, c.window))
	return s.String()
}

// measure runs impl on a fresh LAN and measures it.
func (b *bench) measure(ctx context.Context, impl string, round int) (r result, err error) {
	r.impl = impl
	mac := func(x byte) net.HardwareAddr { return net.HardwareAddr{0x02, 0, 0, 0, 0, x} }
	lan, err := lab.NewLAN(ctx, prefix, []lab.Host{
		{Name: "a", Addr: netip.PrefixFrom(addrA, 24), MAC: mac(0x0a)},
		{Name: "b", Addr: netip.PrefixFrom(addrB, 24), MAC: mac(0x0b)},
		{Name: "obs", Addr: netip.PrefixFrom(addrObs, 24), MAC: mac(0x50)},
	})
	if err != nil {
		return r, err
	}
	var f *fleet
	defer func() {
		if f != nil {
			f.stop()
			if err != nil && ctx.Err() == nil {
				f.showTail(b.out, 5)
			}
			f.close()
		}
		if cerr := lan.Close(); cerr != nil {
			err = errors.Join(err, cerr)
		}
		if left, _ := lab.Namespaces(context.Background(), prefix); len(left) > 0 {
			err = errors.Join(err, fmt.Errorf("namespaces left: %s", strings.Join(left, " ")))
		}
	}()
	nsA, nsB := lan.Namespace("a"), lan.Namespace("b")
	for _, ns := range []string{nsA, nsB} {
		// A /24 VIP on a subnet of its own is a primary address: without
		// this, removing it would remove every other VIP of that subnet.
		if out, err := exec.CommandContext(ctx, "ip", "netns", "exec", ns, "sh", "-c",
			"echo 1 >/proc/sys/net/ipv4/conf/all/promote_secondaries && echo 1 >/proc/sys/net/ipv4/conf/eth0/promote_secondaries").CombinedOutput(); err != nil {
			return r, fmt.Errorf("promote_secondaries in %s: %w: %s", ns, err, out)
		}
	}
	counter, err := countAdverts(lan.Namespace("obs"), b.cfg.n)
	if err != nil {
		return r, err
	}
	defer counter.close()

	profiling := b.cfg.profile != "" && impl == "carpd" && round == 1
	f = &fleet{}
	t0 := time.Now()
	if err := b.start(f, impl, round, lan, profiling); err != nil {
		return r, err
	}
	want := vips(b.cfg.n)
	settled := func() (bool, error) {
		outA, err := exec.CommandContext(ctx, "ip", "-n", nsA, "-o", "-4", "addr", "show", "dev", lab.Interface).Output()
		if err != nil {
			return false, err
		}
		outB, err := exec.CommandContext(ctx, "ip", "-n", nsB, "-o", "-4", "addr", "show", "dev", lab.Interface).Output()
		if err != nil {
			return false, err
		}
		return countIn(parseAddrs(string(outA)), want) == len(want) && countIn(parseAddrs(string(outB)), want) == 0, nil
	}
	deadline := time.Now().Add(b.cfg.converge)
	for {
		ok, err := settled()
		if err != nil {
			return r, err
		}
		if ok {
			break
		}
		if name := f.exited(); name != "" {
			return r, fmt.Errorf("%s exited before the VIPs settled", name)
		}
		if time.Now().After(deadline) {
			return r, fmt.Errorf("the %d VIPs were not all on a (and none on b) within %s", len(want), b.cfg.converge)
		}
		if err := lab.Sleep(ctx, 250*time.Millisecond); err != nil {
			return r, err
		}
	}
	r.converged = time.Since(t0)
	fmt.Fprintf(b.out, "round %d %-10s  %d VIPs on a after %.1f s; warm-up %s, window %s\n", round, impl, len(want), r.converged.Seconds(), b.cfg.warmup, b.cfg.window)
	if err := lab.Sleep(ctx, b.cfg.warmup); err != nil {
		return r, err
	}

	before, err := sample([]string{nsA, nsB}, false)
	if err != nil {
		return r, err
	}
	cA0, cB0 := counter.get()
	_ = counter.drops()
	tw0 := time.Now()
	if err := lab.Sleep(ctx, b.cfg.window); err != nil {
		return r, err
	}
	after, err := sample([]string{nsA, nsB}, true)
	if err != nil {
		return r, err
	}
	elapsed := time.Since(tw0)
	cA1, cB1 := counter.get()
	if d := counter.drops(); d > 0 {
		fmt.Fprintf(b.out, "round %d %-10s  the observer dropped %d frames in the window: the adverts/s are low\n", round, impl, d)
	}
	if name := f.exited(); name != "" {
		return r, fmt.Errorf("%s exited during the window", name)
	}
	if r.stable, err = settled(); err != nil {
		return r, err
	}
	r.procs = len(after.procs)
	r.cpu = cpuPercent(cpuTicks(before.procs, after.procs), b.hz, elapsed)
	r.rss, r.pss = float64(after.rssKB)/1024, float64(after.pssKB)/1024
	r.advA = float64(cA1-cA0) / elapsed.Seconds()
	r.advB = float64(cB1-cB0) / elapsed.Seconds()

	if profiling && !b.hook {
		// A window of its own after the measured one: perf's sampling
		// costs the processes it samples, and must not show in the table.
		fmt.Fprintf(b.out, "round %d %-10s  profiling with perf over another %s\n", round, impl, b.cfg.window)
		perf, err := b.startPerf(ctx, nsA, nsB)
		if perf != nil {
			defer func() { _ = perf.wait(true) }()
		}
		if err != nil {
			return r, err
		}
		if err := perf.wait(false); err != nil {
			if ctx.Err() != nil {
				return r, ctx.Err()
			}
			return r, fmt.Errorf("perf record: %w (log: %s)", err, filepath.Join(b.dir, "perf.log"))
		}
		b.profile = fmt.Sprintf("CPU profile of carpd on both hosts, round 1, over a %s window after the measured one (perf record -g): %s; read it with perf report -i %s", b.cfg.window, b.cfg.profile, b.cfg.profile)
	}
	if profiling && b.hook {
		// carpd writes its profile as it exits.
		f.stop()
		for _, p := range []string{b.cfg.profile, b.cfg.profile + ".b"} {
			if _, err := os.Stat(p); err != nil {
				return r, fmt.Errorf("carpd did not write its CPU profile: %w", err)
			}
		}
		b.profile = fmt.Sprintf("CPU profiles of carpd in round 1, from its start to its SIGTERM ($%s): %s (host a) and %s.b (host b); read them with go tool pprof -top %s %s",
			profileEnv, b.cfg.profile, b.cfg.profile, b.cfg.carpd, b.cfg.profile)
	}
	return r, nil
}

// start starts impl on both hosts.
func (b *bench) start(f *fleet, impl string, round int, lan *lab.LAN, profiling bool) error {
	c := b.cfg
	for _, h := range []struct {
		name string
		src  netip.Addr
		skew int
		prio int
	}{{"a", addrA, 0, prioPref}, {"b", addrB, skewOther, prioOther}} {
		ns := lan.Namespace(h.name)
		log, err := f.log(filepath.Join(b.dir, fmt.Sprintf("%s-%d-%s.log", impl, round, h.name)))
		if err != nil {
			return err
		}
		switch impl {
		case "carpd":
			conf := filepath.Join(b.dir, fmt.Sprintf("carpd-%s.toml", h.name))
			if err := os.WriteFile(conf, []byte(carpdConfig(c.n, c.advbase, h.skew)), 0o600); err != nil {
				return err
			}
			// A control socket per host: the two share the file system.
			sock := filepath.Join(b.dir, fmt.Sprintf("carpd-%s.sock", h.name))
			argv := []string{b.cfg.carpd, "-f", "none", "--control", sock, "-c", conf}
			if profiling && b.hook {
				out := c.profile
				if h.name == "b" {
					out += ".b"
				}
				argv = append([]string{"env", profileEnv + "=" + out}, argv...)
			}
			if err := f.start(ns, "carpd-"+h.name, argv, log); err != nil {
				return err
			}
		case "ucarp":
			for v := 1; v <= c.n; v++ {
				argv := ucarpArgv(c.ucarp, h.src, v, c.advbase, h.skew, b.up, b.down)
				if err := f.start(ns, fmt.Sprintf("ucarp-%s-%d", h.name, v), argv, log); err != nil {
					return err
				}
			}
		case "keepalived":
			pidDir := filepath.Join(b.dir, fmt.Sprintf("keepalived-%d-%s", round, h.name))
			if err := os.MkdirAll(pidDir, 0o755); err != nil {
				return err
			}
			conf := filepath.Join(pidDir, "keepalived.conf")
			if err := os.WriteFile(conf, []byte(keepalivedConfig(h.name, c.n, c.advbase, h.prio)), 0o644); err != nil {
				return err
			}
			if err := f.start(ns, "keepalived-"+h.name, keepalivedArgv(c.keepalived, conf, pidDir), log); err != nil {
				return err
			}
		}
	}
	return nil
}

// startPerf records every process of both hosts (carpd) for a window.
func (b *bench) startPerf(ctx context.Context, nsA, nsB string) (*perfRun, error) {
	var pids []string
	for _, ns := range []string{nsA, nsB} {
		ps, err := nsPids(ns)
		if err != nil {
			return nil, err
		}
		for _, p := range ps {
			pids = append(pids, strconv.Itoa(p))
		}
	}
	logf, err := os.Create(filepath.Join(b.dir, "perf.log"))
	if err != nil {
		return nil, err
	}
	secs := strconv.FormatFloat(b.cfg.window.Seconds(), 'f', 1, 64)
	cmd := exec.CommandContext(ctx, b.perf, "record", "-q", "-g", "-F", "499", "-o", b.cfg.profile, "-p", strings.Join(pids, ","), "--", "sleep", secs)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, err
	}
	return &perfRun{cmd: cmd, log: logf}, nil
}

// perfRun is a perf record running over the window.
type perfRun struct {
	cmd  *exec.Cmd
	log  *os.File
	once sync.Once
	err  error
}

// wait waits for perf to finish; kill first stops it early.
func (p *perfRun) wait(kill bool) error {
	p.once.Do(func() {
		if kill {
			_ = p.cmd.Process.Kill()
		}
		p.err = p.cmd.Wait()
		p.log.Close()
	})
	return p.err
}

// fleet is the processes of one measurement and their logs.
type fleet struct {
	mu    sync.Mutex
	procs []*lab.Process
	logs  []*logFile
}

type logFile struct {
	path string
	mu   sync.Mutex
	f    *os.File
	w    *bufio.Writer
}

func (l *logFile) line(name, s string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	fmt.Fprintf(l.w, "%s [%s] %s\n", time.Now().Format("15:04:05.000000"), name, s)
}

func (f *fleet) log(path string) (*logFile, error) {
	file, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	l := &logFile{path: path, f: file, w: bufio.NewWriter(file)}
	f.logs = append(f.logs, l)
	return l, nil
}

func (f *fleet) start(ns, name string, argv []string, log *logFile) error {
	p, err := lab.StartProcess(ns, name, argv, func(s string) { log.line(name, s) })
	if err != nil {
		return err
	}
	f.mu.Lock()
	f.procs = append(f.procs, p)
	f.mu.Unlock()
	return nil
}

// exited names a process that has exited, if any.
func (f *fleet) exited() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, p := range f.procs {
		select {
		case <-p.Done():
			return fmt.Sprintf("%s (%v)", p.Name, p.Err())
		default:
		}
	}
	return ""
}

// stop stops every process: SIGTERM, then SIGKILL after 5 s.
func (f *fleet) stop() {
	f.mu.Lock()
	procs := f.procs
	f.procs = nil
	f.mu.Unlock()
	var wg sync.WaitGroup
	for _, p := range procs {
		wg.Go(func() { p.Stop(syscall.SIGTERM, 5*time.Second) })
	}
	wg.Wait()
}

func (f *fleet) close() {
	for _, l := range f.logs {
		l.mu.Lock()
		_ = l.w.Flush()
		_ = l.f.Close()
		l.mu.Unlock()
	}
}

// showTail prints the last n lines of each log, to explain a failure.
func (f *fleet) showTail(w io.Writer, n int) {
	for _, l := range f.logs {
		l.mu.Lock()
		_ = l.w.Flush()
		l.mu.Unlock()
		data, err := os.ReadFile(l.path)
		if err != nil || len(data) == 0 {
			continue
		}
		lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
		fmt.Fprintf(w, "the end of %s:\n", l.path)
		for _, s := range lines[max(0, len(lines)-n):] {
			fmt.Fprintf(w, "    %s\n", s)
		}
	}
}

// snapshot is one sample of the processes of some namespaces.
type snapshot struct {
	procs        []procStat
	rssKB, pssKB uint64
}

// nsPids lists the processes in the network namespace ns.
func nsPids(ns string) ([]int, error) {
	out, err := exec.Command("ip", "netns", "pids", ns).Output()
	if err != nil {
		return nil, fmt.Errorf("ip netns pids %s: %w", ns, err)
	}
	var pids []int
	for _, s := range strings.Fields(string(out)) {
		if p, err := strconv.Atoi(s); err == nil && p != os.Getpid() {
			pids = append(pids, p)
		}
	}
	return pids, nil
}

// sample reads /proc for every process in the namespaces; with mem, also
// their resident memory. A process that ends while it is read is skipped.
func sample(namespaces []string, mem bool) (snapshot, error) {
	var s snapshot
	for _, ns := range namespaces {
		pids, err := nsPids(ns)
		if err != nil {
			return s, err
		}
		for _, pid := range pids {
			dir := "/proc/" + strconv.Itoa(pid)
			st, err := os.ReadFile(dir + "/stat")
			if err != nil {
				continue
			}
			p, err := parseStat(string(st))
			if err != nil {
				return s, err
			}
			if !mem {
				s.procs = append(s.procs, p)
				continue
			}
			status, err := os.ReadFile(dir + "/status")
			if err != nil {
				continue
			}
			rss, err := parseKB(string(status), "VmRSS")
			if err != nil {
				continue // a zombie has no memory
			}
			rollup, err := os.ReadFile(dir + "/smaps_rollup")
			if err != nil {
				continue
			}
			pss, err := parseKB(string(rollup), "Pss")
			if err != nil {
				return s, fmt.Errorf("%s/smaps_rollup: %w", dir, err)
			}
			s.procs = append(s.procs, p)
			s.rssKB += rss
			s.pssKB += pss
		}
	}
	return s, nil
}

// advertCounter counts the CARP/VRRP adverts of hosts a and b (vhids 1..n)
// seen on the observer's eth0.
type advertCounter struct {
	fd   int
	a, b atomic.Uint64
	stop atomic.Bool
	done chan struct{}
}

func countAdverts(ns string, n int) (*advertCounter, error) {
	// N adverts sent in one burst overflow the default buffer (about
	// 200 KB, at some 1 KB of truesize per frame).
	fd, err := lab.PacketSocket(ns, lab.Interface, 200*time.Millisecond, 16<<20, false)
	if err != nil {
		return nil, err
	}
	c := &advertCounter{fd: fd, done: make(chan struct{})}
	go func() {
		defer close(c.done)
		buf := make([]byte, 2048)
		for !c.stop.Load() {
			m, _, err := unix.Recvfrom(fd, buf, 0)
			if err != nil {
				continue
			}
			src, vhid, ok := advertSource(buf[:m])
			if !ok || vhid < 1 || int(vhid) > n {
				continue
			}
			switch src {
			case addrA:
				c.a.Add(1)
			case addrB:
				c.b.Add(1)
			}
		}
	}()
	return c, nil
}

func (c *advertCounter) get() (a, b uint64) { return c.a.Load(), c.b.Load() }

// drops is the number of frames the kernel dropped for want of room in the
// socket's buffer since the last call.
func (c *advertCounter) drops() uint64 {
	st, err := unix.GetsockoptTpacketStats(c.fd, unix.SOL_PACKET, unix.PACKET_STATISTICS)
	if err != nil {
		return 0
	}
	return uint64(st.Drops)
}

func (c *advertCounter) close() {
	c.stop.Store(true)
	<-c.done
	unix.Close(c.fd)
}

// clockTicks is USER_HZ, the unit of /proc/PID/stat times (100 on Linux).
func clockTicks() int {
	if out, err := exec.Command("getconf", "CLK_TCK").Output(); err == nil {
		if hz, err := strconv.Atoi(strings.TrimSpace(string(out))); err == nil && hz > 0 {
			return hz
		}
	}
	return 100
}

// versionWord is the i-th word (0-based) of the first non-empty output
// line of bin arg: "ucarp 1.5.2 - Jan  3 2023" → "1.5.2".
func versionWord(bin, arg string, i int) string {
	out, _ := exec.Command(bin, arg).CombinedOutput()
	for line := range strings.Lines(string(out)) {
		if f := strings.Fields(line); len(f) > 0 {
			if i < len(f) {
				return f[i]
			}
			return f[0]
		}
	}
	return "?"
}
