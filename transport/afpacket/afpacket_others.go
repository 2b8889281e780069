//go:build !linux

package afpacket

import (
	"net"
	"net/netip"

	"github.com/gocarp/gocarp/transport"
)

// Conn is a transport.Transport on one Ethernet interface, through an
// AF_PACKET socket. It exists only on Linux; elsewhere Listen fails.
type Conn struct{}

// Listen returns ErrNotImplemented: AF_PACKET sockets are Linux only.
func Listen(cfg Config) (*Conn, error) { return nil, ErrNotImplemented }

// HardwareAddr returns nil.
func (c *Conn) HardwareAddr() net.HardwareAddr { return nil }

// Interface returns nil.
func (c *Conn) Interface() *net.Interface { return nil }

// Send returns ErrNotImplemented.
func (c *Conn) Send(pkt []byte) error { return ErrNotImplemented }

// Listen returns ErrNotImplemented.
func (c *Conn) Listen(h transport.Handler) error { return ErrNotImplemented }

// Close returns nil.
func (c *Conn) Close() error { return nil }

// Addrs returns nil.
func (c *Conn) Addrs() []netip.Addr { return nil }
