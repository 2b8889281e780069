//go:build linux

package lab

import (
	"fmt"
	"net"
	"time"

	"golang.org/x/sys/unix"
)

// PacketSocket opens, in the network namespace ns, an AF_PACKET socket
// bound to iface that reads IPv4 frames (IP header first): the benchmarks'
// observers. Its blocking reads give up after readTimeout, so that a reader
// can look at its stop flag; its receive buffer is rcvbuf bytes
// (SO_RCVBUFFORCE: a burst of adverts overflows the default); with stamps,
// each read carries the kernel's receive time (SO_TIMESTAMPNS). The
// caller closes the descriptor.
func PacketSocket(ns, iface string, readTimeout time.Duration, rcvbuf int, stamps bool) (int, error) {
	fd := -1
	proto := htons(unix.ETH_P_IP)
	err := InNamespace(ns, func() error {
		ifi, err := net.InterfaceByName(iface)
		if err != nil {
			return err
		}
		if fd, err = unix.Socket(unix.AF_PACKET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, int(proto)); err != nil {
			return err
		}
		return unix.Bind(fd, &unix.SockaddrLinklayer{Protocol: proto, Ifindex: ifi.Index})
	})
	if err == nil && stamps {
		err = unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_TIMESTAMPNS, 1)
	}
	if err == nil {
		tv := unix.NsecToTimeval(readTimeout.Nanoseconds())
		err = unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv)
	}
	if err == nil {
		err = unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, rcvbuf)
	}
	if err != nil {
		if fd >= 0 {
			unix.Close(fd)
		}
		return -1, fmt.Errorf("packet socket in %s: %w", ns, err)
	}
	return fd, nil
}
