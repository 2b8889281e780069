package hooks_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gocarp/gocarp/internal/hooks"
)

func TestCheckCommand(t *testing.T) {
	dir := t.TempDir()
	script := filepath.Join(dir, "check.sh")
	require.NoError(t, os.WriteFile(script, []byte("#!/bin/sh\ncase $1 in\nok) exit 0;;\nfail) echo 'HTTP 503 from upstream'; echo second >&2; exit 22;;\nhang) sleep 60 & sleep 60;;\nesac\n"), 0o755))

	ctx := context.Background()
	require.NoError(t, hooks.CheckCommand([]string{script, "ok"})(ctx))
	require.EqualError(t, hooks.CheckCommand([]string{script, "fail"})(ctx), "exit status 22: HTTP 503 from upstream")
	require.ErrorContains(t, hooks.CheckCommand([]string{filepath.Join(dir, "missing")})(ctx), "no such file")
	require.NoError(t, hooks.CheckCommand([]string{"true"})(ctx), "a bare name is looked up in $PATH")

	// A hung check, and the child it started, are killed at the timeout.
	ctx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	defer cancel()
	began := time.Now()
	err := hooks.CheckCommand([]string{script, "hang"})(ctx)
	require.ErrorContains(t, err, "killed at its timeout")
	require.Less(t, time.Since(began), 30*time.Second, "neither sleep kept it")
}
