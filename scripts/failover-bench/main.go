//go:build linux

// Command failover-bench measures CARP failover times of carpd and of ucarp
// on a LAN of network namespaces, with the same flags for both, and prints a
// table. Run it as root from the module root:
//
//	sudo go run ./scripts/failover-bench [-rounds 5] [-carpd PATH] [-ucarp PATH]
//
// The LAN: a bridge, a master m (198.51.100.1, -k 0), a backup b
// (198.51.100.2, -k 100) and an observer that timestamps every advert in the
// kernel (AF_PACKET, SO_TIMESTAMPNS). Both run with advbase 1, vhid 42, the
// same password and VIP, -P -z, and up/down scripts that add and remove the
// VIP. Rounds alternate carpd, ucarp, carpd... Each round measures:
//
//   - (a) the master host dies (SIGKILL and its bridge port down at once):
//     the gap between the last advert of the old master and the first of the
//     new one. The protocol's bound is the backup's master-down interval,
//     3 × 1 s + 100/256 s = 3.390625 s after the last advert it received.
//   - (b) planned handover: SIGTERM to the master (started with -z): the gap
//     between the master's last advert (its bow-out advert, if it sends one)
//     and the new master's first, and from the SIGTERM.
//
// With -mode handover it measures instead what a client of the VIP sees on
// a planned handover (see handover.go): the observer pings the VIP every
// -ping (1 ms) while a carpd master hands over to a carpd or ucarp backup
// on SIGTERM with -z, SIGUSR2 or carpd handover:
//
//	sudo go run ./scripts/failover-bench -mode handover [-rounds 5] [-impl carpd,ucarp] [-trigger sigterm,sigusr2,handover] [-vips scripts|managed]
//
// Everything (namespaces, processes, the temporary directory) is removed at
// the end, on Ctrl-C and on failure; logs are kept only on failure.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/gocarp/gocarp/internal/lab"
	"github.com/gocarp/gocarp/scripts/internal/benchstat"
)

const prefix = "carpbench-"

var (
	masterAddr = netip.MustParseAddr("198.51.100.1")
	backupAddr = netip.MustParseAddr("198.51.100.2")
	obsAddr    = netip.MustParseAddr("198.51.100.50")
	vip        = netip.MustParseAddr("198.51.100.100")
)

// bound is the backup's master-down interval: 3 × advbase + advskew/256.
const bound = 3*time.Second + 100*time.Second/256

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintf(os.Stderr, "failover-bench: %v\n", err)
		os.Exit(1)
	}
}

type config struct {
	rounds int
	carpd  string
	ucarp  string
	impls  []string

	// -mode handover (handover.go)
	handover bool
	triggers []string      // sigterm, sigusr2, handover
	ping     time.Duration // the client's echo interval
	managed  bool          // carpd nodes use --manage-vips instead of the scripts
}

func parse(args []string) (config, error) {
	var c config
	var impls string
	fs := flag.NewFlagSet("failover-bench", flag.ContinueOnError)
	fs.IntVar(&c.rounds, "rounds", 5, "rounds per implementation")
	fs.StringVar(&c.carpd, "carpd", "", "carpd binary (default: built from this module)")
	fs.StringVar(&c.ucarp, "ucarp", "/usr/sbin/ucarp", "ucarp binary")
	fs.StringVar(&impls, "impl", "carpd,ucarp", "implementations to measure, interleaved in this order (-mode handover: of the backup; the master is carpd)")
	mode := fs.String("mode", "failover", "failover: advert gaps on a crash and on SIGTERM; handover: a client's outage on a planned handover")
	triggers := fs.String("trigger", "sigterm,sigusr2,handover", "-mode handover: how the master is told to hand over (SIGTERM with -z, SIGUSR2, carpd handover)")
	fs.DurationVar(&c.ping, "ping", time.Millisecond, "-mode handover: the client's echo request interval")
	vips := fs.String("vips", "scripts", "-mode handover: how carpd nodes move the VIP: scripts (as ucarp) or managed (--manage-vips)")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 || c.rounds < 1 {
		return c, fmt.Errorf("usage: failover-bench [-mode failover|handover] [-rounds N>0] [-carpd PATH] [-ucarp PATH] [-impl carpd,ucarp] [-trigger sigterm,sigusr2,handover] [-ping 1ms] [-vips scripts|managed]")
	}
	switch *mode {
	case "failover":
	case "handover":
		c.handover = true
	default:
		return c, fmt.Errorf("-mode: unknown mode %q", *mode)
	}
	for _, tr := range strings.Split(*triggers, ",") {
		if tr != "sigterm" && tr != "sigusr2" && tr != "handover" {
			return c, fmt.Errorf("-trigger: unknown trigger %q", tr)
		}
		c.triggers = append(c.triggers, tr)
	}
	switch *vips {
	case "scripts":
	case "managed":
		c.managed = true
	default:
		return c, fmt.Errorf("-vips: %q is neither scripts nor managed", *vips)
	}
	if c.ping <= 0 {
		return c, fmt.Errorf("-ping must be positive")
	}
	for _, i := range strings.Split(impls, ",") {
		if i != "carpd" && i != "ucarp" {
			return c, fmt.Errorf("-impl: unknown implementation %q", i)
		}
		c.impls = append(c.impls, i)
	}
	return c, nil
}

// bench is one run: the LAN, the observer's adverts, the scripts.
type bench struct {
	cfg  config
	lan  *lab.LAN
	dir  string
	up   string // VIP up script
	down string // VIP down script
	out  io.Writer

	mu      sync.Mutex
	changed chan struct{}
	adverts []lab.Advert
}

// result is what one round measured.
type result struct {
	impl        string
	start       time.Duration // start of the master → its first advert
	gapA        time.Duration // (a) last advert of the dead master → first of the new
	killA       time.Duration // (a) SIGKILL → first advert of the new master
	gapB        time.Duration // (b) last advert (bow-out if any) → first of the new master
	gapBRegular time.Duration // (b) last regular advert → first of the new master
	termB       time.Duration // (b) SIGTERM → first advert of the new master
	bowOut      bool          // (b) the old master sent a bow-out advert
}

func run(ctx context.Context, args []string, w io.Writer) (err error) {
	cfg, err := parse(args)
	if err != nil {
		return err
	}
	if err := lab.Check(); err != nil {
		return err
	}
	if slices.Contains(cfg.impls, "ucarp") {
		if _, err := os.Stat(cfg.ucarp); err != nil {
			return fmt.Errorf("ucarp: %w (Debian: apt install ucarp)", err)
		}
	}
	dir, err := os.MkdirTemp("", "carpbench-")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			fmt.Fprintf(w, "logs kept in %s\n", dir)
			return
		}
		_ = os.RemoveAll(dir)
	}()
	if cfg.carpd == "" {
		fmt.Fprintln(w, "building carpd...")
		cfg.carpd = filepath.Join(dir, "carpd")
		if out, err := exec.CommandContext(ctx, "go", "build", "-o", cfg.carpd, "github.com/gocarp/gocarp/cmd/carpd").CombinedOutput(); err != nil {
			return fmt.Errorf("go build carpd (run from the module root): %w: %s", err, out)
		}
	}
	b := &bench{cfg: cfg, dir: dir, out: w, changed: make(chan struct{})}
	if err := b.writeScripts(); err != nil {
		return err
	}
	printHeader(w, cfg, b)

	if stale, err := lab.RemoveStale(ctx, prefix); err != nil {
		return err
	} else if len(stale) > 0 {
		fmt.Fprintf(w, "removed leftovers of an earlier run: %s\n", strings.Join(stale, " "))
	}
	mac := func(x byte) net.HardwareAddr { return net.HardwareAddr{0x02, 0, 0, 0, 0, x} }
	b.lan, err = lab.NewLAN(ctx, prefix, []lab.Host{
		{Name: "m", Addr: netip.PrefixFrom(masterAddr, 24), MAC: mac(1)},
		{Name: "b", Addr: netip.PrefixFrom(backupAddr, 24), MAC: mac(2)},
		{Name: "obs", Addr: netip.PrefixFrom(obsAddr, 24), MAC: mac(0x50)},
	})
	if err != nil {
		return err
	}
	defer func() {
		if cerr := b.lan.Close(); cerr != nil {
			err = errors.Join(err, cerr)
		}
		left, _ := lab.Namespaces(context.Background(), prefix)
		if len(left) > 0 {
			err = errors.Join(err, fmt.Errorf("namespaces left: %s", strings.Join(left, " ")))
		}
	}()
	watch, err := lab.WatchAdverts(b.lan.Namespace("obs"), func(a lab.Advert) {
		if a.VHID != 42 {
			return
		}
		b.mu.Lock()
		b.adverts = append(b.adverts, a)
		close(b.changed)
		b.changed = make(chan struct{})
		b.mu.Unlock()
	})
	if err != nil {
		return err
	}
	defer watch.Close()

	if cfg.handover {
		return b.runHandover(ctx)
	}
	began := time.Now()
	var results []result
	for i := range cfg.rounds {
		for _, impl := range cfg.impls {
			r, err := b.round(ctx, impl, i+1)
			if err != nil {
				if ctx.Err() != nil {
					return errors.New("interrupted; cleaned up")
				}
				return fmt.Errorf("%s round %d: %w", impl, i+1, err)
			}
			results = append(results, r)
			fmt.Fprintf(w, "round %d %-5s  start→advert %s | (a) gap %s, kill→advert %s | (b) gap %s%s, from last regular advert %s, SIGTERM→advert %s\n",
				i+1, impl, secs(r.start), secs(r.gapA), secs(r.killA), msecs(r.gapB), map[bool]string{true: " (bow-out)", false: ""}[r.bowOut], secs(r.gapBRegular), msecs(r.termB))
		}
	}
	fmt.Fprintf(w, "\n%d rounds in %s\n\n", len(results), (time.Since(began)).Round(time.Second))
	printTable(w, cfg.impls, results)
	return nil
}

func (b *bench) writeScripts() error {
	ipPath, err := exec.LookPath("ip")
	if err != nil {
		return err
	}
	b.up = filepath.Join(b.dir, "vip-up.sh")
	b.down = filepath.Join(b.dir, "vip-down.sh")
	// ucarp and carpd run them as: script <iface> <vip> [xparam]
	up := fmt.Sprintf("#!/bin/sh\nexec %s addr add \"$2\"/32 dev \"$1\"\n", ipPath)
	down := fmt.Sprintf("#!/bin/sh\n%s addr del \"$2\"/32 dev \"$1\" 2>/dev/null\nexit 0\n", ipPath)
	if err := os.WriteFile(b.up, []byte(up), 0o755); err != nil {
		return err
	}
	return os.WriteFile(b.down, []byte(down), 0o755)
}

// argv is the command line of one node; both implementations get the same
// flags (ucarp's).
func (b *bench) argv(impl string, src netip.Addr, skew string) []string {
	bin := b.cfg.carpd
	if impl == "ucarp" {
		bin = b.cfg.ucarp
	}
	return []string{bin, "-i", lab.Interface, "-s", src.String(), "-v", "42", "-p", "benchpass",
		"-a", vip.String(), "-b", "1", "-k", skew, "-P", "-z", "-u", b.up, "-d", b.down, "-f", "none"}
}

// start starts one node, its output going to a log file.
func (b *bench) start(impl, host string, round int, src netip.Addr, skew string) (*lab.Process, error) {
	return b.startNamed(impl, host, fmt.Sprint(round), b.argv(impl, src, skew))
}

// startNamed starts argv on host, its output going to impl-tag-host.log.
func (b *bench) startNamed(impl, host, tag string, argv []string) (*lab.Process, error) {
	f, err := os.OpenFile(filepath.Join(b.dir, fmt.Sprintf("%s-%s-%s.log", impl, tag, host)), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	bw := bufio.NewWriter(f)
	var mu sync.Mutex
	p, err := lab.StartProcess(b.lan.Namespace(host), impl+"-"+host, argv, func(line string) {
		mu.Lock()
		defer mu.Unlock()
		fmt.Fprintf(bw, "%s %s\n", time.Now().Format("15:04:05.000000"), line)
	})
	if err != nil {
		f.Close()
		return nil, err
	}
	go func() {
		<-p.Done()
		mu.Lock()
		defer mu.Unlock()
		bw.Flush()
		f.Close()
	}()
	return p, nil
}

// firstAfter waits for the first advert from src received after t.
func (b *bench) firstAfter(ctx context.Context, src netip.Addr, t time.Time, timeout time.Duration) (lab.Advert, error) {
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	for {
		b.mu.Lock()
		ch := b.changed
		for _, a := range b.adverts {
			if a.Src == src && a.Time.After(t) {
				b.mu.Unlock()
				return a, nil
			}
		}
		b.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return lab.Advert{}, ctx.Err()
		case <-timer.C:
			return lab.Advert{}, fmt.Errorf("no advert from %s within %v", src, timeout)
		}
	}
}

// lastBefore is the last advert from src received before t that matches ok.
func (b *bench) lastBefore(src netip.Addr, t time.Time, ok func(lab.Advert) bool) (lab.Advert, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for i := len(b.adverts) - 1; i >= 0; i-- {
		if a := b.adverts[i]; a.Src == src && a.Time.Before(t) && ok(a) {
			return a, true
		}
	}
	return lab.Advert{}, false
}

// phase is a random delay within one advert interval.
func phase() time.Duration { return rand.N(time.Second) }

func anyAdvert(lab.Advert) bool { return true }
func regular(a lab.Advert) bool { return !a.BowOut() }

// round runs one round of impl: start, (a) the master dies, the master comes
// back and preempts, (b) planned handover.
func (b *bench) round(ctx context.Context, impl string, n int) (r result, err error) {
	r.impl = impl
	var m, bk *lab.Process
	defer func() {
		for _, p := range []*lab.Process{m, bk} {
			if p != nil {
				p.Stop(syscall.SIGTERM, 3*time.Second)
			}
		}
		cctx := context.WithoutCancel(ctx)
		for _, h := range []string{"m", "b"} {
			if e := b.lan.SetPortUp(cctx, h, true); e != nil {
				err = errors.Join(err, e)
			}
			if e := b.lan.DelAddr(cctx, h, vip); e != nil {
				err = errors.Join(err, e)
			}
		}
	}()

	// The master alone first, then the backup: a clean start for both.
	t0 := time.Now()
	if m, err = b.start(impl, "m", n, masterAddr, "0"); err != nil {
		return r, err
	}
	first, err := b.firstAfter(ctx, masterAddr, t0, 10*time.Second)
	if err != nil {
		return r, err
	}
	r.start = first.Time.Sub(t0)
	tb := time.Now()
	if bk, err = b.start(impl, "b", n, backupAddr, "100"); err != nil {
		return r, err
	}
	// A random phase against the advert schedule: timer quantisation then
	// shows in the spread instead of biasing every round the same way.
	if err := lab.Sleep(ctx, 1500*time.Millisecond+phase()); err != nil {
		return r, err
	}
	if a, ok := b.lastBefore(backupAddr, time.Now(), anyAdvert); ok && a.Time.After(tb) {
		return r, errors.New("the backup advertised while the master was up")
	}

	// (a) The master host dies.
	tKill := time.Now()
	_ = m.Signal(syscall.SIGKILL)
	if err := b.lan.SetPortUp(ctx, "m", false); err != nil {
		return r, err
	}
	first, err = b.firstAfter(ctx, backupAddr, tKill, 10*time.Second)
	if err != nil {
		return r, fmt.Errorf("(a): %w", err)
	}
	last, ok := b.lastBefore(masterAddr, first.Time, anyAdvert)
	if !ok {
		return r, errors.New("(a): no advert from the master")
	}
	r.gapA, r.killA = first.Time.Sub(last.Time), first.Time.Sub(tKill)

	// The host comes back (without the VIP it held) and preempts.
	if err := m.Wait(ctx); err != nil && ctx.Err() != nil {
		return r, err
	}
	if err := b.lan.DelAddr(ctx, "m", vip); err != nil {
		return r, err
	}
	if err := b.lan.SetPortUp(ctx, "m", true); err != nil {
		return r, err
	}
	tBack := time.Now()
	if m, err = b.start(impl, "m", n, masterAddr, "0"); err != nil {
		return r, err
	}
	back, err := b.firstAfter(ctx, masterAddr, tBack, 10*time.Second)
	if err != nil {
		return r, fmt.Errorf("preemption: %w", err)
	}
	// A backup still advertising would show within its interval (1.39 s);
	// the old master's one last advert may come late (ucarp reads late).
	if err := lab.Sleep(ctx, 2500*time.Millisecond+phase()); err != nil {
		return r, err
	}
	if a, ok := b.lastBefore(backupAddr, time.Now(), anyAdvert); ok && a.Time.After(back.Time.Add(1100*time.Millisecond)) {
		return r, errors.New("the backup still advertises after the master preempted")
	}

	// (b) Planned handover.
	tTerm := time.Now()
	_ = m.Signal(syscall.SIGTERM)
	first, err = b.firstAfter(ctx, backupAddr, tTerm, 10*time.Second)
	if err != nil {
		return r, fmt.Errorf("(b): %w", err)
	}
	last, ok = b.lastBefore(masterAddr, first.Time, anyAdvert)
	lastReg, okReg := b.lastBefore(masterAddr, first.Time, regular)
	if !ok || !okReg {
		return r, errors.New("(b): no advert from the master")
	}
	r.gapB, r.gapBRegular, r.termB, r.bowOut = first.Time.Sub(last.Time), first.Time.Sub(lastReg.Time), first.Time.Sub(tTerm), last.BowOut()
	return r, nil
}

func printHeader(w io.Writer, cfg config, b *bench) {
	fmt.Fprintf(w, "failover-bench: CARP failover of carpd and ucarp on a LAN of network namespaces\n")
	fmt.Fprintf(w, "command:  %s\n", strings.Join(append([]string{"failover-bench"}, os.Args[1:]...), " "))
	fmt.Fprintf(w, "date:     %s\n", time.Now().Format(time.RFC3339))
	fmt.Fprintf(w, "machine:  %s\n", lab.Machine())
	fmt.Fprintf(w, "carpd:    %s (%s)\n", cfg.carpd, version(cfg.carpd, "--version"))
	if slices.Contains(cfg.impls, "ucarp") {
		fmt.Fprintf(w, "ucarp:    %s (%s)\n", cfg.ucarp, version(cfg.ucarp, "--help"))
	}
	if cfg.handover {
		return // runHandover says the rest
	}
	fmt.Fprintf(w, "flags:    %s\n", strings.Join(b.argv("IMPL", masterAddr, "0")[1:], " "))
	fmt.Fprintf(w, "          master -s %s -k 0, backup -s %s -k 100; rounds %d each, interleaved %s\n", masterAddr, backupAddr, cfg.rounds, strings.Join(cfg.impls, ", "))
	fmt.Fprintf(w, "times:    kernel receive timestamps of the adverts at an observer on the bridge\n\n")
}

// version is the first non-empty output line of bin arg.
func version(bin, arg string) string {
	out, _ := exec.Command(bin, arg).CombinedOutput()
	for line := range strings.Lines(string(out)) {
		if s := strings.TrimSpace(line); s != "" {
			return s
		}
	}
	return "version ?"
}

// stats is the median, minimum and maximum of ds.
func stats(ds []time.Duration) (med, lo, hi time.Duration) {
	s := benchstat.Durations(ds)
	return s.Med, s.Min, s.Max
}

func printTable(w io.Writer, impls []string, results []result) {
	rows := []struct {
		name string
		get  func(result) time.Duration
		fmt  func(time.Duration) string
	}{
		{"(a) master dies: advert gap", func(r result) time.Duration { return r.gapA }, secs},
		{"    gap − bound (3.390625 s)", func(r result) time.Duration { return r.gapA - bound }, msecs},
		{"    SIGKILL → new master's advert", func(r result) time.Duration { return r.killA }, secs},
		{"(b) planned handover: advert gap", func(r result) time.Duration { return r.gapB }, msecs},
		{"    from the last regular advert", func(r result) time.Duration { return r.gapBRegular }, secs},
		{"    SIGTERM → new master's advert", func(r result) time.Duration { return r.termB }, msecs},
		{"start → master's first advert", func(r result) time.Duration { return r.start }, secs},
	}
	fmt.Fprintf(w, "%-36s", "median [min – max]")
	for _, impl := range impls {
		fmt.Fprintf(w, "  %-32s", impl)
	}
	fmt.Fprintln(w)
	for _, row := range rows {
		fmt.Fprintf(w, "%-36s", row.name)
		for _, impl := range impls {
			var ds []time.Duration
			for _, r := range results {
				if r.impl == impl {
					ds = append(ds, row.get(r))
				}
			}
			med, lo, hi := stats(ds)
			fmt.Fprintf(w, "  %-32s", fmt.Sprintf("%s [%s – %s]", row.fmt(med), row.fmt(lo), row.fmt(hi)))
		}
		fmt.Fprintln(w)
	}
	for _, impl := range impls {
		n, bow := 0, 0
		for _, r := range results {
			if r.impl == impl {
				n++
				if r.bowOut {
					bow++
				}
			}
		}
		fmt.Fprintf(w, "%s: bow-out advert on SIGTERM in %d of %d rounds\n", impl, bow, n)
	}
}

func secs(d time.Duration) string { return fmt.Sprintf("%.4f s", d.Seconds()) }

func msecs(d time.Duration) string {
	return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond))
}
