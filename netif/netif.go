package netif

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
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
	// ErrNoUsableInterface is returned by FirstUsableInterface when no
	// interface is up, not a loopback and has an IPv4 address.
	ErrNoUsableInterface = errors.New("netif: no usable interface (up, not loopback, with an IPv4 address)")
	// ErrNoVIPs means a VIPConfig lists no address.
	ErrNoVIPs = errors.New("netif: no virtual addresses")
	// ErrInvalidVIP means a VIP is not a usable unicast address, or has a
	// zone other than the interface's name.
	ErrInvalidVIP = errors.New("netif: invalid virtual address")
	// ErrDuplicateVIP means a VIP is listed twice.
	ErrDuplicateVIP = errors.New("netif: duplicate virtual address")
	// ErrPrefixLen means a prefix length is out of range for its family.
	ErrPrefixLen = errors.New("netif: prefix length out of range")
	// ErrRunning is returned by a second call of VIPManager.Run.
	ErrRunning = errors.New("netif: VIPManager.Run called twice")
)

// DefaultResyncInterval is how often a VIPManager compares the interface's
// addresses with the desired state even when no netlink notification came:
// notifications can be lost when the socket buffer overflows.
const DefaultResyncInterval = 5 * time.Second

// VIPConfig configures a VIPManager.
//
// ucarp never touches addresses itself: its up and down scripts do, typically
// with "ip addr add $2/24 dev $1". A VIPManager instead adds each VIP as a host
// address (/32 for IPv4, /128 for IPv6) unless PrefixLen4 or PrefixLen6 says
// otherwise. A shorter prefix makes the kernel add a connected route for it,
// as the script's /24 does.
type VIPConfig struct {
	// Interface is the name of the interface the VIPs go on. Required.
	Interface string
	// VIPs are the virtual addresses, either family. Required. IPv4-mapped
	// IPv6 addresses are taken as IPv4. A zone, if any, must be Interface.
	VIPs []netip.Addr
	// PrefixLen4 is the prefix length of IPv4 VIPs, 1 to 32; 0 means 32.
	PrefixLen4 int
	// PrefixLen6 is the prefix length of IPv6 VIPs, 1 to 128; 0 means 128.
	PrefixLen6 int
	// ResyncInterval is the period of the full comparison that catches
	// missed notifications; 0 means DefaultResyncInterval.
	ResyncInterval time.Duration
	// Logger receives adds, removals, re-adds and errors; nil discards.
	Logger *slog.Logger
	// Namespace is the network namespace the interface lives in; nil means
	// the caller's own. It must stay open while Run runs.
	Namespace *Namespace
}

// VIPStats counts what a VIPManager did.
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

// desired states of a VIPManager.
const (
	stateUnset  int32 = iota // SetMaster never called: touch nothing
	stateBackup              // VIPs absent
	stateMaster              // VIPs present
)

// VIPManager keeps a set of virtual addresses on an interface while the
// node is MASTER and off it otherwise. The protocol only calls SetMaster,
// which never blocks; Run's goroutine does the netlink work and keeps the
// addresses in that state against outside changes.
type VIPManager struct {
	ifname string
	vips   []netip.Addr
	bits4  int
	bits6  int
	resync time.Duration
	log    *slog.Logger
	ns     *Namespace

	desired atomic.Int32
	wake    chan struct{} // capacity 1: SetMaster coalesces wake-ups
	running atomic.Bool

	adds, removes, readds, errs atomic.Uint64
}

// NewVIPManager validates cfg and returns a manager that does nothing until
// Run is called. Off Linux, a valid cfg yields ErrNotImplemented.
func NewVIPManager(cfg VIPConfig) (*VIPManager, error) {
	if cfg.Interface == "" {
		return nil, ErrNoInterface
	}
	if len(cfg.VIPs) == 0 {
		return nil, ErrNoVIPs
	}
	bits4, bits6 := cfg.PrefixLen4, cfg.PrefixLen6
	if bits4 == 0 {
		bits4 = 32
	}
	if bits6 == 0 {
		bits6 = 128
	}
	if bits4 < 1 || bits4 > 32 {
		return nil, fmt.Errorf("%w: IPv4 /%d", ErrPrefixLen, cfg.PrefixLen4)
	}
	if bits6 < 1 || bits6 > 128 {
		return nil, fmt.Errorf("%w: IPv6 /%d", ErrPrefixLen, cfg.PrefixLen6)
	}
	vips := make([]netip.Addr, 0, len(cfg.VIPs))
	seen := make(map[netip.Addr]bool, len(cfg.VIPs))
	for _, a := range cfg.VIPs {
		if z := a.Zone(); z != "" && z != cfg.Interface {
			return nil, fmt.Errorf("%w: %s: zone is not %s", ErrInvalidVIP, a, cfg.Interface)
		}
		a = a.Unmap().WithZone("")
		if !a.IsValid() || a.IsUnspecified() || a.IsLoopback() || a.IsMulticast() {
			return nil, fmt.Errorf("%w: %s", ErrInvalidVIP, a)
		}
		if seen[a] {
			return nil, fmt.Errorf("%w: %s", ErrDuplicateVIP, a)
		}
		seen[a] = true
		vips = append(vips, a)
	}
	if cfg.ResyncInterval < 0 {
		return nil, fmt.Errorf("netif: negative resync interval %v", cfg.ResyncInterval)
	}
	m := &VIPManager{
		ifname: cfg.Interface,
		vips:   vips,
		bits4:  bits4,
		bits6:  bits6,
		resync: cfg.ResyncInterval,
		log:    cfg.Logger,
		ns:     cfg.Namespace,
		wake:   make(chan struct{}, 1),
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

// SetMaster records whether the VIPs should be on the interface and wakes
// Run's goroutine. It never blocks and may be called from any goroutine,
// before or while Run runs; the last call wins. Until the first call the
// manager leaves the interface alone (ucarp's --neutral); a daemon that
// starts as BACKUP calls SetMaster(false) at once, as ucarp runs its down
// script at start.
func (m *VIPManager) SetMaster(master bool) {
	s := stateBackup
	if master {
		s = stateMaster
	}
	m.desired.Store(s)
	select {
	case m.wake <- struct{}{}:
	default: // a wake-up is already pending; it will read the new state
	}
}

// Stats returns the counters. Safe for concurrent use.
func (m *VIPManager) Stats() VIPStats {
	return VIPStats{
		Adds:    m.adds.Load(),
		Removes: m.removes.Load(),
		Readds:  m.readds.Load(),
		Errors:  m.errs.Load(),
	}
}

// begin marks the manager as running; Run may be called once.
func (m *VIPManager) begin() error {
	if !m.running.CompareAndSwap(false, true) {
		return ErrRunning
	}
	return nil
}

// VIPs returns the managed addresses, normalised (unmapped, no zone).
func (m *VIPManager) VIPs() []netip.Addr {
	return append([]netip.Addr(nil), m.vips...)
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
	for i := range ifaces {
		if ifaces[i].Name != ifname {
			continue
		}
		v4, v6, _, err := addrsOf(&ifaces[i])
		return v4, v6, err
	}
	return nil, nil, fmt.Errorf("%w: %s", ErrInterfaceNotFound, ifname)
}

// addrsOf splits the addresses of ifc into IPv4, IPv6 link-local and other.
func addrsOf(ifc *net.Interface) (v4, v6LinkLocal, other []netip.Addr, err error) {
	addrs, err := ifc.Addrs()
	if err != nil {
		return nil, nil, nil, fmt.Errorf("netif: addresses of %s: %w", ifc.Name, err)
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
		default:
			other = append(other, ip)
		}
	}
	return v4, v6LinkLocal, other, nil
}

// FirstUsableInterface returns the name of the first interface, in index
// order, that is up, not a loopback and has an IPv4 address: the default
// interface when none is configured, as ucarp takes pcap_lookupdev's. An
// interface that also has carrier (running) is preferred, so a dead port
// with a lower index does not win.
func FirstUsableInterface() (string, error) {
	ifaces, err := net.Interfaces()
	if err != nil {
		return "", fmt.Errorf("netif: list interfaces: %w", err)
	}
	fallback := ""
	for i := range ifaces {
		ifc := &ifaces[i]
		if ifc.Flags&net.FlagUp == 0 || ifc.Flags&net.FlagLoopback != 0 {
			continue
		}
		v4, _, _, err := addrsOf(ifc)
		if err != nil || len(v4) == 0 {
			continue
		}
		if ifc.Flags&net.FlagRunning != 0 {
			return ifc.Name, nil
		}
		if fallback == "" {
			fallback = ifc.Name
		}
	}
	if fallback == "" {
		return "", ErrNoUsableInterface
	}
	return fallback, nil
}
