package election_test

import (
	"strings"
	"testing"
	"time"

	"github.com/gocarp/gocarp/election"
	"github.com/stretchr/testify/require"
)

// Table configuration: advbase 1, advskew 100, deadratio 3 → interval
// 1.390625 s, master-down 3.390625 s. Self 198.51.100.10 (LE 0x0a6433c6).
const (
	tabInterval   = 1_390_625 * time.Microsecond
	tabMasterDown = 3_390_625 * time.Microsecond
	tabSelf       = "198.51.100.10"
	// Little-endian uint32: .33 → 0x216433c6 > 0x0a6433c6, so we win;
	// 203.0.113.5 → 0x057100cb < 0x0a6433c6, so we lose.
	peerWeLoseTo = "203.0.113.5"
	peerWeBeat   = "198.51.100.33"
)

type dlKind int

const (
	dlNone       dlKind = iota // zero deadline
	dlUnchanged                // same deadline as before the event
	dlInterval                 // now + tabInterval
	dlMasterDown               // now + tabMasterDown
	dlAt                       // now + expect.d
)

type expect struct {
	state election.State
	acts  []election.Action
	dl    dlKind
	d     time.Duration
}

type tableEvent struct {
	ev      election.Event
	timeout int  // 0: not a timeout; +1 at the deadline; -1 just before it
	demoted bool // our Demotion is DemoteByte with count 1 (for "lower demote")
}

var tableEvents = map[string]tableEvent{
	"start":            {ev: ev(election.EventStart)},
	"link-down":        {ev: ev(election.EventLinkDown)},
	"link-up":          {ev: ev(election.EventLinkUp)},
	"demote-5":         {ev: demoteTo(5)},
	"bow-out":          {ev: ev(election.EventBowOut)},
	"shutdown":         {ev: ev(election.EventShutdown)},
	"send-error":       {ev: ev(election.EventSendError)},
	"send-ok":          {ev: ev(election.EventSendOK)},
	"timeout":          {ev: ev(election.EventTimeout), timeout: +1},
	"timeout-early":    {ev: ev(election.EventTimeout), timeout: -1},
	"ad-better":        {ev: peer("198.51.100.2", 1, 0, 0)},
	"ad-worse":         {ev: peer("198.51.100.2", 1, 200, 0)},
	"ad-equal-win":     {ev: peer(peerWeBeat, 1, 100, 0)},
	"ad-equal-lose":    {ev: peer(peerWeLoseTo, 1, 100, 0)},
	"ad-bow-out":       {ev: peer("198.51.100.2", 255, 255, 0)},
	"ad-will-time-out": {ev: peer("198.51.100.2", 5, 0, 0)},
	// Better timing but demoted: worse.
	"ad-higher-demote": {ev: peer("198.51.100.2", 1, 0, 1)},
	// Worse timing but we are demoted (1) and it is not: better.
	"ad-lower-demote": {ev: peer("198.51.100.2", 1, 200, 0), demoted: true},
}

type tableRow struct {
	state   string // "init", "init-link-down", "backup", "master"
	event   string
	want    expect
	preempt *expect // when Preempt is on, if different
	bsd     *expect // with TieBreakBSD, if different
}

func nothing(s election.State, dl dlKind) expect { return expect{state: s, dl: dl} }

func takeover(r election.Reason) expect {
	return expect{state: election.Master, dl: dlInterval, acts: []election.Action{
		tr(election.Backup, election.Master, r), garp(r), ad(1, 100, 0, r),
	}}
}

var tableRows = func() []tableRow {
	var rows []tableRow
	I, B, M := election.Init, election.Backup, election.Master
	// INIT, never started: only start does anything.
	for name := range tableEvents {
		w := nothing(I, dlNone)
		if name == "start" {
			w = expect{state: B, dl: dlMasterDown, acts: []election.Action{tr(I, B, election.ReasonStart)}}
		}
		rows = append(rows, tableRow{state: "init", event: name, want: w})
	}
	// INIT after start + link down: only link-up does anything.
	for name := range tableEvents {
		w := nothing(I, dlNone)
		if name == "link-up" {
			w = expect{state: B, dl: dlMasterDown, acts: []election.Action{tr(I, B, election.ReasonLinkUp)}}
		}
		rows = append(rows, tableRow{state: "init-link-down", event: name, want: w})
	}
	pre := func(e expect) *expect { return &e }
	rows = append(rows,
		// BACKUP
		tableRow{state: "backup", event: "start", want: nothing(B, dlUnchanged)},
		tableRow{state: "backup", event: "link-down", want: expect{state: I, dl: dlNone, acts: []election.Action{tr(B, I, election.ReasonLinkDown)}}},
		tableRow{state: "backup", event: "link-up", want: nothing(B, dlUnchanged)},
		tableRow{state: "backup", event: "demote-5", want: nothing(B, dlUnchanged)},
		tableRow{state: "backup", event: "bow-out", want: nothing(B, dlUnchanged)},
		tableRow{state: "backup", event: "shutdown", want: nothing(B, dlUnchanged)},
		tableRow{state: "backup", event: "send-error", want: nothing(B, dlUnchanged)},
		tableRow{state: "backup", event: "send-ok", want: nothing(B, dlUnchanged)},
		tableRow{state: "backup", event: "timeout", want: takeover(election.ReasonMasterDown)},
		tableRow{state: "backup", event: "timeout-early", want: nothing(B, dlUnchanged)},
		tableRow{state: "backup", event: "ad-better", want: nothing(B, dlMasterDown)},
		tableRow{state: "backup", event: "ad-worse", want: nothing(B, dlMasterDown), preempt: pre(takeover(election.ReasonPreempt))},
		tableRow{state: "backup", event: "ad-equal-win", want: nothing(B, dlMasterDown)},
		tableRow{state: "backup", event: "ad-equal-lose", want: nothing(B, dlMasterDown)},
		// Skew 100: take over after the bow-out stagger, 100 × 1/4096 s.
		tableRow{state: "backup", event: "ad-bow-out", want: expect{state: B, dl: dlAt, d: 24414062 * time.Nanosecond}},
		tableRow{state: "backup", event: "ad-will-time-out", want: takeover(election.ReasonMasterWillTimeOut), preempt: pre(takeover(election.ReasonPreempt))},
		tableRow{state: "backup", event: "ad-higher-demote", want: takeover(election.ReasonLowerDemote)},
		tableRow{state: "backup", event: "ad-lower-demote", want: nothing(B, dlMasterDown)},
		// MASTER
		tableRow{state: "master", event: "start", want: nothing(M, dlUnchanged)},
		tableRow{state: "master", event: "link-down", want: expect{state: I, dl: dlNone, acts: []election.Action{tr(M, I, election.ReasonLinkDown)}}},
		tableRow{state: "master", event: "link-up", want: nothing(M, dlUnchanged)},
		// Skew demotion: 100+5; a worse master advertises at once.
		tableRow{state: "master", event: "demote-5", want: expect{state: M, dl: dlAt, d: time.Second + us(105*1_000_000/256), acts: []election.Action{ad(1, 105, 0, election.ReasonDemoted)}}},
		// Make before break: the bow-out advert, and no transition yet;
		// the deadline is the leave bound, the master-down interval.
		tableRow{state: "master", event: "bow-out", want: expect{state: M, dl: dlMasterDown, acts: []election.Action{
			ad(255, 255, 0, election.ReasonBowOut)}}},
		tableRow{state: "master", event: "shutdown", want: expect{state: M, dl: dlMasterDown, acts: []election.Action{
			ad(255, 255, 0, election.ReasonBowOut)}}},
		tableRow{state: "master", event: "send-error", want: nothing(M, dlUnchanged)},
		tableRow{state: "master", event: "send-ok", want: nothing(M, dlUnchanged)},
		tableRow{state: "master", event: "timeout", want: expect{state: M, dl: dlInterval, acts: []election.Action{ad(1, 100, 0, election.ReasonAdvertTimer)}}},
		tableRow{state: "master", event: "timeout-early", want: nothing(M, dlUnchanged)},
		tableRow{state: "master", event: "ad-better", want: expect{state: B, dl: dlMasterDown, acts: []election.Action{
			ad(1, 100, 0, election.ReasonBetterMaster), tr(M, B, election.ReasonBetterMaster)}}},
		tableRow{state: "master", event: "ad-worse", want: expect{state: M, dl: dlUnchanged, acts: []election.Action{garp(election.ReasonReassert)}}},
		tableRow{state: "master", event: "ad-equal-win",
			want: expect{state: M, dl: dlUnchanged, acts: []election.Action{garp(election.ReasonTieBreak)}},
			bsd:  &expect{state: B, dl: dlMasterDown, acts: []election.Action{tr(M, B, election.ReasonTieBreak)}}},
		tableRow{state: "master", event: "ad-equal-lose",
			want: expect{state: B, dl: dlMasterDown, acts: []election.Action{ad(1, 100, 0, election.ReasonTieBreak), tr(M, B, election.ReasonTieBreak)}},
			bsd:  &expect{state: B, dl: dlMasterDown, acts: []election.Action{tr(M, B, election.ReasonTieBreak)}}},
		tableRow{state: "master", event: "ad-bow-out", want: expect{state: M, dl: dlUnchanged, acts: []election.Action{garp(election.ReasonReassert)}}},
		tableRow{state: "master", event: "ad-will-time-out", want: expect{state: M, dl: dlUnchanged, acts: []election.Action{garp(election.ReasonReassert)}}},
		tableRow{state: "master", event: "ad-higher-demote", want: expect{state: M, dl: dlUnchanged, acts: []election.Action{garp(election.ReasonReassert)}}},
		tableRow{state: "master", event: "ad-lower-demote", want: expect{state: B, dl: dlMasterDown, acts: []election.Action{
			ad(1, 100, 1, election.ReasonLowerDemote), tr(M, B, election.ReasonLowerDemote)}}},
	)
	// LEAVING (a MASTER that bowed out, still holding the VIPs): it sends
	// nothing, whatever it hears, and the first advert that is not a
	// bow-out completes the handover, whatever its priority. At the bound
	// it advertises again; after EventShutdown it gives up the VIPs.
	handedOver := expect{state: B, dl: dlMasterDown, acts: []election.Action{tr(M, B, election.ReasonBowOut)}}
	leaving := map[string]expect{
		"start":            nothing(M, dlUnchanged),
		"link-down":        {state: I, dl: dlNone, acts: []election.Action{tr(M, I, election.ReasonLinkDown)}},
		"link-up":          nothing(M, dlUnchanged),
		"demote-5":         nothing(M, dlUnchanged),
		"bow-out":          nothing(M, dlUnchanged),
		"shutdown":         nothing(M, dlUnchanged),
		"send-error":       nothing(M, dlUnchanged),
		"send-ok":          nothing(M, dlUnchanged),
		"timeout-early":    nothing(M, dlUnchanged),
		"ad-better":        handedOver,
		"ad-worse":         handedOver,
		"ad-equal-win":     handedOver,
		"ad-equal-lose":    handedOver,
		"ad-bow-out":       nothing(M, dlUnchanged),
		"ad-will-time-out": handedOver,
		"ad-higher-demote": handedOver,
		"ad-lower-demote":  handedOver,
	}
	for e, w := range leaving {
		rows = append(rows, tableRow{state: "leaving", event: e, want: w}, tableRow{state: "leaving-final", event: e, want: w})
	}
	rows = append(rows,
		tableRow{state: "leaving", event: "timeout", want: expect{state: M, dl: dlInterval, acts: []election.Action{
			garp(election.ReasonNoTakeover), ad(1, 100, 0, election.ReasonNoTakeover)}}},
		tableRow{state: "leaving-final", event: "timeout", want: expect{state: B, dl: dlMasterDown, acts: []election.Action{
			tr(M, B, election.ReasonNoTakeover)}}},
	)
	return rows
}()

// reach builds a machine in the named state and returns it with the time
// of the event under test.
func reach(t *testing.T, state string, cfg election.Config, demoted bool) (*election.Machine, time.Time) {
	t.Helper()
	m := newMachine(t, cfg)
	if demoted {
		require.Empty(t, m.Step(t0, demoteTo(1)))
	}
	switch state {
	case "init":
		return m, t0
	case "init-link-down":
		require.Len(t, m.Step(t0, ev(election.EventStart)), 1)
		require.Len(t, m.Step(t0.Add(time.Second), ev(election.EventLinkDown)), 1)
		return m, t0.Add(2 * time.Second)
	case "backup":
		require.Len(t, m.Step(t0, ev(election.EventStart)), 1)
		return m, t0.Add(time.Second)
	case "master":
		require.Len(t, m.Step(t0, ev(election.EventStart)), 1)
		at, acts := fire(t, m)
		require.Len(t, acts, 3)
		return m, at.Add(500 * time.Millisecond)
	case "leaving", "leaving-final":
		require.Len(t, m.Step(t0, ev(election.EventStart)), 1)
		at, _ := fire(t, m)
		kind := election.EventBowOut
		if state == "leaving-final" {
			kind = election.EventShutdown
		}
		require.Len(t, m.Step(at.Add(500*time.Millisecond), ev(kind)), 1)
		require.True(t, m.Leaving())
		return m, at.Add(600 * time.Millisecond)
	}
	t.Fatalf("unknown state %q", state)
	return nil, time.Time{}
}

var stateOf = map[string]election.State{
	"init": election.Init, "init-link-down": election.Init,
	"backup": election.Backup, "master": election.Master,
	"leaving": election.Master, "leaving-final": election.Master,
}

func TestTransitionTable(t *testing.T) {
	// Every state × every event must have a row.
	seen := map[[2]string]bool{}
	for _, r := range tableRows {
		k := [2]string{r.state, r.event}
		require.False(t, seen[k], "duplicate row %v", k)
		_, ok := tableEvents[r.event]
		require.True(t, ok, "unknown event %q", r.event)
		seen[k] = true
	}
	for s := range stateOf {
		for e := range tableEvents {
			require.True(t, seen[[2]string{s, e}], "missing row %s × %s", s, e)
		}
	}

	for _, r := range tableRows {
		for _, preempt := range []bool{false, true} {
			for _, tb := range []election.TieBreak{election.TieBreakUcarp, election.TieBreakBSD} {
				name := r.state + "/" + r.event + "/preempt=" + map[bool]string{false: "off", true: "on"}[preempt] + "/" + tb.String()
				t.Run(name, func(t *testing.T) {
					te := tableEvents[r.event]
					cfg := election.Config{AdvBase: 1, AdvSkew: 100, Preempt: preempt, TieBreak: tb, Self: ip(tabSelf)}
					if te.demoted {
						cfg.Demotion = election.DemoteByte
					}
					m, now := reach(t, r.state, cfg, te.demoted)
					require.Equal(t, stateOf[r.state], m.State())
					switch d := m.Deadline(); {
					case te.timeout > 0 && !d.IsZero():
						now = d
					case te.timeout < 0 && !d.IsZero():
						now = d.Add(-time.Microsecond)
					}
					before := m.Deadline()

					want := r.want
					if preempt && r.preempt != nil {
						want = *r.preempt
					}
					if tb == election.TieBreakBSD && r.bsd != nil {
						want = *r.bsd
					}

					got := step(m, now, te.ev)
					require.Equal(t, want.acts, got)
					require.Equal(t, want.state, m.State())
					stillLeaving := strings.HasPrefix(r.state, "leaving") && want.state == election.Master && r.event != "timeout"
					bowsOut := r.state == "master" && (r.event == "bow-out" || r.event == "shutdown")
					require.Equal(t, stillLeaving || bowsOut, m.Leaving(), "leaving after the event")
					switch want.dl {
					case dlNone:
						require.True(t, m.Deadline().IsZero(), "deadline %v", m.Deadline())
					case dlUnchanged:
						require.Equal(t, before, m.Deadline())
					case dlInterval:
						require.Equal(t, now.Add(tabInterval), m.Deadline())
					case dlMasterDown:
						require.Equal(t, now.Add(tabMasterDown), m.Deadline())
					case dlAt:
						require.Equal(t, now.Add(want.d), m.Deadline())
					}
					for _, a := range got {
						require.NotEqual(t, election.ReasonNone, a.Reason, "action without reason: %v", a)
					}
				})
			}
		}
	}
}
