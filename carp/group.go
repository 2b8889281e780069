package carp

import (
	"context"
	crand "crypto/rand"
	"encoding/binary"
	"errors"
	"log/slog"
	"net/netip"
	"sync"
	"time"

	"github.com/gocarp/gocarp/election"
	"github.com/gocarp/gocarp/health"
	"github.com/gocarp/gocarp/transport"
	"github.com/gocarp/gocarp/wire"
)

// Errors from a Group's lifecycle methods.
var (
	ErrStarted    = errors.New("carp: group already started")
	ErrNotStarted = errors.New("carp: group not started")
	ErrStopped    = errors.New("carp: group stopped")
)

// dropLogEvery bounds how often one drop reason is logged: ucarp logs every
// bad packet, which lets a peer with a wrong password flood the log.
const dropLogEvery = 10 * time.Second

// Group is one CARP virtual host: it runs the election for a VHID on one
// link, sends and checks adverts, and reports transitions.
//
// All protocol work happens under one mutex, entered from the transport's
// receive handler, from the clock's timers and from the API methods, so a
// Group driven by a virtual clock and an in-memory network (package
// transport/memnet) is fully deterministic. Callbacks run on a goroutine of
// their own and never hold up the protocol.
type Group struct {
	cfg    *resolved
	clock  transport.Clock
	log    *slog.Logger
	filter wire.Filter
	rand   func() uint64
	// replay drops replayed adverts after the filter (replay.go).
	replay replayGuard

	mu        sync.Mutex
	m         *election.Machine
	started   bool
	stopped   bool
	counter   uint64
	pkt       wire.Packet
	buf       []byte
	seq       uint64
	stats     Stats
	dropped   map[string]uint64
	dropLog   map[string]dropLogState
	timerAt   time.Time
	timerGen  uint64
	stopTimer func() bool
	// timer is the re-armable timer of a transport.TimerClock, made once;
	// nil for other clocks, which get one AfterFunc per deadline.
	timer    transport.Timer
	timerSet bool // timer is armed

	notify *notifier
	done   chan struct{} // closed when the group stops
	// stepFrom is the source of the advert being handled, during its step.
	stepFrom netip.Addr
	// endMaster ends the ctx of the running WhileMaster; nil when none.
	endMaster context.CancelFunc
	// whileMaster counts the WhileMaster goroutines still running.
	whileMaster sync.WaitGroup
	// subs are the channels of Subscribe, in subscription order.
	subs []*subscriber
	// probing: a link-up retry after a failed takeover is scheduled.
	probing bool
	// demotions are the sources of the demotion (Demote); the machine
	// has their sum.
	demotions map[string]uint8
	// checks run Config.Checks from Start to the stop.
	checks []*health.Monitor
	// left is closed when the machine's leave ends (or the group stops);
	// nil when the machine is not leaving.
	left chan struct{}
	// shutdown: Shutdown bowed out; the group stops when the leave ends,
	// in the same step, so that it never takes over again meanwhile.
	shutdown bool
	// closeTransport closes the transport once: Close and Shutdown may
	// both get there.
	closeTransport func() error
}

type dropLogState struct {
	last       time.Time
	suppressed uint64
}

// Stats is a snapshot of a group's counters.
type Stats struct {
	State State
	// Transitions counts state changes; LastTransition is the latest.
	Transitions    uint64
	LastTransition Transition
	// Master is the source of the last valid advert heard, or our own
	// source while we are master (leaving included).
	Master netip.Addr
	// Leaving: the group bowed out (BowOut, Shutdown) and still serves
	// as MASTER, VIPs and all, until the new master's first advert or the
	// leave bound (see BowOut). State is StateMaster meanwhile.
	Leaving         bool
	AdvertsSent     uint64
	AdvertsReceived uint64
	SendErrors      uint64
	Announcements   uint64
	AnnounceErrors  uint64
	// Dropped counts received packets that failed validation, by
	// DropReason.
	Dropped map[string]uint64
	// Demote is the current demotion count: the sum of DemoteSources,
	// capped at 255.
	Demote uint8
	// DemoteSources are the parts of Demote, by source (Demote); nil
	// when there are none.
	DemoteSources map[string]uint8
	// AdvBase and AdvSkew are what the group advertises now: AdvSkew
	// includes skew demotion and the send-error penalty.
	AdvBase, AdvSkew uint8
	// Counter is the last advert counter sent or adopted (in secure
	// mode, sent: nothing is adopted).
	Counter uint64
	// CallbacksDropped counts the deliveries (callbacks, Subscribe sends)
	// that gave way to newer ones behind a callback that did not return
	// (MaxPendingCallbacks); Transition.Seq shows the gap.
	CallbacksDropped uint64
}

// New validates cfg and returns a group ready to Start. A bad config is an
// error wrapping ErrConfig that names the field.
//
// The group owns cfg.Transport from New on: a failed New closes it too.
func New(cfg Config) (*Group, error) {
	g, err := newGroup(cfg)
	if err != nil && cfg.Transport != nil {
		_ = cfg.Transport.Close()
	}
	return g, err
}

func newGroup(cfg Config) (*Group, error) {
	r, err := cfg.resolve()
	if err != nil {
		return nil, err
	}
	m, err := election.New(r.electionConfig())
	if err != nil {
		// resolve checked what the machine checks; name the field all the
		// same should the two ever disagree.
		field := "AdvSkew"
		switch {
		case errors.Is(err, election.ErrDeadRatio):
			field = "DeadRatio"
		case errors.Is(err, election.ErrTieBreak):
			field = "TieBreak"
		case errors.Is(err, election.ErrDemotion):
			field = "Demotion"
		case errors.Is(err, election.ErrZeroInterval):
			field = "AdvBase"
		}
		return nil, configError(field, "%v", err)
	}
	g := &Group{
		cfg:     r,
		clock:   r.Clock,
		log:     groupLogger(r),
		m:       m,
		rand:    r.Rand,
		buf:     make([]byte, 0, wire.IPv6HeaderLen+wire.AdvertLen),
		dropped: make(map[string]uint64),
		dropLog: make(map[string]dropLogState),
		notify:  newNotifier(),
		done:    make(chan struct{}),
	}
	g.replay.secure = r.Secure
	g.closeTransport = sync.OnceValue(r.Transport.Close)
	g.notify.onDrop = func(total uint64) {
		g.log.Warn("callbacks are not keeping up (one has not returned): the oldest pending transitions give way to the newest",
			"dropped", total, "max_pending", MaxPendingCallbacks)
	}
	if g.rand == nil {
		g.rand = cryptoRand
	}
	local := []netip.Addr{}
	for _, a := range []netip.Addr{r.Source, r.Source6} {
		if a.IsValid() {
			local = append(local, a)
		}
	}
	// A link's port filters our own packets against the interface's
	// addresses as they change; another transport's are taken now.
	if _, shared := r.Transport.(packetListener); !shared {
		if ad, ok := r.Transport.(transport.Addresser); ok {
			local = append(local, ad.Addrs()...)
		}
	}
	g.filter = wire.Filter{
		VHID:   r.VHID,
		Local:  local,
		Group:  r.Group,
		Peers:  r.Peers,
		Signer: r.signer,
	}
	return g, nil
}

// packetListener is what a link's port offers besides the plain transport:
// packets it has parsed already, so that nothing is parsed twice.
type packetListener interface {
	ListenPackets(func(*wire.Packet)) error
}

func cryptoRand() uint64 {
	var b [8]byte
	_, _ = crand.Read(b[:]) // never fails on supported platforms
	return binary.LittleEndian.Uint64(b[:])
}

// Start begins the protocol: the group listens, enters BACKUP and arms its
// master-down timer. It returns at once; use Shutdown or Close to stop.
func (g *Group) Start() error {
	// Registered before the group runs, outside g.mu: the transport may
	// report a carrier already down at once, through SetLink, which the
	// machine remembers, so that the group stays in INIT from Start on
	// instead of passing through BACKUP.
	if cn, ok := g.cfg.Transport.(transport.CarrierNotifier); ok {
		g.mu.Lock()
		fresh := !g.started && !g.stopped
		g.mu.Unlock()
		if fresh {
			cn.NotifyCarrier(func(up bool) { _ = g.SetLink(up) })
		}
	}
	return g.start()
}

func (g *Group) start() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.stopped {
		return ErrStopped
	}
	if g.started {
		return ErrStarted
	}
	g.started = true
	if !g.cfg.Secure {
		g.counter = g.rand() // secure mode's is the clock (secureCounter)
	}
	var err error
	if pl, ok := g.cfg.Transport.(packetListener); ok {
		err = pl.ListenPackets(g.receivePacket)
	} else {
		err = g.cfg.Transport.Listen(g.receive)
	}
	if err != nil {
		g.halt()
		g.notify.close()
		return err
	}
	g.step(election.Event{Kind: election.EventStart})
	g.startChecks()
	return nil
}

// Run starts the group and blocks until it stops, as http.Server.Serve
// does. When ctx ends it shuts the group down gracefully (Shutdown: a
// MASTER bows out), waits up to Config.DrainTimeout for the callbacks, and
// returns nil, or what went wrong in the shutdown. When the group is
// stopped from elsewhere (Shutdown or Close) it returns ErrStopped. A ctx
// that has already ended returns its error at once, and nothing starts; a
// group that has stopped returns ErrStopped.
func (g *Group) Run(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return context.Cause(ctx)
	}
	if err := g.Start(); err != nil {
		return err
	}
	select {
	case <-ctx.Done():
		sctx, cancel := context.WithTimeout(context.Background(), g.cfg.DrainTimeout)
		defer cancel()
		return g.Shutdown(sctx)
	case <-g.done:
		return ErrStopped
	}
}

// Shutdown stops the group gracefully. A MASTER first hands over, make
// before break, as BowOut does: it sends the bow-out advert (advbase 255,
// advskew 255, spec §4.4) so that a backup takes over at once, keeps
// serving the VIPs, and waits for the new master's first advert; then it
// reports MASTER → BACKUP (ReasonBowOut) to OnBackup and the
// subscribers. The wait is bounded by the leave bound of BowOut (the
// master-down interval): if nobody has answered by then, the group gives
// the VIPs up anyway (MASTER → BACKUP, ReasonNoTakeover). If ctx ends
// first, the group stops at once as Close does (MASTER → STOPPED,
// ReasonStopped) and Shutdown returns ctx's error. A group leaving after
// BowOut already keeps waiting, but will not come back.
//
// The group stops (→ STOPPED, ReasonStopped) in the same step that ends
// the leave, so it never takes over again meanwhile; then Shutdown closes
// the transport and waits, until ctx ends, for the callbacks to return. A
// BACKUP stops at once. Under a virtual clock (a Sim), call Shutdown of a
// MASTER from another goroutine while the clock runs: it waits for virtual
// time.
func (g *Group) Shutdown(ctx context.Context) error {
	g.mu.Lock()
	if !g.started {
		g.mu.Unlock()
		return ErrNotStarted
	}
	if g.stopped {
		g.mu.Unlock()
		return nil
	}
	if g.m.State() == StateMaster {
		g.shutdown = true
		g.step(election.Event{Kind: election.EventShutdown})
	}
	// Leaving, the group stops itself when the leave ends (trackLeave).
	left := g.left
	g.mu.Unlock()
	var err error
	if left != nil {
		select {
		case <-left:
		case <-ctx.Done():
			err = ctx.Err()
		}
	}
	g.mu.Lock()
	if !g.stopped {
		g.stop()
	}
	g.mu.Unlock()
	if cerr := g.closeTransport(); cerr != nil && err == nil {
		err = cerr
	}
	if werr := g.notify.wait(ctx); werr != nil && err == nil {
		err = werr
	}
	g.notify.close()
	if werr := g.waitWhileMaster(ctx); werr != nil && err == nil {
		err = werr
	}
	return err
}

// waitWhileMaster waits for the WhileMaster goroutines, or ctx.
func (g *Group) waitWhileMaster(ctx context.Context) error {
	done := make(chan struct{})
	go func() {
		g.whileMaster.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Close stops the group at once, without a farewell: to its peers it looks
// like a crash. A MASTER still tells OnBackup, with a last transition to
// STOPPED (reason ReasonStopped), so that an application stops serving.
// Callbacks already queued still run; Close does not wait for them.
func (g *Group) Close() error {
	g.mu.Lock()
	if g.stopped {
		g.mu.Unlock()
		return nil
	}
	g.stop()
	g.mu.Unlock()
	err := g.closeTransport()
	g.notify.close()
	return err
}

// stop reports the last transition, to STOPPED, once the group had
// started, closes the subscriptions after it, and halts the group; g.mu is
// held.
func (g *Group) stop() {
	if g.started && !g.stopped {
		g.transition(g.clock.Now(), election.Action{Kind: election.ActionTransition,
			From: g.m.State(), To: StateStopped, Reason: ReasonStopped})
	}
	for _, s := range g.subs {
		g.deliverAlways(s.end)
	}
	g.subs = nil
	g.halt()
}

// halt stops the timers and marks the group stopped; g.mu is held.
func (g *Group) halt() {
	if !g.stopped {
		close(g.done)
	}
	for _, m := range g.checks {
		m.Stop()
	}
	if g.left != nil {
		close(g.left)
		g.left = nil
	}
	g.stopped = true
	g.disarm()
	g.timerGen++
}

// WaitCallbacks blocks until every callback for the transitions so far
// has returned, or ctx ends. Calling it (or Shutdown) from a callback waits
// for that callback itself: it returns only when ctx ends.
func (g *Group) WaitCallbacks(ctx context.Context) error {
	return g.notify.wait(ctx)
}

// State returns the current state. A group that is leaving (BowOut,
// Shutdown) is MASTER until its handover completes: it still holds and
// serves the VIPs (Stats.Leaving tells it apart).
func (g *Group) State() State {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.state()
}

// state is the group's state: the machine's, or STOPPED; g.mu is held.
func (g *Group) state() State {
	if g.stopped {
		return StateStopped
	}
	return g.m.State()
}

// Stats returns a snapshot of the group's counters.
func (g *Group) Stats() Stats {
	g.mu.Lock()
	defer g.mu.Unlock()
	s := g.stats
	s.State = g.state()
	s.Leaving = !g.stopped && g.m.Leaving()
	s.Demote = g.m.Demote()
	adv := g.m.Advertised()
	s.AdvBase, s.AdvSkew = adv.AdvBase, adv.AdvSkew
	s.Counter = g.counter
	s.CallbacksDropped = g.notify.droppedCount()
	if len(g.demotions) > 0 {
		s.DemoteSources = make(map[string]uint8, len(g.demotions))
		for k, v := range g.demotions {
			s.DemoteSources[k] = v
		}
	}
	s.Dropped = make(map[string]uint64, len(g.dropped))
	for k, v := range g.dropped {
		s.Dropped[k] = v
	}
	return s
}

// BowOut hands mastership over, make before break. A MASTER sends the
// bow-out advert (advbase 255, advskew 255), on which a backup takes over
// at once instead of waiting for its master-down timer, and leaves: it
// stays MASTER (State, Stats.Leaving), keeps its VIPs, its WhileMaster
// ctx and its announcements as they are, and sends no advert, until the
// new master's first valid advert (any that is not a bow-out advert,
// whatever its priority: usually worse than ours). Only then does it
// report MASTER → BACKUP (ReasonBowOut, At the time of that advert) to
// OnBackup, WhileMaster and the subscribers, so a client of the VIP sees
// the new master's gratuitous ARP and nothing else.
//
// The leave bound is this group's master-down interval (3 × advbase +
// advskew/256 s, with the advertised skew) from the bow-out: the time after
// which a lone bowed-out master would have taken over again anyway. If no
// advert has come by then, the group stays MASTER, re-announces its VIPs
// and advertises again (logged as ReasonNoTakeover; no transition is
// reported, since none was). BowOut returns at once; it does nothing
// unless the group is MASTER, or while it is leaving already. With Preempt
// on, the group preempts the new master at its second advert unless it is
// demoted first (SetDemote).
func (g *Group) BowOut() error {
	return g.event(election.Event{Kind: election.EventBowOut})
}

// SetDemote sets the demotion count (0 = not demoted) and logs the change.
// It makes this node less preferred, as Config.Demotion says; it does not
// by itself hand mastership over:
//   - DemoteSkew (the default, FreeBSD's way): the count is added to the
//     advertised advskew, capped at 240. Every peer, ucarp included, sees a
//     worse node; the master moves only to a backup that preempts
//     (Preempt) and is now better, i.e. when the demotion exceeds the skew
//     gap between them (+50 moves nothing between advskew 0 and 100; +101
//     does). Without Preempt, nothing moves until the master fails.
//   - DemoteByte (OpenBSD's way): the count goes in the demote byte, which
//     gocarp and OpenBSD compare before timing: a backup with a lower
//     demote takes over even without Preempt. ucarp and FreeBSD ignore it.
//
// To move mastership away now, call BowOut. SetDemote may be called before
// Start.
//
// SetDemote is Demote("", n, ""): the application's own source, added to
// the others.
func (g *Group) SetDemote(n uint8) error {
	_, err := g.Demote("", n, "")
	return err
}

// SetLink reports the link's carrier. Down: the group stops being MASTER
// and waits in INIT. Up: it starts again as BACKUP at once.
func (g *Group) SetLink(up bool) error {
	kind := election.EventLinkDown
	if up {
		kind = election.EventLinkUp
	}
	return g.event(election.Event{Kind: kind})
}

func (g *Group) event(ev election.Event) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.stopped {
		return ErrStopped
	}
	if !g.started {
		switch ev.Kind {
		case election.EventLinkDown, election.EventLinkUp, election.EventDemote:
			// Remembered by the machine (in INIT, nothing to do yet):
			// a link down at boot keeps the group in INIT from Start on.
		default:
			return ErrNotStarted
		}
	}
	g.step(ev)
	return nil
}

// receive is the handler of a plain transport.
func (g *Group) receive(b []byte) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.stopped {
		return
	}
	if err := g.pkt.UnmarshalBinary(b); err != nil {
		g.drop(err)
		return
	}
	g.handle()
}

// receivePacket is the handler of a link's port, which parsed the packet.
func (g *Group) receivePacket(p *wire.Packet) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.stopped {
		return
	}
	g.pkt = *p
	g.handle()
}

// handle checks and acts on the packet in g.pkt; g.mu is held.
func (g *Group) handle() {
	if err := g.filter.Check(&g.pkt); err != nil {
		g.drop(err)
		return
	}
	a := &g.pkt.Advert
	if err := g.replay.check(g.clock.Now(), g.pkt.Src, a.Counter); err != nil {
		g.drop(err)
		return
	}
	g.stats.AdvertsReceived++
	if !g.cfg.Secure {
		// Adopt the peer's counter (spec §3): our next advert continues
		// it. Not in secure mode: there the counter is our own clock,
		// which the peers' windows on our source rely on.
		g.counter = a.Counter
	}
	g.stepFrom = g.pkt.Src
	g.step(election.Event{Kind: election.EventAdvert, Advert: election.Advert{
		Src:     electionAddr(g.pkt.Src),
		AdvBase: a.AdvBase,
		AdvSkew: a.AdvSkew,
		Demote:  a.Demote,
	}})
	g.stepFrom = netip.Addr{}
	// The advert's source is the master unless we are (still, or now).
	if g.m.State() != StateMaster {
		g.stats.Master = g.pkt.Src
	}
}

func electionAddr(a netip.Addr) election.Addr {
	if a.Is4() {
		return election.AddrFrom4(a.As4())
	}
	return election.AddrFrom16(a.As16())
}

func (g *Group) drop(err error) {
	reason := wire.DropReason(err)
	g.dropped[reason]++
	if silentDrop(err) {
		g.log.Debug("dropped packet", "reason", reason, "err", err)
		return
	}
	now := g.clock.Now()
	st := g.dropLog[reason]
	if !st.last.IsZero() && now.Sub(st.last) < dropLogEvery {
		st.suppressed++
		g.dropLog[reason] = st
		return
	}
	g.log.Warn("dropped packet", "reason", reason, "err", err, "suppressed", st.suppressed)
	g.dropLog[reason] = dropLogState{last: now}
}

// silentDrop reports the drops that are normal on a shared LAN and are
// counted but not logged above debug (spec §7): other groups' adverts, our
// own looped back, runts.
func silentDrop(err error) bool {
	return errors.Is(err, wire.ErrBadVHID) || errors.Is(err, wire.ErrOwnPacket) || errors.Is(err, wire.ErrTooShort)
}

// step feeds one event to the machine and carries out its actions; g.mu is
// held.
func (g *Group) step(ev election.Event) {
	now := g.clock.Now()
	// A send result can ask for one more advert, whose result is fed back
	// in turn; the machine settles within two rounds, the bound is a guard.
	wasLeaving := g.m.Leaving()
	for range 4 {
		if !g.stepOnce(now, ev, &ev) {
			break
		}
	}
	g.arm(now)
	g.trackLeave(wasLeaving)
}

// trackLeave logs the start and the end of a leave and keeps g.left for
// Shutdown; g.mu is held.
func (g *Group) trackLeave(was bool) {
	switch now := g.m.Leaving(); {
	case now && !was:
		g.left = make(chan struct{})
		g.log.Info("bowed out: serving as MASTER until the new master's first advert",
			"bound", g.m.Deadline().Sub(g.clock.Now()).String())
	case !now && was:
		if g.left != nil {
			close(g.left)
			g.left = nil
		}
		if g.shutdown {
			g.stop() // Shutdown closes the transport and waits
			return
		}
		if g.m.State() == StateMaster {
			g.log.Warn("nobody took over after the bow-out: still MASTER, advertising again", "reason", ReasonNoTakeover.String())
		}
	}
}

// stepOnce feeds ev to the machine and carries out its actions. If an
// advert was sent it stores the send result in next and reports true: the
// caller feeds that back, and it may ask for more actions (ucarp's advskew
// 240 after repeated failures is advertised at once). g.mu is held.
//
// A takeover is reported only once its first advert has gone out: when
// the link cannot carry it (transport.ErrLinkDown), there is no MASTER,
// no OnMaster and no announcement; the group goes to INIT as on a carrier
// loss (see linkDownAtTakeover).
func (g *Group) stepOnce(now time.Time, ev election.Event, next *election.Event) bool {
	return g.perform(now, g.m.Step(now, ev), next)
}

// perform carries out the machine's actions, as stepOnce says; g.mu is
// held.
func (g *Group) perform(now time.Time, acts []election.Action, next *election.Event) bool {
	sent, sendErr := false, error(nil)
	for _, act := range acts {
		if act.Kind == election.ActionTransition && act.To == StateMaster {
			for _, a := range acts {
				if a.Kind == election.ActionSendAdvert {
					sent, sendErr = true, g.send(a.Advert)
					break
				}
			}
			if errors.Is(sendErr, transport.ErrLinkDown) {
				g.linkDownAtTakeover(now, act.From, sendErr)
				return false
			}
			break
		}
	}
	sendFailed, sendOK := false, false
	for _, act := range acts {
		switch act.Kind {
		case election.ActionTransition:
			g.transition(now, act)
		case election.ActionGratuitousARP:
			g.announce()
		case election.ActionSendAdvert:
			err := sendErr
			if !sent {
				err = g.send(act.Advert)
			}
			sent = false // the pre-sent advert is the first one only
			if err != nil {
				g.stats.SendErrors++
				g.log.Warn("sending advert", "err", err)
				sendFailed = true
			} else {
				sendOK = true
			}
		}
	}
	// The actions slice is spent by now.
	switch {
	case sendFailed:
		*next = election.Event{Kind: election.EventSendError}
	case sendOK:
		*next = election.Event{Kind: election.EventSendOK}
	default:
		return false
	}
	return true
}

// linkDownAtTakeover handles a takeover whose first advert the link could
// not carry: the machine, MASTER for an instant, goes to INIT as on a
// carrier loss, and what is reported is from → INIT. The group tries again
// (INIT → BACKUP) after an advert interval. g.mu is held.
func (g *Group) linkDownAtTakeover(now time.Time, from State, err error) {
	g.stats.SendErrors++
	g.log.Warn("not taking over: the link cannot carry the advert", "err", err)
	for _, act := range g.m.Step(now, election.Event{Kind: election.EventLinkDown}) {
		if act.Kind == election.ActionTransition {
			act.From = from // MASTER was never reported
			g.transition(now, act)
		}
	}
	// Tried again even when a carrier source will report the carrier: the
	// link may have refused the advert for a moment only, and then no
	// carrier change would ever bring the group back.
	if g.probing {
		return
	}
	g.probing = true
	g.clock.AfterFunc(g.m.Interval(), func() {
		g.mu.Lock()
		defer g.mu.Unlock()
		g.probing = false
		if !g.stopped && g.m.State() == StateInit {
			g.step(election.Event{Kind: election.EventLinkUp})
		}
	})
}

func (g *Group) transition(now time.Time, act election.Action) {
	g.seq++
	if act.To == StateMaster {
		g.stats.Master = g.cfg.Source
		if !g.stats.Master.IsValid() {
			g.stats.Master = g.cfg.Source6
		}
	} else if act.From == StateMaster || act.To == StateBackup {
		// The advert being handled, if any, decided it: its source is
		// the master now (receive sets it after the step, for Stats).
		if g.stepFrom.IsValid() {
			g.stats.Master = g.stepFrom
		} else if act.From == StateMaster {
			g.stats.Master = netip.Addr{}
		}
	}
	t := Transition{
		Interface: g.cfg.Interface, VHID: g.cfg.VHID, VIPs: g.cfg.VIPs,
		From: act.From, To: act.To, Reason: act.Reason, Master: g.stats.Master, At: now, Seq: g.seq,
	}
	g.stats.Transitions++
	g.stats.LastTransition = t
	if t.From == StateMaster && g.endMaster != nil {
		g.endMaster()
		g.endMaster = nil
	}
	if t.To == StateMaster && g.cfg.WhileMaster != nil {
		ctx, cancel := context.WithCancel(context.Background())
		g.endMaster = cancel
		g.whileMaster.Add(1)
		go func() {
			defer g.whileMaster.Done()
			g.cfg.WhileMaster(ctx, t)
		}()
	}
	for _, s := range g.subs {
		g.deliver(func() { s.send(t) })
	}
	g.log.Info("state change", "from", t.From.String(), "to", t.To.String(), "reason", t.Reason.String())
	var cb func(Transition)
	switch {
	case t.To == StateMaster:
		cb = g.cfg.OnMaster
	case t.From == StateMaster:
		cb = g.cfg.OnBackup
	case t.From == StateInit && t.To == StateBackup && t.Seq == 1 && !g.cfg.Neutral:
		cb = g.cfg.OnBackup
	}
	if cb != nil {
		g.deliver(func() { cb(t) })
	}
}

// deliver queues f on the callback goroutine; g.mu is held.
// A delivery may give way to newer ones when a callback hangs (see
// notifier); deliverAlways is for what must run (a subscription's end).
func (g *Group) deliver(f func()) { g.deliverOn(f, true) }

func (g *Group) deliverAlways(f func()) { g.deliverOn(f, false) }

func (g *Group) deliverOn(f func(), droppable bool) {
	release := func() {}
	if st, ok := g.clock.(transport.Settler); ok {
		// A virtual clock waits for the callback before its next event:
		// in a simulation it happens at its virtual time, every run.
		release = st.Hold()
	}
	run := func() {
		defer release()
		f()
	}
	if droppable {
		g.notify.enqueueDroppable(run, release)
		return
	}
	g.notify.enqueue(run)
}

func (g *Group) announce() {
	if g.cfg.Announcer == nil {
		return
	}
	if err := g.cfg.Announcer.Announce(g.cfg.VIPs); err != nil {
		g.stats.AnnounceErrors++
		g.log.Warn("announcing VIPs", "err", err)
		return
	}
	g.stats.Announcements++
}

// send builds, signs and sends one advert per address family in use.
func (g *Group) send(ea election.Advert) error {
	if g.cfg.Secure {
		g.counter = secureCounter(g.clock.Now(), g.counter)
	} else {
		g.counter++
	}
	g.replay.sent(g.counter)
	a := wire.Advert{
		Version: wire.Version,
		Type:    wire.TypeAdvertisement,
		VHID:    g.cfg.VHID,
		AdvSkew: ea.AdvSkew,
		AuthLen: wire.AuthLen,
		Demote:  ea.Demote,
		AdvBase: ea.AdvBase,
		Counter: g.counter,
	}
	var errs []error
	// The digest is signed per source: a secure one covers it.
	transmit := func(b []byte, err error) {
		if err == nil {
			err = g.cfg.Transport.Send(b)
		}
		if err != nil {
			errs = append(errs, err)
			return
		}
		g.stats.AdvertsSent++
	}
	// With peers, adverts go to each of them instead of the group
	// (spec §6); the transport routes them.
	switch {
	case !g.cfg.Source.IsValid():
	case len(g.cfg.peers4) > 0:
		a.Sign(g.cfg.signer, g.cfg.Source)
		for _, peer := range g.cfg.peers4 {
			transmit(wire.AppendIPv4(g.buf[:0], g.cfg.Source, peer, uint16(g.rand()), &a))
		}
	default:
		a.Sign(g.cfg.signer, g.cfg.Source)
		transmit(wire.AppendIPv4(g.buf[:0], g.cfg.Source, g.cfg.Group, uint16(g.rand()), &a))
	}
	switch {
	case !g.cfg.Source6.IsValid():
	case len(g.cfg.peers6) > 0:
		a.Sign(g.cfg.signer, g.cfg.Source6)
		for _, peer := range g.cfg.peers6 {
			transmit(wire.AppendIPv6(g.buf[:0], g.cfg.Source6, peer, &a))
		}
	default:
		a.Sign(g.cfg.signer, g.cfg.Source6)
		transmit(wire.AppendIPv6(g.buf[:0], g.cfg.Source6, wire.IPv6Group, &a))
	}
	return errors.Join(errs...)
}

// arm makes the clock's timer match the machine's deadline; g.mu is held.
func (g *Group) arm(now time.Time) {
	d := g.m.Deadline()
	if d.Equal(g.timerAt) && (d.IsZero() || g.stopTimer != nil || g.timerSet) {
		return
	}
	g.disarm()
	g.timerGen++
	g.timerAt = d
	if d.IsZero() || g.stopped {
		return
	}
	if tc, ok := g.clock.(transport.TimerClock); ok {
		// One timer for the group's life: re-arming it allocates nothing.
		// An expiry already under way when it is re-armed finds the
		// machine's deadline in the future, and the machine ignores it.
		if g.timer == nil {
			g.timer = tc.NewTimer(g.fireTimer)
		}
		g.timer.Reset(d.Sub(now))
		g.timerSet = true
		return
	}
	gen := g.timerGen
	g.stopTimer = g.clock.AfterFunc(d.Sub(now), func() { g.fire(gen) })
}

// disarm stops the pending timer, if any; g.mu is held.
func (g *Group) disarm() {
	if g.stopTimer != nil {
		g.stopTimer()
		g.stopTimer = nil
	}
	if g.timerSet {
		g.timer.Stop()
		g.timerSet = false
	}
}

func (g *Group) fire(gen uint64) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.stopped || gen != g.timerGen {
		return // a timer that was replaced while it fired
	}
	g.expired()
}

// fireTimer is the expiry of the re-armable timer.
func (g *Group) fireTimer() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.stopped {
		return
	}
	g.expired()
}

// expired feeds the timeout to the machine; g.mu is held.
func (g *Group) expired() {
	g.stopTimer = nil
	g.timerSet = false
	g.timerAt = time.Time{}
	g.step(election.Event{Kind: election.EventTimeout})
}

// Subscribe returns a channel that receives every transition of the
// group, in order, from the group's callback goroutine, and is closed after
// the last one (to StateStopped), for an application that selects over
// several sources (raft's LeaderCh). A receiver that does not keep up
// delays the callbacks after it, never the protocol: size buffer for the
// transitions it may leave unread. unsubscribe stops the deliveries at
// once; the channel is then not closed. Subscribing to a stopped group
// returns a closed channel.
func (g *Group) Subscribe(buffer int) (events <-chan Transition, unsubscribe func()) {
	s := &subscriber{ch: make(chan Transition, max(buffer, 0)), cancel: make(chan struct{})}
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.stopped {
		s.closed = true
		close(s.ch)
		return s.ch, func() {}
	}
	g.subs = append(g.subs, s)
	return s.ch, func() {
		s.once.Do(func() { close(s.cancel) })
		g.mu.Lock()
		defer g.mu.Unlock()
		for i, x := range g.subs {
			if x == s {
				g.subs = append(g.subs[:i], g.subs[i+1:]...)
				break
			}
		}
	}
}
