// Package afpacket is the transport.Transport for real Ethernet interfaces on
// Linux: one AF_PACKET socket (github.com/mdlayher/packet) that sends whole
// frames and receives CARP packets of both IP versions, and raw IP sockets
// that send to unicast peers through the kernel's routing.
//
// Sending: the group hands Send a complete IP packet; its IP destination
// decides the way.
//
// A multicast destination (or 255.255.255.255) is framed as it is: Send puts
// an Ethernet header in front, to 01:00:5e plus the low 23 bits of an IPv4
// group, 33:33 plus the low 32 bits of an IPv6 group, or ff:ff:ff:ff:ff:ff
// for every multicast destination with Config.NoMulticast (ucarp --nomcast,
// which keeps the IP multicast destination). The source is the interface's
// MAC unless Config.SourceMAC says otherwise (VirtualMAC gives ucarp's and
// the BSDs' virtual MACs).
//
// A unicast destination (a peer, spec §6) is routed by the kernel, so a peer
// on another subnet is reached through its router and the kernel resolves
// the next hop's MAC (Config.SourceMAC does not apply). Send strips the IP
// header and writes the payload on the raw socket of its family; the kernel
// writes the new header: the packet's own source (IP_PKTINFO/IPV6_PKTINFO;
// an unspecified source lets the kernel pick), TTL or hop limit 255, TOS or
// traffic class 0x10, DF as the kernel sets it; IPv4 options are not
// carried. Only unfragmented protocol 112 without extension headers is
// accepted that way (ErrBadPacket otherwise). An IPv6 packet from or to a
// link-local address, which carries no zone, leaves through the Conn's
// interface. A peer the kernel has no route to, or a source address that is
// not the host's, is ErrNoRoute, naming the destination. A peer behind a
// router receives the advert with TTL 254 or less, so its receiver must skip
// the TTL check for unicast peers (spec §6, carp.Filter.SkipTTL).
//
// Either way, without carrier on the Conn's interface Send returns
// transport.ErrLinkDown and sends nothing.
//
// Receiving: a classic BPF filter, attached before the socket is bound,
// passes only IPv4 protocol 112 and IPv6 next header 112 in untagged frames
// that the kernel received for this host (unicast to its MAC, routed or not,
// as well as broadcast and multicast); it drops our own transmissions
// (PACKET_OUTGOING, so a Conn never hears itself or another Conn on the same
// interface), frames for other hosts seen in promiscuous mode, and
// VLAN-tagged frames (a VLAN sub-interface's own Conn gets those, untagged).
// IPv6 packets with extension headers before CARP and non-first IPv4
// fragments are not CARP as any peer sends it and are dropped too. One
// goroutine reads and calls the Handler with the IP packet (Ethernet header
// and padding removed), one call at a time.
//
// Multicast membership: the groups (Config.Groups, default 224.0.0.18; none
// with NoMulticast) are joined through the IP stack on the raw IP sockets of
// protocol 112, so the kernel sends IGMP/MLD reports that snooping switches
// need and opens the NIC's multicast filter. Both sockets (IPv4 and IPv6; the
// IPv6 one is skipped where IPv6 is disabled) are open in every Conn: they
// send unicast, and while one is open the kernel does not answer received
// unicast CARP with ICMP protocol unreachable. They carry a reject-all
// filter, attached before they are bound, so they never queue a packet;
// closing them leaves the groups.
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
//	err = c.Send(toPeer) // or to a unicast peer, routed by the kernel
//
// On other operating systems Listen returns ErrNotImplemented.
package afpacket
