//go:build linux

package netif

import (
	"fmt"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
)

// supported reports whether this OS has the netlink implementation.
const supported = true

// Namespace is an open network namespace that a VIPManager, WatchLink and
// LinkUp work in instead of the caller's own. A nil *Namespace means the
// namespace of the calling thread (the process's, in a normal daemon).
// Tests use it to drive interfaces inside a namespace without moving threads.
type Namespace struct {
	name string
	ns   netns.NsHandle
	h    *netlink.Handle // netlink sockets created inside ns
}

// OpenNamespace opens the named network namespace (as made by
// "ip netns add name", that is /run/netns/name).
func OpenNamespace(name string) (*Namespace, error) {
	ns, err := netns.GetFromName(name)
	if err != nil {
		return nil, fmt.Errorf("netif: open namespace %s: %w", name, err)
	}
	h, err := netlink.NewHandleAt(ns)
	if err != nil {
		_ = ns.Close()
		return nil, fmt.Errorf("netif: netlink in namespace %s: %w", name, err)
	}
	return &Namespace{name: name, ns: ns, h: h}, nil
}

// Close releases the namespace. Nothing using it may still run.
func (n *Namespace) Close() error {
	n.h.Close()
	return n.ns.Close()
}

// String returns the namespace's name.
func (n *Namespace) String() string {
	if n == nil {
		return "(current)"
	}
	return n.name
}

// handle returns a netlink handle for n. The zero Handle opens a socket
// per request in the calling thread's namespace.
func (n *Namespace) handle() *netlink.Handle {
	if n == nil {
		return &netlink.Handle{}
	}
	return n.h
}

// nsHandle returns what the Subscribe functions take: nil for the current
// namespace.
func (n *Namespace) nsHandle() *netns.NsHandle {
	if n == nil {
		return nil
	}
	return &n.ns
}
