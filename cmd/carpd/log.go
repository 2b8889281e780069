package main

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"runtime/debug"

	"github.com/gocarp/gocarp/internal/cli"
)

// version reports the module version carpd was built from.
func version() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "devel"
}

// newLogger logs as text to stderr and, unless the facility is "none", to
// syslog with ucarp's facility.
func newLogger(o *cli.Options, stderr io.Writer) (*slog.Logger, func(), error) {
	level := slog.LevelInfo
	if o.Debug {
		level = slog.LevelDebug
	}
	opts := &slog.HandlerOptions{Level: level}
	handlers := []slog.Handler{slog.NewTextHandler(stderr, opts)}
	closeFn := func() {}
	if o.Facility != "none" {
		h, c, err := syslogHandler(o.Facility, opts)
		switch {
		case err == nil:
			handlers = append(handlers, h)
			closeFn = c
		case errors.Is(err, errNoSyslog):
			// No syslog daemon here: stderr only, as ucarp's logs would be lost too.
		default:
			return nil, nil, err
		}
	}
	if len(handlers) == 1 {
		return slog.New(handlers[0]), closeFn, nil
	}
	return slog.New(fanout(handlers)), closeFn, nil
}

var errNoSyslog = errors.New("syslog unavailable")

// fanout sends each record to every handler.
type fanout []slog.Handler

func (f fanout) Enabled(ctx context.Context, l slog.Level) bool {
	for _, h := range f {
		if h.Enabled(ctx, l) {
			return true
		}
	}
	return false
}

func (f fanout) Handle(ctx context.Context, r slog.Record) error {
	var errs []error
	for _, h := range f {
		if h.Enabled(ctx, r.Level) {
			errs = append(errs, h.Handle(ctx, r.Clone()))
		}
	}
	return errors.Join(errs...)
}

func (f fanout) WithAttrs(as []slog.Attr) slog.Handler {
	out := make(fanout, len(f))
	for i, h := range f {
		out[i] = h.WithAttrs(as)
	}
	return out
}

func (f fanout) WithGroup(name string) slog.Handler {
	out := make(fanout, len(f))
	for i, h := range f {
		out[i] = h.WithGroup(name)
	}
	return out
}
