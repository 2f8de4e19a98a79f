# Shared helpers for vsw's end-to-end tests with real guests (sourced).
#
# Each test gets a private work dir, DPDK file prefix, network namespace
# (standing in for "the host", so test traffic only ever goes to namespaces
# the test made) and host interface name, and removes all of them on exit,
# failed or not. Processes are stopped by the PIDs the test recorded.
set -euo pipefail

: "${VSWD:?set VSWD to the vswd binary}"
: "${VSWCTL:?set VSWCTL to the vswctl binary}"
: "${VM_SH:?set VM_SH to scripts/vm.sh}"

TEST_NAME=$(basename "$0" .sh)
UID_=$$
WORK=$(mktemp -d "/tmp/vsw-e2e-${TEST_NAME}-XXXXXX")
PREFIX="vswe2e${UID_}"
NETNS="vswe2e-${UID_}"
HOSTIF="vswe${UID_}"          # <= 15 characters
CONFIG="$WORK/vsw.yaml"
VSWD_PID=
GUEST_PIDS=()
CLEANUP_LINKS=()            # extra interfaces a test made (removed on exit)
CLEANUP_HOOKS=()            # extra commands a test needs run on exit (e.g. groupdel)
EXTRA_VSWD_PIDS=()          # a second vswd's (start_extra_vswd), stopped with the first
EXTRA_PREFIXES=()
declare -A GUEST_PID

log() { echo "[$(date +%T)] $*"; }

dump_logs() {
    for f in "$WORK"/*.log; do
        [ -f "$f" ] || continue
        echo "----- $(basename "$f") (last 40 lines)"
        tail -n 40 "$f"
    done
}

fail() {
    echo "FAIL: $*"
    if [ -n "$VSWD_PID" ] && kill -0 "$VSWD_PID" 2>/dev/null; then
        echo "----- vswctl stats"
        "$VSWCTL" -s "$WORK/run/vswd.sock" stats 2>&1 || true
    fi
    dump_logs
    echo "FAIL: $*"   # again: meson shows only the last lines of a failing test
    exit 1
}

# stop_pid PID: TERM, up to 5 s to finish, then KILL.
stop_pid() {
    kill -0 "$1" 2>/dev/null || return 0
    kill "$1" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$1" 2>/dev/null || true
}

cleanup() {
    local rc=$?
    for pid in "${GUEST_PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    [ -n "$VSWD_PID" ] && stop_pid "$VSWD_PID"
    for pid in "${EXTRA_VSWD_PIDS[@]}"; do stop_pid "$pid"; done
    for p in "${EXTRA_PREFIXES[@]}"; do rm -rf "/var/run/dpdk/$p"; done
    # Anything still running inside the test's own namespace was started by this test.
    for pid in $(ip netns pids "$NETNS" 2>/dev/null); do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    ip netns del "$NETNS" 2>/dev/null || true
    ip link del "$HOSTIF" 2>/dev/null || true
    for l in "${CLEANUP_LINKS[@]}"; do ip link del "$l" 2>/dev/null || true; done
    for c in "${CLEANUP_HOOKS[@]}"; do eval "$c" 2>/dev/null || true; done
    rm -rf "/var/run/dpdk/$PREFIX" "$WORK"
    exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ip netns add "$NETNS"
ip -n "$NETNS" link set lo up

# Runs a command in the test's "host" namespace.
in_host() { ip netns exec "$NETNS" "$@"; }

# switch: section for this test; append networks/ports after it. VSW_CORES
# (default "1") lists the worker CPUs, e.g. "0, 1" for two workers.
switch_yaml() {
    cat <<YAML
switch:
  cores: [${VSW_CORES:-1}]
  hugepages: off
  run_dir: $WORK/run
  state_dir: $WORK/state
  file_prefix: $PREFIX
  log_level: debug
YAML
}

# The resolv.conf vswd takes the host's resolvers from (uplinks without a
# `resolver`): empty unless a test writes one, so no test depends on the
# machine's own /etc/resolv.conf.
RESOLV_CONF=${RESOLV_CONF:-/dev/null}

# wait_ready PID LOG WHAT: until vswd PID logs that it is ready (20 s).
wait_ready() {
    for _ in $(seq 200); do
        grep -q "vswd ready" "$2" 2>/dev/null && return 0
        kill -0 "$1" 2>/dev/null || fail "$3 exited during start"
        sleep 0.1
    done
    fail "$3 did not become ready in 20 s"
}

start_vswd() {
    "$VSWD" -c "$CONFIG" --resolv-conf "$RESOLV_CONF" > "$WORK/vswd.log" 2>&1 &
    VSWD_PID=$!
    wait_ready "$VSWD_PID" "$WORK/vswd.log" vswd
}

vswctl() { "$VSWCTL" -s "$WORK/run/vswd.sock" "$@"; }

# start_extra_vswd CONFIG LOG PREFIX: another vswd (its own run_dir and
# file_prefix in CONFIG), stopped on exit like the first; waits until ready.
start_extra_vswd() {
    "$VSWD" -c "$1" --resolv-conf "$RESOLV_CONF" > "$2" 2>&1 &
    local pid=$!
    EXTRA_VSWD_PIDS+=("$pid")
    EXTRA_PREFIXES+=("$3")
    wait_ready "$pid" "$2" "vswd ($1)"
}

# ---- VXLAN overlays (tests/e2e/overlay*.sh) ----

# overlay_host_yaml CORE TAP TAP_ADDRESS VSW_ADDRESS: the switch section
# (one worker on CPU CORE) and uplink `wan`, a TAP in the test's namespace
# (the underlay): one host of a stretched network. Networks follow.
overlay_host_yaml() {
    VSW_CORES=$1 switch_yaml
    cat <<YAML
uplinks:
  wan:
    kernel: {name: $2, address: $3, netns: $NETNS}
    address: $4/24
YAML
}

# as_second_vswd: the config on stdin with a second vswd's run_dir
# ($WORK/run-b), state_dir and file_prefix (${PREFIX}b).
as_second_vswd() {
    sed -e "s|run_dir: $WORK/run|run_dir: $WORK/run-b|; s|state_dir: $WORK/state|state_dir: $WORK/state-b|" \
        -e "s|file_prefix: $PREFIX|file_prefix: ${PREFIX}b|"
}

# linux_vm_behind VXLAN_DEV VM_NS VM_ADDRESS: a Linux host's side of an
# overlay in the test's namespace: bridge br0 with vxlan device VXLAN_DEV
# and a veth to namespace VM_NS (the remote VM, VM_ADDRESS/24), MTU 1450 as
# Linux gives a vxlan device over a 1500-byte link. The VM serves $WORK
# over HTTP on port 8000. Sets VM_MAC to the VM's MAC.
linux_vm_behind() {
    in_host ip link add br0 type bridge
    in_host ip link add vr0 type veth peer name vr1
    in_host ip link set vr1 netns "$2"
    for l in "$1" vr0; do in_host ip link set "$l" mtu 1450 master br0 up; done
    in_host ip link set br0 up
    ip netns exec "$2" ip link set lo up
    ip netns exec "$2" ip link set vr1 mtu 1450 up
    ip netns exec "$2" ip addr add "$3/24" dev vr1
    ip netns exec "$2" python3 -m http.server 8000 --bind "$3" --directory "$WORK" > "$WORK/http.log" 2>&1 &
    GUEST_PIDS+=($!)
    VM_MAC=$(ip netns exec "$2" cat /sys/class/net/vr1/address)
}

# json_get 'python expression over d' < json  (d = the parsed document)
# start_dns_server ADDRESS NAME IP: a dnsmasq in the test's namespace,
# listening on ADDRESS, answering NAME with IP (and logging every query to
# $WORK/dnsmasq.log). ADDRESS must be on the namespace's lo already.
start_dns_server() {
    ip netns exec "$NETNS" dnsmasq --keep-in-foreground --conf-file=/dev/null --no-resolv --no-hosts \
        --bind-interfaces --listen-address="$1" --address="/$2/$3" --pid-file="$WORK/dnsmasq.pid" \
        --log-queries --log-facility=- > "$WORK/dnsmasq.log" 2>&1 &
    GUEST_PIDS+=($!)
}

json_get() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }

# port_counter PORT FIELD  (FIELD: rx_packets, tx_packets, drops.spoofed_src_mac, ...)
port_counter() {
    local port=$1 field=$2
    vswctl --json stats | python3 -c "
import json,sys
p=json.load(sys.stdin)['data']['ports']['$port']
for k in '$field'.split('.'): p=p[k]
print(p)"
}

# port_link PORT -> up|down
port_link() {
    vswctl --json show | json_get "[p['link'] for p in d['data']['ports'] if p['name']=='$1'][0]"
}

# start_guest NAME SCRIPT NIC_SPEC...   (NIC_SPEC as for vm.sh --nic)
# With GUEST_RUN_AS=USER, QEMU runs as that user with its groups (as
# libvirt runs it as libvirt-qemu), from a guest cache of its own under
# $WORK (its kernel copied from the root's cache, see guest_cache_for).
start_guest() {
    local name=$1 script=$2; shift 2
    local args=() runner=()
    for nic in "$@"; do args+=(--nic "$nic"); done
    if [ -n "${GUEST_RUN_AS:-}" ]; then
        runner=(setpriv --reuid="$GUEST_RUN_AS" --regid="$(id -g "$GUEST_RUN_AS")" --init-groups
                env VM_CACHE="$(guest_cache_for "$GUEST_RUN_AS")")
    fi
    "${runner[@]}" "$VM_SH" "${args[@]}" --script "$script" --timeout "${GUEST_TIMEOUT:-150}" > "$WORK/$name.log" 2>&1 &
    GUEST_PID[$name]=$!
    GUEST_PIDS+=($!)
}

# guest_cache_for USER: a guest cache USER may write (vm.sh builds each
# script's initramfs there), with the kernel of the root's cache.
guest_cache_for() {
    local dir=$WORK/guest-cache-$1
    if [ ! -d "$dir" ]; then
        "$VM_SH" --prepare > /dev/null || fail "vm.sh --prepare failed"
        mkdir -p "$dir"
        cp -a "${VM_CACHE:-/var/tmp/vsw-guest}/kernel" "$dir/"
        chown -R "$1" "$dir"
    fi
    echo "$dir"
}

# wait_guest NAME -> the guest script's exit status
wait_guest() {
    local rc=0
    wait "${GUEST_PID[$1]}" || rc=$?
    return $rc
}

# wait_for_line NAME PATTERN SECONDS: waits for a line in a guest's console log.
wait_for_line() {
    local name=$1 pattern=$2 secs=$3
    for _ in $(seq $((secs * 10))); do
        grep -q -- "$pattern" "$WORK/$name.log" 2>/dev/null && return 0
        kill -0 "${GUEST_PID[$name]}" 2>/dev/null || fail "$name: exited without printing '$pattern'"
        sleep 0.1
    done
    fail "$name: no '$pattern' within ${secs}s"
}

# tcp_banner ADDRESS PORT: the first line a TCP server there sends, from the
# test's namespace (empty when none came within 5 s).
tcp_banner() { in_host timeout 5 bash -c "exec 3<>/dev/tcp/$1/$2; head -1 <&3" 2>/dev/null || true; }

# udp_probe ADDRESS PORT: sends a datagram from the test's namespace on a
# connected socket and prints "data" (an answer), "refused" (an ICMP port
# unreachable came back: a guest without a UDP server there) or nothing.
udp_probe() {
    in_host python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(2)
s.connect((sys.argv[1], int(sys.argv[2])))
for _ in range(3):
    s.send(b"ping\n")
    try: s.recv(100); print("data"); break
    except ConnectionRefusedError: print("refused"); break
    except socket.timeout: pass' "$1" "$2" || true
}

# Tells a guest blocked in `nc -l -p 9999` that the host is done with it.
release_guest() { in_host bash -c "echo done > /dev/tcp/$1/9999" 2>/dev/null || true; }
