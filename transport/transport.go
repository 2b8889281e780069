package transport

import (
	"errors"
	"net/netip"
)

// Handler receives one IP packet (IPv4 or IPv6 header + payload).
//
// pkt is only valid during the call: the transport may reuse the buffer for
// the next packet, so a handler that keeps the bytes must copy them. A
// transport calls its handler from one goroutine at a time, never
// concurrently, and never again once Close has returned.
type Handler func(pkt []byte)

// Transport carries CARP packets over one link.
//
// Concurrency contract, which every implementation honours and the
// conformance suite in package transporttest checks:
//   - Send is safe for concurrent use, also concurrently with Listen and Close.
//   - The Handler given to Listen is never called concurrently with itself.
//   - After Close returns, the Handler is never called again; packets still in
//     flight to a closed transport are dropped.
//   - Send on a closed transport returns an error matching ErrClosed.
//   - Listen may be called once; a second call returns an error
//     (ErrAlreadyListening by convention).
//   - Close is idempotent.
type Transport interface {
	// Send transmits one full IP packet. The transport adds link framing,
	// taking the destination from the IP header. Send does not retain pkt
	// after it returns, so the caller may reuse the buffer at once.
	Send(pkt []byte) error
	// Listen starts delivering received IP packets of protocol 112 to h.
	Listen(h Handler) error
	// Close stops the transport. After Close returns h is never called again.
	Close() error
}

// Addresser is an optional add-on interface: a transport that knows the
// addresses of its local interface reports them, so that the group above can
// drop its own packets when the link loops them back. Check for it with a type
// assertion; a transport that does not implement it never delivers its own
// packets.
type Addresser interface {
	// Addrs returns the local addresses of the link. The caller must not
	// modify the returned slice.
	Addrs() []netip.Addr
}

var (
	// ErrClosed is returned by Send (and Listen) on a closed transport.
	ErrClosed = errors.New("transport: closed")
	// ErrAlreadyListening is returned by a second call to Listen.
	ErrAlreadyListening = errors.New("transport: already listening")
	// ErrLinkDown is returned by Send when the link has no carrier. The group
	// counts it as a send error; the packet was not transmitted.
	ErrLinkDown = errors.New("transport: link down")
)

// CarrierNotifier is an optional add-on interface: a transport that learns
// its interface's carrier (a link's port, fed by a carrier watcher) tells
// the group above, which then goes to INIT on loss and back to BACKUP on
// return. Check for it with a type assertion.
type CarrierNotifier interface {
	// NotifyCarrier registers fn, replacing any earlier one. fn is called
	// on every change of carrier, and at once, from NotifyCarrier's own
	// goroutine, when the carrier is known to be down. fn must not block,
	// and must not call back into the transport.
	NotifyCarrier(fn func(up bool))
}
