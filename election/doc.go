// Package election is the CARP election as a pure, synchronous state
// machine: events and time go in, actions come out.
//
// The model is etcd-io/raft's: the machine owns no goroutine, clock, socket
// or random source. The caller tells it what happened (Step with an Event
// and the current time) and performs the Actions it returns, in order:
// send an advert, announce a state transition, send a gratuitous ARP. An
// expired timer is just another event: the machine exposes one Deadline and
// the caller delivers EventTimeout once it has passed. Timeouts that arrive
// early or late for an old deadline are ignored, so the caller may use a
// sloppy timer. Each state has its own step function (stepInit, stepBackup,
// stepMaster, and stepLeaving for a master that bowed out), chosen by the
// become* functions, as in raft.
//
// Because it is pure, the machine is tested exhaustively (state × event
// table), with scripts (testdata/*.txt), and at any speed under a virtual
// clock; the package carp turns it into I/O.
//
// # Semantics
//
// The rules are those of ucarp 1.5.2 and the BSD kernels (spec §4-§5):
// intervals advbase + advskew/256 s in whole microseconds; BACKUP takes over
// after deadratio × advbase + advskew/256 s without adverts, or at once
// when the master preempted (Config.Preempt), bows out (255/255), will time
// out anyway, or carries a higher OpenBSD demote byte; MASTER steps down for
// a better advert and re-announces the VIPs when it hears a worse one.
// Adverts compare by (demote, advbase, advskew), lower is better; equal
// adverts are settled by Config.TieBreak. On becoming MASTER the actions are
// transition, gratuitous ARP, advert, and a second gratuitous ARP goes with
// the second advert after that (ucarp's sc_delayed_arp).
//
// # Driving it
//
// One goroutine owns the machine. It waits for whichever comes first, the
// deadline or a packet, steps, and performs the actions:
//
//	m, err := election.New(election.Config{AdvBase: 1, Self: self})
//	if err != nil { ... }
//	do(m.Step(clock.Now(), election.Event{Kind: election.EventStart}))
//	for {
//		var timer <-chan time.Time
//		if d := m.Deadline(); !d.IsZero() {
//			timer = clock.After(d.Sub(clock.Now()))
//		}
//		var ev election.Event
//		select {
//		case <-timer:
//			ev = election.Event{Kind: election.EventTimeout}
//		case ad := <-adverts: // already validated (TTL, vhid, digest...)
//			ev = election.Event{Kind: election.EventAdvert, Advert: ad}
//		case up := <-link:
//			ev = election.Event{Kind: election.EventLinkDown}
//			if up {
//				ev.Kind = election.EventLinkUp
//			}
//		}
//		do(m.Step(clock.Now(), ev))
//	}
//
// where do performs each Action: ActionSendAdvert sends an advert with the
// given AdvBase, AdvSkew and Demote and reports the outcome with
// EventSendOK or EventSendError (three failures in a row make the machine
// advertise skew 240, as ucarp does, until three successes);
// ActionTransition adds or removes the VIPs and runs hooks;
// ActionGratuitousARP announces the VIPs. The returned slice is reused by
// the next Step, so copy anything kept.
//
// A planned handover is EventBowOut, make before break: a master sends the
// 255/255 bow-out advert and leaves (Leaving reports it). It stays MASTER,
// so the VIPs keep being served, and sends nothing more; the first valid
// advert that is not a bow-out is the new master's and completes the
// handover, MASTER → BACKUP (ReasonBowOut) at that moment, with no
// farewell advert and no gratuitous ARP. The leave is bounded by the
// machine's master-down interval from the bow-out (Deadline): if nobody has
// answered by then, the machine advertises again with a gratuitous ARP
// (ReasonNoTakeover) and stays MASTER, as the old break-before-make
// machine, BACKUP with its master-down timer armed, would have come back
// then. EventShutdown is the same bow-out for a caller that is stopping: at
// the bound the machine becomes BACKUP (ReasonNoTakeover) instead.
// Backups that hear the bow-out take over after a stagger of advskew/4096 s
// (at once with skew 0, at most 62 ms), so the preferred one answers first
// and the others hear it and stay BACKUP. With Preempt on, raise the
// demote count (EventDemote) first, or the machine will preempt the new
// master again at its second advert.
//
// The package imports no net, os, syscall or random packages and never
// reads the clock; purity_test.go enforces it.
package election
