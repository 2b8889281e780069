//go:build !linux

package netif

import "context"

// WatchAddrs returns ErrNotImplemented: address notifications come from
// Linux netlink.
func WatchAddrs(ctx context.Context, ifname string, ns *Namespace, fn func([]Addr)) error {
	return ErrNotImplemented
}

// Forwarding returns ErrNotImplemented: it reads Linux's /proc/sys/net.
func Forwarding(ifname string, ns *Namespace, ipv6 bool) (bool, error) {
	return false, ErrNotImplemented
}
