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

// Run keeps the interface's addresses in the state SetMaster asked for until
// ctx ends. It reconciles on every SetMaster, on every netlink address
// notification that concerns a VIP (so a VIP someone deletes while MASTER is
// put back at once, ucarp issue #26) and every ResyncInterval. Failures are
// logged, counted and retried at the next resync; Run itself only fails if
// called twice. When ctx ends, Run removes every VIP from the interface
// (unless SetMaster was never called) and returns nil.
func (m *VIPManager) Run(ctx context.Context) error {
	if err := m.begin(); err != nil {
		return err
	}
	r := &reconciler{m: m, h: m.ns.handle(), want: m.vips, held: make(map[netip.Addr]bool, len(m.vips))}
	sub, lastSub := r.subscribe(), time.Now()
	defer func() { sub.stop() }()
	tick := time.NewTicker(m.resync)
	defer tick.Stop()

	r.reconcile(m.desired.Load())
	for {
		select {
		case <-ctx.Done():
			if m.desired.Load() != stateUnset {
				r.reconcile(stateBackup)
			}
			return nil
		case <-m.wake:
			r.reconcile(m.desired.Load())
		case <-tick.C:
			if sub.ch == nil {
				sub.stop()
				sub, lastSub = r.subscribe(), time.Now()
			}
			r.reconcile(m.desired.Load())
		case u, ok := <-sub.ch:
			if !ok {
				// The subscription died (buffer overrun, a transient
				// receive error): events may be lost, so look now, and
				// resubscribe at once unless it also died a moment ago
				// (then the next tick does it, so a broken socket cannot
				// spin this loop).
				sub.stop()
				if time.Since(lastSub) > time.Second {
					sub, lastSub = r.subscribe(), time.Now()
				}
				r.reconcile(m.desired.Load())
				continue
			}
			if r.concerns(u) {
				r.reconcile(m.desired.Load())
			}
		}
	}
}

// reconciler is the state of Run's goroutine.
type reconciler struct {
	m     *VIPManager
	h     *netlink.Handle
	want  []netip.Addr
	index int                 // interface index last seen; 0 = unknown
	held  map[netip.Addr]bool // VIPs seen on the interface while MASTER
}

// subscribe subscribes to address notifications. On failure it logs and
// returns an empty subscription: the periodic resync still works.
func (r *reconciler) subscribe() subscription[netlink.AddrUpdate] {
	s := subscription[netlink.AddrUpdate]{ch: make(chan netlink.AddrUpdate, 64), done: make(chan struct{})}
	done := s.done
	err := netlink.AddrSubscribeWithOptions(s.ch, s.done, netlink.AddrSubscribeOptions{
		Namespace: r.m.ns.nsHandle(),
		ErrorCallback: func(err error) {
			select {
			case <-done:
				return // our own stop closed the socket under the reader
			default:
			}
			r.m.log.Warn("address notifications failed, relying on resync",
				"interface", r.m.ifname, "err", err)
		},
	})
	if err != nil {
		r.m.errs.Add(1)
		r.m.log.Error("cannot subscribe to address notifications, relying on resync",
			"interface", r.m.ifname, "err", err)
		close(s.done)
		return subscription[netlink.AddrUpdate]{}
	}
	return s
}

// concerns reports whether u is about one of our VIPs on our interface.
func (r *reconciler) concerns(u netlink.AddrUpdate) bool {
	if r.index != 0 && u.LinkIndex != r.index {
		return false
	}
	a, ok := netip.AddrFromSlice(u.LinkAddress.IP)
	if !ok {
		return false
	}
	a = a.Unmap()
	for _, v := range r.want {
		if v == a {
			return true
		}
	}
	return false
}

// reconcile brings the interface to the state s.
func (r *reconciler) reconcile(s int32) {
	if s == stateUnset {
		return
	}
	m := r.m
	link, err := r.h.LinkByName(m.ifname)
	if err != nil {
		r.index = 0
		r.fail("look up interface", netip.Addr{}, err)
		return
	}
	r.index = link.Attrs().Index
	present, err := r.list(link)
	if err != nil {
		r.fail("list addresses", netip.Addr{}, err)
		return
	}
	for _, vip := range r.want {
		cur, ok := present[vip]
		if s != stateMaster {
			delete(r.held, vip)
			if !ok {
				continue
			}
			// Delete what is there, with its own prefix length: the
			// kernel matches on it, and a leftover from a script may be /24.
			err := r.h.AddrDel(link, &cur)
			if err != nil && !errors.Is(err, unix.EADDRNOTAVAIL) {
				r.fail("remove VIP", vip, err)
				continue
			}
			if err == nil {
				m.removes.Add(1)
				m.log.Info("VIP removed", "interface", m.ifname, "vip", vip)
			}
			continue
		}
		if ok {
			if !r.held[vip] {
				m.log.Debug("VIP already on interface, keeping it", "interface", m.ifname, "vip", vip)
				r.held[vip] = true
			}
			continue
		}
		readd := r.held[vip]
		if readd {
			m.log.Warn("VIP removed while MASTER, re-adding", "interface", m.ifname, "vip", vip)
		}
		err := r.h.AddrAdd(link, r.addr(vip))
		if err != nil && !errors.Is(err, unix.EEXIST) {
			r.fail("add VIP", vip, err)
			continue
		}
		r.held[vip] = true
		if err == nil {
			m.adds.Add(1)
			if readd {
				m.readds.Add(1)
			}
			m.log.Info("VIP added", "interface", m.ifname, "vip", vip, "prefix_len", m.prefixLen(vip))
		}
	}
}

// list returns the addresses on link by address. A dump interrupted by a
// concurrent change is retried a few times.
func (r *reconciler) list(link netlink.Link) (map[netip.Addr]netlink.Addr, error) {
	var (
		addrs []netlink.Addr
		err   error
	)
	for range 3 {
		addrs, err = r.h.AddrList(link, netlink.FAMILY_ALL)
		if !errors.Is(err, netlink.ErrDumpInterrupted) {
			break
		}
	}
	if err != nil {
		return nil, err
	}
	present := make(map[netip.Addr]netlink.Addr, len(addrs))
	for _, a := range addrs {
		if a.IPNet == nil {
			continue
		}
		ip, ok := netip.AddrFromSlice(a.IP)
		if !ok {
			continue
		}
		present[ip.Unmap()] = a
	}
	return present, nil
}

// addr returns the netlink address a VIP is added as. IPv6 VIPs skip
// duplicate address detection: a tentative address cannot be used as a
// source or answer neighbour solicitations for about a second, and during
// a failover the old master is by definition gone.
func (r *reconciler) addr(vip netip.Addr) *netlink.Addr {
	bits := r.m.prefixLen(vip)
	a := &netlink.Addr{IPNet: &net.IPNet{
		IP:   vip.AsSlice(),
		Mask: net.CIDRMask(bits, vip.BitLen()),
	}}
	if vip.Is6() {
		a.Flags = unix.IFA_F_NODAD
	}
	return a
}

// fail logs and counts a failed operation; the next resync retries it.
func (r *reconciler) fail(op string, vip netip.Addr, err error) {
	r.m.errs.Add(1)
	attrs := []any{"interface", r.m.ifname, "err", err}
	if vip.IsValid() {
		attrs = append(attrs, "vip", vip)
	}
	r.m.log.Error("cannot "+op+", retrying at next resync", attrs...)
}

// prefixLen returns the prefix length a VIP is added with.
func (m *VIPManager) prefixLen(a netip.Addr) int {
	if a.Is4() {
		return m.bits4
	}
	return m.bits6
}
