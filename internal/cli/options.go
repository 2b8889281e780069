package cli

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/netip"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/gocarp/gocarp/carp"
	"github.com/gocarp/gocarp/hmac"
	"github.com/gocarp/gocarp/wire"
)

// Defaults, as ucarp's where ucarp has the option.
const (
	DefaultAdvBase       = carp.DefaultAdvBase
	DefaultDeadRatio     = carp.DefaultDeadRatio
	DefaultFacility      = "daemon"
	DefaultTieBreak      = "ucarp"
	DefaultSourceMAC     = "real"
	DefaultScriptTimeout = 10 * time.Second

	// DefaultControl is the control socket of a carpd run with a config
	// file, and the one carpd status asks.
	DefaultControl = "/run/carpd.sock"

	// PasswordEnv names the environment variable read for the password when
	// neither -p nor -o is given. Unlike -p, it does not show in ps(1).
	// carpd should unset it once parsed, or every script inherits the password.
	PasswordEnv = "CARPD_PASSWORD"

	// MaxPasswordLen is the longest password ucarp accepts (its key buffer is
	// 20 bytes including the NUL); the BSD kernels truncate to the same length.
	MaxPasswordLen = hmac.MaxPasswordLen
	// MaxDeadRatio bounds -r so that deadratio × advbase seconds fits a time.Duration
	// with room to spare; ucarp takes any unsigned int.
	MaxDeadRatio = carp.MaxDeadRatio
	// maxIfNameLen is IFNAMSIZ-1; ucarp fails with "Interface name too long" beyond it.
	maxIfNameLen = 15
)

// DefaultMcast is the IPv4 CARP group, ucarp's default for --mcast.
var DefaultMcast = wire.IPv4Group

// Options is a parsed, validated ucarp-compatible command line.
type Options struct {
	Interface      string         // -i; "" = let the daemon choose (see DefaultInterface)
	SrcIP          netip.Addr     // -s; IPv4; invalid (zero) only when every VIP is IPv6
	VHID           uint8          // -v; 1..255
	Password       []byte         // -p, -o or $CARPD_PASSWORD; 1..MaxPasswordLen bytes
	PasswordSource string         // "flag", "file" or "env"
	PasswordFile   string         // the -o file, when PasswordSource is "file"
	VIPs           []netip.Addr   // -a, in command-line order, without duplicates; at least one
	VIPPrefixes    []netip.Prefix // -a as given, parallel to VIPs: ADDR/LEN, or /32 (/128) for a bare ADDR; what --manage-vips adds
	Preempt        bool           // -P
	Neutral        bool           // -n
	Debug          bool           // -D
	Shutdown       bool           // -z
	Daemonize      bool           // -B
	IgnoreIfState  bool           // -S
	NoMcast        bool           // -M
	AdvBase        uint8          // -b; default 1
	AdvSkew        uint8          // -k; 0..255, not 255 with -b 255 (the bow-out advert)
	DeadRatio      uint           // -r; 1..MaxDeadRatio, default 3
	UpScript       string         // -u
	DownScript     string         // -d
	XParam         string         // -x
	Mcast          netip.Addr     // -m/--mcast; IPv4, default 224.0.0.18
	Facility       string         // -f; lower-case syslog facility name or "none"; default "daemon"
	PIDFile        string         // --pidfile
	ManageVIPs     bool           // --manage-vips: add the VIPs on the interface as MASTER, remove them otherwise
	Secure         bool           // --secure: gocarp's secure mode (carp.Config.Secure), not interoperable with ucarp
	TieBreak       string         // --tiebreak: "ucarp" (default) or "bsd"
	SourceMAC      string         // --source-mac: "real" (default), "ucarp", "bsd" or a lower-case unicast MAC
	ScriptTimeout  time.Duration  // --script-timeout; default 10s; 0 = no limit
	Help           bool           // -h, or no arguments at all (as ucarp): print Usage, exit 0
	Version        bool           // --version
	// ConfigFile is -c/--config: run the groups of that file instead of
	// one from the command line. With it, only the global options (-B,
	// -D, -f, -z, --pidfile) are set; every group field stays zero.
	ConfigFile string
	// Control is --control PATH: the daemon's control socket. Empty: none
	// for the ucarp command line (several carpd, one per group, would
	// share a path), DefaultControl with a config file.
	Control string
	// HTTP is --http ADDR: serve /metrics and /status over HTTP on ADDR
	// (host:port). Empty: the file's [http] listen, else none.
	HTTP string
	// Ignored holds operands (non-option words). ucarp ignores them silently, and
	// Debian's ifupdown hook produces them when ucarp-xparam holds spaces; carpd
	// should warn about them.
	Ignored []string
}

// facilities are glibc's facilitynames (what ucarp matches, case-insensitively),
// without the internal "mark"; "security" is the old name of "auth".
var facilities = []string{
	"auth", "authpriv", "cron", "daemon", "ftp", "kern", "lpr", "mail", "news",
	"security", "syslog", "user", "uucp",
	"local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7",
}

// parser holds what Parse has seen so far.
type parser struct {
	o        Options
	passSet  bool
	mcastSet string
	// groupFlag is the first option seen that describes a group, which
	// -c/--config forbids.
	groupFlag string
}

// Parse parses a ucarp command line (args without the program name). env looks up
// environment variables (pass os.Getenv; nil means none). When Help or Version is
// set the other fields are not validated. Errors are *Error values.
//
// The password comes from the last of -p/-o; when neither is given, from
// $CARPD_PASSWORD. Prefer -o or the environment: -p shows in ps(1).
func Parse(args []string, env func(string) string) (*Options, error) {
	if len(args) == 0 {
		// ucarp prints its usage and exits 0 when run without arguments.
		return &Options{Help: true}, nil
	}
	toks, operands, err := tokenize(args)
	if err != nil {
		return nil, err
	}
	p := parser{o: Options{
		AdvBase:       DefaultAdvBase,
		DeadRatio:     DefaultDeadRatio,
		Mcast:         DefaultMcast,
		Facility:      DefaultFacility,
		TieBreak:      DefaultTieBreak,
		SourceMAC:     DefaultSourceMAC,
		ScriptTimeout: DefaultScriptTimeout,
		Ignored:       operands,
	}}
	for _, t := range toks {
		// ucarp acts on -h as soon as it meets it; earlier errors win, later ones are never seen.
		switch t.opt.id {
		case 'h':
			return &Options{Help: true}, nil
		case idVersion:
			return &Options{Version: true}, nil
		}
		if err := p.apply(t); err != nil {
			return nil, err
		}
		if !t.opt.global && p.groupFlag == "" {
			p.groupFlag = t.flag
		}
	}
	if p.o.ConfigFile != "" {
		return p.finishConfig()
	}
	if err := p.finish(env); err != nil {
		return nil, err
	}
	return &p.o, nil
}

// apply handles one option. Values are checked here, in command-line order, as ucarp does.
func (p *parser) apply(t token) error {
	o := &p.o
	v := t.value
	switch t.opt.id {
	case 'i':
		if v == "" {
			return newError(t.flag, ExitConfig, ErrInvalidValue, "%s: empty interface name", t.flag)
		}
		o.Interface = v
	case 's':
		a, err := parseIPv4(t, "source address")
		if err != nil {
			return err
		}
		o.SrcIP = a
	case 'm':
		a, err := parseIPv4(t, "multicast group")
		if err != nil {
			return err
		}
		o.Mcast, p.mcastSet = a, t.flag
	case 'v':
		n, err := parseNumber(t, 1, 255, "vhid must be between 1 and 255")
		if err != nil {
			return err
		}
		o.VHID = uint8(n)
	case 'p':
		o.Password, o.PasswordSource, o.PasswordFile, p.passSet = []byte(v), "flag", "", true
	case 'o':
		pw, err := ReadPasswordFile(v)
		if err != nil {
			code := ExitConfig
			if errors.Is(err, ErrPasswordTooLong) {
				code = ExitSetup // as ucarp's "Password too long"
			}
			return &Error{Flag: t.flag, Code: code, Err: err, msg: fmt.Sprintf("%s %s: %v", t.flag, v, err)}
		}
		o.Password, o.PasswordSource, o.PasswordFile, p.passSet = pw, "file", v, true
	case 'a':
		pfx, err := ParseVIP(v)
		if err != nil {
			return wrapError(t.flag, ExitConfig, ErrInvalidValue, err, "%s %q: %v", t.flag, v, err)
		}
		a := pfx.Addr()
		if i := slices.Index(o.VIPs, a); i >= 0 {
			if o.VIPPrefixes[i] != pfx {
				return newError(t.flag, ExitConfig, ErrInvalidValue,
					"%s %q: %s is already given as %s", t.flag, v, a, o.VIPPrefixes[i])
			}
			break
		}
		o.VIPs = append(o.VIPs, a)
		o.VIPPrefixes = append(o.VIPPrefixes, pfx)
	case 'b':
		n, err := parseNumber(t, 0, 255, "advbase must be between 0 and 255")
		if err != nil {
			return err
		}
		o.AdvBase = uint8(n)
	case 'k':
		n, err := parseNumber(t, 0, 255, "advskew must be between 0 and 255")
		if err != nil {
			return err
		}
		o.AdvSkew = uint8(n)
	case 'r':
		n, err := parseNumber(t, 1, MaxDeadRatio, fmt.Sprintf("dead ratio must be between 1 and %d", MaxDeadRatio))
		if err != nil {
			return err
		}
		o.DeadRatio = uint(n)
	case 'u':
		o.UpScript = v
	case 'd':
		o.DownScript = v
	case 'x':
		o.XParam = v
	case 'f':
		f := strings.ToLower(v)
		switch {
		case f == "none":
		case f == "security":
			f = "auth"
		case !slices.Contains(facilities, f):
			return newError(t.flag, ExitConfig, ErrInvalidValue,
				"%s %q: unknown syslog facility (want none, %s)", t.flag, v, strings.Join(facilities, ", "))
		}
		o.Facility = f
	case 'P':
		o.Preempt = true
	case 'n':
		o.Neutral = true
	case 'D':
		o.Debug = true
	case 'z':
		o.Shutdown = true
	case 'B':
		o.Daemonize = true
	case 'S':
		o.IgnoreIfState = true
	case 'M':
		o.NoMcast = true
	case idManageVIPs:
		o.ManageVIPs = true
	case idSecure:
		o.Secure = true
	case idControl:
		if v == "" {
			return newError(t.flag, ExitConfig, ErrInvalidValue, "%s: empty path", t.flag)
		}
		o.Control = v
	case idHTTP:
		if _, _, err := net.SplitHostPort(v); err != nil {
			return newError(t.flag, ExitConfig, ErrInvalidValue, "%s: want HOST:PORT, e.g. 127.0.0.1:9108, got %q", t.flag, v)
		}
		o.HTTP = v
	case idPIDFile:
		if v == "" {
			return newError(t.flag, ExitConfig, ErrInvalidValue, "%s: empty path", t.flag)
		}
		o.PIDFile = v
	case idTieBreak:
		if _, err := ParseTieBreak(v); err != nil {
			return wrapError(t.flag, ExitConfig, ErrInvalidValue, err, "%s %q: %v", t.flag, v, err)
		}
		o.TieBreak = strings.ToLower(v)
	case idSourceMAC:
		m, err := ParseSourceMAC(v)
		if err != nil {
			return wrapError(t.flag, ExitConfig, ErrInvalidValue, err, "%s %q: %v", t.flag, v, err)
		}
		o.SourceMAC = m
	case 'c':
		if v == "" {
			return newError(t.flag, ExitConfig, ErrInvalidValue, "%s: empty path", t.flag)
		}
		o.ConfigFile = v
	case idScriptTimeout:
		d, err := time.ParseDuration(v)
		if err != nil {
			return wrapError(t.flag, ExitConfig, ErrInvalidValue, err, "%s %q: not a duration (e.g. 10s, 1m30s)", t.flag, v)
		}
		if d < 0 {
			return newError(t.flag, ExitConfig, ErrOutOfRange, "%s %q: must not be negative", t.flag, v)
		}
		o.ScriptTimeout = d
	default:
		// Unreachable: tokenize only returns options from the table.
		return newError(t.flag, ExitConfig, ErrUnknownOption, "unhandled option %s", t.flag)
	}
	return nil
}

// finish applies the checks ucarp makes after parsing, in ucarp's order, so the
// first complaint is the one ucarp would print.
func (p *parser) finish(env func(string) string) error {
	o := &p.o
	if o.VHID == 0 {
		return newError("-v", ExitConfig, ErrMissingOption, "You must supply a valid virtual host id (-v/--vhid)")
	}
	if !p.passSet && env != nil {
		if pw := env(PasswordEnv); pw != "" {
			o.Password, o.PasswordSource = []byte(pw), "env"
		}
	}
	if len(o.Password) == 0 {
		return newError("-p", ExitConfig, ErrMissingOption,
			"You must supply a password (-p/--pass, -o/--passfile or $%s)", PasswordEnv)
	}
	if o.AdvBase == 0 && o.AdvSkew == 0 {
		return newError("-b", ExitConfig, ErrZeroInterval,
			"You must supply an advertisement time base: -b/--advbase and -k/--advskew are both 0")
	}
	if o.AdvBase == 255 && o.AdvSkew == 255 {
		// ucarp takes it, sends one advert and falls silent: the pair is
		// the bow-out advert, which backups take as "master leaving".
		return newError("-k", ExitConfig, ErrOutOfRange,
			"-b 255 with -k 255 is the bow-out advertisement, not a usable interval; lower either")
	}
	if !o.SrcIP.IsValid() && !(len(o.VIPs) > 0 && allIPv6(o.VIPs)) {
		return newError("-s", ExitConfig, ErrMissingOption, "You must supply a persistent source address (-s/--srcip)")
	}
	if len(o.VIPs) == 0 {
		return newError("-a", ExitConfig, ErrMissingOption, "You must supply a virtual host address (-a/--addr)")
	}
	if !o.Mcast.IsMulticast() && !o.NoMcast {
		return newError(p.mcastSet, ExitConfig, ErrInvalidValue,
			"%s %s: not a multicast group (a non-multicast destination needs -M/--nomcast)", p.mcastSet, o.Mcast)
	}
	if len(o.Password) > MaxPasswordLen {
		flag := map[string]string{"flag": "-p", "file": "-o", "env": "$" + PasswordEnv}[o.PasswordSource]
		return newError(flag, ExitSetup, ErrPasswordTooLong,
			"Password too long: %s has %d bytes, at most %d", flag, len(o.Password), MaxPasswordLen)
	}
	if o.Interface != "" && len(o.Interface) > maxIfNameLen {
		return newError("-i", ExitSetup, ErrInterfaceTooLong,
			"Interface name too long: -i %q has %d bytes, at most %d", o.Interface, len(o.Interface), maxIfNameLen)
	}
	return nil
}

// finishConfig checks a command line with -c/--config: the groups come from
// the file, so no option describing one may be given.
func (p *parser) finishConfig() (*Options, error) {
	if p.groupFlag != "" {
		return nil, newError(p.groupFlag, ExitConfig, ErrConfigConflict,
			"%s cannot be given with -c/--config: the groups come from %s (only %s may be given with it)",
			p.groupFlag, p.o.ConfigFile, globalFlags())
	}
	o := p.o
	// Nothing of a group is set: the defaults Parse starts from belong to
	// the file's groups, not to this command line.
	return &Options{
		Debug:      o.Debug,
		Shutdown:   o.Shutdown,
		Daemonize:  o.Daemonize,
		Facility:   o.Facility,
		PIDFile:    o.PIDFile,
		ConfigFile: o.ConfigFile,
		Control:    o.Control,
		HTTP:       o.HTTP,
		Ignored:    o.Ignored,
	}, nil
}

func allIPv6(as []netip.Addr) bool {
	for _, a := range as {
		if !a.Is6() {
			return false
		}
	}
	return true
}

// parseIPv4 accepts what inet_pton(AF_INET) accepts: a dotted quad without
// leading zeros. 0.0.0.0 is what ucarp reads as "not given", so it is refused.
func parseIPv4(t token, what string) (netip.Addr, error) {
	a, err := netip.ParseAddr(t.value)
	if err != nil || !a.Is4() {
		if err == nil {
			err = errors.New("not an IPv4 address")
		}
		return netip.Addr{}, wrapError(t.flag, ExitConfig, ErrInvalidValue, err,
			"%s %q: Invalid address (the %s must be an IPv4 address)", t.flag, t.value, what)
	}
	if a.IsUnspecified() {
		return netip.Addr{}, newError(t.flag, ExitConfig, ErrInvalidValue,
			"%s %q: the %s must not be 0.0.0.0", t.flag, t.value, what)
	}
	return a, nil
}

// parseNumber reads an unsigned number the way ucarp's strtoul(s, NULL, 0) does
// (0x hex, leading-0 octal, decimal, optional sign and leading blanks), except
// that trailing garbage is an error and an out-of-range value is refused instead
// of being truncated to a byte.
func parseNumber(t token, lo, hi uint64, rangeMsg string) (uint64, error) {
	n, neg, ok := parseCUint(t.value)
	if !ok {
		return 0, newError(t.flag, ExitConfig, ErrInvalidValue, "%s %q: not a number", t.flag, t.value)
	}
	if (neg && n != 0) || n < lo || n > hi {
		return 0, newError(t.flag, ExitConfig, ErrOutOfRange, "%s %q: %s", t.flag, t.value, rangeMsg)
	}
	return n, nil
}

// parseCUint parses s like C's strtoul with base 0, requiring the whole string to
// be consumed. Overflow saturates at MaxUint64 (still reported ok, as out of range later).
func parseCUint(s string) (n uint64, neg, ok bool) {
	s = strings.TrimLeft(s, " \t\n\v\f\r")
	if s != "" && (s[0] == '+' || s[0] == '-') {
		neg = s[0] == '-'
		s = s[1:]
	}
	base := uint64(10)
	switch {
	case len(s) > 1 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X'):
		base, s = 16, s[2:]
	case len(s) > 1 && s[0] == '0':
		base, s = 8, s[1:]
	}
	if s == "" {
		return 0, false, false
	}
	for i := 0; i < len(s); i++ {
		d := digitValue(s[i])
		if d >= base {
			return 0, false, false
		}
		if n > (math.MaxUint64-d)/base {
			n = math.MaxUint64
			continue
		}
		n = n*base + d
	}
	return n, neg, true
}

func digitValue(c byte) uint64 {
	switch {
	case '0' <= c && c <= '9':
		return uint64(c - '0')
	case 'a' <= c && c <= 'f':
		return uint64(c-'a') + 10
	case 'A' <= c && c <= 'F':
		return uint64(c-'A') + 10
	}
	return 255
}

// ReadPasswordFile reads a password as ucarp reads its -o file: the first
// line, through a 512-byte fgets, without its '\n' (a trailing '\r' stays
// part of the password) and up to a NUL byte (as strdup would end it). An
// empty first line is an error. Nothing beyond the first line is read, so a
// FIFO works. A first line longer than 512 bytes, far beyond any password,
// is refused with its length (counted up to 1 MiB: -o /dev/zero ends);
// shorter ones are checked by carp.Config.Validate. carpd's -o, its
// config's password_file and carpd inspect -o all read with it.
//
// The error matches ErrPassfile and, for an open or read failure, the cause
// (e.g. fs.ErrNotExist); its message does not repeat the path.
func ReadPasswordFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, &passfileError{cause: err, msg: fmt.Sprintf("unable to open passfile for reading: %v", unwrapPath(err))}
	}
	defer f.Close()
	return readPassword(f)
}

// readPassword is ReadPasswordFile on an open file: it reads at most
// passfileBuffer bytes at a time, and stops counting a line too long after
// maxPassfileCount bytes.
func readPassword(f io.Reader) ([]byte, error) {
	r := bufio.NewReaderSize(f, passfileBuffer)
	line, err := r.ReadSlice('\n')
	switch {
	case errors.Is(err, bufio.ErrBufferFull):
		// Longer than any password: say how long, reading on (bounded)
		// only to count.
		n := int64(len(line))
		for errors.Is(err, bufio.ErrBufferFull) && n <= maxPassfileCount {
			line, err = r.ReadSlice('\n')
			n += int64(len(line))
		}
		size := fmt.Sprintf("%d bytes", n-int64(bytes.Count(line, []byte("\n"))))
		if n > maxPassfileCount {
			size = fmt.Sprintf("over %d bytes", maxPassfileCount)
		}
		return nil, &passfileError{cause: ErrPasswordTooLong,
			msg: fmt.Sprintf("the first line of the passfile is %s: a password is at most %d", size, MaxPasswordLen)}
	case err != nil && !errors.Is(err, io.EOF):
		return nil, &passfileError{cause: err, msg: fmt.Sprintf("error reading passfile: %v", unwrapPath(err))}
	case len(line) == 0:
		return nil, &passfileError{msg: "error reading passfile: unexpected end of file"}
	}
	line = bytes.TrimSuffix(line, []byte("\n"))
	if i := bytes.IndexByte(line, 0); i >= 0 {
		line = line[:i]
	}
	if len(line) == 0 {
		return nil, &passfileError{msg: "the first line of the passfile is empty"}
	}
	return bytes.Clone(line), nil
}

// passfileBuffer is what ReadPasswordFile reads of a line at once, as
// ucarp's fgets buffer; maxPassfileCount bounds how far it counts a line
// too long to be a password.
const (
	passfileBuffer   = 512
	maxPassfileCount = 1 << 20
)

// passfileError is what ReadPasswordFile returns: it matches ErrPassfile and
// its cause.
type passfileError struct {
	cause error
	msg   string
}

func (e *passfileError) Error() string { return e.msg }

func (e *passfileError) Unwrap() []error {
	if e.cause == nil {
		return []error{ErrPassfile}
	}
	return []error{ErrPassfile, e.cause}
}

func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// ParseVIP parses a virtual address as -a and a config file's vips take it:
// ADDR/LEN, or a bare ADDR meaning /32 (IPv4) or /128 (IPv6). The address is
// kept as written (198.51.100.100/24 stays that, not the network); LEN is
// the prefix added with it on the interface. Refused: a zone, an
// IPv4-mapped IPv6 address, the unspecified address and multicast; what
// else makes a VIP unusable is carp.Config.Validate's to say.
func ParseVIP(s string) (netip.Prefix, error) {
	var pfx netip.Prefix
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			if strings.Contains(s, "%") {
				return netip.Prefix{}, errors.New("a virtual address takes no zone")
			}
			return netip.Prefix{}, errors.New("invalid address/prefix length")
		}
		pfx = p
	} else {
		a, err := netip.ParseAddr(s)
		if err != nil {
			return netip.Prefix{}, errors.New("invalid address")
		}
		if a.Zone() != "" {
			return netip.Prefix{}, errors.New("a virtual address takes no zone")
		}
		pfx = netip.PrefixFrom(a, a.BitLen())
	}
	a := pfx.Addr()
	switch {
	case a.Is4In6():
		return netip.Prefix{}, errors.New("give an IPv4 virtual address in dotted form")
	case a.IsUnspecified() || a.IsMulticast():
		return netip.Prefix{}, errors.New("not a usable virtual address")
	}
	return pfx, nil
}

// ParseTieBreak reads a --tiebreak value (a config file's tiebreak):
// "ucarp" or "bsd", in any case.
func ParseTieBreak(s string) (carp.TieBreak, error) {
	switch strings.ToLower(s) {
	case "ucarp":
		return carp.TieBreakUcarp, nil
	case "bsd":
		return carp.TieBreakBSD, nil
	}
	return 0, errors.New("want ucarp or bsd")
}

// ParseSourceMAC checks a --source-mac value (a config file's source_mac):
// one of the policies "real", "ucarp" and "bsd", or a non-zero unicast
// Ethernet address. It returns the value lower-cased, a MAC in the
// canonical 02:00:00:00:00:01 form.
func ParseSourceMAC(s string) (string, error) {
	v := strings.ToLower(s)
	switch v {
	case "real", "ucarp", "bsd":
		return v, nil
	}
	hw, err := net.ParseMAC(v)
	if err != nil || len(hw) != 6 {
		return "", errors.New("want real, ucarp, bsd or an Ethernet address like 02:00:00:00:00:01")
	}
	if hw[0]&1 != 0 || bytes.Equal(hw, make([]byte, 6)) {
		return "", errors.New("a source MAC must be a non-zero unicast address")
	}
	return hw.String(), nil
}
