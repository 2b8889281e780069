//go:build !linux

package carpnet

import (
	"context"
	"errors"
	"net/netip"

	"github.com/gocarp/gocarp/arp"
	"github.com/gocarp/gocarp/carp"
	"github.com/gocarp/gocarp/link"
)

// ErrNotImplemented is returned by Open off Linux.
var ErrNotImplemented = errors.New("carpnet: not implemented on this OS: raw sockets and netlink are Linux only")

// Interface is one network interface opened for CARP (Linux only).
type Interface struct{}

// Open returns ErrNotImplemented.
func Open(cfg Config) (*Interface, error) { return nil, ErrNotImplemented }

// Name returns "".
func (i *Interface) Name() string { return "" }

// Link returns nil.
func (i *Interface) Link() *link.Link { return nil }

// Announcer returns nil.
func (i *Interface) Announcer() *arp.Announcer { return nil }

// NewGroup returns ErrNotImplemented.
func (i *Interface) NewGroup(cfg carp.Config, opts ...GroupOption) (*carp.Group, error) {
	return nil, ErrNotImplemented
}

// Run returns ErrNotImplemented.
func (i *Interface) Run(ctx context.Context) error { return ErrNotImplemented }

// Close does nothing.
func (i *Interface) Close() error { return nil }

// Remove does nothing: carpnet runs on Linux only.
func (i *Interface) Remove(g *carp.Group) {}

// Joined returns nil: carpnet runs on Linux only.
func (i *Interface) Joined() []netip.Addr { return nil }

// FollowsCarrier returns false: carpnet runs on Linux only.
func (i *Interface) FollowsCarrier() bool { return false }
