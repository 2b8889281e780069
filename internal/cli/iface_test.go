package cli

import (
	"errors"
	"net"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestPickInterface(t *testing.T) {
	up := net.FlagUp | net.FlagBroadcast | net.FlagMulticast
	v4 := []net.Addr{&net.IPNet{IP: net.ParseIP("192.0.2.1").To4(), Mask: net.CIDRMask(24, 32)}}
	v6 := []net.Addr{&net.IPNet{IP: net.ParseIP("2001:db8::1"), Mask: net.CIDRMask(64, 128)}}
	tests := []struct {
		name  string
		ifs   []net.Interface
		addrs map[string][]net.Addr
		fail  map[string]bool
		want  string
	}{
		{
			name:  "skips loopback, down, v6-only, point-to-point without multicast",
			ifs:   []net.Interface{{Name: "lo", Flags: up | net.FlagLoopback}, {Name: "eth0", Flags: net.FlagBroadcast}, {Name: "eth1", Flags: up}, {Name: "tun0", Flags: net.FlagUp | net.FlagPointToPoint}, {Name: "eth2", Flags: up}},
			addrs: map[string][]net.Addr{"lo": v4, "eth0": v4, "eth1": v6, "tun0": v4, "eth2": v4},
			want:  "eth2",
		},
		{
			name:  "first suitable wins",
			ifs:   []net.Interface{{Name: "a", Flags: up}, {Name: "b", Flags: up}},
			addrs: map[string][]net.Addr{"a": v4, "b": v4},
			want:  "a",
		},
		{
			name:  "address lookup error skips",
			ifs:   []net.Interface{{Name: "a", Flags: up}, {Name: "b", Flags: up}},
			addrs: map[string][]net.Addr{"a": v4, "b": v4},
			fail:  map[string]bool{"a": true},
			want:  "b",
		},
		{
			name:  "none",
			ifs:   []net.Interface{{Name: "lo", Flags: up | net.FlagLoopback}},
			addrs: map[string][]net.Addr{"lo": v4},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := pickInterface(tt.ifs, func(i net.Interface) ([]net.Addr, error) {
				if tt.fail[i.Name] {
					return nil, errors.New("boom")
				}
				return tt.addrs[i.Name], nil
			})
			if tt.want == "" {
				require.ErrorIs(t, err, ErrNoInterface)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
		})
	}
}

func TestDefaultInterfaceRuns(t *testing.T) {
	// The host's interfaces are unknown; only the contract is checked.
	name, err := DefaultInterface()
	if err != nil {
		require.ErrorIs(t, err, ErrNoInterface)
		return
	}
	i, err := net.InterfaceByName(name)
	require.NoError(t, err)
	require.Zero(t, i.Flags&net.FlagLoopback)
}
