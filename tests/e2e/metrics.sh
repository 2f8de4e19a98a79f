#!/bin/bash
# `vswctl stats --format prometheus` from a running vswd (a host-only network
# with its kernel interface and DHCP, an internal one, a port on each): the
# output parses with the Prometheus client library's own parser, every
# metric is in vsw's namespace with the conventional suffixes, and the
# per-port counters agree with `vswctl --json stats` (read just before and
# just after: the host's kernel may send a frame in between). The same text
# is served over HTTP at switch.metrics (GET /metrics; 404 elsewhere) and
# passes `promtool check metrics`. DPDK telemetry answers /vsw/workers,
# /vsw/nat, /vsw/dhcp and /vsw/port_stats.
source "$(dirname "$0")/lib.sh"

METRICS_PORT=$((20000 + UID_ % 20000))
{ switch_yaml; cat <<YAML
  metrics: 127.0.0.1:$METRICS_PORT
networks:
  hostonly0:
    mode: host-only
    subnet: 192.168.57.0/24
    host_interface: {name: $HOSTIF, address: 192.168.57.1, netns: $NETNS}
    dhcp: {}
  l2: {mode: internal}
  natnet0: {mode: nat, uplink: wan}
uplinks:
  wan:
    kernel: {name: vswu${UID_}, address: 203.0.113.1, netns: $NETNS}
    address: 203.0.113.10/24
ports:
  vm1: {network: hostonly0}
  vm2: {network: l2}
YAML
} > "$CONFIG"
start_vswd
in_host ping -c 2 -W 1 192.168.57.100 > /dev/null || fail "the host cannot ping the DHCP server address"

vswctl --json stats > "$WORK/before.json"
vswctl stats --format prometheus > "$WORK/metrics.txt"
vswctl --json stats > "$WORK/after.json"
/usr/bin/python3 - "$WORK/metrics.txt" "$WORK/before.json" "$WORK/after.json" <<'PY' || fail "the exposition does not check out"
import json, sys
from prometheus_client.parser import text_string_to_metric_families
text = open(sys.argv[1]).read()
before = json.load(open(sys.argv[2]))["data"]
stats = json.load(open(sys.argv[3]))["data"]
families = {f.name: f for f in text_string_to_metric_families(text)}
for name, f in families.items():
    assert name.startswith("vsw_"), name
    assert f.type in ("counter", "gauge"), (name, f.type)
samples = {}
for f in families.values():
    for s in f.samples:
        samples[(s.name, tuple(sorted(s.labels.items())))] = s.value
def value(name, **labels):
    return samples[(name, tuple(sorted(labels.items())))]
checked = 0
for port, c in stats["ports"].items():
    net = c.get("network", "")
    was = before["ports"][port]
    for key, metric in (("rx_packets", "vsw_port_rx_packets_total"), ("tx_bytes", "vsw_port_tx_bytes_total")):
        assert was[key] <= value(metric, port=port, network=net) <= c[key], (port, key)
        checked += 1
    for reason, n in c["drops"].items():
        assert was["drops"][reason] <= value("vsw_port_drops_total", port=port, network=net, reason=reason) <= n
        checked += 1
assert value("vsw_dhcp_leases", network="hostonly0") == stats["dhcp"]["hostonly0"]["leases"]
assert value("vsw_fdb_entries") == stats["fdb"]["entries"]
slow = sum(v for (n, l), v in samples.items() if n == "vsw_port_slow_path_packets_total")
assert slow >= 2, "the host's pings reached the control thread"
print(f"{len(families)} metric families, {len(samples)} samples, {checked} port values agree with the JSON")
PY
curl -sf "http://127.0.0.1:$METRICS_PORT/metrics" > "$WORK/scraped.txt" || fail "GET /metrics failed"
/usr/bin/python3 - "$WORK/scraped.txt" <<'PY' || fail "the scraped text does not parse"
import sys
from prometheus_client.parser import text_string_to_metric_families
names = {f.name for f in text_string_to_metric_families(open(sys.argv[1]).read())}
assert "vsw_port_rx_packets" in names or "vsw_port_rx_packets_total" in names, names
print(len(names), "families scraped")
PY
# Prometheus' own linter (naming, units, _total on counters, HELP on every metric).
if ! lint=$(promtool check metrics < "$WORK/scraped.txt" 2>&1); then fail "promtool check metrics: $lint"; fi
log "promtool check metrics: clean"
code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$METRICS_PORT/nothing")
[ "$code" = 404 ] || fail "GET /nothing answered $code"
# DPDK telemetry (its own socket and thread): /vsw/workers, /vsw/nat and
# /vsw/dhcp from the control thread's snapshot, /vsw/port_stats live.
/usr/bin/python3 - "/var/run/dpdk/$PREFIX/dpdk_telemetry.v2" <<'PY' || fail "telemetry does not answer as expected"
import json, socket, sys, time
def query(cmd):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.connect(sys.argv[1])
    s.recv(16384)  # the greeting
    s.send(cmd.encode())
    answer = json.loads(s.recv(65536).decode())
    s.close()
    return answer[cmd.split(",")[0]]
time.sleep(1.2)  # at least one snapshot after the pings above
workers = query("/vsw/workers")
assert "0" in workers and workers["0"]["rounds"] > 0, workers
assert workers["snapshot_age_ms"] < 2000, workers
dhcp = query("/vsw/dhcp")
assert "hostonly0" in dhcp and "discover" in dhcp["hostonly0"], dhcp
nat = query("/vsw/nat")
assert nat["natnet0"]["sessions"] == 0, nat  # no guest on it
port = query("/vsw/port_stats,vm1")
assert "rx_packets" in port, port
assert {"vm1", "vm2"} <= set(query("/vsw/ports")), query("/vsw/ports")
print("telemetry: /vsw/workers", workers["0"]["rounds"], "rounds; /vsw/dhcp", dhcp["hostonly0"])
PY
log "PASS: $(grep -c '^# TYPE' "$WORK/metrics.txt") metrics parse and agree with vswctl --json stats; served at :$METRICS_PORT/metrics"
