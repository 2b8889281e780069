package arp_test

import (
	"fmt"
	"net"
	"net/netip"

	"github.com/gocarp/gocarp/arp"
)

func ExampleGratuitousARP() {
	mac, _ := net.ParseMAC("02:00:00:00:00:0a")
	frame, err := arp.GratuitousARP(mac, netip.MustParseAddr("198.51.100.100"))
	if err != nil {
		panic(err)
	}
	fmt.Printf("% x\n", frame[:14])   // Ethernet: broadcast, from mac, ARP
	fmt.Printf("% x\n", frame[14:22]) // Ethernet/IPv4, request
	fmt.Printf("% x\n", frame[22:])   // sender = target = (mac, VIP)
	// Output:
	// ff ff ff ff ff ff 02 00 00 00 00 0a 08 06
	// 00 01 08 00 06 04 00 01
	// 02 00 00 00 00 0a c6 33 64 64 02 00 00 00 00 0a c6 33 64 64
}
