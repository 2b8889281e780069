package inspect_test

import (
	"bytes"
	"context"
	"runtime"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gocarp/gocarp/hmac"
	"github.com/gocarp/gocarp/internal/inspect"
)

func TestLiveErrors(t *testing.T) {
	ctx := context.Background()
	err := inspect.Live(ctx, "nonexistent-if0", inspect.Options{}, &bytes.Buffer{})
	require.Error(t, err)
	if runtime.GOOS != "linux" {
		require.ErrorIs(t, err, inspect.ErrLiveUnsupported)
		return
	}
	require.Contains(t, err.Error(), "nonexistent-if0")

	err = inspect.Live(ctx, "lo", inspect.Options{Password: make([]byte, 20)}, &bytes.Buffer{})
	require.ErrorIs(t, err, hmac.ErrPasswordTooLong)
}
