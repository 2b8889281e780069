// Package carp speaks the Common Address Redundancy Protocol the way ucarp
// 1.5.2 and the OpenBSD and FreeBSD kernels do.
//
// A Group runs one virtual host: the election (package election), its
// timers, the adverts it sends and checks (with the codec in package wire)
// over a transport, and the callbacks. Groups on one interface can share a
// link (package link): one socket, one parse per packet.
//
// A Group is what an application embeds. On Linux, package carpnet
// builds it on a real interface in one call (socket, announcements,
// carrier, managed VIPs); here it is over any transport:
//
//	g, err := carp.New(carp.Config{
//		Interface: "eth0",
//		VHID:      42,
//		VIPs:      []netip.Addr{vip},
//		Password:  []byte("secret"),
//		Source:    self,          // this host's real IPv4 address
//		AdvSkew:   100,           // a backup; lower is preferred
//		Transport: port,          // a link's port, a memnet port, ...
//		OnMaster:  func(t carp.Transition) { ... },
//		OnBackup:  func(t carp.Transition) { ... },
//		WhileMaster: func(ctx context.Context, t carp.Transition) {
//			serve(ctx)            // ctx ends when mastership does
//		},
//	})
//	if err != nil { ... }         // a *ConfigError naming the field
//	err = g.Run(ctx)              // until ctx ends, then bows out
//
// Transitions describe themselves (interface, vhid, VIPs, the master
// heard, the reason) and encode as names in JSON and slog; Subscribe
// gives them on a channel for code that selects over several sources.
//
// Every protocol step happens under one mutex, entered from the
// transport's handler, the clock's timers and the API (State, Stats,
// BowOut, SetDemote, SetLink). Actions come from package election; the
// Group turns them into adverts, announcements and transitions.
// Callbacks run in order on a goroutine of the group's own, so a slow one
// never delays an advert. With a virtual clock and an in-memory network
// (transport/memnet) a cluster of groups runs deterministically in one
// goroutine, and the clock waits for the callbacks: a test of an
// application reads their effects right after RunFor (see
// Example_serveWhileMaster, examples/failover and the simulation in
// sim_test.go).
//
// A planned handover (BowOut, and Shutdown of a MASTER) is make before
// break: the group sends the bow-out advert, on which a backup takes over
// at once, and keeps serving as MASTER (Stats.Leaving) until the new
// master's first advert; only then does it report MASTER → BACKUP, so a
// client sees the new master's gratuitous ARP and no gap. The wait is
// bounded by the group's master-down interval (see BowOut and Shutdown).
//
// Run behaves as http.Server.Serve: it returns when the group stops, nil
// after the graceful shutdown its ctx asked for, ErrStopped when Shutdown
// or Close stopped it from elsewhere. A group ends in StateStopped; a
// MASTER that stops calls OnBackup with ReasonStopped, so an application
// never keeps serving after its group is gone.
package carp
