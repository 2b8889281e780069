package integration

import (
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// appendFile adds text to the file at path.
func appendFile(t *testing.T, path, text string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	require.NoError(t, err)
	_, err = f.WriteString(text)
	require.NoError(t, err)
	require.NoError(t, f.Close())
}

// flagCheck is a [[check]] that fails while the file flag exists.
func flagCheck(name, flag string, interval time.Duration, rise, fall, demote int) string {
	return fmt.Sprintf("\n[[check]]\nname = %q\ncommand = [\"/bin/sh\", \"-c\", \"! test -e %s\"]\ninterval = %q\nrise = %d\nfall = %d\ndemote = %d\n",
		name, flag, interval, rise, fall, demote)
}

// TestCheckMovesVIP: a failing check on the master demotes it beyond the
// skew gap, and the preempting backup takes the VIP within fall × interval
// and its takeover; the check's recovery moves it back. carpd status shows
// the check and the demotion's source.
func TestCheckMovesVIP(t *testing.T) {
	t.Parallel()
	lan := newLAN(t, "chk", 2)
	a, b := lan.Hosts[0], lan.Hosts[1]
	flag := filepath.Join(t.TempDir(), "down")
	const interval, fall = 200 * time.Millisecond, 3
	cfgA := writeConfig(t, t.TempDir(), []configGroup{{vhid: 30, vips: []string{"198.51.100.130/24"}, advskew: 0,
		extra: "name = \"web\"\nchecks = [\"nginx\"]\n"}})
	appendFile(t, cfgA, flagCheck("nginx", flag, interval, 2, fall, 150))
	sockA := controlPath(t)
	startProc(t, a, "A", carpdBin, "-f", "none", "--control", sockA, "-c", cfgA)
	startProc(t, b, "B", carpdBin, "-f", "none", "--control", controlPath(t), "-c",
		writeConfig(t, t.TempDir(), []configGroup{{vhid: 30, vips: []string{"198.51.100.130/24"}, advskew: 100}}))
	vip := netip.MustParseAddr("198.51.100.130")
	waitFor(t, "A holds the VIP once its check is up", func() bool { return a.HasAddr(vip) && !b.HasAddr(vip) })
	st := statusOf(t, sockA)
	require.Len(t, st.Checks, 1)
	require.True(t, st.Checks[0].Up)
	require.Equal(t, []string{"web"}, st.Checks[0].Groups)
	require.Equal(t, []string{"nginx"}, st.Groups[0].Checks)
	require.Empty(t, st.Groups[0].DemoteSources)

	require.NoError(t, os.WriteFile(flag, nil, 0o600))
	began := time.Now()
	waitFor(t, "B takes the VIP", func() bool { return b.HasAddr(vip) && !a.HasAddr(vip) })
	took := time.Since(began)
	// fall runs at interval, then the demoted advert goes out at once and
	// B preempts on it; the bound allows B's master-down on top.
	t.Logf("the VIP moved %v after the check began to fail (fall × interval = %v)", took, fall*interval)
	require.Less(t, took, fall*interval+3*time.Second+time.Second)
	st = statusOf(t, sockA)
	require.False(t, st.Checks[0].Up)
	require.NotZero(t, st.Checks[0].Failures)
	require.Contains(t, st.Checks[0].LastError, "exit status 1")
	require.Equal(t, map[string]uint8{"check nginx": 150}, st.Groups[0].DemoteSources)
	require.Equal(t, uint8(150), st.Groups[0].AdvSkew)

	require.NoError(t, os.Remove(flag))
	waitFor(t, "A takes the VIP back", func() bool { return a.HasAddr(vip) && !b.HasAddr(vip) })
	require.Empty(t, statusOf(t, sockA).Groups[0].DemoteSources)
}

// TestTrackInterface: carrier loss on a tracked interface of the master
// moves the VIP to the preempting backup; the carrier back moves it back.
func TestTrackInterface(t *testing.T) {
	t.Parallel()
	lan := newLAN(t, "trk", 2)
	a, b := lan.Hosts[0], lan.Hosts[1]
	// A veth pair inside A: the peer end down is uplink's carrier lost.
	a.Exec(t, "ip", "link", "add", "uplink", "type", "veth", "peer", "name", "uplinkpeer")
	a.Exec(t, "ip", "link", "set", "uplink", "up")
	a.Exec(t, "ip", "link", "set", "uplinkpeer", "up")
	sockA := controlPath(t)
	startProc(t, a, "A", carpdBin, "-f", "none", "--control", sockA, "-c",
		writeConfig(t, t.TempDir(), []configGroup{{vhid: 31, vips: []string{"198.51.100.131/24"}, advskew: 0,
			extra: "track_interfaces = [\"uplink\"]\n"}}))
	startProc(t, b, "B", carpdBin, "-f", "none", "--control", controlPath(t), "-c",
		writeConfig(t, t.TempDir(), []configGroup{{vhid: 31, vips: []string{"198.51.100.131/24"}, advskew: 100}}))
	vip := netip.MustParseAddr("198.51.100.131")
	waitFor(t, "A holds the VIP", func() bool { return a.HasAddr(vip) && !b.HasAddr(vip) })
	require.Equal(t, []string{"uplink:240"}, statusOf(t, sockA).Groups[0].TrackInterfaces)

	a.Exec(t, "ip", "link", "set", "uplinkpeer", "down")
	waitFor(t, "B takes the VIP", func() bool { return b.HasAddr(vip) && !a.HasAddr(vip) })
	st := statusOf(t, sockA)
	require.Equal(t, map[string]uint8{"track uplink": 240}, st.Groups[0].DemoteSources)
	require.Equal(t, "BACKUP", st.Groups[0].State)

	a.Exec(t, "ip", "link", "set", "uplinkpeer", "up")
	waitFor(t, "A takes the VIP back", func() bool { return a.HasAddr(vip) && !b.HasAddr(vip) })

	// An interface that goes away counts as down too.
	a.Exec(t, "ip", "link", "del", "uplink")
	waitFor(t, "B takes the VIP when the tracked interface is gone", func() bool { return b.HasAddr(vip) && !a.HasAddr(vip) })
}

// TestSyncSet: two groups in one sync set move as one: a check that only
// the first lists moves both to the backup, and both come back.
func TestSyncSet(t *testing.T) {
	t.Parallel()
	lan := newLAN(t, "syn", 2)
	a, b := lan.Hosts[0], lan.Hosts[1]
	flag := filepath.Join(t.TempDir(), "down")
	cfgA := writeConfig(t, t.TempDir(), []configGroup{
		{vhid: 32, vips: []string{"198.51.100.132/24"}, extra: "name = \"outside\"\nsync = \"router\"\nchecks = [\"uplink\"]\n"},
		{vhid: 33, vips: []string{"198.51.100.133/24"}, extra: "name = \"inside\"\nsync = \"router\"\n"},
	})
	appendFile(t, cfgA, flagCheck("uplink", flag, 200*time.Millisecond, 1, 2, 200))
	sockA := controlPath(t)
	startProc(t, a, "A", carpdBin, "-f", "none", "--control", sockA, "-c", cfgA)
	startProc(t, b, "B", carpdBin, "-f", "none", "--control", controlPath(t), "-c", writeConfig(t, t.TempDir(), []configGroup{
		{vhid: 32, vips: []string{"198.51.100.132/24"}, advskew: 100},
		{vhid: 33, vips: []string{"198.51.100.133/24"}, advskew: 100},
	}))
	out, in := netip.MustParseAddr("198.51.100.132"), netip.MustParseAddr("198.51.100.133")
	waitFor(t, "A holds both", func() bool { return a.HasAddr(out) && a.HasAddr(in) && !b.HasAddr(out) && !b.HasAddr(in) })

	require.NoError(t, os.WriteFile(flag, nil, 0o600))
	waitFor(t, "B takes both", func() bool { return b.HasAddr(out) && b.HasAddr(in) && !a.HasAddr(out) && !a.HasAddr(in) })
	table, err := exec.Command(carpdBin, "status", "--control", sockA).Output()
	require.NoError(t, err)
	t.Logf("carpd status:\n%s", table)
	st := statusOf(t, sockA)
	require.Equal(t, "router", st.Groups[1].Sync)
	require.Equal(t, map[string]uint8{"check uplink": 200}, st.Groups[0].DemoteSources)
	require.Equal(t, map[string]uint8{"sync outside: check uplink": 200}, st.Groups[1].DemoteSources)

	require.NoError(t, os.Remove(flag))
	waitFor(t, "A takes both back", func() bool { return a.HasAddr(out) && a.HasAddr(in) && !b.HasAddr(out) && !b.HasAddr(in) })
	st = statusOf(t, sockA)
	require.Empty(t, st.Groups[0].DemoteSources)
	require.Empty(t, st.Groups[1].DemoteSources)
}
