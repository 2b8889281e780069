package main

import (
	"bytes"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestNotifyReady sends READY=1 to a fake $NOTIFY_SOCKET, as systemd's
// for a Type=notify unit, and takes the variable out of the environment.
func TestNotifyReady(t *testing.T) {
	path := filepath.Join(t.TempDir(), "notify")
	c, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	t.Setenv("NOTIFY_SOCKET", path)
	var logged bytes.Buffer
	notifyReady(slog.New(slog.NewTextHandler(&logged, nil)))
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	buf := make([]byte, 256)
	n, err := c.Read(buf)
	if err != nil {
		t.Fatalf("nothing on $NOTIFY_SOCKET: %v", err)
	}
	if got := string(buf[:n]); got != "READY=1" {
		t.Errorf("sent %q, want READY=1", got)
	}
	if v, ok := os.LookupEnv("NOTIFY_SOCKET"); ok {
		t.Errorf("NOTIFY_SOCKET=%q still set: scripts would inherit it", v)
	}
	if logged.Len() != 0 {
		t.Errorf("logged: %s", logged.String())
	}
}

// TestNotifyReadyUnset: without $NOTIFY_SOCKET nothing is sent or logged.
func TestNotifyReadyUnset(t *testing.T) {
	t.Setenv("NOTIFY_SOCKET", "")
	os.Unsetenv("NOTIFY_SOCKET")
	var logged bytes.Buffer
	notifyReady(slog.New(slog.NewTextHandler(&logged, &slog.HandlerOptions{Level: slog.LevelDebug})))
	if logged.Len() != 0 {
		t.Errorf("logged without $NOTIFY_SOCKET: %s", logged.String())
	}
}

// TestNotifyReadyGone: a socket nobody listens on is a warning, not a
// failure of the daemon.
func TestNotifyReadyGone(t *testing.T) {
	t.Setenv("NOTIFY_SOCKET", filepath.Join(t.TempDir(), "none"))
	var logged bytes.Buffer
	notifyReady(slog.New(slog.NewTextHandler(&logged, nil)))
	if !bytes.Contains(logged.Bytes(), []byte("cannot tell the service manager")) {
		t.Errorf("no warning logged: %q", logged.String())
	}
}
