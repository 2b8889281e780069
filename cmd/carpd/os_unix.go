//go:build unix

package main

import (
	"fmt"
	"log/slog"
	"log/syslog"
	"os"
	"os/exec"
	"os/signal"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/gocarp/gocarp/internal/daemon"
)

var facilities = map[string]syslog.Priority{
	"kern": syslog.LOG_KERN, "user": syslog.LOG_USER, "mail": syslog.LOG_MAIL,
	"daemon": syslog.LOG_DAEMON, "auth": syslog.LOG_AUTH, "syslog": syslog.LOG_SYSLOG,
	"lpr": syslog.LOG_LPR, "news": syslog.LOG_NEWS, "uucp": syslog.LOG_UUCP,
	"cron": syslog.LOG_CRON, "authpriv": syslog.LOG_AUTHPRIV, "ftp": syslog.LOG_FTP,
	"local0": syslog.LOG_LOCAL0, "local1": syslog.LOG_LOCAL1, "local2": syslog.LOG_LOCAL2,
	"local3": syslog.LOG_LOCAL3, "local4": syslog.LOG_LOCAL4, "local5": syslog.LOG_LOCAL5,
	"local6": syslog.LOG_LOCAL6, "local7": syslog.LOG_LOCAL7,
	"security": syslog.LOG_AUTH, // glibc's alias
}

func syslogHandler(facility string, opts *slog.HandlerOptions) (slog.Handler, func(), error) {
	p, ok := facilities[facility]
	if !ok {
		return nil, nil, fmt.Errorf("-f %s: unknown syslog facility", facility)
	}
	w, err := syslog.New(p|syslog.LOG_INFO, "carpd")
	if err != nil {
		return nil, nil, errNoSyslog
	}
	return slog.NewTextHandler(w, opts), func() { _ = w.Close() }, nil
}

// notifySignals maps ucarp's signals to daemon actions; SIGHUP is a
// reload with reloadOnHUP (a config file), a stop as in ucarp otherwise. stopSignal returns
// the signal that asked the daemon to stop, nil if none did.
func notifySignals(reloadOnHUP bool) (actions <-chan daemon.Signal, stopSignal func() os.Signal, stop func()) {
	var stopBy atomic.Value // os.Signal
	in := make(chan os.Signal, 4)
	signal.Notify(in, syscall.SIGUSR1, syscall.SIGUSR2, syscall.SIGTERM, syscall.SIGINT, syscall.SIGQUIT, syscall.SIGHUP)
	out := make(chan daemon.Signal, 4)
	done := make(chan struct{})
	go func() {
		for {
			select {
			case <-done:
				return
			case s := <-in:
				switch s {
				case syscall.SIGUSR1:
					out <- daemon.SigStatus
				case syscall.SIGUSR2:
					out <- daemon.SigHandOver
				case syscall.SIGHUP:
					if reloadOnHUP {
						out <- daemon.SigReload
						continue
					}
					stopBy.CompareAndSwap(nil, s)
					out <- daemon.SigStop
				default:
					stopBy.CompareAndSwap(nil, s)
					out <- daemon.SigStop
				}
			}
		}
	}()
	stopSignal = func() os.Signal {
		s, _ := stopBy.Load().(os.Signal)
		return s
	}
	return out, stopSignal, func() { signal.Stop(in); close(done) }
}

// dieBySignal ends the process by sig's default action. ucarp without -z
// does not catch INT, TERM or HUP, so it dies by them and its parent sees
// that (status 143 in a shell for TERM); carpd, once it has cleaned up,
// ends the same way. QUIT is left alone: once reset, Go's runtime answers
// it with a goroutine dump and status 2, not with the default action.
func dieBySignal(sig os.Signal) {
	s, ok := sig.(syscall.Signal)
	if !ok || s == syscall.SIGQUIT {
		return
	}
	signal.Reset(s)
	if syscall.Kill(os.Getpid(), s) == nil {
		time.Sleep(time.Second) // delivery is asynchronous
	}
}

const daemonEnv = "CARPD_DAEMONIZED"

func daemonized() bool { return os.Getenv(daemonEnv) == "1" }

// daemonize starts this program again in a new session, detached from the
// terminal, and returns; Go cannot fork, so -B re-executes.
func daemonize() error {
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	null, err := os.OpenFile(os.DevNull, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	defer null.Close()
	cmd := exec.Command(exe, os.Args[1:]...)
	cmd.Env = append(os.Environ(), daemonEnv+"=1")
	cmd.Stdin, cmd.Stdout, cmd.Stderr = null, null, null
	cmd.Dir = "/"
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return err
	}
	return cmd.Process.Release()
}
