//go:build race

package integration

// raceEnabled builds carpd with -race too, so that the daemon's own data
// races show up in these end-to-end runs.
const raceEnabled = true
