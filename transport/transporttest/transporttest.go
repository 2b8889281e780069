package transporttest

import (
	"encoding/binary"
	"net/netip"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gocarp/gocarp/transport"
)

// WaitTimeout bounds every wait in the suite. It is a correctness deadline,
// not a timing assertion: a conforming transport meets it with a wide margin.
const WaitTimeout = 5 * time.Second

// MakeFunc returns a fresh pair of transports on one link, both open and not
// yet listening, and a flush function that lets packets in flight arrive
// (run a simulator, or sleep briefly for a real link). The suite closes both
// transports when each test ends.
type MakeFunc func(t *testing.T) (a, b transport.Transport, flush func())

// Run runs the conformance suite against the transports made by mk, one
// fresh pair per subtest. Transports must not deliver a packet to its own
// sender unless they implement transport.Addresser; the suite only counts
// packets at the other end.
func Run(t *testing.T, mk func(t *testing.T) (a, b transport.Transport, flush func())) {
	t.Helper()
	tests := []struct {
		name string
		fn   func(t *testing.T, mk MakeFunc)
	}{
		{"DeliverAToB", testDeliver(false)},
		{"DeliverBToA", testDeliver(true)},
		{"SenderBufferReuse", testSenderBufferReuse},
		{"HandlerBufferReuse", testHandlerBufferReuse},
		{"HandlerNotConcurrent", testHandlerNotConcurrent},
		{"SendAfterClose", testSendAfterClose},
		{"CloseIdempotent", testCloseIdempotent},
		{"NoDeliveryAfterClose", testNoDeliveryAfterClose},
		{"InFlightDroppedOnClose", testInFlightDroppedOnClose},
		{"ListenTwice", testListenTwice},
		{"ListenAfterClose", testListenAfterClose},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.fn(t, mk) })
	}
}

// pair calls mk and registers the cleanup.
func pair(t *testing.T, mk MakeFunc) (a, b transport.Transport, flush func()) {
	t.Helper()
	a, b, flush = mk(t)
	require.NotNil(t, a)
	require.NotNil(t, b)
	require.NotNil(t, flush)
	t.Cleanup(func() {
		_ = a.Close()
		_ = b.Close()
	})
	return a, b, flush
}

// waitFor calls flush until cond holds or WaitTimeout passes.
func waitFor(t *testing.T, flush func(), cond func() bool, msg string) {
	t.Helper()
	deadline := time.Now().Add(WaitTimeout)
	for {
		flush()
		if cond() {
			return
		}
		if time.Now().After(deadline) {
			require.FailNow(t, "timed out waiting: "+msg)
		}
		time.Sleep(time.Millisecond)
	}
}

// settle gives packets that should not arrive a fair chance to do so.
func settle(flush func()) {
	for range 5 {
		flush()
		time.Sleep(2 * time.Millisecond)
	}
}

// recorder is a Handler that keeps a copy of every packet, and notes any
// overlapping calls and calls made after it was marked closed.
type recorder struct {
	mu       sync.Mutex
	pkts     [][]byte
	inFlight atomic.Int32
	overlap  atomic.Bool
	closed   atomic.Bool
	late     atomic.Int32 // calls after closed was set
	hold     time.Duration
}

func (r *recorder) handle(pkt []byte) {
	if r.inFlight.Add(1) > 1 {
		r.overlap.Store(true)
	}
	defer r.inFlight.Add(-1)
	if r.closed.Load() {
		r.late.Add(1)
	}
	c := append([]byte(nil), pkt...)
	r.mu.Lock()
	r.pkts = append(r.pkts, c)
	r.mu.Unlock()
	if r.hold > 0 {
		// Widen the window in which a second, concurrent call would be seen.
		time.Sleep(r.hold)
	}
}

func (r *recorder) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.pkts)
}

func (r *recorder) packets() [][]byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([][]byte(nil), r.pkts...)
}

func testDeliver(reverse bool) func(t *testing.T, mk MakeFunc) {
	return func(t *testing.T, mk MakeFunc) {
		tests := []struct {
			name string
			pkt  []byte
		}{
			{"IPv4", IPv4Packet(netip.MustParseAddr("192.0.2.1"), 1)},
			{"IPv6", IPv6Packet(netip.MustParseAddr("fe80::1"), 2)},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				a, b, flush := pair(t, mk)
				if reverse {
					a, b = b, a
				}
				var rb, ra recorder
				require.NoError(t, b.Listen(rb.handle))
				require.NoError(t, a.Listen(ra.handle))
				require.NoError(t, a.Send(tt.pkt))
				waitFor(t, flush, func() bool { return rb.count() >= 1 }, "packet to arrive")
				settle(flush)
				require.Equal(t, [][]byte{tt.pkt}, rb.packets(), "exactly the sent packet, intact")
			})
		}
	}
}

func testSenderBufferReuse(t *testing.T, mk MakeFunc) {
	a, b, flush := pair(t, mk)
	var rb recorder
	require.NoError(t, b.Listen(rb.handle))
	src := netip.MustParseAddr("192.0.2.1")
	buf := IPv4Packet(src, 1)
	want1 := append([]byte(nil), buf...)
	require.NoError(t, a.Send(buf))
	// Send must not keep buf: overwrite it at once with the next packet.
	copy(buf, IPv4Packet(src, 2))
	want2 := append([]byte(nil), buf...)
	require.NoError(t, a.Send(buf))
	clear(buf)
	waitFor(t, flush, func() bool { return rb.count() >= 2 }, "two packets to arrive")
	require.ElementsMatch(t, [][]byte{want1, want2}, rb.packets())
}

func testHandlerBufferReuse(t *testing.T, mk MakeFunc) {
	a, b, flush := pair(t, mk)
	var rb recorder
	// A handler may scribble over pkt: the transport must not care, and the
	// next packet must arrive intact.
	require.NoError(t, b.Listen(func(pkt []byte) {
		rb.handle(pkt)
		for i := range pkt {
			pkt[i] = 0xff
		}
	}))
	src := netip.MustParseAddr("192.0.2.1")
	const n = 4
	var want [][]byte
	for i := range n {
		p := IPv4Packet(src, uint16(i+1))
		want = append(want, p)
		require.NoError(t, a.Send(p))
	}
	waitFor(t, flush, func() bool { return rb.count() >= n }, "all packets to arrive")
	require.ElementsMatch(t, want, rb.packets())
}

func testHandlerNotConcurrent(t *testing.T, mk MakeFunc) {
	a, b, flush := pair(t, mk)
	rb := recorder{hold: 100 * time.Microsecond}
	require.NoError(t, b.Listen(rb.handle))
	const senders, each = 4, 16
	var wg sync.WaitGroup
	errs := make(chan error, senders*each)
	for s := range senders {
		wg.Go(func() {
			src := netip.AddrFrom4([4]byte{192, 0, 2, byte(s + 1)})
			for i := range each {
				errs <- a.Send(IPv4Packet(src, uint16(i)))
			}
		})
	}
	// Flush while the senders run: a simulated transport then schedules and
	// delivers at the same time, a real one reads while it writes.
	waitFor(t, flush, func() bool { return rb.count() >= senders*each }, "all packets to arrive")
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	require.False(t, rb.overlap.Load(), "handler called concurrently")
}

func testSendAfterClose(t *testing.T, mk MakeFunc) {
	a, _, _ := pair(t, mk)
	require.NoError(t, a.Close())
	err := a.Send(IPv4Packet(netip.MustParseAddr("192.0.2.1"), 1))
	require.ErrorIs(t, err, transport.ErrClosed)
}

func testCloseIdempotent(t *testing.T, mk MakeFunc) {
	tests := []struct {
		name   string
		listen bool
	}{
		{"Listening", true},
		{"Idle", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, _, _ := pair(t, mk)
			if tt.listen {
				var r recorder
				require.NoError(t, a.Listen(r.handle))
			}
			require.NoError(t, a.Close())
			require.NoError(t, a.Close())
		})
	}
}

func testNoDeliveryAfterClose(t *testing.T, mk MakeFunc) {
	a, b, flush := pair(t, mk)
	var rb recorder
	require.NoError(t, b.Listen(rb.handle))
	src := netip.MustParseAddr("192.0.2.1")
	require.NoError(t, a.Send(IPv4Packet(src, 1)))
	waitFor(t, flush, func() bool { return rb.count() >= 1 }, "first packet to arrive")
	require.NoError(t, b.Close())
	rb.closed.Store(true)
	// The sender is still open; what it sends must not reach b any more.
	for i := range 4 {
		require.NoError(t, a.Send(IPv4Packet(src, uint16(i+2))))
	}
	settle(flush)
	require.Zero(t, rb.late.Load(), "handler called after Close returned")
	require.Equal(t, 1, rb.count())
}

func testInFlightDroppedOnClose(t *testing.T, mk MakeFunc) {
	a, b, flush := pair(t, mk)
	var rb recorder
	require.NoError(t, b.Listen(rb.handle))
	// No flush between Send and Close: for a simulated link the packet is in
	// flight; a real one may already have delivered it, which is fine as long
	// as nothing arrives once Close has returned.
	require.NoError(t, a.Send(IPv4Packet(netip.MustParseAddr("192.0.2.1"), 1)))
	require.NoError(t, b.Close())
	rb.closed.Store(true)
	settle(flush)
	require.Zero(t, rb.late.Load(), "handler called after Close returned")
}

func testListenTwice(t *testing.T, mk MakeFunc) {
	_, b, _ := pair(t, mk)
	var r1, r2 recorder
	require.NoError(t, b.Listen(r1.handle))
	require.Error(t, b.Listen(r2.handle))
}

func testListenAfterClose(t *testing.T, mk MakeFunc) {
	_, b, _ := pair(t, mk)
	require.NoError(t, b.Close())
	var r recorder
	require.Error(t, b.Listen(r.handle))
}

// IPv4Packet returns a 56-byte IPv4 packet of protocol 112 carrying a
// CARP-shaped advertisement from src to 224.0.0.18, with both checksums
// valid. seq goes into the IP ID and the CARP counter so that packets can be
// told apart. The advert is not signed.
func IPv4Packet(src netip.Addr, seq uint16) []byte {
	b := make([]byte, 20, 56)
	b[0] = 0x45                                 // version 4, IHL 5
	b[1] = 0x10                                 // TOS
	binary.BigEndian.PutUint16(b[2:], 56)       // total length
	binary.BigEndian.PutUint16(b[4:], seq)      // ID
	binary.BigEndian.PutUint16(b[6:], 0x4000)   // DF
	b[8] = 255                                  // TTL
	b[9] = 112                                  // protocol
	s4, d4 := src.As4(), [4]byte{224, 0, 0, 18} // CARP group
	copy(b[12:], s4[:])
	copy(b[16:], d4[:])
	binary.BigEndian.PutUint16(b[10:], checksum(b))
	return appendAdvert(b, seq)
}

// IPv6Packet returns a 76-byte IPv6 packet with next header 112 carrying a
// CARP-shaped advertisement from src to ff02::12. seq goes into the CARP
// counter.
func IPv6Packet(src netip.Addr, seq uint16) []byte {
	b := make([]byte, 40, 76)
	b[0] = 0x60                           // version 6
	binary.BigEndian.PutUint16(b[4:], 36) // payload length
	b[6] = 112                            // next header
	b[7] = 255                            // hop limit
	s16, d16 := src.As16(), netip.MustParseAddr("ff02::12").As16()
	copy(b[8:], s16[:])
	copy(b[24:], d16[:])
	return appendAdvert(b, seq)
}

// appendAdvert appends a 36-byte CARP advertisement (version 2, type 1,
// vhid 1, advbase 1) with a valid checksum and counter seq.
func appendAdvert(b []byte, seq uint16) []byte {
	off := len(b)
	b = append(b, 0x21, 1, 0, 7, 0, 1, 0, 0)
	b = binary.BigEndian.AppendUint64(b, uint64(seq))
	for i := range 20 {
		b = append(b, byte(0xa0+i)) // stand-in digest
	}
	binary.BigEndian.PutUint16(b[off+6:], checksum(b[off:]))
	return b
}

// checksum is the RFC 1071 Internet checksum of b.
func checksum(b []byte) uint16 {
	var sum uint32
	for i := 0; i+1 < len(b); i += 2 {
		sum += uint32(binary.BigEndian.Uint16(b[i:]))
	}
	if len(b)%2 == 1 {
		sum += uint32(b[len(b)-1]) << 8
	}
	for sum > 0xffff {
		sum = sum>>16 + sum&0xffff
	}
	return ^uint16(sum)
}
