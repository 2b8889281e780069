package carp

import (
	"math"
	"net/netip"
	"time"

	"github.com/gocarp/gocarp/wire"
)

// Replay resistance on receive, after wire.Filter: the counter checks
// need state and a clock, so they are the group's.
//
// Secure mode (Config.Secure). A sender's counter is its clock when it
// sends (secureCounter), so it increases across restarts. A receiver
// accepts an advert only if
//   - its counter, read as Unix nanoseconds, is within SecureClockSkew of
//     the receiver's clock (ErrStale): an old capture is refused even by a
//     receiver that has just started; and
//   - its counter is above the last one accepted from its source
//     (ErrReplay): a capture from within the window is refused once
//     anything newer from that node was heard.
//
// The digest covers the source, so a capture cannot be passed off as a
// new node's. The assumption: the nodes' clocks are within
// SecureClockSkew of each other.
//
// Compatible mode. ucarp sends a random counter until it hears a valid
// advert, then last + 1, and FreeBSD +1: a lone sender never repeats one.
// A valid advert whose (source, counter) is among the last RecentAdverts
// accepted is dropped (ErrReplay), unless
//   - that source has never been seen with another counter: OpenBSD sends
//     one constant counter forever, and its adverts must pass; or
//   - it continues a chain: counter − 1 is the source's latest, or came
//     from another source or from us. Senders adopt each other's counters
//     (spec §3), so two masters whose adverts cross continue from each
//     other's and one can repeat a counter of its own; then counter − 1 is
//     what it adopted.

// replayGuard holds a group's counter memory; the group's mutex guards it.
type replayGuard struct {
	secure bool
	// sources: secure mode, the last accepted counter of each source.
	sources [SecureSources]sourceEntry
	// recent: compatible mode, a ring of accepted (source, counter).
	recent [RecentAdverts]recentEntry
	next   int // the ring's next slot
	// own: compatible mode, the last counters this group sent.
	own     [ownAdverts]uint64
	ownSent uint64
}

// ownAdverts is how many of its own counters a compatible group keeps.
const ownAdverts = 8

type sourceEntry struct {
	src     netip.Addr
	counter uint64
	at      time.Time // when it was accepted, on our clock
}

type recentEntry struct {
	src     netip.Addr
	counter uint64
}

// check returns nil and records the advert if it is to be accepted, or
// wire.ErrReplay or wire.ErrStale.
func (r *replayGuard) check(now time.Time, src netip.Addr, counter uint64) error {
	if r.secure {
		return r.checkSecure(now, src, counter)
	}
	return r.checkRecent(src, counter)
}

func (r *replayGuard) checkSecure(now time.Time, src netip.Addr, counter uint64) error {
	if counter > math.MaxInt64 {
		return wire.ErrStale
	}
	sent := time.Unix(0, int64(counter))
	if d := now.Sub(sent); d > SecureClockSkew || d < -SecureClockSkew {
		return wire.ErrStale
	}
	free, oldest := -1, -1
	for i := range r.sources {
		e := &r.sources[i]
		if e.src.IsValid() && now.Sub(e.at) > 2*SecureClockSkew {
			*e = sourceEntry{} // forgotten: freshness refuses what it would
		}
		switch {
		case !e.src.IsValid():
			if free < 0 {
				free = i
			}
		case e.src == src:
			if counter <= e.counter {
				return wire.ErrReplay
			}
			e.counter, e.at = counter, now
			return nil
		case oldest < 0 || e.at.Before(r.sources[oldest].at):
			oldest = i
		}
	}
	if free < 0 {
		free = oldest // every slot live: the least recently heard goes
	}
	r.sources[free] = sourceEntry{src: src, counter: counter, at: now}
	return nil
}

func (r *replayGuard) checkRecent(src netip.Addr, counter uint64) error {
	seen, advancing, chained := false, false, false
	last, haveLast := uint64(0), false
	for i := range r.recent {
		// From the newest back, so that last is src's latest.
		e := r.recent[(r.next-1-i+2*len(r.recent))%len(r.recent)]
		if !e.src.IsValid() {
			continue
		}
		if e.src != src {
			chained = chained || e.counter == counter-1
			continue
		}
		if !haveLast {
			last, haveLast = e.counter, true
		}
		if e.counter == counter {
			seen = true
		} else {
			advancing = true
		}
	}
	for _, c := range r.own {
		chained = chained || (c == counter-1 && r.ownSent > 0)
	}
	switch {
	case seen && advancing && !chained && !(haveLast && last == counter-1):
		return wire.ErrReplay
	case seen && !advancing:
		return nil // a constant counter (OpenBSD): nothing to add
	}
	r.recent[r.next] = recentEntry{src: src, counter: counter}
	r.next = (r.next + 1) % len(r.recent)
	return nil
}

// sent records a counter this group sent, in compatible mode: a peer that
// adopts it continues from it, and may so repeat a counter of its own.
func (r *replayGuard) sent(counter uint64) {
	if r.secure {
		return
	}
	r.own[r.ownSent%uint64(len(r.own))] = counter
	r.ownSent++
}

// secureCounter is the counter of a secure group's next advert: its clock
// in Unix nanoseconds, or last + 1 when that is not more.
func secureCounter(now time.Time, last uint64) uint64 {
	c := last + 1
	if ns := now.UnixNano(); ns > 0 && uint64(ns) > c {
		c = uint64(ns)
	}
	return c
}
