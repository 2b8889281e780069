// Package inspect is the engine of "carpd inspect": it decodes every CARP
// advertisement in a capture file or live on an interface, checks it, and
// prints one line per packet. It is the tool for peers that flap with "bad
// digest": it shows which checksum is wrong, and whether the digest matches
// a given password and VIP set.
//
// Each advert is checked for its IPv4 header checksum and CARP checksum
// (cksum ok, or which one is bad), and, given the password (-p) and every
// virtual address of the group (-a, repeated: the HMAC covers all of them,
// sorted, as the BSD kernels hash them), for its digest: auth ok for
// CARP's HMAC-SHA1 (ucarp, the BSDs), secure for gocarp's secure mode
// (hmac.NewSecureSigner, which only gocarp accepts), bad for neither.
// Without a password, or without the VIPs, auth is "unchecked".
// Other packets in the capture are counted and skipped; a protocol-112
// packet that is no decodable advert (too short, a VRRP packet, a cut
// capture) gets a "CARP malformed" line with the reason.
//
// Captures: pcap or pcapng, possibly gzipped, with Ethernet (VLAN tags
// skipped), Linux cooked (SLL, SLL2: tcpdump -i any), raw IP or BSD
// loopback framing. Live capture (Linux) uses a cooked AF_PACKET socket
// with a kernel BPF filter for protocol 112.
//
// A text line:
//
//	2026-11-22T01:26:21.059501Z 198.51.100.1 > 224.0.0.18 ttl 255 CARPv2 advert vhid 42 advbase 1 advskew 0 demote 0 counter 26e344cb103b71b0 cksum ok auth ok
//
// With --json each line is an object with exactly the keys time, src, dst,
// ttl, version, type, vhid, advbase, advskew, demote, counter, cksum_ok and
// auth (plus "malformed", with the reason, for a malformed packet).
//
// How cmd/carpd drives it:
//
//	opts, file, iface, err := inspect.ParseArgs(os.Args[2:], os.Getenv)
//	if errors.Is(err, inspect.ErrHelp) {
//		fmt.Print(inspect.Usage)
//		return 0
//	}
//	if err != nil {
//		fmt.Fprintln(os.Stderr, err)
//		return 1
//	}
//	if iface != "" {
//		ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt)
//		defer cancel()
//		err = inspect.Live(ctx, iface, opts, os.Stdout)
//	} else {
//		in := os.Stdin
//		if file != "-" {
//			in, err = os.Open(file) // error handling elided
//		}
//		var sum inspect.Summary
//		sum, err = inspect.ReadPcap(in, opts, os.Stdout)
//		fmt.Fprintln(os.Stderr, sum)
//	}
package inspect
