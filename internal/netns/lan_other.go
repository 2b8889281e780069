//go:build !linux

package netns

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"os/exec"
	"testing"
)

// SkipMessage is the reason Available gives when it skips a test.
const SkipMessage = "needs root and network namespaces (ip netns); run as root, as CI does"

const (
	// Interface is the name of every host's LAN interface.
	Interface = "eth0"
	// BridgeInterface is the name of the bridge device in the bridge namespace.
	BridgeInterface = "br0"
)

// Subnet is the IPv4 prefix of every LAN: host i has address .(i+1).
var Subnet = netip.MustParsePrefix("198.51.100.0/24")

// errNotImplemented is what every Host method returns off Linux.
var errNotImplemented = errors.New("netns: not implemented on this OS: network namespaces are Linux only")

// Available skips t: network namespaces exist only on Linux.
func Available(t testing.TB) {
	t.Helper()
	t.Skip(SkipMessage + " (Linux only)")
}

// LAN is a bridge namespace and the host namespaces plugged into it.
type LAN struct {
	Name   string
	Bridge string
	Hosts  []*Host
}

// Host is one namespace on the LAN.
type Host struct {
	Index     int
	Namespace string
	Interface string
	MAC       net.HardwareAddr
	Addr      netip.Prefix
	Addr6     netip.Prefix
	Port      string
}

// NewLAN skips t: network namespaces exist only on Linux.
func NewLAN(t testing.TB, name string, n int) *LAN {
	t.Helper()
	t.Skip(SkipMessage + " (Linux only)")
	return nil
}

// NewRoutedLANs skips t: network namespaces exist only on Linux.
func NewRoutedLANs(t testing.TB, name string, n int) *Routed {
	t.Helper()
	t.Skip(SkipMessage + " (Linux only)")
	return nil
}

// Run fails t: network namespaces exist only on Linux.
func (h *Host) Run(t testing.TB, fn func()) { t.Fatal(errNotImplemented) }

// Command returns a command that fails to start.
func (h *Host) Command(ctx context.Context, name string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Err = errNotImplemented
	return cmd
}

// Exec fails t: network namespaces exist only on Linux.
func (h *Host) Exec(t testing.TB, args ...string) string {
	t.Fatal(errNotImplemented)
	return ""
}

// SetPortUp returns an error: network namespaces exist only on Linux.
func (h *Host) SetPortUp(up bool) error { return errNotImplemented }

// Carrier returns an error: network namespaces exist only on Linux.
func (h *Host) Carrier() (bool, error) { return false, errNotImplemented }

// InterfaceIndex returns an error: network namespaces exist only on Linux.
func (h *Host) InterfaceIndex() (int, error) { return 0, errNotImplemented }

// LinkLocal returns an error: network namespaces exist only on Linux.
func (h *Host) LinkLocal() (netip.Addr, error) { return netip.Addr{}, errNotImplemented }

// Addrs returns an error: network namespaces exist only on Linux.
func (h *Host) Addrs() ([]netip.Prefix, error) { return nil, errNotImplemented }

// AddrAdd returns an error: network namespaces exist only on Linux.
func (h *Host) AddrAdd(p netip.Prefix) error { return errNotImplemented }

// AddrDel returns an error: network namespaces exist only on Linux.
func (h *Host) AddrDel(p netip.Prefix) error { return errNotImplemented }

// HasAddr reports false: network namespaces exist only on Linux.
func (h *Host) HasAddr(a netip.Addr) bool { return false }

// Neighbor reports no entry: network namespaces exist only on Linux.
func (h *Host) Neighbor(ip netip.Addr) (net.HardwareAddr, bool) { return nil, false }

// Capture records a host's frames; not implemented on this OS.
type Capture struct{}

// Capture fails the test: not implemented on this OS.
func (h *Host) Capture(t testing.TB) *Capture { t.Fatal(errNotImplemented); return nil }

// Frames returns nothing on this OS.
func (c *Capture) Frames(match func(frame []byte) bool) [][]byte { return nil }

// DropCARPMulticast skips t: nftables exist only on Linux.
func (l *LAN) DropCARPMulticast(t testing.TB) (dropped func() (v4, v6 uint64)) {
	t.Skip(SkipMessage + " (Linux only)")
	return nil
}
