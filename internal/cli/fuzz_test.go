package cli_test

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gocarp/gocarp/internal/cli"
)

// FuzzParse feeds NUL-separated argument lists to Parse: it must never panic,
// every error must be a *cli.Error with an exit status, and every success must
// satisfy the documented invariants of Options.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		strings.Join(base, "\x00"),
		"-s\x0010.0.0.1\x00-v0x2a\x00-p\x00pw\x00-a\x0010.0.0.100\x00-PzS\x00--mc=239.1.1.1",
		"--in=eth0\x00--src=10.0.0.1\x00--vh=052\x00--pass=x\x00--addr=2001:db8::1\x00--advb=0\x00--advs=1",
		"-v\x001\x00-p\x00x\x00-a\x00fe80::1\x00--\x00-P",
		"--d=x", "--p", "-Pv", "--vhid", "-h", "--version", "-k\x00255", "-b\x000\x00-k\x000",
		"--source-mac=02:00:00:00:00:01\x00--tiebreak=bsd\x00--script-timeout=0\x00--pidfile=/x",
		"-a\x00198.51.100.100/24\x00-a\x002001:db8::1/64\x00-v\x001\x00-p\x00x\x00-s\x0010.0.0.1",
		"-c\x00carpd.toml\x00-Bz\x00-f\x00none", "--config=x\x00-v\x001",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		args := strings.Split(in, "\x00")
		for _, a := range args {
			// Parse reads -o files; keep the fuzzer away from devices that block.
			if strings.Contains(a, "/dev") || strings.Contains(a, "/proc") || strings.Contains(a, "/sys") {
				t.Skip()
			}
		}
		env := func(k string) string {
			if k == cli.PasswordEnv && len(in)%2 == 0 {
				return "envpw"
			}
			return ""
		}
		o, err := cli.Parse(args, env)
		if err != nil {
			require.Nil(t, o)
			var cerr *cli.Error
			require.True(t, errors.As(err, &cerr))
			require.Contains(t, []int{cli.ExitConfig, cli.ExitSetup}, cerr.ExitCode())
			require.NotEmpty(t, err.Error())
			return
		}
		if o.Help || o.Version {
			return
		}
		if o.ConfigFile != "" {
			require.Zero(t, o.VHID)
			require.Empty(t, o.VIPs)
			require.Empty(t, o.Password)
			return
		}
		require.NotZero(t, o.VHID)
		require.NotEmpty(t, o.Password)
		require.LessOrEqual(t, len(o.Password), cli.MaxPasswordLen)
		require.Contains(t, []string{"flag", "file", "env"}, o.PasswordSource)
		require.NotEmpty(t, o.VIPs)
		allV6 := true
		require.Len(t, o.VIPPrefixes, len(o.VIPs))
		for i, a := range o.VIPs {
			require.Equal(t, a, o.VIPPrefixes[i].Addr())
			require.True(t, a.IsValid())
			require.False(t, a.IsUnspecified())
			require.Empty(t, a.Zone())
			require.False(t, slices.Contains(o.VIPs[:i], a), "duplicate VIP %s", a)
			allV6 = allV6 && a.Is6()
		}
		if o.SrcIP.IsValid() {
			require.True(t, o.SrcIP.Is4())
		} else {
			require.True(t, allV6)
		}
		require.False(t, o.AdvBase == 0 && o.AdvSkew == 0)
		require.Less(t, o.AdvSkew, uint8(255))
		require.GreaterOrEqual(t, o.DeadRatio, uint(1))
		require.LessOrEqual(t, o.DeadRatio, uint(cli.MaxDeadRatio))
		require.True(t, o.Mcast.Is4())
		require.True(t, o.Mcast.IsMulticast() || o.NoMcast)
		require.NotEmpty(t, o.Facility)
		require.Equal(t, strings.ToLower(o.Facility), o.Facility)
		require.Contains(t, []string{"ucarp", "bsd"}, o.TieBreak)
		require.NotEmpty(t, o.SourceMAC)
		require.GreaterOrEqual(t, o.ScriptTimeout, time.Duration(0))
		require.LessOrEqual(t, len(o.Interface), 15)
	})
}

// endless is a reader of data and then 'x' for ever, counting what was
// read of it.
type endless struct {
	data []byte
	read int
}

func (e *endless) Read(p []byte) (int, error) {
	n := copy(p, e.data)
	e.data = e.data[n:]
	for i := n; i < len(p); i++ {
		p[i] = 'x'
	}
	e.read += len(p)
	return len(p), nil
}

// passwordRule is the one rule of a password file, for a file of data
// followed by endless 'x' bytes when endless: its first line, without
// the '\n', ends at a NUL; a first line of PassfileBuffer bytes or more
// (without its '\n') is too long; an empty password is an error. It
// returns the password, or the length of the line too long (-1: over
// MaxPassfileCount), or an empty password and -2.
func passwordRule(data []byte, endless bool) (pw []byte, tooLong int) {
	line, _, found := bytes.Cut(data, []byte("\n"))
	switch {
	case !found && endless:
		return nil, -1
	case len(line) >= cli.PassfileBuffer:
		if len(line) > cli.MaxPassfileCount {
			return nil, -1
		}
		return nil, len(line)
	}
	if i := bytes.IndexByte(line, 0); i >= 0 {
		line = line[:i]
	}
	if len(line) == 0 {
		return nil, -2
	}
	return line, 0
}

// FuzzReadPasswordFile: ReadPasswordFile follows passwordRule for every
// file (and the reader below it for the file followed by an endless line,
// as -o /dev/zero is): the password is never empty and holds neither '\n'
// nor NUL, it is the start of the first line, a line too long is refused
// with its length, every error matches ErrPassfile, and the read stops
// within MaxPassfileCount plus two buffers however long the line.
func FuzzReadPasswordFile(f *testing.F) {
	for _, s := range []string{
		"secret\nsecond\n", "secret", "secret\r\n", "ab\x00cd\n", strings.Repeat("x", 511) + "\n",
		strings.Repeat("x", 512) + "\n", strings.Repeat("x", 511), strings.Repeat("x", 512), strings.Repeat("x", 2000) + "\nsecond\n",
		"", "\n", "\nsecret\n", "\x00secret\n", "\r\n",
	} {
		f.Add([]byte(s), false)
		f.Add([]byte(s), true)
	}
	for _, name := range []string{"carp.pass", "empty.pass", "long.pass"} {
		data, err := os.ReadFile(filepath.Join("..", "config", "testdata", name))
		require.NoError(f, err)
		f.Add(data, false)
	}
	path := filepath.Join(f.TempDir(), "pass")
	f.Fuzz(func(t *testing.T, data []byte, endlessLine bool) {
		wantPW, tooLong := passwordRule(data, endlessLine)
		var pw []byte
		var err error
		if endlessLine {
			r := &endless{data: data}
			pw, err = cli.ReadPassword(r)
			require.LessOrEqual(t, r.read, cli.MaxPassfileCount+2*cli.PassfileBuffer, "read without bound")
		} else {
			require.NoError(t, os.WriteFile(path, data, 0o600))
			pw, err = cli.ReadPasswordFile(path)
			pw2, err2 := cli.ReadPassword(bytes.NewReader(data))
			require.Equal(t, pw, pw2)
			require.Equal(t, err, err2)
		}
		if err != nil {
			require.ErrorIs(t, err, cli.ErrPassfile)
			require.Nil(t, pw)
			switch {
			case tooLong == -1:
				require.ErrorIs(t, err, cli.ErrPasswordTooLong)
				require.ErrorContains(t, err, fmt.Sprintf("is over %d bytes", cli.MaxPassfileCount))
			case tooLong > 0:
				require.ErrorIs(t, err, cli.ErrPasswordTooLong)
				require.ErrorContains(t, err, fmt.Sprintf("is %d bytes", tooLong))
			case tooLong == -2:
				require.NotErrorIs(t, err, cli.ErrPasswordTooLong)
			default:
				t.Fatalf("error %v, want password %q", err, wantPW)
			}
			return
		}
		require.Zero(t, tooLong, "want an error, got %q", pw)
		require.Equal(t, wantPW, pw)
		require.NotEmpty(t, pw)
		require.NotContains(t, string(pw), "\n")
		require.NotContains(t, string(pw), "\x00")
		require.True(t, bytes.HasPrefix(data, pw))
	})
}
