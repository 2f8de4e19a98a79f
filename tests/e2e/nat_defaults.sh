#!/bin/bash
# VirtualBox's NAT defaults with real guests, and the seed's own case. The
# networks are written as `{mode: nat, uplink: wan}` (VirtualBox's NAT),
# `{mode: nat-network, uplink: wan}` (its NAT Network) and VirtualBox's
# default host-only network; the uplink names no resolver.
# - vm1 has two NICs, one on the NAT network, one on the host-only network.
#   It must get 10.0.2.15/24, router 10.0.2.2 and DNS 10.0.2.3 by DHCP, and
#   resolve a name that only the "host's" resolver knows: a dnsmasq in the
#   test's namespace, listed in the resolv.conf vswd is pointed at
#   (--resolv-conf, standing in for the host's /etc/resolv.conf, with a
#   loopback stub first as systemd-resolved writes it). It then fetches a
#   page by that name through the NAT, and one from a server that listens
#   only on the host's 127.0.0.1, at 10.0.2.2 (host_loopback, on by default
#   with a kernel uplink as in VirtualBox).
# - The host side reaches vm1 over host-only (192.168.56.x), through forwards
#   written as VBoxManage rule strings without a guest IP (10.0.2.15, the
#   first DHCP address), through forwards on the host's own 127.0.0.1
#   (nftables DNAT in the uplink's namespace): `ssh -p 2222 localhost`'s
#   banner, a web page, and a UDP forward that answers; a forward without
#   host_ip is reachable at every host address. A reload that adds a forward
#   on a port another program holds is refused, the running forwards stay.
# - vm2, on the NAT Network, gets 10.0.2.4/24, router and DNS 10.0.2.1, and
#   reaches the host's 127.0.0.1 at 10.0.2.2.
# - The uplink has `kernel.outbound`: the test's namespace (the "host") routes
#   on to a second namespace (its default route, which knows nothing of vsw's
#   addresses), and vm2 fetches a page there: IP forwarding and masquerade.
# vswd follows a change of the resolv.conf without a reload, to a
# loopback-only resolver too, which vm1 then resolves a name through. A
# reload with host_loopback off and without the forwards on the host's
# addresses turns the uplink's route_localnet off again. When vswd
# stops, its nftables table is gone and IP forwarding is off again.
source "$(dirname "$0")/lib.sh"

UPLINK_IF="vsd${UID_}"
# write_config [off|clash]: "off" turns host_loopback off and leaves out the
# forwards on the host's addresses; "clash" adds one on a port a program holds.
write_config() {
    local clash=""
    [ "${1:-}" = clash ] && clash=', "clash,tcp,,8080,,80"'
    # "release" is on the uplink address only: it adds nothing on the host's side.
    local host_forwards='"web,tcp,,8088,,80", "lo-web,tcp,127.0.0.1,8082,,80", "ssh,tcp,127.0.0.1,2222,,22", "echo,udp,127.0.0.1,5300,,5300", '
    local host_loopback=true
    [ "${1:-}" = off ] && { host_forwards=""; host_loopback=false; }
    { switch_yaml; cat <<YAML
uplinks:
  wan:
    kernel: {name: $UPLINK_IF, address: 203.0.113.1, netns: $NETNS, outbound: true}
    address: 203.0.113.10/24
networks:
  natnet0:
    mode: nat
    uplink: wan
    host_loopback: $host_loopback
    port_forwards: [$host_forwards"release,tcp,203.0.113.10,9999,,9999"$clash]
  natnet1: {mode: nat-network, uplink: wan, host_loopback: $host_loopback}
  hostonly0:
    mode: host-only
    subnet: 192.168.56.0/24
    host_interface: {name: $HOSTIF, address: 192.168.56.1, netns: $NETNS}
    dhcp: {server: 192.168.56.100, range: 192.168.56.101-192.168.56.254}
ports:
  vm1: {network: natnet0}
  vm1-ho: {network: hostonly0}
  vm2: {network: natnet1}
YAML
    } > "$CONFIG"
}
write_config
printf 'nameserver 127.0.0.53\nnameserver 198.51.100.53\noptions edns0\n' > "$WORK/resolv.conf"
RESOLV_CONF="$WORK/resolv.conf"

in_host ip addr add 198.51.100.7/32 dev lo
in_host ip addr add 198.51.100.53/32 dev lo
mkdir -p "$WORK/www"
echo hello-by-name > "$WORK/www/index.html"
ip netns exec "$NETNS" python3 -u -m http.server --bind 198.51.100.7 --directory "$WORK/www" 8080 > "$WORK/http.log" 2>&1 &
GUEST_PIDS+=($!)
mkdir -p "$WORK/lo"
echo hello-host-loopback > "$WORK/lo/index.html"
ip netns exec "$NETNS" python3 -u -m http.server --bind 127.0.0.1 --directory "$WORK/lo" 8081 > "$WORK/http-lo.log" 2>&1 &
GUEST_PIDS+=($!)
start_dns_server 198.51.100.53 www.defaults.test 198.51.100.7
# The host's default route leads to another namespace, which has no route to
# vsw's uplink addresses: only the host's masquerade brings its answers back.
OUT_NS="${NETNS}-out"
ip netns add "$OUT_NS"
CLEANUP_HOOKS+=("ip netns pids $OUT_NS | xargs -r kill; ip netns del $OUT_NS")
ip link add "vso$UID_" type veth peer name "vsp$UID_"
ip link set "vso$UID_" netns "$NETNS"
ip link set "vsp$UID_" netns "$OUT_NS"
in_host ip addr add 192.0.2.1/24 dev "vso$UID_"
in_host ip link set "vso$UID_" up
in_host ip route add default via 192.0.2.2
ip -n "$OUT_NS" addr add 192.0.2.2/24 dev "vsp$UID_"
ip -n "$OUT_NS" link set "vsp$UID_" up
ip -n "$OUT_NS" link set lo up
mkdir -p "$WORK/out"
echo hello-outside > "$WORK/out/index.html"
ip netns exec "$OUT_NS" python3 -u -m http.server --bind 192.0.2.2 --directory "$WORK/out" 8080 > "$WORK/http-out.log" 2>&1 &
GUEST_PIDS+=($!)
# The guests boot in seconds: the servers must be listening before.
for f in http.log http-lo.log http-out.log; do
    for _ in $(seq 100); do grep -q "Serving HTTP" "$WORK/$f" 2>/dev/null && break; sleep 0.1; done
    grep -q "Serving HTTP" "$WORK/$f" || fail "the HTTP server of $f did not start"
done
[ "$(in_host cat /proc/sys/net/ipv4/ip_forward)" = 0 ] || fail "the test namespace forwards already"
start_vswd
[ "$(in_host cat /proc/sys/net/ipv4/ip_forward)" = 1 ] || fail "kernel.outbound did not turn IP forwarding on"
vswctl show

# Every default is visible in `vswctl show`.
got=$(vswctl --json show | json_get "(lambda n, u: ' '.join([n['subnet'], n['nat']['gateway'], n['nat']['dns'],
    n['dhcp']['range'], u['resolver'], str(u['resolver_from_host'])]))(
    next(n for n in d['data']['networks'] if n['name'] == 'natnet0'), d['data']['uplinks'][0])")
[ "$got" = "10.0.2.0/24 10.0.2.2 10.0.2.3 10.0.2.15-10.0.2.254 198.51.100.53 True" ] ||
    fail "vswctl show: '$got', expected VirtualBox's defaults and the host's resolver"

got=$(vswctl --json show | json_get "(lambda n: ' '.join([n['mode'], n['subnet'], n['nat']['gateway'], n['nat']['dns'],
    n['dhcp']['server'], n['dhcp']['range'], n['nat']['host_loopback']]))(
    next(n for n in d['data']['networks'] if n['name'] == 'natnet1'))")
[ "$got" = "nat-network 10.0.2.0/24 10.0.2.1 10.0.2.1 10.0.2.3 10.0.2.4-10.0.2.254 10.0.2.2" ] ||
    fail "vswctl show: '$got', expected VirtualBox's NAT Network defaults"

cat > "$WORK/vm1.sh" <<'G'
ip -4 addr show eth0 | grep -q "inet 10.0.2.15/24" || { ip addr; echo VM1-BAD-ADDRESS; exit 1; }
ip -4 addr show eth1 | grep -q "inet 192.168.56.101/24" || { ip addr; echo VM1-BAD-HOST-ONLY-ADDRESS; exit 1; }
ip route | grep -q "default via 10.0.2.2" || { ip route; echo VM1-BAD-ROUTER; exit 1; }
grep -q "nameserver 10.0.2.3" /etc/resolv.conf || { cat /etc/resolv.conf; echo VM1-BAD-DNS; exit 1; }
nslookup www.defaults.test 10.0.2.3 | grep -q 198.51.100.7 || { echo VM1-NO-NAME; exit 1; }
timeout 5 wget -q -O - http://www.defaults.test:8080/ | grep -q hello-by-name || { echo VM1-NO-HTTP; exit 1; }
timeout 5 wget -q -O - http://10.0.2.2:8081/ | grep -q hello-host-loopback || { echo VM1-NO-HOST-LOOPBACK; exit 1; }
echo hello-from-the-guest > /tmp/index.html
httpd -p 80 -h /tmp
# An ssh-like banner on 22.
(while true; do echo SSH-2.0-vsw-guest | nc -l -p 22; done) &
echo VM1-SERVING
nc -l -p 9999 > /dev/null   # until the host side has fetched the page (and moved the resolver)
nslookup www.loop.test 10.0.2.3 | grep -q 192.0.2.99 || { echo VM1-NO-LOOPBACK-RESOLVER; exit 1; }
echo VM1-OK
G
[ "$(in_host cat /proc/sys/net/ipv4/conf/$UPLINK_IF/route_localnet)" = 1 ] ||
    fail "host_loopback: route_localnet is not on for $UPLINK_IF"
cat > "$WORK/vm2.sh" <<'G'
ip -4 addr show eth0 | grep -q "inet 10.0.2.4/24" || { ip addr; echo VM2-BAD-ADDRESS; exit 1; }
ip route | grep -q "default via 10.0.2.1" || { ip route; echo VM2-BAD-ROUTER; exit 1; }
grep -q "nameserver 10.0.2.1" /etc/resolv.conf || { cat /etc/resolv.conf; echo VM2-BAD-DNS; exit 1; }
nslookup www.defaults.test 10.0.2.1 | grep -q 198.51.100.7 || { echo VM2-NO-NAME; exit 1; }
timeout 5 wget -q -O - http://10.0.2.2:8081/ | grep -q hello-host-loopback || { echo VM2-NO-HOST-LOOPBACK; exit 1; }
timeout 5 wget -q -O - http://192.0.2.2:8080/ | grep -q hello-outside || { echo VM2-NO-OUTBOUND; exit 1; }
echo VM2-OK
G
start_guest vm1 "$WORK/vm1.sh" "$WORK/run/vm1.sock,52:54:00:00:00:31,dhcp" "$WORK/run/vm1-ho.sock,52:54:00:00:00:32,dhcp"
start_guest vm2 "$WORK/vm2.sh" "$WORK/run/vm2.sock,52:54:00:00:00:41,dhcp"
wait_for_line vm1 VM1-SERVING 120
# The seed's case: the host reaches the guest over host-only and at 127.0.0.1:2222.
page=$(in_host curl -s --max-time 5 http://192.168.56.101/) || true
[ "$page" = hello-from-the-guest ] || fail "the host did not reach the guest over host-only: '$page'"
banner=$(tcp_banner 127.0.0.1 2222)
[ "$banner" = SSH-2.0-vsw-guest ] || fail "127.0.0.1:2222 (\"ssh,tcp,127.0.0.1,2222,,22\") gave '$banner'"
# UDP on 127.0.0.1:5300: the guest has no UDP server (busybox), so its
# kernel answers "port unreachable", which vsw translates back and the host's
# connected socket reports as ECONNREFUSED; the session proves the datagram
# went through the forward to the guest (not to the host's own lo).
answer=$(udp_probe 127.0.0.1 5300)
[ "$answer" = refused ] || fail "the UDP forward on 127.0.0.1:5300 gave '$answer', expected the guest's port unreachable"
vswctl sessions natnet0 --proto udp | grep -q "10.0.2.15:5300 *203.0.113.10:5300" ||
    { vswctl sessions; fail "no session of the UDP forward on 127.0.0.1:5300"; }
page=$(in_host curl -s --max-time 5 http://203.0.113.10:8088/) || true
[ "$page" = hello-from-the-guest ] || fail "the forward \"web,tcp,,8088,,80\" did not reach the guest: '$page'"
# No host_ip: every host address, as VBoxManage binds: localhost and the host's TAP address too.
for a in 127.0.0.1 203.0.113.1; do
    page=$(in_host curl -s --max-time 5 "http://$a:8088/") || true
    [ "$page" = hello-from-the-guest ] || fail "the forward \"web,tcp,,8088,,80\" is not reachable at $a:8088: '$page'"
done
# A forward on a port another program holds (the "internet" server on
# 198.51.100.7:8080, an address of the host's): the reload is refused and
# names it; the running forwards stay.
write_config clash
out=$(vswctl reload 2>&1) && fail "a reload with a forward on a port in use was accepted"
grep -q "port forward 'clash': tcp port 8080 is already in use on the host" <<< "$out" ||
    fail "the refused reload does not name the port in use: $out"
page=$(in_host curl -s --max-time 5 http://127.0.0.1:8088/) || true
[ "$page" = hello-from-the-guest ] || fail "the running forwards did not stay after the refused reload: '$page'"
write_config
# A forward on the host's 127.0.0.1 (VBoxManage's "lo-web,tcp,127.0.0.1,8082,,80").
page=$(in_host curl -s --max-time 5 http://127.0.0.1:8082/) || true
[ "$page" = hello-from-the-guest ] ||
    { in_host nft list ruleset; fail "the forward on 127.0.0.1:8082 did not reach the guest: '$page'"; }
# The host's resolvers change: vswd follows them without a reload.
resolver_shown() { vswctl --json show | json_get "d['data']['uplinks'][0]['resolver']"; }
printf 'nameserver 198.51.100.54\n' > "$WORK/resolv.conf.new"
mv "$WORK/resolv.conf.new" "$WORK/resolv.conf"
for _ in $(seq 50); do [ "$(resolver_shown)" = 198.51.100.54 ] && break; sleep 0.1; done
[ "$(resolver_shown)" = 198.51.100.54 ] || fail "vswd did not follow the resolv.conf change: $(resolver_shown)"
# Only a resolver on the host's loopback (a local dnsmasq): a kernel uplink
# takes DNS there, and the guest resolves through it (below, once released).
ip netns exec "$NETNS" dnsmasq --keep-in-foreground --conf-file=/dev/null --no-resolv --no-hosts \
    --bind-interfaces --listen-address=127.0.0.1 --address=/www.loop.test/192.0.2.99 \
    --pid-file="$WORK/dnsmasq-lo.pid" --log-queries --log-facility=- > "$WORK/dnsmasq-lo.log" 2>&1 &
GUEST_PIDS+=($!)
printf 'nameserver 127.0.0.1\n' > "$WORK/resolv.conf"
for _ in $(seq 50); do [ "$(resolver_shown)" = 127.0.0.1 ] && break; sleep 0.1; done
[ "$(resolver_shown)" = 127.0.0.1 ] || fail "vswd did not take the host's loopback resolver: $(resolver_shown)"
[ "$(in_host cat /proc/sys/net/ipv4/conf/$UPLINK_IF/route_localnet)" = 1 ] ||
    fail "route_localnet is off with DNS forwarded to the host's loopback"

in_host bash -c "echo done > /dev/tcp/203.0.113.10/9999" 2>/dev/null || fail "cannot release the guest"
wait_guest vm1 || fail "the guest did not get VirtualBox's defaults or could not resolve through the host's resolver"
grep -q "www.loop.test" "$WORK/dnsmasq-lo.log" || fail "the resolver on the host's loopback saw no query"
# Back to a routable resolver, so that nothing but the config asks for route_localnet below.
printf 'nameserver 198.51.100.53\n' > "$WORK/resolv.conf"
for _ in $(seq 50); do [ "$(resolver_shown)" = 198.51.100.53 ] && break; sleep 0.1; done
[ "$(resolver_shown)" = 198.51.100.53 ] || fail "vswd did not follow the resolv.conf change back: $(resolver_shown)"
wait_guest vm2 || fail "the NAT Network guest did not get VirtualBox's NAT Network defaults or reach the host"
grep -q "www.defaults.test" "$WORK/dnsmasq.log" || fail "the host's resolver saw no query"
grep -q '"GET / HTTP' "$WORK/http-lo.log" || fail "the server on the host's 127.0.0.1 saw no request"
in_host nft list table ip "vsw_$UPLINK_IF" > /dev/null || fail "no nftables table vsw_$UPLINK_IF"
# Without host_loopback and the 127.0.0.1 forwards: route_localnet off, the table gone.
write_config off
vswctl reload > /dev/null || fail "reload without host_loopback failed"
[ "$(in_host cat /proc/sys/net/ipv4/conf/$UPLINK_IF/route_localnet)" = 0 ] ||
    fail "route_localnet stayed on after host_loopback and the forwards on the host's addresses were removed"
in_host nft list table ip "vsw_$UPLINK_IF" | grep -q "oifname != \"$UPLINK_IF\" masquerade" ||
    fail "the outbound masquerade is not in table vsw_$UPLINK_IF after the reload"
in_host nft list table ip "vsw_$UPLINK_IF" | grep -q "dnat" && fail "the forwards on the host's addresses outlived the reload"
grep -q '"GET / HTTP' "$WORK/http-out.log" || fail "the server behind the host's default route saw no request"

# vswd stops: its table goes, and IP forwarding is off again as it found it.
kill "$VSWD_PID"
wait "$VSWD_PID" || true
VSWD_PID=""
! in_host nft list table ip "vsw_$UPLINK_IF" > /dev/null 2>&1 || fail "the nftables table outlived vswd"
[ "$(in_host cat /proc/sys/net/ipv4/ip_forward)" = 0 ] || fail "IP forwarding stayed on after vswd stopped"
log "PASS: NAT 10.0.2.15/24, router 10.0.2.2, DNS 10.0.2.3 -> the host's resolver, a page fetched by name, forwards from rule strings, the host's 127.0.0.1 at 10.0.2.2; host-only and 127.0.0.1:2222/8082 and udp 5300 to the guest; NAT Network 10.0.2.4 via 10.0.2.1, host at 10.0.2.2; outbound through the host's default route; resolv.conf followed, to a resolver on the host's loopback"
