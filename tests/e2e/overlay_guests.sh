#!/bin/bash
# Two hosts' worth of guests on one network over VXLAN: two vswd processes
# (two file prefixes, one worker each on CPUs 0 and 1, idle back-off), each
# with one real guest on internal network `stretch` (VNI 5001), and a Linux
# host with a vxlan device bridged to a namespace that plays a third VM.
# Every VTEP lists the other two as remotes (head-end replication on all
# three; Linux's flood list is `bridge fdb append 00:00:00:00:00:00`).
#
# The underlay is the test's namespace: each vswd's kernel uplink is a TAP in
# it on a prefix of its own, and the namespace routes between them, so the
# remotes are reached through each uplink's gateway. Each vswd runs the
# network's DHCP for its own guests (static leases here), with option 26
# (MTU 1450). The guests ping each other and the Linux VM and fetch each
# other's pages; every vswd lists the remote MACs behind the right VTEP.
source "$(dirname "$0")/lib.sh"

RNS="${NETNS}r"   # the VM behind the Linux host
ip netns add "$RNS"
CLEANUP_HOOKS+=("ip netns del $RNS")
in_r() { ip netns exec "$RNS" "$@"; }
in_host sysctl -qw net.ipv4.ip_forward=1

A_RUN=$WORK/run; B_RUN=$WORK/run-b
vswctl_b() { "$VSWCTL" -s "$B_RUN/vswd.sock" "$@"; }

# host_yaml CORE UPLINK_TAP TAP_ADDRESS VSW_ADDRESS DHCP_SERVER DHCP_RANGE STATIC_MAC STATIC_IP REMOTES
# (each host's DHCP serves its own guests, from a range of its own)
host_yaml() {
    overlay_host_yaml "$1" "$2" "$3" "$4"
    cat <<YAML
networks:
  stretch:
    mode: internal
    subnet: 192.168.60.0/24
    dhcp:
      server: $5
      range: $6
      static: [{mac: "$7", ip: $8}]
    overlay: {vni: 5001, uplink: wan, remotes: $9}
ports:
  vm: {network: stretch}
YAML
}
host_yaml 0 "vka${UID_}" 198.51.100.254 198.51.100.1 192.168.60.2 192.168.60.100-192.168.60.149 \
    52:54:00:00:60:01 192.168.60.11 \
    "[203.0.113.1, 192.0.2.50]" > "$CONFIG"
host_yaml 1 "vkb${UID_}" 203.0.113.254 203.0.113.1 192.168.60.3 192.168.60.150-192.168.60.199 \
    52:54:00:00:60:02 192.168.60.12 \
    "[198.51.100.1, 192.0.2.50]" | as_second_vswd > "$WORK/b.yaml"
start_vswd
start_extra_vswd "$WORK/b.yaml" "$WORK/vswd-b.log" "${PREFIX}b"
log "two vswd up: A 198.51.100.1 (CPU 0), B 203.0.113.1 (CPU 1)"

# The Linux host: VTEP 192.0.2.50, vxlan device, bridge, and its VM.
in_host ip addr add 192.0.2.50/32 dev lo
in_host ip link add vx0 type vxlan id 5001 local 192.0.2.50 dstport 4789
for remote in 198.51.100.1 203.0.113.1; do in_host bridge fdb append 00:00:00:00:00:00 dev vx0 dst "$remote"; done
echo hello-from-linux > "$WORK/index.html"
linux_vm_behind vx0 "$RNS" 192.168.60.30
R_MAC=$VM_MAC

cat > "$WORK/vm1.sh" <<'G'
echo hello-from-vm1 > /tmp/index.html
httpd -p 80 -h /tmp
echo "VM1-MTU $(cat /sys/class/net/eth0/mtu)"
for i in $(seq 30); do ping -c 1 -W 1 192.168.60.12 > /dev/null && break; sleep 1; done
ping -c 3 -W 2 192.168.60.12 || { echo VM1-NO-VM2; exit 1; }
ping -c 3 -W 2 192.168.60.30 || { echo VM1-NO-LINUX; exit 1; }
wget -q -O - http://192.168.60.30:8000/index.html | grep -q hello-from-linux || { echo VM1-NO-HTTP; exit 1; }
# A full-size packet (the MTU DHCP gave) crosses the tunnel unfragmented.
ping -c 2 -W 2 -s 1422 192.168.60.30 || { echo VM1-NO-BIG-PING; exit 1; }
echo VM1-READY
nc -l -p 9999 > /dev/null
G
cat > "$WORK/vm2.sh" <<'G'
for i in $(seq 30); do ping -c 1 -W 1 192.168.60.11 > /dev/null && break; sleep 1; done
for i in 1 2 3 4 5; do wget -q -O - http://192.168.60.11/ | grep -q hello-from-vm1 && break; sleep 1; done
wget -q -O - http://192.168.60.11/ | grep -q hello-from-vm1 || { echo VM2-NO-HTTP; exit 1; }
wget -q -O - http://192.168.60.30:8000/index.html | grep -q hello-from-linux || { echo VM2-NO-LINUX; exit 1; }
echo VM2-OK
G
start_guest vm1 "$WORK/vm1.sh" "$A_RUN/vm.sock,52:54:00:00:60:01,dhcp"
start_guest vm2 "$WORK/vm2.sh" "$B_RUN/vm.sock,52:54:00:00:60:02,dhcp"

wait_for_line vm1 VM1-READY 150
grep -q "VM1-MTU 1450" "$WORK/vm1.log" || fail "vm1 did not take MTU 1450 from DHCP option 26"
log "vm1 (behind A) reached vm2 (behind B) and the Linux VM: ping, HTTP, 1450-byte packets"
wait_guest vm2 || fail "vm2's checks failed"
log "vm2 (behind B) fetched vm1's page and the Linux VM's"
page=$(in_r curl -s -m 10 http://192.168.60.11/) || fail "the Linux VM cannot fetch vm1's page"
[ "$page" = hello-from-vm1 ] || fail "unexpected page from vm1: '$page'"
log "the Linux VM fetched vm1's page"
release_in_r() { in_r bash -c "echo done > /dev/tcp/$1/9999" 2>/dev/null || true; }
release_in_r 192.168.60.11
wait_guest vm1 || fail "vm1's script failed"

# Each vswd learned the remote MACs behind the right VTEP.
macs_behind() {  # VSWCTL_FN VTEP
    "$1" --json show | json_get "' '.join(m for n in d['data']['networks'] if n['name']=='stretch' for r in n['overlay']['remotes'] if r['vtep']=='$2' for m in r['macs'])"
}
macs_behind vswctl 203.0.113.1 | grep -q 52:54:00:00:60:02 || fail "A: vm2's MAC is not behind VTEP 203.0.113.1"
macs_behind vswctl 192.0.2.50 | grep -q "$R_MAC" || fail "A: the Linux VM's MAC is not behind VTEP 192.0.2.50"
macs_behind vswctl_b 198.51.100.1 | grep -q 52:54:00:00:60:01 || fail "B: vm1's MAC is not behind VTEP 198.51.100.1"
in_host bridge fdb show dev vx0 | grep -q "52:54:00:00:60:01 dst 198.51.100.1" || fail "Linux did not learn vm1 behind A"
in_host bridge fdb show dev vx0 | grep -q "52:54:00:00:60:02 dst 203.0.113.1" || fail "Linux did not learn vm2 behind B"
log "remote MACs listed behind their VTEPs on A, B and the Linux host"
vswctl show
vswctl stats
vswctl_b stats
log "PASS"
