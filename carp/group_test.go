package carp_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gocarp/gocarp/carp"
	"github.com/gocarp/gocarp/election"
	"github.com/gocarp/gocarp/hmac"
	"github.com/gocarp/gocarp/internal/syncbuf"
	"github.com/gocarp/gocarp/transport"
	"github.com/gocarp/gocarp/transport/memnet"
	"github.com/gocarp/gocarp/wire"
)

// Black-box tests of carp.Group. Everything runs on a memnet LAN driven by
// a virtual clock from the test goroutine, so every time below is exact
// virtual time and every run is the same. Names are prefixed "gt" to stay
// clear of the other test files of the package.

var (
	gtT0       = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	gtVIP      = netip.MustParseAddr("192.0.2.100")
	gtVIP6     = netip.MustParseAddr("2001:db8::100")
	gtPassword = []byte("secret")
	// gtPeer is the source of crafted adverts from a "foreign" master.
	gtPeer = netip.MustParseAddr("192.0.2.50")
)

const gtVHID = 42

// gtLAN is one simulated link with a raw injector port and a tap that
// records (and parses) every packet put on the wire.
type gtLAN struct {
	t   *testing.T
	sim *memnet.Sim
	lan *memnet.Network
	inj *memnet.Port

	mu   sync.Mutex
	sent []gtSent
}

// gtSent is one packet seen on the tap.
type gtSent struct {
	from string
	at   time.Duration // since gtT0
	raw  []byte
	pkt  wire.Packet
	err  error // from wire.Packet.UnmarshalBinary
}

func newGtLAN(t *testing.T) *gtLAN {
	t.Helper()
	sim := memnet.NewSim(1, gtT0)
	l := &gtLAN{t: t, sim: sim, lan: memnet.NewNetwork(sim)}
	l.inj = l.lan.Attach("inj")
	l.lan.Tap(func(from *memnet.Port, pkt []byte, at time.Time) {
		s := gtSent{from: from.Name(), at: at.Sub(gtT0), raw: slices.Clone(pkt)}
		s.err = s.pkt.UnmarshalBinary(s.raw)
		l.mu.Lock()
		l.sent = append(l.sent, s)
		l.mu.Unlock()
	})
	return l
}

// adverts returns the packets port from sent, in order. Each must parse.
func (l *gtLAN) adverts(from string) []gtSent {
	l.t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []gtSent
	for _, s := range l.sent {
		if s.from == from {
			require.NoError(l.t, s.err, "%s sent an unparsable packet at %s", from, s.at)
			out = append(out, s)
		}
	}
	return out
}

// advertsBetween returns the packets port from sent in [lo, hi].
func (l *gtLAN) advertsBetween(from string, lo, hi time.Duration) []gtSent {
	var out []gtSent
	for _, s := range l.adverts(from) {
		if s.at >= lo && s.at <= hi {
			out = append(out, s)
		}
	}
	return out
}

func (l *gtLAN) runUntil(d time.Duration) { l.sim.RunUntil(gtT0.Add(d)) }

// inject puts pkt on the wire from the injector port and delivers it now.
func (l *gtLAN) inject(pkt []byte) {
	l.t.Helper()
	require.NoError(l.t, l.inj.Send(pkt))
	l.sim.RunFor(0)
}

// gtNode is one group on the LAN with its port and callback recorder.
type gtNode struct {
	name string
	cfg  carp.Config
	port *memnet.Port
	g    *carp.Group
	rec  *gtRecorder
}

// node attaches a port and creates (but does not start) a group with
// advbase 1, advskew 0 and source src; edit changes the config first.
func (l *gtLAN) node(name, src string, edit func(*carp.Config)) *gtNode {
	l.t.Helper()
	n := &gtNode{name: name, rec: &gtRecorder{}}
	n.port = l.lan.Attach(name)
	n.cfg = carp.Config{
		Interface: "lan0",
		VHID:      gtVHID,
		VIPs:      []netip.Addr{gtVIP},
		Password:  gtPassword,
		Source:    netip.MustParseAddr(src),
		AdvBase:   1,
		Transport: n.port,
		Clock:     l.sim,
		Rand:      l.sim.Rand().Uint64,
		OnMaster:  n.rec.onMaster,
		OnBackup:  n.rec.onBackup,
	}
	if edit != nil {
		edit(&n.cfg)
	}
	g, err := carp.New(n.cfg)
	require.NoError(l.t, err)
	n.g = g
	l.t.Cleanup(func() { _ = g.Close() })
	return n
}

// start starts n's group and returns n.
func (n *gtNode) start(t *testing.T) *gtNode {
	t.Helper()
	require.NoError(t, n.g.Start())
	return n
}

// gtRecorder records callbacks in the order they run.
type gtRecorder struct {
	mu    sync.Mutex
	calls []string
}

func (r *gtRecorder) onMaster(tr carp.Transition) { r.add(true, tr) }
func (r *gtRecorder) onBackup(tr carp.Transition) { r.add(false, tr) }

func (r *gtRecorder) add(master bool, tr carp.Transition) {
	r.mu.Lock()
	r.calls = append(r.calls, gtCall(master, tr.From, tr.To, tr.Reason, tr.At.Sub(gtT0), tr.Seq))
	r.mu.Unlock()
}

func (r *gtRecorder) snapshot() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.calls)
}

// gtCall formats one callback: which one, the transition, its time and Seq.
func gtCall(master bool, from, to carp.State, reason carp.Reason, at time.Duration, seq uint64) string {
	kind := "OnBackup"
	if master {
		kind = "OnMaster"
	}
	return fmt.Sprintf("%s %s->%s (%s) @%s #%d", kind, from, to, reason, at, seq)
}

// callbacks waits for n's callbacks and returns them.
func (n *gtNode) callbacks(t *testing.T) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	require.NoError(t, n.g.WaitCallbacks(ctx))
	return n.rec.snapshot()
}

// gtCraft describes an advert from a foreign node, built with the codec.
type gtCraft struct {
	Src      netip.Addr // gtPeer when zero
	Dst      netip.Addr // IPv4Group when zero
	AdvBase  uint8
	AdvSkew  uint8
	Demote   uint8
	Counter  uint64
	Password []byte // gtPassword when nil
}

func (c gtCraft) bytes(t testing.TB) []byte {
	t.Helper()
	pw := c.Password
	if pw == nil {
		pw = gtPassword
	}
	signer, err := hmac.NewSigner(pw, gtVHID, []netip.Addr{gtVIP})
	require.NoError(t, err)
	a := wire.Advert{
		Version: wire.Version, Type: wire.TypeAdvertisement, VHID: gtVHID,
		AdvBase: c.AdvBase, AdvSkew: c.AdvSkew, AuthLen: wire.AuthLen, Demote: c.Demote,
		Counter: c.Counter, Digest: signer.Sign(c.Counter),
	}
	src, dst := c.Src, c.Dst
	if !src.IsValid() {
		src = gtPeer
	}
	if !dst.IsValid() {
		dst = wire.IPv4Group
	}
	b, err := wire.AppendIPv4(nil, src, dst, 0x1234, &a)
	require.NoError(t, err)
	return b
}

// gtFixIP recomputes the checksum of a 20-byte IPv4 header.
func gtFixIP(b []byte) {
	b[10], b[11] = 0, 0
	binary.BigEndian.PutUint16(b[10:], wire.Checksum(b[:wire.IPv4HeaderLen]))
}

// gtFixCARP recomputes the CARP checksum behind a 20-byte IPv4 header.
func gtFixCARP(b []byte) {
	c := b[wire.IPv4HeaderLen : wire.IPv4HeaderLen+wire.AdvertLen]
	c[6], c[7] = 0, 0
	binary.BigEndian.PutUint16(c[6:], wire.Checksum(c))
}

// gtSigner returns the signer of the default group (password, VHID, VIPs).
func gtSigner(t testing.TB, vips ...netip.Addr) *hmac.Signer {
	t.Helper()
	if len(vips) == 0 {
		vips = []netip.Addr{gtVIP}
	}
	s, err := hmac.NewSigner(gtPassword, gtVHID, vips)
	require.NoError(t, err)
	return s
}

func gtTransport(t *testing.T) transport.Transport {
	return memnet.NewNetwork(memnet.NewSim(1, gtT0)).Attach("x")
}

// --- 1. Config -------------------------------------------------------------

func TestGroupConfigErrors(t *testing.T) {
	v6 := []netip.Addr{gtVIP6}
	src6 := netip.MustParseAddr("fe80::1")
	tests := []struct {
		name  string
		edit  func(*carp.Config)
		field string // "" = valid
	}{
		{"valid", func(*carp.Config) {}, ""},
		{"VIP is the source", func(c *carp.Config) { c.VIPs = []netip.Addr{gtVIP, c.Source} }, "VIPs"},
		{"valid IPv6 only", func(c *carp.Config) { c.VIPs, c.Source, c.Source6 = v6, netip.Addr{}, src6 }, ""},
		{"valid dual stack", func(c *carp.Config) { c.VIPs, c.Source6 = []netip.Addr{gtVIP, gtVIP6}, src6 }, ""},
		{"valid sub-second", func(c *carp.Config) { c.SubSecond, c.AdvSkew = true, 10 }, ""},
		{"valid advskew alone (advbase 1)", func(c *carp.Config) { c.AdvSkew = 10 }, ""},
		{"valid peers", func(c *carp.Config) { c.Peers = []netip.Addr{netip.MustParseAddr("192.0.2.2")} }, ""},
		{"sub-second with advbase", func(c *carp.Config) { c.SubSecond, c.AdvBase, c.AdvSkew = true, 1, 10 }, "AdvBase"},
		{"sub-second without advskew", func(c *carp.Config) { c.SubSecond = true }, "AdvSkew"},
		{"duplicate VIP", func(c *carp.Config) { c.VIPs = []netip.Addr{gtVIP, gtVIP} }, "VIPs"},
		{"multicast VIP", func(c *carp.Config) { c.VIPs = []netip.Addr{netip.MustParseAddr("224.0.0.1")} }, "VIPs"},
		{"loopback VIP", func(c *carp.Config) { c.VIPs = []netip.Addr{netip.MustParseAddr("127.0.0.1")} }, "VIPs"},
		{"broadcast VIP", func(c *carp.Config) { c.VIPs = []netip.Addr{netip.MustParseAddr("255.255.255.255")} }, "VIPs"},
		{"IPv6 peer, IPv4 VIPs", func(c *carp.Config) { c.Peers = []netip.Addr{netip.MustParseAddr("2001:db8::2")} }, "Peers"},
		{"multicast peer", func(c *carp.Config) { c.Peers = []netip.Addr{netip.MustParseAddr("224.0.0.18")} }, "Peers"},
		{"dual stack, IPv4 peer only", func(c *carp.Config) {
			c.VIPs, c.Source6, c.Peers = []netip.Addr{gtVIP, gtVIP6}, src6, []netip.Addr{netip.MustParseAddr("192.0.2.2")}
		}, "Peers"},
		{"deadratio too large", func(c *carp.Config) { c.DeadRatio = carp.MaxDeadRatio + 1 }, "DeadRatio"},
		{"valid advbase 255 advskew 254", func(c *carp.Config) { c.AdvBase, c.AdvSkew = 255, 254 }, ""},
		{"valid password 19 bytes", func(c *carp.Config) { c.Password = []byte(strings.Repeat("p", 19)) }, ""},
		{"valid group", func(c *carp.Config) { c.Group = netip.MustParseAddr("224.0.0.100") }, ""},
		{"VHID 0", func(c *carp.Config) { c.VHID = 0 }, "VHID"},
		{"no VIPs", func(c *carp.Config) { c.VIPs = nil }, "VIPs"},
		{"invalid VIP", func(c *carp.Config) { c.VIPs = []netip.Addr{gtVIP, {}} }, "VIPs"},
		{"no Source for IPv4 VIP", func(c *carp.Config) { c.Source = netip.Addr{} }, "Source"},
		{"IPv6 Source for IPv4 VIP", func(c *carp.Config) { c.Source = src6 }, "Source"},
		{"Source with only IPv6 VIPs", func(c *carp.Config) { c.VIPs, c.Source6 = v6, src6 }, "Source"},
		{"no Source6 for IPv6 VIP", func(c *carp.Config) { c.VIPs = []netip.Addr{gtVIP, gtVIP6} }, "Source6"},
		{"Source6 with only IPv4 VIPs", func(c *carp.Config) { c.Source6 = src6 }, "Source6"},
		{"unicast Group", func(c *carp.Config) { c.Group = netip.MustParseAddr("192.0.2.7") }, "Group"},
		{"IPv6 Group", func(c *carp.Config) { c.Group = wire.IPv6Group }, "Group"},
		{"empty password", func(c *carp.Config) { c.Password = nil }, "Password"},
		{"password 20 bytes", func(c *carp.Config) { c.Password = []byte(strings.Repeat("p", 20)) }, "Password"},
		{"advbase 255 advskew 255", func(c *carp.Config) { c.AdvBase, c.AdvSkew = 255, 255 }, "AdvSkew"},
		{"nil Transport", func(c *carp.Config) { c.Transport = nil }, "Transport"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := carp.Config{
				VHID:      gtVHID,
				VIPs:      []netip.Addr{gtVIP},
				Password:  gtPassword,
				Source:    netip.MustParseAddr("192.0.2.1"),
				Transport: gtTransport(t),
			}
			tt.edit(&cfg)
			g, err := carp.New(cfg)
			if tt.field == "" {
				require.NoError(t, err)
				require.NotNil(t, g)
				require.Equal(t, carp.StateInit, g.State())
				return
			}
			require.ErrorIs(t, err, carp.ErrConfig)
			require.Nil(t, g)
			// configError formats "carp: invalid config: FIELD: why".
			require.Contains(t, err.Error(), ": "+tt.field+": ", "error must name the field")
			var ce *carp.ConfigError
			require.ErrorAs(t, err, &ce)
			require.Equal(t, tt.field, ce.Field)
			if tt.field != "Transport" && tt.field != "Source" && tt.field != "Source6" {
				require.Error(t, cfg.Validate(), "Validate checks what does not depend on the host")
			} else {
				require.NoError(t, cfg.Validate())
			}
		})
	}
}

// TestGroupTimers checks the defaults (advbase 1 when AdvBase is zero,
// sub-second mode only when asked for, deadratio 3) and the interval formula in virtual time:
// the first takeover of a lone group comes exactly master-down after
// Start, then an advert every interval with the configured values.
func TestGroupTimers(t *testing.T) {
	tests := []struct {
		name                 string
		advbase, advskew     uint8
		subSecond            bool
		deadratio            uint
		wireBase, wireSkew   uint8
		masterDown, interval time.Duration
	}{
		{"defaults", 0, 0, false, 0, 1, 0, 3 * time.Second, time.Second},
		{"advbase 1", 1, 0, false, 0, 1, 0, 3 * time.Second, time.Second},
		{"advbase 2 advskew 128", 2, 128, false, 0, 2, 128, 6500 * time.Millisecond, 2500 * time.Millisecond},
		{"advbase 1 advskew 100", 1, 100, false, 0, 1, 100, 3390625 * time.Microsecond, 1390625 * time.Microsecond},
		// The README's backup (AdvSkew 100, no AdvBase) once meant
		// sub-second mode and beat the preferred node: zero is 1 s.
		{"advskew 100 alone", 0, 100, false, 0, 1, 100, 3390625 * time.Microsecond, 1390625 * time.Microsecond},
		{"sub-second", 0, 64, true, 0, 0, 64, 750 * time.Millisecond, 250 * time.Millisecond},
		{"deadratio 5", 1, 0, false, 5, 1, 0, 5 * time.Second, time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := newGtLAN(t)
			n := l.node("a", "192.0.2.1", func(c *carp.Config) {
				c.AdvBase, c.AdvSkew, c.DeadRatio, c.SubSecond = tt.advbase, tt.advskew, tt.deadratio, tt.subSecond
			}).start(t)
			require.Equal(t, carp.StateBackup, n.g.State())

			l.runUntil(tt.masterDown - time.Nanosecond)
			require.Equal(t, carp.StateBackup, n.g.State(), "took over before master-down")
			require.Empty(t, l.adverts("a"))

			l.runUntil(tt.masterDown)
			st := n.g.Stats()
			require.Equal(t, carp.StateMaster, st.State)
			require.Equal(t, gtT0.Add(tt.masterDown), st.LastTransition.At)
			require.Equal(t, election.ReasonMasterDown, st.LastTransition.Reason)

			l.runUntil(tt.masterDown + 4*tt.interval)
			ads := l.adverts("a")
			require.Len(t, ads, 5)
			for i, s := range ads {
				require.Equal(t, tt.masterDown+time.Duration(i)*tt.interval, s.at, "advert %d", i)
				require.Equal(t, tt.wireBase, s.pkt.Advert.AdvBase)
				require.Equal(t, tt.wireSkew, s.pkt.Advert.AdvSkew)
			}
			require.Equal(t, uint64(5), n.g.Stats().AdvertsSent)
		})
	}
}

// --- 2. Lifecycle ----------------------------------------------------------

func TestGroupLifecycle(t *testing.T) {
	ctx := context.Background()
	t.Run("start twice", func(t *testing.T) {
		l := newGtLAN(t)
		n := l.node("a", "192.0.2.1", nil)
		require.NoError(t, n.g.Start())
		require.ErrorIs(t, n.g.Start(), carp.ErrStarted)
		require.Equal(t, carp.StateBackup, n.g.State())
	})
	t.Run("before start", func(t *testing.T) {
		l := newGtLAN(t)
		n := l.node("a", "192.0.2.1", nil)
		require.ErrorIs(t, n.g.Shutdown(ctx), carp.ErrNotStarted)
		require.ErrorIs(t, n.g.BowOut(), carp.ErrNotStarted)
		require.Equal(t, carp.StateInit, n.g.State())
		// Still usable.
		require.NoError(t, n.g.Start())
		require.Equal(t, carp.StateBackup, n.g.State())
	})
	t.Run("link down before start", func(t *testing.T) {
		// A link down at boot: the group waits in INIT, sends nothing
		// and never becomes MASTER until the carrier is back.
		l := newGtLAN(t)
		n := l.node("a", "192.0.2.1", nil)
		require.NoError(t, n.g.SetLink(false))
		require.NoError(t, n.g.SetDemote(3), "a demotion before start is kept")
		require.NoError(t, n.g.Start())
		require.Equal(t, carp.StateInit, n.g.State())
		l.runUntil(time.Minute)
		require.Equal(t, carp.StateInit, n.g.State())
		require.Empty(t, l.adverts("a"))
		require.Zero(t, n.g.Stats().SendErrors)
		require.Empty(t, n.callbacks(t), "no OnMaster, and no OnBackup before BACKUP")
		require.NoError(t, n.g.SetLink(true))
		require.Equal(t, carp.StateBackup, n.g.State())
		l.runUntil(time.Minute + 4*time.Second)
		require.Equal(t, carp.StateMaster, n.g.State())
		require.Equal(t, uint8(3), n.g.Stats().Demote)
	})
	t.Run("after shutdown", func(t *testing.T) {
		l := newGtLAN(t)
		n := l.node("a", "192.0.2.1", nil).start(t)
		require.NoError(t, n.g.Shutdown(ctx))
		require.ErrorIs(t, n.g.SetLink(false), carp.ErrStopped)
		require.ErrorIs(t, n.g.SetDemote(1), carp.ErrStopped)
		require.ErrorIs(t, n.g.BowOut(), carp.ErrStopped)
		require.ErrorIs(t, n.g.Start(), carp.ErrStopped)
		require.NoError(t, n.g.Shutdown(ctx), "a second Shutdown is a no-op")
		require.NoError(t, n.g.Close())
		require.ErrorIs(t, n.port.Send([]byte{0x45}), transport.ErrClosed, "Shutdown closes the transport")
		// A stopped group runs no timers: it never takes over.
		l.runUntil(time.Minute)
		require.Equal(t, carp.StateStopped, n.g.State())
		require.Empty(t, l.adverts("a"))
	})
	t.Run("after close", func(t *testing.T) {
		l := newGtLAN(t)
		n := l.node("a", "192.0.2.1", nil).start(t)
		require.NoError(t, n.g.Close())
		require.NoError(t, n.g.Close(), "Close is idempotent")
		require.ErrorIs(t, n.g.SetLink(true), carp.ErrStopped)
		require.ErrorIs(t, n.port.Send([]byte{0x45}), transport.ErrClosed, "Close closes the transport")
		l.runUntil(time.Minute)
		require.Empty(t, l.adverts("a"))
	})
	t.Run("close before start", func(t *testing.T) {
		// The group owns its transport from New on; a group closed
		// before Start must not come to life afterwards.
		l := newGtLAN(t)
		n := l.node("a", "192.0.2.1", nil)
		require.NoError(t, n.g.Close())
		require.ErrorIs(t, n.g.Start(), carp.ErrStopped)
		require.ErrorIs(t, n.port.Send([]byte{0x45}), transport.ErrClosed, "Close closes the transport")
	})
	t.Run("wait callbacks before start", func(t *testing.T) {
		// Nothing is queued, so there is nothing to wait for.
		l := newGtLAN(t)
		n := l.node("a", "192.0.2.1", nil)
		wctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		defer cancel()
		require.NoError(t, n.g.WaitCallbacks(wctx))
	})
}

// TestGroupRun runs a group on the real clock (a memnet port needs no Sim
// to listen) and cancels it: Run shuts the group down and returns nil.
// TestGroupRun: Run returns whenever the group stops, with the cause, as
// http.Server.Serve does.
func TestGroupRun(t *testing.T) {
	mk := func(t *testing.T) (*carp.Group, *memnet.Port, *gtRecorder) {
		port := memnet.NewNetwork(memnet.NewSim(1, gtT0)).Attach("a")
		rec := &gtRecorder{}
		g, err := carp.New(carp.Config{
			VHID: gtVHID, VIPs: []netip.Addr{gtVIP}, Password: gtPassword,
			Source: netip.MustParseAddr("192.0.2.1"), Transport: port,
			OnBackup: rec.onBackup, OnMaster: rec.onMaster,
		})
		require.NoError(t, err)
		t.Cleanup(func() { _ = g.Close() })
		return g, port, rec
	}
	// run calls Run on its own goroutine and returns its result.
	run := func(g *carp.Group, ctx context.Context) <-chan error {
		errc := make(chan error, 1)
		go func() { errc <- g.Run(ctx) }()
		return errc
	}
	result := func(t *testing.T, errc <-chan error) error {
		t.Helper()
		select {
		case err := <-errc:
			return err
		case <-time.After(10 * time.Second): // correctness bound, not a timing claim
			t.Fatal("Run did not return")
			return nil
		}
	}
	started := func(t *testing.T, g *carp.Group) {
		t.Helper()
		require.Eventually(t, func() bool { return g.State() == carp.StateBackup }, 10*time.Second, time.Millisecond)
	}

	t.Run("ctx ends", func(t *testing.T) {
		g, port, rec := mk(t)
		ctx, cancel := context.WithCancel(context.Background())
		errc := run(g, ctx)
		started(t, g)
		cancel()
		require.NoError(t, result(t, errc))
		require.ErrorIs(t, port.Send([]byte{0x45}), transport.ErrClosed, "Run's shutdown closes the transport")
		require.ErrorIs(t, g.Start(), carp.ErrStopped)
		require.ErrorIs(t, g.SetLink(true), carp.ErrStopped)
		require.ErrorIs(t, g.Run(context.Background()), carp.ErrStopped, "a stopped group does not run again")
		// Shutdown waited for the start callback.
		require.Len(t, rec.snapshot(), 1)
		require.True(t, strings.HasPrefix(rec.snapshot()[0], "OnBackup INIT->BACKUP (start)"), rec.snapshot()[0])
	})
	t.Run("ctx already ended", func(t *testing.T) {
		g, port, _ := mk(t)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		require.ErrorIs(t, g.Run(ctx), context.Canceled)
		require.Equal(t, carp.StateInit, g.State(), "nothing started")
		require.NoError(t, port.Send([]byte{0x45}), "nothing closed")
		ctx2, cancel2 := context.WithCancel(context.Background())
		errc := run(g, ctx2)
		started(t, g)
		cancel2()
		require.NoError(t, result(t, errc))
	})
	t.Run("Close from elsewhere", func(t *testing.T) {
		g, _, _ := mk(t)
		errc := run(g, context.Background())
		started(t, g)
		require.NoError(t, g.Close())
		require.ErrorIs(t, result(t, errc), carp.ErrStopped)
	})
	t.Run("Shutdown from elsewhere", func(t *testing.T) {
		g, _, _ := mk(t)
		errc := run(g, context.Background())
		started(t, g)
		require.NoError(t, g.Shutdown(context.Background()))
		require.ErrorIs(t, result(t, errc), carp.ErrStopped)
	})
	t.Run("running twice", func(t *testing.T) {
		g, _, _ := mk(t)
		ctx, cancel := context.WithCancel(context.Background())
		errc := run(g, ctx)
		started(t, g)
		require.ErrorIs(t, g.Run(ctx), carp.ErrStarted)
		cancel()
		require.NoError(t, result(t, errc))
	})
}

// A failed New closes the transport it was given: the group owns it from
// New on, even when there is no group.
func TestGroupNewFailureClosesTransport(t *testing.T) {
	port := memnet.NewNetwork(memnet.NewSim(1, gtT0)).Attach("a")
	_, err := carp.New(carp.Config{VHID: 0, Transport: port})
	require.ErrorIs(t, err, carp.ErrConfig)
	require.ErrorIs(t, port.Send([]byte{0x45}), transport.ErrClosed)
}

// gtPair starts "a" (192.0.2.1, advskew 0) and "b" (192.0.2.2, advskew 100)
// and runs until a has been MASTER for a while (5.5 s).
func gtPair(t *testing.T, editB func(*carp.Config)) (*gtLAN, *gtNode, *gtNode) {
	l := newGtLAN(t)
	a := l.node("a", "192.0.2.1", nil).start(t)
	b := l.node("b", "192.0.2.2", func(c *carp.Config) {
		c.AdvSkew = 100
		if editB != nil {
			editB(c)
		}
	}).start(t)
	l.runUntil(5500 * time.Millisecond)
	require.Equal(t, carp.StateMaster, a.g.State())
	require.Equal(t, carp.StateBackup, b.g.State())
	return l, a, b
}

func TestGroupCloseIsCrash(t *testing.T) {
	l, a, b := gtPair(t, nil)
	require.NoError(t, a.g.Close())
	l.runUntil(20 * time.Second)
	require.Empty(t, l.advertsBetween("a", 5500*time.Millisecond, time.Hour), "Close sends no farewell")
	require.Equal(t, []string{
		gtCall(false, carp.StateInit, carp.StateBackup, election.ReasonStart, 0, 1),
		gtCall(true, carp.StateBackup, carp.StateMaster, election.ReasonMasterDown, 3*time.Second, 2),
		// A MASTER that is closed tells OnBackup, so the app stops serving.
		gtCall(false, carp.StateMaster, carp.StateStopped, carp.ReasonStopped, 5500*time.Millisecond, 3),
	}, a.callbacks(t))
	require.Equal(t, carp.StateStopped, a.g.State())
	// To b it is a crash: b waits out its master-down time from a's last
	// advert (5 s): 3 s + 100/256 s.
	st := b.g.Stats()
	require.Equal(t, carp.StateMaster, st.State)
	require.Equal(t, election.ReasonMasterDown, st.LastTransition.Reason)
	require.Equal(t, gtT0.Add(5*time.Second+3390625*time.Microsecond), st.LastTransition.At)
}

func TestGroupShutdownMaster(t *testing.T) {
	l, a, b := gtPair(t, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	// Shutdown waits for b's advert: the virtual clock must run meanwhile.
	errc := a.shutdownAsync(t, ctx)
	l.runUntil(6 * time.Second)
	require.NoError(t, gtResult(t, errc))
	require.Equal(t, carp.StateStopped, a.g.State())
	require.Equal(t, carp.ReasonStopped, a.g.Stats().LastTransition.Reason)

	bow := l.advertsBetween("a", 5500*time.Millisecond, time.Hour)
	require.Len(t, bow, 1, "exactly one bow-out advert")
	require.Equal(t, 5500*time.Millisecond, bow[0].at)
	require.Equal(t, uint8(255), bow[0].pkt.Advert.AdvBase)
	require.Equal(t, uint8(255), bow[0].pkt.Advert.AdvSkew)
	f := wire.Filter{VHID: gtVHID, Signer: gtSigner(t)}
	require.NoError(t, f.Check(&bow[0].pkt), "the bow-out advert is a valid advert")

	// Shutdown has waited for the callbacks: no WaitCallbacks needed. a
	// gave the VIP up when b's first advert came (no delay on this LAN).
	bAt := l.adverts("b")[0].at
	require.Equal(t, []string{
		gtCall(false, carp.StateInit, carp.StateBackup, election.ReasonStart, 0, 1),
		gtCall(true, carp.StateBackup, carp.StateMaster, election.ReasonMasterDown, 3*time.Second, 2),
		gtCall(false, carp.StateMaster, carp.StateBackup, election.ReasonBowOut, bAt, 3),
	}, a.rec.snapshot())
	require.ErrorIs(t, a.port.Send([]byte{0x45}), transport.ErrClosed)

	// b takes over after its bow-out stagger, not its master-down time.
	st := b.g.Stats()
	require.Equal(t, carp.StateMaster, st.State)
	require.Equal(t, election.ReasonPeerBowOut, st.LastTransition.Reason)
	stagger := st.LastTransition.At.Sub(gtT0.Add(5500 * time.Millisecond))
	require.Positive(t, stagger, "advskew 100 staggers the takeover")
	require.LessOrEqual(t, stagger, 63*time.Millisecond, "the stagger is at most 255/4096 s")
	l.runUntil(time.Minute)
	require.Empty(t, l.advertsBetween("a", 5501*time.Millisecond, time.Hour))
}

func TestGroupShutdownBackup(t *testing.T) {
	l, a, b := gtPair(t, nil)
	require.NoError(t, b.g.Shutdown(context.Background()))
	l.runUntil(time.Minute)
	require.Empty(t, l.adverts("b"), "a BACKUP sends nothing, on Shutdown neither")
	require.Equal(t, []string{
		gtCall(false, carp.StateInit, carp.StateBackup, election.ReasonStart, 0, 1),
	}, b.rec.snapshot())
	require.Equal(t, carp.StateMaster, a.g.State())
}

// --- 3. Wire output ---------------------------------------------------------

func TestGroupWireOutput(t *testing.T) {
	tests := []struct {
		name             string
		group            netip.Addr
		advbase, advskew uint8
	}{
		{"defaults", netip.Addr{}, 1, 0},
		{"configured group", netip.MustParseAddr("224.0.0.100"), 1, 0},
		{"advbase 3 advskew 7", netip.Addr{}, 3, 7},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := newGtLAN(t)
			src := netip.MustParseAddr("192.0.2.1")
			n := l.node("a", src.String(), func(c *carp.Config) {
				c.Group, c.AdvBase, c.AdvSkew = tt.group, tt.advbase, tt.advskew
			}).start(t)
			// advskew/256 s in whole microseconds, as the peers compute it.
			skew := time.Duration(int64(tt.advskew)*1_000_000/256) * time.Microsecond
			interval := time.Duration(tt.advbase)*time.Second + skew
			masterDown := 3*time.Duration(tt.advbase)*time.Second + skew
			l.runUntil(masterDown + 3*interval)
			ads := l.adverts("a")
			require.Len(t, ads, 4)

			wantDst := tt.group
			if !wantDst.IsValid() {
				wantDst = wire.IPv4Group
			}
			p := ads[0].pkt
			require.Equal(t, masterDown, ads[0].at, "the first advert goes out at takeover")
			require.Equal(t, uint8(wire.TTL), p.TTL)
			require.Equal(t, src, p.Src)
			require.Equal(t, wantDst, p.Dst)
			require.True(t, p.IPChecksumOK)
			require.True(t, p.ChecksumOK)
			require.Equal(t, uint8(wire.Version), p.Advert.Version)
			require.Equal(t, uint8(wire.TypeAdvertisement), p.Advert.Type)
			require.Equal(t, uint8(gtVHID), p.Advert.VHID)
			require.Equal(t, tt.advbase, p.Advert.AdvBase)
			require.Equal(t, tt.advskew, p.Advert.AdvSkew)
			require.Equal(t, uint8(wire.AuthLen), p.Advert.AuthLen)
			require.Zero(t, p.Advert.Demote)

			peer := wire.Filter{
				VHID:   gtVHID,
				Local:  []netip.Addr{netip.MustParseAddr("192.0.2.2")},
				Group:  tt.group,
				Signer: gtSigner(t),
			}
			for i := range ads {
				require.NoError(t, peer.Check(&ads[i].pkt), "advert %d", i)
				if i > 0 {
					require.Equal(t, interval, ads[i].at-ads[i-1].at, "interval before advert %d", i)
				}
			}
			other, err := hmac.NewSigner([]byte("other"), gtVHID, []netip.Addr{gtVIP})
			require.NoError(t, err)
			peer.Signer = other
			require.ErrorIs(t, peer.Check(&p), wire.ErrBadDigest, "the digest is keyed by the password")
			require.Equal(t, uint64(4), n.g.Stats().AdvertsSent)
		})
	}
}

// --- 4. Counter -------------------------------------------------------------

func TestGroupCounterSequence(t *testing.T) {
	l := newGtLAN(t)
	n := l.node("a", "192.0.2.1", nil).start(t)
	l.runUntil(10 * time.Second)
	ads := l.adverts("a")
	require.Len(t, ads, 8)
	for i := 1; i < len(ads); i++ {
		require.Equal(t, ads[i-1].pkt.Advert.Counter+1, ads[i].pkt.Advert.Counter, "advert %d", i)
	}
	require.Equal(t, ads[len(ads)-1].pkt.Advert.Counter, n.g.Stats().Counter)
}

// TestGroupCounterAdoption: a preempting BACKUP hears a worse master with
// counter C, takes over at once and continues that master's counter.
func TestGroupCounterAdoption(t *testing.T) {
	for _, c := range []uint64{1000, 1<<64 - 2, 1<<64 - 1} {
		t.Run(fmt.Sprint(c), func(t *testing.T) {
			l := newGtLAN(t)
			n := l.node("a", "192.0.2.1", func(c *carp.Config) { c.Preempt = true }).start(t)
			l.runUntil(time.Second)
			l.inject(gtCraft{AdvBase: 1, AdvSkew: 100, Counter: c}.bytes(t))
			st := n.g.Stats()
			require.Equal(t, carp.StateMaster, st.State)
			require.Equal(t, election.ReasonPreempt, st.LastTransition.Reason)
			require.Equal(t, uint64(1), st.AdvertsReceived)

			l.runUntil(3 * time.Second)
			ads := l.adverts("a")
			require.Len(t, ads, 3)
			require.Equal(t, time.Second, ads[0].at, "preemption advertises at once")
			require.Equal(t, c+1, ads[0].pkt.Advert.Counter, "continues the adopted counter")
			require.Equal(t, c+2, ads[1].pkt.Advert.Counter)
			require.Equal(t, c+3, ads[2].pkt.Advert.Counter)
		})
	}
}

// --- 5, 6. Receive validation ------------------------------------------------

// TestGroupReceiveFaults injects one bad packet into a BACKUP two seconds
// after its start. It must be counted under its reason and otherwise
// ignored: in particular the master-down timer must not restart, so the
// group takes over at 3 s as if nothing had arrived. The "valid" row shows
// that a valid advert does restart it (takeover at 2 s + 3 s).
func TestGroupReceiveFaults(t *testing.T) {
	self := netip.MustParseAddr("192.0.2.1")
	good := func(t *testing.T) []byte { return gtCraft{AdvBase: 1}.bytes(t) }
	tests := []struct {
		name string
		pkt  func(t *testing.T) []byte
		err  error // nil: the valid advert
	}{
		{"valid", good, nil},
		{"bad TTL", func(t *testing.T) []byte { b := good(t); b[8] = 64; gtFixIP(b); return b }, wire.ErrBadTTL},
		{"bad version", func(t *testing.T) []byte { b := good(t); b[20] = 0x31; gtFixCARP(b); return b }, wire.ErrBadVersion},
		{"other vhid", func(t *testing.T) []byte { b := good(t); b[21] = gtVHID + 1; gtFixCARP(b); return b }, wire.ErrBadVHID},
		{"wrong destination", func(t *testing.T) []byte {
			return gtCraft{AdvBase: 1, Dst: netip.MustParseAddr("224.0.0.19")}.bytes(t)
		}, wire.ErrBadDestination},
		{"bad IP checksum", func(t *testing.T) []byte { b := good(t); b[10] ^= 0xff; return b }, wire.ErrBadIPChecksum},
		{"bad CARP checksum", func(t *testing.T) []byte { b := good(t); b[26] ^= 0xff; return b }, wire.ErrBadChecksum},
		{"bad digest", func(t *testing.T) []byte {
			return gtCraft{AdvBase: 1, Password: []byte("wrong")}.bytes(t)
		}, wire.ErrBadDigest},
		{"altered counter", func(t *testing.T) []byte { b := good(t); b[35] ^= 1; gtFixCARP(b); return b }, wire.ErrBadDigest},
		{"truncated", func(t *testing.T) []byte { b := good(t); return b[:len(b)-1] }, wire.ErrTooShort},
		{"own source", func(t *testing.T) []byte { return gtCraft{AdvBase: 1, Src: self}.bytes(t) }, wire.ErrOwnPacket},
		{"not CARP (UDP)", func(t *testing.T) []byte { b := good(t); b[9] = 17; gtFixIP(b); return b }, wire.ErrNotCARP},
		{"not IP", func(t *testing.T) []byte { b := good(t); b[0] = 0x55; return b }, wire.ErrBadIPHeader},
		{"garbage", func(*testing.T) []byte { return []byte("hello") }, wire.ErrTooShort},
		{"empty", func(*testing.T) []byte { return []byte{} }, wire.ErrTooShort},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := newGtLAN(t)
			n := l.node("a", self.String(), nil).start(t)
			l.runUntil(2 * time.Second)
			before := n.g.Stats()
			l.inject(tt.pkt(t))
			st := n.g.Stats()
			require.Equal(t, carp.StateBackup, st.State)
			require.Equal(t, before.Transitions, st.Transitions)
			takeover := 3 * time.Second
			if tt.err == nil {
				require.Equal(t, uint64(1), st.AdvertsReceived)
				require.Empty(t, st.Dropped)
				require.Equal(t, gtPeer, st.Master)
				takeover = 5 * time.Second
			} else {
				require.Zero(t, st.AdvertsReceived)
				require.Equal(t, map[string]uint64{wire.DropReason(tt.err): 1}, st.Dropped)
				require.Equal(t, before.Counter, st.Counter, "a dropped advert's counter is not adopted")
			}
			l.runUntil(takeover - time.Nanosecond)
			require.Equal(t, carp.StateBackup, n.g.State())
			l.runUntil(takeover)
			st = n.g.Stats()
			require.Equal(t, carp.StateMaster, st.State)
			require.Equal(t, gtT0.Add(takeover), st.LastTransition.At)
		})
	}
}

// TestGroupReceiveFaultsRepeated: drops are counted per packet (the log is
// rate-limited, the counters are not).
func TestGroupReceiveFaultsRepeated(t *testing.T) {
	l := newGtLAN(t)
	n := l.node("a", "192.0.2.1", nil).start(t)
	bad := gtCraft{AdvBase: 1, Password: []byte("wrong")}.bytes(t)
	for range 5 {
		l.inject(bad)
	}
	l.inject(gtCraft{AdvBase: 1, Dst: netip.MustParseAddr("224.0.0.19")}.bytes(t))
	require.Equal(t, map[string]uint64{
		wire.DropReason(wire.ErrBadDigest):      5,
		wire.DropReason(wire.ErrBadDestination): 1,
	}, n.g.Stats().Dropped)
}

// TestGroupOwnAdvertLoopedBack sends the group's own advert back to it, as
// a looping bridge would: it is dropped as own_packet.
func TestGroupOwnAdvertLoopedBack(t *testing.T) {
	l := newGtLAN(t)
	n := l.node("a", "192.0.2.1", nil).start(t)
	l.runUntil(3 * time.Second)
	ads := l.adverts("a")
	require.Len(t, ads, 1)
	before := n.g.Stats()
	l.inject(ads[0].raw)
	l.inject(ads[0].raw)
	st := n.g.Stats()
	require.Equal(t, carp.StateMaster, st.State)
	require.Zero(t, st.AdvertsReceived)
	require.Equal(t, map[string]uint64{wire.DropReason(wire.ErrOwnPacket): 2}, st.Dropped)
	require.Equal(t, before.Transitions, st.Transitions)
}

// --- 7. Callbacks ------------------------------------------------------------

func TestGroupCallbacks(t *testing.T) {
	for _, neutral := range []bool{false, true} {
		t.Run(fmt.Sprintf("neutral=%v", neutral), func(t *testing.T) {
			l := newGtLAN(t)
			n := l.node("a", "192.0.2.1", func(c *carp.Config) {
				c.AdvSkew = 100
				c.Neutral = neutral
			}).start(t)
			md := 3390625 * time.Microsecond
			l.runUntil(5 * time.Second)            // MASTER at md
			l.inject(gtCraft{AdvBase: 1}.bytes(t)) // better master: BACKUP
			l.runUntil(6 * time.Second)            //
			require.NoError(t, n.g.SetLink(false)) // BACKUP -> INIT: no callback
			l.runUntil(7 * time.Second)            //
			require.NoError(t, n.g.SetLink(true))  // INIT -> BACKUP: no callback
			l.runUntil(7*time.Second + md)         // MASTER again
			require.Equal(t, carp.StateMaster, n.g.State())

			want := []string{
				gtCall(false, carp.StateInit, carp.StateBackup, election.ReasonStart, 0, 1),
				gtCall(true, carp.StateBackup, carp.StateMaster, election.ReasonMasterDown, md, 2),
				gtCall(false, carp.StateMaster, carp.StateBackup, election.ReasonBetterMaster, 5*time.Second, 3),
				// Seq numbers transitions, so the silent ones leave a gap.
				gtCall(true, carp.StateBackup, carp.StateMaster, election.ReasonMasterDown, 7*time.Second+md, 6),
			}
			if neutral {
				want = want[1:]
			}
			require.Equal(t, want, n.callbacks(t))
			require.Equal(t, uint64(6), n.g.Stats().Transitions)
		})
	}
}

// TestGroupBlockedCallback: while OnMaster hangs, the protocol goes on
// (adverts every interval, further transitions), and once it returns the
// queued callbacks follow in order.
func TestGroupBlockedCallback(t *testing.T) {
	l := newGtLAN(t)
	// The callback hangs on purpose: the simulation leaves it behind soon.
	l.sim.HoldTimeout = 10 * time.Millisecond
	release := make(chan struct{})
	entered := make(chan struct{}, 1)
	t.Cleanup(func() {
		// Never leave the callback goroutine hanging, even on failure.
		select {
		case <-release:
		default:
			close(release)
		}
	})
	rec := &gtRecorder{}
	n := l.node("a", "192.0.2.1", func(c *carp.Config) {
		c.OnMaster = func(tr carp.Transition) {
			rec.onMaster(tr)
			select {
			case entered <- struct{}{}:
			default:
			}
			<-release
		}
		c.OnBackup = rec.onBackup
	})
	n.rec = rec
	n.start(t)

	l.runUntil(3 * time.Second)
	select {
	case <-entered:
	case <-time.After(10 * time.Second):
		t.Fatal("OnMaster was not called")
	}
	l.runUntil(13 * time.Second)
	require.Len(t, l.advertsBetween("a", 3*time.Second, 13*time.Second), 11,
		"adverts every second while OnMaster blocks")

	// Two more transitions while the callback still hangs.
	l.inject(gtCraft{AdvBase: 0, AdvSkew: 200}.bytes(t)) // better: BACKUP at 13 s
	require.Equal(t, carp.StateBackup, n.g.State())
	l.runUntil(16 * time.Second) // master-down: MASTER again at 16 s
	require.Equal(t, carp.StateMaster, n.g.State())

	cctx, cancel := context.WithCancel(context.Background())
	cancel()
	require.ErrorIs(t, n.g.WaitCallbacks(cctx), context.Canceled, "callbacks are still pending")
	require.Len(t, rec.snapshot(), 2, "later callbacks wait for the blocked one")

	close(release)
	require.Equal(t, []string{
		gtCall(false, carp.StateInit, carp.StateBackup, election.ReasonStart, 0, 1),
		gtCall(true, carp.StateBackup, carp.StateMaster, election.ReasonMasterDown, 3*time.Second, 2),
		gtCall(false, carp.StateMaster, carp.StateBackup, election.ReasonBetterMaster, 13*time.Second, 3),
		gtCall(true, carp.StateBackup, carp.StateMaster, election.ReasonMasterDown, 16*time.Second, 4),
	}, n.callbacks(t))
}

// --- 8. Preemption, tie-break, link, demotion, bow-out ------------------------

func TestGroupPreempt(t *testing.T) {
	l := newGtLAN(t)
	worse := l.node("worse", "192.0.2.1", func(c *carp.Config) { c.AdvSkew = 100 }).start(t)
	l.runUntil(5 * time.Second)
	require.Equal(t, carp.StateMaster, worse.g.State())

	better := l.node("better", "192.0.2.2", func(c *carp.Config) { c.Preempt = true }).start(t)
	l.runUntil(10 * time.Second)
	require.Equal(t, carp.StateMaster, better.g.State())
	require.Equal(t, carp.StateBackup, worse.g.State())

	bcb := better.callbacks(t)
	require.Len(t, bcb, 2)
	require.Contains(t, bcb[1], "OnMaster BACKUP->MASTER (preempt)")
	wcb := worse.callbacks(t)
	require.Len(t, wcb, 3)
	require.Contains(t, wcb[2], "OnBackup MASTER->BACKUP (better master)")
	require.Equal(t, netip.MustParseAddr("192.0.2.2"), worse.g.Stats().Master)
	// Preemption happened at the worse master's first advert after b's
	// start: 3 s + 100/256 s + 2 intervals of 1 s + 100/256 s.
	at := 3390625*time.Microsecond + 2*1390625*time.Microsecond
	require.Equal(t, gtT0.Add(at), better.g.Stats().LastTransition.At)
}

// TestGroupPreemptNeeded: without Preempt a better backup stays BACKUP.
func TestGroupPreemptNeeded(t *testing.T) {
	l := newGtLAN(t)
	worse := l.node("worse", "192.0.2.1", func(c *carp.Config) { c.AdvSkew = 100 }).start(t)
	l.runUntil(5 * time.Second)
	better := l.node("better", "192.0.2.2", nil).start(t)
	l.runUntil(30 * time.Second)
	require.Equal(t, carp.StateMaster, worse.g.State())
	require.Equal(t, carp.StateBackup, better.g.State())
}

// TestGroupTieBreakPartition: two equal masters meet after a partition
// heals; ucarp's rule keeps 203.0.113.5 (0x057100cb as a little-endian uint32) over
// 198.51.100.10 (0x0a6433c6), whichever started first.
func TestGroupTieBreakPartition(t *testing.T) {
	const winner, loser = "203.0.113.5", "198.51.100.10"
	for _, order := range [][2]string{{winner, loser}, {loser, winner}} {
		t.Run(order[0]+" first", func(t *testing.T) {
			l := newGtLAN(t)
			x := l.node(order[0], order[0], nil).start(t)
			y := l.node(order[1], order[1], nil).start(t)
			l.lan.Partition([]*memnet.Port{x.port}, []*memnet.Port{y.port})
			l.runUntil(3500 * time.Millisecond)
			require.Equal(t, carp.StateMaster, x.g.State())
			require.Equal(t, carp.StateMaster, y.g.State())
			l.lan.Heal()
			l.runUntil(30 * time.Second)

			w, lo := x, y
			if order[0] == loser {
				w, lo = y, x
			}
			require.Equal(t, carp.StateMaster, w.g.State())
			require.Equal(t, carp.StateBackup, lo.g.State())
			cb := lo.callbacks(t)
			require.Len(t, cb, 3)
			require.Contains(t, cb[2], "OnBackup MASTER->BACKUP (tie-break) @4s")
			require.Len(t, w.callbacks(t), 2, "the winner never stepped down")
		})
	}
}

// TestGroupTieBreakInjected: a MASTER hears an advert exactly as good as
// its own.
func TestGroupTieBreakInjected(t *testing.T) {
	tests := []struct {
		name     string
		rule     carp.TieBreak
		self     string
		peer     string
		stepDown bool
		farewell bool // an advert sent at the moment of stepping down
	}{
		{"ucarp lower wins", carp.TieBreakUcarp, "203.0.113.5", "198.51.100.10", false, false},
		{"ucarp higher yields", carp.TieBreakUcarp, "198.51.100.10", "203.0.113.5", true, true},
		{"ucarp little-endian not big-endian", carp.TieBreakUcarp, "10.0.0.2", "192.0.2.1", true, true},
		{"bsd steps down", carp.TieBreakBSD, "203.0.113.5", "198.51.100.10", true, false},
		{"bsd steps down either way", carp.TieBreakBSD, "198.51.100.10", "203.0.113.5", true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := newGtLAN(t)
			n := l.node("a", tt.self, func(c *carp.Config) { c.TieBreak = tt.rule }).start(t)
			l.runUntil(3500 * time.Millisecond)
			require.Equal(t, carp.StateMaster, n.g.State())
			l.inject(gtCraft{Src: netip.MustParseAddr(tt.peer), AdvBase: 1}.bytes(t))
			sentNow := l.advertsBetween("a", 3500*time.Millisecond, 3500*time.Millisecond)
			cb := n.callbacks(t)
			if !tt.stepDown {
				require.Equal(t, carp.StateMaster, n.g.State())
				require.Len(t, cb, 2)
				require.Empty(t, sentNow)
				return
			}
			require.Equal(t, carp.StateBackup, n.g.State())
			require.Len(t, cb, 3)
			require.Equal(t, gtCall(false, carp.StateMaster, carp.StateBackup, election.ReasonTieBreak, 3500*time.Millisecond, 3), cb[2])
			if tt.farewell {
				require.Len(t, sentNow, 1)
			} else {
				require.Empty(t, sentNow)
			}
		})
	}
}

func TestGroupLink(t *testing.T) {
	l := newGtLAN(t)
	n := l.node("a", "192.0.2.1", nil).start(t)
	l.runUntil(3500 * time.Millisecond)
	require.Equal(t, carp.StateMaster, n.g.State())

	require.NoError(t, n.g.SetLink(false))
	require.Equal(t, carp.StateInit, n.g.State())
	// The port stays up, so anything the group sent would show on the tap.
	l.runUntil(10 * time.Second)
	require.Empty(t, l.advertsBetween("a", 3500*time.Millisecond, 10*time.Second), "no adverts while the link is down")
	require.Equal(t, carp.StateInit, n.g.State())
	require.NoError(t, n.g.SetLink(false), "a second link-down is harmless")

	require.NoError(t, n.g.SetLink(true))
	require.Equal(t, carp.StateBackup, n.g.State(), "BACKUP at once on link up")
	l.runUntil(13*time.Second - time.Nanosecond)
	require.Equal(t, carp.StateBackup, n.g.State())
	l.runUntil(13 * time.Second)
	require.Equal(t, carp.StateMaster, n.g.State(), "MASTER again after master-down")
	ads := l.advertsBetween("a", 10*time.Second, time.Hour)
	require.Len(t, ads, 1)
	require.Equal(t, 13*time.Second, ads[0].at)

	require.Equal(t, []string{
		gtCall(false, carp.StateInit, carp.StateBackup, election.ReasonStart, 0, 1),
		gtCall(true, carp.StateBackup, carp.StateMaster, election.ReasonMasterDown, 3*time.Second, 2),
		gtCall(false, carp.StateMaster, carp.StateInit, election.ReasonLinkDown, 3500*time.Millisecond, 3),
		gtCall(true, carp.StateBackup, carp.StateMaster, election.ReasonMasterDown, 13*time.Second, 5),
	}, n.callbacks(t))
}

// TestGroupDemotePreempt: a demoted master advertises a worse skew at once
// and a preempting backup takes over.
func TestGroupDemotePreempt(t *testing.T) {
	l, a, b := gtPair(t, func(c *carp.Config) { c.AdvSkew, c.Preempt = 50, true })
	require.NoError(t, a.g.SetDemote(100))
	require.Equal(t, uint8(100), a.g.Stats().Demote)

	now := l.advertsBetween("a", 5500*time.Millisecond, 5500*time.Millisecond)
	require.Len(t, now, 1, "a demoted master advertises at once")
	require.Equal(t, uint8(100), now[0].pkt.Advert.AdvSkew)
	require.Zero(t, now[0].pkt.Advert.Demote, "DemoteSkew leaves the demote byte alone")

	// Deliver it: b preempts at once, and a steps down with a farewell.
	l.sim.RunFor(0)
	now = l.advertsBetween("a", 5500*time.Millisecond, 5500*time.Millisecond)
	require.Len(t, now, 2)
	require.Equal(t, uint8(100), now[1].pkt.Advert.AdvSkew)

	require.Equal(t, carp.StateMaster, b.g.State())
	require.Equal(t, carp.StateBackup, a.g.State())
	bcb := b.callbacks(t)
	require.Equal(t, gtCall(true, carp.StateBackup, carp.StateMaster, election.ReasonPreempt, 5500*time.Millisecond, 2), bcb[len(bcb)-1])
	acb := a.callbacks(t)
	require.Equal(t, gtCall(false, carp.StateMaster, carp.StateBackup, election.ReasonBetterMaster, 5500*time.Millisecond, 3), acb[len(acb)-1])

	// Undemoted, a is better again but does not preempt (no Preempt).
	require.NoError(t, a.g.SetDemote(0))
	l.runUntil(20 * time.Second)
	require.Equal(t, carp.StateMaster, b.g.State())
}

func TestGroupDemoteSkewCap(t *testing.T) {
	tests := []struct {
		advskew, demote, want uint8
	}{
		{0, 1, 1},
		{0, 100, 100},
		{20, 100, 120},
		{0, 240, 240},
		{0, 250, 240},
		{200, 100, 240},
		{250, 10, 250}, // never below the configured skew
		{30, 0, 30},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("advskew %d demote %d", tt.advskew, tt.demote), func(t *testing.T) {
			l := newGtLAN(t)
			n := l.node("a", "192.0.2.1", func(c *carp.Config) { c.AdvSkew = tt.advskew }).start(t)
			l.runUntil(4500 * time.Millisecond)
			require.Equal(t, carp.StateMaster, n.g.State())
			require.NoError(t, n.g.SetDemote(tt.demote))
			l.runUntil(10 * time.Second)
			ads := l.advertsBetween("a", 4500*time.Millisecond, time.Hour)
			require.NotEmpty(t, ads)
			for _, s := range ads {
				require.Equal(t, tt.want, s.pkt.Advert.AdvSkew, "at %s", s.at)
				require.Zero(t, s.pkt.Advert.Demote)
			}
			require.Equal(t, tt.demote, n.g.Stats().Demote)
		})
	}
}

func TestGroupDemoteByte(t *testing.T) {
	l := newGtLAN(t)
	n := l.node("a", "192.0.2.1", func(c *carp.Config) { c.Demotion = carp.DemoteByte; c.AdvSkew = 10 }).start(t)
	l.runUntil(4 * time.Second)
	require.NoError(t, n.g.SetDemote(7))
	l.runUntil(6 * time.Second)
	ads := l.advertsBetween("a", 4*time.Second, time.Hour)
	require.NotEmpty(t, ads)
	require.Equal(t, 4*time.Second, ads[0].at, "demotion is advertised at once")
	for _, s := range ads {
		require.Equal(t, uint8(7), s.pkt.Advert.Demote)
		require.Equal(t, uint8(10), s.pkt.Advert.AdvSkew)
	}
}

func TestGroupBowOut(t *testing.T) {
	l, a, b := gtPair(t, nil)

	require.NoError(t, b.g.BowOut(), "BowOut as BACKUP is not an error")
	require.Equal(t, carp.StateBackup, b.g.State())
	require.Empty(t, l.adverts("b"), "and does nothing")

	require.NoError(t, a.g.BowOut())
	require.Equal(t, carp.StateMaster, a.g.State(), "MASTER until b answers")
	bow := l.advertsBetween("a", 5500*time.Millisecond, 5500*time.Millisecond)
	require.Len(t, bow, 1)
	require.Equal(t, uint8(255), bow[0].pkt.Advert.AdvBase)
	require.Equal(t, uint8(255), bow[0].pkt.Advert.AdvSkew)

	l.runUntil(5600 * time.Millisecond)
	st := b.g.Stats()
	require.Equal(t, carp.StateMaster, st.State)
	require.Equal(t, election.ReasonPeerBowOut, st.LastTransition.Reason)
	stagger := st.LastTransition.At.Sub(gtT0.Add(5500 * time.Millisecond))
	require.Positive(t, stagger)
	require.LessOrEqual(t, stagger, 63*time.Millisecond, "the stagger is at most 255/4096 s")

	acb := a.callbacks(t)
	require.Equal(t, gtCall(false, carp.StateMaster, carp.StateBackup, election.ReasonBowOut, st.LastTransition.At.Sub(gtT0), 3), acb[len(acb)-1])
	// a, better but not preempting, stays BACKUP under the new master.
	l.runUntil(30 * time.Second)
	require.Equal(t, carp.StateBackup, a.g.State())
	require.Equal(t, carp.StateMaster, b.g.State())
	require.Equal(t, uint64(3), a.g.Stats().Transitions)
}

// TestGroupStatsMaster: Stats.Master is our own source while we are
// MASTER, even after hearing (and beating) a worse master.
func TestGroupStatsMaster(t *testing.T) {
	l := newGtLAN(t)
	self := netip.MustParseAddr("192.0.2.1")
	n := l.node("a", self.String(), nil).start(t)
	l.runUntil(3500 * time.Millisecond)
	require.Equal(t, self, n.g.Stats().Master)
	l.inject(gtCraft{AdvBase: 1, AdvSkew: 100}.bytes(t))
	st := n.g.Stats()
	require.Equal(t, carp.StateMaster, st.State)
	require.Equal(t, uint64(1), st.AdvertsReceived)
	require.Equal(t, self.String(), st.Master.String(), "we are still the master")
}

// --- 9. Announcer ------------------------------------------------------------

type gtAnnouncer struct {
	sim  *memnet.Sim
	err  error
	mu   sync.Mutex
	at   []time.Duration
	vips [][]netip.Addr
}

func (a *gtAnnouncer) Announce(vips []netip.Addr) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.at = append(a.at, a.sim.Now().Sub(gtT0))
	a.vips = append(a.vips, slices.Clone(vips))
	return a.err
}

func TestGroupAnnouncer(t *testing.T) {
	for _, fail := range []bool{false, true} {
		t.Run(fmt.Sprintf("fail=%v", fail), func(t *testing.T) {
			l := newGtLAN(t)
			ann := &gtAnnouncer{sim: l.sim}
			if fail {
				ann.err = errors.New("no ARP today")
			}
			n := l.node("a", "192.0.2.1", func(c *carp.Config) { c.Announcer = ann }).start(t)
			l.runUntil(10 * time.Second)
			ads := l.adverts("a")
			require.Len(t, ads, 8, "announcer errors do not stop the adverts")
			// ucarp: one at takeover, one more with the advert two
			// adverts after the takeover advert (the 3rd as MASTER).
			require.Equal(t, []time.Duration{3 * time.Second, 5 * time.Second}, ann.at)
			require.Equal(t, ads[0].at, ann.at[0])
			require.Equal(t, ads[2].at, ann.at[1])
			for _, v := range ann.vips {
				require.Equal(t, []netip.Addr{gtVIP}, v)
			}
			st := n.g.Stats()
			require.Equal(t, carp.StateMaster, st.State)
			if fail {
				require.Equal(t, uint64(2), st.AnnounceErrors)
				require.Zero(t, st.Announcements)
			} else {
				require.Equal(t, uint64(2), st.Announcements)
				require.Zero(t, st.AnnounceErrors)
			}
		})
	}
}

// TestGroupAnnouncerReassert: a master hearing a worse master re-announces
// at once and again two adverts later.
func TestGroupAnnouncerReassert(t *testing.T) {
	l := newGtLAN(t)
	ann := &gtAnnouncer{sim: l.sim}
	n := l.node("a", "192.0.2.1", func(c *carp.Config) { c.Announcer = ann }).start(t)
	l.runUntil(10500 * time.Millisecond)
	l.inject(gtCraft{AdvBase: 1, AdvSkew: 100}.bytes(t))
	l.runUntil(20 * time.Second)
	require.Equal(t, carp.StateMaster, n.g.State())
	require.Equal(t, []time.Duration{3 * time.Second, 5 * time.Second, 10500 * time.Millisecond, 12 * time.Second}, ann.at)
}

// --- 10. Send errors ----------------------------------------------------------

var errGtSend = errors.New("gt: send failed")

// gtFlaky fails the next fail Send calls.
type gtFlaky struct {
	transport.Transport
	mu   sync.Mutex
	fail int
}

func (f *gtFlaky) Send(b []byte) error {
	f.mu.Lock()
	if f.fail > 0 {
		f.fail--
		f.mu.Unlock()
		return errGtSend
	}
	f.mu.Unlock()
	return f.Transport.Send(b)
}

func (f *gtFlaky) failNext(n int) {
	f.mu.Lock()
	f.fail = n
	f.mu.Unlock()
}

// gtFlakyMaster runs a lone master whose sends at 4 s, 5 s, ... fail
// fails times, and returns the adverts seen on the wire after 3 s.
func gtFlakyMaster(t *testing.T, fails int, until time.Duration) (*gtLAN, *gtNode, []gtSent) {
	l := newGtLAN(t)
	var flaky *gtFlaky
	n := l.node("a", "192.0.2.1", func(c *carp.Config) {
		flaky = &gtFlaky{Transport: c.Transport}
		c.Transport = flaky
	}).start(t)
	l.runUntil(3500 * time.Millisecond)
	require.Equal(t, carp.StateMaster, n.g.State())
	flaky.failNext(fails)
	l.runUntil(until)
	require.Equal(t, uint64(fails), n.g.Stats().SendErrors)
	return l, n, l.advertsBetween("a", 3500*time.Millisecond, time.Hour)
}

func TestGroupSendErrors(t *testing.T) {
	t.Run("two failures", func(t *testing.T) {
		_, n, ads := gtFlakyMaster(t, 2, 10*time.Second)
		require.NotEmpty(t, ads)
		require.Equal(t, 6*time.Second, ads[0].at)
		for _, s := range ads {
			require.Zero(t, s.pkt.Advert.AdvSkew, "two failures do not demote")
		}
		require.Equal(t, carp.StateMaster, n.g.State())
	})
	t.Run("three failures", func(t *testing.T) {
		_, n, ads := gtFlakyMaster(t, 3, 30*time.Second)
		require.NotEmpty(t, ads)
		require.Equal(t, uint8(240), ads[0].pkt.Advert.AdvSkew, "after three failures the skew is 240")
		require.Equal(t, uint8(1), ads[0].pkt.Advert.AdvBase)
		require.Equal(t, uint8(240), ads[1].pkt.Advert.AdvSkew)
		require.Equal(t, 1937500*time.Microsecond, ads[1].at-ads[0].at, "the interval follows the skew")
		// Three good sends end the suppression.
		last := ads[len(ads)-1]
		require.Zero(t, last.pkt.Advert.AdvSkew, "recovered after three successes")
		require.Equal(t, carp.StateMaster, n.g.State())
	})
}

// TestGroupSendErrorDemotionAdvertisedAtOnce: on the third failure the
// machine asks for an advert with the inflated skew at once, so that a
// better backup can take over now; the group must carry out that action.
func TestGroupSendErrorDemotionAdvertisedAtOnce(t *testing.T) {
	_, _, ads := gtFlakyMaster(t, 3, 10*time.Second)
	require.NotEmpty(t, ads)
	require.Equal(t, 6*time.Second, ads[0].at, "the demoted advert goes out with the third failure")
	require.Equal(t, uint8(240), ads[0].pkt.Advert.AdvSkew)
}

// TestGroupSendErrorsHandover: a master that cannot send for a while is
// replaced by a preempting backup once its adverts carry skew 240.
func TestGroupSendErrorsHandover(t *testing.T) {
	l := newGtLAN(t)
	var flaky *gtFlaky
	a := l.node("a", "192.0.2.1", func(c *carp.Config) {
		flaky = &gtFlaky{Transport: c.Transport}
		c.Transport = flaky
	}).start(t)
	b := l.node("b", "192.0.2.2", func(c *carp.Config) { c.AdvSkew, c.Preempt = 100, true }).start(t)
	l.runUntil(3500 * time.Millisecond)
	require.Equal(t, carp.StateMaster, a.g.State())
	flaky.failNext(3)
	l.runUntil(10 * time.Second)
	require.Equal(t, carp.StateMaster, b.g.State())
	require.Equal(t, carp.StateBackup, a.g.State())
}

// --- 11. Dual stack -------------------------------------------------------------

func TestGroupDualStack(t *testing.T) {
	l := newGtLAN(t)
	vips := []netip.Addr{gtVIP, gtVIP6}
	src4, src6 := netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("fe80::1")
	a := l.node("a", src4.String(), func(c *carp.Config) { c.VIPs, c.Source6 = vips, src6 }).start(t)
	b := l.node("b", "192.0.2.2", func(c *carp.Config) {
		c.VIPs, c.Source6, c.AdvSkew = vips, netip.MustParseAddr("fe80::2"), 100
	}).start(t)
	l.runUntil(10 * time.Second)
	require.Equal(t, carp.StateMaster, a.g.State())
	require.Equal(t, carp.StateBackup, b.g.State())

	ads := l.adverts("a")
	require.Len(t, ads, 16, "one IPv4 and one IPv6 advert per interval, 3 s to 10 s")
	f := wire.Filter{VHID: gtVHID, Signer: gtSigner(t, vips...)}
	for i := 0; i < len(ads); i += 2 {
		v4, v6 := ads[i], ads[i+1]
		at := 3*time.Second + time.Duration(i/2)*time.Second
		require.Equal(t, at, v4.at)
		require.Equal(t, at, v6.at)
		require.Equal(t, src4, v4.pkt.Src)
		require.Equal(t, wire.IPv4Group, v4.pkt.Dst)
		require.Equal(t, src6, v6.pkt.Src)
		require.Equal(t, wire.IPv6Group, v6.pkt.Dst)
		require.Equal(t, uint8(wire.TTL), v6.pkt.TTL)
		require.Equal(t, v4.pkt.Advert, v6.pkt.Advert, "the same advert in both families")
		require.NoError(t, f.Check(&v4.pkt))
		require.NoError(t, f.Check(&v6.pkt))
	}
	require.Equal(t, uint64(16), a.g.Stats().AdvertsSent)
	bst := b.g.Stats()
	require.Equal(t, uint64(16), bst.AdvertsReceived, "the peer accepts both families")
	require.Empty(t, bst.Dropped)

	// a's own adverts in either family, looped back, are its own.
	l.inject(ads[0].raw)
	l.inject(ads[1].raw)
	require.Equal(t, map[string]uint64{wire.DropReason(wire.ErrOwnPacket): 2}, a.g.Stats().Dropped)
}

// TestGroupIPv6Only: with only IPv6 VIPs the group sends IPv6 adverts only
// and a peer accepts them.
func TestGroupIPv6Only(t *testing.T) {
	l := newGtLAN(t)
	vips := []netip.Addr{gtVIP6}
	edit := func(src6 string, skew uint8) func(*carp.Config) {
		return func(c *carp.Config) {
			c.VIPs, c.Source, c.Source6, c.AdvSkew = vips, netip.Addr{}, netip.MustParseAddr(src6), skew
		}
	}
	a := l.node("a", "192.0.2.1", edit("fe80::1", 0)).start(t)
	b := l.node("b", "192.0.2.2", edit("fe80::2", 100)).start(t)
	l.runUntil(10 * time.Second)
	require.Equal(t, carp.StateMaster, a.g.State())
	require.Equal(t, carp.StateBackup, b.g.State())
	ads := l.adverts("a")
	require.Len(t, ads, 8)
	for _, s := range ads {
		require.True(t, s.pkt.Src.Is6())
		require.Equal(t, wire.IPv6Group, s.pkt.Dst)
	}
	require.Equal(t, uint64(8), b.g.Stats().AdvertsReceived)
	require.Equal(t, netip.MustParseAddr("fe80::1"), b.g.Stats().Master)
}

// A Transition says which group changed and who is master, and encodes
// its state and reason as names, in JSON and in slog's JSON handler.
func TestTransitionDescribesItself(t *testing.T) {
	_, a, b := gtPair(t, nil)
	st := b.g.Stats().LastTransition
	require.Equal(t, "lan0", st.Interface)
	require.Equal(t, uint8(gtVHID), st.VHID)
	require.Equal(t, []netip.Addr{gtVIP}, st.VIPs)
	require.Equal(t, carp.StateBackup, st.To)
	ma := a.g.Stats().LastTransition
	require.Equal(t, carp.StateMaster, ma.To)
	require.Equal(t, a.cfg.Source, ma.Master, "a MASTER's master is itself")
	require.Equal(t, a.cfg.Source, b.g.Stats().Master, "the backup knows the master")
	require.Equal(t, "lan0 vhid 42: BACKUP -> MASTER (master down)", ma.String())

	js, err := json.Marshal(ma)
	require.NoError(t, err)
	require.Contains(t, string(js), `"From":"BACKUP","To":"MASTER","Reason":"master down"`)

	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("t", "transition", ma, "state", carp.StateMaster)
	require.Contains(t, buf.String(), `"transition":{"interface":"lan0","vhid":42,"from":"BACKUP","to":"MASTER","reason":"master down","seq":2,"master":"192.0.2.1"}`)
	require.Contains(t, buf.String(), `"state":"MASTER"`)
}

// What SetDemote does in the default mode, as its doc says: the master
// moves only to a backup that preempts and is better once demoted.
func TestGroupDemoteSkewGap(t *testing.T) {
	for _, tt := range []struct {
		demote  uint8
		preempt bool
		moves   bool
	}{
		{1, true, false},
		{50, true, false},
		{100, true, false}, // equal: the ucarp tie-break keeps a (192.0.2.1)
		{101, true, true},
		{101, false, false},
		{240, false, false},
	} {
		t.Run(fmt.Sprintf("demote %d preempt %v", tt.demote, tt.preempt), func(t *testing.T) {
			l, a, b := gtPair(t, func(c *carp.Config) { c.Preempt = tt.preempt })
			require.Equal(t, carp.StateMaster, a.g.State())
			require.NoError(t, a.g.SetDemote(tt.demote))
			l.runUntil(time.Minute)
			if tt.moves {
				require.Equal(t, carp.StateMaster, b.g.State())
				require.Equal(t, carp.StateBackup, a.g.State())
			} else {
				require.Equal(t, carp.StateMaster, a.g.State())
				require.Equal(t, carp.StateBackup, b.g.State())
			}
		})
	}
}

// A simulation's logs carry its virtual time.
func TestGroupLogsVirtualTime(t *testing.T) {
	var buf syncbuf.Buffer
	l := newGtLAN(t)
	n := l.node("a", "192.0.2.1", func(c *carp.Config) {
		c.Logger = slog.New(slog.NewJSONHandler(&buf, nil))
	}).start(t)
	l.runUntil(4 * time.Second)
	require.Equal(t, carp.StateMaster, n.g.State())
	require.Contains(t, buf.String(), `"time":"2026-01-01T00:00:03Z","level":"INFO","msg":"state change","interface":"lan0","vhid":42,"from":"BACKUP","to":"MASTER"`)
}

// WhileMaster runs while the group is MASTER: its ctx ends at the very
// transition that leaves MASTER, and Shutdown waits for it to return.
func TestGroupWhileMaster(t *testing.T) {
	type run struct {
		t   carp.Transition
		ctx context.Context
	}
	runs := make(chan run, 4)
	returned := make(chan struct{}, 4)
	l := newGtLAN(t)
	a := l.node("a", "192.0.2.1", func(c *carp.Config) {
		c.WhileMaster = func(ctx context.Context, tr carp.Transition) {
			runs <- run{tr, ctx}
			<-ctx.Done()
			returned <- struct{}{}
		}
	}).start(t)
	l.runUntil(4 * time.Second)
	require.Equal(t, carp.StateMaster, a.g.State())
	var r run
	select {
	case r = <-runs:
	case <-time.After(5 * time.Second): // correctness bound
		t.Fatal("WhileMaster did not run")
	}
	require.Equal(t, carp.StateMaster, r.t.To)
	require.NoError(t, r.ctx.Err(), "still MASTER")

	// Alone, a bows out and nobody answers: its ctx goes on through the
	// leave (it stays MASTER, see leave_test.go), until it really stops.
	require.NoError(t, a.g.BowOut())
	require.NoError(t, r.ctx.Err(), "still MASTER while leaving")
	l.runUntil(10 * time.Second)
	require.Equal(t, carp.StateMaster, a.g.State())
	require.NoError(t, r.ctx.Err())
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	errc := a.shutdownAsync(t, ctx)
	l.runUntil(20 * time.Second) // nobody answers: given up at the bound
	require.NoError(t, gtResult(t, errc), "Shutdown waits for WhileMaster")
	require.Error(t, r.ctx.Err(), "the ctx ends with mastership")
	require.Len(t, returned, 1, "it had returned when Shutdown did")
	require.Empty(t, runs, "WhileMaster ran once")
}

// Subscribe delivers every transition in order and closes after the last.
func TestGroupSubscribe(t *testing.T) {
	l := newGtLAN(t)
	n := l.node("a", "192.0.2.1", nil)
	events, _ := n.g.Subscribe(16)
	other, unsubscribe := n.g.Subscribe(16)
	n.start(t)
	l.runUntil(4 * time.Second)
	unsubscribe()
	errc := n.shutdownAsync(t, context.Background())
	l.runUntil(10 * time.Second) // alone: nobody takes over
	require.NoError(t, gtResult(t, errc))
	var got []string
	for tr := range events {
		got = append(got, fmt.Sprintf("%s->%s (%s)", tr.From, tr.To, tr.Reason))
	}
	require.Equal(t, []string{
		"INIT->BACKUP (start)",
		"BACKUP->MASTER (master down)",
		"MASTER->BACKUP (no takeover)",
		"BACKUP->STOPPED (stopped)",
	}, got)
	require.Len(t, other, 2, "the cancelled subscription got what came before")
	stopped, _ := n.g.Subscribe(1)
	_, open := <-stopped
	require.False(t, open, "a stopped group's channel is closed")
}

// No MASTER without a sent advert: a group whose link cannot carry its
// first advert (and that nobody told about the carrier) does not take
// over, calls no OnMaster and announces nothing; it tries again each
// interval, and takes over once the link carries the advert.
func TestGroupNoMasterWithoutAdvert(t *testing.T) {
	l := newGtLAN(t)
	n := l.node("a", "192.0.2.1", nil)
	n.port.SetUp(false) // sends fail with transport.ErrLinkDown
	n.start(t)
	l.runUntil(30 * time.Second)
	require.NotEqual(t, carp.StateMaster, n.g.State())
	st := n.g.Stats()
	require.Zero(t, st.AdvertsSent)
	require.Zero(t, st.Announcements)
	for _, c := range n.callbacks(t) {
		require.NotContains(t, c, "OnMaster", "no OnMaster without an advert")
	}
	require.NotContains(t, fmt.Sprint(st.LastTransition), "MASTER")

	n.port.SetUp(true)
	l.runUntil(40 * time.Second)
	require.Equal(t, carp.StateMaster, n.g.State())
	require.NotZero(t, n.g.Stats().AdvertsSent)
	cb := n.callbacks(t)
	require.Contains(t, cb[len(cb)-1], "OnMaster BACKUP->MASTER (master down)")
}
