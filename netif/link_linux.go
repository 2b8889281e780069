//go:build linux

package netif

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// linkPollInterval is how often WatchLink reads the link state even without
// a notification, in case one was lost.
const linkPollInterval = 5 * time.Second

// usable reports whether raw interface flags say the link can carry
// traffic: administratively up and running. The kernel sets IFF_RUNNING when
// the operational state (RFC 2863) is up or unknown, that is with carrier
// (IFF_LOWER_UP) and not dormant; keepalived's IF_ISUP tests the same pair.
func usable(flags uint32) bool {
	const want = unix.IFF_UP | unix.IFF_RUNNING
	return flags&want == want
}

// LinkUp reports whether the interface named ifname is up and running
// (has carrier). ns nil means the caller's namespace.
func LinkUp(ifname string, ns *Namespace) (bool, error) {
	up, _, err := linkState(ns.handle(), ifname)
	return up, err
}

// linkState returns the usable state and index of ifname.
func linkState(h *netlink.Handle, ifname string) (up bool, index int, err error) {
	if ifname == "" {
		return false, 0, ErrNoInterface
	}
	link, err := h.LinkByName(ifname)
	if err != nil {
		var nf netlink.LinkNotFoundError
		if errors.As(err, &nf) {
			return false, 0, fmt.Errorf("%w: %s", ErrInterfaceNotFound, ifname)
		}
		return false, 0, fmt.Errorf("netif: look up %s: %w", ifname, err)
	}
	return usable(link.Attrs().RawFlags), link.Attrs().Index, nil
}

// WatchLink calls fn with the link state of the interface named ifname (up
// and running, see LinkUp): once at start, then whenever it flips. fn is
// called from WatchLink's goroutine, one call at a time, never twice in a row
// with the same value. An interface that is deleted, renamed or moved away
// counts as down. WatchLink returns nil when ctx ends; it fails at start if
// ifname does not exist or notifications cannot be subscribed to. ns nil
// means the caller's namespace.
func WatchLink(ctx context.Context, ifname string, ns *Namespace, fn func(up bool)) error {
	h := ns.handle()
	// Subscribe before reading the state, so no change falls in between.
	links := feed[netlink.LinkUpdate]{open: func() (subscription[netlink.LinkUpdate], error) { return subscribeLinks(ns) }}
	if err := links.start(); err != nil {
		return err
	}
	defer links.stop()
	up, index, err := linkState(h, ifname)
	if err != nil {
		return err
	}
	fn(up)
	set := func(now bool) {
		if now != up {
			up = now
			fn(up)
		}
	}
	check := func() {
		now, idx, err := linkState(h, ifname)
		if err != nil && !errors.Is(err, ErrInterfaceNotFound) {
			return // cannot tell; keep the last state
		}
		index = idx
		set(now)
	}
	poll := time.NewTicker(linkPollInterval)
	defer poll.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-poll.C:
			links.retry()
			check()
		case u, ok := <-links.C():
			if !ok {
				links.lost()
				check() // a flip may have been lost with it
				continue
			}
			attrs := u.Attrs()
			switch {
			case attrs.Name == ifname && u.Header.Type == unix.RTM_DELLINK:
				index = 0
				set(false)
			case attrs.Name == ifname:
				index = attrs.Index
				set(usable(u.Flags))
			case index != 0 && attrs.Index == index:
				// Renamed: the name we watch no longer exists.
				index = 0
				set(false)
			}
		}
	}
}
