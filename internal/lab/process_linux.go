//go:build linux

package lab

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"syscall"
	"time"
)

// Process is a command running inside a network namespace (through
// ip netns exec, which execs the command: the process is the command itself,
// so signals reach it directly).
type Process struct {
	// Name labels the process in logs.
	Name string

	cmd  *exec.Cmd
	done chan struct{}
	err  error // valid after done is closed
}

// StartProcess starts argv inside the network namespace ns. Every line the
// process writes (stdout and stderr) is passed to onLine, from one goroutine,
// in order; onLine may be nil. The process gets its own process group, so a
// Ctrl-C at the terminal reaches only the caller, which then cleans up, and it
// is killed if the caller dies.
func StartProcess(ns, name string, argv []string, onLine func(line string)) (*Process, error) {
	if len(argv) == 0 {
		return nil, fmt.Errorf("%w: no command for %s", ErrUsage, name)
	}
	r, w, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command("ip", append([]string{"netns", "exec", ns}, argv...)...)
	cmd.Stdout, cmd.Stderr = w, w
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		r.Close()
		w.Close()
		return nil, fmt.Errorf("lab: starting %s: %w", name, err)
	}
	w.Close()
	p := &Process{Name: name, cmd: cmd, done: make(chan struct{})}
	lines := make(chan struct{})
	go func() {
		defer close(lines)
		defer r.Close()
		sc := bufio.NewScanner(r)
		sc.Buffer(make([]byte, 64*1024), 1024*1024)
		for sc.Scan() {
			if onLine != nil {
				onLine(sc.Text())
			}
		}
	}()
	go func() {
		// The pipe closes when the process (and whatever it forked, such as
		// hook scripts) has let go of it; the exit status comes first.
		p.err = cmd.Wait()
		select {
		case <-lines:
		case <-time.After(2 * time.Second):
		}
		close(p.done)
	}()
	return p, nil
}

// PID is the process id.
func (p *Process) PID() int { return p.cmd.Process.Pid }

// Signal sends sig to the process.
func (p *Process) Signal(sig os.Signal) error { return p.cmd.Process.Signal(sig) }

// Done is closed when the process has exited and its output has been read.
func (p *Process) Done() <-chan struct{} { return p.done }

// Err is the exit error (nil for status 0); valid once Done is closed.
func (p *Process) Err() error {
	<-p.done
	return p.err
}

// Wait waits for the process to exit, at most until ctx ends.
func (p *Process) Wait(ctx context.Context) error {
	select {
	case <-p.done:
		return p.err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Stop sends sig, waits up to grace for the process to exit, then kills it.
func (p *Process) Stop(sig os.Signal, grace time.Duration) {
	_ = p.Signal(sig)
	select {
	case <-p.done:
		return
	case <-time.After(grace):
	}
	_ = p.Signal(syscall.SIGKILL)
	<-p.done
}
