// A datapath worker: one per configured core, a poll-mode loop over the ports
// the topology assigns it. Per round: receive a burst from each port, switch
// it (classify -> bulk FDB lookup -> learn/forward/flood; frames routed to a
// NAT gateway and bursts from an uplink go to its NatStage), drain packets
// other threads handed to it, flush transmit buffers (Exits), report an RCU
// quiescent state. No locks, no allocation, no syscalls except the idle
// back-off sleep (taken only when every port was empty for a while).
#pragma once

#include <cstdint>

#include "datapath_shared.hpp"
#include "exits.hpp"
#include "mac_cache.hpp"
#include "nat/nat_stage.hpp"
#include "overlay/overlay_stage.hpp"

struct rte_mbuf;

#ifndef VSW_CYCLE_STATS
#define VSW_CYCLE_STATS 0
#endif

namespace vsw {

// Whether the worker counts cycles per stage (meson -Dcycle_stats=true).
inline constexpr bool kCycleStats = VSW_CYCLE_STATS != 0;

class Worker {
public:
    Worker(DatapathShared& shared, uint16_t index);

    // The lcore entry point: loops until shared.stop is set.
    void run();

    // One round's steps, public so that unit tests can drive them directly.
    void process_burst(const Topology& topo, uint16_t in_port, rte_mbuf** pkts, uint16_t n,
                       uint64_t now_tsc);
    uint16_t drain_handoff(const Topology& topo) { return exits_.drain_handoff(topo); }
    uint16_t drain_nat_handoff(const Topology& topo, uint32_t now_s);
    void flush(const Topology& topo) { exits_.flush(topo); }
    unsigned expire_nat(const Topology& topo, uint32_t now_s, unsigned budget) {
        return nat_.expire(topo, now_s, budget);
    }

private:
    void drop(rte_mbuf* m, uint16_t port, DropReason reason) { exits_.drop(m, port, reason); }
    // false: the source is new to the port and the port's MAC budget is used up (drop the frame).
    // `in_port` may be a remote VTEP's FDB port (vtep_port()).
    bool learn(int32_t position, const FdbKey& key, uint16_t in_port, uint64_t now_tsc);
    // To every other port of `network` that is up, and with `to_remotes` a
    // copy to each of its remote VTEPs (an overlay network's local frames).
    void flood(const Topology& topo, uint16_t network, uint16_t in_port, rte_mbuf* m, bool to_remotes);
    // FDB positions of n keys (n <= kBurst). A burst from one guest mostly
    // repeats its MACs, so a key equal to the one before is not looked up
    // again; then the worker's MacCache answers what it can, and the rest go
    // to one bulk lookup (their positions fill the cache).
    void lookup_fdb(const FdbKey* keys, uint16_t n, int32_t* pos);
    // Frames to their destination MACs, each in its network (one bulk
    // lookup): what the NAT stage translated for guests. Empties `g`.
    void switch_to_guests(const Topology& topo, ToGuests& g);
    // Inner frames from remote VTEPs (received on uplink port `in_port`):
    // learned behind their VTEP, delivered to local ports only. Empties `r`.
    void switch_from_remotes(const Topology& topo, uint16_t in_port, FromRemotes& r, uint64_t now_tsc);
    void idle_backoff(uint32_t idle_rounds);

    DatapathShared& shared_;
    WorkerCounters& ctr_;
    const uint16_t index_;
    uint64_t learn_refresh_tsc_;  // how stale last_seen may get before a worker rewrites it
    uint64_t learn_repost_tsc_;   // how soon the same learn event may be posted again
    uint32_t now_s_ = 0;          // this round's clock in seconds (NAT timeouts)

    Exits exits_;
    NatStage nat_;
    OverlayStage overlay_;
    ToGuests to_guests_;
    FromRemotes from_remotes_;
    MacCache mac_cache_;

    struct RecentLearn {
        uint64_t key = 0;
        uint64_t tsc = 0;
    };
    RecentLearn recent_learns_[64];
};

}  // namespace vsw
