package cli_test

import (
	"errors"
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
