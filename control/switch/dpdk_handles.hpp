// Owning, move-only handles for the DPDK objects the control plane creates,
// so that each is freed exactly once, when its owner goes:
//   MbufRing   a ring of mbufs (tx, slow-path, NAT handoff rings): the mbufs
//              still in it are freed first, then the ring;
//   Ring       a ring of plain elements (the learn ring);
//   Mempool    the mbuf pool (free it last: rings and ports hold its mbufs);
//   Qsbr       the RCU variable (rte_zmalloc'ed).
// The datapath keeps plain pointers to them (DatapathShared, Topology): the
// control plane unpublishes an object before its handle goes.
#pragma once

#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_rcu_qsbr.h>
#include <rte_ring.h>

#include <memory>

namespace vsw {

struct MbufRingDeleter {
    void operator()(rte_ring* r) const {
        rte_mbuf* m;
        while (rte_ring_dequeue(r, reinterpret_cast<void**>(&m)) == 0) rte_pktmbuf_free(m);
        rte_ring_free(r);
    }
};
struct RingDeleter {
    void operator()(rte_ring* r) const { rte_ring_free(r); }
};
struct MempoolDeleter {
    void operator()(rte_mempool* p) const { rte_mempool_free(p); }
};
struct QsbrDeleter {
    void operator()(rte_rcu_qsbr* q) const { rte_free(q); }
};

using MbufRing = std::unique_ptr<rte_ring, MbufRingDeleter>;
using Ring = std::unique_ptr<rte_ring, RingDeleter>;
using Mempool = std::unique_ptr<rte_mempool, MempoolDeleter>;
using Qsbr = std::unique_ptr<rte_rcu_qsbr, QsbrDeleter>;

}  // namespace vsw
