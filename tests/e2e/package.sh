#!/bin/bash
# The Debian package, as an admin gets it: dpkg-buildpackage -us -uc -b on a
# copy of the source tree builds vsw_<version>_amd64.deb; lintian finds no
# errors in it; its Depends name the DPDK drivers vswd loads as plugins. Then
# dpkg -i installs it, the installed vswd --check accepts the default
# /etc/vsw/vsw.yaml, the installed vswd runs a topology that vswctl shows,
# and dpkg --purge leaves none of the package's files behind (the lease
# directory /var/lib/vsw included). Slow (a build of its own): suite
# "package".
set -euo pipefail
: "${SOURCE_ROOT:?}"
fail() { echo "FAIL: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || { echo "needs root"; exit 77; }
if dpkg-query -W -f='${Status}' vsw 2>/dev/null | grep -q "ok installed"; then
    echo "SKIP: a vsw package is installed on this machine; the test installs and purges its own"
    exit 77
fi

WORK=$(mktemp -d /tmp/vsw-package-XXXXXX)
chmod 0755 "$WORK"
VSWD_PID=""
INSTALLED=0
cleanup() {
    [ -n "$VSWD_PID" ] && kill "$VSWD_PID" 2>/dev/null && wait "$VSWD_PID" 2>/dev/null
    [ "$INSTALLED" = 1 ] && dpkg --purge vsw > /dev/null 2>&1
    rm -rf "$WORK"
}
trap cleanup EXIT

# The source as committed plus what is not ignored (a work in progress too).
mkdir "$WORK/vsw"
if git -C "$SOURCE_ROOT" rev-parse --git-dir > /dev/null 2>&1; then
    git -C "$SOURCE_ROOT" ls-files -co --exclude-standard -z | tar -C "$SOURCE_ROOT" --null -T - -cf - | tar -C "$WORK/vsw" -xf -
else
    tar -C "$SOURCE_ROOT" --exclude='./build*' --exclude='./obj-*' -cf - . | tar -C "$WORK/vsw" -xf -
fi
version=$(sed -n '1s/^vsw (\([^)]*\)).*/\1/p' "$SOURCE_ROOT/debian/changelog")
start=$(date +%s)
(cd "$WORK/vsw" && dpkg-buildpackage -us -uc -b) > "$WORK/build.log" 2>&1 ||
    { tail -60 "$WORK/build.log"; fail "dpkg-buildpackage failed"; }
deb=$WORK/vsw_${version}_amd64.deb
[ -f "$deb" ] || { ls "$WORK"; fail "no $deb"; }
echo "ok: built $(basename "$deb") in $(( $(date +%s) - start )) s"

lintian --fail-on error --no-tag-display-limit "$deb" > "$WORK/lintian.log" 2>&1 ||
    { cat "$WORK/lintian.log"; fail "lintian reports errors"; }
echo "ok: lintian, no errors ($(grep -c '^W:' "$WORK/lintian.log" || true) warnings)"
depends=$(dpkg-deb -f "$deb" Depends)
for d in librte-net-vhost23 librte-net-tap23 librte-net-af-xdp23 librte-mempool-ring23 libyaml-cpp0.7 libsystemd0; do
    grep -q "$d" <<< "$depends" || fail "Depends lacks $d: $depends"
done
echo "ok: Depends: $depends"

# Files of ours an admin may have made: purge must remove them too.
state_was_there=0
[ -e /var/lib/vsw ] && state_was_there=1
dpkg -i "$deb" > "$WORK/install.log" 2>&1 || { cat "$WORK/install.log"; fail "dpkg -i failed"; }
INSTALLED=1
dpkg -L vsw > "$WORK/files"
for f in /usr/sbin/vswd /usr/bin/vswctl /etc/vsw/vsw.yaml /lib/systemd/system/vswd.service \
         /usr/share/man/man8/vswd.8.gz /usr/share/man/man8/vswctl.8.gz /usr/share/man/man5/vsw.yaml.5.gz \
         /usr/lib/x86_64-linux-gnu/vsw/vsw_uplink.bpf.o; do
    grep -qx "$f" "$WORK/files" || fail "the package lacks $f"
done
grep -qx /etc/vsw/vsw.yaml <(dpkg-query -W -f='${Conffiles}' vsw | awk '{print $1}') ||
    fail "/etc/vsw/vsw.yaml is not a conffile (an upgrade would overwrite the admin's)"
/usr/sbin/vswd --check /etc/vsw/vsw.yaml --resolv-conf /dev/null > "$WORK/check.log" 2>&1 ||
    { cat "$WORK/check.log"; fail "the installed vswd --check rejects /etc/vsw/vsw.yaml"; }
/usr/sbin/vswd --version | grep -q "$version" || fail "vswd --version does not say $version"
echo "ok: installed; vswd --check /etc/vsw/vsw.yaml: $(tail -1 "$WORK/check.log")"

# The installed vswd with a topology of the test's (its own run_dir, DPDK
# prefix and CPU 1, so nothing clashes with a system vswd).
cat > "$WORK/vsw.yaml" <<YAML
switch: {cores: [1], hugepages: off, run_dir: $WORK/run, state_dir: $WORK/state, file_prefix: vswpkg$$}
networks:
  l2: {mode: internal}
ports:
  vm1: {network: l2}
YAML
/usr/sbin/vswd -c "$WORK/vsw.yaml" --resolv-conf /dev/null > "$WORK/vswd.log" 2>&1 &
VSWD_PID=$!
for _ in $(seq 150); do [ -S "$WORK/run/vswd.sock" ] && break; sleep 0.1; done
out=$(/usr/bin/vswctl -s "$WORK/run/vswd.sock" show 2>&1) || { cat "$WORK/vswd.log"; fail "vswctl show: $out"; }
grep -q "vm1" <<< "$out" || fail "vswctl show does not list port vm1: $out"
[ -S "$WORK/run/vm1.sock" ] || fail "no vhost-user socket for vm1"
kill "$VSWD_PID"
wait "$VSWD_PID" || fail "the installed vswd exited non-zero on SIGTERM"
VSWD_PID=""
echo "ok: the installed vswd ran a topology; vswctl show lists its port"

[ "$state_was_there" = 0 ] && mkdir -p /var/lib/vsw && echo '{}' > /var/lib/vsw/leases-test.json
dpkg --purge vsw > "$WORK/purge.log" 2>&1 || { cat "$WORK/purge.log"; fail "dpkg --purge failed"; }
INSTALLED=0
left=()
while read -r f; do
    [ -e "$f" ] && [ ! -d "$f" ] && left+=("$f")
done < "$WORK/files"
for d in /etc/vsw /usr/share/doc/vsw /usr/lib/x86_64-linux-gnu/vsw; do [ -e "$d" ] && left+=("$d"); done
[ "$state_was_there" = 0 ] && [ -e /var/lib/vsw ] && left+=(/var/lib/vsw)
[ ${#left[@]} = 0 ] || fail "left behind after purge: ${left[*]}"
echo "ok: dpkg --purge left nothing of ours"
echo PASS
