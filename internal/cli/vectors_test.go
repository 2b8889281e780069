package cli_test

import (
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gocarp/gocarp/internal/cli"
)

// TestRealUcarpCommandLines parses command lines that real ucarp users and this
// project's captures (/work/shared/vectors/ucarp/README.md) use.
func TestRealUcarpCommandLines(t *testing.T) {
	// The captures' common prefix: "-i eth0 -f none -D" plus logging scripts.
	lab := "-i eth0 -f none -D -u /lab/up.sh -d /lab/down.sh "
	labA := lab + "-s 198.51.100.1 --vhid=42 --pass=secret --addr=198.51.100.100 "
	labB := lab + "-s 198.51.100.2 --vhid=42 --pass=secret --addr=198.51.100.100 "
	want := func(f func(o *cli.Options)) cli.Options {
		o := cli.Options{
			Interface: "eth0", SrcIP: netip.MustParseAddr("198.51.100.1"), VHID: 42,
			Password: []byte("secret"), PasswordSource: "flag", VIPs: addrs("198.51.100.100"),
			Debug: true, AdvBase: 1, DeadRatio: 3, UpScript: "/lab/up.sh", DownScript: "/lab/down.sh",
			Mcast: netip.MustParseAddr("224.0.0.18"), Facility: "none", TieBreak: "ucarp",
			SourceMAC: "real", ScriptTimeout: 10 * time.Second,
		}
		f(&o)
		return o
	}
	tests := []struct {
		name string
		line string
		want cli.Options
		err  error // adv255 uses -b 255 -k 255, the bow-out pair, which carpd refuses
	}{
		{name: "exp1 A", line: lab + "-s 198.51.100.1 -v 42 -p secret -a 198.51.100.100 -b 1 -k 0 -x nodeA",
			want: want(func(o *cli.Options) { o.XParam = "nodeA" })},
		{name: "exp1 B", line: lab + "-s 198.51.100.2 -v 42 -p secret -a 198.51.100.100 -b 1 -k 100 -x nodeB",
			want: want(func(o *cli.Options) {
				o.SrcIP, o.AdvSkew, o.XParam = netip.MustParseAddr("198.51.100.2"), 100, "nodeB"
			})},
		{name: "v2_maxpass", line: lab + "-s 198.51.100.1 -v 1 -p 0123456789abcdefghi -a 198.51.100.201 -b 2 -k 37 -r 1",
			want: want(func(o *cli.Options) {
				o.VHID, o.Password, o.VIPs = 1, []byte("0123456789abcdefghi"), addrs("198.51.100.201")
				o.AdvBase, o.AdvSkew, o.DeadRatio = 2, 37, 1
			})},
		{name: "v3_mcast", line: lab + "-s 198.51.100.1 -v 255 -p p -a 198.51.100.254 -b 1 -k 255 --mcast=239.192.0.1",
			want: want(func(o *cli.Options) {
				o.VHID, o.Password, o.VIPs, o.AdvSkew = 255, []byte("p"), addrs("198.51.100.254"), 255
				o.Mcast = netip.MustParseAddr("239.192.0.1")
			})},
		{name: "v4_nomcast", line: lab + "-s 198.51.100.1 -v 7 -p secret -a 198.51.100.77 -b 1 -k 0 -M",
			want: want(func(o *cli.Options) { o.VHID, o.VIPs, o.NoMcast = 7, addrs("198.51.100.77"), true })},
		{name: "s1 A", line: labA + "-b 1 -k 100 -x A",
			want: want(func(o *cli.Options) { o.AdvSkew, o.XParam = 100, "A" })},
		{name: "s1 B", line: labB + "-b 1 -k 0 -P -z -x B",
			want: want(func(o *cli.Options) {
				o.SrcIP, o.Preempt, o.Shutdown, o.XParam = netip.MustParseAddr("198.51.100.2"), true, true, "B"
			})},
		{name: "s2a B", line: labB + "-b 1 -k 0",
			want: want(func(o *cli.Options) { o.SrcIP = netip.MustParseAddr("198.51.100.2") })},
		{name: "s2b A", line: labA + "-b 5 -k 0 -r 1",
			want: want(func(o *cli.Options) { o.AdvBase, o.DeadRatio = 5, 1 })},
		{name: "s3 A", line: lab + "--vhid=42 --pass=secret --addr=198.51.100.100 -s 198.51.100.10 -b 1 -k 0",
			want: want(func(o *cli.Options) { o.SrcIP = netip.MustParseAddr("198.51.100.10") })},
		{name: "s3 B", line: lab + "--vhid=42 --pass=secret --addr=198.51.100.100 -s 203.0.113.5 -b 1 -k 0",
			want: want(func(o *cli.Options) { o.SrcIP = netip.MustParseAddr("203.0.113.5") })},
		{name: "s4 A", line: labA + "-b 1 -k 0 -n -z",
			want: want(func(o *cli.Options) { o.Neutral, o.Shutdown = true, true })},
		{name: "s4 B", line: labB + "-b 1 -k 50",
			want: want(func(o *cli.Options) { o.SrcIP, o.AdvSkew = netip.MustParseAddr("198.51.100.2"), 50 })},
		{name: "s5", line: labA + "-b 1 -k 0 -S",
			want: want(func(o *cli.Options) { o.IgnoreIfState = true })},
		{name: "counter_wrap", line: labA + "-b 1 -k 0 -P",
			want: want(func(o *cli.Options) { o.Preempt = true })},
		{name: "adv255 (-k 255)", line: labA + "-b 255 -k 255 -r 1", err: cli.ErrOutOfRange},
		{name: "validate", line: labA + "-b 1 -k 0 -r 100",
			want: want(func(o *cli.Options) { o.DeadRatio = 100 })},
		{name: "ucarp --help sample",
			line: "--interface=eth0 --srcip=10.1.1.1 --vhid=1 --pass=mypassword --addr=10.1.1.252 --upscript=/etc/vip-up.sh --downscript=/etc/vip-down.sh",
			want: want(func(o *cli.Options) {
				o.SrcIP, o.VHID, o.Password, o.VIPs = netip.MustParseAddr("10.1.1.1"), 1, []byte("mypassword"), addrs("10.1.1.252")
				o.UpScript, o.DownScript, o.Debug, o.Facility = "/etc/vip-up.sh", "/etc/vip-down.sh", false, "daemon"
			})},
		{name: "Debian ifupdown hook, xparam with a space",
			line: "-i eth0 -s 10.0.0.2 -B -z -v 3 -p 16charsatmost -a 10.0.0.1 -u /usr/share/ucarp/vip-up -d /usr/share/ucarp/vip-down -P -k 0 -b 1 -r 3 -M -x two words",
			want: want(func(o *cli.Options) {
				o.SrcIP, o.VHID, o.Password, o.VIPs = netip.MustParseAddr("10.0.0.2"), 3, []byte("16charsatmost"), addrs("10.0.0.1")
				o.UpScript, o.DownScript, o.Debug, o.Facility = "/usr/share/ucarp/vip-up", "/usr/share/ucarp/vip-down", false, "daemon"
				o.Daemonize, o.Shutdown, o.Preempt, o.NoMcast, o.XParam = true, true, true, true, "two"
				o.Ignored = []string{"words"}
			})},
		{name: "man page style, prefixes and hex vhid",
			line: "--interf=eth1 --src=192.168.1.2 --vh=0x10 --pass=pw --addr=192.168.1.1 --pre --advb=2 --advs=20 --dead=2 --shut --fac=local5 --nomc",
			want: want(func(o *cli.Options) {
				o.Interface, o.SrcIP, o.VHID, o.Password, o.VIPs = "eth1", netip.MustParseAddr("192.168.1.2"), 16, []byte("pw"), addrs("192.168.1.1")
				o.Preempt, o.AdvBase, o.AdvSkew, o.DeadRatio, o.Shutdown, o.Facility, o.NoMcast = true, 2, 20, 2, true, "local5", true
				o.Debug, o.UpScript, o.DownScript = false, "", ""
			})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := cli.Parse(strings.Fields(tt.line), noEnv)
			if tt.err != nil {
				require.ErrorIs(t, err, tt.err)
				require.Contains(t, err.Error(), "-k")
				return
			}
			require.NoError(t, err)
			tt.want.VIPPrefixes = hostPrefixes(tt.want.VIPs)
			require.Equal(t, tt.want, *got)
		})
	}
}
