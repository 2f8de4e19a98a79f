#!/bin/bash
# switch.socket_group: the vhost-user sockets a QEMU that is not root can
# open (libvirt runs it as libvirt-qemu). With a group of the test's own, the
# run_dir becomes root:<group> 0751 (others may pass through to a path they
# know, not list it) and every server socket root:<group> 0660: an
# unprivileged process in the group connects, the same process without the
# group is refused (EACCES), and a group that does not exist is a config
# error at --check. (tests/e2e/unprivileged_qemu.sh boots real guests so.)
source "$(dirname "$0")/lib.sh"

GROUP="vswtg${UID_}"
groupadd --system "$GROUP"
CLEANUP_HOOKS+=("groupdel $GROUP")
chmod 0755 "$WORK"   # (mktemp makes it 0700) so that "nobody" can reach run_dir at all

{ switch_yaml; cat <<YAML
  socket_group: $GROUP
networks:
  l2: {mode: internal}
ports:
  vm1: {network: l2}
YAML
} > "$CONFIG"
start_vswd

gid=$(getent group "$GROUP" | cut -d: -f3)
[ "$(stat -c '%g %a' "$WORK/run")" = "$gid 751" ] || fail "run_dir: $(stat -c '%U:%G %a' "$WORK/run"), expected root:$GROUP 751"
[ "$(stat -c '%g %a' "$WORK/run/vm1.sock")" = "$gid 660" ] ||
    fail "vm1.sock: $(stat -c '%U:%G %a' "$WORK/run/vm1.sock"), expected root:$GROUP 660"

connect='import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
try:
    s.connect(sys.argv[1]); print("connected")
except OSError as e:
    print(e.strerror)'
as_member=$(setpriv --reuid=65534 --regid=65534 --groups="$gid" /usr/bin/python3 -c "$connect" "$WORK/run/vm1.sock")
[ "$as_member" = connected ] || fail "a member of $GROUP could not connect: $as_member"
as_other=$(setpriv --reuid=65534 --regid=65534 --clear-groups /usr/bin/python3 -c "$connect" "$WORK/run/vm1.sock")
[ "$as_other" = "Permission denied" ] || fail "a process outside $GROUP got: $as_other"
log "a member of $GROUP connects to vm1.sock; others get: $as_other"

sed "s/socket_group: $GROUP/socket_group: vsw-no-such-group/" "$CONFIG" > "$WORK/bad.yaml"
out=$("$VSWD" --check "$WORK/bad.yaml" 2>&1) && fail "--check accepted a group that does not exist"
grep -q "group 'vsw-no-such-group' does not exist" <<< "$out" || fail "unclear error: $out"
log "PASS: $out"
