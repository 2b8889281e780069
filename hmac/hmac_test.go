package hmac_test

import (
	stdhmac "crypto/hmac"
	"crypto/sha1"
	"encoding/binary"
	"encoding/hex"
	"net/netip"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gocarp/gocarp/hmac"
)

func addrs(ss ...string) []netip.Addr {
	out := make([]netip.Addr, 0, len(ss))
	for _, s := range ss {
		out = append(out, netip.MustParseAddr(s))
	}
	return out
}

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	require.NoError(t, err)
	return b
}

// bare is the naive, independent computation: a fresh crypto/hmac over msg.
func bare(key, msg []byte) []byte {
	m := stdhmac.New(sha1.New, key)
	m.Write(msg)
	return m.Sum(nil)
}

// TestVectors checks digests recorded from the real ucarp binary
// (/work/shared/vectors/ucarp/*.verify.txt and spec §2).
func TestVectors(t *testing.T) {
	tests := []struct {
		name     string
		password string
		vhid     uint8
		vip      string
		counter  uint64
		digest   string
	}{
		{"spec counter 0", "secret", 42, "198.51.100.100", 0, "0ed755491e05bff266f98c2c45082c25587a7514"},
		{"spec counter 1", "secret", 42, "198.51.100.100", 1, "e5d3a9cdde67d75880901d2e961dd60789507232"},
		{"counter_wrap counter 2", "secret", 42, "198.51.100.100", 2, "ca2469d8096a13e9a13ecf76e3e4b322f0ae0c23"},
		{"counter_wrap injected", "secret", 42, "198.51.100.100", 0xffffffffffffffff, "7f140af9fd5544d52390dfa2f7e771f5a6beb4ef"},
		{"v2_maxpass 19-byte password", "0123456789abcdefghi", 1, "198.51.100.201", 0x8dea2d778ad83bdc, "44c71a0e40459a851c21b3b13f20a2ef218ac2ec"},
		{"v3_mcast vhid 255", "p", 255, "198.51.100.254", 0x546cee5978b2c785, "337c1ec02ada15b7059332b1d8eec9029bf73b10"},
		{"v4_nomcast vhid 7", "secret", 7, "198.51.100.77", 0x621e5d6f6e83ab50, "fe300e922574596fd9ced71c1de64c7b0617e0e8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := hmac.NewSigner([]byte(tt.password), tt.vhid, addrs(tt.vip))
			require.NoError(t, err)
			want := unhex(t, tt.digest)
			got := s.Sign(tt.counter)
			require.Equal(t, want, got[:])
			require.True(t, s.Verify(tt.counter, want))
			require.False(t, s.Verify(tt.counter+1, want), "digest must depend on the counter")
			require.Equal(t, want, bare([]byte(tt.password), hmac.Message(tt.vhid, addrs(tt.vip), tt.counter)))
		})
	}
}

func TestMessageSpecVector(t *testing.T) {
	got := hmac.Message(42, addrs("198.51.100.100"), 0)
	require.Equal(t, unhex(t, "02012ac63364640000000000000000"), got)
}

func TestMessageOrdering(t *testing.T) {
	tests := []struct {
		name string
		vips []string
		want string
	}{
		{
			name: "no VIP",
			want: "020105",
		},
		{
			name: "IPv4 sorted numerically and deduplicated",
			vips: []string{"10.0.0.2", "9.255.255.255", "10.0.0.2", "10.0.0.10"},
			want: "020105" + "09ffffff" + "0a000002" + "0a00000a",
		},
		{
			name: "IPv4 first, IPv6 after, by bytes",
			vips: []string{"2001:db8::2", "192.0.2.1", "2001:db8::1", "2001:db8::2"},
			want: "020105" + "c0000201" + "20010db8000000000000000000000001" + "20010db8000000000000000000000002",
		},
		{
			name: "IPv4-mapped counts as IPv4, zones are stripped",
			vips: []string{"::ffff:192.0.2.9", "2001:db8::1%eth0", "192.0.2.1"},
			want: "020105" + "c0000201" + "c0000209" + "20010db8000000000000000000000001",
		},
		{
			name: "link-local IPv6 left out",
			vips: []string{"fe80::1%eth0", "2001:db8::1"},
			want: "020105" + "20010db8000000000000000000000001",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := binary.BigEndian.AppendUint64(unhex(t, tt.want), 0x0102030405060708)
			require.Equal(t, want, hmac.Message(5, addrs(tt.vips...), 0x0102030405060708))

			s, err := hmac.NewSigner([]byte("pw"), 5, addrs(tt.vips...))
			require.NoError(t, err)
			got := s.Sign(0x0102030405060708)
			require.Equal(t, bare([]byte("pw"), want), got[:])
		})
	}
}

func TestSignerOrderIndependent(t *testing.T) {
	a, err := hmac.NewSigner([]byte("pw"), 9, addrs("192.0.2.3", "2001:db8::9", "192.0.2.1"))
	require.NoError(t, err)
	b, err := hmac.NewSigner([]byte("pw"), 9, addrs("2001:db8::9", "192.0.2.1", "192.0.2.3", "192.0.2.1"))
	require.NoError(t, err)
	require.Equal(t, a.Sign(77), b.Sign(77))
}

func TestLinkLocalForms(t *testing.T) {
	key := []byte("secret")
	vips := addrs("fe80::1%eth0", "2001:db8::1", "192.0.2.1")
	s, err := hmac.NewSigner(key, 3, vips)
	require.NoError(t, err)

	const counter = 1234
	ctr := binary.BigEndian.AppendUint64(nil, counter)
	head := unhex(t, "020103"+"c0000201")
	openbsd := bare(key, append(append(append([]byte{}, head...), unhex(t, "20010db8000000000000000000000001")...), ctr...))
	freebsd := bare(key, append(append(append([]byte{}, head...),
		unhex(t, "20010db8000000000000000000000001"+"fe800000000000000000000000000001")...), ctr...))
	require.NotEqual(t, openbsd, freebsd)

	sent := s.Sign(counter)
	require.Equal(t, openbsd, sent[:], "we send the OpenBSD form")
	require.True(t, s.Verify(counter, openbsd), "OpenBSD form accepted")
	require.True(t, s.Verify(counter, freebsd), "FreeBSD form accepted")
	require.False(t, s.Verify(counter+1, freebsd))
	require.False(t, s.Verify(counter+1, openbsd))
}

func TestNewSignerErrors(t *testing.T) {
	tests := []struct {
		name     string
		password string
		vips     []netip.Addr
		err      error
	}{
		{"empty password", "", addrs("192.0.2.1"), hmac.ErrEmptyPassword},
		{"20 bytes", "0123456789abcdefghij", addrs("192.0.2.1"), hmac.ErrPasswordTooLong},
		{"64 bytes", string(make([]byte, 64)), addrs("192.0.2.1"), hmac.ErrPasswordTooLong},
		{"zero VIP", "secret", []netip.Addr{netip.MustParseAddr("192.0.2.1"), {}}, hmac.ErrInvalidVIP},
		{"1 byte", "p", addrs("192.0.2.1"), nil},
		{"19 bytes", "0123456789abcdefghi", addrs("192.0.2.1"), nil},
		{"no VIP", "secret", nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := hmac.NewSigner([]byte(tt.password), 1, tt.vips)
			if tt.err != nil {
				require.ErrorIs(t, err, tt.err)
				require.Nil(t, s)
				require.Contains(t, err.Error(), "hmac: ")
				return
			}
			require.NoError(t, err)
			require.NotNil(t, s)
		})
	}
	require.NotEqual(t, hmac.ErrEmptyPassword, hmac.ErrPasswordTooLong)
}

func TestVerifyRejects(t *testing.T) {
	s, err := hmac.NewSigner([]byte("secret"), 42, addrs("198.51.100.100"))
	require.NoError(t, err)
	good := s.Sign(0)
	require.True(t, s.Verify(0, good[:]))
	require.False(t, s.Verify(0, good[:hmac.Size-1]), "short digest")
	require.False(t, s.Verify(0, append(good[:], 0)), "long digest")
	require.False(t, s.Verify(0, nil))
	for i := range hmac.Size * 8 {
		bad := good
		bad[i/8] ^= 1 << (i % 8)
		require.False(t, s.Verify(0, bad[:]), "bit %d flipped", i)
	}
	other, err := hmac.NewSigner([]byte("secreT"), 42, addrs("198.51.100.100"))
	require.NoError(t, err)
	require.False(t, other.Verify(0, good[:]), "other password")
	other, err = hmac.NewSigner([]byte("secret"), 43, addrs("198.51.100.100"))
	require.NoError(t, err)
	require.False(t, other.Verify(0, good[:]), "other vhid")
	other, err = hmac.NewSigner([]byte("secret"), 42, addrs("198.51.100.101"))
	require.NoError(t, err)
	require.False(t, other.Verify(0, good[:]), "other VIP")
}

// TestSignerReuse makes sure the saved state is restored between calls:
// a stale inner state would make the second digest differ.
func TestSignerReuse(t *testing.T) {
	s, err := hmac.NewSigner([]byte("secret"), 42, addrs("198.51.100.100", "fe80::5"))
	require.NoError(t, err)
	first := s.Sign(1)
	for range 3 {
		require.False(t, s.Verify(0, first[:]), "wrong counter")
		require.True(t, s.Verify(1, first[:]))
		require.Equal(t, first, s.Sign(1))
	}
}

func TestZeroAllocs(t *testing.T) {
	for _, vips := range [][]netip.Addr{addrs("198.51.100.100"), addrs("198.51.100.100", "fe80::1", "2001:db8::1")} {
		s, err := hmac.NewSigner([]byte("secret"), 42, vips)
		require.NoError(t, err)
		d := s.Sign(7)
		var ok bool
		require.Zero(t, testing.AllocsPerRun(100, func() { d = s.Sign(7) }), "Sign")
		require.Zero(t, testing.AllocsPerRun(100, func() { ok = s.Verify(7, d[:]) }), "Verify")
		require.True(t, ok)
	}
}
