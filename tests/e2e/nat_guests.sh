#!/bin/bash
# Real guests on NAT networks behind a kernel (TAP) uplink. The test's
# namespace plays both "the host" and "the internet": it holds the uplink's
# kernel side (203.0.113.1/24, the uplink's gateway), an HTTP server at
# 198.51.100.7:8080 and a DNS server (dnsmasq) at 198.51.100.53.
#
#   vma: natnet0 (10.0.2.15, static lease) + hostonly0 (192.168.56.15): DHCP
#        with router and DNS, ping gateway and outside, HTTP out, DNS by name,
#        traceroute through the gateway; serves HTTP behind port forward 8080.
#   vmb: natnet0 (pool address): hairpin to 203.0.113.10:8080 reaches vma.
#   vmc: natnet1, the SAME subnet and the same address 10.0.2.15: its own
#        sessions, at the same time as vma's.
# From the namespace: the port forward reaches vma, an unsolicited connection
# fails and is counted, the host-only address reaches vma's other NIC.
source "$(dirname "$0")/lib.sh"

# UPLINK_KIND=kernel: the uplink is a TAP that vswd creates and moves into the
# namespace. UPLINK_KIND=afxdp: a veth pair, one end in the namespace, the
# other driven by vswd through DPDK's AF_XDP PMD (net_af_xdp).
UPLINK_KIND=${UPLINK_KIND:-kernel}
UPLINK_IF="vsn${UID_}"      # the kernel side, in the test namespace
VETH_VSW="vsx${UID_}"       # afxdp: the end vswd drives
UNSOLICITED_PORT=8081       # an uplink port with no session and no forward
if [ "$UPLINK_KIND" = afxdp ]; then
    # vsw's XDP program hands vsw only its own traffic (ARP and ICMP for its
    # address, its masquerade ports 20000-29999, forwarded ports): unsolicited
    # inbound must aim at one of those ports to reach vsw (8081 is the kernel's).
    UNSOLICITED_PORT=29999
    ip link add "$VETH_VSW" type veth peer name "$UPLINK_IF"
    CLEANUP_LINKS+=("$VETH_VSW")
    ip link set "$UPLINK_IF" netns "$NETNS"
    in_host ip addr add 203.0.113.1/24 dev "$UPLINK_IF"
    in_host ip link set "$UPLINK_IF" up
    # AF_XDP frames carry no checksum metadata: the kernel side must send
    # complete checksums, not leave them to a veth "offload" that never happens.
    in_host ethtool -K "$UPLINK_IF" tx off > /dev/null
    # The host shares the interface vsw drives: everything not vsw's must still
    # reach the host's own address on it.
    ip addr add 203.0.113.2/24 dev "$VETH_VSW"
    ip link set "$VETH_VSW" up
fi

uplink_yaml() {
    if [ "$UPLINK_KIND" = afxdp ]; then
        echo "    device: \"net_af_xdp0,iface=$VETH_VSW\""
        echo "    gateway: 203.0.113.1"
    else
        echo "    kernel: {name: $UPLINK_IF, address: 203.0.113.1, netns: $NETNS}"
    fi
}
# An AF_XDP uplink has no way to the host's stack: vswd makes it a host link
# by default (a TAP, "wan.host"), and natnet0 reaches the host (its 127.0.0.1
# at 10.0.2.2, the forwards on the host's addresses) through it with nothing
# else written. Here it goes into the test's "host" namespace, under a name of
# the test's own.
host_link_yaml() {
    [ "$UPLINK_KIND" = afxdp ] || return 0
    echo "    host_link: {name: vsh${UID_}, netns: $NETNS}"
}

{ switch_yaml; cat <<YAML
uplinks:
  wan:
$(uplink_yaml)
    address: 203.0.113.10/24
    resolver: 198.51.100.53
    ports: 20000-29999
$(host_link_yaml)
networks:
  natnet0:
    mode: nat
    subnet: 10.0.2.0/24
    gateway: 10.0.2.2
    dns: 10.0.2.3
    uplink: wan
    dhcp:
      range: 10.0.2.16-10.0.2.254
      static: [{mac: "52:54:00:00:02:15", ip: 10.0.2.15}]
    port_forwards:
      # On the uplink address only: without host_ip the forward would also take
      # the host's own port 8080, where the "internet" server listens.
      - {name: web, proto: tcp, host_ip: 203.0.113.10, host_port: 8080, guest_ip: 10.0.2.15, guest_port: 80}
      # The host's own addresses (no host_ip), its 127.0.0.1, TCP and UDP.
      - {name: ssh, proto: tcp, host_port: 2222, guest_ip: 10.0.2.15, guest_port: 22}
      - "lo-web,tcp,127.0.0.1,8082,10.0.2.15,80"
      - "echo,udp,127.0.0.1,5300,10.0.2.15,5300"
  natnet1:
    mode: nat
    subnet: 10.0.2.0/24
    gateway: 10.0.2.2
    dns: 10.0.2.3
    uplink: wan
    dhcp:
      range: 10.0.2.16-10.0.2.254
      static: [{mac: "52:54:00:00:03:15", ip: 10.0.2.15}]
  hostonly0:
    mode: host-only
    subnet: 192.168.56.0/24
    host_interface: {name: $HOSTIF, address: 192.168.56.1, netns: $NETNS}
    dhcp:
      server: 192.168.56.100
      range: 192.168.56.101-192.168.56.254
      static: [{mac: "52:54:00:00:05:15", ip: 192.168.56.15}]
ports:
  vma-nat: {network: natnet0}
  vma-ho: {network: hostonly0}
  vmb: {network: natnet0}
  vmc: {network: natnet1}
YAML
} > "$CONFIG"

# The "internet": addresses beyond the uplink's gateway, an HTTP and a DNS server.
in_host ip addr add 198.51.100.7/32 dev lo
in_host ip addr add 198.51.100.53/32 dev lo
in_host sysctl -qw net.ipv4.ip_forward=1
mkdir -p "$WORK/www"
echo hello-from-internet > "$WORK/www/index.html"
ip netns exec "$NETNS" python3 -m http.server --bind 198.51.100.7 --directory "$WORK/www" 8080 > "$WORK/http.log" 2>&1 &
GUEST_PIDS+=($!)
# Answers every request with the source port it came from (the outside port
# vsw chose), so the guest's console shows which range a connection used.
cat > "$WORK/port_echo.py" <<'PY'
import http.server, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = str(self.client_address[1]).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a): pass
http.server.ThreadingHTTPServer(("198.51.100.7", 8090), H).serve_forever()
PY
ip netns exec "$NETNS" python3 "$WORK/port_echo.py" > "$WORK/port_echo.log" 2>&1 &
GUEST_PIDS+=($!)
start_dns_server 198.51.100.53 www.example.test 198.51.100.7
# A service only on the host's loopback, which vma reaches at 10.0.2.2.
mkdir -p "$WORK/lo"
echo hello-host-loopback > "$WORK/lo/index.html"
ip netns exec "$NETNS" python3 -u -m http.server --bind 127.0.0.1 --directory "$WORK/lo" 8081 > "$WORK/http-lo.log" 2>&1 &
GUEST_PIDS+=($!)
for f in http.log http-lo.log; do
    for _ in $(seq 100); do grep -q "Serving HTTP" "$WORK/$f" 2>/dev/null && break; sleep 0.1; done
done

start_vswd
vswctl show | tee "$WORK/show.txt"
if [ "$UPLINK_KIND" = afxdp ]; then
    grep -q "wan.host: the host link of wan: its networks reach the host (namespace $NETNS)" "$WORK/show.txt" \
        || fail "vswctl show does not list the AF_XDP uplink's host link"
    in_host ip -4 addr show dev "vsh${UID_}" | grep -q "inet 169.254.213.1/30" \
        || fail "the host link has not its default address: $(in_host ip addr show dev "vsh${UID_}")"
fi

cat > "$WORK/vma.sh" <<'G'
echo hello-from-nat-guest > /tmp/index.html
httpd -p 80 -h /tmp
(while true; do echo SSH-2.0-vsw-guest | nc -l -p 22; done) &
ping -c 2 -W 2 10.0.2.2 || { echo VMA-NO-GATEWAY; exit 1; }
wget -q -O - http://10.0.2.2:8081/ | grep -q hello-host-loopback || { echo VMA-NO-HOST-LOOPBACK; exit 1; }
ping -c 3 -W 2 198.51.100.7 || { echo VMA-NO-PING-OUT; exit 1; }
# 3000-byte pings leave and return as IPv4 fragments.
ping -c 2 -W 2 -s 3000 198.51.100.7 || { echo VMA-NO-FRAGMENTS; exit 1; }
wget -q -O - http://198.51.100.7:8080/ | grep -q hello-from-internet || { echo VMA-NO-HTTP-OUT; exit 1; }
nslookup www.example.test | tee /tmp/ns.txt
grep -q 198.51.100.7 /tmp/ns.txt || { echo VMA-NO-DNS; exit 1; }
wget -q -O - http://www.example.test:8080/ | grep -q hello-from-internet || { echo VMA-NO-HTTP-BY-NAME; exit 1; }
# DNS over TCP (2-byte length, then "www.example.test IN A"): the answer holds 198.51.100.7 (c6 33 64 07).
printf '\000\042\022\064\001\000\000\001\000\000\000\000\000\000\003\167\167\167\007\145\170\141\155\160\154\145\004\164\145\163\164\000\000\001\000\001' | timeout 5 nc 10.0.2.3 53 | od -An -tx1 | tr -d ' \n' | grep -q c6336407 || { echo VMA-NO-DNS-TCP; exit 1; }
traceroute -n -q 1 -w 2 -m 4 198.51.100.7 2>&1 | tee /tmp/tr.txt
grep -q "^ 1  10.0.2.2 " /tmp/tr.txt || { echo VMA-TRACEROUTE-NO-GATEWAY; exit 1; }
grep -q "^ 2  198.51.100.7 " /tmp/tr.txt || { echo VMA-TRACEROUTE-NO-TARGET; exit 1; }
echo VMA-READY
# On a poke at 9998: a connection out every 0.2 s, each line naming the
# outside port the server saw (for the port range reload below).
nc -l -p 9998 > /dev/null
while :; do
    p=$(timeout 5 wget -q -O - http://198.51.100.7:8090/) && echo "LOOP-OK $p" || echo "LOOP-FAIL"
    sleep 0.2
done &
nc -l -p 9999 > /dev/null
G
cat > "$WORK/vmb.sh" <<'G'
ping -c 2 -W 2 10.0.2.2 || { echo VMB-NO-GATEWAY; exit 1; }
# Hairpin: the uplink address and forwarded port, from inside; vma may still be booting.
for i in $(seq 30); do
    timeout 5 wget -q -O /tmp/page http://203.0.113.10:8080/ && break; sleep 1
done
grep -q hello-from-nat-guest /tmp/page || { echo VMB-NO-HAIRPIN; exit 1; }
echo VMB-OK
G
cat > "$WORK/vmc.sh" <<'G'
ip addr show eth0 | grep -q "inet 10.0.2.15/" || { echo VMC-WRONG-ADDRESS; exit 1; }
ping -c 3 -W 2 198.51.100.7 || { echo VMC-NO-PING-OUT; exit 1; }
for i in 1 2 3; do
    wget -q -O - http://198.51.100.7:8080/ | grep -q hello-from-internet || { echo VMC-NO-HTTP-OUT; exit 1; }
done
echo VMC-OK
G

start_guest vma "$WORK/vma.sh" "$WORK/run/vma-nat.sock,52:54:00:00:02:15,dhcp" \
    "$WORK/run/vma-ho.sock,52:54:00:00:05:15,dhcp"
start_guest vmb "$WORK/vmb.sh" "$WORK/run/vmb.sock,52:54:00:00:02:16,dhcp"
start_guest vmc "$WORK/vmc.sh" "$WORK/run/vmc.sock,52:54:00:00:03:15,dhcp"

wait_for_line vma VMA-READY 150
grep -q "VM-DHCP-BOUND eth0 10.0.2.15/24 router=10.0.2.2 dns=10.0.2.3" "$WORK/vma.log" \
    || fail "vma's NAT lease lacks router or DNS"
frags=$(vswctl --json stats | json_get "sum(w['nat_fragments'] for w in d['data']['workers'])")
errors=$(vswctl --json stats | json_get "sum(w['nat_icmp_errors'] for w in d['data']['workers'])")
[ "$frags" -gt 0 ] || fail "no fragments were translated"
[ "$errors" -gt 0 ] || fail "no ICMP errors were translated (traceroute's port unreachable)"
log "vma: lease with router and DNS, gateway, ping, fragments ($frags), HTTP, DNS and traceroute out ($errors ICMP errors)"

page=$(in_host curl -s -m 10 http://203.0.113.10:8080/) || fail "port forward 8080 -> vma:80 failed"
[ "$page" = hello-from-nat-guest ] || fail "port forward gave '$page'"
page=$(in_host curl -s -m 10 http://192.168.56.15/) || fail "host cannot reach vma on host-only"
[ "$page" = hello-from-nat-guest ] || fail "host-only gave '$page'"
log "the namespace reached vma through the port forward and over host-only"
# The host's own addresses ($UPLINK_KIND uplink): 127.0.0.1:8082 and 127.0.0.1:2222.
page=$(in_host curl -s -m 10 http://127.0.0.1:8082/) || true
[ "$page" = hello-from-nat-guest ] || fail "the forward on 127.0.0.1:8082 gave '$page'"
banner=$(tcp_banner 127.0.0.1 2222)
[ "$banner" = SSH-2.0-vsw-guest ] || fail "127.0.0.1:2222 (a forward without host_ip) gave '$banner'"
# UDP: vma has no UDP server, its port unreachable comes back as ECONNREFUSED.
answer=$(udp_probe 127.0.0.1 5300)
[ "$answer" = refused ] || fail "the UDP forward on 127.0.0.1:5300 gave '$answer'"
vswctl sessions natnet0 --proto udp | grep -q "10.0.2.15:5300 " || { vswctl sessions; fail "no session of the UDP forward"; }
log "the host reached vma at 127.0.0.1:8082, 127.0.0.1:2222 and udp 127.0.0.1:5300"

before=$(port_counter uplink:wan drops.nat_no_session)
if in_host curl -s -m 3 "http://203.0.113.10:$UNSOLICITED_PORT/" > /dev/null; then
    fail "an unsolicited connection got through"
fi
after=$(port_counter uplink:wan drops.nat_no_session)
[ "$after" -gt "$before" ] || fail "unsolicited inbound not counted (nat_no_session $before -> $after)"
log "unsolicited inbound dropped and counted ($before -> $after)"

wait_guest vmb || fail "vmb's hairpin failed"
wait_guest vmc || fail "vmc (natnet1, same subnet and address) failed"
log "hairpin from vmb; vmc on natnet1 with the same address worked"

if [ "$UPLINK_KIND" = afxdp ]; then
    # All of the above went through vsw's XDP program; the host keeps its traffic.
    xdp() { vswctl --json stats | json_get "d['data']['xdp']['wan']['$1']"; }
    prog=$(xdp program_id)
    ip link show dev "$VETH_VSW" | grep -q "prog/xdp id $prog " \
        || fail "vsw's XDP program $prog is not the one on $VETH_VSW: $(ip link show dev "$VETH_VSW")"
    passed_before=$(xdp passed)
    in_host ping -c 2 -W 2 203.0.113.2 || fail "the host lost its own traffic on the AF_XDP interface"
    redirected=$(xdp redirected)
    passed=$(xdp passed)
    [ "$redirected" -gt 0 ] || fail "XDP steered nothing to vsw (redirected=$redirected)"
    [ $((passed - passed_before)) -ge 2 ] || fail "the host's ping did not pass XDP ($passed_before -> $passed)"
    [ "$(xdp redirect_failed)" = 0 ] || fail "XDP found no AF_XDP socket for some of vsw's frames"
    log "XDP steering: the host answered ping on $VETH_VSW; redirected=$redirected passed=$passed"
fi

# Reload that moves the port forward 8080 -> 8081: the new one works at once,
# the old one is gone, and the network's other sessions are kept.
keep="[(s['proto'],s['inside'],s['outside'],s['remote']) for s in d['data'] if s['network']=='natnet0' and s['proto']!='icmp' and not s['forward']]"
before=$(vswctl --json sessions | json_get "sorted($keep)")
sed -i 's/{name: web, proto: tcp, host_ip: 203.0.113.10, host_port: 8080,/{name: web2, proto: tcp, host_ip: 203.0.113.10, host_port: 8081,/' "$CONFIG"
summary=$(vswctl reload) || fail "reload refused"
case $summary in *"network natnet0 (port_forwards; sessions kept)"*) ;; *) fail "reload summary does not name the change: $summary" ;; esac
page=$(in_host curl -s -m 10 http://203.0.113.10:8081/) || fail "the forward added by reload does not work"
[ "$page" = hello-from-nat-guest ] || fail "port forward 8081 gave '$page'"
if in_host curl -s -m 3 http://203.0.113.10:8080/ > /dev/null; then fail "the removed forward still works"; fi
after=$(vswctl --json sessions | json_get "sorted($keep)")
python3 - "$before" "$after" <<'PY' || fail "reload dropped sessions of natnet0"
import ast, sys
before, after = ast.literal_eval(sys.argv[1]), ast.literal_eval(sys.argv[2])
missing = [s for s in before if s not in after]
print(f"sessions before reload: {len(before)}, kept: {len(before) - len(missing)}")
sys.exit(1 if missing or not before else 0)
PY
log "reload moved the port forward and kept natnet0's sessions"

vswctl sessions | tee "$WORK/sessions.txt"
sessions=$(vswctl --json sessions)
for net in natnet0 natnet1; do
    n=$(echo "$sessions" | json_get "sum(1 for s in d['data'] if s['network']=='$net' and s['inside'].startswith('10.0.2.15:'))")
    [ "$n" -gt 0 ] || fail "no sessions of 10.0.2.15 in $net"
done
# Filters and the limit: the reply holds at most --limit sessions and says
# how many matched.
n_all=$(echo "$sessions" | json_get "len(d['data'])")
one=$(vswctl --json sessions --limit 1)
[ "$(echo "$one" | json_get "len(d['data'])")" = 1 ] || fail "sessions --limit 1 listed more than one"
[ "$(echo "$one" | json_get "d['matched']")" -ge 2 ] || fail "sessions --limit 1 does not count the others: $one"
vswctl sessions --limit 1 | grep -q "^1 of [0-9]* matching session(s) shown" || fail "the text output does not say the list was cut"
tcp=$(vswctl --json sessions natnet0 --proto tcp --guest 10.0.2.15)
echo "$tcp" | json_get "all(s['proto'] == 'tcp' and s['inside'].startswith('10.0.2.15:') and s['network'] == 'natnet0' for s in d['data']) and len(d['data']) > 0" | grep -q True \
    || fail "sessions --proto tcp --guest 10.0.2.15 listed others (or none): $tcp"
log "sessions: $n_all in all; --limit 1 and --proto/--guest filters work"
fwd=$(echo "$sessions" | json_get "sum(1 for s in d['data'] if s['forward'])")
[ "$fwd" -gt 0 ] || fail "no port-forward session listed"
mixed=$(echo "$sessions" | json_get "len({(s['proto'],s['outside']) for s in d['data'] if s['network']=='natnet0'} & {(s['proto'],s['outside']) for s in d['data'] if s['network']=='natnet1'})")
[ "$mixed" = 0 ] || fail "natnet0 and natnet1 share outside ports"
if [ "${VSW_CORES:-1}" != 1 ]; then
    # Two workers: each masquerades from its own slice of 20000-29999, and
    # replies that the uplink's worker receives for the other's ports are
    # handed over on a ring.
    workers=$(vswctl --json stats | json_get "[(w['worker'], w['nat_in2out'], w['nat_handoffs']) for w in d['data']['workers']]")
    log "per worker (worker, nat_in2out, nat_handoffs): $workers"
    handoffs=$(vswctl --json stats | json_get "sum(w['nat_handoffs'] for w in d['data']['workers'])")
    [ "$handoffs" -gt 0 ] || fail "two workers but no NAT handoff: the handoff path was not exercised"
fi
# Reload that moves the uplink's port range under live traffic (with two
# workers, each worker's slice moves too): the change is reported, natnet0's
# sessions are flushed, every connection after it leaves from the new range
# and gets its reply (none handed to a worker that does not own its port).
in_host bash -c "echo go > /dev/tcp/192.168.56.15/9998" || fail "could not start vma's connection loop"
loop_lines() { grep -c "LOOP-" "$WORK/vma.log" || true; }
for _ in $(seq 100); do [ "$(loop_lines)" -ge 5 ] && break; sleep 0.2; done
grep "LOOP-OK" "$WORK/vma.log" | awk '{ if ($2 < 20000 || $2 > 29999) bad = 1 } END { exit bad }' \
    || fail "before the reload, connections left outside 20000-29999: $(grep LOOP- "$WORK/vma.log" | tr '\n' ' ')"
sed -i 's/    ports: 20000-29999/    ports: 40000-40999/' "$CONFIG"
mark=$(loop_lines)
summary=$(vswctl reload) || fail "port range reload refused"
case $summary in *"uplink wan (ports: sessions of its NAT networks flushed)"*) ;; *) fail "reload summary does not name the port range: $summary" ;; esac
for _ in $(seq 150); do [ "$(loop_lines)" -ge $((mark + 22)) ] && break; sleep 0.2; done
# The connection in flight when the reload lands may be cut; the 20 after it
# must all work, from the new range.
after=$(grep "LOOP-" "$WORK/vma.log" | tail -n +$((mark + 3)) | head -20)
[ "$(echo "$after" | grep -c LOOP-OK)" = 20 ] || fail "connections failed after the port range reload: $(echo "$after" | tr '\n' ' ')"
echo "$after" | awk '{ if ($2 < 40000 || $2 > 40999) bad = 1 } END { exit bad }' \
    || fail "connections left outside the new range 40000-40999: $(echo "$after" | tr '\n' ' ')"
outside=$(vswctl --json sessions | json_get "sorted({int(s['outside'].split(':')[1]) for s in d['data'] if s['network']=='natnet0' and not s['forward'] and s['proto']!='icmp'})")
python3 -c "import sys; p = eval(sys.argv[1]); sys.exit(0 if p and all(40000 <= x <= 40999 for x in p) else 1)" "$outside" \
    || fail "natnet0 still has sessions outside the new range: $outside"
log "reload moved the uplink's port range to 40000-40999 under live traffic: 20 connections after it all answered, from ports $(echo "$after" | awk '{print $2}' | sort -n | sed -n '1p;$p' | tr '\n' ' ')"

release_guest 192.168.56.15
wait_guest vma || fail "vma's script failed"
vswctl stats
log "PASS"
