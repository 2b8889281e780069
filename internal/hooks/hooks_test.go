package hooks_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gocarp/gocarp/internal/syncbuf"

	"github.com/stretchr/testify/require"

	"github.com/gocarp/gocarp/internal/hooks"
)

// logBuffer collects log output; the runner writes from its own goroutine.
type logBuffer = syncbuf.Buffer

func newLogger() (*slog.Logger, *logBuffer) {
	b := &logBuffer{}
	return slog.New(slog.NewTextHandler(b, &slog.HandlerOptions{Level: slog.LevelDebug})), b
}

// script writes an executable /bin/sh script into dir. All scripts of a test
// are written before its Runner starts, so no fork inherits a file still open
// for writing (ETXTBSY).
func script(t *testing.T, dir, name, body string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	require.NoError(t, os.WriteFile(p, []byte("#!/bin/sh\n"+body+"\n"), 0o755))
	return p
}

func closeRunner(t *testing.T, r *hooks.Runner) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	require.NoError(t, r.Close(ctx))
}

func readFile(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	require.NoError(t, err)
	return string(b)
}

func TestScriptArgs(t *testing.T) {
	tests := []struct {
		iface, vip, xparam string
		want               []string
	}{
		{"eth0", "198.51.100.100", "", []string{"eth0", "198.51.100.100"}},
		{"eth0", "198.51.100.100", "nodeA", []string{"eth0", "198.51.100.100", "nodeA"}},
		{"br0", "2001:db8::1", "a b", []string{"br0", "2001:db8::1", "a b"}},
	}
	for _, tt := range tests {
		require.Equal(t, tt.want, hooks.ScriptArgs(tt.iface, netip.MustParseAddr(tt.vip), tt.xparam))
	}
}

// TestOrderAndNonBlocking: the first script waits for a gate file that the test
// creates only after all three Enqueue calls have returned; had Enqueue waited
// for the script, the test would never get there.
func TestOrderAndNonBlocking(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	gate := filepath.Join(dir, "gate")
	s1 := script(t, dir, "s1", fmt.Sprintf("while [ ! -e %q ]; do sleep 0.01; done\necho \"1 $*\" >> %q", gate, out))
	s2 := script(t, dir, "s2", fmt.Sprintf("echo \"2 $*\" >> %q", out))
	s3 := script(t, dir, "s3", fmt.Sprintf("echo \"3 $*\" >> %q", out))

	log, _ := newLogger()
	r := hooks.New(log, time.Minute)
	r.Enqueue(s1, "eth0", "10.0.0.1")
	r.Enqueue(s2, "eth0", "10.0.0.2", "x")
	r.Enqueue(s3)
	_, err := os.Stat(out)
	require.ErrorIs(t, err, os.ErrNotExist, "no script may finish before the gate opens")
	require.NoError(t, os.WriteFile(gate, nil, 0o644))

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	require.NoError(t, r.Flush(ctx))
	require.Equal(t, "1 eth0 10.0.0.1\n2 eth0 10.0.0.2 x\n3 \n", readFile(t, out))
	closeRunner(t, r)
}

func TestArgumentsWithoutShell(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	s := script(t, dir, "args", fmt.Sprintf("for a in \"$0\" \"$@\"; do echo \"[$a]\"; done > %q", out))
	r := hooks.New(nil, time.Minute)
	r.Enqueue(s, "eth 0", "$HOME", "a;b", "*")
	closeRunner(t, r)
	require.Equal(t, fmt.Sprintf("[%s]\n[eth 0]\n[$HOME]\n[a;b]\n[*]\n", s), readFile(t, out))
}

func TestOutputLogged(t *testing.T) {
	dir := t.TempDir()
	long := strings.Repeat("x", 5000)
	s := script(t, dir, "talk", "echo first line\necho 'to stderr' >&2\nprintf 'crlf\\r\\n'\necho "+long+"\nprintf 'no newline'\nexit 3")
	log, buf := newLogger()
	r := hooks.New(log, time.Minute)
	r.Enqueue(s, "eth0", "10.0.0.1")
	closeRunner(t, r)
	got := buf.String()
	require.Contains(t, got, `level=INFO msg="script output" script=`+s+` stream=stdout line="first line"`)
	require.Contains(t, got, `level=WARN msg="script output" script=`+s+` stream=stderr line="to stderr"`)
	require.Contains(t, got, `stream=stdout line=crlf`+"\n")
	require.Contains(t, got, `line="no newline"`)
	require.True(t, strings.Contains(got, "line="+strings.Repeat("x", 4096)+"\n"), "long lines are split")
	require.True(t, strings.Contains(got, "line="+strings.Repeat("x", 5000-4096)+"\n"), "long lines are split")
	require.Contains(t, got, `msg="running script" script=`+s+` args="[eth0 10.0.0.1]"`)
	require.Contains(t, got, `msg="script failed" script=`+s+` exit=3`)
}

func TestMissingScriptDoesNotStopQueue(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	notExec := filepath.Join(dir, "notexec")
	require.NoError(t, os.WriteFile(notExec, []byte("#!/bin/sh\necho no\n"), 0o644))
	ok := script(t, dir, "ok", fmt.Sprintf("echo ran >> %q", out))
	missing := filepath.Join(dir, "missing")

	log, buf := newLogger()
	r := hooks.New(log, time.Minute)
	r.Enqueue(missing, "eth0", "10.0.0.1")
	r.Enqueue(notExec)
	r.Enqueue("sh", "-c", "echo found in PATH >> "+out) // a bare name is not looked up in $PATH
	r.Enqueue(ok)
	closeRunner(t, r)
	require.Equal(t, "ran\n", readFile(t, out))
	got := buf.String()
	require.Contains(t, got, `level=ERROR msg="cannot run script" script=`+missing)
	require.Contains(t, got, `level=ERROR msg="cannot run script" script=`+notExec)
	require.Contains(t, got, `level=ERROR msg="cannot run script" script=sh`)
	require.Contains(t, got, `msg="script finished" script=`+ok+` exit=0`)
}

// processGone reports whether pid has exited (a zombie waiting for its reaper counts).
func processGone(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return true
	}
	// The state follows the parenthesised command name.
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return i >= 0 && i+2 < len(s) && (s[i+2] == 'Z' || s[i+2] == 'X')
}

func TestTimeoutKillsProcessGroup(t *testing.T) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("needs /proc")
	}
	dir := t.TempDir()
	pids := filepath.Join(dir, "pids")
	out := filepath.Join(dir, "out")
	// The child is started in the background and keeps the script's stdout open.
	slow := script(t, dir, "slow", fmt.Sprintf("sleep 1000 &\necho $$ $! > %q.tmp\nmv %q.tmp %q\nsleep 1000", pids, pids, pids))
	next := script(t, dir, "next", fmt.Sprintf("echo next >> %q", out))

	log, buf := newLogger()
	r := hooks.New(log, 300*time.Millisecond)
	r.Enqueue(slow)
	r.Enqueue(next)
	closeRunner(t, r)

	fields := strings.Fields(readFile(t, pids))
	require.Len(t, fields, 2)
	for _, f := range fields {
		pid, err := strconv.Atoi(f)
		require.NoError(t, err)
		require.Eventually(t, func() bool { return processGone(pid) }, 10*time.Second, 10*time.Millisecond,
			"process %d of the killed script's group is still running", pid)
	}
	require.Equal(t, "next\n", readFile(t, out), "the queue goes on after a timeout")
	got := buf.String()
	require.Contains(t, got, `msg="killing script and its process group" script=`+slow)
	require.Contains(t, got, `reason="hooks: script timed out"`)
	require.Contains(t, got, `level=ERROR msg="script killed" script=`+slow)
}

func TestCloseDrains(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	s := script(t, dir, "s", fmt.Sprintf("sleep 0.05\necho \"$1\" >> %q", out))
	log, buf := newLogger()
	r := hooks.New(log, time.Minute)
	var want strings.Builder
	for i := range 5 {
		r.Enqueue(s, strconv.Itoa(i))
		fmt.Fprintf(&want, "%d\n", i)
	}
	closeRunner(t, r)
	require.Equal(t, want.String(), readFile(t, out))

	r.Enqueue(s, "late")
	require.Contains(t, buf.String(), `msg="script not run: runner closed" script=`+s+` args=[late]`)
	closeRunner(t, r) // idempotent
	require.Equal(t, want.String(), readFile(t, out))
}

func TestCloseDeadlineKillsAndDrops(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	started := filepath.Join(dir, "started")
	hang := script(t, dir, "hang", fmt.Sprintf(": > %q\nexec sleep 1000", started))
	after := script(t, dir, "after", fmt.Sprintf("echo after >> %q", out))

	log, buf := newLogger()
	r := hooks.New(log, 0) // no timeout: only Close can stop it
	r.Enqueue(hang)
	r.Enqueue(after)
	require.Eventually(t, func() bool { _, err := os.Stat(started); return err == nil }, 10*time.Second, 5*time.Millisecond)

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	require.ErrorIs(t, r.Close(ctx), context.Canceled)
	_, err := os.Stat(out)
	require.ErrorIs(t, err, os.ErrNotExist, "queued scripts are dropped")
	got := buf.String()
	require.Contains(t, got, `reason="hooks: runner closed"`)
	require.Contains(t, got, `msg="script not run: runner closed" script=`+after)
}

func TestFlushContext(t *testing.T) {
	dir := t.TempDir()
	started := filepath.Join(dir, "started")
	gate := filepath.Join(dir, "gate")
	s := script(t, dir, "wait", fmt.Sprintf(": > %q\nwhile [ ! -e %q ]; do sleep 0.01; done", started, gate))
	r := hooks.New(nil, time.Minute)
	require.NoError(t, r.Flush(context.Background()), "nothing queued")
	r.Enqueue(s)
	require.Eventually(t, func() bool { _, err := os.Stat(started); return err == nil }, 10*time.Second, 5*time.Millisecond)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	require.ErrorIs(t, r.Flush(ctx), context.Canceled)
	require.NoError(t, os.WriteFile(gate, nil, 0o644))
	require.NoError(t, r.Flush(context.Background()))
	closeRunner(t, r)
}

func TestEmptyScriptIgnored(t *testing.T) {
	log, buf := newLogger()
	r := hooks.New(log, time.Minute)
	r.Enqueue("", "eth0", "10.0.0.1")
	closeRunner(t, r)
	require.Empty(t, buf.String())
}

// TestReplaceLastStateWins: 2,000 transitions while a script runs queue
// one batch, the last one's, not 2,000 runs.
func TestReplaceLastStateWins(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	gate := filepath.Join(dir, "gate")
	up := script(t, dir, "up", fmt.Sprintf("while [ ! -e %q ]; do sleep 0.01; done\necho \"up $*\" >> %q", gate, out))
	down := script(t, dir, "down", fmt.Sprintf("echo \"down $*\" >> %q", out))
	log, logs := newLogger()
	r := hooks.New(log, time.Minute)
	r.Replace(up, []string{"eth0", "198.51.100.1"}) // starts, waits for the gate
	require.Eventually(t, func() bool { return strings.Contains(logs.String(), "running script") }, 10*time.Second, 5*time.Millisecond)
	dropped := 0
	for i := range 2000 {
		s := down
		if i%2 == 1 {
			s = up
		}
		dropped += r.Replace(s, []string{"eth0", "198.51.100.1"}, []string{"eth0", "198.51.100.2"})
	}
	require.Equal(t, 2*1999, dropped, "each batch but the last dropped")
	r.Replace(down, []string{"eth0", "198.51.100.1"}, []string{"eth0", "198.51.100.2"})
	require.NoError(t, os.WriteFile(gate, nil, 0o644))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	require.NoError(t, r.Flush(ctx))
	require.Equal(t, "up eth0 198.51.100.1\ndown eth0 198.51.100.1\ndown eth0 198.51.100.2\n", readFile(t, out))
	// An empty script still drops what an older transition queued.
	require.NoError(t, os.Remove(gate))
	r.Replace(up, []string{"eth0", "198.51.100.1"})
	require.Eventually(t, func() bool { return strings.Count(logs.String(), "running script") == 4 }, 10*time.Second, 5*time.Millisecond)
	r.Replace(down, []string{"a"})
	require.Equal(t, 1, r.Replace(""))
	require.NoError(t, os.WriteFile(gate, nil, 0o644))
	require.NoError(t, r.Flush(ctx))
	closeRunner(t, r)
}
