package afpacket

import (
	"net"
	"net/netip"
)

// Internals the black-box tests check against captures and the BPF VM.
var (
	Filter      = filter
	RejectAll   = rejectAll
	AppendFrame = appendFrame
	IPPacket    = ipPacket
)

// Plan is sendPlan with its fields visible to the tests.
type Plan struct {
	MAC       net.HardwareAddr
	EtherType uint16
	Routed    bool
	Src, Dst  netip.Addr
	Payload   []byte
}

// PlanSend is planSend, for the black-box tests.
func PlanSend(pkt []byte, noMulticast bool) (Plan, error) {
	p, err := planSend(pkt, noMulticast)
	return Plan{MAC: p.mac, EtherType: p.etherType, Routed: p.routed, Src: p.src, Dst: p.dst, Payload: p.payload}, err
}
