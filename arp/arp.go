package arp

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"

	mdarp "github.com/mdlayher/arp"
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

	protocolICMPv6            = 58
	icmpv6NeighborAdvertise   = 136
	optTargetLinkLayerAddress = 2
	hopLimitND                = 255
	naFlagRouter              = 0x80
	naFlagOverride            = 0x20
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
// on becoming master: to ff02::1 from vip itself (as Linux does for its own
// addresses), hop limit 255, the Override flag set so that neighbours replace
// a cached address, the Router flag if router, and the target link-layer
// address option carrying mac.
func NeighborAdvertisement(mac net.HardwareAddr, vip netip.Addr, router bool) ([]byte, error) {
	if len(mac) != 6 {
		return nil, fmt.Errorf("%w: %q", ErrBadMAC, mac)
	}
	if !vip.Is6() || vip.Is4In6() {
		return nil, fmt.Errorf("%w: %s", ErrNotIPv6, vip)
	}
	vip = vip.WithZone("")
	b := make([]byte, 0, NeighborAdvertisementLen)
	b = appendEthernet(b, allNodesMAC, mac, etherTypeIPv6)

	ip := len(b)
	b = append(b, 0x60, 0, 0, 0) // version 6, traffic class 0, flow label 0
	b = binary.BigEndian.AppendUint16(b, naLen)
	b = append(b, protocolICMPv6, hopLimitND)
	b = append(b, vip.AsSlice()...)
	b = append(b, allNodes.AsSlice()...)

	icmp := len(b)
	flags := byte(naFlagOverride)
	if router {
		flags |= naFlagRouter
	}
	b = append(b, icmpv6NeighborAdvertise, 0, 0, 0) // type, code, checksum
	b = append(b, flags, 0, 0, 0)
	b = append(b, vip.AsSlice()...)
	b = append(b, optTargetLinkLayerAddress, 1) // length in units of 8 bytes
	b = append(b, mac...)

	binary.BigEndian.PutUint16(b[icmp+2:], icmpv6Checksum(b[ip+8:ip+24], b[ip+24:ip+40], b[icmp:]))
	return b, nil
}

func appendEthernet(b []byte, dst, src net.HardwareAddr, etherType uint16) []byte {
	b = append(b, dst...)
	b = append(b, src...)
	return binary.BigEndian.AppendUint16(b, etherType)
}

// icmpv6Checksum is the RFC 1071 checksum of msg with the IPv6 pseudo-header
// (RFC 8200 §8.1) in front; msg's checksum field must be zero.
func icmpv6Checksum(src, dst, msg []byte) uint16 {
	var sum uint32
	add := func(b []byte) {
		for i := 0; i+1 < len(b); i += 2 {
			sum += uint32(binary.BigEndian.Uint16(b[i:]))
		}
		if len(b)%2 == 1 {
			sum += uint32(b[len(b)-1]) << 8
		}
	}
	add(src)
	add(dst)
	sum += uint32(len(msg)) // upper-layer length, 32 bits; fits in the low half here
	sum += protocolICMPv6
	add(msg)
	for sum > 0xffff {
		sum = sum>>16 + sum&0xffff
	}
	return ^uint16(sum)
}
