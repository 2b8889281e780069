package election

import "strconv"

// State is the CARP state of one virtual host (spec §4).
type State uint8

// The three CARP states.
const (
	// Init: not started, or the link is down. Nothing is sent or awaited.
	Init State = iota
	// Backup: listening; takes over when the master-down timer expires.
	Backup
	// Master: owns the VIPs and advertises every interval.
	Master
	// Stopped is never a state of a Machine: a carp.Group reports it once
	// it has stopped (Shutdown or Close), for good.
	Stopped
)

// String returns "INIT", "BACKUP" or "MASTER", the names ucarp logs.
func (s State) String() string {
	switch s {
	case Init:
		return "INIT"
	case Backup:
		return "BACKUP"
	case Master:
		return "MASTER"
	case Stopped:
		return "STOPPED"
	}
	return "State(" + strconv.Itoa(int(s)) + ")"
}

// MarshalText returns the name String returns, so that a State encodes as
// "MASTER" in JSON and in slog's handlers, not as a number.
func (s State) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// TieBreak selects what a master does when it hears an advert exactly as good
// as its own (same demote, advbase and advskew).
type TieBreak uint8

const (
	// TieBreakUcarp is ucarp's rule: the node whose IPv4 source address is
	// lower as a little-endian uint32 stays MASTER (ucarp compares s_addr in
	// host order on x86). IPv6 sources compare bytewise. Mixed clusters
	// with ucarp converge only with this rule.
	TieBreakUcarp TieBreak = iota
	// TieBreakBSD is the OpenBSD/FreeBSD rule: a master that hears an equal
	// advert steps down.
	TieBreakBSD
)

// String returns "ucarp" or "bsd".
func (t TieBreak) String() string {
	switch t {
	case TieBreakUcarp:
		return "ucarp"
	case TieBreakBSD:
		return "bsd"
	}
	return "TieBreak(" + strconv.Itoa(int(t)) + ")"
}

// Demotion selects how a demote count (EventDemote) is advertised (spec §4.3).
type Demotion uint8

const (
	// DemoteSkew is FreeBSD's way: advertised advskew = min(advskew+demote, 240)
	// (never below the configured advskew); the demote byte stays 0.
	DemoteSkew Demotion = iota
	// DemoteByte is OpenBSD's way: the count goes in the demote byte, which
	// peers compare before timing.
	DemoteByte
)

// String returns "skew" or "byte".
func (d Demotion) String() string {
	switch d {
	case DemoteSkew:
		return "skew"
	case DemoteByte:
		return "byte"
	}
	return "Demotion(" + strconv.Itoa(int(d)) + ")"
}

// Config is the static configuration of one virtual host. Defaults match
// ucarp (advbase 1, advskew 0, deadratio 3) except that AdvBase has no
// default: the zero Config is invalid.
type Config struct {
	AdvBase   uint8    // seconds; 0 is legal only with AdvSkew > 0 (OpenBSD)
	AdvSkew   uint8    // 1/256 s; 0..255, but not 255 with AdvBase 255 (the bow-out advert)
	DeadRatio uint     // master-down = DeadRatio × AdvBase + AdvSkew/256 s; 0 means 3
	Preempt   bool     // take over from a worse master (ucarp -P)
	TieBreak  TieBreak // equal adverts seen by a master
	Demotion  Demotion // how EventDemote is advertised
	Self      Addr     // our advert source address, for the tie-break
}

// EventKind says what happened.
type EventKind uint8

// Events fed to Machine.Step.
const (
	// EventStart starts the machine: INIT → BACKUP (if the link is up).
	EventStart EventKind = iota
	// EventAdvert: a valid advert from a peer (Event.Advert), already
	// checked by the caller (TTL, version, vhid, checksums, digest).
	EventAdvert
	// EventTimeout: Deadline has passed. Stale or early timeouts are ignored.
	EventTimeout
	// EventLinkDown: carrier lost; any state → INIT.
	EventLinkDown
	// EventLinkUp: carrier back; INIT → BACKUP if started.
	EventLinkUp
	// EventDemote sets the demote count to Event.Demote.
	EventDemote
	// EventBowOut: planned handover; a master sends the 255/255 bow-out
	// advert and leaves (Machine.Leaving): it keeps the VIPs, and
	// becomes BACKUP when the new master's first advert arrives. If none
	// comes within its master-down interval it stays MASTER and
	// advertises again (ReasonNoTakeover).
	EventBowOut
	// EventSendError: the last SendAdvert failed.
	EventSendError
	// EventSendOK: the last SendAdvert succeeded.
	EventSendOK
	// EventShutdown: the caller is stopping. A master bows out as with
	// EventBowOut, for good: if nobody answers within its master-down
	// interval it becomes BACKUP anyway (ReasonNoTakeover) instead of
	// advertising again. A master leaving already (EventBowOut) keeps its
	// deadline and will not come back. Other states ignore it.
	EventShutdown
)

// String returns a short lower-case name, e.g. "link-down".
func (k EventKind) String() string {
	switch k {
	case EventStart:
		return "start"
	case EventAdvert:
		return "advert"
	case EventTimeout:
		return "timeout"
	case EventLinkDown:
		return "link-down"
	case EventLinkUp:
		return "link-up"
	case EventDemote:
		return "demote"
	case EventBowOut:
		return "bow-out"
	case EventSendError:
		return "send-error"
	case EventSendOK:
		return "send-ok"
	case EventShutdown:
		return "shutdown"
	}
	return "EventKind(" + strconv.Itoa(int(k)) + ")"
}

// Advert is the part of a CARP advertisement the election looks at.
type Advert struct {
	Src     Addr  // source address of a received advert; unset in ActionSendAdvert
	AdvBase uint8 // seconds
	AdvSkew uint8 // 1/256 s
	Demote  uint8 // OpenBSD demote count (byte 4); lower is better
}

// Event is one input to Machine.Step.
type Event struct {
	Kind   EventKind
	Advert Advert // EventAdvert
	Demote uint8  // EventDemote: the new demote count
}

// Reason says why an action was taken. Every transition carries one.
type Reason uint8

// Reasons. The first group explains transitions; the rest explain adverts
// and gratuitous ARPs that do not come with a transition.
const (
	ReasonNone              Reason = iota // zero value, never in an Action
	ReasonStart                           // EventStart: INIT → BACKUP
	ReasonMasterDown                      // master-down timer expired
	ReasonPreempt                         // preempting a worse master
	ReasonMasterWillTimeOut               // the master advertises slower than our master-down
	ReasonBetterMaster                    // a better master was heard
	ReasonTieBreak                        // equal adverts, settled by the tie-break
	ReasonLowerDemote                     // settled by the demote byte
	ReasonLinkDown                        // carrier lost
	ReasonLinkUp                          // carrier back
	ReasonBowOut                          // we bowed out and the new master answered (EventBowOut, EventShutdown)
	ReasonPeerBowOut                      // the master sent the 255/255 bow-out advert
	ReasonAdvertTimer                     // periodic master advert
	ReasonReassert                        // a worse master was heard: re-announce the VIPs
	ReasonDelayedARP                      // second gratuitous ARP, two adverts after the first
	ReasonDemoted                         // our advertised priority got worse: tell peers at once
	ReasonStopped                         // the group stopped (carp.Group's Shutdown or Close); never from a Machine
	ReasonReconfigured                    // the settings changed (Reconfigure) and the advert got worse: tell peers at once
	ReasonNoTakeover                      // nobody took over within the leave bound after our bow-out
)

var reasonNames = [...]string{
	ReasonNone:              "none",
	ReasonStart:             "start",
	ReasonMasterDown:        "master down",
	ReasonPreempt:           "preempt",
	ReasonMasterWillTimeOut: "master will time out",
	ReasonBetterMaster:      "better master",
	ReasonTieBreak:          "tie-break",
	ReasonLowerDemote:       "lower demote",
	ReasonLinkDown:          "link down",
	ReasonLinkUp:            "link up",
	ReasonBowOut:            "bow out",
	ReasonPeerBowOut:        "peer bow out",
	ReasonAdvertTimer:       "advert timer",
	ReasonReassert:          "reassert",
	ReasonDelayedARP:        "delayed arp",
	ReasonDemoted:           "demoted",
	ReasonStopped:           "stopped",
	ReasonReconfigured:      "reconfigured",
	ReasonNoTakeover:        "no takeover",
}

// String returns short lower-case text, e.g. "master down".
func (r Reason) String() string {
	if int(r) < len(reasonNames) {
		return reasonNames[r]
	}
	return "Reason(" + strconv.Itoa(int(r)) + ")"
}

// MarshalText returns the name String returns ("master down").
func (r Reason) MarshalText() ([]byte, error) { return []byte(r.String()), nil }

// ActionKind says what the caller must do.
type ActionKind uint8

// Actions returned by Machine.Step.
const (
	// ActionSendAdvert: send one advert with Action.Advert's values, then
	// report EventSendOK or EventSendError.
	ActionSendAdvert ActionKind = iota
	// ActionTransition: the state changed From → To (run hooks, add or
	// remove the VIPs).
	ActionTransition
	// ActionGratuitousARP: announce the VIPs (gratuitous ARP / unsolicited NA).
	ActionGratuitousARP
)

// String returns "send-advert", "transition" or "gratuitous-arp".
func (k ActionKind) String() string {
	switch k {
	case ActionSendAdvert:
		return "send-advert"
	case ActionTransition:
		return "transition"
	case ActionGratuitousARP:
		return "gratuitous-arp"
	}
	return "ActionKind(" + strconv.Itoa(int(k)) + ")"
}

// Action is one output of Machine.Step, to be performed in order.
type Action struct {
	Kind     ActionKind
	Advert   Advert // ActionSendAdvert: AdvBase/AdvSkew/Demote to put on the wire
	From, To State  // ActionTransition
	Reason   Reason // why; always set
}

// String formats the action for logs and transcripts, e.g.
// "transition BACKUP -> MASTER (master down)".
func (a Action) String() string {
	switch a.Kind {
	case ActionTransition:
		return "transition " + a.From.String() + " -> " + a.To.String() + " (" + a.Reason.String() + ")"
	case ActionSendAdvert:
		return "send-advert advbase=" + strconv.Itoa(int(a.Advert.AdvBase)) +
			" advskew=" + strconv.Itoa(int(a.Advert.AdvSkew)) +
			" demote=" + strconv.Itoa(int(a.Advert.Demote)) +
			" (" + a.Reason.String() + ")"
	}
	return a.Kind.String() + " (" + a.Reason.String() + ")"
}
