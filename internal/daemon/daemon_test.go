package daemon

import (
	"net"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gocarp/gocarp/internal/config"
)

func TestSourceMACFor(t *testing.T) {
	real := net.HardwareAddr{2, 0, 0, 0, 0, 1}
	one := []*config.Group{{Name: "eth0-42", VHID: 42}}
	two := []*config.Group{{Name: "eth0-1", VHID: 1}, {Name: "eth0-2", VHID: 2}}
	for _, tt := range []struct {
		mode   string
		groups []*config.Group
		want   string // "" = error
	}{
		{"real", two, "02:00:00:00:00:01"},
		{"", two, "02:00:00:00:00:01"},
		{"ucarp", one, "00:00:5e:00:00:2a"},
		{"bsd", one, "00:00:5e:00:01:2a"},
		{"ucarp", two, ""},
		{"02:11:22:33:44:55", two, "02:11:22:33:44:55"},
	} {
		got, err := sourceMACFor(tt.mode, tt.groups, real)
		if tt.want == "" {
			require.ErrorContains(t, err, "per-vhid MAC", tt.mode)
			continue
		}
		require.NoError(t, err, tt.mode)
		require.Equal(t, tt.want, got.String(), tt.mode)
	}
}
