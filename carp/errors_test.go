package carp_test

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gocarp/gocarp/carp"
)

func TestErrorsDistinct(t *testing.T) {
	all := map[string]error{
		"too_short":       carp.ErrTooShort,
		"bad_ip_header":   carp.ErrBadIPHeader,
		"not_carp":        carp.ErrNotCARP,
		"own_packet":      carp.ErrOwnPacket,
		"bad_ttl":         carp.ErrBadTTL,
		"bad_version":     carp.ErrBadVersion,
		"bad_vhid":        carp.ErrBadVHID,
		"bad_destination": carp.ErrBadDestination,
		"bad_ip_checksum": carp.ErrBadIPChecksum,
		"bad_checksum":    carp.ErrBadChecksum,
		"bad_digest":      carp.ErrBadDigest,
	}
	require.Len(t, all, 11)
	for label, err := range all {
		require.True(t, strings.HasPrefix(err.Error(), "carp: "), err.Error())
		require.Equal(t, label, carp.DropReason(err))
		require.Equal(t, label, carp.DropReason(fmt.Errorf("wrapped: %w", err)), "wrapped errors")
		for other, e := range all {
			if other != label {
				require.NotErrorIs(t, err, e, "%s is %s", label, other)
			}
		}
	}
	require.ErrorIs(t, carp.ErrTooShort, io.ErrUnexpectedEOF)
	require.Equal(t, "other", carp.DropReason(errors.New("carp: something else")))
	require.Equal(t, "other", carp.DropReason(io.ErrUnexpectedEOF), "only ErrTooShort is too_short")
	require.Empty(t, carp.DropReason(nil))
}
