// Where a packet leaves a worker's stages: a port's transmit buffer, a drop
// (counted by reason), or the control thread's slow-path ring. One per
// worker; the switching stage (Worker) and the NAT stage (nat/nat_stage.hpp)
// both hand their packets to it, so neither needs the other to send.
#pragma once

#include <rte_mbuf.h>

#include <cstdint>

#include "datapath_shared.hpp"
#include "token_bucket.hpp"

namespace vsw {

class Exits {
public:
    Exits(DatapathShared& shared, uint16_t worker);

    void drop(rte_mbuf* m, uint16_t port, DropReason reason) {
        ctr_.port[port].drops[static_cast<unsigned>(reason)].add(1);
        rte_pktmbuf_free(m);
    }

    // A drop of a packet the caller still holds (a copy that was not made).
    void count_drop(uint16_t port, DropReason reason) {
        ctr_.port[port].drops[static_cast<unsigned>(reason)].add(1);
    }

    // To the control thread, within the receiving port's share of it.
    void to_slow_path(rte_mbuf* m, uint16_t in_port);

    // Buffers a frame for `port`; a full buffer is sent at once, the rest by flush().
    void enqueue_tx(const Topology& topo, uint16_t port, rte_mbuf* m) {
        TxBuffer& b = tx_[port];
        if (b.n == 0) dirty_[n_dirty_++] = port;
        b.pkts[b.n++] = m;
        if (b.n == kBurst) flush_port(topo, port);
    }

    // Sends every buffered frame (once per round).
    void flush(const Topology& topo);

    // Sends what other workers queued for the ports this worker owns.
    uint16_t drain_handoff(const Topology& topo);

private:
    struct TxBuffer {
        uint16_t n = 0;
        rte_mbuf* pkts[kBurst];
    };

    void flush_port(const Topology& topo, uint16_t port);
    uint16_t transmit(uint16_t port, rte_mbuf** pkts, uint16_t n);

    DatapathShared& shared_;
    WorkerCounters& ctr_;
    const uint16_t index_;
    TxBuffer tx_[kMaxPorts];
    uint16_t dirty_[kMaxPorts];   // ports whose TxBuffer is non-empty
    uint16_t n_dirty_ = 0;
    TokenBucket slow_path_share_[kMaxPorts];
};

}  // namespace vsw
