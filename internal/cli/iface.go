package cli

import (
	"fmt"
	"net"
)

// DefaultInterface picks the interface carpd uses when -i is not given: the
// first (lowest index) interface that is up, is not a loopback, can broadcast
// or multicast, and has an IPv4 address.
//
// ucarp calls libpcap's pcap_lookupdev instead, which returns libpcap's first
// capture device; with libpcap 1.10 on a host with only a loopback that is the
// pseudo-device "any", on which ucarp cannot work. carpd refuses instead.
func DefaultInterface() (string, error) {
	ifs, err := net.Interfaces()
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrNoInterface, err)
	}
	return pickInterface(ifs, func(i net.Interface) ([]net.Addr, error) { return i.Addrs() })
}

// pickInterface is DefaultInterface over given interfaces, so it can be tested.
func pickInterface(ifs []net.Interface, addrs func(net.Interface) ([]net.Addr, error)) (string, error) {
	for _, i := range ifs {
		if i.Flags&net.FlagUp == 0 || i.Flags&net.FlagLoopback != 0 ||
			i.Flags&(net.FlagBroadcast|net.FlagMulticast) == 0 {
			continue
		}
		as, err := addrs(i)
		if err != nil {
			continue
		}
		for _, a := range as {
			if n, ok := a.(*net.IPNet); ok && n.IP.To4() != nil {
				return i.Name, nil
			}
		}
	}
	return "", fmt.Errorf("%w: none is up, non-loopback and has an IPv4 address; use -i", ErrNoInterface)
}
