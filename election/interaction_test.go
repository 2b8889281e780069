package election_test

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gocarp/gocarp/election"
	"github.com/stretchr/testify/require"
)

// Transcript tests in the style of etcd-io/raft's interaction tests: each
// testdata/*.txt file is a script of commands, each followed by "----" and
// the expected output, ended by a blank line. Run with -rewrite to
// regenerate the outputs after a deliberate change, then review the diff.
//
// Commands (times are Go durations; the clock starts at 0):
//
//	new advbase=N advskew=N [deadratio=N] [preempt] [tiebreak=ucarp|bsd] [demotion=skew|byte] [self=ADDR]
//	start | linkdown | linkup | bowout | shutdown | timeout
//	senderr [N] | sendok [N]          N consecutive send results (default 1)
//	advert src=ADDR advbase=N advskew=N [demote=N]
//	demote N
//	tick D      advance D, delivering EventTimeout at every deadline passed
//	sleep D     advance D without delivering anything (a late or lost timer)
//	state
//
// After each command the output lists the actions and a summary line
// "now=… state=… deadline=…", times in seconds since the start.
var rewrite = flag.Bool("rewrite", false, "rewrite the expected output in testdata/*.txt")

type directive struct {
	pre  []string // comment and blank lines before the command
	cmd  string
	line int
	out  []string
}

func parseScript(t *testing.T, path string) ([]directive, []string) {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	var ds []directive
	var pre []string
	for i := 0; i < len(lines); i++ {
		l := lines[i]
		if strings.TrimSpace(l) == "" || strings.HasPrefix(l, "#") {
			pre = append(pre, l)
			continue
		}
		d := directive{pre: pre, cmd: l, line: i + 1}
		pre = nil
		require.True(t, i+1 < len(lines) && lines[i+1] == "----", "%s:%d: command without ----", path, i+1)
		i += 2
		for ; i < len(lines) && strings.TrimSpace(lines[i]) != ""; i++ {
			d.out = append(d.out, lines[i])
		}
		i-- // the blank line belongs to the next directive's pre
		ds = append(ds, d)
	}
	return ds, pre
}

func formatScript(ds []directive, trailing []string) string {
	var b strings.Builder
	for _, d := range ds {
		for _, l := range d.pre {
			b.WriteString(l + "\n")
		}
		b.WriteString(d.cmd + "\n----\n")
		for _, l := range d.out {
			b.WriteString(l + "\n")
		}
	}
	for _, l := range trailing {
		b.WriteString(l + "\n")
	}
	return b.String()
}

// interaction is the state of one script run.
type interaction struct {
	m   *election.Machine
	now time.Duration // since t0
	out []string
}

func secs(d time.Duration) string {
	sign := ""
	if d < 0 {
		sign, d = "-", -d
	}
	return fmt.Sprintf("%s%d.%06d", sign, d/time.Second, (d%time.Second)/time.Microsecond)
}

func (in *interaction) printf(format string, args ...any) {
	in.out = append(in.out, fmt.Sprintf(format, args...))
}

func (in *interaction) summary() {
	dl := "none"
	if d := in.m.Deadline(); !d.IsZero() {
		dl = secs(d.Sub(t0))
	}
	state := in.m.State().String()
	if in.m.Leaving() {
		state += " leaving"
	}
	in.printf("now=%s state=%s deadline=%s", secs(in.now), state, dl)
}

func (in *interaction) stepPrint(e election.Event, indent string) {
	acts := in.m.Step(t0.Add(in.now), e)
	if len(acts) == 0 && indent == "" {
		in.printf("(no actions)")
	}
	for _, a := range acts {
		in.printf("%s%v", indent, a)
	}
}

func parseArgs(fields []string) (map[string]string, error) {
	args := map[string]string{}
	for _, f := range fields {
		k, v, ok := strings.Cut(f, "=")
		if !ok {
			v = "true"
		}
		if _, dup := args[k]; dup {
			return nil, fmt.Errorf("duplicate argument %q", k)
		}
		args[k] = v
	}
	return args, nil
}

func u8(args map[string]string, k string, def uint8) (uint8, error) {
	v, ok := args[k]
	delete(args, k)
	if !ok {
		return def, nil
	}
	n, err := strconv.ParseUint(v, 10, 8)
	return uint8(n), err
}

func (in *interaction) run(cmd string) error {
	fields := strings.Fields(cmd)
	if in.m == nil && fields[0] != "new" {
		return fmt.Errorf("%q before new", fields[0])
	}
	args, err := parseArgs(fields[1:])
	if err != nil {
		return err
	}
	count := func() (int, error) {
		if len(fields) == 1 {
			return 1, nil
		}
		return strconv.Atoi(fields[1])
	}
	simple := map[string]election.EventKind{
		"start": election.EventStart, "linkdown": election.EventLinkDown, "linkup": election.EventLinkUp,
		"bowout": election.EventBowOut, "shutdown": election.EventShutdown, "timeout": election.EventTimeout,
	}
	switch fields[0] {
	case "new":
		var cfg election.Config
		var err error
		if cfg.AdvBase, err = u8(args, "advbase", 1); err != nil {
			return err
		}
		if cfg.AdvSkew, err = u8(args, "advskew", 0); err != nil {
			return err
		}
		ratio, err := u8(args, "deadratio", 0)
		if err != nil {
			return err
		}
		cfg.DeadRatio = uint(ratio)
		cfg.Self = ip(valueOr(args, "self", "198.51.100.1"))
		cfg.Preempt = valueOr(args, "preempt", "false") == "true"
		switch v := valueOr(args, "tiebreak", "ucarp"); v {
		case "ucarp":
		case "bsd":
			cfg.TieBreak = election.TieBreakBSD
		default:
			return fmt.Errorf("tiebreak %q", v)
		}
		switch v := valueOr(args, "demotion", "skew"); v {
		case "skew":
		case "byte":
			cfg.Demotion = election.DemoteByte
		default:
			return fmt.Errorf("demotion %q", v)
		}
		if len(args) > 0 {
			return fmt.Errorf("unknown arguments %v", args)
		}
		m, err := election.New(cfg)
		if err != nil {
			in.printf("error: %v", err)
			return nil
		}
		in.m, in.now = m, 0
		in.printf("interval=%s master-down=%s", secs(m.Interval()), secs(m.MasterDown()))
		in.summary()
		return nil
	case "start", "linkdown", "linkup", "bowout", "shutdown", "timeout":
		in.stepPrint(election.Event{Kind: simple[fields[0]]}, "")
	case "senderr", "sendok":
		n, err := count()
		if err != nil {
			return err
		}
		k := election.EventSendError
		if fields[0] == "sendok" {
			k = election.EventSendOK
		}
		for i := 0; i < n; i++ {
			in.stepPrint(election.Event{Kind: k}, "")
		}
	case "advert":
		a := election.Advert{Src: ip(valueOr(args, "src", ""))}
		var err error
		if a.AdvBase, err = u8(args, "advbase", 1); err != nil {
			return err
		}
		if a.AdvSkew, err = u8(args, "advskew", 0); err != nil {
			return err
		}
		if a.Demote, err = u8(args, "demote", 0); err != nil {
			return err
		}
		if len(args) > 0 {
			return fmt.Errorf("unknown arguments %v", args)
		}
		in.stepPrint(election.Event{Kind: election.EventAdvert, Advert: a}, "")
	case "demote":
		n, err := strconv.ParseUint(fields[1], 10, 8)
		if err != nil {
			return err
		}
		in.stepPrint(election.Event{Kind: election.EventDemote, Demote: uint8(n)}, "")
	case "tick", "sleep":
		d, err := time.ParseDuration(fields[1])
		if err != nil {
			return err
		}
		end := in.now + d
		for fields[0] == "tick" {
			dl := in.m.Deadline()
			if dl.IsZero() || dl.Sub(t0) > end {
				break
			}
			in.now = dl.Sub(t0)
			in.printf("@%s timeout", secs(in.now))
			in.stepPrint(election.Event{Kind: election.EventTimeout}, "  ")
		}
		in.now = end
	case "state":
	default:
		return fmt.Errorf("unknown command %q", fields[0])
	}
	in.summary()
	return nil
}

func valueOr(args map[string]string, k, def string) string {
	v, ok := args[k]
	delete(args, k)
	if !ok {
		return def
	}
	return v
}

func TestInteraction(t *testing.T) {
	files, err := filepath.Glob("testdata/*.txt")
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(files), 4)
	for _, path := range files {
		t.Run(filepath.Base(path), func(t *testing.T) {
			ds, trailing := parseScript(t, path)
			require.NotEmpty(t, ds)
			var in interaction
			for i := range ds {
				d := &ds[i]
				in.out = nil
				err := in.run(d.cmd)
				require.NoError(t, err, "%s:%d: %s", path, d.line, d.cmd)
				if *rewrite {
					d.out = in.out
					continue
				}
				require.Equal(t, strings.Join(d.out, "\n"), strings.Join(in.out, "\n"), "%s:%d: %s", path, d.line, d.cmd)
			}
			if *rewrite {
				require.NoError(t, os.WriteFile(path, []byte(formatScript(ds, trailing)), 0o644))
			}
		})
	}
}

// TestScriptFormatRoundTrip keeps parse and format inverse, so -rewrite
// leaves comments and spacing alone.
func TestScriptFormatRoundTrip(t *testing.T) {
	files, err := filepath.Glob("testdata/*.txt")
	require.NoError(t, err)
	for _, path := range files {
		data, err := os.ReadFile(path)
		require.NoError(t, err)
		ds, trailing := parseScript(t, path)
		require.Equal(t, string(data), formatScript(ds, trailing), path)
	}
}
