package integration

import (
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gocarp/gocarp/internal/netns"
	"github.com/gocarp/gocarp/transport/afpacket"
	"github.com/gocarp/gocarp/wire"
)

// advertTap records every CARP advert a host hears: the capture the
// reload test judges by.
type advertTap struct {
	mu   sync.Mutex
	seen []tapped
}

type tapped struct {
	at      time.Time
	src     netip.Addr
	vhid    uint8
	advskew uint8
}

// listenCARP hands fn the IP packet of every CARP advert h hears on its
// eth0, with its parse, until the test ends.
func listenCARP(t *testing.T, h *netns.Host, fn func(b []byte, p *wire.Packet)) {
	t.Helper()
	var conn *afpacket.Conn
	h.Run(t, func() {
		var err error
		conn, err = afpacket.Listen(afpacket.Config{Interface: "eth0"})
		require.NoError(t, err)
	})
	t.Cleanup(func() { _ = conn.Close() })
	require.NoError(t, conn.Listen(func(b []byte) {
		var p wire.Packet
		if p.UnmarshalBinary(b) == nil {
			fn(b, &p)
		}
	}))
}

// tap records the adverts h hears until the test ends.
func tap(t *testing.T, h *netns.Host) *advertTap {
	t.Helper()
	at := &advertTap{}
	listenCARP(t, h, func(_ []byte, p *wire.Packet) {
		at.mu.Lock()
		at.seen = append(at.seen, tapped{at: time.Now(), src: p.Src, vhid: p.Advert.VHID, advskew: p.Advert.AdvSkew})
		at.mu.Unlock()
	})
	return at
}

// from returns the adverts of vhid from src, in order.
func (a *advertTap) from(src netip.Addr, vhid uint8) []tapped {
	a.mu.Lock()
	defer a.mu.Unlock()
	var out []tapped
	for _, s := range a.seen {
		if s.src == src && s.vhid == vhid {
			out = append(out, s)
		}
	}
	return out
}

func (a *advertTap) count(src netip.Addr, vhid uint8) int { return len(a.from(src, vhid)) }

// maxGap is the longest time between two adverts in ts.
func maxGap(ts []tapped) time.Duration {
	var g time.Duration
	for i := 1; i < len(ts); i++ {
		g = max(g, ts[i].at.Sub(ts[i-1].at))
	}
	return g
}

// stateLine is carpd's log line of a transition, with its vhid.
var stateLine = regexp.MustCompile(`msg="switching to state: \w+".* vhid=(\d+)`)

// TestReload runs 50 groups and reloads the master's config with one
// group's advskew changed, one group added and one removed: the 48 others
// see no transition and no advert gap above 1.5 × interval, the changed
// one keeps its state, the removed one bows out (the backup takes it) and
// the added one starts. A bad file changes nothing, on SIGHUP and on
// carpd reload, which says why.
func TestReload(t *testing.T) {
	t.Parallel()
	const n = 50
	lan := newLAN(t, "rld", 3)
	a, b, c := lan.Hosts[0], lan.Hosts[1], lan.Hosts[2]
	groups := func(skew int, vhids []int, edit func(*configGroup)) []configGroup {
		var gs []configGroup
		for _, v := range vhids {
			g := configGroup{vhid: v, vips: []string{manyVIP(v).String() + "/24"}, advskew: skew}
			if edit != nil {
				edit(&g)
			}
			gs = append(gs, g)
		}
		return gs
	}
	var all []int
	for v := 1; v <= n; v++ {
		all = append(all, v)
	}
	dirA := t.TempDir()
	cfgA := writeConfig(t, dirA, groups(0, all, nil))
	sockA := controlPath(t)
	pa := startProc(t, a, "A", carpdBin, "-f", "none", "--control", sockA, "-c", cfgA)
	startProc(t, b, "B", carpdBin, "-f", "none", "--control", controlPath(t), "-c", writeConfig(t, t.TempDir(), groups(100, all, nil)))
	waitFor(t, "A masters all 50", func() bool {
		for v := 1; v <= n; v++ {
			if !a.HasAddr(manyVIP(v)) || b.HasAddr(manyVIP(v)) {
				return false
			}
		}
		return true
	})
	transitions := func() map[string]int {
		m := map[string]int{}
		for _, l := range stateLine.FindAllStringSubmatch(pa.out.String(), -1) {
			m[l[1]]++
		}
		return m
	}
	before := transitions()
	capture := tap(t, c)
	time.Sleep(3 * time.Second)

	// vhid 1: advskew 0 -> 20; vhid 50 removed; vhid 51 added.
	next := slices.Concat(all[:n-1], []int{51})
	writeConfig(t, dirA, groups(0, next, func(g *configGroup) {
		if g.vhid == 1 {
			g.advskew = 20
		}
	}))
	reloaded := time.Now()
	pa.signal(t, syscall.SIGHUP)
	pa.waitOutput(t, regexp.MustCompile(`msg=reloaded`))
	waitFor(t, "B takes the removed group", func() bool { return b.HasAddr(manyVIP(50)) && !a.HasAddr(manyVIP(50)) })
	took50 := time.Since(reloaded)
	waitFor(t, "A masters the added group", func() bool { return a.HasAddr(manyVIP(51)) })
	time.Sleep(4 * time.Second)

	src := a.Addr.Addr()
	after := transitions()
	for v := 2; v < n; v++ {
		k := fmt.Sprint(v)
		require.Equal(t, before[k], after[k], "vhid %d changed state in the reload", v)
		ads := capture.from(src, uint8(v))
		require.Greater(t, len(ads), 5, "vhid %d: A's adverts", v)
		require.LessOrEqual(t, maxGap(ads), 1500*time.Millisecond, "vhid %d: an advert gap in the reload", v)
		require.Zero(t, capture.count(b.Addr.Addr(), uint8(v)), "vhid %d: B advertised", v)
	}
	// The changed group kept MASTER and advertises its new skew.
	require.Equal(t, before["1"], after["1"], "vhid 1 changed state")
	ads1 := capture.from(src, 1)
	require.Equal(t, uint8(20), ads1[len(ads1)-1].advskew)
	require.LessOrEqual(t, maxGap(ads1), 1500*time.Millisecond)
	require.Zero(t, capture.count(b.Addr.Addr(), 1))
	t.Logf("the removed group was on B %v after the SIGHUP", took50)
	st := statusOf(t, sockA)
	require.Len(t, st.Groups, n)
	require.Equal(t, "eth0-51", st.Groups[n-1].Name)
	require.Equal(t, "MASTER", st.Groups[n-1].State)

	// A bad file: refused on SIGHUP and on carpd reload; nothing changes.
	good, err := os.ReadFile(cfgA)
	require.NoError(t, err)
	bad := strings.Replace(string(good), "vhid = 51\n", "vhid = 300\n", 1)
	require.NoError(t, os.WriteFile(cfgA, []byte(bad), 0o600))
	pa.signal(t, syscall.SIGHUP)
	m := pa.waitOutput(t, regexp.MustCompile(`reload refused: the running config stays.*`))
	require.Contains(t, m[0], "vhid: must be 1..255, got 300")
	out, err := exec.Command(carpdBin, "reload", "--control", sockA).CombinedOutput()
	var ee *exec.ExitError
	require.ErrorAs(t, err, &ee, "%s", out)
	require.Equal(t, 1, ee.ExitCode())
	require.Contains(t, string(out), filepath.Base(cfgA)+":")
	require.Contains(t, string(out), "vhid: must be 1..255, got 300")
	st2 := statusOf(t, sockA)
	require.Len(t, st2.Groups, n)
	for i := range st.Groups {
		require.Equal(t, st.Groups[i].Name, st2.Groups[i].Name)
		require.Equal(t, "MASTER", st2.Groups[i].State)
	}
	require.Equal(t, after, transitions(), "the refused reloads moved nothing")

	// What an interface's groups share cannot change under its socket.
	writeConfig(t, dirA, groups(0, next, func(g *configGroup) {
		if g.vhid == 3 {
			g.extra = "nomcast = true\n"
		}
	}))
	out, err = exec.Command(carpdBin, "reload", "--control", sockA).CombinedOutput()
	require.ErrorAs(t, err, &ee, "%s", out)
	require.Contains(t, string(out), `group "eth0-3": nomcast: true here, false on the running interface eth0; changing what its groups share needs a restart of carpd`)
	require.Equal(t, after, transitions())

	// carpd reload applies a good file and says what changed.
	require.NoError(t, os.WriteFile(cfgA, good, 0o600))
	writeConfig(t, dirA, groups(0, next, func(g *configGroup) {
		if g.vhid == 2 {
			g.advskew = 30
		}
	}))
	out, err = exec.Command(carpdBin, "reload", "--control", sockA).CombinedOutput()
	require.NoError(t, err, "%s", out)
	require.Contains(t, string(out), "eth0-1: advskew 20 -> 0 (in place)")
	require.Contains(t, string(out), "eth0-2: advskew 0 -> 30 (in place)")
	require.Contains(t, string(out), "48 group(s) unchanged")

	// [http] does not move under a running carpd: carpd reload says so
	// and applies the rest.
	cur, err := os.ReadFile(cfgA)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(cfgA, append(cur, "\n[http]\nlisten = \"127.0.0.1:9108\"\n"...), 0o600))
	out, err = exec.Command(carpdBin, "reload", "--control", sockA).CombinedOutput()
	require.NoError(t, err, "%s", out)
	require.Contains(t, string(out), "[http] changed: not applied, it takes effect when carpd restarts")
	require.Contains(t, string(out), "50 group(s) unchanged")
	require.Equal(t, after, transitions())
}
