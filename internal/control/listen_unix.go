//go:build unix

package control

import (
	"net"
	"syscall"
)

// listenOwnerOnly creates the socket owner-only from the start (the umask
// decides its mode), not after a chmod that would leave a window.
func listenOwnerOnly(path string) (net.Listener, error) {
	old := syscall.Umask(0o177)
	defer syscall.Umask(old)
	return net.Listen("unix", path)
}
