package main

import (
	"log/slog"

	sddaemon "github.com/coreos/go-systemd/v22/daemon"
)

// notifyReady tells the service manager that every group runs: READY=1
// on $NOTIFY_SOCKET, for a unit of Type=notify. Without $NOTIFY_SOCKET
// it does nothing. It unsets the variable, so that scripts and checks
// started from now on do not inherit it (those started before, during
// the start, can only send what systemd ignores: NotifyAccess=main).
func notifyReady(log *slog.Logger) {
	sent, err := sddaemon.SdNotify(true, sddaemon.SdNotifyReady)
	switch {
	case err != nil:
		log.Warn("cannot tell the service manager that carpd is ready", "err", err)
	case sent:
		log.Debug("told the service manager that carpd is ready")
	}
}
