package main

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestDemo runs the demo and checks the story it tells: it is virtual
// time, so the timeline is exact and the same on every run.
func TestDemo(t *testing.T) {
	var a, b bytes.Buffer
	require.NoError(t, run(&a))
	require.NoError(t, run(&b))
	require.Equal(t, a.String(), b.String(), "the demo must be deterministic")
	for _, line := range []string{
		"  3.000000s  A  MASTER  (master down), takes 192.0.2.100",
		" 13.195512s  B  MASTER  (master down), takes 192.0.2.100", // 3 + 50/256 s after A's last advert
		"A  MASTER  (preempt)",
		"B  BACKUP  (better master)",
		"B  MASTER  (peer bow out)",
		// Make before break: A gives the VIP up when B's advert reaches it.
		" 30.012407s  B  MASTER  (peer bow out), takes 192.0.2.100\n 30.012607s  A  BACKUP  (bow out)",
		"A is back and preferred: A=MASTER B=BACKUP C=BACKUP",
		"A=down B=MASTER C=BACKUP",
	} {
		require.Contains(t, a.String(), line)
	}
	require.NotContains(t, a.String(), "C  MASTER", "C, the least preferred, never takes over")
}
