package netif

import (
	"net/netip"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestCheckVIP(t *testing.T) {
	tests := []struct {
		in      string // a prefix, or a bare address for HostPrefix
		want    string // normalised; "" when wantErr
		wantErr error
	}{
		{"192.0.2.100", "192.0.2.100/32", nil},
		{"192.0.2.100/24", "192.0.2.100/24", nil},
		{"192.0.2.100/31", "192.0.2.100/31", nil},
		{"192.0.2.255/32", "192.0.2.255/32", nil},
		{"192.0.2.1/31", "192.0.2.1/31", nil}, // RFC 3021: no broadcast on /31
		{"2001:db8::100", "2001:db8::100/128", nil},
		{"2001:db8::100/64", "2001:db8::100/64", nil},
		{"2001:db8::ffff/112", "2001:db8::ffff/112", nil}, // IPv6 has no broadcast
		{"fe80::100", "fe80::100/128", nil},
		{"::ffff:198.51.100.7", "198.51.100.7/32", nil},
		{"::ffff:198.51.100.7/120", "198.51.100.7/24", nil},

		{"0.0.0.0", "", ErrInvalidVIP},
		{"::", "", ErrInvalidVIP},
		{"127.0.0.1", "", ErrInvalidVIP},
		{"::1", "", ErrInvalidVIP},
		{"224.0.0.18", "", ErrInvalidVIP},
		{"ff02::12", "", ErrInvalidVIP},
		{"255.255.255.255", "", ErrInvalidVIP},
		{"192.0.2.255/24", "", ErrInvalidVIP},
		{"198.51.100.127/25", "", ErrInvalidVIP},
		{"192.0.2.100/0", "", ErrPrefixLen},
		{"2001:db8::1/0", "", ErrPrefixLen},
		{"::ffff:198.51.100.7/95", "", ErrPrefixLen},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			p, err := netip.ParsePrefix(tt.in)
			if err != nil {
				p = HostPrefix(netip.MustParseAddr(tt.in))
			}
			got, err := checkVIP(p)
			if tt.wantErr != nil {
				require.ErrorIs(t, err, tt.wantErr)
				require.Contains(t, err.Error(), p.Addr().Unmap().String(), "the error names the VIP")
				return
			}
			require.NoError(t, err)
			require.Equal(t, netip.MustParsePrefix(tt.want), got)
		})
	}

	_, err := checkVIP(netip.Prefix{})
	require.ErrorIs(t, err, ErrInvalidVIP)
	_, err = checkVIP(netip.PrefixFrom(netip.MustParseAddr("192.0.2.1"), 33))
	require.ErrorIs(t, err, ErrPrefixLen)
}

func TestHostPrefixDropsZone(t *testing.T) {
	require.Equal(t, netip.MustParsePrefix("fe80::1/128"), HostPrefix(netip.MustParseAddr("fe80::1%eth0")))
}

func TestPlan(t *testing.T) {
	p := netip.MustParsePrefix
	a1, a2 := p("192.0.2.1/32"), p("2001:db8::1/64")
	s := &VIPSet{}
	type held = map[netip.Addr]bool
	tests := []struct {
		name     string
		targets  []target
		present  []netip.Prefix
		held     held
		want     []change
		heldThen held // after the plan succeeded and forget ran on the new state
	}{
		{
			name:     "MASTER: add what is missing",
			targets:  []target{{prefix: a1, set: s, present: true}, {prefix: a2, set: s, present: true}},
			want:     []change{{kind: changeAdd, prefix: a1}, {kind: changeAdd, prefix: a2}},
			heldThen: held{a1.Addr(): true, a2.Addr(): true},
		},
		{
			name:     "MASTER: a held VIP gone is a re-add",
			targets:  []target{{prefix: a1, set: s, present: true}},
			held:     held{a1.Addr(): true},
			want:     []change{{kind: changeReadd, prefix: a1}},
			heldThen: held{a1.Addr(): true},
		},
		{
			name:     "MASTER: present with another prefix length is adopted as it is",
			targets:  []target{{prefix: a1, set: s, present: true}},
			present:  []netip.Prefix{p("192.0.2.1/24")},
			want:     []change{{kind: changeAdopt, prefix: p("192.0.2.1/24")}},
			heldThen: held{a1.Addr(): true},
		},
		{
			name:     "MASTER: held and present: nothing",
			targets:  []target{{prefix: a1, set: s, present: true}},
			present:  []netip.Prefix{a1},
			held:     held{a1.Addr(): true},
			heldThen: held{a1.Addr(): true},
		},
		{
			name:     "BACKUP: delete with the prefix length on the interface",
			targets:  []target{{prefix: a1, set: s}, {prefix: a2, set: s}},
			present:  []netip.Prefix{p("192.0.2.1/24"), p("198.51.100.1/24")},
			held:     held{a1.Addr(): true},
			want:     []change{{kind: changeDel, prefix: p("192.0.2.1/24")}},
			heldThen: held{},
		},
		{
			name:     "removed set: delete what it held",
			targets:  []target{{prefix: a1, set: s, retired: true}},
			present:  []netip.Prefix{a1},
			held:     held{a1.Addr(): true},
			want:     []change{{kind: changeDel, prefix: a1}},
			heldThen: held{},
		},
		{
			name:     "removed set: leave what it did not hold",
			targets:  []target{{prefix: a1, set: s, retired: true}},
			present:  []netip.Prefix{a1},
			heldThen: held{},
		},
		{
			name:     "not a target: touched not, forgotten",
			present:  []netip.Prefix{a1},
			held:     held{a1.Addr(): true},
			heldThen: held{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			targets := make(map[netip.Addr]target)
			for _, tg := range tt.targets {
				targets[tg.prefix.Addr()] = tg
			}
			present := make(map[netip.Addr]netip.Prefix)
			for _, q := range tt.present {
				present[q.Addr()] = q
			}
			h := tt.held
			if h == nil {
				h = held{}
			}
			got := plan(targets, present, h)
			require.Len(t, got, len(tt.want))
			for i := range got {
				require.Equal(t, tt.want[i].kind, got[i].kind, "change %d", i)
				require.Equal(t, tt.want[i].prefix, got[i].prefix, "change %d", i)
				require.Same(t, s, got[i].target.set)
			}
			// Apply the plan to model the kernel and the held set.
			for _, c := range got {
				switch c.kind {
				case changeAdd, changeReadd:
					present[c.prefix.Addr()] = c.prefix
					h[c.prefix.Addr()] = true
				case changeAdopt:
					h[c.prefix.Addr()] = true
				case changeDel:
					delete(present, c.prefix.Addr())
					delete(h, c.prefix.Addr())
				}
			}
			forget(h, targets, present)
			require.Equal(t, tt.heldThen, h)
			require.Empty(t, plan(targets, present, h), "a second plan has nothing to do")
		})
	}
}
