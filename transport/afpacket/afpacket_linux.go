//go:build linux

package afpacket

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/mdlayher/packet"
	"github.com/vishvananda/netlink"
	"golang.org/x/net/bpf"
	"golang.org/x/net/ipv4"
	"golang.org/x/net/ipv6"
	"golang.org/x/sys/unix"

	"github.com/gocarp/gocarp/transport"
)

// Conn is a transport.Transport on one Ethernet interface, through an
// AF_PACKET socket, and raw IP sockets for unicast peers. It also implements
// transport.Addresser.
type Conn struct {
	ifi         *net.Interface
	mac         net.HardwareAddr // Ethernet source of sent frames
	noMulticast bool

	pc   *packet.Conn
	nlMu sync.Mutex      // Addrs against Close
	nl   *netlink.Handle // route netlink, in the namespace Listen ran in
	mems []io.Closer     // the raw IP sockets below
	// Raw IP sockets of protocol 112 (nil if the family is unavailable):
	// they hold the multicast memberships and send routed unicast.
	raw4 *ipv4.PacketConn
	raw6 *ipv6.PacketConn

	sendMu  sync.Mutex
	sendBuf []byte

	closed    atomic.Bool
	mu        sync.Mutex    // guards done against Listen racing Close
	done      chan struct{} // closed when the read goroutine has returned; nil until Listen
	closeOnce sync.Once
	closeErr  error
}

// Listen opens an AF_PACKET socket on cfg.Interface and joins the multicast
// groups. It needs CAP_NET_RAW (an error matching os.ErrPermission without
// it). Everything it opens belongs to the calling thread's network
// namespace.
func Listen(cfg Config) (*Conn, error) {
	if cfg.Interface == "" {
		return nil, errors.New("afpacket: no interface")
	}
	ifi, err := net.InterfaceByName(cfg.Interface)
	if err != nil {
		return nil, fmt.Errorf("afpacket: %w", err)
	}
	groups := cfg.Groups
	if len(groups) == 0 {
		groups = []netip.Addr{DefaultGroup}
	}
	for _, g := range groups {
		if !g.IsMulticast() {
			return nil, fmt.Errorf("%w: %s", ErrBadGroup, g)
		}
	}
	mac := cfg.SourceMAC
	if mac == nil {
		mac = ifi.HardwareAddr
	}
	if len(mac) != 6 {
		return nil, fmt.Errorf("afpacket: %s: source MAC %q is not an Ethernet address", cfg.Interface, mac)
	}

	prog, err := bpf.Assemble(filter())
	if err != nil {
		return nil, fmt.Errorf("afpacket: assemble filter: %w", err)
	}
	// ETH_P_ALL with the filter attached before bind: one socket for both
	// families, and no frame slips in unfiltered.
	pc, err := packet.Listen(ifi, packet.Raw, unix.ETH_P_ALL, &packet.Config{Filter: prog})
	if err != nil {
		return nil, fmt.Errorf("afpacket: %s: %w", cfg.Interface, err)
	}
	c := &Conn{
		ifi:         ifi,
		mac:         append(net.HardwareAddr(nil), mac...),
		noMulticast: cfg.NoMulticast,
		pc:          pc,
	}
	if err := c.open(groups); err != nil {
		_ = c.closeSockets()
		return nil, err
	}
	return c, nil
}

// open creates the netlink handle and the raw IP sockets, and joins the
// groups unless noMulticast. Both raw sockets are opened whatever the
// groups: they send unicast, and their presence keeps the kernel from
// answering unicast CARP with ICMP protocol unreachable.
func (c *Conn) open(groups []netip.Addr) error {
	var err error
	// Made now, so that Addrs asks this namespace from whatever thread.
	c.nl, err = netlink.NewHandle(unix.NETLINK_ROUTE)
	if err != nil {
		return fmt.Errorf("afpacket: netlink: %w", err)
	}
	var v4, v6 []netip.Addr
	if !c.noMulticast {
		for _, g := range groups {
			if g.Is4() {
				v4 = append(v4, g)
			} else {
				v6 = append(v6, g)
			}
		}
	}

	pc, err := membershipSocket("ip4:112", "0.0.0.0")
	if err != nil {
		return err
	}
	c.mems = append(c.mems, pc)
	c.raw4 = ipv4.NewPacketConn(pc)
	if err := errors.Join(c.raw4.SetTTL(unicastTTL), c.raw4.SetTOS(unicastTOS)); err != nil {
		return fmt.Errorf("afpacket: IPv4 socket options: %w", err)
	}
	for _, g := range v4 {
		if err := c.raw4.JoinGroup(c.ifi, &net.IPAddr{IP: g.AsSlice()}); err != nil {
			return fmt.Errorf("afpacket: %s: join %s: %w", c.ifi.Name, g, err)
		}
	}

	pc, err = membershipSocket("ip6:112", "::")
	switch {
	case errors.Is(err, unix.EAFNOSUPPORT) && len(v6) == 0:
		// IPv6 is disabled on this host: IPv4 works on, and a unicast
		// IPv6 Send says why it cannot.
		return nil
	case err != nil:
		return err
	}
	c.mems = append(c.mems, pc)
	c.raw6 = ipv6.NewPacketConn(pc)
	if err := errors.Join(c.raw6.SetHopLimit(unicastTTL), c.raw6.SetTrafficClass(unicastTOS)); err != nil {
		return fmt.Errorf("afpacket: IPv6 socket options: %w", err)
	}
	for _, g := range v6 {
		if err := c.raw6.JoinGroup(c.ifi, &net.IPAddr{IP: g.AsSlice()}); err != nil {
			return fmt.Errorf("afpacket: %s: join %s: %w", c.ifi.Name, g, err)
		}
	}
	return nil
}

// membershipSocket opens a raw IP socket for protocol 112 that holds
// multicast memberships and sends unicast: joining through the IP stack is
// what makes the kernel send IGMP/MLD reports and program the NIC's
// multicast filter, and sending through it is what routes. Its filter
// rejects every packet, attached before the socket is bound, so it never
// queues data; the AF_PACKET socket is the one that reads. Having it open
// also keeps the kernel from answering unicast CARP with ICMP protocol
// unreachable.
func membershipSocket(network, addr string) (net.PacketConn, error) {
	prog, err := bpf.Assemble(rejectAll())
	if err != nil {
		return nil, fmt.Errorf("afpacket: assemble filter: %w", err)
	}
	sf := make([]unix.SockFilter, len(prog))
	for i, ins := range prog {
		sf[i] = unix.SockFilter{Code: ins.Op, Jt: ins.Jt, Jf: ins.Jf, K: ins.K}
	}
	lc := net.ListenConfig{Control: func(_, _ string, rc syscall.RawConn) error {
		var serr error
		err := rc.Control(func(fd uintptr) {
			fprog := unix.SockFprog{Len: uint16(len(sf)), Filter: &sf[0]}
			serr = unix.SetsockoptSockFprog(int(fd), unix.SOL_SOCKET, unix.SO_ATTACH_FILTER, &fprog)
		})
		if err != nil {
			return err
		}
		return serr
	}}
	pc, err := lc.ListenPacket(context.Background(), network, addr)
	if err != nil {
		return nil, fmt.Errorf("afpacket: membership socket %s: %w", network, err)
	}
	return pc, nil
}

// HardwareAddr returns the Ethernet source address of sent frames.
func (c *Conn) HardwareAddr() net.HardwareAddr { return c.mac }

// Interface returns the interface the Conn is bound to, as it was at Listen.
func (c *Conn) Interface() *net.Interface { return c.ifi }

// Send transmits the IP packet pkt. A multicast (or limited broadcast)
// destination is framed for Ethernet as it is: to the multicast MAC of the
// IP destination, or broadcast with NoMulticast. A unicast destination goes
// through the kernel's routing, so a peer behind a router is reached: the
// kernel writes a new IP header with pkt's source and destination, TTL or
// hop limit 255 and TOS or traffic class 0x10, and pkt's payload (the 36
// CARP bytes) unchanged. An IPv6 packet from or to a link-local address
// leaves through the Conn's interface. No route is ErrNoRoute; an interface
// without carrier (or down) is transport.ErrLinkDown, and nothing is sent.
func (c *Conn) Send(pkt []byte) error {
	if c.closed.Load() {
		return transport.ErrClosed
	}
	p, err := planSend(pkt, c.noMulticast)
	if err != nil {
		return err
	}
	if err := c.linkUp(); err != nil {
		return err
	}
	if p.routed {
		return c.sendRouted(&p)
	}
	c.sendMu.Lock()
	defer c.sendMu.Unlock()
	c.sendBuf = appendFrame(c.sendBuf[:0], p.mac, c.mac, p.etherType, pkt)
	_, err = c.pc.WriteTo(c.sendBuf, &packet.Addr{HardwareAddr: p.mac})
	return c.sendError(err)
}

// sendRouted sends p's payload through the raw IP socket of its family.
func (c *Conn) sendRouted(p *sendPlan) error {
	var (
		src net.IP
		dst = &net.IPAddr{IP: p.dst.AsSlice()}
		err error
	)
	if p.src.IsValid() {
		src = p.src.AsSlice()
	}
	switch {
	case p.dst.Is4():
		var cm *ipv4.ControlMessage
		if src != nil {
			cm = &ipv4.ControlMessage{Src: src}
		}
		_, err = c.raw4.WriteTo(p.payload, cm, dst)
	case c.raw6 == nil:
		return fmt.Errorf("afpacket: send to %s: IPv6 is not available: %w", p.dst, unix.EAFNOSUPPORT)
	default:
		cm := &ipv6.ControlMessage{Src: src}
		// A link-local address means this link, whatever the routes say;
		// the packet carries no zone, so the Conn's interface is the one.
		if p.dst.IsLinkLocalUnicast() || p.src.IsLinkLocalUnicast() {
			cm.IfIndex = c.ifi.Index
		}
		_, err = c.raw6.WriteTo(p.payload, cm, dst)
	}
	if err == nil || errors.Is(err, net.ErrClosed) {
		return c.sendError(err)
	}
	from := ""
	if p.src.IsValid() {
		from = " from " + p.src.String()
	}
	// The kernel says ENETUNREACH also for a source address that is not
	// ours: there is no route from it.
	if errors.Is(err, unix.ENETUNREACH) || errors.Is(err, unix.EHOSTUNREACH) {
		return fmt.Errorf("%w to %s%s: %w", ErrNoRoute, p.dst, from, err)
	}
	return c.sendError(fmt.Errorf("to %s%s: %w", p.dst, from, err))
}

// sendError maps a socket error of Send.
func (c *Conn) sendError(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, net.ErrClosed):
		return fmt.Errorf("afpacket: send: %w", transport.ErrClosed)
	case errors.Is(err, unix.ENETDOWN), errors.Is(err, unix.ENXIO), errors.Is(err, unix.ENODEV):
		return fmt.Errorf("afpacket: send on %s: %w: %w", c.ifi.Name, transport.ErrLinkDown, err)
	default:
		return fmt.Errorf("afpacket: send on %s: %w", c.ifi.Name, err)
	}
}

// linkUp returns transport.ErrLinkDown unless the interface is up and
// running (has carrier). Without carrier a frame is silently dropped by the
// kernel, so the check is the only way to report it. The ioctl goes through
// our own socket and so asks the right namespace.
func (c *Conn) linkUp() error {
	rc, err := c.pc.SyscallConn()
	if err != nil {
		return fmt.Errorf("afpacket: %w", err)
	}
	var (
		flags uint16
		ierr  error
	)
	err = rc.Control(func(fd uintptr) {
		ifr, err := unix.NewIfreq(c.ifi.Name)
		if err != nil {
			ierr = err
			return
		}
		if ierr = unix.IoctlIfreq(int(fd), unix.SIOCGIFFLAGS, ifr); ierr == nil {
			flags = ifr.Uint16()
		}
	})
	switch {
	case errors.Is(err, net.ErrClosed):
		return fmt.Errorf("afpacket: send: %w", transport.ErrClosed)
	case err != nil:
		return fmt.Errorf("afpacket: %w", err)
	case ierr != nil:
		return fmt.Errorf("afpacket: %s: %w: %w", c.ifi.Name, transport.ErrLinkDown, ierr)
	case flags&unix.IFF_UP == 0:
		return fmt.Errorf("afpacket: %s is down: %w", c.ifi.Name, transport.ErrLinkDown)
	case flags&unix.IFF_RUNNING == 0:
		return fmt.Errorf("afpacket: %s has no carrier: %w", c.ifi.Name, transport.ErrLinkDown)
	}
	return nil
}

// Listen starts the read goroutine, which calls h with each received CARP
// packet (the IP packet, Ethernet header removed), one call at a time. Reads
// never wait for Send, nor Send for the handler. h must not call Close: Close
// waits for h to return.
func (c *Conn) Listen(h transport.Handler) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case c.closed.Load():
		return transport.ErrClosed
	case c.done != nil:
		return transport.ErrAlreadyListening
	}
	c.done = make(chan struct{})
	go c.read(h, c.done)
	return nil
}

// read delivers packets until the socket is closed.
func (c *Conn) read(h transport.Handler, done chan struct{}) {
	defer close(done)
	buf := make([]byte, 1<<16)
	var backoff time.Duration
	for {
		n, _, err := c.pc.ReadFrom(buf)
		if c.closed.Load() {
			return
		}
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			// ENETDOWN when the interface goes down, and the like: the
			// socket works again once it is up. Do not spin meanwhile.
			backoff = min(max(2*backoff, time.Millisecond), 100*time.Millisecond)
			time.Sleep(backoff)
			continue
		}
		backoff = 0
		if pkt := ipPacket(buf[:n]); pkt != nil {
			h(pkt)
		}
	}
}

// Close closes the sockets (leaving the groups) and returns once the read
// goroutine has exited. Later calls do nothing and return nil.
func (c *Conn) Close() error {
	first := false
	c.closeOnce.Do(func() {
		first = true
		c.mu.Lock()
		c.closed.Store(true)
		done := c.done
		c.mu.Unlock()
		c.closeErr = c.closeSockets()
		if done != nil {
			<-done
		}
	})
	if first {
		return c.closeErr
	}
	return nil
}

func (c *Conn) closeSockets() error {
	c.closed.Store(true)
	err := c.pc.Close()
	for _, m := range c.mems {
		err = errors.Join(err, m.Close())
	}
	c.nlMu.Lock()
	if c.nl != nil {
		c.nl.Close()
		c.nl = nil
	}
	c.nlMu.Unlock()
	if err != nil {
		return fmt.Errorf("afpacket: close: %w", err)
	}
	return nil
}

// Addrs returns the IPv4 and IPv6 addresses now on the interface (IPv6
// link-local ones without zone), asking the kernel on each call: addresses
// come and go. A failed query returns nil.
func (c *Conn) Addrs() []netip.Addr {
	c.nlMu.Lock()
	defer c.nlMu.Unlock()
	if c.nl == nil {
		return nil
	}
	list, err := c.nl.AddrList(&netlink.Device{LinkAttrs: netlink.LinkAttrs{Index: c.ifi.Index}}, netlink.FAMILY_ALL)
	if err != nil {
		return nil
	}
	out := make([]netip.Addr, 0, len(list))
	for _, a := range list {
		if ip, ok := netip.AddrFromSlice(a.IP); ok {
			out = append(out, ip.Unmap())
		}
	}
	return out
}
