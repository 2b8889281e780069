// Package carp speaks the Common Address Redundancy Protocol the way ucarp
// 1.5.2 and the OpenBSD and FreeBSD kernels do.
//
// It has two parts. The codec (Advert, Packet, Filter, AppendIPv4,
// AppendIPv6, Checksum) is the only code in the project that knows byte
// offsets: it encodes and decodes the 36-byte advertisement and its IPv4
// or IPv6 framing, and checks received packets in the order of spec §7,
// each rejection a distinct error (ErrBadTTL, ErrBadDigest, ...) that
// DropReason turns into a metric label. The Group (New) runs one virtual
// host on top of it: the election, timers, transport and callbacks.
//
// The receive path allocates nothing:
//
//	signer, _ := hmac.NewSigner([]byte("secret"), 42, vips)
//	f := carp.Filter{VHID: 42, Local: []netip.Addr{self}, Signer: signer}
//	var p carp.Packet
//	handler := func(pkt []byte) {
//		if err := p.UnmarshalBinary(pkt); err != nil {
//			drops[carp.DropReason(err)]++
//			return
//		}
//		if err := f.Check(&p); err != nil {
//			drops[carp.DropReason(err)]++
//			return
//		}
//		// p.Advert is a valid advertisement from p.Src.
//	}
//
// and sending is
//
//	a := carp.Advert{Version: carp.Version, Type: carp.TypeAdvertisement,
//		VHID: 42, AuthLen: carp.AuthLen, AdvBase: 1,
//		Counter: n, Digest: signer.Sign(n)}
//	pkt, err := carp.AppendIPv4(buf[:0], self, carp.IPv4Group, id, &a)
//
// A Group is what an application embeds:
//
//	g, err := carp.New(carp.Config{
//		Interface: "eth0",
//		VHID:      42,
//		VIPs:      []netip.Addr{vip},
//		Password:  []byte("secret"),
//		Source:    self,          // this host's real IPv4 address
//		AdvSkew:   100,           // a backup; lower is preferred
//		Transport: conn,          // afpacket.Listen(...), or a memnet port
//		OnMaster:  func(t carp.Transition) { ... },
//		OnBackup:  func(t carp.Transition) { ... },
//	})
//	if err != nil { ... }         // wraps ErrConfig and names the field
//	err = g.Run(ctx)              // until ctx ends, then bows out
//
// Every protocol step happens under one mutex, entered from the
// transport's handler, the clock's timers and the API (State, Stats,
// BowOut, SetDemote, SetLink). Actions come from package election; the
// Group turns them into adverts, announcements and transitions.
// Callbacks run in order on a goroutine of the group's own, so a slow one
// never delays an advert. With a virtual clock and an in-memory network
// (transport/memnet) a cluster of groups runs deterministically in one
// goroutine: see examples/failover and the simulation in sim_test.go.
//
// Not validated on receive, as ucarp and the BSDs do not validate them: the
// type nibble, authlen, the demote byte, the IPv4 TOS and total length, the
// counter, and bytes after the advert. The digest does not cover advbase,
// advskew, demote or authlen: anyone on the segment can rewrite them in a
// captured advert (spec §2).
package carp
