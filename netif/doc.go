// Package netif is the host side of CARP on Linux: it puts virtual addresses
// (VIPs) on an interface and takes them off, and reports what the interface
// is doing: its carrier, its addresses, whether it forwards.
//
// ucarp does none of this itself: its up and down scripts run "ip addr add"
// and "ip addr del", and nothing notices when someone deletes the VIP from a
// running master (ucarp issue #26).
//
// A VIPManager serves one interface and any number of VIP sets on it, one
// per CARP group, with one goroutine and one netlink subscription. A set's
// VIPs are on the interface while its owner says MASTER (VIPSet.SetMaster,
// which never blocks) and off it otherwise; a VIP deleted by someone else
// while MASTER is put back as soon as the kernel reports it gone, and a
// periodic resync catches notifications the kernel dropped. Each VIP carries
// its prefix length (198.51.100.100/24 gets its connected route, as a
// script's "ip addr add" would give it); IPv6 VIPs skip duplicate address
// detection so they are usable at once.
//
// WatchLink reports the interface's link state (up and running, that is
// with carrier) once and then on every flip; LinkUp reads it once.
// WatchAddrs reports the interface's addresses, each with whether it is
// usable yet (IPv6 duplicate address detection over), once and then on every
// change. Forwarding reads whether the interface forwards, which sets the
// Router flag of IPv6 neighbour advertisements. InterfaceAddrs lists the
// IPv4 and link-local IPv6 addresses through the net package.
//
// One manager per interface, one set per group:
//
//	m, err := netif.NewVIPManager(netif.VIPConfig{Interface: "eth0", Logger: logger})
//	if err != nil {
//		return err
//	}
//	set, err := m.Add([]netip.Prefix{netip.MustParsePrefix("192.0.2.100/24")})
//	if err != nil {
//		return err
//	}
//	go m.Run(ctx)         // takes the VIPs off when ctx ends
//	set.SetMaster(false)  // BACKUP: VIPs off
//	set.SetMaster(true)   // MASTER: VIPs on, returns at once
//	set.Remove()          // the group is gone: VIPs off, set forgotten
//
// Everything that needs netlink is Linux only; elsewhere it returns
// ErrNotImplemented. A Namespace (nil for the caller's own) lets tests work
// on interfaces inside a network namespace without moving threads.
package netif
