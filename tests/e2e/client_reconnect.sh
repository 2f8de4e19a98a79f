#!/bin/bash
# A client-mode port (QEMU listens, vswd connects): the guest is stopped and
# started again on the same socket, and traffic flows again without touching
# vswd. The port's link goes down while the VM is away.
source "$(dirname "$0")/lib.sh"

SOCK="$WORK/qemu-vm1.sock"
{ switch_yaml; cat <<YAML
networks:
  hostonly0:
    mode: host-only
    subnet: 192.168.58.0/24
    host_interface: {name: $HOSTIF, address: 192.168.58.1, netns: $NETNS}
    dhcp: {}
ports:
  vm1: {network: hostonly0, socket: $SOCK, client: true}
YAML
} > "$CONFIG"
start_vswd   # the VM is not there yet: vswd keeps trying to connect

cat > "$WORK/guest.sh" <<'G'
for i in 1 2 3 4 5; do ping -c 1 -W 1 192.168.58.1 >/dev/null && break; done
ping -c 3 -W 2 192.168.58.1 || exit 1
echo GUEST-PING-OK
G
for round in 1 2; do
    start_guest "vm1-run$round" "$WORK/guest.sh" "$SOCK,52:54:00:00:00:21,dhcp,server"
    wait_guest "vm1-run$round" || fail "guest run $round could not reach the host"
    log "run $round: guest took a lease and pinged the host"
    for _ in $(seq 100); do [ "$(port_link vm1)" = down ] && break; sleep 0.1; done
    [ "$(port_link vm1)" = down ] || fail "link still up after the VM stopped"
    log "run $round: link down after the VM stopped"
done
kill -0 "$VSWD_PID" || fail "vswd died"
ups=$(grep -c "port vm1: link up" "$WORK/vswd.log" || true)
[ "$ups" = 2 ] || fail "expected 2 guest connections in the log, saw $ups"
rx=$(port_counter vm1 rx_packets)
[ "$rx" -gt 10 ] || fail "vm1 received only $rx packets"
log "PASS: client-mode port reconnected to a restarted VM ($rx packets from it)"
