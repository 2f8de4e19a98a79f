// The worker's switching logic on synthetic mbufs. Ports are net_ring
// devices (rte_eth_from_rings): what the worker transmits lands on a ring the
// test reads back. EAL runs with --no-huge and a unique file prefix.
#include <gtest/gtest.h>

#include <rte_eal.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_rcu_qsbr.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>

#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "datapath_harness.hpp"
#include "eal_test_main.hpp"
#include "worker.hpp"

using namespace vsw;

namespace {

constexpr uint16_t kPorts = 4;  // 0,1,2 in network 0 (2 has a pinned MAC); 3 in network 1

rte_mempool* g_pool = nullptr;
rte_ring* g_tx_rings[kPorts];   // what each port transmitted
uint16_t g_port_ids[kPorts];

const uint8_t kMac[kPorts][6] = {{0x52, 0x54, 0, 0, 0, 0x10}, {0x52, 0x54, 0, 0, 0, 0x11},
                                 {0x52, 0x54, 0, 0, 0, 0x12}, {0x52, 0x54, 0, 0, 0, 0x13}};
const uint8_t kBcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

class WorkerTest : public ::testing::Test {
protected:
    void SetUp() override {
        ASSERT_TRUE(h_.init("w", 2));
        shared_ = h_.shared.get();
        fdb_ = h_.fdb.get();
        static int n = 0;
        handoff_ = rte_ring_create(("ho" + std::to_string(++n)).c_str(), 64, 0, RING_F_SC_DEQ);

        topo_ = std::make_unique<Topology>();
        for (uint16_t i = 0; i < kPorts; ++i) {
            const uint16_t p = g_port_ids[i];
            PortSlot& ps = topo_->ports[p];
            ps.active = true;
            ps.network = i < 3 ? 0 : 1;
            ps.worker = 0;
            NetworkSlot& ns = topo_->networks[ps.network];
            ns.active = true;
            ns.ports[ns.n_ports++] = p;
        }
        PortSlot& pinned = topo_->ports[g_port_ids[2]];
        pinned.mac_pinned = true;
        std::memcpy(pinned.pinned_mac.bytes.data(), kMac[2], 6);
        worker_ = std::make_unique<Worker>(*shared_, 0);
        drain_all();
    }

    void TearDown() override {
        drain_all();
        worker_.reset();
        rte_ring_free(handoff_);
    }

    static rte_mbuf* frame(const uint8_t* dst, const uint8_t* src, uint16_t len = 64) {
        rte_mbuf* m = rte_pktmbuf_alloc(g_pool);
        char* p = m != nullptr ? rte_pktmbuf_append(m, len) : nullptr;
        if (p == nullptr) std::abort();  // the pool is sized for every test
        std::memset(p, 0, len);
        if (len >= 6) std::memcpy(p, dst, 6);
        if (len >= 12) std::memcpy(p + 6, src, 6);
        if (len >= 14) p[12] = 0x08;
        return m;
    }

    // Receives `m` on test port `in` as the worker would, then flushes.
    void rx(uint16_t in, rte_mbuf* m) {
        worker_->process_burst(*topo_, g_port_ids[in], &m, 1, rte_rdtsc());
        worker_->flush(*topo_);
    }

    // Applies the learn events the worker posted, as the control thread does.
    void apply_learning() { h_.apply_learning(); }

    // How many frames test port `i` transmitted (and frees them).
    static unsigned sent_on(uint16_t i) {
        unsigned n = 0;
        rte_mbuf* m;
        while (rte_ring_dequeue(g_tx_rings[i], reinterpret_cast<void**>(&m)) == 0) {
            rte_pktmbuf_free(m);
            ++n;
        }
        return n;
    }
    static void drain_all() {
        for (uint16_t i = 0; i < kPorts; ++i) sent_on(i);
    }
    uint64_t drops(uint16_t i, DropReason r) const {
        return shared_->counters[0].port[g_port_ids[i]].drops[static_cast<unsigned>(r)].get();
    }

    vsw::test::DatapathHarness h_;
    DatapathShared* shared_ = nullptr;
    Fdb* fdb_ = nullptr;
    std::unique_ptr<Topology> topo_;
    std::unique_ptr<Worker> worker_;
    rte_ring* handoff_ = nullptr;
};

TEST_F(WorkerTest, BroadcastFloodsWithinTheNetworkOnly) {
    const unsigned free_before = rte_mempool_avail_count(g_pool);
    rx(0, frame(kBcast, kMac[0]));
    EXPECT_EQ(sent_on(0), 0u);
    EXPECT_EQ(sent_on(1), 1u);
    EXPECT_EQ(sent_on(2), 1u);
    EXPECT_EQ(sent_on(3), 0u);
    // The shared mbuf went back to the pool once every copy was freed.
    EXPECT_EQ(rte_mempool_avail_count(g_pool), free_before);
}

TEST_F(WorkerTest, LearnsThenForwardsUnicastToOnePort) {
    rx(0, frame(kMac[1], kMac[0]));  // unknown destination: flood
    EXPECT_EQ(sent_on(1), 1u);
    EXPECT_EQ(sent_on(2), 1u);
    rx(1, frame(kMac[0], kMac[1]));  // port 0's MAC is not learned until the control thread runs
    apply_learning();
    EXPECT_EQ(fdb_->size(), 2u);
    drain_all();
    rx(0, frame(kMac[1], kMac[0]));
    EXPECT_EQ(sent_on(1), 1u);
    EXPECT_EQ(sent_on(2), 0u);
    EXPECT_EQ(shared_->counters[0].port[g_port_ids[1]].tx_packets.get(), 2u);
}

// The worker's MacCache remembers where kMac[1] is; once the FDB deletes it
// (aging, a port gone), the cached position is not trusted any more: the
// frame floods, it is not sent to the port the MAC was on.
TEST_F(WorkerTest, AForgottenMacIsNotForwardedFromTheCache) {
    rx(1, frame(kMac[0], kMac[1]));
    apply_learning();
    drain_all();
    rx(0, frame(kMac[1], kMac[0]));  // a miss: the bulk lookup, then cached
    rx(0, frame(kMac[1], kMac[0]));  // a hit
    EXPECT_EQ(sent_on(1), 2u);
    EXPECT_EQ(sent_on(2), 0u);
    const uint32_t generation = fdb_->generation();
    EXPECT_EQ(fdb_->remove_if([&](const FdbKey& k, uint16_t) { return k.mac[5] == kMac[1][5]; }), 1u);
    EXPECT_NE(fdb_->generation(), generation);
    rx(0, frame(kMac[1], kMac[0]));
    EXPECT_EQ(sent_on(1), 1u);
    EXPECT_EQ(sent_on(2), 1u) << "flooded: the MAC is unknown again";
}

TEST(FdbKey, FromAFrameEqualsTheByteWiseKey) {
    const uint8_t frame[14] = {1, 2, 3, 4, 5, 6, 0x52, 0x54, 0, 0xab, 0xcd, 0xef, 0x08, 0x00};
    for (uint16_t network : {0, 7, 0xfffe}) {
        for (size_t off : {0, 6}) {
            const FdbKey a = frame_fdb_key(frame + off, network), b = make_fdb_key(frame + off, network);
            EXPECT_EQ(std::memcmp(&a, &b, sizeof a), 0) << "network " << network << " offset " << off;
        }
    }
}

TEST(MacCache, HitsOnlyUnderTheGenerationItWasFilledIn) {
    MacCache c;
    const FdbKey k = make_fdb_key(kMac[3], 7), zero{};
    EXPECT_EQ(c.find(k, 1), -1);
    EXPECT_EQ(c.find(zero, 1), -1) << "an empty slot matches no key, not even all-zero";
    c.insert(k, 42, 1);
    EXPECT_EQ(c.find(k, 1), 42);
    EXPECT_EQ(c.find(k, 2), -1);
    FdbKey other = k;
    other.network = 8;
    EXPECT_EQ(c.find(other, 1), -1);
}

// A port whose MAC budget is used (the control thread set macs_full) keeps
// forwarding for the MACs it has, and drops frames from new ones instead of
// flooding them: nothing reaches the other ports, nothing is posted to learn.
TEST_F(WorkerTest, PortWithFullMacBudgetDropsNewSourcesOnly) {
    rx(0, frame(kBcast, kMac[0]));
    apply_learning();
    drain_all();
    shared_->macs_full[g_port_ids[0]].store(true);
    const uint8_t stranger[6] = {0x52, 0x54, 0, 0, 0x77, 0x01};
    rx(0, frame(kBcast, stranger));
    EXPECT_EQ(drops(0, DropReason::mac_limit), 1u);
    EXPECT_EQ(sent_on(1) + sent_on(2) + sent_on(3), 0u);
    EXPECT_EQ(rte_ring_count(shared_->learn_ring), 0u);
    rx(0, frame(kBcast, kMac[0]));  // the known MAC still floods as before
    EXPECT_EQ(sent_on(1), 1u);
    EXPECT_EQ(sent_on(2), 1u);
    EXPECT_EQ(drops(0, DropReason::mac_limit), 1u);
    // A MAC learned on another port, now sending from this one, is new here too.
    rx(1, frame(kBcast, kMac[1]));
    apply_learning();
    drain_all();
    rx(0, frame(kBcast, kMac[1]));
    EXPECT_EQ(drops(0, DropReason::mac_limit), 2u);
    shared_->macs_full[g_port_ids[0]].store(false);
}

TEST_F(WorkerTest, DropsWithNamedReasons) {
    rx(0, frame(kMac[1], kMac[0], 13));
    EXPECT_EQ(drops(0, DropReason::runt), 1u);
    rx(0, frame(kMac[1], kBcast));
    EXPECT_EQ(drops(0, DropReason::bad_src_mac), 1u);
    rx(2, frame(kBcast, kMac[0]));  // port 2 is pinned to kMac[2]
    EXPECT_EQ(drops(2, DropReason::spoofed_src_mac), 1u);
    rx(2, frame(kBcast, kMac[2]));  // its own MAC passes
    EXPECT_EQ(drops(2, DropReason::spoofed_src_mac), 1u);
    rx(3, frame(kBcast, kMac[3]));  // alone in network 1
    EXPECT_EQ(drops(3, DropReason::no_destination), 1u);
    // Port 0 learned on port 0; a frame to it arriving on port 0 goes nowhere.
    rx(0, frame(kBcast, kMac[0]));
    apply_learning();
    drain_all();
    rx(0, frame(kMac[0], kMac[1]));
    EXPECT_EQ(drops(0, DropReason::same_port), 1u);
    EXPECT_EQ(sent_on(1) + sent_on(2) + sent_on(3), 0u);
}

TEST_F(WorkerTest, InactivePortAndDownPorts) {
    topo_->ports[g_port_ids[1]].active = false;
    rx(1, frame(kBcast, kMac[1]));
    EXPECT_EQ(drops(1, DropReason::no_network), 1u);
    topo_->ports[g_port_ids[1]].active = true;
    shared_->link_up[g_port_ids[2]].store(false);
    rx(0, frame(kBcast, kMac[0]));  // the flood skips the port that is down
    EXPECT_EQ(sent_on(1), 1u);
    EXPECT_EQ(sent_on(2), 0u);
}

TEST_F(WorkerTest, ServiceFramesGoToTheSlowPath) {
    ServiceAddresses& svc = topo_->networks[0].services;
    svc.enabled = true;
    svc.dhcp = true;
    svc.mac = Mac{{0x02, 0x76, 0x73, 0, 0, 1}};
    rx(0, frame(svc.mac.bytes.data(), kMac[0]));
    EXPECT_EQ(rte_ring_count(shared_->slow_path_ring), 1u);
    EXPECT_EQ(sent_on(1) + sent_on(2), 0u);
    rte_mbuf* m = nullptr;
    ASSERT_EQ(rte_ring_dequeue(shared_->slow_path_ring, reinterpret_cast<void**>(&m)), 0);
    EXPECT_EQ(m->port, g_port_ids[0]);
    rte_pktmbuf_free(m);
    // A spoofed frame to the service is dropped before it reaches the slow path.
    rx(2, frame(svc.mac.bytes.data(), kMac[0]));
    EXPECT_EQ(rte_ring_count(shared_->slow_path_ring), 0u);
    EXPECT_EQ(drops(2, DropReason::spoofed_src_mac), 1u);
}

// One port's storm to vsw's services uses up its own share of the slow
// path (slow_path_rate), not the queue every port shares.
TEST_F(WorkerTest, SlowPathShareIsPerPort) {
    shared_->slow_path_rate = 1;   // per second: nothing refills during the test
    shared_->slow_path_burst = 4;
    worker_ = std::make_unique<Worker>(*shared_, 0);
    ServiceAddresses& svc = topo_->networks[0].services;
    svc.enabled = true;
    svc.mac = Mac{{0x02, 0x76, 0x73, 0, 0, 1}};
    for (int i = 0; i < 10; ++i) rx(0, frame(svc.mac.bytes.data(), kMac[0]));
    EXPECT_EQ(rte_ring_count(shared_->slow_path_ring), 4u);
    EXPECT_EQ(drops(0, DropReason::slow_path_rate), 6u);
    EXPECT_EQ(drops(0, DropReason::slow_path_full), 0u);
    rx(1, frame(svc.mac.bytes.data(), kMac[1]));  // another port still gets through
    EXPECT_EQ(rte_ring_count(shared_->slow_path_ring), 5u);
    EXPECT_EQ(drops(1, DropReason::slow_path_rate), 0u);
    rte_mbuf* m;
    while (rte_ring_dequeue(shared_->slow_path_ring, reinterpret_cast<void**>(&m)) == 0) rte_pktmbuf_free(m);
}

TEST_F(WorkerTest, PortsOfAnotherWorkerGetFramesThroughTheirRing) {
    topo_->ports[g_port_ids[1]].worker = 1;
    topo_->ports[g_port_ids[1]].tx_ring = handoff_;
    topo_->workers[1].ports[topo_->workers[1].n_ports++] = g_port_ids[1];
    rx(0, frame(kBcast, kMac[0]));
    EXPECT_EQ(sent_on(1), 0u);  // not sent directly by worker 0...
    EXPECT_EQ(rte_ring_count(handoff_), 1u);  // ...but handed to worker 1
    Worker other(*shared_, 1);
    EXPECT_EQ(other.drain_handoff(*topo_), 1u);
    EXPECT_EQ(sent_on(1), 1u);
    EXPECT_EQ(shared_->counters[1].port[g_port_ids[1]].tx_packets.get(), 1u);
}

TEST_F(WorkerTest, BurstOfMixedFrames) {
    rx(1, frame(kBcast, kMac[1]));
    apply_learning();
    drain_all();
    rte_mbuf* burst[kBurst];
    for (uint16_t i = 0; i < kBurst; ++i) burst[i] = (i % 4 == 3) ? frame(kMac[1], kMac[0], 10) : frame(kMac[1], kMac[0]);
    worker_->process_burst(*topo_, g_port_ids[0], burst, kBurst, rte_rdtsc());
    worker_->flush(*topo_);
    EXPECT_EQ(sent_on(1), 24u);
    EXPECT_EQ(drops(0, DropReason::runt), 8u);
    EXPECT_EQ(shared_->counters[0].port[g_port_ids[0]].rx_packets.get(), kBurst);
}

// Runs of equal MACs in a burst are looked up once: each frame still goes
// by its own destination, and each source is learned.
TEST_F(WorkerTest, BurstWithRunsOfMacs) {
    rx(1, frame(kBcast, kMac[1]));
    rx(2, frame(kBcast, kMac[2]));
    apply_learning();
    drain_all();
    static const uint8_t kUnknown[6] = {0x02, 0, 0, 0, 0x77, 0x77};
    static const uint8_t kOtherSrc[6] = {0x02, 0, 0, 0, 0x66, 0x66};
    const uint8_t* dsts[] = {kMac[1], kMac[1], kMac[2], kMac[2], kMac[2], kMac[1], kBcast, kMac[1], kUnknown, kUnknown, kMac[2]};
    const uint8_t* srcs[] = {kMac[0], kMac[0], kMac[0], kOtherSrc, kOtherSrc, kMac[0], kMac[0], kOtherSrc, kOtherSrc, kMac[0], kMac[0]};
    constexpr uint16_t n = sizeof dsts / sizeof dsts[0];
    rte_mbuf* burst[n];
    for (uint16_t i = 0; i < n; ++i) burst[i] = frame(dsts[i], srcs[i]);
    worker_->process_burst(*topo_, g_port_ids[0], burst, n, rte_rdtsc());
    worker_->flush(*topo_);
    EXPECT_EQ(sent_on(1), 4u + 1u + 2u);  // to MAC 1, broadcast, unknown
    EXPECT_EQ(sent_on(2), 4u + 1u + 2u);  // to MAC 2, broadcast, unknown
    apply_learning();
    rx(1, frame(kMac[0], kMac[1]));
    rx(1, frame(kOtherSrc, kMac[1]));
    EXPECT_EQ(sent_on(0), 2u) << "both sources of the burst were learned on port 0";
    EXPECT_EQ(sent_on(2), 0u) << "not flooded";
}

}  // namespace

int main(int argc, char** argv) {
    return vsw::test::eal_test_main(argc, argv, "worker_test", [] {
        g_pool = rte_pktmbuf_pool_create("pool", 1023, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, 0);
        return g_pool != nullptr && vsw::test::make_ring_ports(kPorts, g_pool, g_tx_rings, g_port_ids);
    });
}
