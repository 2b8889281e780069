// Command carpd is a CARP daemon that takes ucarp's command line unchanged.
//
//	carpd -i eth0 -s 198.51.100.1 -v 42 -p secret -a 198.51.100.100 \
//	      -u /etc/vip-up.sh -d /etc/vip-down.sh
//
// Besides the daemon it has two tools:
//
//	carpd -c /etc/carpd/carpd.toml   (every group of the file, one process)
//	carpd status [--json] [--control PATH]
//	carpd handover [GROUP...]            (bow out now: a backup takes over at once)
//	carpd demote GROUP N --reason TEXT | carpd demote GROUP --clear
//	carpd reload                         (read the config file again: SIGHUP)
//	carpd inspect [-p PASS | -o FILE] [-a VIP]... [--json] (FILE.pcap | -i IFACE)
//	carpd lab     (as root: a three-node CARP LAN in network namespaces)
//
// Run carpd --help for every option.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/pprof"

	"github.com/gocarp/gocarp/internal/cli"
	"github.com/gocarp/gocarp/internal/config"
	"github.com/gocarp/gocarp/internal/daemon"
)

// profileEnv names a file that receives a CPU profile of the whole run,
// written when carpd exits: for scripts/scale-bench and for finding where
// a running carpd spends its time.
const profileEnv = "CARPD_CPUPROFILE"

func main() {
	stopProfile := startProfile(os.Getenv(profileEnv))
	code := run(os.Args[1:], os.Stdout, os.Stderr)
	stopProfile()
	if code == 0 && diedBy != nil {
		dieBySignal(diedBy)
	}
	os.Exit(code)
}

// diedBy is set by run when a signal stopped a daemon started without -z:
// ucarp does not catch it then and dies by it, and main, once run has
// cleaned up, does the same.
var diedBy os.Signal

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 {
		switch args[0] {
		case "inspect":
			return inspectMain(args[1:], stdout, stderr)
		case "lab":
			return labMain(args[1:], stdout, stderr)
		case "status":
			return statusMain(args[1:], stdout, stderr)
		case "handover":
			return handoverMain(args[1:], stdout, stderr)
		case "demote":
			return demoteMain(args[1:], stdout, stderr)
		case "reload":
			return reloadMain(args[1:], stdout, stderr)
		}
	}
	// $CARPD_PASSWORD stays readable in /proc/PID/environ whatever the
	// process does to its copy: carpd starts itself again without it,
	// handing the password over on a pipe.
	getenv, err := scrubPasswordEnv()
	if err != nil {
		fmt.Fprintf(stderr, "carpd: $%s: %v\n", cli.PasswordEnv, err)
		return cli.ExitSetup
	}
	o, err := cli.Parse(args, getenv)
	if err != nil {
		fmt.Fprintf(stderr, "carpd: %v\nRun carpd --help for the options.\n", err)
		return exitCode(err)
	}
	switch {
	case o.Help:
		fmt.Fprint(stdout, cli.Usage())
		return 0
	case o.Version:
		fmt.Fprintln(stdout, "carpd", version())
		return 0
	}
	// The groups: from the file, or the ucarp command line as a config of
	// one group. A bad file refuses to start, before anything is opened.
	var cfg *config.Config
	if o.ConfigFile != "" {
		cfg, err = config.Load(o.ConfigFile)
	} else {
		cfg, err = config.FromOptions(o)
	}
	if err != nil {
		fmt.Fprintf(stderr, "carpd: %v\n", err)
		return cli.ExitConfig
	}
	if o.Daemonize && !daemonized() {
		var env []string
		if o.PasswordSource == "env" { // scrubbed from ours: the child scrubs its own
			env = append(env, cli.PasswordEnv+"="+string(o.Password))
		}
		return daemonize(stderr, env)
	}
	// Signals are caught from here on, before the pidfile says we run.
	sigs, stopSignal, stop := notifySignals(o.ConfigFile != "", func(s os.Signal) {
		fmt.Fprintf(stderr, "carpd: %v again while stopping: exiting now\n", s)
		os.Exit(cli.ExitSetup)
	})
	defer stop()
	code := runDaemon(o, cfg, sigs, stderr)
	signalReady(code, "see the log") // a failure before Ready
	if code == 0 && !o.Shutdown && o.ConfigFile == "" {
		diedBy = stopSignal()
	}
	return code
}

// runDaemon runs the groups of cfg until a stop signal; it returns the
// exit status.
func runDaemon(o *cli.Options, cfg *config.Config, sigs <-chan daemon.Signal, stderr io.Writer) int {
	// Scripts must not inherit the password.
	_ = os.Unsetenv(cli.PasswordEnv)
	log, closeLog, err := newLogger(o, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "carpd: %v\n", err)
		return cli.ExitConfig
	}
	defer closeLog()
	for _, w := range o.Ignored {
		log.Warn("ignoring a stray argument, as ucarp does", "arg", w)
	}
	if o.PasswordSource == "flag" {
		log.Warn("the password was given with -p and is visible in ps; prefer -o FILE or $" + cli.PasswordEnv)
	}
	if o.PIDFile != "" {
		remove, err := daemon.WritePIDFile(o.PIDFile)
		if err != nil {
			log.Error(err.Error())
			signalReady(cli.ExitSetup, err.Error())
			return cli.ExitSetup
		}
		defer remove()
	}
	// Without -c, a shutdown is graceful only with -z, as in ucarp; a
	// config file's groups always bow out and release their VIPs.
	// The control socket: --control, else the file's [control] socket,
	// else the default with a file; none for the ucarp command line.
	controlPath := o.Control
	switch {
	case controlPath != "" || o.ConfigFile == "":
	case cfg.Control != "":
		controlPath = cfg.Control
	default:
		controlPath = cli.DefaultControl
	}
	// /metrics and /status over HTTP: --http, else the file's [http].
	web, err := listenHTTP(o.HTTP, cfg.HTTP, log)
	if err != nil {
		log.Error(err.Error())
		signalReady(cli.ExitSetup, err.Error())
		return cli.ExitSetup
	}
	defer web.stop()
	d, err := daemon.New(cfg, daemon.Options{Graceful: o.Shutdown || o.ConfigFile != "", Logger: log, Control: controlPath,
		Ready: func() { signalReady(0, ""); notifyReady(log) }})
	if err != nil {
		code := exitCode(err)
		signalReady(code, err.Error())
		if code == cli.ExitConfig && o.ConfigFile != "" {
			// As a parse error: one plain line naming file, line, group
			// and key.
			fmt.Fprintf(stderr, "carpd: %v\n", err)
			return code
		}
		log.Error(err.Error())
		return code
	}
	web.serve(d.Status)
	if err := d.Run(context.Background(), sigs); err != nil {
		log.Error(err.Error())
		signalReady(exitCode(err), err.Error())
		return exitCode(err)
	}
	return 0
}

// startProfile starts a CPU profile into path, if path is set.
func startProfile(path string) (stop func()) {
	if path == "" {
		return func() {}
	}
	f, err := os.Create(path)
	if err != nil {
		fmt.Fprintf(os.Stderr, "carpd: $%s: %v\n", profileEnv, err)
		return func() {}
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		fmt.Fprintf(os.Stderr, "carpd: $%s: %v\n", profileEnv, err)
		_ = f.Close()
		return func() {}
	}
	return func() {
		pprof.StopCPUProfile()
		_ = f.Close()
	}
}

func exitCode(err error) int {
	var ce *cli.Error
	if errors.As(err, &ce) {
		return ce.ExitCode()
	}
	var de *daemon.ExitError
	if errors.As(err, &de) {
		return de.Code
	}
	return cli.ExitSetup
}
