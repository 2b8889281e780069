package wire

// Checksum returns the RFC 1071 Internet checksum of b: the one's
// complement of the one's complement sum of its big-endian 16-bit words,
// an odd last byte padded with zero.
//
// To fill a checksum field, compute it over the data with the field zero
// and store the result big-endian. To check data that contains its
// checksum, Checksum over all of it is 0.
//
// CARP's checksum covers the 36 CARP bytes only, with no pseudo-header, for
// IPv4 and IPv6 alike (spec §1.4).
func Checksum(b []byte) uint16 {
	return ^carpFoldSum(carpSum(0, b))
}

// carpSum adds b's 16-bit words to sum. A 64-bit accumulator cannot
// overflow for any slice that fits in memory.
func carpSum(sum uint64, b []byte) uint64 {
	for len(b) >= 2 {
		sum += uint64(b[0])<<8 | uint64(b[1])
		b = b[2:]
	}
	if len(b) == 1 {
		sum += uint64(b[0]) << 8
	}
	return sum
}

// carpFoldSum folds the carries back in (end-around carry).
func carpFoldSum(sum uint64) uint16 {
	for sum>>16 != 0 {
		sum = sum&0xffff + sum>>16
	}
	return uint16(sum)
}
