// Fuzzes the worker's NAT stage for real, both directions: a private EAL
// (--no-huge, its own file prefix), three net_ring ports (guest A and guest B
// of one NAT network, and the uplink), the topology Switch::publish() builds
// for them from a YAML config (build_topology, as
// tests/unit/nat_worker_fixture.hpp does), and one or two
// workers (vsw::Worker) that process bursts of mbufs made from the input.
//
// Input: one flags byte, then records [op:1][len:2 big endian][frame:len]
// (a frame cut short by the end of the input keeps what is there).
//   flags bit 0: two workers (guest B's port belongs to worker 1, which also
//                owns the upper half of the masquerade ports)
//         bit 1: the uplink's next hops (IPv4, IPv6) are not resolved yet
//         bit 2: guest A's port only accepts guest A's MAC
//         bit 3: the network has no dns address
//         bit 4: the network may hold only 4 sessions (2 per worker with two)
//         bit 5: only 4 masquerade ports
//         bit 6: a guest may hold only 2 sessions
//         bit 7: checksums: every IPv4 frame's header checksum and (unless
//                it is a fragment) TCP/UDP/ICMP checksum are made right
//                before it enters, and every frame that leaves must have
//                them right too (after NAT, hairpin, ICMP error translation)
//   op bits 0-1: 0 guest A, 1 guest B, 2 the uplink, 3 a control step (below)
//      bit 2: the frame's L4 checksum is partial (a guest's checksum offload)
//      bit 3: after this frame's burst, the workers do not drain their
//             handoff rings yet (they do after every other burst)
//      bit 4: the burst ends after this frame (it also ends at 32 frames, or
//             when the next frame enters on another port)
//   control step (op & 3 == 3; `len` is its argument, no frame follows),
//   chosen by op bits 2-4: 0 drain the workers' handoff rings, 1 expire NAT
//   sessions with the clock advanced by `len` seconds, 2 reload the network
//   (its NAT epoch changes), 3 toggle guest A's link, 4 toggle whether the
//   port forward's guest MAC is known, 5 toggle whether guest A's port has
//   used its MAC budget; 6-7 as 0.
//
// VSW_FUZZ_VERBOSE=1 prints what each input did (counters, drops by reason):
// to check that the seeds (make_seeds.py) do what they are meant to.
//
// The uplink also has an IPv6 address (2001:db8:1::10, next hop
// 2001:db8:1::1, resolver6 2001:db8::53) and the network the default
// subnet6 fd17:625c:f037:2::/64, DNS at ::3: IPv6 frames go through NAT66.
// And it carries internal network `far`'s VXLAN overlay (VNI 5001, remotes
// 203.0.113.20 and 192.0.2.7): UDP 4789 to its address is decapsulated.
//
// Every input starts from the same state (empty session and fragment tables,
// the same FDB), so an input always does the same. After each input every mbuf must be back in the pool
// (abort otherwise: a leak). The bytes of each mbuf beyond its frame (and its
// headroom) are poisoned for AddressSanitizer, so reading past a frame's end
// is reported even though DPDK's pool memory is one big block.
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_log.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_rcu_qsbr.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>
#include <sanitizer/asan_interface.h>
#include <sanitizer/lsan_interface.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <iterator>
#include <new>
#include <optional>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "config.hpp"
#include "fuzz_common.hpp"
#include "topology_builder.hpp"
#include "worker.hpp"

using namespace vsw;

namespace {

constexpr uint16_t kA = 0, kB = 1, kUp = 2, kPorts = 3;
constexpr uint32_t kTableCapacity = 64;

const Mac kMacA{{0x52, 0x54, 0, 0, 0, 0x0a}};
const Mac kMacB{{0x52, 0x54, 0, 0, 0, 0x0b}};
const Mac kSvcMac{{0x02, 0x76, 0x73, 0, 0, 0x01}};
const Mac kUpMac{{0x02, 0, 0, 0, 0, 0x99}};
const Mac kGwMac{{0x00, 0x00, 0x5e, 0, 0x01, 0x01}};

uint32_t ip4(uint8_t a, uint8_t b, uint8_t c, uint8_t d) {
    return Ipv4{uint32_t{a} << 24 | uint32_t{b} << 16 | uint32_t{c} << 8 | d}.to_be();
}
uint16_t be(uint16_t v) { return __builtin_bswap16(v); }

struct Global {
    rte_mempool* pool = nullptr;
    uint16_t port_ids[kPorts] = {};
    rte_ring* tx_rings[kPorts] = {};    // what each port transmitted
    rte_ring* handoff[kPorts] = {};     // PortSlot::tx_ring: frames for the port's owner
    rte_rcu_qsbr* qsbr = nullptr;
    std::unique_ptr<DatapathShared> shared;
    std::unique_ptr<Fdb> fdb;
    std::unique_ptr<Topology> topologies[128];  // by flags & 0x7f; copied for each input
    std::unique_ptr<nat::NatTable> tables[2];         // emptied after each input
    std::unique_ptr<nat::NatTable6> tables6[2];       // NAT66: the same
    std::unique_ptr<nat::FragmentTable> frags[2];     // made new after each input
    std::optional<Worker> workers[2];   // made for each input (in the same memory: no page faults)
    std::string runtime_dir;
    bool verbose = false;
    WorkerCounters before[2];           // verbose: the counters when the input began
};
Global* g = nullptr;

[[noreturn]] void die(const char* what) {
    std::fprintf(stderr, "fuzz_nat_worker setup: %s\n", what);
    std::exit(1);
}

void cleanup_eal() {
    if (g == nullptr) return;
    rte_eal_cleanup();
    std::error_code ec;
    std::filesystem::remove_all(g->runtime_dir, ec);
}

void make_ports() {
    for (uint16_t i = 0; i < kPorts; ++i) {
        const std::string n = std::to_string(i);
        rte_ring* rx = rte_ring_create(("frx" + n).c_str(), 256, 0, RING_F_SP_ENQ | RING_F_SC_DEQ);
        g->tx_rings[i] = rte_ring_create(("ftx" + n).c_str(), 1024, 0, RING_F_SP_ENQ | RING_F_SC_DEQ);
        g->handoff[i] = rte_ring_create(("fho" + n).c_str(), 256, 0, RING_F_SC_DEQ);
        if (rx == nullptr || g->tx_rings[i] == nullptr || g->handoff[i] == nullptr) die("rings");
        const int id = rte_eth_from_rings(("fring" + n).c_str(), &rx, 1, &g->tx_rings[i], 1, 0);
        if (id < 0) die("rte_eth_from_rings");
        const uint16_t p = static_cast<uint16_t>(id);
        g->port_ids[i] = p;
        rte_eth_conf conf{};
        if (rte_eth_dev_configure(p, 1, 1, &conf) != 0 || rte_eth_rx_queue_setup(p, 0, 256, 0, nullptr, g->pool) != 0 ||
            rte_eth_tx_queue_setup(p, 0, 1024, 0, nullptr) != 0 || rte_eth_dev_start(p) != 0)
            die("ring port");
    }
}

// The YAML behind a flags byte (bits 2, 3, 4, 6; bit 0 is the number of
// workers, bits 1 and 5 are set on the topology): one NAT network with guests
// A and B on one uplink.
std::string config_for(uint8_t flags) {
    std::string y = "uplinks:\n  wan: {device: net_ring0, address: 203.0.113.10/24, gateway: 203.0.113.1, "
                    "resolver: 9.9.9.9, ports: ";
    // NAT66 too: the network takes the default subnet6 fd17:625c:f037:2::/64.
    y += "20000-20099, host_link: false, address6: \"2001:db8:1::10/64\", gateway6: \"2001:db8:1::1\", "
         "resolver6: \"2001:db8::53\"}\n";
    y += "networks:\n  nat:\n    mode: nat\n    subnet: 10.0.2.0/24\n    gateway: 10.0.2.2\n    uplink: wan\n";
    if (!(flags & 0x08)) y += "    dns: 10.0.2.3\n";
    if (flags & 0x10) y += "    max_sessions: 4\n";
    if (flags & 0x40) y += "    max_sessions_per_guest: 2\n";
    y += "    timeouts: {tcp_established: 1000, tcp_transitory: 100, udp: 50, icmp: 20}\n"
         "    port_forwards:\n"
         "      - {name: web, proto: tcp, host_port: 20050, guest_ip: 10.0.2.16, guest_port: 80}\n"
         "      - {name: dns, proto: udp, host_port: 53, guest_ip: 10.0.2.15, guest_port: 53}\n"  // below the range
         "      - {name: tftp, proto: udp, host_port: 20070, guest_ip: 10.0.2.17, guest_port: 69}\n"  // MAC unknown
         // VXLAN on the same uplink: UDP 4789 to it is decapsulated first
         // (the network has no ports here: what comes out is counted and dropped).
         "  far:\n    mode: internal\n    overlay: {vni: 5001, uplink: wan, remotes: [203.0.113.20, 192.0.2.7]}\n"
         "ports:\n";
    y += (flags & 0x04) ? "  a: {network: nat, mac: \"52:54:00:00:00:0a\"}\n" : "  a: {network: nat}\n";
    y += "  b: {network: nat}\n";
    return y;
}

// What Switch::publish() builds (build_topology) for that config on the
// ring ports: guest B's port on worker 1 when there are two.
std::unique_ptr<Topology> topology_for(uint8_t flags) {
    auto cfg = load_config_string(config_for(flags), "fuzz_nat_worker.yaml");
    if (!cfg) die(cfg.error().to_string().c_str());
    const uint16_t workers = (flags & 0x01) ? 2 : 1;
    TopologyModel m;
    m.n_workers = workers;
    m.nat_epoch[0] = 5;
    m.uplinks["wan"] = {cfg->uplinks.at("wan"), 0, g->port_ids[kUp], 0, g->handoff[kUp], kUpMac, !(flags & 0x02), kGwMac,
                        !(flags & 0x02), kGwMac, {}};
    m.networks["nat"] = {cfg->networks.at("nat"), 0, kSvcMac, true, std::nullopt, nullptr, {}};
    m.ports["a"] = {cfg->ports.at("a"), g->port_ids[kA], 0, g->handoff[kA]};
    m.ports["b"] = {cfg->ports.at("b"), g->port_ids[kB], static_cast<uint16_t>(workers - 1), g->handoff[kB]};
    m.neighbors[0][Ipv4::from_be(ip4(10, 0, 2, 15)).value] = kMacA;
    m.neighbors[0][Ipv4::from_be(ip4(10, 0, 2, 16)).value] = kMacB;
    auto t = build_topology(m);
    if (flags & 0x20) {
        // 4 masquerade ports, to reach port exhaustion in a few packets: set
        // on the slices, as a config cannot say it (a range has >= 64 ports).
        UplinkSlot& up = t->uplinks[0];
        if (workers == 2) {
            up.slice[0] = {20000, 20001};
            up.slice[1] = {20002, 20003};
        } else {
            up.slice[0] = {20000, 20003};
        }
    }
    return t;
}

// An IPv4 frame whose lengths hang together (what parse_l4 also demands),
// and whether its L4 checksum can be computed (not a fragment; TCP, UDP or
// ICMP with the checksum field inside). NAT never changes what this says.
struct Ipv4Shape {
    bool ip = false, l4 = false;
    uint32_t ihl = 0, total = 0;
    uint8_t proto = 0;
};
Ipv4Shape shape(const uint8_t* f, uint32_t len) {
    Ipv4Shape s;
    if (len < 34 || fuzz::be16(f + 12) != 0x0800) return s;
    const uint8_t* ip = f + 14;
    s.ihl = (ip[0] & 0x0f) * 4u;
    s.total = fuzz::be16(ip + 2);
    if ((ip[0] >> 4) != 4 || s.ihl < 20 || s.total < s.ihl || 14 + s.total > len) return s;
    s.ip = true;
    s.proto = ip[9];
    const uint32_t l4_len = s.total - s.ihl;
    const bool fragment = (fuzz::be16(ip + 6) & 0x3fff) != 0;
    s.l4 = !fragment && ((s.proto == 6 && l4_len >= 20) || (s.proto == 17 && l4_len >= 8) || (s.proto == 1 && l4_len >= 8));
    return s;
}
uint32_t l4_sum_offset(uint8_t proto) { return proto == 6 ? 16 : proto == 17 ? 6 : 2; }

// Makes the frame's checksums right (flags bit 7). A UDP length is set to
// the IPv4 payload's, so that every checksum covers the same bytes.
void fix_checksums(uint8_t* f, uint32_t len) {
    const Ipv4Shape s = shape(f, len);
    if (!s.ip) return;
    uint8_t* ip = f + 14;
    if (s.l4) {
        uint8_t* l4 = ip + s.ihl;
        const uint32_t l4_len = s.total - s.ihl;
        if (s.proto == 17) {
            l4[4] = static_cast<uint8_t>(l4_len >> 8);
            l4[5] = static_cast<uint8_t>(l4_len);
        }
        uint8_t* sum = l4 + l4_sum_offset(s.proto);
        sum[0] = sum[1] = 0;
        uint32_t acc = 0;
        if (s.proto != 1) {
            const uint8_t pseudo[12] = {ip[12], ip[13], ip[14], ip[15], ip[16], ip[17], ip[18], ip[19], 0, s.proto,
                                        static_cast<uint8_t>(l4_len >> 8), static_cast<uint8_t>(l4_len)};
            acc = fuzz::ones_sum(pseudo, 12);
        }
        uint16_t c = static_cast<uint16_t>(~fuzz::ones_sum(l4, l4_len, acc));
        if (s.proto == 17 && c == 0) c = 0xffff;
        sum[0] = static_cast<uint8_t>(c >> 8);
        sum[1] = static_cast<uint8_t>(c);
    }
    ip[10] = ip[11] = 0;
    const uint16_t c = static_cast<uint16_t>(~fuzz::ones_sum(ip, s.ihl));
    ip[10] = static_cast<uint8_t>(c >> 8);
    ip[11] = static_cast<uint8_t>(c);
}

// What left a port when every frame came in with right checksums.
void check_checksums(const uint8_t* f, uint32_t len) {
    const Ipv4Shape s = shape(f, len);
    if (!s.ip) return;
    const uint8_t* ip = f + 14;
    FUZZ_CHECK(fuzz::ip_header_verifies(ip, s.ihl));
    if (!s.l4) return;
    const uint8_t* l4 = ip + s.ihl;
    if (s.proto == 17 && fuzz::be16(l4 + 6) == 0) return;  // "no checksum"
    FUZZ_CHECK(fuzz::l4_verifies(ip, s.proto, l4, s.total - s.ihl));
}

// An mbuf holding `len` bytes; everything around them is poisoned.
rte_mbuf* make_mbuf(const uint8_t* p, uint16_t len, bool partial_csum, bool fix_sums) {
    rte_mbuf* m = rte_pktmbuf_alloc(g->pool);
    if (m == nullptr) {
        std::fprintf(stderr, "fuzz_nat_worker: mbuf pool empty (%u in use): leaked mbufs\n",
                     rte_mempool_in_use_count(g->pool));
        std::abort();
    }
    auto* buf = static_cast<uint8_t*>(m->buf_addr);
    ASAN_UNPOISON_MEMORY_REGION(buf, m->buf_len);
    char* d = rte_pktmbuf_append(m, len);
    if (d == nullptr) std::abort();
    std::memcpy(d, p, len);
    if (fix_sums) fix_checksums(reinterpret_cast<uint8_t*>(d), len);
    if (partial_csum) m->ol_flags |= RTE_MBUF_F_RX_L4_CKSUM_NONE;
    ASAN_POISON_MEMORY_REGION(buf, m->data_off);
    ASAN_POISON_MEMORY_REGION(d + len, m->buf_len - m->data_off - len);
    return m;
}

void free_ring(rte_ring* r) {
    if (r == nullptr) return;
    rte_mbuf* m;
    while (rte_ring_dequeue(r, reinterpret_cast<void**>(&m)) == 0) rte_pktmbuf_free(m);
}

// Empties a session table for the next input, which then sees the same
// table as a new one would be: every session removed (each network's epoch
// taken as stale), and the port allocation cursors back at the start. (A new
// NatTable per input would cost 10 ms under ASan: its 768 KiB port bitmap is
// fresh memory each time.)
void reset_table(nat::NatTable& t) {
    uint32_t stale[kMaxNetworks];
    std::fill(std::begin(stale), std::end(stale), UINT32_MAX);
    t.expire_some(0, stale, UINT32_MAX);
    FUZZ_CHECK(t.size() == 0);
    for (uint16_t n = 0; n < kMaxNetworks; ++n) FUZZ_CHECK(t.size_of(n) == 0);
    // The cursor is taken modulo the slice's length: a one-port slice sets it to 0.
    for (uint8_t proto : {nat::kProtoTcp, nat::kProtoUdp, nat::kProtoIcmp}) {
        const nat::InsideKey in{kMaxNetworks - 1, proto, 0, ip4(10, 9, 9, 9), ip4(10, 8, 8, 8), be(1), be(1)};
        nat::Session* s = nullptr;
        FUZZ_CHECK(t.create_masquerade(in, 0, nat::PortSlice{1, 1}, nullptr, 0, s) == nat::NatTable::Result::ok);
        t.remove(*s);
    }
    FUZZ_CHECK(t.size() == 0);
}

void reset_table6(nat::NatTable6& t) {
    uint32_t stale[kMaxNetworks];
    std::fill(std::begin(stale), std::end(stale), UINT32_MAX);
    t.expire_some(0, stale, UINT32_MAX);
    FUZZ_CHECK(t.size() == 0);
    for (uint8_t proto : {nat::kProtoTcp, nat::kProtoUdp, nat::kProtoIcmp6}) {
        const nat::InsideKey6 in{kMaxNetworks - 1, proto, 0, 1, {}, {}, be(1), be(1)};
        nat::Session6* s = nullptr;
        FUZZ_CHECK(t.create_masquerade(in, 0, nat::PortSlice{1, 1}, nullptr, 0, s) == nat::NatResult::ok);
        t.remove(*s);
    }
    FUZZ_CHECK(t.size() == 0);
}

// One input's switch: workers and a topology from the flags; the tables are
// emptied when it ends.
struct Run {
    Topology topo;
    std::optional<Worker>* workers = g->workers;
    uint64_t tsc = 1'000'000;
    uint32_t clock_s = 0;
    bool fragments_seen = false;  // an IPv4 fragment came in: the fragment tables may hold entries
    bool sums_right = false;      // flags bit 7: frames enter with right checksums; they must leave so

    explicit Run(uint8_t flags) : topo(*g->topologies[flags & 0x7f]), sums_right(flags & 0x80) {
        for (uint16_t w = 0; w < topo.n_workers; ++w) workers[w].emplace(*g->shared, w);
    }

    Worker& owner(uint16_t port_index) { return *workers[topo.ports[g->port_ids[port_index]].worker]; }

    // What a worker round does after its rx bursts, for every worker.
    void round() {
        for (int pass = 0; pass < 4; ++pass) {
            unsigned work = 0;
            for (uint16_t w = 0; w < topo.n_workers; ++w) {
                work += workers[w]->drain_nat_handoff(topo, clock_s);
                work += workers[w]->drain_handoff(topo);
                workers[w]->flush(topo);
            }
            if (work == 0) break;
        }
    }

    // The control thread and the guests: take what left the ports.
    void drain_outputs() {
        DatapathShared& sh = *g->shared;
        for (uint16_t i = 0; i < kPorts; ++i) {
            rte_mbuf* m;
            while (rte_ring_dequeue(g->tx_rings[i], reinterpret_cast<void**>(&m)) == 0) {
                if (sums_right) check_checksums(rte_pktmbuf_mtod(m, const uint8_t*), rte_pktmbuf_data_len(m));
                rte_pktmbuf_free(m);
            }
        }
        free_ring(sh.slow_path_ring);
        LearnEvent ev;
        while (rte_ring_sc_dequeue_elem(sh.learn_ring, &ev, sizeof ev) == 0) {
        }
    }

    // One rx burst on the port's owner; then, as the workers' loops do, every
    // worker drains what others handed it, unless `hold` keeps that for later.
    void burst(uint16_t port_index, rte_mbuf** pkts, uint16_t n, bool hold) {
        if (n == 0) return;
        Worker& w = owner(port_index);
        w.process_burst(topo, g->port_ids[port_index], pkts, n, tsc += 100'000);
        w.flush(topo);
        if (!hold) round();
        drain_outputs();
    }

    void control(uint8_t op, uint16_t arg) {
        DatapathShared& sh = *g->shared;
        switch ((op >> 2) & 7) {
            case 1:
                clock_s += arg;
                for (uint16_t w = 0; w < topo.n_workers; ++w) workers[w]->expire_nat(topo, clock_s, 4096);  // a whole scan: the same result whatever the slots
                break;
            case 2:
                ++topo.nat_epoch[0];
                break;
            case 3: {
                auto& up = sh.link_up[g->port_ids[kA]];
                up.store(!up.load());
                break;
            }
            case 4: {
                ForwardRule& r = topo.uplinks[0].forwards[0];
                r.guest_mac_known = !r.guest_mac_known;
                break;
            }
            case 5: {
                auto& full = sh.macs_full[g->port_ids[kA]];
                full.store(!full.load());
                break;
            }
            default:
                round();
                break;
        }
        drain_outputs();
    }

    // The counters' change over this input (VSW_FUZZ_VERBOSE).
    void report() const {
        const DatapathShared& sh = *g->shared;
        for (uint16_t w = 0; w < topo.n_workers; ++w) {
            const WorkerCounters& c = sh.counters[w];
            const WorkerCounters& b = g->before[w];
            std::fprintf(stderr, "worker %u: in2out %lu out2in %lu created %lu expired %lu handoffs %lu icmp_errors %lu "
                         "fragments %lu sessions %u",
                         w, c.nat_in2out.get() - b.nat_in2out.get(), c.nat_out2in.get() - b.nat_out2in.get(),
                         c.nat_sessions_created.get() - b.nat_sessions_created.get(),
                         c.nat_sessions_expired.get() - b.nat_sessions_expired.get(),
                         c.nat_handoffs.get() - b.nat_handoffs.get(), c.nat_icmp_errors.get() - b.nat_icmp_errors.get(),
                         c.nat_fragments.get() - b.nat_fragments.get(), g->tables[w]->size());
            for (uint16_t i = 0; i < kPorts; ++i) {
                const PortCounters& pc = c.port[g->port_ids[i]];
                const PortCounters& pb = b.port[g->port_ids[i]];
                std::fprintf(stderr, " | %s rx %lu tx %lu slow %lu", i == kA ? "A" : i == kB ? "B" : "up",
                             pc.rx_packets.get() - pb.rx_packets.get(), pc.tx_packets.get() - pb.tx_packets.get(),
                             pc.to_slow_path.get() - pb.to_slow_path.get());
                for (unsigned r = 0; r < kDropReasonCount; ++r)
                    if (const uint64_t d = pc.drops[r].get() - pb.drops[r].get())
                        std::fprintf(stderr, " %s=%lu", drop_reason_name(static_cast<DropReason>(r)), d);
            }
            std::fprintf(stderr, "\n");
        }
        for (uint16_t w = 0; w < 2; ++w)
            for (uint16_t i = 0; i < kPorts; ++i) {
                // copy the counters (atomics) one by one
                const PortCounters& pc = sh.counters[w].port[g->port_ids[i]];
                PortCounters& pb = g->before[w].port[g->port_ids[i]];
                pb.rx_packets.reset(); pb.rx_packets.add(pc.rx_packets.get());
                pb.tx_packets.reset(); pb.tx_packets.add(pc.tx_packets.get());
                pb.to_slow_path.reset(); pb.to_slow_path.add(pc.to_slow_path.get());
                for (unsigned r = 0; r < kDropReasonCount; ++r) {
                    pb.drops[r].reset();
                    pb.drops[r].add(pc.drops[r].get());
                }
            }
        for (uint16_t w = 0; w < 2; ++w) {
            const WorkerCounters& c = sh.counters[w];
            WorkerCounters& b = g->before[w];
            for (auto [from, to] : {std::pair{&c.nat_in2out, &b.nat_in2out}, {&c.nat_out2in, &b.nat_out2in},
                                    {&c.nat_sessions_created, &b.nat_sessions_created},
                                    {&c.nat_sessions_expired, &b.nat_sessions_expired},
                                    {&c.nat_handoffs, &b.nat_handoffs}, {&c.nat_icmp_errors, &b.nat_icmp_errors},
                                    {&c.nat_fragments, &b.nat_fragments}}) {
                to->reset();
                to->add(from->get());
            }
        }
    }

    ~Run() {
        round();
        drain_outputs();
        DatapathShared& sh = *g->shared;
        for (uint16_t i = 0; i < kPorts; ++i) free_ring(g->handoff[i]);
        for (uint16_t w = 0; w < 2; ++w) {
            free_ring(sh.nat_out2in_rings[w]);
            free_ring(sh.nat_in2out_rings[w]);
        }
        for (auto& l : sh.link_up) l.store(true);
        for (auto& f : sh.macs_full) f.store(false);
        if (g->verbose) report();
        for (uint16_t w = 0; w < 2; ++w) workers[w].reset();
        for (uint16_t w = 0; w < 2; ++w) {
            reset_table(*g->tables[w]);
            reset_table6(*g->tables6[w]);
            // A fragment table is a plain array: made new in place. Only a
            // fragment (MF or an offset) makes an entry: without one it is as new.
            if (!fragments_seen) continue;
            g->frags[w]->~FragmentTable();
            new (g->frags[w].get()) nat::FragmentTable();
        }
        const unsigned in_use = rte_mempool_in_use_count(g->pool);
        if (in_use != 0) {
            std::fprintf(stderr, "fuzz_nat_worker: %u mbufs not back in the pool after the input: a leak\n", in_use);
            std::abort();
        }
    }
};

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    g = new Global();
    g->verbose = std::getenv("VSW_FUZZ_VERBOSE") != nullptr;
    const std::string prefix = "vswfuzz" + std::to_string(getpid());
    std::vector<std::string> args = {"fuzz_nat_worker", "--no-huge", "-m", "128", "--no-pci", "--no-shconf",
                                     "--no-telemetry", "--file-prefix", prefix, "-l", "0",
                                     "--log-level=*:error"};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    // What the EAL allocates for the life of the process is not a leak of an input.
    __lsan_disable();
    const int rc = rte_eal_init(static_cast<int>(argv.size()), argv.data());
    if (rc < 0) die("rte_eal_init");
    g->runtime_dir = rte_eal_get_runtime_dir();
    std::atexit(cleanup_eal);
    // A run that crashed (libFuzzer leaves with _Exit) left its runtime
    // directory behind: remove those whose process is gone.
    {
        std::error_code ec;
        const std::filesystem::path parent = std::filesystem::path(g->runtime_dir).parent_path();
        for (const auto& e : std::filesystem::directory_iterator(parent, ec)) {
            const std::string name = e.path().filename().string();
            if (name.rfind("vswfuzz", 0) != 0 || name.size() == 7) continue;
            const std::string pid = name.substr(7);
            if (pid.find_first_not_of("0123456789") != std::string::npos) continue;
            if (kill(static_cast<pid_t>(std::stol(pid)), 0) != 0 && errno == ESRCH) std::filesystem::remove_all(e.path(), ec);
        }
    }

    g->pool = rte_pktmbuf_pool_create("fuzzpool", 2047, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, 0);
    if (g->pool == nullptr) die("mbuf pool");
    make_ports();
    g->qsbr = static_cast<rte_rcu_qsbr*>(rte_zmalloc(nullptr, rte_rcu_qsbr_get_memsize(2), 64));
    rte_rcu_qsbr_init(g->qsbr, 2);
    g->shared = std::make_unique<DatapathShared>();
    DatapathShared& sh = *g->shared;
    sh.qsbr = g->qsbr;
    sh.tsc_hz = rte_get_tsc_hz();
    g->fdb = Fdb::create("ffdb", 1024, g->qsbr);
    if (!g->fdb) die("Fdb::create");
    sh.fdb = g->fdb.get();
    sh.slow_path_ring = rte_ring_create("fsp", 256, 0, RING_F_SC_DEQ);
    sh.learn_ring = rte_ring_create_elem("fln", sizeof(LearnEvent), 256, 0, RING_F_SC_DEQ);
    for (uint16_t w = 0; w < 2; ++w) {
        sh.nat_out2in_rings[w] = rte_ring_create(("fo2i" + std::to_string(w)).c_str(), 64, 0, RING_F_SC_DEQ);
        sh.nat_in2out_rings[w] = rte_ring_create(("fi2o" + std::to_string(w)).c_str(), 64, 0, RING_F_SC_DEQ);
        if (!sh.nat_out2in_rings[w] || !sh.nat_in2out_rings[w]) die("handoff rings");
    }
    if (!sh.slow_path_ring || !sh.learn_ring) die("rings");
    for (auto& l : sh.link_up) l.store(true);
    // The guests' MACs are known (the control thread learned them): NAT
    // replies are switched to one port. Learn events are not applied, so
    // every input starts from the same FDB.
    g->fdb->learn(make_fdb_key(kMacA.bytes.data(), 0), g->port_ids[kA], 1);
    g->fdb->learn(make_fdb_key(kMacB.bytes.data(), 0), g->port_ids[kB], 1);
    for (uint16_t w = 0; w < 2; ++w) {
        g->tables[w] = nat::NatTable::create("fnat" + std::to_string(w), kTableCapacity);
        if (!g->tables[w]) die("NatTable::create");
        g->frags[w] = std::make_unique<nat::FragmentTable>();
        sh.nat_tables[w] = g->tables[w].get();
        g->tables6[w] = nat::NatTable6::create("fnat6_" + std::to_string(w), kTableCapacity);
        if (!g->tables6[w]) die("NatTable6::create");
        sh.nat6_tables[w] = g->tables6[w].get();
        sh.fragment_tables[w] = g->frags[w].get();
    }
    for (unsigned f = 0; f < 128; ++f) g->topologies[f] = topology_for(static_cast<uint8_t>(f));
    __lsan_enable();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size < 1) return 0;
    Run run(data[0]);
    rte_mbuf* pkts[kBurst];
    uint16_t n = 0;
    uint16_t burst_port = 0;
    bool hold = false;
    size_t i = 1;
    while (i + 3 <= size) {
        const uint8_t op = data[i];
        const uint16_t arg = fuzz::be16(data + i + 1);
        i += 3;
        const uint16_t port = op & 3;
        if (port == 3) {
            run.burst(burst_port, pkts, n, hold);
            n = 0;
            run.control(op, arg);
            continue;
        }
        const uint16_t len = static_cast<uint16_t>(std::min<size_t>({arg, size - i, RTE_MBUF_DEFAULT_DATAROOM}));
        if (n > 0 && port != burst_port) {
            run.burst(burst_port, pkts, n, hold);
            n = 0;
        }
        burst_port = port;
        hold = op & 0x08;
        if (len >= 34 && fuzz::be16(data + i + 12) == 0x0800 && (fuzz::be16(data + i + 20) & 0x3fff) != 0)
            run.fragments_seen = true;
        pkts[n++] = make_mbuf(data + i, len, op & 0x04, run.sums_right);
        i += len;
        if ((op & 0x10) || n == kBurst) {
            run.burst(burst_port, pkts, n, hold);
            n = 0;
        }
    }
    run.burst(burst_port, pkts, n, hold);
    return 0;
}
