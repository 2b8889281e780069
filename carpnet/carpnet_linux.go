//go:build linux

package carpnet

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"slices"
	"sync"
	"time"

	"github.com/gocarp/gocarp/arp"
	"github.com/gocarp/gocarp/carp"
	"github.com/gocarp/gocarp/link"
	"github.com/gocarp/gocarp/netif"
	"github.com/gocarp/gocarp/transport"
	"github.com/gocarp/gocarp/transport/afpacket"
	"github.com/gocarp/gocarp/wire"
)

// Interface is one network interface opened for CARP: the groups made
// with NewGroup share its socket, announcer and VIP manager. Its methods
// are safe for concurrent use.
type Interface struct {
	name string
	cfg  Config
	log  *slog.Logger
	conn *afpacket.Conn
	link *link.Link
	annc *arp.Announcer
	vips *netif.VIPManager

	mu       sync.Mutex
	addrs    []netip.Prefix // the interface's, for choosing sources
	reserved map[netip.Addr]bool
	owner    map[netip.Addr]*carp.Group
	sets     map[*carp.Group]*netif.VIPSet // of the groups with ManageVIPs
	carrier  bool                          // some group follows the carrier
	running  bool

	// usable holds the addresses last seen, true for those usable (not in
	// duplicate address detection), nil until Run's address watch has
	// seen them; the watch writes it, the groups' announcers read it.
	usable map[netip.Addr]bool
}

// Open opens the interface: a raw socket joined to the CARP groups, an
// announcer, a VIP manager (idle until Run). It needs CAP_NET_RAW and
// CAP_NET_ADMIN; an error says so.
func Open(cfg Config) (*Interface, error) {
	if cfg.Interface == "" {
		return nil, ErrNoInterface
	}
	i := &Interface{
		name:     cfg.Interface,
		cfg:      cfg,
		log:      cfg.Logger,
		reserved: map[netip.Addr]bool{},
		owner:    map[netip.Addr]*carp.Group{},
		sets:     map[*carp.Group]*netif.VIPSet{},
	}
	if i.log == nil {
		i.log = slog.New(slog.DiscardHandler)
	}
	for _, a := range cfg.Reserved {
		i.reserved[a.Unmap()] = true
	}
	ifi, err := net.InterfaceByName(cfg.Interface)
	if err != nil {
		return nil, fmt.Errorf("carpnet: interface %s: %w", cfg.Interface, err)
	}
	if i.addrs, err = prefixesOf(ifi); err != nil {
		return nil, fmt.Errorf("carpnet: interface %s: %w", cfg.Interface, err)
	}
	groups := cfg.Groups
	if len(groups) == 0 {
		groups = []netip.Addr{wire.IPv4Group, wire.IPv6Group}
	}
	i.conn, err = afpacket.Listen(afpacket.Config{
		Interface:   cfg.Interface,
		Groups:      groups,
		SourceMAC:   cfg.SourceMAC,
		NoMulticast: cfg.NoMulticast,
	})
	if err != nil {
		return nil, fmt.Errorf("carpnet: opening %s: %w", cfg.Interface, permissionHint(err))
	}
	i.link, err = link.New(link.Config{Interface: cfg.Interface, Transport: i.conn})
	if err != nil {
		_ = i.conn.Close()
		return nil, fmt.Errorf("carpnet: %w", err)
	}
	i.annc, err = arp.NewAnnouncer(cfg.Interface, nil)
	if err != nil {
		_ = i.link.Close()
		return nil, fmt.Errorf("carpnet: gratuitous ARP on %s: %w", cfg.Interface, permissionHint(err))
	}
	// Neighbour advertisements come from the link-local address, as the
	// BSDs send them, and say Router when the interface forwards (read
	// once, here).
	for _, p := range i.addrs {
		if p.Addr().Is6() && p.Addr().IsLinkLocalUnicast() {
			i.annc.Source = p.Addr()
			break
		}
	}
	if fwd, err := netif.Forwarding(cfg.Interface, cfg.Namespace, true); err == nil {
		i.annc.Router = fwd
	}
	i.vips, err = netif.NewVIPManager(netif.VIPConfig{Interface: cfg.Interface, ResyncInterval: cfg.ResyncInterval, Logger: i.log, Namespace: cfg.Namespace})
	if err != nil {
		i.Close()
		return nil, fmt.Errorf("carpnet: %w", err)
	}
	return i, nil
}

// permissionHint says what is missing when the kernel refuses a socket.
func permissionHint(err error) error {
	if errors.Is(err, os.ErrPermission) {
		return fmt.Errorf("%w (CARP needs CAP_NET_RAW and CAP_NET_ADMIN: run as root, or grant them)", err)
	}
	return err
}

// prefixesOf returns the addresses of an interface, IPv4 first.
func prefixesOf(ifi *net.Interface) ([]netip.Prefix, error) {
	list, err := ifi.Addrs()
	if err != nil {
		return nil, err
	}
	var out []netip.Prefix
	for _, a := range list {
		if n, ok := a.(*net.IPNet); ok {
			if ip, ok := netip.AddrFromSlice(n.IP); ok {
				bits, _ := n.Mask.Size()
				out = append(out, netip.PrefixFrom(ip.Unmap(), bits))
			}
		}
	}
	slices.SortStableFunc(out, func(a, b netip.Prefix) int {
		return cmp.Compare(boolInt(a.Addr().Is6()), boolInt(b.Addr().Is6()))
	})
	return out, nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// Name returns the interface's name.
func (i *Interface) Name() string { return i.name }

// Link returns the link the groups share, for its counters (Stats).
func (i *Interface) Link() *link.Link { return i.link }

// Announcer returns the interface's announcer.
func (i *Interface) Announcer() *arp.Announcer { return i.annc }

// NewGroup makes a group on the interface from cfg, filling what the
// interface knows: Interface, Transport (a port of the shared link), the
// advert sources Source and Source6 when zero (the interface's IPv4
// address in a VIP's subnet, else its first, never a VIP; its link-local
// IPv6 address, or a global one when a peer is routed), and Announcer when
// nil. cfg.Transport must be nil. With ManageVIPs the group's VIPs follow
// its state. The group is not started.
func (i *Interface) NewGroup(cfg carp.Config, opts ...GroupOption) (*carp.Group, error) {
	o := groupOptions{carrier: !i.cfg.IgnoreCarrier}
	for _, f := range opts {
		f(&o)
	}
	switch {
	case cfg.Transport != nil:
		return nil, errors.New("carpnet: Config.Transport is set: the interface provides it")
	case cfg.Interface != "" && cfg.Interface != i.name:
		return nil, fmt.Errorf("carpnet: Config.Interface is %q, on interface %s", cfg.Interface, i.name)
	}
	cfg.Interface = i.name
	var v4, v6 bool
	for _, a := range cfg.VIPs {
		if a.Unmap().Is4() {
			v4 = true
		} else {
			v6 = true
		}
	}
	i.mu.Lock()
	defer i.mu.Unlock()
	reserved := func(a netip.Addr) bool {
		return i.reserved[a] || i.owner[a] != nil || slices.Contains(cfg.VIPs, a)
	}
	var err error
	if v4 && !cfg.Source.IsValid() {
		if cfg.Source, err = sourceFor(cfg.VIPs, i.addrs, reserved); err != nil {
			return nil, fmt.Errorf("carpnet: %s: %w", i.name, err)
		}
	}
	if v6 && !cfg.Source6.IsValid() {
		if cfg.Source6, err = source6For(cfg.Peers, i.addrs); err != nil {
			return nil, fmt.Errorf("carpnet: %s: %w", i.name, err)
		}
	}
	var wa *waitingAnnouncer
	if cfg.Announcer == nil {
		wa = i.waitingAnnouncer(cfg.VHID)
		cfg.Announcer = wa
	}
	port, err := i.link.Port(cfg.VHID)
	if err != nil {
		return nil, fmt.Errorf("carpnet: %w", err)
	}
	cfg.Transport = port
	if !o.carrier {
		cfg.Transport = ignoreCarrier{port}
	} else {
		i.carrier = true
	}
	var set *netif.VIPSet
	if o.manage {
		prefixes, err := vipPrefixes(cfg.VIPs, o.prefixes)
		if err != nil {
			_ = port.Close()
			return nil, fmt.Errorf("carpnet: %w", err)
		}
		if set, err = i.vips.Add(prefixes); err != nil {
			_ = port.Close()
			return nil, fmt.Errorf("carpnet: %w", err)
		}
		onMaster, onBackup := cfg.OnMaster, cfg.OnBackup
		cfg.OnMaster = func(t carp.Transition) {
			set.SetMaster(true)
			if onMaster != nil {
				onMaster(t)
			}
		}
		cfg.OnBackup = func(t carp.Transition) {
			set.SetMaster(false)
			if onBackup != nil {
				onBackup(t)
			}
		}
	}
	g, err := carp.New(cfg) // closes the port on failure
	if err != nil {
		if set != nil {
			set.Remove()
		}
		return nil, err
	}
	if wa != nil {
		wa.master = func() bool { return g.State() == carp.StateMaster }
	}
	for _, a := range cfg.VIPs {
		i.owner[a.Unmap().WithZone("")] = g
	}
	if set != nil {
		i.sets[g] = set
	}
	return g, nil
}

// waitingAnnouncer returns the announcer of a group of vhid that waits
// for its VIPs to be usable (AnnounceWait). Its master is set once the
// group exists, before it can announce.
func (i *Interface) waitingAnnouncer(vhid uint8) *waitingAnnouncer {
	return &waitingAnnouncer{
		next: i.annc,
		usable: func(vip netip.Addr) (bool, bool) {
			i.mu.Lock()
			defer i.mu.Unlock()
			if i.usable == nil {
				return false, false
			}
			return i.usable[vip.Unmap().WithZone("")], true
		},
		after: func(d time.Duration, f func()) { time.AfterFunc(d, f) },
		wait:  AnnounceWait,
		failed: func(err error) {
			i.log.Warn("announcing VIPs that did not appear", "interface", i.name, "vhid", vhid, "err", err)
		},
	}
}

// Remove forgets a group made by NewGroup, once it has stopped (Shutdown
// or Close): its VIPs, if the interface manages them, are taken off the
// interface, and its vhid and VIPs may go to a new group. A running
// interface takes new groups and removes old ones: that is how carpd
// reloads its config.
func (i *Interface) Remove(g *carp.Group) {
	i.mu.Lock()
	defer i.mu.Unlock()
	for a, o := range i.owner {
		if o == g {
			delete(i.owner, a)
		}
	}
	if set := i.sets[g]; set != nil {
		set.Remove()
		delete(i.sets, g)
	}
}

// Joined returns the multicast groups the interface's socket joined
// (Config.Groups, or both CARP groups when it was empty): a group added
// later must advertise to one of them.
func (i *Interface) Joined() []netip.Addr {
	if len(i.cfg.Groups) == 0 {
		return []netip.Addr{wire.IPv4Group, wire.IPv6Group}
	}
	return slices.Clone(i.cfg.Groups)
}

// FollowsCarrier reports whether the interface follows its carrier for its
// groups (some group did not ask to ignore it when Run started, or before).
func (i *Interface) FollowsCarrier() bool {
	i.mu.Lock()
	defer i.mu.Unlock()
	return i.carrier
}

// vipPrefixes gives each VIP its prefix: the one listed, or its host
// prefix.
func vipPrefixes(vips []netip.Addr, listed []netip.Prefix) ([]netip.Prefix, error) {
	out := make([]netip.Prefix, 0, len(vips))
	for _, a := range vips {
		a = a.Unmap().WithZone("")
		p := netif.HostPrefix(a)
		for _, l := range listed {
			if l.Addr() == a {
				p = l
			}
		}
		out = append(out, p)
	}
	for _, l := range listed {
		if !slices.Contains(vips, l.Addr()) {
			return nil, fmt.Errorf("VIPPrefixes: %s is not a VIP of the group", l)
		}
	}
	return out, nil
}

// sourceFor picks an IPv4 advert source: the interface's first IPv4
// address in the subnet of one of vips, or its first IPv4 address at all;
// never a reserved one (a VIP).
func sourceFor(vips []netip.Addr, addrs []netip.Prefix, reserved func(netip.Addr) bool) (netip.Addr, error) {
	var cands []netip.Prefix
	for _, p := range addrs {
		if p.Addr().Is4() && !reserved(p.Addr()) {
			cands = append(cands, p)
		}
	}
	if len(cands) == 0 {
		return netip.Addr{}, errors.New("no IPv4 address to send adverts from (give Source)")
	}
	for _, c := range cands {
		for _, v := range vips {
			if v.Unmap().Is4() && c.Masked().Contains(v.Unmap()) {
				return c.Addr(), nil
			}
		}
	}
	return cands[0].Addr(), nil
}

// source6For picks the IPv6 advert source: the link-local address, unless
// a peer is global (routed): then a global address of the interface.
func source6For(peers []netip.Addr, addrs []netip.Prefix) (netip.Addr, error) {
	global := false
	for _, p := range peers {
		if p.Is6() && !p.Is4In6() && !p.IsLinkLocalUnicast() {
			global = true
		}
	}
	for _, p := range addrs {
		a := p.Addr()
		if a.Is6() && a.IsLinkLocalUnicast() != global {
			return a, nil
		}
	}
	if global {
		return netip.Addr{}, errors.New("no global IPv6 address to send adverts to the peers from (give Source6)")
	}
	return netip.Addr{}, errors.New("no IPv6 link-local address, needed for IPv6 VIPs")
}

// Run follows the interface for every group until ctx ends: its carrier
// (unless IgnoreCarrier), its addresses (the own-packet filter, and a VIP
// of a MASTER announced again when it leaves duplicate address detection)
// and the managed VIPs, which it removes when ctx ends. It returns nil
// then; a second call returns an error at once.
func (i *Interface) Run(ctx context.Context) error {
	i.mu.Lock()
	if i.running {
		i.mu.Unlock()
		return errors.New("carpnet: Run called twice")
	}
	i.running = true
	carrier := i.carrier
	i.mu.Unlock()
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		if err := i.vips.Run(ctx); err != nil && !errors.Is(err, context.Canceled) {
			i.log.Error("VIP manager", "interface", i.name, "err", err)
		}
	}()
	go func() {
		defer wg.Done()
		if err := netif.WatchAddrs(ctx, i.name, i.cfg.Namespace, i.addrsChanged); err != nil && ctx.Err() == nil {
			i.log.Error("watching the addresses; the own-packet filter keeps those of the start", "interface", i.name, "err", err)
		}
	}()
	if carrier {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := netif.WatchLink(ctx, i.name, i.cfg.Namespace, func(up bool) {
				if up {
					i.log.Info("carrier up", "interface", i.name)
				} else {
					i.log.Warn("carrier lost", "interface", i.name)
				}
				i.link.SetCarrier(up)
			})
			if err != nil && ctx.Err() == nil {
				i.log.Error("watching the link; carrier loss will go unnoticed", "interface", i.name, "err", err)
			}
		}()
	}
	wg.Wait()
	return nil
}

// addrsChanged follows the interface's addresses: the link's own-packet
// filter gets them all, and a VIP of a MASTER that has just become usable
// is announced: the VIP manager or an up script adds it off the
// protocol's path, a few milliseconds after the takeover, and the group's
// announcer (waitingAnnouncer) left it to this watch; an IPv6 one added
// with duplicate address detection answers a second or more later still,
// after the announcer's fallback (AnnounceWait).
func (i *Interface) addrsChanged(list []netif.Addr) {
	addrs := make([]netip.Addr, 0, len(list))
	prefixes := make([]netip.Prefix, 0, len(list))
	usable := make(map[netip.Addr]bool, len(list))
	for _, a := range list {
		addrs = append(addrs, a.Prefix.Addr())
		prefixes = append(prefixes, a.Prefix)
		usable[a.Prefix.Addr()] = a.Usable
	}
	i.link.SetAddrs(addrs)
	i.mu.Lock()
	i.addrs = prefixes
	prev := i.usable
	i.usable = usable
	i.mu.Unlock()
	if prev != nil {
		for a, ok := range usable {
			i.mu.Lock()
			g := i.owner[a]
			i.mu.Unlock()
			if !ok || prev[a] || g == nil || g.State() != carp.StateMaster {
				continue
			}
			if err := i.annc.Announce([]netip.Addr{a}); err != nil {
				i.log.Warn("announcing a VIP that became usable", "interface", i.name, "vip", a, "err", err)
				continue
			}
			if _, wasThere := prev[a]; wasThere {
				i.log.Info("announced a VIP that left duplicate address detection", "interface", i.name, "vip", a)
			} else {
				i.log.Debug("announced a VIP that appeared", "interface", i.name, "vip", a)
			}
		}
	}
}

// Close closes the socket and the announcer. Close the groups first (their
// ports go with the link).
func (i *Interface) Close() error {
	var err error
	if i.annc != nil {
		err = i.annc.Close()
	}
	if i.link != nil {
		err = errors.Join(err, i.link.Close()) // closes conn
	}
	return err
}

// ignoreCarrier is a port whose group does not follow the carrier: it
// hides transport.CarrierNotifier.
type ignoreCarrier struct{ p *link.Port }

func (i ignoreCarrier) Send(b []byte) error                      { return i.p.Send(b) }
func (i ignoreCarrier) Listen(h transport.Handler) error         { return i.p.Listen(h) }
func (i ignoreCarrier) Close() error                             { return i.p.Close() }
func (i ignoreCarrier) Addrs() []netip.Addr                      { return i.p.Addrs() }
func (i ignoreCarrier) ListenPackets(h func(*wire.Packet)) error { return i.p.ListenPackets(h) }
