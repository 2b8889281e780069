package carp

import (
	"context"
	"log/slog"

	"github.com/gocarp/gocarp/transport"
)

// clockHandler stamps every record with the group's clock, so that the
// logs of a simulation carry its virtual time, not the wall clock's.
type clockHandler struct {
	slog.Handler
	clock transport.Clock
}

func (h clockHandler) Handle(ctx context.Context, r slog.Record) error {
	r.Time = h.clock.Now()
	return h.Handler.Handle(ctx, r)
}

func (h clockHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return clockHandler{h.Handler.WithAttrs(attrs), h.clock}
}

func (h clockHandler) WithGroup(name string) slog.Handler {
	return clockHandler{h.Handler.WithGroup(name), h.clock}
}

// groupLogger is the logger of a group: cfg's, with the group's attributes
// and, on any clock but the system's, that clock's time.
func groupLogger(r *resolved) *slog.Logger {
	l := r.Logger
	if r.Clock != transport.SystemClock {
		l = slog.New(clockHandler{l.Handler(), r.Clock})
	}
	return l.With("interface", r.Interface, "vhid", r.VHID)
}
