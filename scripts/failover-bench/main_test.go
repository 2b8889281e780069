//go:build linux

package main

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestStats(t *testing.T) {
	ms := time.Millisecond
	tests := []struct {
		name        string
		in          []time.Duration
		med, lo, hi time.Duration
	}{
		{"empty", nil, 0, 0, 0},
		{"one", []time.Duration{3 * ms}, 3 * ms, 3 * ms, 3 * ms},
		{"odd, unsorted", []time.Duration{9 * ms, 1 * ms, 5 * ms}, 5 * ms, 1 * ms, 9 * ms},
		{"even: mean of the middle two", []time.Duration{4 * ms, 1 * ms, 2 * ms, 10 * ms}, 3 * ms, 1 * ms, 10 * ms},
		{"negative", []time.Duration{-2 * ms, 2 * ms, 0}, 0, -2 * ms, 2 * ms},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := append([]time.Duration(nil), tt.in...)
			med, lo, hi := stats(tt.in)
			require.Equal(t, []time.Duration{tt.med, tt.lo, tt.hi}, []time.Duration{med, lo, hi})
			require.Equal(t, in, tt.in, "input reordered")
		})
	}
}

func TestParse(t *testing.T) {
	tests := []struct {
		name   string
		args   []string
		rounds int
		impls  []string
		bad    bool
	}{
		{name: "defaults", rounds: 5, impls: []string{"carpd", "ucarp"}},
		{name: "rounds", args: []string{"-rounds", "2"}, rounds: 2, impls: []string{"carpd", "ucarp"}},
		{name: "one impl", args: []string{"-impl", "carpd"}, rounds: 5, impls: []string{"carpd"}},
		{name: "zero rounds", args: []string{"-rounds", "0"}, bad: true},
		{name: "unknown impl", args: []string{"-impl", "keepalived"}, bad: true},
		{name: "stray argument", args: []string{"now"}, bad: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := parse(tt.args)
			if tt.bad {
				require.Error(t, err)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.rounds, c.rounds)
			require.Equal(t, tt.impls, c.impls)
		})
	}
}
