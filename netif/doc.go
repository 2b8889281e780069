// Package netif is the host side of CARP on Linux: it puts the virtual
// addresses (VIPs) on an interface while the node is MASTER, takes them off
// otherwise, and tells the protocol when the interface loses carrier.
//
// ucarp does none of this itself: its up and down scripts run "ip addr add"
// and "ip addr del", and nothing notices when someone deletes the VIP from a
// running master (ucarp issue #26). A VIPManager talks netlink directly,
// never blocks the protocol (SetMaster only records the wish and wakes the
// manager's goroutine), puts a VIP back as soon as the kernel reports it gone
// while MASTER, and rechecks every few seconds in case a notification was
// lost. VIPs are host addresses (/32, /128) unless configured otherwise; IPv6
// VIPs skip duplicate address detection so they are usable at once.
//
// WatchLink reports the interface's link state (up and running, that is
// with carrier) once and then on every flip, for the election's link-down
// and link-up events. InterfaceAddrs and FirstUsableInterface give the
// daemon its defaults.
//
// A daemon drives it like this:
//
//	m, err := netif.NewVIPManager(netif.VIPConfig{
//		Interface: "eth0",
//		VIPs:      []netip.Addr{netip.MustParseAddr("192.0.2.100")},
//		Logger:    logger,
//	})
//	if err != nil {
//		return err
//	}
//	g, ctx := errgroup.WithContext(ctx)
//	g.Go(func() error { return m.Run(ctx) }) // removes the VIPs when ctx ends
//	g.Go(func() error {
//		return netif.WatchLink(ctx, "eth0", nil, func(up bool) {
//			// feed election.EventLinkUp / EventLinkDown to the group
//		})
//	})
//	m.SetMaster(false) // start as BACKUP (omit for ucarp's --neutral)
//	// ... on every state transition of the group:
//	m.SetMaster(to == election.Master)
//
// Everything that needs netlink is Linux only; elsewhere it returns
// ErrNotImplemented. A Namespace (nil for the caller's own) lets tests work
// on interfaces inside a network namespace without moving threads.
package netif
