package carp

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"time"

	"github.com/gocarp/gocarp/election"
	"github.com/gocarp/gocarp/health"
	"github.com/gocarp/gocarp/hmac"
	"github.com/gocarp/gocarp/transport"
	"github.com/gocarp/gocarp/wire"
)

// State is a group's protocol state: INIT, BACKUP or MASTER.
type State = election.State

// The states a Group can be in.
const (
	StateInit   = election.Init
	StateBackup = election.Backup
	StateMaster = election.Master
	// StateStopped is the state of a group after Shutdown or Close.
	StateStopped = election.Stopped
)

// Reason says why a transition happened. It encodes as its name
// ("master down") in JSON and in slog's handlers.
type Reason = election.Reason

// The reasons of a Transition.
const (
	ReasonStart             = election.ReasonStart             // started: INIT → BACKUP
	ReasonMasterDown        = election.ReasonMasterDown        // no advert from the master within master-down
	ReasonPreempt           = election.ReasonPreempt           // a worse master was preempted (Preempt)
	ReasonMasterWillTimeOut = election.ReasonMasterWillTimeOut // the master advertises slower than our master-down
	ReasonBetterMaster      = election.ReasonBetterMaster      // a better master was heard
	ReasonTieBreak          = election.ReasonTieBreak          // an equal master, settled by the tie-break
	ReasonLowerDemote       = election.ReasonLowerDemote       // settled by the demote byte (DemoteByte)
	ReasonLinkDown          = election.ReasonLinkDown          // carrier lost (SetLink(false)): to INIT
	ReasonLinkUp            = election.ReasonLinkUp            // carrier back: INIT → BACKUP
	ReasonBowOut            = election.ReasonBowOut            // this group bowed out (BowOut, Shutdown) and the new master answered
	ReasonNoTakeover        = election.ReasonNoTakeover        // nobody took over within the leave bound (Shutdown gives the VIPs up)
	ReasonPeerBowOut        = election.ReasonPeerBowOut        // the master bowed out: taking over at once
	ReasonDemoted           = election.ReasonDemoted           // this group's priority got worse (SetDemote, send errors)
	ReasonStopped           = election.ReasonStopped           // the group stopped (Shutdown, Close): to STOPPED
	ReasonReconfigured      = election.ReasonReconfigured      // Reconfigure made the advert worse: sent at once
)

// TieBreak selects how a master resolves an advert with exactly its own
// priority.
type TieBreak = election.TieBreak

// The tie-break rules (spec §4.2).
const (
	// TieBreakUcarp keeps the node whose IPv4 source address is lower when
	// read as a little-endian integer, as ucarp does on x86. Mixed clusters
	// with ucarp converge only with this rule. It is the default.
	TieBreakUcarp = election.TieBreakUcarp
	// TieBreakBSD makes the master that hears an equal advert step down,
	// as the OpenBSD and FreeBSD kernels do.
	TieBreakBSD = election.TieBreakBSD
)

// Demotion selects how a demotion count is advertised (spec §4.3).
type Demotion = election.Demotion

// The demotion styles.
const (
	// DemoteSkew adds the demotion count to the advertised advskew, capped
	// at 240, as FreeBSD does. Every peer, ucarp included, understands it.
	DemoteSkew = election.DemoteSkew
	// DemoteByte advertises the count in the demote byte, as OpenBSD does.
	// ucarp and FreeBSD ignore that byte.
	DemoteByte = election.DemoteByte
)

// Transition is one change of state, as passed to the callbacks. It says
// which group changed, so one callback can serve several groups.
type Transition struct {
	// Interface and VHID identify the group (Config.Interface, VHID).
	Interface string
	VHID      uint8
	// VIPs are the group's virtual addresses. The caller must not modify
	// the slice.
	VIPs     []netip.Addr
	From, To State
	Reason   Reason
	// Master is the master as this group knows it after the change: its
	// own source when it became MASTER, the source of the advert that
	// decided otherwise, or the zero Addr when none has been heard.
	Master netip.Addr
	// At is the time of the change on the group's clock: when it
	// completed (for a bow-out, when the new master's first advert came).
	At time.Time
	// Seq numbers a group's transitions from 1, so a callback can tell
	// that it has seen every one.
	Seq uint64
}

// String returns "eth0 vhid 42: BACKUP -> MASTER (master down)".
func (t Transition) String() string {
	return fmt.Sprintf("%s vhid %d: %s -> %s (%s)", t.Interface, t.VHID, t.From, t.To, t.Reason)
}

// LogValue logs a Transition as its parts, with the attribute names the
// group's own logs use.
func (t Transition) LogValue() slog.Value {
	attrs := []slog.Attr{
		slog.String("interface", t.Interface),
		slog.Int("vhid", int(t.VHID)),
		slog.String("from", t.From.String()),
		slog.String("to", t.To.String()),
		slog.String("reason", t.Reason.String()),
		slog.Uint64("seq", t.Seq),
	}
	if t.Master.IsValid() {
		attrs = append(attrs, slog.String("master", t.Master.String()))
	}
	return slog.GroupValue(attrs...)
}

// Announcer sends the unsolicited announcements (gratuitous ARP for IPv4,
// neighbour advertisements for IPv6) that move a VIP's traffic to the new
// master. package arp provides one for Linux.
type Announcer interface {
	Announce(vips []netip.Addr) error
}

// Config describes one failover group: a VHID and its virtual addresses on
// one link. The zero value of every optional field means the ucarp default.
type Config struct {
	// Interface names the link, for logs and callbacks.
	Interface string
	// VHID is the virtual host ID, 1..255. Required.
	VHID uint8
	// VIPs are the virtual addresses the group fails over. At least one is
	// required. All of them are covered by the digest (spec §2), so every
	// peer must list the same set.
	VIPs []netip.Addr
	// Password keys the HMAC-SHA1 digest: 1..19 bytes. Required.
	Password []byte
	// Secure selects gocarp's secure mode, for groups of gocarp nodes
	// only: ucarp and the BSDs refuse its adverts and it refuses theirs
	// (ErrBadDigest). The digest is an HMAC-SHA256, keyed by HKDF from the
	// Password, that also covers advbase, advskew, demote, the version and
	// type bytes and the advert's source (hmac.NewSecureSigner); the
	// counter is the sender's clock, and a receiver accepts only a counter
	// above the last one from that source and within SecureClockSkew of
	// its own clock (ErrReplay, ErrStale). It assumes the nodes' clocks
	// agree within SecureClockSkew. Every node of the group must set it.
	//
	// Without it (compatible mode, the default) the group speaks CARP as
	// ucarp does: the digest leaves advskew, advbase and demote open to a
	// rewrite, and a captured advert is refused only as a repeat of one of
	// the last RecentAdverts accepted from its source.
	Secure bool
	// Source is this node's real IPv4 address: the advert source, and the
	// address the tie-break compares. Required unless every VIP is IPv6.
	Source netip.Addr
	// Source6 is the source of IPv6 adverts: this node's link-local
	// address, as the BSDs send them, or a global one when a peer (Peers)
	// sits behind a router, which does not forward link-local sources.
	// Required when any VIP is IPv6.
	Source6 netip.Addr
	// Group is the IPv4 destination of adverts: 224.0.0.18 when zero.
	Group netip.Addr
	// Peers, when set, replace multicast with unicast (spec §6, FreeBSD's
	// peer/peer6, OpenBSD's carppeer): every advert goes to each peer, of
	// the address family of the VIPs it serves. A unicast advert is
	// accepted only from a listed peer, and then whatever its TTL (a peer
	// may sit behind a router); any other unicast advert is dropped with
	// ErrNotPeer. Multicast adverts are still accepted, with TTL 255.
	Peers []netip.Addr

	// AdvBase is the advertisement base interval in seconds; zero means
	// DefaultAdvBase (1 s, as ucarp), whatever AdvSkew is.
	AdvBase uint8
	// SubSecond asks for sub-second mode: advbase 0 on the wire, so the
	// interval is AdvSkew/256 s alone (OpenBSD allows it; ucarp's -b 0).
	// AdvBase must then be zero and AdvSkew non-zero.
	SubSecond bool
	// AdvSkew adds AdvSkew/256 s to the interval: a higher skew is a less
	// preferred node. 0..255, but not 255 together with AdvBase 255: that
	// pair is the bow-out advert.
	AdvSkew uint8
	// DeadRatio is how many advert intervals a backup waits:
	// DefaultDeadRatio when zero, at most MaxDeadRatio.
	DeadRatio uint
	// Preempt makes a backup take over from a worse master.
	Preempt bool
	// TieBreak resolves equal priorities; TieBreakUcarp when zero.
	TieBreak TieBreak
	// Demotion selects how SetDemote is advertised; DemoteSkew when zero.
	Demotion Demotion
	// Checks are health checks the group runs while it runs: each that is
	// down adds its Demote to the group's demotion, as the source
	// "check NAME" (see Group.Demote). A check starts down. Names must be
	// unique.
	Checks []health.Check
	// Neutral suppresses the OnBackup call that otherwise marks the start
	// (ucarp runs its down script at start unless --neutral).
	Neutral bool

	// Transport carries the adverts. Required. The group owns it from New
	// on and closes it when it stops.
	Transport transport.Transport
	// Clock is the time source: transport.SystemClock when nil.
	Clock transport.Clock
	// DrainTimeout bounds how long Run, once its ctx has ended, waits for
	// the callbacks of the shutdown: DefaultDrainTimeout when zero.
	DrainTimeout time.Duration
	// Logger receives the group's logs: nothing is logged when nil.
	Logger *slog.Logger
	// Rand seeds the advert counter and IP IDs: a cryptographic source when
	// nil. Simulations pass a seeded one to be reproducible.
	Rand func() uint64
	// Announcer sends gratuitous ARP / neighbour advertisements on the
	// engine's schedule. None are sent when nil. The group does not own
	// it: it never closes it, and the groups of one interface may share
	// one (carpnet does).
	Announcer Announcer

	// OnMaster is called after the group becomes MASTER.
	OnMaster func(Transition)
	// OnBackup is called after the group stops being MASTER (to BACKUP or,
	// on link loss, INIT) and when it first enters BACKUP at start unless
	// Neutral is set.
	OnBackup func(Transition)
	// WhileMaster, when set, runs on a goroutine of its own each time the
	// group becomes MASTER, with a ctx that ends the moment the group stops
	// being MASTER or stops (client-go's OnStartedLeading): serve until
	// ctx ends, then return. Shutdown waits for it to return, within its
	// own ctx.
	WhileMaster func(ctx context.Context, t Transition)
	// Callbacks are called one at a time, in order, from a goroutine of the
	// group's own: a slow callback delays later callbacks, never the
	// protocol. On a virtual clock that settles (transport.Settler, such
	// as memnet.Sim) the clock waits for each callback before it moves
	// on, so in a simulation a callback's effects are there when RunFor
	// returns, the same on every run.
	//
	// A group's last transition, at Shutdown or Close, is to StateStopped
	// (ReasonStopped); a MASTER reports it to OnBackup.
}

// ErrConfig is what every error about a Config matches (errors.Is).
var ErrConfig = errors.New("carp: invalid config")

// ConfigError is a Config rejected by Validate or New: Field names the
// Config field at fault (e.g. "AdvSkew"), so a caller that reads the
// settings from elsewhere (a config file, a command line) can point at its
// own key. It matches ErrConfig.
type ConfigError struct {
	Field string
	Msg   string
}

func (e *ConfigError) Error() string { return ErrConfig.Error() + ": " + e.Field + ": " + e.Msg }

// Unwrap returns ErrConfig.
func (e *ConfigError) Unwrap() error { return ErrConfig }

func configError(field, format string, args ...any) error {
	return &ConfigError{Field: field, Msg: fmt.Sprintf(format, args...)}
}

// resolved is a validated Config with its defaults applied.
type resolved struct {
	Config
	v4, v6 []netip.Addr
	// peers4 and peers6 split Peers by family.
	peers4, peers6 []netip.Addr
	signer         *hmac.Signer
}

// Validate checks the settings of c that do not depend on where the group
// runs: everything New checks except Transport and whether Source and
// Source6 are there (a Source that is one of the VIPs is refused). It is
// the one place these rules live; carpd's command line and config file use
// it too. The error is a *ConfigError.
func (c Config) Validate() error {
	_, err := c.validate()
	return err
}

func (c Config) validate() (*resolved, error) {
	r := &resolved{Config: c}
	if c.VHID == 0 {
		return nil, configError("VHID", "must be 1..255")
	}
	if len(c.VIPs) == 0 {
		return nil, configError("VIPs", "at least one virtual address is required")
	}
	seen := make(map[netip.Addr]bool, len(c.VIPs))
	for _, a := range c.VIPs {
		if err := checkUnicast(a); err != nil {
			return nil, configError("VIPs", "%v", err)
		}
		a = a.Unmap().WithZone("")
		if seen[a] {
			return nil, configError("VIPs", "%s is listed twice", a)
		}
		seen[a] = true
		if a.Is4() {
			r.v4 = append(r.v4, a)
		} else {
			r.v6 = append(r.v6, a)
		}
	}
	if src := c.Source.Unmap(); src.IsValid() && seen[src] {
		// In BACKUP the group would take the host's own address away
		// with the VIP.
		return nil, configError("VIPs", "%s is the source address, this host's own: a VIP must not be", src)
	}
	if !c.Group.IsValid() {
		r.Group = wire.IPv4Group
	} else if !c.Group.Unmap().Is4() || !c.Group.Unmap().IsMulticast() {
		return nil, configError("Group", "%s is not an IPv4 multicast address", c.Group)
	} else {
		r.Group = c.Group.Unmap()
	}
	for _, p := range c.Peers {
		if err := checkUnicast(p); err != nil {
			return nil, configError("Peers", "%v", err)
		}
		switch p = p.Unmap(); {
		case p.Is4() && len(r.v4) == 0:
			return nil, configError("Peers", "%s is IPv4, but no VIP is", p)
		case p.Is6() && len(r.v6) == 0:
			return nil, configError("Peers", "%s is IPv6, but no VIP is", p)
		case p.Is4():
			r.peers4 = append(r.peers4, p)
		default:
			r.peers6 = append(r.peers6, p)
		}
	}
	if len(c.Peers) > 0 {
		if len(r.v4) > 0 && len(r.peers4) == 0 {
			return nil, configError("Peers", "no IPv4 peer for the IPv4 VIPs")
		}
		if len(r.v6) > 0 && len(r.peers6) == 0 {
			return nil, configError("Peers", "no IPv6 peer for the IPv6 VIPs")
		}
	}
	switch {
	case c.SubSecond && c.AdvBase != 0:
		return nil, configError("AdvBase", "must be 0 in sub-second mode, got %d", c.AdvBase)
	case c.SubSecond && c.AdvSkew == 0:
		return nil, configError("AdvSkew", "sub-second mode needs an advskew above 0: the interval is advskew/256 s")
	case !c.SubSecond && c.AdvBase == 0:
		r.AdvBase = DefaultAdvBase
	}
	if r.AdvBase == 255 && c.AdvSkew == 255 {
		return nil, configError("AdvSkew", "advbase 255 with advskew 255 is the bow-out advert, not a configuration")
	}
	switch {
	case c.DeadRatio == 0:
		r.DeadRatio = DefaultDeadRatio
	case c.DeadRatio > MaxDeadRatio:
		return nil, configError("DeadRatio", "must be 1..%d, got %d", MaxDeadRatio, c.DeadRatio)
	}
	if c.TieBreak > TieBreakBSD {
		return nil, configError("TieBreak", "unknown rule %d", c.TieBreak)
	}
	if c.Demotion > DemoteByte {
		return nil, configError("Demotion", "unknown mode %d", c.Demotion)
	}
	names := make(map[string]bool, len(c.Checks))
	for _, ch := range c.Checks {
		if err := ch.Validate(); err != nil {
			return nil, configError("Checks", "%v", err)
		}
		if names[ch.Name] {
			return nil, configError("Checks", "two checks are named %q", ch.Name)
		}
		names[ch.Name] = true
	}
	if n := len(c.Password); n == 0 || n > hmac.MaxPasswordLen {
		return nil, configError("Password", "must be 1..%d bytes, got %d", hmac.MaxPasswordLen, n)
	}
	newSigner := hmac.NewSigner
	if c.Secure {
		newSigner = hmac.NewSecureSigner
	}
	signer, err := newSigner(c.Password, c.VHID, c.VIPs)
	if err != nil {
		return nil, configError("VIPs", "%v", err)
	}
	r.signer = signer
	return r, nil
}

// checkUnicast refuses what can be neither a VIP nor a peer.
func checkUnicast(a netip.Addr) error {
	a = a.Unmap()
	switch {
	case !a.IsValid():
		return errors.New("invalid address")
	case a.IsUnspecified(), a.IsMulticast(), a.IsLoopback(), a == netip.AddrFrom4([4]byte{255, 255, 255, 255}):
		return fmt.Errorf("%s is not a unicast address", a)
	}
	return nil
}

func (c Config) resolve() (*resolved, error) {
	r, err := c.validate()
	if err != nil {
		return nil, err
	}
	if len(r.v4) > 0 {
		if !c.Source.IsValid() || !c.Source.Unmap().Is4() {
			return nil, configError("Source", "an IPv4 source address is required for IPv4 VIPs")
		}
		r.Source = c.Source.Unmap()
	} else if c.Source.IsValid() {
		return nil, configError("Source", "set, but no VIP is IPv4")
	}
	if len(r.v6) > 0 {
		if !c.Source6.IsValid() || !c.Source6.Is6() || c.Source6.Is4In6() {
			return nil, configError("Source6", "an IPv6 source address is required for IPv6 VIPs")
		}
	} else if c.Source6.IsValid() {
		return nil, configError("Source6", "set, but no VIP is IPv6")
	}
	if c.Transport == nil {
		return nil, configError("Transport", "required")
	}
	if c.Clock == nil {
		r.Clock = transport.SystemClock
	}
	if c.Logger == nil {
		r.Logger = slog.New(slog.DiscardHandler)
	}
	switch {
	case c.DrainTimeout == 0:
		r.DrainTimeout = DefaultDrainTimeout
	case c.DrainTimeout < 0:
		return nil, configError("DrainTimeout", "must not be negative, got %v", c.DrainTimeout)
	}
	return r, nil
}

func (r *resolved) electionConfig() election.Config {
	self := r.Source
	if !self.IsValid() {
		self = r.Source6
	}
	var src election.Addr
	if self.Is4() {
		src = election.AddrFrom4(self.As4())
	} else {
		src = election.AddrFrom16(self.As16())
	}
	return election.Config{
		AdvBase:   r.AdvBase,
		AdvSkew:   r.AdvSkew,
		DeadRatio: r.DeadRatio,
		Preempt:   r.Preempt,
		TieBreak:  r.TieBreak,
		Demotion:  r.Demotion,
		Self:      src,
	}
}
