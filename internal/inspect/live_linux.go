package inspect

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"time"

	"github.com/mdlayher/packet"
	"golang.org/x/sys/unix"
)

func live(ctx context.Context, iface string, opts Options, w io.Writer) error {
	e, err := newEngine(opts, w)
	if err != nil {
		return err
	}
	ifi, err := net.InterfaceByName(iface)
	if err != nil {
		return fmt.Errorf("inspect: -i %s: %w", iface, err)
	}
	filter, err := kernelFilter()
	if err != nil {
		return fmt.Errorf("inspect: BPF filter: %w", err)
	}
	// The filter is installed before bind, so nothing else slips in.
	conn, err := packet.Listen(ifi, packet.Datagram, unix.ETH_P_ALL, &packet.Config{Filter: filter})
	if err != nil {
		if errors.Is(err, os.ErrPermission) {
			return fmt.Errorf("inspect: capture on %s needs CAP_NET_RAW (run as root): %w", iface, err)
		}
		return fmt.Errorf("inspect: capture on %s: %w", iface, err)
	}
	defer conn.Close()
	// Best effort: on a bridge or veth everything arrives anyway, and
	// without it the group's own adverts still do when carpd runs here.
	_ = conn.SetPromiscuous(true)

	stop := context.AfterFunc(ctx, func() {
		// Wakes the blocked read; a deadline in the past fails it at once.
		_ = conn.SetReadDeadline(time.Unix(1, 0))
	})
	defer stop()

	buf := make([]byte, filterSnapLen)
	for {
		n, _, err := conn.ReadFrom(buf)
		if ctx.Err() != nil {
			e.finish()
			return nil
		}
		if err != nil {
			return fmt.Errorf("inspect: capture on %s: %w", iface, err)
		}
		e.sum.Packets++
		if err := e.handle(time.Now(), buf[:n], false); err != nil {
			return err
		}
	}
}
