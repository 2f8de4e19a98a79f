// Per-worker statistics. Each counter has exactly one writer (its worker), so
// a relaxed load+store is enough; the control thread reads them relaxed and
// sums over workers. std::atomic keeps the cross-thread read well-defined at
// no cost on x86 (plain mov).
#pragma once

#include <atomic>
#include <cstdint>

#include "drop_reasons.hpp"
#include "limits.hpp"

namespace vsw {

class Counter {
public:
    void add(uint64_t n) { v_.store(v_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed); }
    uint64_t get() const { return v_.load(std::memory_order_relaxed); }
    void reset() { v_.store(0, std::memory_order_relaxed); }

private:
    std::atomic<uint64_t> v_{0};
};

struct PortCounters {
    Counter rx_packets, rx_bytes, tx_packets, tx_bytes;
    // Of rx_packets, those of each further queue (multi-queue ports); queue
    // 0's are the rest, so ordinary ports count nothing more.
    Counter rx_queue_packets[kMaxQueues];
    Counter to_slow_path;
    Counter drops[kDropReasonCount];
};

// TSC cycles per datapath stage, counted only in a build with
// -Dcycle_stats=true (see worker.hpp kCycleStats); `packets` is the divisor.
struct StageCycles {
    Counter rx, parse, lookup, forward, nat, tx, empty_poll;
    Counter packets;
};

// A VXLAN overlay network's traffic (networks.X.overlay): frames sent to
// remote VTEPs (copies of flooded frames included: `replicated` of them)
// and received from them. Its drops are counted on the ports (the guest's
// for encapsulation, the uplink's for decapsulation) by reason.
struct OverlayCounters {
    Counter encap_packets, encap_bytes, replicated;
    Counter decap_packets, decap_bytes;
};

struct alignas(64) WorkerCounters {
    PortCounters port[kMaxPorts];
    Counter rounds, idle_sleeps, busy_rounds;
    Counter learn_events, learn_ring_full;
    Counter nat_in2out, nat_out2in, nat_sessions_created, nat_sessions_expired, nat_handoffs;
    Counter nat_icmp_errors;   // ICMP errors translated (either way)
    Counter nat_fragments;     // later fragments translated (either way)
    StageCycles cycles;
    OverlayCounters overlay[kMaxNetworks];  // by network id
};

}  // namespace vsw
