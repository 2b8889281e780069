package inspect

import (
	"bufio"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
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

// pcapngMagic is the block type of a pcapng Section Header Block; it reads
// the same in both byte orders.
const pcapngMagic = 0x0a0d0d0a

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
		data, ci, err := src.ReadPacketData()
		if err == io.EOF && ci.CaptureLength > 0 {
			// pcapgo reads a record header and then no data at all as
			// io.EOF; a clean end comes before any header.
			err = io.ErrUnexpectedEOF
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			e.finish()
			return e.sum, &captureError{packets: e.sum.Packets, err: err}
		}
		e.sum.Packets++
		lt := src.linkType(ci)
		if !linkSupported(lt) {
			e.hint(fmt.Sprintf("carpd inspect: skipping packets of link type %v: %v\n", lt, ErrLinkType))
			continue
		}
		ip, ok := networkLayer(lt, data)
		if !ok {
			continue
		}
		if err := e.handle(ci.Timestamp, ip, ci.CaptureLength < ci.Length); err != nil {
			return e.sum, err
		}
	}
	e.finish()
	return e.sum, nil
}

// capture is a pcap or pcapng reader.
type capture struct {
	gopacket.PacketDataSource
	linkType func(ci gopacket.CaptureInfo) layers.LinkType
}

// openCapture tells pcapng from pcap by the first four bytes, after
// undoing gzip: pcapgo's readers each undo it, but only the decompressed
// magic says which reader to use.
func openCapture(r io.Reader) (*capture, error) {
	br := bufio.NewReader(r)
	magic, err := br.Peek(4)
	if len(magic) >= 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		gz, gzErr := gzip.NewReader(br)
		if gzErr != nil {
			return nil, &captureError{err: fmt.Errorf("gzip: %w", gzErr)}
		}
		br = bufio.NewReader(gz)
		magic, err = br.Peek(4)
	}
	if err != nil {
		if err == io.EOF {
			if len(magic) == 0 {
				return nil, &captureError{err: errors.New("empty input, not a pcap or pcapng capture")}
			}
			err = io.ErrUnexpectedEOF
		}
		return nil, &captureError{err: err}
	}

	if binary.LittleEndian.Uint32(magic) == pcapngMagic {
		ng, err := pcapgo.NewNgReader(br, pcapgo.DefaultNgReaderOptions)
		if err != nil {
			return nil, &captureError{err: fmt.Errorf("pcapng: %w", err)}
		}
		return &capture{PacketDataSource: ng, linkType: func(ci gopacket.CaptureInfo) layers.LinkType {
			// Each interface of a pcapng file has its own link type.
			intf, err := ng.Interface(ci.InterfaceIndex)
			if err != nil {
				return layers.LinkType(0xffff) // not a link type we know
			}
			return intf.LinkType
		}}, nil
	}
	pr, err := pcapgo.NewReader(br)
	if err != nil {
		return nil, &captureError{err: fmt.Errorf("pcap: %w", err)}
	}
	lt := pr.LinkType()
	if !linkSupported(lt) {
		return nil, fmt.Errorf("%w: %v (%d)", ErrLinkType, lt, uint32(lt))
	}
	return &capture{PacketDataSource: pr, linkType: func(gopacket.CaptureInfo) layers.LinkType { return lt }}, nil
}
