#!/bin/sh
# Ansible managed
# One XFRM interface per tunnel: if_id 1, 2 match
# if_id_in/if_id_out in swanctl.conf. Prints "changed" when it changed anything.
set -e
if ! ip link show dev ipsec1 >/dev/null 2>&1; then
  ip link add ipsec1 type xfrm dev eth0 if_id 1
  echo changed
fi
if [ "$(ip -4 -o addr show dev ipsec1 | awk '{print $4}')" != "169.254.15.194/30" ]; then
  ip addr flush dev ipsec1
  ip addr add 169.254.15.194/30 peer 169.254.15.193/30 dev ipsec1
  echo changed
fi
if ! ip -o link show dev ipsec1 | grep -q 'mtu 1399 .*,UP\|,UP.* mtu 1399 '; then
  ip link set ipsec1 mtu 1399 up
  echo changed
fi
if ! ip link show dev ipsec2 >/dev/null 2>&1; then
  ip link add ipsec2 type xfrm dev eth0 if_id 2
  echo changed
fi
if [ "$(ip -4 -o addr show dev ipsec2 | awk '{print $4}')" != "169.254.13.238/30" ]; then
  ip addr flush dev ipsec2
  ip addr add 169.254.13.238/30 peer 169.254.13.237/30 dev ipsec2
  echo changed
fi
if ! ip -o link show dev ipsec2 | grep -q 'mtu 1436 .*,UP\|,UP.* mtu 1436 '; then
  ip link set ipsec2 mtu 1436 up
  echo changed
fi
# TCP MSS clamped on the XFRM interfaces, as AWS asks of a customer gateway
mss=$(nft list chain ip sitevpn_strongswan mss 2>/dev/null || true)
if ! printf '%s\n' "$mss" | grep -qF 'oifname "ipsec1" tcp flags syn / syn,rst tcp option maxseg size set 1359' || ! printf '%s\n' "$mss" | grep -qF 'iifname "ipsec1" tcp flags syn / syn,rst tcp option maxseg size set 1359' || ! printf '%s\n' "$mss" | grep -qF 'oifname "ipsec2" tcp flags syn / syn,rst tcp option maxseg size set 1379' || ! printf '%s\n' "$mss" | grep -qF 'iifname "ipsec2" tcp flags syn / syn,rst tcp option maxseg size set 1379'; then
  nft -f - <<'NFT'
table ip sitevpn_strongswan
delete table ip sitevpn_strongswan
table ip sitevpn_strongswan {
    chain mss {
        type filter hook forward priority mangle; policy accept;
        oifname "ipsec1" tcp flags syn / syn,rst tcp option maxseg size set 1359
        iifname "ipsec1" tcp flags syn / syn,rst tcp option maxseg size set 1359
        oifname "ipsec2" tcp flags syn / syn,rst tcp option maxseg size set 1379
        iifname "ipsec2" tcp flags syn / syn,rst tcp option maxseg size set 1379
    }
}
NFT
  echo changed
fi
