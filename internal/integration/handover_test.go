package integration

import (
	"encoding/binary"
	"encoding/json"
	"net/netip"
	"os/exec"
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gocarp/gocarp/internal/control"
	labnet "github.com/gocarp/gocarp/internal/lab"
	"github.com/gocarp/gocarp/internal/netns"
)

// TestHandoverMakeBeforeBreak: carpd handover GROUP moves the VIP from A
// to B make before break. A client pinging the VIP every 10 ms loses less
// than 100 ms of replies, A reports its MASTER → BACKUP only after B's
// takeover (both daemons' status, one clock: they run on one host), and
// after its bow-out A never sends another advert: never two masters
// advertising (a capture at the client).
func TestHandoverMakeBeforeBreak(t *testing.T) {
	t.Parallel()
	lan := newLAN(t, "hand", 3)
	a, b, client := lan.Hosts[0], lan.Hosts[1], lan.Hosts[2]
	web := netip.MustParseAddr("198.51.100.130")
	// Neither preempts: what moves stays moved. Managed VIPs (the config
	// carries the prefix): carpd adds and removes them itself.
	groups := func(skew int) []configGroup {
		return []configGroup{{vhid: 30, vips: []string{web.String() + "/24"}, advskew: skew, extra: "name = \"web\"\npreempt = false\n"}}
	}
	sockA, sockB := controlPath(t), controlPath(t)
	startProc(t, a, "A", carpdBin, "-f", "none", "--control", sockA, "-c", writeConfig(t, t.TempDir(), groups(0)))
	waitFor(t, "A holds the VIP", func() bool { return a.HasAddr(web) })
	startProc(t, b, "B", carpdBin, "-f", "none", "--control", sockB, "-c", writeConfig(t, t.TempDir(), groups(100)))
	waitFor(t, "B is BACKUP under A", func() bool {
		st, ok := tryStatus(sockB)
		return ok && st.State == "BACKUP" && st.Master == a.Addr.Addr().String()
	})
	capture := client.Capture(t)
	every := 10 * time.Millisecond
	p, err := labnet.StartPinger(client.Namespace, web, every)
	require.NoError(t, err)
	t.Cleanup(func() { p.Stop(0) })
	waitFor(t, "the client reaches the VIP through A", func() bool {
		mac, ok := client.Neighbor(web)
		return p.Outage(time.Time{}, time.Now()).Answered > 10 && ok && mac.String() == a.MAC.String()
	})

	out, err := exec.Command(carpdBin, "handover", "web", "--control", sockA).CombinedOutput()
	require.NoError(t, err, "%s", out)
	require.Regexp(t, `^web: bowed out, handed over to `+regexp.QuoteMeta(b.Addr.Addr().String())+` in [0-9.]+(µs|ms|s)\n$`, string(out))
	waitFor(t, "B holds the VIP, A not", func() bool { return b.HasAddr(web) && !a.HasAddr(web) })
	waitFor(t, "the client reaches the VIP through B", func() bool {
		mac, ok := client.Neighbor(web)
		return ok && mac.String() == b.MAC.String()
	})
	// Long enough for A to advertise again if it were still a master
	// (advbase 1), and for B to have advertised since.
	time.Sleep(stableFor)
	p.Stop(time.Second) // a last second for late replies
	res := p.Outage(time.Time{}, time.Now())
	t.Logf("client: %d echo requests every %v, %d answered, longest run lost %d (%v), longest gap between answered requests %v",
		res.Sent, every, res.Answered, res.MaxLostRun, time.Duration(res.MaxLostRun)*every, res.MaxGap)
	require.Less(t, time.Duration(res.MaxLostRun)*every, 100*time.Millisecond, "client outage")

	sa, sb := statusOf(t, sockA).Groups[0], statusOf(t, sockB).Groups[0]
	require.Equal(t, "BACKUP", sa.State)
	require.Equal(t, "bow out", sa.Reason)
	require.Equal(t, b.Addr.Addr().String(), sa.Master, "A knows B is master")
	require.Equal(t, "MASTER", sb.State)
	require.Equal(t, "peer bow out", sb.Reason)
	require.False(t, sa.Since.Before(sb.Since),
		"make before break: A gave the VIP up (%s) after B took it (%s)", sa.Since.Format(time.StampMicro), sb.Since.Format(time.StampMicro))

	// The adverts of vhid 30 seen by the client, in order.
	var seq []string
	bowOut := -1
	for _, ad := range carpAdverts(capture, 30) {
		who := "?"
		switch ad.src {
		case a.Addr.Addr():
			who = "A"
		case b.Addr.Addr():
			who = "B"
		}
		if ad.advbase == 255 && ad.advskew == 255 {
			who += "-bowout"
			bowOut = len(seq)
		}
		seq = append(seq, who)
	}
	t.Logf("adverts at the client: %v", seq)
	require.GreaterOrEqual(t, bowOut, 0, "A's bow-out advert")
	require.Equal(t, "A-bowout", seq[bowOut])
	after := seq[bowOut+1:]
	require.NotEmpty(t, after)
	for _, w := range after {
		require.Equal(t, "B", w, "after the bow-out only B advertises: %v", seq)
	}
}

// tryStatus is the first group of carpd status --json, false while the
// daemon does not answer yet.
func tryStatus(sock string) (control.GroupStatus, bool) {
	out, err := exec.Command(carpdBin, "status", "--json", "--control", sock).Output()
	if err != nil {
		return control.GroupStatus{}, false
	}
	var s control.Status
	if json.Unmarshal(out, &s) != nil || len(s.Groups) == 0 {
		return control.GroupStatus{}, false
	}
	return s.Groups[0], true
}

// capturedAdvert is a CARP advert recorded by a Capture.
type capturedAdvert struct {
	src              netip.Addr
	vhid             uint8
	advbase, advskew uint8
}

// carpAdverts parses the IPv4 CARP adverts of vhid among c's frames, in
// the order they were recorded.
func carpAdverts(c *netns.Capture, vhid uint8) []capturedAdvert {
	var out []capturedAdvert
	for _, f := range c.Frames(func([]byte) bool { return true }) {
		if len(f) < 14+20+36 || binary.BigEndian.Uint16(f[12:]) != 0x0800 {
			continue
		}
		ip := f[14:]
		ihl := int(ip[0]&0x0f) * 4
		if ip[9] != 112 || len(ip) < ihl+36 {
			continue
		}
		carp := ip[ihl:]
		if carp[1] != vhid {
			continue
		}
		out = append(out, capturedAdvert{src: netip.AddrFrom4([4]byte(ip[12:16])), vhid: carp[1], advskew: carp[2], advbase: carp[5]})
	}
	return out
}
