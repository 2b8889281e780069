package integration

import (
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// ucarpCommandLines are real ucarp command lines: those of the captures in
// shared/vectors/ucarp (README.md), Debian's ifupdown hook, and ucarp's long
// options, abbreviations and attached values. {up}, {down} and {passfile}
// are filled in; the host is 198.51.100.1. Each must bring ucarp up, and
// carpd with it.
var ucarpCommandLines = []struct {
	name string
	args string
	vip  string
	// master: the node, alone, becomes MASTER within the deadline (else it
	// only has to keep running: its master-down timer is too long).
	master bool
	// carpdRefuses, when set, is the error carpd exits 1 with: the one
	// deliberate exception, -b 255 -k 255, the bow-out advert (spec §4.4).
	// ucarp runs with it but stops advertising after its first advert as
	// MASTER (adv255.pcap), so a backup takes over: it does not work there
	// either.
	carpdRefuses string
}{
	{"exp1", "-i eth0 -f none -D -u {up} -d {down} -s 198.51.100.1 -v 42 -p secret -a 198.51.100.100 -b 1 -k 0 -x nodeA", "198.51.100.100", true, ""},
	{"v2_maxpass", "-i eth0 -f none -D -u {up} -d {down} -s 198.51.100.1 -v 1 -p 0123456789abcdefghi -a 198.51.100.201 -b 2 -k 37 -r 1", "198.51.100.201", true, ""},
	{"v3_mcast", "-i eth0 -f none -D -u {up} -d {down} -s 198.51.100.1 -v 255 -p p -a 198.51.100.254 -b 1 -k 255 --mcast=239.192.0.1", "198.51.100.254", true, ""},
	{"v4_nomcast", "-i eth0 -f none -D -u {up} -d {down} -s 198.51.100.1 -v 7 -p secret -a 198.51.100.77 -b 1 -k 0 -M", "198.51.100.77", true, ""},
	{"s1_preempt", "-i eth0 -f none -D -u {up} -d {down} -s 198.51.100.1 --vhid=42 --pass=secret --addr=198.51.100.100 -b 1 -k 0 -P -z -x B", "198.51.100.100", true, ""},
	{"s2b_timeout", "-i eth0 -f none -D -u {up} -d {down} -s 198.51.100.1 --vhid=42 --pass=secret --addr=198.51.100.100 -b 5 -k 0 -r 1", "198.51.100.100", true, ""},
	{"s4_neutral", "-i eth0 -f none -D -u {up} -d {down} -s 198.51.100.1 --vhid=42 --pass=secret --addr=198.51.100.100 -b 1 -k 0 -n -z", "198.51.100.100", true, ""},
	{"s5_ignoreifstate", "-i eth0 -f none -D -u {up} -d {down} -s 198.51.100.1 --vhid=42 --pass=secret --addr=198.51.100.100 -b 1 -k 0 -S", "198.51.100.100", true, ""},
	{"adv255", "-i eth0 -f none -D -u {up} -d {down} -s 198.51.100.1 --vhid=42 --pass=secret --addr=198.51.100.100 -b 255 -k 255 -r 1", "198.51.100.100", false,
		"-b 255 with -k 255 is the bow-out advertisement"},
	{"adv255_skew254", "-i eth0 -f none -D -u {up} -d {down} -s 198.51.100.1 --vhid=42 --pass=secret --addr=198.51.100.100 -b 255 -k 254 -r 1", "198.51.100.100", false, ""},
	{"debian_ifupdown", "-i eth0 -s 198.51.100.1 -B -z -v 42 -p secret -a 198.51.100.100 -u {up} -d {down} -P -k 0 -b 1 -r 3 -f none", "198.51.100.100", true, ""},
	{"long_options", "--interface=eth0 --srcip=198.51.100.1 --vhid=0x2a --pass=secret --addr=198.51.100.100 --advbase=1 --advskew=0 --deadratio=3 --preempt --neutral --shutdown --ignoreifstate --upscript={up} --downscript={down} --xparam=x --facility=none --debug", "198.51.100.100", true, ""},
	{"abbreviations", "--interf eth0 --src 198.51.100.1 --vh 052 --passf {passfile} --addr 198.51.100.100 --up {up} --down {down} --fac none", "198.51.100.100", true, ""},
	{"attached_values", "-ieth0 -s198.51.100.1 -v42 -o{passfile} -a198.51.100.100 -Pnz -k0 -b1 -fnone -u{up} -d{down}", "198.51.100.100", true, ""},
}

// TestUcarpCommandLines: wherever ucarp works with a set of flags, carpd
// works with the same flags. Each line runs ucarp and carpd, each alone on
// a LAN of its own; both must come up (MASTER, or running when their timer
// is too long), and their scripts must have been called alike.
func TestUcarpCommandLines(t *testing.T) {
	requireUcarp(t)
	for _, tc := range ucarpCommandLines {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			v := netip.MustParseAddr(tc.vip)
			var events [2][]string
			var wg waitGroup
			for i, kind := range []string{kindUcarp, kindCarpd} {
				lan := newLAN(t, "cl", 1)
				h := lan.Hosts[0]
				n := newNode(t, kind, kind, h, true)
				passfile := filepath.Join(n.dir, "passfile")
				require.NoError(t, os.WriteFile(passfile, []byte("secret\n"), 0o600))
				args := strings.Fields(strings.NewReplacer("{up}", n.up, "{down}", n.down, "{passfile}", passfile).Replace(tc.args))
				daemonized := strings.Contains(tc.args, " -B ")
				p := startProc(t, h, kind, n.bin, args...)
				wg.Go(t, kind, func(t *testing.T) {
					if kind == kindCarpd && tc.carpdRefuses != "" {
						require.Equal(t, 1, p.waitExit(t), "a configuration error")
						require.Contains(t, p.out.String(), tc.carpdRefuses)
						return
					}
					if daemonized {
						require.Equal(t, 0, p.waitExit(t), "-B: the foreground process exits 0")
					}
					if tc.master {
						waitFor(t, kind+" MASTER with "+tc.vip, func() bool {
							require.True(t, daemonized || !p.exited(), "%s exited: %v", kind, p.err)
							return h.HasAddr(v) && n.lastEvent(t) == "UP"
						})
					} else {
						time.Sleep(stableFor)
						if kind == kindCarpd {
							p.waitOutput(t, regexp.MustCompile(`carpd started`))
						}
					}
					require.True(t, daemonized || !p.exited(), "%s exited: %v", kind, p.err)
					events[i] = n.eventLines(t)
				})
			}
			wg.Wait(t)
			require.NotEmpty(t, events[0], "ucarp ran no script")
			if tc.carpdRefuses != "" {
				return
			}
			require.Equal(t, events[0], events[1], "scripts run by ucarp, then by carpd")
		})
	}
}

// waitGroup runs checks concurrently; a failure in one fails the test
// after Wait.
type waitGroup struct {
	done []chan bool
}

// Go runs fn as subtest name of t, on a goroutine of its own, so that
// FailNow ends only fn. Wait fails t if any failed.
func (w *waitGroup) Go(t *testing.T, name string, fn func(t *testing.T)) {
	ch := make(chan bool, 1)
	w.done = append(w.done, ch)
	go func() {
		ok := false
		defer func() { ch <- ok }()
		ok = t.Run(name, fn)
	}()
}

// Wait waits for every fn.
func (w *waitGroup) Wait(t *testing.T) {
	t.Helper()
	ok := true
	for _, ch := range w.done {
		ok = <-ch && ok
	}
	if !ok {
		t.FailNow()
	}
}

// TestShutdownParity: SIGTERM, with and without -z, to a MASTER and to a
// BACKUP: carpd exits with ucarp's status and runs the scripts ucarp runs.
// Each node is alone (-n: no down script at start); a BACKUP is kept so by
// a master-down interval far beyond the test.
func TestShutdownParity(t *testing.T) {
	requireUcarp(t)
	for _, state := range []string{"MASTER", "BACKUP"} {
		for _, z := range []bool{true, false} {
			name := state + "/NoShutdownFlag"
			if z {
				name = state + "/Shutdown"
			}
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				args := []string{"-i", "eth0", "-s", "198.51.100.1", "-v", "42", "-p", "secret", "-a", vip.String(), "-n", "-f", "none"}
				if state == "BACKUP" {
					args = append(args, "-b", "10", "-r", "100")
				}
				if z {
					args = append(args, "-z")
				}
				type result struct {
					status string // "exit status N" or "signal: ..."
					events []string
					vip    bool
				}
				var res [2]result
				var wg waitGroup
				for i, kind := range []string{kindUcarp, kindCarpd} {
					lan := newLAN(t, "sd", 1)
					h := lan.Hosts[0]
					n := newNode(t, kind, kind, h, true, args...)
					n.start(t)
					wg.Go(t, kind, func(t *testing.T) {
						if state == "MASTER" {
							waitFor(t, kind+" MASTER", func() bool { return h.HasAddr(vip) && n.lastEvent(t) == "UP" })
						} else {
							time.Sleep(stableFor)
							require.False(t, n.p.exited(), "%s exited: %v", kind, n.p.err)
						}
						n.p.signal(t, syscall.SIGTERM)
						code := n.p.waitExit(t)
						status := fmt.Sprintf("exit status %d", code)
						if code < 0 {
							status = n.p.err.Error()
						}
						res[i] = result{status: status, events: n.eventLines(t), vip: h.HasAddr(vip)}
					})
				}
				wg.Wait(t)
				t.Logf("ucarp: %+v", res[0])
				t.Logf("carpd: %+v", res[1])
				require.Equal(t, res[0], res[1], "ucarp, then carpd")
			})
		}
	}
}
