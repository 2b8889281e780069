package election

import (
	"errors"
	"time"
)

// Configuration errors returned by New.
var (
	ErrZeroInterval = errors.New("election: advbase and advskew are both 0")
	ErrAdvSkew      = errors.New("election: advbase 255 with advskew 255 is the bow-out advert, not a configuration")
	ErrNoSelf       = errors.New("election: Self address not set")
	ErrDeadRatio    = errors.New("election: deadratio too large")
	ErrTieBreak     = errors.New("election: unknown tie-break rule")
	ErrDemotion     = errors.New("election: unknown demotion mode")
)

const (
	// bowOut is the advbase and advskew of the OpenBSD bow-out advert.
	bowOut = 255
	// maxDemotedSkew caps skew demotion (FreeBSD CARP_MAXSKEW) and is the
	// skew ucarp advertises after repeated send errors.
	maxDemotedSkew = 240
	// Consecutive send errors that inflate the skew, and consecutive
	// successes that end it (ucarp CARP_SENDAD_MAX_ERRORS/MIN_SUCCESS).
	sendErrorsToSuppress = 3
	sendOKsToRecover     = 3
	// delayedARPAdverts: ucarp sends a second gratuitous ARP with the
	// second advert after the one that triggered the first.
	delayedARPAdverts = 2
)

const (
	// DefaultDeadRatio is the DeadRatio a zero Config.DeadRatio means
	// (ucarp's -r default).
	DefaultDeadRatio = 3
	// MaxDeadRatio bounds Config.DeadRatio: deadratio × 255 s stays far
	// inside a time.Duration.
	MaxDeadRatio = 65535
)

// stepFunc handles the state-specific events (raft's r.step).
type stepFunc func(m *Machine, now time.Time, ev Event)

// Machine is the election state machine of one virtual host. It is not
// safe for concurrent use; drive it from one goroutine.
type Machine struct {
	cfg   Config
	state State
	step  stepFunc

	started  bool // EventStart seen
	linkDown bool // carrier lost (EventLinkDown without EventLinkUp)
	deadline time.Time

	demote     uint8 // EventDemote count
	sendErrors int   // consecutive failed adverts (saturating)
	sendOKs    int   // consecutive successes while suppressed
	suppressed bool  // advertising skew 240 because of send errors

	adv        Advert        // what we advertise (after demotion)
	interval   time.Duration // of adv
	masterDown time.Duration // of adv

	// arpIn counts adverts until the delayed gratuitous ARP; -1 = none.
	arpIn int8
	// bowOutPending: the master bowed out and the deadline is our
	// staggered takeover, not the master-down time.
	bowOutPending bool
	// leaving: we bowed out as MASTER and keep the VIPs until the new
	// master's first advert, or the deadline (the leave bound); state is
	// still Master and nothing but the bow-out advert has been sent.
	leaving bool
	// final: the leaving started with EventShutdown (or one arrived
	// since): at the deadline the machine gives the VIPs up instead of
	// resuming.
	final bool

	out []Action // returned by Step, reused
}

// New validates cfg and returns a machine in state INIT with no deadline.
func New(cfg Config) (*Machine, error) {
	switch {
	case cfg.AdvBase == 0 && cfg.AdvSkew == 0:
		return nil, ErrZeroInterval
	case cfg.AdvBase == bowOut && cfg.AdvSkew == bowOut:
		return nil, ErrAdvSkew
	case !cfg.Self.IsValid():
		return nil, ErrNoSelf
	case cfg.DeadRatio > MaxDeadRatio:
		return nil, ErrDeadRatio
	case cfg.TieBreak > TieBreakBSD:
		return nil, ErrTieBreak
	case cfg.Demotion > DemoteByte:
		return nil, ErrDemotion
	}
	if cfg.DeadRatio == 0 {
		cfg.DeadRatio = DefaultDeadRatio
	}
	m := &Machine{
		cfg:   cfg,
		state: Init,
		step:  stepInit,
		arpIn: -1,
		// Enough for the longest sequence (advert, transition, GARP, advert, GARP).
		out: make([]Action, 0, 8),
	}
	m.refreshAdvertised()
	return m, nil
}

// State returns the current state. While leaving (see Leaving) it is
// Master: the VIPs are still ours.
func (m *Machine) State() State { return m.state }

// Leaving reports whether the machine is a MASTER that has bowed out
// (EventBowOut, EventShutdown) and waits, still holding the VIPs, for the
// new master's first advert or for Deadline, the leave bound: its
// master-down interval from the bow-out.
func (m *Machine) Leaving() bool { return m.leaving }

// Deadline returns when the caller must deliver EventTimeout: the next
// advert as MASTER, the leave bound while leaving, the master-down time as
// BACKUP. Zero means none (INIT).
func (m *Machine) Deadline() time.Time { return m.deadline }

// Interval returns the advertisement interval of the values we currently
// advertise: advbase + advskew/256 s, in whole microseconds like the peers.
func (m *Machine) Interval() time.Duration { return m.interval }

// MasterDown returns the BACKUP timeout: deadratio × advbase + advskew/256 s
// (ucarp, FreeBSD), or deadratio × advskew/256 s when advbase is 0, computed
// from the advertised (possibly demoted) skew.
func (m *Machine) MasterDown() time.Duration { return m.masterDown }

// Demote returns the demote count last set by EventDemote.
func (m *Machine) Demote() uint8 { return m.demote }

// Advertised returns what the machine advertises now: its advbase, its
// advskew after skew demotion or send errors, and its demote byte.
func (m *Machine) Advertised() Advert { return m.adv }

// Step feeds one event at time now and returns the actions to perform, in
// order. The slice is reused: it is valid until the next call to Step.
// Step does not allocate.
func (m *Machine) Step(now time.Time, ev Event) []Action {
	m.out = m.out[:0]
	// State-independent bookkeeping first, then the per-state step.
	switch ev.Kind {
	case EventStart:
		m.started = true
	case EventLinkDown:
		m.linkDown = true
		if m.state != Init {
			m.becomeInit(ReasonLinkDown)
		}
		return m.out
	case EventLinkUp:
		m.linkDown = false
	case EventDemote:
		m.demote = ev.Demote
		m.priorityChanged(now, ReasonDemoted)
		return m.out
	case EventSendError:
		m.sendOKs = 0
		if m.sendErrors < sendErrorsToSuppress {
			m.sendErrors++
			if m.sendErrors == sendErrorsToSuppress {
				m.suppressed = true
				m.priorityChanged(now, ReasonDemoted)
			}
		}
		return m.out
	case EventSendOK:
		if m.sendErrors < sendErrorsToSuppress {
			m.sendErrors = 0
			return m.out
		}
		m.sendOKs++
		if m.sendOKs >= sendOKsToRecover {
			m.sendErrors, m.sendOKs = 0, 0
			m.suppressed = false
			m.priorityChanged(now, ReasonDemoted)
		}
		return m.out
	}
	m.step(m, now, ev)
	return m.out
}

// stepInit: not running. Start (with the link up) or link-up (once
// started) goes BACKUP; ucarp's 10 s wait after carrier loss is not copied.
func stepInit(m *Machine, now time.Time, ev Event) {
	switch ev.Kind {
	case EventStart:
		if !m.linkDown {
			m.becomeBackup(now, ReasonStart)
		}
	case EventLinkUp:
		if m.started {
			m.becomeBackup(now, ReasonLinkUp)
		}
	}
}

// stepBackup: wait for the master-down timer, restarted by every advert.
func stepBackup(m *Machine, now time.Time, ev Event) {
	switch ev.Kind {
	case EventTimeout:
		if m.due(now) {
			r := ReasonMasterDown
			if m.bowOutPending {
				r = ReasonPeerBowOut
			}
			m.becomeMaster(now, r)
		}
	case EventAdvert:
		a := ev.Advert
		m.bowOutPending = false
		switch {
		case isBowOut(a):
			// The master is leaving. Backups take over after a stagger
			// proportional to their skew, so that the preferred one
			// wins without a moment of two masters; skew 0 is at once.
			if d := bowOutStagger(m.adv.AdvSkew); d > 0 {
				m.deadline = now.Add(d)
				m.bowOutPending = true
				return
			}
			m.becomeMaster(now, ReasonPeerBowOut)
		case a.Demote > m.adv.Demote:
			// OpenBSD: a demoted master is taken over even without preempt.
			m.becomeMaster(now, ReasonLowerDemote)
		case m.cfg.Preempt && compare(m.adv, a) < 0:
			m.becomeMaster(now, ReasonPreempt)
		case advertDuration(a.AdvBase, a.AdvSkew) > m.masterDown:
			// The master's next advert would come after our timer
			// fires anyway (ucarp/OpenBSD compare against the
			// master-down time, own skew included).
			m.becomeMaster(now, ReasonMasterWillTimeOut)
		default:
			m.deadline = now.Add(m.masterDown)
		}
	}
}

// stepMaster: advertise every interval; settle conflicts with other masters.
func stepMaster(m *Machine, now time.Time, ev Event) {
	switch ev.Kind {
	case EventTimeout:
		if m.due(now) {
			// The next advert is due an interval after this one was due,
			// not after the timer fired: a timer that fires late (a busy
			// host) must not slow the advert rate. After a stall of more
			// than an interval, one advert now and the schedule restarts.
			next := m.deadline.Add(m.interval)
			m.advertise(now, ReasonAdvertTimer)
			if next.After(now) {
				m.deadline = next
			}
		}
	case EventBowOut, EventShutdown:
		m.emit(Action{Kind: ActionSendAdvert, Advert: Advert{AdvBase: bowOut, AdvSkew: bowOut, Demote: m.adv.Demote}, Reason: ReasonBowOut})
		// Make before break: keep the VIPs until the new master speaks.
		m.leaving = true
		m.final = ev.Kind == EventShutdown
		m.step = stepLeaving
		m.arpIn = -1
		m.deadline = now.Add(m.masterDown)
	case EventAdvert:
		a := ev.Advert
		if isBowOut(a) {
			// The other master is leaving; whatever its demote byte, it
			// is not better than us.
			m.reassert(ReasonReassert)
			return
		}
		switch c := compare(m.adv, a); {
		case c > 0:
			r := ReasonBetterMaster
			if a.Demote < m.adv.Demote {
				r = ReasonLowerDemote
			}
			m.stepDown(now, r, true)
		case c < 0:
			m.reassert(ReasonReassert)
		case m.cfg.TieBreak == TieBreakBSD:
			// No farewell advert: the other master would hear an
			// equal advert and step down too.
			m.stepDown(now, ReasonTieBreak, false)
		default:
			switch compareTie(a.Src, m.cfg.Self) {
			case -1:
				m.stepDown(now, ReasonTieBreak, true)
			case 1:
				m.reassert(ReasonTieBreak)
			}
			// Same address: ucarp does nothing, nor do we.
		}
	}
}

// stepLeaving: a MASTER that bowed out. It still holds the VIPs (no
// transition yet) and sends nothing: the bow-out advert was its last
// advert. The first valid advert that is not a bow-out advert is the new
// master's (only a master advertises; a backup that heard the bow-out
// answers with the advert of its takeover, after its gratuitous ARP), and
// completes the handover: MASTER → BACKUP now, with no farewell advert and
// no gratuitous ARP, whatever that advert's priority: the new master is
// usually worse than us. A bow-out advert (another master leaving too) is
// not an answer and is not reasserted against. At the deadline (the leave
// bound, our master-down interval after the bow-out), nobody has taken
// over: after EventBowOut the machine stays MASTER and advertises again
// with a gratuitous ARP (ReasonNoTakeover), as the old break-before-make
// machine would have come back as MASTER at that time; after EventShutdown
// it gives the VIPs up (MASTER → BACKUP, ReasonNoTakeover).
func stepLeaving(m *Machine, now time.Time, ev Event) {
	switch ev.Kind {
	case EventTimeout:
		if !m.due(now) {
			return
		}
		if m.final {
			m.becomeBackup(now, ReasonNoTakeover)
			return
		}
		m.leaving, m.final = false, false
		m.step = stepMaster
		m.emit(Action{Kind: ActionGratuitousARP, Reason: ReasonNoTakeover})
		m.advertise(now, ReasonNoTakeover)
		m.arpIn = delayedARPAdverts
	case EventShutdown:
		m.final = true
	case EventAdvert:
		if isBowOut(ev.Advert) {
			return
		}
		m.becomeBackup(now, ReasonBowOut)
	}
}

// due reports whether a timeout at now is for the current deadline; stale
// and early timer events are ignored.
func (m *Machine) due(now time.Time) bool {
	return !m.deadline.IsZero() && !now.Before(m.deadline)
}

func (m *Machine) emit(a Action) { m.out = append(m.out, a) }

func (m *Machine) transition(to State, r Reason) {
	m.emit(Action{Kind: ActionTransition, From: m.state, To: to, Reason: r})
	m.state = to
}

func (m *Machine) becomeInit(r Reason) {
	m.transition(Init, r)
	m.leaving, m.final = false, false
	m.step = stepInit
	m.deadline = time.Time{}
	m.arpIn = -1
}

func (m *Machine) becomeBackup(now time.Time, r Reason) {
	m.transition(Backup, r)
	m.bowOutPending = false
	m.leaving, m.final = false, false
	m.step = stepBackup
	m.deadline = now.Add(m.masterDown)
	m.arpIn = -1
}

// becomeMaster follows ucarp's order: state change, gratuitous ARP, advert
// at once; the delayed gratuitous ARP goes with the second advert after it.
func (m *Machine) becomeMaster(now time.Time, r Reason) {
	m.transition(Master, r)
	m.step = stepMaster
	m.emit(Action{Kind: ActionGratuitousARP, Reason: r})
	m.emit(Action{Kind: ActionSendAdvert, Advert: m.adv, Reason: r})
	m.deadline = now.Add(m.interval)
	m.arpIn = delayedARPAdverts
}

// stepDown leaves MASTER for BACKUP. The farewell advert is ucarp's "to be
// really sure the new master knows it has to reassert control of the VIP";
// unlike ucarp it never carries the delayed gratuitous ARP, which would
// point the VIP back at us while we give it up.
func (m *Machine) stepDown(now time.Time, r Reason, farewell bool) {
	m.arpIn = -1
	if farewell {
		m.emit(Action{Kind: ActionSendAdvert, Advert: m.adv, Reason: r})
	}
	m.becomeBackup(now, r)
}

// reassert answers a worse master: gratuitous ARP now and again two adverts
// later (ucarp). The advert schedule is unchanged.
func (m *Machine) reassert(r Reason) {
	m.emit(Action{Kind: ActionGratuitousARP, Reason: r})
	m.arpIn = delayedARPAdverts
}

// advertise sends a MASTER advert, the delayed gratuitous ARP when it is due,
// and re-arms the advert timer.
func (m *Machine) advertise(now time.Time, r Reason) {
	m.emit(Action{Kind: ActionSendAdvert, Advert: m.adv, Reason: r})
	if m.arpIn > 0 {
		m.arpIn--
		if m.arpIn == 0 {
			m.emit(Action{Kind: ActionGratuitousARP, Reason: ReasonDelayedARP})
			m.arpIn = -1
		}
	}
	m.deadline = now.Add(m.interval)
}

// priorityChanged recomputes what we advertise. A master whose priority got
// worse advertises at once so that a better backup can take over now
// (OpenBSD on demotion, ucarp on the third send error).
func (m *Machine) priorityChanged(now time.Time, r Reason) {
	old := m.adv
	m.refreshAdvertised()
	// A leaving master has sent its last advert: the bow-out.
	if m.state == Master && !m.leaving && compare(old, m.adv) < 0 {
		m.advertise(now, r)
	}
}

func (m *Machine) refreshAdvertised() {
	skew := m.cfg.AdvSkew
	var demote uint8
	switch m.cfg.Demotion {
	case DemoteByte:
		demote = m.demote
	case DemoteSkew:
		if s := min(int(skew)+int(m.demote), maxDemotedSkew); s > int(skew) {
			skew = uint8(s)
		}
	}
	if m.suppressed && skew < maxDemotedSkew {
		skew = maxDemotedSkew
	}
	m.adv = Advert{AdvBase: m.cfg.AdvBase, AdvSkew: skew, Demote: demote}
	m.interval = advertDuration(m.adv.AdvBase, skew)
	skewPart := advertDuration(0, skew)
	if m.adv.AdvBase == 0 {
		m.masterDown = time.Duration(m.cfg.DeadRatio) * skewPart
	} else {
		m.masterDown = time.Duration(m.cfg.DeadRatio)*time.Duration(m.adv.AdvBase)*time.Second + skewPart
	}
}

// advertDuration is advbase + advskew/256 s with the skew truncated to whole
// microseconds, as the peers compute their timevals.
func advertDuration(base, skew uint8) time.Duration {
	return time.Duration(base)*time.Second + time.Duration(int64(skew)*1_000_000/256)*time.Microsecond
}

// bowOutStagger is how long a backup waits before it takes over from a
// master that bowed out: advskew/16 of 1/256 s, about 244 µs per step of
// skew (at most 62 ms). That is far above a LAN's latency and a busy
// host's scheduling delay, so the preferred backup reliably answers
// first, and far below anything a
// client notices.
func bowOutStagger(skew uint8) time.Duration {
	return time.Duration(skew) * time.Second / (256 * 16)
}

func isBowOut(a Advert) bool { return a.AdvBase == bowOut && a.AdvSkew == bowOut }

// compare orders adverts by (demote, advbase, advskew), lower is better:
// negative if x is better than y, positive if worse, 0 if equal.
func compare(x, y Advert) int {
	switch {
	case x.Demote != y.Demote:
		return cmpUint8(x.Demote, y.Demote)
	case x.AdvBase != y.AdvBase:
		return cmpUint8(x.AdvBase, y.AdvBase)
	}
	return cmpUint8(x.AdvSkew, y.AdvSkew)
}

func cmpUint8(a, b uint8) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
