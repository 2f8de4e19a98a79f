#!/bin/bash
# Installs the Debian 12 packages vsw needs to build, run and test (as root).
set -euo pipefail
PACKAGES=(
  # build
  build-essential meson ninja-build pkg-config
  libdpdk-dev dpdk dpdk-dev libyaml-cpp-dev libspdlog-dev libfmt-dev nlohmann-json3-dev
  libcli11-dev libexpected-dev libgtest-dev libbpf-dev libnuma-dev libpcap-dev libelf-dev zlib1g-dev
  libsystemd-dev systemd  # sd_notify (vswd.service is Type=notify); systemd.pc says where units go
  scdoc              # man pages (doc/man)
  debhelper lintian  # the Debian package (debian/, tests/e2e/package.sh)
  libbenchmark-dev   # perf/bench_datapath (cycles per packet of the worker stages)
  clang llvm   # vsw's XDP program for AF_XDP uplinks (datapath/xdp)
  libclang-rt-14-dev   # libFuzzer and the sanitizer runtimes for clang (scripts/fuzz.sh)
  # run and test: real guests under QEMU, namespaces, HTTP/ping from the "host"
  qemu-system-x86 busybox-static cpio iproute2 iputils-ping curl python3 procps dnsmasq-base ethtool
  nftables   # forwards on the host's 127.0.0.1 (vswd runs nft)
  frr        # EVPN for VXLAN overlays (tests/e2e/overlay_evpn.sh runs zebra and bgpd)
  libvirt-daemon-system libvirt-clients libvirt-daemon-driver-qemu   # tests/e2e/libvirt_guests.sh
  python3-prometheus-client prometheus  # tests/e2e/metrics.sh: the client's parser and promtool's linter
)
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# The guest launcher downloads Debian's cloud kernel with apt: it needs package lists.
if [ ${#missing[@]} -gt 0 ] || ! apt-cache show linux-image-cloud-amd64 >/dev/null 2>&1; then
  apt-get update -qq
fi
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
echo "dependencies: ok"
