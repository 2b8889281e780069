package benchstat

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestDurations(t *testing.T) {
	ms := time.Millisecond
	tests := []struct {
		name string
		in   []time.Duration
		want Summary
	}{
		{"empty", nil, Summary{}},
		{"one", []time.Duration{3 * ms}, Summary{1, 3 * ms, 3 * ms, 3 * ms, 3 * ms}},
		{"odd, unsorted", []time.Duration{9 * ms, 1 * ms, 5 * ms}, Summary{3, 5 * ms, 1 * ms, 9 * ms, 9 * ms}},
		{"even: mean of the middle two", []time.Duration{4 * ms, 1 * ms, 2 * ms, 10 * ms}, Summary{4, 3 * ms, 1 * ms, 10 * ms, 10 * ms}},
		{"negative", []time.Duration{-2 * ms, 2 * ms, 0}, Summary{3, 0, -2 * ms, 2 * ms, 2 * ms}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := append([]time.Duration(nil), tt.in...)
			require.Equal(t, tt.want, Durations(tt.in))
			require.Equal(t, in, tt.in, "input reordered")
		})
	}
}

func TestPercentile(t *testing.T) {
	var ds []time.Duration
	for i := 10; i >= 1; i-- {
		ds = append(ds, time.Duration(i))
	}
	require.Equal(t, time.Duration(9), Percentile(ds, 90))
	require.Equal(t, time.Duration(10), Percentile(ds, 100))
	require.Equal(t, time.Duration(1), Percentile(ds, 0))
	require.Equal(t, time.Duration(5), Percentile(ds, 50))
	require.Equal(t, time.Duration(0), Percentile(nil, 90))
	ds = append(ds, 11) // 11 values: rank ceil(9.9) = 10
	require.Equal(t, time.Duration(10), Percentile(ds, 90))
}
