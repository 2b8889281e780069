#!/bin/sh
# vip-up.sh: ucarp-style up script for carpd (up_script, or -u).
# carpd runs it once per VIP as: vip-up.sh <interface> <vip> [<xparam>]
# when the group becomes MASTER. carpd's manage_vips (the default in a
# config file) does the same without a script; use a script when you
# need more (a route, a service reload).
set -eu
iface=$1
vip=$2
case $vip in
*:*)
	# IPv6: nodad, or the address answers only after duplicate address
	# detection (a second or more after the takeover). carpd sends the
	# neighbour advertisement again once the address is usable either way.
	ip -6 addr add "$vip/64" dev "$iface" nodad ;;
*)
	# IPv4: the prefix of the VIP's subnet, so that the kernel adds the
	# connected route and on-link clients can reach it.
	ip addr add "$vip/24" dev "$iface" ;;
esac
