package config_test

import (
	"net/netip"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gocarp/gocarp/carp"
	"github.com/gocarp/gocarp/internal/cli"
	"github.com/gocarp/gocarp/internal/config"
)

func TestFromOptions(t *testing.T) {
	base := []string{"-i", "eth0", "-s", "198.51.100.1", "-v", "42", "-p", "secret", "-a", "198.51.100.100"}
	// ucarp's defaults, as a file's group has them but for manage_vips.
	want := func(f func(g *config.Group)) config.Group {
		g := config.Group{
			Name:          "eth0-42",
			Interface:     "eth0",
			VHID:          42,
			VIPs:          []netip.Prefix{netip.MustParsePrefix("198.51.100.100/32")},
			Password:      []byte("secret"),
			Source:        netip.MustParseAddr("198.51.100.1"),
			AdvBase:       carp.DefaultAdvBase,
			DeadRatio:     carp.DefaultDeadRatio,
			Mcast:         carp.IPv4Group,
			TieBreak:      carp.TieBreakUcarp,
			SourceMAC:     "real",
			ScriptTimeout: cli.DefaultScriptTimeout,
		}
		if f != nil {
			f(&g)
		}
		return g
	}
	tests := []struct {
		name string
		args []string
		want config.Group
	}{
		{name: "ucarp's defaults", args: base, want: want(nil)},
		{name: "-a ADDR/LEN and IPv6", args: append(base, "-a", "198.51.100.101/24", "-a", "2001:db8::1/64"), want: want(func(g *config.Group) {
			g.VIPs = append(g.VIPs, netip.MustParsePrefix("198.51.100.101/24"), netip.MustParsePrefix("2001:db8::1/64"))
		})},
		{name: "-b -k -r", args: append(base, "-b", "3", "-k", "100", "-r", "5"), want: want(func(g *config.Group) {
			g.AdvBase, g.AdvSkew, g.DeadRatio = 3, 100, 5
		})},
		{name: "-b 0 is sub-second", args: append(base, "-b", "0", "-k", "20"), want: want(func(g *config.Group) {
			g.AdvBase, g.SubSecond, g.AdvSkew = 0, true, 20
		})},
		{name: "-P -n -M -S --manage-vips", args: append(base, "-PnMS", "--manage-vips"), want: want(func(g *config.Group) {
			g.Preempt, g.Neutral, g.NoMcast, g.IgnoreIfState, g.ManageVIPs = true, true, true, true, true
		})},
		{name: "-m", args: append(base, "-m", "239.1.1.1"), want: want(func(g *config.Group) { g.Mcast = netip.MustParseAddr("239.1.1.1") })},
		{name: "-u -d -x", args: append(base, "-u", "/up", "-d", "/down", "-x", "xp"), want: want(func(g *config.Group) {
			g.UpScript, g.DownScript, g.XParam = "/up", "/down", "xp"
		})},
		{name: "--tiebreak --source-mac --script-timeout", args: append(base, "--tiebreak=bsd", "--source-mac=bsd", "--script-timeout=0"),
			want: want(func(g *config.Group) { g.TieBreak, g.SourceMAC, g.ScriptTimeout = carp.TieBreakBSD, "bsd", 0 })},
		{name: "--script-timeout 1m", args: append(base, "--script-timeout=1m"), want: want(func(g *config.Group) { g.ScriptTimeout = time.Minute })},
		{name: "no -i: the daemon picks, and names", args: base[2:], want: want(func(g *config.Group) { g.Interface, g.Name = "", "" })},
		{name: "IPv6 only, no -s", args: []string{"-i", "eth0", "-v", "42", "-p", "secret", "-a", "2001:db8::1"}, want: want(func(g *config.Group) {
			g.VIPs, g.Source = []netip.Prefix{netip.MustParsePrefix("2001:db8::1/128")}, netip.Addr{}
		})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, err := cli.Parse(tt.args, nil)
			require.NoError(t, err)
			c, err := config.FromOptions(o)
			require.NoError(t, err)
			require.Empty(t, c.Path)
			require.Len(t, c.Groups, 1)
			g := c.Groups[0]
			require.Equal(t, tt.want.Carp(), g.Carp())
			// The fields carp does not take.
			require.Equal(t, tt.want.Name, g.Name)
			require.Equal(t, tt.want.VIPs, g.VIPs)
			require.Equal(t, tt.want.Source, g.Source)
			require.Equal(t, tt.want.NoMcast, g.NoMcast)
			require.Equal(t, tt.want.IgnoreIfState, g.IgnoreIfState)
			require.Equal(t, tt.want.ManageVIPs, g.ManageVIPs)
			require.Equal(t, tt.want.SourceMAC, g.SourceMAC)
			require.Equal(t, tt.want.UpScript, g.UpScript)
			require.Equal(t, tt.want.DownScript, g.DownScript)
			require.Equal(t, tt.want.XParam, g.XParam)
			require.Equal(t, tt.want.ScriptTimeout, g.ScriptTimeout)
			require.Zero(t, g.Line)
		})
	}
}

func TestFromOptionsErrors(t *testing.T) {
	ok := func() *cli.Options {
		o, err := cli.Parse([]string{"-i", "eth0", "-s", "198.51.100.1", "-v", "42", "-p", "secret", "-a", "198.51.100.100"}, nil)
		require.NoError(t, err)
		return o
	}
	tests := []struct {
		name string
		mod  func(o *cli.Options)
		want string
	}{
		// cli.Parse refuses these itself; an Options built otherwise meets carp's rules all the same.
		{name: "bow-out pair", mod: func(o *cli.Options) { o.AdvBase, o.AdvSkew = 255, 255 },
			want: "-k: advbase 255 with advskew 255 is the bow-out advert, not a configuration"},
		{name: "password from -o too long", mod: func(o *cli.Options) { o.Password, o.PasswordSource = []byte("01234567890123456789"), "file" },
			want: "-o: must be 1..19 bytes, got 20"},
		{name: "password from the environment empty", mod: func(o *cli.Options) { o.Password, o.PasswordSource = nil, "env" },
			want: "$CARPD_PASSWORD: must be 1..19 bytes, got 0"},
		{name: "-M with a unicast -m", mod: func(o *cli.Options) { o.NoMcast, o.Mcast = true, netip.MustParseAddr("198.51.100.255") },
			want: "-m: 198.51.100.255 is not an IPv4 multicast address"},
		{name: "no VIP", mod: func(o *cli.Options) { o.VIPs, o.VIPPrefixes = nil, nil },
			want: "-a: at least one virtual address is required"},
		{name: "bad --tiebreak", mod: func(o *cli.Options) { o.TieBreak = "x" }, want: "--tiebreak: want ucarp or bsd"},
		{name: "a -c line", mod: func(o *cli.Options) { o.ConfigFile = "c.toml" }, want: "the command line describes no group"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := ok()
			tt.mod(o)
			c, err := config.FromOptions(o)
			require.Nil(t, c)
			var ce *config.Error
			require.ErrorAs(t, err, &ce)
			require.EqualError(t, err, tt.want)
		})
	}
	_, err := config.FromOptions(nil)
	require.Error(t, err)
}
