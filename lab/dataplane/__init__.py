"""The lab's data plane: real IKE/ESP (strongSwan kernel-libipsec) and BGP (FRR) in network
namespaces, route-based like AWS's Site-to-Site VPN.

Layout (names and addresses: :mod:`addressing`, the one home of the address plan)::

 LAN host --- device (CGW IP, FRR site ASN) --vti1-- box t1 (charon) ==ESP/UDP==  edge box (charon) --t1-- VGW router --- VPC host
 svl-l<S>      svl-d<S>, NAT to its boxes  --vti2-- box t2 (charon) ==ESP/UDP==  edge box (charon) --t2-- svl-g<V>       svl-h<V>
                                                                           \\___ svl-inet (bridge) ___/

Design choices and why:
- One charon per tunnel, each in its own namespace ("crypto box"): kernel-libipsec has one TUN
  per daemon and picks SAs by traffic selector, so two 0.0.0.0/0 tunnels in one daemon would be
  policy-based. With a box per tunnel every tunnel is a separate path and BGP on the routers
  next to the boxes chooses (tunnel 1 preferred: local-preference in, AS_PATH prepend out).
- Boxes are transparent to the routers: the inner veth is the router's "VTI" (the router owns
  the inside address), the box's updown script brings that veth up/down with the CHILD_SA (so
  BGP reacts at once, as to a VTI's line protocol) and removes libipsec's table-220 rule; proxy
  ARP and a TTL 1 -> 2 rewrite make the boxes invisible to single-hop eBGP.
- The AWS edge (:mod:`edge`) is built from the lab API's GET /_lab/vpn-connections and
  followed by the edge agent (:mod:`agent`, one process, PID recorded), which also posts
  VgwTelemetry (POST /_lab/telemetry) and the prefixes the VGW learned (POST /_lab/bgp-routes).
  A tunnel-option change reloads that tunnel's charon and closes its SA with a DELETE (the
  customer side re-negotiates at once); a DPD timeout change restarts it (IKEv2's DPD timeout is
  the retransmission schedule, a per-daemon setting: one more reason for a daemon per tunnel).
- The device side (:mod:`device`): ``add_site`` builds the namespaces; its configuration is
  the collection's (``device.configure`` runs playbooks/configure_devices.yml, the strongswan role).
- Every charon has its own strongswan.conf (``load_modular``, only plugins present on the
  host), VICI socket and a private /run (so the state dir must not be under /run); FRR runs per
  namespace with ``-N`` (mgmtd too on FRR 10, detected). Versions are detected, not assumed
  (strongSwan 5.9/6.x, FRR 8.4/10.x); additional key exchanges (ML-KEM) only on strongSwan 6.
- Everything created is recorded in the state dir first (:mod:`state`): ``down`` kills those
  PIDs (checked against their start time) and deletes those namespaces by exact name, with or
  without a live agent. No veth into, and no route towards, the root namespace.

Entry points: :mod:`lab.cli` (``sitevpn-lab``), :func:`lab.dataplane.lab.up` / ``down`` /
``status``, :func:`device.add_site`, :func:`strongswan.start_charon`, :func:`frr.start`.
"""
