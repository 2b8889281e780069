package integration

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/net/icmp"
	"golang.org/x/net/ipv4"

	"github.com/gocarp/gocarp/internal/netns"
)

// Waits. They bound conditions, never measure speed: a slow CI machine
// only makes the tests slower.
const (
	// convergeTimeout bounds every wait for a state to be reached.
	convergeTimeout = 15 * time.Second
	// stableFor is how long a converged state must then hold.
	stableFor = 2 * time.Second
	// sampleEvery is the polling period of every wait.
	sampleEvery = 100 * time.Millisecond
	// exitTimeout bounds the wait for a signalled process to exit.
	exitTimeout = 15 * time.Second
)

// The defaults of every group in these tests.
var (
	vip          = netip.MustParseAddr("198.51.100.100")
	defaultVHID  = "42"
	defaultPass  = "secret"
	ucarpBinPath = "/usr/sbin/ucarp"
)

// Kinds of node.
const (
	kindCarpd = "carpd"
	kindUcarp = "ucarp"
)

// newLAN builds a LAN of n hosts, or skips t without root. Besides the
// netns cleanup it kills whatever still runs in the host namespaces at the
// end (daemons started with -B, scripts), so nothing outlives the test.
func newLAN(t *testing.T, name string, n int) *netns.LAN {
	t.Helper()
	netns.Available(t)
	require.NotEmpty(t, carpdBin, "TestMain did not build carpd")
	lan := netns.NewLAN(t, name, n)
	t.Cleanup(func() {
		for _, h := range lan.Hosts {
			killNamespace(h)
		}
	})
	return lan
}

// killNamespace kills every process in h's namespace.
func killNamespace(h *netns.Host) {
	out, err := exec.Command("ip", "netns", "pids", h.Namespace).Output()
	if err != nil {
		return
	}
	for _, f := range strings.Fields(string(out)) {
		// Not ourselves: a thread of ours may sit in the namespace (a
		// goroutine locked there by Host.Run that ended on the main
		// thread, which cannot exit, leaves it there).
		if pid, err := strconv.Atoi(f); err == nil && pid > 1 && pid != os.Getpid() {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	}
}

// requireUcarp skips t unless Debian's ucarp is installed.
func requireUcarp(t *testing.T) string {
	t.Helper()
	if _, err := os.Stat(ucarpBinPath); err == nil {
		return ucarpBinPath
	}
	p, err := exec.LookPath("ucarp")
	if err != nil {
		t.Skip("ucarp is not installed (apt-get install ucarp); the interop tests need the real one")
	}
	return p
}

// output is a process's combined stdout and stderr: each line goes to the
// test log, prefixed with the node's name, and all of it is kept for
// assertions.
type output struct {
	t     testing.TB
	name  string
	start time.Time

	mu      sync.Mutex
	all     bytes.Buffer
	partial []byte
	closed  bool // the test is ending: stop calling t.Logf
}

func (o *output) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.all.Write(p)
	o.partial = append(o.partial, p...)
	for {
		i := bytes.IndexByte(o.partial, '\n')
		if i < 0 {
			break
		}
		o.logLine(o.partial[:i])
		o.partial = o.partial[i+1:]
	}
	return len(p), nil
}

// logLine logs one line; o.mu is held.
func (o *output) logLine(line []byte) {
	if !o.closed {
		o.t.Logf("%6.2fs %s: %s", time.Since(o.start).Seconds(), o.name, line)
	}
}

// String returns everything the process wrote so far.
func (o *output) String() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.all.String()
}

// close logs a last unterminated line and stops logging.
func (o *output) close() {
	o.mu.Lock()
	defer o.mu.Unlock()
	if len(o.partial) > 0 {
		o.logLine(o.partial)
		o.partial = nil
	}
	o.closed = true
}

// proc is one process running inside a host namespace. Its PID is the
// program's own: ip netns exec execs it, so signals reach it directly.
type proc struct {
	name string
	cmd  *exec.Cmd
	out  *output
	done chan struct{} // closed once the process has been waited for
	err  error         // from Wait, valid after done
}

// startProc starts bin in h's namespace. It is killed when the test ends.
func startProc(t *testing.T, h *netns.Host, name, bin string, args ...string) *proc {
	t.Helper()
	out := &output{t: t, name: name, start: time.Now()}
	cmd := h.Command(context.Background(), bin, args...)
	cmd.Stdout, cmd.Stderr = out, out
	// Scripts the daemon started may hold its output pipe a little longer.
	cmd.WaitDelay = 3 * time.Second
	t.Logf("%s: starting %s %s", name, filepath.Base(bin), strings.Join(args, " "))
	require.NoError(t, startOrphanProof(cmd))
	p := &proc{name: name, cmd: cmd, out: out, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		p.kill()
		out.close()
	})
	return p
}

// spawner is a goroutine locked to an OS thread that never exits: every
// daemon is forked from it, with a parent-death signal. The kernel sends
// that signal when the forking thread dies, so a daemon started from an
// ordinary thread could be killed when the Go runtime retires that thread
// (Host.Run retires the threads it locks). With the spawner, daemons die
// only with the test binary, even when it is killed or times out, where
// no t.Cleanup runs.
var spawner = func() chan func() {
	ch := make(chan func())
	go func() {
		runtime.LockOSThread() // for ever: the thread must outlive every child
		for f := range ch {
			f()
		}
	}()
	return ch
}()

// startOrphanProof starts cmd from the spawner thread with SIGKILL as its
// parent-death signal (kept across ip netns exec's execve).
func startOrphanProof(cmd *exec.Cmd) error {
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Pdeathsig = syscall.SIGKILL
	errc := make(chan error, 1)
	spawner <- func() { errc <- cmd.Start() }
	return <-errc
}

// exited reports whether the process has exited.
func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// signal sends sig to the process.
func (p *proc) signal(t *testing.T, sig syscall.Signal) {
	t.Helper()
	require.False(t, p.exited(), "%s: signal %v: the process has already exited: %v", p.name, sig, p.err)
	require.NoError(t, p.cmd.Process.Signal(sig), "%s: signal %v", p.name, sig)
}

// kill kills the process and its group and waits for it.
func (p *proc) kill() {
	if p.exited() {
		return
	}
	_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
	_ = p.cmd.Process.Kill()
	select {
	case <-p.done:
	case <-time.After(exitTimeout):
	}
}

// waitExit waits for the process to exit and returns its exit code.
func (p *proc) waitExit(t *testing.T) int {
	t.Helper()
	select {
	case <-p.done:
	case <-time.After(exitTimeout):
		t.Fatalf("%s: still running %v after it was told to stop", p.name, exitTimeout)
	}
	var ee *exec.ExitError
	switch {
	case p.err == nil:
		return 0
	case errors.As(p.err, &ee):
		return ee.ExitCode()
	default:
		t.Fatalf("%s: wait: %v", p.name, p.err)
		return -1
	}
}

// waitOutput waits until the process's output matches re and returns the
// first match (with its groups).
func (p *proc) waitOutput(t *testing.T, re *regexp.Regexp) []string {
	t.Helper()
	deadline := time.Now().Add(convergeTimeout)
	for {
		if m := re.FindStringSubmatch(p.out.String()); m != nil {
			return m
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: no output matching %q after %v", p.name, re, convergeTimeout)
		}
		if p.exited() {
			t.Fatalf("%s: exited (%v) without output matching %q", p.name, p.err, re)
		}
		time.Sleep(sampleEvery)
	}
}

// node is a CARP daemon (carpd or ucarp) placed on a host, with ucarp-style
// up/down scripts that add and delete the VIP and record UP/DOWN lines.
type node struct {
	name string
	kind string
	host *netns.Host
	bin  string
	args []string // everything but the scripts

	dir      string // scripts and the events file
	up, down string
	events   string

	p *proc // the latest process; nil before start
}

// newNode prepares a node; start runs it. vipScripts false gives scripts
// that only record the event (for carpd --manage-vips).
func newNode(t *testing.T, kind, name string, h *netns.Host, vipScripts bool, args ...string) *node {
	t.Helper()
	n := &node{name: name, kind: kind, host: h, args: args, dir: t.TempDir()}
	switch kind {
	case kindCarpd:
		n.bin = carpdBin
	case kindUcarp:
		n.bin = requireUcarp(t)
	default:
		t.Fatalf("unknown node kind %q", kind)
	}
	n.events = filepath.Join(n.dir, "events")
	ip, err := exec.LookPath("ip")
	require.NoError(t, err)
	upCmd, downCmd := ":", ":"
	if vipScripts {
		upCmd = fmt.Sprintf(`%s addr add "$2"/24 dev "$1"`, ip)
		downCmd = fmt.Sprintf(`%s addr del "$2"/24 dev "$1" 2>/dev/null`, ip)
	}
	// ucarp's calling convention: $1 interface, $2 VIP, $3 xparam if any.
	n.up = n.script(t, "up", upCmd, "UP")
	n.down = n.script(t, "down", downCmd, "DOWN")
	return n
}

func (n *node) script(t *testing.T, name, cmd, event string) string {
	t.Helper()
	path := filepath.Join(n.dir, name)
	body := fmt.Sprintf("#!/bin/sh\n%s\necho \"%s $*\" >> '%s'\nexit 0\n", cmd, event, n.events)
	require.NoError(t, os.WriteFile(path, []byte(body), 0o755))
	return path
}

// start runs the node's daemon (again) with its arguments and scripts.
func (n *node) start(t *testing.T) *proc {
	t.Helper()
	args := append(slices.Clone(n.args), "-u", n.up, "-d", n.down)
	n.p = startProc(t, n.host, n.name, n.bin, args...)
	return n.p
}

// crash is a dead machine: SIGKILL, cable pulled, and the VIP gone as after
// a reboot (SIGKILL leaves it on the interface, with ucarp as with carpd).
func (n *node) crash(t *testing.T) {
	t.Helper()
	n.p.signal(t, syscall.SIGKILL)
	n.p.waitExit(t)
	require.NoError(t, n.host.SetPortUp(false))
	delVIP(t, n.host)
}

// delVIP deletes the VIP from h if h holds it, whatever its prefix length.
func delVIP(t *testing.T, h *netns.Host) {
	t.Helper()
	addrs, err := h.Addrs()
	require.NoError(t, err)
	for _, p := range addrs {
		if p.Addr() == vip {
			require.NoError(t, h.AddrDel(p))
		}
	}
}

// revive plugs the cable back in and starts the daemon again.
func (n *node) revive(t *testing.T) {
	t.Helper()
	require.NoError(t, n.host.SetPortUp(true))
	n.start(t)
}

// eventLines returns the UP/DOWN lines the scripts recorded.
func (n *node) eventLines(t *testing.T) []string {
	t.Helper()
	b, err := os.ReadFile(n.events)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	require.NoError(t, err)
	return strings.Split(strings.TrimSpace(string(b)), "\n")
}

// lastEvent returns the first word of the last script event, "" if none.
func (n *node) lastEvent(t *testing.T) string {
	t.Helper()
	lines := n.eventLines(t)
	if len(lines) == 0 {
		return ""
	}
	return strings.Fields(lines[len(lines)-1])[0]
}

// statusLine matches carpd's SIGUSR1 line (ucarp's "MASTER on eth0 id 42"
// as the slog message, counters after it).
var statusLine = regexp.MustCompile(`msg="(INIT|BACKUP|MASTER) on (\S+) id (\d+)"(.*)`)

// linkLine matches the line SIGUSR1 logs for each interface's link.
var linkLine = regexp.MustCompile(`msg="link (\S+)"(.*)`)

// keyValue matches one slog key=value pair.
var keyValue = regexp.MustCompile(`([\w.]+)=("[^"]*"|\S+)`)

// status is a parsed SIGUSR1 line.
type status struct {
	State, Interface, VHID string
	Values                 map[string]string
}

// uint returns a counter, 0 when absent (slog leaves out empty groups).
func (s status) uint(t *testing.T, key string) uint64 {
	t.Helper()
	v, ok := s.Values[key]
	if !ok {
		return 0
	}
	n, err := strconv.ParseUint(v, 10, 64)
	require.NoError(t, err, "%s=%s", key, v)
	return n
}

// status sends SIGUSR1 to a carpd node and returns the status line it logs.
func (n *node) status(t *testing.T) status {
	t.Helper()
	require.Equal(t, kindCarpd, n.kind)
	before := len(statusLine.FindAllString(n.p.out.String(), -1))
	beforeLink := len(linkLine.FindAllString(n.p.out.String(), -1))
	n.p.signal(t, syscall.SIGUSR1)
	deadline := time.Now().Add(convergeTimeout)
	for {
		out := n.p.out.String()
		all := statusLine.FindAllStringSubmatch(out, -1)
		links := linkLine.FindAllStringSubmatch(out, -1)
		if len(all) > before && len(links) > beforeLink {
			m := all[before]
			s := status{State: m[1], Interface: m[2], VHID: m[3], Values: map[string]string{}}
			for _, kv := range keyValue.FindAllStringSubmatch(m[4], -1) {
				s.Values[kv[1]] = strings.Trim(kv[2], `"`)
			}
			// What the interface's link dropped before any group saw
			// it (own packets, bad TTL, version, vhid) is the group's
			// here: each test node runs one group on its link.
			for _, kv := range keyValue.FindAllStringSubmatch(links[beforeLink][2], -1) {
				if strings.HasPrefix(kv[1], "dropped.") {
					a, _ := strconv.ParseUint(s.Values[kv[1]], 10, 64)
					b, err := strconv.ParseUint(kv[2], 10, 64)
					require.NoError(t, err, "%s=%s", kv[1], kv[2])
					s.Values[kv[1]] = strconv.FormatUint(a+b, 10)
				}
			}
			return s
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: no status line after SIGUSR1", n.name)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// lab is a LAN with CARP nodes and a client.
type lab struct {
	lan    *netns.LAN
	client *netns.Host
	nodes  []*node
}

// holders lists the hosts of the LAN that hold the VIP.
func (l *lab) holders() []*netns.Host {
	var hs []*netns.Host
	for _, h := range l.lan.Hosts {
		if h.HasAddr(vip) {
			hs = append(hs, h)
		}
	}
	return hs
}

func (l *lab) describe(hs []*netns.Host) string {
	var names []string
	for _, h := range hs {
		name := h.Namespace
		for _, n := range l.nodes {
			if n.host == h {
				name = n.name
			}
		}
		names = append(names, name)
	}
	return "[" + strings.Join(names, " ") + "]"
}

// checkAlive fails t if a node's daemon has exited on its own.
func (l *lab) checkAlive(t *testing.T, stopped ...*node) {
	t.Helper()
	for _, n := range l.nodes {
		if n.p != nil && !slices.Contains(stopped, n) && n.p.exited() {
			t.Fatalf("%s exited unexpectedly: %v", n.name, n.p.err)
		}
	}
}

// converged waits until want's host, and only it, holds the VIP, then
// checks that this holds for stableFor. Nodes in stopped may have exited.
func (l *lab) converged(t *testing.T, want *node, stopped ...*node) {
	t.Helper()
	deadline := time.Now().Add(convergeTimeout)
	for {
		l.checkAlive(t, stopped...)
		hs := l.holders()
		if len(hs) == 1 && hs[0] == want.host {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("VIP %s held by %s after %v; want only %s", vip, l.describe(hs), convergeTimeout, want.name)
		}
		time.Sleep(sampleEvery)
	}
	for end := time.Now().Add(stableFor); time.Now().Before(end); time.Sleep(sampleEvery) {
		hs := l.holders()
		if len(hs) != 1 || hs[0] != want.host {
			t.Fatalf("VIP %s held by %s after converging on %s", vip, l.describe(hs), want.name)
		}
	}
	l.checkAlive(t, stopped...)
	t.Logf("converged: %s holds %s", want.name, vip)
}

// reach waits until the client gets an answer from the VIP, and from the
// MAC address of want's host.
func (l *lab) reach(t *testing.T, want *node) {
	t.Helper()
	deadline := time.Now().Add(convergeTimeout)
	var last string
	for seq := 1; ; seq++ {
		err := ping(t, l.client, vip, seq)
		if err == nil {
			mac, ok := l.client.Neighbor(vip)
			if ok && bytes.Equal(mac, want.host.MAC) {
				t.Logf("client reaches %s at %s (%s)", vip, mac, want.name)
				return
			}
			last = fmt.Sprintf("answered from %v, want %s (%s)", mac, want.host.MAC, want.name)
		} else {
			last = fmt.Sprintf("ping: %v", err)
		}
		if time.Now().After(deadline) {
			t.Fatalf("client cannot reach %s through %s: %s", vip, want.name, last)
		}
		time.Sleep(sampleEvery)
	}
}

// ping sends one ICMP echo request from h to dst and waits up to a second
// for the reply, as ping -c1 -W1 does (without needing iputils).
func ping(t *testing.T, h *netns.Host, dst netip.Addr, seq int) error {
	t.Helper()
	var err error
	h.Run(t, func() {
		err = pingHere(dst, seq)
	})
	return err
}

// pingHere pings from the calling thread's namespace.
func pingHere(dst netip.Addr, seq int) error {
	c, err := icmp.ListenPacket("ip4:icmp", "0.0.0.0")
	if err != nil {
		return err
	}
	defer c.Close()
	id := os.Getpid() & 0xffff
	msg := icmp.Message{Type: ipv4.ICMPTypeEcho, Body: &icmp.Echo{ID: id, Seq: seq, Data: []byte("gocarp")}}
	b, err := msg.Marshal(nil)
	if err != nil {
		return err
	}
	if _, err := c.WriteTo(b, &net.IPAddr{IP: dst.AsSlice()}); err != nil {
		return err
	}
	if err := c.SetReadDeadline(time.Now().Add(time.Second)); err != nil {
		return err
	}
	buf := make([]byte, 1500)
	for {
		n, from, err := c.ReadFrom(buf)
		if err != nil {
			return err // a timeout after a second
		}
		rm, err := icmp.ParseMessage(1, buf[:n])
		if err != nil || rm.Type != ipv4.ICMPTypeEchoReply {
			continue
		}
		echo, ok := rm.Body.(*icmp.Echo)
		if ok && echo.ID == id && echo.Seq == seq && from.String() == dst.String() {
			return nil
		}
	}
}

// waitFor polls cond until it holds, failing t after convergeTimeout.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(convergeTimeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not after %v", what, convergeTimeout)
		}
		time.Sleep(sampleEvery)
	}
}
