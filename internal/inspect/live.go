package inspect

import (
	"context"
	"errors"
	"io"
)

// ErrLiveUnsupported is returned by Live where there is no AF_PACKET
// socket (every OS but Linux).
var ErrLiveUnsupported = errors.New("inspect: live capture needs Linux (AF_PACKET); capture with tcpdump -w and read the file instead")

// Live captures on the interface iface and writes a line per CARP packet
// to w, as ReadPcap does, until ctx ends; it then returns nil. It needs
// CAP_NET_RAW (an error matching os.ErrPermission otherwise).
//
// It sees CARP on any link type: the socket is cooked (SOCK_DGRAM), so
// packets arrive without their link header, and a kernel filter passes
// only IPv4 protocol 112 and IPv6 next header 112. The interface is put
// in promiscuous mode while it runs, as tcpdump does, so that adverts to
// a multicast group nobody on the host joined, or to a unicast peer, are
// seen too; the kernel undoes it when the socket closes. Timestamps are
// the time of reading.
func Live(ctx context.Context, iface string, opts Options, w io.Writer) error {
	return live(ctx, iface, opts, w)
}
