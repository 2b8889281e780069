package netif

import (
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

var (
	// ErrNotImplemented is returned on operating systems other than Linux
	// by everything that needs netlink.
	ErrNotImplemented = errors.New("netif: not implemented on this OS: address and link management need Linux netlink")
	// ErrNoInterface means an empty interface name was given.
	ErrNoInterface = errors.New("netif: no interface name")
	// ErrInterfaceNotFound means the named interface does not exist.
	ErrInterfaceNotFound = errors.New("netif: interface not found")
	// ErrNoVIPs means VIPManager.Add was given no address.
	ErrNoVIPs = errors.New("netif: no virtual addresses")
	// ErrInvalidVIP means a VIP is not a usable unicast address.
	ErrInvalidVIP = errors.New("netif: invalid virtual address")
	// ErrDuplicateVIP means a VIP is listed twice, or is already in another
	// set of the same VIPManager.
	ErrDuplicateVIP = errors.New("netif: duplicate virtual address")
	// ErrPrefixLen means a VIP's prefix length is out of range for its
	// family (1 to 32, 1 to 128).
	ErrPrefixLen = errors.New("netif: prefix length out of range")
	// ErrRunning is returned by a second call of VIPManager.Run.
	ErrRunning = errors.New("netif: VIPManager.Run called twice")
)

// DefaultResyncInterval is how often a VIPManager compares the interface's
// addresses with the desired state even when no netlink notification came:
// notifications can be lost when the socket buffer overflows.
const DefaultResyncInterval = 5 * time.Second

// Addr is an address on an interface, as WatchAddrs reports it.
type Addr struct {
	// Prefix is the address with the prefix length it was added with;
	// IPv6 link-local addresses carry no zone.
	Prefix netip.Prefix
	// Usable is false while IPv6 duplicate address detection runs
	// (tentative) and after it failed: the kernel neither sends from such
	// an address nor answers neighbour solicitations for it. IPv4
	// addresses are always usable.
	Usable bool
}

// VIPConfig configures a VIPManager.
type VIPConfig struct {
	// Interface is the name of the interface the VIPs go on. Required.
	Interface string
	// ResyncInterval is the period of the full comparison that catches
	// missed notifications; 0 means DefaultResyncInterval.
	ResyncInterval time.Duration
	// Logger receives adds, removals, re-adds and errors; nil discards.
	Logger *slog.Logger
	// Namespace is the network namespace the interface lives in; nil means
	// the caller's own. It must stay open while Run runs.
	Namespace *Namespace
}

// VIPStats counts what a VIPManager, or one VIPSet of it, did.
type VIPStats struct {
	// Adds counts addresses added, re-adds included.
	Adds uint64
	// Removes counts addresses removed.
	Removes uint64
	// Readds counts VIPs that disappeared while MASTER and were put back.
	Readds uint64
	// Errors counts failed netlink operations (each retried later).
	Errors uint64
}

// counters are the atomic form of VIPStats.
type counters struct {
	adds, removes, readds, errs atomic.Uint64
}

func (c *counters) stats() VIPStats {
	return VIPStats{Adds: c.adds.Load(), Removes: c.removes.Load(), Readds: c.readds.Load(), Errors: c.errs.Load()}
}

// What a set's owner asked for.
const (
	stateUnset  int32 = iota // SetMaster never called: touch nothing
	stateBackup              // VIPs absent
	stateMaster              // VIPs present
)

// VIPManager keeps the virtual addresses of any number of sets (one per
// CARP group, typically) on one interface: a set's addresses are on the
// interface while its owner says MASTER and off it otherwise. One goroutine
// (Run's) with one netlink subscription does the work for every set, and
// keeps the addresses in that state against outside changes.
type VIPManager struct {
	ifname string
	resync time.Duration
	log    *slog.Logger
	ns     *Namespace

	wake    chan struct{} // capacity 1: wake-ups coalesce
	running atomic.Bool
	total   counters

	mu   sync.Mutex
	sets []*VIPSet
	// owner maps each VIP of a live set to that set: a VIP is in one set.
	owner map[netip.Addr]*VIPSet
	// retired holds the VIPs of removed sets until Run's goroutine has
	// taken them off the interface (if it held them). Keyed by address,
	// and a VIP leaves it when a set claims it again, so it stays small.
	retired map[netip.Addr]retiredVIP
}

// retiredVIP is a VIP of a removed set.
type retiredVIP struct {
	prefix netip.Prefix
	set    *VIPSet // for its counters
}

// VIPSet is one group's virtual addresses within a VIPManager. Its owner
// says MASTER or not with SetMaster, and drops it with Remove.
type VIPSet struct {
	m       *VIPManager
	vips    []netip.Prefix
	desired atomic.Int32
	stats   counters
}

// NewVIPManager validates cfg and returns a manager with no sets that does
// nothing until Run is called. Off Linux, a valid cfg yields
// ErrNotImplemented.
func NewVIPManager(cfg VIPConfig) (*VIPManager, error) {
	if cfg.Interface == "" {
		return nil, ErrNoInterface
	}
	if cfg.ResyncInterval < 0 {
		return nil, fmt.Errorf("netif: negative resync interval %v", cfg.ResyncInterval)
	}
	m := &VIPManager{
		ifname:  cfg.Interface,
		resync:  cfg.ResyncInterval,
		log:     cfg.Logger,
		ns:      cfg.Namespace,
		wake:    make(chan struct{}, 1),
		owner:   make(map[netip.Addr]*VIPSet),
		retired: make(map[netip.Addr]retiredVIP),
	}
	if m.resync == 0 {
		m.resync = DefaultResyncInterval
	}
	if m.log == nil {
		m.log = slog.New(slog.DiscardHandler)
	}
	if !supported {
		return nil, ErrNotImplemented
	}
	return m, nil
}

// Add validates vips and adds them to the manager as a new set, which
// leaves the interface alone until its first SetMaster. Each VIP carries the
// prefix length it is added with: 198.51.100.100/24 makes the kernel add the
// connected route, as "ip addr add 198.51.100.100/24" in a ucarp up script
// does; HostPrefix gives the /32 or /128 of a bare address. A VIP may be in
// one set of a manager only. Add may be called at any time, before or while
// Run runs.
func (m *VIPManager) Add(vips []netip.Prefix) (*VIPSet, error) {
	if len(vips) == 0 {
		return nil, ErrNoVIPs
	}
	s := &VIPSet{m: m, vips: make([]netip.Prefix, 0, len(vips))}
	for _, p := range vips {
		v, err := checkVIP(p)
		if err != nil {
			return nil, err
		}
		if slices.ContainsFunc(s.vips, func(q netip.Prefix) bool { return q.Addr() == v.Addr() }) {
			return nil, fmt.Errorf("%w: %s listed twice", ErrDuplicateVIP, v.Addr())
		}
		s.vips = append(s.vips, v)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, v := range s.vips {
		if _, taken := m.owner[v.Addr()]; taken {
			return nil, fmt.Errorf("%w: %s is already in another set on %s", ErrDuplicateVIP, v.Addr(), m.ifname)
		}
	}
	for _, v := range s.vips {
		m.owner[v.Addr()] = s
		// The new set decides about an address a removed set still held.
		delete(m.retired, v.Addr())
	}
	m.sets = append(m.sets, s)
	return s, nil
}

// Stats returns the manager's counters: those of every set, removed ones
// included, and failures that concern no single set. Safe for concurrent use.
func (m *VIPManager) Stats() VIPStats { return m.total.stats() }

// poke wakes Run's goroutine without blocking.
func (m *VIPManager) poke() {
	select {
	case m.wake <- struct{}{}:
	default: // a wake-up is already pending; it will see the new state
	}
}

// begin marks the manager as running; Run may be called once.
func (m *VIPManager) begin() error {
	if !m.running.CompareAndSwap(false, true) {
		return ErrRunning
	}
	return nil
}

// snapshot returns what Run's goroutine should make of each VIP now, and
// takes the retired VIPs (the caller gives back those it could not remove,
// with unretire). At shutdown every set the owner has spoken for counts as
// BACKUP, so the manager leaves no VIP behind.
func (m *VIPManager) snapshot(shutdown bool) map[netip.Addr]target {
	m.mu.Lock()
	defer m.mu.Unlock()
	targets := make(map[netip.Addr]target, len(m.owner)+len(m.retired))
	for _, s := range m.sets {
		st := s.desired.Load()
		if st == stateUnset {
			continue
		}
		for _, v := range s.vips {
			targets[v.Addr()] = target{prefix: v, set: s, present: st == stateMaster && !shutdown}
		}
	}
	for a, r := range m.retired {
		targets[a] = target{prefix: r.prefix, set: r.set, retired: true}
	}
	clear(m.retired)
	return targets
}

// unretire gives back a retired VIP whose removal failed, unless a set has
// claimed the address since.
func (m *VIPManager) unretire(t target) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, claimed := m.owner[t.prefix.Addr()]; !claimed {
		m.retired[t.prefix.Addr()] = retiredVIP{prefix: t.prefix, set: t.set}
	}
}

// SetMaster records whether the set's VIPs should be on the interface and
// wakes the manager. It never blocks and may be called from any goroutine,
// before or while Run runs; the last call wins. Until the first call the
// manager leaves the set's addresses alone (ucarp's --neutral); an owner
// that starts as BACKUP calls SetMaster(false) at once, as ucarp runs its
// down script at start. After Remove it does nothing.
func (s *VIPSet) SetMaster(master bool) {
	st := stateBackup
	if master {
		st = stateMaster
	}
	s.desired.Store(st)
	s.m.poke()
}

// Remove takes the set out of its manager: the manager forgets it, and
// takes its VIPs off the interface if it holds them (because the set was
// MASTER). Its addresses may then go into another set. It never blocks;
// a second call does nothing.
func (s *VIPSet) Remove() {
	m := s.m
	m.mu.Lock()
	i := slices.Index(m.sets, s)
	if i < 0 {
		m.mu.Unlock()
		return
	}
	m.sets = slices.Delete(m.sets, i, i+1)
	for _, v := range s.vips {
		delete(m.owner, v.Addr())
		m.retired[v.Addr()] = retiredVIP{prefix: v, set: s}
	}
	m.mu.Unlock()
	m.poke()
}

// VIPs returns the set's addresses, normalised (IPv4-mapped IPv6 as IPv4).
func (s *VIPSet) VIPs() []netip.Prefix { return slices.Clone(s.vips) }

// Stats returns the set's counters. Safe for concurrent use.
func (s *VIPSet) Stats() VIPStats { return s.stats.stats() }

// HostPrefix returns the prefix a bare address is a VIP with: /32 for IPv4
// (IPv4-mapped IPv6 included), /128 for IPv6, without zone (a VIPManager's
// interface is the scope of a link-local VIP).
func HostPrefix(a netip.Addr) netip.Prefix {
	a = a.Unmap()
	return netip.PrefixFrom(a, a.BitLen())
}

// limitedBroadcast is 255.255.255.255.
var limitedBroadcast = netip.AddrFrom4([4]byte{255, 255, 255, 255})

// checkVIP is the one place that says what a VIP may be: a unicast address,
// neither unspecified, loopback, multicast nor broadcast (the limited one or
// its own prefix's), with a prefix length of 1 up to the address's length.
// It returns p normalised: an IPv4-mapped IPv6 VIP becomes IPv4. A
// netip.Prefix holds no zone, so none can name another interface.
func checkVIP(p netip.Prefix) (netip.Prefix, error) {
	a, bits := p.Addr(), p.Bits()
	if !a.IsValid() {
		return netip.Prefix{}, fmt.Errorf("%w: no address", ErrInvalidVIP)
	}
	if bits < 0 {
		return netip.Prefix{}, fmt.Errorf("%w: %s: no valid prefix length", ErrPrefixLen, a)
	}
	if a.Is4In6() {
		if bits < 96 {
			return netip.Prefix{}, fmt.Errorf("%w: %s", ErrPrefixLen, p)
		}
		a, bits = a.Unmap(), bits-96
	}
	if bits == 0 {
		return netip.Prefix{}, fmt.Errorf("%w: %s/0", ErrPrefixLen, a)
	}
	v := netip.PrefixFrom(a, bits)
	switch {
	case a.IsUnspecified():
		return netip.Prefix{}, fmt.Errorf("%w: %s: unspecified", ErrInvalidVIP, v)
	case a.IsLoopback():
		return netip.Prefix{}, fmt.Errorf("%w: %s: loopback", ErrInvalidVIP, v)
	case a.IsMulticast():
		return netip.Prefix{}, fmt.Errorf("%w: %s: multicast", ErrInvalidVIP, v)
	case a == limitedBroadcast:
		return netip.Prefix{}, fmt.Errorf("%w: %s: broadcast", ErrInvalidVIP, v)
	case a.Is4() && bits <= 30:
		// On /31 and /32 there is no broadcast address (RFC 3021).
		b := a.As4()
		host := ^uint32(0) >> bits
		if binary.BigEndian.Uint32(b[:])&host == host {
			return netip.Prefix{}, fmt.Errorf("%w: %s: the broadcast address of its prefix", ErrInvalidVIP, v)
		}
	}
	return v, nil
}

// InterfaceAddrs returns the IPv4 addresses and the IPv6 link-local
// addresses (without zone) of the interface named ifname, in the kernel's
// order. VIPs currently on the interface are included. It works in the
// namespace of the calling thread and on every OS the net package supports.
func InterfaceAddrs(ifname string) (v4 []netip.Addr, v6LinkLocal []netip.Addr, err error) {
	if ifname == "" {
		return nil, nil, ErrNoInterface
	}
	ifaces, err := net.Interfaces()
	if err != nil {
		return nil, nil, fmt.Errorf("netif: list interfaces: %w", err)
	}
	i := slices.IndexFunc(ifaces, func(ifc net.Interface) bool { return ifc.Name == ifname })
	if i < 0 {
		return nil, nil, fmt.Errorf("%w: %s", ErrInterfaceNotFound, ifname)
	}
	addrs, err := ifaces[i].Addrs()
	if err != nil {
		return nil, nil, fmt.Errorf("netif: addresses of %s: %w", ifname, err)
	}
	for _, a := range addrs {
		ipn, ok := a.(*net.IPNet)
		if !ok {
			continue
		}
		ip, ok := netip.AddrFromSlice(ipn.IP)
		if !ok {
			continue
		}
		ip = ip.Unmap()
		switch {
		case ip.Is4():
			v4 = append(v4, ip)
		case ip.IsLinkLocalUnicast():
			v6LinkLocal = append(v6LinkLocal, ip)
		}
	}
	return v4, v6LinkLocal, nil
}
