package hmac

import (
	"bytes"
	stdhmac "crypto/hmac"
	"crypto/sha1" //nolint:gosec // CARP's digest is HMAC-SHA1 by protocol; there is no choice.
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"net/netip"
	"slices"
)

const (
	// Size is the length of a CARP digest: one HMAC-SHA1 output.
	Size = sha1.Size

	// MaxPasswordLen is the longest password the peers accept. They keep
	// a 20-byte NUL-terminated buffer: ucarp refuses longer passwords, the
	// BSDs silently truncate them; we refuse.
	MaxPasswordLen = 19

	// carpVersion and carpType open every message as two separate bytes,
	// not the packed 0x21 of the CARP header.
	carpVersion = 2
	carpType    = 1
	counterLen  = 8
)

var (
	// ErrEmptyPassword is returned by NewSigner for a zero-length password.
	ErrEmptyPassword = errors.New("hmac: empty password: CARP needs a password of 1 to 19 bytes")

	// ErrPasswordTooLong is returned by NewSigner for a password longer
	// than MaxPasswordLen bytes.
	ErrPasswordTooLong = errors.New("hmac: password too long: CARP peers accept at most 19 bytes")

	// ErrInvalidVIP is returned by NewSigner for a zero (invalid) netip.Addr
	// in the VIP list.
	ErrInvalidVIP = errors.New("hmac: invalid virtual address")
)

// Signer holds the precomputed HMAC-SHA1 state for one (password, vhid,
// VIP set): the key's inner and outer pads are hashed once, and every Sign
// or Verify only hashes the address list and the counter.
//
// A Signer is not safe for concurrent use: it keeps scratch buffers so that
// Sign and Verify allocate nothing.
type Signer struct {
	// sent MACs the OpenBSD form (link-local IPv6 VIPs left out): what we
	// send, and one of the two forms we accept.
	sent       hash.Hash
	sentPrefix []byte

	// full MACs the FreeBSD form (every VIP). Nil when the set has no
	// link-local IPv6 VIP, in which case both forms are the same bytes.
	full       hash.Hash
	fullPrefix []byte

	counter [counterLen]byte
	sum     [Size]byte
	sum2    [Size]byte

	// secure is the HMAC-SHA256 of secure mode (NewSecureSigner), nil for
	// a compatible Signer; secureVIPs the VIP part of its message.
	secure     hash.Hash
	secureVIPs []byte
	secureVHID uint8
	secureMsg  [7 + counterLen + 1 + 16]byte
	secureSum  [sha256.Size]byte
}

// NewSigner validates the password and the VIP set and prepares the HMAC
// state. The password is the key, byte for byte (nothing is derived from
// it). IPv4-mapped IPv6 VIPs count as IPv4; zones are stripped; duplicates
// count once; a zero netip.Addr is ErrInvalidVIP. An empty VIP set is
// allowed (the message then carries no address).
func NewSigner(password []byte, vhid uint8, vips []netip.Addr) (*Signer, error) {
	switch {
	case len(password) == 0:
		return nil, ErrEmptyPassword
	case len(password) > MaxPasswordLen:
		return nil, fmt.Errorf("%w (got %d bytes)", ErrPasswordTooLong, len(password))
	}
	for i, a := range vips {
		if !a.IsValid() {
			return nil, fmt.Errorf("%w: VIP #%d is the zero netip.Addr", ErrInvalidVIP, i)
		}
	}

	s := &Signer{
		sentPrefix: appendPrefix(nil, vhid, vips, false),
		fullPrefix: appendPrefix(nil, vhid, vips, true),
	}
	s.sent = newPrepared(password)
	if !bytes.Equal(s.sentPrefix, s.fullPrefix) {
		s.full = newPrepared(password)
	} else {
		s.fullPrefix = nil
	}
	return s, nil
}

// newPrepared returns an HMAC-SHA1 whose Reset restores the saved state
// after the key's inner pad instead of rehashing it. crypto/hmac marshals
// that state on the first Reset when the hash supports it, as SHA-1 does.
func newPrepared(key []byte) hash.Hash {
	h := stdhmac.New(sha1.New, key)
	h.Reset()
	return h
}

// Sign returns the digest for counter in the form the OpenBSD kernel
// sends: link-local IPv6 VIPs are not part of the message.
func (s *Signer) Sign(counter uint64) [Size]byte {
	if s.secure != nil {
		return *s.computeSecure(Fields{}, netip.Addr{}, counter)
	}
	return *s.compute(s.sent, s.sentPrefix, counter, &s.sum)
}

// Verify reports whether digest is the digest for counter, accepting both
// the form without link-local IPv6 VIPs (OpenBSD, and what Sign sends) and
// the form with them (FreeBSD). The comparison is constant time; when the
// two forms differ both are always computed and compared.
func (s *Signer) Verify(counter uint64, digest []byte) bool {
	if s.secure != nil {
		return stdhmac.Equal(s.computeSecure(Fields{}, netip.Addr{}, counter)[:], digest)
	}
	ok := stdhmac.Equal(s.compute(s.sent, s.sentPrefix, counter, &s.sum)[:], digest)
	if s.full != nil {
		okFull := stdhmac.Equal(s.compute(s.full, s.fullPrefix, counter, &s.sum2)[:], digest)
		ok = ok || okFull
	}
	return ok
}

func (s *Signer) compute(h hash.Hash, prefix []byte, counter uint64, out *[Size]byte) *[Size]byte {
	h.Reset()
	h.Write(prefix)
	binary.BigEndian.PutUint64(s.counter[:], counter)
	h.Write(s.counter[:])
	h.Sum(out[:0])
	return out
}

// Message returns the exact bytes that Sign MACs for counter (spec §2):
// 0x02 0x01 vhid, the IPv4 VIPs sorted ascending without duplicates, the
// IPv6 VIPs sorted by bytes without duplicates, and the counter big-endian.
// Link-local IPv6 VIPs are left out, as Sign leaves them out. Zero addresses
// are skipped (NewSigner refuses them); zones are ignored.
func Message(vhid uint8, vips []netip.Addr, counter uint64) []byte {
	b := appendPrefix(nil, vhid, vips, false)
	return binary.BigEndian.AppendUint64(b, counter)
}

// appendPrefix appends the message without its counter. withLinkLocal
// selects the FreeBSD form.
func appendPrefix(b []byte, vhid uint8, vips []netip.Addr, withLinkLocal bool) []byte {
	var v4, v6 []netip.Addr
	for _, a := range vips {
		if !a.IsValid() {
			continue
		}
		a = a.Unmap().WithZone("")
		switch {
		case a.Is4():
			v4 = append(v4, a)
		case withLinkLocal || !a.IsLinkLocalUnicast():
			v6 = append(v6, a)
		}
	}
	// For zone-less addresses of one family netip's order is numeric,
	// which is byte order: what both kernels hash.
	slices.SortFunc(v4, netip.Addr.Compare)
	slices.SortFunc(v6, netip.Addr.Compare)
	v4 = slices.Compact(v4)
	v6 = slices.Compact(v6)

	b = append(b, carpVersion, carpType, vhid)
	for _, a := range v4 {
		a4 := a.As4()
		b = append(b, a4[:]...)
	}
	for _, a := range v6 {
		a16 := a.As16()
		b = append(b, a16[:]...)
	}
	return b
}
