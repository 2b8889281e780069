//go:build linux

package netif

import (
	"fmt"
	"os"
	"runtime"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
)

// supported reports whether this OS has the netlink implementation.
const supported = true

// Namespace is an open network namespace that a VIPManager, WatchLink,
// WatchAddrs, LinkUp and Forwarding work in instead of the caller's own. A nil *Namespace means the
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

// readFile reads a file as a thread in n sees it: /proc/sys/net shows the
// network namespace of the thread that opens it. For a non-nil n it opens
// the file from a goroutine locked to an OS thread moved into n, and never
// unlocks it: the thread exits with the goroutine, so no other goroutine
// ever runs in the wrong namespace.
func (n *Namespace) readFile(path string) ([]byte, error) {
	if n == nil {
		return os.ReadFile(path)
	}
	type result struct {
		b   []byte
		err error
	}
	ch := make(chan result, 1)
	go func() {
		runtime.LockOSThread()
		if err := netns.Set(n.ns); err != nil {
			ch <- result{err: fmt.Errorf("netif: enter namespace %s: %w", n.name, err)}
			return
		}
		b, err := os.ReadFile(path)
		ch <- result{b, err}
	}()
	r := <-ch
	return r.b, r.err
}
