package integration

import (
	"net/netip"
	"os/exec"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestPartitionHeals: the switch drops CARP until both sides are MASTER
// with the VIP; once it heals exactly one remains, the preferred one, and
// the VIP is on one host only, and stays so.
func TestPartitionHeals(t *testing.T) {
	t.Parallel()
	lan := newLAN(t, "part", 2)
	a, b := lan.Hosts[0], lan.Hosts[1]
	sockA, sockB := controlPath(t), controlPath(t)
	group := func(skew int) string {
		// preempt off: the preferred node must win back by the election's
		// rule (a master that hears a better one steps down), not preempt.
		return writeConfig(t, t.TempDir(), []configGroup{{vhid: 40, vips: []string{"198.51.100.140/24"}, advskew: skew, extra: "preempt = false\n"}})
	}
	startProc(t, a, "A", carpdBin, "-f", "none", "--control", sockA, "-c", group(0))
	startProc(t, b, "B", carpdBin, "-f", "none", "--control", sockB, "-c", group(100))
	vip := netip.MustParseAddr("198.51.100.140")
	waitFor(t, "A holds the VIP", func() bool { return a.HasAddr(vip) && !b.HasAddr(vip) })

	dropped := lan.DropCARPMulticast(t)
	waitFor(t, "both are MASTER in the partition", func() bool {
		return statusOf(t, sockA).Groups[0].State == "MASTER" && statusOf(t, sockB).Groups[0].State == "MASTER" && b.HasAddr(vip)
	})
	v4, _ := dropped()
	require.NotZero(t, v4)

	out, err := exec.Command("ip", "netns", "exec", lan.Bridge, "nft", "delete", "table", "bridge", "carp").CombinedOutput()
	require.NoError(t, err, "healing: %s", out)
	waitFor(t, "one MASTER after the heal, the preferred one", func() bool {
		return statusOf(t, sockA).Groups[0].State == "MASTER" && statusOf(t, sockB).Groups[0].State == "BACKUP" &&
			a.HasAddr(vip) && !b.HasAddr(vip)
	})
	for range 10 {
		time.Sleep(500 * time.Millisecond)
		require.True(t, a.HasAddr(vip) && !b.HasAddr(vip), "the VIP moved again after the heal")
		require.Equal(t, "BACKUP", statusOf(t, sockB).Groups[0].State)
	}
}

// TestRestartWhileMaster: the master is killed (no bow-out, its managed
// VIP left on the interface) and started again at once: the backup takes
// over, the restarted node drops the stale VIP as BACKUP, then preempts;
// the VIP ends on one host only.
func TestRestartWhileMaster(t *testing.T) {
	t.Parallel()
	lan := newLAN(t, "rst", 2)
	a, b := lan.Hosts[0], lan.Hosts[1]
	cfgA := writeConfig(t, t.TempDir(), []configGroup{{vhid: 41, vips: []string{"198.51.100.141/24"}, advskew: 0}})
	cfgB := writeConfig(t, t.TempDir(), []configGroup{{vhid: 41, vips: []string{"198.51.100.141/24"}, advskew: 100}})
	sockA := controlPath(t)
	pa := startProc(t, a, "A", carpdBin, "-f", "none", "--control", sockA, "-c", cfgA)
	startProc(t, b, "B", carpdBin, "-f", "none", "--control", controlPath(t), "-c", cfgB)
	vip := netip.MustParseAddr("198.51.100.141")
	waitFor(t, "A holds the VIP", func() bool { return a.HasAddr(vip) && !b.HasAddr(vip) })

	pa.signal(t, syscall.SIGKILL)
	pa.waitExit(t)
	require.True(t, a.HasAddr(vip), "a killed carpd leaves its VIP behind")
	startProc(t, a, "A2", carpdBin, "-f", "none", "--control", sockA, "-c", cfgA)
	waitFor(t, "the restarted A is MASTER again, the VIP on A only", func() bool {
		st, ok := tryStatus(sockA)
		return ok && st.State == "MASTER" && a.HasAddr(vip) && !b.HasAddr(vip)
	})
	for range 6 {
		time.Sleep(500 * time.Millisecond)
		require.True(t, a.HasAddr(vip) && !b.HasAddr(vip), "the VIP on both hosts, or neither")
	}
}
