#!/bin/bash
# Fuzzes vsw with libFuzzer (tests/fuzz, see tests/fuzz/README.md).
#
#   scripts/fuzz.sh [--seconds N] [--runs N] [target...]
#
# Configures (once) a clang build in build-fuzz/ with AddressSanitizer,
# UndefinedBehaviorSanitizer and libFuzzer's coverage instrumentation, builds
# only the fuzz targets, then runs each target in turn for N seconds (default
# 60; --runs stops a target earlier after that many inputs) on a copy of its
# seed corpus: new inputs go to build-fuzz/corpus/<target>, never into the
# committed tests/fuzz/corpus. Prints one line per target with the inputs it
# ran, and exits non-zero on any crash, leak, timeout or OOM, naming the
# reproducer (run `build-fuzz/tests/fuzz/<target> <file>` to replay it).
# As root on a fresh Debian 12 machine it installs the packages first.
set -euo pipefail
cd "$(dirname "$0")/.."

ALL_TARGETS=(fuzz_frame fuzz_l4 fuzz_nat_worker fuzz_dhcp fuzz_config fuzz_service_replies)
declare -A MAX_LEN=(
  [fuzz_frame]=512 [fuzz_l4]=1600 [fuzz_nat_worker]=8192
  [fuzz_dhcp]=4096 [fuzz_config]=8192 [fuzz_service_replies]=1600
)
BUILD=${VSW_FUZZ_BUILD:-build-fuzz}

usage() { sed -n '2,14s/^# \{0,1\}//p' "$0"; }
seconds=60
runs=""
targets=()
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) seconds=${2:?--seconds needs a number}; shift 2 ;;
    --runs) runs=${2:?--runs needs a number}; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    -*) echo "unknown option $1" >&2; usage >&2; exit 2 ;;
    *) targets+=("$1"); shift ;;
  esac
done
[ ${#targets[@]} -gt 0 ] || targets=("${ALL_TARGETS[@]}")
for t in "${targets[@]}"; do
  [ -n "${MAX_LEN[$t]:-}" ] || { echo "unknown target $t (targets: ${ALL_TARGETS[*]})" >&2; exit 2; }
done
[[ $seconds =~ ^[0-9]+$ && $seconds -gt 0 ]] || { echo "--seconds: a positive number" >&2; exit 2; }
[[ -z $runs || $runs =~ ^[0-9]+$ ]] || { echo "--runs: a number" >&2; exit 2; }

if [ "$(id -u)" = 0 ]; then
  scripts/install-deps.sh
fi
if ! command -v clang++ >/dev/null || [ -z "$(compgen -G '/usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a')" ]; then
  echo "clang++ and libFuzzer (Debian: clang, libclang-rt-14-dev) are needed; run as root to install them" >&2
  exit 1
fi

if [ ! -f "$BUILD/build.ninja" ]; then
  # plain + -O1: the sanitizers' usual level, and a quicker build than -O2;
  # line tables only (enough for symbolized stack traces); asserts on. -Werror
  # is left to the gcc build: clang 14's warnings differ.
  CXX=clang++ CC=clang meson setup "$BUILD" -Dfuzz=true --buildtype=plain -Db_ndebug=false -Dwerror=false \
    -Db_sanitize=address,undefined -Db_lundef=false \
    -Dcpp_args="-O1 -gline-tables-only -fno-omit-frame-pointer -fsanitize=fuzzer-no-link -fno-sanitize-recover=undefined"
fi
build_start=$SECONDS
ninja -C "$BUILD" -j2 "${targets[@]/#/tests/fuzz/}"
echo "== built in $((SECONDS - build_start)) s"

# A 32 MiB quarantine (default 256) doubles the rate of the allocation-heavy
# targets (config, dhcp) here and still catches a use after free of recent memory.
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:handle_abort=1:symbolize=1:quarantine_size_mb=32"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:abort_on_error=0"
command -v llvm-symbolizer >/dev/null && export ASAN_SYMBOLIZER_PATH="$(command -v llvm-symbolizer)"

failed=0
summary=()
for t in "${targets[@]}"; do
  corpus="$BUILD/corpus/$t"
  artifacts="$BUILD/artifacts/$t"
  log="$BUILD/fuzz-logs/$t.log"
  mkdir -p "$corpus" "$artifacts" "$(dirname "$log")"
  # The committed seeds are copied, never written to.
  if [ -d "tests/fuzz/corpus/$t" ]; then cp -n "tests/fuzz/corpus/$t"/* "$corpus"/ 2>/dev/null || true; fi
  args=(-max_len="${MAX_LEN[$t]}" -timeout=10 -rss_limit_mb=2048 -max_total_time="$seconds"
        -print_final_stats=1 -artifact_prefix="$artifacts/")
  [ -n "$runs" ] && args+=(-runs="$runs")
  [ -f "tests/fuzz/$t.dict" ] && args+=(-dict="tests/fuzz/$t.dict")
  echo "== $t: ${seconds} s${runs:+, at most $runs inputs} (log: $log)"
  set +e
  "$BUILD/tests/fuzz/$t" "${args[@]}" "$corpus" >"$log" 2>&1
  rc=$?
  set -e
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  cov=$( (grep -o 'cov: [0-9]*' "$log" || true) | tail -1 | cut -d' ' -f2)
  n_corpus=$(find "$corpus" -type f | wc -l)
  if [ "$rc" = 0 ]; then
    result="ok"
  else
    failed=1
    repro=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -1)
    kind=$(grep -m1 -oE 'ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer|UndefinedBehaviorSanitizer)[^(]*|runtime error:.*|invariant failed:.*|mbufs not back.*' "$log" || true)
    result="FAILED (exit $rc${kind:+: $kind})${repro:+, reproducer: $repro}"
    echo "---- last lines of $log:"
    tail -n 40 "$log"
    echo "----"
  fi
  summary+=("$(printf '%-22s %12s execs  %8s exec/s  cov %6s  corpus %6s  %s' "$t" "${execs:-?}" "${rate:-?}" "${cov:-?}" "$n_corpus" "$result")")
done
echo "== summary (${seconds} s per target; ${SECONDS} s in all)"
printf '%s\n' "${summary[@]}"
exit "$failed"
