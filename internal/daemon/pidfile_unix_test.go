//go:build unix

package daemon

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestPIDFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "carpd.pid")
	mine := strconv.Itoa(os.Getpid()) + "\n"

	remove, err := WritePIDFile(path)
	require.NoError(t, err)
	b, _ := os.ReadFile(path)
	require.Equal(t, mine, string(b))
	// A second daemon cannot take it while the first holds the lock, even
	// from the same process (flock is per open file).
	_, err = WritePIDFile(path)
	require.ErrorContains(t, err, "locked by another process")
	remove()
	_, err = os.Stat(path)
	require.ErrorIs(t, err, os.ErrNotExist, "removed at the end")

	// A symlink is refused, and its target untouched.
	target := filepath.Join(dir, "precious")
	require.NoError(t, os.WriteFile(target, []byte("data\n"), 0o600))
	link := filepath.Join(dir, "link.pid")
	require.NoError(t, os.Symlink(target, link))
	_, err = WritePIDFile(link)
	require.ErrorContains(t, err, "is a symlink")
	b, _ = os.ReadFile(target)
	require.Equal(t, "data\n", string(b))

	// A file that holds something other than a PID is not overwritten.
	other := filepath.Join(dir, "other.pid")
	require.NoError(t, os.WriteFile(other, []byte("not a pid\n"), 0o600))
	_, err = WritePIDFile(other)
	require.ErrorContains(t, err, "holds something other than a PID")
	b, _ = os.ReadFile(other)
	require.Equal(t, "not a pid\n", string(b))

	// A running process's PID is refused, PID 1 included (kill(1, 0) is
	// EPERM without root: running all the same).
	live := filepath.Join(dir, "live.pid")
	require.NoError(t, os.WriteFile(live, []byte("1\n"), 0o644))
	_, err = WritePIDFile(live)
	require.ErrorContains(t, err, "process 1 is running")

	// A stale PID (a process that has exited) is replaced.
	cmd := exec.Command("true")
	require.NoError(t, cmd.Run())
	stale := filepath.Join(dir, "stale.pid")
	require.NoError(t, os.WriteFile(stale, []byte(strconv.Itoa(cmd.Process.Pid)+"\n"), 0o644))
	remove, err = WritePIDFile(stale)
	require.NoError(t, err)
	b, _ = os.ReadFile(stale)
	require.Equal(t, mine, string(b))

	// remove leaves a file that is no longer ours.
	require.NoError(t, os.WriteFile(stale, []byte("4242\n"), 0o644))
	remove()
	b, err = os.ReadFile(stale)
	require.NoError(t, err)
	require.Equal(t, "4242\n", string(b))

	// A directory is refused.
	_, err = WritePIDFile(dir)
	require.Error(t, err)
}
