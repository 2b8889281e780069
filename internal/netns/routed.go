package netns

import "net/netip"

// The subnets of the two LANs of NewRoutedLANs, IPv4 and IPv6.
var (
	RoutedSubnets  = [2]netip.Prefix{netip.MustParsePrefix("198.51.100.0/24"), netip.MustParsePrefix("203.0.113.0/24")}
	RoutedSubnets6 = [2]netip.Prefix{netip.MustParsePrefix("2001:db8:1::/64"), netip.MustParsePrefix("2001:db8:2::/64")}
)

// RouterID is the host number of the router on both LANs of NewRoutedLANs:
// .254 and ::fe.
const RouterID = 254

// Routed is two LANs joined by a router namespace that forwards IPv4 and
// IPv6 between them, for peers on different subnets.
type Routed struct {
	// LANs are the two subnets, RoutedSubnets and RoutedSubnets6: host i
	// of LANs[k] has .(i+1) of RoutedSubnets[k] (Addr) and ::(i+1) of
	// RoutedSubnets6[k] (Addr6), and default routes of both families via
	// the router.
	LANs [2]*LAN
	// Router[k] is the router as a host of LANs[k]: one namespace, with
	// eth0 on LANs[0] and eth1 on LANs[1], each with host number RouterID
	// (.254, ::fe) and MAC 02:00:00:0k:00:fe. Neither is in LANs[k].Hosts.
	Router [2]*Host
}
