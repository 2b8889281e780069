// Package hmac computes and checks the HMAC-SHA1 digest that authenticates
// CARP advertisements (spec §2), interoperable with ucarp and the OpenBSD and
// FreeBSD kernels.
//
// The digest is
//
//	HMAC-SHA1(password, 0x02 0x01 vhid || IPv4 VIPs || IPv6 VIPs || counter)
//
// with the IPv4 VIPs sorted ascending, the IPv6 VIPs sorted by bytes, each
// address once, and the 64-bit counter big-endian. The password is the key
// as given (1 to 19 bytes); nothing is derived from it, so a weak password
// can be brute-forced offline from a single captured advertisement.
//
// Only the counter changes from one advertisement to the next, so a Signer
// prepares everything else once; Sign and Verify allocate nothing:
//
//	s, err := hmac.NewSigner([]byte("secret"), 42, []netip.Addr{vip})
//	if err != nil {
//		return err
//	}
//	digest := s.Sign(counter)            // to send
//	ok := s.Verify(rxCounter, rxDigest)  // on receive, constant time
//
// Link-local IPv6 VIPs: FreeBSD hashes them, OpenBSD sends a digest without
// them and accepts either. Signer does what OpenBSD does.
//
// Secure mode (NewSecureSigner), for clusters of gocarp only, keys an
// HMAC-SHA256 with a key derived from the password (HKDF) and covers the
// whole header (advbase, advskew, demote, version, type), the advert's
// source address and the counter too, truncated to the same 20 bytes:
// SignFields and VerifyFields. ucarp and the BSDs refuse its adverts, and
// it refuses theirs.
package hmac
