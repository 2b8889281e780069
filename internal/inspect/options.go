package inspect

import (
	"errors"
	"fmt"
	"io"
	"net/netip"
	"strings"

	"github.com/gocarp/gocarp/hmac"
	"github.com/gocarp/gocarp/internal/cli"
)

// PasswordEnv is the environment variable read for the password when
// neither -p nor -o is given; carpd's main command line reads the same one.
const PasswordEnv = "CARPD_PASSWORD"

// Usage is the synopsis of carpd inspect, for -h and usage errors.
const Usage = `usage: carpd inspect [-p PASS | -o FILE] [-a VIP]... [--json] (FILE.pcap | - | -i IFACE)

Decode and verify every CARP advertisement in a capture (pcap or pcapng,
possibly gzipped; "-" reads standard input) or live on an interface.

  -p, --pass PASS        password to check the HMAC-SHA1 digest with
  -o, --passfile FILE    read the password from the first line of FILE
  -a, --addr VIP         a virtual address of the group; repeat for every VIP
                         (the digest covers all of them)
      --json             one JSON object per packet
  -i, --interface IFACE  capture live (Linux, needs CAP_NET_RAW)
  -h, --help             this text

Without -p/-o the password is taken from $` + PasswordEnv + ` if set.
Without a password, or without -a, digests are shown as "unchecked". auth is
"ok" for CARP's digest (ucarp, the BSDs), "secure" for gocarp's secure mode.
`

// Options says how packets are verified and printed.
type Options struct {
	// Password is the CARP password; nil means digests are not checked.
	Password []byte
	// VIPs are the group's virtual addresses, all of which the digest
	// covers. Without them a digest cannot be checked.
	VIPs []netip.Addr
	// JSON selects one JSON object per packet instead of a text line.
	JSON bool
	// Stderr receives one-time hints for the operator (such as "-a VIP
	// needed to check the digest"); nil means os.Stderr.
	Stderr io.Writer
}

var (
	// ErrUsage marks every command-line error of ParseArgs. The message
	// names the offending flag.
	ErrUsage = errors.New("inspect: usage error")

	// ErrHelp is returned by ParseArgs for -h/--help: print Usage, exit 0.
	ErrHelp = errors.New("inspect: help requested")
)

// usageError is a command-line error: its text is the message alone, it
// matches ErrUsage, and it unwraps to a cause such as
// hmac.ErrPasswordTooLong when there is one.
type usageError struct{ err error }

func (e *usageError) Error() string        { return e.err.Error() }
func (e *usageError) Unwrap() error        { return errors.Unwrap(e.err) }
func (e *usageError) Is(target error) bool { return target == ErrUsage }

func usagef(format string, args ...any) error {
	return &usageError{fmt.Errorf("inspect: "+format, args...)}
}

// argOption describes one option: its short letter (0 if none), its long
// name, and whether it takes a value.
type argOption struct {
	short byte
	long  string
	value bool
}

var argOptions = []argOption{
	{'p', "pass", true},
	{'o', "passfile", true},
	{'a', "addr", true},
	{'i', "interface", true},
	{0, "json", false},
	{'h', "help", false},
}

// lookupLong finds a long option by exact name or unambiguous prefix, as
// getopt_long does for carpd's main command line.
func lookupLong(name string) (argOption, error) {
	var found []argOption
	for _, o := range argOptions {
		if o.long == name {
			return o, nil
		}
		if strings.HasPrefix(o.long, name) {
			found = append(found, o)
		}
	}
	switch len(found) {
	case 0:
		return argOption{}, usagef("unknown option --%s", name)
	case 1:
		return found[0], nil
	}
	names := make([]string, len(found))
	for i, o := range found {
		names[i] = "--" + o.long
	}
	return argOption{}, usagef("option --%s is ambiguous: %s", name, strings.Join(names, ", "))
}

// ParseArgs parses the arguments after "carpd inspect". It returns the
// capture file to read (source; "-" means standard input) or the interface
// to capture on (iface): exactly one of the two is set. env looks up
// environment variables (os.Getenv; nil means none) for $CARPD_PASSWORD.
//
// Options: -p/--pass PASS, -o/--passfile FILE (its first line is the
// password), -a/--addr VIP (repeatable), --json, -i/--interface IFACE,
// -h/--help. Values go as "-p x", "-px", "--pass x" or "--pass=x"; long
// names may be abbreviated; "--" ends the options.
//
// Errors match ErrUsage and name the flag; -h gives ErrHelp. A password
// that is empty or longer than 19 bytes is refused here (the latter also
// matches hmac.ErrPasswordTooLong), so ReadPcap and Live do not fail later.
func ParseArgs(args []string, env func(string) string) (opts Options, source, iface string, err error) {
	var (
		pass, passFile         string
		passFlag, passFileFlag string // as written, for messages
		ifaceFlag              string
		files                  []string
	)
	set := func(o argOption, written, val string) error {
		switch o.long {
		case "pass":
			pass, passFlag = val, written
		case "passfile":
			passFile, passFileFlag = val, written
		case "addr":
			a, err := netip.ParseAddr(val)
			if err != nil {
				return usagef("%s %q: not an IP address", written, val)
			}
			opts.VIPs = append(opts.VIPs, a)
		case "interface":
			if ifaceFlag != "" {
				return usagef("%s given twice", written)
			}
			if val == "" {
				return usagef("%s: empty interface name", written)
			}
			iface, ifaceFlag = val, written
		case "json":
			opts.JSON = true
		case "help":
			return ErrHelp
		}
		return nil
	}

	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			files = append(files, args[i+1:]...)
			i = len(args)
		case strings.HasPrefix(a, "--"):
			name, val, hasVal := strings.Cut(a[2:], "=")
			o, err := lookupLong(name)
			if err != nil {
				return Options{}, "", "", err
			}
			written := "--" + o.long
			switch {
			case o.value && !hasVal:
				if i+1 >= len(args) {
					return Options{}, "", "", usagef("%s needs a value", written)
				}
				i++
				val = args[i]
			case !o.value && hasVal:
				return Options{}, "", "", usagef("%s takes no value", written)
			}
			if err := set(o, written, val); err != nil {
				return Options{}, "", "", err
			}
		case len(a) > 1 && a[0] == '-':
			o, ok := argOption{}, false
			for _, c := range argOptions {
				if c.short != 0 && c.short == a[1] {
					o, ok = c, true
				}
			}
			written := a[:2]
			if !ok {
				return Options{}, "", "", usagef("unknown option %s", written)
			}
			val := a[2:]
			switch {
			case o.value && val == "":
				if i+1 >= len(args) {
					return Options{}, "", "", usagef("%s needs a value", written)
				}
				i++
				val = args[i]
			case !o.value && val != "":
				return Options{}, "", "", usagef("%s takes no value (got %q)", written, a)
			}
			if err := set(o, written, val); err != nil {
				return Options{}, "", "", err
			}
		default: // a file name, or "-" for standard input
			files = append(files, a)
		}
	}

	switch {
	case passFlag != "" && passFileFlag != "":
		return Options{}, "", "", usagef("%s and %s are mutually exclusive", passFlag, passFileFlag)
	case passFlag != "":
		opts.Password = []byte(pass)
	case passFileFlag != "":
		opts.Password, err = readPassFile(passFileFlag, passFile)
		if err != nil {
			return Options{}, "", "", err
		}
	case env != nil && env(PasswordEnv) != "":
		passFlag = "$" + PasswordEnv
		opts.Password = []byte(env(PasswordEnv))
	}
	if opts.Password != nil {
		flag := passFlag
		if flag == "" {
			flag = passFileFlag
		}
		switch {
		case len(opts.Password) == 0:
			return Options{}, "", "", usagef("%s: empty password", flag)
		case len(opts.Password) > hmac.MaxPasswordLen:
			return Options{}, "", "", usagef("%s: password of %d bytes: %w", flag, len(opts.Password), hmac.ErrPasswordTooLong)
		}
	}

	switch {
	case len(files) > 1:
		return Options{}, "", "", usagef("one capture file at most, got %q", files)
	case len(files) == 1 && iface != "":
		return Options{}, "", "", usagef("capture file %q and %s %s: give one of them", files[0], ifaceFlag, iface)
	case len(files) == 0 && iface == "":
		return Options{}, "", "", usagef("need a capture file (FILE.pcap, or - for standard input) or -i IFACE")
	case len(files) == 1:
		if files[0] == "" {
			return Options{}, "", "", usagef("empty capture file name")
		}
		source = files[0]
	}
	return opts, source, iface, nil
}

// readPassFile reads the password file as carpd's -o does
// (cli.ReadPasswordFile): one reader, one rule.
func readPassFile(flag, name string) ([]byte, error) {
	if name == "" {
		return nil, usagef("%s: empty file name", flag)
	}
	pw, err := cli.ReadPasswordFile(name)
	if err != nil {
		return nil, &usageError{fmt.Errorf("inspect: %s %s: %w", flag, name, err)}
	}
	return pw, nil
}
