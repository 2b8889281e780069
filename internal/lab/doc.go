// Package lab is carpd lab: a small CARP LAN in Linux network namespaces for
// newcomers, and the namespace plumbing (LAN, Process, Ping) that the
// failover benchmark in scripts/failover-bench reuses.
//
// Run builds a bridge namespace (a Linux bridge with multicast snooping off),
// three node namespaces A, B and C (198.51.100.1-3) and a client
// (198.51.100.50), runs carpd on the nodes for the VIP 198.51.100.100 (vhid
// 42; A -k 0 -P, B -k 50, C -k 100; all --manage-vips -z), and prints a
// timeline: the election, the client reaching the VIP, the master dying
// (SIGKILL and its cable pulled), the VIP moving, the master coming back and
// preempting, and a planned handover. The namespaces all start with Prefix;
// Run removes them at the end, on context cancellation (Ctrl-C) and on
// failure, and removes the leftovers of a crashed run before it starts.
//
// The plumbing shells out to ip(8): it is what a newcomer would type, and the
// lab prints the same commands to try by hand.
//
//	if err := lab.Check(); err != nil { // root and ip(8)?
//		return err
//	}
//	lan, err := lab.NewLAN(ctx, "demo-", []lab.Host{
//		{Name: "a", Addr: netip.MustParsePrefix("198.51.100.1/24"), MAC: macA},
//		{Name: "b", Addr: netip.MustParsePrefix("198.51.100.2/24"), MAC: macB},
//	})
//	if err != nil {
//		return err
//	}
//	defer lan.Close() // kills what runs inside, deletes the namespaces
//	p, err := lab.StartProcess(lan.Namespace("a"), "A", []string{"/usr/sbin/carpd", "-i", "eth0"}, func(line string) { log.Print(line) })
//	...
//	lan.SetPortUp(ctx, "a", false) // pull a's cable
//	rtt, err := lab.Ping(ctx, lan.Namespace("b"), netip.MustParseAddr("198.51.100.1"), time.Second)
package lab
