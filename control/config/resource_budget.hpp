// What a configuration costs in DPDK resources, computed before anything is
// started, so that `vswd --check` (and a reload) refuses a config that could
// not start instead of failing halfway through.
#pragma once

#include <cstdint>

#include "config.hpp"

namespace vsw {

// NAT sessions each worker's table holds: each worker keeps at most
// ceil(max_sessions / workers) of a network's sessions, summed over the NAT
// networks (at least 4096, at most 4 Mi). Fixed from start until restart.
uint32_t nat_capacity_per_worker(const Config& config);
// The same for NAT66 (the NAT networks with subnet6; fixed until restart
// too: a reload that adds IPv6 gets the minimum until then).
uint32_t nat6_capacity_per_worker(const Config& config);

// DPDK memory (MB) the switch allocates at start for `config`: the mbuf pool,
// the FDB and rings (measured: about 140 MB), the NAT tables (rte_hash rounds
// a table up to a power of two; about 176 bytes per entry for the three tables
// of a worker, measured with DPDK 22.11), and about 1 MB per port.
unsigned dpdk_memory_needed_mb(const Config& config);

}  // namespace vsw
