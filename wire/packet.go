package wire

import (
	"encoding/binary"
	"fmt"
	"net/netip"
)

// carpTOS is the IPv4 TOS byte ucarp sends (IPTOS_LOWDELAY). We use the
// same value as IPv6 traffic class; OpenBSD sends 0 there and FreeBSD its
// carp_dscp (CS7, 0xe0). No receiver checks it.
const carpTOS = 0x10

// IPv4 header flags/fragment field with only DF set, as ucarp sends it.
const carpIPv4DontFragment = 0x4000

// Packet is a parsed IP packet carrying a CARP advertisement. It keeps what
// the receive checks of Filter need; nothing is validated by
// UnmarshalBinary beyond what is needed to find the 36 CARP bytes.
type Packet struct {
	Src, Dst netip.Addr
	// TTL is the IPv4 TTL or the IPv6 hop limit.
	TTL uint8
	// TOS is the IPv4 TOS byte or the IPv6 traffic class.
	TOS uint8
	// ID is the IPv4 identification; 0 for IPv6.
	ID uint16
	// IPChecksumOK reports whether the IPv4 header checksum is correct;
	// always true for IPv6, which has none.
	IPChecksumOK bool
	// ChecksumOK reports whether the CARP checksum over the 36 advert
	// bytes is correct.
	ChecksumOK bool
	// Advert is the decoded advertisement.
	Advert Advert
}

// UnmarshalBinary parses an IPv4 or IPv6 packet (chosen by the version
// nibble) whose payload is a CARP advertisement. It allocates nothing.
//
// Errors: ErrBadIPHeader for a version nibble other than 4 or 6, an IPv4
// header length below 20 or an IPv4 total length below the header length;
// ErrNotCARP when the protocol (IPv6: next header; extension headers are not
// followed) is not 112; ErrTooShort when b is shorter than the IP header
// plus 36 bytes. As in ucarp, the IPv4 total length is not otherwise
// compared with len(b), and bytes after the advert are ignored. On error p
// is zeroed.
func (p *Packet) UnmarshalBinary(b []byte) error {
	*p = Packet{}
	if len(b) == 0 {
		return ErrTooShort
	}
	var err error
	switch b[0] >> 4 {
	case 4:
		err = p.unmarshalIPv4(b)
	case 6:
		err = p.unmarshalIPv6(b)
	default:
		err = ErrBadIPHeader
	}
	if err != nil {
		*p = Packet{}
	}
	return err
}

func (p *Packet) unmarshalIPv4(b []byte) error {
	if len(b) < IPv4HeaderLen {
		return ErrTooShort
	}
	hlen := int(b[0]&0x0f) * 4
	if hlen < IPv4HeaderLen || int(binary.BigEndian.Uint16(b[2:])) < hlen {
		return ErrBadIPHeader
	}
	if len(b) < hlen {
		return ErrTooShort
	}
	if b[9] != ProtocolNumber {
		return ErrNotCARP
	}
	if len(b) < hlen+AdvertLen {
		return ErrTooShort
	}
	p.TOS = b[1]
	p.ID = binary.BigEndian.Uint16(b[4:])
	p.TTL = b[8]
	p.Src = netip.AddrFrom4([4]byte(b[12:16]))
	p.Dst = netip.AddrFrom4([4]byte(b[16:20]))
	p.IPChecksumOK = Checksum(b[:hlen]) == 0
	return p.unmarshalAdvert(b[hlen : hlen+AdvertLen])
}

func (p *Packet) unmarshalIPv6(b []byte) error {
	if len(b) < IPv6HeaderLen {
		return ErrTooShort
	}
	if b[6] != ProtocolNumber {
		return ErrNotCARP
	}
	if len(b) < IPv6HeaderLen+AdvertLen {
		return ErrTooShort
	}
	p.TOS = b[0]<<4 | b[1]>>4
	p.TTL = b[7]
	p.Src = netip.AddrFrom16([16]byte(b[8:24]))
	p.Dst = netip.AddrFrom16([16]byte(b[24:40]))
	p.IPChecksumOK = true
	return p.unmarshalAdvert(b[IPv6HeaderLen : IPv6HeaderLen+AdvertLen])
}

func (p *Packet) unmarshalAdvert(b []byte) error {
	p.ChecksumOK = Checksum(b) == 0
	return p.Advert.UnmarshalBinary(b)
}

// AppendIPv4 appends an IPv4 packet carrying a to b, the way ucarp builds it
// (spec §1.2): TOS 0x10, total length 56, the given id, DF, TTL 255,
// protocol 112, header checksum. src and dst must be IPv4 (IPv4-mapped IPv6
// is accepted). It fills in a.Checksum. On error b is returned unchanged.
func AppendIPv4(b []byte, src, dst netip.Addr, id uint16, a *Advert) ([]byte, error) {
	src, dst = src.Unmap(), dst.Unmap()
	if !src.Is4() || !dst.Is4() {
		return b, fmt.Errorf("carp: AppendIPv4 needs IPv4 addresses, got %v -> %v", src, dst)
	}
	n := len(b)
	s, d := src.As4(), dst.As4()
	b = append(b,
		0x45, carpTOS, // version 4, header length 5 words
		0, IPv4HeaderLen+AdvertLen,
		byte(id>>8), byte(id),
		carpIPv4DontFragment>>8, carpIPv4DontFragment&0xff,
		TTL, ProtocolNumber,
		0, 0, // header checksum, below
	)
	b = append(b, s[:]...)
	b = append(b, d[:]...)
	b, err := a.AppendBinary(b)
	if err != nil {
		return b[:n], err
	}
	binary.BigEndian.PutUint16(b[n+10:], Checksum(b[n:n+IPv4HeaderLen]))
	return b, nil
}

// AppendIPv6 appends an IPv6 packet carrying a to b (spec §1.3): traffic
// class 0x10 (see carpTOS), flow label 0, payload length 36, next header
// 112, hop limit 255, no extension headers. src and dst must be IPv6 and not
// IPv4-mapped; zones are ignored. It fills in a.Checksum. On error b is
// returned unchanged.
func AppendIPv6(b []byte, src, dst netip.Addr, a *Advert) ([]byte, error) {
	if !src.Is6() || src.Is4In6() || !dst.Is6() || dst.Is4In6() {
		return b, fmt.Errorf("carp: AppendIPv6 needs IPv6 addresses, got %v -> %v", src, dst)
	}
	n := len(b)
	s, d := src.As16(), dst.As16()
	b = append(b,
		0x60|carpTOS>>4, carpTOS<<4&0xf0, 0, 0, // version 6, traffic class, flow label 0
		0, AdvertLen,
		ProtocolNumber, TTL,
	)
	b = append(b, s[:]...)
	b = append(b, d[:]...)
	b, err := a.AppendBinary(b)
	if err != nil {
		return b[:n], err
	}
	return b, nil
}
