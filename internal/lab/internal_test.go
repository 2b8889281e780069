//go:build linux

package lab

import (
	"net/netip"
	"testing"
	"time"
	"unsafe"

	"github.com/gocarp/gocarp/wire"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

func TestLogField(t *testing.T) {
	line := `time=2026-01-02T03:04:05Z level=INFO msg="switching to state: MASTER" reason="master down" vhid=42`
	tests := []struct{ key, want string }{
		{"msg", "switching to state: MASTER"},
		{"reason", "master down"},
		{"vhid", "42"},
		{"level", "INFO"},
		{"missing", ""},
	}
	for _, tt := range tests {
		t.Run(tt.key, func(t *testing.T) {
			require.Equal(t, tt.want, logField(line, tt.key))
		})
	}
	require.Equal(t, "start", logField(`level=INFO msg="switching to state: BACKUP" reason=start`, "reason"))
}

func TestParseFrame(t *testing.T) {
	src, dst := netip.MustParseAddr("198.51.100.2"), netip.MustParseAddr("224.0.0.18")
	mac := []byte{0x02, 0, 0, 0, 0, 0x0b}
	eth := append([]byte{0x01, 0x00, 0x5e, 0x00, 0x00, 0x12}, mac...)
	eth = append(eth, 0x08, 0x00)
	when := time.Unix(1700000000, 123456789)
	ts := unix.NsecToTimespec(when.UnixNano())
	oob := make([]byte, unix.CmsgSpace(int(unsafe.Sizeof(ts))))
	h := (*unix.Cmsghdr)(unsafe.Pointer(&oob[0]))
	h.Level, h.Type = unix.SOL_SOCKET, unix.SCM_TIMESTAMPNS
	h.SetLen(unix.CmsgLen(int(unsafe.Sizeof(ts))))
	copy(oob[unix.CmsgLen(0):], unsafe.Slice((*byte)(unsafe.Pointer(&ts)), unsafe.Sizeof(ts)))

	tests := []struct {
		name   string
		advert wire.Advert
		bowOut bool
	}{
		{"regular", wire.Advert{Version: 2, Type: 1, VHID: 42, AdvSkew: 50, AdvBase: 1, AuthLen: 7}, false},
		{"bow-out", wire.Advert{Version: 2, Type: 1, VHID: 42, AdvSkew: 255, AdvBase: 255, AuthLen: 7}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			frame, err := wire.AppendIPv4(append([]byte(nil), eth...), src, dst, 1, &tt.advert)
			require.NoError(t, err)
			a, ok := parseFrame(frame, oob)
			require.True(t, ok)
			require.Equal(t, src, a.Src)
			require.Equal(t, mac, []byte(a.SrcMAC))
			require.Equal(t, tt.advert.VHID, a.VHID)
			require.Equal(t, tt.advert.AdvBase, a.AdvBase)
			require.Equal(t, tt.advert.AdvSkew, a.AdvSkew)
			require.Equal(t, tt.bowOut, a.BowOut())
			require.True(t, when.Equal(a.Time), "timestamp %v, want %v", a.Time, when)

			_, ok = parseFrame(frame[:len(frame)-1-wire.AdvertLen], oob)
			require.False(t, ok, "truncated frame")
		})
	}
}
