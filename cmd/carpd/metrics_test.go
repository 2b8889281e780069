package main

import (
	"fmt"
	"log/slog"
	"net/http/httptest"
	"regexp"
	"runtime"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"

	"github.com/gocarp/gocarp/internal/control"
	"github.com/gocarp/gocarp/wire"
)

var descName = regexp.MustCompile(`fqName: "([^"]+)"`)

// descNames returns the metric names the status collector describes.
func descNames(t *testing.T) []string {
	t.Helper()
	ch := make(chan *prometheus.Desc, 100)
	(&statusCollector{}).Describe(ch)
	close(ch)
	var names []string
	for d := range ch {
		m := descName.FindStringSubmatch(d.String())
		require.NotNil(t, m, "cannot read the name of %s", d)
		names = append(names, m[1])
	}
	return names
}

// fakeStatus is a daemon of three groups on two links, with two checks.
func fakeStatus() control.Status {
	since := time.Unix(1_700_000_000, 250_000_000)
	return control.Status{
		Groups: []control.GroupStatus{
			{
				Name: "web", Interface: "eth0", VHID: 10, State: "MASTER", Since: since,
				AdvBase: 1, AdvSkew: 20, Demote: 20, Transitions: 2, AdvertsSent: 1234,
				AdvertsReceived: 3, SendErrors: 1, Announcements: 4, AnnounceErrors: 5,
				Dropped: map[string]uint64{"bad_digest": 7, "bad_ttl": 1},
				Checks:  []string{"nginx", "disk"},
			},
			{
				Name: "db", Interface: "eth0", VHID: 11, State: "BACKUP", Since: since.Add(time.Second),
				AdvBase: 2, AdvSkew: 100, Transitions: 1, AdvertsReceived: 99,
				Checks: []string{"disk", "gone"},
			},
			{Name: "eth1-7", Interface: "eth1", VHID: 7, State: "INIT", AdvBase: 1},
		},
		Links: []control.LinkStatus{
			{Interface: "eth0", Received: 200, Delivered: 150, Dropped: map[string]uint64{"own_packet": 40, "bad_vhid": 10}},
			{Interface: "eth1"},
		},
		Checks: []control.CheckStatus{
			{Name: "nginx", Up: true, Runs: 10, Failures: 1},
			{Name: "disk", Up: false, Runs: 10, Failures: 10, LastError: "full"},
		},
	}
}

// gather collects c into a pedantic registry (which checks descriptors,
// label consistency and duplicates) and returns every series as
// name{label="value",...} (labels sorted) → value.
func gather(t *testing.T, c prometheus.Collector) map[string]float64 {
	t.Helper()
	reg := prometheus.NewPedanticRegistry()
	require.NoError(t, reg.Register(c))
	mfs, err := reg.Gather()
	require.NoError(t, err)
	out := map[string]float64{}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			var ls []string
			for _, l := range m.GetLabel() {
				ls = append(ls, fmt.Sprintf("%s=%q", l.GetName(), l.GetValue()))
			}
			sort.Strings(ls)
			key := mf.GetName() + "{" + strings.Join(ls, ",") + "}"
			var v float64
			switch {
			case m.GetCounter() != nil:
				v = m.GetCounter().GetValue()
			case m.GetGauge() != nil:
				v = m.GetGauge().GetValue()
			default:
				t.Fatalf("%s: neither counter nor gauge", key)
			}
			_, dup := out[key]
			require.False(t, dup, "series %s twice", key)
			out[key] = v
		}
	}
	return out
}

func TestCollectorSeries(t *testing.T) {
	got := gather(t, &statusCollector{status: fakeStatus, version: "v9.9.9"})

	want := map[string]float64{}
	g := func(name, iface, vhid, group string, v float64) {
		want[fmt.Sprintf(`%s{group=%q,interface=%q,vhid=%q}`, name, group, iface, vhid)] = v
	}
	// web: MASTER, demoted.
	g("carp_state", "eth0", "10", "web", 2)
	g("carp_transitions_total", "eth0", "10", "web", 2)
	g("carp_last_transition_timestamp_seconds", "eth0", "10", "web", 1_700_000_000.25)
	g("carp_adverts_sent_total", "eth0", "10", "web", 1234)
	g("carp_adverts_received_total", "eth0", "10", "web", 3)
	g("carp_send_errors_total", "eth0", "10", "web", 1)
	g("carp_announcements_total", "eth0", "10", "web", 4)
	g("carp_announce_errors_total", "eth0", "10", "web", 5)
	g("carp_demotion", "eth0", "10", "web", 20)
	g("carp_advskew_advertised", "eth0", "10", "web", 20)
	g("carp_advbase_advertised", "eth0", "10", "web", 1)
	// db: BACKUP.
	g("carp_state", "eth0", "11", "db", 1)
	g("carp_transitions_total", "eth0", "11", "db", 1)
	g("carp_last_transition_timestamp_seconds", "eth0", "11", "db", 1_700_000_001.25)
	g("carp_adverts_sent_total", "eth0", "11", "db", 0)
	g("carp_adverts_received_total", "eth0", "11", "db", 99)
	g("carp_send_errors_total", "eth0", "11", "db", 0)
	g("carp_announcements_total", "eth0", "11", "db", 0)
	g("carp_announce_errors_total", "eth0", "11", "db", 0)
	g("carp_demotion", "eth0", "11", "db", 0)
	g("carp_advskew_advertised", "eth0", "11", "db", 100)
	g("carp_advbase_advertised", "eth0", "11", "db", 2)
	// eth1-7: INIT, no transition yet: the timestamp is 0, not year 1.
	g("carp_state", "eth1", "7", "eth1-7", 0)
	g("carp_transitions_total", "eth1", "7", "eth1-7", 0)
	g("carp_last_transition_timestamp_seconds", "eth1", "7", "eth1-7", 0)
	g("carp_adverts_sent_total", "eth1", "7", "eth1-7", 0)
	g("carp_adverts_received_total", "eth1", "7", "eth1-7", 0)
	g("carp_send_errors_total", "eth1", "7", "eth1-7", 0)
	g("carp_announcements_total", "eth1", "7", "eth1-7", 0)
	g("carp_announce_errors_total", "eth1", "7", "eth1-7", 0)
	g("carp_demotion", "eth1", "7", "eth1-7", 0)
	g("carp_advskew_advertised", "eth1", "7", "eth1-7", 0)
	g("carp_advbase_advertised", "eth1", "7", "eth1-7", 1)
	// Every drop reason of every group, 0 unless counted.
	for _, grp := range [][3]string{{"eth0", "10", "web"}, {"eth0", "11", "db"}, {"eth1", "7", "eth1-7"}} {
		for _, r := range wire.DropReasons() {
			want[fmt.Sprintf(`carp_rx_dropped_total{group=%q,interface=%q,reason=%q,vhid=%q}`, grp[2], grp[0], r, grp[1])] = 0
		}
	}
	want[`carp_rx_dropped_total{group="web",interface="eth0",reason="bad_digest",vhid="10"}`] = 7
	want[`carp_rx_dropped_total{group="web",interface="eth0",reason="bad_ttl",vhid="10"}`] = 1
	// Checks per group: nginx up, disk down, gone (not reported) down.
	want[`carp_check_up{check="nginx",group="web",interface="eth0",vhid="10"}`] = 1
	want[`carp_check_up{check="disk",group="web",interface="eth0",vhid="10"}`] = 0
	want[`carp_check_up{check="disk",group="db",interface="eth0",vhid="11"}`] = 0
	want[`carp_check_up{check="gone",group="db",interface="eth0",vhid="11"}`] = 0
	want[`carp_check_runs_total{check="nginx"}`] = 10
	want[`carp_check_failures_total{check="nginx"}`] = 1
	want[`carp_check_runs_total{check="disk"}`] = 10
	want[`carp_check_failures_total{check="disk"}`] = 10
	// Links.
	want[`carp_link_received_total{interface="eth0"}`] = 200
	want[`carp_link_delivered_total{interface="eth0"}`] = 150
	want[`carp_link_received_total{interface="eth1"}`] = 0
	want[`carp_link_delivered_total{interface="eth1"}`] = 0
	for _, l := range []string{"eth0", "eth1"} {
		for _, r := range wire.DropReasons() {
			want[fmt.Sprintf(`carp_link_rx_dropped_total{interface=%q,reason=%q}`, l, r)] = 0
		}
	}
	want[`carp_link_rx_dropped_total{interface="eth0",reason="own_packet"}`] = 40
	want[`carp_link_rx_dropped_total{interface="eth0",reason="bad_vhid"}`] = 10
	want[fmt.Sprintf(`carpd_build_info{goversion=%q,version="v9.9.9"}`, runtime.Version())] = 1

	require.Equal(t, want, got)
}

// TestCollectorDropReasons: every reason wire knows is a series at 0
// before anything is dropped (so rate() and alerts work from the start),
// and a reason the collector does not know is still shown, not lost.
func TestCollectorDropReasons(t *testing.T) {
	require.Contains(t, wire.DropReasons(), "bad_digest")
	st := control.Status{Groups: []control.GroupStatus{{Name: "g", Interface: "eth0", VHID: 1, State: "BACKUP",
		Dropped: map[string]uint64{"new_reason": 3}}}}
	got := gather(t, &statusCollector{status: func() control.Status { return st }})
	var reasons []string
	for k, v := range got {
		if strings.HasPrefix(k, "carp_rx_dropped_total{") {
			r := k[strings.Index(k, `reason="`)+8:]
			r = r[:strings.IndexByte(r, '"')]
			reasons = append(reasons, r)
			if r == "new_reason" {
				require.Equal(t, 3.0, v)
			} else {
				require.Zero(t, v, k)
			}
		}
	}
	slices.Sort(reasons)
	want := append(wire.DropReasons(), "new_reason")
	slices.Sort(want)
	require.Equal(t, want, reasons)
}

// TestCollectorStates: carp_state for each state the daemon reports, and
// -1 (not a silent 0, which means INIT) for STOPPED or anything unknown.
func TestCollectorStates(t *testing.T) {
	for state, want := range map[string]float64{"INIT": 0, "BACKUP": 1, "MASTER": 2, "STOPPED": -1, "State(9)": -1, "": -1} {
		st := control.Status{Groups: []control.GroupStatus{{Name: "g", Interface: "eth0", VHID: 1, State: state}}}
		got := gather(t, &statusCollector{status: func() control.Status { return st }})
		require.Equal(t, want, got[`carp_state{group="g",interface="eth0",vhid="1"}`], "state %q", state)
	}
}

// TestCollectorEmpty: a daemon with nothing to show still yields a valid
// scrape (the build info), and a check listed twice by a group is one
// series.
func TestCollectorEmpty(t *testing.T) {
	got := gather(t, &statusCollector{status: func() control.Status { return control.Status{} }, version: "devel"})
	require.Len(t, got, 1)
	st := control.Status{Groups: []control.GroupStatus{{Name: "g", Interface: "eth0", VHID: 1, State: "MASTER", Checks: []string{"a", "a"}}},
		Checks: []control.CheckStatus{{Name: "a", Up: true}}}
	got = gather(t, &statusCollector{status: func() control.Status { return st }})
	require.Equal(t, 1.0, got[`carp_check_up{check="a",group="g",interface="eth0",vhid="1"}`])
}

// TestCollectorHelp: every metric explains itself, and its name is one of
// the collector's own namespace.
func TestCollectorHelp(t *testing.T) {
	names := descNames(t)
	require.Len(t, names, len(allDescs))
	for _, d := range allDescs {
		s := d.String()
		require.NotContains(t, s, `help: ""`, s)
	}
	for _, n := range []string{"carp_state", "carp_transitions_total", "carp_adverts_sent_total", "carp_adverts_received_total",
		"carp_rx_dropped_total", "carp_announcements_total", "carp_demotion", "carp_advskew_advertised", "carp_check_up",
		"carp_last_transition_timestamp_seconds"} {
		require.Contains(t, names, n, "issue 8 fixes this name")
	}
}

// BenchmarkScrape is one /metrics rendering of 50 groups on one link:
// what each scrape allocates (garbage, kept nowhere).
func BenchmarkScrape(b *testing.B) {
	st := control.Status{Links: []control.LinkStatus{{Interface: "eth0"}}}
	for v := 1; v <= 50; v++ {
		st.Groups = append(st.Groups, control.GroupStatus{Name: fmt.Sprintf("eth0-%d", v), Interface: "eth0",
			VHID: uint8(v), State: "MASTER", AdvBase: 1, Transitions: 1, AdvertsSent: 1000})
	}
	h := httpHandler(func() control.Status { return st }, slog.New(slog.DiscardHandler))
	b.ReportAllocs()
	for b.Loop() {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest("GET", "/metrics", nil))
		if w.Code != 200 {
			b.Fatal(w.Code)
		}
	}
}
