#!/bin/bash
# An AF_XDP uplink survives a vswd crash: kill -9 leaves vsw's XDP program
# attached to the interface, and the next start must clear it (it is vsw's,
# and no running vswd holds the interface) instead of failing with "XDP
# program already attached". A second vswd on the same interface (another
# run_dir and file prefix) is refused while the first runs. A clean stop
# leaves no XDP program behind. No guests: about 10 s.
source "$(dirname "$0")/lib.sh"

VETH_VSW="vsx${UID_}"
VETH_PEER="vsn${UID_}"
ip link add "$VETH_VSW" type veth peer name "$VETH_PEER"
CLEANUP_LINKS+=("$VETH_VSW")
ip link set "$VETH_PEER" netns "$NETNS"
ip link set "$VETH_VSW" up
in_host ip link set "$VETH_PEER" up
mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf

nat_yaml() {  # file_prefix-suffix
    cat <<YAML
uplinks:
  wan:
    device: "net_af_xdp0,iface=$VETH_VSW"
    address: 203.0.113.10/24
    gateway: 203.0.113.1
    host_link: {name: vsh${UID_}, netns: $NETNS}   # the default one, in the test's namespace
networks:
  natnet0: {mode: nat, subnet: 10.0.2.0/24, uplink: wan}
YAML
}
{ switch_yaml; nat_yaml; } > "$CONFIG"
xdp_prog_id() { ip -d link show "$VETH_VSW" | grep -o 'prog/xdp id [0-9]*' | awk '{print $3}'; }

start_vswd
first=$(xdp_prog_id)
[ -n "$first" ] || fail "no XDP program on $VETH_VSW after the start"
log "vswd up with XDP program $first on $VETH_VSW"

# A second vswd (its own run_dir and prefix) must not take the same interface.
sed -e "s|run_dir: $WORK/run|run_dir: $WORK/run2|; s|file_prefix: $PREFIX|file_prefix: ${PREFIX}b|" "$CONFIG" > "$WORK/second.yaml"
"$VSWD" -c "$WORK/second.yaml" > "$WORK/second.log" 2>&1 && fail "a second vswd took the same AF_XDP interface"
rm -rf "/var/run/dpdk/${PREFIX}b"
grep -q "is the AF_XDP uplink of another running vswd" "$WORK/second.log" || fail "second vswd: no clear refusal"
[ "$(xdp_prog_id)" = "$first" ] || fail "the second vswd changed the first one's XDP program"
log "a second vswd on the same interface is refused"

kill -9 "$VSWD_PID"
wait "$VSWD_PID" 2>/dev/null || true
[ "$(xdp_prog_id)" = "$first" ] || fail "expected the dead vswd's XDP program $first to stay attached"
start_vswd   # fails the test unless this first start succeeds
grep -q "removed the XDP program $first that a stopped vswd left on $VETH_VSW" "$WORK/vswd.log" ||
    fail "the stale XDP program was not reported"
second=$(xdp_prog_id)
[ -n "$second" ] && [ "$second" != "$first" ] || fail "expected a new XDP program, have '$second'"
[ "$(vswctl --json show | json_get "[u['link'] for u in d['data']['uplinks']][0]")" = up ] || fail "uplink not up"
# The host link's TAP went with the dead process and is made again.
in_host ip -4 addr show dev "vsh${UID_}" | grep -q "inet 169.254.213.1/30" || fail "the host link was not made again"
log "restart after kill -9: stale program $first removed, program $second attached, host link made again"

kill "$VSWD_PID"
wait "$VSWD_PID" || fail "vswd exited with an error on SIGTERM"
VSWD_PID=
[ -z "$(xdp_prog_id)" ] || fail "a clean stop left XDP program $(xdp_prog_id) attached"
log "PASS: AF_XDP uplink restarts after kill -9; clean stop detaches"
