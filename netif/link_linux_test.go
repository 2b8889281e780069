package netif_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gocarp/gocarp/internal/netns"
	"github.com/gocarp/gocarp/netif"
)

// Read-only and unprivileged: the caller's namespace is only looked at.
func TestLinkUpErrors(t *testing.T) {
	_, err := netif.LinkUp("", nil)
	require.ErrorIs(t, err, netif.ErrNoInterface)
	_, err = netif.LinkUp("gocarp-none0", nil)
	require.ErrorIs(t, err, netif.ErrInterfaceNotFound)
	err = netif.WatchLink(context.Background(), "gocarp-none0", nil, func(bool) { t.Error("fn called") })
	require.ErrorIs(t, err, netif.ErrInterfaceNotFound)
}

// watch runs WatchLink on ifname in ns until the test ends and returns the
// channel of reported states.
func watch(t *testing.T, ns *netif.Namespace, ifname string) <-chan bool {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	states := make(chan bool, 64)
	errc := make(chan error, 1)
	go func() {
		errc <- netif.WatchLink(ctx, ifname, ns, func(up bool) { states <- up })
	}()
	t.Cleanup(func() {
		cancel()
		require.NoError(t, <-errc)
	})
	return states
}

// next waits (generously) for the next reported state.
func next(t *testing.T, states <-chan bool) bool {
	t.Helper()
	select {
	case up := <-states:
		return up
	case <-t.Context().Done():
		t.Fatal("test ended")
	case <-time.After(waitFor):
		t.Fatal("no link state reported")
	}
	return false
}

func TestWatchLinkCarrier(t *testing.T) {
	tests := []struct {
		name string
		set  func(t *testing.T, h *netns.Host, up bool)
	}{
		{"bridge port (pulled cable)", func(t *testing.T, h *netns.Host, up bool) {
			require.NoError(t, h.SetPortUp(up))
		}},
		{"interface itself (admin down)", func(t *testing.T, h *netns.Host, up bool) {
			state := "down"
			if up {
				state = "up"
			}
			h.Exec(t, "ip", "link", "set", h.Interface, state)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, ns := newHost(t, "carrier")
			states := watch(t, ns, h.Interface)
			require.True(t, next(t, states), "initial state: up")

			for range 3 {
				tt.set(t, h, false)
				// Every report is a flip, so the next one must be "down".
				require.False(t, next(t, states))
				up, err := netif.LinkUp(h.Interface, ns)
				require.NoError(t, err)
				require.False(t, up)
				carrier, err := h.Carrier()
				require.NoError(t, err)
				require.False(t, carrier)

				tt.set(t, h, true)
				require.True(t, next(t, states))
				up, err = netif.LinkUp(h.Interface, ns)
				require.NoError(t, err)
				require.True(t, up)
			}
		})
	}
}

func TestWatchLinkDeletedAndRecreated(t *testing.T) {
	h, ns := newHost(t, "dellink")
	addLink(t, h, "vip0")
	states := watch(t, ns, "vip0")
	require.True(t, next(t, states), "a veth with its peer up is up and running")

	h.Exec(t, "ip", "link", "del", "vip0")
	require.False(t, next(t, states), "deleted link is down")
	_, err := netif.LinkUp("vip0", ns)
	require.ErrorIs(t, err, netif.ErrInterfaceNotFound)

	addLink(t, h, "vip0")
	require.True(t, next(t, states), "recreated link is up")

	h.Exec(t, "ip", "link", "set", "vip0", "name", "vip1")
	require.False(t, next(t, states), "renamed away counts as down")
}
