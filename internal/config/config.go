package config

import (
	"errors"
	"fmt"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/gocarp/gocarp/carp"
	"github.com/gocarp/gocarp/internal/cli"
	"github.com/gocarp/gocarp/wire"
)

// Config is what carpd runs: every group of one host, validated.
type Config struct {
	// Path is the file the config was read from; "" for FromOptions.
	Path string
	// Groups in the order of the file. No two share (Interface, VHID) or
	// Name, and no VIP is in two groups of one interface.
	Groups []Group
	// Control is the control socket ([control] socket); "" when the file
	// does not say (carpd then serves cli.DefaultControl).
	Control string
	// Checks are the [[check]]s, in the order of the file; every name a
	// group's Checks lists is here.
	Checks []Check
	// HTTP is where /metrics and /status are served ([http] listen,
	// HOST:PORT); "" when the file does not say (none, unless --http).
	HTTP string
}

// Group is one CARP group (one vhid on one interface) with every default
// applied: a zero field means what it says, not "unset".
type Group struct {
	// Name is unique in the Config: the name key, or "<interface>-<vhid>".
	// From FromOptions without -i it is "" (the daemon picks the interface).
	Name string
	// Interface is the link; "" only from FromOptions without -i.
	Interface string
	VHID      uint8
	// VIPs as written: 198.51.100.100/24 keeps its host bits, and the
	// prefix is what manage_vips adds; a bare address is a /32 or /128.
	VIPs     []netip.Prefix
	Password []byte
	// PasswordFile is the file Password was read from (password_file,
	// -o), "" when it was given inline.
	PasswordFile string
	// Source is the IPv4 advert source; zero means the daemon discovers
	// it from the interface.
	Source netip.Addr
	// AdvBase is in seconds, carp.DefaultAdvBase when not given; with
	// SubSecond (advbase = 0 in the file, -b 0) it is 0.
	AdvBase   uint8
	AdvSkew   uint8
	SubSecond bool
	// DeadRatio is carp.DefaultDeadRatio when not given.
	DeadRatio uint
	Preempt   bool
	// Secure is carp.Config.Secure: gocarp's secure mode (secure, --secure).
	Secure        bool
	Neutral       bool
	NoMcast       bool
	IgnoreIfState bool
	// ManageVIPs: carpd adds the VIPs as MASTER and removes them
	// otherwise. True by default in a file, false from FromOptions unless
	// --manage-vips.
	ManageVIPs bool
	// Peers, when set, replace multicast with unicast adverts.
	Peers []netip.Addr
	// Mcast is the IPv4 advert group, wire.IPv4Group when not given.
	Mcast    netip.Addr
	TieBreak carp.TieBreak
	Demotion carp.Demotion
	// SourceMAC is "real", "ucarp", "bsd" or a canonical unicast MAC
	// (cli.ParseSourceMAC); "real" when not given.
	SourceMAC string
	// UpScript and DownScript are run with ucarp's arguments; "" = none.
	// A relative path in a file is taken from the file's directory.
	UpScript, DownScript, XParam string
	// ScriptTimeout is cli.DefaultScriptTimeout when not given; 0 = none.
	ScriptTimeout time.Duration
	// Checks names the [[check]]s that demote the group while down.
	Checks []string
	// Track are the tracked interfaces: carrier loss (or the interface
	// gone) on one adds its Demote.
	Track []Track
	// Sync names the sync set the group is in ("" for none): the groups of
	// a set share their demotion, so that they move as one.
	Sync string
	// StartupDemoteFor keeps the group demoted (by StartupDemote) for this
	// long after it starts, so that a rebooted node does not take the VIPs
	// back before its services are ready; 0 = not at all.
	StartupDemoteFor time.Duration
	// Line is where the group's [[group]] starts in the file (0 from
	// FromOptions), for run-time messages; see Wrap.
	Line int

	file  string
	index int // 1-based position in the file
	// at says where each key was set, for errors; a key absent here was
	// not set and errors about it point at Line.
	at map[string]where
}

// Check is one [[check]]: a command run every Interval, without a shell.
type Check struct {
	Name string
	// Command is the program and its arguments; a relative program path
	// with a '/' is taken from the file's directory, a bare name is looked
	// up in $PATH when it runs. Exit status 0 is a success.
	Command []string
	// Interval is DefaultCheckInterval and Timeout the Interval when not
	// given; Rise and Fall 1, Demote DefaultTrackDemote.
	Interval, Timeout time.Duration
	Rise, Fall        int
	Demote            uint8
	// Line is where its [[check]] starts.
	Line int
}

// Track is one tracked interface, "eth1" or "eth1:N".
type Track struct {
	Interface string
	Demote    uint8 // DefaultTrackDemote when not given
}

// Defaults of the keys of checks, tracked interfaces and the start.
const (
	DefaultCheckInterval = time.Second
	// DefaultTrackDemote is what a down check or tracked interface adds:
	// the most skew demotion advertises (FreeBSD's cap), which moves the
	// group whatever the gap in advskew.
	DefaultTrackDemote = 240
	// StartupDemote is the startup demotion (startup_demote_for).
	StartupDemote = 240
)

// where is the place a key's value came from.
type where struct {
	line int
	key  string // as errors name it: "advskew", "defaults.advskew", "-k"
}

// Error is a config refused: the file, the line, the group and the key at
// fault, and why. A bad file is refused whole; the first fault found is
// the one reported. carpd exits 1 on it.
type Error struct {
	File string // "" for FromOptions
	Line int    // 0 when there is no line (a file-wide fault, a command line)
	// Group is the name of the group at fault, "" when the fault is
	// outside a group or the group is too broken to be named; Index is its
	// 1-based position in the file (0: no group). A fault in a [[check]]
	// names it in Check ("#2" when it has no name yet), and Index is its
	// position among the checks.
	Group string
	Check string
	Index int
	// Key is the key at fault ("advskew", "defaults.advskew", or for
	// FromOptions the flag "-k"); "" for a fault of the file as a whole.
	Key string
	Msg string
	// Err is the cause, when there is one (a *carp.ConfigError, a password
	// file's error, the TOML decoder's); errors.Is and As see through.
	Err error
}

// Error returns the one-line message, e.g.
//
//	carpd.toml:14: group "web": advskew: must be 0..255, got 300
func (e *Error) Error() string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(e.File)
		if e.Line > 0 {
			b.WriteString(":" + strconv.Itoa(e.Line))
		}
		b.WriteString(": ")
	}
	switch {
	case e.Check != "" && strings.HasPrefix(e.Check, "#"):
		fmt.Fprintf(&b, "check %s: ", e.Check)
	case e.Check != "":
		fmt.Fprintf(&b, "check %q: ", e.Check)
	case e.Group != "":
		fmt.Fprintf(&b, "group %q: ", e.Group)
	case e.Index > 0:
		fmt.Fprintf(&b, "group #%d: ", e.Index)
	}
	if e.Key != "" {
		b.WriteString(e.Key + ": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Load reads the TOML file at path and returns its validated config, or
// an *Error naming the file, line, group and key at fault.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, &Error{File: path, Msg: unwrapPath(err).Error(), Err: err}
	}
	return Parse(path, data)
}

// Parse is Load on data already read; path names the file in errors and
// is the directory relative password_file, up_script and down_script
// paths are taken from. It reads the password files.
func Parse(path string, data []byte) (*Config, error) {
	return parse(path, data)
}

// FromOptions returns the config of one group that a parsed ucarp command
// line describes, with the same defaults (manage_vips false unless
// --manage-vips) and the same validation as a file's group; its errors
// name the flag ("-k"). o must not be a -c, --help or --version line.
func FromOptions(o *cli.Options) (*Config, error) {
	if o == nil || o.ConfigFile != "" || o.Help || o.Version {
		return nil, &Error{Msg: "the command line describes no group"}
	}
	g := Group{
		Interface:     o.Interface,
		VHID:          o.VHID,
		VIPs:          o.VIPPrefixes,
		Password:      o.Password,
		PasswordFile:  o.PasswordFile,
		Source:        o.SrcIP,
		AdvBase:       o.AdvBase,
		AdvSkew:       o.AdvSkew,
		SubSecond:     o.AdvBase == 0,
		DeadRatio:     o.DeadRatio,
		Preempt:       o.Preempt,
		Secure:        o.Secure,
		Neutral:       o.Neutral,
		NoMcast:       o.NoMcast,
		IgnoreIfState: o.IgnoreIfState,
		ManageVIPs:    o.ManageVIPs,
		Mcast:         o.Mcast,
		SourceMAC:     o.SourceMAC,
		UpScript:      o.UpScript,
		DownScript:    o.DownScript,
		XParam:        o.XParam,
		ScriptTimeout: o.ScriptTimeout,
		at:            flagKeys(o.PasswordSource),
	}
	if g.VIPs == nil { // Options built by hand, without -a's prefixes
		for _, a := range o.VIPs {
			g.VIPs = append(g.VIPs, netip.PrefixFrom(a, a.BitLen()))
		}
	}
	if g.DeadRatio == 0 {
		g.DeadRatio = carp.DefaultDeadRatio
	}
	if !g.Mcast.IsValid() {
		g.Mcast = wire.IPv4Group
	}
	if g.SourceMAC == "" {
		g.SourceMAC = cli.DefaultSourceMAC
	}
	if o.TieBreak != "" {
		tb, err := cli.ParseTieBreak(o.TieBreak)
		if err != nil {
			return nil, &Error{Key: "--tiebreak", Msg: err.Error()}
		}
		g.TieBreak = tb
	}
	if g.Interface != "" {
		if err := checkInterface(g.Interface); err != nil {
			return nil, g.errorf("interface", "%v", err)
		}
	}
	// Errors name the flag; a command line has one group, so not the group.
	if err := g.validate(); err != nil {
		return nil, err
	}
	if g.Interface != "" {
		g.Name = fmt.Sprintf("%s-%d", g.Interface, g.VHID)
	}
	return &Config{Groups: []Group{g}}, nil
}

// flagKeys names the ucarp flags FromOptions' errors point at.
func flagKeys(passwordSource string) map[string]where {
	pass := map[string]string{"flag": "-p", "file": "-o", "env": "$" + cli.PasswordEnv}[passwordSource]
	if pass == "" {
		pass = "-p"
	}
	at := map[string]where{}
	for k, f := range map[string]string{
		"interface": "-i", "vhid": "-v", "vips": "-a", "password": pass, "source": "-s",
		"advbase": "-b", "advskew": "-k", "deadratio": "-r", "mcast": "-m",
		"tiebreak": "--tiebreak", "source_mac": "--source-mac", "script_timeout": "--script-timeout",
	} {
		at[k] = where{key: f}
	}
	return at
}

// Carp returns the carp.Config of the group, without what depends on
// where it runs: Transport, Source, Source6, Clock, Logger, Rand,
// Announcer and the callbacks are the daemon's to set. It is what Load
// validated.
func (g *Group) Carp() carp.Config {
	vips := make([]netip.Addr, len(g.VIPs))
	for i, p := range g.VIPs {
		vips[i] = p.Addr()
	}
	return carp.Config{
		Interface: g.Interface,
		VHID:      g.VHID,
		VIPs:      vips,
		Password:  g.Password,
		Group:     g.Mcast,
		Peers:     g.Peers,
		AdvBase:   g.AdvBase,
		SubSecond: g.SubSecond,
		AdvSkew:   g.AdvSkew,
		DeadRatio: g.DeadRatio,
		Preempt:   g.Preempt,
		Secure:    g.Secure,
		TieBreak:  g.TieBreak,
		Demotion:  g.Demotion,
		Neutral:   g.Neutral,
	}
}

// Wrap returns err as an *Error about the group, for faults found once it
// runs: a *carp.ConfigError (from carp.New, e.g. Field "Source") names the
// key and the line it was set on, anything else the group's line.
func (g *Group) Wrap(err error) error {
	if err == nil {
		return nil
	}
	var ce *carp.ConfigError
	if errors.As(err, &ce) {
		key := fieldKeys[ce.Field]
		if key == "password" {
			if _, ok := g.at["password_file"]; ok {
				key = "password_file"
			}
		}
		e := g.errorf(key, "%s", ce.Msg)
		e.Err = err
		return e
	}
	return &Error{File: g.file, Line: g.Line, Group: g.Name, Index: g.index, Msg: err.Error(), Err: err}
}

// fieldKeys maps carp.Config's field names to the keys of the file.
var fieldKeys = map[string]string{
	"Interface": "interface",
	"VHID":      "vhid",
	"VIPs":      "vips",
	"Password":  "password",
	"Source":    "source",
	"Group":     "mcast",
	"Peers":     "peers",
	"AdvBase":   "advbase",
	"SubSecond": "advbase",
	"AdvSkew":   "advskew",
	"DeadRatio": "deadratio",
	"TieBreak":  "tiebreak",
	"Demotion":  "demotion",
	"Neutral":   "neutral",
	"Secure":    "secure",
}

// errorf is an *Error about key of the group, at the line key was set on
// (the group's line when it was not set).
func (g *Group) errorf(key, format string, args ...any) *Error {
	e := &Error{File: g.file, Line: g.Line, Group: g.Name, Index: g.index, Key: key, Msg: fmt.Sprintf(format, args...)}
	if w, ok := g.at[key]; ok {
		if w.line > 0 {
			e.Line = w.line
		}
		e.Key = w.key
	}
	return e
}

// validate applies carp's rules, the one place they live, to the group.
func (g *Group) validate() error {
	c := g.Carp()
	c.Source = g.Source
	if err := c.Validate(); err != nil {
		return g.Wrap(err)
	}
	return nil
}

// checkInterface applies the rules of a Linux interface name.
func checkInterface(name string) error {
	switch {
	case name == "":
		return errors.New("must not be empty")
	case len(name) > maxIfNameLen:
		return fmt.Errorf("%q has %d bytes, at most %d", name, len(name), maxIfNameLen)
	case strings.ContainsAny(name, "/ \t\n\v\f\r"), name == ".", name == "..":
		return fmt.Errorf("%q is not an interface name", name)
	}
	return nil
}

// maxIfNameLen is IFNAMSIZ-1.
const maxIfNameLen = 15

func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return fmt.Errorf("%s", pe.Err)
	}
	return err
}
