//go:build !linux

package netif

// supported reports whether this OS has the netlink implementation.
const supported = false

// Namespace is an open network namespace. Network namespaces are Linux only.
type Namespace struct{}

// OpenNamespace returns ErrNotImplemented: network namespaces are Linux only.
func OpenNamespace(name string) (*Namespace, error) { return nil, ErrNotImplemented }

// Close does nothing.
func (n *Namespace) Close() error { return nil }

// String returns a placeholder name.
func (n *Namespace) String() string { return "(current)" }
