package hooks

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/netip"
	"os/exec"
	"sync"
	"sync/atomic"
	"time"
)

// pipeDrain bounds how long a script's output is still read after it exits: a
// background child it started may hold stdout open for ever.
const pipeDrain = time.Second

// maxLine is the longest output line logged whole; longer lines are split.
const maxLine = 4096

var (
	// ErrTimeout is the reason logged for a script killed for running past the timeout.
	ErrTimeout = errors.New("hooks: script timed out")
	// ErrClosed is the reason logged for a script killed because Close gave up waiting.
	ErrClosed = errors.New("hooks: runner closed")
)

// ScriptArgs returns ucarp's script arguments, <iface> <vip> [xparam]; ucarp
// passes xparam only when -x was given, so an empty one is left out.
func ScriptArgs(iface string, vip netip.Addr, xparam string) []string {
	args := []string{iface, vip.String()}
	if xparam != "" {
		args = append(args, xparam)
	}
	return args
}

type job struct {
	script string
	args   []string
}

// Runner runs scripts one at a time, in the order they were enqueued, on a
// goroutine of its own that exists only while there are scripts to run (a
// host with hundreds of idle groups holds none), so the protocol never waits
// for a script. Its methods are safe for concurrent use.
type Runner struct {
	log     *slog.Logger
	timeout atomic.Int64 // a time.Duration: SetTimeout

	// abortCtx is cancelled (cause ErrClosed) when Close's context ends: it
	// kills the running script and drops the rest of the queue.
	abortCtx context.Context
	abort    context.CancelCauseFunc

	mu       sync.Mutex
	queue    []job
	closed   bool
	enqueued uint64        // jobs accepted
	finished uint64        // jobs run or dropped
	progress chan struct{} // closed and replaced each time finished grows
	working  bool          // a worker goroutine serves the queue
	done     chan struct{} // closed when the current worker returns
}

// New returns a Runner. logger may be nil (nothing is logged). A timeout of
// 0 or less lets scripts run as long as they like.
func New(logger *slog.Logger, timeout time.Duration) *Runner {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	ctx, cancel := context.WithCancelCause(context.Background())
	r := &Runner{
		log:      logger,
		abortCtx: ctx,
		abort:    cancel,
		progress: make(chan struct{}),
	}
	r.timeout.Store(int64(timeout))
	return r
}

// SetTimeout changes the timeout of the scripts started from now on.
func (r *Runner) SetTimeout(timeout time.Duration) { r.timeout.Store(int64(timeout)) }

// Enqueue queues `script args...` and returns at once; the queue is unbounded.
// An empty script is ignored, as ucarp ignores an unset -u/-d. After Close the
// run is dropped and logged.
func (r *Runner) Enqueue(script string, args ...string) {
	if script == "" {
		return
	}
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		r.log.Warn("script not run: runner closed", "script", script, "args", args)
		return
	}
	r.queue = append(r.queue, job{script: script, args: append([]string(nil), args...)})
	r.enqueued++
	if !r.working {
		r.working = true
		r.done = make(chan struct{})
		go r.work(r.done)
	}
	r.mu.Unlock()
}

// Replace drops the scripts queued and not yet started, and queues script
// once with each of runs' arguments in their place: the last state wins,
// so a group that flaps a thousand times runs at most the script under way
// and the latest batch, never a thousand. An empty script queues nothing
// (what was queued is still dropped). It returns how many runs it dropped.
func (r *Runner) Replace(script string, runs ...[]string) (dropped int) {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		if script != "" {
			r.log.Warn("script not run: runner closed", "script", script)
		}
		return 0
	}
	dropped = len(r.queue)
	r.queue = r.queue[:0]
	r.finished += uint64(dropped)
	if dropped > 0 {
		close(r.progress)
		r.progress = make(chan struct{})
	}
	r.mu.Unlock()
	if dropped > 0 {
		r.log.Info("scripts superseded by a newer transition: not run", "dropped", dropped)
	}
	for _, args := range runs {
		r.Enqueue(script, args...)
	}
	return dropped
}

// Flush waits until every script enqueued before the call has finished (or been
// dropped), or ctx ends; then it returns ctx's error and the scripts go on.
func (r *Runner) Flush(ctx context.Context) error {
	r.mu.Lock()
	target := r.enqueued
	r.mu.Unlock()
	for {
		r.mu.Lock()
		if r.finished >= target {
			r.mu.Unlock()
			return nil
		}
		ch := r.progress
		r.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// Close stops accepting scripts and waits for the queue to drain. If ctx ends
// first, it kills the running script's process group, drops the scripts still
// queued, and returns ctx's error. Close may be called more than once.
func (r *Runner) Close(ctx context.Context) error {
	r.mu.Lock()
	r.closed = true
	working, done := r.working, r.done
	r.mu.Unlock()
	if !working {
		return nil
	}
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		r.abort(ErrClosed)
		<-done
		return ctx.Err()
	}
}

// work runs the queue until it is empty.
func (r *Runner) work(done chan struct{}) {
	defer close(done)
	for {
		r.mu.Lock()
		if len(r.queue) == 0 {
			r.working = false
			r.queue = nil
			r.mu.Unlock()
			return
		}
		j := r.queue[0]
		r.queue[0] = job{}
		r.queue = r.queue[1:]
		r.mu.Unlock()

		if r.abortCtx.Err() != nil {
			r.log.Warn("script not run: runner closed", "script", j.script, "args", j.args)
		} else {
			r.run(j)
		}

		r.mu.Lock()
		r.finished++
		close(r.progress)
		r.progress = make(chan struct{})
		r.mu.Unlock()
	}
}

// run executes one script without a shell, in its own process group, logs
// its output line by line and its outcome, and returns when it has exited.
func (r *Runner) run(j job) {
	ctx := r.abortCtx
	if timeout := time.Duration(r.timeout.Load()); timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeoutCause(ctx, timeout, ErrTimeout)
		defer cancel()
	}
	log := r.log.With("script", j.script)
	stdout := &lineLogger{log: log, level: slog.LevelInfo, stream: "stdout"}
	stderr := &lineLogger{log: log, level: slog.LevelWarn, stream: "stderr"}

	cmd := exec.CommandContext(ctx, j.script, j.args...)
	// As ucarp's execl: the script is a path, never looked up in $PATH.
	cmd.Path, cmd.Err = j.script, nil
	cmd.Stdout, cmd.Stderr = stdout, stderr
	setProcessGroup(cmd)
	cmd.Cancel = func() error {
		log.Warn("killing script and its process group", "pid", cmd.Process.Pid, "reason", context.Cause(ctx).Error())
		return killProcessGroup(cmd)
	}
	cmd.WaitDelay = pipeDrain

	began := time.Now()
	if err := cmd.Start(); err != nil {
		log.Error("cannot run script", "args", j.args, "err", err)
		return
	}
	log.Info("running script", "args", j.args, "pid", cmd.Process.Pid)
	err := cmd.Wait()
	stdout.flush()
	stderr.flush()
	elapsed := time.Since(began).Round(time.Millisecond)

	var ee *exec.ExitError
	switch {
	case ctx.Err() != nil && err != nil:
		log.Error("script killed", "reason", context.Cause(ctx).Error(), "err", err, "elapsed", elapsed)
	case err == nil:
		log.Info("script finished", "exit", 0, "elapsed", elapsed)
	case errors.Is(err, exec.ErrWaitDelay):
		log.Warn("script finished, but a process it left behind holds its output open", "exit", 0, "elapsed", elapsed)
	case errors.As(err, &ee):
		log.Warn("script failed", "exit", ee.ExitCode(), "status", ee.String(), "elapsed", elapsed)
	default:
		log.Error("script failed", "err", err, "elapsed", elapsed)
	}
}

// lineLogger is an io.Writer logging each complete line. os/exec calls Write
// from one goroutine per stream, and flush only after Wait, so it needs no lock.
//
// A line longer than maxLine is logged in pieces of maxLine bytes. Only
// the start of a line is buffered, at most maxLine bytes: a script that
// writes an endless line, or one huge write, costs no more.
type lineLogger struct {
	log    *slog.Logger
	level  slog.Level
	stream string
	buf    []byte // the line so far, without '\n'; cap maxLine once used
}

func (w *lineLogger) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		switch {
		case i >= 0 && len(w.buf)+i <= maxLine: // the line ends, whole
			if len(w.buf) == 0 {
				w.emit(p[:i], true)
			} else {
				w.emit(append(w.buf, p[:i]...), true)
				w.buf = w.buf[:0]
			}
			p = p[i+1:]
		case len(w.buf)+len(p) <= maxLine: // no end yet: keep the start
			if w.buf == nil {
				w.buf = make([]byte, 0, maxLine)
			}
			w.buf = append(w.buf, p...)
			p = nil
		default: // more than maxLine bytes without '\n': log a piece
			k := maxLine - len(w.buf)
			if len(w.buf) == 0 {
				w.emit(p[:k], false)
			} else {
				w.emit(append(w.buf, p[:k]...), false)
				w.buf = w.buf[:0]
			}
			p = p[k:]
		}
	}
	return n, nil
}

// flush logs a last line that had no newline.
func (w *lineLogger) flush() {
	if len(w.buf) > 0 {
		w.emit(w.buf, true)
		w.buf = w.buf[:0]
	}
}

// emit logs a line, or a piece of a longer one (end false). A line's
// trailing '\r' is dropped (CRLF output); a piece keeps it.
func (w *lineLogger) emit(line []byte, end bool) {
	if end {
		line = bytes.TrimSuffix(line, []byte("\r"))
	}
	w.log.Log(context.Background(), w.level, "script output", "stream", w.stream, "line", string(line))
}
