#!/usr/bin/env bash
# perf/run.sh [l2] [l2_2q] [latency] [reload] [nat] [nat_new] [nat66] [vxlan]   (default: all eight)
#
# One command: installs what it needs, builds, runs the benchmarks, prints a
# table and writes perf/results/<timestamp>.json (+ .png). See perf/README.md.
#
# Environment:
#   PERF_REPS=3          repetitions of the l2 matrix (interleaved)
#   PERF_QUICK=1         ~2-minute smoke version (1 rep, 64/1518 B, short runs)
#   PERF_BUILD_DIR=DIR   build directory (default <repo>/build-perf)
#   PERF_HUGE=auto|0|1   hugepages (auto: use them, allocating 1024 x 2 MB if
#                        none are reserved; falls back to --no-huge)
#   PERF_SWITCHES="testpmd ovs vsw"   switches to measure
#   PERF_SIZES, PERF_FLOWS, PERF_DURATION, PERF_NO_INSTALL=1
#   PERF_NAT_FLOWS="1 1000 100000 1000000"  concurrent flows of the nat scenario
#   PERF_NAT_NEW_DURATION=1  s per nat_new run (bounded by the session table)
#   PERF_SW_CPU=1 PERF_GEN_CPU=0
#   PERF_VSW_CORES="0, 1"  vswd's worker CPUs (default: PERF_SW_CPU alone)
#   PERF_PROFILE=1       l2, nat: sample the switch CPU with Linux perf during
#                        each run; perf/results/<timestamp>-profile/ gets the report
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$HERE")
BUILD=${PERF_BUILD_DIR:-$ROOT/build-perf}
QUICK=${PERF_QUICK:-0}
SW_CPU=${PERF_SW_CPU:-1}
# vswd's datapath CPUs: the switch CPU alone (the comparison), or e.g. "0, 1"
# to measure two workers, one of them sharing CPU 0 with the generator.
VSW_CORES=${PERF_VSW_CORES:-$SW_CPU}
GEN_CPU=${PERF_GEN_CPU:-0}
SWITCHES=${PERF_SWITCHES:-testpmd ovs vsw}
OVS_VSWITCHD=/usr/lib/openvswitch-switch-dpdk/ovs-vswitchd-dpdk
if [[ $QUICK == 1 ]]; then
    REPS=${PERF_REPS:-1}; SIZES=${PERF_SIZES:-64 1518}; FLOWS=${PERF_FLOWS:-1 1000}
    DUR=${PERF_DURATION:-2}; NDR_TRIAL=1; NDR_MAX_TRIALS=5; LAT_DUR=1.5; RELOAD_DUR=5
    NAT_FLOWS=${PERF_NAT_FLOWS:-1000 1000000}
else
    REPS=${PERF_REPS:-3}; SIZES=${PERF_SIZES:-64 512 1518 imix}; FLOWS=${PERF_FLOWS:-1 1000}
    DUR=${PERF_DURATION:-3}; NDR_TRIAL=2; NDR_MAX_TRIALS=10; LAT_DUR=5; RELOAD_DUR=12
    NAT_FLOWS=${PERF_NAT_FLOWS:-1 1000 100000 1000000}
fi
# nat_new: every packet opens a session; the run must stay below the session
# table (4M): 1 s at up to ~4 M/s.
NAT_NEW_DUR=${PERF_NAT_NEW_DURATION:-1}
SCENARIOS=("$@")
[[ ${#SCENARIOS[@]} -gt 0 ]] || SCENARIOS=(l2 l2_2q latency reload nat nat_new nat66 vxlan)
for s in "${SCENARIOS[@]}"; do
    case $s in l2|l2_2q|latency|reload|nat|nat_new|nat66|vxlan) ;; *) echo "run.sh: unknown scenario '$s' (l2, l2_2q, latency, reload, nat, nat_new, nat66, vxlan)" >&2; exit 2 ;; esac
done
# vxlan: inner frame sizes (a 1518-byte frame does not fit a 1500-byte underlay with VXLAN's 50 bytes).
VXLAN_SIZES=${PERF_VXLAN_SIZES:-64 512}
# vxlan compares vsw with OVS only: the limit (testpmd io) does not encapsulate.
vxlan_switches() { local s; for s in $SWITCHES; do [[ $s != testpmd ]] && printf '%s ' "$s"; done; }

log() { printf '[perf %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }

# Progress: every measured run (a switch under one load) counts one of
# RUN_N; the ETA is the mean time per run so far times the runs left.
count_words() { echo $#; }
# nat66 measures vsw twice, with IPv6 (vsw) and with IPv4 (vsw44) frames of the same size.
nat66_switches() { local s; for s in $SWITCHES; do printf '%s ' "$s"; [[ $s == vsw ]] && printf 'vsw44 '; done; }
RUN_K=0
RUN_N=0
for s in "${SCENARIOS[@]}"; do
    n_sw=$(count_words $SWITCHES)
    case $s in
        l2) RUN_N=$((RUN_N + REPS * $(count_words $SIZES) * $(count_words $FLOWS) * n_sw)) ;;
        l2_2q) RUN_N=$((RUN_N + REPS * $(count_words $FLOWS) * 2)) ;;
        latency) RUN_N=$((RUN_N + 3 * n_sw)) ;;
        reload) RUN_N=$((RUN_N + 1)) ;;
        nat) RUN_N=$((RUN_N + REPS * $(count_words $NAT_FLOWS) * n_sw)) ;;
        nat_new) RUN_N=$((RUN_N + REPS * n_sw)) ;;
        nat66) RUN_N=$((RUN_N + REPS * $(count_words $(nat66_switches)))) ;;
        vxlan) RUN_N=$((RUN_N + REPS * $(count_words $VXLAN_SIZES) * $(count_words $(vxlan_switches)))) ;;
    esac
done
progress() {  # what: logs "run k of N ... ETA"
    RUN_K=$((RUN_K + 1))
    local spent=$(($(date +%s) - START)) eta="?"
    if ((RUN_K > 1)); then
        local left=$((spent * (RUN_N - RUN_K + 1) / (RUN_K - 1)))
        eta=$(printf '%d min %02d s' $((left / 60)) $((left % 60)))
    fi
    log "run $RUN_K of $RUN_N: $*, ETA $eta"
}
die() { log "error: $*"; exit 1; }
[[ $(id -u) == 0 ]] || die "needs root (DPDK, hugepages, apt-get)"

# ---------------------------------------------------------------- state + cleanup
STAMP=$(date +%Y%m%d-%H%M%S)
WORK=$(mktemp -d /tmp/vsw-perf-XXXXXX)
PFX=vswperf$$                 # DPDK --file-prefix stem; every process adds a suffix
PIDS=()                       # every process we started, killed by PID on exit
HUGE_RESTORE=""; HUGE_SET=""
BUILD_FAILED=0
RECORDS=$WORK/records.jsonl
: > "$RECORDS"

stop_pid() {  # pid [seconds]: TERM, wait, KILL
    local pid=$1 t=${2:-5} i
    kill -0 "$pid" 2>/dev/null || return 0
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < t * 10; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}
cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    local i
    for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do stop_pid "${PIDS[i]}" 3; done
    local f   # belt and braces: OVS daemons we started, by their pidfiles
    for f in "$WORK"/ovs/run/ovs-vswitchd.pid "$WORK"/ovs/run/ovsdb-server.pid; do
        [[ -s $f ]] && stop_pid "$(cat "$f")" 3
    done
    [[ -n $OVS_NETNS ]] && ip netns del "$OVS_NETNS" 2>/dev/null
    if [[ ${PERF_KEEP:-0} == 1 ]]; then log "kept $WORK"; else rm -rf "$WORK"; fi
    rm -rf /var/run/dpdk/"$PFX"-* 2>/dev/null || true
    rm -f /dev/hugepages/"$PFX"-* 2>/dev/null || true
    # give back the pages we reserved, unless someone changed the setting meanwhile
    if [[ -n $HUGE_RESTORE && $(cat /proc/sys/vm/nr_hugepages) == "$HUGE_SET" ]]; then
        echo "$HUGE_RESTORE" > /proc/sys/vm/nr_hugepages 2>/dev/null || true
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'log interrupted; exit 130' INT TERM

# ---------------------------------------------------------------- install + build
if [[ ${PERF_NO_INSTALL:-0} != 1 ]]; then
    need=()
    for p in openvswitch-switch-dpdk python3-matplotlib dpdk meson ninja-build \
        $([[ ${PERF_PROFILE:-0} == 1 ]] && echo linux-perf); do
        dpkg -s "$p" >/dev/null 2>&1 || need+=("$p")
    done
    if [[ ${#need[@]} -gt 0 ]]; then
        log "apt-get install ${need[*]}"
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${need[@]}" >"$WORK/apt.log" 2>&1 ||
            { DEBIAN_FRONTEND=noninteractive apt-get update -q >/dev/null 2>&1 &&
              DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${need[@]}" >"$WORK/apt.log" 2>&1; } ||
            { tail "$WORK/apt.log" >&2; die "apt-get install failed"; }
    fi
fi
if [[ ! -f $BUILD/build.ninja ]]; then
    log "meson setup $BUILD"
    meson setup "$BUILD" "$ROOT" >"$WORK/meson.log" 2>&1 || { tail -20 "$WORK/meson.log" >&2; die "meson setup failed"; }
fi
BINS=(perf/pingpong perf/vswgen control/vswd control/vswctl)
if [[ ${PERF_NO_BUILD:-0} != 1 ]]; then
    log "building (ninja -j2) in $BUILD"
    if ! ninja -C "$BUILD" -j2 "${BINS[@]}" >"$WORK/ninja.log" 2>&1; then
        tail -30 "$WORK/ninja.log" >&2
        for b in "${BINS[@]}"; do [[ -x $BUILD/$b ]] || die "build failed"; done
        log "warning: build failed; using the binaries already in $BUILD"
        BUILD_FAILED=1
    fi
fi
PINGPONG=$BUILD/perf/pingpong
VSWGEN=$BUILD/perf/vswgen
VSWD=$BUILD/control/vswd
VSWCTL=$BUILD/control/vswctl
command -v dpdk-testpmd >/dev/null || die "dpdk-testpmd not found"

# ---------------------------------------------------------------- hugepages
HUGE=0
huge_free() { awk '/HugePages_Free/ {print $2}' /proc/meminfo; }
if [[ ${PERF_HUGE:-auto} != 0 ]]; then
    if ! grep -q ' /dev/hugepages hugetlbfs' /proc/mounts; then
        mkdir -p /dev/hugepages && mount -t hugetlbfs nodev /dev/hugepages 2>/dev/null || true
    fi
    if [[ $(huge_free) -lt 768 ]]; then
        cur=$(cat /proc/sys/vm/nr_hugepages)
        want=$((cur + 1024 - $(huge_free)))
        echo "$want" > /proc/sys/vm/nr_hugepages 2>/dev/null && HUGE_RESTORE=$cur HUGE_SET=$want || true
    fi
    if grep -q ' /dev/hugepages hugetlbfs' /proc/mounts && [[ $(huge_free) -ge 768 ]]; then HUGE=1; fi
    [[ ${PERF_HUGE:-auto} == 1 && $HUGE == 0 ]] && die "PERF_HUGE=1 but hugepages are not available"
fi
# virtio-user needs --single-file-segments, which --huge-unlink excludes: the
# generator's hugepage files are removed after each run instead.
if [[ $HUGE == 1 ]]; then
    MEM_ARGS=(--huge-unlink -m 512); GEN_MEM_ARGS=(-m 256 --single-file-segments); MEMORY=hugepages
else
    MEM_ARGS=(--no-huge -m 512); GEN_MEM_ARGS=(--no-huge -m 256 --single-file-segments); MEMORY=no-huge
fi
log "memory: $MEMORY; switch on CPU $SW_CPU, generator on CPU $GEN_CPU; work dir $WORK"

# ---------------------------------------------------------------- helpers
pingpong() { "$PINGPONG" --cpus "$GEN_CPU,$SW_CPU" --json 2>/dev/null || echo null; }

# cpu_busy: % of CPU time others used on the generator and switch CPUs over
# 0.5 s while nothing of ours runs (other pollers on these CPUs skew results).
cpu_busy() {
    local a b
    a=$(awk -v g="cpu$GEN_CPU" -v s="cpu$SW_CPU" '$1==g||$1==s {print $1, $2+$3+$4+$7+$8+$9, $5+$6}' /proc/stat)
    sleep 0.5
    b=$(awk -v g="cpu$GEN_CPU" -v s="cpu$SW_CPU" '$1==g||$1==s {print $1, $2+$3+$4+$7+$8+$9, $5+$6}' /proc/stat)
    paste -d' ' <(echo "$a") <(echo "$b") | awk -v g="cpu$GEN_CPU" '
        { busy = $5 - $2; idle = $6 - $3; pct = (busy + idle) > 0 ? 100 * busy / (busy + idle) : 0
          if ($1 == g) gen = pct; else sw = pct }
        END { printf "{\"generator_cpu\":%.1f,\"switch_cpu\":%.1f}", gen, sw }'
}
BUSY=null
vsw_stats() {
    "$VSWCTL" -s "$VSW_RUN/vswd.sock" --json stats 2>/dev/null |
        python3 -c 'import json,sys; print(json.dumps(json.load(sys.stdin)))' 2>/dev/null || echo null
}

wait_sockets() {  # pid sock...
    local pid=$1 i s ok; shift
    for ((i = 0; i < 200; i++)); do
        kill -0 "$pid" 2>/dev/null || return 1
        ok=1
        for s in "$@"; do [[ -S $s ]] || ok=0; done
        [[ $ok == 1 ]] && return 0
        sleep 0.1
    done
    return 1
}

SW_PID=""; OVSDB_PID=""; SOCKS=()
start_testpmd() {
    local d=$WORK/testpmd; mkdir -p "$d"; rm -f "$d"/*.sock
    SOCKS=("$d/p0.sock" "$d/p1.sock")
    dpdk-testpmd --lcores "0@$GEN_CPU,1@$SW_CPU" --file-prefix "$PFX-tp" --no-pci "${MEM_ARGS[@]}" \
        --log-level=lib.eal:warning \
        --vdev "net_vhost0,iface=${SOCKS[0]},queues=1" --vdev "net_vhost1,iface=${SOCKS[1]},queues=1" \
        -- --forward-mode=io --nb-cores=1 --auto-start --stats-period 3600 --burst=32 \
        </dev/null >"$d/testpmd.log" 2>&1 &
    SW_PID=$!; PIDS+=("$SW_PID")
    wait_sockets "$SW_PID" "${SOCKS[@]}" || { tail -5 "$d/testpmd.log" >&2; return 1; }
}
VSW_RUN=""
# The reload scenario's topology adds a NAT network behind a null uplink
# (net_null, nothing received) whose port-forward list the reloads change:
# RELOAD_FORWARDS=1: ssh only, 2: ssh and web; 0 (the l2 scenarios): no NAT network.
RELOAD_FORWARDS=0
QUEUES=1
write_vsw_config() {  # file
    local f=$1 uplinks="" nat=""
    if ((RELOAD_FORWARDS > 0)); then
        uplinks="uplinks:
  wan: {device: \"net_null0,no-rx=1\", address: 198.51.100.2/24, gateway: 198.51.100.1, ports: 1024-65535, host_link: false}"
        nat="  natnet0:
    mode: nat
    subnet: 10.0.2.0/24
    gateway: 10.0.2.1
    uplink: wan
    port_forwards:
      - {name: ssh, proto: tcp, host_port: 2222, guest_ip: 10.0.2.15, guest_port: 22}"
        if ((RELOAD_FORWARDS > 1)); then nat+="
      - {name: web, proto: tcp, host_port: 8080, guest_ip: 10.0.2.15, guest_port: 80}"; fi
    fi
    # max_macs: a 1000-flow run sends from 1000 MACs per port, over the
    # default budget (256 a port): without it 74% of the flows are mac_limit drops.
    # QUEUES: queue pairs per port (the l2_2q scenario's "vsw-2q").
    cat >"$f" <<EOF
switch: {cores: [$VSW_CORES], hugepages: $([[ $HUGE == 1 ]] && echo on || echo off), run_dir: $WORK/vsw/run, state_dir: $WORK/vsw/state, file_prefix: $PFX-vsw, log_level: warn}
$uplinks
networks:
  lan: {mode: internal, max_macs: 4096}
$nat
ports:
  p0: {network: lan, max_macs: 2048, queues: $QUEUES}
  p1: {network: lan, max_macs: 2048, queues: $QUEUES}
EOF
}
start_vsw() {
    local d=$WORK/vsw; mkdir -p "$d/run" "$d/state"; rm -f "$d"/run/*.sock
    VSW_RUN=$d/run
    write_vsw_config "$d/vsw.yaml"
    SOCKS=("$d/run/p0.sock" "$d/run/p1.sock")
    "$VSWD" -c "$d/vsw.yaml" </dev/null >"$d/vswd.log" 2>&1 &
    SW_PID=$!; PIDS+=("$SW_PID")
    wait_sockets "$SW_PID" "${SOCKS[@]}" || { tail -5 "$d/vswd.log" >&2; return 1; }
}
# NAT: port "inside" on a nat network; the uplink "wan" is a vhost-user port
# too (vswd is the server), so the generator plays the remote side on it.
NAT_MAX_SESSIONS=2000000    # >= the largest PERF_NAT_FLOWS (1M) plus headroom
NAT_NEW_MAX_SESSIONS=4194304  # the per-network maximum, for nat_new
write_vsw_nat_config() {  # file max_sessions
    local f=$1 max=$2
    # vswd sizes its tables at start and refuses a memory_mb they do not fit
    # (4M sessions take about 860 MB; 2M fit the default 512).
    local mem=$((max > NAT_MAX_SESSIONS ? 1280 : 512))
    [[ ${NAT66:-0} == 1 ]] && mem=640  # and the NAT66 tables (256k sessions)
    # NAT66=1 (the nat66 scenario): the uplink has an IPv6 address too, and
    # the network the default subnet6 fd17:625c:f037:2::/64.
    local v6=""
    [[ ${NAT66:-0} == 1 ]] && v6="
    address6: 2001:db8:1::10/64
    gateway6: 2001:db8:1::1"
    cat >"$f" <<EOF
switch: {cores: [$VSW_CORES], hugepages: $([[ $HUGE == 1 ]] && echo on || echo off), run_dir: $WORK/vsw/run, state_dir: $WORK/vsw/state, file_prefix: $PFX-vsw, log_level: warn, memory_mb: $mem}
uplinks:
  wan:
    device: "net_vhost9,iface=$WORK/vsw/run/wan.sock"
    address: 203.0.113.10/24
    gateway: 203.0.113.1$v6
    ports: 1024-65535
    host_link: false   # the guests' way to the host is not measured here
networks:
  natnet0:
    mode: nat
    subnet: 10.0.0.0/16
    gateway: 10.0.0.1
    uplink: wan
    max_sessions: $max
    max_sessions_per_guest: $max
    timeouts: {udp: 300}
ports:
  inside: {network: natnet0}
EOF
}
# vxlan: port p0 on an internal network stretched over VXLAN (VNI 5001);
# the uplink is a vhost-user port (vswd the server) on which the generator
# plays the remote VTEP 198.51.100.20.
start_vsw_vxlan() {
    local d=$WORK/vsw; mkdir -p "$d/run" "$d/state"; rm -f "$d"/run/*.sock
    VSW_RUN=$d/run
    cat >"$d/vsw.yaml" <<EOF
switch: {cores: [$VSW_CORES], hugepages: $([[ $HUGE == 1 ]] && echo on || echo off), run_dir: $WORK/vsw/run, state_dir: $WORK/vsw/state, file_prefix: $PFX-vsw, log_level: warn}
uplinks:
  wan: {device: "net_vhost9,iface=$WORK/vsw/run/wan.sock", address: 198.51.100.1/24, gateway: 198.51.100.254, host_link: false}
networks:
  stretch:
    mode: internal
    max_macs: 4096
    overlay: {vni: 5001, uplink: wan, remotes: [198.51.100.20]}
ports:
  p0: {network: stretch, max_macs: 2048}
EOF
    SOCKS=("$d/run/p0.sock" "$d/run/wan.sock")
    "$VSWD" -c "$d/vsw.yaml" </dev/null >"$d/vswd.log" 2>&1 &
    SW_PID=$!; PIDS+=("$SW_PID")
    wait_sockets "$SW_PID" "${SOCKS[@]}" || { tail -5 "$d/vswd.log" >&2; return 1; }
}
NAT_GEN_ARGS=()   # set by start_switch for the nat scenarios
start_vsw_nat() {  # max_sessions
    local d=$WORK/vsw i mac=""; mkdir -p "$d/run" "$d/state"; rm -f "$d"/run/*.sock
    VSW_RUN=$d/run
    write_vsw_nat_config "$d/vsw.yaml" "$1"
    "$VSWD" --check "$d/vsw.yaml" >"$d/check.log" 2>&1 || { cat "$d/check.log" >&2; return 1; }
    SOCKS=("$d/run/inside.sock" "$d/run/wan.sock")
    "$VSWD" -c "$d/vsw.yaml" </dev/null >"$d/vswd.log" 2>&1 &
    SW_PID=$!; PIDS+=("$SW_PID")
    wait_sockets "$SW_PID" "${SOCKS[@]}" || { tail -5 "$d/vswd.log" >&2; return 1; }
    # frames from the inside go to the NAT gateway's MAC
    for ((i = 0; i < 50; i++)); do
        mac=$("$VSWCTL" -s "$VSW_RUN/vswd.sock" --json show 2>/dev/null | python3 -c '
import json, sys
d = json.load(sys.stdin)["data"]
print(next(n["service_mac"] for n in d["networks"] if n["name"] == "natnet0"))' 2>/dev/null) && [[ -n $mac ]] && break
        sleep 0.1
    done
    [[ -n $mac ]] || { log "  vswd: no service_mac in 'vswctl show'"; return 1; }
    # vswd ARPs for 203.0.113.1 through the uplink every second until answered
    NAT_GEN_ARGS=(--dst-mac "$mac" --arp-wait 5)
}

OVS_DIR=""; OVS_ENV=()
# vxlan: OVS runs in a network namespace of its own (OVS_NETNS), where its
# br-phy interface has the tunnel's local address (OVS takes the source
# address and the route to the remote VTEP from the kernel, and 3.1 has no
# other way); nothing of it touches the host's routes.
OVS_NETNS=""
OVS_NS=()   # "ip netns exec NS" while OVS_NETNS is set
# Long-running processes are started as `env ... prog &` (not through a shell
# function) so that $! is the program's own PID.
ovs_env() { "${OVS_NS[@]}" env "${OVS_ENV[@]}" "$@"; }
vsctl() { ovs_env ovs-vsctl --db="unix:$OVS_DIR/run/db.sock" --timeout=20 "$@"; }
start_ovs() {  # [nat]
    local flows=${1:-l2}
    OVS_DIR=$WORK/ovs; rm -rf "$OVS_DIR"; mkdir -p "$OVS_DIR"/{run,db,log,etc}
    OVS_ENV=(OVS_RUNDIR="$OVS_DIR/run" OVS_DBDIR="$OVS_DIR/db" OVS_LOGDIR="$OVS_DIR/log"
             OVS_SYSCONFDIR="$OVS_DIR/etc" OVS_PKGDATADIR=/usr/share/openvswitch)
    ovsdb-tool create "$OVS_DIR/db/conf.db" /usr/share/openvswitch/vswitch.ovsschema
    "${OVS_NS[@]}" env "${OVS_ENV[@]}" ovsdb-server "$OVS_DIR/db/conf.db" --remote="punix:$OVS_DIR/run/db.sock" \
        --pidfile="$OVS_DIR/run/ovsdb-server.pid" --unixctl="$OVS_DIR/run/ovsdb-server.ctl" \
        --log-file="$OVS_DIR/log/ovsdb-server.log" </dev/null >/dev/null 2>&1 &
    OVSDB_PID=$!; PIDS+=("$OVSDB_PID")
    wait_sockets "$OVSDB_PID" "$OVS_DIR/run/db.sock" || return 1
    local extra="--no-pci --file-prefix=$PFX-ovs --log-level=lib.eal:warning"
    if [[ $HUGE == 1 ]]; then extra+=" --huge-unlink"; else extra+=" --no-huge -m 1024"; fi
    vsctl --no-wait init
    vsctl --no-wait set Open_vSwitch . other_config:dpdk-init=true "other_config:dpdk-extra=$extra" \
        other_config:pmd-cpu-mask="$(printf '0x%x' $((1 << SW_CPU)))"
    [[ $HUGE == 1 ]] && vsctl --no-wait set Open_vSwitch . other_config:dpdk-socket-mem=512
    "${OVS_NS[@]}" env "${OVS_ENV[@]}" "$OVS_VSWITCHD" "unix:$OVS_DIR/run/db.sock" --pidfile="$OVS_DIR/run/ovs-vswitchd.pid" \
        --unixctl="$OVS_DIR/run/ovs-vswitchd.ctl" --log-file="$OVS_DIR/log/ovs-vswitchd.log" \
        </dev/null >/dev/null 2>&1 &
    SW_PID=$!; PIDS+=("$SW_PID")
    if [[ $flows == vxlan ]]; then
        # OVS's userspace VXLAN tunnel port (type=vxlan) on br-int with the
        # guest's port; the underlay on br-phy, whose address is the local
        # VTEP; OVS resolves the remote VTEP with ARP on br-phy itself.
        vsctl add-br br-int -- set bridge br-int datapath_type=netdev fail_mode=standalone &&
        vsctl add-port br-int p0 -- set Interface p0 type=dpdkvhostuser ofport_request=1 &&
        vsctl add-port br-int vx0 -- set Interface vx0 type=vxlan options:remote_ip=198.51.100.20 \
            options:local_ip=198.51.100.1 options:key=5001 ofport_request=2 &&
        vsctl add-br br-phy -- set bridge br-phy datapath_type=netdev fail_mode=standalone &&
        vsctl add-port br-phy p1 -- set Interface p1 type=dpdkvhostuser &&
        ip -n "$OVS_NETNS" addr add 198.51.100.1/24 dev br-phy && ip -n "$OVS_NETNS" link set br-phy up &&
        ip -n "$OVS_NETNS" link set br-int up ||
            { tail -5 "$OVS_DIR/log/ovs-vswitchd.log" >&2; return 1; }
        SOCKS=("$OVS_DIR/run/p0" "$OVS_DIR/run/p1")
        wait_sockets "$SW_PID" "${SOCKS[@]}" || { tail -5 "$OVS_DIR/log/ovs-vswitchd.log" >&2; return 1; }
        # Traffic before OVS has cached the route to the remote VTEP is lost
        # (and its datapath flows with it): wait for the route.
        local i
        for ((i = 0; i < 50; i++)); do
            ovs_env ovs-appctl -t "$OVS_DIR/run/ovs-vswitchd.ctl" ovs/route/show 2>/dev/null |
                grep -q '198.51.100.0/24 dev br-phy' && return 0
            sleep 0.1
        done
        log "  ovs: no route to the remote VTEP"; return 1
    fi
    vsctl add-br br0 -- set bridge br0 datapath_type=netdev fail_mode=standalone &&
    vsctl add-port br0 p0 -- set Interface p0 type=dpdkvhostuser ofport_request=1 &&
    vsctl add-port br0 p1 -- set Interface p1 type=dpdkvhostuser ofport_request=2 ||
        { tail -5 "$OVS_DIR/log/ovs-vswitchd.log" >&2; return 1; }
    SOCKS=("$OVS_DIR/run/p0" "$OVS_DIR/run/p1")
    wait_sockets "$SW_PID" "${SOCKS[@]}" || { tail -5 "$OVS_DIR/log/ovs-vswitchd.log" >&2; return 1; }
    if [[ $flows == nat66 ]]; then
        # The same with IPv6 (the userspace conntrack does NAT66 too).
        ovs_env ovs-ofctl del-flows br0 &&
        ovs_env ovs-ofctl add-flow br0 "table=0,priority=10,in_port=1,ipv6,actions=ct(commit,zone=1,nat(src=[2001:db8:1::10]:1024-65535)),output:2" &&
        ovs_env ovs-ofctl add-flow br0 "table=0,priority=10,in_port=2,ipv6,ct_state=-trk,actions=ct(table=0,zone=1,nat)" &&
        ovs_env ovs-ofctl add-flow br0 "table=0,priority=10,in_port=2,ipv6,ct_state=+trk+est,ct_zone=1,actions=output:1" &&
        ovs_env ovs-ofctl add-flow br0 "table=0,priority=0,actions=drop" ||
            { tail -5 "$OVS_DIR/log/ovs-vswitchd.log" >&2; return 1; }
        return 0
    fi
    if [[ $flows == nat ]]; then
        # SNAT with the userspace conntrack (ovs-actions(7) "ct", "nat"), static
        # ports, no MAC learning: inside->outside commits (and translates) in
        # zone 1; outside->inside goes through conntrack (un-NAT) and comes back
        # to table 0 tracked, where only established connections pass.
        ovs_env ovs-ofctl del-flows br0 &&
        ovs_env ovs-ofctl add-flow br0 "table=0,priority=10,in_port=1,ip,actions=ct(commit,zone=1,nat(src=203.0.113.10:1024-65535)),output:2" &&
        ovs_env ovs-ofctl add-flow br0 "table=0,priority=10,in_port=2,ip,ct_state=-trk,actions=ct(table=0,zone=1,nat)" &&
        ovs_env ovs-ofctl add-flow br0 "table=0,priority=10,in_port=2,ip,ct_state=+trk+est,ct_zone=1,actions=output:1" &&
        ovs_env ovs-ofctl add-flow br0 "table=0,priority=0,actions=drop" ||
            { tail -5 "$OVS_DIR/log/ovs-vswitchd.log" >&2; return 1; }
        # room for 1M flows / a nat_new run (the userspace default is 3M)
        ovs_env ovs-appctl -t "$OVS_DIR/run/ovs-vswitchd.ctl" dpctl/ct-set-maxconns 5000000 >/dev/null 2>&1 || true
        return 0
    fi
    # NORMAL is the default flow of a standalone bridge; make it explicit.
    ovs_env ovs-ofctl del-flows br0 && ovs_env ovs-ofctl add-flow br0 "priority=0,actions=NORMAL" ||
        { tail -5 "$OVS_DIR/log/ovs-vswitchd.log" >&2; return 1; }
}
start_switch() {  # switch [l2|nat|nat_new]
    SW_PID=""; OVSDB_PID=""
    # testpmd and OVS do not ARP and do not care about MACs: a fixed one
    NAT_GEN_ARGS=(--dst-mac 02:00:00:00:00:fe)
    QUEUES=1
    case ${2:-l2}/$1 in
        */testpmd) start_testpmd ;;
        l2/ovs) start_ovs ;;
        nat66/ovs) start_ovs nat66 ;;
        vxlan/ovs)
            OVS_NETNS=$PFX-ovs; ip netns add "$OVS_NETNS"; OVS_NS=(ip netns exec "$OVS_NETNS")
            ip -n "$OVS_NETNS" link set lo up
            start_ovs vxlan ;;
        */ovs) start_ovs nat ;;
        l2/vsw) start_vsw ;;
        l2/vsw-2q) QUEUES=2; start_vsw ;;
        nat/vsw) start_vsw_nat "$NAT_MAX_SESSIONS" ;;
        nat_new/vsw) start_vsw_nat "$NAT_NEW_MAX_SESSIONS" ;;
        nat66/vsw|nat66/vsw44) NAT66=1 start_vsw_nat "$NAT_MAX_SESSIONS" ;;
        vxlan/vsw) start_vsw_vxlan ;;
    esac
}
stop_switch() {
    [[ -n $SW_PID ]] && stop_pid "$SW_PID" 10
    [[ -n $OVSDB_PID ]] && stop_pid "$OVSDB_PID" 5
    if [[ -n $OVS_NETNS ]]; then ip netns del "$OVS_NETNS" 2>/dev/null || true; OVS_NETNS=""; OVS_NS=(); fi
    rm -rf /var/run/dpdk/"$PFX"-tp /var/run/dpdk/"$PFX"-ovs /var/run/dpdk/"$PFX"-vsw 2>/dev/null || true
    SW_PID=""; OVSDB_PID=""
}

# gen OUT ARGS...: runs vswgen on the current SOCKS; OUT gets its JSON line.
# gen_start/gen_wait split it for runs that do something while traffic flows.
GEN_PID=""; GEN_OUT=""
gen_start() {
    GEN_OUT=$1; shift
    "$VSWGEN" --lcores "0@$GEN_CPU" --file-prefix "$PFX-gen" --no-pci "${GEN_MEM_ARGS[@]}" \
        --log-level=lib.eal:error --log-level='pmd.net.virtio.*:error' \
        --vdev "net_virtio_user0,path=${SOCKS[0]},queues=$QUEUES,queue_size=1024" \
        --vdev "net_virtio_user1,path=${SOCKS[1]},queues=$QUEUES,queue_size=1024" \
        -- --json --queues "$QUEUES" "$@" >"$GEN_OUT" 2>"$GEN_OUT.log" </dev/null &
    GEN_PID=$!; PIDS+=("$GEN_PID")
}
gen_wait() {
    local rc=0
    wait "$GEN_PID" || rc=$?
    GEN_PID=""
    rm -rf /var/run/dpdk/"$PFX"-gen /dev/hugepages/"$PFX"-gen* 2>/dev/null || true
    [[ $rc == 0 && -s $GEN_OUT ]] || { tail -3 "$GEN_OUT.log" >&2; return 1; }
}
gen() { gen_start "$@"; gen_wait; }

# record KEY=VALUE... GEN=file PPB=json PPA=json : appends one JSON line
record() {
    local scenario=$1 sw=$2 rep=$3 size=$4 flows=$5 extra=$6 genfile=$7 ppb=$8 ppa=$9
    local g=null
    [[ -s $genfile ]] && g=$(head -c 1000000 "$genfile")
    printf '{"scenario":"%s","switch":"%s","rep":%s,"size":"%s","flows":%s,%s"pingpong_before":%s,"pingpong_after":%s,"busy_before":%s,"loadavg":"%s","gen":%s}\n' \
        "$scenario" "$sw" "$rep" "$size" "$flows" "$extra" "$ppb" "$ppa" "$BUSY" "$(cut -d' ' -f1-3 /proc/loadavg)" "$g" >>"$RECORDS"
}

# PERF_PROFILE: cpu-clock samples of the switch's CPU for most of the run
# (after a short warm-up), reported by DSO and symbol.
profile_switch_cpu() {  # name
    local dir=$HERE/results/$STAMP-profile data=$WORK/profile-$1.data
    mkdir -p "$dir"
    sleep 0.5
    perf record -q -C "$SW_CPU" -e cpu-clock -o "$data" -- sleep "$(python3 -c "print(max(0.5, $DUR - 1))")" \
        >/dev/null 2>&1 || { log "  perf record failed"; return 0; }
    perf report -i "$data" --stdio --sort dso,symbol --percent-limit 0.5 2>/dev/null |
        grep -v '^#' | sed '/^$/d' | head -40 >"$dir/$1.txt" || true
    [[ ${PERF_KEEP:-0} == 1 ]] || rm -f "$data"  # kept: `perf annotate -i` it
}

run_l2_one() {  # switch rep size flows [scenario]
    local sw=$1 rep=$2 size=$3 flows=$4 scenario=${5:-l2} out=$WORK/gen-${5:-l2}-$1-$2-$3-$4.json ppb ppa
    progress "$scenario $sw $size B $flows flows (rep $rep)"
    BUSY=$(cpu_busy)
    ppb=$(pingpong)
    if start_switch "$sw"; then
        if [[ ${PERF_PROFILE:-0} == 1 ]]; then
            gen_start "$out" --mode throughput --size "$size" --flows "$flows" --duration "$DUR"
            profile_switch_cpu "$sw-$size-$flows-rep$rep"
            gen_wait || log "  $sw: generator failed"
        else
            gen "$out" --mode throughput --size "$size" --flows "$flows" --duration "$DUR" || log "  $sw: generator failed"
        fi
    else
        log "  $sw: switch did not start"
    fi
    stop_switch
    ppa=$(pingpong)
    record "$scenario" "$sw" "$rep" "$size" "$flows" "" "$out" "$ppb" "$ppa"
    python3 - "$out" "$sw" "$size" "$flows" <<'EOF' >&2 || true
import json, sys
try:
    g = json.load(open(sys.argv[1])); r = g["result"]
    print(f"  {sys.argv[2]:8s} {sys.argv[3]:>5s} B {sys.argv[4]:>5s} flows: {r['rx_mpps']:7.3f} Mpps  loss {r['loss_pct']:.3f}%")
except Exception as e:
    print(f"  {sys.argv[2]:8s} {sys.argv[3]:>5s} B {sys.argv[4]:>5s} flows: no result")
EOF
}

# ---------------------------------------------------------------- scenarios
rotate() {  # rep -> switches in an order rotated by rep (interleaving)
    local -a s=($SWITCHES); local n=${#s[@]} i
    for ((i = 0; i < n; i++)); do printf '%s ' "${s[(i + $1) % n]}"; done
}

scenario_l2() {
    local rep size flows sw
    log "scenario l2: reps=$REPS sizes=($SIZES) flows=($FLOWS) duration=${DUR}s switches=($SWITCHES)"
    for ((rep = 1; rep <= REPS; rep++)); do
        for size in $SIZES; do
            for flows in $FLOWS; do
                for sw in $(rotate $((rep - 1))); do run_l2_one "$sw" "$rep" "$size" "$flows"; done
            done
        done
    done
}

# vswd with two queue pairs on each port against one, 64 B, interleaved:
# the generator sends its bursts round both queues (one worker polls both).
scenario_l2_2q() {
    local rep flows sw
    log "scenario l2_2q: reps=$REPS flows=($FLOWS) duration=${DUR}s, vsw with 1 and 2 queue pairs"
    for ((rep = 1; rep <= REPS; rep++)); do
        for flows in $FLOWS; do
            for sw in $( ((rep % 2)) && echo "vsw vsw-2q" || echo "vsw-2q vsw"); do
                run_l2_one "$sw" "$rep" 64 "$flows" l2_2q
            done
        done
    done
}

VSW_NDR=""
find_vsw_ndr() {
    [[ -n $VSW_NDR ]] && return 0
    local out=$WORK/gen-ndr-vsw.json ppb ppa
    log "vsw zero-loss rate (64 B, 1 flow, ${NDR_TRIAL}s trials)"
    BUSY=$(cpu_busy)
    ppb=$(pingpong)
    start_switch vsw || { stop_switch; die "vswd did not start"; }
    gen "$out" --mode ndr --size 64 --flows 1 --trial "$NDR_TRIAL" --max-trials "$NDR_MAX_TRIALS" ||
        { stop_switch; die "ndr search failed"; }
    stop_switch
    ppa=$(pingpong)
    record ndr vsw 1 64 1 "" "$out" "$ppb" "$ppa"
    VSW_NDR=$(python3 -c 'import json,sys; print(int(json.load(open(sys.argv[1]))["ndr_pps"]))' "$out")
    log "  vsw NDR = $VSW_NDR pps"
    [[ $VSW_NDR -gt 0 ]] || die "vsw NDR is 0"
}

scenario_latency() {
    find_vsw_ndr
    local sw pct rate out ppb ppa
    log "scenario latency: 10/50/90 % of $VSW_NDR pps, ${LAT_DUR}s each"
    for sw in $(rotate 0); do
        BUSY=$(cpu_busy)
        ppb=$(pingpong)
        if ! start_switch "$sw"; then log "  $sw: switch did not start"; stop_switch; continue; fi
        for pct in 10 50 90; do
            rate=$((VSW_NDR * pct / 100))
            progress "latency $sw at $pct %"
            out=$WORK/gen-lat-$sw-$pct.json
            gen "$out" --mode throughput --size 64 --flows 1 --rate "$rate" --duration "$LAT_DUR" ||
                log "  $sw: generator failed"
            record latency "$sw" 1 64 1 "\"load_pct\":$pct,\"rate_pps\":$rate," "$out" "$ppb" null
        done
        stop_switch
        ppa=$(pingpong)
        # the "after" placement applies to the three runs of this switch
        python3 - "$RECORDS" "$sw" "$ppa" <<'EOF'
import json, sys
path, sw, ppa = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
lines = [json.loads(l) for l in open(path)]
for r in lines:
    if r["scenario"] == "latency" and r["switch"] == sw and r["pingpong_after"] is None:
        r["pingpong_after"] = ppa
open(path, "w").write("".join(json.dumps(r) + "\n" for r in lines))
EOF
        for pct in 10 50 90; do
            python3 -c 'import json,sys; g=json.load(open(sys.argv[1]))["result"]["latency_ns"]; print(f"  {sys.argv[2]:8s} {sys.argv[3]:>3s}%: p50 {g[\"p50\"]/1e3:8.1f} us  p99 {g[\"p99\"]/1e3:8.1f} us  max {g[\"max\"]/1e3:8.1f} us")' \
                "$WORK/gen-lat-$sw-$pct.json" "$sw" "$pct" >&2 2>/dev/null || true
        done
    done
}

scenario_reload() {
    find_vsw_ndr
    local rate=$((VSW_NDR / 2)) ppb ppa i ok phase out stats
    log "scenario reload: vswd at $rate pps (50 % of NDR), ${RELOAD_DUR}s without, then with 5 x vswctl reload"
    progress "reload vsw"
    BUSY=$(cpu_busy)
    ppb=$(pingpong)
    RELOAD_FORWARDS=1
    start_switch vsw || { stop_switch; die "vswd did not start"; }
    for phase in baseline reload; do
        out=$WORK/gen-reload-$phase.json ok=0
        gen_start "$out" --mode throughput --size 64 --flows 1 --rate "$rate" --duration "$RELOAD_DUR"
        if [[ $phase == reload ]]; then
            sleep 4   # EAL init + warm-up
            for i in 1 2 3 4 5; do
                # alternately add and remove a port forward: a real change, ports unchanged
                RELOAD_FORWARDS=$((i % 2 ? 2 : 1))
                write_vsw_config "$WORK/vsw/vsw.yaml"
                if "$VSWCTL" -s "$VSW_RUN/vswd.sock" --json reload >"$WORK/reload-$i.json" 2>&1; then
                    ok=$((ok + 1))
                else
                    log "  reload $i failed: $(head -c 300 "$WORK/reload-$i.json")"
                fi
                sleep 0.5
            done
        fi
        gen_wait || log "  generator failed ($phase)"
        stats=$(vsw_stats)
        record reload vsw 1 64 1 "\"phase\":\"$phase\",\"rate_pps\":$rate,\"reloads\":$([[ $phase == reload ]] && echo 5 || echo 0),\"reloads_ok\":$ok,\"vsw_stats_after\":$stats," "$out" "$ppb" null
    done
    stop_switch
    RELOAD_FORWARDS=0
    ppa=$(pingpong)
    python3 - "$RECORDS" "$ppa" <<'EOF'
import json, sys
path, ppa = sys.argv[1], json.loads(sys.argv[2])
lines = [json.loads(l) for l in open(path)]
for r in lines:
    if r["scenario"] == "reload" and r["pingpong_after"] is None:
        r["pingpong_after"] = ppa
open(path, "w").write("".join(json.dumps(r) + "\n" for r in lines))
EOF
}

# nat: established sessions. vswgen port 0 ("inside") sends from up to 1024
# inside sockets to remote addresses (flow f = socket f % 1024, remote f / 1024:
# vswd maps endpoint-independently, one outside port per inside socket, so 1M
# flows must share sockets); port 1 ("reflect") answers the NAT's ARP for its
# gateway and sends every datagram back, which un-NATs it to the inside. The
# warm-up (2 rounds over all flows) creates the sessions; the measured period
# only sees established ones. Forwarded pps = both directions, as in l2.
run_nat_one() {  # switch rep flows
    local sw=$1 rep=$2 flows=$3 out=$WORK/gen-nat-$1-$2-$3.json ppb ppa stats=null
    progress "nat $sw $flows flows (rep $rep)"
    BUSY=$(cpu_busy)
    ppb=$(pingpong)
    if start_switch "$sw" nat; then
        gen_start "$out" --mode throughput --size 64 --flows "$flows" --duration "$DUR" --warmup-rounds 2 \
            --roles inside,reflect "${NAT_GEN_ARGS[@]}"
        [[ ${PERF_PROFILE:-0} == 1 ]] && profile_switch_cpu "nat-$sw-$flows-rep$rep"
        gen_wait || log "  $sw: generator failed"
        [[ $sw == vsw ]] && stats=$(vsw_stats)
    else
        log "  $sw: switch did not start"
    fi
    stop_switch
    ppa=$(pingpong)
    record nat "$sw" "$rep" 64 "$flows" "\"vsw_stats_after\":$stats," "$out" "$ppb" "$ppa"
    python3 - "$out" "$sw" "$flows" <<'EOF' >&2 || true
import json, sys
try:
    g = json.load(open(sys.argv[1])); r = g["result"]
    print(f"  {sys.argv[2]:8s} nat {sys.argv[3]:>7s} flows: {r['rx_mpps']:7.3f} Mpps  loss {r['loss_pct']:.3f}%  "
          f"rtt p50 {r['latency_ns']['p50']/1e3:.1f} us  untranslated {r.get('untranslated', '-')}"
          + ("" if g.get("warmup_complete", True) else f"  (warm-up incomplete: {g.get('warmup_sent')})"))
except Exception as e:
    print(f"  {sys.argv[2]:8s} nat {sys.argv[3]:>7s} flows: no result")
EOF
}
scenario_nat() {
    local rep flows sw
    log "scenario nat: reps=$REPS flows=($NAT_FLOWS) 64 B duration=${DUR}s switches=($SWITCHES)"
    for ((rep = 1; rep <= REPS; rep++)); do
        for flows in $NAT_FLOWS; do
            for sw in $(rotate $((rep - 1))); do run_nat_one "$sw" "$rep" "$flows"; done
        done
    done
}

# nat_new: every packet is a new 5-tuple (64 inside sockets x 2^16 remote
# addresses x ports, never repeated), inside -> outside only; the outside port
# answers ARP and counts ("sink"). Sessions/s = frames delivered per second
# (vswd's nat_sessions_created is recorded as a cross-check). Runs are
# NAT_NEW_DUR s so that they stay below the 4M session table.
run_nat_new_one() {  # switch rep
    local sw=$1 rep=$2 out=$WORK/gen-natnew-$1-$2.json ppb ppa stats=null
    progress "nat_new $sw (rep $rep)"
    BUSY=$(cpu_busy)
    ppb=$(pingpong)
    if start_switch "$sw" nat_new; then
        gen "$out" --mode throughput --size 64 --flows 1 --sockets 64 --new-flows --duration "$NAT_NEW_DUR" \
            --roles inside,sink "${NAT_GEN_ARGS[@]}" || log "  $sw: generator failed"
        [[ $sw == vsw ]] && stats=$(vsw_stats)
    else
        log "  $sw: switch did not start"
    fi
    stop_switch
    ppa=$(pingpong)
    record nat_new "$sw" "$rep" 64 0 "\"vsw_stats_after\":$stats," "$out" "$ppb" "$ppa"
    python3 - "$out" "$sw" <<'EOF' >&2 || true
import json, sys
try:
    g = json.load(open(sys.argv[1])); r = g["result"]
    print(f"  {sys.argv[2]:8s} nat_new: {r['rx_mpps']:7.3f} M sessions/s  (offered {r['tx_pps']/1e6:.3f} M/s, "
          f"loss {r['loss_pct']:.2f}%, untranslated {r.get('untranslated', '-')})")
except Exception as e:
    print(f"  {sys.argv[2]:8s} nat_new: no result")
EOF
}
scenario_nat_new() {
    local rep sw
    log "scenario nat_new: reps=$REPS, ${NAT_NEW_DUR}s each, switches=($SWITCHES)"
    for ((rep = 1; rep <= REPS; rep++)); do
        for sw in $(rotate $((rep - 1))); do run_nat_new_one "$sw" "$rep"; done
    done
}

# nat66: NAT66 with 1000 established sessions, as `nat` does it, with IPv6
# frames of 86 bytes (the smallest that holds IPv6, UDP and vswgen's 18-byte
# payload); side by side: the limit (testpmd io), OVS's userspace conntrack
# with IPv6 NAT, and vsw's NAT44 with IPv4 frames of the same size ("vsw44",
# the same vswd config) so that the two families compare directly.
NAT66_SIZE=86
run_nat66_one() {  # switch rep
    local sw=$1 rep=$2 out=$WORK/gen-nat66-$1-$2.json ppb ppa stats=null family=(--ipv6)
    progress "nat66 $sw (rep $rep)"
    [[ $sw == vsw44 ]] && family=()
    BUSY=$(cpu_busy)
    ppb=$(pingpong)
    if start_switch "$sw" nat66; then
        gen "$out" --mode throughput --size "$NAT66_SIZE" --flows 1000 --duration "$DUR" --warmup-rounds 2 \
            --roles inside,reflect "${family[@]}" "${NAT_GEN_ARGS[@]}" || log "  $sw: generator failed"
        [[ $sw == vsw* ]] && stats=$(vsw_stats)
    else
        log "  $sw: switch did not start"
    fi
    stop_switch
    ppa=$(pingpong)
    record nat66 "$sw" "$rep" "$NAT66_SIZE" 1000 "\"vsw_stats_after\":$stats," "$out" "$ppb" "$ppa"
    python3 - "$out" "$sw" <<'EOF' >&2 || true
import json, sys
try:
    g = json.load(open(sys.argv[1])); r = g["result"]
    print(f"  {sys.argv[2]:8s} nat66 1000 flows: {r['rx_mpps']:7.3f} Mpps  loss {r['loss_pct']:.3f}%  "
          f"untranslated {r.get('untranslated', '-')}")
except Exception as e:
    print(f"  {sys.argv[2]:8s} nat66: no result")
EOF
}
scenario_nat66() {
    local rep i
    local -a s=($(nat66_switches))
    log "scenario nat66: reps=$REPS 1000 flows $NAT66_SIZE B duration=${DUR}s switches=(${s[*]})"
    for ((rep = 1; rep <= REPS; rep++)); do
        for ((i = 0; i < ${#s[@]}; i++)); do run_nat66_one "${s[(i + rep - 1) % ${#s[@]}]}" "$rep"; done
    done
}

# vxlan: a guest's flows through encapsulation to a remote VTEP and back
# through decapsulation, on one core: vswgen port 0 is the guest (l2 frames,
# 1000 flows to MACs behind the remote), port 1 the remote VTEP on the
# uplink, which answers the switch's ARP and reflects each VXLAN frame (outer
# and inner swapped). Forwarded pps = inner frames, both directions.
# Side by side: OVS-DPDK's VXLAN tunnel port (type=vxlan) in the same run.
run_vxlan_one() {  # switch rep size
    local sw=$1 rep=$2 size=$3 out=$WORK/gen-vxlan-$1-$2-$3.json ppb ppa stats=null
    progress "vxlan $sw $size B (rep $rep)"
    BUSY=$(cpu_busy)
    ppb=$(pingpong)
    if start_switch "$sw" vxlan; then
        gen "$out" --mode throughput --size "$size" --flows 1000 --duration "$DUR" --warmup-rounds 2 \
            --roles l2,vtep --arp-wait 5 || log "  $sw: generator failed"
        [[ $sw == vsw ]] && stats=$(vsw_stats)
        if [[ $sw == ovs ]]; then  # for a look afterwards (PERF_KEEP=1)
            local b
            for b in br-int br-phy; do ovs_env ovs-appctl -t "$OVS_DIR/run/ovs-vswitchd.ctl" dpif/dump-flows "$b" \
                >"$out.$b-flows" 2>&1 || true; done
            ovs_env ovs-appctl -t "$OVS_DIR/run/ovs-vswitchd.ctl" tnl/neigh/show >"$out.neigh" 2>&1 || true
        fi
    else
        log "  $sw: switch did not start"
    fi
    stop_switch
    ppa=$(pingpong)
    record vxlan "$sw" "$rep" "$size" 1000 "\"vsw_stats_after\":$stats," "$out" "$ppb" "$ppa"
    python3 - "$out" "$sw" "$size" <<'EOF' >&2 || true
import json, sys
try:
    g = json.load(open(sys.argv[1])); r = g["result"]
    print(f"  {sys.argv[2]:8s} vxlan {sys.argv[3]:>4s} B 1000 flows: {r['rx_mpps']:7.3f} Mpps  loss {r['loss_pct']:.3f}%")
except Exception as e:
    print(f"  {sys.argv[2]:8s} vxlan: no result")
EOF
}
scenario_vxlan() {
    local rep size i
    local -a s=($(vxlan_switches))
    log "scenario vxlan: reps=$REPS sizes=($VXLAN_SIZES) 1000 flows duration=${DUR}s switches=(${s[*]})"
    for ((rep = 1; rep <= REPS; rep++)); do
        for size in $VXLAN_SIZES; do
            for ((i = 0; i < ${#s[@]}; i++)); do run_vxlan_one "${s[(i + rep - 1) % ${#s[@]}]}" "$rep" "$size"; done
        done
    done
}

# ---------------------------------------------------------------- machine
machine_json() {
    python3 - "$MEMORY" "$SW_CPU" "$GEN_CPU" "$QUICK" "$REPS" "$BUILD_FAILED" <<'EOF'
import json, os, platform, subprocess, sys
def sh(c):
    try: return subprocess.run(c, shell=True, capture_output=True, text=True, timeout=10).stdout.strip()
    except Exception: return ""
model = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
print(json.dumps({
    "cpu_model": model, "cpus": os.cpu_count(), "kernel": platform.release(),
    "dpdk": sh("pkg-config --modversion libdpdk"),
    "ovs": sh("/usr/lib/openvswitch-switch-dpdk/ovs-vswitchd-dpdk --version | head -1"),
    "memory": sys.argv[1], "switch_cpu": int(sys.argv[2]), "generator_cpu": int(sys.argv[3]),
    "quick": sys.argv[4] == "1", "reps": int(sys.argv[5]),
    "stale_binaries": sys.argv[6] == "1",
    "vsw_commit": sh("git rev-parse --short HEAD 2>/dev/null") or None,
}))
EOF
}

START=$(date +%s)
MACHINE=$(cd "$ROOT" && machine_json)
log "machine: $MACHINE"
for s in "${SCENARIOS[@]}"; do "scenario_$s"; done

mkdir -p "$HERE/results"
# Debian's python3-matplotlib belongs to /usr/bin/python3 (python3 on PATH may be another one)
PY=python3
/usr/bin/python3 -c 'import matplotlib' 2>/dev/null && PY=/usr/bin/python3
"$PY" "$HERE/report.py" --records "$RECORDS" --machine "$MACHINE" \
    --json "$HERE/results/$STAMP.json" --png "$HERE/results/$STAMP.png" --elapsed $(($(date +%s) - START))
