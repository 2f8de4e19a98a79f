#!/bin/bash
# IPv6 on a NAT network (NAT66), dual stack, with a real guest behind a
# kernel (TAP) uplink. The uplink has address6 2001:db8:1::10/64; the test's
# namespace plays "the internet": its side of the TAP is the IPv6 next hop
# (2001:db8:1::1) and it serves HTTP at [2001:db8:100::7]:8080 (IPv6 only)
# and at 198.51.100.7:8080 (IPv4), and DNS at 2001:db8:100::53 (the uplink's
# resolver6).
#
# The guest takes the network's default prefix fd17:625c:f037:2::/64 and its
# default route from vsw's router advertisement, pings its gateway
# (fd17:625c:f037:2::1) and the server over IPv6, traceroute6 shows the
# gateway as the first hop, it resolves a name over IPv6
# at the network's DNS address fd17:625c:f037:2::3 (forwarded to resolver6),
# and fetches both pages: IPv6 and IPv4 through the same NAT network. The server sees the uplink's
# address6 (masquerade). An unsolicited IPv6 connection to the uplink's
# address6 is dropped and counted; vswctl sessions lists the IPv6 sessions.
# A second guest, vm7, reaches vm6's page at address6 (hairpin).
source "$(dirname "$0")/lib.sh"

# UPLINK_KIND=kernel: a TAP that vswd makes and moves into the namespace
# (its side gets gateway6). UPLINK_KIND=afxdp: a veth pair driven through
# AF_XDP, vsw's XDP program steering address6's traffic to vsw.
UPLINK_KIND=${UPLINK_KIND:-kernel}
UPLINK_IF="vsn${UID_}"
VETH_VSW="vsx${UID_}"
if [ "$UPLINK_KIND" = afxdp ]; then
    ip link add "$VETH_VSW" type veth peer name "$UPLINK_IF"
    CLEANUP_LINKS+=("$VETH_VSW")
    ip link set "$UPLINK_IF" netns "$NETNS"
    in_host ip addr add 203.0.113.1/24 dev "$UPLINK_IF"
    in_host ip -6 addr add 2001:db8:1::1/64 dev "$UPLINK_IF" nodad
    in_host ip link set "$UPLINK_IF" up
    in_host ethtool -K "$UPLINK_IF" tx off > /dev/null  # complete checksums: AF_XDP frames carry no offload state
    ip link set "$VETH_VSW" up
fi
uplink_yaml() {
    if [ "$UPLINK_KIND" = afxdp ]; then
        echo "    device: \"net_af_xdp0,iface=$VETH_VSW\""
        echo "    gateway: 203.0.113.1"
        echo "    host_link: false"
    else
        echo "    kernel: {name: $UPLINK_IF, address: 203.0.113.1, netns: $NETNS}"
    fi
}
{ switch_yaml; cat <<YAML
uplinks:
  wan:
$(uplink_yaml)
    address: 203.0.113.10/24
    address6: 2001:db8:1::10/64
    gateway6: 2001:db8:1::1
    resolver6: 2001:db8:100::53
    resolver: 198.51.100.53
    ports: 20000-29999
networks:
  natnet6:
    mode: nat
    subnet: 10.0.2.0/24
    dns: 10.0.2.3
    uplink: wan
    port_forwards:
      # IPv6: on the uplink's address6, to the guest's SLAAC address.
      - {name: web6, proto: tcp, host_port: 8080, guest_ip: "fd17:625c:f037:2:5054:ff:fe00:701", guest_port: 80}
ports:
  vm6: {network: natnet6}
  vm7: {network: natnet6}
YAML
} > "$CONFIG"

in_host ip addr add 198.51.100.7/32 dev lo
in_host ip -6 addr add 2001:db8:100::7/128 dev lo nodad
in_host ip -6 addr add 2001:db8:100::53/128 dev lo nodad
in_host sysctl -qw net.ipv6.conf.all.forwarding=1
in_host ip -6 route add unreachable 2001:db8:300::/64
ip netns exec "$NETNS" dnsmasq --keep-in-foreground --conf-file=/dev/null --no-resolv --no-hosts --bind-interfaces \
    --listen-address=2001:db8:100::53 --address=/www6.example.test/2001:db8:100::7 --pid-file="$WORK/dnsmasq6.pid" \
    --log-queries --log-facility=- > "$WORK/dnsmasq6.log" 2>&1 &
GUEST_PIDS+=($!)
mkdir -p "$WORK/www6" "$WORK/www4"
echo hello-over-nat66 > "$WORK/www6/index.html"
echo hello-over-nat44 > "$WORK/www4/index.html"
cat > "$WORK/http6.py" <<'PY'
import http.server, socket, sys
class Server6(http.server.ThreadingHTTPServer):
    address_family = socket.AF_INET6
http.server.SimpleHTTPRequestHandler.log_message = lambda self, f, *a: print(self.client_address[0], f % a, flush=True)
handler = lambda *a, **k: http.server.SimpleHTTPRequestHandler(*a, directory=sys.argv[2], **k)
print("Serving HTTP", flush=True)
Server6((sys.argv[1], 8080), handler).serve_forever()
PY
ip netns exec "$NETNS" python3 -u "$WORK/http6.py" 2001:db8:100::7 "$WORK/www6" > "$WORK/http6.log" 2>&1 &
GUEST_PIDS+=($!)
ip netns exec "$NETNS" python3 -u -m http.server --bind 198.51.100.7 --directory "$WORK/www4" 8080 \
    > "$WORK/http4.log" 2>&1 &
GUEST_PIDS+=($!)
for f in http6.log http4.log; do
    for _ in $(seq 100); do grep -q "Serving HTTP" "$WORK/$f" 2>/dev/null && break; sleep 0.1; done
done

start_vswd
vswctl show | tee "$WORK/show.txt"
grep -q "subnet6 fd17:625c:f037:2::/64" "$WORK/show.txt" || fail "vswctl show does not list the default subnet6"
grep -q "NAT66 gateway6 fd17:625c:f037:2::1 dns6 fd17:625c:f037:2::3" "$WORK/show.txt" \
    || fail "vswctl show lacks the network's NAT66 addresses"
grep -q "wan: IPv6 2001:db8:1::10/64 gateway6 2001:db8:1::1 (" "$WORK/show.txt" || fail "vswctl show lacks the uplink's IPv6"
in_host ip -6 addr show dev "$UPLINK_IF" | grep -q "inet6 2001:db8:1::1/64" \
    || fail "the uplink's other side has not gateway6: $(in_host ip -6 addr show dev "$UPLINK_IF")"

VM6=fd17:625c:f037:2:5054:ff:fe00:701
cat > "$WORK/vm6.sh" <<'G'
echo hello-from-nat66-guest > /tmp/index.html
httpd -p 80 -h /tmp
for i in $(seq 40); do
    a=$(ip -6 -o addr show dev eth0 scope global | awk '{print $4}')
    [ -n "$a" ] && ! ip -6 -o addr show dev eth0 scope global | grep -q tentative && [ -n "$(ip -6 route show default)" ] && break
    sleep 0.5
done
echo "VM-ADDR6 $a"
ip -6 route show default
[ -n "$(ip -6 route show default)" ] || { echo VM6-NO-DEFAULT-ROUTE; exit 1; }
ping6 -c 2 -W 2 fd17:625c:f037:2::1 || { echo VM6-NO-GATEWAY6; exit 1; }
ping6 -c 3 -W 2 2001:db8:100::7 || { echo VM6-NO-PING6-OUT; exit 1; }
# The gateway is the first hop: it answers an expiring hop limit with "time exceeded".
traceroute6 -n -q 1 -w 2 -m 3 2001:db8:100::7 2>&1 | tee /tmp/tr6.txt
grep -q "^ 1  fd17:625c:f037:2::1 " /tmp/tr6.txt || { echo VM6-TRACEROUTE-NO-GATEWAY; exit 1; }
grep -q "^ 2  2001:db8:100::7 " /tmp/tr6.txt || { echo VM6-TRACEROUTE-NO-TARGET; exit 1; }
for i in 1 2 3; do
    wget -q -O - "http://[2001:db8:100::7]:8080/" | grep -q hello-over-nat66 || { echo VM6-NO-HTTP6; exit 1; }
done
nslookup www6.example.test fd17:625c:f037:2::3 | tee /tmp/ns6.txt
grep -q "2001:db8:100::7" /tmp/ns6.txt || { echo VM6-NO-DNS6; exit 1; }
ping6 -c 1 -W 2 fd17:625c:f037:2::3 || { echo VM6-NO-PING-DNS6; exit 1; }
# No route to 2001:db8:300::/64 in "the internet": its ICMPv6 error comes
# back translated, so the connection fails at once instead of timing out.
timeout 10 wget -q -O - "http://[2001:db8:300::1]/" > /tmp/unr.txt 2>&1
cat /tmp/unr.txt
grep -qi "unreachable\|no route" /tmp/unr.txt || { echo VM6-NO-ICMP6-ERROR; exit 1; }
wget -q -O - http://198.51.100.7:8080/ | grep -q hello-over-nat44 || { echo VM6-NO-HTTP4; exit 1; }
echo VM6-OK
sleep 120  # serving the IPv6 forward; the test stops the guest when it is done
G
# vm7 reaches vm6's page at the uplink's address6 (hairpin through the IPv6 forward).
cat > "$WORK/vm7.sh" <<'G'
for i in $(seq 40); do
    [ -n "$(ip -6 route show default)" ] && ! ip -6 -o addr show dev eth0 scope global | grep -q tentative &&
        [ -n "$(ip -6 -o addr show dev eth0 scope global)" ] && break
    sleep 0.5
done
for i in $(seq 30); do
    timeout 5 wget -q -O /tmp/page "http://[2001:db8:1::10]:8080/" && break; sleep 1
done
grep -q hello-from-nat66-guest /tmp/page || { echo VM7-NO-HAIRPIN6; exit 1; }
echo VM7-OK
G
start_guest vm7 "$WORK/vm7.sh" "$WORK/run/vm7.sock,52:54:00:00:07:02,dhcp"
start_guest vm6 "$WORK/vm6.sh" "$WORK/run/vm6.sock,52:54:00:00:07:01,dhcp"
wait_for_line vm6 "VM6-OK\|VM6-NO\|NO-" 150
grep -q VM6-OK "$WORK/vm6.log" || { wait_guest vm6; fail "the guest's NAT66 checks failed"; }
grep -q "VM-ADDR6 $VM6/64" "$WORK/vm6.log" || fail "vm6 did not configure $VM6: $(grep VM-ADDR6 "$WORK/vm6.log")"
grep -q "default via fe80::" "$WORK/vm6.log" || fail "vm6's default route is not via vsw's link-local address"
log "vm6: SLAAC $VM6 and a default route from vsw's RA; pinged the gateway and 2001:db8:100::7, HTTP over IPv6 and IPv4"

grep -q "^2001:db8:1::10 " "$WORK/http6.log" || fail "the IPv6 server saw no request from address6: $(cat "$WORK/http6.log")"
! grep -q "^fd17:" "$WORK/http6.log" || fail "a guest's inside address reached the server: $(cat "$WORK/http6.log")"
log "the IPv6 server saw only the uplink's address6 (masquerade)"
grep -q "query.*www6.example.test from 2001:db8:1::10" "$WORK/dnsmasq6.log" \
    || fail "the resolver6 saw no query from address6: $(cat "$WORK/dnsmasq6.log")"
errors=$(vswctl --json stats | json_get "sum(w['nat_icmp_errors'] for w in d['data']['workers'])")
[ "$errors" -gt 0 ] || fail "no ICMPv6 error was translated"
log "vm6's connection to an unreachable IPv6 network failed at once: $errors ICMPv6 error(s) translated"
log "vm6 resolved a name over IPv6 at fd17:625c:f037:2::3, forwarded to resolver6 from address6"
vswctl sessions natnet6 | tee "$WORK/sessions.txt"
grep -q "\[$VM6\]:[0-9]* .*\[2001:db8:100::7\]:8080" "$WORK/sessions.txt" || fail "no IPv6 session listed"

before=$(port_counter uplink:wan drops.nat_no_session)
if in_host curl -s -g -m 3 "http://[2001:db8:1::10]:29999/" > /dev/null; then
    fail "an unsolicited IPv6 connection got through"
fi
after=$(port_counter uplink:wan drops.nat_no_session)
[ "$after" -gt "$before" ] || fail "unsolicited IPv6 inbound not counted (nat_no_session $before -> $after)"
in_host ping -6 -c 2 -W 2 2001:db8:1::10 > /dev/null || fail "vsw does not answer ping on its address6"
page=$(in_host curl -s -g -m 10 "http://[2001:db8:1::10]:8080/") || fail "the IPv6 port forward failed"
[ "$page" = hello-from-nat66-guest ] || fail "the IPv6 port forward gave '$page'"
vswctl sessions natnet6 | grep -q "\[$VM6\]:80 .*\[2001:db8:1::10\]:8080 .* yes\|\[$VM6\]:80 .*\[2001:db8:1::10\]:8080" \
    || { vswctl sessions; fail "no session of the IPv6 forward"; }
log "the namespace reached vm6's page through the IPv6 port forward [2001:db8:1::10]:8080"
wait_guest vm7 || fail "vm7 could not reach vm6 at the uplink's address6 (hairpin)"
log "vm7 reached vm6's page at [2001:db8:1::10]:8080 from inside (hairpin)"
log "unsolicited IPv6 inbound dropped and counted ($before -> $after); vsw answers ping on address6"
if [ "$UPLINK_KIND" = afxdp ]; then
    redirected=$(vswctl --json stats | json_get "d['data']['xdp']['wan']['redirected']")
    [ "$(vswctl --json stats | json_get "d['data']['xdp']['wan']['redirect_failed']")" = 0 ] \
        || fail "XDP found no AF_XDP socket for some of vsw's frames"
    log "all of it through vsw's XDP program on $VETH_VSW ($redirected frames steered to vsw)"
fi
log "PASS"
