package daemon

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gocarp/gocarp/internal/config"
)

func TestSourceMACFor(t *testing.T) {
	one := []*config.Group{{Name: "eth0-42", VHID: 42}}
	two := []*config.Group{{Name: "eth0-1", VHID: 1}, {Name: "eth0-2", VHID: 2}}
	for _, tt := range []struct {
		mode   string
		groups []*config.Group
		want   string // "" = error
	}{
		{"real", two, ""},
		{"", two, ""},
		{"ucarp", one, "00:00:5e:00:00:2a"},
		{"bsd", one, "00:00:5e:00:01:2a"},
		{"ucarp", two, ""},
		{"02:11:22:33:44:55", two, "02:11:22:33:44:55"},
	} {
		got, err := sourceMACFor(tt.mode, tt.groups)
		if tt.want == "" && tt.mode != "real" && tt.mode != "" {
			require.ErrorContains(t, err, "per-vhid MAC", tt.mode)
			continue
		}
		if tt.want == "" {
			require.NoError(t, err)
			require.Nil(t, got, "the interface's own MAC")
			continue
		}
		require.NoError(t, err, tt.mode)
		require.Equal(t, tt.want, got.String(), tt.mode)
	}
}

// A missing interface is named as the key (or flag) that gave it, and is
// a config error (exit 1), found before any socket is opened.
func TestMissingInterface(t *testing.T) {
	file := "[[group]]\ninterface = \"nosuchif0\"\nvhid = 7\nvips = [\"198.51.100.100\"]\npassword = \"x\"\n"
	cfg, err := config.Parse("carpd.toml", []byte(file))
	require.NoError(t, err)
	_, err = New(cfg, Options{})
	require.EqualError(t, err, `carpd.toml:2: group "nosuchif0-7": interface: nosuchif0: no such network interface`)
	var ee *ExitError
	require.ErrorAs(t, err, &ee)
	require.Equal(t, ExitConfig, ee.Code)
}
