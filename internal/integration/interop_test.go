package integration

import (
	"net/netip"
	"os/exec"
	"testing"

	"github.com/stretchr/testify/require"
)

// variant is a set of flags both daemons of a mixed pair get.
type variant struct {
	name   string
	shared []string
}

// interopVariants are the group settings the mixed pairs are run with.
var interopVariants = []variant{
	{"Default", groupArgs()},
	{"VHID200", sharedWith("-v", "200")},
	{"Password19", sharedWith("-p", "0123456789abcdefghi")},
	{"McastGroup", groupArgs("--mcast=239.192.0.1")},
	{"NoMcast", groupArgs("-M")},
}

// sharedWith returns groupArgs with one flag's value replaced.
func sharedWith(flag, value string) []string {
	args := groupArgs()
	for i := range args {
		if args[i] == flag {
			args[i+1] = value
			return args
		}
	}
	panic("no flag " + flag)
}

// TestUcarpInterop runs mixed pairs, ucarp preferred with a carpd backup
// and the reverse, through election, the master's death and its return
// (preemption), once per variant of the shared flags.
func TestUcarpInterop(t *testing.T) {
	requireUcarp(t)
	for _, v := range interopVariants {
		for _, roles := range [][2]string{{kindUcarp, kindCarpd}, {kindCarpd, kindUcarp}} {
			t.Run(v.name+"/"+roles[0]+"Preferred", func(t *testing.T) {
				t.Parallel()
				testMixedPair(t, roles[0], roles[1], v.shared)
			})
		}
	}
}

func testMixedPair(t *testing.T, preferredKind, backupKind string, shared []string) {
	lan := newLAN(t, "iop", 3)
	h0, h1 := lan.Hosts[0], lan.Hosts[1]
	p := newNode(t, preferredKind, "preferred-"+preferredKind, h0, true, peerArgs(h0.Addr.Addr(), "0", true, shared)...)
	b := newNode(t, backupKind, "backup-"+backupKind, h1, true, peerArgs(h1.Addr.Addr(), "100", false, shared)...)
	l := &lab{lan: lan, client: lan.Hosts[2], nodes: []*node{p, b}}
	p.start(t)
	b.start(t)

	// Election.
	l.converged(t, p)
	l.reach(t, p)

	// The master dies: the backup takes over.
	p.crash(t)
	l.converged(t, b, p)
	l.reach(t, b)

	// The preferred node returns and preempts.
	p.revive(t)
	l.converged(t, p)
	l.reach(t, p)
	require.Equal(t, "DOWN", b.lastEvent(t))
}

// TestUcarpTieBreak: two masters with equal advbase and advskew meet.
// ucarp keeps the node whose source address is lower read as a
// little-endian integer: 203.0.113.5 beats 198.51.100.10 (numerically the
// other way round). carpd must agree, whichever of the two it runs on.
func TestUcarpTieBreak(t *testing.T) {
	requireUcarp(t)
	low := netip.MustParseAddr("198.51.100.10")
	high := netip.MustParseAddr("203.0.113.5") // the winner
	for _, kinds := range [][2]string{{kindCarpd, kindUcarp}, {kindUcarp, kindCarpd}} {
		t.Run(kinds[0]+"On198/"+kinds[1]+"On203", func(t *testing.T) {
			t.Parallel()
			lan := newLAN(t, "tie", 3)
			h0, h1 := lan.Hosts[0], lan.Hosts[1]
			require.NoError(t, h0.AddrAdd(netip.PrefixFrom(low, 24)))
			require.NoError(t, h1.AddrAdd(netip.PrefixFrom(high, 24)))
			shared := groupArgs()
			a := newNode(t, kinds[0], kinds[0]+"-"+low.String(), h0, true, peerArgs(low, "0", false, shared)...)
			b := newNode(t, kinds[1], kinds[1]+"-"+high.String(), h1, true, peerArgs(high, "0", false, shared)...)
			l := &lab{lan: lan, client: lan.Hosts[2], nodes: []*node{a, b}}

			// Both start isolated from each other (the client still sees
			// both), so both become MASTER.
			isolate(t, lan.Bridge, true, h0.Port, h1.Port)
			a.start(t)
			b.start(t)
			waitFor(t, "both isolated nodes MASTER", func() bool {
				l.checkAlive(t)
				return h0.HasAddr(vip) && h1.HasAddr(vip)
			})

			// They meet: the tie-break leaves one.
			isolate(t, lan.Bridge, false, h0.Port, h1.Port)
			l.converged(t, b)
			l.reach(t, b)
			require.Equal(t, "DOWN", a.lastEvent(t))
		})
	}
}

// isolate sets the bridge ports' isolated flag: isolated ports cannot talk
// to one another, only to the others.
func isolate(t *testing.T, bridgeNS string, on bool, ports ...string) {
	t.Helper()
	state := "off"
	if on {
		state = "on"
	}
	for _, p := range ports {
		out, err := exec.Command("ip", "netns", "exec", bridgeNS, "bridge", "link", "set", "dev", p, "isolated", state).CombinedOutput()
		require.NoError(t, err, "bridge link set dev %s isolated %s: %s", p, state, out)
	}
}
