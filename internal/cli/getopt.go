package cli

import (
	"strings"
)

// option is one entry of the option table. Options with the same id are
// aliases (--mcast and --mcastip), which glibc's getopt_long does not count as
// ambiguous when a prefix matches both.
type option struct {
	long  string
	short byte // 0: long form only
	arg   bool // takes a required argument
	ucarp bool // in ucarp's own table; see lookupLong for why it matters
	// global marks an option about the process, not a group: the only
	// kind -c/--config allows beside it.
	global bool
	id     byte // the short letter, or a private code for long-only options
}

// Private ids for the long-only options carpd adds.
const (
	idPIDFile = 1 + iota
	idTieBreak
	idSourceMAC
	idScriptTimeout
	idVersion
	idManageVIPs
	idControl
	idHTTP
	idSecure
)

// options is ucarp 1.5.2's table (src/ucarp_p.h) followed by carpd's additions.
// "mcast" is the name ucarp's --help documents; its table says "mcastip", and
// --mcast only works there as a prefix. Both are accepted.
var options = []option{
	{long: "interface", short: 'i', arg: true, ucarp: true},
	{long: "srcip", short: 's', arg: true, ucarp: true},
	{long: "mcastip", short: 'm', arg: true, ucarp: true},
	{long: "mcast", short: 'm', arg: true, ucarp: true},
	{long: "vhid", short: 'v', arg: true, ucarp: true},
	{long: "pass", short: 'p', arg: true, ucarp: true},
	{long: "preempt", short: 'P', ucarp: true},
	{long: "neutral", short: 'n', ucarp: true},
	{long: "addr", short: 'a', arg: true, ucarp: true},
	{long: "help", short: 'h', ucarp: true, global: true},
	{long: "advbase", short: 'b', arg: true, ucarp: true},
	{long: "advskew", short: 'k', arg: true, ucarp: true},
	{long: "upscript", short: 'u', arg: true, ucarp: true},
	{long: "downscript", short: 'd', arg: true, ucarp: true},
	{long: "deadratio", short: 'r', arg: true, ucarp: true},
	{long: "debug", short: 'D', ucarp: true, global: true},
	{long: "shutdown", short: 'z', ucarp: true, global: true},
	{long: "facility", short: 'f', arg: true, ucarp: true, global: true},
	{long: "daemonize", short: 'B', ucarp: true, global: true},
	{long: "ignoreifstate", short: 'S', ucarp: true},
	{long: "nomcast", short: 'M', ucarp: true},
	{long: "passfile", short: 'o', arg: true, ucarp: true},
	{long: "xparam", short: 'x', arg: true, ucarp: true},

	{long: "pidfile", arg: true, id: idPIDFile, global: true},
	{long: "tiebreak", arg: true, id: idTieBreak},
	{long: "source-mac", arg: true, id: idSourceMAC},
	{long: "script-timeout", arg: true, id: idScriptTimeout},
	{long: "version", id: idVersion, global: true},
	{long: "manage-vips", id: idManageVIPs},
	{long: "config", short: 'c', arg: true, global: true},
	{long: "control", arg: true, id: idControl, global: true},
	{long: "http", arg: true, id: idHTTP, global: true},
	{long: "secure", id: idSecure},
}

// globalFlags lists the options allowed with -c/--config, for its error.
func globalFlags() string {
	var fs []string
	for _, o := range options {
		if o.global && o.id != 'c' && o.id != 'h' && o.id != idVersion {
			f := "--" + o.long
			if o.short != 0 {
				f = "-" + string(o.short)
			}
			fs = append(fs, f)
		}
	}
	return strings.Join(fs, ", ")
}

func init() {
	for i := range options {
		if options[i].short != 0 {
			options[i].id = options[i].short
		}
	}
}

// lookupShort finds a short option letter. -m is not in ucarp's getopt string
// (its --help documents it, but ucarp rejects it); carpd accepts it.
func lookupShort(c byte) (option, bool) {
	for _, o := range options {
		if o.short == c {
			return o, true
		}
	}
	return option{}, false
}

// lookupLong resolves a long option name as glibc's getopt_long does: an exact
// match wins, otherwise a unique prefix; a prefix matching options with
// different ids is ambiguous. ucarp's own names are tried before carpd's
// additions, so every prefix that worked with ucarp keeps its meaning (--v is
// still --vhid although --version exists).
func lookupLong(name string) (option, []string, bool) {
	if name == "" {
		return option{}, nil, false
	}
	for _, o := range options {
		if o.long == name {
			return o, nil, true
		}
	}
	for _, tier := range []bool{true, false} {
		var found []option
		for _, o := range options {
			if o.ucarp == tier && strings.HasPrefix(o.long, name) {
				found = append(found, o)
			}
		}
		if len(found) == 0 {
			continue
		}
		if unique(found) {
			return found[0], nil, true
		}
		var cands []string
		for _, o := range options {
			if strings.HasPrefix(o.long, name) {
				cands = append(cands, "--"+o.long)
			}
		}
		return option{}, cands, false
	}
	return option{}, nil, false
}

func unique(found []option) bool {
	for _, o := range found[1:] {
		if o.id != found[0].id {
			return false
		}
	}
	return true
}

// token is one option occurrence in the command line.
type token struct {
	opt    option
	flag   string // as the user spelled it, for messages: "-v", "--vhid"
	value  string
	hasArg bool
}

// tokenize splits args the way glibc's getopt_long does in its default
// (permuting) mode: options may follow operands, "--" ends options, a lone "-"
// is an operand, short flags bundle ("-PzS"), and a short option's value may be
// attached ("-v42") or be the next word even if it starts with '-'. Operands
// are returned separately.
func tokenize(args []string) ([]token, []string, error) {
	var toks []token
	var operands []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			operands = append(operands, args[i+1:]...)
			return toks, operands, nil
		case strings.HasPrefix(a, "--"):
			name, val, hasVal := strings.Cut(a[2:], "=")
			o, cands, ok := lookupLong(name)
			if !ok {
				if len(cands) > 0 {
					return nil, nil, newError("--"+name, ExitConfig, ErrAmbiguousOption,
						"option '--%s' is ambiguous; possibilities: %s", name, strings.Join(cands, " "))
				}
				return nil, nil, newError("--"+name, ExitConfig, ErrUnknownOption,
					"unrecognized option '--%s'", name)
			}
			flag := "--" + o.long
			switch {
			case o.arg && !hasVal:
				if i+1 >= len(args) {
					return nil, nil, newError(flag, ExitConfig, ErrMissingArgument,
						"option '%s' requires an argument", flag)
				}
				i++
				val = args[i]
			case !o.arg && hasVal:
				return nil, nil, newError(flag, ExitConfig, ErrUnexpectedValue,
					"option '%s' doesn't allow an argument", flag)
			}
			toks = append(toks, token{opt: o, flag: flag, value: val, hasArg: o.arg})
		case len(a) > 1 && a[0] == '-':
			for j := 1; j < len(a); j++ {
				c := a[j]
				o, ok := lookupShort(c)
				if !ok {
					return nil, nil, newError("-"+string(c), ExitConfig, ErrUnknownOption,
						"invalid option '-%c'", c)
				}
				flag := "-" + string(c)
				if !o.arg {
					toks = append(toks, token{opt: o, flag: flag})
					continue
				}
				var val string
				switch {
				case j+1 < len(a):
					val = a[j+1:]
				case i+1 < len(args):
					i++
					val = args[i]
				default:
					return nil, nil, newError(flag, ExitConfig, ErrMissingArgument,
						"option '-%c' (--%s) requires an argument", c, o.long)
				}
				toks = append(toks, token{opt: o, flag: flag, value: val, hasArg: true})
				break
			}
		default:
			operands = append(operands, a)
		}
	}
	return toks, operands, nil
}
