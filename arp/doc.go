// Package arp tells the segment where the virtual addresses now live, as a
// new CARP master must (spec §5): a gratuitous ARP per IPv4 VIP and an
// unsolicited neighbour advertisement per IPv6 VIP.
//
// The gratuitous ARP is ucarp's, byte for byte: an ARP request
// (github.com/mdlayher/arp) to ff:ff:ff:ff:ff:ff whose sender and target are
// both (MAC, VIP). Linux hosts update an existing entry for the VIP from it
// (and create one only with arp_accept). The neighbour advertisement is the
// BSDs': to ff02::1 with the Override flag (and the Router flag on request),
// the VIP as target, the target link-layer address option, and as source the
// address the caller names (the interface's link-local one) or else the VIP.
// github.com/mdlayher/ndp marshals the ICMPv6 message and its checksum; the
// Ethernet and IPv6 headers are built here, since the frame goes out of an
// AF_PACKET socket with the announced MAC as its source.
//
// GratuitousARP and NeighborAdvertisement build the frames without any I/O;
// an Announcer sends them on one interface through an AF_PACKET socket
// (Linux only; NewAnnouncer returns ErrNotImplemented elsewhere). How often to
// announce is the caller's policy: ucarp sends one on becoming master and one
// more two adverts later; keepalived sends bursts.
//
//	ann, err := arp.NewAnnouncer("eth0", nil) // nil: the interface's MAC
//	if err != nil {
//		return err // os.ErrPermission without CAP_NET_RAW
//	}
//	defer ann.Close()
//	ann.Source = linkLocal // optional: the NA's IPv6 source
//	// on becoming master:
//	ann.Router = forwarding // net.ipv6.conf.eth0.forwarding, read now
//	if err := ann.Announce(vips); err != nil {
//		log.Warn("announce", "err", err)
//	}
package arp
