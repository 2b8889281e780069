package integration

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gocarp/gocarp/internal/netns"
)

// The ifupdown hook of the package, and the directories ifupdown runs
// hooks from (compiled into ifup).
const (
	ifupdownHook = "../../packaging/ifupdown/carpd"
	hookDirs     = "/etc/network/if-pre-up.d /etc/network/if-up.d /etc/network/if-down.d /etc/network/if-post-down.d"
)

// TestIfupdownHook brings eth0 of host A up with ifup and a stanza
// written for Debian's ucarp package: the package's hook (if-up.d/carpd)
// starts carpd -B with ucarp's command line, and carpd takes the VIP from
// B, a less preferred carpd. ifdown stops it through its pidfile: it bows
// out, its down script removes the VIP, and B takes over.
//
// ifup and ifdown use an interfaces file and a state directory of the
// test's own, inside the host's namespace and a private mount namespace
// in which the test's hook directories are bind-mounted over
// /etc/network/if-*.d: the host's hooks (and its ucarp) do not run, and
// nothing outside the namespaces changes. The hook is the package's, with
// two paths pointed at the test: CARPD (the test's carpd) and PIDDIR.
func TestIfupdownHook(t *testing.T) {
	t.Parallel()
	ifup := lookSbin(t, "ifup")
	ifdown := lookSbin(t, "ifdown")
	lan := newLAN(t, "ifupdown", 2)
	a, b := lan.Hosts[0], lan.Hosts[1]
	for _, d := range strings.Fields(hookDirs) {
		if fi, err := os.Stat(d); err != nil || !fi.IsDir() {
			t.Skipf("%s missing: ifupdown is not installed as Debian's package installs it", d)
		}
	}

	dir := t.TempDir()
	hooks := filepath.Join(dir, "hooks")
	pidDir := filepath.Join(dir, "run")
	state := filepath.Join(dir, "state")
	for _, d := range []string{hooks, pidDir, state} {
		require.NoError(t, os.MkdirAll(d, 0o755))
	}
	hook, err := os.ReadFile(ifupdownHook)
	require.NoError(t, err)
	for old, repl := range map[string]string{
		"\nCARPD=/usr/sbin/carpd\n": "\nCARPD=" + carpdBin + "\n",
		"\nPIDDIR=/run\n":           "\nPIDDIR=" + pidDir + "\n",
	} {
		require.True(t, bytes.Contains(hook, []byte(old)), "the hook has no line %q to point at the test", strings.TrimSpace(old))
		hook = bytes.Replace(hook, []byte(old), []byte(repl), 1)
	}
	var binds []string
	for _, d := range strings.Fields(hookDirs) {
		mine := filepath.Join(hooks, filepath.Base(d))
		require.NoError(t, os.Mkdir(mine, 0o755))
		if d == "/etc/network/if-up.d" || d == "/etc/network/if-down.d" {
			require.NoError(t, os.WriteFile(filepath.Join(mine, "carpd"), hook, 0o755))
		}
		binds = append(binds, fmt.Sprintf("mount --bind %s %s", mine, d))
	}

	up, err := filepath.Abs("../../examples/scripts/vip-up.sh")
	require.NoError(t, err)
	down, err := filepath.Abs("../../examples/scripts/vip-down.sh")
	require.NoError(t, err)
	// Debian's README.Debian stanza; the address is a second one, as the
	// LAN has given eth0 its own already.
	const srcIP = "203.0.113.1"
	interfaces := filepath.Join(dir, "interfaces")
	require.NoError(t, os.WriteFile(interfaces, fmt.Appendf(nil, `iface %s inet static
	address %s
	netmask 255.255.255.0
	ucarp-vid %s
	ucarp-vip %s
	ucarp-password %s
	ucarp-advskew 0
	ucarp-advbase 1
	ucarp-master yes
	ucarp-upscript %s
	ucarp-downscript %s
`, a.Interface, srcIP, defaultVHID, vip, defaultPass, up, down), 0o644))

	// B: a carpd that holds the VIP until A's carpd preempts it.
	nb := newNode(t, kindCarpd, "B", b, true, "-i", b.Interface, "-s", b.Addr.Addr().String(),
		"-v", defaultVHID, "-p", defaultPass, "-a", vip.String(), "-k", "100", "-P", "-z", "-f", "none")
	nb.start(t)
	l := &lab{lan: lan, nodes: []*node{nb}}
	l.converged(t, nb)

	// ifup: the hook starts carpd -B, which returns once it runs.
	ifupdown(t, a, binds, ifup, "-v", "-i", interfaces, "--state-dir", state, a.Interface)
	pidfile := filepath.Join(pidDir, "carpd."+a.Interface+".pid")
	pid := readPID(t, pidfile)
	comm, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
	require.NoError(t, err)
	require.Equal(t, "carpd\n", string(comm), "the pidfile names a carpd")
	cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	require.NoError(t, err)
	args := strings.Split(strings.TrimSuffix(string(cmdline), "\x00"), "\x00")[1:]
	t.Logf("carpd %s", strings.Join(args, " "))
	require.Equal(t, []string{"-i", a.Interface, "-s", srcIP, "-B", "-z", "-v", defaultVHID, "-a", vip.String(),
		"-u", up, "-d", down, "-P", "-k", "0", "-b", "1", "--pidfile", pidfile}, args,
		"Debian's ucarp command line, with the pidfile")
	environ, err := os.ReadFile(fmt.Sprintf("/proc/%d/environ", pid))
	require.NoError(t, err)
	require.NotContains(t, string(environ), defaultPass, "the password reaches carpd in $CARPD_PASSWORD, which it scrubs")

	// A preempts: carpd from ifupdown takes the VIP.
	na := &node{name: "A", kind: kindCarpd, host: a}
	l.nodes = append(l.nodes, na)
	l.converged(t, na)
	require.True(t, hasPrefix(t, a, srcIP+"/24"), "ifup configured the stanza's address")

	// ifdown: the hook stops carpd, which bows out and runs its down
	// script; B takes over at once.
	ifupdown(t, a, binds, ifdown, "-v", "-i", interfaces, "--state-dir", state, a.Interface)
	_, err = os.Stat(fmt.Sprintf("/proc/%d", pid))
	require.True(t, os.IsNotExist(err), "carpd (pid %d) still runs after ifdown", pid)
	_, err = os.Stat(pidfile)
	require.True(t, os.IsNotExist(err), "the pidfile is left after ifdown")
	require.False(t, a.HasAddr(vip), "A holds the VIP after ifdown")
	l.converged(t, nb, na)
	// ifdown flushes eth0's IPv4 addresses itself: that B took over on
	// A's bow-out, not at master down, is what shows carpd stopped as -z
	// makes it (bow out, then the down script).
	require.Contains(t, nb.p.out.String(), `to=MASTER reason="peer bow out"`, "B did not take over on a bow-out")
	require.False(t, hasPrefix(t, a, srcIP+"/24"), "ifdown left the stanza's address")
}

// ifupdown runs ifup or ifdown in h's namespace and a private mount
// namespace with the test's hook directories; it fails t unless it exits 0.
func ifupdown(t *testing.T, h *netns.Host, binds []string, bin string, args ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	script := strings.Join(binds, " && ") + ` && exec "$0" "$@"`
	cmd := h.Command(ctx, "unshare", append([]string{"--mount", "--propagation", "private", "sh", "-c", script, bin}, args...)...)
	out, err := cmd.CombinedOutput()
	t.Logf("%s %s:\n%s", filepath.Base(bin), strings.Join(args, " "), out)
	require.NoError(t, err, "%s failed", filepath.Base(bin))
}

// lookSbin finds an ifupdown program, or skips t.
func lookSbin(t *testing.T, name string) string {
	t.Helper()
	for _, p := range []string{"/usr/sbin/" + name, "/sbin/" + name} {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	t.Skipf("%s is not installed (apt-get install ifupdown)", name)
	return ""
}

func readPID(t *testing.T, path string) int {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err, "the hook's pidfile")
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	require.NoError(t, err, "pidfile %s: %q", path, b)
	return pid
}

// hasPrefix reports whether h's interface has the address p.
func hasPrefix(t *testing.T, h *netns.Host, p string) bool {
	t.Helper()
	addrs, err := h.Addrs()
	require.NoError(t, err)
	for _, a := range addrs {
		if a.String() == p {
			return true
		}
	}
	return false
}
