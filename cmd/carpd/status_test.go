package main

import (
	"bytes"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gocarp/gocarp/internal/control"
)

func TestWriteStatus(t *testing.T) {
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	st := &control.Status{
		Groups: []control.GroupStatus{
			{Name: "outside", Interface: "eth0", VHID: 32, State: "BACKUP", Since: now.Add(-5 * time.Second), Reason: "better master",
				Master: "198.51.100.2", AdvBase: 1, AdvSkew: 200, Demote: 200, AdvertsSent: 40, AdvertsReceived: 6,
				Dropped:       map[string]uint64{"bad_digest": 2, "bad_ttl": 1},
				DemoteSources: map[string]uint8{"check uplink": 200}},
			{Name: "inside", Interface: "eth1", VHID: 33, State: "MASTER", Since: now.Add(-time.Minute), Reason: "master down",
				AdvBase: 1},
		},
		Checks: []control.CheckStatus{{Name: "uplink", Since: now.Add(-5 * time.Second), Runs: 30, Failures: 2, Demote: 200,
			Groups: []string{"outside"}, LastError: "exit status 1"}},
	}
	var b bytes.Buffer
	writeStatus(&b, st, now)
	require.Equal(t, `GROUP    INTERFACE  VHID  STATE   SINCE     REASON         MASTER        ADVBASE  ADVSKEW  DEMOTE  SENT  RECEIVED  DROPPED
outside  eth0       32    BACKUP  5s ago    better master  198.51.100.2  1        200      200     40    6         3
inside   eth1       33    MASTER  1m0s ago  master down    -             1        0        0       0     0         0

DEMOTED  BY
outside  check uplink 200

CHECK   STATE  SINCE   RUNS  FAILURES  DEMOTE  GROUPS   LAST ERROR
uplink  down   5s ago  30    2         200     outside  exit status 1
`, b.String())
}

func TestWriteStatusSecure(t *testing.T) {
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	var b bytes.Buffer
	writeStatus(&b, &control.Status{Groups: []control.GroupStatus{{Name: "web", Secure: true}, {Name: "db"}, {Name: "dns", Secure: true}}}, now)
	require.Contains(t, b.String(), "\nsecure mode (gocarp peers only): web, dns\n")
	b.Reset()
	writeStatus(&b, &control.Status{Groups: []control.GroupStatus{{Name: "db"}}}, now)
	require.NotContains(t, b.String(), "secure")
}

func TestWriteStatusLeaving(t *testing.T) {
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	var b bytes.Buffer
	writeStatus(&b, &control.Status{Groups: []control.GroupStatus{{Name: "web", State: "MASTER", Leaving: true, Since: now}}}, now)
	require.Contains(t, b.String(), "MASTER (leaving)")
}
