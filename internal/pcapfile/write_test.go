package pcapfile

import (
	"encoding/binary"
	"time"
)

// Hand-built captures: pcapgo writes only little-endian pcap and one
// section of pcapng, so the other layouts are written here, byte by byte
// as the formats lay them out.

// order is a byte order that can append.
type order interface {
	binary.ByteOrder
	binary.AppendByteOrder
}

type pcapRec struct {
	sec, frac      uint32
	caplen, length uint32 // caplen 0 means len(data)
	data           []byte
}

// pcapFile is a pcap file in byte order o.
func pcapFile(o order, nano bool, linkType, snaplen uint32, recs ...pcapRec) []byte {
	magic := uint32(magicMicro)
	if nano {
		magic = magicNano
	}
	b := o.AppendUint32(nil, magic)
	b = o.AppendUint16(b, 2)
	b = o.AppendUint16(b, 4)
	b = o.AppendUint32(b, 0) // thiszone
	b = o.AppendUint32(b, 0) // sigfigs
	b = o.AppendUint32(b, snaplen)
	b = o.AppendUint32(b, linkType)
	for _, r := range recs {
		caplen := r.caplen
		if caplen == 0 {
			caplen = uint32(len(r.data))
		}
		length := r.length
		if length == 0 {
			length = uint32(len(r.data))
		}
		b = o.AppendUint32(b, r.sec)
		b = o.AppendUint32(b, r.frac)
		b = o.AppendUint32(b, caplen)
		b = o.AppendUint32(b, length)
		b = append(b, r.data...)
	}
	return b
}

// ngWriter appends pcapng blocks in the byte order of its last section.
type ngWriter struct {
	b []byte
	o order
}

func pad4(b []byte) []byte {
	for len(b)%4 != 0 {
		b = append(b, 0)
	}
	return b
}

// block appends a block; body is padded to 32 bits.
func (w *ngWriter) block(typ uint32, body []byte) {
	body = pad4(body)
	total := uint32(minBlockLen + len(body))
	w.b = w.o.AppendUint32(w.b, typ)
	w.b = w.o.AppendUint32(w.b, total)
	w.b = append(w.b, body...)
	w.b = w.o.AppendUint32(w.b, total)
}

// opt is one option, padded, in w's byte order.
func (w *ngWriter) opt(code uint16, val []byte) []byte {
	b := w.o.AppendUint16(nil, code)
	b = w.o.AppendUint16(b, uint16(len(val)))
	return pad4(append(b, val...))
}

func (w *ngWriter) endOpts() []byte { return make([]byte, 4) }

// section starts a section in byte order o, with a comment option.
func (w *ngWriter) section(o order) {
	w.o = o
	body := o.AppendUint32(nil, byteOrderMagic)
	body = o.AppendUint16(body, 1)
	body = o.AppendUint16(body, 0)
	body = o.AppendUint64(body, ^uint64(0)) // section length unknown
	body = append(body, w.opt(1, []byte("gocarp test"))...)
	body = append(body, w.endOpts()...)
	w.block(blockSHB, body)
}

// iface adds an interface; tsresol < 0 leaves the option out.
func (w *ngWriter) iface(lt LinkType, snaplen uint32, tsresol int, tsoffset int64) {
	body := w.o.AppendUint16(nil, uint16(lt))
	body = w.o.AppendUint16(body, 0)
	body = w.o.AppendUint32(body, snaplen)
	body = append(body, w.opt(2, []byte("eth0"))...) // if_name
	if tsresol >= 0 {
		body = append(body, w.opt(optTSResol, []byte{byte(tsresol)})...)
	}
	if tsoffset != 0 {
		body = append(body, w.opt(optTSOffset, w.o.AppendUint64(nil, uint64(tsoffset)))...)
	}
	body = append(body, w.endOpts()...)
	w.block(blockIDB, body)
}

// epb adds an Enhanced Packet Block (or, obsolete, a Packet Block) with
// a comment option.
func (w *ngWriter) epb(obsolete bool, ifc uint32, ts uint64, length uint32, data []byte) {
	var body []byte
	typ := uint32(blockEPB)
	if obsolete {
		typ = blockOPB
		body = w.o.AppendUint16(body, uint16(ifc))
		body = w.o.AppendUint16(body, 0) // drops
	} else {
		body = w.o.AppendUint32(body, ifc)
	}
	body = w.o.AppendUint32(body, uint32(ts>>32))
	body = w.o.AppendUint32(body, uint32(ts))
	body = w.o.AppendUint32(body, uint32(len(data)))
	body = w.o.AppendUint32(body, length)
	body = pad4(append(body, data...))
	body = append(body, w.opt(1, []byte("a packet"))...)
	body = append(body, w.endOpts()...)
	w.block(typ, body)
}

func (w *ngWriter) spb(length uint32, data []byte) {
	body := w.o.AppendUint32(nil, length)
	w.block(blockSPB, append(body, data...))
}

// ngTime is t in units per second.
func ngTime(t time.Time, units uint64) uint64 {
	return uint64(t.Unix())*units + uint64(t.Nanosecond())*units/1e9
}
