package integration

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"os/exec"
	"regexp"
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

// TestHandoverDemote: carpd handover moves the named group to the
// backup at once and leaves the others; carpd demote demotes a group as
// the operator (the preempting backup takes it), shown with its source,
// and --clear takes it back.
func TestHandoverDemote(t *testing.T) {
	t.Parallel()
	lan := newLAN(t, "ctl", 2)
	a, b := lan.Hosts[0], lan.Hosts[1]
	// A, preferred, does not preempt: what moves away stays away. B does.
	groups := func(skew int, preempt bool) []configGroup {
		p := fmt.Sprintf("preempt = %v\n", preempt)
		return []configGroup{
			{vhid: 20, vips: []string{"198.51.100.120/24"}, advskew: skew, extra: "name = \"web\"\n" + p},
			{vhid: 21, vips: []string{"198.51.100.121/24"}, advskew: skew, extra: "name = \"db\"\n" + p},
		}
	}
	sockA := controlPath(t)
	startProc(t, a, "A", carpdBin, "-f", "none", "--control", sockA, "-c", writeConfig(t, t.TempDir(), groups(0, false)))
	startProc(t, b, "B", carpdBin, "-f", "none", "--control", controlPath(t), "-c", writeConfig(t, t.TempDir(), groups(100, true)))
	web, db := netip.MustParseAddr("198.51.100.120"), netip.MustParseAddr("198.51.100.121")
	waitFor(t, "A holds both VIPs", func() bool { return a.HasAddr(web) && a.HasAddr(db) && !b.HasAddr(web) && !b.HasAddr(db) })

	carpd := func(args ...string) (string, int) {
		out, err := exec.Command(carpdBin, append(args, "--control", sockA)...).CombinedOutput()
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return string(out), ee.ExitCode()
		}
		require.NoError(t, err)
		return string(out), 0
	}

	// The planned handover of one group: B takes web, A keeps db.
	out, code := carpd("handover", "web")
	require.Equal(t, 0, code, out)
	require.Regexp(t, `^web: bowed out, handed over to `+regexp.QuoteMeta(b.Addr.Addr().String())+` in [0-9.]+(µs|ms|s)\n$`, out)
	waitFor(t, "B took web", func() bool { return b.HasAddr(web) && !a.HasAddr(web) })
	require.True(t, a.HasAddr(db), "db stays on A")
	out, code = carpd("handover", "web")
	require.Equal(t, 0, code, out)
	require.Equal(t, "web: BACKUP, nothing to hand over\n", out)

	// The operator demotes db on A beyond the skew gap: B preempts.
	out, code = carpd("demote", "db", "150", "--reason", "maintenance")
	require.Equal(t, 0, code, out)
	require.Contains(t, out, "db: operator demotion 150, total 150")
	waitFor(t, "B took db", func() bool { return b.HasAddr(db) && !a.HasAddr(db) })
	st := statusOf(t, sockA)
	require.Equal(t, uint8(150), st.Groups[1].Demote)
	require.Equal(t, map[string]uint8{"operator": 150}, st.Groups[1].DemoteSources)
	require.Equal(t, uint8(150), st.Groups[1].AdvSkew, "skew demotion: 0 + 150")

	out, code = carpd("demote", "db", "--clear")
	require.Equal(t, 0, code, out)
	st = statusOf(t, sockA)
	require.Zero(t, st.Groups[1].Demote)
	require.Empty(t, st.Groups[1].DemoteSources)
	require.Zero(t, st.Groups[1].AdvSkew)

	out, code = carpd("demote", "nosuch", "5", "--reason", "x")
	require.Equal(t, 1, code, out)
	require.Contains(t, out, `no group named "nosuch"`)
	out, code = carpd("demote", "db", "5")
	require.Equal(t, 1, code, out)
	require.Contains(t, out, "--reason")
}

// statusOf is carpd status --json of the daemon at sock.
func statusOf(t *testing.T, sock string) control.Status {
	t.Helper()
	out, err := exec.Command(carpdBin, "status", "--json", "--control", sock).Output()
	require.NoError(t, err)
	var st control.Status
	require.NoError(t, json.Unmarshal(out, &st))
	return st
}
