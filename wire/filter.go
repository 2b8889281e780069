package wire

import (
	"net/netip"

	"github.com/gocarp/gocarp/hmac"
)

// Filter holds what a receiver checks a parsed Packet against (spec §7).
//
// What it deliberately does not check, as ucarp and the BSDs do not: the
// CARP type, authlen and demote bytes, the IPv4 TOS and total length, the
// counter, and bytes after the advert. Checking them would reject real
// peers (OpenBSD sends a demote count; crafted adverts with type 2 or
// authlen 0 are accepted by ucarp, see the validate capture).
type Filter struct {
	// VHID is our virtual host ID; other VHIDs are ErrBadVHID.
	VHID uint8
	// Local lists our own addresses: packets from them are ErrOwnPacket.
	// Zones and IPv4-mapping are ignored.
	Local []netip.Addr
	// Group is the expected destination. The zero value means IPv4Group
	// for IPv4 packets and IPv6Group for IPv6 packets; a set Group applies
	// to packets of its own family, the other family keeps its default.
	Group netip.Addr
	// Unicast lists further accepted destinations, typically our own
	// address. TTL is still checked unless SkipTTL.
	Unicast []netip.Addr
	// SkipTTL disables the TTL check.
	SkipTTL bool
	// Peers are the unicast peers of the group (spec §6). When set, an
	// advert sent to a unicast destination is accepted only from one of
	// them (else ErrNotPeer), and then whatever its TTL, as FreeBSD does:
	// a peer may sit behind a router. Its destination is not compared:
	// the socket below delivers only packets addressed to this host.
	// Multicast adverts keep the TTL and destination checks.
	Peers []netip.Addr
	// Signer checks the digest; nil means the digest is not checked. A
	// secure Signer (hmac.NewSecureSigner) checks the header and the
	// source too. The counter is the group's to check (ErrReplay,
	// ErrStale): it needs state and a clock.
	Signer *hmac.Signer
}

// Check returns nil if p is a valid advertisement for f, else the first
// failing check in the order of spec §7: ErrOwnPacket, ErrNotPeer or
// ErrBadTTL, ErrBadVersion, ErrBadVHID, ErrBadDestination, ErrBadIPChecksum,
// ErrBadChecksum, ErrBadDigest. The IP and CARP checksums are checked
// separately (ucarp adds both up, so two wrong checksums can cancel).
// Check allocates nothing; it uses f.Signer and so is not safe for
// concurrent use when f.Signer is set.
func (f *Filter) Check(p *Packet) error {
	for _, a := range f.Local {
		if carpSameAddr(a, p.Src) {
			return ErrOwnPacket
		}
	}
	fromPeer := false
	if len(f.Peers) > 0 && !p.Dst.IsMulticast() {
		for _, a := range f.Peers {
			if carpSameAddr(a, p.Src) {
				fromPeer = true
				break
			}
		}
		if !fromPeer {
			return ErrNotPeer
		}
	} else if !f.SkipTTL && p.TTL != TTL {
		return ErrBadTTL
	}
	if p.Advert.Version != Version {
		return ErrBadVersion
	}
	if p.Advert.VHID != f.VHID {
		return ErrBadVHID
	}
	if !fromPeer && !f.destinationOK(p.Dst) {
		return ErrBadDestination
	}
	if !p.IPChecksumOK {
		return ErrBadIPChecksum
	}
	if !p.ChecksumOK {
		return ErrBadChecksum
	}
	if f.Signer != nil && !f.Signer.VerifyFields(p.Advert.Fields(), p.Src, p.Advert.Counter, p.Advert.Digest[:]) {
		return ErrBadDigest
	}
	return nil
}

func (f *Filter) destinationOK(dst netip.Addr) bool {
	group := f.Group.Unmap()
	if !group.IsValid() || group.Is4() != dst.Is4() {
		group = IPv6Group
		if dst.Is4() {
			group = IPv4Group
		}
	}
	if carpSameAddr(group, dst) {
		return true
	}
	for _, a := range f.Unicast {
		if carpSameAddr(a, dst) {
			return true
		}
	}
	return false
}

// carpSameAddr compares a configured address with one parsed from a packet
// (which is never zoned nor IPv4-mapped).
func carpSameAddr(configured, parsed netip.Addr) bool {
	return configured.Unmap().WithZone("") == parsed
}
