//go:build linux

package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
	"unsafe"

	"github.com/gocarp/gocarp/internal/lab"
	"golang.org/x/sys/unix"
)

// env is one LAN: the master m, the backup b, the client c (which also
// watches the wire), the adverts and echo replies c has seen, and the
// nodes running on it.
type env struct {
	b    *bench
	lan  *lab.LAN
	tag  string // names log files and configuration directories
	stop func()

	mu      sync.Mutex
	changed chan struct{}
	adverts []advert
	replies []reply
	procs   []*lab.Process
}

// reply is an echo reply from the VIP seen by the client.
type reply struct {
	at  time.Time
	mac net.HardwareAddr
}

func (b *bench) newEnv(ctx context.Context, prefix, tag string) (*env, error) {
	lan, err := lab.NewLAN(ctx, prefix, []lab.Host{
		{Name: "m", Addr: netip.PrefixFrom(masterAddr, 24), MAC: masterMAC},
		{Name: "b", Addr: netip.PrefixFrom(backupAddr, 24), MAC: backupMAC},
		{Name: "c", Addr: netip.PrefixFrom(clientAddr, 24), MAC: clientMAC},
	})
	if err != nil {
		return nil, err
	}
	e := &env{b: b, lan: lan, tag: tag, changed: make(chan struct{})}
	e.stop, err = watch(lan.Namespace("c"), func(f frame, at time.Time) {
		e.mu.Lock()
		defer e.mu.Unlock()
		switch {
		case f.kind == kindAdvert && f.vhid == vhid:
			skew := f.prio
			if f.carp {
				skew = f.advskew
			}
			e.adverts = append(e.adverts, advert{at: at, src: f.src, leaving: f.leaving(), skew: skew, counter: f.counter})
		case f.kind == kindEchoReply && f.src == vip:
			e.replies = append(e.replies, reply{at: at, mac: f.srcMAC})
		default:
			return
		}
		close(e.changed)
		e.changed = make(chan struct{})
	})
	if err != nil {
		_ = lan.Close()
		return nil, err
	}
	return e, nil
}

// close stops every node and removes the LAN.
func (e *env) close() error {
	e.stopNodes()
	e.stop()
	return e.lan.Close()
}

// reset forgets what the client has seen.
func (e *env) reset() {
	e.mu.Lock()
	e.adverts, e.replies = nil, nil
	e.mu.Unlock()
}

// start starts a node on host (m or b) with its output in a log file.
func (e *env) start(impl, host, tag string, argv []string) (*lab.Process, error) {
	path := filepath.Join(e.b.dir, fmt.Sprintf("%s-%s-%s-%s.log", e.tag, impl, tag, host))
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	bw := bufio.NewWriter(f)
	var mu sync.Mutex
	fmt.Fprintf(bw, "%s $ %s\n", time.Now().Format("15:04:05.000000"), strings.Join(argv, " "))
	p, err := lab.StartProcess(e.lan.Namespace(host), impl+"-"+host, argv, func(line string) {
		mu.Lock()
		defer mu.Unlock()
		fmt.Fprintf(bw, "%s %s\n", time.Now().Format("15:04:05.000000"), line)
	})
	if err != nil {
		f.Close()
		return nil, err
	}
	go func() {
		<-p.Done()
		mu.Lock()
		defer mu.Unlock()
		bw.Flush()
		f.Close()
	}()
	e.mu.Lock()
	e.procs = append(e.procs, p)
	e.mu.Unlock()
	return p, nil
}

// stopNodes stops every node (SIGTERM, SIGKILL after 3 s), then kills
// whatever is left in the two hosts' namespaces (keepalived's children,
// a hook script), plugs m's cable back and removes the VIP from both.
func (e *env) stopNodes() {
	e.mu.Lock()
	procs := e.procs
	e.procs = nil
	e.mu.Unlock()
	var wg sync.WaitGroup
	for _, p := range procs {
		wg.Go(func() { p.Stop(syscall.SIGTERM, 3*time.Second) })
	}
	wg.Wait()
	ctx := context.Background()
	for _, h := range []string{"m", "b"} {
		killNamespace(e.lan.Namespace(h))
		_ = e.lan.SetPortUp(ctx, h, true)
		_ = e.lan.DelAddr(ctx, h, vip)
	}
}

// killNamespace sends SIGKILL to every process in the network namespace
// ns (all of them started by this program).
func killNamespace(ns string) []int {
	out, err := exec.Command("ip", "netns", "pids", ns).Output()
	if err != nil {
		return nil
	}
	var pids []int
	for f := range strings.FieldsSeq(string(out)) {
		if pid, err := strconv.Atoi(f); err == nil && pid > 1 && pid != os.Getpid() {
			_ = syscall.Kill(pid, syscall.SIGKILL)
			pids = append(pids, pid)
		}
	}
	return pids
}

// firstAdvert waits for the first advert from src received after t.
func (e *env) firstAdvert(ctx context.Context, src netip.Addr, t time.Time, timeout time.Duration) (advert, error) {
	var out advert
	err := e.waitFor(ctx, timeout, func() bool {
		for _, a := range e.adverts {
			if a.src == src && a.at.After(t) {
				out = a
				return true
			}
		}
		return false
	})
	if err != nil {
		return out, fmt.Errorf("no advert from %s within %v: %w", src, timeout, err)
	}
	return out, nil
}

// firstReply waits for the first echo reply from mac received after t.
func (e *env) firstReply(ctx context.Context, mac net.HardwareAddr, t time.Time, timeout time.Duration) (reply, error) {
	var out reply
	err := e.waitFor(ctx, timeout, func() bool {
		for _, r := range e.replies {
			if slices.Equal(r.mac, mac) && r.at.After(t) {
				out = r
				return true
			}
		}
		return false
	})
	if err != nil {
		return out, fmt.Errorf("no echo reply from %s within %v: %w", mac, timeout, err)
	}
	return out, nil
}

// waitFor waits until cond (called with e.mu held) holds.
func (e *env) waitFor(ctx context.Context, timeout time.Duration, cond func() bool) error {
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	for {
		e.mu.Lock()
		ch := e.changed
		ok := cond()
		e.mu.Unlock()
		if ok {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		case <-timer.C:
			return errors.New("timed out")
		}
	}
}

// lastAdvert is the last advert from src received before t.
func (e *env) lastAdvert(src netip.Addr, t time.Time) (advert, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for i := len(e.adverts) - 1; i >= 0; i-- {
		if a := e.adverts[i]; a.src == src && a.at.Before(t) {
			return a, true
		}
	}
	return advert{}, false
}

// advertsBetween are the adverts received in [from, to).
func (e *env) advertsBetween(from, to time.Time) []advert {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []advert
	for _, a := range e.adverts {
		if !a.at.Before(from) && a.at.Before(to) {
			out = append(out, a)
		}
	}
	return out
}

// watch reads every IPv4 frame arriving on eth0 of the namespace ns
// through an AF_PACKET socket, with its kernel receive timestamp, and
// passes the adverts and echo replies to fn (one goroutine, in order).
// The returned function stops it; fn is not called after it returns.
func watch(ns string, fn func(frame, time.Time)) (func(), error) {
	fd, err := lab.PacketSocket(ns, iface, 100*time.Millisecond, 8<<20, true)
	if err != nil {
		return nil, err
	}
	var stop sync.Once
	stopping := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 2048)
		oob := make([]byte, 128)
		for {
			select {
			case <-stopping:
				return
			default:
			}
			n, oobn, _, from, err := unix.Recvmsg(fd, buf, oob, 0)
			if err != nil {
				continue
			}
			if ll, ok := from.(*unix.SockaddrLinklayer); ok && ll.Pkttype == unix.PACKET_OUTGOING {
				continue
			}
			f, ok := parseFrame(buf[:n])
			if !ok {
				continue
			}
			fn(f, stamp(oob[:oobn]))
		}
	}()
	return func() {
		stop.Do(func() {
			close(stopping)
			<-done
			unix.Close(fd)
		})
	}, nil
}

// stamp is the kernel's receive timestamp in a control message (now if
// there is none).
func stamp(oob []byte) time.Time {
	msgs, err := unix.ParseSocketControlMessage(oob)
	if err == nil {
		for _, m := range msgs {
			if m.Header.Level == unix.SOL_SOCKET && m.Header.Type == unix.SCM_TIMESTAMPNS && len(m.Data) >= int(unsafe.Sizeof(unix.Timespec{})) {
				var ts unix.Timespec
				copy(unsafe.Slice((*byte)(unsafe.Pointer(&ts)), unsafe.Sizeof(ts)), m.Data)
				return time.Unix(ts.Unix())
			}
		}
	}
	return time.Now()
}
