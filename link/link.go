package link

import (
	"errors"
	"fmt"
	"net/netip"
	"sync"
	"sync/atomic"

	"github.com/gocarp/gocarp/transport"
	"github.com/gocarp/gocarp/wire"
)

var (
	// ErrVHIDInUse is returned by Port for a vhid that already has an open
	// port on the link.
	ErrVHIDInUse = errors.New("link: vhid already in use on this link")
	// ErrNoTransport is returned by New without a Transport.
	ErrNoTransport = errors.New("link: no transport")
)

// Config configures a Link.
type Config struct {
	// Interface names the interface, for logs and errors.
	Interface string
	// Transport is the interface's socket. Required. The link owns it from
	// New on and closes it in Close.
	Transport transport.Transport
}

// Stats counts what a link received.
type Stats struct {
	// Received counts packets read from the transport.
	Received uint64
	// Delivered counts packets handed to a port.
	Delivered uint64
	// Dropped counts packets dropped on the link, before any group saw
	// them, by wire.DropReason: "own_packet", "bad_ttl", "bad_version",
	// "bad_vhid" (no group runs that vhid), and the parse errors.
	Dropped map[string]uint64
}

// Link is one interface shared by the groups on it. Its methods are safe
// for concurrent use.
type Link struct {
	name string
	tr   transport.Transport

	mu sync.Mutex
	// ports by vhid: written under mu, read without it by receive.
	ports   [256]atomic.Pointer[Port]
	carrier carrierState
	closed  bool

	local atomic.Pointer[[]netip.Addr]

	// Written by receive only, which the transport never runs
	// concurrently with itself.
	pkt                 wire.Packet
	received, delivered atomic.Uint64
	dropped             [dropSlots]atomic.Uint64
	listenOnce          sync.Once
	listenErr           error
}

type carrierState uint8

const (
	carrierUnknown carrierState = iota
	carrierUp
	carrierDown
)

// The drops a link counts itself, in the order it checks them.
var linkDrops = [...]error{
	wire.ErrTooShort, wire.ErrBadIPHeader, wire.ErrNotCARP,
	wire.ErrOwnPacket, wire.ErrBadTTL, wire.ErrBadVersion, wire.ErrBadVHID,
}

const dropSlots = len(linkDrops)

// New returns a link over cfg.Transport. It starts listening on the first
// Port; until then nothing is read. If the transport reports its
// addresses (transport.Addresser), they seed the own-packet filter.
func New(cfg Config) (*Link, error) {
	if cfg.Transport == nil {
		return nil, ErrNoTransport
	}
	l := &Link{name: cfg.Interface, tr: cfg.Transport}
	var addrs []netip.Addr
	if ad, ok := cfg.Transport.(transport.Addresser); ok {
		addrs = ad.Addrs()
	}
	l.SetAddrs(addrs)
	return l, nil
}

// Interface returns the name the link was given.
func (l *Link) Interface() string { return l.name }

// Port opens the port of vhid: a transport.Transport that sends through
// the link and receives the packets of that vhid. One port per vhid; a
// closed port's vhid can be opened again.
func (l *Link) Port(vhid uint8) (*Port, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return nil, transport.ErrClosed
	}
	if l.ports[vhid].Load() != nil {
		return nil, fmt.Errorf("%w: %s vhid %d", ErrVHIDInUse, l.name, vhid)
	}
	p := &Port{l: l, vhid: vhid}
	l.ports[vhid].Store(p)
	// Listening starts with the first port, so that a link built and
	// then abandoned never reads.
	l.listenOnce.Do(func() { l.listenErr = l.tr.Listen(l.receive) })
	if l.listenErr != nil {
		l.ports[vhid].Store(nil)
		return nil, fmt.Errorf("link %s: %w", l.name, l.listenErr)
	}
	return p, nil
}

// SetAddrs replaces the interface's addresses: packets from any of them are
// our own and dropped. Zones and IPv4-mapping are ignored.
func (l *Link) SetAddrs(addrs []netip.Addr) {
	own := make([]netip.Addr, 0, len(addrs))
	for _, a := range addrs {
		if a.IsValid() {
			own = append(own, a.Unmap().WithZone(""))
		}
	}
	l.local.Store(&own)
}

// Addrs returns the addresses SetAddrs last set. The caller must not modify
// the returned slice.
func (l *Link) Addrs() []netip.Addr { return *l.local.Load() }

// SetCarrier reports the interface's carrier to every port's group
// (transport.CarrierNotifier). A port opened later learns it when its
// group registers.
func (l *Link) SetCarrier(up bool) {
	l.mu.Lock()
	st := carrierDown
	if up {
		st = carrierUp
	}
	if l.carrier == st {
		l.mu.Unlock()
		return
	}
	l.carrier = st
	var fns []func(bool)
	for i := range l.ports {
		if p := l.ports[i].Load(); p != nil && p.carrierFn != nil {
			fns = append(fns, p.carrierFn)
		}
	}
	l.mu.Unlock()
	// Outside the lock: a group's handler takes the group's own lock, and
	// a group holding it may open or close a port.
	for _, fn := range fns {
		fn(up)
	}
}

// Stats returns a snapshot of the link's counters.
func (l *Link) Stats() Stats {
	s := Stats{
		Received:  l.received.Load(),
		Delivered: l.delivered.Load(),
		Dropped:   make(map[string]uint64, dropSlots),
	}
	for i, err := range linkDrops {
		if n := l.dropped[i].Load(); n > 0 {
			s.Dropped[wire.DropReason(err)] = n
		}
	}
	return s
}

// Close closes every port and the transport. After Close returns no port's
// handler is called again.
func (l *Link) Close() error {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return nil
	}
	l.closed = true
	var open []*Port
	for i := range l.ports {
		if p := l.ports[i].Load(); p != nil {
			open = append(open, p)
		}
	}
	l.mu.Unlock()
	for _, p := range open {
		_ = p.Close()
	}
	return l.tr.Close()
}

// receive is the transport's handler: parse once, drop what belongs to no
// group, hand the rest to the vhid's port.
func (l *Link) receive(b []byte) {
	l.received.Add(1)
	p := &l.pkt
	if err := p.UnmarshalBinary(b); err != nil {
		l.drop(err)
		return
	}
	for _, a := range *l.local.Load() {
		if a == p.Src {
			l.drop(wire.ErrOwnPacket)
			return
		}
	}
	// A unicast advert may come from a routed peer: the group, which
	// knows its peers, judges its TTL (spec §6).
	if p.Dst.IsMulticast() && p.TTL != wire.TTL {
		l.drop(wire.ErrBadTTL)
		return
	}
	if p.Advert.Version != wire.Version {
		l.drop(wire.ErrBadVersion)
		return
	}
	port := l.ports[p.Advert.VHID].Load()
	if port == nil || !port.deliver(p, b) {
		l.drop(wire.ErrBadVHID)
		return
	}
	l.delivered.Add(1)
}

func (l *Link) drop(err error) {
	for i, e := range linkDrops {
		if e == err {
			l.dropped[i].Add(1)
			return
		}
	}
}

// Port is one vhid's share of a link: a transport.Transport that does not
// own the socket. It also implements transport.Addresser (the link's
// addresses) and transport.CarrierNotifier (the link's carrier).
type Port struct {
	l    *Link
	vhid uint8

	// mu orders delivery against Listen and Close: after Close returns,
	// no handler runs. Send never takes it: the group sends while holding
	// its own lock, which a delivery under mu waits for.
	mu        sync.Mutex
	raw       transport.Handler
	parsed    func(*wire.Packet)
	listening bool
	closed    atomic.Bool

	carrierFn func(bool) // under l.mu
}

// Pin the interfaces a Port promises.
var (
	_ transport.Transport       = &Port{}
	_ transport.Addresser       = &Port{}
	_ transport.CarrierNotifier = &Port{}
)

// VHID returns the vhid of the port.
func (p *Port) VHID() uint8 { return p.vhid }

// Send sends pkt through the link's transport.
func (p *Port) Send(pkt []byte) error {
	if p.closed.Load() {
		return transport.ErrClosed
	}
	return p.l.tr.Send(pkt)
}

// Listen delivers the raw IP packets of the port's vhid to h, as any
// transport does. A group that can take parsed packets uses
// ListenPackets instead.
func (p *Port) Listen(h transport.Handler) error {
	return p.listen(h, nil)
}

// ListenPackets delivers the packets of the port's vhid as the link parsed
// them. *pkt is valid only during the call. The link has already dropped
// our own packets and multicast ones with a bad TTL or version; the
// rest of the checks (wire.Filter: destination, checksums, digest) are the
// group's.
func (p *Port) ListenPackets(h func(pkt *wire.Packet)) error {
	return p.listen(nil, h)
}

func (p *Port) listen(raw transport.Handler, parsed func(*wire.Packet)) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch {
	case p.closed.Load():
		return transport.ErrClosed
	case p.listening:
		return transport.ErrAlreadyListening
	case raw == nil && parsed == nil:
		return errors.New("link: nil handler")
	}
	p.listening, p.raw, p.parsed = true, raw, parsed
	return nil
}

// deliver hands one packet to the handler; false if nobody listens.
func (p *Port) deliver(pkt *wire.Packet, b []byte) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch {
	case p.closed.Load() || !p.listening:
		return false
	case p.parsed != nil:
		p.parsed(pkt)
	default:
		p.raw(b)
	}
	return true
}

// Addrs returns the link's addresses.
func (p *Port) Addrs() []netip.Addr { return p.l.Addrs() }

// NotifyCarrier registers fn for the link's carrier changes, and calls it
// at once if the carrier is known to be down.
func (p *Port) NotifyCarrier(fn func(up bool)) {
	p.l.mu.Lock()
	p.carrierFn = fn
	down := p.l.carrier == carrierDown
	p.l.mu.Unlock()
	if down && fn != nil {
		fn(false)
	}
}

// Close detaches the port from the link; the link and its transport stay
// open for the other ports. Close is idempotent.
func (p *Port) Close() error {
	p.mu.Lock()
	if p.closed.Load() {
		p.mu.Unlock()
		return nil
	}
	p.closed.Store(true)
	p.mu.Unlock()
	l := p.l
	l.mu.Lock()
	l.ports[p.vhid].CompareAndSwap(p, nil)
	p.carrierFn = nil
	l.mu.Unlock()
	return nil
}
