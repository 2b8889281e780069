// Package netns is a test harness that builds a small Ethernet LAN out of
// Linux network namespaces, so that integration tests can run raw sockets,
// real daemons and tcpdump against real kernel links without touching the
// machine's own interfaces.
//
// A LAN is one bridge namespace holding a Linux bridge (multicast snooping and
// VLAN filtering off, so it floods like a dumb switch) and n host namespaces,
// each with an eth0 veth whose peer is a port of the bridge. Host i (0-based)
// has the MAC 02:00:00:00:XX:YY with XXYY = i+1, the address 198.51.100.(i+1)/24
// and a kernel-made IPv6 link-local address that is usable at once (duplicate
// address detection is off on eth0). Namespace names carry a random suffix, so
// test binaries running in parallel do not collide. Everything is removed in
// t.Cleanup, also when the test fails: processes started through Command are
// killed first, then the namespaces are deleted.
//
// NewRoutedLANs builds two such LANs and a router namespace between them, for
// peers on different subnets: the first LAN is 198.51.100.0/24 and
// 2001:db8:1::/64, the second 203.0.113.0/24 and 2001:db8:2::/64, host i has
// .(i+1) and ::(i+1) (Host.Addr, Host.Addr6) and default routes of both
// families via the router, which has .254 and ::fe on each LAN (eth0 on the
// first, eth1 on the second) and forwards both families. Routed.Router holds
// the router as a Host of each LAN, so the usual methods work on either of
// its interfaces. A packet between the LANs crosses one hop: its TTL or hop
// limit arrives one lower.
//
//	r := netns.NewRoutedLANs(t, "peer", 1)
//	a, b := r.LANs[0].Hosts[0], r.LANs[1].Hosts[0] // 198.51.100.1, 203.0.113.1
//
// The tests need root (and the ip command); Available skips them otherwise:
//
//	func TestTwoHosts(t *testing.T) {
//		netns.Available(t)
//		lan := netns.NewLAN(t, "demo", 2)
//		a, b := lan.Hosts[0], lan.Hosts[1]
//		a.Run(t, func() {
//			// This goroutine's OS thread is inside a's namespace: sockets
//			// opened here belong to it, and stay there after fn returns.
//		})
//		out := b.Exec(t, "ip", "-br", "addr", "show", "dev", "eth0")
//		_ = out
//		a.SetPortUp(false) // pull a's cable: eth0 loses carrier
//	}
package netns
