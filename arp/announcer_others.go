//go:build !linux

package arp

import (
	"net"
	"net/netip"
)

// Announcer sends gratuitous ARP and unsolicited neighbour advertisements.
// It exists only on Linux; elsewhere NewAnnouncer fails.
type Announcer struct {
	// Router sets the Router flag in neighbour advertisements.
	Router bool
	// Source is the IPv6 source of neighbour advertisements; zero means
	// each VIP itself.
	Source netip.Addr
}

// NewAnnouncer returns ErrNotImplemented: AF_PACKET sockets are Linux only.
func NewAnnouncer(ifaceName string, mac net.HardwareAddr) (*Announcer, error) {
	return nil, ErrNotImplemented
}

// HardwareAddr returns nil.
func (a *Announcer) HardwareAddr() net.HardwareAddr { return nil }

// Announce returns ErrNotImplemented.
func (a *Announcer) Announce(vips []netip.Addr) error { return ErrNotImplemented }

// Close returns nil.
func (a *Announcer) Close() error { return nil }
