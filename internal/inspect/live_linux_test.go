package inspect_test

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/gocarp/gocarp/internal/syncbuf"

	"github.com/mdlayher/packet"
	"github.com/stretchr/testify/require"

	"github.com/gocarp/gocarp/internal/inspect"
	"github.com/gocarp/gocarp/internal/netns"
	"github.com/gocarp/gocarp/wire"
)

// syncBuffer is written by Live and read by the test.
type syncBuffer = syncbuf.Buffer

// TestLiveNetns: host 0 inspects its eth0 while host 1 sends IPv4 and
// IPv6 adverts and two decoys; only the adverts are printed. The decoy
// sent as EtherType ARP holds a valid CARP packet: on the cooked socket
// only the kernel filter's EtherType check can keep it out.
func TestLiveNetns(t *testing.T) {
	netns.Available(t)
	lan := netns.NewLAN(t, "insp", 2)
	watcher, sender := lan.Hosts[0], lan.Hosts[1]
	ll, err := sender.LinkLocal()
	require.NoError(t, err)

	v4, err := wire.AppendIPv4(nil, sender.Addr.Addr(), wire.IPv4Group, 1, signedAdvert(t, 7, 5))
	require.NoError(t, err)
	v6, err := wire.AppendIPv6(nil, ll, wire.IPv6Group, signedAdvert(t, 7, 6))
	require.NoError(t, err)
	udp, err := wire.AppendIPv4(nil, sender.Addr.Addr(), wire.IPv4Group, 1, signedAdvert(t, 7, 7))
	require.NoError(t, err)
	udp[9] = 17 // same bytes, another protocol: must be filtered out
	udp[10], udp[11] = 0, 0
	csum := wire.Checksum(udp[:20])
	udp[10], udp[11] = byte(csum>>8), byte(csum)

	decoy, err := wire.AppendIPv4(nil, sender.Addr.Addr(), wire.IPv4Group, 1, signedAdvert(t, 7, 8))
	require.NoError(t, err)

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	out := &syncBuffer{}
	done := make(chan error, 1)
	go watcher.Run(t, func() {
		done <- inspect.Live(ctx, netns.Interface, inspect.Options{Password: synthPass, VIPs: synthVIPs}, out)
	})

	wantV4 := sender.Addr.Addr().String() + " > 224.0.0.18 ttl 255 CARPv2 advert vhid 7 advbase 2 advskew 100 demote 3 counter 0000000000000005 cksum ok auth ok"
	wantV6 := ll.String() + " > ff02::12 ttl 255 CARPv2 advert vhid 7 advbase 2 advskew 100 demote 3 counter 0000000000000006 cksum ok auth ok"
	sender.Run(t, func() {
		ifi, err := net.InterfaceByName(netns.Interface)
		require.NoError(t, err)
		c4, err := packet.Listen(ifi, packet.Datagram, 0x0800, nil)
		require.NoError(t, err)
		defer c4.Close()
		c6, err := packet.Listen(ifi, packet.Datagram, 0x86dd, nil)
		require.NoError(t, err)
		defer c6.Close()
		arp, err := packet.Listen(ifi, packet.Datagram, 0x0806, nil)
		require.NoError(t, err)
		defer arp.Close()
		mc4 := &packet.Addr{HardwareAddr: net.HardwareAddr{0x01, 0x00, 0x5e, 0, 0, 0x12}}
		mc6 := &packet.Addr{HardwareAddr: net.HardwareAddr{0x33, 0x33, 0, 0, 0, 0x12}}
		// Live's socket opens at some point: send until both are seen.
		for !strings.Contains(out.String(), wantV4) || !strings.Contains(out.String(), wantV6) {
			require.NoError(t, ctx.Err(), "adverts not seen; got:\n%s", out.String())
			_, err := c4.WriteTo(udp, mc4)
			require.NoError(t, err)
			_, err = arp.WriteTo(decoy, mc4)
			require.NoError(t, err)
			_, err = c4.WriteTo(v4, mc4)
			require.NoError(t, err)
			_, err = c6.WriteTo(v6, mc6)
			require.NoError(t, err)
			time.Sleep(50 * time.Millisecond)
		}
	})
	cancel()
	select {
	case err := <-done:
		require.NoError(t, err, "Live returns nil when its context ends")
	case <-time.After(5 * time.Second):
		t.Fatal("Live did not return after cancel")
	}
	for line := range strings.Lines(out.String()) {
		line = strings.TrimSuffix(line, "\n")
		_, rest, _ := strings.Cut(line, " ") // drop the timestamp
		require.Contains(t, []string{wantV4, wantV6}, rest)
		ts, _, _ := strings.Cut(line, " ")
		_, err := time.Parse(time.RFC3339Nano, ts)
		require.NoError(t, err)
	}
}
