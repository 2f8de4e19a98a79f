#!/bin/bash
# Real guests on a host-only network: DHCP leases (static and from the pool),
# guest<->guest and guest<->host traffic, the host fetching a page from a
# guest's HTTP server; a guest in another network (same IP subnet, other L2)
# cannot reach them; a port with a pinned MAC drops and counts spoofed frames.
source "$(dirname "$0")/lib.sh"

{ switch_yaml; cat <<YAML
networks:
  hostonly0:
    mode: host-only
    subnet: 192.168.56.0/24
    host_interface: {name: $HOSTIF, address: 192.168.56.1, netns: $NETNS}
    dhcp:
      server: 192.168.56.100
      range: 192.168.56.101-192.168.56.254
      static: [{mac: "52:54:00:00:00:11", ip: 192.168.56.11}]
  other:
    mode: internal
ports:
  vm1: {network: hostonly0}
  vm2: {network: hostonly0}
  vm3: {network: other}
  vm4: {network: hostonly0, mac: "52:54:00:00:00:44"}
YAML
} > "$CONFIG"
start_vswd

cat > "$WORK/vm1.sh" <<'G'
echo hello-from-vm1 > /tmp/index.html
httpd -p 80 -h /tmp
ping -c 3 -W 2 192.168.56.1 || exit 1
echo VM1-READY
nc -l -p 9999 > /dev/null
G
cat > "$WORK/vm2.sh" <<'G'
ping -c 3 -W 2 192.168.56.1 || { echo VM2-NO-HOST; exit 1; }
# vm1 may still be booting: give it a few tries.
for i in 1 2 3 4 5 6 7 8 9 10; do ping -c 1 -W 1 192.168.56.11 >/dev/null && break; sleep 1; done
ping -c 3 -W 2 192.168.56.11 || { echo VM2-NO-VM1; exit 1; }
wget -q -O - http://192.168.56.11/ | grep -q hello-from-vm1 || { echo VM2-NO-HTTP; exit 1; }
echo VM2-OK
G
cat > "$WORK/vm3.sh" <<'G'
sleep 5
if ping -c 3 -W 1 192.168.56.11; then echo VM3-LEAK; exit 1; fi
echo VM3-ISOLATED
G
cat > "$WORK/vm4.sh" <<'G'
sleep 5
if ping -c 3 -W 1 192.168.56.11; then echo VM4-SPOOF-PASSED; exit 1; fi
echo VM4-BLOCKED
G

start_guest vm1 "$WORK/vm1.sh" "$WORK/run/vm1.sock,52:54:00:00:00:11,dhcp"
start_guest vm2 "$WORK/vm2.sh" "$WORK/run/vm2.sock,52:54:00:00:00:12,dhcp"
start_guest vm3 "$WORK/vm3.sh" "$WORK/run/vm3.sock,52:54:00:00:00:13,192.168.56.50/24"
# vm4's NIC MAC differs from the MAC pinned on its port: everything it sends is spoofed.
start_guest vm4 "$WORK/vm4.sh" "$WORK/run/vm4.sock,52:54:00:00:00:45,192.168.56.60/24"

wait_for_line vm1 VM1-READY 120
log "vm1 is up at its static lease 192.168.56.11"
in_host ping -c 3 -W 2 192.168.56.11 > "$WORK/host-ping.log" || fail "host cannot ping vm1"
page=$(in_host curl -s -m 10 http://192.168.56.11/) || fail "host cannot fetch vm1's page"
[ "$page" = "hello-from-vm1" ] || fail "unexpected page from vm1: '$page'"
log "host reached vm1: ping and HTTP"

wait_guest vm2 || fail "vm2's checks failed"
wait_guest vm3 || fail "vm3 (other network) reached vm1"
wait_guest vm4 || fail "vm4 (spoofed MAC) reached vm1"
log "vm2 reached vm1 and the host; vm3 and vm4 could not"
release_guest 192.168.56.11
wait_guest vm1 || fail "vm1's script failed"

spoofed=$(port_counter vm4 drops.spoofed_src_mac)
[ "$spoofed" -gt 0 ] || fail "no spoofed_src_mac drops counted on vm4"
vm4_tx_out=$(vswctl --json fdb | json_get "sum(1 for e in d['data'] if e['mac']=='52:54:00:00:00:45')")
[ "$vm4_tx_out" = 0 ] || fail "the spoofed MAC was learned"
leak=$(vswctl --json fdb | json_get "sum(1 for e in d['data'] if e['mac']=='52:54:00:00:00:13' and e['network']!='other')")
[ "$leak" = 0 ] || fail "vm3's MAC was learned outside its network"
leases=$(vswctl --json leases)
echo "$leases" | json_get "[l for l in d['data'] if l['mac']=='52:54:00:00:00:11'][0]['ip']" | grep -qx 192.168.56.11 \
    || fail "vm1 did not get its static lease"
vm2_ip=$(echo "$leases" | json_get "[l for l in d['data'] if l['mac']=='52:54:00:00:00:12'][0]['ip']")
case "$vm2_ip" in 192.168.56.1[0-9][0-9]|192.168.56.2[0-9][0-9]) ;; *) fail "vm2 got $vm2_ip, not a pool address";; esac
vswctl stats
log "PASS: leases vm1=192.168.56.11 vm2=$vm2_ip, spoofed drops on vm4=$spoofed"
