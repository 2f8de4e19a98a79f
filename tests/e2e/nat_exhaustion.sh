#!/bin/bash
# NAT port exhaustion with a real guest: an uplink with only 64 masquerade
# ports; the guest opens 120 TCP connections (each from a new source port, to
# a closed port outside, so each is refused at once). The first 64 get
# outside ports, the rest are dropped and counted as nat_ports_exhausted,
# vswd logs it once and keeps running; once the refused connections' sessions
# time out (tcp_transitory: 3 s) their ports are reused and the guest reaches
# the outside again.
source "$(dirname "$0")/lib.sh"

UPLINK_IF="vsn${UID_}"
{ switch_yaml; cat <<YAML
uplinks:
  wan:
    kernel: {name: $UPLINK_IF, address: 203.0.113.1, netns: $NETNS}
    address: 203.0.113.10/24
    ports: 30000-30063
networks:
  natnet0:
    mode: nat
    subnet: 10.0.2.0/24
    uplink: wan
    dhcp: {range: 10.0.2.15-10.0.2.254}
    timeouts: {tcp_transitory: 3}
    port_forwards:
      - {name: release, proto: tcp, host_port: 9999, guest_ip: 10.0.2.15, guest_port: 9999}
ports:
  vm1: {network: natnet0}
YAML
} > "$CONFIG"

in_host ip addr add 198.51.100.7/32 dev lo
mkdir -p "$WORK/www"
echo hello-from-internet > "$WORK/www/index.html"
ip netns exec "$NETNS" python3 -m http.server --bind 198.51.100.7 --directory "$WORK/www" 8080 > "$WORK/http.log" 2>&1 &
GUEST_PIDS+=($!)
start_vswd

cat > "$WORK/vm1.sh" <<'G'
wget -q -O - http://198.51.100.7:8080/ | grep -q hello-from-internet || { echo VM1-NO-HTTP; exit 1; }
# 120 connections to a closed port: refused, or (no outside port left) timed out.
for i in $(seq 120); do timeout 2 nc 198.51.100.7 9 < /dev/null > /dev/null 2>&1 & done
wait
echo VM1-FLOOD-DONE
nc -l -p 9999 > /dev/null   # the host checks the counters meanwhile
sleep 5                     # the refused connections' sessions time out (3 s)
for i in 1 2 3 4 5; do
    wget -q -O - http://198.51.100.7:8080/ | grep -q hello-from-internet && { echo VM1-RECOVERED; exit 0; }
    sleep 1
done
echo VM1-NOT-RECOVERED
exit 1
G
start_guest vm1 "$WORK/vm1.sh" "$WORK/run/vm1.sock,52:54:00:00:00:21,dhcp"   # gets 10.0.2.15
wait_for_line vm1 VM1-FLOOD-DONE 120

exhausted=$(port_counter vm1 drops.nat_ports_exhausted)
[ "$exhausted" -gt 0 ] || fail "no nat_ports_exhausted drops counted"
live=$(vswctl --json sessions | json_get "len(d['data'])")
[ "$live" -le 64 ] || fail "$live sessions with only 64 ports"
logged=$(grep -c "nat_ports_exhausted on port" "$WORK/vswd.log" || true)
[ "$logged" = 1 ] || fail "exhaustion logged $logged times, expected once"
log "ports exhausted: $exhausted packets dropped and counted, $live sessions, logged once"

# Let the guest go on (through a port forward: nothing else reaches it).
in_host bash -c "echo done > /dev/tcp/203.0.113.10/9999" 2>/dev/null || fail "cannot release the guest"
wait_guest vm1 || fail "the guest did not reach the outside again after the sessions expired"
kill -0 "$VSWD_PID" || fail "vswd died"
vswctl stats
log "PASS: sessions expired, ports reused, the guest reached the outside again"
