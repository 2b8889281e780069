//go:build linux

package netns

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// SkipMessage is the reason Available gives when it skips a test.
const SkipMessage = "needs root and network namespaces (ip netns); run as root, as CI does"

const (
	// Interface is the name of every host's LAN interface.
	Interface = "eth0"
	// BridgeInterface is the name of the bridge device in the bridge namespace.
	BridgeInterface = "br0"
	// maxHosts keeps host addresses inside 198.51.100.0/24 (.1 to .250).
	maxHosts = 250
)

// Subnet is the IPv4 prefix of every LAN from NewLAN: host i has address
// .(i+1).
var Subnet = netip.MustParsePrefix("198.51.100.0/24")

// Available skips t unless the process runs as root on Linux with the ip
// command at hand.
func Available(t testing.TB) {
	t.Helper()
	if runtime.GOOS != "linux" || os.Geteuid() != 0 {
		t.Skip(SkipMessage)
	}
	if _, err := exec.LookPath("ip"); err != nil {
		t.Skip(SkipMessage + ": " + err.Error())
	}
}

// LAN is a bridge namespace and the host namespaces plugged into it.
type LAN struct {
	// Name is the prefix of every namespace name of the LAN.
	Name string
	// Bridge is the name of the namespace holding the bridge device
	// BridgeInterface and one port per host.
	Bridge string
	// Hosts are the hosts, in the order of their addresses.
	Hosts []*Host

	mu         sync.Mutex
	procs      []*exec.Cmd     // started through Host.Command, killed on cleanup
	bridge     *netlink.Handle // netlink socket inside Bridge
	namespaces []string        // to delete, in creation order
	routers    []*Host         // hosts of the LAN not listed in Hosts
}

// Host is one namespace on the LAN.
type Host struct {
	// Index is the host's position in LAN.Hosts.
	Index int
	// Namespace is the network namespace name, for ip netns exec.
	Namespace string
	// Interface is the LAN interface inside Namespace ("eth0").
	Interface string
	// MAC is the hardware address of Interface.
	MAC net.HardwareAddr
	// Addr is the IPv4 address and prefix of Interface.
	Addr netip.Prefix
	// Addr6 is the global IPv6 address and prefix of Interface: set on the
	// LANs of NewRoutedLANs, zero on a LAN from NewLAN.
	Addr6 netip.Prefix
	// Port is the name of the bridge-side veth in the bridge namespace.
	Port string

	lan    *LAN
	handle *netlink.Handle // netlink socket inside Namespace
}

// NewLAN builds a LAN of n hosts. name (short, letters and digits) makes the
// namespaces recognisable in ip netns list; a random suffix makes them unique.
// Call Available first. Everything is torn down in t.Cleanup.
func NewLAN(t testing.TB, name string, n int) *LAN {
	t.Helper()
	return newLAN(t, name, n, Subnet, netip.Prefix{})
}

// newLAN builds a LAN of n hosts on subnet, host i at .(i+1); with a valid
// subnet6 host i also gets ::(i+1) in it.
func newLAN(t testing.TB, name string, n int, subnet, subnet6 netip.Prefix) *LAN {
	t.Helper()
	if n < 1 || n > maxHosts {
		t.Fatalf("netns: %d hosts: want 1 to %d", n, maxHosts)
	}
	var suffix [3]byte
	_, _ = rand.Read(suffix[:])
	lan := &LAN{Name: "gc-" + name + "-" + hex.EncodeToString(suffix[:])}
	lan.Bridge = lan.Name + "-br"
	t.Cleanup(func() { lan.cleanup(t) })

	lan.bridge = lan.addNamespace(t, lan.Bridge)
	// The switch itself stays silent: no IPv6 on its ports (no router or
	// neighbour solicitations, no MLD), so hosts see only each other.
	sysctl(t, lan.Bridge, "net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1")
	// A dumb switch forwards whatever it gets. With br_netfilter loaded the
	// bridge instead validates IPv4 headers (dropping a bad header
	// checksum) before forwarding, in new namespaces too: turn that off
	// where it exists, so that tests can put malformed packets on the wire.
	for _, key := range []string{"bridge-nf-call-iptables", "bridge-nf-call-ip6tables", "bridge-nf-call-arptables"} {
		_ = exec.Command("ip", "netns", "exec", lan.Bridge, "sysctl", "-q", "-w", "net.bridge."+key+"=0").Run()
	}
	ipn(t, lan.Bridge, "link", "set", "lo", "up")
	// VLAN filtering is off by default; it is not named here because
	// kernels built without CONFIG_BRIDGE_VLAN_FILTERING reject the option.
	ipn(t, lan.Bridge, "link", "add", BridgeInterface, "type", "bridge",
		"mcast_snooping", "0", "stp_state", "0")
	ipn(t, lan.Bridge, "link", "set", BridgeInterface, "up")

	for i := range n {
		ns := fmt.Sprintf("%s-h%d", lan.Name, i)
		id := i + 1
		mac := net.HardwareAddr{0x02, 0, 0, 0, byte(id >> 8), byte(id)}
		h := lan.newHost(ns, lan.addNamespace(t, ns), Interface, fmt.Sprintf("p%d", i), id, mac, subnet, subnet6)
		h.Index = i
		lan.Hosts = append(lan.Hosts, h) // first, so that cleanup closes its handle
		h.plug(t)
	}
	for _, h := range lan.Hosts {
		if err := h.waitPort(true); err != nil {
			t.Fatal(err)
		}
	}
	return lan
}

// addNamespace creates namespace ns, to be deleted with the LAN, and
// returns a netlink handle inside it.
func (l *LAN) addNamespace(t testing.TB, ns string) *netlink.Handle {
	t.Helper()
	run(t, "ip", "netns", "add", ns)
	l.namespaces = append(l.namespaces, ns)
	return netlinkIn(t, ns)
}

// netlinkIn returns a netlink handle inside namespace ns.
func netlinkIn(t testing.TB, ns string) *netlink.Handle {
	t.Helper()
	h, err := netns.GetFromName(ns)
	if err != nil {
		t.Fatalf("netns: open %s: %v", ns, err)
	}
	defer h.Close()
	nl, err := netlink.NewHandleAt(h)
	if err != nil {
		t.Fatalf("netns: netlink in %s: %v", ns, err)
	}
	return nl
}

// newHost describes namespace ns (handle is netlink inside it) as host
// number id (1-based) of the LAN: interface ifname with address mac, whose
// peer is port on the bridge, .id in subnet and, if subnet6 is valid, ::id in
// subnet6. plug makes it so.
func (l *LAN) newHost(ns string, handle *netlink.Handle, ifname, port string, id int, mac net.HardwareAddr, subnet, subnet6 netip.Prefix) *Host {
	h := &Host{
		Index:     -1,
		Namespace: ns,
		Interface: ifname,
		MAC:       mac,
		Addr:      hostPrefix(subnet, id),
		Port:      port,
		lan:       l,
		handle:    handle,
	}
	if subnet6.IsValid() {
		h.Addr6 = hostPrefix(subnet6, id)
	}
	return h
}

// plug creates the host's interface, a veth whose peer is plugged into the
// bridge, and gives it its addresses. The caller waits for the port.
func (h *Host) plug(t testing.TB) {
	t.Helper()
	ns, ifname, l := h.Namespace, h.Interface, h.lan
	// Created from inside the host namespace, so the interface never
	// exists, even for a moment, next to the machine's own interfaces.
	ipn(t, ns, "link", "add", ifname, "address", h.MAC.String(),
		"type", "veth", "peer", "name", h.Port, "netns", l.Bridge)
	ipn(t, l.Bridge, "link", "set", h.Port, "master", BridgeInterface, "up")
	// No duplicate address detection: the link-local address is usable
	// as soon as the link is up, instead of after about a second.
	sysctl(t, ns, "net.ipv6.conf."+ifname+".accept_dad=0")
	ipn(t, ns, "addr", "add", h.Addr.String(), "dev", ifname)
	if h.Addr6.IsValid() {
		ipn(t, ns, "addr", "add", h.Addr6.String(), "dev", ifname, "nodad")
	}
	ipn(t, ns, "link", "set", "lo", "up")
	ipn(t, ns, "link", "set", ifname, "up")
}

// hostPrefix returns address number id of p (the base address plus id),
// with p's length.
func hostPrefix(p netip.Prefix, id int) netip.Prefix {
	b := p.Masked().Addr().AsSlice()
	b[len(b)-1] += byte(id)
	a, _ := netip.AddrFromSlice(b)
	return netip.PrefixFrom(a, p.Bits())
}

// waitPort waits until both ends of the host's cable report the operational
// state up (or, for !up, until eth0 no longer does). The kernel applies a
// carrier change (it attaches the transmit queue, tells the bridge) in its
// link watch work, up to a second later; until then frames are dropped
// silently. The operational state changes in that same work.
func (h *Host) waitPort(up bool) error {
	deadline := time.Now().Add(5 * time.Second)
	for {
		hostUp, err := operUp(h.handle, h.Interface)
		if err != nil {
			return err
		}
		portUp, err := operUp(h.lan.bridge, h.Port)
		if err != nil {
			return err
		}
		if up && hostUp && portUp || !up && !hostUp {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("netns: %s: link %s not %v after 5s", h.Namespace, h.Interface, map[bool]string{true: "up", false: "down"}[up])
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func operUp(nl *netlink.Handle, name string) (bool, error) {
	link, err := nl.LinkByName(name)
	if err != nil {
		return false, fmt.Errorf("netns: %s: %w", name, err)
	}
	return link.Attrs().OperState == netlink.OperUp, nil
}

// cleanup kills what runs inside the namespaces, then deletes them. Sockets
// and processes pin a namespace (and its veths) even after ip netns del, so
// they go first.
func (l *LAN) cleanup(t testing.TB) {
	l.mu.Lock()
	procs := l.procs
	l.procs = nil
	l.mu.Unlock()
	for _, cmd := range procs {
		killAndReap(cmd)
	}
	for _, h := range append(l.Hosts, l.routers...) {
		if h.handle != nil {
			h.handle.Close()
		}
	}
	if l.bridge != nil {
		l.bridge.Close()
	}
	for i := len(l.namespaces) - 1; i >= 0; i-- {
		out, err := exec.Command("ip", "netns", "del", l.namespaces[i]).CombinedOutput()
		if err != nil {
			t.Errorf("netns: delete %s: %v: %s", l.namespaces[i], err, out)
		}
	}
}

// killAndReap kills the process group of cmd and waits (bounded) until the
// process has exited, so that it no longer holds its namespace. The test may
// itself be waiting on cmd, so this polls instead of calling Wait.
func killAndReap(cmd *exec.Cmd) {
	if cmd.Process == nil {
		return
	}
	pid := cmd.Process.Pid
	_ = syscall.Kill(-pid, syscall.SIGKILL) // the group: ip netns exec may have children
	_ = cmd.Process.Kill()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if exited(pid) {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// exited reports whether pid is gone or a zombie (which has already left its
// namespaces).
func exited(pid int) bool {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return true
	}
	// Format: pid (comm) state ...; comm may contain spaces and parentheses.
	i := bytes.LastIndexByte(stat, ')')
	return i < 0 || i+2 >= len(stat) || stat[i+2] == 'Z' || stat[i+2] == 'X'
}

// run runs a setup command in the caller's namespace and fails t on error.
func run(t testing.TB, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("netns: %s %s: %v: %s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// ipn runs ip -n ns args.
func ipn(t testing.TB, ns string, args ...string) {
	t.Helper()
	run(t, "ip", append([]string{"-n", ns}, args...)...)
}

// sysctl sets kernel parameters ("net.ipv6.conf.eth0.accept_dad=0") inside
// namespace ns. /proc/sys/net shows the namespace of the thread that opens
// it, so the files are written from a thread moved into ns.
func sysctl(t testing.TB, ns string, settings ...string) {
	t.Helper()
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread dies with the goroutine
		h, err := netns.GetFromName(ns)
		if err != nil {
			errc <- err
			return
		}
		err = netns.Set(h)
		_ = h.Close()
		if err != nil {
			errc <- err
			return
		}
		for _, s := range settings {
			key, value, _ := strings.Cut(s, "=")
			path := "/proc/sys/" + strings.ReplaceAll(key, ".", "/")
			if err := os.WriteFile(path, []byte(value), 0o644); err != nil {
				errc <- err
				return
			}
		}
		errc <- nil
	}()
	if err := <-errc; err != nil {
		t.Fatalf("netns: sysctl in %s: %v", ns, err)
	}
}

// Run calls fn on a goroutine whose OS thread has been moved into the host's
// namespace, and waits for it. Sockets fn opens belong to the namespace for
// their whole life. Goroutines fn starts run on other threads, in the test's
// own namespace, and so does name resolution done outside fn (interface
// names in zones, say). The thread is never returned to the scheduler: it exits with
// the goroutine, so no other goroutine can run in the wrong namespace. A
// failing require inside fn fails the test as usual; a panic is re-raised.
func (h *Host) Run(t testing.TB, fn func()) {
	t.Helper()
	type result struct {
		done  bool
		panic any
		err   error
	}
	ch := make(chan result, 1)
	go func() {
		// Deliberately never unlocked: see above.
		runtime.LockOSThread()
		var r result
		defer func() {
			if !r.done && r.err == nil {
				r.panic = recover()
			}
			ch <- r
		}()
		ns, err := netns.GetFromName(h.Namespace)
		if err != nil {
			r.err = err
			return
		}
		err = netns.Set(ns)
		_ = ns.Close()
		if err != nil {
			r.err = err
			return
		}
		fn()
		r.done = true
	}()
	r := <-ch
	switch {
	case r.err != nil:
		t.Fatalf("netns: enter %s: %v", h.Namespace, r.err)
	case r.panic != nil:
		panic(r.panic)
	case !r.done:
		// fn called runtime.Goexit, as t.FailNow does: carry it over.
		t.FailNow()
	}
}

// Command returns a command that runs name inside the host's namespace
// (through ip netns exec). It runs in its own process group and is killed,
// with its children, when the test ends, if it is still running then.
func (h *Host) Command(ctx context.Context, name string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, "ip", append([]string{"netns", "exec", h.Namespace, name}, args...)...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	h.lan.mu.Lock()
	h.lan.procs = append(h.lan.procs, cmd)
	h.lan.mu.Unlock()
	return cmd
}

// Exec runs args inside the host's namespace, fails t if the command fails,
// and returns its combined output.
func (h *Host) Exec(t testing.TB, args ...string) string {
	t.Helper()
	if len(args) == 0 {
		t.Fatal("netns: Exec without a command")
	}
	out, err := h.Command(context.Background(), args[0], args[1:]...).CombinedOutput()
	if err != nil {
		t.Fatalf("netns: %s: %s: %v: %s", h.Namespace, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// SetPortUp sets the host's bridge port up or down. Down is a pulled cable:
// the host's eth0 stays administratively up but loses carrier. It returns
// once the kernel has applied the change: frames flow again after up, and
// eth0 reports no carrier after down.
func (h *Host) SetPortUp(up bool) error {
	state := "down"
	if up {
		state = "up"
	}
	out, err := exec.Command("ip", "-n", h.lan.Bridge, "link", "set", h.Port, state).CombinedOutput()
	if err != nil {
		return fmt.Errorf("netns: set %s %s: %w: %s", h.Port, state, err, out)
	}
	return h.waitPort(up)
}

// Carrier reports whether the host's eth0 has carrier (IFF_LOWER_UP).
func (h *Host) Carrier() (bool, error) {
	link, err := h.handle.LinkByName(h.Interface)
	if err != nil {
		return false, err
	}
	return link.Attrs().RawFlags&unix.IFF_LOWER_UP != 0, nil
}

// InterfaceIndex returns the interface index of the host's eth0 inside its
// namespace. Use it, not the name, as the zone of a link-local address
// outside Run: a zone name is resolved in the calling thread's namespace.
func (h *Host) InterfaceIndex() (int, error) {
	link, err := h.handle.LinkByName(h.Interface)
	if err != nil {
		return 0, err
	}
	return link.Attrs().Index, nil
}

// LinkLocal returns the IPv6 link-local address of the host's eth0.
func (h *Host) LinkLocal() (netip.Addr, error) {
	addrs, err := h.Addrs()
	if err != nil {
		return netip.Addr{}, err
	}
	for _, a := range addrs {
		if a.Addr().Is6() && a.Addr().IsLinkLocalUnicast() {
			return a.Addr(), nil
		}
	}
	return netip.Addr{}, errors.New("netns: " + h.Namespace + ": no IPv6 link-local address")
}

// Addrs lists the addresses of the host's eth0, both families.
func (h *Host) Addrs() ([]netip.Prefix, error) {
	link, err := h.handle.LinkByName(h.Interface)
	if err != nil {
		return nil, err
	}
	list, err := h.handle.AddrList(link, netlink.FAMILY_ALL)
	if err != nil {
		return nil, err
	}
	var out []netip.Prefix
	for _, a := range list {
		ip, ok := netip.AddrFromSlice(a.IP)
		if !ok {
			continue
		}
		ones, _ := a.Mask.Size()
		out = append(out, netip.PrefixFrom(ip.Unmap(), ones))
	}
	return out, nil
}

// AddrAdd adds p to the host's eth0. IPv6 addresses skip duplicate address
// detection, so they are usable at once.
func (h *Host) AddrAdd(p netip.Prefix) error {
	return h.addr(p, true)
}

// AddrDel removes p from the host's eth0.
func (h *Host) AddrDel(p netip.Prefix) error {
	return h.addr(p, false)
}

func (h *Host) addr(p netip.Prefix, add bool) error {
	link, err := h.handle.LinkByName(h.Interface)
	if err != nil {
		return err
	}
	a := &netlink.Addr{IPNet: &net.IPNet{
		IP:   p.Addr().AsSlice(),
		Mask: net.CIDRMask(p.Bits(), p.Addr().BitLen()),
	}}
	if p.Addr().Is6() {
		a.Flags = unix.IFA_F_NODAD
	}
	if add {
		err = h.handle.AddrAdd(link, a)
	} else {
		err = h.handle.AddrDel(link, a)
	}
	if err != nil {
		return fmt.Errorf("netns: %s: address %s: %w", h.Namespace, p, err)
	}
	return nil
}

// HasAddr reports whether a is assigned to the host's eth0. A failed query
// counts as false.
func (h *Host) HasAddr(a netip.Addr) bool {
	addrs, err := h.Addrs()
	if err != nil {
		return false
	}
	for _, p := range addrs {
		if p.Addr() == a {
			return true
		}
	}
	return false
}

// Neighbor returns the link-layer address the host's neighbour table holds
// for ip on eth0, and false if there is no entry with an address.
func (h *Host) Neighbor(ip netip.Addr) (net.HardwareAddr, bool) {
	link, err := h.handle.LinkByName(h.Interface)
	if err != nil {
		return nil, false
	}
	family := netlink.FAMILY_V4
	if ip.Is6() {
		family = netlink.FAMILY_V6
	}
	list, err := h.handle.NeighList(link.Attrs().Index, family)
	if err != nil {
		return nil, false
	}
	for _, n := range list {
		if a, ok := netip.AddrFromSlice(n.IP); ok && a.Unmap() == ip && len(n.HardwareAddr) > 0 {
			return n.HardwareAddr, true
		}
	}
	return nil, false
}
