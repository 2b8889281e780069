// Package benchstat is the arithmetic the benchmark scripts share: the
// median, range and percentile of a few rounds.
package benchstat

import (
	"math"
	"slices"
	"time"
)

// Summary is what the rounds of one figure add up to.
type Summary struct {
	N             int
	Med, Min, Max time.Duration
	// P90 is the 90th percentile (nearest rank); with fewer than 10
	// rounds it is the maximum.
	P90 time.Duration
}

// Durations summarises ds (not reordered). The median of an even count
// is the mean of the middle two. The zero Summary for none.
func Durations(ds []time.Duration) Summary {
	if len(ds) == 0 {
		return Summary{}
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	n := len(s)
	med := s[n/2]
	if n%2 == 0 {
		med = (s[n/2-1] + s[n/2]) / 2
	}
	return Summary{N: n, Med: med, Min: s[0], Max: s[n-1], P90: Percentile(s, 90)}
}

// Percentile is the p-th percentile of ds by nearest rank: the smallest
// value with at least p % of ds at or below it. 0 for none.
func Percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	i := int(math.Ceil(p/100*float64(len(s)))) - 1
	return s[min(max(i, 0), len(s)-1)]
}
