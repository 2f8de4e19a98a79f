#!/bin/bash
# A host-only network stretched over VXLAN to a Linux host: vswd's uplink
# (a TAP, or a veth through AF_XDP with UPLINK_KIND=afxdp) leads into the
# test's namespace, which plays the remote host: a Linux vxlan device (VNI
# 5001, dstport 4789) bridged to a namespace that plays the remote VM. The
# host-only network's host interface (in a namespace of its own) and that
# VM ping each other and fetch a page over the overlay, with the overlay's
# MTU; malformed, unknown-VNI, unknown-VTEP and too-big frames are dropped
# and counted by name; a reload removes the remote and adds it back while
# the local port stays. No guests: about 15 s.
source "$(dirname "$0")/lib.sh"

UPLINK_KIND=${UPLINK_KIND:-kernel}
HNS="${NETNS}h"   # the local host: the host-only network's host interface
RNS="${NETNS}r"   # the remote VM, behind the Linux host's bridge
ip netns add "$HNS"
ip netns add "$RNS"
CLEANUP_HOOKS+=("ip netns del $HNS" "ip netns del $RNS")
in_h() { ip netns exec "$HNS" "$@"; }
in_r() { ip netns exec "$RNS" "$@"; }

if [ "$UPLINK_KIND" = afxdp ]; then
    UL_VSW="vsx${UID_}"; UL="vsn${UID_}"
    ip link add "$UL_VSW" type veth peer name "$UL"
    CLEANUP_LINKS+=("$UL_VSW")
    ip link set "$UL" netns "$NETNS"
    ip link set "$UL_VSW" up
    in_host ip addr add 198.51.100.254/24 dev "$UL"
    in_host ip link set "$UL" up
    # Complete checksums (the inner ones too): AF_XDP frames carry no offload state.
    in_host ethtool -K "$UL" tx off > /dev/null
    mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf
    uplink_yaml="    device: \"net_af_xdp0,iface=$UL_VSW\"
    gateway: 198.51.100.254"
else
    UL="vsk${UID_}"
    uplink_yaml="    kernel: {name: $UL, address: 198.51.100.254, netns: $NETNS}"
fi

write_config() {  # the overlay's remotes, as a YAML list
    { switch_yaml; cat <<YAML
uplinks:
  wan:
$uplink_yaml
    address: 198.51.100.1/24
networks:
  stretch:
    mode: host-only
    subnet: 192.168.57.0/24
    host_interface: {name: $HOSTIF, address: 192.168.57.1, netns: $HNS}
    overlay: {vni: 5001, uplink: wan, remotes: $1}
YAML
    } > "$CONFIG"
}
write_config "[198.51.100.20]"
start_vswd

# The remote host: its VTEP address on the underlay, a vxlan device, a bridge
# and the remote VM on it; MTU 1450 on the overlay, as Linux gives a vxlan
# device over a 1500-byte link.
in_host ip addr add 198.51.100.20/24 dev "$UL"
in_host ip link add vx0 type vxlan id 5001 local 198.51.100.20 remote 198.51.100.1 dstport 4789
echo hello-from-the-remote-host > "$WORK/index.html"
linux_vm_behind vx0 "$RNS" 192.168.57.20
REMOTE_MAC=$VM_MAC

in_h ping -c 1 -W 5 192.168.57.20 > /dev/null || true   # the first ARP waits for the VTEP's MAC
in_h ping -c 3 -W 2 192.168.57.20 > "$WORK/ping.log" || fail "the host interface cannot ping the remote VM"
page=$(in_h curl -s -m 10 http://192.168.57.20:8000/index.html) || fail "no page from the remote VM"
[ "$page" = hello-from-the-remote-host ] || fail "unexpected page: '$page'"
in_r ping -c 2 -W 2 192.168.57.1 > /dev/null || fail "the remote VM cannot ping the host interface"
log "host interface <-> remote VM over VXLAN: ping and HTTP"

mtu=$(in_h cat "/sys/class/net/$HOSTIF/mtu")
[ "$mtu" = 1450 ] || fail "the host interface's MTU is $mtu, not 1450 (1500 - 50)"
in_h ping -c 2 -W 2 -M do -s 1422 192.168.57.20 > /dev/null || fail "a full 1450-byte packet did not cross"
log "MTU 1450 on the host interface; 1450-byte packets cross"

show=$(vswctl --json show)
echo "$show" | json_get "[n for n in d['data']['networks'] if n['name']=='stretch'][0]['overlay']" > "$WORK/overlay.json"
echo "$show" | json_get "[n for n in d['data']['networks'] if n['name']=='stretch'][0]['overlay']['remotes'][0]['macs']" \
    | grep -q "$REMOTE_MAC" || fail "the remote VM's MAC $REMOTE_MAC is not listed behind its VTEP: $(cat "$WORK/overlay.json")"
vswctl fdb | grep -q "vtep:198.51.100.20" || fail "vswctl fdb does not name the VTEP"
stats=$(vswctl --json stats)
encap=$(echo "$stats" | json_get "d['data']['overlay']['stretch']['encap_packets']")
decap=$(echo "$stats" | json_get "d['data']['overlay']['stretch']['decap_packets']")
[ "$encap" -gt 5 ] && [ "$decap" -gt 5 ] || fail "overlay counters: encap $encap decap $decap"
log "vswctl show lists the remote's MAC behind vtep 198.51.100.20; encap $encap, decap $decap"

# Frames vsw must refuse, sent from the remote host to vsw's VTEP port.
in_host ip addr add 198.51.100.30/24 dev "$UL"
send_vxlan() {  # SOURCE FLAGS VNI
    in_host python3 - "$@" <<'PY'
import socket, struct, sys
src, flags, vni = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
inner = bytes.fromhex("ffffffffffff" "5254000000aa" "0800") + bytes(46)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((src, 0))
s.sendto(struct.pack("!B3xI", flags, vni << 8) + inner, ("198.51.100.1", 4789))
PY
}
uplink_drop() { port_counter uplink:wan "drops.$1"; }
send_vxlan 198.51.100.20 8 5002
send_vxlan 198.51.100.30 8 5001
send_vxlan 198.51.100.20 0 5001
sleep 0.5
[ "$(uplink_drop overlay_unknown_vni)" -ge 1 ] || fail "wrong VNI not counted"
[ "$(uplink_drop overlay_unknown_vtep)" -ge 1 ] || fail "unknown VTEP not counted"
[ "$(uplink_drop overlay_malformed)" -ge 1 ] || fail "VXLAN header without the I flag not counted"
vswctl fdb | grep -qi "52:54:00:00:00:aa" && fail "a refused frame's source was learned"
decap_drop() { vswctl --json stats | json_get "d['data']['overlay']['stretch']['uplink_decap_drops']['$1']"; }
[ "$(decap_drop overlay_unknown_vtep)" -ge 1 ] || fail "vswctl stats: the overlay's decap drops miss unknown_vtep"

# A frame too big for the tunnel (the host interface's MTU raised past the overlay's).
in_h ip link set "$HOSTIF" mtu 1500
in_h ping -c 1 -W 1 -M do -s 1472 192.168.57.20 > /dev/null && fail "a 1500-byte packet crossed a 1500-byte underlay"
[ "$(port_counter "$HOSTIF" drops.overlay_too_big)" -ge 1 ] || fail "too-big frame not counted"
[ "$(vswctl --json stats | json_get "d['data']['overlay']['stretch']['encap_drops']['overlay_too_big']")" -ge 1 ] ||
    fail "vswctl stats: the overlay's encap drops miss overlay_too_big"
in_h ip link set "$HOSTIF" mtu 1450
log "wrong VNI, unknown VTEP, malformed header and too-big frames dropped and counted"

# Reload: the remote goes (its MACs with it), then comes back; the local port stays.
host_mac=$(in_h cat "/sys/class/net/$HOSTIF/address")
write_config "[]"
vswctl reload > "$WORK/reload1.log" || fail "reload without the remote failed: $(cat "$WORK/reload1.log")"
vswctl fdb | grep -q "vtep:" && fail "MACs behind the removed remote are still in the FDB"
in_h ping -c 2 -W 1 192.168.57.20 > /dev/null && fail "the remote is reachable after its removal"
vswctl fdb | grep -qi "$host_mac" || fail "the local host interface's MAC was forgotten by the reload"
write_config "[198.51.100.20]"
vswctl reload > "$WORK/reload2.log" || fail "reload adding the remote back failed: $(cat "$WORK/reload2.log")"
in_h ping -c 1 -W 5 192.168.57.20 > /dev/null || true
in_h ping -c 3 -W 2 192.168.57.20 > /dev/null || fail "the remote is unreachable after it was added back"
log "reload removed the remote and added it back; the local port kept its MAC"
vswctl stats
log "PASS ($UPLINK_KIND uplink)"
