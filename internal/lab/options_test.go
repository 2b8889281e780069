package lab_test

import (
	"testing"

	"github.com/gocarp/gocarp/internal/lab"
	"github.com/stretchr/testify/require"
)

func TestParseArgs(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want lab.Options
		err  error
	}{
		{name: "none", args: nil, want: lab.Options{}},
		{name: "verbose", args: []string{"-v"}, want: lab.Options{Verbose: true}},
		{name: "verbose long", args: []string{"--verbose"}, want: lab.Options{Verbose: true}},
		{name: "keep", args: []string{"--keep"}, want: lab.Options{Keep: true}},
		{name: "keep single dash", args: []string{"-keep"}, want: lab.Options{Keep: true}},
		{name: "both", args: []string{"-v", "--keep"}, want: lab.Options{Verbose: true, Keep: true}},
		{name: "carpd", args: []string{"--carpd", "/usr/sbin/carpd"}, want: lab.Options{Executable: "/usr/sbin/carpd"}},
		{name: "carpd equals", args: []string{"--carpd=/x/carpd", "-v"}, want: lab.Options{Executable: "/x/carpd", Verbose: true}},
		{name: "help", args: []string{"-h"}, want: lab.Options{Help: true}},
		{name: "help long", args: []string{"--help"}, want: lab.Options{Help: true}},
		{name: "unknown flag", args: []string{"-x"}, err: lab.ErrUsage},
		{name: "stray argument", args: []string{"start"}, err: lab.ErrUsage},
		{name: "argument after flag", args: []string{"-v", "now"}, err: lab.ErrUsage},
		{name: "carpd without value", args: []string{"--carpd"}, err: lab.ErrUsage},
		{name: "bool with value", args: []string{"--keep=maybe"}, err: lab.ErrUsage},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := lab.ParseArgs(tt.args)
			if tt.err != nil {
				require.ErrorIs(t, err, tt.err)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
		})
	}
}

func TestUsageNamesEveryOption(t *testing.T) {
	for _, opt := range []string{"-v", "--keep", "--carpd", "-h"} {
		require.Contains(t, lab.Usage, opt)
	}
}
