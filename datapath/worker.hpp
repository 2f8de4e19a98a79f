// A datapath worker: one per configured core, a poll-mode loop over the ports
// the topology assigns it. Per round: receive a burst from each port, switch
// it (classify -> bulk FDB lookup -> learn/forward/flood), drain packets other
// threads handed to its ports, flush transmit buffers, report an RCU
// quiescent state. No locks, no allocation, no syscalls except the idle
// back-off sleep (taken only when every port was empty for a while).
#pragma once

#include <array>
#include <atomic>
#include <cstdint>

#include "counters.hpp"
#include "fdb.hpp"
#include "limits.hpp"
#include "nat/fragments.hpp"
#include "nat/l4.hpp"
#include "nat/nat_table.hpp"
#include "token_bucket.hpp"
#include "topology.hpp"

struct rte_mbuf;
struct rte_ring;
struct rte_rcu_qsbr;

#ifndef VSW_CYCLE_STATS
#define VSW_CYCLE_STATS 0
#endif

namespace vsw {

// Whether the worker counts cycles per stage (meson -Dcycle_stats=true).
inline constexpr bool kCycleStats = VSW_CYCLE_STATS != 0;

// State shared between the control thread and all workers.
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
    std::array<rte_ring*, kMaxWorkers> nat_out2in_rings{};
    std::array<rte_ring*, kMaxWorkers> nat_in2out_rings{};
    std::array<nat::FragmentTable*, kMaxWorkers> fragment_tables{};  // each worker's own
    std::array<WorkerCounters, kMaxWorkers> counters{};
};

class Worker {
public:
    Worker(DatapathShared& shared, uint16_t index);

    // The lcore entry point: loops until shared.stop is set.
    void run();

    // One round's steps, public so that unit tests can drive them directly.
    void process_burst(const Topology& topo, uint16_t in_port, rte_mbuf** pkts, uint16_t n,
                       uint64_t now_tsc);
    uint16_t drain_handoff(const Topology& topo);
    uint16_t drain_nat_handoff(const Topology& topo, uint32_t now_s);
    void flush(const Topology& topo);
    unsigned expire_nat(const Topology& topo, uint32_t now_s, unsigned budget);

private:
    struct TxBuffer {
        uint16_t n = 0;
        rte_mbuf* pkts[kBurst];
    };

    void drop(rte_mbuf* m, uint16_t port, DropReason reason);
    void to_slow_path(rte_mbuf* m, uint16_t in_port);  // within the port's slow-path share
    // false: the source is new to the port and the port's MAC budget is used up (drop the frame).
    bool learn(int32_t position, const FdbKey& key, uint16_t in_port, uint64_t now_tsc);
    void flood(const Topology& topo, const NetworkSlot& net, uint16_t in_port, rte_mbuf* m);
    void switch_to_mac(const Topology& topo, uint16_t network, const uint8_t* mac, rte_mbuf* m);
    // FDB positions of n keys (n <= kBurst). A burst from one guest mostly
    // repeats its MACs, so a key equal to the one before is not looked up
    // again; the rest go to one bulk lookup.
    void lookup_fdb(const FdbKey* keys, uint16_t n, int32_t* pos);
    // The same for n frames, each to its destination MAC in networks[i] (one bulk lookup).
    void switch_to_dst_macs(const Topology& topo, rte_mbuf** pkts, const uint16_t* networks, uint16_t n);

    // NAT stages (nat/nat_stage.cpp). A burst goes through them in three
    // steps: per-packet checks (prepare), one bulk session lookup for the
    // packets that passed, then the translation (finish).
    enum class NatStep : uint8_t {
        done,       // prepare consumed the packet (dropped, slow path, handed off)
        lookup,     // needs its session: batched
        in_order,   // fragments and ICMP errors: after the batch before it
    };
    struct InsidePending {            // guest -> uplink, between the steps
        rte_mbuf* m;
        nat::L4Parse parsed;
        nat::L4View v;
        nat::InsideKey key;
        uint32_t remote_ip;           // after DNS redirection
        bool hairpin;                 // to the uplink address: never leaves the switch
    };
    struct OutsidePending {           // uplink -> guest, between the steps
        rte_mbuf* m;
        nat::L4Parse parsed;
        nat::L4View v;
        nat::OutsideKey key;
    };
    void uplink_burst(const Topology& topo, uint16_t in_port, rte_mbuf** pkts, uint16_t n, uint32_t now_s);
    void nat_in2out_burst(const Topology& topo, uint16_t in_port, uint16_t network, rte_mbuf** pkts, uint16_t n,
                          uint32_t now_s);
    void nat_in2out(const Topology& topo, uint16_t in_port, uint16_t network, rte_mbuf* m, uint32_t now_s);
    NatStep nat_in2out_prepare(const Topology& topo, uint16_t in_port, uint16_t network, rte_mbuf* m,
                               InsidePending& p);
    void nat_in2out_lookup(const Topology& topo, uint16_t in_port, uint16_t network, InsidePending* pend,
                           uint16_t n, uint32_t now_s);
    void nat_in2out_in_order(const Topology& topo, uint16_t in_port, uint16_t network, InsidePending& p,
                             uint32_t now_s);
    void nat_in2out_finish(const Topology& topo, uint16_t in_port, uint16_t network, InsidePending& p,
                           nat::Session* s, uint32_t now_s);
    void nat_out2in(const Topology& topo, uint16_t in_port, uint8_t uplink, rte_mbuf* m, uint32_t now_s);
    NatStep nat_out2in_prepare(const Topology& topo, uint16_t in_port, uint8_t uplink, rte_mbuf* m,
                               OutsidePending& p, uint32_t now_s);
    void nat_out2in_lookup(const Topology& topo, uint16_t in_port, uint8_t uplink, OutsidePending* pend,
                           uint16_t n, uint32_t now_s);
    void nat_out2in_in_order(const Topology& topo, uint16_t in_port, uint8_t uplink, OutsidePending& p,
                             uint32_t now_s);
    // Returns the guest's network (the frame now addressed to the guest's
    // MAC: the caller switches it there), or kNoNetwork if it was consumed.
    uint16_t nat_out2in_finish(const Topology& topo, uint16_t in_port, uint8_t uplink, OutsidePending& p,
                               nat::Session* s, uint32_t now_s);
    void nat_icmp_error_out2in(const Topology& topo, uint16_t in_port, uint8_t uplink, rte_mbuf* m, nat::L4View& v);
    void nat_icmp_error_in2out(const Topology& topo, uint16_t in_port, uint16_t network, rte_mbuf* m,
                               nat::L4View& v);
    void nat_fragment_in2out(const Topology& topo, uint16_t in_port, uint16_t network, rte_mbuf* m,
                             nat::L4View& v, uint32_t now_s);
    void nat_fragment_out2in(const Topology& topo, uint16_t in_port, uint8_t uplink, rte_mbuf* m, nat::L4View& v,
                             uint32_t now_s);
    const nat::FragmentAction* later_fragment_action(const nat::FragmentKey& key, nat::L4View& v, uint16_t in_port,
                                                     rte_mbuf* m, const std::array<rte_ring*, kMaxWorkers>& rings,
                                                     uint32_t now_s);
    void note_fragment_handoff(const nat::L4View& v, const nat::FragmentKey& key, uint16_t owner, uint32_t now_s);
    bool hand_off(rte_ring* ring, uint16_t in_port, rte_mbuf* m);
    bool make_room(nat::NatTable& table, const Topology& topo, uint32_t now_s);
    void enqueue_tx(const Topology& topo, uint16_t port, rte_mbuf* m);
    void flush_port(const Topology& topo, uint16_t port);
    uint16_t transmit(uint16_t port, rte_mbuf** pkts, uint16_t n);
    void idle_backoff(uint32_t idle_rounds);

    DatapathShared& shared_;
    WorkerCounters& ctr_;
    const uint16_t index_;
    uint64_t learn_refresh_tsc_;  // how stale last_seen may get before a worker rewrites it
    uint64_t learn_repost_tsc_;   // how soon the same learn event may be posted again
    uint32_t now_s_ = 0;          // this round's clock in seconds (NAT timeouts)

    TxBuffer tx_[kMaxPorts];
    TokenBucket slow_path_share_[kMaxPorts];
    // The NAT stages' per-burst state (members, so a burst does not construct them).
    InsidePending in_pending_[kBurst];
    OutsidePending out_pending_[kBurst];
    uint16_t dirty_[kMaxPorts];   // ports whose TxBuffer is non-empty
    uint16_t n_dirty_ = 0;

    struct RecentLearn {
        uint64_t key = 0;
        uint64_t tsc = 0;
    };
    RecentLearn recent_learns_[64];
};

}  // namespace vsw
