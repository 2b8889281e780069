package control_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gocarp/gocarp/internal/control"
)

// counting is a Handler that answers every command and counts the calls.
type counting struct{ calls atomic.Int64 }

func (c *counting) Status() control.Status {
	c.calls.Add(1)
	return control.Status{Groups: []control.GroupStatus{{Name: "web", VHID: 42, State: "MASTER"}}}
}

func (c *counting) HandOver(groups []string) ([]string, error) {
	c.calls.Add(1)
	return []string{fmt.Sprintf("handed over %q", groups)}, nil
}

func (c *counting) Demote(group string, n uint8, reason string) ([]string, error) {
	c.calls.Add(1)
	if group == "nope" {
		return nil, errors.New("no group named nope")
	}
	return []string{fmt.Sprintf("%s demoted %d: %s", group, n, reason)}, nil
}

func (c *counting) Reload() ([]string, error) {
	c.calls.Add(1)
	return []string{"reloaded"}, nil
}

const badRequest = "a request is one JSON object on one line, at most 64 KiB"

// wantResponse is the protocol's answer to a connection that sends data
// and then closes its side, and whether the handler is called: the first
// line (at most MaxRequest bytes; the last one needs no '\n') is a
// Request, and its command is done.
func wantResponse(c *counting, data []byte) (control.Response, bool) {
	line := data[:min(len(data), control.MaxRequest)]
	if i := bytes.IndexByte(line, '\n'); i >= 0 {
		line = line[:i+1]
	}
	var req control.Request
	if len(line) == 0 || json.Unmarshal(line, &req) != nil {
		return control.Response{Error: badRequest}, false
	}
	var resp control.Response
	var err error
	called := true
	switch req.Command {
	case "status":
		st := (&counting{}).Status()
		resp.Status = &st
	case "handover":
		resp.Done, err = (&counting{}).HandOver(req.Groups)
	case "reload":
		resp.Done, err = (&counting{}).Reload()
	case "demote":
		called = false
		switch {
		case len(req.Groups) != 1:
			err = errors.New("demote takes one group")
		case req.Clear && req.Demote != 0:
			err = errors.New("demote: a count or --clear, not both")
		case !req.Clear && req.Demote == 0:
			err = errors.New("demote: give a count of 1..255, or --clear")
		case !req.Clear && req.Reason == "":
			err = errors.New("demote: give a --reason, for the log and carpd status")
		default:
			called = true
			resp.Done, err = (&counting{}).Demote(req.Groups[0], req.Demote, req.Reason)
		}
	default:
		called = false
		err = fmt.Errorf("unknown command %q", req.Command)
	}
	if err != nil {
		resp.Error = err.Error()
	} else {
		resp.OK = true
	}
	return resp, called
}

// exchange sends data on a new connection, closes the sending side and
// returns all that came back.
func exchange(t testing.TB, path string, data []byte) ([]byte, error) {
	t.Helper()
	c, err := net.Dial("unix", path)
	require.NoError(t, err)
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	wrote := make(chan struct{})
	go func() {
		defer close(wrote)
		// The server may answer and close before it has read it all.
		_, _ = c.Write(data)
		_ = c.(*net.UnixConn).CloseWrite()
	}()
	out, err := io.ReadAll(c)
	<-wrote
	return out, err
}

// checkAnswer checks what came back for data against wantResponse.
func checkAnswer(t testing.TB, h *counting, path string, data []byte) {
	t.Helper()
	before := h.calls.Load()
	out, err := exchange(t, path, data)
	if err != nil {
		// Only a client that sent more than the server reads may be reset.
		require.Greater(t, len(data), control.MaxRequest, "%v", err)
		require.ErrorIs(t, err, syscall.ECONNRESET)
		return
	}
	want, called := wantResponse(h, data)
	require.True(t, bytes.HasSuffix(out, []byte("\n")), "one line: %q", out)
	require.Equal(t, 1, bytes.Count(out, []byte("\n")), "one line: %q", out)
	var got control.Response
	require.NoError(t, json.Unmarshal(out, &got), "%q", out)
	require.Equal(t, want, got)
	calls := h.calls.Load() - before
	if called {
		require.Equal(t, int64(1), calls)
	} else {
		require.Zero(t, calls)
	}
}

// FuzzServe sends arbitrary bytes to a control socket with a fake
// Handler: the server never crashes, answers every connection with exactly
// one JSON line, the one the protocol gives for the first line sent
// (wantResponse), calls the Handler once for a command it runs and never
// otherwise, and goes on serving.
func FuzzServe(f *testing.F) {
	for _, s := range []string{
		`{"command":"status"}` + "\n", `{"command":"status"}`, `{"command":"handover","groups":["a","b"]}` + "\n",
		`{"command":"handover"}` + "\n" + `{"command":"reload"}` + "\n", `{"command":"reload"}` + "\n",
		`{"command":"demote","groups":["web"],"demote":50,"reason":"maintenance"}` + "\n",
		`{"command":"demote","groups":["web"],"clear":true}` + "\n", `{"command":"demote","groups":["nope"],"clear":true}`,
		`{"command":"demote","groups":["web"],"demote":5,"clear":true}`, `{"command":"demote","groups":["web"],"demote":300}`,
		`{"command":"reboot"}`, "not json\n", "", "\n", "{}", `{"command":"status"} trailing`, `[1,2]`, `{"command":null}`,
	} {
		f.Add([]byte(s))
	}
	h := &counting{}
	path := serve(f, h)
	f.Fuzz(func(t *testing.T, data []byte) {
		checkAnswer(t, h, path, data)
	})
}

// Requests at the edges of MaxRequest, and the inputs fuzzing found.
func TestServeRequests(t *testing.T) {
	groups := func(n int) string { // a handover of n bytes and a '\n'
		head, tail := `{"command":"handover","groups":["`, `"]}`
		return head + strings.Repeat("g", n-len(head)-len(tail)) + tail + "\n"
	}
	tests := []struct {
		name string
		data string
	}{
		{"status", `{"command":"status"}` + "\n"},
		{"no newline", `{"command":"status"}`},
		{"second line ignored", `{"command":"reload"}` + "\n" + "garbage"},
		// The server read lines through a 4 KiB bufio buffer: a request
		// longer than that was refused as too long.
		{"longer than 4 KiB", groups(5000)},
		{"MaxRequest with its newline", groups(control.MaxRequest - 1)},
		{"MaxRequest and a newline beyond", groups(control.MaxRequest)},
		{"far beyond MaxRequest", groups(4 * control.MaxRequest)},
		{"MaxRequest of spaces", strings.Repeat(" ", control.MaxRequest) + `{"command":"status"}`},
		// Found by FuzzServe (4e4dd4f5dc1ff13f): a first line, then more
		// than the server's read buffer; closing with it unread reset the
		// client before it read the answer.
		{"a line and more than a buffer after it", `{"command":"status"}` + "\n" + strings.Repeat("x", 4097)},
		{"a line and the rest of MaxRequest", `{"command":"status"}` + "\n" + strings.Repeat("x", control.MaxRequest-21)},
	}
	h := &counting{}
	path := serve(t, h)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkAnswer(t, h, path, []byte(tt.data))
		})
	}
}
