package hooks

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"sync"
)

// maxCheckOutput bounds what a check's output keeps for its error: the
// first bytes, enough for curl's or a script's one-line reason.
const maxCheckOutput = 256

// CheckCommand returns a health check that runs argv without a shell, in
// a process group of its own that is killed (SIGKILL) when ctx ends: exit
// status 0 is a success, anything else an error with the status and the
// first line of what the command wrote. argv[0] is a path, or a bare name
// looked up in $PATH.
func CheckCommand(argv []string) func(ctx context.Context) error {
	argv = append([]string(nil), argv...)
	return func(ctx context.Context) error {
		cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
		out := &headBuffer{max: maxCheckOutput}
		cmd.Stdout, cmd.Stderr = out, out
		setProcessGroup(cmd)
		cmd.Cancel = func() error { return killProcessGroup(cmd) }
		cmd.WaitDelay = pipeDrain
		err := cmd.Run()
		switch {
		case err == nil:
			return nil
		case ctx.Err() != nil:
			return fmt.Errorf("killed at its timeout: %w", ctx.Err())
		}
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			err = errors.New(ee.String())
		}
		if line := out.firstLine(); line != "" {
			return fmt.Errorf("%w: %s", err, line)
		}
		return err
	}
}

// headBuffer keeps the first max bytes written to it.
type headBuffer struct {
	mu  sync.Mutex
	max int
	b   bytes.Buffer
}

func (h *headBuffer) Write(p []byte) (int, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if room := h.max - h.b.Len(); room > 0 {
		h.b.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}

func (h *headBuffer) firstLine() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	line, _, _ := strings.Cut(strings.TrimSpace(h.b.String()), "\n")
	return strings.TrimSpace(line)
}
