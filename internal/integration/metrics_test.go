package integration

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gocarp/gocarp/internal/control"
	"github.com/gocarp/gocarp/internal/netns"
	"github.com/gocarp/gocarp/wire"
)

// metricsAddr is where every node of TestMetrics serves HTTP, on its own
// namespace's loopback.
const metricsAddr = "127.0.0.1:9108"

// httpGet fetches path from metricsAddr inside h's namespace; ok false
// while nothing answers there yet. The socket is made on Run's locked
// thread, so it is the namespace's (an http.Client would dial from a
// goroutine of its own).
func httpGet(t *testing.T, h *netns.Host, path string) (body string, ok bool) {
	t.Helper()
	h.Run(t, func() {
		conn, err := net.DialTimeout("tcp", metricsAddr, time.Second)
		if err != nil {
			return
		}
		defer conn.Close()
		_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
		if _, err := io.WriteString(conn, "GET "+path+" HTTP/1.0\r\nHost: carpd\r\n\r\n"); err != nil {
			return
		}
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			return
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil || resp.StatusCode != http.StatusOK {
			return
		}
		body, ok = string(b), true
	})
	return body, ok
}

// sample is one line of the text exposition format.
type sample struct {
	name   string
	labels map[string]string
	value  float64
}

var labelPair = regexp.MustCompile(`(\w+)="((?:[^"\\]|\\.)*)"`)

// parseMetrics parses Prometheus' text format (without the Prometheus
// packages: only cmd/carpd may import them).
func parseMetrics(t *testing.T, text string) []sample {
	t.Helper()
	var out []sample
	for line := range strings.Lines(text) {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		require.Positive(t, i, "metrics line %q", line)
		v, err := strconv.ParseFloat(line[i+1:], 64)
		require.NoError(t, err, "metrics line %q", line)
		s := sample{labels: map[string]string{}, value: v}
		series := line[:i]
		if j := strings.IndexByte(series, '{'); j >= 0 {
			s.name = series[:j]
			for _, m := range labelPair.FindAllStringSubmatch(series[j:], -1) {
				s.labels[m[1]] = m[2]
			}
		} else {
			s.name = series
		}
		out = append(out, s)
	}
	return out
}

// metrics is a scrape of a node: its samples by name and labels.
type metrics []sample

// get returns the value of the one series named name with these labels
// (among others); ok false when there is none.
func (ms metrics) get(name string, labels ...string) (float64, bool) {
	for _, s := range ms {
		if s.name != name {
			continue
		}
		match := true
		for i := 0; i+1 < len(labels); i += 2 {
			match = match && s.labels[labels[i]] == labels[i+1]
		}
		if match {
			return s.value, true
		}
	}
	return 0, false
}

// count returns how many series are named name.
func (ms metrics) count(name string) int {
	n := 0
	for _, s := range ms {
		if s.name == name {
			n++
		}
	}
	return n
}

// scrape returns h's /metrics; nil while it is not served yet.
func scrape(t *testing.T, h *netns.Host) metrics {
	t.Helper()
	body, ok := httpGet(t, h, "/metrics")
	if !ok {
		return nil
	}
	return parseMetrics(t, body)
}

// TestMetrics: carpd's /metrics over HTTP, on a master (A, [http] listen
// from its file), a backup (B, --http, which wins over its file's
// address) and a node with another password (C): carp_state 2 and adverts
// sent rising on A, carp_state 1 and adverts received rising on B, and
// C counting A's adverts as bad_digest drops. /status is carpd status
// --json; a stop signal stops the server with the daemon.
func TestMetrics(t *testing.T) {
	t.Parallel()
	lan := newLAN(t, "metr", 3)
	a, b, c := lan.Hosts[0], lan.Hosts[1], lan.Hosts[2]
	// web on A and B runs a health check: "ok" (up) on A, "bad" (down,
	// demoting by 10) on B.
	group := func(skew int, check string) []configGroup {
		return []configGroup{{vhid: 42, vips: []string{vip.String() + "/24"}, advskew: skew,
			extra: "name = \"web\"\n" + check}}
	}
	check := func(name, cmd string) string {
		return fmt.Sprintf("checks = [%q]\n\n[[check]]\nname = %q\ncommand = [%q]\ninterval = \"200ms\"\nrise = 1\nfall = 1\ndemote = 10\n", name, name, cmd)
	}
	// withHTTP appends an [http] table to a config file.
	withHTTP := func(path, listen string) string {
		f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
		require.NoError(t, err)
		_, err = f.WriteString("\n[http]\nlisten = \"" + listen + "\"\n")
		require.NoError(t, err)
		require.NoError(t, f.Close())
		return path
	}
	trueBin, err := exec.LookPath("true")
	require.NoError(t, err)
	falseBin, err := exec.LookPath("false")
	require.NoError(t, err)
	sockA := controlPath(t)
	pa := startProc(t, a, "A", carpdBin, "-f", "none", "--control", sockA,
		"-c", withHTTP(writeConfig(t, t.TempDir(), group(0, check("ok", trueBin))), metricsAddr))
	// B's file names an address B does not have: only --http lets it start.
	startProc(t, b, "B", carpdBin, "-f", "none", "--control", controlPath(t), "--http", metricsAddr,
		"-c", withHTTP(writeConfig(t, t.TempDir(), group(100, check("bad", falseBin))), "192.0.2.55:9108"))
	wrong := writeConfig(t, t.TempDir(), group(50, ""))
	cfg, err := os.ReadFile(wrong)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(wrong, []byte(strings.Replace(string(cfg), "password = \""+defaultPass+"\"", `password = "not-the-secret"`, 1)), 0o600))
	startProc(t, c, "C", carpdBin, "-f", "none", "--control", controlPath(t), "--http", metricsAddr, "-c", wrong)

	web := []string{"interface", "eth0", "vhid", "42", "group", "web"}
	var ma, mb, mc metrics
	waitFor(t, "A is MASTER, B BACKUP, C drops A's adverts (carp_state, carp_rx_dropped_total)", func() bool {
		ma, mb, mc = scrape(t, a), scrape(t, b), scrape(t, c)
		sa, _ := ma.get("carp_state", web...)
		sb, _ := mb.get("carp_state", web...)
		dc, _ := mc.get("carp_rx_dropped_total", append(web, "reason", "bad_digest")...)
		return ma != nil && mb != nil && mc != nil && sa == 2 && sb == 1 && dc > 0
	})
	// Each node serves every drop reason of its group from the start.
	for _, ms := range []metrics{ma, mb, mc} {
		require.Equal(t, len(wire.DropReasons()), ms.count("carp_rx_dropped_total"))
		for _, r := range wire.DropReasons() {
			_, ok := ms.get("carp_rx_dropped_total", append(web, "reason", r)...)
			require.True(t, ok, "carp_rx_dropped_total{reason=%q}", r)
		}
		_, ok := ms.get("carpd_build_info")
		require.True(t, ok)
	}
	tr, _ := ma.get("carp_transitions_total", web...)
	require.GreaterOrEqual(t, tr, 1.0, "A became MASTER")
	ts, _ := ma.get("carp_last_transition_timestamp_seconds", web...)
	require.InDelta(t, float64(time.Now().Unix()), ts, 120, "A's last transition is recent")
	// The checks: A's up, B's down and demoting B by its 10.
	waitFor(t, "A's check up, B's down and demoting (carp_check_up, carp_demotion)", func() bool {
		ma, mb = scrape(t, a), scrape(t, b)
		upA, okA := ma.get("carp_check_up", append(web, "check", "ok")...)
		upB, okB := mb.get("carp_check_up", append(web, "check", "bad")...)
		dem, _ := mb.get("carp_demotion", web...)
		return okA && okB && upA == 1 && upB == 0 && dem == 10
	})
	skew, _ := mb.get("carp_advskew_advertised", web...)
	require.Equal(t, 110.0, skew, "100 + the check's 10")
	dem, _ := ma.get("carp_demotion", web...)
	require.Zero(t, dem)
	runs, _ := mb.get("carp_check_failures_total", "check", "bad")
	require.Positive(t, runs)

	// The counters move: A sends, B receives, C keeps dropping.
	rising := func(what string, h *netns.Host, name string, labels ...string) {
		t.Helper()
		first, ok := scrape(t, h).get(name, labels...)
		require.True(t, ok, "%s: no %s", what, name)
		waitFor(t, what+" rising ("+name+")", func() bool {
			v, _ := scrape(t, h).get(name, labels...)
			return v > first
		})
	}
	rising("A's adverts sent", a, "carp_adverts_sent_total", web...)
	rising("B's adverts received", b, "carp_adverts_received_total", web...)
	rising("C's bad_digest drops", c, "carp_rx_dropped_total", append(web, "reason", "bad_digest")...)
	sent, _ := scrape(t, b).get("carp_adverts_sent_total", web...)
	require.Zero(t, sent, "B, a backup, sends no adverts")

	// /status is carpd status --json.
	body, ok := httpGet(t, a, "/status")
	require.True(t, ok, "A's /status")
	var viaHTTP control.Status
	require.NoError(t, json.Unmarshal([]byte(body), &viaHTTP))
	require.Len(t, viaHTTP.Groups, 1)
	require.Equal(t, "web", viaHTTP.Groups[0].Name)
	require.Equal(t, "MASTER", viaHTTP.Groups[0].State)
	require.Equal(t, []string{vip.String()}, viaHTTP.Groups[0].VIPs)
	require.NotZero(t, viaHTTP.Groups[0].AdvertsSent)
	out, err := exec.Command(carpdBin, "status", "--json", "--control", sockA).Output()
	require.NoError(t, err)
	var keysHTTP, keysCLI map[string]json.RawMessage
	require.NoError(t, json.Unmarshal([]byte(body), &keysHTTP))
	require.NoError(t, json.Unmarshal(out, &keysCLI))
	require.ElementsMatch(t, mapKeys(keysCLI), mapKeys(keysHTTP), "the same document")
	const head = "{\n  \"groups\": [\n    {\n      \"name\": \"web\",\n"
	require.True(t, strings.HasPrefix(string(out), head), "carpd status --json:\n%s", out)
	require.True(t, strings.HasPrefix(body, head), "indented as carpd status --json:\n%s", body)

	// The server stops with the daemon.
	pa.signal(t, syscall.SIGTERM)
	require.Equal(t, 0, pa.waitExit(t))
	_, ok = httpGet(t, a, "/metrics")
	require.False(t, ok, "A's HTTP server outlived carpd")
}

func mapKeys(m map[string]json.RawMessage) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

// TestMetricsListenError: carpd refuses to start, exit 2, naming the
// address, when it cannot listen there.
func TestMetricsListenError(t *testing.T) {
	t.Parallel()
	lan := newLAN(t, "metre", 1)
	cfg := writeConfig(t, t.TempDir(), []configGroup{{vhid: 42, vips: []string{vip.String() + "/24"}}})
	p := startProc(t, lan.Hosts[0], "A", carpdBin, "-f", "none", "--control", controlPath(t), "--http", "192.0.2.55:9108", "-c", cfg)
	require.Equal(t, 2, p.waitExit(t))
	require.Contains(t, p.out.String(), "--http 192.0.2.55:9108: cannot serve /metrics and /status")
}
