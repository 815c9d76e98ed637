#!/bin/sh
# Ansible managed
# Crypto box svl-d1t1: in0 follows the CHILD_SA like a VTI's line protocol (BGP reacts at
# once), libipsec's table-220 rule goes (it captures decrypted traffic), and what leaves the
# tunnel is routed to the device next to the box.
case "$PLUTO_VERB" in
up-client)
    while ip rule del priority 220 2>/dev/null; do :; done
    ip link set in0 up
    ip route replace default dev ipsec0
    ip route replace 169.254.15.194/32 dev in0
    ip route replace default via 169.254.15.194 dev in0 onlink table 100
    ip rule show | grep -q 'iif ipsec0 lookup 100' || ip rule add iif ipsec0 lookup 100 priority 100
    ;;
down-client)
    ip link set in0 down
    ;;
esac
exit 0
