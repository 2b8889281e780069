//go:build linux

package lab

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/vishvananda/netns"
	"golang.org/x/net/icmp"
	"golang.org/x/net/ipv4"
)

// InNamespace runs fn on an OS thread switched into the named network
// namespace. Sockets fn opens stay in that namespace after it returns. If the
// thread cannot be switched back it stays locked, so Go retires it.
func InNamespace(ns string, fn func() error) error {
	runtime.LockOSThread()
	orig, err := netns.Get()
	if err != nil {
		runtime.UnlockOSThread()
		return fmt.Errorf("lab: current namespace: %w", err)
	}
	defer orig.Close()
	target, err := netns.GetFromName(ns)
	if err != nil {
		runtime.UnlockOSThread()
		return fmt.Errorf("lab: namespace %s: %w", ns, err)
	}
	defer target.Close()
	if err := netns.Set(target); err != nil {
		runtime.UnlockOSThread()
		return fmt.Errorf("lab: entering %s: %w", ns, err)
	}
	ferr := fn()
	if err := netns.Set(orig); err != nil {
		return errors.Join(ferr, fmt.Errorf("lab: leaving %s: %w", ns, err))
	}
	runtime.UnlockOSThread()
	return ferr
}

// sysctl sets net.* sysctls ("net.ipv6.conf.all.disable_ipv6=1") inside ns:
// /proc/sys/net shows the namespace of the thread that opens it.
func sysctl(_ context.Context, ns string, settings ...string) error {
	return InNamespace(ns, func() error {
		for _, s := range settings {
			key, value, ok := strings.Cut(s, "=")
			if !ok || !strings.HasPrefix(key, "net.") {
				return fmt.Errorf("%w: sysctl %q", ErrUsage, s)
			}
			path := filepath.Join("/proc/sys", strings.ReplaceAll(key, ".", "/"))
			if err := os.WriteFile(path, []byte(value), 0); err != nil {
				return fmt.Errorf("lab: sysctl in %s: %w", ns, err)
			}
		}
		return nil
	})
}

// Ping sends one ICMP echo request from the namespace ns to dst and waits up
// to timeout for the reply; it returns the round-trip time. It needs no ping
// binary.
func Ping(ctx context.Context, ns string, dst netip.Addr, timeout time.Duration) (time.Duration, error) {
	var conn *icmp.PacketConn
	err := InNamespace(ns, func() error {
		var err error
		conn, err = icmp.ListenPacket("ip4:icmp", "0.0.0.0")
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("lab: ICMP socket in %s: %w", ns, err)
	}
	defer conn.Close()
	deadline := time.Now().Add(timeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	stop := context.AfterFunc(ctx, func() { _ = conn.SetReadDeadline(time.Now()) })
	defer stop()
	if err := conn.SetReadDeadline(deadline); err != nil {
		return 0, err
	}
	id, seq := os.Getpid()&0xffff, int(time.Now().UnixNano()&0x7fff)
	msg := icmp.Message{Type: ipv4.ICMPTypeEcho, Body: &icmp.Echo{ID: id, Seq: seq, Data: []byte("carpd lab")}}
	b, err := msg.Marshal(nil)
	if err != nil {
		return 0, err
	}
	start := time.Now()
	if _, err := conn.WriteTo(b, &net.IPAddr{IP: dst.AsSlice()}); err != nil {
		return 0, fmt.Errorf("lab: ping %s: %w", dst, err)
	}
	buf := make([]byte, 1500)
	for {
		n, from, err := conn.ReadFrom(buf)
		if err != nil {
			if ctx.Err() != nil {
				return 0, ctx.Err()
			}
			return 0, fmt.Errorf("lab: ping %s: no reply within %v", dst, timeout)
		}
		src, ok := from.(*net.IPAddr)
		if !ok || !src.IP.Equal(dst.AsSlice()) {
			continue
		}
		m, err := icmp.ParseMessage(1, buf[:n])
		if err != nil || m.Type != ipv4.ICMPTypeEchoReply {
			continue
		}
		if e, ok := m.Body.(*icmp.Echo); ok && e.ID == id && e.Seq == seq {
			return time.Since(start), nil
		}
	}
}
