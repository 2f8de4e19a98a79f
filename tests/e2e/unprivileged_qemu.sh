#!/bin/bash
# QEMU as an unprivileged user, as libvirt runs it (libvirt-qemu): a user
# created by the test, in the group of switch.socket_group and
# switch.control_group, boots two guests. vm1 attaches to a socket vswd
# listens on, vm2 listens itself (client: true, its socket in a directory
# only that user may enter); both take a DHCP lease and ping the host. The
# same user runs vswctl show but its reload is refused (control_admin_group
# is unset), counted and logged. A second user outside the group gets
# "Permission denied" from QEMU for vm1's socket, and from vswctl.
source "$(dirname "$0")/lib.sh"

GROUP="vswqg${UID_}"
QUSER="vswq${UID_}"
OTHER="vswo${UID_}"
groupadd --system "$GROUP"
useradd --system --no-create-home --shell /usr/sbin/nologin -G "$GROUP" "$QUSER"
useradd --system --no-create-home --shell /usr/sbin/nologin "$OTHER"
CLEANUP_HOOKS+=("userdel $QUSER" "userdel $OTHER" "groupdel $GROUP")
chmod 0755 "$WORK"
mkdir -m 0700 "$WORK/qemu" && chown "$QUSER" "$WORK/qemu"   # vm2's QEMU listens here

{ switch_yaml; cat <<YAML
  socket_group: $GROUP
  control_group: $GROUP
networks:
  hostonly0:
    mode: host-only
    subnet: 192.168.56.0/24
    host_interface: {name: $HOSTIF, address: 192.168.56.1, netns: $NETNS}
    dhcp: {}
ports:
  vm1: {network: hostonly0}
  vm2: {network: hostonly0, client: true, socket: $WORK/qemu/vm2.sock}
YAML
} > "$CONFIG"
start_vswd

for vm in vm1 vm2; do
    cat > "$WORK/$vm.sh" <<G
ping -c 3 -W 2 192.168.56.1 || { echo ${vm^^}-NO-HOST; exit 1; }
echo ${vm^^}-OK
G
done
GUEST_RUN_AS=$QUSER start_guest vm1 "$WORK/vm1.sh" "$WORK/run/vm1.sock,52:54:00:00:00:21,dhcp"
GUEST_RUN_AS=$QUSER start_guest vm2 "$WORK/vm2.sh" "$WORK/qemu/vm2.sock,52:54:00:00:00:22,dhcp,server"
wait_for_line vm1 "VM-NET eth0" 90
qemu_users=$(ps -o user= -C qemu-system-x86_64 | sort -u | tr '\n' ' ')
[ "$qemu_users" = "$QUSER " ] || fail "QEMU runs as: $qemu_users(expected $QUSER only)"
wait_guest vm1 || fail "vm1 (QEMU as $QUSER, vswd's socket) failed"
wait_guest vm2 || fail "vm2 (QEMU as $QUSER, its own socket) failed"
grep -q VM1-OK "$WORK/vm1.log" && grep -q VM2-OK "$WORK/vm2.log" || fail "a guest did not reach the host"
leases=$(vswctl leases)
grep -q "52:54:00:00:00:21" <<< "$leases" && grep -q "52:54:00:00:00:22" <<< "$leases" ||
    fail "missing leases: $leases"
log "QEMU as $QUSER: both guests leased an address and pinged the host"

# The control socket: read-only for the group, reload for root alone.
as() { local u=$1; shift; setpriv --reuid="$u" --regid="$(id -g "$u")" --init-groups "$@"; }
[ "$(stat -c '%G %a' "$WORK/run/vswd.sock")" = "$GROUP 660" ] ||
    fail "vswd.sock: $(stat -c '%U:%G %a' "$WORK/run/vswd.sock"), expected root:$GROUP 660"
as "$QUSER" "$VSWCTL" -s "$WORK/run/vswd.sock" show | grep -q vm2 || fail "$QUSER (control_group) cannot run show"
if out=$(as "$QUSER" "$VSWCTL" -s "$WORK/run/vswd.sock" reload 2>&1); then fail "$QUSER could reload: $out"; fi
grep -q "permission denied: reload needs root" <<< "$out" || fail "unclear refusal: $out"
[ "$(vswctl --json stats | json_get "d['data']['control']['refused']")" = 1 ] || fail "the refusal is not counted"
grep -q "control socket: refused 'reload' from uid $(id -u "$QUSER")" "$WORK/vswd.log" || fail "the refusal is not logged"
log "control_group: show works, reload refused: $out"
if out=$(as "$OTHER" "$VSWCTL" -s "$WORK/run/vswd.sock" show 2>&1); then fail "$OTHER could run show"; fi
grep -q "permission denied" <<< "$out" || fail "unclear error for $OTHER: $out"

# A QEMU outside the group: refused at connect(), with QEMU's own error.
set +e
out=$(as "$OTHER" timeout 20 qemu-system-x86_64 -nodefaults -no-user-config -display none -S \
      -machine pc,memory-backend=mem -m 64 -object memory-backend-memfd,id=mem,size=64M,share=on \
      -chardev "socket,id=c0,path=$WORK/run/vm1.sock" -netdev vhost-user,id=n0,chardev=c0 \
      -device virtio-net-pci,netdev=n0 2>&1)
rc=$?
set -e
[ "$rc" != 0 ] && [ "$rc" != 124 ] || fail "QEMU as $OTHER: exit $rc (expected a refusal): $out"
grep -q "Permission denied" <<< "$out" || fail "QEMU as $OTHER failed without 'Permission denied': $out"
log "PASS: QEMU outside $GROUP: $(head -1 <<< "$out")"
