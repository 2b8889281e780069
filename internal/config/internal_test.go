package config

import (
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gocarp/gocarp/carp"
	"github.com/gocarp/gocarp/wire"
)

// everyKey sets every key of a group to a value that is not its default,
// so that a key decoded but never applied fails TestParseEveryKey.
const everyKey = `[[group]]
name = "web"
interface = "eth0"
vhid = 42
vips = ["198.51.100.100/24", "2001:db8::100"]
password_file = "web.pass"
source = "198.51.100.1"
advbase = 2
advskew = 100
deadratio = 5
preempt = true
secure = true
neutral = true
peers = ["198.51.100.2", "2001:db8::2"]
mcast = "239.1.1.1"
nomcast = true
ignore_ifstate = true
manage_vips = false
tiebreak = "bsd"
demotion = "byte"
source_mac = "02:00:00:00:00:2A"
up_script = "up.sh"
down_script = "/etc/carpd/down.sh"
xparam = "x y"
script_timeout = "1m30s"
checks = ["nginx"]
track_interfaces = ["eth1", "eth2:50"]
sync = "router"
startup_demote_for = "45s"

[[check]]
name = "nginx"
command = ["bin/check", "--fast"]
interval = "2s"
timeout = "500ms"
rise = 2
fall = 3
demote = 50
`

func TestParseEveryKey(t *testing.T) {
	for _, k := range append(append([]string{}, groupOnly...), settingKeys...) {
		if k != "password" { // password_file stands for it: the two exclude each other
			require.Regexp(t, "(?m)^"+k+" = ", everyKey, "everyKey sets no %s", k)
		}
	}
	dir := t.TempDir()
	pass := filepath.Join(dir, "web.pass")
	require.NoError(t, os.WriteFile(pass, []byte("filepw\n"), 0o600))
	file := everyKey
	c, err := Parse(filepath.Join(dir, "carpd.toml"), []byte(file))
	require.NoError(t, err)
	require.Len(t, c.Groups, 1)
	g := c.Groups[0]
	require.Equal(t, "web", g.Name)
	require.Equal(t, "eth0", g.Interface)
	require.Equal(t, uint8(42), g.VHID)
	require.Equal(t, []netip.Prefix{netip.MustParsePrefix("198.51.100.100/24"), netip.MustParsePrefix("2001:db8::100/128")}, g.VIPs)
	require.Equal(t, []byte("filepw"), g.Password)
	require.Equal(t, netip.MustParseAddr("198.51.100.1"), g.Source)
	require.Equal(t, uint8(2), g.AdvBase)
	require.False(t, g.SubSecond)
	require.Equal(t, uint8(100), g.AdvSkew)
	require.Equal(t, uint(5), g.DeadRatio)
	require.True(t, g.Preempt)
	require.True(t, g.Secure)
	require.True(t, g.Neutral)
	require.Equal(t, []netip.Addr{netip.MustParseAddr("198.51.100.2"), netip.MustParseAddr("2001:db8::2")}, g.Peers)
	require.Equal(t, netip.MustParseAddr("239.1.1.1"), g.Mcast)
	require.True(t, g.NoMcast)
	require.True(t, g.IgnoreIfState)
	require.False(t, g.ManageVIPs)
	require.Equal(t, carp.TieBreakBSD, g.TieBreak)
	require.Equal(t, carp.DemoteByte, g.Demotion)
	require.Equal(t, "02:00:00:00:00:2a", g.SourceMAC)
	require.Equal(t, filepath.Join(dir, "up.sh"), g.UpScript)
	require.Equal(t, "/etc/carpd/down.sh", g.DownScript)
	require.Equal(t, "x y", g.XParam)
	require.Equal(t, 90*time.Second, g.ScriptTimeout)
	require.Equal(t, 1, g.Line)
	require.Equal(t, []string{"nginx"}, g.Checks)
	require.Equal(t, []Track{{Interface: "eth1", Demote: 240}, {Interface: "eth2", Demote: 50}}, g.Track)
	require.Equal(t, "router", g.Sync)
	require.Equal(t, 45*time.Second, g.StartupDemoteFor)
	require.Equal(t, []Check{{Name: "nginx", Command: []string{filepath.Join(dir, "bin/check"), "--fast"},
		Interval: 2 * time.Second, Timeout: 500 * time.Millisecond, Rise: 2, Fall: 3, Demote: 50, Line: 31}}, c.Checks)

	require.Equal(t, carp.Config{
		Interface: "eth0",
		VHID:      42,
		VIPs:      []netip.Addr{netip.MustParseAddr("198.51.100.100"), netip.MustParseAddr("2001:db8::100")},
		Password:  []byte("filepw"),
		Group:     netip.MustParseAddr("239.1.1.1"),
		Peers:     g.Peers,
		AdvBase:   2,
		AdvSkew:   100,
		DeadRatio: 5,
		Preempt:   true,
		Secure:    true,
		TieBreak:  carp.TieBreakBSD,
		Demotion:  carp.DemoteByte,
		Neutral:   true,
	}, g.Carp())
}

// TestReference parses the reference config, checks that it shows every
// key, and that each landed where it says.
func TestReference(t *testing.T) {
	const path = "testdata/reference.toml"
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	x := buildIndex(data)
	shown := map[string]bool{}
	for k := range x.defaults.keys {
		shown[k] = true
	}
	for _, g := range x.groups {
		for k := range g.keys {
			shown[k] = true
		}
	}
	for _, k := range append(append([]string{}, groupOnly...), settingKeys...) {
		require.True(t, shown[k], "reference.toml sets no %s", k)
	}

	// The line of each [[group]], which the comments above it may move.
	var groupLines []int
	for i, l := range strings.Split(string(data), "\n") {
		if strings.TrimSpace(l) == "[[group]]" {
			groupLines = append(groupLines, i+1)
		}
	}
	require.Len(t, groupLines, 2)

	c, err := Load(path)
	require.NoError(t, err)
	require.Len(t, c.Groups, 2)
	require.Equal(t, "/run/carpd.sock", c.Control)
	require.Equal(t, "127.0.0.1:9108", c.HTTP)
	require.Len(t, c.Checks, 1)
	c.Checks[0].Line = 0
	require.Equal(t, Check{Name: "nginx", Command: []string{"/usr/bin/curl", "-fsS", "-m", "1", "http://127.0.0.1/health"},
		Interval: time.Second, Timeout: time.Second, Rise: 2, Fall: 3, Demote: 50}, c.Checks[0])
	for i := range c.Groups {
		c.Groups[i].file, c.Groups[i].index, c.Groups[i].at = "", 0, nil
	}
	peers := []netip.Addr{netip.MustParseAddr("198.51.100.2"), netip.MustParseAddr("2001:db8::2")}
	require.Equal(t, []Group{{
		Name:             "web",
		Interface:        "eth0",
		VHID:             42,
		VIPs:             []netip.Prefix{netip.MustParsePrefix("198.51.100.100/24"), netip.MustParsePrefix("2001:db8::100/64")},
		Password:         []byte("secret"),
		Source:           netip.MustParseAddr("198.51.100.1"),
		AdvBase:          1,
		DeadRatio:        3,
		Preempt:          true,
		ManageVIPs:       true,
		Peers:            peers,
		Mcast:            wire.IPv4Group,
		TieBreak:         carp.TieBreakUcarp,
		Demotion:         carp.DemoteSkew,
		SourceMAC:        "real",
		UpScript:         "/etc/carpd/up.sh",
		DownScript:       "/etc/carpd/down.sh",
		XParam:           "web",
		ScriptTimeout:    10 * time.Second,
		Checks:           []string{"nginx"},
		Track:            []Track{{Interface: "eth1", Demote: 240}, {Interface: "eth2", Demote: 100}},
		Sync:             "router",
		StartupDemoteFor: 30 * time.Second,
		Line:             groupLines[0],
	}, {
		Name:          "eth0-43",
		Interface:     "eth0",
		VHID:          43,
		VIPs:          []netip.Prefix{netip.MustParsePrefix("198.51.100.101/32")},
		Password:      []byte("0123456789abcdef"),
		PasswordFile:  "testdata/carp.pass",
		AdvBase:       1,
		DeadRatio:     3,
		ManageVIPs:    true,
		Mcast:         wire.IPv4Group,
		SourceMAC:     "real",
		ScriptTimeout: 10 * time.Second,
		Line:          groupLines[1],
	}}, c.Groups)
}
