package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
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
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(resp.Status); err != nil {
			fmt.Fprintf(stderr, "carpd status: %v\n", err)
			return cli.ExitSetup
		}
		return 0
	}
	writeStatus(stdout, resp.Status, time.Now())
	return 0
}

// writeStatus prints one line per group.
func writeStatus(w io.Writer, st *control.Status, now time.Time) {
	tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "GROUP\tINTERFACE\tVHID\tSTATE\tSINCE\tREASON\tMASTER\tADVBASE\tADVSKEW\tDEMOTE\tSENT\tRECEIVED\tDROPPED")
	for _, g := range st.Groups {
		master := g.Master
		if master == "" {
			master = "-"
		}
		var dropped uint64
		for _, n := range g.Dropped {
			dropped += n
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s ago\t%s\t%s\t%d\t%d\t%d\t%d\t%d\t%d\n",
			g.Name, g.Interface, g.VHID, g.State, now.Sub(g.Since).Round(time.Second), g.Reason, master,
			g.AdvBase, g.AdvSkew, g.Demote, g.AdvertsSent, g.AdvertsReceived, dropped)
	}
	_ = tw.Flush()
}
