package wire_test

import (
	"encoding/binary"
	"encoding/hex"
	"net/netip"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gocarp/gocarp/hmac"
	"github.com/gocarp/gocarp/wire"
)

func vecUnhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	require.NoError(t, err)
	return b
}

// TestVectorSpec reproduces the reference vector of spec §2 byte for byte.
func TestVectorSpec(t *testing.T) {
	vips := []netip.Addr{netip.MustParseAddr("198.51.100.100")}
	s, err := hmac.NewSigner([]byte("secret"), 42, vips)
	require.NoError(t, err)

	require.Equal(t, "02012ac6336464"+"0000000000000000", hex.EncodeToString(hmac.Message(42, vips, 0)))

	a := wire.Advert{
		Version: wire.Version, Type: wire.TypeAdvertisement, VHID: 42,
		AdvSkew: 0, AuthLen: wire.AuthLen, Demote: 0, AdvBase: 1,
		Counter: 0, Digest: s.Sign(0),
	}
	b, err := a.MarshalBinary()
	require.NoError(t, err)
	require.Equal(t,
		"212a000700016ad3"+"0000000000000000"+
			"0ed755491e05bff266f98c2c45082c25587a7514",
		hex.EncodeToString(b))
	require.EqualValues(t, 0x6ad3, a.Checksum)

	a.Counter = 1
	a.Digest = s.Sign(1)
	b, err = a.MarshalBinary()
	require.NoError(t, err)
	require.Equal(t, "e5d3a9cdde67d75880901d2e961dd60789507232", hex.EncodeToString(a.Digest[:]))
	require.EqualValues(t, 0x9403, a.Checksum)
	require.EqualValues(t, 0x9403, binary.BigEndian.Uint16(b[6:8]))
	require.Zero(t, wire.Checksum(b), "a buffer holding its checksum sums to zero")
}

func TestAdvertRoundTrip(t *testing.T) {
	tests := []wire.Advert{
		{},
		{Version: 2, Type: 1, VHID: 1, AuthLen: 7, AdvBase: 1},
		{Version: 2, Type: 1, VHID: 255, AdvSkew: 255, AuthLen: 7, Demote: 32, AdvBase: 255, Counter: ^uint64(0)},
		{Version: 15, Type: 15, VHID: 0x5a, AdvSkew: 0xa5, AuthLen: 0xff, Demote: 0xff, AdvBase: 0, Counter: 0x0102030405060708,
			Digest: [hmac.Size]byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20}},
	}
	for _, want := range tests {
		a := want
		b, err := a.MarshalBinary()
		require.NoError(t, err)
		require.Len(t, b, wire.AdvertLen)
		require.Zero(t, wire.Checksum(b))
		require.Equal(t, binary.BigEndian.Uint16(b[6:8]), a.Checksum)

		var got wire.Advert
		require.NoError(t, got.UnmarshalBinary(append(b, 0xee, 0xff))) // trailing bytes ignored
		want.Checksum = a.Checksum
		require.Equal(t, want, got)

		// AppendBinary appends and leaves the prefix alone.
		c, err := got.AppendBinary([]byte("xy"))
		require.NoError(t, err)
		require.Equal(t, append([]byte("xy"), b...), c)
	}
}

func TestAdvertFieldOffsets(t *testing.T) {
	a := wire.Advert{Version: 2, Type: 1, VHID: 0x11, AdvSkew: 0x22, AuthLen: 0x33, Demote: 0x44, AdvBase: 0x55,
		Counter: 0x66778899aabbccdd, Digest: [hmac.Size]byte{0: 0xe0, 19: 0xef}}
	b, err := a.MarshalBinary()
	require.NoError(t, err)
	require.Equal(t, "2111223344550000"[:12], hex.EncodeToString(b[:6]))
	require.Equal(t, "66778899aabbccdd", hex.EncodeToString(b[8:16]))
	require.Equal(t, byte(0xe0), b[16])
	require.Equal(t, byte(0xef), b[35])
}

func TestAdvertErrors(t *testing.T) {
	for _, a := range []wire.Advert{{Version: 16}, {Type: 16}, {Version: 255, Type: 255}} {
		b, err := a.AppendBinary([]byte{9})
		require.Error(t, err)
		require.Contains(t, err.Error(), "carp: ")
		require.Equal(t, []byte{9}, b)
		_, err = a.MarshalBinary()
		require.Error(t, err)
	}
	var a wire.Advert
	for n := range wire.AdvertLen {
		err := a.UnmarshalBinary(make([]byte, n))
		require.ErrorIs(t, err, wire.ErrTooShort, "%d bytes", n)
	}
	require.NoError(t, a.UnmarshalBinary(make([]byte, wire.AdvertLen)))
}

func FuzzAdvert(f *testing.F) {
	for _, c := range append(vecCaptures, vecCapture{file: "validate"}, vecCapture{file: "validate2"}) {
		for _, fr := range vecReadCapture(f, c.file) {
			if len(fr.pkt) > wire.IPv4HeaderLen {
				f.Add(fr.pkt[wire.IPv4HeaderLen:])
			}
		}
	}
	f.Add([]byte{})
	f.Add(make([]byte, wire.AdvertLen-1))
	f.Fuzz(func(t *testing.T, data []byte) {
		var a wire.Advert
		err := a.UnmarshalBinary(data)
		if len(data) < wire.AdvertLen {
			require.ErrorIs(t, err, wire.ErrTooShort)
			return
		}
		require.NoError(t, err)
		in := data[:wire.AdvertLen]
		onWire := a.Checksum

		out, err := a.AppendBinary(nil)
		require.NoError(t, err, "nibbles from the wire always fit")
		require.Len(t, out, wire.AdvertLen)
		require.Equal(t, in[:6], out[:6])
		require.Equal(t, in[8:], out[8:])
		require.Zero(t, wire.Checksum(out))
		if wire.Checksum(in) == 0 && onWire == a.Checksum {
			// A correct checksum round-trips exactly. (One's complement
			// has two zeros: a field of 0xffff where we compute 0x0000 is
			// correct too, and is rewritten.)
			require.Equal(t, in, out)
		}

		var b wire.Advert
		require.NoError(t, b.UnmarshalBinary(out))
		require.Equal(t, a, b)
	})
}
