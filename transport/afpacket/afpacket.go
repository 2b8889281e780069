package afpacket

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"

	"golang.org/x/net/bpf"

	"github.com/gocarp/gocarp/transport"
)

// Pin the interfaces a Conn promises.
var (
	_ transport.Transport = &Conn{}
	_ transport.Addresser = &Conn{}
)

const (
	// protocolCARP is the IP protocol number (IPv6 next header) of CARP.
	protocolCARP = 112

	etherTypeIPv4 = 0x0800
	etherTypeIPv6 = 0x86dd

	ethHeaderLen  = 14
	ipv4HeaderLen = 20
	ipv6HeaderLen = 40
)

// DefaultGroup is the group joined when Config.Groups is empty: the IPv4
// CARP group 224.0.0.18.
var DefaultGroup = netip.MustParseAddr("224.0.0.18")

var (
	// ErrNotImplemented is returned by Listen on operating systems other than
	// Linux.
	ErrNotImplemented = errors.New("afpacket: not implemented on this OS: AF_PACKET sockets are Linux only")
	// ErrBadPacket is returned by Send for bytes that are not an IPv4 or IPv6
	// packet, or not one it can send: to a unicast destination it sends only
	// unfragmented protocol 112 with no IPv6 extension headers. A packet
	// shorter than its IP header or length field also matches
	// io.ErrUnexpectedEOF.
	ErrBadPacket = errors.New("afpacket: not an IPv4 or IPv6 packet")
	// ErrNoRoute is returned by Send for a unicast destination the kernel
	// has no route to; the error names the destination.
	ErrNoRoute = errors.New("afpacket: no route")
	// ErrBadGroup is returned by Listen for a group that is not a multicast
	// address.
	ErrBadGroup = errors.New("afpacket: group is not a multicast address")
)

// Broadcast is the Ethernet broadcast address, the destination of every
// frame when Config.NoMulticast is set.
var Broadcast = net.HardwareAddr{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}

// limitedBroadcast is 255.255.255.255, sent to the Ethernet broadcast address.
var limitedBroadcast = netip.AddrFrom4([4]byte{255, 255, 255, 255})

// Config configures a Conn.
type Config struct {
	// Interface is the name of the network interface, e.g. "eth0". Required.
	Interface string
	// Groups are the multicast groups joined on Interface (IGMP for IPv4,
	// MLD for IPv6), so that switches that snoop forward the adverts. Empty
	// means DefaultGroup; a caller that speaks IPv6 adds ff02::12.
	Groups []netip.Addr
	// SourceMAC is the Ethernet source of sent frames. nil means the
	// interface's own address, which virtual switches accept; VirtualMAC
	// gives what ucarp and the BSDs use.
	SourceMAC net.HardwareAddr
	// NoMulticast sends every frame to the Ethernet broadcast address and
	// joins no group, as ucarp --nomcast does. The IP destination is kept.
	NoMulticast bool
}

// VirtualMAC returns the virtual router MAC of vhid: 00:00:5e:00:00:vhid as
// ucarp sends it, or 00:00:5e:00:01:vhid as OpenBSD and FreeBSD do (bsd).
func VirtualMAC(vhid uint8, bsd bool) net.HardwareAddr {
	mac := net.HardwareAddr{0x00, 0x00, 0x5e, 0x00, 0x00, vhid}
	if bsd {
		mac[4] = 0x01
	}
	return mac
}

// MulticastMAC returns the Ethernet address an IP multicast group maps to:
// 01:00:5e and the low 23 bits of an IPv4 group (RFC 1112), 33:33 and the
// low 32 bits of an IPv6 group (RFC 2464).
func MulticastMAC(group netip.Addr) (net.HardwareAddr, error) {
	if !group.IsMulticast() {
		return nil, fmt.Errorf("%w: %s", ErrBadGroup, group)
	}
	if group.Is4() {
		b := group.As4()
		return net.HardwareAddr{0x01, 0x00, 0x5e, b[1] & 0x7f, b[2], b[3]}, nil
	}
	b := group.As16()
	return net.HardwareAddr{0x33, 0x33, b[12], b[13], b[14], b[15]}, nil
}

// Header fields of routed packets, which the kernel writes: CARP's TTL and
// hop limit (spec §1.2, §6), and the TOS and traffic class carp.AppendIPv4
// and AppendIPv6 put on multicast adverts (IPTOS_LOWDELAY, as ucarp).
const (
	unicastTTL = 255
	unicastTOS = 0x10
)

// sendPlan is how Send transmits one IP packet: framed for Ethernet as it
// is (multicast and broadcast), or routed by the kernel (unicast).
type sendPlan struct {
	// Framed packets: the Ethernet destination and EtherType.
	mac       net.HardwareAddr
	etherType uint16

	// Routed packets: the payload after the IP header, from src (the zero
	// Addr when the packet's source is unspecified: the kernel picks) to
	// dst.
	routed   bool
	src, dst netip.Addr
	payload  []byte
}

// planSend classifies pkt by its IP destination. Multicast goes to the
// mapped multicast MAC, or broadcast with noMulticast; 255.255.255.255 to
// broadcast; both keep the packet as given. A unicast destination is routed,
// so only what the kernel rebuilds the same way may go: the payload of
// unfragmented protocol 112 (IPv4 options are not carried).
func planSend(pkt []byte, noMulticast bool) (sendPlan, error) {
	if len(pkt) == 0 {
		return sendPlan{}, fmt.Errorf("%w: empty: %w", ErrBadPacket, io.ErrUnexpectedEOF)
	}
	var (
		p        sendPlan
		proto    byte
		hdr, end int // payload bounds, from the header
	)
	switch pkt[0] >> 4 {
	case 4:
		if len(pkt) < ipv4HeaderLen {
			return sendPlan{}, fmt.Errorf("%w: %d bytes: %w", ErrBadPacket, len(pkt), io.ErrUnexpectedEOF)
		}
		p.etherType = etherTypeIPv4
		p.src, p.dst = netip.AddrFrom4([4]byte(pkt[12:16])), netip.AddrFrom4([4]byte(pkt[16:20]))
		proto, hdr, end = pkt[9], int(pkt[0]&0x0f)*4, int(binary.BigEndian.Uint16(pkt[2:4]))
	case 6:
		if len(pkt) < ipv6HeaderLen {
			return sendPlan{}, fmt.Errorf("%w: %d bytes: %w", ErrBadPacket, len(pkt), io.ErrUnexpectedEOF)
		}
		p.etherType = etherTypeIPv6
		p.src, p.dst = netip.AddrFrom16([16]byte(pkt[8:24])), netip.AddrFrom16([16]byte(pkt[24:40]))
		proto, hdr, end = pkt[6], ipv6HeaderLen, ipv6HeaderLen+int(binary.BigEndian.Uint16(pkt[4:6]))
	default:
		return sendPlan{}, fmt.Errorf("%w: version %d", ErrBadPacket, pkt[0]>>4)
	}
	var err error
	switch {
	case p.dst.IsMulticast() && noMulticast, p.dst == limitedBroadcast:
		p.mac = Broadcast
		return p, nil
	case p.dst.IsMulticast():
		p.mac, err = MulticastMAC(p.dst)
		return p, err
	}

	p.routed = true
	switch {
	case p.dst.IsUnspecified(), p.dst.Is4In6():
		return sendPlan{}, fmt.Errorf("%w: destination %s", ErrBadPacket, p.dst)
	case p.src.IsMulticast(), p.src.Is4In6():
		return sendPlan{}, fmt.Errorf("%w: source %s", ErrBadPacket, p.src)
	case proto != protocolCARP:
		return sendPlan{}, fmt.Errorf("%w: protocol %d to unicast %s", ErrBadPacket, proto, p.dst)
	case p.etherType == etherTypeIPv4 && binary.BigEndian.Uint16(pkt[6:8])&0x3fff != 0:
		return sendPlan{}, fmt.Errorf("%w: fragment to unicast %s", ErrBadPacket, p.dst)
	case hdr < ipv4HeaderLen || end < hdr:
		return sendPlan{}, fmt.Errorf("%w: header length %d, packet length %d", ErrBadPacket, hdr, end)
	case end > len(pkt):
		return sendPlan{}, fmt.Errorf("%w: length %d in %d bytes: %w", ErrBadPacket, end, len(pkt), io.ErrUnexpectedEOF)
	}
	if p.src.IsUnspecified() {
		p.src = netip.Addr{}
	}
	p.payload = pkt[hdr:end]
	return p, nil
}

// appendFrame appends the Ethernet header and pkt to b.
func appendFrame(b []byte, dst, src net.HardwareAddr, etherType uint16, pkt []byte) []byte {
	b = append(b, dst...)
	b = append(b, src...)
	b = binary.BigEndian.AppendUint16(b, etherType)
	return append(b, pkt...)
}

// ipPacket returns the IP packet in an Ethernet frame that the socket filter
// accepted: the frame without its Ethernet header, cut to the IP length so
// that Ethernet padding does not reach the handler. It returns nil for
// frames too short to hold the IP header.
func ipPacket(frame []byte) []byte {
	if len(frame) < ethHeaderLen+ipv4HeaderLen {
		return nil
	}
	pkt := frame[ethHeaderLen:]
	var n int
	switch pkt[0] >> 4 {
	case 4:
		n = int(binary.BigEndian.Uint16(pkt[2:4]))
	case 6:
		if len(pkt) < ipv6HeaderLen {
			return nil
		}
		n = ipv6HeaderLen + int(binary.BigEndian.Uint16(pkt[4:6]))
	default:
		return nil
	}
	// A length field that lies is left for the codec to judge.
	if n >= ipv4HeaderLen && n < len(pkt) {
		pkt = pkt[:n]
	}
	return pkt
}

// Packet types as the kernel reports them (linux/if_packet.h): frames
// addressed to this host, broadcast, multicast, to another host (seen in
// promiscuous mode), and our own transmissions looped back to packet sockets.
const (
	pktTypeOtherHost = 3
	pktTypeOutgoing  = 4
)

// snapLen is what the filter keeps of an accepted frame: all of it.
const snapLen = 1 << 18

// filter returns the socket filter of a Conn. It accepts, from an Ethernet
// frame:
//   - only frames the kernel received for this host (unicast to us,
//     broadcast, multicast): not our own transmissions (PACKET_OUTGOING) and
//     not unicast to other hosts seen in promiscuous mode;
//   - only untagged frames: a VLAN-tagged frame belongs to the VLAN
//     sub-interface, where its own Conn receives it untagged;
//   - IPv4 with protocol 112 that is not a non-first fragment (CARP adverts
//     are never fragmented), any header length;
//   - IPv6 with next header 112 directly after the fixed header (CARP uses no
//     extension headers).
func filter() []bpf.Instruction {
	const (
		ipv4Proto    = ethHeaderLen + 9
		ipv4FragOff  = ethHeaderLen + 6
		ipv6NextHdr  = ethHeaderLen + 6
		etherTypeOff = 12
	)
	// Jump offsets count instructions skipped; each is checked by the tests.
	return []bpf.Instruction{
		/* 0 */ bpf.LoadExtension{Num: bpf.ExtType},
		/* 1 */ bpf.JumpIf{Cond: bpf.JumpGreaterOrEqual, Val: pktTypeOtherHost, SkipTrue: 12},
		/* 2 */ bpf.LoadExtension{Num: bpf.ExtVLANTagPresent},
		/* 3 */ bpf.JumpIf{Cond: bpf.JumpNotEqual, Val: 0, SkipTrue: 10},
		/* 4 */ bpf.LoadAbsolute{Off: etherTypeOff, Size: 2},
		/* 5 */ bpf.JumpIf{Cond: bpf.JumpEqual, Val: etherTypeIPv4, SkipFalse: 4},
		/* 6 */ bpf.LoadAbsolute{Off: ipv4FragOff, Size: 2},
		/* 7 */ bpf.JumpIf{Cond: bpf.JumpBitsSet, Val: 0x1fff, SkipTrue: 6},
		/* 8 */ bpf.LoadAbsolute{Off: ipv4Proto, Size: 1},
		/* 9 */ bpf.JumpIf{Cond: bpf.JumpEqual, Val: protocolCARP, SkipTrue: 3, SkipFalse: 4},
		/* 10 */ bpf.JumpIf{Cond: bpf.JumpEqual, Val: etherTypeIPv6, SkipFalse: 3},
		/* 11 */ bpf.LoadAbsolute{Off: ipv6NextHdr, Size: 1},
		/* 12 */ bpf.JumpIf{Cond: bpf.JumpEqual, Val: protocolCARP, SkipFalse: 1},
		/* 13 */ bpf.RetConstant{Val: snapLen},
		/* 14 */ bpf.RetConstant{Val: 0},
	}
}

// rejectAll is the socket filter of the membership sockets: they exist only
// to hold the IGMP/MLD membership and must never queue a packet.
func rejectAll() []bpf.Instruction {
	return []bpf.Instruction{bpf.RetConstant{Val: 0}}
}
