package wire

import (
	"errors"
	"fmt"
	"io"
)

// Reasons a received packet is dropped. Packet.UnmarshalBinary returns the
// first three; Filter.Check returns the others, in the order of spec §7.
// Each is a distinct value so that a caller can count drops by reason
// (DropReason) and tests can match them with errors.Is.
var (
	// ErrTooShort: fewer bytes than the IP header plus the 36-byte CARP
	// header. It wraps io.ErrUnexpectedEOF.
	ErrTooShort = fmt.Errorf("carp: packet too short for IP header and CARP advertisement: %w", io.ErrUnexpectedEOF)

	// ErrBadIPHeader: the IP version nibble is neither 4 nor 6, the IPv4
	// header length is below 20 bytes, or the IPv4 total length is
	// smaller than the header.
	ErrBadIPHeader = errors.New("carp: malformed IP header")

	// ErrNotCARP: the IP protocol (IPv6 next header) is not 112. IPv6
	// extension headers are not followed: CARP senders use none.
	ErrNotCARP = errors.New("carp: not a CARP packet: IP protocol is not 112")

	// ErrOwnPacket: the source address is one of ours (Filter.Local); a
	// multicast loop or a bridge echoing our own advert.
	ErrOwnPacket = errors.New("carp: packet sent by this host")

	// ErrBadTTL: TTL (hop limit) is not 255, so the packet may come from
	// off-link (RFC 5082-style protection).
	ErrBadTTL = errors.New("carp: TTL or hop limit is not 255")

	// ErrNotPeer: a unicast advert from an address that is not one of
	// the group's peers (Filter.Peers).
	ErrNotPeer = errors.New("carp: unicast advertisement from an address that is not a listed peer")

	// ErrBadVersion: the CARP version nibble is not 2.
	ErrBadVersion = errors.New("carp: CARP version is not 2")

	// ErrBadVHID: the advert is for another virtual host; normal on a
	// segment with several groups.
	ErrBadVHID = errors.New("carp: advertisement for another VHID")

	// ErrBadDestination: the destination is neither the expected group
	// nor one of the accepted unicast addresses.
	ErrBadDestination = errors.New("carp: destination is not the CARP group or an accepted unicast address")

	// ErrBadIPChecksum: the IPv4 header checksum is wrong.
	ErrBadIPChecksum = errors.New("carp: bad IPv4 header checksum")

	// ErrBadChecksum: the checksum over the 36 CARP bytes is wrong.
	ErrBadChecksum = errors.New("carp: bad CARP checksum")

	// ErrBadDigest: the HMAC-SHA1 digest does not match: another password,
	// VHID or VIP set, or a forged or altered advert.
	ErrBadDigest = errors.New("carp: digest mismatch (password, VHID, VIPs or secure mode differ, or the advert was altered)")

	// ErrReplay: a valid advert whose counter the group has accepted
	// from that source already (compatible mode: a repeat of a recent
	// one), or, in secure mode, not above the last one accepted from
	// that source: a replayed capture. The group's replay check returns
	// it, after Filter.
	ErrReplay = errors.New("carp: replayed advertisement (counter already seen from this source)")

	// ErrStale: in secure mode, a valid advert whose counter (the
	// sender's clock when it sent it) is farther from our clock than the
	// allowed skew: an old capture, or clocks too far apart.
	ErrStale = errors.New("carp: stale advertisement (secure mode: counter time too far from our clock)")
)

// carpDropReasons maps each drop error to its metric label.
var carpDropReasons = [...]struct {
	err   error
	label string
}{
	{ErrTooShort, "too_short"},
	{ErrBadIPHeader, "bad_ip_header"},
	{ErrNotCARP, "not_carp"},
	{ErrOwnPacket, "own_packet"},
	{ErrBadTTL, "bad_ttl"},
	{ErrNotPeer, "not_peer"},
	{ErrBadVersion, "bad_version"},
	{ErrBadVHID, "bad_vhid"},
	{ErrBadDestination, "bad_destination"},
	{ErrBadIPChecksum, "bad_ip_checksum"},
	{ErrBadChecksum, "bad_checksum"},
	{ErrBadDigest, "bad_digest"},
	{ErrReplay, "replay"},
	{ErrStale, "stale"},
}

// DropReasons returns every label DropReason can return for a non-nil
// error, "other" last, so that a metric can carry each from the start.
func DropReasons() []string {
	out := make([]string, 0, len(carpDropReasons)+1)
	for _, r := range carpDropReasons {
		out = append(out, r.label)
	}
	return append(out, "other")
}

// DropReason returns a stable, lower-case label for err suitable as a
// metric label: "too_short", "bad_ip_header", "not_carp", "own_packet",
// "bad_ttl", "not_peer", "bad_version", "bad_vhid", "bad_destination",
// "bad_ip_checksum", "bad_checksum", "bad_digest", "replay", "stale", or
// "other" for any other
// non-nil error. It returns "" for nil. Wrapped errors are recognised.
func DropReason(err error) string {
	if err == nil {
		return ""
	}
	for _, r := range carpDropReasons {
		if err == r.err {
			return r.label
		}
	}
	for _, r := range carpDropReasons {
		if errors.Is(err, r.err) {
			return r.label
		}
	}
	return "other"
}
