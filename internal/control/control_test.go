package control_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gocarp/gocarp/internal/control"
)

type fake struct{ st control.Status }

func (f fake) Status() control.Status { return f.st }

func (f fake) Reload() ([]string, error) {
	if f.st.Groups != nil {
		return []string{"web: added"}, errors.New("reload refused: carpd.toml:3: vhid: must be 1..255")
	}
	return []string{"web: advskew 0 -> 50 (in place)"}, nil
}

func (f fake) HandOver(groups []string) ([]string, error) {
	return []string{"handed over: " + strings.Join(groups, ",")}, nil
}

func (f fake) Demote(group string, n uint8, reason string) ([]string, error) {
	if group != "web" {
		return nil, errors.New("no group named " + group)
	}
	return []string{fmt.Sprintf("%s demoted %d: %s", group, n, reason)}, nil
}

// serve runs a control socket in a temporary directory until the test ends.
func serve(t testing.TB, h control.Handler) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "carpd.sock")
	ln, err := control.Listen(path)
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		control.Serve(ctx, ln, h, nil)
		close(done)
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	return path
}

func TestStatus(t *testing.T) {
	want := control.Status{Groups: []control.GroupStatus{{
		Name: "web", Interface: "eth0", VHID: 42, VIPs: []string{"198.51.100.100"}, State: "MASTER",
		Since: time.Date(2026, 1, 1, 0, 0, 3, 0, time.UTC), Reason: "master down", Master: "198.51.100.1",
		AdvBase: 1, AdvSkew: 0, AdvertsSent: 7, Dropped: map[string]uint64{"bad_digest": 2},
	}}}
	path := serve(t, fake{want})
	fi, err := os.Stat(path)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), fi.Mode().Perm(), "the socket is its owner's only")

	resp, err := control.Ask(path, control.Request{Command: "status"})
	require.NoError(t, err)
	require.Equal(t, want, *resp.Status)

	_, err = control.Ask(path, control.Request{Command: "reboot"})
	require.ErrorContains(t, err, `unknown command "reboot"`)
}

func TestNotRunning(t *testing.T) {
	dir := t.TempDir()
	_, err := control.Ask(filepath.Join(dir, "none.sock"), control.Request{Command: "status"})
	require.ErrorIs(t, err, control.ErrNotRunning)

	// A socket left by a daemon that died: nobody answers.
	path := filepath.Join(dir, "stale.sock")
	ln, err := net.Listen("unix", path)
	require.NoError(t, err)
	ln.(*net.UnixListener).SetUnlinkOnClose(false)
	require.NoError(t, ln.Close())
	_, err = control.Ask(path, control.Request{Command: "status"})
	require.ErrorIs(t, err, control.ErrNotRunning)

	// A new daemon replaces it.
	ln, err = control.Listen(path)
	require.NoError(t, err)
	require.NoError(t, ln.Close())
}

func TestListenRefuses(t *testing.T) {
	path := serve(t, fake{})
	_, err := control.Listen(path)
	require.ErrorIs(t, err, control.ErrInUse, "two daemons on one socket")

	file := filepath.Join(t.TempDir(), "file")
	require.NoError(t, os.WriteFile(file, []byte("x"), 0o600))
	_, err = control.Listen(file)
	require.ErrorContains(t, err, "not a socket")
	b, err := os.ReadFile(file)
	require.NoError(t, err)
	require.Equal(t, "x", string(b), "a file that is not a socket is left alone")
}

// Bad requests get an answer that says so, and the server goes on.
func TestBadRequests(t *testing.T) {
	path := serve(t, fake{})
	for _, req := range []string{"not json\n", strings.Repeat("x", control.MaxRequest+10)} {
		c, err := net.Dial("unix", path)
		require.NoError(t, err)
		_, _ = c.Write([]byte(req))
		buf := make([]byte, 4096)
		_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
		n, _ := c.Read(buf)
		require.Contains(t, string(buf[:n]), `"ok":false`)
		require.NoError(t, c.Close())
	}
	_, err := control.Ask(path, control.Request{Command: "status"})
	require.NoError(t, err)
}

func TestCommands(t *testing.T) {
	path := serve(t, fake{})
	resp, err := control.Ask(path, control.Request{Command: "handover", Groups: []string{"a", "b"}})
	require.NoError(t, err)
	require.Equal(t, []string{"handed over: a,b"}, resp.Done)
	resp, err = control.Ask(path, control.Request{Command: "demote", Groups: []string{"web"}, Demote: 50, Reason: "maintenance"})
	require.NoError(t, err)
	require.Equal(t, []string{"web demoted 50: maintenance"}, resp.Done)
	_, err = control.Ask(path, control.Request{Command: "demote", Groups: []string{"web"}, Clear: true})
	require.NoError(t, err)
	resp, err = control.Ask(path, control.Request{Command: "reload"})
	require.NoError(t, err)
	require.Equal(t, []string{"web: advskew 0 -> 50 (in place)"}, resp.Done)
	refused := serve(t, fake{st: control.Status{Groups: []control.GroupStatus{}}})
	resp, err = control.Ask(refused, control.Request{Command: "reload"})
	require.ErrorContains(t, err, "reload refused: carpd.toml:3: vhid")
	require.Equal(t, []string{"web: added"}, resp.Done, "what was done comes back with the error")
	for _, tt := range []struct {
		req  control.Request
		want string
	}{
		{control.Request{Command: "demote", Groups: []string{"x"}, Demote: 5, Reason: "r"}, "no group named x"},
		{control.Request{Command: "demote", Demote: 5, Reason: "r"}, "one group"},
		{control.Request{Command: "demote", Groups: []string{"web"}, Demote: 5}, "--reason"},
		{control.Request{Command: "demote", Groups: []string{"web"}}, "--clear"},
		{control.Request{Command: "demote", Groups: []string{"web"}, Demote: 5, Clear: true}, "not both"},
	} {
		_, err := control.Ask(path, tt.req)
		require.ErrorContains(t, err, tt.want)
	}
}
