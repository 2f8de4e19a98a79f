// What the control thread and every worker share: the published topology, the
// FDB, the rings between them, per-port link and MAC-budget flags, the NAT
// tables of each worker, and each worker's counters.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>

#include "counters.hpp"
#include "fdb.hpp"
#include "limits.hpp"
#include "topology.hpp"

struct rte_ring;
struct rte_rcu_qsbr;

namespace vsw {

namespace nat {
class FragmentTable;  // (the NAT tables come with topology.hpp)
}  // namespace nat

struct DatapathShared {
    std::atomic<const Topology*> topology{nullptr};
    rte_rcu_qsbr* qsbr = nullptr;
    Fdb* fdb = nullptr;
    rte_ring* slow_path_ring = nullptr;  // mbufs for the control thread (MP/SC)
    rte_ring* learn_ring = nullptr;      // LearnEvent elements (MP/SC)
    std::atomic<bool> stop{false};
    std::array<std::atomic<bool>, kMaxPorts> link_up{};  // written by the control thread
    // Set by the control thread when a port has used its MAC budget
    // (ports.X.max_macs, networks.X.max_macs): frames from source MACs the FDB
    // does not have on that port are dropped (mac_limit), not flooded.
    std::array<std::atomic<bool>, kMaxPorts> macs_full{};
    uint64_t tsc_hz = 1;
    unsigned idle_sleep_max_us = 200;
    // Each port's fair share of the control thread (DHCP, ARP and ping for
    // vsw's addresses): one port's storm cannot starve the others. The control
    // thread takes 32 frames a millisecond; 32 ports x 1000/s fit in that.
    uint32_t slow_path_rate = 1000;   // frames per second per port
    uint32_t slow_path_burst = 256;
    // NAT: each worker's own session table, and rings on which other workers
    // hand it the packets of sessions it owns (mbuf->port = receiving port).
    std::array<nat::NatTable*, kMaxWorkers> nat_tables{};
    std::array<nat::NatTable6*, kMaxWorkers> nat6_tables{};  // NAT66; null: IPv6 is not translated
    std::array<rte_ring*, kMaxWorkers> nat_out2in_rings{};
    std::array<rte_ring*, kMaxWorkers> nat_in2out_rings{};
    std::array<nat::FragmentTable*, kMaxWorkers> fragment_tables{};  // each worker's own
    std::array<WorkerCounters, kMaxWorkers> counters{};
};

}  // namespace vsw
