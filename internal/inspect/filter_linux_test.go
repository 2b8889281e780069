package inspect

import (
	"testing"

	"github.com/stretchr/testify/require"
	"golang.org/x/net/bpf"
)

// TestCarpFilter runs the filter in x/net/bpf's VM, with the EtherType the
// kernel's SKF_AD_PROTOCOL would give as a constant.
func TestCarpFilter(t *testing.T) {
	_, err := kernelFilter()
	require.NoError(t, err)

	v4 := func(proto byte) []byte {
		b := make([]byte, 56)
		b[0], b[9] = 0x45, proto
		return b
	}
	v6 := func(next byte) []byte {
		b := make([]byte, 76)
		b[0], b[6] = 0x60, next
		return b
	}
	tests := []struct {
		name      string
		etherType uint32
		pkt       []byte
		accept    bool
	}{
		{name: "IPv4 CARP", etherType: etherTypeIPv4, pkt: v4(112), accept: true},
		{name: "IPv4 UDP", etherType: etherTypeIPv4, pkt: v4(17)},
		{name: "IPv6 CARP", etherType: etherTypeIPv6, pkt: v6(112), accept: true},
		{name: "IPv6 ICMPv6", etherType: etherTypeIPv6, pkt: v6(58)},
		{name: "IPv6 proto byte at the IPv4 offset", etherType: etherTypeIPv6, pkt: func() []byte { b := v6(58); b[9] = 112; return b }()},
		{name: "ARP looking like CARP", etherType: 0x0806, pkt: v4(112)},
		{name: "IPv4 too short", etherType: etherTypeIPv4, pkt: []byte{0x45, 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			vm, err := bpf.NewVM(carpFilter(bpf.LoadConstant{Dst: bpf.RegA, Val: tt.etherType}))
			require.NoError(t, err)
			n, err := vm.Run(tt.pkt)
			require.NoError(t, err)
			if tt.accept {
				require.Equal(t, filterSnapLen, n)
			} else {
				require.Zero(t, n)
			}
		})
	}
}
