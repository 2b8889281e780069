//go:build !linux

package inspect

import (
	"context"
	"io"
)

func live(ctx context.Context, iface string, opts Options, w io.Writer) error {
	return ErrLiveUnsupported
}
