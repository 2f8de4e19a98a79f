#!/usr/bin/env bash
# perf/soak.sh: vswd under churn for a long time, then a check that nothing
# leaked. Not part of the test suite (it runs for SOAK_MINUTES).
#
# What runs at once, for SOAK_MINUTES (default 30):
#   - NAT session churn: perf/vswgen on port "inside" of NAT network natnet0
#     and on the uplink's vhost-user socket, every packet a new 5-tuple
#     (--new-flows) at SOAK_RATE packets/s, the far side reflecting them; UDP
#     sessions time out after 2 s, so sessions are created and expire all
#     the time;
#   - port churn: every 4 s a guest (dpdk-testpmd over virtio-user, a new MAC
#     each time) attaches to port "churn" of internal network "lab", sends
#     for 2 s and goes away;
#   - reloads: every 10 s `vswctl reload` alternates between two configs (a
#     port forward and a port "extra" come and go).
# Every 20 s it samples vswd: mbufs in use, FDB entries, live NAT sessions,
# drops, and the process's RSS. At the end traffic stops, it waits for the
# sessions and MACs to age out, and checks against the baseline taken before
# any traffic:
#   - mbufs in use back at the baseline (a leaked mbuf never comes back);
#   - FDB entries and NAT sessions back at the baseline;
#   - RSS: the peak of the second half of the run no higher than the peak of
#     the first half (tables are allocated at start but their pages are
#     touched as they fill, so RSS rises at first; RSS also counts the
#     guests' memory vswd maps while a vhost-user guest is attached, which
#     comes and goes with the generator runs, so compare peaks).
# Prints a table and writes perf/results/soak-<stamp>.json. Exit 1 if a check fails.
#
# Environment: SOAK_MINUTES=30, SOAK_RATE=100000, PERF_BUILD_DIR=<repo>/build,
# PERF_SW_CPU=1, PERF_GEN_CPU=0.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$HERE")
BUILD=${PERF_BUILD_DIR:-$ROOT/build}
MINUTES=${SOAK_MINUTES:-30}
RATE=${SOAK_RATE:-100000}
SW_CPU=${PERF_SW_CPU:-1}
GEN_CPU=${PERF_GEN_CPU:-0}
VSWD=$BUILD/control/vswd
VSWCTL=$BUILD/control/vswctl
VSWGEN=$BUILD/perf/vswgen

log() { printf '[soak %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
die() { log "error: $*"; exit 1; }
[[ $(id -u) == 0 ]] || die "needs root (DPDK, vhost-user)"
command -v dpdk-testpmd >/dev/null || die "dpdk-testpmd missing (apt-get install dpdk)"
[[ -x $VSWD && -x $VSWGEN ]] || { log "building $BUILD"; "$ROOT/scripts/build.sh" >/dev/null; }

STAMP=$(date +%Y%m%d-%H%M%S)
WORK=$(mktemp -d /tmp/vsw-soak-XXXXXX)
PFX=vswsoak$$
PIDS=()
stop_pid() {
    local pid=$1 i
    kill -0 "$pid" 2>/dev/null || return 0
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < 50; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}
cleanup() {
    local rc=$? i
    trap - EXIT INT TERM
    for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do stop_pid "${PIDS[i]}"; done
    rm -rf /var/run/dpdk/"$PFX"* 2>/dev/null || true
    [[ ${SOAK_KEEP:-0} == 1 ]] && log "kept $WORK" || rm -rf "$WORK"
    exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

RUN=$WORK/run
mkdir -p "$RUN" "$WORK/state"
write_config() {  # file variant(a|b)
    local extra_port="" forward=""
    if [[ $2 == b ]]; then
        extra_port="  extra: {network: lab}"
        forward="    port_forwards: [{name: web, proto: tcp, host_port: 8080, guest_ip: 10.0.0.15, guest_port: 80}]"
    fi
    cat >"$1" <<EOF
switch: {cores: [$SW_CPU], hugepages: off, run_dir: $RUN, state_dir: $WORK/state, file_prefix: $PFX, log_level: warn, mac_aging: 10}
uplinks:
  wan:
    device: "net_vhost9,iface=$RUN/wan.sock"
    address: 203.0.113.10/24
    gateway: 203.0.113.1
    host_link: false
networks:
  natnet0:
    mode: nat
    subnet: 10.0.0.0/16
    uplink: wan
    max_sessions: 400000
    max_sessions_per_guest: 400000
    timeouts: {udp: 2}
$forward
  lab: {mode: internal}
ports:
  inside: {network: natnet0}
  churn: {network: lab}
$extra_port
EOF
}
write_config "$WORK/a.yaml" a
write_config "$WORK/b.yaml" b
cp "$WORK/a.yaml" "$WORK/vsw.yaml"
"$VSWD" --check "$WORK/vsw.yaml" >/dev/null
"$VSWD" -c "$WORK/vsw.yaml" </dev/null >"$WORK/vswd.log" 2>&1 &
VSWD_PID=$!; PIDS+=("$VSWD_PID")
for _ in $(seq 100); do [[ -S $RUN/inside.sock && -S $RUN/wan.sock && -S $RUN/vswd.sock ]] && break; sleep 0.1; done
[[ -S $RUN/vswd.sock ]] || { tail "$WORK/vswd.log" >&2; die "vswd did not start"; }
ctl() { "$VSWCTL" -s "$RUN/vswd.sock" "$@"; }
GW_MAC=$(ctl --json show | python3 -c 'import json,sys; print(next(n["service_mac"] for n in json.load(sys.stdin)["data"]["networks"] if n["name"]=="natnet0"))')

SAMPLES=$WORK/samples.jsonl
: >"$SAMPLES"
sample() {  # phase
    local rss
    rss=$(awk '/VmRSS/ {print $2}' "/proc/$VSWD_PID/status")
    ctl --json stats | python3 -c '
import json, sys, time
d = json.load(sys.stdin)["data"]
drops = {}
for p in d["ports"].values():
    for r, v in p["drops"].items():
        drops[r] = drops.get(r, 0) + v
print(json.dumps({"t": time.time(), "phase": sys.argv[1], "rss_kb": int(sys.argv[2]),
                  "mbufs_in_use": d["mbufs"]["in_use"], "fdb": d["fdb"]["entries"],
                  "nat_sessions": sum(n["sessions"] for n in d["nat"].values()),
                  "nat_created": sum(w.get("nat_sessions_created", 0) for w in d["workers"]),
                  "drops": {k: v for k, v in drops.items() if v}}))' "$1" "$rss" >>"$SAMPLES"
}
sample baseline
log "vswd $VSWD_PID up; baseline: $(tail -1 "$SAMPLES")"

END=$((SECONDS + MINUTES * 60))
# NAT churn: one generator run per minute (vswgen sizes its run by --duration).
(
    i=0
    while ((SECONDS < END)); do
        left=$((END - SECONDS)); ((left > 60)) && left=60
        "$VSWGEN" --lcores "0@$GEN_CPU" --file-prefix "$PFX-gen" --no-pci --no-huge -m 256 --single-file-segments \
            --log-level=lib.eal:error --log-level='pmd.net.virtio.*:error' \
            --vdev "net_virtio_user0,path=$RUN/inside.sock,queues=1,queue_size=1024" \
            --vdev "net_virtio_user1,path=$RUN/wan.sock,queues=1,queue_size=1024" \
            -- --json --mode throughput --size 64 --flows 1 --sockets 64 --new-flows --rate "$RATE" \
            --duration "$left" --roles inside,reflect --dst-mac "$GW_MAC" --arp-wait 5 \
            >"$WORK/gen-$i.json" 2>"$WORK/gen-$i.log" </dev/null || log "generator run $i failed"
        rm -rf /var/run/dpdk/"$PFX"-gen
        i=$((i + 1))
    done
) &
GEN_LOOP=$!; PIDS+=("$GEN_LOOP")
# Port churn: a new guest on "churn" every 4 s.
(
    i=0
    while ((SECONDS < END)); do
        timeout -s INT 2 dpdk-testpmd -l "$GEN_CPU" --file-prefix "$PFX-churn" --no-pci --no-huge -m 128 \
            --single-file-segments --log-level=lib.eal:error \
            --vdev "net_virtio_user0,path=$RUN/churn.sock,queues=1,queue_size=256" \
            -- --forward-mode=txonly --stats-period 1 --auto-start --txpkts=64 >/dev/null 2>&1 </dev/null || true
        rm -rf /var/run/dpdk/"$PFX"-churn
        i=$((i + 1))
        sleep 2
    done
) &
CHURN_LOOP=$!; PIDS+=("$CHURN_LOOP")

reloads=0 reload_failures=0 variant=a next_sample=$((SECONDS + 20)) next_reload=$((SECONDS + 10))
while ((SECONDS < END)); do
    if ((SECONDS >= next_reload)); then
        variant=$([[ $variant == a ]] && echo b || echo a)
        cp "$WORK/$variant.yaml" "$WORK/vsw.yaml"
        if ctl reload >/dev/null 2>>"$WORK/reload-errors.log"; then reloads=$((reloads + 1)); else reload_failures=$((reload_failures + 1)); fi
        next_reload=$((SECONDS + 10))
    fi
    if ((SECONDS >= next_sample)); then
        sample run
        next_sample=$((SECONDS + 20))
    fi
    kill -0 "$VSWD_PID" 2>/dev/null || die "vswd died: $(tail -5 "$WORK/vswd.log")"
    sleep 1
done
wait "$GEN_LOOP" "$CHURN_LOOP" 2>/dev/null || true
log "traffic stopped after $MINUTES min ($reloads reloads, $reload_failures failed); waiting for sessions and MACs to age out"
cp "$WORK/a.yaml" "$WORK/vsw.yaml"; ctl reload >/dev/null || true
sleep 25   # UDP timeout 2 s, mac_aging 10 s, expiry scans
sample end
ctl fdb | sed 's/^/  fdb at the end: /' >&2

mkdir -p "$HERE/results"
OUT=$HERE/results/soak-$STAMP.json
python3 - "$SAMPLES" "$OUT" "$MINUTES" "$RATE" "$reloads" "$reload_failures" <<'EOF'
import json, sys
samples = [json.loads(l) for l in open(sys.argv[1])]
out, minutes, rate, reloads, reload_failures = sys.argv[2], float(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
base, end = samples[0], samples[-1]
run = [s for s in samples if s["phase"] == "run"]
first, second = run[:len(run) // 2], run[len(run) // 2:]
rss_second_half = (max(s["rss_kb"] for s in second) - max(s["rss_kb"] for s in first)) if first and second else 0
created = end["nat_created"] - base["nat_created"]
checks = {
    "mbufs back to baseline": end["mbufs_in_use"] == base["mbufs_in_use"],
    "FDB back to baseline": end["fdb"] <= base["fdb"],
    "NAT sessions back to baseline": end["nat_sessions"] <= base["nat_sessions"],
    "RSS peak of the second half within 1 MB of the first half's": rss_second_half < 1024,
    "no failed reload": reload_failures == 0,
    "sessions were churned": created > 0,
}
print(f"{'sample':>8} {'phase':>8} {'rss_MB':>8} {'mbufs':>7} {'fdb':>5} {'nat':>8} {'created':>10}")
for i, s in enumerate(samples):
    if s["phase"] != "run" or i % 6 == 1 or i == len(samples) - 2:
        print(f"{i:>8} {s['phase']:>8} {s['rss_kb']/1024:>8.1f} {s['mbufs_in_use']:>7} {s['fdb']:>5} "
              f"{s['nat_sessions']:>8} {s['nat_created'] - base['nat_created']:>10}")
print(f"{minutes:g} min at {rate} new sessions/s offered: {created} sessions created, {reloads} reloads, "
      f"peak {max(s['nat_sessions'] for s in samples)} live sessions, peak RSS {max(s['rss_kb'] for s in samples)/1024:.1f} MB, "
      f"RSS peak growth from the first half to the second {rss_second_half} kB")
print("drops at the end:", end["drops"])
for k, ok in checks.items():
    print(f"  {'ok  ' if ok else 'FAIL'} {k}")
json.dump({"minutes": minutes, "rate": rate, "reloads": reloads, "reload_failures": reload_failures,
           "checks": checks, "samples": samples}, open(out, "w"), indent=1)
print("wrote", out)
sys.exit(0 if all(checks.values()) else 1)
EOF
