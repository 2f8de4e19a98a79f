#!/bin/bash
# The unit and end-to-end suites under AddressSanitizer + UndefinedBehavior-
# Sanitizer, with leak checking, from a fresh Debian 12 machine (as root):
#
#   scripts/sanitize.sh [--all] [meson test args]
#
# Installs the dependencies, configures (once) build-asan/ with gcc and
# -Db_sanitize=address,undefined, builds it and runs the `unit` and `e2e`
# suites; --all adds `guests` (real QEMU guests, about 5 more minutes).
# VSW_JOBS=N builds with N jobs (default 2).
# Other arguments go to `meson test` (a --suite of yours replaces the default
# selection, e.g. `--suite unit`; or name tests: `frontend`).
#
# Every sanitized process (the tests, and the vswd/vswctl they start) writes
# its ASan/LSan reports to build-asan/sanitizer-reports/report.<exe>.<pid>: a
# vswd child's report would otherwise be lost with its log, and a leak found
# when it exits fails no test. UBSan prints its finding on the process's
# stderr (gcc 12's runtime ignores log_path there) and aborts; its SUMMARY line
# still lands in a report file. Any report is a failure: the reports are
# printed and counted in the summary line. Suppressions (code that is not
# vsw's, each with its reason): tests/sanitizers/lsan.supp and ubsan.supp.
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "run as root (vhost-user, TAP, namespaces)"; exit 1; }

BUILD=build-asan
suites=(--suite unit --suite e2e)
args=()
for a in "$@"; do
  case "$a" in
    --all) suites+=(--suite guests) ;;
    *) args+=("$a") ;;
  esac
done
for a in "${args[@]}"; do
  case "$a" in --suite|--suite=*) suites=() ;; esac
done

scripts/install-deps.sh
if [ ! -f "$BUILD/build.ninja" ]; then
  # debugoptimized (-O2 -g): timing-sensitive tests stay close to the release
  # build. Frame pointers for ASan's stack unwinder. -Wno-maybe-uninitialized:
  # with the sanitizers gcc 12 reports false ones inside libstdc++'s <regex>
  # (tests/e2e), and -Werror stays on for everything else.
  meson setup "$BUILD" --buildtype=debugoptimized \
    -Db_sanitize=address,undefined -Db_lundef=false \
    -Dcpp_args="-fno-omit-frame-pointer -Wno-maybe-uninitialized"
fi
# Two compile jobs unless VSW_JOBS says otherwise: a sanitized compile of the
# larger files takes over 1 GB of memory.
build_start=$SECONDS
ninja -C "$BUILD" -j "${VSW_JOBS:-2}"
echo "== built in $((SECONDS - build_start)) s"

reports="$PWD/$BUILD/sanitizer-reports"
rm -rf "$reports"
mkdir -p "$reports"
# meson test passes these to the tests as they are (Debian 12's meson 1.0 sets
# no sanitizer options of its own; no test setup needed). Common flags (log_path,
# abort_on_error, ...) are read from all three variables, the last one
# (UBSAN_OPTIONS) winning: keep them the same.
common="log_path=$reports/report:log_exe_name=1:abort_on_error=1:print_summary=1"
# fast_unwind_on_malloc=0: DPDK, libbpf and libxdp have no frame pointers; the
# slow unwinder gives allocation stacks down to vsw's code, which the leak
# suppressions match on (little cost: the datapath allocates nothing per packet).
export ASAN_OPTIONS="$common:halt_on_error=1:detect_leaks=1:check_initialization_order=1:fast_unwind_on_malloc=0"
export LSAN_OPTIONS="$common:suppressions=$PWD/tests/sanitizers/lsan.supp"
# UBSan's checks stay recoverable in the build (no -fno-sanitize-recover):
# halt_on_error stops at the first finding that is not suppressed, whereas a
# non-recoverable check dies even when suppressed.
export UBSAN_OPTIONS="$common:halt_on_error=1:print_stacktrace=1:suppressions=$PWD/tests/sanitizers/ubsan.supp"

test_start=$SECONDS
set +e
# Sanitized code runs slower: double the tests' timeouts.
meson test -C "$BUILD" --print-errorlogs --num-processes 2 --timeout-multiplier 2 \
  "${suites[@]}" "${args[@]}" | tee "$BUILD/test-output.txt"
rc=${PIPESTATUS[0]}
set -e
echo "== tests ran in $((SECONDS - test_start)) s"

# A report file that only lists the suppressions used is not a finding.
findings=0
suppressed=()
for f in "$reports"/report.*; do
  [ -f "$f" ] || continue
  if grep -q "ERROR: \|SUMMARY: \|runtime error" "$f"; then
    findings=$((findings + 1))
    echo "===== sanitizer report $(basename "$f")"
    cat "$f"
  else
    suppressed+=("$(basename "$f")")
  fi
done
[ ${#suppressed[@]} = 0 ] || echo "suppressions used (tests/sanitizers/*.supp) in: ${suppressed[*]}"
ok=$(sed -n 's/^Ok: *\([0-9]*\).*/\1/p' "$BUILD/test-output.txt" | tail -1)
failed=$(sed -n 's/^Fail: *\([0-9]*\).*/\1/p' "$BUILD/test-output.txt" | tail -1)
timeouts=$(sed -n 's/^Timeout: *\([0-9]*\).*/\1/p' "$BUILD/test-output.txt" | tail -1)
skipped=$(sed -n 's/^Skipped: *\([0-9]*\).*/\1/p' "$BUILD/test-output.txt" | tail -1)
echo "${ok:-0} passed, $(( ${failed:-0} + ${timeouts:-0} )) failed, ${skipped:-0} skipped, $findings sanitizer reports"
[ "$findings" = 0 ] || [ "$rc" != 0 ] || rc=1
exit "$rc"
