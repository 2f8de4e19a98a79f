// Cycles per packet of one worker's stages on one core, without guests or
// vhost-user: the L2 stage (a burst from port p0 switched to p1 by learned
// MACs), the NAT stage on established sessions (guest -> uplink, and the
// replies uplink -> guest) and the VXLAN stage (port f's frames to MACs
// behind a remote VTEP encapsulated onto the uplink, and the remote's VXLAN
// frames decapsulated to port f). Each iteration allocates a burst of 32 mbufs,
// copies 64-byte frames into them, runs Worker::process_burst and flush, and
// frees what the net_ring ports transmitted; `baseline` is that without the
// worker, so the worker's own cost is the difference. The topology is what
// vswd publishes for the YAML below (build_topology).
//
//   build/perf/bench_datapath [--benchmark_filter=nat] [--benchmark_repetitions=5]
//
// It runs its own EAL (--no-huge, a private file prefix) on CPU
// $VSW_BENCH_CPU (default 1). perf/run.sh measures the whole path through
// vhost-user against other switches; this isolates vsw's per-packet code, so
// two builds compare on any vCPU placement (see perf/README.md).
#include <benchmark/benchmark.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_rcu_qsbr.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "checksum.hpp"
#include "config.hpp"
#include "headers.hpp"
#include "session_list.hpp"
#include "topology_builder.hpp"
#include "worker.hpp"

using namespace vsw;

namespace {

constexpr const char* kConfig = R"(
uplinks:
  wan: {device: net_ring0, address: 203.0.113.10/24, gateway: 203.0.113.1, ports: 1024-65535, host_link: false}
networks:
  lan: {mode: internal, max_macs: 8192}
  far: {mode: internal, max_macs: 8192, overlay: {vni: 5001, uplink: wan, remotes: [203.0.113.20]}}
  nat: {mode: nat, subnet: 10.0.0.0/16, gateway: 10.0.0.1, uplink: wan, max_sessions: 200000,
        max_sessions_per_guest: 200000, timeouts: {udp: 3600}}
ports:
  p0: {network: lan, max_macs: 4096}
  p1: {network: lan, max_macs: 4096}
  g: {network: nat}
  f: {network: far, max_macs: 4096}
)";
constexpr uint16_t kP0 = 0, kP1 = 1, kG = 2, kUp = 3, kF = 4, kPorts = 5;
constexpr uint16_t kLan = 0, kNat = 1, kFar = 2;  // network ids
const Mac kRemoteVtepMac{{0x02, 0, 0, 0, 0, 0x20}};
constexpr size_t kFrameLen = 64;

const Mac kSvcMac{{0x02, 0x76, 0x73, 0, 0, 0x01}};
const Mac kGuestMac{{0x52, 0x54, 0, 0, 0, 0x10}};
const Mac kUpMac{{0x02, 0, 0, 0, 0, 0x99}};
const Mac kGwMac{{0x00, 0x00, 0x5e, 0, 0x01, 0x01}};

struct Bench {
    rte_mempool* pool = nullptr;
    uint16_t port[kPorts] = {};
    rte_ring* tx[kPorts] = {};
    std::unique_ptr<DatapathShared> shared;
    std::unique_ptr<Fdb> fdb;
    std::unique_ptr<nat::NatTable> table;
    std::unique_ptr<nat::FragmentTable> frags;
    std::unique_ptr<Topology> topo;
    std::unique_ptr<Worker> worker;
    std::string runtime_dir;
};
Bench* B = nullptr;

[[noreturn]] void die(const std::string& what) {
    std::fprintf(stderr, "bench_datapath: %s\n", what.c_str());
    std::exit(1);
}

Mac flow_mac(uint8_t side, uint32_t i) {
    return Mac{{0x02, side, static_cast<uint8_t>(i >> 16), static_cast<uint8_t>(i >> 8), static_cast<uint8_t>(i), 1}};
}

// A 64-byte Ethernet/IPv4/UDP frame with right checksums.
std::vector<uint8_t> udp_frame(const Mac& dst, const Mac& src, uint32_t sip_be, uint32_t dip_be, uint16_t sport,
                               uint16_t dport) {
    std::vector<uint8_t> f(kFrameLen, 0);
    Ipv4Header h;
    h.total_length = static_cast<uint16_t>(kFrameLen - kEtherHdrLen);
    h.proto = IPPROTO_UDP;
    h.src_be = sip_be;
    h.dst_be = dip_be;
    uint8_t* ip = put_ether(f.data(), dst.bytes.data(), src.bytes.data(), RTE_ETHER_TYPE_IPV4);
    uint8_t* udp = put_ipv4(ip, h);
    store_be16(udp, sport);
    store_be16(udp + 2, dport);
    store_be16(udp + 4, static_cast<uint16_t>(h.total_length - kIpv4HdrLen));
    put16(udp + 6, ipv4_l4_checksum(ip, udp));
    return f;
}

uint32_t be_ip(uint32_t host) { return Ipv4{host}.to_be(); }

void setup() {
    B = new Bench;
    const char* cpu_env = std::getenv("VSW_BENCH_CPU");
    const std::string cpu = cpu_env != nullptr ? cpu_env : "1";
    const std::string prefix = "vswbench" + std::to_string(getpid());
    std::vector<std::string> args = {"bench_datapath", "--no-huge", "-m", "4096", "--no-pci", "--lcores",
                                     "0@" + cpu, "--file-prefix", prefix, "--log-level=lib.eal:error"};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    if (rte_eal_init(static_cast<int>(argv.size()), argv.data()) < 0) die("rte_eal_init");
    B->runtime_dir = "/var/run/dpdk/" + prefix;

    B->pool = rte_pktmbuf_pool_create("bench_pool", 8191, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE, 0);
    if (B->pool == nullptr) die("mbuf pool");
    for (uint16_t i = 0; i < kPorts; ++i) {
        const std::string n = std::to_string(i);
        rte_ring* rx = rte_ring_create(("brx" + n).c_str(), 64, 0, RING_F_SP_ENQ | RING_F_SC_DEQ);
        B->tx[i] = rte_ring_create(("btx" + n).c_str(), 1024, 0, RING_F_SP_ENQ | RING_F_SC_DEQ);
        if (rx == nullptr || B->tx[i] == nullptr) die("rings");
        const int id = rte_eth_from_rings(("bring" + n).c_str(), &rx, 1, &B->tx[i], 1, 0);
        if (id < 0) die("rte_eth_from_rings");
        B->port[i] = static_cast<uint16_t>(id);
        rte_eth_conf conf{};
        if (rte_eth_dev_configure(B->port[i], 1, 1, &conf) != 0 ||
            rte_eth_rx_queue_setup(B->port[i], 0, 64, 0, nullptr, B->pool) != 0 ||
            rte_eth_tx_queue_setup(B->port[i], 0, 1024, 0, nullptr) != 0 || rte_eth_dev_start(B->port[i]) != 0)
            die("ring port");
    }

    auto* qsbr = static_cast<rte_rcu_qsbr*>(rte_zmalloc(nullptr, rte_rcu_qsbr_get_memsize(1), 64));
    rte_rcu_qsbr_init(qsbr, 1);
    B->shared = std::make_unique<DatapathShared>();
    DatapathShared& sh = *B->shared;
    sh.qsbr = qsbr;
    sh.tsc_hz = rte_get_tsc_hz();
    B->fdb = Fdb::create("bench_fdb", kFdbEntries, qsbr);
    if (!B->fdb) die("Fdb::create");
    sh.fdb = B->fdb.get();
    sh.slow_path_ring = rte_ring_create("bench_sp", 1024, 0, RING_F_SC_DEQ);
    sh.learn_ring = rte_ring_create_elem("bench_ln", sizeof(LearnEvent), 1024, 0, RING_F_SC_DEQ);
    sh.nat_out2in_rings[0] = rte_ring_create("bench_o2i", 1024, 0, RING_F_SC_DEQ);
    sh.nat_in2out_rings[0] = rte_ring_create("bench_i2o", 1024, 0, RING_F_SC_DEQ);
    B->table = nat::NatTable::create("bench_nat", 262144);
    if (!B->table) die("NatTable::create");
    B->frags = std::make_unique<nat::FragmentTable>();
    sh.nat_tables[0] = B->table.get();
    sh.fragment_tables[0] = B->frags.get();
    for (auto& l : sh.link_up) l.store(true);

    auto cfg = load_config_string(kConfig, "bench_datapath.yaml");
    if (!cfg) die(cfg.error().to_string());
    TopologyModel m;
    m.uplinks["wan"] = {cfg->uplinks.at("wan"), 0, B->port[kUp], 0, nullptr, kUpMac, true, kGwMac, false, Mac{},
                        {{Ipv4{0xcb007114}.value, kRemoteVtepMac}}};  // 203.0.113.20 resolved
    m.networks["lan"] = {cfg->networks.at("lan"), kLan, Mac{{0x02, 0x76, 0x73, 0, 0, 0x02}}, false, std::nullopt,
                         nullptr, {}};
    m.networks["nat"] = {cfg->networks.at("nat"), kNat, kSvcMac, false, std::nullopt, nullptr, {}};
    m.networks["far"] = {cfg->networks.at("far"), kFar, Mac{{0x02, 0x76, 0x73, 0, 0, 0x03}}, false, std::nullopt,
                         nullptr, {{0xcb007114, 0}}};
    m.ports["p0"] = {cfg->ports.at("p0"), B->port[kP0], 0, nullptr};
    m.ports["p1"] = {cfg->ports.at("p1"), B->port[kP1], 0, nullptr};
    m.ports["g"] = {cfg->ports.at("g"), B->port[kG], 0, nullptr};
    m.ports["f"] = {cfg->ports.at("f"), B->port[kF], 0, nullptr};
    B->topo = build_topology(m);
    // Replies to the guest are switched to its port by MAC.
    B->fdb->learn(make_fdb_key(kGuestMac.bytes.data(), kNat), B->port[kG], rte_rdtsc());
    B->worker = std::make_unique<Worker>(sh, 0);
}

void drain(uint16_t port_index) {
    rte_mbuf* out[64];
    unsigned n;
    while ((n = rte_ring_dequeue_burst(B->tx[port_index], reinterpret_cast<void**>(out), 64, nullptr)) > 0)
        rte_pktmbuf_free_bulk(out, n);
}

// Empties the rings the worker's side effects fill (learn events, slow path).
void drain_side_rings() {
    LearnEvent ev[64];
    while (rte_ring_dequeue_burst_elem(B->shared->learn_ring, ev, sizeof(LearnEvent), 64, nullptr) > 0) {
    }
    rte_mbuf* m[64];
    unsigned n;
    while ((n = rte_ring_dequeue_burst(B->shared->slow_path_ring, reinterpret_cast<void**>(m), 64, nullptr)) > 0)
        rte_pktmbuf_free_bulk(m, n);
}

// Fills a burst from frames[next...] (round robin).
void fill(rte_mbuf** pkts, const std::vector<std::vector<uint8_t>>& frames, size_t& next) {
    if (rte_pktmbuf_alloc_bulk(B->pool, pkts, kBurst) != 0) die("mbuf pool empty");
    for (uint16_t i = 0; i < kBurst; ++i) {
        const auto& f = frames[next];
        next = next + 1 == frames.size() ? 0 : next + 1;
        std::memcpy(rte_pktmbuf_mtod(pkts[i], uint8_t*), f.data(), f.size());
        pkts[i]->data_len = static_cast<uint16_t>(f.size());
        pkts[i]->pkt_len = static_cast<uint32_t>(f.size());
    }
}

// Runs the frames through the worker, entering on `in`, leaving on `out`.
void run(benchmark::State& state, const std::vector<std::vector<uint8_t>>& frames, uint16_t in, uint16_t out,
         bool with_worker) {
    rte_mbuf* pkts[kBurst];
    size_t next = 0;
    uint64_t cycles = 0, packets = 0;
    for (auto _ : state) {
        const uint64_t t0 = rte_rdtsc();
        fill(pkts, frames, next);
        if (with_worker) {
            B->worker->process_burst(*B->topo, B->port[in], pkts, kBurst, t0);
            B->worker->flush(*B->topo);
        } else {
            rte_ring_enqueue_burst(B->tx[out], reinterpret_cast<void**>(pkts), kBurst, nullptr);
        }
        drain(out);
        cycles += rte_rdtsc() - t0;
        packets += kBurst;
        if ((packets & 0x3fff) == 0) drain_side_rings();
    }
    drain_side_rings();
    state.SetItemsProcessed(static_cast<int64_t>(packets));
    state.counters["cycles/pkt"] = static_cast<double>(cycles) / static_cast<double>(packets);
    const auto& c = B->shared->counters[0];
    uint64_t dropped = 0;
    for (const auto& p : c.port)
        for (const auto& d : p.drops) dropped += d.get();
    if (dropped != 0) state.SkipWithError("the worker dropped packets: check the bench's topology");
}

// L2: p0 -> p1, `flows` source/destination MAC pairs, all learned.
std::vector<std::vector<uint8_t>> l2_frames(uint32_t flows) {
    std::vector<std::vector<uint8_t>> frames;
    for (uint32_t i = 0; i < flows; ++i) {
        const Mac src = flow_mac(0, i), dst = flow_mac(1, i);
        B->fdb->learn(make_fdb_key(src.bytes.data(), kLan), B->port[kP0], rte_rdtsc());
        B->fdb->learn(make_fdb_key(dst.bytes.data(), kLan), B->port[kP1], rte_rdtsc());
        frames.push_back(udp_frame(dst, src, be_ip(0x0a010000 + i), be_ip(0x0a020000 + i), 1024, 2048));
    }
    return frames;
}

// NAT: `flows` guest flows to 198.51.100.7, at most 1000 inside sockets
// (10.0.0.2:5000+) times as many remote ports as it takes: the NAT maps each
// inside socket to one outside port whatever the remote, and an uplink has
// 64512 of them. Sessions are created by one pass first; `replies` gets the
// remote's answer to each flow.
std::vector<std::vector<uint8_t>> nat_frames(uint32_t flows, std::vector<std::vector<uint8_t>>* replies) {
    std::vector<std::vector<uint8_t>> frames;
    for (uint32_t i = 0; i < flows; ++i)
        frames.push_back(udp_frame(kSvcMac, kGuestMac, be_ip(0x0a000002), be_ip(0xc6336407),
                                   static_cast<uint16_t>(5000 + i % 1000), static_cast<uint16_t>(1000 + i / 1000)));
    // One pass creates the sessions; the translated frames tell the outside ports.
    for (uint32_t i = 0; i < flows; i += kBurst) {
        rte_mbuf* pkts[kBurst];
        const uint16_t n = static_cast<uint16_t>(std::min<uint32_t>(kBurst, flows - i));
        if (rte_pktmbuf_alloc_bulk(B->pool, pkts, n) != 0) die("mbuf pool empty");
        for (uint16_t k = 0; k < n; ++k) {
            std::memcpy(rte_pktmbuf_mtod(pkts[k], uint8_t*), frames[i + k].data(), kFrameLen);
            pkts[k]->data_len = kFrameLen;
            pkts[k]->pkt_len = kFrameLen;
        }
        B->worker->process_burst(*B->topo, B->port[kG], pkts, n, rte_rdtsc());
        B->worker->flush(*B->topo);
        rte_mbuf* out[kBurst];
        const unsigned got = rte_ring_dequeue_burst(B->tx[kUp], reinterpret_cast<void**>(out), kBurst, nullptr);
        if (got != n) die("NAT warm-up: " + std::to_string(got) + " of " + std::to_string(n) + " translated");
        for (unsigned k = 0; k < got; ++k) {
            const uint8_t* f = rte_pktmbuf_mtod(out[k], const uint8_t*);
            const uint16_t outside_port = load_be16(f + kEtherHdrLen + kIpv4HdrLen);
            const uint16_t remote_port = load_be16(f + kEtherHdrLen + kIpv4HdrLen + 2);
            if (replies != nullptr)
                replies->push_back(
                    udp_frame(kUpMac, kGwMac, be_ip(0xc6336407), be_ip(0xcb00710a), remote_port, outside_port));
        }
        rte_pktmbuf_free_bulk(out, got);
    }
    drain_side_rings();
    return frames;
}

// VXLAN: `flows` pairs of a MAC on port f and one behind the remote VTEP
// 203.0.113.20 (both learned). `encap`: f's frames to the remote MACs;
// else the remote's frames in VXLAN (to the uplink address, VNI 5001).
std::vector<std::vector<uint8_t>> vxlan_frames(uint32_t flows, bool encap) {
    std::vector<std::vector<uint8_t>> frames;
    const auto tmpl = overlay::write_vxlan_template(
        {kRemoteVtepMac.bytes, kUpMac.bytes, be_ip(0xcb007114), be_ip(0xcb00710a), 5001});
    for (uint32_t i = 0; i < flows; ++i) {
        const Mac local = flow_mac(4, i), remote = flow_mac(5, i);
        B->fdb->learn(make_fdb_key(local.bytes.data(), kFar), B->port[kF], rte_rdtsc());
        B->fdb->learn(make_fdb_key(remote.bytes.data(), kFar), vtep_port(0), rte_rdtsc());
        if (encap) {
            frames.push_back(udp_frame(remote, local, be_ip(0x0a040000 + i), be_ip(0x0a050000 + i), 1024, 2048));
            continue;
        }
        const auto inner = udp_frame(local, remote, be_ip(0x0a050000 + i), be_ip(0x0a040000 + i), 2048, 1024);
        std::vector<uint8_t> f(overlay::kOuterLen + inner.size());
        overlay::finish_vxlan_outer(f.data(), tmpl, static_cast<uint32_t>(inner.size()),
                                    overlay::vxlan_source_port(inner.data(), static_cast<uint32_t>(inner.size())));
        std::memcpy(f.data() + overlay::kOuterLen, inner.data(), inner.size());
        frames.push_back(std::move(f));
    }
    return frames;
}

void BM_baseline(benchmark::State& state) {
    static const auto frames = l2_frames(1);
    run(state, frames, kP0, kP1, false);
}

void BM_l2(benchmark::State& state) {
    const auto frames = l2_frames(static_cast<uint32_t>(state.range(0)));
    run(state, frames, kP0, kP1, true);
}

void BM_nat_in2out(benchmark::State& state) {
    const auto frames = nat_frames(static_cast<uint32_t>(state.range(0)), nullptr);
    run(state, frames, kG, kUp, true);
}

void BM_nat_out2in(benchmark::State& state) {
    std::vector<std::vector<uint8_t>> replies;
    nat_frames(static_cast<uint32_t>(state.range(0)), &replies);
    run(state, replies, kUp, kG, true);
}

void BM_vxlan_encap(benchmark::State& state) {
    const auto frames = vxlan_frames(static_cast<uint32_t>(state.range(0)), true);
    run(state, frames, kF, kUp, true);
}

void BM_vxlan_decap(benchmark::State& state) {
    const auto frames = vxlan_frames(static_cast<uint32_t>(state.range(0)), false);
    run(state, frames, kUp, kF, true);
}

// vswctl sessions on a table of `range(0)` sessions (1000 guests, 10.0.0.2
// up, each with one socket talking to range(0)/1000 remote ports): the time
// of one call is how long the control thread answers no DHCP, ARP or ping.
// range(1): 0 lists the default 4096 of all; 1 filters one guest (--guest).
void BM_sessions_list(benchmark::State& state) {
    const auto n = static_cast<uint32_t>(state.range(0));
    static std::unique_ptr<nat::NatTable> table;
    static uint32_t filled = 0;
    if (filled != n) {
        table.reset();
        table = nat::NatTable::create("bench_list", n);
        if (!table) die("NatTable::create for sessions_list");
        for (uint32_t i = 0; i < n; ++i) {
            nat::InsideKey k{};
            k.network = kNat;
            k.proto = 17;
            k.in_ip = be_ip(0x0a000002 + i % 1000);
            k.in_port = rte_cpu_to_be_16(5000);
            k.remote_ip = be_ip(0xc6336407);
            k.remote_port = rte_cpu_to_be_16(static_cast<uint16_t>(1000 + i / 1000));
            nat::Session* s = nullptr;
            if (table->create_masquerade(k, 0, {1024, 65535}, nullptr, 0, s) != nat::NatTable::Result::ok)
                die("sessions_list: session " + std::to_string(i) + " not created");
        }
        filled = n;
    }
    SessionListNames names;
    names.network = {"lan", "nat"};
    names.uplink_address = {"203.0.113.10"};
    SessionListFilter filter;
    if (state.range(1) == 1) filter.guest = be_ip(0x0a000002 + 7);
    size_t found = 0;
    for (auto _ : state) {
        nlohmann::json out = nlohmann::json::array();
        found = 0;
        list_sessions(*table, 0, filter, names, 4096, out, found);
        benchmark::DoNotOptimize(out);
    }
    state.counters["matched"] = static_cast<double>(found);
}

}  // namespace

BENCHMARK(BM_sessions_list)->Args({1000000, 0})->Args({1000000, 1})->Args({4000000, 0})->Unit(benchmark::kMillisecond);
BENCHMARK(BM_baseline);
BENCHMARK(BM_l2)->Arg(1)->Arg(1000);
BENCHMARK(BM_nat_in2out)->Arg(1)->Arg(1000)->Arg(100000);
BENCHMARK(BM_nat_out2in)->Arg(1)->Arg(1000)->Arg(100000);
BENCHMARK(BM_vxlan_encap)->Arg(1)->Arg(1000);
BENCHMARK(BM_vxlan_decap)->Arg(1)->Arg(1000);

int main(int argc, char** argv) {
    benchmark::Initialize(&argc, argv);
    setup();
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    rte_eal_cleanup();
    std::error_code ec;
    std::filesystem::remove_all(B->runtime_dir, ec);
    return 0;
}
