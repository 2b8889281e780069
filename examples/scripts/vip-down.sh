#!/bin/sh
# vip-down.sh: ucarp-style down script for carpd (down_script, or -d).
# carpd runs it once per VIP as: vip-down.sh <interface> <vip> [<xparam>]
# when the group leaves MASTER, and at start (unless neutral / -n). The
# VIP may not be there: that is not an error.
iface=$1
vip=$2
case $vip in
*:*) ip -6 addr del "$vip/64" dev "$iface" 2>/dev/null ;;
*) ip addr del "$vip/24" dev "$iface" 2>/dev/null ;;
esac
exit 0
