package integration

import (
	"net/netip"
	"regexp"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"
)

// groupArgs are the flags every node of a test shares: only -s, -k and -P
// differ between the peers.
func groupArgs(extra ...string) []string {
	return append([]string{"-i", "eth0", "-v", defaultVHID, "-p", defaultPass,
		"-a", vip.String(), "-b", "1", "-f", "none"}, extra...)
}

// peerArgs adds a node's own flags to the shared ones.
func peerArgs(src netip.Addr, skew string, preempt bool, shared []string) []string {
	args := append([]string{"-s", src.String(), "-k", skew}, shared...)
	if preempt {
		args = append(args, "-P")
	}
	return args
}

// TestCarpdPair runs two carpd nodes and a client.
func TestCarpdPair(t *testing.T) {
	t.Run("Failover", testCarpdFailover)
	t.Run("HandOver", testCarpdHandOver)
	t.Run("HungUpScript", testCarpdHungUpScript)
}

// testCarpdFailover: election, failover on a crash, preemption, carrier
// loss, and a planned shutdown with -z; the VIP is moved by ucarp-style
// scripts.
func testCarpdFailover(t *testing.T) {
	t.Parallel()
	lan := newLAN(t, "fail", 3)
	shared := groupArgs("-z")
	a := newNode(t, kindCarpd, "A", lan.Hosts[0], true, peerArgs(lan.Hosts[0].Addr.Addr(), "0", true, shared)...)
	b := newNode(t, kindCarpd, "B", lan.Hosts[1], true, peerArgs(lan.Hosts[1].Addr.Addr(), "100", false, shared)...)
	l := &lab{lan: lan, client: lan.Hosts[2], nodes: []*node{a, b}}
	a.start(t)
	b.start(t)

	// Election: the preferred node wins.
	l.converged(t, a)
	l.reach(t, a)
	sa, sb := a.status(t), b.status(t)
	require.Equal(t, status{State: "MASTER", Interface: "eth0", VHID: "42"}, status{sa.State, sa.Interface, sa.VHID, nil})
	require.Equal(t, "BACKUP", sb.State)
	require.Contains(t, a.p.out.String(), `msg="MASTER on eth0 id 42"`, "ucarp's status line")
	require.NotZero(t, sa.uint(t, "adverts_sent"))
	require.NotZero(t, sb.uint(t, "adverts_received"))
	require.Equal(t, "UP", a.lastEvent(t))
	require.Equal(t, "DOWN", b.lastEvent(t), "down script at start, as ucarp without -n")

	// A dies: B takes over, the client follows.
	a.crash(t)
	l.converged(t, b, a)
	l.reach(t, b)
	require.Equal(t, "UP", b.lastEvent(t))

	// A comes back and preempts.
	a.revive(t)
	l.converged(t, a)
	l.reach(t, a)
	require.Equal(t, "DOWN", b.lastEvent(t))

	// Carrier loss with the process alive: A steps down to INIT.
	require.NoError(t, a.host.SetPortUp(false))
	l.converged(t, b)
	a.p.waitOutput(t, regexp.MustCompile(`carrier lost`))
	require.Equal(t, "INIT", a.status(t).State)
	require.Equal(t, "DOWN", a.lastEvent(t))
	l.reach(t, b)

	// Carrier back: A starts again as BACKUP and preempts.
	require.NoError(t, a.host.SetPortUp(true))
	a.p.waitOutput(t, regexp.MustCompile(`carrier up`))
	l.converged(t, a)
	l.reach(t, a)

	// Planned handover: SIGTERM with -z.
	a.p.signal(t, syscall.SIGTERM)
	require.Equal(t, 0, a.p.waitExit(t))
	require.Equal(t, "DOWN", a.lastEvent(t), "-z runs the down script")
	l.converged(t, b, a)
	require.False(t, a.host.HasAddr(vip))
	l.reach(t, b)
}

// testCarpdHandOver: planned handovers by bow-out, with --manage-vips. The
// taker has a dead ratio of 20, so its master-down timer (about 20 s) is
// longer than the convergence deadline: only a bow-out explains it taking
// over in time.
func testCarpdHandOver(t *testing.T) {
	t.Parallel()
	lan := newLAN(t, "hand", 3)
	shared := groupArgs("-z", "--manage-vips")
	aArgs := peerArgs(lan.Hosts[0].Addr.Addr(), "0", false, shared)
	a := newNode(t, kindCarpd, "A", lan.Hosts[0], false, aArgs...)
	b := newNode(t, kindCarpd, "B", lan.Hosts[1], false, peerArgs(lan.Hosts[1].Addr.Addr(), "100", false, append(shared, "-r", "20"))...)
	l := &lab{lan: lan, client: lan.Hosts[2], nodes: []*node{a, b}}
	a.start(t)
	b.start(t)
	l.converged(t, a)
	l.reach(t, a)

	// Someone deletes the VIP from the master: carpd puts it back.
	require.True(t, a.host.HasAddr(vip))
	delVIP(t, a.host)
	l.converged(t, a)

	// SIGTERM with -z: A bows out, B takes over long before its timer.
	a.p.signal(t, syscall.SIGTERM)
	require.Equal(t, 0, a.p.waitExit(t))
	l.converged(t, b, a)
	require.Equal(t, "DOWN", a.lastEvent(t), "-z runs the down script")
	l.reach(t, b)

	// A returns without -P and a long timer too: B stays MASTER.
	a.args = append(aArgs, "-r", "20")
	a.start(t)
	a.p.waitOutput(t, regexp.MustCompile(`carpd started`))
	l.converged(t, b)
	require.Equal(t, "BACKUP", a.status(t).State)

	// SIGUSR2 to the master: it bows out and A takes over at once.
	b.p.signal(t, syscall.SIGUSR2)
	l.converged(t, a)
	b.p.waitOutput(t, regexp.MustCompile(`bowing out`))
	require.Equal(t, "BACKUP", b.status(t).State)
	require.Equal(t, "MASTER", a.status(t).State)
	l.reach(t, a)
}

// testCarpdHungUpScript: an up script that hangs must not stall the
// protocol (ucarp blocks on it): the master keeps advertising, so the
// backup stays BACKUP past its master-down interval, and the script is
// killed at --script-timeout.
func testCarpdHungUpScript(t *testing.T) {
	t.Parallel()
	lan := newLAN(t, "hung", 3)
	shared := groupArgs("--manage-vips", "--script-timeout=3s")
	a := newNode(t, kindCarpd, "A", lan.Hosts[0], false, peerArgs(lan.Hosts[0].Addr.Addr(), "0", false, shared)...)
	a.up = a.script(t, "up", "sleep 60", "UP")
	b := newNode(t, kindCarpd, "B", lan.Hosts[1], false, peerArgs(lan.Hosts[1].Addr.Addr(), "100", false, shared)...)
	l := &lab{lan: lan, client: lan.Hosts[2], nodes: []*node{a, b}}
	a.start(t)
	a.p.waitOutput(t, regexp.MustCompile(`switching to state: MASTER`))
	b.start(t)
	l.converged(t, a)
	// Killed at the timeout; by then B has been listening for more than
	// its master-down interval (3 s), and A has kept the VIP throughout.
	a.p.waitOutput(t, regexp.MustCompile(`script killed.*timed out`))
	l.converged(t, a)
	require.Equal(t, "BACKUP", b.status(t).State)
	require.Equal(t, uint64(1), b.status(t).uint(t, "transitions"), "B never left BACKUP")
	l.reach(t, a)
}
