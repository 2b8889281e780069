package wire_test

import (
	"net/netip"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gocarp/gocarp/hmac"
	"github.com/gocarp/gocarp/wire"
)

// TestFilterSecure: a secure Signer refuses a rewritten header or source
// and a compatible advert; a compatible one accepts the rewrite.
func TestFilterSecure(t *testing.T) {
	src := netip.MustParseAddr("198.51.100.1")
	vips := []netip.Addr{netip.MustParseAddr("198.51.100.100")}
	sec, err := hmac.NewSecureSigner([]byte("secret"), 42, vips)
	require.NoError(t, err)
	compat, err := hmac.NewSigner([]byte("secret"), 42, vips)
	require.NoError(t, err)

	build := func(s *hmac.Signer, from netip.Addr, edit func(*wire.Advert)) *wire.Packet {
		a := wire.Advert{Version: wire.Version, Type: wire.TypeAdvertisement, VHID: 42,
			AdvSkew: 100, AuthLen: wire.AuthLen, AdvBase: 1, Counter: 9}
		a.Sign(s, src)
		if edit != nil {
			edit(&a) // after signing: an attacker's rewrite
		}
		b, err := wire.AppendIPv4(nil, from, wire.IPv4Group, 1, &a)
		require.NoError(t, err)
		var p wire.Packet
		require.NoError(t, p.UnmarshalBinary(b))
		return &p
	}
	skew0 := func(a *wire.Advert) { a.AdvSkew = 0 }
	for _, tc := range []struct {
		name   string
		signer *hmac.Signer
		from   netip.Addr
		edit   func(*wire.Advert)
		err    error
	}{
		{"secure", sec, src, nil, nil},
		{"secure, advskew rewritten", sec, src, skew0, wire.ErrBadDigest},
		{"secure, advbase rewritten", sec, src, func(a *wire.Advert) { a.AdvBase = 255 }, wire.ErrBadDigest},
		{"secure, demote rewritten", sec, src, func(a *wire.Advert) { a.Demote = 9 }, wire.ErrBadDigest},
		{"secure, source rewritten", sec, netip.MustParseAddr("198.51.100.7"), nil, wire.ErrBadDigest},
		{"compatible", compat, src, nil, nil},
		{"compatible, advskew rewritten", compat, src, skew0, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := wire.Filter{VHID: 42, Signer: tc.signer}
			require.ErrorIs(t, f.Check(build(tc.signer, tc.from, tc.edit)), tc.err)
		})
	}
	// The modes refuse each other, whatever the password.
	f := wire.Filter{VHID: 42, Signer: sec}
	require.ErrorIs(t, f.Check(build(compat, src, nil)), wire.ErrBadDigest)
	f.Signer = compat
	require.ErrorIs(t, f.Check(build(sec, src, nil)), wire.ErrBadDigest)
}
