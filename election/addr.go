package election

import (
	"bytes"
	"encoding/binary"
	"strconv"
)

// Addr is a peer's IPv4 or IPv6 source address. It exists so that this
// package need not import net/netip (it imports no net package at all);
// convert with AddrFrom4(a.As4()) or AddrFrom16(a.As16()). Addr is
// comparable; the zero Addr is invalid.
type Addr struct {
	b   [16]byte
	fam uint8 // 0 invalid, 4 or 6
}

// AddrFrom4 returns the IPv4 address b.
func AddrFrom4(b [4]byte) Addr {
	a := Addr{fam: 4}
	copy(a.b[:4], b[:])
	return a
}

// AddrFrom16 returns the IPv6 address b. An IPv4-mapped address stays IPv6
// (as in netip); unmap it first to get IPv4 tie-break semantics.
func AddrFrom16(b [16]byte) Addr {
	return Addr{b: b, fam: 6}
}

// Is4 reports whether a is an IPv4 address.
func (a Addr) Is4() bool { return a.fam == 4 }

// IsValid reports whether a is set.
func (a Addr) IsValid() bool { return a.fam != 0 }

// As4 returns the four bytes of an IPv4 address (zero for other addresses).
func (a Addr) As4() [4]byte {
	var b [4]byte
	if a.fam == 4 {
		copy(b[:], a.b[:4])
	}
	return b
}

// As16 returns the bytes of an IPv6 address, or the IPv4-mapped form of an
// IPv4 address (zero for the invalid Addr).
func (a Addr) As16() [16]byte {
	switch a.fam {
	case 4:
		var b [16]byte
		b[10], b[11] = 0xff, 0xff
		copy(b[12:], a.b[:4])
		return b
	case 6:
		return a.b
	}
	return [16]byte{}
}

// String returns dotted-quad or RFC 5952 text; "invalid" for the zero Addr.
func (a Addr) String() string {
	switch a.fam {
	case 4:
		b := make([]byte, 0, 15)
		for i := 0; i < 4; i++ {
			if i > 0 {
				b = append(b, '.')
			}
			b = strconv.AppendUint(b, uint64(a.b[i]), 10)
		}
		return string(b)
	case 6:
		return format6(a.b)
	}
	return "invalid"
}

func format6(ip [16]byte) string {
	// Longest run (≥ 2) of zero groups becomes "::", leftmost on ties.
	bestStart, bestLen := -1, 1
	for i := 0; i < 8; {
		if ip[2*i] != 0 || ip[2*i+1] != 0 {
			i++
			continue
		}
		j := i
		for j < 8 && ip[2*j] == 0 && ip[2*j+1] == 0 {
			j++
		}
		if j-i > bestLen {
			bestStart, bestLen = i, j-i
		}
		i = j
	}
	b := make([]byte, 0, 39)
	for i := 0; i < 8; i++ {
		if i == bestStart {
			b = append(b, ':', ':')
			i += bestLen - 1
			continue
		}
		if i > 0 && b[len(b)-1] != ':' {
			b = append(b, ':')
		}
		b = strconv.AppendUint(b, uint64(ip[2*i])<<8|uint64(ip[2*i+1]), 16)
	}
	return string(b)
}

// compareTie orders two advert sources for TieBreakUcarp: negative if x
// wins (stays master). IPv4 compares as a little-endian uint32, which is
// what ucarp's s_addr comparison does on x86; IPv6 compares bytewise; IPv4
// sorts before IPv6.
func compareTie(x, y Addr) int {
	if x.fam != y.fam {
		if x.fam < y.fam {
			return -1
		}
		return 1
	}
	if x.fam == 4 {
		xv := binary.LittleEndian.Uint32(x.b[:4])
		yv := binary.LittleEndian.Uint32(y.b[:4])
		switch {
		case xv < yv:
			return -1
		case xv > yv:
			return 1
		}
		return 0
	}
	return bytes.Compare(x.b[:], y.b[:])
}
