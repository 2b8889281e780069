// Package wire is CARP's codec: the only code in the project that knows
// byte offsets. It encodes and decodes the 36-byte advertisement and its
// IPv4 or IPv6 framing, and checks received packets in the order of spec
// §7, each rejection a distinct error (ErrBadTTL, ErrBadDigest, ...) that
// DropReason turns into a metric label. It sits below everything that
// handles packets: the election-driven Group (package carp) and the link
// shared by the groups of an interface (package link) both parse with it.
//
// The receive path allocates nothing:
//
//	signer, _ := hmac.NewSigner([]byte("secret"), 42, vips)
//	f := wire.Filter{VHID: 42, Local: []netip.Addr{self}, Signer: signer}
//	var p wire.Packet
//	handler := func(pkt []byte) {
//		if err := p.UnmarshalBinary(pkt); err != nil {
//			drops[wire.DropReason(err)]++
//			return
//		}
//		if err := f.Check(&p); err != nil {
//			drops[wire.DropReason(err)]++
//			return
//		}
//		// p.Advert is a valid advertisement from p.Src.
//	}
//
// and sending is
//
//	a := wire.Advert{Version: wire.Version, Type: wire.TypeAdvertisement,
//		VHID: 42, AuthLen: wire.AuthLen, AdvBase: 1,
//		Counter: n}
//	a.Sign(signer, self)
//	pkt, err := wire.AppendIPv4(buf[:0], self, wire.IPv4Group, id, &a)
//
// Not validated on receive, as ucarp and the BSDs do not validate them: the
// type nibble, authlen, the demote byte, the IPv4 TOS and total length, the
// counter, and bytes after the advert. The digest does not cover advbase,
// advskew, demote or authlen: anyone on the segment can rewrite them in a
// captured advert (spec §2). Secure mode (hmac.NewSecureSigner, between
// gocarp nodes only) covers them and the IP source; the counter checks
// (ErrReplay, ErrStale) are the group's, which has the state and the clock.
package wire
