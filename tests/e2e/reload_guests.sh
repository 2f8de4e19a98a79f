#!/bin/bash
# Reload while a guest pings the host: a broken file is refused with its
# file:line and changes nothing; a reload that removes one port and adds
# another (vswctl reload, then SIGHUP) leaves the guest's port alone: its
# ping loses nothing.
source "$(dirname "$0")/lib.sh"

write_config() {  # write_config PORT_LINES...
    { switch_yaml; cat <<YAML
networks:
  hostonly0:
    mode: host-only
    subnet: 192.168.57.0/24
    host_interface: {name: $HOSTIF, address: 192.168.57.1, netns: $NETNS}
    dhcp: {}
ports:
  vm1: {network: hostonly0}
YAML
    for line in "$@"; do echo "  $line"; done
    } > "$CONFIG.new"
    mv "$CONFIG.new" "$CONFIG"
}
port_names() { vswctl --json show | json_get "' '.join(sorted(p['name'] for p in d['data']['ports']))"; }

write_config "vm2: {network: hostonly0}"
start_vswd

cat > "$WORK/vm1.sh" <<'G'
for i in 1 2 3 4 5; do ping -c 1 -W 1 192.168.57.1 >/dev/null && break; done
echo PING-START
ping -c 60 -i 0.2 -W 2 192.168.57.1 > /tmp/ping.out
cat /tmp/ping.out | tail -3
grep -q " 0% packet loss" /tmp/ping.out
G
start_guest vm1 "$WORK/vm1.sh" "$WORK/run/vm1.sock,52:54:00:00:00:31,dhcp"
wait_for_line vm1 PING-START 120
sleep 1

# 1. A broken file: refused, named by file and line, nothing changes.
cp "$CONFIG" "$WORK/good.yaml"
sed -i 's/subnet: 192.168.57.0\/24/subnet: 192.168.57.300\/24/' "$CONFIG"
if out=$(vswctl reload 2>&1); then fail "a broken config was accepted"; fi
echo "$out" | grep -q "vsw.yaml:[0-9]*:[0-9]*: networks.hostonly0.subnet" || fail "error does not name file:line:key: $out"
[ "$(port_names)" = "vm1 vm2" ] || fail "ports changed after a rejected reload: $(port_names)"
log "broken file refused: $out"

# 2. vswctl reload: vm2 goes, vm3 comes.
write_config "vm3: {network: hostonly0}"
vswctl reload || fail "reload failed"
[ "$(port_names)" = "vm1 vm3" ] || fail "after reload: $(port_names)"
[ -S "$WORK/run/vm3.sock" ] && [ ! -e "$WORK/run/vm2.sock" ] || fail "sockets not updated"

# 3. SIGHUP: vm4 comes too.
write_config "vm3: {network: hostonly0}" "vm4: {network: hostonly0}"
kill -HUP "$VSWD_PID"
for _ in $(seq 50); do [ "$(port_names)" = "vm1 vm3 vm4" ] && break; sleep 0.1; done
[ "$(port_names)" = "vm1 vm3 vm4" ] || fail "SIGHUP did not reload: $(port_names)"
[ "$(port_link vm1)" = up ] || fail "vm1's link went down"
log "reloads applied while vm1 pings"

wait_guest vm1 || fail "vm1 lost pings during the reloads"
grep "packet loss" "$WORK/vm1.log" | tail -1
log "PASS: three reloads, no loss on the untouched port"
