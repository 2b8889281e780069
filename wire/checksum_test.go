package wire_test

import (
	"encoding/binary"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gocarp/gocarp/wire"
)

// vecNaiveChecksum is RFC 1071 the textbook way, for comparison.
func vecNaiveChecksum(b []byte) uint16 {
	var sum uint32
	for i := 0; i < len(b); i += 2 {
		w := uint32(b[i]) << 8
		if i+1 < len(b) {
			w |= uint32(b[i+1])
		}
		sum += w
		sum = sum&0xffff + sum>>16
	}
	return ^uint16(sum)
}

func TestChecksum(t *testing.T) {
	tests := []struct {
		name string
		in   []byte
		want uint16
	}{
		{"empty", nil, 0xffff},
		{"zeros", make([]byte, 36), 0xffff},
		{"one byte pads with zero", []byte{0x12}, ^uint16(0x1200)},
		// RFC 1071 §3 example: sum 0xddf2 (carry folded in).
		{"RFC 1071 example", []byte{0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7}, ^uint16(0xddf2)},
		{"all ones", []byte{0xff, 0xff, 0xff, 0xff}, 0x0000},
		// ucarp's IPv4 header from the deterministic vector: 0x0304.
		{"IPv4 header", vecUnhex(t, "451000386dfa4000ff700000c6336401e0000012"), 0x0304},
		// spec §2 CARP header with the field zero: 0x6ad3.
		{"CARP advert", vecUnhex(t, "212a000700010000"+"0000000000000000"+"0ed755491e05bff266f98c2c45082c25587a7514"), 0x6ad3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.want, wire.Checksum(tt.in))
			require.Equal(t, vecNaiveChecksum(tt.in), wire.Checksum(tt.in))
		})
	}
}

// TestChecksumLarge guards the accumulator against overflow.
func TestChecksumLarge(t *testing.T) {
	b := make([]byte, 1<<20+1)
	for i := range b {
		b[i] = 0xff
	}
	require.Equal(t, vecNaiveChecksum(b), wire.Checksum(b))
	// Storing the checksum makes the whole sum to zero.
	c := make([]byte, 40)
	for i := range c {
		c[i] = byte(i * 37)
	}
	binary.BigEndian.PutUint16(c[10:], 0)
	binary.BigEndian.PutUint16(c[10:], wire.Checksum(c))
	require.Zero(t, wire.Checksum(c))
}
