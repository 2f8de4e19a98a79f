#include "exits.hpp"

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_ring.h>

namespace vsw {

Exits::Exits(DatapathShared& shared, uint16_t worker)
    : shared_(shared), ctr_(shared.counters[worker]), index_(worker) {
    for (auto& b : slow_path_share_) b = TokenBucket(shared.tsc_hz, shared.slow_path_rate, shared.slow_path_burst);
}

void Exits::to_slow_path(rte_mbuf* m, uint16_t in_port) {
    if (!slow_path_share_[in_port].take(rte_rdtsc())) {
        drop(m, in_port, DropReason::slow_path_rate);
        return;
    }
    m->port = in_port;
    if (rte_ring_mp_enqueue(shared_.slow_path_ring, m) != 0) {
        drop(m, in_port, DropReason::slow_path_full);
        return;
    }
    ctr_.port[in_port].to_slow_path.add(1);
}

// Sends on a port this worker owns; counts what went out and drops the rest.
uint16_t Exits::transmit(uint16_t port, rte_mbuf** pkts, uint16_t n) {
    uint64_t bytes = 0;
    for (uint16_t i = 0; i < n; ++i) bytes += rte_pktmbuf_pkt_len(pkts[i]);
    const uint16_t sent = rte_eth_tx_burst(port, 0, pkts, n);
    for (uint16_t i = sent; i < n; ++i) bytes -= rte_pktmbuf_pkt_len(pkts[i]);
    ctr_.port[port].tx_packets.add(sent);
    ctr_.port[port].tx_bytes.add(bytes);
    if (sent < n) {
        const DropReason why = shared_.link_up[port].load(std::memory_order_relaxed)
                                   ? DropReason::tx_full
                                   : DropReason::port_down;
        ctr_.port[port].drops[static_cast<unsigned>(why)].add(n - sent);
        rte_pktmbuf_free_bulk(pkts + sent, n - sent);
    }
    return sent;
}

void Exits::flush_port(const Topology& topo, uint16_t port) {
    TxBuffer& b = tx_[port];
    if (b.n == 0) return;
    const PortSlot& slot = topo.ports[port];
    if (slot.worker == index_ || slot.tx_ring == nullptr) {
        transmit(port, b.pkts, b.n);
    } else {
        // Another worker owns the port's only tx queue: hand the packets over.
        const unsigned queued =
            rte_ring_mp_enqueue_burst(slot.tx_ring, reinterpret_cast<void**>(b.pkts), b.n, nullptr);
        if (queued < b.n) {
            ctr_.port[port].drops[static_cast<unsigned>(DropReason::tx_full)].add(b.n - queued);
            rte_pktmbuf_free_bulk(b.pkts + queued, b.n - queued);
        }
    }
    b.n = 0;
}

void Exits::flush(const Topology& topo) {
    for (uint16_t k = 0; k < n_dirty_; ++k) flush_port(topo, dirty_[k]);
    n_dirty_ = 0;
}

uint16_t Exits::drain_handoff(const Topology& topo) {
    uint16_t total = 0;
    const WorkerSlot& mine = topo.workers[index_];
    for (uint16_t k = 0; k < mine.n_ports; ++k) {
        const uint16_t port = mine.ports[k];
        rte_ring* ring = topo.ports[port].tx_ring;
        if (ring == nullptr) continue;
        rte_mbuf* pkts[kBurst];
        const unsigned n = rte_ring_sc_dequeue_burst(ring, reinterpret_cast<void**>(pkts), kBurst, nullptr);
        if (n > 0) transmit(port, pkts, static_cast<uint16_t>(n));
        total = static_cast<uint16_t>(total + n);
    }
    return total;
}

}  // namespace vsw
