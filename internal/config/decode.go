package config

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"strconv"
	"strings"

	"github.com/pelletier/go-toml/v2"
	"github.com/pelletier/go-toml/v2/unstable"
)

// The file as decoded. Pointers tell a key written from one left out, and
// integers are wide so that vhid = 300 is our error, not a decoder's.
type rawFile struct {
	Defaults *rawSettings `toml:"defaults"`
	Group    []rawGroup   `toml:"group"`
	Check    []rawCheck   `toml:"check"`
	Control  *rawControl  `toml:"control"`
	HTTP     *rawHTTP     `toml:"http"`
}

type rawGroup struct {
	Name *string   `toml:"name"`
	VHID *int64    `toml:"vhid"`
	VIPs *[]string `toml:"vips"`
	rawSettings
}

// rawSettings are the keys [defaults] may set for every group.
type rawSettings struct {
	Interface     *string   `toml:"interface"`
	Password      *string   `toml:"password"`
	PasswordFile  *string   `toml:"password_file"`
	Source        *string   `toml:"source"`
	AdvBase       *int64    `toml:"advbase"`
	AdvSkew       *int64    `toml:"advskew"`
	DeadRatio     *int64    `toml:"deadratio"`
	Preempt       *bool     `toml:"preempt"`
	Secure        *bool     `toml:"secure"`
	Neutral       *bool     `toml:"neutral"`
	NoMcast       *bool     `toml:"nomcast"`
	IgnoreIfState *bool     `toml:"ignore_ifstate"`
	ManageVIPs    *bool     `toml:"manage_vips"`
	Peers         *[]string `toml:"peers"`
	Mcast         *string   `toml:"mcast"`
	TieBreak      *string   `toml:"tiebreak"`
	Demotion      *string   `toml:"demotion"`
	SourceMAC     *string   `toml:"source_mac"`
	UpScript      *string   `toml:"up_script"`
	DownScript    *string   `toml:"down_script"`
	XParam        *string   `toml:"xparam"`
	ScriptTimeout *string   `toml:"script_timeout"`
	Checks        *[]string `toml:"checks"`
	Track         *[]string `toml:"track_interfaces"`
	Sync          *string   `toml:"sync"`
	StartupDemote *string   `toml:"startup_demote_for"`
}

// rawCheck is one [[check]].
type rawCheck struct {
	Name     *string   `toml:"name"`
	Command  *[]string `toml:"command"`
	Interval *string   `toml:"interval"`
	Timeout  *string   `toml:"timeout"`
	Rise     *int64    `toml:"rise"`
	Fall     *int64    `toml:"fall"`
	Demote   *int64    `toml:"demote"`
}

// checkKeys are rawCheck's keys, for "did you mean".
var checkKeys = []string{"name", "command", "interval", "timeout", "rise", "fall", "demote"}

// groupOnly are the keys of a group that [defaults] may not set.
var groupOnly = []string{"name", "vhid", "vips"}

// settingKeys are rawSettings' keys, in declaration order.
var settingKeys = func() []string {
	t := reflect.TypeFor[rawSettings]()
	keys := make([]string, t.NumField())
	for i := range keys {
		keys[i] = t.Field(i).Tag.Get("toml")
	}
	return keys
}()

// keyTypes say what each key holds, for type errors.
var keyTypes = map[string]string{
	"vhid": "an integer", "advbase": "an integer", "advskew": "an integer", "deadratio": "an integer",
	"preempt": "a boolean", "secure": "a boolean", "neutral": "a boolean", "nomcast": "a boolean", "ignore_ifstate": "a boolean", "manage_vips": "a boolean",
	"vips": "an array of strings", "peers": "an array of strings",
	"checks": "an array of strings", "track_interfaces": "an array of strings", "command": "an array of strings",
	"rise": "an integer", "fall": "an integer", "demote": "an integer", "check": "an array of tables ([[check]])",
	"defaults": "a table", "group": "an array of tables ([[group]])",
}

func keyType(key string) string {
	if t, ok := keyTypes[key]; ok {
		return t
	}
	return "a string"
}

// mergeDefaults fills the settings g does not set from d, and returns the
// keys taken from d. password and password_file go together: a group that
// sets either takes neither from [defaults].
func mergeDefaults(g *rawSettings, d *rawSettings) map[string]bool {
	from := map[string]bool{}
	if d == nil {
		return from
	}
	gv, dv := reflect.ValueOf(g).Elem(), reflect.ValueOf(d).Elem()
	ownPassword := g.Password != nil || g.PasswordFile != nil
	for i, key := range settingKeys {
		if ownPassword && (key == "password" || key == "password_file") {
			continue
		}
		if gv.Field(i).IsNil() && !dv.Field(i).IsNil() {
			gv.Field(i).Set(dv.Field(i))
			from[key] = true
		}
	}
	return from
}

// section is where one table's keys are in the file.
type section struct {
	line int
	keys map[string]int // key → line
	// The group's name, interface and vhid as written, to name the group in
	// an error found before it is decoded.
	name, iface string
	vhid        int64
	hasVHID     bool
}

// index is where everything is in the file: the TOML decoder reports lines
// for its own errors, but not for the keys of the groups it decodes.
type index struct {
	defaults section
	groups   []section
	checks   []section
	// headers are the tables in order, each with the section it opens: a
	// group's index, inDefaults or inOther.
	headers []header
	// groupTable is the line of a [group] written as a single table.
	groupTable int
}

type header struct {
	line, section int
	check         int // the [[check]] it opens, -1 for none
}

// The sections that are not a group.
const (
	inDefaults = -1
	inOther    = -2 // the root, or a table that is neither
	inCheck    = -3 // a [[check]]: header.check says which
)

// checkAt returns the [[check]] whose part of the file holds line, or -1.
func (x *index) checkAt(line int) int {
	c := -1
	for _, h := range x.headers {
		if h.line > line {
			break
		}
		c = h.check
	}
	return c
}

// sectionAt returns the section whose part of the file holds line: the
// index of a group, inDefaults or inOther.
func (x *index) sectionAt(line int) int {
	sec := inOther
	for _, h := range x.headers {
		if h.line > line {
			break
		}
		sec = h.section
	}
	return sec
}

// buildIndex walks the document with go-toml's parser and records the line
// of every key of [defaults] and of each group. A syntax error stops it;
// the decoder reports that error.
func buildIndex(data []byte) *index {
	x := &index{defaults: section{keys: map[string]int{}}}
	var p unstable.Parser
	p.Reset(data)
	const (
		root  = -3
		other = -2
		defs  = -1
	)
	cur := root
	chk := -1 // the [[check]] being read
	for p.NextExpression() {
		e := p.Expression()
		switch e.Kind {
		case unstable.Table, unstable.ArrayTable:
			parts, line := keyOf(&p, e)
			cur = other
			chk = -1
			switch {
			case len(parts) == 1 && parts[0] == "check" && e.Kind == unstable.ArrayTable:
				x.checks = append(x.checks, section{line: line, keys: map[string]int{}})
				chk = len(x.checks) - 1
			case len(parts) == 0:
			case parts[0] == "defaults":
				cur = defs
				if len(parts) == 1 {
					x.defaults.line = line
				} else {
					x.defaults.record(parts[1], line)
				}
			case parts[0] == "group" && len(parts) == 1 && e.Kind == unstable.ArrayTable:
				x.groups = append(x.groups, section{line: line, keys: map[string]int{}})
				cur = len(x.groups) - 1
			case parts[0] == "group" && len(parts) == 1:
				x.groupTable = line
			case parts[0] == "group" && len(x.groups) > 0:
				cur = len(x.groups) - 1
				x.groups[cur].record(parts[1], line)
			}
			sec := cur
			if cur < defs {
				sec = inOther
			}
			if chk >= 0 {
				sec = inCheck
			}
			x.headers = append(x.headers, header{line: line, section: sec, check: chk})
		case unstable.KeyValue:
			parts, line := keyOf(&p, e)
			if len(parts) == 0 {
				continue
			}
			switch {
			case chk >= 0:
				x.checks[chk].recordValue(parts, line, e.Value())
			case cur == defs:
				x.defaults.record(parts[0], line)
			case cur >= 0:
				x.groups[cur].recordValue(parts, line, e.Value())
			case cur == root && parts[0] == "defaults" && len(parts) > 1:
				x.defaults.record(parts[1], line)
			case cur == root && parts[0] == "defaults":
				x.defaults.line = line
				x.defaults.recordInline(&p, e.Value())
			case cur == root && parts[0] == "group" && e.Value().Kind == unstable.Array:
				it := e.Value().Children()
				for it.Next() {
					t := it.Node()
					s := section{line: line, keys: map[string]int{}}
					if l := firstLine(&p, t); l > 0 {
						s.line = l
					}
					s.recordInline(&p, t)
					x.groups = append(x.groups, s)
					x.headers = append(x.headers, header{line: s.line, section: len(x.groups) - 1, check: -1})
				}
			}
		}
	}
	return x
}

func (s *section) record(key string, line int) {
	if _, ok := s.keys[key]; !ok {
		s.keys[key] = line
	}
}

// recordValue records a key of a group, and its name, interface and vhid.
func (s *section) recordValue(parts []string, line int, v *unstable.Node) {
	if _, seen := s.keys[parts[0]]; seen || len(parts) != 1 || v == nil {
		s.record(parts[0], line)
		return
	}
	s.record(parts[0], line)
	switch {
	case parts[0] == "name" && v.Kind == unstable.String:
		s.name = string(v.Data)
	case parts[0] == "interface" && v.Kind == unstable.String:
		s.iface = string(v.Data)
	case parts[0] == "vhid" && v.Kind == unstable.Integer:
		n, err := strconv.ParseInt(strings.ReplaceAll(string(v.Data), "_", ""), 0, 64)
		s.vhid, s.hasVHID = n, err == nil
	}
}

// recordInline records the keys of an inline table.
func (s *section) recordInline(p *unstable.Parser, t *unstable.Node) {
	if t == nil || t.Kind != unstable.InlineTable {
		return
	}
	it := t.Children()
	for it.Next() {
		kv := it.Node()
		if kv.Kind != unstable.KeyValue {
			continue
		}
		parts, line := keyOf(p, kv)
		if len(parts) > 0 {
			s.recordValue(parts, line, kv.Value())
		}
	}
}

// label is how an error names the group before it is decoded.
func (s *section) label() string {
	switch {
	case s.name != "":
		return s.name
	case s.iface != "" && s.hasVHID:
		return fmt.Sprintf("%s-%d", s.iface, s.vhid)
	}
	return ""
}

// keyOf returns the parts of the key of a KeyValue, Table or ArrayTable
// node and the line it starts on.
func keyOf(p *unstable.Parser, n *unstable.Node) ([]string, int) {
	var parts []string
	line := 0
	it := n.Key()
	for it.Next() {
		k := it.Node()
		if line == 0 && k.Raw.Length > 0 {
			line = p.Shape(k.Raw).Start.Line
		}
		parts = append(parts, string(k.Data))
	}
	return parts, line
}

// firstLine is the line of the first key of an inline table, 0 if none.
func firstLine(p *unstable.Parser, t *unstable.Node) int {
	if t.Raw.Length > 0 {
		return p.Shape(t.Raw).Start.Line
	}
	it := t.Children()
	for it.Next() {
		if kv := it.Node(); kv.Kind == unstable.KeyValue {
			_, l := keyOf(p, kv)
			return l
		}
	}
	return 0
}

// decode decodes data strictly: an unknown key, a wrong type, a key or a
// table given twice is an *Error with the line.
func decode(path string, data []byte, x *index) (*rawFile, error) {
	var f rawFile
	err := toml.NewDecoder(bytes.NewReader(data)).DisallowUnknownFields().Decode(&f)
	if err == nil {
		return &f, nil
	}
	var strict *toml.StrictMissingError
	if errors.As(err, &strict) && len(strict.Errors) > 0 {
		return nil, decodeError(path, &strict.Errors[0], x)
	}
	var de *toml.DecodeError
	if errors.As(err, &de) {
		return nil, decodeError(path, de, x)
	}
	return nil, &Error{File: path, Msg: err.Error(), Err: err}
}

// decodeError places a decoder's error: the line is the decoder's, the
// group the one whose part of the file holds that line.
func decodeError(path string, de *toml.DecodeError, x *index) *Error {
	line, _ := de.Position()
	e := &Error{File: path, Line: line, Err: de, Msg: strings.TrimPrefix(de.Error(), "toml: ")}
	key := append([]string(nil), de.Key()...)
	sec := x.sectionAt(line)
	if c := x.checkAt(line); c >= 0 || (len(key) > 1 && key[0] == "check") {
		if len(key) > 1 && key[0] == "check" {
			key = key[1:]
		}
		if c >= 0 {
			e.Check, e.Index = x.checks[c].name, c+1
			if e.Check == "" {
				e.Check = fmt.Sprintf("#%d", c+1)
			}
		}
		sec = inCheck
	}
	switch {
	case sec == inCheck:
	case len(key) > 1 && key[0] == "group":
		key = key[1:]
	case len(key) > 1 && key[0] == "defaults":
		key, sec = append([]string{"defaults." + key[1]}, key[2:]...), inDefaults
	case len(key) == 1 && (key[0] == "group" || key[0] == "defaults"):
		sec = inOther
	case len(key) > 0 && sec == inDefaults:
		// A key relative to [defaults], as a duplicate is reported.
		key[0] = "defaults." + key[0]
	}
	if sec >= 0 && sec < len(x.groups) {
		e.Group, e.Index = x.groups[sec].label(), sec+1
	}
	e.Key = strings.Join(key, ".")
	var strict *toml.StrictMissingError
	switch m := e.Msg; {
	case sec == inCheck && (errors.As(de, &strict) || m == "unknown field"):
		e.Msg = "unknown key"
		if s := closest(e.Key, checkKeys); s != "" {
			e.Msg = fmt.Sprintf("unknown key (did you mean %s?)", s)
		}
	case errors.As(de, &strict), m == "unknown field":
		e.Msg = unknownKey(e.Key, sec >= 0, "key")
	case m == "missing table":
		e.Msg = unknownKey(e.Key, sec >= 0, "table")
	case strings.HasSuffix(m, " is already defined"):
		e.Msg = "set twice"
	case strings.HasPrefix(m, "table ") && strings.HasSuffix(m, " already exists"):
		e.Msg = "[" + e.Key + "] given twice"
		e.Key = ""
	case strings.HasPrefix(m, "cannot decode TOML "):
		e.Msg = typeError(e.Key, m)
	}
	return e
}

var typeRE = regexp.MustCompile(`^cannot decode TOML (.+?) into .* of type (\S+)$`)

// typeError rewrites a decoder's type error in the file's words.
func typeError(key, msg string) string {
	// The key of the schema is the first part: vhid.x = 1 makes vhid a table.
	base, _, _ := strings.Cut(strings.TrimPrefix(key, "defaults."), ".")
	want := keyType(base)
	m := typeRE.FindStringSubmatch(msg)
	if m == nil {
		return "must be " + want
	}
	got := m[1]
	if strings.HasPrefix(want, "an array of") && m[2] == "string" {
		return "must be an array of strings, got " + article(got) + " in it"
	}
	return "must be " + want + ", got " + article(got)
}

func article(s string) string {
	if s != "" && strings.ContainsRune("aeiou", rune(s[0])) {
		return "an " + s
	}
	return "a " + s
}

// unknownKey is the message for a key not in the schema, with the likely
// intended one.
func unknownKey(key string, inGroup bool, what string) string {
	var known []string
	switch base, isDefaults := strings.CutPrefix(key, "defaults."); {
	case strings.Contains(base, "."):
		return "unknown " + what
	case isDefaults:
		for _, k := range groupOnly {
			if base == k {
				return "unknown " + what + ": " + strings.Join(groupOnly, ", ") + " are set in each [[group]], not in [defaults]"
			}
		}
		known = settingKeys
	case inGroup:
		known = append(append([]string{}, groupOnly...), settingKeys...)
	default:
		known = []string{"defaults", "group", "check", "control", "http"}
	}
	if s := closest(key[strings.LastIndexByte(key, '.')+1:], known); s != "" {
		return fmt.Sprintf("unknown %s (did you mean %s?)", what, s)
	}
	return "unknown " + what
}

// closest returns the known key within two edits of s, if any.
func closest(s string, known []string) string {
	best, bestD := "", 3
	for _, k := range known {
		if d := editDistance(s, k); d < bestD {
			best, bestD = k, d
		}
	}
	return best
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			c := prev[j-1]
			if a[i-1] != b[j-1] {
				c++
			}
			cur[j] = min(c, prev[j]+1, cur[j-1]+1)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// rawControl is the [control] table.
type rawControl struct {
	Socket *string `toml:"socket"`
}

// rawHTTP is the [http] table.
type rawHTTP struct {
	Listen *string `toml:"listen"`
}
