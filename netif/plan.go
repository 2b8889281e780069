package netif

import (
	"maps"
	"net/netip"
	"slices"
)

// target is what Run's goroutine is to make of one VIP.
type target struct {
	prefix  netip.Prefix // as the set has it
	set     *VIPSet
	present bool // on the interface; false: off it
	retired bool // of a removed set: taken off only if held
}

type changeKind int8

const (
	changeAdd   changeKind = iota
	changeReadd            // an add of a VIP held a moment ago: someone deleted it
	changeAdopt            // the VIP is there already (a script, a previous run): hold it
	changeDel
)

// change is one step of a plan.
type change struct {
	kind changeKind
	// prefix is what to add, or for a delete what is on the interface:
	// the kernel matches on the prefix length, and a script may have
	// added a /24 where the set says /32.
	prefix netip.Prefix
	target target
}

// plan returns the changes that bring the interface's addresses, present
// (by address), to targets, in address order. held are the VIPs the
// manager holds: seen on the interface while wanted there.
func plan(targets map[netip.Addr]target, present map[netip.Addr]netip.Prefix, held map[netip.Addr]bool) []change {
	var changes []change
	for _, a := range slices.SortedFunc(maps.Keys(targets), netip.Addr.Compare) {
		t := targets[a]
		cur, on := present[a]
		switch {
		case t.present && on && !held[a]:
			changes = append(changes, change{kind: changeAdopt, prefix: cur, target: t})
		case t.present && !on && held[a]:
			changes = append(changes, change{kind: changeReadd, prefix: t.prefix, target: t})
		case t.present && !on:
			changes = append(changes, change{kind: changeAdd, prefix: t.prefix, target: t})
		case !t.present && on && (!t.retired || held[a]):
			changes = append(changes, change{kind: changeDel, prefix: cur, target: t})
		}
	}
	return changes
}

// forget drops from held what is no longer held: VIPs that are no target
// any more, and VIPs off the interface that are not wanted on it.
func forget(held map[netip.Addr]bool, targets map[netip.Addr]target, present map[netip.Addr]netip.Prefix) {
	for a := range held {
		t, ok := targets[a]
		_, on := present[a]
		if !ok || (!t.present && !on) {
			delete(held, a)
		}
	}
}
