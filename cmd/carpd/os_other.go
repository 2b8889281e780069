//go:build !unix

package main

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"sync/atomic"

	"github.com/gocarp/gocarp/internal/daemon"
)

// syslogHandler: no syslog on this OS; logs go to stderr only.
func syslogHandler(string, *slog.HandlerOptions) (slog.Handler, func(), error) {
	return nil, nil, errNoSyslog
}

// notifySignals: only an interrupt, which stops the daemon.
func notifySignals(reloadOnHUP bool, force func(os.Signal)) (actions <-chan daemon.Signal, stopSignal func() os.Signal, stop func()) {
	var stopBy atomic.Value
	in := make(chan os.Signal, 1)
	signal.Notify(in, os.Interrupt)
	out := make(chan daemon.Signal, 1)
	done := make(chan struct{})
	go func() {
		select {
		case <-done:
		case s := <-in:
			stopBy.Store(s)
			out <- daemon.SigStop
		}
	}()
	stopSignal = func() os.Signal {
		s, _ := stopBy.Load().(os.Signal)
		return s
	}
	return out, stopSignal, func() { signal.Stop(in); close(done) }
}

func dieBySignal(os.Signal) {}

func daemonized() bool { return false }

func daemonize(stderr io.Writer, env []string) int {
	fmt.Fprintln(stderr, "carpd: -B is not supported on this OS")
	return 2
}

func signalReady(int, string) {}

// scrubPasswordEnv: the environment is left as it is on this OS.
func scrubPasswordEnv() (func(string) string, error) { return os.Getenv, nil }
