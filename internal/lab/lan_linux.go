//go:build linux

package lab

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Interface is the name of every host's LAN interface.
const Interface = "eth0"

// bridgeDevice is the bridge in the bridge namespace.
const bridgeDevice = "br0"

// Host describes one namespace plugged into the LAN.
type Host struct {
	// Name is short (letters, digits): it names the namespace (prefix+name)
	// and the bridge port ("p-"+name).
	Name string
	// Addr is the address and prefix of the host's eth0.
	Addr netip.Prefix
	// MAC is the hardware address of eth0.
	MAC net.HardwareAddr
}

// LAN is a bridge namespace with a Linux bridge (multicast snooping off, no
// STP: it floods like a dumb switch) and one namespace per host, each with an
// eth0 veth whose peer is a port of the bridge. Nothing is created in the
// caller's namespace.
type LAN struct {
	// Prefix starts every namespace name of the LAN.
	Prefix string
	// Bridge is the bridge namespace.
	Bridge string
	// Hosts are the hosts, in the order given to NewLAN.
	Hosts []Host

	created []string // namespaces, in creation order
}

// Check reports ErrNotRoot or ErrNoIP when the lab cannot run here.
func Check() error {
	if os.Geteuid() != 0 {
		return ErrNotRoot
	}
	if _, err := exec.LookPath("ip"); err != nil {
		return ErrNoIP
	}
	return nil
}

// ip runs the ip command and returns its standard output; the error carries
// its standard error.
func ip(ctx context.Context, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, "ip", args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.String(), fmt.Errorf("ip %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return stdout.String(), nil
}

// Namespaces lists the network namespaces whose names start with prefix.
func Namespaces(ctx context.Context, prefix string) ([]string, error) {
	out, err := ip(ctx, "netns", "list")
	if err != nil {
		return nil, err
	}
	var names []string
	for line := range strings.Lines(out) {
		f := strings.Fields(line)
		if len(f) > 0 && strings.HasPrefix(f[0], prefix) {
			names = append(names, f[0])
		}
	}
	return names, nil
}

// RemoveStale deletes the namespaces whose names start with prefix, after
// killing every process inside them: the leftovers of a run that could not
// clean up (kill -9, power loss). It returns the names it removed.
func RemoveStale(ctx context.Context, prefix string) ([]string, error) {
	if prefix == "" {
		return nil, fmt.Errorf("%w: empty namespace prefix", ErrUsage)
	}
	names, err := Namespaces(ctx, prefix)
	if err != nil {
		return nil, err
	}
	// Host namespaces first: deleting them removes the veths from the bridge.
	for i, j := 0, len(names)-1; i < j; i, j = i+1, j-1 {
		names[i], names[j] = names[j], names[i]
	}
	return names, deleteNamespaces(ctx, names)
}

// deleteNamespaces kills the processes inside each namespace, then deletes it.
// A live process pins the namespace (and its veth) even after ip netns del.
func deleteNamespaces(ctx context.Context, names []string) error {
	var errs []error
	for _, ns := range names {
		killNamespace(ctx, ns)
		if _, err := ip(ctx, "netns", "del", ns); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// killNamespace sends SIGKILL to every process in ns and waits briefly for
// them to go.
func killNamespace(ctx context.Context, ns string) {
	for range 50 {
		out, err := ip(ctx, "netns", "pids", ns)
		if err != nil || strings.TrimSpace(out) == "" {
			return
		}
		for _, f := range strings.Fields(out) {
			if pid, err := strconv.Atoi(f); err == nil && pid > 1 && pid != os.Getpid() {
				_ = syscall.Kill(pid, syscall.SIGKILL)
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// NewLAN builds a LAN named by prefix with the given hosts. The namespaces
// are prefix+"br" and prefix+host.Name. On error, whatever was built is
// removed again. Call Close to remove it.
func NewLAN(ctx context.Context, prefix string, hosts []Host) (_ *LAN, err error) {
	if prefix == "" {
		return nil, fmt.Errorf("%w: empty namespace prefix", ErrUsage)
	}
	l := &LAN{Prefix: prefix, Bridge: prefix + "br", Hosts: hosts}
	defer func() {
		if err != nil {
			_ = l.Close()
		}
	}()
	addNS := func(ns string) error {
		if _, err := ip(ctx, "netns", "add", ns); err != nil {
			return err
		}
		l.created = append(l.created, ns)
		return nil
	}
	if err := addNS(l.Bridge); err != nil {
		return nil, err
	}
	// The switch stays silent: no IPv6 (router solicitations, MLD) from it.
	if err := sysctl(ctx, l.Bridge, "net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1"); err != nil {
		return nil, err
	}
	for _, args := range [][]string{
		{"link", "set", "lo", "up"},
		// A dumb switch: floods multicast to every port (a snooping bridge
		// would need IGMP reports first), forwards at once (no STP delay).
		{"link", "add", bridgeDevice, "type", "bridge", "mcast_snooping", "0", "stp_state", "0", "forward_delay", "0"},
		{"link", "set", bridgeDevice, "up"},
	} {
		if _, err := ip(ctx, append([]string{"-n", l.Bridge}, args...)...); err != nil {
			return nil, err
		}
	}
	for _, h := range hosts {
		ns := l.Namespace(h.Name)
		if err := addNS(ns); err != nil {
			return nil, err
		}
		// Created from inside the host namespace: eth0 never exists, even
		// for a moment, next to the machine's own interfaces.
		steps := [][]string{
			{"-n", ns, "link", "add", Interface, "address", h.MAC.String(), "type", "veth", "peer", "name", l.Port(h.Name), "netns", l.Bridge},
			{"-n", l.Bridge, "link", "set", l.Port(h.Name), "master", bridgeDevice, "up"},
			{"-n", ns, "addr", "add", h.Addr.String(), "dev", Interface},
			{"-n", ns, "link", "set", "lo", "up"},
			{"-n", ns, "link", "set", Interface, "up"},
		}
		for _, args := range steps {
			if _, err := ip(ctx, args...); err != nil {
				return nil, err
			}
		}
		// IPv6 link-local without the one-second duplicate address detection.
		if err := sysctl(ctx, ns, "net.ipv6.conf."+Interface+".accept_dad=0"); err != nil {
			return nil, err
		}
	}
	for _, h := range hosts {
		if err := l.WaitPort(ctx, h.Name, true); err != nil {
			return nil, err
		}
	}
	return l, nil
}

// Namespace is the namespace of the host called name.
func (l *LAN) Namespace(name string) string { return l.Prefix + name }

// Port is the bridge port (in the bridge namespace) of the host called name.
func (l *LAN) Port(name string) string { return "p-" + name }

// SetPortUp brings the host's bridge port up or down: down is the cable
// pulled (eth0 loses carrier), up plugs it back and waits until frames flow.
func (l *LAN) SetPortUp(ctx context.Context, name string, up bool) error {
	state := "down"
	if up {
		state = "up"
	}
	if _, err := ip(ctx, "-n", l.Bridge, "link", "set", l.Port(name), state); err != nil {
		return err
	}
	if !up {
		return nil
	}
	return l.WaitPort(ctx, name, true)
}

// WaitPort waits until both ends of the host's cable report the operational
// state up (or, for !up, until eth0 does not). The kernel applies carrier
// changes in its link-watch work, up to a second later; frames sent before
// that are dropped.
func (l *LAN) WaitPort(ctx context.Context, name string, up bool) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	for {
		hostUp, err := operUp(ctx, l.Namespace(name), Interface)
		if err != nil {
			return err
		}
		portUp, err := operUp(ctx, l.Bridge, l.Port(name))
		if err != nil {
			return err
		}
		if up && hostUp && portUp || !up && !hostUp {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("lab: %s: link not %s: %w", l.Namespace(name), map[bool]string{true: "up", false: "down"}[up], ctx.Err())
		case <-time.After(10 * time.Millisecond):
		}
	}
}

func operUp(ctx context.Context, ns, dev string) (bool, error) {
	out, err := ip(ctx, "-n", ns, "-br", "link", "show", "dev", dev)
	if err != nil {
		return false, err
	}
	f := strings.Fields(out)
	return len(f) > 1 && f[1] == "UP", nil
}

// HasAddr reports whether addr is configured on the host's eth0.
func (l *LAN) HasAddr(ctx context.Context, name string, addr netip.Addr) (bool, error) {
	out, err := ip(ctx, "-n", l.Namespace(name), "-o", "addr", "show", "dev", Interface)
	if err != nil {
		return false, err
	}
	for _, f := range strings.Fields(out) {
		if p, err := netip.ParsePrefix(f); err == nil && p.Addr() == addr {
			return true, nil
		}
	}
	return false, nil
}

// DelAddr removes addr from the host's eth0 if it is there.
func (l *LAN) DelAddr(ctx context.Context, name string, addr netip.Addr) error {
	ok, err := l.HasAddr(ctx, name, addr)
	if err != nil || !ok {
		return err
	}
	out, err := ip(ctx, "-n", l.Namespace(name), "-o", "addr", "show", "dev", Interface)
	if err != nil {
		return err
	}
	for _, f := range strings.Fields(out) {
		if p, err := netip.ParsePrefix(f); err == nil && p.Addr() == addr {
			_, err := ip(ctx, "-n", l.Namespace(name), "addr", "del", p.String(), "dev", Interface)
			return err
		}
	}
	return nil
}

// Neighbour returns the hardware address the host's neighbour table holds
// for addr on eth0 (nil if none) and the entry's state (REACHABLE, STALE...).
func (l *LAN) Neighbour(ctx context.Context, name string, addr netip.Addr) (net.HardwareAddr, string, error) {
	out, err := ip(ctx, "-n", l.Namespace(name), "neigh", "show", addr.String(), "dev", Interface)
	if err != nil {
		return nil, "", err
	}
	f := strings.Fields(out)
	var mac net.HardwareAddr
	for i := 0; i+1 < len(f); i++ {
		if f[i] == "lladdr" {
			mac, _ = net.ParseMAC(f[i+1])
		}
	}
	state := ""
	if len(f) > 0 {
		state = f[len(f)-1]
	}
	return mac, state, nil
}

// Close kills every process inside the LAN's namespaces and deletes them.
// It is safe to call more than once.
func (l *LAN) Close() error {
	// The caller's context may be cancelled (Ctrl-C): cleaning up must go on.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	names := make([]string, 0, len(l.created))
	for i := len(l.created) - 1; i >= 0; i-- {
		names = append(names, l.created[i])
	}
	l.created = nil
	return deleteNamespaces(ctx, names)
}
