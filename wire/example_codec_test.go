package wire_test

import (
	"fmt"
	"net/netip"

	"github.com/gocarp/gocarp/hmac"
	"github.com/gocarp/gocarp/wire"
)

// Example_codec signs and frames an advertisement as a master would, then
// parses and checks it as a backup would.
func Example() {
	vips := []netip.Addr{netip.MustParseAddr("198.51.100.100")}
	signer, err := hmac.NewSigner([]byte("secret"), 42, vips)
	if err != nil {
		panic(err)
	}

	// Master: build the advert and its IPv4 packet.
	const counter = 1
	a := wire.Advert{
		Version: wire.Version, Type: wire.TypeAdvertisement, VHID: 42,
		AuthLen: wire.AuthLen, AdvBase: 1, AdvSkew: 0,
		Counter: counter, Digest: signer.Sign(counter),
	}
	pkt, err := wire.AppendIPv4(nil, netip.MustParseAddr("198.51.100.1"), wire.IPv4Group, 0x1234, &a)
	if err != nil {
		panic(err)
	}

	// Backup: parse and validate (spec §7).
	var p wire.Packet
	if err := p.UnmarshalBinary(pkt); err != nil {
		fmt.Println("drop:", wire.DropReason(err))
		return
	}
	f := wire.Filter{VHID: 42, Local: []netip.Addr{netip.MustParseAddr("198.51.100.2")}, Signer: signer}
	if err := f.Check(&p); err != nil {
		fmt.Println("drop:", wire.DropReason(err))
		return
	}
	fmt.Println("checked")
	// Output: checked
}
