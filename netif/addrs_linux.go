package netif

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// addrPollInterval is how often WatchAddrs reads the addresses even without
// a notification: one may have been lost, and an interface recreated under
// the same name has a new index that notifications are not matched on.
const addrPollInterval = 5 * time.Second

// WatchAddrs calls fn with the full address list of the interface named
// ifname (see Addr): once at start, then after every change, such as an
// address added or removed or an IPv6 address leaving duplicate address
// detection. Changes in a burst may come as one call, and a list equal to
// the previous one is not reported. fn runs on a goroutine of its own, one
// call at a time and never after WatchAddrs returns; a slow fn delays the
// next report but not the reading of notifications, and then gets only the
// latest list. A deleted interface has no addresses. WatchAddrs returns nil
// when ctx ends; it fails at start if ifname does not exist or
// notifications cannot be subscribed to. ns nil means the caller's
// namespace.
func WatchAddrs(ctx context.Context, ifname string, ns *Namespace, fn func([]Addr)) error {
	if ifname == "" {
		return ErrNoInterface
	}
	h := ns.handle()
	// Subscribe before listing, so no change falls in between.
	addrs := feed[netlink.AddrUpdate]{open: func() (subscription[netlink.AddrUpdate], error) { return subscribeAddrs(ns, nil) }}
	if err := addrs.start(); err != nil {
		return err
	}
	defer addrs.stop()
	last, index, err := addrsOf(h, ifname)
	if err != nil {
		return err
	}

	// A mailbox of one: the reader replaces a list fn has not taken yet.
	mailbox := make(chan []Addr, 1)
	delivered := make(chan struct{})
	go func() {
		defer close(delivered)
		for list := range mailbox {
			fn(list)
		}
	}()
	defer func() {
		close(mailbox)
		<-delivered
	}()
	mailbox <- last
	report := func() {
		list, idx, err := addrsOf(h, ifname)
		switch {
		case errors.Is(err, ErrInterfaceNotFound):
			list, idx = nil, 0
		case err != nil:
			return // cannot tell; the next notification or poll retries
		}
		index = idx
		if slices.Equal(list, last) {
			return
		}
		last = list
		select {
		case <-mailbox: // not taken yet: superseded
		default:
		}
		mailbox <- list
	}
	concerns := func(u netlink.AddrUpdate) bool { return index == 0 || u.LinkIndex == index }

	poll := time.NewTicker(addrPollInterval)
	defer poll.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-poll.C:
			addrs.retry()
			report()
		case u, ok := <-addrs.C():
			if !ok {
				addrs.lost()
				report() // changes may have been lost with it
				continue
			}
			relevant := concerns(u)
		drain: // one list for a burst
			for {
				select {
				case u, ok := <-addrs.C():
					if !ok {
						addrs.lost()
						relevant = true
						break drain
					}
					relevant = relevant || concerns(u)
				default:
					break drain
				}
			}
			if relevant {
				report()
			}
		}
	}
}

// addrsOf returns the addresses of the interface named ifname and its index.
func addrsOf(h *netlink.Handle, ifname string) ([]Addr, int, error) {
	link, err := h.LinkByName(ifname)
	if err != nil {
		var nf netlink.LinkNotFoundError
		if errors.As(err, &nf) {
			return nil, 0, fmt.Errorf("%w: %s", ErrInterfaceNotFound, ifname)
		}
		return nil, 0, fmt.Errorf("netif: look up %s: %w", ifname, err)
	}
	nl, err := listAddrs(h, link)
	if err != nil {
		return nil, 0, fmt.Errorf("netif: addresses of %s: %w", ifname, err)
	}
	list := make([]Addr, 0, len(nl))
	for _, a := range nl {
		p, ok := prefixOf(a)
		if !ok {
			continue
		}
		list = append(list, Addr{Prefix: p, Usable: usableAddr(p, a.Flags)})
	}
	return list, link.Attrs().Index, nil
}

// usableAddr reports whether an address with these IFA_F_ flags can be
// used: an IPv6 address is not while tentative (optimistic ones included)
// or after DAD failed.
func usableAddr(p netip.Prefix, flags int) bool {
	return p.Addr().Is4() || flags&(unix.IFA_F_TENTATIVE|unix.IFA_F_DADFAILED) == 0
}

// Forwarding reports whether the interface named ifname forwards packets
// of the family (net.ipv4.conf.<ifname>.forwarding or
// net.ipv6.conf.<ifname>.forwarding), in ns (nil: the caller's namespace).
// An IPv6 neighbour advertisement sets its Router flag by it.
func Forwarding(ifname string, ns *Namespace, ipv6 bool) (bool, error) {
	if ifname == "" {
		return false, ErrNoInterface
	}
	if strings.ContainsRune(ifname, '/') || ifname == "." || ifname == ".." {
		return false, fmt.Errorf("%w: %q", ErrInterfaceNotFound, ifname)
	}
	family := "ipv4"
	if ipv6 {
		family = "ipv6"
	}
	b, err := ns.readFile("/proc/sys/net/" + family + "/conf/" + ifname + "/forwarding")
	if errors.Is(err, os.ErrNotExist) {
		return false, fmt.Errorf("%w: %s (no %s configuration)", ErrInterfaceNotFound, ifname, family)
	}
	if err != nil {
		return false, fmt.Errorf("netif: %s forwarding of %s: %w", family, ifname, err)
	}
	n, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		return false, fmt.Errorf("netif: %s forwarding of %s: %w", family, ifname, err)
	}
	return n != 0, nil
}
