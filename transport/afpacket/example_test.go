package afpacket_test

import (
	"fmt"
	"net/netip"

	"github.com/gocarp/gocarp/transport/afpacket"
)

func ExampleVirtualMAC() {
	fmt.Println(afpacket.VirtualMAC(42, false)) // ucarp
	fmt.Println(afpacket.VirtualMAC(42, true))  // OpenBSD, FreeBSD
	// Output:
	// 00:00:5e:00:00:2a
	// 00:00:5e:00:01:2a
}

func ExampleMulticastMAC() {
	for _, g := range []string{"224.0.0.18", "ff02::12"} {
		mac, err := afpacket.MulticastMAC(netip.MustParseAddr(g))
		if err != nil {
			panic(err)
		}
		fmt.Println(g, mac)
	}
	// Output:
	// 224.0.0.18 01:00:5e:00:00:12
	// ff02::12 33:33:00:00:00:12
}
