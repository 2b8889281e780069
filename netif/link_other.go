//go:build !linux

package netif

import "context"

// LinkUp returns ErrNotImplemented: link state comes from Linux netlink.
func LinkUp(ifname string, ns *Namespace) (bool, error) { return false, ErrNotImplemented }

// WatchLink returns ErrNotImplemented: link state comes from Linux netlink.
func WatchLink(ctx context.Context, ifname string, ns *Namespace, fn func(up bool)) error {
	return ErrNotImplemented
}
