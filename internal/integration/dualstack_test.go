package integration

import (
	"bytes"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"regexp"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/net/icmp"
	"golang.org/x/net/ipv4"
	"golang.org/x/net/ipv6"

	"github.com/gocarp/gocarp/internal/netns"
)

var (
	dsVIP4 = netip.MustParseAddr("198.51.100.100")
	dsVIP6 = netip.MustParseAddr("2001:db8::100")
)

// pinger sends an ICMP echo request to dst every 10 ms from a host's
// namespace and records when each is answered.
type pinger struct {
	dst  netip.Addr
	conn *icmp.PacketConn
	id   int

	mu      sync.Mutex
	sent    map[int]time.Time // seq -> send time
	replies []pingReply
	stop    chan struct{}
	done    sync.WaitGroup
}

type pingReply struct{ sent, at time.Time }

func startPinger(t *testing.T, h *netns.Host, dst netip.Addr) *pinger {
	t.Helper()
	p := &pinger{dst: dst, id: (os.Getpid() + int(dst.As16()[15])) & 0xffff, sent: map[int]time.Time{}, stop: make(chan struct{})}
	h.Run(t, func() {
		var err error
		if dst.Is4() {
			p.conn, err = icmp.ListenPacket("ip4:icmp", "0.0.0.0")
		} else {
			p.conn, err = icmp.ListenPacket("ip6:ipv6-icmp", "::")
		}
		require.NoError(t, err)
	})
	p.done.Add(2)
	go p.send()
	go p.receive()
	t.Cleanup(func() {
		close(p.stop)
		_ = p.conn.Close()
		p.done.Wait()
	})
	return p
}

func (p *pinger) send() {
	defer p.done.Done()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	typ := icmp.Type(ipv4.ICMPTypeEcho)
	if p.dst.Is6() {
		typ = ipv6.ICMPTypeEchoRequest
	}
	for seq := 1; ; seq++ {
		msg := icmp.Message{Type: typ, Body: &icmp.Echo{ID: p.id, Seq: seq & 0xffff, Data: []byte("gocarp")}}
		b, _ := msg.Marshal(nil)
		p.mu.Lock()
		p.sent[seq&0xffff] = time.Now()
		p.mu.Unlock()
		_, _ = p.conn.WriteTo(b, &net.IPAddr{IP: p.dst.AsSlice()})
		select {
		case <-p.stop:
			return
		case <-tick.C:
		}
	}
}

func (p *pinger) receive() {
	defer p.done.Done()
	proto, reply := 1, icmp.Type(ipv4.ICMPTypeEchoReply)
	if p.dst.Is6() {
		proto, reply = 58, ipv6.ICMPTypeEchoReply
	}
	buf := make([]byte, 1500)
	for {
		n, from, err := p.conn.ReadFrom(buf)
		if err != nil {
			return // closed
		}
		m, err := icmp.ParseMessage(proto, buf[:n])
		if err != nil || m.Type != reply || from.String() != p.dst.String() {
			continue
		}
		if e, ok := m.Body.(*icmp.Echo); ok && e.ID == p.id {
			p.mu.Lock()
			if s, ok := p.sent[e.Seq]; ok {
				p.replies = append(p.replies, pingReply{sent: s, at: time.Now()})
			}
			p.mu.Unlock()
		}
	}
}

// firstReplyAfter returns when the first request sent after t0 was
// answered, or false.
func (p *pinger) firstReplyAfter(t0 time.Time) (time.Time, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, r := range p.replies {
		if r.sent.After(t0) {
			return r.at, true
		}
	}
	return time.Time{}, false
}

// TestDualStack fails a group with an IPv4 and an IPv6 VIP over, with a
// client pinging both: the client's neighbour cache follows the VIPs to
// the new master, and answers resume at the protocol's bound, plus the
// announcement. Once with managed VIPs, once with ucarp-style up/down
// scripts (which add the IPv6 VIP with nodad, as the example scripts
// say), and once with scripts that leave duplicate address detection on,
// where carpd announces the VIP again when it becomes usable.
func TestDualStack(t *testing.T) {
	for _, tt := range []struct {
		name   string
		manage bool
		nodad  bool
	}{
		{"ManagedVIPs", true, true},
		{"Scripts", false, true},
		{"ScriptsWithDAD", false, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			testDualStack(t, tt.manage, tt.nodad)
		})
	}
}

func testDualStack(t *testing.T, manage, nodad bool) {
	lan := newLAN(t, "ds", 3)
	a, b, client := lan.Hosts[0], lan.Hosts[1], lan.Hosts[2]
	require.NoError(t, client.AddrAdd(netip.MustParsePrefix("2001:db8::3/64")))
	ip, err := exec.LookPath("ip")
	require.NoError(t, err)
	extra := "manage_vips = true\n"
	if !manage {
		dad := " nodad"
		if !nodad {
			dad = ""
			for _, h := range []*netns.Host{a, b} {
				h.Exec(t, "sysctl", "-qw", "net.ipv6.conf.eth0.accept_dad=1")
			}
		}
		// ucarp's arguments: $1 interface, $2 one VIP.
		dir := t.TempDir()
		up := dir + "/up"
		down := dir + "/down"
		body := func(op, flags string) string {
			return fmt.Sprintf("#!/bin/sh\ncase \"$2\" in *:*) len=64 ;; *) len=24 ;; esac\n%s addr %s \"$2/$len\" dev \"$1\"%s 2>/dev/null\nexit 0\n", ip, op, flags)
		}
		require.NoError(t, os.WriteFile(up, []byte(body("add", dad)), 0o755))
		require.NoError(t, os.WriteFile(down, []byte(body("del", "")), 0o755))
		extra = fmt.Sprintf("manage_vips = false\nup_script = %q\ndown_script = %q\n", up, down)
	}
	groups := func(skew int) []configGroup {
		return []configGroup{{vhid: 42, vips: []string{dsVIP4.String() + "/24", dsVIP6.String() + "/64"}, advskew: skew, extra: extra}}
	}
	pa := startProc(t, a, "A", carpdBin, "-f", "none", "--control", controlPath(t), "-c", writeConfig(t, t.TempDir(), groups(0)))
	pb := startProc(t, b, "B", carpdBin, "-f", "none", "--control", controlPath(t), "-c", writeConfig(t, t.TempDir(), groups(100)))
	waitFor(t, "A holds both VIPs", func() bool {
		return a.HasAddr(dsVIP4) && a.HasAddr(dsVIP6) && !b.HasAddr(dsVIP4) && !b.HasAddr(dsVIP6)
	})
	p4, p6 := startPinger(t, client, dsVIP4), startPinger(t, client, dsVIP6)
	reaches := func(h *netns.Host) func() bool {
		return func() bool {
			now := time.Now().Add(-50 * time.Millisecond)
			_, ok4 := p4.firstReplyAfter(now)
			_, ok6 := p6.firstReplyAfter(now)
			m4, _ := client.Neighbor(dsVIP4)
			m6, _ := client.Neighbor(dsVIP6)
			return ok4 && ok6 && bytes.Equal(m4, h.MAC) && bytes.Equal(m6, h.MAC)
		}
	}
	waitFor(t, "the client reaches both VIPs at A", reaches(a))

	// A dies (SIGKILL and the cable); B takes over both VIPs.
	pa.signal(t, syscall.SIGKILL)
	pa.waitExit(t)
	require.NoError(t, a.SetPortUp(false))
	// From here on A cannot answer (it still holds the VIPs: SIGKILL).
	killed := time.Now()
	waitFor(t, "the client reaches both VIPs at B", reaches(b))
	bound := 3*time.Second + 100*time.Second/256
	r4, _ := p4.firstReplyAfter(killed)
	r6, _ := p6.firstReplyAfter(killed)
	t.Logf("answers resumed %v (IPv4) and %v (IPv6) after the kill; bound %v", r4.Sub(killed), r6.Sub(killed), bound)
	if nodad {
		// The slack is for a busy test machine, not the protocol.
		require.Less(t, r4.Sub(killed), bound+100*time.Millisecond+time.Second)
		require.Less(t, r6.Sub(killed), bound+100*time.Millisecond+time.Second)
	} else {
		pb.waitOutput(t, regexp.MustCompile(`announced a VIP that left duplicate address detection.*vip=2001:db8::100`))
	}
}

// TestIPv6CommandLine: the ucarp command line with only an IPv6 VIP (no
// -s): carpd runs on ff02::12 from the link-local address, and the VIP
// moves when the master dies.
func TestIPv6CommandLine(t *testing.T) {
	t.Parallel()
	lan := newLAN(t, "v6cli", 2)
	a, b := lan.Hosts[0], lan.Hosts[1]
	args := func(skew string) []string {
		return []string{"-i", "eth0", "-v", "6", "-p", defaultPass, "-a", dsVIP6.String() + "/64",
			"-k", skew, "-P", "--manage-vips", "-f", "none"}
	}
	pa := startProc(t, a, "A", carpdBin, args("0")...)
	startProc(t, b, "B", carpdBin, args("100")...)
	waitFor(t, "A holds the IPv6 VIP", func() bool { return a.HasAddr(dsVIP6) && !b.HasAddr(dsVIP6) })
	for _, p := range mustAddrs(t, a) {
		if p.Addr() == dsVIP6 {
			require.Equal(t, 64, p.Bits(), "-a ADDR/LEN gives the prefix")
		}
	}
	pa.signal(t, syscall.SIGKILL)
	pa.waitExit(t)
	require.NoError(t, a.SetPortUp(false))
	waitFor(t, "B holds the IPv6 VIP", func() bool { return b.HasAddr(dsVIP6) })
}
