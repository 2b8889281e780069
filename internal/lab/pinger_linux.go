//go:build linux

package lab

import (
	"fmt"
	"math/rand/v2"
	"net"
	"net/netip"
	"sync"
	"time"

	"golang.org/x/net/icmp"
	"golang.org/x/net/ipv4"
)

// Pinger sends an ICMP echo request to a destination at a fixed interval
// from a namespace and records which are answered: a client's view of a
// VIP during a failover.
type Pinger struct {
	conn  *icmp.PacketConn
	dst   netip.Addr
	id    int
	every time.Duration

	mu     sync.Mutex
	sentAt []time.Time
	got    []bool
	stopc  chan struct{}
	once   sync.Once
	wg     sync.WaitGroup
}

// Outage is what a Pinger saw over a window.
type Outage struct {
	Sent, Answered int
	// MaxLostRun is the longest run of consecutive unanswered requests.
	MaxLostRun int
	// MaxGap is the longest time between the sending of two consecutive
	// answered requests; Gap minus the interval estimates the outage.
	MaxGap time.Duration
}

// StartPinger starts pinging dst from namespace ns every interval (at most
// 65536 requests). Stop it with Stop.
func StartPinger(ns string, dst netip.Addr, every time.Duration) (*Pinger, error) {
	p := &Pinger{dst: dst, id: rand.IntN(0xffff), every: every, stopc: make(chan struct{})}
	err := InNamespace(ns, func() error {
		var err error
		p.conn, err = icmp.ListenPacket("ip4:icmp", "0.0.0.0")
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("lab: ICMP socket in %s: %w", ns, err)
	}
	p.wg.Add(2)
	go p.send()
	go p.receive()
	return p, nil
}

func (p *Pinger) send() {
	defer p.wg.Done()
	start := time.Now()
	timer := time.NewTimer(0)
	defer timer.Stop()
	<-timer.C
	for i := range 0x10000 {
		// An absolute schedule; after a stall it resumes without a burst.
		if d := time.Until(start.Add(time.Duration(i) * p.every)); d > 0 {
			timer.Reset(d)
			select {
			case <-p.stopc:
				return
			case <-timer.C:
			}
		}
		select {
		case <-p.stopc:
			return
		default:
		}
		b, _ := (&icmp.Message{Type: ipv4.ICMPTypeEcho, Body: &icmp.Echo{ID: p.id, Seq: i, Data: []byte("gocarp bench")}}).Marshal(nil)
		p.mu.Lock()
		p.sentAt = append(p.sentAt, time.Now())
		p.got = append(p.got, false)
		p.mu.Unlock()
		_, _ = p.conn.WriteTo(b, &net.IPAddr{IP: p.dst.AsSlice()})
	}
}

func (p *Pinger) receive() {
	defer p.wg.Done()
	buf := make([]byte, 1500)
	for {
		n, from, err := p.conn.ReadFrom(buf)
		if err != nil {
			return // closed
		}
		m, err := icmp.ParseMessage(1, buf[:n])
		if err != nil || m.Type != ipv4.ICMPTypeEchoReply || from.String() != p.dst.String() {
			continue
		}
		if e, ok := m.Body.(*icmp.Echo); ok && e.ID == p.id {
			p.mu.Lock()
			if e.Seq < len(p.got) {
				p.got[e.Seq] = true
			}
			p.mu.Unlock()
		}
	}
}

// Stop stops sending, waits grace for late replies and closes the socket.
func (p *Pinger) Stop(grace time.Duration) {
	p.once.Do(func() {
		close(p.stopc)
		time.Sleep(grace)
		_ = p.conn.Close()
	})
	p.wg.Wait()
}

// Outage sums up the requests sent in [from, to], between the first and
// the last answered one of them.
func (p *Pinger) Outage(from, to time.Time) Outage {
	p.mu.Lock()
	defer p.mu.Unlock()
	var o Outage
	last, run := -1, 0
	for i, at := range p.sentAt {
		if at.Before(from) || at.After(to) {
			continue
		}
		o.Sent++
		if !p.got[i] {
			run++
			continue
		}
		o.Answered++
		if last >= 0 {
			o.MaxLostRun = max(o.MaxLostRun, run)
			o.MaxGap = max(o.MaxGap, at.Sub(p.sentAt[last]))
		}
		last, run = i, 0
	}
	return o
}
