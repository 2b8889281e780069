package main

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gocarp/gocarp/internal/control"
)

// startTestServer serves fakeStatus on a free loopback port, as carpd does.
func startTestServer(t *testing.T) string {
	t.Helper()
	s, err := listenHTTP("127.0.0.1:0", "", slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	s.serve(fakeStatus)
	t.Cleanup(s.stop)
	return "http://" + s.ln.Addr().String()
}

func get(t *testing.T, url string) (*http.Response, string) {
	t.Helper()
	c := &http.Client{Timeout: 10 * time.Second}
	resp, err := c.Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp, string(b)
}

func TestHTTPMetrics(t *testing.T) {
	base := startTestServer(t)
	resp, body := get(t, base+"/metrics")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, resp.Header.Get("Content-Type"), "text/plain")
	require.Contains(t, body, "# HELP carp_state The group's CARP state")
	require.Contains(t, body, "# TYPE carp_rx_dropped_total counter")
	require.Contains(t, body, `carp_state{group="web",interface="eth0",vhid="10"} 2`)
	require.Contains(t, body, `carp_rx_dropped_total{group="web",interface="eth0",reason="bad_digest",vhid="10"} 7`)
	require.Contains(t, body, "process_resident_memory_bytes ")
	require.Contains(t, body, "go_goroutines ")
}

// TestHTTPStatus: /status is carpd status --json, byte for byte.
func TestHTTPStatus(t *testing.T) {
	base := startTestServer(t)
	resp, body := get(t, base+"/status")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, "application/json", resp.Header.Get("Content-Type"))
	st := fakeStatus()
	var want bytes.Buffer
	require.NoError(t, encodeStatus(&want, &st))
	require.Equal(t, want.String(), body)
	var got control.Status
	require.NoError(t, json.Unmarshal([]byte(body), &got))
	require.Equal(t, "web", got.Groups[0].Name)
	require.Equal(t, uint64(7), got.Groups[0].Dropped["bad_digest"])
}

func TestHTTPOther(t *testing.T) {
	base := startTestServer(t)
	resp, body := get(t, base+"/")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, body, "/metrics")
	resp, _ = get(t, base+"/nosuch")
	require.Equal(t, http.StatusNotFound, resp.StatusCode)
	r, err := http.Post(base+"/status", "application/json", strings.NewReader("{}"))
	require.NoError(t, err)
	_ = r.Body.Close()
	require.Equal(t, http.StatusMethodNotAllowed, r.StatusCode, "read-only")
}

// TestHTTPListenError: a busy address refuses the start, naming the
// address and where it came from; --http wins over the file.
func TestHTTPListenError(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer busy.Close()
	addr := busy.Addr().String()
	_, err = listenHTTP(addr, "", nil)
	require.ErrorContains(t, err, "--http "+addr+": cannot serve /metrics and /status")
	_, err = listenHTTP("", addr, nil)
	require.ErrorContains(t, err, "[http] listen "+addr)
	s, err := listenHTTP("127.0.0.1:0", addr, nil)
	require.NoError(t, err, "--http wins")
	s.stop()
	s, err = listenHTTP("", "", nil)
	require.NoError(t, err)
	require.Nil(t, s, "no server without an address")
	s.serve(fakeStatus) // a nil server does nothing
	s.stop()
}

// TestRunHTTPBusy: carpd refuses to start, exit code 2, when it cannot
// listen: before it opens any socket of the daemon (so no root needed).
func TestRunHTTPBusy(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer busy.Close()
	var stdout, stderr bytes.Buffer
	code := run([]string{"-i", "lo", "-s", "127.0.0.1", "-v", "1", "-p", "x", "-a", "203.0.113.9", "-f", "none",
		"--http", busy.Addr().String()}, &stdout, &stderr)
	require.Equal(t, 2, code, stderr.String())
	require.Contains(t, stderr.String(), "--http "+busy.Addr().String()+": cannot serve /metrics and /status")
}

// TestHTTPStop: stop ends the server: the port is free again.
func TestHTTPStop(t *testing.T) {
	s, err := listenHTTP("127.0.0.1:0", "", slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	s.serve(fakeStatus)
	addr := s.ln.Addr().String()
	get(t, "http://"+addr+"/metrics")
	s.stop()
	ln, err := net.Listen("tcp", addr)
	require.NoError(t, err, "the port is free after stop")
	_ = ln.Close()
}
