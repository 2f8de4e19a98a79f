#!/bin/bash
# Configures (once) and builds vsw into ./build.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f build/build.ninja ] || meson setup build --buildtype=release
ninja -C build
