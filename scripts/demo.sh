#!/bin/bash
# The vsw demo, from a fresh Debian 12 machine (as root): installs what it
# needs, builds, starts vswd with a VirtualBox-style host-only network
# (192.168.56.0/24, DHCP) and a NAT network (10.0.2.0/24 behind an uplink),
# boots two real Linux guests behind it and shows them taking leases and
# talking to each other, the host fetching a web page from a guest, a guest
# reaching "the internet" through NAT and the internet reaching a guest
# through a port forward, and the switch's view (ports, MACs, leases,
# sessions, counters).
#
# The host side is a network namespace, vsw-demo, so that the demo touches
# nothing else on this machine: it holds the host-only interface (vswhost0,
# 192.168.56.1/24, VirtualBox's vboxnet0) and the NAT uplink's kernel side
# (vswwan0, 203.0.113.1/24), and stands in for the internet with a web
# server at 198.51.100.7. Leave `netns` out of the YAML to put both
# interfaces in the host's own namespace.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
[ "$(id -u)" = 0 ] || { echo "run as root"; exit 1; }
scripts/install-deps.sh
scripts/build.sh >/dev/null
VSWD=$ROOT/build/control/vswd VSWCTL=$ROOT/build/control/vswctl

WORK=$(mktemp -d /tmp/vsw-demo-XXXXXX)
NETNS=vsw-demo
PIDS=()
VSWD_PID=
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  [ -n "$VSWD_PID" ] && kill "$VSWD_PID" 2>/dev/null && wait "$VSWD_PID" 2>/dev/null || true
  ip netns del "$NETNS" 2>/dev/null || true
  rm -rf "$WORK" /var/run/dpdk/vswdemo
}
trap cleanup EXIT
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
ctl() { "$VSWCTL" -s "$WORK/run/vswd.sock" "$@"; }

ip netns del "$NETNS" 2>/dev/null || true
ip netns add "$NETNS"
ip -n "$NETNS" link set lo up
# "The internet": a web server beyond the uplink's gateway.
ip -n "$NETNS" addr add 198.51.100.7/32 dev lo
mkdir -p "$WORK/www" && echo "hello from the internet namespace" > "$WORK/www/index.html"
ip netns exec "$NETNS" python3 -m http.server --bind 198.51.100.7 --directory "$WORK/www" 80 > "$WORK/http.log" 2>&1 &
PIDS+=($!)
cat > "$WORK/vsw.yaml" <<YAML
switch:
  cores: [1]
  hugepages: auto
  run_dir: $WORK/run
  state_dir: $WORK/state
  file_prefix: vswdemo
uplinks:
  wan:
    kernel: {name: vswwan0, address: 203.0.113.1, netns: $NETNS}
    address: 203.0.113.10/24
networks:
  natnet0:
    mode: nat
    subnet: 10.0.2.0/24
    gateway: 10.0.2.2
    uplink: wan
    dhcp:
      range: 10.0.2.15-10.0.2.254
    port_forwards:
      - {name: web, proto: tcp, host_port: 8080, guest_ip: 10.0.2.15, guest_port: 80}
  hostonly0:
    mode: host-only
    subnet: 192.168.56.0/24
    host_interface: {name: vswhost0, address: 192.168.56.1, netns: $NETNS}
    dhcp:
      server: 192.168.56.100
      range: 192.168.56.101-192.168.56.254
      lease: 600
ports:
  vm1-nat: {network: natnet0}       # vm1 has two NICs: NAT (eth0) and host-only (eth1)
  vm1-eth1: {network: hostonly0}
  vm2-eth0: {network: hostonly0}
YAML
step "Topology ($WORK/vsw.yaml)"
cat "$WORK/vsw.yaml"
"$VSWD" --check "$WORK/vsw.yaml"

step "Starting vswd"
"$VSWD" -c "$WORK/vsw.yaml" > "$WORK/vswd.log" 2>&1 &
VSWD_PID=$!
for _ in $(seq 200); do grep -q "vswd ready" "$WORK/vswd.log" && break; sleep 0.1; done
grep -E "info (port|network|vswd ready)" "$WORK/vswd.log" | sed 's/^/  /'

cat > "$WORK/vm1.sh" <<'G'
echo "hello from vm1 ($(ip -4 -o addr show eth1 | awk '{print $4}'))" > /tmp/index.html
httpd -p 80 -h /tmp
echo "vm1: ping the NAT gateway"; ping -c 2 10.0.2.2
echo "vm1: fetch a page from the internet through NAT"; wget -q -O - http://198.51.100.7/
echo VM1-READY
nc -l -p 9999 > /dev/null
G
step "Booting two guests (QEMU, busybox; each NIC takes a DHCP lease)"
scripts/vm.sh --nic "$WORK/run/vm1-nat.sock,52:54:00:00:00:01,dhcp" --nic "$WORK/run/vm1-eth1.sock,52:54:00:00:00:11,dhcp" \
  --script "$WORK/vm1.sh" --timeout 180 > "$WORK/vm1.log" 2>&1 &
VM1_PID=$!
PIDS+=($VM1_PID)
for _ in $(seq 900); do grep -q VM1-READY "$WORK/vm1.log" && break; sleep 0.1; done
VM1_IP=$(grep -ao 'VM-NET eth1 [0-9.]*' "$WORK/vm1.log" | awk '{print $3}')
echo "  vm1 is up: NAT $(grep -ao 'VM-NET eth0 [0-9.]*' "$WORK/vm1.log" | awk '{print $3}'), host-only $VM1_IP"
step "vm1's console"
grep -aE "VM-DHCP-BOUND|vm1:|bytes from|packet loss|hello" "$WORK/vm1.log" | sed 's/^/  /'
cat > "$WORK/vm2.sh" <<G
echo "vm2: ping the host"; ping -c 2 192.168.56.1
echo "vm2: ping vm1"; ping -c 3 $VM1_IP
echo "vm2: fetch vm1's page"; wget -q -O - http://$VM1_IP/
G
scripts/vm.sh --nic "$WORK/run/vm2-eth0.sock,52:54:00:00:00:02,dhcp" --script "$WORK/vm2.sh" --timeout 180 > "$WORK/vm2.log" 2>&1 || true
step "vm2's console"
grep -aE "VM-DHCP-BOUND|vm2:|bytes from|packet loss|hello" "$WORK/vm2.log" | sed 's/^/  /'

step "The host (namespace $NETNS, vswhost0 192.168.56.1) reaches vm1"
ip netns exec "$NETNS" ping -c 2 "$VM1_IP" | sed 's/^/  /'
echo "  curl http://$VM1_IP/ -> $(ip netns exec "$NETNS" curl -s -m 5 "http://$VM1_IP/")"
step "The internet (namespace $NETNS) reaches vm1 through the port forward 203.0.113.10:8080 -> 10.0.2.15:80"
echo "  curl http://203.0.113.10:8080/ -> $(ip netns exec "$NETNS" curl -s -m 5 http://203.0.113.10:8080/)"
ip netns exec "$NETNS" bash -c "echo done > /dev/tcp/$VM1_IP/9999" 2>/dev/null || true

step "vswctl show";   ctl show
step "vswctl leases"; ctl leases
step "vswctl sessions"; ctl sessions
step "vswctl stats";  ctl stats
wait "$VM1_PID" 2>/dev/null || true
step "Done (vswd log: stopped with the demo)"
