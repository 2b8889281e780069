// Package arp tells the segment where the virtual addresses now live, as a
// new CARP master must (spec §5): a gratuitous ARP per IPv4 VIP and an
// unsolicited neighbour advertisement per IPv6 VIP.
//
// The gratuitous ARP is ucarp's, byte for byte: an ARP request
// (github.com/mdlayher/arp) to ff:ff:ff:ff:ff:ff whose sender and target are
// both (MAC, VIP). Linux hosts update an existing entry for the VIP from it
// (and create one only with arp_accept). The neighbour advertisement is the
// BSDs': to ff02::1 with the Override flag (and the Router flag on request),
// the VIP as target and source, and the target link-layer address option.
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
//	// on becoming master:
//	if err := ann.Announce(vips); err != nil {
//		log.Warn("announce", "err", err)
//	}
package arp
