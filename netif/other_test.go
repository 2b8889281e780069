//go:build !linux

package netif_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gocarp/gocarp/netif"
)

func TestNotImplemented(t *testing.T) {
	_, err := netif.NewVIPManager(netif.VIPConfig{Interface: "em0"})
	require.ErrorIs(t, err, netif.ErrNotImplemented)
	_, err = netif.LinkUp("em0", nil)
	require.ErrorIs(t, err, netif.ErrNotImplemented)
	err = netif.WatchLink(context.Background(), "em0", nil, func(bool) { t.Fatal("fn called") })
	require.ErrorIs(t, err, netif.ErrNotImplemented)
	err = netif.WatchAddrs(context.Background(), "em0", nil, func([]netif.Addr) { t.Fatal("fn called") })
	require.ErrorIs(t, err, netif.ErrNotImplemented)
	_, err = netif.Forwarding("em0", nil, true)
	require.ErrorIs(t, err, netif.ErrNotImplemented)
	_, err = netif.OpenNamespace("x")
	require.ErrorIs(t, err, netif.ErrNotImplemented)
}
