package memnet

import (
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/gocarp/gocarp/transport"
)

// ErrLinkDown is returned by Port.Send while the port is down. It is
// transport.ErrLinkDown, so either name matches with errors.Is.
var ErrLinkDown = transport.ErrLinkDown

// ErrNilHandler is returned by Port.Listen when given a nil Handler.
var ErrNilHandler = errors.New("memnet: nil handler")

// Impairment describes how a link mistreats the packets sent through it. Each
// copy of a packet (one per receiving port) is treated independently: it is
// lost with probability Loss; otherwise it is delivered after Delay plus a
// uniform random extra in [0, Jitter), and with probability Duplicate a second
// copy follows with its own delay. Jitter larger than the gap between two
// packets reorders them.
//
// The zero Impairment is a perfect link: no loss, no duplicates, delivery at
// the instant of sending (still only when the Sim runs).
type Impairment struct {
	Loss      float64       // probability in [0, 1] that a copy is lost
	Duplicate float64       // probability in [0, 1] that a delivered copy is doubled
	Delay     time.Duration // fixed one-way delay, >= 0
	Jitter    time.Duration // extra delay drawn uniformly from [0, Jitter), >= 0
}

func (im Impairment) check() {
	// The negated comparisons also reject NaN.
	if !(im.Loss >= 0 && im.Loss <= 1) || !(im.Duplicate >= 0 && im.Duplicate <= 1) ||
		im.Delay < 0 || im.Jitter < 0 {
		panic(fmt.Sprintf("memnet: invalid impairment %+v", im))
	}
}

// PortStats counts what happened to a port's packets.
//
// Sent, Duplicated and Dropped describe the port's egress: for packets no
// longer in flight, Sent × (receivers at send time) + Duplicated equals the
// Received counts they produced plus Dropped. Received counts ingress.
type PortStats struct {
	Sent       uint64 // Send calls that put a packet on the wire
	Received   uint64 // packets delivered to this port's Handler
	Dropped    uint64 // copies of this port's packets lost to Loss, or discarded because the receiver went down or closed while they were in flight
	Duplicated uint64 // extra copies of this port's packets made by Duplicate
}

// Network is a simulated L2 broadcast domain on a Sim. Every packet a port
// sends reaches every other attached port that is up, listening, open and in
// the same partition as the sender at the time of sending, after the sender's
// egress Impairment. Deliveries are Sim events: each calls the receiving
// port's Handler inline, in the goroutine running the Sim, with a private copy
// of the packet.
//
// Its methods are safe for concurrent use, but determinism needs a single
// goroutine: packets sent from several goroutines are scheduled in whatever
// order the goroutines happen to run.
type Network struct {
	sim *Sim

	mu    sync.Mutex
	imp   Impairment
	ports []*Port
	taps  []func(from *Port, pkt []byte, at time.Time)
}

// NewNetwork returns an empty Network driven by s, with a perfect link.
func NewNetwork(s *Sim) *Network {
	return &Network{sim: s}
}

// Sim returns the simulator that drives n.
func (n *Network) Sim() *Sim { return n.sim }

// Attach connects a new port named name (for logs; names need not be
// unique). The port starts up, not listening, in the rest partition.
func (n *Network) Attach(name string) *Port {
	p := &Port{net: n, name: name, up: true}
	n.mu.Lock()
	n.ports = append(n.ports, p)
	n.mu.Unlock()
	return p
}

// SetImpairment sets the egress impairment of every port that has no
// impairment of its own (Port.SetImpairment). It applies to packets sent
// afterwards. It panics if a probability is outside [0, 1] or a duration is
// negative.
func (n *Network) SetImpairment(im Impairment) {
	im.check()
	n.mu.Lock()
	n.imp = im
	n.mu.Unlock()
}

// Partition splits the network: each set becomes a partition of its own, and
// every port named in no set (including ports attached later) stays in a
// common "rest" partition. Packets cross no partition boundary; packets
// already in flight are still delivered. A call replaces any earlier
// partitioning; a port named in several sets ends up in the last. It panics if
// a port belongs to another Network.
func (n *Network) Partition(sets ...[]*Port) {
	for _, set := range sets {
		for _, p := range set {
			if p.net != n {
				panic("memnet: Partition with a port of another network")
			}
		}
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	for _, p := range n.ports {
		p.partition = 0
	}
	for i, set := range sets {
		for _, p := range set {
			p.partition = i + 1
		}
	}
}

// Heal ends any partitioning: all ports can reach each other again.
func (n *Network) Heal() { n.Partition() }

// Tap registers f to observe every packet put on the wire: it is called once
// per successful Send, after the copies are scheduled, on the sending
// goroutine, with the sending port, the packet and the virtual send time. pkt
// is valid only during the call and must not be modified. Taps cannot be
// removed; they are meant for tests and demos printing timelines.
func (n *Network) Tap(f func(from *Port, pkt []byte, at time.Time)) {
	if f == nil {
		panic("memnet: Tap with nil func")
	}
	n.mu.Lock()
	n.taps = append(n.taps, f)
	n.mu.Unlock()
}

var _ transport.Transport = (*Port)(nil)

// Port is one station on a Network. It implements transport.Transport; its
// Handler is called inline by the Sim, so it must not block and must not run
// the Sim itself.
//
// The transport guarantee that the Handler is not called after Close returns
// holds when Close is called from the goroutine driving the Sim (from inside
// an event or between runs), which is how a simulation is used. A Close from
// another goroutine stops all later deliveries, but cannot interrupt one that
// has already begun.
type Port struct {
	net  *Network
	name string

	// Guarded by net.mu.
	up        bool
	closed    bool
	handler   transport.Handler
	imp       Impairment
	ownImp    bool
	partition int // 0 = rest
	stats     PortStats
}

// Name returns the name given to Attach.
func (p *Port) Name() string { return p.name }

// String returns the port's name, for logs.
func (p *Port) String() string { return p.name }

// SetImpairment sets the impairment of packets this port sends, overriding
// the Network's, even when im is the zero (perfect) Impairment. It panics if
// a probability is outside [0, 1] or a duration is negative.
func (p *Port) SetImpairment(im Impairment) {
	im.check()
	p.net.mu.Lock()
	p.imp, p.ownImp = im, true
	p.net.mu.Unlock()
}

// ClearImpairment drops the port's own impairment: its packets follow the
// Network's again.
func (p *Port) ClearImpairment() {
	p.net.mu.Lock()
	p.imp, p.ownImp = Impairment{}, false
	p.net.mu.Unlock()
}

// SetUp sets the port's carrier. A down port sends nothing (Send returns
// ErrLinkDown) and receives nothing; packets in flight to it when it goes
// down are dropped on arrival.
func (p *Port) SetUp(up bool) {
	p.net.mu.Lock()
	p.up = up
	p.net.mu.Unlock()
}

// Up reports whether the port has carrier.
func (p *Port) Up() bool {
	p.net.mu.Lock()
	defer p.net.mu.Unlock()
	return p.up
}

// Stats returns a snapshot of the port's counters.
func (p *Port) Stats() PortStats {
	p.net.mu.Lock()
	defer p.net.mu.Unlock()
	return p.stats
}

// Listen starts delivering packets to h. It returns
// transport.ErrAlreadyListening on a second call, transport.ErrClosed after
// Close and ErrNilHandler for a nil h. Only packets sent after Listen reach h.
func (p *Port) Listen(h transport.Handler) error {
	if h == nil {
		return ErrNilHandler
	}
	p.net.mu.Lock()
	defer p.net.mu.Unlock()
	switch {
	case p.closed:
		return transport.ErrClosed
	case p.handler != nil:
		return transport.ErrAlreadyListening
	}
	p.handler = h
	return nil
}

// Close detaches the port's handler; packets in flight to it are dropped.
// It is idempotent and always returns nil.
func (p *Port) Close() error {
	p.net.mu.Lock()
	p.closed = true
	p.handler = nil
	p.net.mu.Unlock()
	return nil
}

// Send puts a copy of pkt on the wire: every other port that is up,
// listening, open and in the sender's partition gets its own copy, subject to
// the sender's egress impairment. The bytes are not interpreted. Send returns
// transport.ErrClosed on a closed port and ErrLinkDown on a down one.
func (p *Port) Send(pkt []byte) error {
	n := p.net
	data := append([]byte(nil), pkt...)

	n.mu.Lock()
	switch {
	case p.closed:
		n.mu.Unlock()
		return transport.ErrClosed
	case !p.up:
		n.mu.Unlock()
		return ErrLinkDown
	}
	p.stats.Sent++
	im := n.imp
	if p.ownImp {
		im = p.imp
	}
	for _, to := range n.ports {
		if to == p || !to.up || to.closed || to.handler == nil || to.partition != p.partition {
			continue
		}
		if im.Loss > 0 && n.sim.float64() < im.Loss {
			p.stats.Dropped++
			continue
		}
		n.schedule(p, to, data, im)
		if im.Duplicate > 0 && n.sim.float64() < im.Duplicate {
			p.stats.Duplicated++
			n.schedule(p, to, data, im)
		}
	}
	taps := n.taps
	n.mu.Unlock()

	if len(taps) > 0 {
		at := n.sim.Now()
		for _, f := range taps {
			f(p, data, at)
		}
	}
	return nil
}

// schedule queues one delivery of data from p to to. Called with n.mu held.
func (n *Network) schedule(from, to *Port, data []byte, im Impairment) {
	d := im.Delay
	if im.Jitter > 0 {
		d += time.Duration(n.sim.int64N(int64(im.Jitter)))
	}
	n.sim.AfterFunc(d, func() { n.deliver(from, to, data) })
}

// deliver runs as a Sim event: the receiver's state is checked again on
// arrival, so a port that went down or closed in the meantime gets nothing.
func (n *Network) deliver(from, to *Port, data []byte) {
	n.mu.Lock()
	h := to.handler
	if !to.up || to.closed || h == nil {
		from.stats.Dropped++
		n.mu.Unlock()
		return
	}
	to.stats.Received++
	n.mu.Unlock()
	// Each delivery gets its own copy: handlers may scribble on it, and
	// duplicates or other receivers must not see that.
	h(append([]byte(nil), data...))
}
