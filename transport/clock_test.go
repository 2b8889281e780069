package transport_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gocarp/gocarp/transport"
)

func TestSystemClock(t *testing.T) {
	c := transport.SystemClock
	before := time.Now()
	now := c.Now()
	require.False(t, now.Before(before))
	require.False(t, time.Now().Before(now))

	fired := make(chan struct{})
	stop := c.AfterFunc(0, func() { close(fired) })
	select {
	case <-fired:
	case <-time.After(5 * time.Second): // correctness deadline, not a timing claim
		require.FailNow(t, "AfterFunc never fired")
	}
	require.False(t, stop(), "stop after firing")

	stop = c.AfterFunc(time.Hour, func() { t.Error("stopped func ran") })
	require.True(t, stop())
	require.False(t, stop())
}
