//go:build linux

package lab

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"sync"
	"time"
	"unsafe"

	"github.com/gocarp/gocarp/wire"
	"golang.org/x/sys/unix"
)

// Advert is one CARP advertisement seen on the wire by a Watcher.
type Advert struct {
	// Time is the kernel's receive timestamp.
	Time time.Time
	// Src is the IP source address, SrcMAC the Ethernet one.
	Src    netip.Addr
	SrcMAC net.HardwareAddr
	// VHID, AdvBase and AdvSkew are copied from the CARP header.
	VHID, AdvBase, AdvSkew uint8
}

// BowOut reports whether a is the farewell advert (advbase and advskew 255)
// a master sends when it leaves on purpose.
func (a Advert) BowOut() bool { return a.AdvBase == 255 && a.AdvSkew == 255 }

// Watcher reports the CARP adverts (IPv4) arriving on eth0 of a namespace,
// with kernel timestamps, through an AF_PACKET socket: no tcpdump needed.
type Watcher struct {
	f    *os.File
	done chan struct{}
	once sync.Once
}

// WatchAdverts starts watching eth0 in the namespace ns. fn is called for
// every advert, from one goroutine, in arrival order; it must not block long.
func WatchAdverts(ns string, fn func(Advert)) (*Watcher, error) {
	var fd int
	err := InNamespace(ns, func() error {
		ifi, err := net.InterfaceByName(Interface)
		if err != nil {
			return err
		}
		fd, err = unix.Socket(unix.AF_PACKET, unix.SOCK_RAW|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, int(htons(unix.ETH_P_IP)))
		if err != nil {
			return err
		}
		if err := unix.Bind(fd, &unix.SockaddrLinklayer{Protocol: htons(unix.ETH_P_IP), Ifindex: ifi.Index}); err != nil {
			unix.Close(fd)
			return err
		}
		if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_TIMESTAMPNS, 1); err != nil {
			unix.Close(fd)
			return err
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("lab: packet socket in %s: %w", ns, err)
	}
	w := &Watcher{f: os.NewFile(uintptr(fd), "carp-watch-"+ns), done: make(chan struct{})}
	rc, err := w.f.SyscallConn()
	if err != nil {
		w.f.Close()
		return nil, err
	}
	go func() {
		defer close(w.done)
		buf := make([]byte, 2048)
		oob := make([]byte, 128)
		for {
			var n, oobn int
			var rerr error
			err := rc.Read(func(fd uintptr) bool {
				n, oobn, _, _, rerr = unix.Recvmsg(int(fd), buf, oob, 0)
				return !errors.Is(rerr, unix.EAGAIN)
			})
			if err != nil { // closed
				return
			}
			if rerr != nil {
				continue
			}
			if a, ok := parseFrame(buf[:n], oob[:oobn]); ok {
				fn(a)
			}
		}
	}()
	return w, nil
}

// Close stops the watcher; fn is not called after Close returns.
func (w *Watcher) Close() error {
	var err error
	w.once.Do(func() {
		err = w.f.Close()
		<-w.done
	})
	return err
}

// parseFrame decodes an Ethernet frame read from the packet socket (which
// includes the link header) and its timestamp control message.
func parseFrame(frame, oob []byte) (Advert, bool) {
	const ethLen = 14
	if len(frame) < ethLen {
		return Advert{}, false
	}
	var p wire.Packet
	if err := p.UnmarshalBinary(frame[ethLen:]); err != nil {
		return Advert{}, false
	}
	a := Advert{
		Time:    time.Now(),
		Src:     p.Src,
		SrcMAC:  net.HardwareAddr(append([]byte(nil), frame[6:12]...)),
		VHID:    p.Advert.VHID,
		AdvBase: p.Advert.AdvBase,
		AdvSkew: p.Advert.AdvSkew,
	}
	if msgs, err := unix.ParseSocketControlMessage(oob); err == nil {
		for _, m := range msgs {
			if m.Header.Level == unix.SOL_SOCKET && m.Header.Type == unix.SCM_TIMESTAMPNS && len(m.Data) >= int(unsafe.Sizeof(unix.Timespec{})) {
				var ts unix.Timespec
				copy(unsafe.Slice((*byte)(unsafe.Pointer(&ts)), unsafe.Sizeof(ts)), m.Data)
				a.Time = time.Unix(ts.Unix())
			}
		}
	}
	return a, true
}

// htons puts v in network byte order, as the packet socket calls want.
func htons(v uint16) uint16 {
	return binary.NativeEndian.Uint16(binary.BigEndian.AppendUint16(nil, v))
}
