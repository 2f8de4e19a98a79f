#!/bin/bash
# IPv6 on a host-only network (subnet6): vsw announces the prefix in router
# advertisements (router lifetime 0: no default route), two real guests
# configure themselves by SLAAC, ping each other and the host over IPv6, and
# the host (its interface has fd00:56::1) fetches a page from a guest over
# IPv6. vswctl show lists the prefix; a guest got no default route.
source "$(dirname "$0")/lib.sh"

{ switch_yaml; cat <<YAML
networks:
  hostonly0:
    mode: host-only
    subnet: 192.168.56.0/24
    subnet6: fd00:56::/64
    host_interface: {name: $HOSTIF, address: 192.168.56.1, netns: $NETNS}
    dhcp: {server: 192.168.56.100, range: 192.168.56.101-192.168.56.254}
ports:
  vm1: {network: hostonly0}
  vm2: {network: hostonly0}
YAML
} > "$CONFIG"
start_vswd
vswctl show | tee "$WORK/show.txt"
grep -q "subnet6 fd00:56::/64" "$WORK/show.txt" || fail "vswctl show does not list subnet6"
in_host ip -6 addr show dev "$HOSTIF" | grep -q "inet6 fd00:56::1/64" \
    || fail "the host interface has not fd00:56::1/64: $(in_host ip -6 addr show dev "$HOSTIF")"

# SLAAC with the kernel's default EUI-64 interface ids, from the MACs.
VM1=fd00:56::5054:ff:fe00:601
VM2=fd00:56::5054:ff:fe00:602
cat > "$WORK/wait6.sh" <<'G'
# Waits (up to 20 s) for an address from the router advertisement.
for i in $(seq 40); do
    a=$(ip -6 -o addr show dev eth0 scope global | awk '{print $4}')
    [ -n "$a" ] && ! ip -6 -o addr show dev eth0 scope global | grep -q tentative && break
    sleep 0.5
done
echo "VM-ADDR6 $a"
ip -6 -o addr show dev eth0 scope global
[ -n "$a" ] || { echo NO-SLAAC; exit 1; }
G
{ cat "$WORK/wait6.sh"; cat <<G
echo hello-over-ipv6 > /tmp/index.html
httpd -p 80 -h /tmp
echo VM1-READY
nc -l -p 9999 > /dev/null
# Renumbered by a reload: the new prefix at once, the old address deprecated.
new=fd00:57::5054:ff:fe00:601
for i in \$(seq 40); do
    ip -6 -o addr show dev eth0 | grep -q "\$new/64" &&
        ip -6 -o addr show dev eth0 | grep "$VM1/64" | grep -q deprecated && break
    sleep 0.5
done
ip -6 -o addr show dev eth0 scope global
ip -6 -o addr show dev eth0 | grep -q "\$new/64" || { echo VM1-NO-NEW-PREFIX; exit 1; }
ip -6 -o addr show dev eth0 | grep "$VM1/64" | grep -q deprecated || { echo VM1-OLD-NOT-DEPRECATED; exit 1; }
echo VM1-RENUMBERED
G
} > "$WORK/vm1.sh"
{ cat "$WORK/wait6.sh"; cat <<G
[ -z "\$(ip -6 route show default)" ] || { echo VM2-HAS-DEFAULT-ROUTE; ip -6 route; exit 1; }
ping6 -c 3 -W 2 fd00:56::1 || { echo VM2-NO-HOST6; exit 1; }
for i in 1 2 3 4 5 6 7 8 9 10; do ping6 -c 1 -W 1 $VM1 > /dev/null && break; sleep 1; done
ping6 -c 3 -W 2 $VM1 || { echo VM2-NO-VM1-6; exit 1; }
wget -q -O - "http://[$VM1]/" | grep -q hello-over-ipv6 || { echo VM2-NO-HTTP6; exit 1; }
echo VM2-OK
G
} > "$WORK/vm2.sh"

# A rogue router on the host's side of the network: router advertisements
# (a default route, the prefix fd00:99::/64) every 0.5 s while the guests
# configure themselves. vsw is the network's only router: they are dropped
# (rogue_router) and no guest takes a default route or that prefix.
cat > "$WORK/rogue_ra.py" <<'PY'
import socket, struct, sys, time
ifname = sys.argv[1]
mac = bytes.fromhex(open(f"/sys/class/net/{ifname}/address").read().strip().replace(":", ""))
src = bytes.fromhex("fe80" + "00" * 12 + "0001")
dst = bytes.fromhex("ff02" + "00" * 13 + "01")
ra = struct.pack("!BBHBBHII", 134, 0, 0, 64, 0, 1800, 0, 0)
prefix = struct.pack("!BBBBIII", 3, 4, 64, 0xc0, 86400, 14400, 0) + bytes.fromhex("fd000099" + "00" * 12)
body = ra + prefix
pseudo = src + dst + struct.pack("!I3xB", len(body), 58) + body
s = sum(struct.unpack(f"!{len(pseudo) // 2}H", pseudo))
while s >> 16:
    s = (s & 0xffff) + (s >> 16)
body = body[:2] + struct.pack("!H", ~s & 0xffff) + body[4:]
ip = struct.pack("!IHBB", 6 << 28, len(body), 58, 255) + src + dst
frame = bytes.fromhex("333300000001") + mac + b"\x86\xdd" + ip + body
sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
sock.bind((ifname, 0))
for _ in range(60):
    sock.send(frame)
    time.sleep(0.5)
PY
in_host python3 "$WORK/rogue_ra.py" "$HOSTIF" > "$WORK/rogue_ra.log" 2>&1 &
GUEST_PIDS+=($!)

start_guest vm1 "$WORK/vm1.sh" "$WORK/run/vm1.sock,52:54:00:00:06:01,dhcp"
start_guest vm2 "$WORK/vm2.sh" "$WORK/run/vm2.sock,52:54:00:00:06:02,dhcp"
wait_for_line vm1 VM1-READY 120
grep -q "VM-ADDR6 $VM1/64" "$WORK/vm1.log" || fail "vm1 did not configure $VM1: $(grep VM-ADDR6 "$WORK/vm1.log")"
log "vm1 configured $VM1 from vsw's router advertisement"
in_host ping -6 -c 3 -W 2 "$VM1" > "$WORK/host-ping6.log" || fail "the host cannot ping vm1 over IPv6"
page=$(in_host curl -s -g -m 10 "http://[$VM1]/") || fail "the host cannot fetch vm1's page over IPv6"
[ "$page" = hello-over-ipv6 ] || fail "unexpected page over IPv6: '$page'"
log "the host reached vm1 over IPv6: ping and HTTP"
wait_guest vm2 || fail "vm2's IPv6 checks failed"
grep -q "VM-ADDR6 $VM2/64" "$WORK/vm2.log" || fail "vm2 did not configure $VM2"
log "vm2: SLAAC $VM2, no default route, pinged the host and vm1, fetched vm1's page over IPv6"
! grep -q "fd00:99" "$WORK/vm1.log" "$WORK/vm2.log" || fail "a guest took the rogue router's prefix"
rogue=$(port_counter "$HOSTIF" drops.rogue_router)
[ "$rogue" -gt 0 ] || fail "the rogue router advertisements were not dropped as rogue_router ($rogue)"
log "RA guard: $rogue rogue router advertisements dropped, no guest took their route or prefix"

# A reload moves the network to fd00:57::/64: the host's interface gets
# fd00:57::1, and vsw announces the new prefix at once and the old one with
# lifetime 0, so vm1 takes an address in the new one and stops preferring the old.
sed -i 's|subnet6: fd00:56::/64|subnet6: fd00:57::/64|' "$CONFIG"
summary=$(vswctl reload) || fail "the renumbering reload was refused"
case $summary in *"network hostonly0 (subnet6, host_interface)"*) ;; *) fail "reload summary: $summary" ;; esac
in_host ip -6 addr show dev "$HOSTIF" | grep -q "inet6 fd00:57::1/64" || fail "the host interface has not fd00:57::1"
vm1_ip=$(grep -o "VM-NET eth0 [0-9.]*" "$WORK/vm1.log" | awk '{print $3}')
release_guest "$vm1_ip"
wait_guest vm1 || fail "vm1's script failed (renumbering)"
grep -q VM1-RENUMBERED "$WORK/vm1.log" || fail "vm1 did not take the new prefix"
log "reload renumbered the network: vm1 took fd00:57::5054:ff:fe00:601, its fd00:56:: address deprecated"
log "PASS"
