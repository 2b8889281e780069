package wire

import (
	"encoding/binary"
	"fmt"
	"net/netip"

	"github.com/gocarp/gocarp/hmac"
)

// Wire constants (spec §1).
const (
	// AdvertLen is the size of a CARP advertisement: 8 header bytes, an
	// 8-byte counter and a 20-byte digest.
	AdvertLen = 36
	// Version is the only CARP version in use.
	Version = 2
	// TypeAdvertisement is the only CARP message type.
	TypeAdvertisement = 1
	// AuthLen is the length of counter and digest in 32-bit words.
	AuthLen = 7
	// ProtocolNumber is CARP's IP protocol number (shared with VRRP).
	ProtocolNumber = 112
	// TTL is the required IPv4 TTL and IPv6 hop limit.
	TTL = 255
	// IPv4HeaderLen is the length of the option-less IPv4 header we send.
	IPv4HeaderLen = 20
	// IPv6HeaderLen is the length of the fixed IPv6 header.
	IPv6HeaderLen = 40
)

// Default destinations of advertisements.
var (
	IPv4Group = netip.MustParseAddr("224.0.0.18")
	IPv6Group = netip.MustParseAddr("ff02::12")
)

// Byte offsets inside the advertisement.
const (
	carpOffVersionType = 0
	carpOffVHID        = 1
	carpOffAdvSkew     = 2
	carpOffAuthLen     = 3
	carpOffDemote      = 4
	carpOffAdvBase     = 5
	carpOffChecksum    = 6
	carpOffCounter     = 8
	carpOffDigest      = 16
)

// Advert is a CARP advertisement, the 36 bytes after the IP header
// (spec §1.4). All fields are kept as on the wire; UnmarshalBinary checks
// nothing but the length, so that Filter can report what is wrong.
//
// The digest covers Version, Type, VHID and Counter (and the VIPs, which
// are not on the wire); it does not cover AdvSkew, AuthLen, Demote, AdvBase
// or Checksum, so anyone on the segment can rewrite those. Secure mode's
// digest (hmac.NewSecureSigner) covers every field but Checksum, and the
// IP source.
type Advert struct {
	// Version and Type are the high and low nibble of byte 0: 2 and 1.
	Version, Type uint8
	// VHID identifies the virtual host, 1..255.
	VHID uint8
	// AdvSkew is added to AdvBase as 1/256 s; 255 only when bowing out.
	AdvSkew uint8
	// AuthLen is 7 on the wire. Not checked on receive: ucarp and the BSDs
	// accept any value.
	AuthLen uint8
	// Demote is OpenBSD's demotion count; FreeBSD and ucarp send 0. Not
	// checked on receive.
	Demote uint8
	// AdvBase is the advertisement interval in whole seconds.
	AdvBase uint8
	// Checksum is the checksum field as on the wire. AppendBinary
	// overwrites it with the correct value.
	Checksum uint16
	// Counter is the 64-bit replay counter (spec §3).
	Counter uint64
	// Digest is the HMAC-SHA1 of the message built from VHID, the VIPs and
	// Counter (package hmac), or in secure mode the truncated HMAC-SHA256
	// of the header, the source, Counter and the VIPs (see Sign).
	Digest [hmac.Size]byte
}

// AppendBinary appends the 36-byte wire form of a to b, computing the
// checksum and storing it in a.Checksum. It fails only if Version or Type
// does not fit in a nibble. Type, AuthLen and Demote are written as they
// are: the caller sets them (TypeAdvertisement, AuthLen, 0 or a demote
// count).
func (a *Advert) AppendBinary(b []byte) ([]byte, error) {
	if a.Version > 0x0f || a.Type > 0x0f {
		return b, fmt.Errorf("carp: version %d / type %d do not fit in a 4-bit field", a.Version, a.Type)
	}
	n := len(b)
	b = append(b,
		a.Version<<4|a.Type, a.VHID, a.AdvSkew, a.AuthLen, a.Demote, a.AdvBase,
		0, 0, // checksum, computed over the bytes with the field zero
	)
	b = binary.BigEndian.AppendUint64(b, a.Counter)
	b = append(b, a.Digest[:]...)
	a.Checksum = Checksum(b[n:])
	binary.BigEndian.PutUint16(b[n+carpOffChecksum:], a.Checksum)
	return b, nil
}

// Fields returns the header bytes a secure-mode digest covers besides the
// counter (hmac.NewSecureSigner).
func (a *Advert) Fields() hmac.Fields {
	return hmac.Fields{Version: a.Version, Type: a.Type, AdvSkew: a.AdvSkew,
		AuthLen: a.AuthLen, Demote: a.Demote, AdvBase: a.AdvBase}
}

// Sign sets a.Digest to s's digest of a as sent from src: in secure mode
// it covers the header and src, so set every other field first.
func (a *Advert) Sign(s *hmac.Signer, src netip.Addr) {
	a.Digest = s.SignFields(a.Fields(), src, a.Counter)
}

// MarshalBinary returns the 36-byte wire form of a; see AppendBinary.
func (a *Advert) MarshalBinary() ([]byte, error) {
	return a.AppendBinary(make([]byte, 0, AdvertLen))
}

// UnmarshalBinary decodes the first 36 bytes of b into a. Shorter input is
// ErrTooShort; trailing bytes are ignored (ucarp ignores them too). No field
// is checked, not even the checksum: see Filter and Packet.
func (a *Advert) UnmarshalBinary(b []byte) error {
	if len(b) < AdvertLen {
		return ErrTooShort
	}
	b = b[:AdvertLen]
	a.Version = b[carpOffVersionType] >> 4
	a.Type = b[carpOffVersionType] & 0x0f
	a.VHID = b[carpOffVHID]
	a.AdvSkew = b[carpOffAdvSkew]
	a.AuthLen = b[carpOffAuthLen]
	a.Demote = b[carpOffDemote]
	a.AdvBase = b[carpOffAdvBase]
	a.Checksum = binary.BigEndian.Uint16(b[carpOffChecksum:])
	a.Counter = binary.BigEndian.Uint64(b[carpOffCounter:])
	copy(a.Digest[:], b[carpOffDigest:])
	return nil
}
