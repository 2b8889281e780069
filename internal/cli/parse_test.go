package cli_test

import (
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gocarp/gocarp/internal/cli"
)

// base is a minimal valid command line; cases append to it, and since the last
// occurrence of an option wins, appended options override it.
var base = []string{"-s", "10.0.0.1", "-v", "1", "-p", "pw", "-a", "10.0.0.100"}

func with(extra ...string) []string {
	return append(append([]string(nil), base...), extra...)
}

func addrs(ss ...string) []netip.Addr {
	var as []netip.Addr
	for _, s := range ss {
		as = append(as, netip.MustParseAddr(s))
	}
	return as
}

// baseWant is what Parse(base) must return.
func baseWant() cli.Options {
	return cli.Options{
		SrcIP:          netip.MustParseAddr("10.0.0.1"),
		VHID:           1,
		Password:       []byte("pw"),
		PasswordSource: "flag",
		VIPs:           addrs("10.0.0.100"),
		AdvBase:        1,
		DeadRatio:      3,
		Mcast:          netip.MustParseAddr("224.0.0.18"),
		Facility:       "daemon",
		TieBreak:       "ucarp",
		SourceMAC:      "real",
		ScriptTimeout:  10 * time.Second,
	}
}

// hostPrefixes is what a bare -a gives: each VIP as a /32 or /128.
func hostPrefixes(as []netip.Addr) []netip.Prefix {
	var ps []netip.Prefix
	for _, a := range as {
		ps = append(ps, netip.PrefixFrom(a, a.BitLen()))
	}
	return ps
}

func noEnv(string) string { return "" }

func writeFile(t *testing.T, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "pass")
	require.NoError(t, os.WriteFile(p, []byte(content), 0o600))
	return p
}

func TestParseOptions(t *testing.T) {
	pf := writeFile(t, "filepw\nsecond line\n")
	pfCRLF := writeFile(t, "crlf\r\n")
	pfNoNL := writeFile(t, "nonl")
	pfNUL := writeFile(t, "ab\x00cd\n")

	type mod func(o *cli.Options)
	iface := func(s string) mod { return func(o *cli.Options) { o.Interface = s } }
	src := func(s string) mod { return func(o *cli.Options) { o.SrcIP = netip.MustParseAddr(s) } }
	mcast := func(s string) mod { return func(o *cli.Options) { o.Mcast = netip.MustParseAddr(s) } }
	vhid := func(v uint8) mod { return func(o *cli.Options) { o.VHID = v } }
	pass := func(p, from string) mod {
		return func(o *cli.Options) { o.Password, o.PasswordSource = []byte(p), from }
	}
	passFile := func(p, file string) mod {
		return func(o *cli.Options) { o.Password, o.PasswordSource, o.PasswordFile = []byte(p), "file", file }
	}
	vips := func(ss ...string) mod { return func(o *cli.Options) { o.VIPs = addrs(ss...) } }
	prefixes := func(ss ...string) mod {
		return func(o *cli.Options) {
			o.VIPPrefixes = nil
			for _, s := range ss {
				o.VIPPrefixes = append(o.VIPPrefixes, netip.MustParsePrefix(s))
			}
		}
	}
	advbase := func(v uint8) mod { return func(o *cli.Options) { o.AdvBase = v } }
	advskew := func(v uint8) mod { return func(o *cli.Options) { o.AdvSkew = v } }
	dead := func(v uint) mod { return func(o *cli.Options) { o.DeadRatio = v } }
	up := func(s string) mod { return func(o *cli.Options) { o.UpScript = s } }
	down := func(s string) mod { return func(o *cli.Options) { o.DownScript = s } }
	xparam := func(s string) mod { return func(o *cli.Options) { o.XParam = s } }
	facility := func(s string) mod { return func(o *cli.Options) { o.Facility = s } }
	ignored := func(s ...string) mod { return func(o *cli.Options) { o.Ignored = s } }
	preempt := func(o *cli.Options) { o.Preempt = true }
	neutral := func(o *cli.Options) { o.Neutral = true }
	debug := func(o *cli.Options) { o.Debug = true }
	shutdown := func(o *cli.Options) { o.Shutdown = true }
	daemonize := func(o *cli.Options) { o.Daemonize = true }
	ignoreif := func(o *cli.Options) { o.IgnoreIfState = true }
	nomcast := func(o *cli.Options) { o.NoMcast = true }

	tests := []struct {
		name string
		args []string
		env  map[string]string
		mods []mod
	}{
		{name: "base", args: with()},

		{name: "-i", args: with("-i", "eth0"), mods: []mod{iface("eth0")}},
		{name: "-i attached", args: with("-ieth1"), mods: []mod{iface("eth1")}},
		{name: "--interface=", args: with("--interface=eth0"), mods: []mod{iface("eth0")}},
		{name: "--interface next", args: with("--interface", "eth0"), mods: []mod{iface("eth0")}},
		{name: "--in prefix", args: with("--in=br0"), mods: []mod{iface("br0")}},
		{name: "-i 15 bytes", args: with("-i", "abcdefghijklmno"), mods: []mod{iface("abcdefghijklmno")}},

		{name: "-s", args: with("-s", "10.0.0.2"), mods: []mod{src("10.0.0.2")}},
		{name: "-s attached", args: with("-s10.0.0.3"), mods: []mod{src("10.0.0.3")}},
		{name: "--srcip=", args: with("--srcip=10.0.0.4"), mods: []mod{src("10.0.0.4")}},
		{name: "--sr prefix", args: with("--sr", "10.0.0.5"), mods: []mod{src("10.0.0.5")}},

		{name: "-m", args: with("-m", "239.1.1.1"), mods: []mod{mcast("239.1.1.1")}},
		{name: "-m attached", args: with("-m239.1.1.2"), mods: []mod{mcast("239.1.1.2")}},
		{name: "--mcast=", args: with("--mcast=239.1.1.3"), mods: []mod{mcast("239.1.1.3")}},
		{name: "--mcastip", args: with("--mcastip", "239.1.1.4"), mods: []mod{mcast("239.1.1.4")}},
		{name: "--mc prefix of both aliases", args: with("--mc=239.1.1.5"), mods: []mod{mcast("239.1.1.5")}},
		{name: "--mcast unicast with -M", args: with("-M", "--mcast=10.0.0.2"), mods: []mod{mcast("10.0.0.2"), nomcast}},

		{name: "-v", args: with("-v", "42"), mods: []mod{vhid(42)}},
		{name: "-v attached", args: with("-v42"), mods: []mod{vhid(42)}},
		{name: "-v hex", args: with("-v", "0x2a"), mods: []mod{vhid(42)}},
		{name: "-v HEX", args: with("-v", "0X2A"), mods: []mod{vhid(42)}},
		{name: "-v octal", args: with("-v", "052"), mods: []mod{vhid(42)}},
		{name: "-v plus", args: with("-v", "+42"), mods: []mod{vhid(42)}},
		{name: "-v blank", args: with("-v", " 42"), mods: []mod{vhid(42)}},
		{name: "-v 255", args: with("-v", "255"), mods: []mod{vhid(255)}},
		{name: "--vhid=", args: with("--vhid=7"), mods: []mod{vhid(7)}},
		{name: "--vh prefix", args: with("--vh", "8"), mods: []mod{vhid(8)}},
		{name: "--v is still vhid despite --version", args: with("--v=9"), mods: []mod{vhid(9)}},

		{name: "-p", args: with("-p", "secret"), mods: []mod{pass("secret", "flag")}},
		{name: "-p attached", args: with("-psecret"), mods: []mod{pass("secret", "flag")}},
		{name: "--pass exact beats --passfile", args: with("--pass", "secret"), mods: []mod{pass("secret", "flag")}},
		{name: "--pass=", args: with("--pass=se=cret"), mods: []mod{pass("se=cret", "flag")}},
		{name: "-p 19 bytes", args: with("-p", "0123456789abcdefghi"), mods: []mod{pass("0123456789abcdefghi", "flag")}},
		{name: "-o", args: with("-o", pf), mods: []mod{passFile("filepw", pf)}},
		{name: "--passfile=", args: with("--passfile=" + pf), mods: []mod{passFile("filepw", pf)}},
		{name: "--passf prefix", args: with("--passf", pf), mods: []mod{passFile("filepw", pf)}},
		{name: "-o keeps CR", args: with("-o", pfCRLF), mods: []mod{passFile("crlf\r", pfCRLF)}},
		{name: "-o without newline", args: with("-o", pfNoNL), mods: []mod{passFile("nonl", pfNoNL)}},
		{name: "-o stops at NUL", args: with("-o", pfNUL), mods: []mod{passFile("ab", pfNUL)}},
		{name: "-o then -p: last wins", args: with("-o", pf, "-p", "later"), mods: []mod{pass("later", "flag")}},
		{name: "-p then -o: last wins", args: with("-p", "first", "-o", pf), mods: []mod{passFile("filepw", pf)}},
		{name: "env password", args: []string{"-s", "10.0.0.1", "-v", "1", "-a", "10.0.0.100"},
			env: map[string]string{"CARPD_PASSWORD": "envpw"}, mods: []mod{pass("envpw", "env")}},
		{name: "-p beats env", args: with(), env: map[string]string{"CARPD_PASSWORD": "envpw"}},

		{name: "-a repeated", args: with("-a", "10.0.0.101"), mods: []mod{vips("10.0.0.100", "10.0.0.101")}},
		{name: "-a duplicate once", args: with("--addr=10.0.0.100"), mods: []mod{vips("10.0.0.100")}},
		{name: "-a IPv6", args: with("-a", "2001:db8::1"), mods: []mod{vips("10.0.0.100", "2001:db8::1")}},
		{name: "-a ADDR/LEN", args: with("-a", "198.51.100.100/24", "-a", "2001:db8::100/64"),
			mods: []mod{vips("10.0.0.100", "198.51.100.100", "2001:db8::100"), prefixes("10.0.0.100/32", "198.51.100.100/24", "2001:db8::100/64")}},
		{name: "-a ADDR/32 is a bare -a", args: with("-a", "10.0.0.100/32"), mods: []mod{vips("10.0.0.100")}},
		{name: "-a ADDR/LEN keeps the host bits", args: []string{"-s", "10.0.0.1", "-v", "1", "-p", "pw", "--addr=10.0.0.100/8"},
			mods: []mod{prefixes("10.0.0.100/8")}},
		{name: "-a the same ADDR/LEN twice", args: with("-a", "10.0.0.101/24", "-a", "10.0.0.101/24"),
			mods: []mod{vips("10.0.0.100", "10.0.0.101"), prefixes("10.0.0.100/32", "10.0.0.101/24")}},
		{name: "--ad prefix is ambiguous, --addr works", args: with("--addr", "10.0.0.102"), mods: []mod{vips("10.0.0.100", "10.0.0.102")}},
		{name: "IPv6 only, no -s", args: []string{"-v", "1", "-p", "pw", "-a", "2001:db8::1", "-a", "fe80::1"},
			mods: []mod{vips("2001:db8::1", "fe80::1"), func(o *cli.Options) { o.SrcIP = netip.Addr{} }}},

		{name: "-P", args: with("-P"), mods: []mod{preempt}},
		{name: "--preempt", args: with("--preempt"), mods: []mod{preempt}},
		{name: "--pr", args: with("--pr"), mods: []mod{preempt}},
		{name: "-n", args: with("-n"), mods: []mod{neutral}},
		{name: "--neutral", args: with("--neutral"), mods: []mod{neutral}},
		{name: "--ne", args: with("--ne"), mods: []mod{neutral}},
		{name: "-D", args: with("-D"), mods: []mod{debug}},
		{name: "--debug", args: with("--debug"), mods: []mod{debug}},
		{name: "--deb", args: with("--deb"), mods: []mod{debug}},
		{name: "-z", args: with("-z"), mods: []mod{shutdown}},
		{name: "--shutdown", args: with("--shutdown"), mods: []mod{shutdown}},
		{name: "--sh", args: with("--sh"), mods: []mod{shutdown}},
		{name: "-B", args: with("-B"), mods: []mod{daemonize}},
		{name: "--daemonize", args: with("--daemonize"), mods: []mod{daemonize}},
		{name: "--da", args: with("--da"), mods: []mod{daemonize}},
		{name: "-S", args: with("-S"), mods: []mod{ignoreif}},
		{name: "--ignoreifstate", args: with("--ignoreifstate"), mods: []mod{ignoreif}},
		{name: "--ig", args: with("--ig"), mods: []mod{ignoreif}},
		{name: "-M", args: with("-M"), mods: []mod{nomcast}},
		{name: "--nomcast", args: with("--nomcast"), mods: []mod{nomcast}},
		{name: "--no", args: with("--no"), mods: []mod{nomcast}},
		{name: "bundle", args: with("-PnDzBSM"), mods: []mod{preempt, neutral, debug, shutdown, daemonize, ignoreif, nomcast}},
		{name: "bundle ending in attached value", args: with("-PzSv42"), mods: []mod{preempt, shutdown, ignoreif, vhid(42)}},
		{name: "bundle ending in option taking next word", args: with("-Pk", "7"), mods: []mod{preempt, advskew(7)}},

		{name: "-b", args: with("-b", "5"), mods: []mod{advbase(5)}},
		{name: "-b attached", args: with("-b3"), mods: []mod{advbase(3)}},
		{name: "--advbase=", args: with("--advbase=255"), mods: []mod{advbase(255)}},
		{name: "--advb", args: with("--advb", "2"), mods: []mod{advbase(2)}},
		{name: "-b 0 with skew", args: with("-b", "0", "-k", "1"), mods: []mod{advbase(0), advskew(1)}},
		{name: "-k", args: with("-k", "100"), mods: []mod{advskew(100)}},
		{name: "--advskew=254", args: with("--advskew=254"), mods: []mod{advskew(254)}},
		{name: "--advs", args: with("--advs", "0x10"), mods: []mod{advskew(16)}},
		{name: "-r", args: with("-r", "1"), mods: []mod{dead(1)}},
		{name: "--deadratio=", args: with("--deadratio=100"), mods: []mod{dead(100)}},
		{name: "--dea", args: with("--dea", "65535"), mods: []mod{dead(65535)}},

		{name: "-u", args: with("-u", "/etc/up.sh"), mods: []mod{up("/etc/up.sh")}},
		{name: "--upscript=", args: with("--upscript=/etc/up.sh"), mods: []mod{up("/etc/up.sh")}},
		{name: "--up", args: with("--up", "/u"), mods: []mod{up("/u")}},
		{name: "-d", args: with("-d", "/etc/down.sh"), mods: []mod{down("/etc/down.sh")}},
		{name: "--downscript", args: with("--downscript", "/d"), mods: []mod{down("/d")}},
		{name: "--do", args: with("--do=/d2"), mods: []mod{down("/d2")}},
		{name: "-x", args: with("-x", "nodeA"), mods: []mod{xparam("nodeA")}},
		{name: "--xparam= with space", args: with("--xparam=a b"), mods: []mod{xparam("a b")}},
		{name: "--x", args: with("--x", "-dash"), mods: []mod{xparam("-dash")}},

		{name: "-f", args: with("-f", "local3"), mods: []mod{facility("local3")}},
		{name: "--facility case-insensitive", args: with("--facility=LOCAL7"), mods: []mod{facility("local7")}},
		{name: "--fa none", args: with("--fa", "none"), mods: []mod{facility("none")}},
		{name: "-f security is auth", args: with("-f", "security"), mods: []mod{facility("auth")}},

		{name: "--pidfile", args: with("--pidfile=/run/carpd.pid"), mods: []mod{func(o *cli.Options) { o.PIDFile = "/run/carpd.pid" }}},
		{name: "--pid", args: with("--pid", "/x"), mods: []mod{func(o *cli.Options) { o.PIDFile = "/x" }}},
		{name: "--tiebreak", args: with("--tiebreak=bsd"), mods: []mod{func(o *cli.Options) { o.TieBreak = "bsd" }}},
		{name: "--tie", args: with("--tie", "BSD"), mods: []mod{func(o *cli.Options) { o.TieBreak = "bsd" }}},
		{name: "--tiebreak ucarp", args: with("--tiebreak", "ucarp")},
		{name: "--source-mac ucarp", args: with("--source-mac=ucarp"), mods: []mod{func(o *cli.Options) { o.SourceMAC = "ucarp" }}},
		{name: "--so bsd", args: with("--so", "bsd"), mods: []mod{func(o *cli.Options) { o.SourceMAC = "bsd" }}},
		{name: "--source-mac literal", args: with("--source-mac", "02:00:00:00:00:AA"), mods: []mod{func(o *cli.Options) { o.SourceMAC = "02:00:00:00:00:aa" }}},
		{name: "--script-timeout", args: with("--script-timeout=1m30s"), mods: []mod{func(o *cli.Options) { o.ScriptTimeout = 90 * time.Second }}},
		{name: "--manage-vips", args: with("--manage-vips"), mods: []mod{func(o *cli.Options) { o.ManageVIPs = true }}},
		{name: "--secure", args: with("--secure"), mods: []mod{func(o *cli.Options) { o.Secure = true }}},
		{name: "--manage prefix", args: with("--manage"), mods: []mod{func(o *cli.Options) { o.ManageVIPs = true }}},
		{name: "--sc 0", args: with("--sc", "0"), mods: []mod{func(o *cli.Options) { o.ScriptTimeout = 0 }}},

		{name: "-- ends options", args: with("--", "-v", "7"), mods: []mod{ignored("-v", "7")}},
		{name: "operand ignored, options after it parsed", args: with("stray", "-P"), mods: []mod{preempt, ignored("stray")}},
		{name: "lone dash is an operand", args: with("-"), mods: []mod{ignored("-")}},
		{name: "short value may start with dash", args: with("-u", "-weird"), mods: []mod{up("-weird")}},
		{name: "long value may start with dash", args: with("--downscript", "--weird"), mods: []mod{down("--weird")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := noEnv
			if tt.env != nil {
				env = func(k string) string { return tt.env[k] }
			}
			got, err := cli.Parse(tt.args, env)
			require.NoError(t, err)
			want := baseWant()
			for _, m := range tt.mods {
				m(&want)
			}
			if want.VIPPrefixes == nil {
				want.VIPPrefixes = hostPrefixes(want.VIPs)
			}
			require.Equal(t, want, *got)
		})
	}
}

func TestParseHelpVersion(t *testing.T) {
	tests := []struct {
		name          string
		args          []string
		help, version bool
	}{
		{name: "no arguments", args: nil, help: true},
		{name: "-h", args: []string{"-h"}, help: true},
		{name: "--help", args: []string{"--help"}, help: true},
		{name: "--he", args: []string{"--he"}, help: true},
		{name: "bundled -Ph", args: []string{"-Ph"}, help: true},
		{name: "-h before a bad option", args: []string{"-h", "-v", "0"}, help: true},
		{name: "-h after a valid but incomplete line", args: []string{"-v", "1", "-h"}, help: true},
		{name: "--version", args: []string{"--version"}, version: true},
		{name: "--ve", args: []string{"--ve"}, version: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := cli.Parse(tt.args, noEnv)
			require.NoError(t, err)
			require.Equal(t, tt.help, got.Help)
			require.Equal(t, tt.version, got.Version)
		})
	}
}

// errCase is one rejected command line. ucarp is the exit status the real
// ucarp 1.5.2 gives for the same words (see TestUcarpAgrees): 1 or 2 where it
// rejects them too, 0 where it prints its usage and exits 0 (getopt errors),
// and -1 where it accepts them (carpd is stricter; ucarp is not run).
type errCase struct {
	name  string
	args  []string
	err   error
	flag  string
	code  int
	msg   []string // substrings of the message
	ucarp int
}

func errCases(t *testing.T) []errCase {
	t.Helper()
	empty := writeFile(t, "")
	nlOnly := writeFile(t, "\n")
	nulFirst := writeFile(t, "\x00abc\n")
	longPass := writeFile(t, "01234567890123456789\n")
	missing := filepath.Join(t.TempDir(), "nope")
	return []errCase{
		{name: "empty interface", args: with("-i", ""), err: cli.ErrInvalidValue, flag: "-i", code: 1, msg: []string{"-i: empty interface name"}, ucarp: -1},
		{name: "unknown long", args: with("--bogus"), err: cli.ErrUnknownOption, flag: "--bogus", code: 1, msg: []string{"--bogus"}, ucarp: 0},
		{name: "unknown short", args: with("-V"), err: cli.ErrUnknownOption, flag: "-V", code: 1, msg: []string{"invalid option '-V'"}, ucarp: 0},
		{name: "unknown short in bundle", args: with("-Pq"), err: cli.ErrUnknownOption, flag: "-q", code: 1, msg: []string{"'-q'"}, ucarp: 0},
		{name: "single-dash long", args: with("-vhid", "3"), err: cli.ErrInvalidValue, flag: "-v", code: 1, msg: []string{"-v", "hid"}, ucarp: 1},
		{name: "ambiguous --d", args: with("--d=x"), err: cli.ErrAmbiguousOption, flag: "--d", code: 1,
			msg: []string{"--downscript", "--deadratio", "--debug", "--daemonize"}, ucarp: 0},
		{name: "ambiguous --p names ours too", args: with("--p", "x"), err: cli.ErrAmbiguousOption, flag: "--p", code: 1,
			msg: []string{"--pass", "--preempt", "--passfile", "--pidfile"}, ucarp: 0},
		{name: "ambiguous --pa", args: with("--pa", "x"), err: cli.ErrAmbiguousOption, flag: "--pa", code: 1, msg: []string{"--pass ", "--passfile"}, ucarp: 0},
		{name: "ambiguous --s", args: with("--s", "x"), err: cli.ErrAmbiguousOption, flag: "--s", code: 1,
			msg: []string{"--srcip", "--shutdown", "--source-mac", "--script-timeout"}, ucarp: 0},
		{name: "ambiguous --i", args: with("--i", "x"), err: cli.ErrAmbiguousOption, flag: "--i", code: 1, msg: []string{"--interface", "--ignoreifstate"}, ucarp: 0},
		{name: "ambiguous --ad", args: with("--ad=1"), err: cli.ErrAmbiguousOption, flag: "--ad", code: 1, msg: []string{"--addr", "--advbase", "--advskew"}, ucarp: 0},
		{name: "ambiguous --de", args: with("--de"), err: cli.ErrAmbiguousOption, flag: "--de", code: 1, msg: []string{"--deadratio", "--debug"}, ucarp: 0},
		{name: "empty long name", args: with("--=x"), err: cli.ErrUnknownOption, code: 1, ucarp: -1},
		{name: "long missing argument", args: with("--vhid"), err: cli.ErrMissingArgument, flag: "--vhid", code: 1, msg: []string{"--vhid", "requires an argument"}, ucarp: 0},
		{name: "long prefix missing argument", args: with("--vh"), err: cli.ErrMissingArgument, flag: "--vhid", code: 1, msg: []string{"--vhid"}, ucarp: 0},
		{name: "short missing argument", args: with("-v"), err: cli.ErrMissingArgument, flag: "-v", code: 1, msg: []string{"'-v' (--vhid) requires"}, ucarp: 0},
		{name: "bundle missing argument", args: with("-Pv"), err: cli.ErrMissingArgument, flag: "-v", code: 1, msg: []string{"'-v' (--vhid) requires"}, ucarp: 0},
		{name: "flag given a value", args: with("--preempt=1"), err: cli.ErrUnexpectedValue, flag: "--preempt", code: 1, msg: []string{"--preempt", "doesn't allow"}, ucarp: 0},
		{name: "prefix flag given a value", args: with("--he=1"), err: cli.ErrUnexpectedValue, flag: "--help", code: 1, ucarp: 0},
		{name: "-m was refused by ucarp, not by us: bad value", args: with("-m", "bad"), err: cli.ErrInvalidValue, flag: "-m", code: 1, msg: []string{"Invalid address"}, ucarp: 0},

		{name: "vhid 0", args: with("-v", "0"), err: cli.ErrOutOfRange, flag: "-v", code: 1, msg: []string{"-v", "vhid must be between 1 and 255"}, ucarp: 1},
		{name: "vhid 256", args: with("--vhid=256"), err: cli.ErrOutOfRange, flag: "--vhid", code: 1, msg: []string{"--vhid", "256"}, ucarp: 1},
		{name: "vhid -1", args: with("-v", "-1"), err: cli.ErrOutOfRange, flag: "-v", code: 1, ucarp: 1},
		{name: "vhid 0x100", args: with("-v", "0x100"), err: cli.ErrOutOfRange, flag: "-v", code: 1, ucarp: 1},
		{name: "vhid overflow", args: with("-v", "4294967338"), err: cli.ErrOutOfRange, flag: "-v", code: 1, ucarp: 1},
		{name: "vhid huge", args: with("-v", "99999999999999999999999"), err: cli.ErrOutOfRange, flag: "-v", code: 1, ucarp: 1},
		{name: "vhid abc", args: with("-v", "abc"), err: cli.ErrInvalidValue, flag: "-v", code: 1, msg: []string{"not a number"}, ucarp: 1},
		{name: "vhid empty", args: with("--vhid="), err: cli.ErrInvalidValue, flag: "--vhid", code: 1, ucarp: 1},
		{name: "vhid trailing garbage", args: with("-v", "42abc"), err: cli.ErrInvalidValue, flag: "-v", code: 1, ucarp: -1},
		{name: "vhid bad octal", args: with("-v", "08"), err: cli.ErrInvalidValue, flag: "-v", code: 1, ucarp: 1},
		{name: "vhid bare 0x", args: with("-v", "0x"), err: cli.ErrInvalidValue, flag: "-v", code: 1, ucarp: 1},
		{name: "vhid Go-only underscore", args: with("-v", "1_0"), err: cli.ErrInvalidValue, flag: "-v", code: 1, ucarp: -1},
		{name: "vhid Go-only binary", args: with("-v", "0b1"), err: cli.ErrInvalidValue, flag: "-v", code: 1, ucarp: 1},

		{name: "srcip bad", args: with("-s", "bad"), err: cli.ErrInvalidValue, flag: "-s", code: 1, msg: []string{"Invalid address", "bad"}, ucarp: 1},
		{name: "srcip IPv6", args: with("-s", "::1"), err: cli.ErrInvalidValue, flag: "-s", code: 1, ucarp: 1},
		{name: "srcip short", args: with("--srcip=1.2.3"), err: cli.ErrInvalidValue, flag: "--srcip", code: 1, ucarp: 1},
		{name: "srcip leading zero", args: with("-s", "01.2.3.4"), err: cli.ErrInvalidValue, flag: "-s", code: 1, ucarp: 1},
		{name: "srcip CIDR", args: with("-s", "10.0.0.1/24"), err: cli.ErrInvalidValue, flag: "-s", code: 1, ucarp: 1},
		{name: "srcip unspecified", args: with("-s", "0.0.0.0"), err: cli.ErrInvalidValue, flag: "-s", code: 1, ucarp: 1},
		{name: "mcast bad", args: with("--mcast=bad"), err: cli.ErrInvalidValue, flag: "--mcast", code: 1, msg: []string{"bad"}, ucarp: 1},
		{name: "mcastip IPv6", args: with("--mcastip", "ff02::12"), err: cli.ErrInvalidValue, flag: "--mcastip", code: 1, ucarp: 1},
		{name: "mcast not multicast", args: with("--mcast=10.0.0.9"), err: cli.ErrInvalidValue, flag: "--mcast", code: 1, msg: []string{"--nomcast"}, ucarp: -1},
		{name: "addr bad", args: with("-a", "bad"), err: cli.ErrInvalidValue, flag: "-a", code: 1, msg: []string{"bad"}, ucarp: 1},
		{name: "addr unspecified", args: with("-a", "0.0.0.0"), err: cli.ErrInvalidValue, flag: "-a", code: 1, ucarp: -1},
		{name: "addr IPv6 unspecified", args: with("-a", "::"), err: cli.ErrInvalidValue, flag: "-a", code: 1, ucarp: 1},
		{name: "addr zone", args: with("-a", "fe80::1%eth0"), err: cli.ErrInvalidValue, flag: "-a", code: 1, msg: []string{"zone"}, ucarp: 1},
		{name: "addr 4in6", args: with("--addr=::ffff:10.0.0.1"), err: cli.ErrInvalidValue, flag: "--addr", code: 1, ucarp: 1},
		{name: "addr/len too long", args: with("-a", "10.0.0.1/33"), err: cli.ErrInvalidValue, flag: "-a", code: 1, msg: []string{"10.0.0.1/33", "prefix length"}, ucarp: -1},
		{name: "addr/len not a number", args: with("-a", "10.0.0.1/x"), err: cli.ErrInvalidValue, flag: "-a", code: 1, ucarp: -1},
		{name: "addr/len IPv6 zone", args: with("-a", "fe80::1%eth0/64"), err: cli.ErrInvalidValue, flag: "-a", code: 1, msg: []string{"zone"}, ucarp: -1},
		{name: "addr/len multicast", args: with("-a", "224.0.0.1/24"), err: cli.ErrInvalidValue, flag: "-a", code: 1, ucarp: -1},
		{name: "addr twice, different prefixes", args: with("-a", "10.0.0.100/24"), err: cli.ErrInvalidValue, flag: "-a", code: 1,
			msg: []string{"10.0.0.100 is already given as 10.0.0.100/32"}, ucarp: -1},
		{name: "addr multicast", args: with("-a", "224.0.0.1"), err: cli.ErrInvalidValue, flag: "-a", code: 1, ucarp: -1},

		{name: "advbase 256", args: with("-b", "256"), err: cli.ErrOutOfRange, flag: "-b", code: 1, msg: []string{"advbase"}, ucarp: 1},
		{name: "advbase -1", args: with("--advbase=-1"), err: cli.ErrOutOfRange, flag: "--advbase", code: 1, ucarp: -1},
		{name: "advbase x", args: with("-b", "x"), err: cli.ErrInvalidValue, flag: "-b", code: 1, ucarp: 1},
		{name: "advbase 255 advskew 255", args: with("-b", "255", "-k", "255"), err: cli.ErrOutOfRange, flag: "-k", code: 1, msg: []string{"-k", "bow-out"}, ucarp: -1},
		{name: "advskew 256", args: with("--advskew", "256"), err: cli.ErrOutOfRange, flag: "--advskew", code: 1, ucarp: -1},
		{name: "advskew -1", args: with("-k", "-1"), err: cli.ErrOutOfRange, flag: "-k", code: 1, ucarp: -1},
		{name: "advbase and advskew 0", args: with("-b", "0", "-k", "0"), err: cli.ErrZeroInterval, flag: "-b", code: 1,
			msg: []string{"advertisement time base", "--advbase", "--advskew"}, ucarp: 1},
		{name: "deadratio 0", args: with("-r", "0"), err: cli.ErrOutOfRange, flag: "-r", code: 1, msg: []string{"dead ratio"}, ucarp: 1},
		{name: "deadratio abc", args: with("--deadratio=abc"), err: cli.ErrInvalidValue, flag: "--deadratio", code: 1, ucarp: 1},
		{name: "deadratio too big", args: with("-r", "65536"), err: cli.ErrOutOfRange, flag: "-r", code: 1, ucarp: -1},

		{name: "facility unknown", args: with("-f", "bogus"), err: cli.ErrInvalidValue, flag: "-f", code: 1, msg: []string{"bogus", "local0"}, ucarp: -1},
		{name: "facility mark", args: with("--facility=mark"), err: cli.ErrInvalidValue, flag: "--facility", code: 1, ucarp: -1},
		{name: "tiebreak", args: with("--tiebreak=openbsd"), err: cli.ErrInvalidValue, flag: "--tiebreak", code: 1, msg: []string{"openbsd"}, ucarp: -1},
		{name: "source-mac word", args: with("--source-mac=nope"), err: cli.ErrInvalidValue, flag: "--source-mac", code: 1, ucarp: -1},
		{name: "source-mac multicast", args: with("--source-mac=01:00:5e:00:00:12"), err: cli.ErrInvalidValue, flag: "--source-mac", code: 1, msg: []string{"unicast"}, ucarp: -1},
		{name: "source-mac zero", args: with("--source-mac=00:00:00:00:00:00"), err: cli.ErrInvalidValue, flag: "--source-mac", code: 1, ucarp: -1},
		{name: "source-mac EUI-64", args: with("--source-mac=02:00:00:00:00:00:00:01"), err: cli.ErrInvalidValue, flag: "--source-mac", code: 1, ucarp: -1},
		{name: "script-timeout syntax", args: with("--script-timeout=10"), err: cli.ErrInvalidValue, flag: "--script-timeout", code: 1, ucarp: -1},
		{name: "script-timeout negative", args: with("--script-timeout=-1s"), err: cli.ErrOutOfRange, flag: "--script-timeout", code: 1, ucarp: -1},
		{name: "pidfile empty", args: with("--pidfile="), err: cli.ErrInvalidValue, flag: "--pidfile", code: 1, ucarp: -1},

		{name: "no vhid", args: []string{"-s", "10.0.0.1", "-p", "pw", "-a", "10.0.0.100"}, err: cli.ErrMissingOption, flag: "-v", code: 1,
			msg: []string{"virtual host id", "-v/--vhid"}, ucarp: 1},
		{name: "no password", args: []string{"-s", "10.0.0.1", "-v", "1", "-a", "10.0.0.100"}, err: cli.ErrMissingOption, flag: "-p", code: 1,
			msg: []string{"password", "CARPD_PASSWORD"}, ucarp: 1},
		{name: "empty password", args: with("-p", ""), err: cli.ErrMissingOption, flag: "-p", code: 1, ucarp: 1},
		{name: "no srcip", args: []string{"-v", "1", "-p", "pw", "-a", "10.0.0.100"}, err: cli.ErrMissingOption, flag: "-s", code: 1,
			msg: []string{"source address", "-s/--srcip"}, ucarp: 1},
		{name: "no srcip with a mixed VIP set", args: []string{"-v", "1", "-p", "pw", "-a", "2001:db8::1", "-a", "10.0.0.100"},
			err: cli.ErrMissingOption, flag: "-s", code: 1, ucarp: 1},
		{name: "no addr", args: []string{"-s", "10.0.0.1", "-v", "1", "-p", "pw"}, err: cli.ErrMissingOption, flag: "-a", code: 1,
			msg: []string{"virtual host address", "-a/--addr"}, ucarp: 1},
		{name: "ucarp's order: vhid before password", args: []string{"-s", "10.0.0.1", "-a", "10.0.0.100"}, err: cli.ErrMissingOption, flag: "-v", code: 1, ucarp: 1},

		{name: "password 20 bytes", args: with("-p", "01234567890123456789"), err: cli.ErrPasswordTooLong, flag: "-p", code: 2,
			msg: []string{"Password too long", "-p", "20"}, ucarp: 2},
		{name: "passfile password 20 bytes", args: with("-o", longPass), err: cli.ErrPasswordTooLong, flag: "-o", code: 2, ucarp: 2},
		{name: "interface name too long", args: with("-i", "averyveryverylonginterfacename"), err: cli.ErrInterfaceTooLong, flag: "-i", code: 2,
			msg: []string{"Interface name too long"}, ucarp: 2},
		{name: "passfile missing", args: with("-o", missing), err: cli.ErrPassfile, flag: "-o", code: 1, msg: []string{missing, "no such file"}, ucarp: 1},
		{name: "passfile empty", args: with("--passfile=" + empty), err: cli.ErrPassfile, flag: "--passfile", code: 1, msg: []string{empty, "unexpected end of file"}, ucarp: 1},
		{name: "passfile empty line", args: with("-o", nlOnly), err: cli.ErrPassfile, flag: "-o", code: 1, msg: []string{nlOnly}, ucarp: 1},
		{name: "passfile NUL first", args: with("-o", nulFirst), err: cli.ErrPassfile, flag: "-o", code: 1, ucarp: 1},
		{name: "passfile is a directory", args: with("-o", t.TempDir()), err: cli.ErrPassfile, flag: "-o", code: 1, ucarp: 1},

		// -c/--config is carpd's: ucarp has no such option, so these are not run against it.
		{name: "-c with -v", args: []string{"-c", "x.toml", "-v", "1"}, err: cli.ErrConfigConflict, flag: "-v", code: 1,
			msg: []string{"-v cannot be given with -c/--config", "x.toml", "-D, -z, -f, -B, --pidfile"}, ucarp: -1},
		{name: "group option before --config", args: []string{"--vhid=1", "--config=x.toml"}, err: cli.ErrConfigConflict, flag: "--vhid", code: 1, ucarp: -1},
		{name: "-c with a bundled group flag", args: []string{"-c", "x.toml", "-zP"}, err: cli.ErrConfigConflict, flag: "-P", code: 1, ucarp: -1},
		{name: "-c with --manage-vips", args: []string{"-c", "x.toml", "--manage-vips"}, err: cli.ErrConfigConflict, flag: "--manage-vips", code: 1, ucarp: -1},
		{name: "-c with -o", args: []string{"-o", "/nonexistent", "-c", "x.toml"}, err: cli.ErrPassfile, flag: "-o", code: 1, ucarp: -1},
		{name: "-c with a full command line", args: with("-c", "x.toml"), err: cli.ErrConfigConflict, flag: "-s", code: 1, ucarp: -1},
		{name: "-c empty", args: []string{"--config="}, err: cli.ErrInvalidValue, flag: "--config", code: 1, ucarp: -1},
		{name: "-c without its argument", args: []string{"-c"}, err: cli.ErrMissingArgument, flag: "-c", code: 1, ucarp: -1},
	}
}

func TestParseConfigFile(t *testing.T) {
	envPass := func(k string) string {
		if k == cli.PasswordEnv {
			return "envpw"
		}
		return ""
	}
	tests := []struct {
		name string
		args []string
		want cli.Options
	}{
		{name: "-c alone", args: []string{"-c", "/etc/carpd/carpd.toml"},
			want: cli.Options{ConfigFile: "/etc/carpd/carpd.toml", Facility: "daemon"}},
		{name: "--config= with every global option",
			args: []string{"--config=carpd.toml", "-B", "-D", "-f", "local3", "-z", "--pidfile", "/run/carpd.pid"},
			want: cli.Options{ConfigFile: "carpd.toml", Daemonize: true, Debug: true, Facility: "local3", Shutdown: true, PIDFile: "/run/carpd.pid"}},
		{name: "--conf prefix, bundled globals", args: []string{"-Bz", "--conf", "c.toml"},
			want: cli.Options{ConfigFile: "c.toml", Daemonize: true, Shutdown: true, Facility: "daemon"}},
		{name: "operands are still returned", args: []string{"-c", "c.toml", "stray"},
			want: cli.Options{ConfigFile: "c.toml", Facility: "daemon", Ignored: []string{"stray"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// The environment's password belongs to a command-line group, not to the file's.
			got, err := cli.Parse(tt.args, envPass)
			require.NoError(t, err)
			require.Equal(t, tt.want, *got)
		})
	}
}

func TestReadPasswordFile(t *testing.T) {
	tests := []struct {
		name    string
		content string
		want    string
		msg     string // the error's message when want is ""
	}{
		{name: "first line", content: "secret\nsecond\n", want: "secret"},
		{name: "no newline", content: "secret", want: "secret"},
		{name: "CR stays", content: "secret\r\n", want: "secret\r"},
		{name: "NUL ends it", content: "ab\x00cd\n", want: "ab"},
		{name: "511 bytes are read", content: strings.Repeat("x", 511) + "\n", want: strings.Repeat("x", 511)},
		{name: "a long line is refused with its length", content: strings.Repeat("x", 2000) + "\nsecond\n",
			msg: "the first line of the passfile is 2000 bytes: a password is at most 19"},
		{name: "without a newline", content: strings.Repeat("x", 2000), msg: "the first line of the passfile is 2000 bytes: a password is at most 19"},
		{name: "no end in sight", content: strings.Repeat("\x00", 3<<20), msg: "the first line of the passfile is over 1048576 bytes: a password is at most 19"},
		{name: "empty file", content: "", msg: "error reading passfile: unexpected end of file"},
		{name: "empty first line", content: "\nsecret\n", msg: "the first line of the passfile is empty"},
		{name: "NUL first", content: "\x00secret\n", msg: "the first line of the passfile is empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := cli.ReadPasswordFile(writeFile(t, tt.content))
			if tt.want == "" {
				require.ErrorIs(t, err, cli.ErrPassfile)
				require.EqualError(t, err, tt.msg)
				return
			}
			require.NoError(t, err)
			require.Equal(t, []byte(tt.want), got)
		})
	}
	_, err := cli.ReadPasswordFile(filepath.Join(t.TempDir(), "nope"))
	require.ErrorIs(t, err, cli.ErrPassfile)
	require.ErrorIs(t, err, os.ErrNotExist)
	require.EqualError(t, err, "unable to open passfile for reading: no such file or directory")
}

func TestParseErrors(t *testing.T) {
	for _, tt := range errCases(t) {
		t.Run(tt.name, func(t *testing.T) {
			got, err := cli.Parse(tt.args, noEnv)
			require.Error(t, err)
			require.Nil(t, got)
			require.ErrorIs(t, err, tt.err)
			var cerr *cli.Error
			require.True(t, errors.As(err, &cerr), "error %T is not *cli.Error", err)
			require.Equal(t, tt.code, cerr.ExitCode())
			if tt.flag != "" {
				require.Equal(t, tt.flag, cerr.Flag)
				require.Contains(t, err.Error(), strings.TrimPrefix(tt.flag, "$"), "message must name the flag")
			}
			for _, m := range tt.msg {
				require.Contains(t, strings.ToLower(err.Error()), strings.ToLower(m))
			}
		})
	}
}

func TestParseEnvIgnoredWhenEmpty(t *testing.T) {
	_, err := cli.Parse([]string{"-s", "10.0.0.1", "-v", "1", "-a", "10.0.0.100"},
		func(string) string { return "" })
	require.ErrorIs(t, err, cli.ErrMissingOption)
	_, err = cli.Parse([]string{"-s", "10.0.0.1", "-v", "1", "-a", "10.0.0.100"}, nil)
	require.ErrorIs(t, err, cli.ErrMissingOption)
}

func TestParseEnvPasswordTooLong(t *testing.T) {
	_, err := cli.Parse([]string{"-s", "10.0.0.1", "-v", "1", "-a", "10.0.0.100"},
		func(k string) string {
			if k == cli.PasswordEnv {
				return strings.Repeat("x", 20)
			}
			return ""
		})
	require.ErrorIs(t, err, cli.ErrPasswordTooLong)
	require.Contains(t, err.Error(), cli.PasswordEnv)
}

func TestUsageListsEveryOption(t *testing.T) {
	u := cli.Usage()
	for _, s := range []string{
		"--interface", "-i ", "--srcip", "-s ", "--mcast", "-m ", "--vhid", "-v ", "--pass=", "-p ",
		"--passfile", "-o ", "--preempt", "-P", "--neutral", "-n", "--addr", "-a ", "--help", "-h",
		"--advbase", "-b ", "--advskew", "-k ", "--upscript", "-u ", "--downscript", "-d ",
		"--deadratio", "-r ", "--debug", "-D", "--shutdown", "-z", "--daemonize", "-B",
		"--ignoreifstate", "-S", "--nomcast", "-M", "--facility", "-f", "--xparam", "-x",
		"--pidfile", "--tiebreak", "--source-mac", "--script-timeout", "--version", cli.PasswordEnv,
		"--config", "-c ", "<ip>/<len>", "--control", "carpd status", "carpd handover", "carpd demote",
	} {
		require.Contains(t, u, s)
	}
	for _, line := range strings.Split(u, "\n") {
		for _, ours := range []string{"--pidfile", "--tiebreak", "--source-mac", "--script-timeout", "--version", "--config"} {
			if strings.HasPrefix(line, ours) {
				require.Contains(t, line, "[carpd]", "carpd-only option %s must be marked", ours)
			}
		}
	}
}

func TestControlFlag(t *testing.T) {
	o, err := cli.Parse([]string{"-c", "/etc/carpd/carpd.toml", "--control", "/run/x.sock"}, nil)
	require.NoError(t, err)
	require.Equal(t, "/run/x.sock", o.Control, "--control is kept with -c")
	o, err = cli.Parse([]string{"-i", "eth0", "-s", "198.51.100.1", "-v", "1", "-p", "x", "-a", "198.51.100.100", "--control=/run/y.sock"}, nil)
	require.NoError(t, err)
	require.Equal(t, "/run/y.sock", o.Control)
	_, err = cli.Parse([]string{"-c", "f", "--control="}, nil)
	require.ErrorContains(t, err, "empty path")
}
