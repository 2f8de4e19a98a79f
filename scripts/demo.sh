#!/bin/bash
# The vsw demo, from a fresh Debian 12 machine (as root): installs what it
# needs, builds, starts vswd with a VirtualBox-style host-only network
# (192.168.56.0/24, DHCP), boots two real Linux guests behind it and shows
# them taking leases and talking to each other, the host fetching a web page
# from a guest, and the switch's view (ports, MACs, leases, counters).
#
# The host side of the network is a kernel interface (vswhost0,
# 192.168.56.1/24). The demo puts it in its own network namespace, vsw-demo,
# so that it touches nothing else on this machine; leave `netns` out of the
# YAML to get it in the host's own namespace, as VirtualBox's vboxnet0.
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
cat > "$WORK/vsw.yaml" <<YAML
switch:
  cores: [1]
  hugepages: auto
  run_dir: $WORK/run
  state_dir: $WORK/state
  file_prefix: vswdemo
networks:
  hostonly0:
    mode: host-only
    subnet: 192.168.56.0/24
    host_interface: {name: vswhost0, address: 192.168.56.1, netns: $NETNS}
    dhcp:
      server: 192.168.56.100
      range: 192.168.56.101-192.168.56.254
      lease: 600
ports:
  vm1-eth0: {network: hostonly0}
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
echo "hello from vm1 ($(ip -4 -o addr show eth0 | awk '{print $4}'))" > /tmp/index.html
httpd -p 80 -h /tmp
echo VM1-READY
nc -l -p 9999 > /dev/null
G
step "Booting two guests (QEMU, busybox; each takes a DHCP lease)"
scripts/vm.sh --nic "$WORK/run/vm1-eth0.sock,52:54:00:00:00:01,dhcp" --script "$WORK/vm1.sh" --timeout 180 > "$WORK/vm1.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 600); do grep -q VM1-READY "$WORK/vm1.log" && break; sleep 0.1; done
VM1_IP=$(grep -ao 'VM-NET eth0 [0-9.]*' "$WORK/vm1.log" | awk '{print $3}')
echo "  vm1 is up at $VM1_IP"
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
ip netns exec "$NETNS" bash -c "echo done > /dev/tcp/$VM1_IP/9999" 2>/dev/null || true

step "vswctl show";   ctl show
step "vswctl leases"; ctl leases
step "vswctl stats";  ctl stats
wait "${PIDS[@]}" 2>/dev/null || true
step "Done (vswd log: stopped with the demo)"
