package main

import (
	"runtime"
	"slices"
	"strconv"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/gocarp/gocarp/internal/control"
	"github.com/gocarp/gocarp/wire"
)

// groupLabels are the labels of every per-group series.
var groupLabels = []string{"interface", "vhid", "group"}

func groupDesc(name, help string, extra ...string) *prometheus.Desc {
	return prometheus.NewDesc(name, help, append(slices.Clone(groupLabels), extra...), nil)
}

// The metrics carpd serves on /metrics. The names are fixed by issue 8:
// dashboards and alerts use them.
var (
	descState = groupDesc("carp_state",
		"The group's CARP state: 0 INIT, 1 BACKUP, 2 MASTER; -1 while stopped (shutting down) or unknown.")
	descTransitions = groupDesc("carp_transitions_total",
		"State changes of the group since carpd started.")
	descLastTransition = groupDesc("carp_last_transition_timestamp_seconds",
		"When the group last changed state, in seconds since the Unix epoch; 0 before its first change.")
	descAdvertsSent = groupDesc("carp_adverts_sent_total",
		"CARP advertisements the group sent (it sends them while MASTER).")
	descAdvertsReceived = groupDesc("carp_adverts_received_total",
		"Valid CARP advertisements the group received from other nodes (a BACKUP hears its master's).")
	descRxDropped = groupDesc("carp_rx_dropped_total",
		"Received packets for the group that failed validation, by reason (bad_digest: another password, VHID or VIP set; see carpd inspect). Every reason is present from the start.",
		"reason")
	descSendErrors = groupDesc("carp_send_errors_total",
		"Advertisements the group failed to send.")
	descAnnouncements = groupDesc("carp_announcements_total",
		"Gratuitous ARP and unsolicited neighbour advertisements the group sent for its VIPs on becoming MASTER.")
	descAnnounceErrors = groupDesc("carp_announce_errors_total",
		"Gratuitous ARP and neighbour advertisements the group failed to send.")
	descDemotion = groupDesc("carp_demotion",
		"The group's demotion count, every source summed (operator, checks, tracked interfaces); 0 when not demoted.")
	descAdvSkew = groupDesc("carp_advskew_advertised",
		"The advskew the group advertises now: its configured skew plus skew demotion and the send-error penalty.")
	descAdvBase = groupDesc("carp_advbase_advertised",
		"The advbase (seconds) the group advertises now.")
	descCheckUp = groupDesc("carp_check_up",
		"1 while the health check that demotes the group is up (after rise/fall), 0 while down.",
		"check")

	descCheckRuns = prometheus.NewDesc("carp_check_runs_total",
		"Runs of the health check since carpd started.", []string{"check"}, nil)
	descCheckFailures = prometheus.NewDesc("carp_check_failures_total",
		"Failed runs of the health check (a run killed at its timeout is a failure).", []string{"check"}, nil)

	descLinkReceived = prometheus.NewDesc("carp_link_received_total",
		"CARP packets the interface's link read from its socket.", []string{"interface"}, nil)
	descLinkDelivered = prometheus.NewDesc("carp_link_delivered_total",
		"CARP packets the interface's link handed to one of its groups.", []string{"interface"}, nil)
	descLinkDropped = prometheus.NewDesc("carp_link_rx_dropped_total",
		"Packets the interface's link dropped before any group saw them, by reason (own_packet, bad_ttl, bad_vhid: a VHID nobody here runs, ...). Every reason is present from the start.",
		[]string{"interface", "reason"}, nil)

	descBuildInfo = prometheus.NewDesc("carpd_build_info",
		"Always 1: the carpd version and the Go version it was built with.", []string{"version", "goversion"}, nil)
)

// allDescs is every metric the collector may emit.
var allDescs = []*prometheus.Desc{
	descState, descTransitions, descLastTransition, descAdvertsSent, descAdvertsReceived,
	descRxDropped, descSendErrors, descAnnouncements, descAnnounceErrors, descDemotion,
	descAdvSkew, descAdvBase, descCheckUp, descCheckRuns, descCheckFailures,
	descLinkReceived, descLinkDelivered, descLinkDropped, descBuildInfo,
}

// statusCollector turns the daemon's Status, read at each scrape, into
// const metrics: nothing is kept between scrapes, and the daemon pays
// nothing per event for them.
type statusCollector struct {
	status  func() control.Status
	version string
}

func (c *statusCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range allDescs {
		ch <- d
	}
}

// stateValue is carp_state's value for a GroupStatus.State.
func stateValue(s string) float64 {
	switch s {
	case "INIT":
		return 0
	case "BACKUP":
		return 1
	case "MASTER":
		return 2
	}
	return -1 // STOPPED, or a state this code does not know
}

// reasons returns every known drop reason and then any other key of got,
// sorted: each series exists from the start, and none is lost.
func reasons(got map[string]uint64) []string {
	out := wire.DropReasons()
	var extra []string
	for r := range got {
		if !slices.Contains(out, r) {
			extra = append(extra, r)
		}
	}
	slices.Sort(extra)
	return append(out, extra...)
}

func (c *statusCollector) Collect(ch chan<- prometheus.Metric) {
	st := c.status()
	counter, gauge := prometheus.CounterValue, prometheus.GaugeValue
	checks := make(map[string]*control.CheckStatus, len(st.Checks))
	for i := range st.Checks {
		checks[st.Checks[i].Name] = &st.Checks[i]
	}
	for _, g := range st.Groups {
		lv := []string{g.Interface, strconv.Itoa(int(g.VHID)), g.Name}
		m := func(d *prometheus.Desc, t prometheus.ValueType, v float64, extra ...string) {
			ch <- prometheus.MustNewConstMetric(d, t, v, append(lv, extra...)...)
		}
		m(descState, gauge, stateValue(g.State))
		m(descTransitions, counter, float64(g.Transitions))
		var since float64
		if !g.Since.IsZero() {
			since = float64(g.Since.Unix()) + float64(g.Since.Nanosecond())/1e9
		}
		m(descLastTransition, gauge, since)
		m(descAdvertsSent, counter, float64(g.AdvertsSent))
		m(descAdvertsReceived, counter, float64(g.AdvertsReceived))
		for _, r := range reasons(g.Dropped) {
			m(descRxDropped, counter, float64(g.Dropped[r]), r)
		}
		m(descSendErrors, counter, float64(g.SendErrors))
		m(descAnnouncements, counter, float64(g.Announcements))
		m(descAnnounceErrors, counter, float64(g.AnnounceErrors))
		m(descDemotion, gauge, float64(g.Demote))
		m(descAdvSkew, gauge, float64(g.AdvSkew))
		m(descAdvBase, gauge, float64(g.AdvBase))
		for i, name := range g.Checks {
			if slices.Contains(g.Checks[:i], name) {
				continue // one series per check, even if the config lists it twice
			}
			var up float64 // a check starts down; one not reported is not up
			if c := checks[name]; c != nil && c.Up {
				up = 1
			}
			m(descCheckUp, gauge, up, name)
		}
	}
	for _, c := range st.Checks {
		ch <- prometheus.MustNewConstMetric(descCheckRuns, counter, float64(c.Runs), c.Name)
		ch <- prometheus.MustNewConstMetric(descCheckFailures, counter, float64(c.Failures), c.Name)
	}
	for _, l := range st.Links {
		ch <- prometheus.MustNewConstMetric(descLinkReceived, counter, float64(l.Received), l.Interface)
		ch <- prometheus.MustNewConstMetric(descLinkDelivered, counter, float64(l.Delivered), l.Interface)
		for _, r := range reasons(l.Dropped) {
			ch <- prometheus.MustNewConstMetric(descLinkDropped, counter, float64(l.Dropped[r]), l.Interface, r)
		}
	}
	ch <- prometheus.MustNewConstMetric(descBuildInfo, gauge, 1, c.version, runtime.Version())
}

// newRegistry is carpd's own registry (not the global one: nothing is
// registered by a mere import) with the status collector, and the process
// (RSS, CPU, fds) and Go runtime collectors, both read only at scrape time.
func newRegistry(status func() control.Status, version string) *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(
		&statusCollector{status: status, version: version},
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		collectors.NewGoCollector(),
	)
	return reg
}
