#!/bin/bash
# VirtualBox's NAT defaults with a real guest: the network is written as
# `{mode: nat, uplink: wan}` and nothing else, the uplink names no resolver.
# The guest must get 10.0.2.15/24, router 10.0.2.2 and DNS 10.0.2.3 by DHCP,
# and resolve a name that only the "host's" resolver knows: a dnsmasq in the
# test's namespace, listed in the resolv.conf vswd is pointed at
# (--resolv-conf, standing in for the host's /etc/resolv.conf, with a
# loopback stub first as systemd-resolved writes it). It then fetches a page
# by that name through the NAT. Two port forwards written as VBoxManage rule
# strings without a guest IP reach it (10.0.2.15, the first DHCP address)
# from the "host" side, and a third on the host's 127.0.0.1 (nftables DNAT in
# the uplink's namespace). With host_loopback (VirtualBox's host loopback
# at 10.0.2.2) the guest fetches a page from a server that listens only on the
# host's 127.0.0.1, at the gateway 10.0.2.2; a reload without both turns the
# uplink's route_localnet off again and removes the nftables table.
source "$(dirname "$0")/lib.sh"

UPLINK_IF="vsd${UID_}"
{ switch_yaml; cat <<YAML
uplinks:
  wan:
    kernel: {name: $UPLINK_IF, address: 203.0.113.1, netns: $NETNS}
    address: 203.0.113.10/24
networks:
  natnet0:
    mode: nat
    uplink: wan
    port_forwards: ["web,tcp,,8080,,80", "release,tcp,,9999,,9999", "lo-web,tcp,127.0.0.1,8082,,80"]
    host_loopback: true
ports:
  vm1: {network: natnet0}
YAML
} > "$CONFIG"
printf 'nameserver 127.0.0.53\nnameserver 198.51.100.53\noptions edns0\n' > "$WORK/resolv.conf"
RESOLV_CONF="$WORK/resolv.conf"

in_host ip addr add 198.51.100.7/32 dev lo
in_host ip addr add 198.51.100.53/32 dev lo
mkdir -p "$WORK/www"
echo hello-by-name > "$WORK/www/index.html"
ip netns exec "$NETNS" python3 -m http.server --bind 198.51.100.7 --directory "$WORK/www" 8080 > "$WORK/http.log" 2>&1 &
GUEST_PIDS+=($!)
mkdir -p "$WORK/lo"
echo hello-host-loopback > "$WORK/lo/index.html"
ip netns exec "$NETNS" python3 -m http.server --bind 127.0.0.1 --directory "$WORK/lo" 8081 > "$WORK/http-lo.log" 2>&1 &
GUEST_PIDS+=($!)
start_dns_server 198.51.100.53 www.defaults.test 198.51.100.7
start_vswd
vswctl show

# Every default is visible in `vswctl show`.
got=$(vswctl --json show | json_get "(lambda n, u: ' '.join([n['subnet'], n['nat']['gateway'], n['nat']['dns'],
    n['dhcp']['range'], u['resolver'], str(u['resolver_from_host'])]))(
    next(n for n in d['data']['networks'] if n['name'] == 'natnet0'), d['data']['uplinks'][0])")
[ "$got" = "10.0.2.0/24 10.0.2.2 10.0.2.3 10.0.2.15-10.0.2.254 198.51.100.53 True" ] ||
    fail "vswctl show: '$got', expected VirtualBox's defaults and the host's resolver"

cat > "$WORK/vm1.sh" <<'G'
ip -4 addr show eth0 | grep -q "inet 10.0.2.15/24" || { ip addr; echo VM1-BAD-ADDRESS; exit 1; }
ip route | grep -q "default via 10.0.2.2" || { ip route; echo VM1-BAD-ROUTER; exit 1; }
grep -q "nameserver 10.0.2.3" /etc/resolv.conf || { cat /etc/resolv.conf; echo VM1-BAD-DNS; exit 1; }
nslookup www.defaults.test 10.0.2.3 | grep -q 198.51.100.7 || { echo VM1-NO-NAME; exit 1; }
timeout 5 wget -q -O - http://www.defaults.test:8080/ | grep -q hello-by-name || { echo VM1-NO-HTTP; exit 1; }
timeout 5 wget -q -O - http://10.0.2.2:8081/ | grep -q hello-host-loopback || { echo VM1-NO-HOST-LOOPBACK; exit 1; }
echo hello-from-the-guest > /tmp/index.html
httpd -p 80 -h /tmp
echo VM1-SERVING
nc -l -p 9999 > /dev/null   # until the host side has fetched the page
echo VM1-OK
G
[ "$(in_host cat /proc/sys/net/ipv4/conf/$UPLINK_IF/route_localnet)" = 1 ] ||
    fail "host_loopback: route_localnet is not on for $UPLINK_IF"
start_guest vm1 "$WORK/vm1.sh" "$WORK/run/vm1.sock,52:54:00:00:00:31,dhcp"
wait_for_line vm1 VM1-SERVING 120
page=$(in_host curl -s --max-time 5 http://203.0.113.10:8080/) || true
[ "$page" = hello-from-the-guest ] || fail "the forward \"web,tcp,,8080,,80\" did not reach the guest: '$page'"
# A forward on the host's 127.0.0.1 (VBoxManage's "lo-web,tcp,127.0.0.1,8082,,80").
page=$(in_host curl -s --max-time 5 http://127.0.0.1:8082/) || true
[ "$page" = hello-from-the-guest ] ||
    { in_host nft list ruleset; fail "the forward on 127.0.0.1:8082 did not reach the guest: '$page'"; }
in_host bash -c "echo done > /dev/tcp/203.0.113.10/9999" 2>/dev/null || fail "cannot release the guest"
wait_guest vm1 || fail "the guest did not get VirtualBox's defaults or could not resolve through the host's resolver"
grep -q "www.defaults.test" "$WORK/dnsmasq.log" || fail "the host's resolver saw no query"
grep -q '"GET / HTTP' "$WORK/http-lo.log" || fail "the server on the host's 127.0.0.1 saw no request"
in_host nft list table ip "vsw_$UPLINK_IF" > /dev/null || fail "no nftables table vsw_$UPLINK_IF"
# Without host_loopback and the 127.0.0.1 forward: route_localnet off, the table gone.
sed -i '/host_loopback: true/d; s/, "lo-web,tcp,127.0.0.1,8082,,80"//' "$CONFIG"
vswctl reload > /dev/null || fail "reload without host_loopback failed"
[ "$(in_host cat /proc/sys/net/ipv4/conf/$UPLINK_IF/route_localnet)" = 0 ] ||
    fail "route_localnet stayed on after host_loopback and the 127.0.0.1 forward were removed"
! in_host nft list table ip "vsw_$UPLINK_IF" > /dev/null 2>&1 || fail "the nftables table outlived its forwards"
log "PASS: 10.0.2.15/24, router 10.0.2.2, DNS 10.0.2.3 -> the host's resolver, a page fetched by name, forwards from rule strings, the host's 127.0.0.1 at 10.0.2.2"
