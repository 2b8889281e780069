package netns

import (
	"net"
	"sync"
	"testing"

	"github.com/mdlayher/packet"
	"golang.org/x/sys/unix"
)

// Capture records every frame arriving at (or leaving) a host's LAN
// interface, as tcpdump would, until the test ends.
type Capture struct {
	mu     sync.Mutex
	frames [][]byte
}

// Capture starts recording the frames on h's interface; it stops in
// t.Cleanup.
func (h *Host) Capture(t testing.TB) *Capture {
	t.Helper()
	var (
		pc  *packet.Conn
		err error
	)
	h.Run(t, func() {
		ifi, ierr := net.InterfaceByName(h.Interface)
		if ierr != nil {
			err = ierr
			return
		}
		pc, err = packet.Listen(ifi, packet.Raw, unix.ETH_P_ALL, nil)
	})
	if err != nil {
		t.Fatalf("netns: capture on %s: %v", h.Namespace, err)
	}
	c := &Capture{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 1<<16)
		for {
			n, _, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			c.mu.Lock()
			c.frames = append(c.frames, append([]byte(nil), buf[:n]...))
			c.mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		_ = pc.Close()
		<-done
	})
	return c
}

// Frames returns the frames recorded so far for which match reports true
// (every frame when match is nil), in arrival order.
func (c *Capture) Frames(match func(frame []byte) bool) [][]byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out [][]byte
	for _, f := range c.frames {
		if match == nil || match(f) {
			out = append(out, f)
		}
	}
	return out
}
