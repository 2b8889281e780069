//go:build !unix

package control

import "net"

// listenOwnerOnly listens; the file's access is the system's default.
func listenOwnerOnly(path string) (net.Listener, error) { return net.Listen("unix", path) }
