//go:build unix

package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"log/syslog"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/gocarp/gocarp/internal/cli"
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
// reload with reloadOnHUP (a config file), a stop as in ucarp otherwise.
// A second stop signal while the first is being served calls force, which
// does not return: the shutdown is not waited for. stopSignal returns
// the signal that asked the daemon to stop, nil if none did.
func notifySignals(reloadOnHUP bool, force func(os.Signal)) (actions <-chan daemon.Signal, stopSignal func() os.Signal, stop func()) {
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
					if !stopBy.CompareAndSwap(nil, s) {
						force(s)
					}
					out <- daemon.SigStop
				default:
					if !stopBy.CompareAndSwap(nil, s) {
						// A second stop while stopping: now.
						force(s)
					}
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

// daemonEnv tells the re-executed -B child which fd is its readiness
// pipe; the child unsets it at once, so scripts and children never see it.
const daemonEnv = "CARPD_DAEMONIZED"

// readyPipe is the child's end of the readiness pipe, when daemonized.
var readyPipe *os.File

// daemonized reports whether this is the -B child, taking its readiness
// pipe and clearing daemonEnv.
func daemonized() bool {
	v, ok := os.LookupEnv(daemonEnv)
	if !ok {
		return false
	}
	_ = os.Unsetenv(daemonEnv)
	if fd, err := strconv.Atoi(v); err == nil && fd > 2 {
		readyPipe = os.NewFile(uintptr(fd), "carpd-ready")
	}
	return true
}

// signalReady tells the -B parent how the start went: "" for running, or
// the error, which the parent prints and exits with (code).
func signalReady(code int, msg string) {
	if readyPipe == nil {
		return
	}
	fmt.Fprintf(readyPipe, "%d %s\n", code, msg)
	_ = readyPipe.Close()
	readyPipe = nil
}

// daemonStartTimeout bounds how long the -B parent waits for the child's
// start.
const daemonStartTimeout = 30 * time.Second

// daemonize starts this program again in a new session, detached from the
// terminal, and waits until it runs or fails: Go cannot fork, so -B
// re-executes, and a pipe brings back the child's start. It returns the
// exit status for the parent: 0 once the child runs, the child's own
// status and its error on stderr otherwise. env is added to the child's.
func daemonize(stderr io.Writer, env []string) int {
	exe, err := os.Executable()
	if err != nil {
		fmt.Fprintf(stderr, "carpd: daemonize: %v\n", err)
		return cli.ExitSetup
	}
	null, err := os.OpenFile(os.DevNull, os.O_RDWR, 0)
	if err != nil {
		fmt.Fprintf(stderr, "carpd: daemonize: %v\n", err)
		return cli.ExitSetup
	}
	defer null.Close()
	r, w, err := os.Pipe()
	if err != nil {
		fmt.Fprintf(stderr, "carpd: daemonize: %v\n", err)
		return cli.ExitSetup
	}
	defer r.Close()
	cmd := exec.Command(exe, os.Args[1:]...)
	cmd.Env = append(append(os.Environ(), env...), daemonEnv+"=3")
	cmd.Stdin, cmd.Stdout, cmd.Stderr = null, null, null
	cmd.ExtraFiles = []*os.File{w} // fd 3
	cmd.Dir = "/"
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	err = cmd.Start()
	_ = w.Close()
	if err != nil {
		fmt.Fprintf(stderr, "carpd: daemonize: %v\n", err)
		return cli.ExitSetup
	}
	_ = r.SetReadDeadline(time.Now().Add(daemonStartTimeout))
	line, rerr := bufio.NewReader(io.LimitReader(r, 64<<10)).ReadString('\n')
	codeText, msg, _ := strings.Cut(strings.TrimSuffix(line, "\n"), " ")
	code, cerr := strconv.Atoi(codeText)
	switch {
	case rerr == nil && cerr == nil && code == 0:
		_ = cmd.Process.Release()
		return 0
	case rerr == nil && cerr == nil:
		fmt.Fprintf(stderr, "carpd: %s\n", msg)
		_ = cmd.Wait()
		return code
	case errors.Is(rerr, os.ErrDeadlineExceeded):
		fmt.Fprintf(stderr, "carpd: daemonize: no word from the daemon (pid %d) in %v; it runs on, see its log\n", cmd.Process.Pid, daemonStartTimeout)
		_ = cmd.Process.Release()
		return cli.ExitSetup
	}
	werr := cmd.Wait()
	fmt.Fprintf(stderr, "carpd: the daemon exited during its start (%v); see its log\n", werr)
	return cli.ExitSetup
}

// passFDEnv names the fd of the pipe a carpd started again by
// scrubPasswordEnv reads the password from.
const passFDEnv = "CARPD_PASSWORD_FD"

// scrubPasswordEnv takes $CARPD_PASSWORD out of the process's environment
// block (/proc/PID/environ, readable by the same user and root): Go's
// Unsetenv changes only its own copy, so carpd execs itself again with the
// variable removed and the password on an inherited pipe. It returns the
// getenv the command line is parsed with, which still answers for
// $CARPD_PASSWORD. It returns only in the process that has no such
// variable in its block.
func scrubPasswordEnv() (func(string) string, error) {
	if fdText, ok := os.LookupEnv(passFDEnv); ok {
		_ = os.Unsetenv(passFDEnv)
		fd, err := strconv.Atoi(fdText)
		if err != nil || fd < 3 {
			return nil, fmt.Errorf("bad $%s %q", passFDEnv, fdText)
		}
		f := os.NewFile(uintptr(fd), "carpd-password")
		pw, err := io.ReadAll(io.LimitReader(f, 4096))
		_ = f.Close()
		if err != nil {
			return nil, err
		}
		return func(k string) string {
			if k == cli.PasswordEnv {
				return string(pw)
			}
			return os.Getenv(k)
		}, nil
	}
	pw, ok := os.LookupEnv(cli.PasswordEnv)
	if !ok {
		return os.Getenv, nil
	}
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	r, w, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	// A password fits the pipe's buffer (64 KiB): the write does not wait
	// for the reader, which is the process exec'ed below.
	if len(pw) > 4096 {
		pw = pw[:4096]
	}
	_, err = w.WriteString(pw)
	_ = w.Close()
	if err != nil {
		_ = r.Close()
		return nil, err
	}
	// The read end survives the exec.
	if _, _, e := syscall.Syscall(syscall.SYS_FCNTL, r.Fd(), syscall.F_SETFD, 0); e != 0 {
		_ = r.Close()
		return nil, e
	}
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, cli.PasswordEnv+"=") {
			env = append(env, kv)
		}
	}
	env = append(env, fmt.Sprintf("%s=%d", passFDEnv, r.Fd()))
	err = syscall.Exec(exe, os.Args, env)
	_ = r.Close()
	return nil, fmt.Errorf("starting carpd again without it: %w", err)
}
