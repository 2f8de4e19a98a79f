// The fixture of the worker's NAT tests (nat_worker_test.cpp and
// nat_worker_burst_test.cpp): a worker with two guests of one NAT network and
// an uplink, all net_ring devices (rte_eth_from_rings), so what the worker
// transmits lands on a ring the test reads back; frames built by
// nat_packets.hpp. Every checksum is compared with a full recomputation and
// every drop asserted by its named counter.
#pragma once

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

#include "nat_packets.hpp"
#include "topology_builder.hpp"
#include "worker.hpp"

namespace vsw::nat_worker_test {

using namespace nat_test;
using nat::kTcpSyn;

constexpr uint16_t kPorts = 4;
// Test port indexes: two guests of network 0, the uplink, and a kernel uplink
// to the host (only the HostUplink tests publish it).
constexpr uint16_t kA = 0, kB = 1, kUp = 2, kHost = 3;

inline rte_mempool* g_pool = nullptr;
inline rte_ring* g_tx_rings[kPorts];  // what each port transmitted
inline uint16_t g_port_ids[kPorts];

const Mac kMacA{{0x52, 0x54, 0, 0, 0, 0x0a}};
const Mac kMacB{{0x52, 0x54, 0, 0, 0, 0x0b}};
const Mac kSvcMac{{0x02, 0x76, 0x73, 0, 0, 0x01}};   // the network's gateway/services MAC
const Mac kUpMac{{0x02, 0, 0, 0, 0, 0x99}};          // ours on the uplink
const Mac kGwMac{{0x00, 0x00, 0x5e, 0, 0x01, 0x01}}; // the uplink's next hop

const uint32_t kGuestA = ip4(10, 0, 2, 15);
const uint32_t kGuestB = ip4(10, 0, 2, 16);
const uint32_t kGateway = ip4(10, 0, 2, 2);
const uint32_t kDns = ip4(10, 0, 2, 3);
const uint32_t kResolver = ip4(9, 9, 9, 9);
const uint32_t kUplinkIp = ip4(203, 0, 113, 10);
const uint32_t kRemote = ip4(198, 51, 100, 7);
const uint32_t kRemote2 = ip4(192, 0, 2, 33);

constexpr uint16_t kFwdTcp = 20050;      // -> guest B:80, inside the masquerade range (reserved)
constexpr uint16_t kFwdUnknown = 20070;  // UDP -> 10.0.2.17:69, whose MAC is not known yet
const nat::PortSlice kSlice{20000, 20099};

// The switch config of the fixture's topology: kGateway, kDns, kResolver,
// kUplinkIp, kSlice and the two forwards above, in YAML.
inline const char* kConfig = R"(
uplinks:
  wan: {device: net_ring0, address: 203.0.113.10/24, gateway: 203.0.113.1, resolver: 9.9.9.9, ports: 20000-20099,
        host_link: false}
networks:
  nat:
    mode: nat
    subnet: 10.0.2.0/24
    gateway: 10.0.2.2
    dns: 10.0.2.3
    uplink: wan
    timeouts: {tcp_established: 1000, tcp_transitory: 100, udp: 50, icmp: 20}
    port_forwards:
      - {name: web, proto: tcp, host_port: 20050, guest_ip: 10.0.2.16, guest_port: 80}
      - {name: tftp, proto: udp, host_port: 20070, guest_ip: 10.0.2.17, guest_port: 69}
ports:
  a: {network: nat}
  b: {network: nat}
)";

inline Bytes with_macs(Bytes f, const Mac& dst, const Mac& src) {
    std::memcpy(&f[0], dst.bytes.data(), 6);
    std::memcpy(&f[6], src.bytes.data(), 6);
    return f;
}
// A guest's frame to the gateway MAC (routed), and a frame arriving on the uplink.
inline Bytes from_guest(const Spec& s, const Mac& src = kMacA) { return with_macs(build(s), kSvcMac, src); }
inline Bytes from_outside(const Spec& s) { return with_macs(build(s), kUpMac, kGwMac); }

inline Spec packet(uint8_t proto, uint32_t src, uint16_t sport, uint32_t dst, uint16_t dport) {
    Spec s;
    s.proto = proto;
    s.src = src;
    s.sport = sport;
    s.dst = dst;
    s.dport = dport;
    s.payload = 23;
    return s;
}

inline bool mac_is(const Bytes& f, size_t off, const Mac& m) { return std::memcmp(&f[off], m.bytes.data(), 6) == 0; }

class NatWorkerTest : public ::testing::Test {
protected:
    void SetUp() override {
        drain_all();
        pool_avail_ = rte_mempool_avail_count(g_pool);
        qsbr_ = static_cast<rte_rcu_qsbr*>(rte_zmalloc(nullptr, rte_rcu_qsbr_get_memsize(2), 64));
        rte_rcu_qsbr_init(qsbr_, 2);
        shared_ = std::make_unique<DatapathShared>();
        shared_->qsbr = qsbr_;
        shared_->tsc_hz = rte_get_tsc_hz();
        static int n = 0;
        suffix_ = std::to_string(++n);
        fdb_ = Fdb::create("nfdb" + suffix_, 1024, qsbr_);
        ASSERT_TRUE(fdb_);
        shared_->fdb = fdb_.get();
        shared_->slow_path_ring = rte_ring_create(("nsp" + suffix_).c_str(), 64, 0, RING_F_SC_DEQ);
        shared_->learn_ring =
            rte_ring_create_elem(("nln" + suffix_).c_str(), sizeof(LearnEvent), 64, 0, RING_F_SC_DEQ);
        ASSERT_TRUE(shared_->slow_path_ring && shared_->learn_ring);
        for (auto& l : shared_->link_up) l.store(true);
        for (uint16_t w = 0; w < 2; ++w) {
            tables_[w] = nat::NatTable::create("nw" + suffix_ + "_" + std::to_string(w), 256);
            ASSERT_TRUE(tables_[w]);
            shared_->nat_tables[w] = tables_[w].get();
            frags_[w] = std::make_unique<nat::FragmentTable>();
            shared_->fragment_tables[w] = frags_[w].get();
        }

        // What Switch::publish() builds (build_topology) for kConfig: one NAT
        // network (0) with guests A and B on one uplink (0), all on worker 0.
        auto cfg = load_config_string(kConfig, "nat_worker_fixture.yaml");
        ASSERT_TRUE(cfg) << cfg.error().to_string();
        TopologyModel m;
        m.n_workers = 1;
        m.nat_epoch[0] = 5;
        m.uplinks["wan"] = {cfg->uplinks.at("wan"), 0, g_port_ids[kUp], 0, nullptr, kUpMac, true, kGwMac, false, Mac{}, {}};
        m.networks["nat"] = {cfg->networks.at("nat"), 0, kSvcMac, false, std::nullopt, nullptr, {}};
        m.ports["a"] = {cfg->ports.at("a"), g_port_ids[kA], 0, nullptr};
        m.ports["b"] = {cfg->ports.at("b"), g_port_ids[kB], 0, nullptr};
        m.neighbors[0][Ipv4::from_be(kGuestB).value] = kMacB;  // forward "web" knows its guest
        topo_ = build_topology(m);

        // Guest B is known to the FDB already (guest A is learned from its
        // first routed frame in each test): replies go to one port, not flooded.
        ASSERT_NE(fdb_->learn(make_fdb_key(kMacB.bytes.data(), 0), g_port_ids[kB], rte_rdtsc()),
                  Fdb::LearnResult::table_full);

        worker_ = std::make_unique<Worker>(*shared_, 0);
    }

    void TearDown() override {
        drain_all();
        rte_mbuf* m;
        while (rte_ring_dequeue(shared_->slow_path_ring, reinterpret_cast<void**>(&m)) == 0) rte_pktmbuf_free(m);
        for (rte_ring* r : {shared_->nat_out2in_rings[0], shared_->nat_out2in_rings[1], shared_->nat_in2out_rings[0],
                            shared_->nat_in2out_rings[1]}) {
            if (r == nullptr) continue;
            while (rte_ring_dequeue(r, reinterpret_cast<void**>(&m)) == 0) rte_pktmbuf_free(m);
            rte_ring_free(r);
        }
        EXPECT_EQ(rte_mempool_avail_count(g_pool), pool_avail_) << "every mbuf was sent or freed";
        worker_.reset();
        rte_ring_free(shared_->slow_path_ring);
        rte_ring_free(shared_->learn_ring);
        for (auto& t : tables_) t.reset();
        fdb_.reset();
        rte_free(qsbr_);
    }

    static rte_mbuf* mbuf(const Bytes& f) {
        rte_mbuf* m = rte_pktmbuf_alloc(g_pool);
        char* p = m != nullptr ? rte_pktmbuf_append(m, static_cast<uint16_t>(f.size())) : nullptr;
        if (p == nullptr) std::abort();  // the pool is sized for every test
        std::memcpy(p, f.data(), f.size());
        return m;
    }

    // Receives frame `f` on test port `in` as worker `w` would, then flushes.
    void rx(uint16_t in, const Bytes& f, Worker* w = nullptr) {
        if (w == nullptr) w = worker_.get();
        rte_mbuf* m = mbuf(f);
        w->process_burst(*topo_, g_port_ids[in], &m, 1, rte_rdtsc());
        w->flush(*topo_);
    }

    // Receives the frames on test port `in` as one burst, then flushes.
    void rx_burst(uint16_t in, const std::vector<Bytes>& frames) {
        rte_mbuf* pkts[kBurst];
        for (size_t i = 0; i < frames.size(); ++i) pkts[i] = mbuf(frames[i]);
        worker_->process_burst(*topo_, g_port_ids[in], pkts, static_cast<uint16_t>(frames.size()), rte_rdtsc());
        worker_->flush(*topo_);
    }

    // Applies the learn events the worker posted, as the control thread does.
    void apply_learning() {
        LearnEvent ev;
        while (rte_ring_sc_dequeue_elem(shared_->learn_ring, &ev, sizeof ev) == 0) fdb_->learn(ev.key, ev.port, rte_rdtsc());
    }

    // The frames test port `i` transmitted (their mbufs freed).
    static std::vector<Bytes> take(uint16_t i) {
        std::vector<Bytes> out;
        rte_mbuf* m;
        while (rte_ring_dequeue(g_tx_rings[i], reinterpret_cast<void**>(&m)) == 0) {
            const uint8_t* p = rte_pktmbuf_mtod(m, const uint8_t*);
            out.emplace_back(p, p + rte_pktmbuf_data_len(m));
            rte_pktmbuf_free(m);
        }
        return out;
    }
    static void drain_all() {
        for (uint16_t i = 0; i < kPorts; ++i) take(i);
    }

    uint64_t drops(uint16_t i, DropReason r, uint16_t w = 0) const {
        return shared_->counters[w].port[g_port_ids[i]].drops[static_cast<unsigned>(r)].get();
    }
    uint64_t all_drops(uint16_t w = 0) const {
        uint64_t n = 0;
        for (const auto& p : shared_->counters[w].port)
            for (const auto& d : p.drops) n += d.get();
        return n;
    }
    const WorkerCounters& ctr(uint16_t w = 0) const { return shared_->counters[w]; }

    // Sends `s` from guest A and returns the one frame that left the uplink
    // (checked: MACs, source translated into the slice, TTL, checksums).
    Bytes out_via_uplink(const Spec& s, const Mac& src_mac = kMacA, uint16_t from = kA) {
        rx(from, from_guest(s, src_mac));
        std::vector<Bytes> out = take(kUp);
        EXPECT_EQ(out.size(), 1u);
        EXPECT_TRUE(take(kA).empty() && take(kB).empty());
        if (out.size() != 1) return {};
        const Bytes& f = out[0];
        EXPECT_TRUE(mac_is(f, 0, kGwMac)) << "to the uplink's next hop";
        EXPECT_TRUE(mac_is(f, 6, kUpMac)) << "from our uplink MAC";
        nat::L4View v;
        EXPECT_EQ(parse(f, v), nat::L4Parse::ok);
        EXPECT_EQ(v.src_ip, kUplinkIp);
        const uint16_t port = ntohs(v.src_port);
        EXPECT_GE(port, kSlice.first);
        EXPECT_LE(port, kSlice.last);
        EXPECT_EQ(v.ttl, s.ttl - 1);
        EXPECT_TRUE(checksums_ok(f)) << "IPv4 and L4 checksums equal a full recomputation";
        return f;
    }

    // With host_loopback at `alias` (set as build_topology would for a kernel
    // uplink: the fixture's is a device, which the config refuses for it),
    // guest A's `proto` packet to `alias`:`port` leaves the uplink for the
    // host's 127.0.0.1 (checked); the host's answer comes back to guest A,
    // whose view is returned.
    nat::L4View host_loopback_round_trip(uint32_t alias, uint8_t proto, uint16_t port) {
        NatNetworkInfo& nn = topo_->networks[0].nat;
        nn.host_loopback = true;
        nn.host_uplink = 0;
        nn.host_alias = alias;
        topo_->networks[0].services.host_loopback_be = alias;
        nat::L4View v;
        const Bytes out = out_via_uplink(packet(proto, kGuestA, 40000, alias, port));
        if (out.empty()) return v;
        parse(out, v);
        EXPECT_EQ(v.dst_ip, ip4(127, 0, 0, 1));
        EXPECT_EQ(ntohs(v.dst_port), port);
        EXPECT_EQ(v.src_ip, kUplinkIp);
        apply_learning();
        const Bytes in = in_to_guest(packet(proto, ip4(127, 0, 0, 1), port, kUplinkIp, ntohs(v.src_port)));
        if (!in.empty()) parse(in, v);
        return v;
    }

    // Sends `s` into the uplink and returns the one frame guest `to` received.
    Bytes in_to_guest(const Spec& s, uint16_t to = kA, const Mac& to_mac = kMacA) {
        rx(kUp, from_outside(s));
        std::vector<Bytes> got = take(to);
        EXPECT_EQ(got.size(), 1u);
        EXPECT_TRUE(take(to == kA ? kB : kA).empty()) << "switched to the learned port, not flooded";
        EXPECT_TRUE(take(kUp).empty());
        if (got.size() != 1) return {};
        const Bytes& f = got[0];
        EXPECT_TRUE(mac_is(f, 0, to_mac));
        EXPECT_TRUE(mac_is(f, 6, kSvcMac)) << "from the gateway's MAC";
        EXPECT_EQ(f[kEth + 8], s.ttl - 1);
        EXPECT_TRUE(checksums_ok(f)) << "IPv4 and L4 checksums equal a full recomputation";
        return f;
    }

    // A guest flow out and its reply back, for one protocol.
    void round_trip(uint8_t proto) {
        Spec s = packet(proto, kGuestA, 5000, kRemote, 7000);
        s.tcp_flags = kTcpSyn;
        const Bytes out = out_via_uplink(s);
        ASSERT_FALSE(out.empty());
        nat::L4View v;
        ASSERT_EQ(parse(out, v), nat::L4Parse::ok);
        const uint16_t out_port = ntohs(v.src_port);
        EXPECT_NE(out_port, kFwdTcp) << "reserved";
        EXPECT_NE(out_port, kFwdUnknown) << "reserved";
        EXPECT_EQ(v.dst_ip, kRemote);
        if (proto != kProtoIcmp) {
            EXPECT_EQ(ntohs(v.dst_port), 7000);
        }
        const size_t hdr = proto == kProtoTcp ? 20 : 8;
        const Bytes sent = from_guest(s);
        EXPECT_EQ(Bytes(out.begin() + v.l4 + hdr, out.end()), Bytes(sent.begin() + v.l4 + hdr, sent.end()))
            << "payload untouched";
        apply_learning();  // guest A's MAC, learned from its routed frame

        Spec r = packet(proto, kRemote, 7000, kUplinkIp, out_port);
        r.tcp_flags = kTcpSyn | kTcpAck;
        r.icmp_type = nat::kIcmpEchoReply;
        if (proto == kProtoIcmp) r.sport = out_port;  // the identifier is the "port"
        const Bytes in = in_to_guest(r);
        ASSERT_FALSE(in.empty());
        ASSERT_EQ(parse(in, v), nat::L4Parse::ok);
        EXPECT_EQ(v.dst_ip, kGuestA);
        EXPECT_EQ(v.src_ip, kRemote);
        EXPECT_EQ(ntohs(v.dst_port), 5000);
        if (proto != kProtoIcmp) {
            EXPECT_EQ(ntohs(v.src_port), 7000);
        }

        EXPECT_EQ(ctr().nat_in2out.get(), 1u);
        EXPECT_EQ(ctr().nat_out2in.get(), 1u);
        EXPECT_EQ(ctr().nat_sessions_created.get(), 1u);
        EXPECT_EQ(ctr().port[g_port_ids[kUp]].tx_packets.get(), 1u);
        EXPECT_EQ(ctr().port[g_port_ids[kA]].tx_packets.get(), 1u);
        EXPECT_EQ(all_drops(), 0u);
        EXPECT_EQ(tables_[0]->size(), 1u);
        const uint16_t rp = proto == kProtoIcmp ? 0 : htons(7000);
        const nat::Session* sess =
            tables_[0]->find_inside(nat::InsideKey{0, proto, 0, kGuestA, kRemote, htons(5000), rp});
        ASSERT_NE(sess, nullptr);
        EXPECT_EQ(sess->epoch, 5u) << "stamped with the network's epoch";
        EXPECT_EQ(sess->packets_out, 1u);
        EXPECT_EQ(sess->packets_in, 1u);
        if (proto == kProtoTcp) {
            EXPECT_EQ(sess->tcp, nat::TcpState::established);
        }
    }

    rte_rcu_qsbr* qsbr_ = nullptr;
    std::string suffix_;
    unsigned pool_avail_ = 0;
    std::unique_ptr<DatapathShared> shared_;
    std::unique_ptr<Fdb> fdb_;
    std::unique_ptr<nat::NatTable> tables_[2];
    std::unique_ptr<nat::FragmentTable> frags_[2];
    std::unique_ptr<Topology> topo_;
    std::unique_ptr<Worker> worker_;
};

}  // namespace vsw::nat_worker_test
