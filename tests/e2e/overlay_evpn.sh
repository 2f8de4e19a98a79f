#!/bin/bash
# EVPN through FRR: two vswd "hosts" share a host-only network over VXLAN
# with no static remotes. Each vswd keeps a kernel mirror of the network
# (bridge vswb<vni>, vxlan vswx<vni>) in a namespace where an FRR (zebra +
# bgpd, Debian's frr package) runs; the two FRRs peer over iBGP with
# address-family l2vpn evpn and advertise-all-vni. Checked: each vswd gets
# the other as a remote VTEP from the type-3 route, and the other's host
# interface MAC behind it from a type-2 route; the host interfaces ping each
# other through vsw's datapath; when one FRR stops, the other vswd drops the
# remote (its routes are withdrawn). No guests: about 30 s.
source "$(dirname "$0")/lib.sh"

command -v /usr/lib/frr/zebra > /dev/null || fail "FRR is not installed (apt-get install frr)"
FA="${NETNS}fa"; FB="${NETNS}fb"   # FRR and the mirrors, per host
HA="${NETNS}ha"; HB="${NETNS}hb"   # the host-only network's host interface, per host
for ns in "$FA" "$HA" "$HB"; do   # (FB comes later: B's mirror must wait for it)
    ip netns add "$ns"
    ip -n "$ns" link set lo up
    CLEANUP_HOOKS+=("ip netns del $ns")
done
in_host sysctl -qw net.ipv4.ip_forward=1   # the underlay routes between the two uplinks
B_RUN=$WORK/run-b
vswctl_b() { "$VSWCTL" -s "$B_RUN/vswd.sock" "$@"; }

# host_yaml CORE TAP TAP_ADDRESS VSW_ADDRESS HOST_IF HOST_ADDRESS HOST_NS FRR_NS
host_yaml() {
    overlay_host_yaml "$1" "$2" "$3" "$4"
    cat <<YAML
networks:
  ev:
    mode: host-only
    subnet: 192.168.61.0/24
    host_interface: {name: $5, address: $6, netns: $7}
    overlay: {vni: 7001, uplink: wan, evpn: {netns: $8}}
YAML
}
host_yaml 0 "vka${UID_}" 198.51.100.254 198.51.100.1 "vha${UID_}" 192.168.61.1 "$HA" "$FA" > "$CONFIG"
host_yaml 1 "vkb${UID_}" 203.0.113.254 203.0.113.1 "vhb${UID_}" 192.168.61.2 "$HB" "$FB" | as_second_vswd > "$WORK/b.yaml"
start_vswd
start_extra_vswd "$WORK/b.yaml" "$WORK/vswd-b.log" "${PREFIX}b"
ip -n "$FA" link show vswx7001 > /dev/null || fail "vswd A made no EVPN mirror in $FA"
# B's namespace for FRR does not exist yet: B reports it and makes its
# mirror once the namespace is there (it tries every 10 s).
grep -q "EVPN mirror: .*tried again every 10 s" "$WORK/vswd-b.log" || fail "vswd B did not report its missing mirror"
ip netns add "$FB"
ip -n "$FB" link set lo up
CLEANUP_HOOKS+=("ip netns del $FB")
for _ in $(seq 30); do ip -n "$FB" link show vswx7001 > /dev/null 2>&1 && break; sleep 0.5; done
ip -n "$FB" link show vswx7001 > /dev/null 2>&1 || fail "vswd B did not make its mirror once $FB existed"
log "two vswd up, each with its EVPN mirror (vswb7001/vswx7001); B's made once its namespace appeared"

# The FRRs' own link (BGP), and routes to the other host's VTEP so that the
# routes' next hops resolve (the VXLAN traffic itself goes through vsw).
ip link add "fa${UID_}" netns "$FA" type veth peer name "fb${UID_}" netns "$FB"
ip -n "$FA" addr add 10.99.0.1/30 dev "fa${UID_}"; ip -n "$FA" link set "fa${UID_}" up
ip -n "$FB" addr add 10.99.0.2/30 dev "fb${UID_}"; ip -n "$FB" link set "fb${UID_}" up
ip -n "$FA" route add 203.0.113.0/24 via 10.99.0.2
ip -n "$FB" route add 198.51.100.0/24 via 10.99.0.1

# FRR's daemons read their config as user frr: a directory it may enter.
FRR_DIR=$(mktemp -d /tmp/vsw-e2e-frr-XXXXXX)
chmod 755 "$FRR_DIR"
CLEANUP_HOOKS+=("rm -rf $FRR_DIR")
start_frr() {  # NS ROUTER_ID NEIGHBOR NAME
    local dir=$FRR_DIR/$4
    mkdir -p "$dir" "/var/run/frr/$4"
    CLEANUP_HOOKS+=("rm -rf /var/run/frr/$4")
    cat > "$dir/frr.conf" <<CONF
frr defaults datacenter
hostname $4
log file $dir/frr.log
router bgp 65000
 bgp router-id $2
 no bgp default ipv4-unicast
 neighbor $3 remote-as 65000
 address-family l2vpn evpn
  neighbor $3 activate
  advertise-all-vni
 exit-address-family
CONF
    chown -R frr:frr "$dir" "/var/run/frr/$4"
    for d in zebra bgpd; do
        ip netns exec "$1" "/usr/lib/frr/$d" -d -N "$4" -f "$dir/frr.conf" -i "$dir/$d.pid" ||
            fail "FRR $d did not start in $1"
        CLEANUP_HOOKS=("kill \$(cat $dir/$d.pid)" "${CLEANUP_HOOKS[@]}")
    done
}
FRR_A="vswe${UID_}a"; FRR_B="vswe${UID_}b"
start_frr "$FA" 10.99.0.1 10.99.0.2 "$FRR_A"
start_frr "$FB" 10.99.0.2 10.99.0.1 "$FRR_B"
log "FRR (zebra, bgpd) up in $FA and $FB, iBGP l2vpn evpn between them"

# remotes_of VSWCTL_FN: "vtep/from" of network ev's remotes
remotes_of() {
    "$1" --json show | json_get "' '.join(r['vtep']+'/'+r['from'] for n in d['data']['networks'] if n['name']=='ev' for r in n['overlay']['remotes'])"
}
for _ in $(seq 60); do
    [ "$(remotes_of vswctl)" = "203.0.113.1/evpn" ] && [ "$(remotes_of vswctl_b)" = "198.51.100.1/evpn" ] && break
    sleep 0.5
done
[ "$(remotes_of vswctl)" = "203.0.113.1/evpn" ] ||
    fail "A's remotes: '$(remotes_of vswctl)'; FRR A: $(ip netns exec "$FA" vtysh -N "$FRR_A" -c 'show bgp l2vpn evpn summary' 2>&1 | tail -5)"
[ "$(remotes_of vswctl_b)" = "198.51.100.1/evpn" ] || fail "B's remotes: '$(remotes_of vswctl_b)'"
log "each vswd has the other as a remote VTEP, from EVPN type-3 routes"

# B's host interface MAC reaches A as a type-2 route: FRR A installs it on
# A's mirror, and vswd A takes it from there (`remote_macs`, counted apart
# from what its datapath learns from frames).
HB_MAC=$(ip netns exec "$HB" cat "/sys/class/net/vhb${UID_}/address")
frr_a_has() { ip netns exec "$FA" bridge fdb show dev vswx7001 | grep -q "$HB_MAC dst 203.0.113.1"; }
for _ in $(seq 40); do frr_a_has && break; sleep 0.5; done
frr_a_has || fail "FRR A did not install B's host interface MAC $HB_MAC (a type-2 route)"
evpn_mac_at_a() {
    vswctl --json show | json_get "[n['overlay']['evpn']['remote_macs'] for n in d['data']['networks'] if n['name']=='ev'][0] >= 1 and True" 2>/dev/null
    vswctl --json fdb | json_get "any(e['mac']=='$HB_MAC' and e['port']=='vtep:203.0.113.1' for e in d['data'])"
}
for _ in $(seq 20); do [ "$(evpn_mac_at_a | tr '\n' ' ')" = "True True " ] && break; sleep 0.5; done
[ "$(evpn_mac_at_a | tr '\n' ' ')" = "True True " ] ||
    fail "vswd A did not take B's MAC $HB_MAC from EVPN: $(evpn_mac_at_a | tr '\n' ' ')"
log "B's host interface MAC is behind vtep 203.0.113.1 on A, from a type-2 route"

ip netns exec "$HA" ping -c 1 -W 5 192.168.61.2 > /dev/null || true
ip netns exec "$HA" ping -c 3 -W 2 192.168.61.2 > "$WORK/ping.log" || fail "A's host interface cannot ping B's"
log "host interfaces ping each other over the EVPN-built overlay"
vswctl show

# FRR B goes away: its routes are withdrawn and A drops the remote.
kill "$(cat "$FRR_DIR/$FRR_B/bgpd.pid")"
for _ in $(seq 40); do [ -z "$(remotes_of vswctl)" ] && break; sleep 0.5; done
[ -z "$(remotes_of vswctl)" ] || fail "A still has remotes after B's BGP went away: '$(remotes_of vswctl)'"
[ "$(vswctl --json fdb | json_get "any(e['mac']=='$HB_MAC' and e['port'].startswith('vtep:') for e in d['data'])")" = False ] ||
    fail "B's MAC is still behind a VTEP on A"
ip netns exec "$HA" ping -c 2 -W 1 192.168.61.2 > /dev/null && fail "B is reachable without a remote"
log "B's routes withdrawn: A dropped the remote and its MACs"
log "PASS"
