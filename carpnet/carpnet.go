// Package carpnet runs CARP groups on a real network interface: one call
// opens the interface (its raw socket, shared by every group on it through
// a link, its announcer for gratuitous ARP and neighbour advertisements,
// its VIP manager) and one call per group gives a carp.Group wired to
// all of it, with its advert sources taken from the interface. Run
// follows the interface's carrier and addresses for every group.
//
//	ifc, err := carpnet.Open(carpnet.Config{Interface: "eth0", Logger: log})
//	if err != nil { ... }              // says what is missing (CAP_NET_RAW...)
//	defer ifc.Close()
//	g, err := ifc.NewGroup(carp.Config{
//		VHID:     42,
//		VIPs:     []netip.Addr{netip.MustParseAddr("198.51.100.100")},
//		Password: []byte("secret"),
//		OnMaster: func(t carp.Transition) { ... },
//	}, carpnet.ManageVIPs)
//	if err != nil { ... }
//	go ifc.Run(ctx)                    // carrier, addresses, VIPs
//	err = g.Run(ctx)
//
// The pieces stay usable one by one: Link, Announcer and the packages
// below (transport/afpacket, link, arp, netif) are what Open puts
// together. Linux only: elsewhere Open returns an error.
package carpnet

import (
	"errors"
	"log/slog"
	"net"
	"net/netip"
	"time"

	"github.com/gocarp/gocarp/netif"
)

// ErrNoInterface is returned by Open without Config.Interface.
var ErrNoInterface = errors.New("carpnet: no interface")

// Config configures an Interface.
type Config struct {
	// Interface names the network interface, e.g. "eth0". Required.
	Interface string
	// Groups are the multicast groups joined: 224.0.0.18 and ff02::12
	// when empty.
	Groups []netip.Addr
	// SourceMAC is the Ethernet source of adverts: the interface's own
	// when nil (virtual switches often drop others).
	SourceMAC net.HardwareAddr
	// NoMulticast sends adverts to the Ethernet broadcast address and
	// joins no group (ucarp's --nomcast).
	NoMulticast bool
	// IgnoreCarrier keeps the groups running whatever the carrier
	// (ucarp's -S); by default a carrier loss sends them to INIT.
	IgnoreCarrier bool
	// Reserved lists addresses that are never chosen as an advert source
	// though they may sit on the interface: the VIPs of groups not made
	// yet (a VIP left behind by a crash is not this host's address). The
	// VIPs of the groups made so far are reserved anyway.
	Reserved []netip.Addr
	// ResyncInterval is how often the VIP manager compares the
	// interface's addresses with what it wants even without a netlink
	// notification: netif.DefaultResyncInterval when zero.
	ResyncInterval time.Duration
	// Namespace is the network namespace of the interface, for the
	// netlink work Run does from goroutines of its own; nil means the
	// caller's. Open itself opens its sockets in the calling thread's
	// namespace.
	Namespace *netif.Namespace
	// Logger receives the interface's logs; nothing is logged when nil.
	Logger *slog.Logger
}

// GroupOption changes how NewGroup wires a group.
type GroupOption func(*groupOptions)

type groupOptions struct {
	manage   bool
	prefixes []netip.Prefix
	carrier  bool
}

// ManageVIPs makes the interface add the group's VIPs while it is MASTER
// and remove them otherwise (and when Run ends), as host addresses; IPv6
// ones without duplicate address detection, so that they answer at once.
func ManageVIPs(o *groupOptions) { o.manage = true }

// VIPPrefixes manages the VIPs with these prefixes (198.51.100.100/24
// adds the connected route): each must be a VIP of the group. Implies
// ManageVIPs.
func VIPPrefixes(p ...netip.Prefix) GroupOption {
	return func(o *groupOptions) {
		o.manage = true
		o.prefixes = append(o.prefixes, p...)
	}
}

// IgnoreCarrier keeps this group running whatever the interface's carrier.
func IgnoreCarrier(o *groupOptions) { o.carrier = false }
