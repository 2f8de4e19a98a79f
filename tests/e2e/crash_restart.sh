#!/bin/bash
# vswd killed with SIGKILL comes back on the first start, and its guests with it:
#   - a second vswd on the same run_dir is refused (the first keeps its sockets);
#   - after kill -9 the sockets of the dead vswd are still there; the next
#     start removes them and succeeds first time, twice in a row;
#   - a guest on a server-mode port (QEMU is the client, reconnect=1) and one
#     on a client-mode port (QEMU listens) answer the host's ping again within
#     3 s of vswd being ready (the host interface keeps its MAC, so the
#     guests' ARP caches stay right);
#   - with the guests connected, a reload of an empty file and of a file cut
#     short (a connected port missing) is refused and changes nothing;
#   - a clean stop leaves nothing in run_dir.
source "$(dirname "$0")/lib.sh"

SOCK2="$WORK/qemu-vm2.sock"
write_config() {
    { switch_yaml; cat <<YAML
networks:
  hostonly0:
    mode: host-only
    subnet: 192.168.59.0/24
    host_interface: {name: $HOSTIF, address: 192.168.59.1, netns: $NETNS}
ports:
  vm1: {network: hostonly0}
  vm2: {network: hostonly0, socket: $SOCK2, client: true}
YAML
    } > "$CONFIG"
}
write_config
start_vswd

"$VSWD" -c "$CONFIG" > "$WORK/second.log" 2>&1 && fail "a second vswd on the same run_dir started"
grep -q "another vswd (pid $VSWD_PID) is running" "$WORK/second.log" || fail "second vswd: no clear refusal"
vswctl show > /dev/null || fail "the first vswd lost its control socket to the second"
[ -S "$WORK/run/vm1.sock" ] || fail "the second vswd removed the first one's vhost socket"
log "a second vswd on the same run_dir is refused: $(grep -o 'another vswd.*' "$WORK/second.log" | head -1)"

cat > "$WORK/guest.sh" <<'G'
echo GUEST-UP
nc -l -p 9999 > /dev/null
echo GUEST-RELEASED
G
start_guest vm1 "$WORK/guest.sh" "$WORK/run/vm1.sock,52:54:00:00:00:31,192.168.59.11/24"
start_guest vm2 "$WORK/guest.sh" "$SOCK2,52:54:00:00:00:32,192.168.59.12/24,server"
wait_for_line vm1 GUEST-UP 90
wait_for_line vm2 GUEST-UP 90

# Seconds (0.1 s steps) until the host's ping of $1 succeeds, at most $2 s; prints the time.
time_to_ping() {
    local ip=$1 limit=$2 start now
    start=$(date +%s.%N)
    while :; do
        in_host ping -c 1 -W 0.3 "$ip" > /dev/null 2>&1 && break
        now=$(date +%s.%N)
        if python3 -c "import sys; sys.exit(0 if $now - $start > $limit else 1)"; then echo none; return 1; fi
        sleep 0.05
    done
    now=$(date +%s.%N)
    python3 -c "print('%.2f' % ($now - $start))"
}
for ip in 192.168.59.11 192.168.59.12; do
    t=$(time_to_ping $ip 20) || fail "host cannot ping $ip before the crash"
done
log "both guests answer the host"

# Reloads that would cut the guests off are refused while they are connected.
cp "$CONFIG" "$WORK/good.yaml"
: > "$CONFIG"
out=$(vswctl reload 2>&1) && fail "an empty file was applied: $out"
echo "$out" | grep -q "declares no networks" || fail "empty file: unclear refusal: $out"
log "empty file refused: $out"
sed -n '1,/^  vm1:/p' "$WORK/good.yaml" > "$CONFIG"   # cut short after vm1's line
out=$(vswctl reload 2>&1) && fail "a cut-off file was applied: $out"
echo "$out" | grep -q "vm2 (removed)" || fail "cut-off file: the refusal does not name vm2: $out"
log "cut-off file refused: $out"
cp "$WORK/good.yaml" "$CONFIG"
[ "$(port_link vm1)" = up ] && [ "$(port_link vm2)" = up ] || fail "a refused reload took a port down"
in_host ping -c 1 -W 2 192.168.59.12 > /dev/null || fail "vm2 unreachable after the refused reloads"

for round in 1 2; do
    kill -9 "$VSWD_PID"
    wait "$VSWD_PID" 2>/dev/null || true
    [ -S "$WORK/run/vm1.sock" ] && [ -S "$WORK/run/vswd.sock" ] || fail "round $round: expected stale sockets after kill -9"
    start_vswd   # fails the test unless this first start succeeds
    grep -q "removed stale socket $WORK/run/vm1.sock" "$WORK/vswd.log" || fail "round $round: stale vm1.sock not reported"
    t1=$(time_to_ping 192.168.59.11 3) || fail "round $round: server-mode guest (reconnect=1) not back within 3 s"
    t2=$(time_to_ping 192.168.59.12 3) || fail "round $round: client-mode guest not back within 3 s"
    log "round $round: vswd restarted after kill -9 on the first try; guests back after ${t1} s (server port) and ${t2} s more (client port)"
done

release_guest 192.168.59.11
release_guest 192.168.59.12
wait_guest vm1 || fail "guest vm1 failed"
wait_guest vm2 || fail "guest vm2 failed"
kill "$VSWD_PID"
wait "$VSWD_PID" || fail "vswd exited with an error on SIGTERM"
VSWD_PID=
left=$(ls -A "$WORK/run")
[ -z "$left" ] || fail "a clean stop left files in run_dir: $left"
log "PASS: restart after kill -9 (twice), reload guards with guests attached, clean stop"
