package inspect

import (
	"bufio"
	"compress/gzip"
	"errors"
	"fmt"
	"io"

	"github.com/gocarp/gocarp/internal/pcapfile"
)

var (
	// ErrBadCapture marks a capture that is not pcap/pcapng, or that is
	// truncated or garbled. A truncated file also matches
	// io.ErrUnexpectedEOF.
	ErrBadCapture = errors.New("inspect: bad capture file")

	// ErrLinkType is returned for a pcap file whose link type the decoder
	// does not know.
	ErrLinkType = errors.New("inspect: unsupported link type (want Ethernet, Linux cooked SLL/SLL2, raw IP or BSD loopback)")
)

// captureError is a read error of the capture itself: it matches
// ErrBadCapture and unwraps to the reader's error.
type captureError struct {
	packets int // read before the error
	err     error
}

func (e *captureError) Error() string {
	what := "garbled"
	if errors.Is(e.err, io.ErrUnexpectedEOF) {
		what = "truncated"
	}
	return fmt.Sprintf("inspect: capture %s after %d packets: %v", what, e.packets, e.err)
}
func (e *captureError) Unwrap() error        { return e.err }
func (e *captureError) Is(target error) bool { return target == ErrBadCapture }

// ReadPcap reads a pcap or pcapng capture (gzipped or not) from r and
// writes one line per CARP packet to w: text, or JSON with opts.JSON. Other
// packets are only counted. Every advert is verified: both checksums and,
// with a password and the VIPs, the HMAC-SHA1 digest.
//
// A capture that ends in the middle of a record or is garbled gives an
// error matching ErrBadCapture (and io.ErrUnexpectedEOF when truncated),
// after the lines of every packet before the damage; the Summary counts
// them. An error writing to w ends the read and is returned as is.
func ReadPcap(r io.Reader, opts Options, w io.Writer) (Summary, error) {
	e, err := newEngine(opts, w)
	if err != nil {
		return Summary{}, err
	}
	src, err := openCapture(r)
	if err != nil {
		return Summary{}, err
	}
	for {
		rec, err := src.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			e.finish()
			return e.sum, &captureError{packets: e.sum.Packets, err: err}
		}
		e.sum.Packets++
		if !linkSupported(rec.LinkType) {
			// Only pcapng gets here: each interface has its link type.
			e.hint(fmt.Sprintf("carpd inspect: skipping packets of link type %v (%d): %v\n", rec.LinkType, rec.LinkType, ErrLinkType))
			continue
		}
		ip, ok := networkLayer(rec.LinkType, rec.Data)
		if !ok {
			continue
		}
		// rec.Data is the reader's buffer: handle keeps none of it.
		if err := e.handle(rec.Timestamp, ip, rec.CaptureLength < rec.Length); err != nil {
			return e.sum, err
		}
	}
	e.finish()
	return e.sum, nil
}

// openCapture undoes gzip, lazily (the bytes are inflated as records are
// read), and opens the pcap or pcapng reader. A pcap file of a link type
// the decoder does not know is refused before any output.
func openCapture(r io.Reader) (*pcapfile.Reader, error) {
	br := bufio.NewReader(r)
	magic, err := br.Peek(2)
	if len(magic) >= 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		gz, gzErr := gzip.NewReader(br)
		if gzErr != nil {
			return nil, &captureError{err: fmt.Errorf("gzip: %w", gzErr)}
		}
		br = bufio.NewReader(gz)
		magic, err = br.Peek(1)
	}
	if len(magic) == 0 && err == io.EOF {
		return nil, &captureError{err: errors.New("empty input, not a pcap or pcapng capture")}
	}
	src, err := pcapfile.NewReader(br)
	if err != nil {
		return nil, &captureError{err: err}
	}
	if lt, ok := src.LinkType(); ok && !linkSupported(lt) {
		return nil, fmt.Errorf("%w: %v (%d)", ErrLinkType, lt, lt)
	}
	return src, nil
}
