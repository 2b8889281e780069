package cli_test

import (
	"context"
	"errors"
	"os/exec"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestUcarpAgrees runs the real ucarp, when installed, on every command line
// carpd rejects, and checks ucarp's exit status is the one recorded in the
// case: ucarp rejects it too (1 or 2, the same status carpd uses), or prints
// its usage and exits 0 on a getopt error. Cases ucarp accepts are not run.
//
// Safety: only lines ucarp rejects before it opens an interface are run, and
// each starts with "-i carpd-none0 -f none", a nonexistent interface and no
// syslog, so a line ucarp unexpectedly accepted would fail at the MAC lookup
// (exit 2) without sending anything. Never -B.
func TestUcarpAgrees(t *testing.T) {
	ucarp, err := exec.LookPath("ucarp")
	if err != nil {
		t.Skip("ucarp not installed")
	}
	for _, tt := range errCases(t) {
		if tt.ucarp < 0 {
			continue
		}
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			args := append([]string{"-i", "carpd-none0", "-f", "none"}, tt.args...)
			out, err := exec.CommandContext(ctx, ucarp, args...).CombinedOutput()
			require.NoError(t, ctx.Err(), "ucarp did not exit: %s", out)
			code := 0
			var ee *exec.ExitError
			if errors.As(err, &ee) {
				code = ee.ExitCode()
			} else {
				require.NoError(t, err)
			}
			require.Equal(t, tt.ucarp, code, "ucarp %q:\n%s", args, out)
			if tt.ucarp != 0 {
				require.Equal(t, tt.code, code, "carpd and ucarp exit statuses differ")
			}
		})
	}
}
