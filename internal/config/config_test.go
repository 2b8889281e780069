package config_test

import (
	"errors"
	"fmt"
	"net/netip"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gocarp/gocarp/carp"
	"github.com/gocarp/gocarp/internal/cli"
	"github.com/gocarp/gocarp/internal/config"
	"github.com/gocarp/gocarp/wire"
)

// group1 is a valid group on lines 1-5; a case appends its fault on line 6.
// check1 is a [[check]] named web.
const check1 = "[[check]]\nname = \"web\"\ncommand = [\"/bin/true\"]\n"

const group1 = `[[group]]
interface = "eth0"
vhid = 1
vips = ["198.51.100.100"]
password = "secret"
`

// group2 is a second valid group, on eth1.
const group2 = `[[group]]
interface = "eth1"
vhid = 2
vips = ["198.51.100.200"]
password = "secret"
`

func TestParseBadFiles(t *testing.T) {
	var many strings.Builder
	for v := 1; v <= 255; v++ {
		fmt.Fprintf(&many, "[[group]]\ninterface = \"eth0\"\nvhid = %d\nvips = [\"10.0.%d.%d\"]\npassword = \"secret\"\n", v, v/250, v%250+1)
	}
	many.WriteString("[[group]]\ninterface = \"eth0\"\nvhid = 1\nvips = [\"10.1.0.1\"]\npassword = \"secret\"\n")

	tests := []struct {
		name, file, want string
		is               error // the cause, when there is one to match
	}{
		// Decoding: the TOML itself.
		{name: "unknown key", file: group1 + "advskw = 10\n",
			want: `carpd.toml:6: group "eth0-1": advskw: unknown key (did you mean advskew?)`},
		{name: "unknown key far from any", file: group1 + "colour = \"red\"\n",
			want: `carpd.toml:6: group "eth0-1": colour: unknown key`},
		{name: "misspelt key in defaults", file: "[defaults]\npassword_fle = \"x\"\n" + group1,
			want: `carpd.toml:2: defaults.password_fle: unknown key (did you mean password_file?)`},
		{name: "group key in defaults", file: "[defaults]\nvhid = 1\n" + group1,
			want: `carpd.toml:2: defaults.vhid: unknown key: name, vhid, vips are set in each [[group]], not in [defaults]`},
		{name: "unknown table", file: "[global]\nx = 1\n" + group1,
			want: `carpd.toml:1: global: unknown table`},
		{name: "misspelt top-level key", file: "[[groups]]\n" + group1,
			want: `carpd.toml:1: groups: unknown table (did you mean group?)`},
		{name: "wrong type", file: group1 + "advskew = \"100\"\n",
			want: `carpd.toml:6: group "eth0-1": advskew: must be an integer, got a string`},
		{name: "wrong type of an element", file: group1 + "peers = [1]\n",
			want: `carpd.toml:6: group "eth0-1": peers: must be an array of strings, got an integer in it`},
		{name: "wrong type: a string for a list", file: group1 + "peers = \"198.51.100.2\"\n",
			want: `carpd.toml:6: group "eth0-1": peers: must be an array of strings, got a string`},
		{name: "wrong type: a boolean", file: group1 + "preempt = \"yes\"\n",
			want: `carpd.toml:6: group "eth0-1": preempt: must be a boolean, got a string`},
		{name: "secure: a boolean", file: group1 + "secure = 1\n",
			want: `carpd.toml:6: group "eth0-1": secure: must be a boolean, got an integer`},
		{name: "secure in defaults: a boolean", file: "[defaults]\nsecure = \"on\"\n" + group1,
			want: `carpd.toml:2: defaults.secure: must be a boolean, got a string`},
		{name: "wrong type: a dotted key makes a table", file: group1 + "advskew.x = 1\n",
			want: `carpd.toml:6: group "eth0-1": advskew.x: must be an integer, got a table`},
		{name: "unknown table in a group", file: group1 + "[group.extra]\n",
			want: `carpd.toml:6: group "eth0-1": extra: unknown table`},
		{name: "wrong type in defaults", file: "[defaults]\nadvbase = true\n" + group1,
			want: `carpd.toml:2: defaults.advbase: must be an integer, got a boolean`},
		{name: "duplicate key", file: group1 + "vhid = 2\n",
			want: `carpd.toml:6: group "eth0-1": vhid: set twice`},
		{name: "duplicate key in defaults", file: "[defaults]\nadvbase = 1\nadvbase = 2\n" + group1,
			want: `carpd.toml:3: defaults.advbase: set twice`},
		{name: "duplicate table", file: "[defaults]\nadvbase = 1\n[defaults]\n" + group1,
			want: `carpd.toml:3: [defaults] given twice`},
		{name: "group as a single table", file: "[group]\ninterface = \"eth0\"\n",
			want: `carpd.toml:1: group: must be an array of tables ([[group]]), one per group; [group] is a single table`},
		{name: "syntax error", file: group1 + "advskew = = 1\n",
			want: `carpd.toml:6: group "eth0-1": unexpected character U+003D '=' at start of value`},
		{name: "no group", file: "[defaults]\nadvbase = 1\n",
			want: `carpd.toml: no [[group]]: nothing to run`},

		// A group's required keys.
		{name: "missing interface", file: "[[group]]\nvhid = 1\nvips = [\"198.51.100.100\"]\npassword = \"x\"\n",
			want: `carpd.toml:1: group #1: interface: required`},
		{name: "missing vhid", file: "[[group]]\ninterface = \"eth0\"\nvips = [\"198.51.100.100\"]\npassword = \"x\"\n",
			want: `carpd.toml:1: group #1: vhid: required (1..255)`},
		{name: "missing vips", file: "[[group]]\nname = \"web\"\ninterface = \"eth0\"\nvhid = 1\npassword = \"x\"\n",
			want: `carpd.toml:1: group "web": vips: required: one or more virtual addresses`},
		{name: "empty vips", file: strings.Replace(group1, `["198.51.100.100"]`, `[]`, 1),
			want: `carpd.toml:4: group "eth0-1": vips: at least one virtual address is required`, is: carp.ErrConfig},
		{name: "missing password", file: "[[group]]\ninterface = \"eth0\"\nvhid = 1\nvips = [\"198.51.100.100\"]\n",
			want: `carpd.toml:1: group "eth0-1": password: required: password or password_file, here or in [defaults]`},

		// Values: ranges, syntax, and carp's rules mapped back to the key.
		{name: "vhid 0", file: strings.Replace(group1, "vhid = 1", "vhid = 0", 1),
			want: `carpd.toml:3: group "eth0-0": vhid: must be 1..255`, is: carp.ErrConfig},
		{name: "vhid 256", file: strings.Replace(group1, "vhid = 1", "vhid = 256", 1),
			want: `carpd.toml:3: group #1: vhid: must be 1..255, got 256`},
		{name: "advskew 300", file: "[[group]]\nname = \"web\"\ninterface = \"eth0\"\nvhid = 1\nvips = [\"198.51.100.100\"]\npassword = \"x\"\nadvskew = 300\n",
			want: `carpd.toml:7: group "web": advskew: must be 0..255, got 300`},
		{name: "advskew 300 in defaults", file: "[defaults]\nadvskew = 300\n" + group1,
			want: `carpd.toml:2: defaults.advskew: must be 0..255, got 300`},
		{name: "advbase -1", file: group1 + "advbase = -1\n",
			want: `carpd.toml:6: group "eth0-1": advbase: must be 0..255, got -1`},
		{name: "advbase 255 with advskew 255", file: group1 + "advbase = 255\nadvskew = 255\n",
			want: `carpd.toml:7: group "eth0-1": advskew: advbase 255 with advskew 255 is the bow-out advert, not a configuration`, is: carp.ErrConfig},
		{name: "advskew 255 from defaults with advbase 255", file: "[defaults]\nadvskew = 255\n" + group1 + "advbase = 255\n",
			want: `carpd.toml:2: group "eth0-1": defaults.advskew: advbase 255 with advskew 255 is the bow-out advert, not a configuration`, is: carp.ErrConfig},
		{name: "sub-second advbase 0 with advskew 0", file: group1 + "advbase = 0\n",
			want: `carpd.toml:1: group "eth0-1": advskew: sub-second mode needs an advskew above 0: the interval is advskew/256 s`, is: carp.ErrConfig},
		{name: "deadratio 0", file: group1 + "deadratio = 0\n",
			want: fmt.Sprintf(`carpd.toml:6: group "eth0-1": deadratio: must be 1..%d, got 0`, carp.MaxDeadRatio)},
		{name: "deadratio too high", file: group1 + fmt.Sprintf("deadratio = %d\n", carp.MaxDeadRatio+1),
			want: fmt.Sprintf(`carpd.toml:6: group "eth0-1": deadratio: must be 1..%d, got %d`, carp.MaxDeadRatio, carp.MaxDeadRatio+1), is: carp.ErrConfig},
		{name: "bad VIP", file: strings.Replace(group1, `"198.51.100.100"`, `"198.51.100.300"`, 1),
			want: `carpd.toml:4: group "eth0-1": vips: "198.51.100.300": invalid address`},
		{name: "bad VIP prefix", file: strings.Replace(group1, `"198.51.100.100"`, `"198.51.100.100/33"`, 1),
			want: `carpd.toml:4: group "eth0-1": vips: "198.51.100.100/33": invalid address/prefix length`},
		{name: "VIP not unicast", file: strings.Replace(group1, `"198.51.100.100"`, `"127.0.0.1"`, 1),
			want: `carpd.toml:4: group "eth0-1": vips: 127.0.0.1 is not a unicast address`, is: carp.ErrConfig},
		{name: "VIP listed twice", file: strings.Replace(group1, `"198.51.100.100"`, `"198.51.100.100/24", "198.51.100.100"`, 1),
			want: `carpd.toml:4: group "eth0-1": vips: 198.51.100.100 is listed twice`, is: carp.ErrConfig},
		{name: "VIP in two groups of one interface", file: group1 + strings.Replace(strings.Replace(group2, "eth1", "eth0", 1), "198.51.100.200", "198.51.100.100/24", 1),
			want: `carpd.toml:9: group "eth0-2": vips: 198.51.100.100 is already a VIP of group "eth0-1" at line 1 on eth0`},
		{name: "two groups with the same vhid and interface", file: group1 + strings.Replace(strings.Replace(group2, "eth1", "eth0", 1), "vhid = 2", "name = \"other\"\nvhid = 1", 1),
			want: `carpd.toml:9: group "other": vhid: eth0 already has vhid 1: group "eth0-1" at line 1`},
		{name: "duplicate names", file: "[[group]]\nname = \"web\"\n" + group1[len("[[group]]\n"):] + "[[group]]\nname = \"web\"\n" + group2[len("[[group]]\n"):],
			want: `carpd.toml:8: group "web": name: "web" is already the name of the group at line 1`},
		{name: "a name that is another group's default name", file: group1 + "[[group]]\nname = \"eth0-1\"\n" + group2[len("[[group]]\n"):],
			want: `carpd.toml:7: group "eth0-1": name: "eth0-1" is already the name of the group at line 1`},
		{name: "empty name", file: "[[group]]\nname = \"\"\n" + group1[len("[[group]]\n"):],
			want: `carpd.toml:2: group #1: name: must not be empty`},
		{name: "256 groups on one interface", file: many.String(),
			want: `carpd.toml:1278: group "eth0-1": vhid: eth0 already has vhid 1: group "eth0-1" at line 1`},

		// The password.
		{name: "password and password_file", file: group1 + "password_file = \"testdata/carp.pass\"\n",
			want: `carpd.toml:6: group "eth0-1": password_file: set together with password: give one of the two`},
		{name: "password and password_file in defaults", file: "[defaults]\npassword = \"x\"\npassword_file = \"testdata/carp.pass\"\n" + group1,
			want: `carpd.toml:3: defaults.password_file: set together with password: give one of the two`},
		{name: "password_file missing", file: strings.Replace(group1, `password = "secret"`, `password_file = "testdata/missing.pass"`, 1),
			want: `carpd.toml:5: group "eth0-1": password_file: testdata/missing.pass: unable to open passfile for reading: no such file or directory`, is: os.ErrNotExist},
		{name: "password_file empty", file: strings.Replace(group1, `password = "secret"`, `password_file = "testdata/empty.pass"`, 1),
			want: `carpd.toml:5: group "eth0-1": password_file: testdata/empty.pass: error reading passfile: unexpected end of file`, is: cli.ErrPassfile},
		{name: "password_file too long (20 bytes)", file: strings.Replace(group1, `password = "secret"`, `password_file = "testdata/long.pass"`, 1),
			want: `carpd.toml:5: group "eth0-1": password_file: must be 1..19 bytes, got 20`, is: carp.ErrConfig},
		{name: "password_file in defaults too long", file: "[defaults]\npassword_file = \"testdata/long.pass\"\n" + strings.Replace(group1, "password = \"secret\"\n", "", 1),
			want: `carpd.toml:2: group "eth0-1": defaults.password_file: must be 1..19 bytes, got 20`, is: carp.ErrConfig},
		{name: "password too long", file: strings.Replace(group1, `"secret"`, `"01234567890123456789"`, 1),
			want: `carpd.toml:5: group "eth0-1": password: must be 1..19 bytes, got 20`, is: carp.ErrConfig},
		{name: "password empty", file: strings.Replace(group1, `"secret"`, `""`, 1),
			want: `carpd.toml:5: group "eth0-1": password: must be 1..19 bytes, got 0`, is: carp.ErrConfig},

		// Checks, tracking, sync sets, the start.
		{name: "check not defined", file: group1 + "checks = [\"nginx\"]\n" + check1,
			want: `carpd.toml:6: group "eth0-1": checks: no [[check]] is named "nginx" (the checks: web)`},
		{name: "check listed twice", file: group1 + "checks = [\"web\", \"web\"]\n" + check1,
			want: `carpd.toml:6: group "eth0-1": checks: "web" is listed twice`},
		{name: "check without a name", file: group1 + "[[check]]\ncommand = [\"/bin/true\"]\n",
			want: `carpd.toml:6: check #1: name: required: the name the groups' checks list`},
		{name: "check without a command", file: group1 + "[[check]]\nname = \"web\"\n",
			want: `carpd.toml:6: check "web": command: required: the program and its arguments, e.g. ["/usr/bin/curl", "-fsS", "http://127.0.0.1/"] (no shell)`},
		{name: "check with an empty command", file: group1 + "[[check]]\nname = \"web\"\ncommand = []\n",
			want: `carpd.toml:8: check "web": command: required: the program and its arguments, e.g. ["/usr/bin/curl", "-fsS", "http://127.0.0.1/"] (no shell)`},
		{name: "check with a shell line", file: group1 + "[[check]]\nname = \"web\"\ncommand = \"curl -f x\"\n",
			want: `carpd.toml:8: check "web": command: must be an array of strings, got a string`},
		{name: "check misspelt key", file: group1 + check1 + "intervall = \"2s\"\n",
			want: `carpd.toml:9: check "web": intervall: unknown key (did you mean interval?)`},
		{name: "check bad interval", file: group1 + check1 + "interval = \"0s\"\n",
			want: `carpd.toml:9: check "web": interval: want a duration above 0 like 1s or 500ms, got "0s"`},
		{name: "check bad timeout", file: group1 + check1 + "timeout = \"soon\"\n",
			want: `carpd.toml:9: check "web": timeout: want a duration above 0 like 1s or 500ms, got "soon"`},
		{name: "check bad rise", file: group1 + check1 + "rise = 0\n",
			want: `carpd.toml:9: check "web": rise: must be 1..1000, got 0`},
		{name: "check bad fall type", file: group1 + check1 + "fall = \"3\"\n",
			want: `carpd.toml:9: check "web": fall: must be an integer, got a string`},
		{name: "check bad demote", file: group1 + check1 + "demote = 256\n",
			want: `carpd.toml:9: check "web": demote: must be 1..255, got 256`},
		{name: "check named twice", file: group1 + check1 + check1,
			want: `carpd.toml:10: check "web": name: "web" is already the name of the check at line 6`},
		{name: "bad track", file: group1 + "track_interfaces = [\"eth1:0\"]\n",
			want: `carpd.toml:6: group "eth0-1": track_interfaces: "eth1:0": the demotion after ':' must be 1..255`},
		{name: "bad track name", file: group1 + "track_interfaces = [\"a/b\"]\n",
			want: `carpd.toml:6: group "eth0-1": track_interfaces: "a/b": interface "a/b" is not an interface name`},
		{name: "track listed twice", file: group1 + "track_interfaces = [\"eth1\", \"eth1:5\"]\n",
			want: `carpd.toml:6: group "eth0-1": track_interfaces: eth1 is listed twice`},
		{name: "bad sync", file: group1 + "sync = \"\"\n",
			want: `carpd.toml:6: group "eth0-1": sync: must not be empty`},
		{name: "bad startup_demote_for", file: group1 + "startup_demote_for = \"-1s\"\n",
			want: `carpd.toml:6: group "eth0-1": startup_demote_for: want a duration like 30s or 2m (0 = none), got "-1s"`},
		{name: "startup_demote_for in defaults", file: "[defaults]\nstartup_demote_for = \"x\"\n" + group1,
			want: `carpd.toml:2: defaults.startup_demote_for: want a duration like 30s or 2m (0 = none), got "x"`},

		{name: "VIP is the source", file: group1 + "source = \"198.51.100.100\"\n",
			want: `carpd.toml:4: group "eth0-1": vips: 198.51.100.100 is the source address, this host's own: a VIP must not be`, is: carp.ErrConfig},

		// The other keys.
		{name: "bad peer", file: group1 + "peers = [\"peer-a\"]\n",
			want: `carpd.toml:6: group "eth0-1": peers: "peer-a" is not an IP address`},
		{name: "bad peer family", file: group1 + "peers = [\"2001:db8::2\"]\n",
			want: `carpd.toml:6: group "eth0-1": peers: 2001:db8::2 is IPv6, but no VIP is`, is: carp.ErrConfig},
		{name: "no peer of a VIP's family", file: strings.Replace(group1, `"198.51.100.100"`, `"198.51.100.100", "2001:db8::100"`, 1) + "peers = [\"198.51.100.2\"]\n",
			want: `carpd.toml:6: group "eth0-1": peers: no IPv6 peer for the IPv6 VIPs`, is: carp.ErrConfig},
		{name: "bad mcast", file: group1 + "mcast = \"198.51.100.1\"\n",
			want: `carpd.toml:6: group "eth0-1": mcast: 198.51.100.1 is not an IPv4 multicast address`, is: carp.ErrConfig},
		{name: "mcast not an address", file: group1 + "mcast = \"all\"\n",
			want: `carpd.toml:6: group "eth0-1": mcast: "all" is not an IP address`},
		{name: "bad source", file: group1 + "source = \"2001:db8::1\"\n",
			want: `carpd.toml:6: group "eth0-1": source: must be an IPv4 address of this host, got "2001:db8::1"`},
		{name: "bad tiebreak", file: group1 + "tiebreak = \"linux\"\n",
			want: `carpd.toml:6: group "eth0-1": tiebreak: want ucarp or bsd, got "linux"`},
		{name: "bad demotion", file: group1 + "demotion = \"both\"\n",
			want: `carpd.toml:6: group "eth0-1": demotion: want skew or byte, got "both"`},
		{name: "bad source_mac", file: group1 + "source_mac = \"01:00:5e:00:00:01\"\n",
			want: `carpd.toml:6: group "eth0-1": source_mac: a source MAC must be a non-zero unicast address, got "01:00:5e:00:00:01"`},
		{name: "source_mac not a MAC", file: group1 + "source_mac = \"fake\"\n",
			want: `carpd.toml:6: group "eth0-1": source_mac: want real, ucarp, bsd or an Ethernet address like 02:00:00:00:00:01, got "fake"`},
		{name: "bad script_timeout", file: group1 + "script_timeout = \"10\"\n",
			want: `carpd.toml:6: group "eth0-1": script_timeout: want a duration like 10s or 1m30s (0 = no limit), got "10"`},
		{name: "negative script_timeout", file: group1 + "script_timeout = \"-1s\"\n",
			want: `carpd.toml:6: group "eth0-1": script_timeout: want a duration like 10s or 1m30s (0 = no limit), got "-1s"`},
		{name: "interface name too long", file: strings.Replace(group1, `"eth0"`, `"averyverylongname0"`, 1),
			want: `carpd.toml:2: group "averyverylongname0-1": interface: "averyverylongname0" has 18 bytes, at most 15`},
		{name: "interface name with a slash", file: strings.Replace(group1, `"eth0"`, `"eth0/1"`, 1),
			want: `carpd.toml:2: group "eth0/1-1": interface: "eth0/1" is not an interface name`},
		{name: "interface name empty", file: strings.Replace(group1, `"eth0"`, `""`, 1),
			want: `carpd.toml:2: group #1: interface: must not be empty`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := config.Parse("carpd.toml", []byte(tt.file))
			require.Nil(t, c)
			var ce *config.Error
			require.ErrorAs(t, err, &ce)
			require.Equal(t, tt.want, err.Error())
			require.Equal(t, "carpd.toml", ce.File)
			if tt.is != nil {
				require.ErrorIs(t, err, tt.is)
			}
		})
	}
}

func TestParseDefaults(t *testing.T) {
	tests := []struct {
		name  string
		file  string
		check func(t *testing.T, g []config.Group)
	}{
		{name: "ucarp's defaults", file: group1, check: func(t *testing.T, g []config.Group) {
			require.Equal(t, "eth0-1", g[0].Name)
			require.Equal(t, uint8(carp.DefaultAdvBase), g[0].AdvBase)
			require.False(t, g[0].SubSecond)
			require.Zero(t, g[0].AdvSkew)
			require.Equal(t, uint(carp.DefaultDeadRatio), g[0].DeadRatio)
			require.Equal(t, wire.IPv4Group, g[0].Mcast)
			require.Equal(t, carp.TieBreakUcarp, g[0].TieBreak)
			require.Equal(t, carp.DemoteSkew, g[0].Demotion)
			require.Equal(t, "real", g[0].SourceMAC)
			require.Equal(t, cli.DefaultScriptTimeout, g[0].ScriptTimeout)
			require.True(t, g[0].ManageVIPs, "manage_vips defaults to true in a file")
			require.False(t, g[0].Source.IsValid(), "no source: the daemon discovers it")
			require.Empty(t, g[0].Peers)
			require.Equal(t, []netip.Prefix{netip.MustParsePrefix("198.51.100.100/32")}, g[0].VIPs)
		}},
		{name: "advbase = 0 is sub-second mode", file: group1 + "advbase = 0\nadvskew = 64\n", check: func(t *testing.T, g []config.Group) {
			require.True(t, g[0].SubSecond)
			require.Zero(t, g[0].AdvBase)
			cc := g[0].Carp()
			require.True(t, cc.SubSecond)
			require.Zero(t, cc.AdvBase)
			require.Equal(t, uint8(64), cc.AdvSkew)
		}},
		{name: "sub-second from defaults", file: "[defaults]\nadvbase = 0\nadvskew = 10\n" + group1, check: func(t *testing.T, g []config.Group) {
			require.True(t, g[0].SubSecond)
		}},
		{name: "defaults apply where a group sets nothing", file: "[defaults]\ninterface = \"eth1\"\npassword_file = \"testdata/carp.pass\"\nadvskew = 50\npreempt = true\n" +
			"[[group]]\nvhid = 1\nvips = [\"198.51.100.1\"]\n" +
			"[[group]]\nvhid = 2\nvips = [\"198.51.100.2\"]\ninterface = \"eth2\"\npassword = \"own\"\nadvskew = 0\npreempt = false\n",
			check: func(t *testing.T, g []config.Group) {
				require.Len(t, g, 2)
				require.Equal(t, "eth1", g[0].Interface)
				require.Equal(t, "eth1-1", g[0].Name)
				require.Equal(t, []byte("0123456789abcdef"), g[0].Password)
				require.Equal(t, uint8(50), g[0].AdvSkew)
				require.True(t, g[0].Preempt)
				require.Equal(t, "eth2", g[1].Interface)
				require.Equal(t, []byte("own"), g[1].Password, "a group's password replaces the default password_file")
				require.Zero(t, g[1].AdvSkew)
				require.False(t, g[1].Preempt)
				require.Equal(t, 9, g[1].Line)
			}},
		{name: "the same vhid on two interfaces, the same VIP on two interfaces", file: group1 + strings.Replace(group2, "vhid = 2", "vhid = 1", 1) +
			strings.Replace(strings.Replace(group2, "eth1", "eth2", 1), "198.51.100.200", "198.51.100.100", 1),
			check: func(t *testing.T, g []config.Group) {
				require.Len(t, g, 3)
			}},
		{name: "255 groups on one interface", file: func() string {
			var b strings.Builder
			for v := 1; v <= 255; v++ {
				fmt.Fprintf(&b, "[[group]]\ninterface = \"eth0\"\nvhid = %d\nvips = [\"10.0.0.%d\"]\npassword = \"x\"\n", v, v)
			}
			return b.String()
		}(), check: func(t *testing.T, g []config.Group) {
			require.Len(t, g, 255)
			require.Equal(t, uint8(255), g[254].VHID)
		}},
		{name: "inline tables", file: "defaults = { advskew = 7 }\ngroup = [\n  { interface = \"eth0\", vhid = 1, vips = [\"198.51.100.1\"], password = \"x\" },\n]\n",
			check: func(t *testing.T, g []config.Group) {
				require.Equal(t, uint8(7), g[0].AdvSkew)
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := config.Parse("carpd.toml", []byte(tt.file))
			require.NoError(t, err)
			require.Equal(t, "carpd.toml", c.Path)
			tt.check(t, c.Groups)
		})
	}
}

func TestLoad(t *testing.T) {
	c, err := config.Load("testdata/minimal.toml")
	require.NoError(t, err)
	require.Equal(t, "testdata/minimal.toml", c.Path)
	require.Len(t, c.Groups, 1)
	require.Equal(t, "eth0-42", c.Groups[0].Name)
	require.Equal(t, 2, c.Groups[0].Line)

	_, err = config.Load("testdata/nonexistent.toml")
	require.EqualError(t, err, "testdata/nonexistent.toml: no such file or directory")
	require.ErrorIs(t, err, os.ErrNotExist)
}

func TestGroupWrap(t *testing.T) {
	file := group1 + "source = \"198.51.100.1\"\n"
	c, err := config.Parse("carpd.toml", []byte(file))
	require.NoError(t, err)
	g := &c.Groups[0]
	// carp.New refuses a Source no VIP needs, say: the daemon names the key.
	err = g.Wrap(&carp.ConfigError{Field: "Source", Msg: "set, but no VIP is IPv4"})
	require.EqualError(t, err, `carpd.toml:6: group "eth0-1": source: set, but no VIP is IPv4`)
	require.ErrorIs(t, err, carp.ErrConfig)
	err = g.Wrap(errors.New("opening eth0: no such device"))
	require.EqualError(t, err, `carpd.toml:1: group "eth0-1": opening eth0: no such device`)
	require.NoError(t, g.Wrap(nil))
}

func TestControlSocket(t *testing.T) {
	const group = "[[group]]\ninterface = \"eth0\"\nvhid = 1\nvips = [\"198.51.100.100\"]\npassword = \"x\"\n"
	c, err := config.Parse("carpd.toml", []byte(group+"[control]\nsocket = \"/run/other.sock\"\n"))
	require.NoError(t, err)
	require.Equal(t, "/run/other.sock", c.Control)
	c, err = config.Parse("/etc/carpd/carpd.toml", []byte(group+"[control]\nsocket = \"carpd.sock\"\n"))
	require.NoError(t, err)
	require.Equal(t, "/etc/carpd/carpd.sock", c.Control, "relative to the file's directory")
	c, err = config.Parse("carpd.toml", []byte(group))
	require.NoError(t, err)
	require.Empty(t, c.Control, "the default is carpd's")

	for _, tt := range []struct{ file, want string }{
		{group + "[control]\nsocket = \"\"\n", `carpd.toml:7: control.socket: must be a path of 1..107 bytes, got 0`},
		{group + "[control]\nsockt = \"/run/x.sock\"\n", `carpd.toml:7: control.sockt: unknown key`},
		{group + "[control]\nsocket = 1\n", `carpd.toml:7: control.socket: must be`},
		{group + "[contrl]\nsocket = \"/x\"\n", `carpd.toml:6: contrl: unknown table (did you mean control?)`},
	} {
		_, err := config.Parse("carpd.toml", []byte(tt.file))
		require.ErrorContains(t, err, tt.want, tt.file)
	}
}

func TestHTTPListen(t *testing.T) {
	const group = "[[group]]\ninterface = \"eth0\"\nvhid = 1\nvips = [\"198.51.100.100\"]\npassword = \"x\"\n"
	c, err := config.Parse("carpd.toml", []byte(group+"[http]\nlisten = \"127.0.0.1:9108\"\n"))
	require.NoError(t, err)
	require.Equal(t, "127.0.0.1:9108", c.HTTP)
	c, err = config.Parse("carpd.toml", []byte(group))
	require.NoError(t, err)
	require.Empty(t, c.HTTP, "no HTTP unless asked for")
	for _, tt := range []struct{ file, want string }{
		{group + "[http]\nlisten = \"9108\"\n", `carpd.toml:7: http.listen: want HOST:PORT, e.g. 127.0.0.1:9108, got "9108"`},
		{group + "[http]\nlisen = \"127.0.0.1:1\"\n", `carpd.toml:7: http.lisen: unknown key`},
	} {
		_, err := config.Parse("carpd.toml", []byte(tt.file))
		require.ErrorContains(t, err, tt.want, tt.file)
	}
}
