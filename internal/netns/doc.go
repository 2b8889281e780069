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
