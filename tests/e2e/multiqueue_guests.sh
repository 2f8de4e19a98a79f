#!/bin/bash
# A real guest whose NIC has two queue pairs (ports.vm1.queues: 2, QEMU
# queues=2 and mq=on), on a NAT network, with two vswd workers: queue 0 is
# polled by the port's worker, queue 1 by the other one.
#
# The guest turns both queues on (`ethtool -L eth0 combined 2`), pings its
# gateway, and fetches a 2 MB file over 8 TCP connections at once from the
# test namespace's "internet" (198.51.100.7:8080, behind the TAP uplink): the
# kernel spreads the flows over both transmit queues by their hash. Every file
# must arrive intact, vswctl stats must show frames on both queues, and the
# NAT frames that queue 1 brought to the other worker must have been handed to
# the port's worker (nat_handoffs), so each flow kept one session.
source "$(dirname "$0")/lib.sh"

VSW_CORES="0, 1"
UPLINK_IF="vsn${UID_}"
{ switch_yaml; cat <<YAML
uplinks:
  wan:
    kernel: {name: $UPLINK_IF, address: 203.0.113.1, netns: $NETNS}
    address: 203.0.113.10/24
    resolver: 198.51.100.53
networks:
  natnet0: {mode: nat, uplink: wan, host_loopback: false}
ports:
  vm1: {network: natnet0, queues: 2}
YAML
} > "$CONFIG"

# The "internet": an HTTP server beyond the uplink's gateway, with a 2 MB file.
in_host ip addr add 198.51.100.7/32 dev lo
in_host sysctl -qw net.ipv4.ip_forward=1
mkdir -p "$WORK/www"
head -c 2097152 /dev/urandom > "$WORK/www/blob"
sum=$(md5sum < "$WORK/www/blob" | cut -d' ' -f1)
ip netns exec "$NETNS" python3 -m http.server --bind 198.51.100.7 --directory "$WORK/www" 8080 > "$WORK/http.log" 2>&1 &
GUEST_PIDS+=($!)
for _ in $(seq 100); do grep -q "Serving HTTP" "$WORK/http.log" 2>/dev/null && break; sleep 0.1; done

start_vswd
vswctl show | tee "$WORK/show.txt"
grep -q "vm1 .* queues 2" "$WORK/show.txt" || fail "vswctl show does not give vm1's two queues"

cat > "$WORK/vm1.sh" <<G
ethtool -L eth0 combined 2 || { echo MQ-NO-ETHTOOL; exit 1; }
echo "MQ-COMBINED \$(ethtool -l eth0 | awk '/Combined/ { n = \$2 } END { print n }')"
ping -c 3 -W 2 10.0.2.2 || { echo MQ-PING-FAILED; exit 1; }
for i in 1 2 3 4 5 6 7 8; do timeout 120 wget -q -O /tmp/blob\$i http://198.51.100.7:8080/blob & done
wait
for i in 1 2 3 4 5 6 7 8; do
    got=\$(md5sum < /tmp/blob\$i | cut -d' ' -f1)
    [ "\$got" = "$sum" ] || { echo "MQ-BAD-FILE \$i \$got"; exit 1; }
done
echo MQ-TRANSFER-OK
G
GUEST_TIMEOUT=240 start_guest vm1 "$WORK/vm1.sh" "$WORK/run/vm1.sock,52:54:00:00:07:01,dhcp,queues=2"
wait_guest vm1 || fail "the two-queue guest failed"
grep -q MQ-TRANSFER-OK "$WORK/vm1.log" || fail "no transfer result from the guest"
grep -q "MQ-COMBINED 2" "$WORK/vm1.log" || fail "the guest did not get two queue pairs: $(grep MQ-COMBINED "$WORK/vm1.log")"
log "guest: two queue pairs, ping, 8 parallel downloads of 2 MB intact"

vswctl stats
stats=$(vswctl --json stats)
queues=$(echo "$stats" | json_get "[(q['queue'], q['worker'], q['rx_packets']) for q in d['data']['ports']['vm1']['queues']]")
log "vm1 per queue (queue, worker, rx_packets): $queues"
python3 - "$queues" <<'PY' || fail "vm1's frames did not come on both queues, each polled by its own worker: $queues"
import ast, sys
q = ast.literal_eval(sys.argv[1])
sys.exit(0 if len(q) == 2 and q[0][1] != q[1][1] and q[0][2] > 0 and q[1][2] > 0 else 1)
PY
# Every session is the port's worker's (queue 0's): what queue 1 brought to
# the other worker was handed over, not given sessions of its own there.
home=$(echo "$stats" | json_get "d['data']['ports']['vm1']['queues'][0]['worker']")
created=$(echo "$stats" | json_get "[(w['worker'], w['nat_sessions_created']) for w in d['data']['workers']]")
python3 - "$created" "$home" <<'PY' || fail "sessions made on a worker other than the port's ($home): $created"
import ast, sys
created, home = ast.literal_eval(sys.argv[1]), int(sys.argv[2])
sys.exit(0 if all((n == 0) == (w != home) for w, n in created) else 1)
PY
handoffs=$(echo "$stats" | json_get "sum(w['nat_handoffs'] for w in d['data']['workers'] if w['worker'] != $home)")
[ "$handoffs" -gt 0 ] || fail "queue 1's NAT frames were not handed to the port's worker (nat_handoffs=$handoffs)"
# A guest under TCG empties its receive ring slowly: tx_full drops are the
# guest's pace (TCP recovers them), and no_destination its IPv6 chatter on a
# network where no one else is. Anything else would be vsw's.
drops=$(echo "$stats" | json_get "{r: n for p in ('vm1', 'uplink:wan') for r, n in d['data']['ports'][p]['drops'].items() if n and r not in ('tx_full', 'no_destination', 'not_for_us')}")
[ "$drops" = "{}" ] || fail "drops that are vsw's: $drops"
log "PASS: both queues carried the guest's flows (workers differ); sessions $created, all on worker $home; $handoffs frames handed to it"
