package config

import (
	"errors"
	"fmt"
	"math"
	"net"
	"net/netip"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/gocarp/gocarp/carp"
	"github.com/gocarp/gocarp/internal/cli"
	"github.com/gocarp/gocarp/wire"
)

func parse(path string, data []byte) (*Config, error) {
	x := buildIndex(data)
	f, err := decode(path, data, x)
	if err != nil {
		return nil, err
	}
	if x.groupTable > 0 {
		return nil, &Error{File: path, Line: x.groupTable, Key: "group",
			Msg: "must be " + keyType("group") + ", one per group; [group] is a single table"}
	}
	if len(f.Group) == 0 {
		return nil, &Error{File: path, Msg: "no [[group]]: nothing to run"}
	}
	dir := filepath.Dir(path)
	if f.Defaults != nil {
		// Each value of [defaults] is checked once, where it is written,
		// before it is copied into the groups.
		d := Group{file: path, Line: x.defaults.line, at: map[string]where{}}
		for k, l := range x.defaults.keys {
			d.at[k] = where{line: l, key: "defaults." + k}
		}
		if err := d.apply(f.Defaults, dir); err != nil {
			return nil, err
		}
	}
	c := &Config{Path: path, Groups: make([]Group, 0, len(f.Group))}
	if f.Control != nil && f.Control.Socket != nil {
		sock := *f.Control.Socket
		// sun_path holds 108 bytes with the NUL.
		if sock == "" || len(sock) > 107 {
			return nil, &Error{File: path, Line: tableKeyLine(data, "control", "socket"), Key: "control.socket",
				Msg: fmt.Sprintf("must be a path of 1..107 bytes, got %d", len(sock))}
		}
		if !filepath.IsAbs(sock) {
			sock = filepath.Join(dir, sock)
		}
		c.Control = sock
	}
	if f.HTTP != nil && f.HTTP.Listen != nil {
		if _, _, err := net.SplitHostPort(*f.HTTP.Listen); err != nil {
			return nil, &Error{File: path, Line: tableKeyLine(data, "http", "listen"), Key: "http.listen",
				Msg: fmt.Sprintf("want HOST:PORT, e.g. 127.0.0.1:9108, got %q", *f.HTTP.Listen)}
		}
		c.HTTP = *f.HTTP.Listen
	}
	names := map[string]int{}
	for i := range f.Check {
		var sec section
		if i < len(x.checks) {
			sec = x.checks[i]
		}
		ch, err := buildCheck(path, dir, i, &f.Check[i], sec)
		if err != nil {
			return nil, err
		}
		if l, dup := names[ch.Name]; dup {
			return nil, checkError(path, i, ch.Name, sec, "name", "%q is already the name of the check at line %d", ch.Name, l)
		}
		names[ch.Name] = ch.Line
		c.Checks = append(c.Checks, *ch)
	}
	for i := range f.Group {
		var sec section
		if i < len(x.groups) {
			sec = x.groups[i]
		}
		g, err := buildGroup(path, dir, i, &f.Group[i], f.Defaults, sec, &x.defaults)
		if err != nil {
			return nil, err
		}
		if err := c.checkUnique(g); err != nil {
			return nil, err
		}
		for _, n := range g.Checks {
			if _, ok := names[n]; !ok {
				known := make([]string, 0, len(c.Checks))
				for _, ch := range c.Checks {
					known = append(known, ch.Name)
				}
				msg := "no [[check]] is named " + strconv.Quote(n)
				if len(known) > 0 {
					msg += " (the checks: " + strings.Join(known, ", ") + ")"
				}
				return nil, g.errorf("checks", "%s", msg)
			}
		}
		c.Groups = append(c.Groups, *g)
	}
	return c, nil
}

// buildGroup turns the i-th [[group]] into a Group, defaults applied, and
// validates it.
func buildGroup(path, dir string, i int, r *rawGroup, defaults *rawSettings, sec section, defSec *section) (*Group, error) {
	from := mergeDefaults(&r.rawSettings, defaults)
	g := &Group{file: path, index: i + 1, Line: sec.line, at: map[string]where{}}
	for k, l := range sec.keys {
		g.at[k] = where{line: l, key: k}
	}
	for k := range from {
		l, ok := defSec.keys[k]
		if !ok {
			l = defSec.line
		}
		g.at[k] = where{line: l, key: "defaults." + k}
	}
	// Name the group before anything is checked, so every error does.
	switch {
	case r.Name != nil:
		g.Name = *r.Name
	case r.Interface != nil && *r.Interface != "" && r.VHID != nil && *r.VHID >= 0 && *r.VHID <= math.MaxUint8:
		g.Name = fmt.Sprintf("%s-%d", *r.Interface, *r.VHID)
	}
	if r.Name != nil {
		if err := checkName(*r.Name); err != nil {
			return nil, g.errorf("name", "%v", err)
		}
	}
	switch {
	case r.VHID == nil:
		return nil, g.errorf("vhid", "required (1..255)")
	case *r.VHID < 0 || *r.VHID > math.MaxUint8:
		return nil, g.errorf("vhid", "must be 1..255, got %d", *r.VHID)
	}
	g.VHID = uint8(*r.VHID)
	if r.VIPs == nil {
		return nil, g.errorf("vips", "required: one or more virtual addresses")
	}
	for _, s := range *r.VIPs {
		p, err := cli.ParseVIP(s)
		if err != nil {
			return nil, g.errorf("vips", "%q: %v", s, err)
		}
		g.VIPs = append(g.VIPs, p)
	}
	if err := g.apply(&r.rawSettings, dir); err != nil {
		return nil, err
	}
	if g.Interface == "" {
		return nil, g.errorf("interface", "required")
	}
	if r.Password == nil && r.PasswordFile == nil {
		return nil, g.errorf("password", "required: password or password_file, here or in [defaults]")
	}
	if r.Name == nil {
		g.Name = fmt.Sprintf("%s-%d", g.Interface, g.VHID)
	}
	if err := g.validate(); err != nil {
		return nil, err
	}
	return g, nil
}

// apply sets g's settings from s, the defaults where s has none. What carp
// checks (ranges that fit the field, families, lengths) is left to
// validate; apply checks what carp cannot see: types and syntax, values
// too wide for their field, and the files.
func (g *Group) apply(s *rawSettings, dir string) error {
	if s.Interface != nil {
		if err := checkInterface(*s.Interface); err != nil {
			return g.errorf("interface", "%v", err)
		}
		g.Interface = *s.Interface
	}
	switch {
	case s.Password != nil && s.PasswordFile != nil:
		return g.errorf("password_file", "set together with password: give one of the two")
	case s.Password != nil:
		g.Password, g.PasswordFile = []byte(*s.Password), ""
	case s.PasswordFile != nil:
		p := resolve(dir, *s.PasswordFile)
		pw, err := cli.ReadPasswordFile(p)
		if err != nil {
			e := g.errorf("password_file", "%s: %v", p, err)
			e.Err = err
			return e
		}
		g.Password, g.PasswordFile = pw, p
	}
	if s.Source != nil {
		a, err := netip.ParseAddr(*s.Source)
		if err != nil || !a.Is4() || a.IsUnspecified() {
			return g.errorf("source", "must be an IPv4 address of this host, got %q", *s.Source)
		}
		g.Source = a
	}
	g.AdvBase = carp.DefaultAdvBase
	if s.AdvBase != nil {
		n, err := fitUint8(*s.AdvBase)
		if err != nil {
			return g.errorf("advbase", "%v", err)
		}
		// advbase = 0, written, is sub-second mode; left out, it is 1 s.
		g.AdvBase, g.SubSecond = n, n == 0
	}
	if s.AdvSkew != nil {
		n, err := fitUint8(*s.AdvSkew)
		if err != nil {
			return g.errorf("advskew", "%v", err)
		}
		g.AdvSkew = n
	}
	g.DeadRatio = carp.DefaultDeadRatio
	if s.DeadRatio != nil {
		// Zero would mean carp's default: written, it is a mistake.
		if n := *s.DeadRatio; n < 1 || uint64(n) > uint64(math.MaxUint) {
			return g.errorf("deadratio", "must be 1..%d, got %d", carp.MaxDeadRatio, n)
		}
		g.DeadRatio = uint(*s.DeadRatio)
	}
	g.Preempt = deref(s.Preempt, false)
	g.Secure = deref(s.Secure, false)
	g.Neutral = deref(s.Neutral, false)
	g.NoMcast = deref(s.NoMcast, false)
	g.IgnoreIfState = deref(s.IgnoreIfState, false)
	g.ManageVIPs = deref(s.ManageVIPs, true)
	g.Peers = nil
	if s.Peers != nil {
		for _, p := range *s.Peers {
			a, err := netip.ParseAddr(p)
			if err != nil {
				return g.errorf("peers", "%q is not an IP address", p)
			}
			g.Peers = append(g.Peers, a)
		}
	}
	g.Mcast = wire.IPv4Group
	if s.Mcast != nil {
		a, err := netip.ParseAddr(*s.Mcast)
		if err != nil {
			return g.errorf("mcast", "%q is not an IP address", *s.Mcast)
		}
		g.Mcast = a
	}
	if s.TieBreak != nil {
		tb, err := cli.ParseTieBreak(*s.TieBreak)
		if err != nil {
			return g.errorf("tiebreak", "%v, got %q", err, *s.TieBreak)
		}
		g.TieBreak = tb
	}
	if s.Demotion != nil {
		switch strings.ToLower(*s.Demotion) {
		case "skew":
			g.Demotion = carp.DemoteSkew
		case "byte":
			g.Demotion = carp.DemoteByte
		default:
			return g.errorf("demotion", "want skew or byte, got %q", *s.Demotion)
		}
	}
	g.SourceMAC = cli.DefaultSourceMAC
	if s.SourceMAC != nil {
		m, err := cli.ParseSourceMAC(*s.SourceMAC)
		if err != nil {
			return g.errorf("source_mac", "%v, got %q", err, *s.SourceMAC)
		}
		g.SourceMAC = m
	}
	if s.UpScript != nil && *s.UpScript != "" {
		g.UpScript = resolve(dir, *s.UpScript)
	}
	if s.DownScript != nil && *s.DownScript != "" {
		g.DownScript = resolve(dir, *s.DownScript)
	}
	g.XParam = deref(s.XParam, "")
	g.Checks = nil
	if s.Checks != nil {
		for i, n := range *s.Checks {
			if slices.Contains((*s.Checks)[:i], n) {
				return g.errorf("checks", "%q is listed twice", n)
			}
			g.Checks = append(g.Checks, n)
		}
	}
	g.Track = nil
	if s.Track != nil {
		for _, t := range *s.Track {
			tr, err := parseTrack(t)
			if err != nil {
				return g.errorf("track_interfaces", "%v", err)
			}
			for _, o := range g.Track {
				if o.Interface == tr.Interface {
					return g.errorf("track_interfaces", "%s is listed twice", tr.Interface)
				}
			}
			g.Track = append(g.Track, tr)
		}
	}
	g.Sync = ""
	if s.Sync != nil {
		if err := checkName(*s.Sync); err != nil {
			return g.errorf("sync", "%v", err)
		}
		g.Sync = *s.Sync
	}
	g.StartupDemoteFor = 0
	if s.StartupDemote != nil {
		d, err := time.ParseDuration(*s.StartupDemote)
		if err != nil || d < 0 {
			return g.errorf("startup_demote_for", "want a duration like 30s or 2m (0 = none), got %q", *s.StartupDemote)
		}
		g.StartupDemoteFor = d
	}
	g.ScriptTimeout = cli.DefaultScriptTimeout
	if s.ScriptTimeout != nil {
		d, err := time.ParseDuration(*s.ScriptTimeout)
		if err != nil || d < 0 {
			return g.errorf("script_timeout", "want a duration like 10s or 1m30s (0 = no limit), got %q", *s.ScriptTimeout)
		}
		g.ScriptTimeout = d
	}
	return nil
}

// checkUnique refuses g if it clashes with a group already in c.
func (c *Config) checkUnique(g *Group) error {
	for i := range c.Groups {
		o := &c.Groups[i]
		if o.Interface == g.Interface && o.VHID == g.VHID {
			return g.errorf("vhid", "%s already has vhid %d: group %q at line %d", g.Interface, g.VHID, o.Name, o.Line)
		}
		if o.Name == g.Name {
			return g.errorf("name", "%q is already the name of the group at line %d", g.Name, o.Line)
		}
		if o.Interface != g.Interface {
			continue
		}
		for _, v := range g.VIPs {
			for _, w := range o.VIPs {
				if v.Addr() == w.Addr() {
					return g.errorf("vips", "%s is already a VIP of group %q at line %d on %s", v.Addr(), o.Name, o.Line, o.Interface)
				}
			}
		}
	}
	return nil
}

func checkName(name string) error {
	if name == "" {
		return errors.New("must not be empty")
	}
	for _, r := range name {
		if !unicode.IsPrint(r) {
			return fmt.Errorf("%q: only printable characters", name)
		}
	}
	return nil
}

// fitUint8 refuses what does not fit a byte.
func fitUint8(n int64) (uint8, error) {
	if n < 0 || n > math.MaxUint8 {
		return 0, fmt.Errorf("must be 0..255, got %d", n)
	}
	return uint8(n), nil
}

func deref[T any](p *T, def T) T {
	if p == nil {
		return def
	}
	return *p
}

// resolve takes a relative path from the config file's directory.
func resolve(dir, p string) string {
	if p == "" || filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(dir, p)
}

// tableKeyLine is the line of key in [table], for its error; 0 if not
// found so simply.
func tableKeyLine(data []byte, table, key string) int {
	in := false
	for i, l := range strings.Split(string(data), "\n") {
		l = strings.TrimSpace(l)
		switch {
		case strings.HasPrefix(l, "["):
			in = l == "["+table+"]"
		case in && strings.HasPrefix(l, key):
			return i + 1
		}
	}
	return 0
}

// parseTrack parses "eth1" or "eth1:N".
func parseTrack(s string) (Track, error) {
	name, n, hasN := strings.Cut(s, ":")
	if err := checkInterface(name); err != nil {
		return Track{}, fmt.Errorf("%q: interface %v", s, err)
	}
	t := Track{Interface: name, Demote: DefaultTrackDemote}
	if hasN {
		v, err := strconv.Atoi(n)
		if err != nil || v < 1 || v > math.MaxUint8 {
			return Track{}, fmt.Errorf("%q: the demotion after ':' must be 1..255", s)
		}
		t.Demote = uint8(v)
	}
	return t, nil
}

// checkError is an *Error about key of the i-th [[check]].
func checkError(path string, i int, name string, sec section, key, format string, args ...any) *Error {
	e := &Error{File: path, Line: sec.line, Check: name, Index: i + 1, Key: key, Msg: fmt.Sprintf(format, args...)}
	if e.Check == "" {
		e.Check = fmt.Sprintf("#%d", i+1)
	}
	if l, ok := sec.keys[key]; ok {
		e.Line = l
	}
	return e
}

// buildCheck turns the i-th [[check]] into a Check, defaults applied.
func buildCheck(path, dir string, i int, r *rawCheck, sec section) (*Check, error) {
	name := deref(r.Name, "")
	fail := func(key, format string, args ...any) (*Check, error) {
		return nil, checkError(path, i, name, sec, key, format, args...)
	}
	if r.Name == nil {
		return fail("name", "required: the name the groups' checks list")
	}
	if err := checkName(name); err != nil {
		return fail("name", "%v", err)
	}
	c := &Check{Name: name, Line: sec.line, Interval: DefaultCheckInterval, Rise: 1, Fall: 1, Demote: DefaultTrackDemote}
	if r.Command == nil || len(*r.Command) == 0 || (*r.Command)[0] == "" {
		return fail("command", `required: the program and its arguments, e.g. ["/usr/bin/curl", "-fsS", "http://127.0.0.1/"] (no shell)`)
	}
	c.Command = slices.Clone(*r.Command)
	if strings.Contains(c.Command[0], "/") {
		c.Command[0] = resolve(dir, c.Command[0])
	}
	if r.Interval != nil {
		d, err := time.ParseDuration(*r.Interval)
		if err != nil || d <= 0 {
			return fail("interval", "want a duration above 0 like 1s or 500ms, got %q", *r.Interval)
		}
		c.Interval = d
	}
	c.Timeout = c.Interval
	if r.Timeout != nil {
		d, err := time.ParseDuration(*r.Timeout)
		if err != nil || d <= 0 {
			return fail("timeout", "want a duration above 0 like 1s or 500ms, got %q", *r.Timeout)
		}
		c.Timeout = d
	}
	for _, k := range []struct {
		key string
		v   *int64
		to  *int
	}{{"rise", r.Rise, &c.Rise}, {"fall", r.Fall, &c.Fall}} {
		if k.v == nil {
			continue
		}
		if *k.v < 1 || *k.v > 1000 {
			return fail(k.key, "must be 1..1000, got %d", *k.v)
		}
		*k.to = int(*k.v)
	}
	if r.Demote != nil {
		if *r.Demote < 1 || *r.Demote > math.MaxUint8 {
			return fail("demote", "must be 1..255, got %d", *r.Demote)
		}
		c.Demote = uint8(*r.Demote)
	}
	return c, nil
}
