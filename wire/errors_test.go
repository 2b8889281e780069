package wire_test

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gocarp/gocarp/wire"
)

func TestErrorsDistinct(t *testing.T) {
	all := map[string]error{
		"too_short":       wire.ErrTooShort,
		"bad_ip_header":   wire.ErrBadIPHeader,
		"not_carp":        wire.ErrNotCARP,
		"own_packet":      wire.ErrOwnPacket,
		"bad_ttl":         wire.ErrBadTTL,
		"not_peer":        wire.ErrNotPeer,
		"bad_version":     wire.ErrBadVersion,
		"bad_vhid":        wire.ErrBadVHID,
		"bad_destination": wire.ErrBadDestination,
		"bad_ip_checksum": wire.ErrBadIPChecksum,
		"bad_checksum":    wire.ErrBadChecksum,
		"bad_digest":      wire.ErrBadDigest,
		"replay":          wire.ErrReplay,
		"stale":           wire.ErrStale,
	}
	require.Len(t, all, 14)
	for label, err := range all {
		require.True(t, strings.HasPrefix(err.Error(), "carp: "), err.Error())
		require.Equal(t, label, wire.DropReason(err))
		require.Equal(t, label, wire.DropReason(fmt.Errorf("wrapped: %w", err)), "wrapped errors")
		for other, e := range all {
			if other != label {
				require.NotErrorIs(t, err, e, "%s is %s", label, other)
			}
		}
	}
	require.ErrorIs(t, wire.ErrTooShort, io.ErrUnexpectedEOF)
	require.Equal(t, "other", wire.DropReason(errors.New("carp: something else")))
	require.Equal(t, "other", wire.DropReason(io.ErrUnexpectedEOF), "only ErrTooShort is too_short")
	require.Empty(t, wire.DropReason(nil))

	reasons := wire.DropReasons()
	require.Len(t, reasons, len(all)+1)
	for label := range all {
		require.Contains(t, reasons, label)
	}
	require.Equal(t, "other", reasons[len(reasons)-1])
}
