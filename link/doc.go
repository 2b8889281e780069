// Package link shares one interface among every CARP group on it.
//
// A Link owns the interface's transport (one socket per address family at
// most), parses each received packet once with package wire, drops what
// belongs to nobody (our own packets, a bad TTL on a multicast advert, a
// foreign CARP version, a vhid no group runs) and counts it once, and hands
// the rest to the Port of the packet's vhid. A Port is a non-owning
// transport.Transport for one carp.Group: closing it detaches the group and
// leaves the socket to the others.
//
// The link also keeps what is the interface's rather than a group's: its
// addresses, which come and go (SetAddrs; the own-packet filter follows
// them), its carrier (SetCarrier, fanned out to every port's group through
// transport.CarrierNotifier), and one Announcer for everyone.
//
// The same code runs over a raw socket (transport/afpacket) and over the
// in-memory LAN (transport/memnet):
//
//	l, err := link.New(link.Config{Interface: "eth0", Transport: conn})
//	if err != nil { ... }
//	defer l.Close() // closes conn too
//	for _, vhid := range []uint8{1, 2, 3} {
//		port, err := l.Port(vhid)
//		if err != nil { ... } // ErrVHIDInUse
//		g, err := carp.New(carp.Config{VHID: vhid, Transport: port, ...})
//		...
//	}
//
// A carp.Group given a Port receives the packet the link parsed: nothing
// is parsed twice, and a received advert allocates nothing on the way.
package link
