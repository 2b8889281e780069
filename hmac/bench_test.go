package hmac_test

import (
	stdhmac "crypto/hmac"
	"crypto/sha1"
	"net/netip"
	"testing"

	"github.com/gocarp/gocarp/hmac"
)

var (
	benchKey  = []byte("secret")
	benchVIPs = []netip.Addr{netip.MustParseAddr("198.51.100.100")}
	benchSink [hmac.Size]byte
	benchOK   bool
)

func BenchmarkSign(b *testing.B) {
	s, err := hmac.NewSigner(benchKey, 42, benchVIPs)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		benchSink = s.Sign(uint64(i))
	}
}

func BenchmarkVerify(b *testing.B) {
	s, err := hmac.NewSigner(benchKey, 42, benchVIPs)
	if err != nil {
		b.Fatal(err)
	}
	d := s.Sign(1)
	b.ReportAllocs()
	for b.Loop() {
		benchOK = s.Verify(1, d[:])
	}
	if !benchOK {
		b.Fatal("verify failed")
	}
}

// BenchmarkBareHMACSHA1 is the naive way: a fresh crypto/hmac per message.
func BenchmarkBareHMACSHA1(b *testing.B) {
	msg := hmac.Message(42, benchVIPs, 1)
	b.ReportAllocs()
	for b.Loop() {
		m := stdhmac.New(sha1.New, benchKey)
		m.Write(msg)
		copy(benchSink[:], m.Sum(nil))
	}
}

// BenchmarkBareHMACSHA1Reused keeps one crypto/hmac and Resets it.
func BenchmarkBareHMACSHA1Reused(b *testing.B) {
	msg := hmac.Message(42, benchVIPs, 1)
	m := stdhmac.New(sha1.New, benchKey)
	buf := make([]byte, 0, hmac.Size)
	b.ReportAllocs()
	for b.Loop() {
		m.Reset()
		m.Write(msg)
		copy(benchSink[:], m.Sum(buf[:0]))
	}
}
