#!/bin/bash
# vswd and vswctl follow the usual command-line conventions: --version and
# --help exit 0, a usage error exits 2 with one line and a hint (never
# CLI11's own codes), vswctl exits 1 when vswd cannot be reached, and
# vswd --help describes every network mode. Needs no root and no DPDK.
set -uo pipefail
: "${VSWD:?}" "${VSWCTL:?}"
fail() { echo "FAIL: $*" >&2; exit 1; }

expect() {  # expect CODE PATTERN -- command...: exit status and a line of its output
    local code=$1 pattern=$2; shift 3
    local out rc
    out=$("$@" 2>&1); rc=$?
    [ "$rc" = "$code" ] || fail "'$*' exited $rc, not $code: $out"
    echo "$out" | grep -qE -- "$pattern" || fail "'$*' printed no line matching '$pattern': $out"
    echo "ok: $* -> $rc"
}

version=$(sed -n "s/^  version: '\(.*\)',/\1/p" "$(dirname "$0")/../../meson.build")
[ -n "$version" ] || fail "no version in meson.build"
expect 0 "^vswd $version\$" -- "$VSWD" --version
expect 0 "^vswctl $version\$" -- "$VSWCTL" --version
expect 0 "host-only" -- "$VSWD" --help
expect 0 "internal" -- "$VSWD" --help
expect 0 "nat  " -- "$VSWD" --help
expect 0 "nat-network  " -- "$VSWD" --help
expect 0 "Exit status" -- "$VSWCTL" --help
expect 2 "^vswctl: A subcommand is required" -- "$VSWCTL"
expect 2 "Run 'vswctl --help' for usage" -- "$VSWCTL" frobnicate
expect 2 "Run 'vswd --help' for usage" -- "$VSWD" --no-such-option
expect 2 "log-level: loud not in" -- "$VSWD" --log-level loud
expect 2 "limit" -- "$VSWCTL" sessions --limit 0
expect 2 "proto" -- "$VSWCTL" sessions --proto sctp
expect 1 "cannot connect to /nonexistent/vswd.sock" -- "$VSWCTL" -s /nonexistent/vswd.sock show
expect 1 "No such file|cannot" -- "$VSWD" --check /nonexistent/vsw.yaml
# A valid file with a likely mistake: exit 0, and the warning says what.
tmp=$(mktemp /tmp/vsw-cli-XXXXXX.yaml)
trap 'rm -f "$tmp"' EXIT
printf 'uplinks:\n  wan: {device: net_tap9, address: 203.0.113.10/24, gateway: 203.0.113.1}\n%s\n%s\n' \
    'networks: {n: {mode: nat, uplink: wan, dhcp: false}}' 'ports: {vm1: {network: n}}' > "$tmp"
expect 0 "warning: networks.n: NAT without DHCP" -- "$VSWD" --check "$tmp" --resolv-conf /dev/null
# The example in vsw.yaml(5) is a valid file.
sed -n '/^# EXAMPLE/,/^# FILES/p' "$(dirname "$0")/../../doc/man/vsw.yaml.5.scd" | sed -n '/^```$/,/^```$/p' |
    sed '/^```$/d' > "$tmp"
grep -q "networks:" "$tmp" || fail "no example found in doc/man/vsw.yaml.5.scd"
expect 0 "OK \(2 networks, 2 ports\)" -- "$VSWD" --check "$tmp" --resolv-conf /dev/null
# A usage error is one line and the hint, not CLI11's help dump.
lines=$("$VSWD" --no-such-option 2>&1 | wc -l)
[ "$lines" = 2 ] || fail "a usage error printed $lines lines"
echo PASS
