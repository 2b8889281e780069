package inspect_test

import (
	"errors"
	"io/fs"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gocarp/gocarp/hmac"
	"github.com/gocarp/gocarp/internal/cli"
	"github.com/gocarp/gocarp/internal/inspect"
)

func TestParseArgs(t *testing.T) {
	dir := t.TempDir()
	passFile := filepath.Join(dir, "pass")
	require.NoError(t, os.WriteFile(passFile, []byte("fromfile\nsecond line\n"), 0o600))
	emptyFile := filepath.Join(dir, "empty")
	require.NoError(t, os.WriteFile(emptyFile, []byte("\nx\n"), 0o600))

	longFile := filepath.Join(dir, "long")
	require.NoError(t, os.WriteFile(longFile, []byte("0123456789abcdefghij\n"), 0o600))

	vip1, vip2 := netip.MustParseAddr("198.51.100.100"), netip.MustParseAddr("2001:db8::1")
	tests := []struct {
		name    string
		args    []string
		env     map[string]string
		opts    inspect.Options
		source  string
		iface   string
		errIs   error  // nil: success
		errText string // must appear in the message
	}{
		{name: "file only", args: []string{"x.pcap"}, source: "x.pcap"},
		{name: "stdin", args: []string{"-"}, source: "-"},
		{name: "all short", args: []string{"-p", "secret", "-a", "198.51.100.100", "-a", "2001:db8::1", "--json", "x.pcap"},
			opts: inspect.Options{Password: []byte("secret"), VIPs: []netip.Addr{vip1, vip2}, JSON: true}, source: "x.pcap"},
		{name: "attached values", args: []string{"-psecret", "-a198.51.100.100", "-ieth0"},
			opts: inspect.Options{Password: []byte("secret"), VIPs: []netip.Addr{vip1}}, iface: "eth0"},
		{name: "long with =", args: []string{"--pass=secret", "--addr=198.51.100.100", "--interface=eth1"},
			opts: inspect.Options{Password: []byte("secret"), VIPs: []netip.Addr{vip1}}, iface: "eth1"},
		{name: "long separate", args: []string{"--pass", "secret", "--addr", "2001:db8::1", "x.pcap"},
			opts: inspect.Options{Password: []byte("secret"), VIPs: []netip.Addr{vip2}}, source: "x.pcap"},
		{name: "long prefix", args: []string{"--passf", passFile, "--js", "--int", "eth0"},
			opts: inspect.Options{Password: []byte("fromfile"), JSON: true}, iface: "eth0"},
		{name: "passfile first line", args: []string{"-o", passFile, "x.pcap"},
			opts: inspect.Options{Password: []byte("fromfile")}, source: "x.pcap"},
		{name: "options after file", args: []string{"x.pcap", "-p", "secret"},
			opts: inspect.Options{Password: []byte("secret")}, source: "x.pcap"},
		{name: "-- ends options", args: []string{"-p", "s", "--", "-p"},
			opts: inspect.Options{Password: []byte("s")}, source: "-p"},
		{name: "19-byte password", args: []string{"-p", "0123456789abcdefghi", "x"},
			opts: inspect.Options{Password: []byte("0123456789abcdefghi")}, source: "x"},
		{name: "env password", args: []string{"x"}, env: map[string]string{"CARPD_PASSWORD": "envpw"},
			opts: inspect.Options{Password: []byte("envpw")}, source: "x"},
		{name: "-p beats env", args: []string{"-p", "flag", "x"}, env: map[string]string{"CARPD_PASSWORD": "envpw"},
			opts: inspect.Options{Password: []byte("flag")}, source: "x"},

		{name: "help", args: []string{"-h"}, errIs: inspect.ErrHelp},
		{name: "long help", args: []string{"x", "--help"}, errIs: inspect.ErrHelp},
		{name: "-p and -o", args: []string{"-p", "a", "-o", passFile, "x"}, errIs: inspect.ErrUsage, errText: "-p and -o"},
		{name: "--pass and --passfile", args: []string{"--passfile", passFile, "--pass", "a", "x"}, errIs: inspect.ErrUsage, errText: "--pass and --passfile"},
		{name: "password too long", args: []string{"-p", "0123456789abcdefghij", "x"}, errIs: hmac.ErrPasswordTooLong, errText: "-p"},
		{name: "passfile missing", args: []string{"--passfile", filepath.Join(dir, "missing"), "x"}, errIs: fs.ErrNotExist, errText: "--passfile"},
		{name: "passfile too long", args: []string{"-o", longFile, "x"}, errIs: hmac.ErrPasswordTooLong, errText: "-o"},
		{name: "empty password", args: []string{"-p", "", "x"}, errIs: inspect.ErrUsage, errText: "-p: empty password"},
		{name: "passfile empty first line", args: []string{"-o", emptyFile, "x"}, errIs: inspect.ErrUsage, errText: "the first line of the passfile is empty"},
		{name: "bad addr", args: []string{"-a", "198.51.100.300", "x"}, errIs: inspect.ErrUsage, errText: `-a "198.51.100.300"`},
		{name: "bad long addr", args: []string{"--addr=nope", "x"}, errIs: inspect.ErrUsage, errText: `--addr "nope"`},
		{name: "missing value", args: []string{"x", "-p"}, errIs: inspect.ErrUsage, errText: "-p needs a value"},
		{name: "missing long value", args: []string{"x", "--addr"}, errIs: inspect.ErrUsage, errText: "--addr needs a value"},
		{name: "value on flag", args: []string{"--json=yes", "x"}, errIs: inspect.ErrUsage, errText: "--json takes no value"},
		{name: "unknown short", args: []string{"-z", "x"}, errIs: inspect.ErrUsage, errText: "unknown option -z"},
		{name: "unknown long", args: []string{"--zap", "x"}, errIs: inspect.ErrUsage, errText: "--zap"},
		{name: "ambiguous prefix", args: []string{"--pas", "a", "x"}, errIs: inspect.ErrUsage, errText: "ambiguous"},
		{name: "nothing to read", args: []string{"-p", "a"}, errIs: inspect.ErrUsage, errText: "-i IFACE"},
		{name: "file and iface", args: []string{"-i", "eth0", "x"}, errIs: inspect.ErrUsage, errText: "-i eth0"},
		{name: "two files", args: []string{"x", "y"}, errIs: inspect.ErrUsage, errText: "one capture file"},
		{name: "iface twice", args: []string{"-i", "a", "--interface", "b"}, errIs: inspect.ErrUsage, errText: "--interface given twice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := func(k string) string { return tt.env[k] }
			opts, source, iface, err := inspect.ParseArgs(tt.args, env)
			if tt.errIs != nil {
				require.Error(t, err)
				require.True(t, errors.Is(err, tt.errIs), "%v is not %v", err, tt.errIs)
				if tt.errIs != inspect.ErrHelp {
					require.ErrorIs(t, err, inspect.ErrUsage)
				}
				require.Contains(t, err.Error(), tt.errText)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.opts, opts)
			require.Equal(t, tt.source, source)
			require.Equal(t, tt.iface, iface)
		})
	}
}

func TestParseArgsNilEnv(t *testing.T) {
	opts, source, _, err := inspect.ParseArgs([]string{"f.pcap"}, nil)
	require.NoError(t, err)
	require.Nil(t, opts.Password)
	require.Equal(t, "f.pcap", source)
}

// inspect -o reads the file as carpd's -o does: a CR stays, a NUL ends
// the line, a huge file is refused with its size, never read whole.
func TestPassFileOneRule(t *testing.T) {
	dir := t.TempDir()
	for _, tt := range []struct{ content, want, err string }{
		{content: "secret\r\n", want: "secret\r"},
		{content: "abc\x00def\n", want: "abc"},
		{content: strings.Repeat("x", 2000), err: "the first line of the passfile is 2000 bytes: a password is at most 19"},
	} {
		f := filepath.Join(dir, "pass")
		require.NoError(t, os.WriteFile(f, []byte(tt.content), 0o600))
		opts, _, _, err := inspect.ParseArgs([]string{"-o", f, "x.pcap"}, func(string) string { return "" })
		daemon, derr := cli.ReadPasswordFile(f)
		if tt.err != "" {
			require.ErrorContains(t, err, tt.err)
			require.ErrorContains(t, derr, tt.err)
			continue
		}
		require.NoError(t, err)
		require.NoError(t, derr)
		require.Equal(t, tt.want, string(opts.Password))
		require.Equal(t, daemon, opts.Password, "the daemon and inspect agree")
	}
	// /dev/zero is refused, not read into memory.
	_, _, _, err := inspect.ParseArgs([]string{"-o", "/dev/zero", "x.pcap"}, func(string) string { return "" })
	require.ErrorContains(t, err, "over 1048576 bytes")
}
