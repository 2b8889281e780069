package cli

import (
	"errors"
	"fmt"
)

// Exit codes, as ucarp uses them (CARP.md §8).
const (
	// ExitConfig is the exit status for a command line ucarp rejects while parsing.
	ExitConfig = 1
	// ExitSetup is the exit status for the checks ucarp only makes once it starts
	// the protocol (password and interface name length). We detect them while parsing
	// but keep ucarp's status so wrappers that test it see no difference.
	ExitSetup = 2
)

// Sentinel errors, matchable with errors.Is on the *Error that Parse returns.
var (
	ErrUnknownOption    = errors.New("unrecognized option")
	ErrAmbiguousOption  = errors.New("ambiguous option")
	ErrMissingArgument  = errors.New("option requires an argument")
	ErrUnexpectedValue  = errors.New("option doesn't allow an argument")
	ErrInvalidValue     = errors.New("invalid value")
	ErrOutOfRange       = errors.New("value out of range")
	ErrMissingOption    = errors.New("required option missing")
	ErrPassfile         = errors.New("cannot read password file")
	ErrPasswordTooLong  = errors.New("password too long")
	ErrInterfaceTooLong = errors.New("interface name too long")
	ErrZeroInterval     = errors.New("advbase and advskew are both zero")
	ErrNoInterface      = errors.New("no suitable network interface")
	ErrConfigConflict   = errors.New("option conflicts with -c/--config")
)

// Error is a command-line error. It names the flag at fault and carries the
// process exit status carpd should use.
type Error struct {
	Flag string // the option as the user spelled it ("-v", "--vhid"); may be "" for operands
	Code int    // process exit status: ExitConfig or ExitSetup
	Err  error  // one of the sentinels above, possibly wrapping a cause
	msg  string
}

// Error returns the message, which always names the offending flag when there is one.
func (e *Error) Error() string { return e.msg }

// Unwrap returns the sentinel (and through it any cause).
func (e *Error) Unwrap() error { return e.Err }

// ExitCode returns the process exit status for this error.
func (e *Error) ExitCode() int { return e.Code }

func newError(flag string, code int, sentinel error, format string, a ...any) *Error {
	return &Error{Flag: flag, Code: code, Err: sentinel, msg: fmt.Sprintf(format, a...)}
}

// wrapError is newError with an underlying cause kept in the chain.
func wrapError(flag string, code int, sentinel, cause error, format string, a ...any) *Error {
	return &Error{Flag: flag, Code: code, Err: fmt.Errorf("%w: %w", sentinel, cause), msg: fmt.Sprintf(format, a...)}
}
