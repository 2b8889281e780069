package integration

import (
	"net/netip"
	"regexp"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gocarp/gocarp/internal/netns"
	"github.com/gocarp/gocarp/wire"
)

// TestSecureMode runs carpd's secure mode (--secure) for real: a pair
// elects, fails over and preempts; a third host's rewritten or replayed
// captures of the master's adverts are dropped; and with ucarp it does
// not talk, saying why.
func TestSecureMode(t *testing.T) {
	t.Run("Pair", func(t *testing.T) {
		t.Parallel()
		testMixedPair(t, kindCarpd, kindCarpd, groupArgs("--secure"))
	})
	t.Run("Injected", func(t *testing.T) {
		t.Parallel()
		testSecureInjected(t)
	})
	t.Run("Ucarp", func(t *testing.T) {
		t.Parallel()
		requireUcarp(t)
		lan := newLAN(t, "sup", 3)
		h0, h1 := lan.Hosts[0], lan.Hosts[1]
		u := newNode(t, kindUcarp, "ucarp", h0, true, peerArgs(h0.Addr.Addr(), "0", false, groupArgs())...)
		c := newNode(t, kindCarpd, "carpd-secure", h1, true, peerArgs(h1.Addr.Addr(), "100", false, groupArgs("--secure"))...)
		u.start(t)
		c.start(t)
		c.p.waitOutput(t, regexp.MustCompile(`dropped packet.*reason=bad_digest`))
		waitFor(t, "both MASTER: neither accepts the other's adverts", func() bool {
			return h0.HasAddr(vip) && h1.HasAddr(vip)
		})
	})
}

// rawTap keeps the IP packets of the CARP adverts a host hears from src.
type rawTap struct {
	mu   sync.Mutex
	pkts [][]byte
}

func tapRaw(t *testing.T, h *netns.Host, src netip.Addr) *rawTap {
	t.Helper()
	rt := &rawTap{}
	listenCARP(t, h, func(b []byte, p *wire.Packet) {
		if p.Src != src {
			return
		}
		rt.mu.Lock()
		rt.pkts = append(rt.pkts, slices.Clone(b))
		rt.mu.Unlock()
	})
	return rt
}

func (r *rawTap) last(t *testing.T) []byte {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	require.NotEmpty(t, r.pkts, "no advert tapped")
	return slices.Clone(r.pkts[len(r.pkts)-1])
}

// testSecureInjected: a third host captures the secure master's advert
// and injects it rewritten as a bow-out (advbase 255, advskew 255: a
// backup that accepted it would take over at once), then as captured.
// The backup drops the first as bad_digest and the second as replay, and
// stays BACKUP.
func testSecureInjected(t *testing.T) {
	lan := newLAN(t, "sin", 3)
	hm, hn, hi := lan.Hosts[0], lan.Hosts[1], lan.Hosts[2]
	shared := groupArgs("--secure")
	m := newNode(t, kindCarpd, "master", hm, true, peerArgs(hm.Addr.Addr(), "0", true, shared)...)
	n := newNode(t, kindCarpd, "node", hn, true, peerArgs(hn.Addr.Addr(), "100", false, shared)...)
	l := &lab{lan: lan, client: hi, nodes: []*node{m, n}}
	rt := tapRaw(t, hi, hm.Addr.Addr())
	m.start(t)
	m.p.waitOutput(t, regexp.MustCompile(`switching to state: MASTER`))
	n.start(t)
	l.converged(t, m)
	before := n.status(t)
	require.Equal(t, "BACKUP", before.State)

	captured := rt.last(t)
	rewritten := slices.Clone(captured)
	rewritten[offCARP+2] = 255 // advskew
	rewritten[offCARP+5] = 255 // advbase
	fixCARPChecksum(rewritten)
	inject(t, hi, rewritten, captured)

	var after status
	waitFor(t, "both injected adverts counted", func() bool {
		after = n.status(t)
		return after.uint(t, "dropped.bad_digest") > before.uint(t, "dropped.bad_digest") &&
			after.uint(t, "dropped.replay") > before.uint(t, "dropped.replay")
	})
	require.Equal(t, uint64(1), after.uint(t, "dropped.bad_digest")-before.uint(t, "dropped.bad_digest"))
	require.Equal(t, uint64(1), after.uint(t, "dropped.replay")-before.uint(t, "dropped.replay"))
	// A bow-out accepted would have made it MASTER within milliseconds.
	time.Sleep(200 * time.Millisecond)
	require.Equal(t, "BACKUP", n.status(t).State)
	require.NotContains(t, n.p.out.String(), "switching to state: MASTER")
	l.converged(t, m)
}
