#!/bin/bash
# `vswctl stats --format prometheus` from a running vswd (a host-only network
# with its kernel interface and DHCP, an internal one, a port on each): the
# output parses with the Prometheus client library's own parser, every
# metric is in vsw's namespace with the conventional suffixes, and the
# per-port counters agree with `vswctl --json stats` (read just before and
# just after: the host's kernel may send a frame in between). The same text
# is served over HTTP at switch.metrics (GET /metrics; 404 elsewhere).
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
code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$METRICS_PORT/nothing")
[ "$code" = 404 ] || fail "GET /nothing answered $code"
log "PASS: $(grep -c '^# TYPE' "$WORK/metrics.txt") metrics parse and agree with vswctl --json stats; served at :$METRICS_PORT/metrics"
