// Package gocarp is the root of gocarp, a Go library and daemon for
// virtual-IP failover with CARP, the Common Address Redundancy Protocol, as
// ucarp and the OpenBSD and FreeBSD kernels speak it.
//
// The packages, from the wire up (nothing imports what is above it):
//
//   - hmac: CARP's HMAC-SHA1 digest, precomputed per group, allocation-free.
//   - wire: the advert codec and receive validation, the only code that
//     knows byte offsets.
//   - election: the pure state machine (INIT, BACKUP, MASTER): events and
//     time in, actions out, no I/O and no clock of its own.
//   - transport: the packet interface and the clock; transport/memnet is a
//     deterministic in-memory LAN with a virtual clock, transport/afpacket
//     the Linux raw-socket implementation.
//   - carp: Group, the failover group an application embeds, with
//     callbacks on MASTER and BACKUP transitions.
//   - link: one interface shared by every group on it, each packet parsed
//     once and handed to its vhid's port.
//   - arp: gratuitous ARP and IPv6 unsolicited neighbour advertisements.
//   - netif: Linux addresses and carrier through netlink (the VIPs).
//   - carpnet: CARP on a real Linux interface in one call: the socket, the
//     link, the announcer and the VIP manager, wired to each group.
//   - cmd/carpd: the daemon, a drop-in for ucarp's command line, and a
//     config file for every group of a host.
//
// Start with the README, and run the demo: go run ./examples/failover
package gocarp
