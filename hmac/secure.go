package hmac

import (
	"crypto/hkdf"
	stdhmac "crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"hash"
	"net/netip"
)

// SecureKeyInfo is the HKDF info label of secure mode's key (NewSecureSigner).
// A new version of the secure message gets a new label, so that no digest
// of one version verifies in another.
const SecureKeyInfo = "gocarp secure mode v1: advert digest key"

// Fields are the advert header bytes a secure digest covers besides the
// counter: every byte of the CARP header but the checksum (the VHID is the
// Signer's own; Filter checks it before the digest). A compatible Signer
// ignores them.
type Fields struct {
	Version, Type, AdvSkew, AuthLen, Demote, AdvBase uint8
}

// NewSecureSigner returns a Signer for gocarp's secure mode, which only
// gocarp speaks. Its digest is
//
//	HMAC-SHA256(K, version type vhid advskew authlen demote advbase ||
//	               counter || len(src) src || IPv4 VIPs || IPv6 VIPs)[:20]
//
// with K = HKDF-SHA256(password, no salt, SecureKeyInfo), 32 bytes: the
// whole header but the checksum, the advert's IP source address (4 or 16
// bytes, so that a captured advert cannot be passed off as another
// node's), and every VIP, link-local ones included (one form only: there
// is no BSD to agree with). Truncated to Size bytes, it fits the CARP
// digest field, so framing and sizes are those of CARP.
//
// HKDF separates the two modes' keys: the compatible digest is keyed with
// the password as is, so the same password yields unrelated digests in the
// two modes, and a secure node and ucarp refuse each other's adverts
// (ErrBadDigest). It is not a password hash: a weak password can still be
// brute-forced offline from one advert. Use a random one.
//
// Sign and Verify of a secure Signer are SignFields and VerifyFields with
// zero Fields and no source: use those.
func NewSecureSigner(password []byte, vhid uint8, vips []netip.Addr) (*Signer, error) {
	s, err := NewSigner(password, vhid, vips)
	if err != nil {
		return nil, err
	}
	key, err := hkdf.Key(sha256.New, password, nil, SecureKeyInfo, sha256.Size)
	if err != nil {
		return nil, err // only for an impossible length
	}
	s.secure = newPreparedSHA256(key)
	// The VIP part of the FreeBSD form, link-local addresses included.
	s.secureVIPs = appendPrefix(nil, vhid, vips, true)[3:]
	s.secureVHID = vhid
	s.sent, s.sentPrefix, s.full, s.fullPrefix = nil, nil, nil, nil
	return s, nil
}

func newPreparedSHA256(key []byte) hash.Hash {
	h := stdhmac.New(sha256.New, key)
	h.Reset()
	return h
}

// Secure reports whether s is a secure-mode Signer (NewSecureSigner).
func (s *Signer) Secure() bool { return s.secure != nil }

// SignFields returns the digest of an advert with header f and counter,
// sent from src. A compatible Signer ignores f and src: it is Sign.
func (s *Signer) SignFields(f Fields, src netip.Addr, counter uint64) [Size]byte {
	if s.secure == nil {
		return s.Sign(counter)
	}
	return *s.computeSecure(f, src, counter)
}

// VerifyFields reports, in constant time, whether digest is the digest of
// an advert with header f and counter from src. A compatible Signer
// ignores f and src: it is Verify.
func (s *Signer) VerifyFields(f Fields, src netip.Addr, counter uint64, digest []byte) bool {
	if s.secure == nil {
		return s.Verify(counter, digest)
	}
	return stdhmac.Equal(s.computeSecure(f, src, counter)[:], digest)
}

func (s *Signer) computeSecure(f Fields, src netip.Addr, counter uint64) *[Size]byte {
	h := s.secure
	h.Reset()
	m := s.secureMsg[:0]
	m = append(m, f.Version, f.Type, s.secureVHID, f.AdvSkew, f.AuthLen, f.Demote, f.AdvBase)
	m = binary.BigEndian.AppendUint64(m, counter)
	src = src.Unmap().WithZone("")
	switch {
	case src.Is4():
		a := src.As4()
		m = append(m, 4)
		m = append(m, a[:]...)
	case src.Is6():
		a := src.As16()
		m = append(m, 16)
		m = append(m, a[:]...)
	default:
		m = append(m, 0)
	}
	h.Write(m)
	h.Write(s.secureVIPs)
	h.Sum(s.secureSum[:0])
	copy(s.sum[:], s.secureSum[:Size])
	return &s.sum
}
