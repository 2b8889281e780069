//go:build unix

package daemon

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"syscall"
)

// WritePIDFile writes the process id to path and holds the file locked
// (flock) until remove, so that two daemons cannot both take it. It
// refuses, changing nothing, a path that is a symlink or not a regular
// file, a file locked by another process, one that holds something other
// than a PID, and one whose PID is a running process (kill(pid, 0)
// succeeding or failing with EPERM: a process we may not signal is
// running all the same). A PID of no process is stale and replaced.
// remove deletes the file only while it still holds our PID.
func WritePIDFile(path string) (remove func(), err error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|syscall.O_NOFOLLOW|syscall.O_CLOEXEC, 0o644)
	if err != nil {
		if errors.Is(err, syscall.ELOOP) {
			return nil, fmt.Errorf("pidfile %s: is a symlink: refused", path)
		}
		return nil, fmt.Errorf("pidfile: %w", err)
	}
	fail := func(format string, args ...any) (func(), error) {
		_ = f.Close()
		return nil, fmt.Errorf("pidfile %s: "+format, append([]any{path}, args...)...)
	}
	fi, err := f.Stat()
	if err != nil {
		return fail("%v", err)
	}
	if !fi.Mode().IsRegular() {
		return fail("not a regular file: refused")
	}
	old, err := io.ReadAll(io.LimitReader(f, 64))
	if err != nil {
		return fail("%v", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		return fail("locked by another process (pid %s): is another carpd running?", bytes.TrimSpace(old))
	}
	if s := bytes.TrimSpace(old); len(s) > 0 {
		pid, perr := strconv.Atoi(string(s))
		switch {
		case perr != nil || pid <= 0 || len(old) == 64:
			return fail("holds something other than a PID: not overwritten")
		case pid != os.Getpid() && processRunning(pid):
			return fail("process %d is running", pid)
		}
	}
	mine := []byte(strconv.Itoa(os.Getpid()) + "\n")
	if err := f.Truncate(0); err != nil {
		return fail("%v", err)
	}
	if _, err := f.WriteAt(mine, 0); err != nil {
		return fail("%v", err)
	}
	return func() {
		// Only our own file: a later daemon's is left alone.
		if b, err := os.ReadFile(path); err == nil && bytes.Equal(b, mine) {
			if st, err := os.Lstat(path); err == nil && os.SameFile(st, fi) {
				_ = os.Remove(path)
			}
		}
		_ = f.Close()
	}, nil
}

// processRunning: kill(pid, 0) succeeds, or fails only for permission.
func processRunning(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}
