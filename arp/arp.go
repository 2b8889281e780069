package arp

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"

	mdarp "github.com/mdlayher/arp"
	"github.com/mdlayher/ndp"
)

const (
	// GratuitousARPLen is the length of a GratuitousARP frame: Ethernet
	// header and ARP packet, without padding, as ucarp sends it.
	GratuitousARPLen = ethHeaderLen + arpLen
	// NeighborAdvertisementLen is the length of a NeighborAdvertisement
	// frame: Ethernet, IPv6 and ICMPv6 headers, the target and the target
	// link-layer address option.
	NeighborAdvertisementLen = ethHeaderLen + ipv6HeaderLen + naLen

	ethHeaderLen  = 14
	arpLen        = 28
	ipv6HeaderLen = 40
	naLen         = 4 + 4 + 16 + 8 // ICMPv6 header, flags, target, option

	etherTypeARP  = 0x0806
	etherTypeIPv6 = 0x86dd

	protocolICMPv6 = 58
	hopLimitND     = 255
)

var (
	// ErrNotIPv4 is returned by GratuitousARP for an address that is not
	// IPv4.
	ErrNotIPv4 = errors.New("arp: not an IPv4 address")
	// ErrNotIPv6 is returned by NeighborAdvertisement for an address that
	// is not IPv6.
	ErrNotIPv6 = errors.New("arp: not an IPv6 address")
	// ErrBadMAC is returned for a hardware address that is not a 6-byte
	// Ethernet address.
	ErrBadMAC = errors.New("arp: not an Ethernet address")
	// ErrBadSource is returned by NeighborAdvertisement for a source that
	// is not an IPv6 unicast address.
	ErrBadSource = errors.New("arp: source is not an IPv6 unicast address")
	// ErrNotImplemented is returned by NewAnnouncer on operating systems
	// other than Linux.
	ErrNotImplemented = errors.New("arp: not implemented on this OS: AF_PACKET sockets are Linux only")
)

var (
	broadcast = net.HardwareAddr{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}
	// allNodes is ff02::1, the destination of unsolicited advertisements
	// (RFC 4861 §7.2.6), and its Ethernet address 33:33:00:00:00:01.
	allNodes    = netip.IPv6LinkLocalAllNodes()
	allNodesMAC = net.HardwareAddr{0x33, 0x33, 0x00, 0x00, 0x00, 0x01}
)

// GratuitousARP returns the Ethernet frame ucarp sends when it becomes master
// (spec §5): an ARP request to the broadcast address whose sender and target
// are both (mac, vip). Every host on the segment that has vip in its ARP
// table moves it to mac. The frame is not padded to the Ethernet minimum
// (the NIC does that), so it matches ucarp's captures byte for byte.
func GratuitousARP(mac net.HardwareAddr, vip netip.Addr) ([]byte, error) {
	if len(mac) != 6 {
		return nil, fmt.Errorf("%w: %q", ErrBadMAC, mac)
	}
	vip = vip.Unmap()
	if !vip.Is4() {
		return nil, fmt.Errorf("%w: %s", ErrNotIPv4, vip)
	}
	p, err := mdarp.NewPacket(mdarp.OperationRequest, mac, vip, mac, vip)
	if err != nil {
		return nil, fmt.Errorf("arp: %w", err)
	}
	body, err := p.MarshalBinary()
	if err != nil {
		return nil, fmt.Errorf("arp: %w", err)
	}
	b := make([]byte, 0, GratuitousARPLen)
	b = appendEthernet(b, broadcast, mac, etherTypeARP)
	return append(b, body...), nil
}

// NeighborAdvertisement returns the Ethernet frame of an unsolicited IPv6
// neighbour advertisement for vip (RFC 4861 §4.4, §7.2.6), as the BSDs send
// on becoming master: to ff02::1 (33:33:00:00:00:01), hop limit 255, the
// Override flag set so that neighbours replace a cached address, Solicited
// clear, the Router flag if router, and the target link-layer address option
// carrying mac, which is also the Ethernet source.
//
// src is the IPv6 source: an address of the sending interface, typically its
// link-local one; the zero Addr means vip itself, as Linux sends its own
// unsolicited advertisements. Zones are ignored.
func NeighborAdvertisement(mac net.HardwareAddr, vip, src netip.Addr, router bool) ([]byte, error) {
	if len(mac) != 6 {
		return nil, fmt.Errorf("%w: %q", ErrBadMAC, mac)
	}
	if !vip.Is6() || vip.Is4In6() {
		return nil, fmt.Errorf("%w: %s", ErrNotIPv6, vip)
	}
	vip = vip.WithZone("")
	if !src.IsValid() {
		src = vip
	}
	if !src.Is6() || src.Is4In6() || src.IsMulticast() || src.IsUnspecified() {
		return nil, fmt.Errorf("%w: %s", ErrBadSource, src)
	}
	src = src.WithZone("")
	// ndp marshals the ICMPv6 message and its checksum over the RFC 8200
	// pseudo-header; only the Ethernet and IPv6 headers are ours.
	msg, err := ndp.MarshalMessageChecksum(&ndp.NeighborAdvertisement{
		Router:        router,
		Override:      true,
		TargetAddress: vip,
		Options:       []ndp.Option{&ndp.LinkLayerAddress{Direction: ndp.Target, Addr: mac}},
	}, src, allNodes)
	if err != nil {
		return nil, fmt.Errorf("arp: %w", err)
	}
	b := make([]byte, 0, ethHeaderLen+ipv6HeaderLen+len(msg))
	b = appendEthernet(b, allNodesMAC, mac, etherTypeIPv6)
	b = append(b, 0x60, 0, 0, 0) // version 6, traffic class 0, flow label 0
	b = binary.BigEndian.AppendUint16(b, uint16(len(msg)))
	b = append(b, protocolICMPv6, hopLimitND)
	b = append(b, src.AsSlice()...)
	b = append(b, allNodes.AsSlice()...)
	return append(b, msg...), nil
}

// appendEthernet appends an Ethernet header to b. transport/afpacket has its
// twin: arp imports nothing of the module, and mdlayher/ethernet pads frames
// to 60 bytes, which would break the gratuitous ARP's match with ucarp.
func appendEthernet(b []byte, dst, src net.HardwareAddr, etherType uint16) []byte {
	b = append(b, dst...)
	b = append(b, src...)
	return binary.BigEndian.AppendUint16(b, etherType)
}
