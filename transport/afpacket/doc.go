// Package afpacket is the transport.Transport for real Ethernet interfaces on
// Linux: one AF_PACKET socket (github.com/mdlayher/packet) that sends whole
// frames and receives CARP packets of both IP versions.
//
// Sending: the group hands Send a complete IP packet; Send puts an Ethernet
// header in front. The destination follows the IP destination: 01:00:5e plus
// the low 23 bits of an IPv4 group, 33:33 plus the low 32 bits of an IPv6
// group, or ff:ff:ff:ff:ff:ff for everything with Config.NoMulticast (ucarp
// --nomcast, which keeps the IP multicast destination). The source is the
// interface's MAC unless Config.SourceMAC says otherwise (VirtualMAC gives
// ucarp's and the BSDs' virtual MACs). Unicast IP destinations need neighbour
// resolution and are refused for now (ErrUnicastDestination). Without carrier
// Send returns transport.ErrLinkDown and sends nothing.
//
// Receiving: a classic BPF filter, attached before the socket is bound,
// passes only IPv4 protocol 112 and IPv6 next header 112 in untagged frames
// that the kernel received for this host; it drops our own transmissions
// (PACKET_OUTGOING, so a Conn never hears itself or another Conn on the same
// interface), frames for other hosts seen in promiscuous mode, and
// VLAN-tagged frames (a VLAN sub-interface's own Conn gets those, untagged).
// IPv6 packets with extension headers before CARP and non-first IPv4
// fragments are not CARP as any peer sends it and are dropped too. One
// goroutine reads and calls the Handler with the IP packet (Ethernet header
// and padding removed), one call at a time.
//
// Multicast membership: the groups (Config.Groups, default 224.0.0.18) are
// joined through the IP stack on raw IP sockets of protocol 112, so the
// kernel sends IGMP/MLD reports that snooping switches need and opens the
// NIC's multicast filter. Those sockets carry a reject-all filter, attached
// before they are bound, so they never queue a packet; closing them leaves
// the groups.
//
// Everything a Conn opens belongs to the network namespace of the thread that
// called Listen, and keeps answering about that namespace (Addrs included)
// whatever goroutine uses it later.
//
// Use:
//
//	c, err := afpacket.Listen(afpacket.Config{
//		Interface: "eth0",
//		Groups:    []netip.Addr{wire.IPv4Group},
//	})
//	if err != nil {
//		return err // os.ErrPermission without CAP_NET_RAW
//	}
//	defer c.Close() // returns after the handler's last call
//	err = c.Listen(func(pkt []byte) {
//		var p wire.Packet
//		if p.UnmarshalBinary(pkt) == nil {
//			events <- p
//		}
//	})
//	...
//	err = c.Send(advert) // a full IPv4 packet to 224.0.0.18
//
// On other operating systems Listen returns ErrNotImplemented.
package afpacket
