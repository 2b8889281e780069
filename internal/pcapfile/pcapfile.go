// Package pcapfile reads pcap and pcapng capture files, just enough for
// "carpd inspect": records with their timestamps, lengths and link type.
//
// It exists instead of gopacket's pcapgo because pcapgo imports
// gopacket/layers, whose init fills two 2.5 MiB tables that every carpd
// process would then carry and the GC scan, about 5 MiB of RSS for a
// daemon that only reads captures when run as "carpd inspect".
//
// The reader trusts no length in the file: a record longer than
// MaxCaptureLength is an error, and a buffer grows only with the bytes
// that actually arrive, so a short or compressed file that claims a huge
// record costs no more memory than its own bytes. The one buffer is
// reused between records.
package pcapfile

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/bits"
	"time"
)

// MaxCaptureLength is the longest record the reader takes: libpcap's
// MAXIMUM_SNAPLEN (262144), the most tcpdump captures or reads per packet.
const MaxCaptureLength = 256 << 10

// ErrFormat is matched by every error for a file that is no capture, or a
// garbled one. A file cut short gives io.ErrUnexpectedEOF instead.
var ErrFormat = errors.New("pcapfile: malformed capture")

type formatError struct{ msg string }

func (e *formatError) Error() string        { return e.msg }
func (e *formatError) Is(target error) bool { return target == ErrFormat }

func errorf(format string, args ...any) error {
	return &formatError{msg: fmt.Sprintf(format, args...)}
}

// File magics, as read little-endian.
const (
	magicMicro     = 0xa1b2c3d4
	magicNano      = 0xa1b23c4d
	magicMicroSwap = 0xd4c3b2a1
	magicNanoSwap  = 0x4d3cb2a1
	// magicPcapng is the block type of a Section Header Block: a
	// palindrome, the same in both byte orders.
	magicPcapng = 0x0a0d0d0a
	// byteOrderMagic says a pcapng section's byte order.
	byteOrderMagic = 0x1a2b3c4d
)

// pcapng block types.
const (
	blockSHB      = magicPcapng
	blockIDB      = 1
	blockOPB      = 2 // Packet Block, obsolete but still written by old tools
	blockSPB      = 3
	blockEPB      = 6
	minBlockLen   = 12 // type, length, trailing length
	minBufferSize = 4096
)

// IDB option codes.
const (
	optEnd      = 0
	optTSResol  = 9
	optTSOffset = 14
)

// Record is one packet of a capture.
type Record struct {
	// Timestamp is in UTC; zero for a pcapng Simple Packet Block, which
	// has none.
	Timestamp time.Time
	// CaptureLength is len(Data); Length is the packet's length on the
	// wire, more when the capture cut it short (its snap length).
	CaptureLength, Length int
	// LinkType is the framing of Data: the file's for pcap, the
	// interface's for pcapng.
	LinkType LinkType
	// Interface is the pcapng interface index within its section; 0 for
	// pcap.
	Interface int
	// Data is the captured bytes. They stay valid only until the next
	// call to Next: the buffer is reused.
	Data []byte
}

// Reader reads the records of one pcap or pcapng file.
type Reader struct {
	r   *bufio.Reader
	off int64 // bytes consumed, for the error messages
	n   int   // records returned
	ng  bool
	buf []byte
	hdr [24]byte

	// pcap
	order    binary.ByteOrder
	nano     bool
	linkType LinkType
	snaplen  uint32

	// pcapng: the interfaces of the current section
	ifaces []iface
}

type iface struct {
	linkType LinkType
	snaplen  uint32
	units    uint64 // timestamp units per second (if_tsresol)
	offset   int64  // seconds added to every timestamp (if_tsoffset)
}

// NewReader reads the file header (pcap) or first Section Header Block
// (pcapng) from r, which must already be decompressed.
func NewReader(r io.Reader) (*Reader, error) {
	br, ok := r.(*bufio.Reader)
	if !ok {
		br = bufio.NewReader(r)
	}
	rd := &Reader{r: br}
	magic, err := br.Peek(4)
	if err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF // no magic: not even a header
		}
		return nil, fmt.Errorf("capture header: %w", err)
	}
	if binary.LittleEndian.Uint32(magic) == magicPcapng {
		rd.ng = true
		rd.order = binary.LittleEndian // until the first section says
		return rd, nil                 // the SHB is read as any block
	}
	return rd, rd.readPcapHeader()
}

// LinkType is the link type of every record of a pcap file; ok is false
// for pcapng, where each interface has its own.
func (r *Reader) LinkType() (lt LinkType, ok bool) {
	return r.linkType, !r.ng
}

// Next returns the next record, or io.EOF at the clean end of the file.
func (r *Reader) Next() (Record, error) {
	var rec Record
	var err error
	if r.ng {
		rec, err = r.nextPcapng()
	} else {
		rec, err = r.nextPcap()
	}
	if err == nil {
		r.n++
	}
	return rec, err
}

// read fills b. At the start of a record or block (eofOK) a clean end of
// the file is io.EOF; anywhere else it is io.ErrUnexpectedEOF.
func (r *Reader) read(b []byte, eofOK bool) error {
	n, err := io.ReadFull(r.r, b)
	r.off += int64(n)
	if err == io.EOF && !eofOK {
		err = io.ErrUnexpectedEOF
	}
	return err
}

// fill reads the n bytes of a record into the reused buffer. The buffer
// grows (at most doubling) only as bytes arrive, never to what the file
// claims up front: n has been checked against MaxCaptureLength, but a
// 40-byte file still must not cost 256 KiB.
func (r *Reader) fill(n int) ([]byte, error) {
	b := r.buf[:0]
	for len(b) < n {
		if len(b) == cap(b) {
			nb := make([]byte, len(b), min(n, max(2*cap(b), minBufferSize)))
			copy(nb, b)
			b = nb
		}
		m, err := io.ReadFull(r.r, b[len(b):min(n, cap(b))])
		r.off += int64(m)
		b = b[:len(b)+m]
		if err != nil {
			r.buf = b
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return nil, err
		}
	}
	r.buf = b
	return b, nil
}

// discard skips n bytes, the rest of a block, without buffering them.
func (r *Reader) discard(n uint64) error {
	for n > 0 {
		k := int(min(n, 1<<20))
		m, err := r.r.Discard(k)
		r.off += int64(m)
		n -= uint64(m)
		if err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return err
		}
	}
	return nil
}

// checkLengths is the bound every record passes before a byte of its
// data is read.
func (r *Reader) checkLengths(format string, at int64, caplen, length uint32) error {
	if caplen > MaxCaptureLength {
		return errorf("%s: record %d at offset %d: captured length %d above the limit of %d bytes",
			format, r.n+1, at, caplen, MaxCaptureLength)
	}
	if caplen > length {
		return errorf("%s: record %d at offset %d: captured length %d above the packet's length %d",
			format, r.n+1, at, caplen, length)
	}
	return nil
}

func (r *Reader) readPcapHeader() error {
	h := r.hdr[:24]
	if err := r.read(h, false); err != nil {
		return fmt.Errorf("pcap: file header: %w", err)
	}
	switch binary.LittleEndian.Uint32(h) {
	case magicMicro:
		r.order = binary.LittleEndian
	case magicNano:
		r.order, r.nano = binary.LittleEndian, true
	case magicMicroSwap:
		r.order = binary.BigEndian
	case magicNanoSwap:
		r.order, r.nano = binary.BigEndian, true
	default:
		return errorf("not a pcap or pcapng capture: magic %08x", binary.BigEndian.Uint32(h))
	}
	// 2.4 is what libpcap has written since 1998; older versions differ
	// in their record header.
	if major, minor := r.order.Uint16(h[4:]), r.order.Uint16(h[6:]); major != 2 || minor != 4 {
		return errorf("pcap: version %d.%d, want 2.4", major, minor)
	}
	r.snaplen = r.order.Uint32(h[16:])
	// The upper 16 bits may carry the FCS length (LT_FCS_LENGTH): libpcap
	// takes the link type from the lower 16 only (LT_LINKTYPE).
	r.linkType = LinkType(r.order.Uint32(h[20:]) & 0xffff)
	return nil
}

func (r *Reader) nextPcap() (Record, error) {
	at := r.off
	h := r.hdr[:16]
	if err := r.read(h, true); err != nil {
		if err == io.EOF {
			return Record{}, err
		}
		return Record{}, fmt.Errorf("pcap: record %d at offset %d: %w", r.n+1, at, err)
	}
	caplen, length := r.order.Uint32(h[8:]), r.order.Uint32(h[12:])
	// A captured length above the snap length is taken, as tcpdump does:
	// some writers (dpkt) do not truncate to what they declare.
	if err := r.checkLengths("pcap", at, caplen, length); err != nil {
		return Record{}, err
	}
	data, err := r.fill(int(caplen))
	if err != nil {
		return Record{}, fmt.Errorf("pcap: record %d at offset %d: %w", r.n+1, at, err)
	}
	frac := int64(r.order.Uint32(h[4:]))
	if !r.nano {
		frac *= 1000
	}
	return Record{
		Timestamp:     time.Unix(int64(r.order.Uint32(h[0:])), frac).UTC(),
		CaptureLength: int(caplen),
		Length:        int(length),
		LinkType:      r.linkType,
		Data:          data,
	}, nil
}

// nextPcapng reads blocks up to the next packet. Blocks other than
// sections, interfaces and packets are skipped by their length.
func (r *Reader) nextPcapng() (Record, error) {
	for {
		at := r.off
		h := r.hdr[:8]
		if err := r.read(h, true); err != nil {
			if err == io.EOF {
				return Record{}, err
			}
			return Record{}, fmt.Errorf("pcapng: block at offset %d: %w", at, err)
		}
		typ := r.order.Uint32(h)
		if typ == blockSHB {
			// Each section has its byte order, read before its length.
			bom := r.hdr[8:12]
			if err := r.read(bom, false); err != nil {
				return Record{}, fmt.Errorf("pcapng: section header at offset %d: %w", at, err)
			}
			switch {
			case binary.LittleEndian.Uint32(bom) == byteOrderMagic:
				r.order = binary.LittleEndian
			case binary.BigEndian.Uint32(bom) == byteOrderMagic:
				r.order = binary.BigEndian
			default:
				return Record{}, errorf("pcapng: section header at offset %d: bad byte-order magic %x", at, bom)
			}
		}
		total := r.order.Uint32(h[4:])
		if total < minBlockLen || total%4 != 0 {
			return Record{}, errorf("pcapng: block at offset %d (type %#x): length %d not a multiple of 4 of at least %d",
				at, typ, total, minBlockLen)
		}
		body := uint64(total - minBlockLen) // what lies between the lengths
		rec, isPacket, rest, err := r.block(at, typ, body)
		if err != nil {
			return Record{}, err
		}
		if err := r.discard(rest); err != nil {
			return Record{}, fmt.Errorf("pcapng: block at offset %d (type %#x): %w", at, typ, err)
		}
		trailer := r.hdr[12:16]
		if err := r.read(trailer, false); err != nil {
			return Record{}, fmt.Errorf("pcapng: block at offset %d (type %#x): %w", at, typ, err)
		}
		if end := r.order.Uint32(trailer); end != total {
			return Record{}, errorf("pcapng: block at offset %d (type %#x): length %d at its start, %d at its end",
				at, typ, total, end)
		}
		if isPacket {
			return rec, nil
		}
	}
}

// block reads the part of a block's body it needs and returns how many
// bytes of it are left to skip.
func (r *Reader) block(at int64, typ uint32, body uint64) (rec Record, isPacket bool, rest uint64, err error) {
	short := func(need uint64) error {
		return errorf("pcapng: block at offset %d (type %#x): %d bytes, too short for %d", at, typ, body, need)
	}
	wrap := func(err error) error {
		return fmt.Errorf("pcapng: block at offset %d (type %#x): %w", at, typ, err)
	}
	switch typ {
	case blockSHB:
		// byte-order magic (already read), version, section length
		if body < 16 {
			return rec, false, 0, short(16)
		}
		v := r.hdr[16:24]
		if err := r.read(v, false); err != nil {
			return rec, false, 0, wrap(err)
		}
		if major, minor := r.order.Uint16(v), r.order.Uint16(v[2:]); major != 1 || minor != 0 {
			return rec, false, 0, errorf("pcapng: section at offset %d: version %d.%d, want 1.0", at, major, minor)
		}
		r.ifaces = r.ifaces[:0] // interfaces number from 0 in each section
		return rec, false, body - 12, nil

	case blockIDB:
		if body < 8 {
			return rec, false, 0, short(8)
		}
		if body-8 > MaxCaptureLength {
			return rec, false, 0, errorf("pcapng: interface block at offset %d: %d bytes of options, above the limit of %d",
				at, body-8, MaxCaptureLength)
		}
		f := r.hdr[16:24]
		if err := r.read(f, false); err != nil {
			return rec, false, 0, wrap(err)
		}
		ifc := iface{linkType: LinkType(r.order.Uint16(f)), snaplen: r.order.Uint32(f[4:]), units: 1e6}
		opts, err := r.fill(int(body - 8))
		if err != nil {
			return rec, false, 0, wrap(err)
		}
		if err := r.interfaceOptions(at, &ifc, opts); err != nil {
			return rec, false, 0, err
		}
		r.ifaces = append(r.ifaces, ifc)
		return rec, false, 0, nil

	case blockEPB, blockOPB:
		if body < 20 {
			return rec, false, 0, short(20)
		}
		f := r.hdr[:20] // the block header, already checked, is not needed again
		if err := r.read(f, false); err != nil {
			return rec, false, 0, wrap(err)
		}
		var idx int
		if typ == blockEPB {
			idx = int(r.order.Uint32(f))
		} else {
			idx = int(r.order.Uint16(f)) // then a 16-bit drop count
		}
		if idx < 0 || idx >= len(r.ifaces) {
			return rec, false, 0, errorf("pcapng: record %d at offset %d: interface %d, but the section has %d",
				r.n+1, at, idx, len(r.ifaces))
		}
		ifc := &r.ifaces[idx]
		ts := uint64(r.order.Uint32(f[4:]))<<32 | uint64(r.order.Uint32(f[8:]))
		caplen, length := r.order.Uint32(f[12:]), r.order.Uint32(f[16:])
		if err := r.checkLengths("pcapng", at, caplen, length); err != nil {
			return rec, false, 0, err
		}
		if padded(caplen) > body-20 {
			return rec, false, 0, errorf("pcapng: record %d at offset %d: captured length %d beyond its block of %d bytes",
				r.n+1, at, caplen, body+minBlockLen)
		}
		data, err := r.fill(int(caplen))
		if err != nil {
			return rec, false, 0, wrap(err)
		}
		rec = Record{Timestamp: ifc.time(ts), CaptureLength: int(caplen), Length: int(length),
			LinkType: ifc.linkType, Interface: idx, Data: data}
		return rec, true, body - 20 - uint64(caplen), nil // padding and options

	case blockSPB:
		if body < 4 {
			return rec, false, 0, short(4)
		}
		if len(r.ifaces) == 0 {
			return rec, false, 0, errorf("pcapng: record %d at offset %d: simple packet before any interface", r.n+1, at)
		}
		f := r.hdr[16:20]
		if err := r.read(f, false); err != nil {
			return rec, false, 0, wrap(err)
		}
		// Its captured length is not written: the original length cut to
		// interface 0's snap length.
		ifc := &r.ifaces[0]
		length := r.order.Uint32(f)
		caplen := length
		if ifc.snaplen != 0 {
			caplen = min(caplen, ifc.snaplen)
		}
		if err := r.checkLengths("pcapng", at, caplen, length); err != nil {
			return rec, false, 0, err
		}
		if padded(caplen) > body-4 {
			return rec, false, 0, errorf("pcapng: record %d at offset %d: captured length %d beyond its block of %d bytes",
				r.n+1, at, caplen, body+minBlockLen)
		}
		data, err := r.fill(int(caplen))
		if err != nil {
			return rec, false, 0, wrap(err)
		}
		rec = Record{CaptureLength: int(caplen), Length: int(length), LinkType: ifc.linkType, Data: data}
		return rec, true, body - 4 - uint64(caplen), nil
	}
	return rec, false, body, nil
}

// padded is n rounded up to 32 bits, as pcapng lays out packet data.
func padded(n uint32) uint64 { return (uint64(n) + 3) &^ 3 }

// interfaceOptions reads if_tsresol and if_tsoffset; other options are
// skipped.
func (r *Reader) interfaceOptions(at int64, ifc *iface, b []byte) error {
	for len(b) >= 4 {
		code, n := r.order.Uint16(b), int(r.order.Uint16(b[2:]))
		if code == optEnd {
			return nil
		}
		b = b[4:]
		if int(padded(uint32(n))) > len(b) {
			return errorf("pcapng: interface block at offset %d: option %d of %d bytes beyond the block", at, code, n)
		}
		v := b[:n]
		b = b[padded(uint32(n)):]
		switch code {
		case optTSResol:
			if n != 1 {
				return errorf("pcapng: interface block at offset %d: if_tsresol of %d bytes", at, n)
			}
			// The high bit says a negative power of 2, else of 10.
			e := v[0] & 0x7f
			if v[0]&0x80 != 0 {
				if e > 63 {
					return errorf("pcapng: interface block at offset %d: timestamp resolution 2^-%d", at, e)
				}
				ifc.units = 1 << e
			} else {
				if e > 19 { // 10^20 overflows 64 bits
					return errorf("pcapng: interface block at offset %d: timestamp resolution 10^-%d", at, e)
				}
				ifc.units = 1
				for range e {
					ifc.units *= 10
				}
			}
		case optTSOffset:
			if n != 8 {
				return errorf("pcapng: interface block at offset %d: if_tsoffset of %d bytes", at, n)
			}
			ifc.offset = int64(r.order.Uint64(v))
		}
	}
	return nil
}

// time converts a timestamp in the interface's units, exactly (the
// fraction is scaled in 128 bits).
func (f *iface) time(ts uint64) time.Time {
	sec, frac := ts/f.units, ts%f.units
	hi, lo := bits.Mul64(frac, 1e9)
	ns, _ := bits.Div64(hi, lo, f.units) // hi < units as frac < units: no panic
	return time.Unix(int64(sec)+f.offset, int64(ns)).UTC()
}
