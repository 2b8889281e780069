// Package transport defines how a CARP group sends and receives its packets,
// and the clock it reads, without saying how: implementations are an
// in-memory simulated link (package memnet) for tests and a raw socket on a
// real interface (package afpacket).
//
// A Transport moves whole IP packets. The group builds the IP header itself
// (wire.AppendIPv4/AppendIPv6) and hands the bytes to Send; the transport
// frames them for the link. Received packets of protocol 112 arrive at the
// Handler given to Listen, one at a time. Extras that only some transports
// can offer are optional add-on interfaces, discovered by type assertion
// (Addresser).
//
// Time flows through a Clock, so the same group code runs on SystemClock in
// production and on a deterministic virtual clock in tests.
//
// A driver looks like this:
//
//	var tr transport.Transport = ... // memnet port, afpacket conn, ...
//	err := tr.Listen(func(pkt []byte) {
//		// pkt is valid only during the call; copy what you keep.
//		var p wire.Packet
//		if p.UnmarshalBinary(pkt) == nil {
//			events <- p // p holds no reference to pkt
//		}
//	})
//	...
//	stop := clock.AfterFunc(time.Second, func() {
//		if err := tr.Send(advert); errors.Is(err, transport.ErrLinkDown) {
//			// count it, tell the state machine
//		}
//	})
//	defer stop()
//	defer tr.Close() // after Close returns the handler is not called again
//
// Package transporttest holds the conformance suite every Transport must
// pass.
package transport
