// VXLAN overlays: the header functions (datapath/overlay/vxlan.hpp) on
// hand-made bytes, and a worker's encapsulation and decapsulation on
// synthetic mbufs through net_ring ports: two guest ports of an overlay
// network and an uplink whose transmitted frames the test reads back.
#include <gtest/gtest.h>

#include <rte_cycles.h>
#include <rte_hash.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "datapath_harness.hpp"
#include "eal_test_main.hpp"
#include "overlay/vxlan.hpp"
#include "worker.hpp"

using namespace vsw;

namespace {

// ---- the header functions ------------------------------------------------------

const std::array<uint8_t, 6> kUplinkMac{0x02, 0, 0, 0, 0, 0x01}, kNextHop{0x02, 0, 0, 0, 0, 0x20};
constexpr uint32_t kLocal = 0x016433c6;   // 198.51.100.1, network order
constexpr uint32_t kRemote = 0x146433c6;  // 198.51.100.20
constexpr uint32_t kOther = 0x156433c6;   // 198.51.100.21: no remote of the network

// An inner frame: Ethernet (dst, src, IPv4) and `payload` zero bytes.
std::vector<uint8_t> inner_frame(const uint8_t* dst, const uint8_t* src, size_t payload = 50) {
    std::vector<uint8_t> f(14 + payload, 0);
    std::memcpy(f.data(), dst, 6);
    std::memcpy(f.data() + 6, src, 6);
    f[12] = 0x08;
    return f;
}

// `inner` in VXLAN from `src_ip` with `vni`, as a remote host sends it.
std::vector<uint8_t> vxlan_frame(const std::vector<uint8_t>& inner, uint32_t src_ip, uint32_t vni) {
    const auto tmpl = overlay::write_vxlan_template({kNextHop, kUplinkMac, src_ip, kLocal, vni});
    std::vector<uint8_t> f(overlay::kOuterLen + inner.size());
    overlay::finish_vxlan_outer(f.data(), tmpl, static_cast<uint32_t>(inner.size()), 50000);
    std::memcpy(f.data() + overlay::kOuterLen, inner.data(), inner.size());
    return f;
}

const uint8_t kGuestA[6] = {0x52, 0x54, 0, 0, 0, 0x0a}, kGuestB[6] = {0x52, 0x54, 0, 0, 0, 0x0b};
const uint8_t kFar[6] = {0x52, 0x54, 0, 0, 0, 0xfa};  // a guest on the remote host
const uint8_t kBcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

TEST(Vxlan, OuterHeadersAreValidForEveryLength) {
    const auto tmpl = overlay::write_vxlan_template({kUplinkMac, kNextHop, kLocal, kRemote, 0x123456});
    for (uint32_t inner_len : {14u, 60u, 1464u, 8964u}) {
        std::vector<uint8_t> f(overlay::kOuterLen + inner_len, 0);
        overlay::finish_vxlan_outer(f.data(), tmpl, inner_len, 54321);
        const uint8_t* ip = f.data() + 14;
        EXPECT_EQ(internet_checksum(ip, 20), 0) << "IPv4 header checksum, inner " << inner_len;
        EXPECT_EQ(load_be16(ip + 2), 36 + inner_len);
        EXPECT_EQ(load_be16(ip + 20), 54321);
        EXPECT_EQ(load_be16(ip + 22), 4789);
        EXPECT_EQ(load_be16(ip + 24), 16 + inner_len);
        EXPECT_EQ(get16(ip + 26), 0) << "no UDP checksum (RFC 7348 5)";
        EXPECT_EQ(ip[28], 0x08);
        EXPECT_EQ(ip[32] << 16 | ip[33] << 8 | ip[34], 0x123456);
        EXPECT_TRUE(std::equal(kNextHop.begin(), kNextHop.end(), f.begin()));
    }
}

TEST(Vxlan, ParsesWhatItBuilds) {
    const auto inner = inner_frame(kGuestA, kFar);
    const auto f = vxlan_frame(inner, kRemote, 5001);
    overlay::VxlanOuter o;
    ASSERT_TRUE(overlay::is_vxlan_to(f.data(), static_cast<uint32_t>(f.size()), kLocal));
    EXPECT_FALSE(overlay::is_vxlan_to(f.data(), static_cast<uint32_t>(f.size()), kOther)) << "to another address";
    ASSERT_EQ(overlay::parse_vxlan(f.data(), static_cast<uint32_t>(f.size()), o), overlay::VxlanParse::ok);
    EXPECT_EQ(o.src_ip, kRemote);
    EXPECT_EQ(o.vni, 5001u);
    EXPECT_EQ(o.inner_offset, 50u);
    EXPECT_EQ(o.inner_len, inner.size());
}

TEST(Vxlan, RefusesMalformedAndFragmentedOuterHeaders) {
    const auto good = vxlan_frame(inner_frame(kGuestA, kFar), kRemote, 5001);
    overlay::VxlanOuter o;
    auto parse = [&](std::vector<uint8_t> f) {
        return overlay::parse_vxlan(f.data(), static_cast<uint32_t>(f.size()), o);
    };
    auto with = [&](size_t at, uint8_t v) {
        auto f = good;
        f[at] = v;
        return f;
    };
    EXPECT_EQ(parse(std::vector<uint8_t>(good.begin(), good.begin() + 40)), overlay::VxlanParse::malformed)
        << "truncated";
    EXPECT_EQ(parse(with(14, 0x44)), overlay::VxlanParse::malformed) << "IHL 4";
    EXPECT_EQ(parse(with(14 + 28, 0x00)), overlay::VxlanParse::malformed) << "I flag clear";
    EXPECT_EQ(parse(with(14 + 2, 0xff)), overlay::VxlanParse::malformed) << "total length beyond the frame";
    EXPECT_EQ(parse(with(14 + 25, 16)), overlay::VxlanParse::malformed) << "UDP length 16: no room for a frame";
    auto short_udp = good;
    store_be16(short_udp.data() + 14 + 24, 8 + 8 + 13);
    EXPECT_EQ(parse(short_udp), overlay::VxlanParse::malformed) << "inner frame shorter than its Ethernet header";
    EXPECT_EQ(parse(with(14 + 6, 0x20)), overlay::VxlanParse::fragment) << "MF set";
    auto later = with(14 + 7, 0x10);
    EXPECT_FALSE(overlay::is_vxlan_to(later.data(), static_cast<uint32_t>(later.size()), kLocal))
        << "a later fragment has no UDP header: left to NAT";
}

TEST(Vxlan, SourcePortIsInTheDynamicRangeAndFollowsTheFlow) {
    auto a = inner_frame(kGuestA, kFar, 60);
    auto b = inner_frame(kGuestB, kFar, 60);
    const uint16_t pa = overlay::vxlan_source_port(a.data(), static_cast<uint32_t>(a.size()));
    EXPECT_GE(pa, 49152);
    EXPECT_EQ(pa, overlay::vxlan_source_port(a.data(), static_cast<uint32_t>(a.size()))) << "stable per flow";
    EXPECT_NE(pa, overlay::vxlan_source_port(b.data(), static_cast<uint32_t>(b.size())));
}

// ---- a worker with an overlay network -----------------------------------------

constexpr uint16_t kPorts = 3;  // 0, 1: guests of network 0 (overlay); 2: the uplink
constexpr uint16_t kNet = 0;
constexpr uint32_t kVni = 5001;
rte_mempool* g_pool = nullptr;
rte_ring* g_tx_rings[kPorts];
uint16_t g_port_ids[kPorts];

class OverlayWorkerTest : public ::testing::Test {
protected:
    void SetUp() override {
        ASSERT_TRUE(h_.init("o", 1));
        shared_ = h_.shared.get();
        fdb_ = h_.fdb.get();
        static int n = 0;
        nat_ = nat::NatTable::create("onat" + std::to_string(++n), 1024);  // the uplink's other traffic goes to NAT
        ASSERT_TRUE(nat_);
        shared_->nat_tables[0] = nat_.get();
        shared_->fragment_tables[0] = &fragments_;

        topo_ = std::make_unique<Topology>();
        for (uint16_t i = 0; i < 2; ++i) {
            PortSlot& ps = topo_->ports[g_port_ids[i]];
            ps.active = true;
            ps.network = kNet;
            NetworkSlot& ns = topo_->networks[kNet];
            ns.active = true;
            ns.ports[ns.n_ports++] = g_port_ids[i];
        }
        PortSlot& up_port = topo_->ports[g_port_ids[2]];
        up_port.active = true;
        up_port.uplink = 0;
        UplinkSlot& up = topo_->uplinks[0];
        up.active = true;
        up.port = g_port_ids[2];
        up.address = kLocal;
        up.n_overlays = 1;
        up.overlay_networks[0] = kNet;
        OverlaySlot& ov = topo_->overlays[kNet];
        ov.enabled = true;
        ov.uplink = 0;
        ov.vni = kVni;
        ov.max_inner = 1500 - overlay::kMtuOverhead;
        ov.n_vteps = 2;
        for (uint16_t v = 0; v < 2; ++v) {  // VTEP 0: 198.51.100.20, resolved; VTEP 1: .22, not yet
            ov.vteps[v].active = true;
            ov.vteps[v].ip = v == 0 ? kRemote : 0x166433c6;
            ov.vteps[v].resolved = v == 0;
            ov.vteps[v].outer = overlay::write_vxlan_template({kUplinkMac, kNextHop, kLocal, ov.vteps[v].ip, kVni});
        }
        worker_ = std::make_unique<Worker>(*shared_, 0);
        drain_all();
    }

    void TearDown() override {
        drain_all();
        worker_.reset();
        nat_.reset();
    }

    static rte_mbuf* mbuf_of(const std::vector<uint8_t>& bytes) {
        rte_mbuf* m = rte_pktmbuf_alloc(g_pool);
        char* p = m != nullptr ? rte_pktmbuf_append(m, static_cast<uint16_t>(bytes.size())) : nullptr;
        if (p == nullptr) std::abort();
        std::memcpy(p, bytes.data(), bytes.size());
        return m;
    }
    void rx(uint16_t in, const std::vector<uint8_t>& bytes) {
        rte_mbuf* m = mbuf_of(bytes);
        worker_->process_burst(*topo_, g_port_ids[in], &m, 1, rte_rdtsc());
        worker_->flush(*topo_);
    }
    void apply_learning() { h_.apply_learning(); }
    // The frames test port `i` transmitted, as bytes (freed).
    static std::vector<std::vector<uint8_t>> sent_on(uint16_t i) {
        std::vector<std::vector<uint8_t>> out;
        rte_mbuf* m;
        while (rte_ring_dequeue(g_tx_rings[i], reinterpret_cast<void**>(&m)) == 0) {
            std::vector<uint8_t> b(rte_pktmbuf_pkt_len(m));
            const auto* d = static_cast<const uint8_t*>(rte_pktmbuf_read(m, 0, static_cast<uint32_t>(b.size()), b.data()));
            if (d != b.data()) std::memcpy(b.data(), d, b.size());
            out.push_back(std::move(b));
            rte_pktmbuf_free(m);
        }
        return out;
    }
    static void drain_all() {
        for (uint16_t i = 0; i < kPorts; ++i) sent_on(i);
    }
    uint64_t drops(uint16_t i, DropReason r) const {
        return shared_->counters[0].port[g_port_ids[i]].drops[static_cast<unsigned>(r)].get();
    }
    const OverlayCounters& counters() const { return shared_->counters[0].overlay[kNet]; }

    vsw::test::DatapathHarness h_;
    DatapathShared* shared_ = nullptr;
    Fdb* fdb_ = nullptr;
    std::unique_ptr<Topology> topo_;
    std::unique_ptr<Worker> worker_;
    std::unique_ptr<nat::NatTable> nat_;
    nat::FragmentTable fragments_;
};

// A remote guest's frame comes in VXLAN: learned behind its VTEP, delivered
// to the local guest; the answer goes back encapsulated to that VTEP alone.
TEST_F(OverlayWorkerTest, DecapsulatesLearnsAndAnswersToTheVtep) {
    const auto inner = inner_frame(kBcast, kFar);
    rx(2, vxlan_frame(inner, kRemote, kVni));
    auto to_a = sent_on(0), to_b = sent_on(1);
    ASSERT_EQ(to_a.size(), 1u) << "a broadcast from afar floods the local ports";
    EXPECT_EQ(to_a[0], inner) << "the inner frame, outer headers stripped";
    EXPECT_EQ(to_b.size(), 1u);
    EXPECT_TRUE(sent_on(2).empty()) << "never back to the remotes (split horizon)";
    EXPECT_EQ(counters().decap_packets.get(), 1u);
    apply_learning();
    const FdbKey far = make_fdb_key(kFar, kNet);
    const int32_t pos = rte_hash_lookup(fdb_->hash(), &far);
    ASSERT_GE(pos, 0);
    EXPECT_EQ(fdb_->entry(pos).port.load(), vtep_port(0));

    const auto reply = inner_frame(kFar, kGuestA, 100);
    rx(0, reply);
    auto out = sent_on(2);
    ASSERT_EQ(out.size(), 1u);
    EXPECT_TRUE(sent_on(1).empty()) << "known behind the VTEP: not flooded";
    overlay::VxlanOuter o;
    ASSERT_EQ(overlay::parse_vxlan(out[0].data(), static_cast<uint32_t>(out[0].size()), o), overlay::VxlanParse::ok);
    EXPECT_EQ(o.vni, kVni);
    EXPECT_EQ(get32(out[0].data() + 14 + 16), kRemote);
    EXPECT_EQ(get32(out[0].data() + 14 + 12), kLocal);
    EXPECT_TRUE(std::equal(out[0].begin() + 50, out[0].end(), reply.begin()));
    EXPECT_EQ(counters().encap_packets.get(), 1u);
}

// Broadcast from a local guest: the local ports and a copy to every
// resolved remote (the unresolved one is counted, not sent).
TEST_F(OverlayWorkerTest, FloodReplicatesToEveryRemote) {
    const unsigned free_before = rte_mempool_avail_count(g_pool);
    rx(0, inner_frame(kBcast, kGuestA));
    EXPECT_EQ(sent_on(1).size(), 1u);
    const auto out = sent_on(2);
    ASSERT_EQ(out.size(), 1u) << "one copy: VTEP 1 is unresolved";
    EXPECT_EQ(get32(out[0].data() + 14 + 16), kRemote);
    EXPECT_EQ(counters().replicated.get(), 1u);
    EXPECT_EQ(drops(0, DropReason::vtep_unresolved), 1u);
    EXPECT_EQ(rte_mempool_avail_count(g_pool), free_before) << "no mbuf leaked";
}

TEST_F(OverlayWorkerTest, DropsWithNamedReasons) {
    const unsigned free_before = rte_mempool_avail_count(g_pool);
    const auto inner = inner_frame(kGuestA, kFar);
    rx(2, vxlan_frame(inner, kRemote, kVni + 1));
    EXPECT_EQ(drops(2, DropReason::overlay_unknown_vni), 1u);
    rx(2, vxlan_frame(inner, kOther, kVni));
    EXPECT_EQ(drops(2, DropReason::overlay_unknown_vtep), 1u) << "only configured remotes";
    auto bad = vxlan_frame(inner, kRemote, kVni);
    bad[14 + 28] = 0;  // I flag
    rx(2, bad);
    EXPECT_EQ(drops(2, DropReason::overlay_malformed), 1u);
    auto frag = vxlan_frame(inner, kRemote, kVni);
    frag[14 + 6] = 0x20;
    rx(2, frag);
    EXPECT_EQ(drops(2, DropReason::overlay_fragment), 1u);
    rx(2, vxlan_frame(inner_frame(kGuestA, kBcast), kRemote, kVni));
    EXPECT_EQ(drops(2, DropReason::bad_src_mac), 1u) << "inner source multicast";

    // Learned behind VTEP 0; a frame to it from VTEP 0's peer is not relayed.
    rx(2, vxlan_frame(inner_frame(kGuestA, kFar), kRemote, kVni));
    apply_learning();
    sent_on(0);
    rx(2, vxlan_frame(inner_frame(kFar, kGuestB), kRemote, kVni));
    EXPECT_EQ(drops(2, DropReason::overlay_split_horizon), 1u);

    // Too big for the uplink's MTU with 50 bytes more.
    rx(0, inner_frame(kFar, kGuestA, 1465 - 14 + 1));
    EXPECT_EQ(drops(0, DropReason::overlay_too_big), 1u);
    rx(0, inner_frame(kFar, kGuestA, 1464 - 14));
    EXPECT_EQ(sent_on(2).size(), 1u) << "1464 bytes fit a 1500-byte MTU";
    shared_->link_up[g_port_ids[2]].store(false);
    rx(0, inner_frame(kFar, kGuestA));
    EXPECT_EQ(drops(0, DropReason::uplink_down), 1u);
    drain_all();
    EXPECT_EQ(rte_mempool_avail_count(g_pool), free_before) << "no mbuf leaked";
}

// Frames that are not VXLAN on an uplink with an overlay still reach NAT
// (here: a UDP packet to another port, which no session knows).
TEST_F(OverlayWorkerTest, OtherUplinkTrafficIsLeftToNat) {
    auto udp = vxlan_frame(inner_frame(kGuestA, kFar), kRemote, kVni);
    store_be16(udp.data() + 14 + 22, 4790);
    udp[14 + 10] = udp[14 + 11] = 0;
    rx(2, udp);
    EXPECT_EQ(counters().decap_packets.get(), 0u);
    EXPECT_EQ(drops(2, DropReason::nat_no_session), 1u);
    EXPECT_TRUE(sent_on(0).empty());
}

}  // namespace

int main(int argc, char** argv) {
    return vsw::test::eal_test_main(argc, argv, "overlay_test", [] {
        g_pool = rte_pktmbuf_pool_create("pool", 1023, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, 0);
        return g_pool != nullptr && vsw::test::make_ring_ports(kPorts, g_pool, g_tx_rings, g_port_ids);
    });
}
