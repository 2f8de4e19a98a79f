#!/bin/bash
# What `meson install` puts on a host, installed into a temp DESTDIR: vswd in
# sbin, vswctl, the XDP object, the systemd unit (it passes systemd-analyze
# verify), the default topology at <sysconfdir>/vsw/vsw.yaml (VirtualBox's
# host-only network; the installed vswd --check accepts it) and the
# examples. A second install keeps an admin's edited config. Then the
# installed vswd runs a small topology under a fake NOTIFY_SOCKET, as systemd
# would start it (Type=notify): READY=1 must arrive once its sockets are up,
# RELOADING=1 and READY=1 around a reload (SIGHUP, and vswctl reload: the unit's ExecReload), STOPPING=1 on SIGTERM;
# with JOURNAL_STREAM set (stderr is the journal) its lines carry syslog
# priorities ("<6>", "<4>") instead of timestamps.
set -euo pipefail
: "${VSWD:?}" "${BUILD_DIR:?}"
fail() { echo "FAIL: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || { echo "needs root"; exit 77; }

DEST=$(mktemp -d /tmp/vsw-install-XXXXXX)
PIDS=()
cleanup() {
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$DEST"
}
trap cleanup EXIT

meson install -C "$BUILD_DIR" --no-rebuild --quiet --destdir "$DEST" > "$DEST.log" 2>&1 ||
    { cat "$DEST.log"; fail "meson install failed"; }
rm -f "$DEST.log"
prefix=$(meson introspect "$BUILD_DIR" --buildoptions |
         python3 -c "import json,sys; print(next(o['value'] for o in json.load(sys.stdin) if o['name']=='prefix'))")
sysconf=$prefix/etc; [ "$prefix" = /usr ] && sysconf=/etc
root=$DEST$prefix
for f in sbin/vswd bin/vswctl lib/systemd/system/vswd.service share/vsw/vsw.yaml \
         share/doc/vsw/examples/nat.yaml share/doc/vsw/README.md; do
    [ -e "$root/$f" ] || fail "not installed: $prefix/$f"
done
ls "$root"/lib/*/vsw/vsw_uplink.bpf.o > /dev/null 2>&1 || fail "the XDP object is not installed"
config=$DEST$sysconf/vsw/vsw.yaml
[ -f "$config" ] || fail "no default topology at $sysconf/vsw/vsw.yaml"
"$root/sbin/vswd" --check "$config" --resolv-conf /dev/null | grep -q "OK (1 networks, 0 ports)" ||
    fail "the installed vswd does not accept the default topology"
grep -q "192.168.56.1" "$config" || fail "the default topology is not VirtualBox's host-only network"
echo "ok: installed files, default topology accepted"

# The unit, with its paths pointed into DESTDIR, passes systemd's own checks.
unit=$DEST/vswd.service
sed "s|$prefix/sbin/|$root/sbin/|g; s|$prefix/bin/|$root/bin/|g; s|$sysconf/|$DEST$sysconf/|g" "$root/lib/systemd/system/vswd.service" > "$unit"
grep -q "^Type=notify" "$unit" || fail "the unit is not Type=notify"
if out=$(systemd-analyze verify "$unit" 2>&1 | grep -v "sysinit.target\|/bin/kill"); [ -n "$out" ]; then
    fail "systemd-analyze verify: $out"
fi
echo "ok: systemd-analyze verify"

# An admin's edit survives a reinstall.
echo "# edited by the admin" >> "$config"
meson install -C "$BUILD_DIR" --no-rebuild --quiet --destdir "$DEST" > /dev/null 2>&1 || fail "second install failed"
grep -q "edited by the admin" "$config" || fail "a reinstall overwrote $sysconf/vsw/vsw.yaml"
echo "ok: a reinstall keeps the admin's config"

# Type=notify: the installed vswd under a fake systemd notify socket.
id=$$
cat > "$DEST/run.yaml" <<YAML
switch: {cores: [1], hugepages: off, run_dir: $DEST/run, state_dir: $DEST/state, file_prefix: vswinst$id, log_level: info}
networks:
  l2: {mode: internal}
ports:
  vm1: {network: l2}
YAML
python3 - "$DEST/notify.sock" > "$DEST/notify.log" <<'PY' &
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
s.settimeout(60)
while True:
    try:
        msg = s.recv(4096).decode()
    except socket.timeout:
        break
    print(msg.replace("\n", " ").strip(), flush=True)
    if "STOPPING=1" in msg:
        break
PY
PIDS+=($!)
for _ in $(seq 50); do [ -S "$DEST/notify.sock" ] && break; sleep 0.1; done
NOTIFY_SOCKET=$DEST/notify.sock JOURNAL_STREAM=8:12345 "$root/sbin/vswd" -c "$DEST/run.yaml" --resolv-conf /dev/null \
    > "$DEST/vswd.log" 2>&1 &
vswd_pid=$!
PIDS+=($vswd_pid)
wait_line() {
    for _ in $(seq 300); do grep -q "$1" "$DEST/notify.log" && return 0; sleep 0.1; done
    cat "$DEST/vswd.log"; fail "no '$1' from vswd on NOTIFY_SOCKET (got: $(cat "$DEST/notify.log"))"
}
wait_line "READY=1"
[ -S "$DEST/run/vswd.sock" ] || fail "READY=1 came before the control socket"
[ -S "$DEST/run/vm1.sock" ] || fail "READY=1 came before port vm1's vhost-user socket"
kill -HUP "$vswd_pid"
wait_line "RELOADING=1"
count() { grep -c "$1" "$DEST/notify.log" || true; }
for _ in $(seq 100); do [ "$(count READY=1)" -ge 2 ] && break; sleep 0.1; done
[ "$(count READY=1)" -ge 2 ] || fail "no READY=1 after the SIGHUP reload: $(cat "$DEST/notify.log")"
# The unit's ExecReload: vswctl reload, answered after RELOADING=1 + READY=1.
"$root/bin/vswctl" -s "$DEST/run/vswd.sock" reload > /dev/null || fail "vswctl reload failed"
for _ in $(seq 50); do [ "$(count READY=1)" -ge 3 ] && break; sleep 0.1; done
[ "$(count RELOADING=1)" = 2 ] && [ "$(count READY=1)" = 3 ] ||
    fail "vswctl reload: expected a second RELOADING=1 + READY=1, got: $(cat "$DEST/notify.log")"
kill -TERM "$vswd_pid"
wait_line "STOPPING=1"
wait "$vswd_pid" || fail "vswd exited non-zero on SIGTERM"
echo "ok: READY=1, RELOADING=1 + READY=1 on SIGHUP and vswctl reload, STOPPING=1 ($(tr '\n' ',' < "$DEST/notify.log"))"
grep -q "^<6>vswd ready: " "$DEST/vswd.log" || { cat "$DEST/vswd.log"; fail "no '<6>vswd ready' line for the journal"; }
grep -q "^<6>SIGHUP: reloading" "$DEST/vswd.log" || fail "no '<6>SIGHUP: reloading' line"
! grep -qE "^(<[0-7]>)?[0-9]{4}-[0-9]{2}-[0-9]{2} " "$DEST/vswd.log" || fail "timestamps in lines meant for the journal"
echo "ok: journal lines: $(grep -m1 "^<6>vswd ready" "$DEST/vswd.log")"
echo "PASS"
