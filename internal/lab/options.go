package lab

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net/netip"
)

// Prefix starts the name of every network namespace the lab creates, so that
// the leftovers of a crashed run can be found and removed.
const Prefix = "carplab-"

// The lab's LAN, all from TEST-NET-2 (RFC 5737).
var (
	// NodeAddrs are the real addresses of nodes A, B and C.
	NodeAddrs = []netip.Addr{
		netip.MustParseAddr("198.51.100.1"),
		netip.MustParseAddr("198.51.100.2"),
		netip.MustParseAddr("198.51.100.3"),
	}
	// ClientAddr is the address of the client namespace.
	ClientAddr = netip.MustParseAddr("198.51.100.50")
	// VIP is the virtual address the nodes share.
	VIP = netip.MustParseAddr("198.51.100.100")
)

const (
	// VHID is the virtual host id of the lab's group.
	VHID = 42
	// Password is the lab's CARP password (it shows in ps: fine for a lab).
	Password = "labsecret"
)

var (
	// ErrUsage reports a bad lab command line.
	ErrUsage = errors.New("lab: usage")
	// ErrNotRoot reports that the lab was started without root.
	ErrNotRoot = errors.New("lab: needs root to create network namespaces: run it with sudo")
	// ErrNoIP reports that the ip command (iproute2) is missing.
	ErrNoIP = errors.New("lab: needs the ip command from iproute2 (Debian/Ubuntu: apt install iproute2)")
	// ErrInterrupted reports that the lab was stopped (Ctrl-C) before the end
	// of the scenario. Everything has been cleaned up when it is returned.
	ErrInterrupted = errors.New("lab: interrupted (the LAN has been removed)")
	// ErrScenario reports that the LAN did not behave as the scenario expects
	// (no master elected, no takeover, VIP unreachable).
	ErrScenario = errors.New("lab: scenario failed")
)

// Options are the settings of one lab run.
type Options struct {
	// Verbose interleaves the nodes' logs, prefixed by the node's name, with
	// the timeline instead of writing them to a file.
	Verbose bool
	// Keep leaves the LAN and the nodes running after the scenario, until
	// the context ends (Ctrl-C).
	Keep bool
	// Help asks for the usage text only.
	Help bool
	// Executable is the carpd binary run on the nodes; empty means the
	// running executable (carpd lab runs carpd itself).
	Executable string
}

// Usage is the help text of carpd lab.
const Usage = `usage: sudo carpd lab [-v] [--keep]

Builds a small LAN of network namespaces (a bridge, nodes A, B and C, a client),
runs carpd on the three nodes for the virtual address 198.51.100.100 (vhid 42),
and shows a timeline: the election, the client reaching the VIP, the master
dying and the VIP moving, the master coming back and preempting, and a planned
handover. Everything is removed at the end, also on Ctrl-C. Needs root and ip.

  -v        show the nodes' logs in the timeline (default: in a file)
  --keep    leave the LAN running after the scenario, until Ctrl-C
  --carpd PATH
            run this carpd binary on the nodes (default: the running one)
  -h        this help
`

// ParseArgs parses the arguments of carpd lab (after "lab"). Single and
// double dashes are both accepted.
func ParseArgs(args []string) (Options, error) {
	var o Options
	fs := flag.NewFlagSet("carpd lab", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.BoolVar(&o.Verbose, "v", false, "")
	fs.BoolVar(&o.Verbose, "verbose", false, "")
	fs.BoolVar(&o.Keep, "keep", false, "")
	fs.StringVar(&o.Executable, "carpd", "", "")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return Options{Help: true}, nil
		}
		return Options{}, fmt.Errorf("%w: %v", ErrUsage, err)
	}
	if fs.NArg() > 0 {
		return Options{}, fmt.Errorf("%w: unexpected argument %q", ErrUsage, fs.Arg(0))
	}
	return o, nil
}
