package integration

import (
	"encoding/json"
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gocarp/gocarp/internal/control"
)

// TestStatus: carpd status shows every group of a running carpd, from
// its control socket, as a table and as JSON; without a daemon it says so.
func TestStatus(t *testing.T) {
	t.Parallel()
	lan := newLAN(t, "stat", 2)
	a, b := lan.Hosts[0], lan.Hosts[1]
	groups := func(skew int) []configGroup {
		return []configGroup{
			{vhid: 10, vips: []string{"198.51.100.110/24"}, advskew: skew, extra: "name = \"web\"\n"},
			{vhid: 11, vips: []string{"198.51.100.111/24"}, advskew: skew},
		}
	}
	sockA, sockB := controlPath(t), controlPath(t)
	startProc(t, a, "A", carpdBin, "-f", "none", "--control", sockA, "-c", writeConfig(t, t.TempDir(), groups(0)))
	startProc(t, b, "B", carpdBin, "-f", "none", "--control", sockB, "-c", writeConfig(t, t.TempDir(), groups(100)))

	// status asks a daemon; false while it is not listening yet.
	status := func(sock string) (control.Status, bool) {
		var st control.Status
		out, err := exec.Command(carpdBin, "status", "--json", "--control", sock).Output()
		if err != nil {
			return st, false
		}
		require.NoError(t, json.Unmarshal(out, &st))
		return st, true
	}
	var sa, sb control.Status
	waitFor(t, "A masters both groups, B backs them", func() bool {
		var okA, okB bool
		sa, okA = status(sockA)
		sb, okB = status(sockB)
		return okA && okB && len(sa.Groups) == 2 && sa.Groups[0].State == "MASTER" && sa.Groups[1].State == "MASTER" &&
			sb.Groups[0].State == "BACKUP" && sb.Groups[1].State == "BACKUP" && sb.Groups[0].Master != ""
	})
	web := sa.Groups[0]
	require.Equal(t, "web", web.Name)
	require.Equal(t, "eth0", web.Interface)
	require.Equal(t, uint8(10), web.VHID)
	require.Equal(t, []string{"198.51.100.110"}, web.VIPs)
	require.Equal(t, "master down", web.Reason)
	require.Equal(t, a.Addr.Addr().String(), web.Master)
	require.Equal(t, uint8(1), web.AdvBase)
	require.NotZero(t, web.AdvertsSent)
	require.Equal(t, "eth0-11", sa.Groups[1].Name)
	require.Equal(t, a.Addr.Addr().String(), sb.Groups[0].Master, "B knows who is master")
	require.Equal(t, uint8(100), sb.Groups[0].AdvSkew)
	require.NotZero(t, sb.Groups[0].AdvertsReceived)

	out, err := exec.Command(carpdBin, "status", "--control", sockA).Output()
	require.NoError(t, err)
	t.Logf("carpd status:\n%s", out)
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	require.Len(t, lines, 3)
	require.True(t, strings.HasPrefix(lines[0], "GROUP"), lines[0])
	require.Regexp(t, `^web\s+eth0\s+10\s+MASTER\s`, lines[1])

	cmd := exec.Command(carpdBin, "status", "--control", controlPath(t))
	msg, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	require.ErrorAs(t, err, &ee)
	require.Equal(t, 2, ee.ExitCode())
	require.Contains(t, string(msg), "no carpd is running there")
}
