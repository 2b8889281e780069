package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/gocarp/gocarp/internal/cli"
	"github.com/gocarp/gocarp/internal/control"
)

// statusMain is carpd status: every group of the running daemon.
func statusMain(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("carpd status", flag.ContinueOnError)
	fs.SetOutput(stderr)
	asJSON := fs.Bool("json", false, "print the status as JSON")
	path := fs.String("control", cli.DefaultControl, "the daemon's control socket")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: carpd status [--json] [--control PATH]\n\nEvery group of the running carpd: state, since when and why, the master heard,\nwhat it advertises, and its counters.\n\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return cli.ExitConfig
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "carpd status: unexpected argument %q\n", fs.Arg(0))
		return cli.ExitConfig
	}
	resp, err := control.Ask(*path, control.Request{Command: "status"})
	if err != nil {
		fmt.Fprintf(stderr, "carpd status: %v\n", err)
		return cli.ExitSetup
	}
	if *asJSON {
		if err := encodeStatus(stdout, resp.Status); err != nil {
			fmt.Fprintf(stderr, "carpd status: %v\n", err)
			return cli.ExitSetup
		}
		return 0
	}
	writeStatus(stdout, resp.Status, time.Now())
	return 0
}

// encodeStatus writes st as carpd status --json and the HTTP /status
// print it: indented JSON, one object.
func encodeStatus(w io.Writer, st *control.Status) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(st)
}

// writeStatus prints one line per group, then what the demoted groups'
// demotion is made of, then the checks.
func writeStatus(w io.Writer, st *control.Status, now time.Time) {
	tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "GROUP\tINTERFACE\tVHID\tSTATE\tSINCE\tREASON\tMASTER\tADVBASE\tADVSKEW\tDEMOTE\tSENT\tRECEIVED\tDROPPED")
	for _, g := range st.Groups {
		master := g.Master
		if master == "" {
			master = "-"
		}
		state := g.State
		if g.Leaving {
			state += " (leaving)"
		}
		var dropped uint64
		for _, n := range g.Dropped {
			dropped += n
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s ago\t%s\t%s\t%d\t%d\t%d\t%d\t%d\t%d\n",
			g.Name, g.Interface, g.VHID, state, now.Sub(g.Since).Round(time.Second), g.Reason, master,
			g.AdvBase, g.AdvSkew, g.Demote, g.AdvertsSent, g.AdvertsReceived, dropped)
	}
	_ = tw.Flush()
	// Secure mode is not CARP as ucarp and the BSDs speak it: say which
	// groups use it, for the operator who wonders why a ucarp peer drops
	// their adverts.
	var secure []string
	for _, g := range st.Groups {
		if g.Secure {
			secure = append(secure, g.Name)
		}
	}
	if len(secure) > 0 {
		fmt.Fprintf(w, "\nsecure mode (gocarp peers only): %s\n", strings.Join(secure, ", "))
	}
	// What each demoted group's demotion is made of.
	var demoted []control.GroupStatus
	for _, g := range st.Groups {
		if len(g.DemoteSources) > 0 {
			demoted = append(demoted, g)
		}
	}
	if len(demoted) > 0 {
		fmt.Fprintln(w)
		tw = tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
		fmt.Fprintln(tw, "DEMOTED	BY")
		for _, g := range demoted {
			srcs := make([]string, 0, len(g.DemoteSources))
			for src, n := range g.DemoteSources {
				srcs = append(srcs, fmt.Sprintf("%s %d", src, n))
			}
			slices.Sort(srcs)
			fmt.Fprintf(tw, "%s\t%s\n", g.Name, strings.Join(srcs, ", "))
		}
		_ = tw.Flush()
	}
	if len(st.Checks) > 0 {
		fmt.Fprintln(w)
		tw = tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
		fmt.Fprintln(tw, "CHECK\tSTATE\tSINCE\tRUNS\tFAILURES\tDEMOTE\tGROUPS\tLAST ERROR")
		for _, c := range st.Checks {
			state, last := "down", c.LastError
			if c.Up {
				state = "up"
			}
			if last == "" {
				last = "-"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s ago\t%d\t%d\t%d\t%s\t%s\n", c.Name, state, now.Sub(c.Since).Round(time.Second),
				c.Runs, c.Failures, c.Demote, strings.Join(c.Groups, ","), last)
		}
		_ = tw.Flush()
	}
}

// controlArgs splits a subcommand's arguments: --control PATH and the
// given boolean and string flags, in any position, and the operands.
func controlArgs(args []string, bools, strs []string) (path string, flags map[string]string, operands []string, err error) {
	path, flags = cli.DefaultControl, map[string]string{}
	for i := 0; i < len(args); i++ {
		a := args[i]
		name, value, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		switch {
		case !strings.HasPrefix(a, "-") || a == "-":
			operands = append(operands, a)
			continue
		case a == "--":
			operands = append(operands, args[i+1:]...)
			return path, flags, operands, nil
		case slices.Contains(bools, name) && !hasValue:
			flags[name] = "true"
			continue
		case name == "control" || slices.Contains(strs, name):
			if !hasValue {
				if i+1 == len(args) {
					return "", nil, nil, fmt.Errorf("%s needs a value", a)
				}
				i++
				value = args[i]
			}
			if name == "control" {
				path = value
			} else {
				flags[name] = value
			}
			continue
		}
		return "", nil, nil, fmt.Errorf("unknown option %s", a)
	}
	return path, flags, operands, nil
}

// handoverMain is carpd handover [GROUP...]: the named groups (every group
// when none) bow out if MASTER; a backup takes over at once.
func handoverMain(args []string, stdout, stderr io.Writer) int {
	path, _, groups, err := controlArgs(args, nil, nil)
	if err != nil {
		fmt.Fprintf(stderr, "carpd handover: %v\nusage: carpd handover [--control PATH] [GROUP...]\n", err)
		return cli.ExitConfig
	}
	return ask(path, control.Request{Command: "handover", Groups: groups}, "carpd handover", stdout, stderr)
}

// demoteMain is carpd demote GROUP N --reason TEXT, or GROUP --clear.
func demoteMain(args []string, stdout, stderr io.Writer) int {
	const usage = "usage: carpd demote [--control PATH] GROUP N --reason TEXT | carpd demote GROUP --clear"
	path, flags, ops, err := controlArgs(args, []string{"clear"}, []string{"reason"})
	if err == nil {
		switch clr := flags["clear"] == "true"; {
		case len(ops) == 1 && clr:
		case len(ops) == 2 && !clr:
		default:
			err = errors.New("give a group and a count, or a group and --clear")
		}
	}
	if err != nil {
		fmt.Fprintf(stderr, "carpd demote: %v\n%s\n", err, usage)
		return cli.ExitConfig
	}
	req := control.Request{Command: "demote", Groups: ops[:1], Reason: flags["reason"], Clear: flags["clear"] == "true"}
	if len(ops) == 2 {
		n, err := strconv.ParseUint(ops[1], 10, 8)
		if err != nil || n == 0 {
			fmt.Fprintf(stderr, "carpd demote: count %q: want 1..255 (or --clear)\n%s\n", ops[1], usage)
			return cli.ExitConfig
		}
		req.Demote = uint8(n)
	}
	return ask(path, req, "carpd demote", stdout, stderr)
}

// ask sends req and prints what the daemon did, a line each.
func ask(path string, req control.Request, who string, stdout, stderr io.Writer) int {
	resp, err := control.Ask(path, req)
	if resp != nil {
		for _, l := range resp.Done { // what was done, even if not all
			fmt.Fprintln(stdout, l)
		}
	}
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", who, err)
		if resp != nil {
			return cli.ExitConfig // the daemon refused the request
		}
		return cli.ExitSetup
	}
	return 0
}

// reloadMain is carpd reload: the daemon reads its config file again and
// applies what changed (as SIGHUP), and says what, or why it refused.
func reloadMain(args []string, stdout, stderr io.Writer) int {
	path, _, ops, err := controlArgs(args, nil, nil)
	if err == nil && len(ops) > 0 {
		err = fmt.Errorf("unexpected %q", ops[0])
	}
	if err != nil {
		fmt.Fprintf(stderr, "carpd reload: %v\nusage: carpd reload [--control PATH]\n", err)
		return cli.ExitConfig
	}
	return ask(path, control.Request{Command: "reload"}, "carpd reload", stdout, stderr)
}
