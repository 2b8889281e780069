package carpnet

import (
	"net/netip"
	"time"

	"github.com/gocarp/gocarp/carp"
)

// AnnounceWait bounds how long the announcement of a VIP waits for the
// VIP to be usable on the interface.
//
// At a takeover the group announces its VIPs at once, but the VIP manager
// or an up script adds them off the protocol's path, a few milliseconds
// later: a client that learnt the new MAC from that first announcement
// would lose its packets until then, while the old master (in a planned
// handover) still answered for the VIP. So the interface announces a VIP
// as soon as it is usable on the interface (Run watches the addresses)
// and, when it is not there yet, waits for it at most AnnounceWait, then
// announces it anyway: a VIP the host serves from another interface, or
// not as an address at all, is announced that much later.
const AnnounceWait = 100 * time.Millisecond

// waitingAnnouncer is the announcer NewGroup gives a group when the
// group's config has none: it announces what is usable at once and leaves
// the rest to the interface's address watch, which announces a MASTER's
// VIP when it becomes usable, with a fallback after wait.
type waitingAnnouncer struct {
	next carp.Announcer
	// usable reports whether vip is usable on the interface; known is
	// false while the interface's addresses are not known (Run has not
	// seen them yet), and then every VIP is announced at once.
	usable func(vip netip.Addr) (ok, known bool)
	// master reports whether the group is still MASTER.
	master func() bool
	after  func(time.Duration, func())
	wait   time.Duration
	failed func(error) // logs a failed fallback announcement
}

func (w *waitingAnnouncer) Announce(vips []netip.Addr) error {
	now := make([]netip.Addr, 0, len(vips))
	var later []netip.Addr
	for _, v := range vips {
		if ok, known := w.usable(v); ok || !known {
			now = append(now, v)
		} else {
			later = append(later, v)
		}
	}
	if len(later) > 0 {
		w.after(w.wait, func() { w.fallback(later) })
	}
	if len(now) == 0 {
		return nil
	}
	return w.next.Announce(now)
}

// fallback announces the VIPs of later that are still not usable (the
// address watch has announced the others), if the group is still MASTER.
func (w *waitingAnnouncer) fallback(later []netip.Addr) {
	if !w.master() {
		return
	}
	still := later[:0]
	for _, v := range later {
		if ok, _ := w.usable(v); !ok {
			still = append(still, v)
		}
	}
	if len(still) == 0 {
		return
	}
	if err := w.next.Announce(still); err != nil && w.failed != nil {
		w.failed(err)
	}
}
