//go:build linux

package netif

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"time"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// Run keeps every set's addresses in the state its SetMaster asked for
// until ctx ends. It reconciles on every SetMaster and Remove, on netlink
// address notifications that concern a VIP (so a VIP someone deletes while
// MASTER is put back at once, ucarp issue #26) and every ResyncInterval,
// also when the notifications were lost to a buffer overrun. Failures are
// logged, counted and retried at the next resync; Run itself only fails if
// called twice. When ctx ends, Run takes off the interface the VIPs of
// every set that SetMaster was called for, and returns nil.
func (m *VIPManager) Run(ctx context.Context) error {
	if err := m.begin(); err != nil {
		return err
	}
	r := &reconciler{m: m, h: m.ns.handle(), held: make(map[netip.Addr]bool)}
	addrs := feed[netlink.AddrUpdate]{open: r.subscribe}
	if err := addrs.start(); err != nil {
		m.total.errs.Add(1)
		m.log.Error("cannot subscribe to address notifications, relying on resync",
			"interface", m.ifname, "err", err)
	}
	defer addrs.stop()
	tick := time.NewTicker(m.resync)
	defer tick.Stop()

	r.reconcile(false)
	for {
		select {
		case <-ctx.Done():
			r.reconcile(true)
			return nil
		case <-m.wake:
			r.reconcile(false)
		case <-tick.C:
			addrs.retry()
			r.reconcile(false)
		case u, ok := <-addrs.C():
			if !ok {
				addrs.lost()
				r.reconcile(false) // notifications were lost: look now
				continue
			}
			// One reconcile for a burst: our own adds come back as
			// notifications too, one per VIP.
			relevant := r.concerns(u)
		drain:
			for {
				select {
				case u, ok := <-addrs.C():
					if !ok {
						addrs.lost()
						relevant = true
						break drain
					}
					relevant = relevant || r.concerns(u)
				default:
					break drain
				}
			}
			if relevant {
				r.reconcile(false)
			}
		}
	}
}

// reconciler is the state of Run's goroutine.
type reconciler struct {
	m     *VIPManager
	h     *netlink.Handle
	index int                 // interface index last seen; 0 = unknown
	held  map[netip.Addr]bool // VIPs seen on the interface while wanted there
	known map[netip.Addr]bool // the targets of the last reconcile
}

// subscribe subscribes to address notifications, logging their failures.
func (r *reconciler) subscribe() (subscription[netlink.AddrUpdate], error) {
	return subscribeAddrs(r.m.ns, func(err error) {
		r.m.log.Warn("address notifications failed, relying on resync",
			"interface", r.m.ifname, "err", err)
	})
}

// concerns reports whether u is about a VIP on our interface.
func (r *reconciler) concerns(u netlink.AddrUpdate) bool {
	if r.index != 0 && u.LinkIndex != r.index {
		return false
	}
	a, ok := netip.AddrFromSlice(u.LinkAddress.IP)
	return ok && r.known[a.Unmap()]
}

// reconcile brings the interface to what the sets want; at shutdown, to
// none of their VIPs.
func (r *reconciler) reconcile(shutdown bool) {
	m := r.m
	targets := m.snapshot(shutdown)
	if r.known == nil {
		r.known = make(map[netip.Addr]bool, len(targets))
	}
	clear(r.known)
	for a := range targets {
		r.known[a] = true
	}
	if len(targets) == 0 {
		clear(r.held)
		return // no set has spoken: touch nothing
	}
	giveBack := func() {
		for _, t := range targets {
			if t.retired {
				m.unretire(t)
			}
		}
	}
	link, err := r.h.LinkByName(m.ifname)
	if err != nil {
		r.index = 0
		var nf netlink.LinkNotFoundError
		if !errors.As(err, &nf) {
			giveBack()
		} // else the removed sets' addresses went with the interface
		r.fail(nil, "look up interface", netip.Addr{}, err)
		return
	}
	r.index = link.Attrs().Index
	present, err := r.list(link)
	if err != nil {
		giveBack()
		r.fail(nil, "list addresses", netip.Addr{}, err)
		return
	}
	for _, c := range plan(targets, present, r.held) {
		if !r.apply(link, c) && c.target.retired {
			m.unretire(c.target)
		}
	}
	forget(r.held, targets, present)
}

// apply makes one change and reports whether it succeeded.
func (r *reconciler) apply(link netlink.Link, c change) bool {
	m, s, vip := r.m, c.target.set, c.prefix.Addr()
	switch c.kind {
	case changeAdopt:
		m.log.Debug("VIP already on interface, keeping it", "interface", m.ifname, "vip", c.prefix)
		r.held[vip] = true
	case changeAdd, changeReadd:
		if c.kind == changeReadd {
			m.log.Warn("VIP removed while MASTER, re-adding", "interface", m.ifname, "vip", c.prefix)
		}
		err := r.h.AddrAdd(link, netlinkAddr(c.prefix))
		if err != nil && !errors.Is(err, unix.EEXIST) {
			r.fail(s, "add VIP", vip, err)
			return false
		}
		r.held[vip] = true
		if err == nil {
			count(s, m, func(c *counters) { c.adds.Add(1) })
			if c.kind == changeReadd {
				count(s, m, func(c *counters) { c.readds.Add(1) })
			}
			m.log.Info("VIP added", "interface", m.ifname, "vip", c.prefix)
		}
	case changeDel:
		err := r.h.AddrDel(link, netlinkAddr(c.prefix))
		if err != nil && !errors.Is(err, unix.EADDRNOTAVAIL) {
			r.fail(s, "remove VIP", vip, err)
			return false
		}
		delete(r.held, vip)
		if err == nil {
			count(s, m, func(c *counters) { c.removes.Add(1) })
			m.log.Info("VIP removed", "interface", m.ifname, "vip", c.prefix)
		}
	}
	return true
}

// list returns the addresses on link by address, with their prefix
// lengths. A dump interrupted by a concurrent change is retried a few times.
func (r *reconciler) list(link netlink.Link) (map[netip.Addr]netip.Prefix, error) {
	addrs, err := listAddrs(r.h, link)
	if err != nil {
		return nil, err
	}
	present := make(map[netip.Addr]netip.Prefix, len(addrs))
	for _, a := range addrs {
		if p, ok := prefixOf(a); ok {
			present[p.Addr()] = p
		}
	}
	return present, nil
}

// listAddrs dumps the addresses of link, both families, retrying a dump
// that a concurrent change interrupted.
func listAddrs(h *netlink.Handle, link netlink.Link) ([]netlink.Addr, error) {
	var (
		addrs []netlink.Addr
		err   error
	)
	for range 3 {
		addrs, err = h.AddrList(link, netlink.FAMILY_ALL)
		if !errors.Is(err, netlink.ErrDumpInterrupted) {
			break
		}
	}
	return addrs, err
}

// prefixOf returns a netlink address as a prefix (IPv4 unmapped).
func prefixOf(a netlink.Addr) (netip.Prefix, bool) {
	if a.IPNet == nil {
		return netip.Prefix{}, false
	}
	ip, ok := netip.AddrFromSlice(a.IP)
	if !ok {
		return netip.Prefix{}, false
	}
	ip = ip.Unmap()
	ones, _ := a.Mask.Size()
	return netip.PrefixFrom(ip, ones), true
}

// netlinkAddr returns the netlink form of a VIP. IPv6 VIPs skip duplicate
// address detection: a tentative address cannot be used as a source or
// answer neighbour solicitations for a second or more, which would make a
// takeover unreachable past the protocol's bound, and during a failover the
// old master is by definition gone.
func netlinkAddr(p netip.Prefix) *netlink.Addr {
	a := &netlink.Addr{IPNet: &net.IPNet{
		IP:   p.Addr().AsSlice(),
		Mask: net.CIDRMask(p.Bits(), p.Addr().BitLen()),
	}}
	if p.Addr().Is6() {
		a.Flags = unix.IFA_F_NODAD
	}
	return a
}

// count bumps a counter of the set s (if any) and of the manager.
func count(s *VIPSet, m *VIPManager, bump func(*counters)) {
	if s != nil {
		bump(&s.stats)
	}
	bump(&m.total)
}

// fail logs and counts a failed operation; the next resync retries it.
func (r *reconciler) fail(s *VIPSet, op string, vip netip.Addr, err error) {
	count(s, r.m, func(c *counters) { c.errs.Add(1) })
	attrs := []any{"interface", r.m.ifname, "err", err}
	if vip.IsValid() {
		attrs = append(attrs, "vip", vip)
	}
	r.m.log.Error("cannot "+op+", retrying at next resync", attrs...)
}
