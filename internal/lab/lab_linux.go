//go:build linux

package lab

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Main is carpd lab: it parses args and runs the lab, writing the timeline
// to w. ctx ends the lab early (Ctrl-C); the LAN is removed in every case.
func Main(ctx context.Context, args []string, w io.Writer) error {
	o, err := ParseArgs(args)
	if err != nil {
		return fmt.Errorf("%w (carpd lab -h shows the options)", err)
	}
	if o.Help {
		_, err := io.WriteString(w, Usage)
		return err
	}
	return Run(ctx, o, w)
}

// nodeSpec is one CARP node of the scenario.
type nodeSpec struct {
	name  string // "A"
	host  Host
	flags []string // carpd flags besides the common ones
	about string
}

func labHosts() ([]nodeSpec, Host) {
	mac := func(b byte) net.HardwareAddr { return net.HardwareAddr{0x02, 0, 0, 0, 0, b} }
	pfx := func(a netip.Addr) netip.Prefix { return netip.PrefixFrom(a, 24) }
	nodes := []nodeSpec{
		{"A", Host{"a", pfx(NodeAddrs[0]), mac(0x0a)}, []string{"-k", "0", "-P"}, "preferred (advskew 0), preempts"},
		{"B", Host{"b", pfx(NodeAddrs[1]), mac(0x0b)}, []string{"-k", "50"}, "backup (advskew 50)"},
		{"C", Host{"c", pfx(NodeAddrs[2]), mac(0x0c)}, []string{"-k", "100"}, "backup (advskew 100)"},
	}
	return nodes, Host{"client", pfx(ClientAddr), mac(0x50)}
}

// lab is one run of the scenario.
type lab struct {
	opts    Options
	exe     string
	lan     *LAN
	tl      *timeline
	log     io.Writer // node logs (file or timeline)
	logPath string
	logMu   sync.Mutex
	specs   []nodeSpec

	mu      sync.Mutex
	changed chan struct{} // closed and replaced on every node state change
	nodes   map[string]*node
	adverts []Advert // seen by the client, in order
}

// node is a running (or stopped) carpd of the scenario.
type node struct {
	spec     nodeSpec
	proc     *Process
	state    string    // INIT, BACKUP, MASTER, STOPPED, or EXITED (unexpectedly)
	since    time.Time // when state was entered
	stopping bool      // we are stopping it: an exit is expected
}

// Run builds the LAN, runs the scenario and removes everything again, also
// when ctx ends early or a step fails.
func Run(ctx context.Context, o Options, w io.Writer) (err error) {
	if err := Check(); err != nil {
		return err
	}
	exe := o.Executable
	if exe == "" {
		if exe, err = os.Executable(); err != nil {
			return fmt.Errorf("lab: finding carpd: %w", err)
		}
	}
	if exe, err = filepath.Abs(exe); err != nil {
		return err
	}
	tl := &timeline{w: w, start: time.Now()}
	l := &lab{opts: o, exe: exe, tl: tl, changed: make(chan struct{}), nodes: map[string]*node{}}

	if stale, err := RemoveStale(context.WithoutCancel(ctx), Prefix); err != nil {
		return fmt.Errorf("lab: removing the leftovers of an earlier run: %w", err)
	} else if len(stale) > 0 {
		tl.say("Removed the leftovers of an earlier run: %s", strings.Join(stale, ", "))
	}

	dir, err := os.MkdirTemp("", "carplab-")
	if err != nil {
		return err
	}
	logPath := filepath.Join(dir, "nodes.log")
	l.logPath = logPath
	if o.Verbose {
		l.log = tl
	} else {
		f, err := os.Create(logPath)
		if err != nil {
			return err
		}
		defer f.Close()
		l.log = f
	}

	specs, client := labHosts()
	l.specs = specs
	hosts := []Host{}
	for _, s := range specs {
		hosts = append(hosts, s.host)
	}
	hosts = append(hosts, client)
	l.printIntro(client, logPath)

	built := time.Now()
	lan, err := NewLAN(ctx, Prefix, hosts)
	if err != nil {
		if ctx.Err() != nil {
			return ErrInterrupted
		}
		return err
	}
	l.lan = lan
	defer func() {
		nodes, procs := l.stopAll()
		cerr := lan.Close()
		left, lerr := Namespaces(context.Background(), Prefix)
		switch {
		case cerr != nil || lerr != nil || len(left) > 0:
			tl.say("Cleanup incomplete: %v %v; remove by hand: %s", cerr, lerr, strings.Join(left, " "))
			err = errors.Join(err, cerr, lerr)
		default:
			tl.say("Cleaned up: stopped %d carpd processes (%s), deleted %d namespaces.", procs, nodes, len(hosts)+1)
		}
		if !o.Verbose {
			tl.say("Node logs: %s", logPath)
		}
	}()
	tl.event("LAN built in %s: a bridge, nodes A, B, C and the client", ms(time.Since(built)))
	watch, err := WatchAdverts(lan.Namespace(client.Name), func(a Advert) {
		l.mu.Lock()
		l.adverts = append(l.adverts, a)
		l.notify()
		l.mu.Unlock()
	})
	if err != nil {
		return err
	}
	defer watch.Close()

	if err := l.scenario(ctx); err != nil {
		if ctx.Err() != nil {
			tl.say("Interrupted: cleaning up.")
			return ErrInterrupted
		}
		tl.event("FAILED: %v", err)
		if !o.Verbose {
			l.showLogTail(10)
		}
		return err
	}
	// With --keep, Ctrl-C is the normal end, whenever it comes.
	if o.Keep {
		if err := l.keep(ctx); err != nil && ctx.Err() == nil {
			return err
		}
	}
	return nil
}

// showLogTail prints the last n lines of the node log, to explain a failure.
func (l *lab) showLogTail(n int) {
	l.logMu.Lock()
	b, err := os.ReadFile(l.logPath)
	l.logMu.Unlock()
	if err != nil || len(b) == 0 {
		return
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	lines = lines[max(0, len(lines)-n):]
	l.tl.say("The end of the node log (%s):", l.logPath)
	for _, line := range lines {
		l.tl.say("    %s", line)
	}
}

func (l *lab) printIntro(client Host, logPath string) {
	t := l.tl
	t.say("carpd lab: three carpd nodes and a client on a LAN of network namespaces")
	t.say("")
	t.say("  %-7s %-16s bridge br0 (multicast snooping off)", "switch", Prefix+"br")
	for _, s := range l.specs {
		t.say("  %-7s %-16s %-15s %s  carpd %s: %s", "node "+s.name, Prefix+s.host.Name, s.host.Addr.Addr(), s.host.MAC, strings.Join(s.flags, " "), s.about)
	}
	t.say("  %-7s %-16s %-15s %s", "client", Prefix+client.Name, client.Addr.Addr(), client.MAC)
	t.say("  VIP %s, vhid %d, advbase 1 s; every node runs with --manage-vips -z -f none", VIP, VHID)
	if l.opts.Verbose {
		t.say("  node logs: below, prefixed [A], [B], [C]")
	} else {
		t.say("  node logs: %s (-v shows them here)", logPath)
	}
	t.say("")
}

// args is the carpd command line of a node.
func (l *lab) args(s nodeSpec) []string {
	a := []string{l.exe,
		"-i", Interface, "-s", s.host.Addr.Addr().String(), "-v", strconv.Itoa(VHID),
		"-p", Password, "-a", VIP.String(), "-b", "1",
	}
	a = append(a, s.flags...)
	return append(a, "--manage-vips", "-z", "-f", "none")
}

func (l *lab) spec(name string) nodeSpec {
	for _, s := range l.specs {
		if s.name == name {
			return s
		}
	}
	panic("lab: no node " + name)
}

// start starts the node's carpd.
func (l *lab) start(name string) error {
	s := l.spec(name)
	n := &node{spec: s, state: "INIT", since: time.Now()}
	p, err := StartProcess(l.lan.Namespace(s.host.Name), name, l.args(s), func(line string) { l.onLine(n, line) })
	if err != nil {
		return err
	}
	l.mu.Lock()
	n.proc = p
	l.nodes[name] = n
	l.mu.Unlock()
	go func() {
		<-p.Done()
		l.mu.Lock()
		defer l.mu.Unlock()
		if l.nodes[name] != n {
			return
		}
		if n.stopping {
			n.state = "STOPPED"
		} else {
			n.state = "EXITED"
			l.tl.event("%s's carpd exited unexpectedly: %v (see the node log)", name, p.err)
		}
		n.since = time.Now()
		l.notify()
	}()
	return nil
}

// notify wakes the waiters; l.mu must be held.
func (l *lab) notify() {
	close(l.changed)
	l.changed = make(chan struct{})
}

// onLine handles one log line of a node: it goes to the node log, and state
// changes and errors go to the timeline.
func (l *lab) onLine(n *node, line string) {
	name := n.spec.name
	if l.opts.Verbose {
		l.tl.raw("            [%s] %s", name, line)
	} else {
		l.logMu.Lock()
		fmt.Fprintf(l.log, "%s [%s] %s\n", time.Now().Format("15:04:05.000000"), name, line)
		l.logMu.Unlock()
	}
	state := ""
	switch {
	case strings.Contains(line, "switching to state: MASTER"):
		state = "MASTER"
	case strings.Contains(line, "switching to state: BACKUP"):
		state = "BACKUP"
	case strings.Contains(line, "switching to state: INIT"):
		state = "INIT" // carrier lost
	case strings.Contains(line, "level=ERROR") && !l.opts.Verbose:
		l.tl.event("%s logged an error: %s", name, logField(line, "msg"))
	}
	if state == "" {
		return
	}
	now := time.Now()
	l.mu.Lock()
	n.state, n.since = state, now
	l.notify()
	l.mu.Unlock()
	reason := logField(line, "reason")
	if reason != "" {
		reason = " (" + reason + ")"
	}
	l.tl.eventAt(now, "%s is %s%s", name, state, reason)
}

// logField returns the value of key in a log/slog text line.
func logField(line, key string) string {
	i := strings.Index(line, " "+key+"=")
	if i < 0 {
		return ""
	}
	rest := line[i+len(key)+2:]
	if strings.HasPrefix(rest, `"`) {
		if q, err := strconv.QuotedPrefix(rest); err == nil {
			if s, err := strconv.Unquote(q); err == nil {
				return s
			}
		}
	}
	v, _, _ := strings.Cut(rest, " ")
	return v
}

// waitFor waits until cond (called with l.mu held) is true.
func (l *lab) waitFor(ctx context.Context, timeout time.Duration, what string, cond func() bool) error {
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	for {
		l.mu.Lock()
		ok, ch := cond(), l.changed
		l.mu.Unlock()
		if ok {
			return nil
		}
		if name := l.exited(); name != "" {
			return fmt.Errorf("%w: %s's carpd exited while waiting for %s", ErrScenario, name, what)
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		case <-timer.C:
			return fmt.Errorf("%w: %s: not within %v", ErrScenario, what, timeout)
		}
	}
}

// exited names a node whose carpd exited unexpectedly, if any.
func (l *lab) exited() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	for k, n := range l.nodes {
		if n.state == "EXITED" {
			return k
		}
	}
	return ""
}

// waitMaster waits until name is MASTER and every other running node is
// BACKUP; it returns when name became MASTER.
func (l *lab) waitMaster(ctx context.Context, name string, timeout time.Duration) (time.Time, error) {
	_, since, err := l.waitAnyMaster(ctx, timeout, name)
	return since, err
}

// waitAnyMaster waits until exactly one running node is MASTER, one of
// names, and returns which and since when.
func (l *lab) waitAnyMaster(ctx context.Context, timeout time.Duration, names ...string) (string, time.Time, error) {
	var (
		master string
		since  time.Time
	)
	err := l.waitFor(ctx, timeout, strings.Join(names, " or ")+" to be the only MASTER", func() bool {
		master = ""
		for k, n := range l.nodes {
			if n.state != "MASTER" {
				continue
			}
			if master != "" || !slices.Contains(names, k) {
				return false
			}
			master = k
		}
		if master == "" {
			return false
		}
		since = l.nodes[master].since
		return true
	})
	return master, since, err
}

// advertGap waits for the first advert from to after t and returns the
// last advert from from before it (the one the backups timed) and that one.
func (l *lab) advertGap(ctx context.Context, from, to string, t time.Time) (last, first Advert, err error) {
	fromIP, toIP := l.spec(from).host.Addr.Addr(), l.spec(to).host.Addr.Addr()
	err = l.waitFor(ctx, time.Second, to+"'s first advert", func() bool {
		for _, a := range l.adverts {
			if a.Src == toIP && a.Time.After(t) {
				first = a
				break
			}
		}
		if first.Src != toIP {
			return false
		}
		for _, a := range l.adverts {
			if a.Src == fromIP && a.Time.Before(first.Time) {
				last = a
			}
		}
		return last.Src == fromIP
	})
	return last, first, err
}

// stop stops a node: SIGKILL (the host dies) or SIGTERM (a planned stop).
func (l *lab) stop(name string, sig syscall.Signal) *node {
	l.mu.Lock()
	n := l.nodes[name]
	n.stopping = true
	l.mu.Unlock()
	_ = n.proc.Signal(sig)
	return n
}

// stopAll kills every node still running; it returns their names and count.
func (l *lab) stopAll() (string, int) {
	l.mu.Lock()
	var running []*node
	for _, n := range l.nodes {
		n.stopping = true
		select {
		case <-n.proc.Done():
		default:
			running = append(running, n)
		}
	}
	l.mu.Unlock()
	var names []string
	for _, n := range running {
		n.proc.Stop(syscall.SIGKILL, time.Second)
		names = append(names, n.spec.name)
	}
	if len(names) == 0 {
		return "none still running", 0
	}
	return strings.Join(names, ", "), len(names)
}

// vipHolders lists the running nodes whose eth0 has the VIP.
func (l *lab) vipHolders(ctx context.Context) ([]string, error) {
	var out []string
	for _, s := range l.specs {
		l.mu.Lock()
		n := l.nodes[s.name]
		alive := n != nil && (n.state == "MASTER" || n.state == "BACKUP" || n.state == "INIT")
		l.mu.Unlock()
		if !alive {
			continue
		}
		ok, err := l.lan.HasAddr(ctx, s.host.Name, VIP)
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, s.name)
		}
	}
	return out, nil
}

// waitVIP waits until exactly name holds the VIP among running nodes (VIP
// changes are applied asynchronously after the state change).
func (l *lab) waitVIP(ctx context.Context, name string) error {
	deadline := time.Now().Add(3 * time.Second)
	for {
		holders, err := l.vipHolders(ctx)
		if err != nil {
			return err
		}
		if len(holders) == 1 && holders[0] == name {
			l.tl.event("VIP %s is on %s's eth0 (and on no other running node)", VIP, name)
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%w: VIP on %v, want only on %s", ErrScenario, holders, name)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// reach pings the VIP from the client and reports which node's MAC
// answered; want is the node expected to.
func (l *lab) reach(ctx context.Context, want string) error {
	const client = "client"
	start := time.Now()
	var rtt time.Duration
	var err error
	tries := 0
	for time.Since(start) < 4*time.Second {
		tries++
		if rtt, err = Ping(ctx, l.lan.Namespace(client), VIP, 500*time.Millisecond); err == nil || ctx.Err() != nil {
			break
		}
	}
	if err != nil {
		return fmt.Errorf("%w: the client cannot reach the VIP: %v", ErrScenario, err)
	}
	mac, state, err := l.lan.Neighbour(ctx, client, VIP)
	if err != nil {
		return err
	}
	who := "an unknown host"
	for _, s := range l.specs {
		if mac != nil && mac.String() == s.host.MAC.String() {
			who = s.name
		}
	}
	extra := ""
	if tries > 1 {
		extra = fmt.Sprintf(" (after %d tries, %s)", tries, ms(time.Since(start)))
	}
	l.tl.event("client pings %s: reply in %s%s; its ARP entry: %s = %s (%s, %s)", VIP, ms(rtt), extra, VIP, mac, who, state)
	if who != want {
		return fmt.Errorf("%w: the client's ARP entry for the VIP points to %s, want %s", ErrScenario, who, want)
	}
	return nil
}

func (l *lab) scenario(ctx context.Context) error {
	tl := l.tl

	tl.step("1. Election")
	tl.event("starting carpd on A, B and C: each starts as BACKUP and waits 3 × advbase + advskew/256 for a master")
	for _, s := range l.specs {
		if err := l.start(s.name); err != nil {
			return err
		}
	}
	started := time.Now()
	since, err := l.waitMaster(ctx, "A", 10*time.Second)
	if err != nil {
		return err
	}
	tl.event("A won the election %s after the start: its master-down timer (3 × 1 s + 0/256 s) ran out first", sec(since.Sub(started)))
	if err := l.waitVIP(ctx, "A"); err != nil {
		return err
	}
	if err := l.reach(ctx, "A"); err != nil {
		return err
	}

	tl.step("2. The master dies")
	// Let B and C hear a few adverts from A first.
	if err := Sleep(ctx, 1500*time.Millisecond); err != nil {
		return err
	}
	killed := time.Now()
	l.stop("A", syscall.SIGKILL)
	if err := l.lan.SetPortUp(ctx, "a", false); err != nil {
		return err
	}
	tl.event("A dies: SIGKILL to its carpd and its bridge port down (its VIP stays on its dead eth0)")
	since, err = l.waitMaster(ctx, "B", 10*time.Second)
	if err != nil {
		return err
	}
	tl.event("B took over %s after A died; C (master-down 3 + 100/256 = 3.391 s) stays BACKUP", sec(since.Sub(killed)))
	last, first, err := l.advertGap(ctx, "A", "B", killed)
	if err != nil {
		return err
	}
	tl.event("on the wire (seen by the client): A's last advert at %s, B's first at %s: %s apart; B's bound: 3 × 1 s + 50/256 s = %s",
		tl.rel(last.Time), tl.rel(first.Time), sec(first.Time.Sub(last.Time)), sec(3*time.Second+50*time.Second/256))
	if err := l.waitVIP(ctx, "B"); err != nil {
		return err
	}
	if err := l.reach(ctx, "B"); err != nil {
		return err
	}

	tl.step("3. The master comes back and preempts")
	// A rebooted host has lost the VIP it held.
	if err := l.lan.DelAddr(ctx, "a", VIP); err != nil {
		return err
	}
	if err := l.lan.SetPortUp(ctx, "a", true); err != nil {
		return err
	}
	back := time.Now()
	if err := l.start("A"); err != nil {
		return err
	}
	tl.event("A is back: port up, carpd restarted (-P: it takes over as soon as it hears the worse master B)")
	since, err = l.waitMaster(ctx, "A", 10*time.Second)
	if err != nil {
		return err
	}
	tl.event("A preempted B %s after its restart (at B's next advert, within B's interval of 1 + 50/256 s)", sec(since.Sub(back)))
	if err := l.waitVIP(ctx, "A"); err != nil {
		return err
	}
	if err := l.reach(ctx, "A"); err != nil {
		return err
	}

	tl.step("4. Planned handover")
	if err := Sleep(ctx, 1500*time.Millisecond); err != nil {
		return err
	}
	termed := time.Now()
	n := l.stop("A", syscall.SIGTERM)
	tl.event("SIGTERM to A (started with -z): it removes the VIP and bows out with one advert (advbase 255, advskew 255)")
	// B answers the bow-out first (its stagger, 50/4096 s, is shorter
	// than C's); on a badly overloaded host C may get there first, and
	// then B hears a master and stays BACKUP: one master either way.
	heir, since, err := l.waitAnyMaster(ctx, 5*time.Second, "B", "C")
	if err != nil {
		return err
	}
	if heir == "C" {
		tl.event("C answered first: B's reply to the bow-out came later than its 12 ms stagger (a busy host), so B heard C and stayed BACKUP")
	}
	tl.event("%s took over %s after the SIGTERM: no 3-second wait for a planned handover", heir, ms(since.Sub(termed)))
	last, first, err = l.advertGap(ctx, "A", heir, termed)
	if err != nil {
		return err
	}
	kind := "last advert"
	if last.BowOut() {
		kind = "bow-out advert"
	}
	tl.event("on the wire: A's %s at %s, %s's first advert at %s: %s apart", kind, tl.rel(last.Time), heir, tl.rel(first.Time), ms(first.Time.Sub(last.Time)))
	if err := n.proc.Wait(ctx); err != nil {
		if ctx.Err() != nil {
			return err
		}
		tl.event("A's carpd exited with %v", err)
	} else {
		tl.event("A's carpd exited cleanly")
	}
	if err := l.waitVIP(ctx, heir); err != nil {
		return err
	}
	if err := l.reach(ctx, heir); err != nil {
		return err
	}
	tl.step("Done")
	return nil
}

// keep restarts A and leaves the LAN up until ctx ends.
func (l *lab) keep(ctx context.Context) error {
	l.tl.event("--keep: restarting A, so that all three nodes run")
	if err := l.start("A"); err != nil {
		return err
	}
	if _, err := l.waitMaster(ctx, "A", 10*time.Second); err != nil {
		return err
	}
	pids := map[string]int{}
	l.mu.Lock()
	for k, n := range l.nodes {
		pids[k] = n.proc.PID()
	}
	l.mu.Unlock()
	ns := func(h string) string { return l.lan.Namespace(h) }
	t := l.tl
	t.say("")
	t.say("The LAN stays up until Ctrl-C (--keep); A is MASTER again. Things to try, as root:")
	try := func(cmd, why string) { t.say("  %-70s # %s", cmd, why) }
	try(fmt.Sprintf("ip -n %s neigh show %s", ns("client"), VIP), "whose MAC the client uses for the VIP")
	try(fmt.Sprintf("ip -n %s -br addr show dev eth0", ns("a")), "A's addresses: the VIP is there")
	try(fmt.Sprintf("ip netns exec %s tcpdump -eni eth0 'ip proto 112 or arp'", ns("client")), "adverts and gratuitous ARP")
	try(fmt.Sprintf("ip netns exec %s %s inspect -p %s -a %s -i eth0", ns("client"), l.exe, Password, VIP), "decode and verify adverts")
	try(fmt.Sprintf("kill -USR1 %d", pids["A"]), "A logs its state")
	try(fmt.Sprintf("kill -USR2 %d", pids["A"]), "A hands over to B (and preempts back)")
	try(fmt.Sprintf("ip -n %s link set %s down", l.lan.Bridge, l.lan.Port("a")), "pull A's cable (up: plug it back)")
	try(fmt.Sprintf("kill -TERM %d", pids["A"]), "planned handover: A bows out and exits")
	if !l.opts.Verbose {
		try("tail -f "+l.logPath, "the nodes' logs; state changes also appear below")
	}
	t.say("")
	<-ctx.Done()
	t.say("")
	t.say("Ctrl-C: stopping the lab.")
	return nil
}

// Sleep waits d, or until ctx ends (then it returns ctx's error).
func Sleep(ctx context.Context, d time.Duration) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(d):
		return nil
	}
}

// timeline writes timestamped lines relative to the lab's start.
type timeline struct {
	mu    sync.Mutex
	w     io.Writer
	start time.Time
}

func (t *timeline) eventAt(at time.Time, format string, args ...any) {
	t.mu.Lock()
	defer t.mu.Unlock()
	fmt.Fprintf(t.w, "%9s  %s\n", t.rel(at), fmt.Sprintf(format, args...))
}

// rel formats at relative to the start, as the timeline does.
func (t *timeline) rel(at time.Time) string { return fmt.Sprintf("+%.3fs", at.Sub(t.start).Seconds()) }

func (t *timeline) event(format string, args ...any) { t.eventAt(time.Now(), format, args...) }

func (t *timeline) step(title string) {
	t.say("")
	t.say("%s", title)
}

func (t *timeline) say(format string, args ...any) {
	t.mu.Lock()
	defer t.mu.Unlock()
	fmt.Fprintf(t.w, format+"\n", args...)
}

func (t *timeline) raw(format string, args ...any) { t.say(format, args...) }

// Write lets the timeline take the nodes' logs in verbose mode.
func (t *timeline) Write(b []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.w.Write(b)
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond)) }

func sec(d time.Duration) string { return fmt.Sprintf("%.3f s", d.Seconds()) }
