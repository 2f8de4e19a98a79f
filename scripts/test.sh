#!/bin/bash
# The whole test suite, from a fresh Debian 12 machine (as root): installs the
# dependencies, builds, runs every test (unit, virtio-user end-to-end, real
# guests) and prints one summary line. Extra arguments go to `meson test`
# (e.g. --suite unit).
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "run as root (vhost-user, TAP, namespaces)"; exit 1; }
scripts/install-deps.sh
scripts/build.sh
set +e
meson test -C build --print-errorlogs --num-processes 2 "$@" | tee build/test-output.txt
rc=${PIPESTATUS[0]}
set -e
ok=$(sed -n 's/^Ok: *\([0-9]*\).*/\1/p' build/test-output.txt | tail -1)
failed=$(sed -n 's/^Fail: *\([0-9]*\).*/\1/p' build/test-output.txt | tail -1)
timeouts=$(sed -n 's/^Timeout: *\([0-9]*\).*/\1/p' build/test-output.txt | tail -1)
skipped=$(sed -n 's/^Skipped: *\([0-9]*\).*/\1/p' build/test-output.txt | tail -1)
echo "${ok:-0} passed, $(( ${failed:-0} + ${timeouts:-0} )) failed, ${skipped:-0} skipped"
exit "$rc"
