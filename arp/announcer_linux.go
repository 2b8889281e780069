//go:build linux

package arp

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync"

	"github.com/mdlayher/packet"
)

// Announcer sends gratuitous ARP and unsolicited neighbour advertisements
// on one interface, through an AF_PACKET socket that receives nothing. Its
// methods are safe for concurrent use; its fields are read by every
// Announce, so change them between calls, never during one.
type Announcer struct {
	// Router sets the Router flag in neighbour advertisements (RFC 4861
	// §4.4): set it when the interface forwards IPv6, so that neighbours
	// keep (or stop) using the VIP's owner as a router. Each Announce uses
	// the value it finds.
	Router bool
	// Source is the IPv6 source of neighbour advertisements, typically the
	// interface's link-local address. The zero Addr means each VIP itself.
	Source netip.Addr

	ifi *net.Interface
	mac net.HardwareAddr

	mu     sync.Mutex
	pc     *packet.Conn
	closed bool
}

// NewAnnouncer opens an Announcer on the interface ifaceName. mac is the
// link-layer address announced for the VIPs and the Ethernet source; nil
// means the interface's own. It needs CAP_NET_RAW (an error matching
// os.ErrPermission without it).
func NewAnnouncer(ifaceName string, mac net.HardwareAddr) (*Announcer, error) {
	ifi, err := net.InterfaceByName(ifaceName)
	if err != nil {
		return nil, fmt.Errorf("arp: %w", err)
	}
	if mac == nil {
		mac = ifi.HardwareAddr
	}
	if len(mac) != 6 {
		return nil, fmt.Errorf("%w: %s: %q", ErrBadMAC, ifaceName, mac)
	}
	// Protocol 0: the socket is bound to the interface for sending but is
	// hooked into no receive path, so it never queues a frame.
	pc, err := packet.Listen(ifi, packet.Raw, 0, nil)
	if err != nil {
		return nil, fmt.Errorf("arp: %s: %w", ifaceName, err)
	}
	return &Announcer{ifi: ifi, mac: append(net.HardwareAddr(nil), mac...), pc: pc}, nil
}

// HardwareAddr returns the link-layer address the Announcer announces.
func (a *Announcer) HardwareAddr() net.HardwareAddr { return a.mac }

// Announce sends one gratuitous ARP per IPv4 VIP and one unsolicited
// neighbour advertisement per IPv6 VIP (with the Router flag and Source as
// the fields are now), in the order given. A VIP that
// fails does not stop the others; the errors are joined.
func (a *Announcer) Announce(vips []netip.Addr) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.closed {
		return net.ErrClosed
	}
	var errs []error
	for _, vip := range vips {
		var (
			frame []byte
			dst   net.HardwareAddr
			err   error
		)
		if vip.Unmap().Is4() {
			frame, err = GratuitousARP(a.mac, vip)
			dst = broadcast
		} else {
			frame, err = NeighborAdvertisement(a.mac, vip, a.Source, a.Router)
			dst = allNodesMAC
		}
		if err == nil {
			_, err = a.pc.WriteTo(frame, &packet.Addr{HardwareAddr: dst})
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("arp: announce %s on %s: %w", vip, a.ifi.Name, err))
		}
	}
	return errors.Join(errs...)
}

// Close closes the socket. Later calls return nil; Announce after Close
// returns net.ErrClosed.
func (a *Announcer) Close() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.closed {
		return nil
	}
	a.closed = true
	if err := a.pc.Close(); err != nil {
		return fmt.Errorf("arp: close: %w", err)
	}
	return nil
}
