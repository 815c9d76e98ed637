#!/bin/sh
# Ansible managed
# One XFRM interface per tunnel: if_id 1, 2 match
# if_id_in/if_id_out in swanctl.conf. Prints "changed" when it changed anything.
set -e

# xfrm_link DEVICE IF_ID LOCAL_ADDRESS/PREFIX PEER_ADDRESS/PREFIX MTU
xfrm_link() {
  if ! ip link show dev "$1" >/dev/null 2>&1; then
    ip link add "$1" type xfrm dev eth0 if_id "$2"
    echo changed
  fi
  if [ "$(ip -4 -o addr show dev "$1" | awk '{print $4}')" != "$3" ]; then
    ip addr flush dev "$1"
    ip addr add "$3" peer "$4" dev "$1"
    echo changed
  fi
  if ! ip -o link show dev "$1" | grep -q "mtu $5 .*,UP\|,UP.* mtu $5 "; then
    ip link set "$1" mtu "$5" up
    echo changed
  fi
}

xfrm_link ipsec1 1 169.254.15.194/30 169.254.15.193/30 1399
xfrm_link ipsec2 2 169.254.13.238/30 169.254.13.237/30 1436

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
