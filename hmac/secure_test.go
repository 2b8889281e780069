package hmac_test

import (
	"crypto/hkdf"
	stdhmac "crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"net/netip"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gocarp/gocarp/hmac"
)

var (
	secFields = hmac.Fields{Version: 2, Type: 1, AdvSkew: 10, AuthLen: 7, Demote: 0, AdvBase: 1}
	secSrc    = netip.MustParseAddr("198.51.100.1")
)

// TestSecureDigestIsTheSpecifiedOne recomputes the secure digest from its
// definition (NewSecureSigner's doc) with the standard library alone.
func TestSecureDigestIsTheSpecifiedOne(t *testing.T) {
	pw := []byte("secret")
	vips := addrs("2001:db8::100", "198.51.100.100", "fe80::1")
	s, err := hmac.NewSecureSigner(pw, 42, vips)
	require.NoError(t, err)
	require.True(t, s.Secure())

	key, err := hkdf.Key(sha256.New, pw, nil, hmac.SecureKeyInfo, 32)
	require.NoError(t, err)
	msg := []byte{2, 1, 42, 10, 7, 0, 1}
	msg = binary.BigEndian.AppendUint64(msg, 77)
	msg = append(msg, 4, 198, 51, 100, 1, 198, 51, 100, 100)
	for _, a := range []string{"2001:db8::100", "fe80::1"} { // sorted, link-local included
		b := netip.MustParseAddr(a).As16()
		msg = append(msg, b[:]...)
	}
	m := stdhmac.New(sha256.New, key)
	m.Write(msg)
	want := m.Sum(nil)[:hmac.Size]

	got := s.SignFields(secFields, secSrc, 77)
	require.Equal(t, want, got[:])
	require.True(t, s.VerifyFields(secFields, secSrc, 77, want))
}

// TestSecureCoversHeader: every field a compatible digest leaves out
// changes a secure one.
func TestSecureCoversHeader(t *testing.T) {
	s, err := hmac.NewSecureSigner([]byte("secret"), 42, addrs("198.51.100.100"))
	require.NoError(t, err)
	d := s.SignFields(secFields, secSrc, 5)
	require.True(t, s.VerifyFields(secFields, secSrc, 5, d[:]))
	for name, f := range map[string]func(*hmac.Fields){
		"advskew": func(f *hmac.Fields) { f.AdvSkew = 0 },
		"advbase": func(f *hmac.Fields) { f.AdvBase = 255 },
		"demote":  func(f *hmac.Fields) { f.Demote = 1 },
		"authlen": func(f *hmac.Fields) { f.AuthLen = 0 },
		"type":    func(f *hmac.Fields) { f.Type = 2 },
		"version": func(f *hmac.Fields) { f.Version = 3 },
	} {
		g := secFields
		f(&g)
		require.False(t, s.VerifyFields(g, secSrc, 5, d[:]), name)
	}
	require.False(t, s.VerifyFields(secFields, netip.MustParseAddr("198.51.100.2"), 5, d[:]), "source")
	require.False(t, s.VerifyFields(secFields, secSrc, 6, d[:]), "counter")

	other, err := hmac.NewSecureSigner([]byte("secret"), 43, addrs("198.51.100.100"))
	require.NoError(t, err)
	require.False(t, other.VerifyFields(secFields, secSrc, 5, d[:]), "vhid")
}

// TestSecureAndCompatibleDoNotMix: the same password gives digests that
// the other mode refuses, both ways.
func TestSecureAndCompatibleDoNotMix(t *testing.T) {
	vips := addrs("198.51.100.100")
	sec, err := hmac.NewSecureSigner([]byte("secret"), 42, vips)
	require.NoError(t, err)
	compat, err := hmac.NewSigner([]byte("secret"), 42, vips)
	require.NoError(t, err)
	require.False(t, compat.Secure())
	c := compat.SignFields(secFields, secSrc, 5)
	require.Equal(t, compat.Sign(5), c, "a compatible Signer ignores the fields")
	require.True(t, compat.VerifyFields(hmac.Fields{}, netip.Addr{}, 5, c[:]))
	require.False(t, sec.VerifyFields(secFields, secSrc, 5, c[:]))
	d := sec.SignFields(secFields, secSrc, 5)
	require.False(t, compat.Verify(5, d[:]))
}

func TestSecureErrorsAndAllocs(t *testing.T) {
	_, err := hmac.NewSecureSigner(nil, 1, nil)
	require.ErrorIs(t, err, hmac.ErrEmptyPassword)
	_, err = hmac.NewSecureSigner(make([]byte, 20), 1, nil)
	require.ErrorIs(t, err, hmac.ErrPasswordTooLong)

	s, err := hmac.NewSecureSigner([]byte("secret"), 42, addrs("198.51.100.100", "2001:db8::1"))
	require.NoError(t, err)
	var d [hmac.Size]byte
	var ok bool
	require.Zero(t, testing.AllocsPerRun(100, func() { d = s.SignFields(secFields, secSrc, 7) }))
	require.Zero(t, testing.AllocsPerRun(100, func() { ok = s.VerifyFields(secFields, secSrc, 7, d[:]) }))
	require.True(t, ok)
}
