package config_test

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gocarp/gocarp/internal/config"
)

// FuzzParse: Parse never panics, and every error is a *config.Error that
// names the file and, if it names a line, a line inside the file; every
// success has at least one valid group.
func FuzzParse(f *testing.F) {
	for _, p := range []string{"testdata/reference.toml", "testdata/minimal.toml"} {
		data, err := os.ReadFile(p)
		require.NoError(f, err)
		f.Add(data)
	}
	for _, s := range []string{
		group1, group1 + group2, group1 + "advskew = 300\n", "[defaults]\nvhid = 1\n" + group1,
		"defaults = { advskew = 7 }\ngroup = [{ interface = \"eth0\", vhid = 1, vips = [\"198.51.100.1\"], password = \"x\" }]\n",
		"[group]\n", "[[group]]\n[group.x]\n", "[[group]]\nvhid.x = 1\n", "a = [[[[1]]]]", "[defaults]\n[defaults]\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		// Keep the fuzzer to files it may read: password files in testdata
		// only (a path could name a FIFO). Comments may hold any path.
		for _, line := range strings.Split(string(data), "\n") {
			if code, _, _ := strings.Cut(line, "#"); strings.Contains(code, "/") && strings.Contains(code, "password_file") {
				t.Skip()
			}
		}
		c, err := config.Parse("fuzz.toml", data)
		if err != nil {
			require.Nil(t, c)
			var ce *config.Error
			require.True(t, errors.As(err, &ce), "%T: %v", err, err)
			require.Equal(t, "fuzz.toml", ce.File)
			require.True(t, strings.HasPrefix(err.Error(), "fuzz.toml"), err.Error())
			require.NotContains(t, err.Error(), "\n")
			// A line, when there is one, is a line of the file.
			lines := bytes.Count(data, []byte("\n")) + 1
			require.GreaterOrEqual(t, ce.Line, 0)
			require.LessOrEqual(t, ce.Line, lines, "line %d of a file of %d lines: %v", ce.Line, lines, err)
			if ce.Line > 0 {
				require.True(t, strings.HasPrefix(err.Error(), fmt.Sprintf("fuzz.toml:%d: ", ce.Line)), err.Error())
			}
			return
		}
		require.NotEmpty(t, c.Groups)
		for i := range c.Groups {
			g := &c.Groups[i]
			require.NotEmpty(t, g.Name)
			require.NotEmpty(t, g.Interface)
			require.NoError(t, g.Carp().Validate())
		}
	})
}
