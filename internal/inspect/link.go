package inspect

import (
	"encoding/binary"

	"github.com/gocarp/gocarp/internal/pcapfile"
)

// EtherTypes the decoder follows.
const (
	etherTypeIPv4   = 0x0800
	etherTypeIPv6   = 0x86dd
	etherTypeVLAN   = 0x8100 // 802.1Q
	etherTypeQinQ   = 0x88a8 // 802.1ad
	etherTypeQinQv1 = 0x9100 // pre-standard double tagging
)

// Link-layer header lengths.
const (
	ethernetHeaderLen = 14
	vlanTagLen        = 4
	sllHeaderLen      = 16 // Linux cooked capture v1 (tcpdump -i any)
	sll2HeaderLen     = 20 // Linux cooked capture v2 (tcpdump -i any, libpcap >= 1.10)
	nullHeaderLen     = 4  // BSD loopback: address family
)

// linkSupported reports whether networkLayer understands lt.
func linkSupported(lt pcapfile.LinkType) bool {
	switch lt {
	case pcapfile.LinkTypeEN10MB, pcapfile.LinkTypeLinuxSLL, pcapfile.LinkTypeLinuxSLL2,
		pcapfile.LinkTypeRaw, pcapfile.LinkTypeRawBSD, pcapfile.LinkTypeRawOpen, pcapfile.LinkTypeIPv4, pcapfile.LinkTypeIPv6,
		pcapfile.LinkTypeNull, pcapfile.LinkTypeLoop:
		return true
	}
	return false
}

// networkLayer returns the IP packet inside a frame of link type lt, or
// false when the frame carries something else (ARP, say) or is too short
// for its link header.
func networkLayer(lt pcapfile.LinkType, frame []byte) ([]byte, bool) {
	switch lt {
	case pcapfile.LinkTypeEN10MB:
		if len(frame) < ethernetHeaderLen {
			return nil, false
		}
		off := 12
		et := binary.BigEndian.Uint16(frame[off:])
		for et == etherTypeVLAN || et == etherTypeQinQ || et == etherTypeQinQv1 {
			off += vlanTagLen
			if len(frame) < off+2 {
				return nil, false
			}
			et = binary.BigEndian.Uint16(frame[off:])
		}
		return ipByEtherType(et, frame[off+2:])
	case pcapfile.LinkTypeLinuxSLL:
		if len(frame) < sllHeaderLen {
			return nil, false
		}
		return ipByEtherType(binary.BigEndian.Uint16(frame[14:]), frame[sllHeaderLen:])
	case pcapfile.LinkTypeLinuxSLL2:
		if len(frame) < sll2HeaderLen {
			return nil, false
		}
		return ipByEtherType(binary.BigEndian.Uint16(frame[0:]), frame[sll2HeaderLen:])
	case pcapfile.LinkTypeNull, pcapfile.LinkTypeLoop:
		// The address family is in host (Null) or network (Loop) order and
		// AF_INET6 differs between BSDs: the IP version nibble is simpler.
		if len(frame) < nullHeaderLen {
			return nil, false
		}
		return ipByVersion(frame[nullHeaderLen:])
	case pcapfile.LinkTypeRaw, pcapfile.LinkTypeRawBSD, pcapfile.LinkTypeRawOpen, pcapfile.LinkTypeIPv4, pcapfile.LinkTypeIPv6:
		return ipByVersion(frame)
	}
	return nil, false
}

func ipByEtherType(et uint16, payload []byte) ([]byte, bool) {
	if et == etherTypeIPv4 || et == etherTypeIPv6 {
		return payload, true
	}
	return nil, false
}

func ipByVersion(b []byte) ([]byte, bool) {
	if len(b) > 0 && (b[0]>>4 == 4 || b[0]>>4 == 6) {
		return b, true
	}
	return nil, false
}
