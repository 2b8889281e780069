package netns

import (
	"net"
	"strconv"
	"testing"
)

// NewRoutedLANs builds two LANs of n hosts each and a router between them.
// name is as for NewLAN. Call Available first. Everything is torn down in
// t.Cleanup.
func NewRoutedLANs(t testing.TB, name string, n int) *Routed {
	t.Helper()
	r := &Routed{}
	for k := range r.LANs {
		r.LANs[k] = newLAN(t, name+strconv.Itoa(k+1), n, RoutedSubnets[k], RoutedSubnets6[k])
	}
	// The router's namespace goes with the first LAN, whose cleanup runs
	// last (t.Cleanup is last in, first out), after the second LAN's has
	// removed the router's eth1 with its bridge.
	first := r.LANs[0]
	ns := first.Name + "-rt"
	first.addNamespace(t, ns).Close() // each Host view opens its own handle
	for k, lan := range r.LANs {
		mac := net.HardwareAddr{0x02, 0, 0, byte(k), 0, RouterID}
		h := lan.newHost(ns, netlinkIn(t, ns), "eth"+strconv.Itoa(k), "rt", RouterID, mac, RoutedSubnets[k], RoutedSubnets6[k])
		lan.routers = append(lan.routers, h) // first, so that cleanup closes its handle
		r.Router[k] = h
		h.plug(t)
	}
	sysctl(t, ns, "net.ipv4.ip_forward=1", "net.ipv6.conf.all.forwarding=1")
	for k, lan := range r.LANs {
		gw := r.Router[k]
		for _, h := range lan.Hosts {
			ipn(t, h.Namespace, "route", "add", "default", "via", gw.Addr.Addr().String())
			ipn(t, h.Namespace, "-6", "route", "add", "default", "via", gw.Addr6.Addr().String())
		}
		if err := gw.waitPort(true); err != nil {
			t.Fatal(err)
		}
	}
	return r
}
