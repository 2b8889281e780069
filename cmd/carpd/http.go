package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
	"golang.org/x/net/netutil"

	"github.com/gocarp/gocarp/internal/control"
)

// Bounds on what HTTP clients may cost the daemon: a scraper or curl needs
// a connection or two, never more than this; a slow or silent one is cut.
const (
	httpMaxConns          = 16
	httpMaxInFlight       = 4 // concurrent /metrics renderings
	httpReadHeaderTimeout = 5 * time.Second
	httpReadTimeout       = 10 * time.Second
	httpWriteTimeout      = 15 * time.Second
	httpIdleTimeout       = 60 * time.Second
	httpMaxHeaderBytes    = 16 << 10
	httpShutdownTimeout   = 5 * time.Second
)

// httpServer serves /metrics and /status ([http] listen, --http).
type httpServer struct {
	ln   net.Listener
	srv  *http.Server
	log  *slog.Logger
	done chan struct{} // closed when Serve has returned
}

// listenHTTP listens on --http's address, else the file's [http] listen;
// nil when neither is set. It comes before the daemon opens anything, so
// that a busy or bad address refuses the start at no cost.
func listenHTTP(flag, file string, log *slog.Logger) (*httpServer, error) {
	addr, what := flag, "--http"
	if addr == "" {
		addr, what = file, "[http] listen"
	}
	if addr == "" {
		return nil, nil
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("%s %s: cannot serve /metrics and /status: %w", what, addr, err)
	}
	return &httpServer{ln: netutil.LimitListener(ln, httpMaxConns), log: log}, nil
}

// handler is carpd's HTTP API, read-only: /metrics for Prometheus and
// /status, the JSON of carpd status --json.
func httpHandler(status func() control.Status, log *slog.Logger) http.Handler {
	reg := newRegistry(status, version())
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{
		ErrorLog:            promLogger{log},
		ErrorHandling:       promhttp.ContinueOnError,
		MaxRequestsInFlight: httpMaxInFlight,
		// No Timeout: promhttp would wrap the handler in an
		// http.TimeoutHandler, which buffers every response whole; the
		// server's WriteTimeout bounds a slow client instead.
	}))
	mux.HandleFunc("GET /status", func(w http.ResponseWriter, r *http.Request) {
		st := status()
		w.Header().Set("Content-Type", "application/json")
		if err := encodeStatus(w, &st); err != nil {
			log.Debug("http /status", "err", err)
		}
	})
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = io.WriteString(w, "carpd "+version()+"\n/metrics  Prometheus metrics\n/status   carpd status --json\n")
	})
	return mux
}

// serve serves the daemon's status on s until stop. A nil s does nothing.
func (s *httpServer) serve(status func() control.Status) {
	if s == nil {
		return
	}
	s.srv = &http.Server{
		Handler:           httpHandler(status, s.log),
		ReadHeaderTimeout: httpReadHeaderTimeout,
		ReadTimeout:       httpReadTimeout,
		WriteTimeout:      httpWriteTimeout,
		IdleTimeout:       httpIdleTimeout,
		MaxHeaderBytes:    httpMaxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelDebug),
	}
	s.done = make(chan struct{})
	s.log.Info("serving /metrics and /status", "http", s.ln.Addr().String())
	go func() {
		defer close(s.done)
		if err := s.srv.Serve(s.ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("http server stopped", "http", s.ln.Addr().String(), "err", err)
		}
	}()
}

// stop ends the server: requests under way get httpShutdownTimeout, then
// every connection is closed. It closes the listener of a server never
// served. A nil s does nothing.
func (s *httpServer) stop() {
	if s == nil {
		return
	}
	if s.srv == nil {
		_ = s.ln.Close()
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), httpShutdownTimeout)
	defer cancel()
	if err := s.srv.Shutdown(ctx); err != nil {
		_ = s.srv.Close()
	}
	<-s.done
}

// promLogger logs promhttp's errors (a collector's failure, a client gone).
type promLogger struct{ log *slog.Logger }

func (l promLogger) Println(v ...any) { l.log.Warn("http /metrics: " + fmt.Sprint(v...)) }
