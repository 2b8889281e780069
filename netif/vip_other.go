//go:build !linux

package netif

import "context"

// Run returns ErrNotImplemented: address management needs Linux netlink.
// NewVIPManager already refuses to build a manager off Linux.
func (m *VIPManager) Run(ctx context.Context) error {
	if err := m.begin(); err != nil {
		return err
	}
	return ErrNotImplemented
}
