//go:build linux

package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/gocarp/gocarp/internal/lab"
	"github.com/gocarp/gocarp/scripts/internal/scalebench"
)

const prefix = "carpcmp-"

// bench is one run.
type bench struct {
	cfg      config
	dir      string
	ip       string
	up, down string
	out      io.Writer
	stderr   io.Writer
	labels   map[string]string
	began    time.Time
	header   string
	tables   strings.Builder // every figure's table, repeated at the end
	headline []row
}

func run(ctx context.Context, args []string, w, stderr io.Writer) (err error) {
	cfg, err := parse(args, stderr)
	if err != nil {
		return err
	}
	if err := lab.Check(); err != nil {
		return err
	}
	for impl, bin := range map[string]string{"ucarp": cfg.ucarp, "keepalived": cfg.keepalived} {
		if slices.Contains(cfg.impls, impl) {
			if _, err := os.Stat(bin); err != nil {
				return fmt.Errorf("%s: %w (Debian: apt install %s)", impl, err, impl)
			}
		}
	}
	b := &bench{cfg: cfg, out: w, stderr: stderr, began: time.Now()}
	if b.ip, err = exec.LookPath("ip"); err != nil {
		return err
	}
	if b.dir, err = os.MkdirTemp("", "carpcmp-"); err != nil {
		return err
	}
	defer func() {
		if (err != nil && ctx.Err() == nil) || cfg.keepLogs {
			fmt.Fprintf(w, "logs kept in %s\n", b.dir)
			return
		}
		_ = os.RemoveAll(b.dir)
	}()
	if cfg.carpd == "" {
		fmt.Fprintln(w, "building carpd (CGO_ENABLED=0 go build ./cmd/carpd)...")
		b.cfg.carpd = filepath.Join(b.dir, "carpd")
		build := exec.CommandContext(ctx, "go", "build", "-o", b.cfg.carpd, "github.com/gocarp/gocarp/cmd/carpd")
		build.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := build.CombinedOutput(); err != nil {
			return fmt.Errorf("go build carpd (run from the module root): %w: %s", err, out)
		}
	} else if b.cfg.carpd, err = filepath.Abs(cfg.carpd); err != nil {
		return err
	}
	b.up, b.down = filepath.Join(b.dir, "vip-up.sh"), filepath.Join(b.dir, "vip-down.sh")
	if err := os.WriteFile(b.up, []byte(upScript(b.ip)), 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(b.down, []byte(downScript(b.ip)), 0o755); err != nil {
		return err
	}
	b.labels = map[string]string{
		"carpd":      versionLine(b.cfg.carpd, "--version"),
		"ucarp":      versionLine(cfg.ucarp, "--help"),
		"keepalived": versionLine(cfg.keepalived, "--version"),
	}
	b.header = b.makeHeader(args)
	fmt.Fprint(w, b.header)
	fmt.Fprintln(w)

	if stale, err := lab.RemoveStale(ctx, prefix); err != nil {
		return err
	} else if len(stale) > 0 {
		fmt.Fprintf(w, "removed leftovers of an earlier run: %s\n", strings.Join(stale, " "))
	}
	defer func() {
		if left, _ := lab.Namespaces(context.Background(), prefix); len(left) > 0 {
			err = errors.Join(err, fmt.Errorf("namespaces left: %s", strings.Join(left, " ")))
		}
	}()
	steps := []struct {
		figure string
		fn     func(context.Context) error
	}{
		{"failover", b.failover},
		{"handover", b.handover},
		{"subsecond", b.subsecond},
		{"hold", b.holds},
		{"health", b.health},
		{"scale", b.scale},
		{"codec", b.codec},
	}
	for _, s := range steps {
		if !cfg.has(s.figure) {
			continue
		}
		t0 := time.Now()
		if err := s.fn(ctx); err != nil {
			if ctx.Err() != nil {
				return errors.New("interrupted; cleaned up")
			}
			return fmt.Errorf("%s: %w", s.figure, err)
		}
		fmt.Fprintf(w, "(%s took %s)\n\n", s.figure, time.Since(t0).Round(time.Second))
	}
	fmt.Fprintf(w, "\n==== summary (the whole run took %s) ====\n\n", time.Since(b.began).Round(time.Second))
	fmt.Fprint(w, b.header)
	fmt.Fprintln(w)
	fmt.Fprintln(w, "headline: medians [min – max] in ms unless said; the bound is the protocol's for the backup")
	fmt.Fprintln(w)
	markdown(w, "figure", cfg.impls, b.headline)
	fmt.Fprintln(w)
	fmt.Fprint(w, b.tables.String())
	return nil
}

// versionLine is the first non-empty output line of bin arg.
func versionLine(bin, arg string) string {
	out, _ := exec.Command(bin, arg).CombinedOutput()
	for line := range strings.Lines(string(out)) {
		if s := strings.TrimSpace(line); s != "" {
			return s
		}
	}
	return filepath.Base(bin) + " (version ?)"
}

func (b *bench) makeHeader(args []string) string {
	var s strings.Builder
	cmd := os.Getenv("BENCH_CMD") // set by scripts/bench.sh
	if cmd == "" {
		cmd = "go run ./scripts/bench"
	}
	for _, a := range args {
		if strings.ContainsAny(a, " \t\"'$\\") {
			a = strconv.Quote(a)
		}
		cmd += " " + a
	}
	fmt.Fprintf(&s, "bench: carpd, ucarp and keepalived side by side on a LAN of network namespaces\n\n")
	fmt.Fprintf(&s, "    $ sudo %s\n\n", cmd)
	fmt.Fprintf(&s, "- date: %s\n", b.began.UTC().Format(time.RFC3339))
	fmt.Fprintf(&s, "- machine: %s\n", lab.Machine())
	for _, impl := range b.cfg.impls {
		bin := map[string]string{"carpd": b.cfg.carpd, "ucarp": b.cfg.ucarp, "keepalived": b.cfg.keepalived}[impl]
		fmt.Fprintf(&s, "- %s: %s (%s)\n", impl, b.labels[impl], bin)
	}
	fmt.Fprintf(&s, "- LAN: a bridge; master m %s, backup b %s, client c %s (pings the VIP %s every %v and timestamps the adverts and echo replies in the kernel); VHID/VRID %d\n",
		masterAddr, backupAddr, clientAddr, vip, b.cfg.ping, vhid)
	fmt.Fprintf(&s, "- carpd and ucarp: the same ucarp command line (%s); keepalived: priority %d (m) / %d (b), its skew time (256 − 156)/256 s = CARP's advskew 100 at advbase 1\n",
		strings.Join(nodeArgs("IMPL", masterAddr, 1, 0, true, "UP", "DOWN")[1:], " "), prioMaster, prioBackup)
	fmt.Fprintf(&s, "- rounds: %d per figure and implementation, interleaved %s; hold %v\n", b.cfg.rounds, strings.Join(b.cfg.impls, ", "), b.cfg.hold)
	return s.String()
}

// section prints a figure's title and remembers it for the summary.
func (b *bench) section(title, text string) {
	fmt.Fprintf(b.out, "## %s\n\n%s\n\n", title, text)
}

// table prints a figure's table and keeps it for the summary.
func (b *bench) table(title, first string, rows []row) {
	var buf bytes.Buffer
	fmt.Fprintf(&buf, "%s\n\n", title)
	markdown(&buf, first, b.cfg.impls, rows)
	fmt.Fprintln(&buf)
	b.out.Write(buf.Bytes())
	b.tables.Write(buf.Bytes())
}

const msFirst = "median [min – max], ms"

// roundResult is what one round measured.
type roundResult struct {
	impl, trigger       string
	gap                 time.Duration // the old master's last advert → the new master's first
	toAdvert            time.Duration // the trigger → the new master's first advert
	toReply             time.Duration // the trigger → the first echo reply from b
	outage              time.Duration // the longest gap between answered echo requests − the interval
	lost                int           // the longest run of unanswered requests
	leaving             bool          // the old master's last advert was its farewell
	masterAfter         int           // the old master's adverts after the new one's first
	masterAfterAt       []time.Duration
	masterAfterSkew     []uint8  // their advskew (VRRP: priority)
	masterAfterCounter  []uint64 // and CARP counter
	lastCounter         uint64
	lastSkew, firstSkew uint8 // of the old master's last advert before the new one's first, and of that first
	early               int   // adverts from b before the trigger
}

// argv is the command line of a node of impl on host under t.
func (e *env) argv(impl, host string, t timing, preempt bool, tag string) ([]string, error) {
	src, skew, master := backupAddr, t.skewB, false
	if host == "m" {
		src, skew, master = masterAddr, t.skewM, true
	}
	b := e.b
	switch impl {
	case "carpd":
		return append(nodeArgs(b.cfg.carpd, src, t.advbase, skew, preempt, b.up, b.down), "--control", e.control(host, tag)), nil
	case "ucarp":
		return nodeArgs(b.cfg.ucarp, src, t.advbase, skew, preempt, b.up, b.down), nil
	}
	dir := filepath.Join(b.dir, fmt.Sprintf("%s-keepalived-%s-%s", e.tag, tag, host))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	conf := filepath.Join(dir, "keepalived.conf")
	if err := os.WriteFile(conf, []byte(keepalivedConfig(keepalivedNode{host: host, master: master, t: t, preempt: true})), 0o644); err != nil {
		return nil, err
	}
	return keepalivedArgv(b.cfg.keepalived, conf, dir), nil
}

func (e *env) control(host, tag string) string {
	return filepath.Join(e.b.dir, fmt.Sprintf("%s-%s-%s.sock", e.tag, tag, host))
}

// pair starts the master, waits for its first advert, starts the backup
// and lets it settle.
func (e *env) pair(ctx context.Context, impl string, t timing, preempt bool, tag string, argv func(host string) ([]string, error)) (m, bk *lab.Process, err error) {
	if argv == nil {
		argv = func(host string) ([]string, error) { return e.argv(impl, host, t, preempt, tag) }
	}
	am, err := argv("m")
	if err != nil {
		return nil, nil, err
	}
	t0 := time.Now()
	if m, err = e.start(impl, "m", tag, am); err != nil {
		return nil, nil, err
	}
	if _, err = e.firstAdvert(ctx, masterAddr, t0, 3*t.bound(impl)+10*time.Second); err != nil {
		return nil, nil, fmt.Errorf("the master: %w", err)
	}
	ab, err := argv("b")
	if err != nil {
		return nil, nil, err
	}
	if bk, err = e.start(impl, "b", tag, ab); err != nil {
		return nil, nil, err
	}
	settle := 1500 * time.Millisecond
	if t.advbase == 0 {
		settle = time.Second
	}
	return m, bk, lab.Sleep(ctx, settle)
}

// round runs one round of impl: a pair under t, the client pinging the
// VIP, then trigger at a random point of the master's advert interval.
func (b *bench) round(ctx context.Context, e *env, impl string, t timing, trigger, tag string, argv func(string) ([]string, error)) (r roundResult, err error) {
	r.impl, r.trigger = impl, trigger
	e.reset()
	var pinger *lab.Pinger
	defer func() {
		if pinger != nil {
			pinger.Stop(0)
		}
		e.stopNodes()
		_ = os.Remove(e.flag(impl, tag))
	}()
	preempt := trigger == "kill" || trigger == "check"
	m, _, err := e.pair(ctx, impl, t, preempt, tag, argv)
	if err != nil {
		return r, err
	}
	tb := time.Now()
	if pinger, err = lab.StartPinger(e.lan.Namespace("c"), vip, b.cfg.ping); err != nil {
		return r, err
	}
	if err := b.steady(ctx, pinger); err != nil {
		return r, err
	}
	// A random point within the master's advert interval.
	last, err := e.firstAdvert(ctx, masterAddr, time.Now(), 3*t.interval(impl)+time.Second)
	if err != nil {
		return r, err
	}
	if err := lab.Sleep(ctx, time.Until(last.at.Add(rand.N(t.interval(impl))))); err != nil {
		return r, err
	}
	tTrig := time.Now()
	switch trigger {
	case "kill": // the host dies: its cable and its processes at once
		if err = e.lan.SetPortUp(ctx, "m", false); err == nil {
			killNamespace(e.lan.Namespace("m"))
		}
	case "sigterm":
		err = m.Signal(syscall.SIGTERM)
	case "handover":
		var out []byte
		out, err = exec.CommandContext(ctx, b.cfg.carpd, "handover", "--control", e.control("m", tag)).CombinedOutput()
		if err != nil {
			err = fmt.Errorf("carpd handover: %w: %s", err, out)
		}
	case "check":
		err = os.WriteFile(e.flag(impl, tag), nil, 0o644)
	}
	if err != nil {
		return r, err
	}
	for _, a := range e.advertsBetween(tb, tTrig) {
		if a.src == backupAddr {
			r.early++
		}
	}
	first, err := e.firstAdvert(ctx, backupAddr, tTrig, 3*t.bound(impl)+10*time.Second)
	if err != nil {
		return r, err
	}
	if trigger == "check" {
		rep, err := e.firstReply(ctx, backupMAC, tTrig, 10*time.Second)
		if err != nil {
			return r, err
		}
		r.toReply = rep.at.Sub(tTrig)
	}
	if err := lab.Sleep(ctx, min(time.Second, max(300*time.Millisecond, 3*t.interval(impl)))); err != nil {
		return r, err
	}
	end := time.Now()
	pinger.Stop(100 * time.Millisecond)
	o := pinger.Outage(tTrig.Add(-50*time.Millisecond), end)
	pinger = nil
	if o.Answered == 0 {
		return r, errors.New("no echo reply at all")
	}
	if o.MaxLostRun > 0 {
		r.outage = max(o.MaxGap-b.cfg.ping, 0)
	}
	r.lost = o.MaxLostRun
	r.toAdvert = first.at.Sub(tTrig)
	lastM, ok := e.lastAdvert(masterAddr, first.at)
	if !ok {
		return r, errors.New("no advert from the master")
	}
	r.gap, r.leaving = first.at.Sub(lastM.at), lastM.leaving
	r.lastSkew, r.firstSkew, r.lastCounter = lastM.skew, first.skew, lastM.counter
	for _, a := range e.advertsBetween(first.at, end) {
		if a.src == masterAddr && !a.leaving {
			r.masterAfter++
			r.masterAfterAt = append(r.masterAfterAt, a.at.Sub(first.at))
			r.masterAfterSkew = append(r.masterAfterSkew, a.skew)
			r.masterAfterCounter = append(r.masterAfterCounter, a.counter)
		}
	}
	return r, nil
}

// steady waits until the client has reached the VIP without a loss for
// 300 ms (at most 5 s).
func (b *bench) steady(ctx context.Context, p *lab.Pinger) error {
	deadline := time.Now().Add(5 * time.Second)
	for {
		if err := lab.Sleep(ctx, 300*time.Millisecond); err != nil {
			return err
		}
		now := time.Now()
		o := p.Outage(now.Add(-300*time.Millisecond), now)
		if o.Answered > 0 && o.MaxLostRun == 0 && o.Answered+1 >= o.Sent {
			return nil
		}
		if now.After(deadline) {
			return fmt.Errorf("the client does not reach the VIP steadily before the trigger: %+v", o)
		}
	}
}

func (e *env) flag(impl, tag string) string {
	return filepath.Join(e.b.dir, e.tag+"-"+impl+"-"+tag+".flag")
}

// rounds runs rounds × impls (interleaved) of one kind, printing each.
func (b *bench) rounds(ctx context.Context, e *env, impls []string, t timing, trigger string, argv func(e *env, impl, tag string) func(string) ([]string, error)) (map[string][]roundResult, error) {
	res := map[string][]roundResult{}
	for i := range b.cfg.rounds {
		for _, impl := range impls {
			tag := fmt.Sprintf("%s-%d", trigger, i+1)
			var av func(string) ([]string, error)
			if argv != nil {
				av = argv(e, impl, tag)
			}
			r, err := b.round(ctx, e, impl, t, trigger, tag, av)
			if err != nil {
				return nil, fmt.Errorf("%s, %s, round %d: %w", impl, trigger, i+1, err)
			}
			res[impl] = append(res[impl], r)
			note := ""
			if r.leaving {
				note += " (farewell advert)"
			}
			if r.early > 0 {
				note += fmt.Sprintf(" !%d backup adverts before the trigger", r.early)
			}
			if r.masterAfter > 0 {
				var at []string
				for i, d := range r.masterAfterAt {
					at = append(at, fmt.Sprintf("+%s ms, advskew/priority %d, counter %#x", ms(d), r.masterAfterSkew[i], r.masterAfterCounter[i]))
				}
				note += fmt.Sprintf(" !%d master adverts after the backup's first (%s; before them the master's %d, counter %#x, the backup's %d)",
					r.masterAfter, strings.Join(at, ", "), r.lastSkew, r.lastCounter, r.firstSkew)
			}
			extra := ""
			if trigger == "check" {
				extra = fmt.Sprintf(", flag → backup's echo reply %s ms", ms(r.toReply))
			}
			fmt.Fprintf(b.out, "round %2d %-10s %-8s %s: advert gap %s ms, trigger → backup's advert %s ms, client outage %s ms (longest lost run %d)%s%s\n",
				i+1, impl, trigger, t.name, ms(r.gap), ms(r.toAdvert), ms(r.outage), r.lost, extra, note)
		}
	}
	return res, nil
}

func pick(rs []roundResult, f func(roundResult) time.Duration) []time.Duration {
	out := make([]time.Duration, len(rs))
	for i, r := range rs {
		out[i] = f(r)
	}
	return out
}

func gapOf(r roundResult) time.Duration    { return r.gap }
func outageOf(r roundResult) time.Duration { return r.outage }
func advertOf(r roundResult) time.Duration { return r.toAdvert }
func replyOf(r roundResult) time.Duration  { return r.toReply }
func overOf(t timing, impl string) func(roundResult) time.Duration {
	return func(r roundResult) time.Duration { return r.gap - t.bound(impl) }
}

// cells is one cell per implementation of res, over the rounds where the
// backup did not advertise before the trigger.
func cells(impls []string, res map[string][]roundResult, f func(string) func(roundResult) time.Duration) map[string]string {
	c := map[string]string{}
	for _, impl := range impls {
		if rs, ok := res[impl]; ok {
			early := make([]bool, len(rs))
			for i, r := range rs {
				early[i] = r.early > 0
			}
			c[impl] = cleanCell(pick(rs, f(impl)), early)
		}
	}
	return c
}

func same(f func(roundResult) time.Duration) func(string) func(roundResult) time.Duration {
	return func(string) func(roundResult) time.Duration { return f }
}

func (b *bench) withEnv(ctx context.Context, tag string, fn func(*env) error) (err error) {
	e, err := b.newEnv(ctx, prefix, tag)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, e.close()) }()
	return fn(e)
}

// failover is figure (a): the master host dies.
func (b *bench) failover(ctx context.Context) error {
	t := timingSecond
	b.section("(a) the master host dies", fmt.Sprintf("%s, -P; the master's cable pulled and every process of its namespace SIGKILLed at a random point of its advert interval. "+
		"Advert gap: the old master's last advert → the new master's first, at the client; bound: the backup's master-down interval, 3 × 1 s + 100/256 s = %s ms (CARP with advskew 100; VRRPv2 with priority 156: the same). "+
		"Client outage: the longest time between two answered echo requests − %v.", t.name, ms(t.bound("carpd")), b.cfg.ping))
	return b.withEnv(ctx, "a", func(e *env) error {
		res, err := b.rounds(ctx, e, b.cfg.impls, t, "kill", nil)
		if err != nil {
			return err
		}
		bound := boundCell(t, b.cfg.impls)
		rows := []row{
			{"advert gap (wire silence)", bound, cells(b.cfg.impls, res, same(gapOf))},
			{"… − bound", "0", cells(b.cfg.impls, res, func(impl string) func(roundResult) time.Duration { return overOf(t, impl) })},
			{"kill → new master's first advert", "", cells(b.cfg.impls, res, same(advertOf))},
			{"client outage (ping every 1 ms)", "", cells(b.cfg.impls, res, same(outageOf))},
		}
		b.table("(a) the master host dies (cable + SIGKILL), "+t.name, msFirst, rows)
		b.headline = append(b.headline,
			row{"(a) master dies: wire silence", bound, cells(b.cfg.impls, res, same(gapOf))},
			row{"(a) master dies: client outage", "", cells(b.cfg.impls, res, same(outageOf))})
		return nil
	})
}

// handover is figure (b): planned handover.
func (b *bench) handover(ctx context.Context) error {
	t := timingSecond
	b.section("(b) planned handover", fmt.Sprintf("%s, no -P (keepalived preempts, as it does by default; the master leaves anyway). "+
		"carpd and ucarp: SIGTERM to the master started with -z; keepalived: SIGTERM (it sends priority 0); carpd also: carpd handover on its control socket. "+
		"Client outage: the longest time between two answered echo requests − %v (0 when none was lost).", t.name, b.cfg.ping))
	return b.withEnv(ctx, "b", func(e *env) error {
		term, err := b.rounds(ctx, e, b.cfg.impls, t, "sigterm", nil)
		if err != nil {
			return err
		}
		var ho map[string][]roundResult
		if slices.Contains(b.cfg.impls, "carpd") {
			if ho, err = b.rounds(ctx, e, []string{"carpd"}, t, "handover", nil); err != nil {
				return err
			}
		}
		rows := []row{
			{"SIGTERM: client outage", "", cells(b.cfg.impls, term, same(outageOf))},
			{"SIGTERM → new master's first advert", "", cells(b.cfg.impls, term, same(advertOf))},
			{"SIGTERM: advert gap", "", cells(b.cfg.impls, term, same(gapOf))},
			{"carpd handover: client outage", "", naCells(b.cfg.impls, ho, outageOf)},
			{"carpd handover → new master's first advert", "", naCells(b.cfg.impls, ho, advertOf)},
		}
		b.table("(b) planned handover, "+t.name, msFirst, rows)
		b.headline = append(b.headline,
			row{"(b) SIGTERM (carpd, ucarp: -z): client outage", "", cells(b.cfg.impls, term, same(outageOf))},
			row{"(b) carpd handover: client outage", "", naCells(b.cfg.impls, ho, outageOf)})
		return nil
	})
}

// naCells is the cells of res, "n/a" for the implementations it lacks.
func naCells(impls []string, res map[string][]roundResult, f func(roundResult) time.Duration) map[string]string {
	c := cells(impls, res, same(f))
	for _, impl := range impls {
		if _, ok := c[impl]; !ok {
			c[impl] = "n/a"
		}
	}
	return c
}

// subsecond is figure (c), its failover part: advbase 0 at 26/52 and 3/6.
func (b *bench) subsecond(ctx context.Context) error {
	b.section("(c) sub-second mode: the master host dies", fmt.Sprintf("carpd and ucarp: -b 0 (the interval is advskew/256 s), master -k 26 (101.6 ms), backup -k 52, and -k 3 (11.7 ms) / 6; "+
		"bound: 3 × the backup's interval, %s ms and %s ms. keepalived: vrrp_version 3, advert_int %s s and %s s (the nearest centisecond to the CARP master's interval), priority %d/%d; "+
		"bound: 3 × advert_int + (256 − %d)/256 × advert_int, %s ms and %s ms. Otherwise as (a).",
		ms(timingSub26.bound("carpd")), ms(timingSub3.bound("carpd")), advertInt(timingSub26.advertCS), advertInt(timingSub3.advertCS), prioMaster, prioBackup, prioBackup,
		ms(timingSub26.bound("keepalived")), ms(timingSub3.bound("keepalived"))))
	return b.withEnv(ctx, "c", func(e *env) error {
		for _, t := range []timing{timingSub26, timingSub3} {
			res, err := b.rounds(ctx, e, b.cfg.impls, t, "kill", nil)
			if err != nil {
				return err
			}
			bound := boundCell(t, b.cfg.impls)
			rows := []row{
				{"advert gap (wire silence)", bound, cells(b.cfg.impls, res, same(gapOf))},
				{"… − bound", "0", cells(b.cfg.impls, res, func(impl string) func(roundResult) time.Duration { return overOf(t, impl) })},
				{"client outage (ping every 1 ms)", "", cells(b.cfg.impls, res, same(outageOf))},
			}
			b.table("(c) sub-second, the master host dies, "+t.name, msFirst, rows)
			b.headline = append(b.headline,
				row{"(c) " + t.name + ": wire silence", bound, cells(b.cfg.impls, res, same(gapOf))},
				row{"(c) " + t.name + ": client outage", "", cells(b.cfg.impls, res, same(outageOf))})
		}
		return nil
	})
}

// health is figure (f): a failing health check moves the VIP.
func (b *bench) health(ctx context.Context) error {
	const checkMS, fall = 200, 3
	impls := slices.DeleteFunc(slices.Clone(b.cfg.impls), func(s string) bool { return s == "ucarp" })
	t := timingSecond
	b.section("(f) a health check fails", fmt.Sprintf("%s, preempt; the master's check runs `/usr/bin/test ! -e FLAG` every %d ms, fall %d, rise 1. "+
		"carpd: carpd -c with a [[check]] (demote 240: advskew 0 + 240 > 100); keepalived: a vrrp_script with fall %d, weight -%d (priority %d − %d < %d) and interval %d s: "+
		"keepalived %s reads the interval in whole seconds (0.2 is refused: \"invalid number '0.2'\", then \"setting to 1\"), so it runs %d× less often. ucarp has no health checks: n/a. "+
		"Measured: the flag file created → the first echo reply from the backup's MAC at the client; bound: fall × interval, plus the takeover.",
		t.name, checkMS, fall, fall, checkWeight, prioMaster, checkWeight, prioBackup, keepalivedCheckSeconds(checkMS), keepalivedVersion(b.labels["keepalived"]), keepalivedCheckSeconds(checkMS)*1000/checkMS))
	return b.withEnv(ctx, "f", func(e *env) error {
		argv := func(e *env, impl, tag string) func(string) ([]string, error) {
			return func(host string) ([]string, error) {
				cmd := "/usr/bin/test ! -e " + e.flag(impl, tag)
				dir := filepath.Join(b.dir, fmt.Sprintf("%s-%s-%s-%s", e.tag, impl, tag, host))
				if err := os.MkdirAll(dir, 0o755); err != nil {
					return nil, err
				}
				if impl == "carpd" {
					conf := filepath.Join(dir, "carpd.toml")
					if err := os.WriteFile(conf, []byte(carpdCheckConfig(host == "m", b.up, b.down, e.control(host, tag), cmd, checkMS, fall)), 0o644); err != nil {
						return nil, err
					}
					return []string{b.cfg.carpd, "-c", conf, "-z", "-f", "none"}, nil
				}
				kn := keepalivedNode{host: host, master: host == "m", t: t, preempt: true}
				if host == "m" {
					kn.checkCmd, kn.checkMS, kn.fall = cmd, checkMS, fall
				}
				conf := filepath.Join(dir, "keepalived.conf")
				if err := os.WriteFile(conf, []byte(keepalivedConfig(kn)), 0o644); err != nil {
					return nil, err
				}
				return keepalivedArgv(b.cfg.keepalived, conf, dir), nil
			}
		}
		res, err := b.rounds(ctx, e, impls, t, "check", argv)
		if err != nil {
			return err
		}
		c := cells(b.cfg.impls, res, same(replyOf))
		o := cells(b.cfg.impls, res, same(outageOf))
		if slices.Contains(b.cfg.impls, "ucarp") {
			c["ucarp"], o["ucarp"] = "n/a", "n/a"
		}
		bound := fmt.Sprintf("carpd %d + takeover; keepalived %d + takeover", fall*checkMS, fall*keepalivedCheckSeconds(checkMS)*1000)
		rows := []row{
			{"flag → the backup's first echo reply", bound, c},
			{"flag → the backup's first advert", "", naCells(b.cfg.impls, res, advertOf)},
			{"client outage (ping every 1 ms)", "", o},
		}
		b.table(fmt.Sprintf("(f) a health check fails (interval %d ms, fall %d), %s", checkMS, fall, t.name), msFirst, rows)
		b.headline = append(b.headline, row{fmt.Sprintf("(f) check fails (%d ms × %d; keepalived %d s × %d) → backup answers", checkMS, fall, keepalivedCheckSeconds(checkMS), fall), bound, c})
		return nil
	})
}

// scale is figure (d): scalebench's run, with this run's carpd.
func (b *bench) scale(ctx context.Context) error {
	b.section("(d) many groups: CPU and memory", "scripts/scale-bench's measurement (see scripts/README.md), run from here with this run's carpd.")
	args := []string{"-n", strconv.Itoa(b.cfg.scaleN), "-window", b.cfg.scaleWindow.String(), "-rounds", strconv.Itoa(b.cfg.scaleRounds),
		"-impl", strings.Join(b.cfg.impls, ","), "-carpd", b.cfg.carpd, "-ucarp", b.cfg.ucarp, "-keepalived", b.cfg.keepalived}
	var buf bytes.Buffer
	figs, err := scalebench.Run(ctx, args, io.MultiWriter(b.out, &buf), b.stderr)
	if err != nil {
		return err
	}
	cpu, mem := map[string]string{}, map[string]string{}
	for _, f := range figs {
		st := ""
		if !f.Stable {
			st = " (unstable)"
		}
		cpu[f.Impl] = fmt.Sprintf("%.2f %% of a core (%d processes)%s", f.CPU, f.Procs, st)
		mem[f.Impl] = fmt.Sprintf("%.1f MiB RSS, %.1f MiB PSS", f.RSS, f.PSS)
	}
	fmt.Fprintf(&b.tables, "(d) %d groups, advbase 1, both hosts summed, over %v (median of %d round(s))\n\n", b.cfg.scaleN, b.cfg.scaleWindow, b.cfg.scaleRounds)
	markdown(&b.tables, "", b.cfg.impls, []row{{"CPU", "", cpu}, {"memory", "", mem}})
	fmt.Fprintln(&b.tables)
	n := strconv.Itoa(b.cfg.scaleN)
	b.headline = append(b.headline, row{"(d) " + n + " groups: CPU, both hosts", "", cpu}, row{"(d) " + n + " groups: memory", "", mem})
	return nil
}

// codec is figure (e): go test -bench in hmac and wire, parsed.
func (b *bench) codec(ctx context.Context) error {
	b.section("(e) codec: sign and verify", fmt.Sprintf("go test -bench in ./hmac and ./wire (-benchmem -count %d): carpd's Signer (a keyed HMAC-SHA1 state, reused) against a bare crypto/hmac HMAC-SHA1 of the same bytes, new each time and reset; "+
		"ParseVerify is a whole received advert (IP header, checksum, digest), SignAppendIPv4 a whole sent one. ucarp and keepalived are C: not measured here (n/a).", b.cfg.codecCount))
	var all []goBench
	for _, pkg := range []struct{ dir, re string }{
		{"./hmac", "^Benchmark(Sign|Verify|BareHMACSHA1|BareHMACSHA1Reused)$"},
		{"./wire", "^Benchmark(ParseVerify|SignAppendIPv4)$"},
	} {
		cmd := exec.CommandContext(ctx, "go", "test", "-run", "^$", "-bench", pkg.re, "-benchmem", "-count", strconv.Itoa(b.cfg.codecCount), pkg.dir)
		fmt.Fprintf(b.out, "$ %s\n", strings.Join(cmd.Args, " "))
		out, err := cmd.CombinedOutput()
		b.out.Write(out)
		if err != nil {
			return fmt.Errorf("%s: %w", strings.Join(cmd.Args, " "), err)
		}
		all = append(all, parseGoBench(bytes.NewReader(out))...)
	}
	names := []string{"BenchmarkSign", "BenchmarkVerify", "BenchmarkBareHMACSHA1", "BenchmarkBareHMACSHA1Reused", "BenchmarkParseVerify", "BenchmarkSignAppendIPv4"}
	var rows []row
	for _, name := range names {
		var ns, al, by []float64
		for _, g := range all {
			if g.name == name {
				ns, al, by = append(ns, g.nsOp), append(al, g.allocs), append(by, g.bOp)
			}
		}
		if len(ns) == 0 {
			return fmt.Errorf("no result for %s", name)
		}
		med, lo, hi := floatSummary(ns)
		a, _, _ := floatSummary(al)
		bb, _, _ := floatSummary(by)
		rows = append(rows, row{strings.TrimPrefix(name, "Benchmark"), "", map[string]string{
			"carpd": fmt.Sprintf("%.1f ns/op [%.1f – %.1f], %.0f allocs/op, %.0f B/op", med, lo, hi, a, bb)}})
	}
	for i := range rows {
		for _, impl := range b.cfg.impls {
			if impl != "carpd" {
				rows[i].cells[impl] = "n/a"
			}
		}
	}
	b.table(fmt.Sprintf("(e) codec, go test -bench -benchmem -count %d (median [min – max])", b.cfg.codecCount), "benchmark", rows)
	for _, r := range rows[:3] {
		b.headline = append(b.headline, row{"(e) " + r.label, "", r.cells})
	}
	return nil
}
