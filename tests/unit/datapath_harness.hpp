// What a worker needs around it in a unit test (tests/unit/worker_test.cpp,
// overlay_test.cpp): an RCU variable, an FDB, the slow-path and learn rings
// in a DatapathShared, every port's link up. Each harness names its DPDK
// objects with a tag and a counter, so the tests of one program never clash.
#pragma once

#include <rte_cycles.h>
#include <rte_malloc.h>
#include <rte_rcu_qsbr.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>

#include <memory>
#include <string>

#include "datapath_shared.hpp"
#include "fdb.hpp"

namespace vsw::test {

class DatapathHarness {
public:
    // false: DPDK refused an object.
    bool init(const std::string& tag, unsigned threads) {
        static int n = 0;
        const std::string suffix = tag + std::to_string(++n);
        qsbr_ = static_cast<rte_rcu_qsbr*>(rte_zmalloc(nullptr, rte_rcu_qsbr_get_memsize(threads), 64));
        if (qsbr_ == nullptr || rte_rcu_qsbr_init(qsbr_, threads) != 0) return false;
        shared = std::make_unique<DatapathShared>();
        shared->qsbr = qsbr_;
        shared->tsc_hz = rte_get_tsc_hz();
        fdb = Fdb::create("fdb" + suffix, 1024, qsbr_);
        shared->fdb = fdb.get();
        shared->slow_path_ring = rte_ring_create(("sp" + suffix).c_str(), 64, 0, RING_F_SC_DEQ);
        shared->learn_ring = rte_ring_create_elem(("ln" + suffix).c_str(), sizeof(LearnEvent), 64, 0, RING_F_SC_DEQ);
        for (auto& l : shared->link_up) l.store(true);
        return fdb && shared->slow_path_ring != nullptr && shared->learn_ring != nullptr;
    }
    ~DatapathHarness() {
        if (shared) {
            rte_ring_free(shared->slow_path_ring);
            rte_ring_free(shared->learn_ring);
        }
        fdb.reset();
        rte_free(qsbr_);
    }

    // Applies the learn events the worker posted, as the control thread does.
    void apply_learning() {
        LearnEvent ev;
        while (rte_ring_sc_dequeue_elem(shared->learn_ring, &ev, sizeof ev) == 0) fdb->learn(ev.key, ev.port, rte_rdtsc());
    }

    std::unique_ptr<DatapathShared> shared;
    std::unique_ptr<Fdb> fdb;

private:
    rte_rcu_qsbr* qsbr_ = nullptr;
};

}  // namespace vsw::test
