// vswgen: a DPDK traffic generator for vhost-user switches.
//
// It attaches to the switch under test with virtio-user (one --vdev per
// vhost-user socket, given as EAL arguments before "--"), pairs the ports
// (0<->1, 2<->3, ...) and sends UDP/IPv4 frames both ways, the way a testpmd
// io loop would see them. Each frame carries, right after the UDP header,
//   u16 magic|src port, u64 sequence number, u64 TSC at transmission
// (18 bytes: exactly what a 64-byte frame has room for), so the receiver
// counts loss, reordering and one-way latency (p50/p99/max; both ends run on
// this host, so the TSC is common).
//
//   vswgen EAL-ARGS -- [options]   (vswgen_options.*; --help lists them)
//
// throughput: send at --rate packets/s in total over all ports (0 = as fast as
//   the switch takes them) for --duration seconds, report what arrived.
// ndr: a max-rate trial gives an upper bound, then a binary search (RFC 2544
//   style) for the highest rate whose loss is <= --loss-pct, each trial
//   --trial seconds, until the bounds are within --precision (relative).
//
// Frame sizes include the 4-byte FCS (a "64-byte frame" is 60 bytes in the
// mbuf); Gbps counts frame bytes incl. FCS ("l2") and with preamble+IFG ("l1").
// Before measuring, every flow is sent a few times each way so that a learning
// switch knows all MAC addresses.
//
// NAT (--roles inside,reflect): port 0 is a host behind the NAT, port 1 the
// far side of the uplink. The inside port sends UDP from `--sockets` inside
// (ip, port) pairs to remote addresses; flow f uses socket f % S and remote
// f / S (so flows that share an inside socket differ in the remote, which an
// endpoint-independent NAT needs to hold more than ~64k flows on one outside
// address). Headers are written per packet from the flow index (1M per-flow
// templates would be 64 MB per port). The outside port answers every ARP
// request with its own MAC (the NAT resolves its gateway through it) and
// reflects UDP: MACs, IPs and ports swapped, payload kept, so the reply goes
// back through the NAT and the inside port measures round-trip latency. Role
// `sink` answers ARP but only counts (used to measure new-session rate, where
// the reverse direction would only dilute it). --new-flows: the flow index
// never repeats within the run, so every packet is a new 5-tuple.
//
// VXLAN (--roles l2,vtep): port 0 is a guest of an overlay network sending
// its flows (as in l2) to MACs behind a remote VTEP; port 1 is that remote
// host on the switch's uplink. It answers ARP (the switch resolves the VTEP
// through it) and reflects each VXLAN frame: outer MACs and IPs swapped
// (UDP to 4789 again), and inside it the frame itself reflected, so the
// switch decapsulates it back to port 0. Forwarded pps = both directions.
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_arp.h>
#include <rte_ip.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_prefetch.h>
#include <rte_udp.h>
#include <rte_version.h>

#include <nlohmann/json.hpp>

#include "vswgen.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

using json = nlohmann::ordered_json;
using namespace vswgen;

namespace {

std::atomic<bool> g_stop{false};

void on_signal(int) { g_stop = true; }

void zero_mbuf(rte_mempool*, void*, void* obj, unsigned) {
    auto* m = static_cast<rte_mbuf*>(obj);
    std::memset(static_cast<char*>(m->buf_addr), 0, m->buf_len);
}

// Sends up to `budget` frames on one port (keeps frames the ring refused for
// the next call, so nothing is dropped on our side).
inline void tx_port(Gen& g, TxState& t, uint32_t budget) {
    uint16_t want = uint16_t(std::min<uint32_t>(budget, kBurst));
    if (t.npend < want) {
        uint16_t n = want - t.npend;
        if (rte_pktmbuf_alloc_bulk(g.pool, t.pend + t.npend, n) != 0) return;
        uint64_t now = rte_rdtsc();
        const uint32_t nflows = g.opt.flows;
        const size_t nsizes = g.sizes.size();
        for (uint16_t i = t.npend; i < want; ++i) {
            rte_mbuf* m = t.pend[i];
            uint32_t f = t.next_flow;
            if (++t.next_flow == nflows) t.next_flow = 0;
            uint32_t si = t.next_size;
            if (++t.next_size == nsizes) t.next_size = 0;
            uint16_t len = g.sizes[si] - RTE_ETHER_CRC_LEN;
            uint8_t* d = rte_pktmbuf_mtod(m, uint8_t*);
            if (g.nat) {
                std::memcpy(d, g.tmpl(t.port, 0, g.size_class_of[si]), kHdrCopy > len ? len : kHdrCopy);
                nat_patch(g, d, g.opt.new_flows ? t.next_new++ : f);
            } else {
                std::memcpy(d, g.tmpl(t.port, f, g.size_class_of[si]), kHdrCopy > len ? len : kHdrCopy);
            }
            uint64_t seq = t.seq++;
            std::memcpy(d + g.payload_off + 2, &seq, 8);
            std::memcpy(d + g.payload_off + 10, &now, 8);
            m->data_len = len;
            m->pkt_len = len;
            if (g.opt.ipv6) {
                // IPv6 has no "no checksum", and a conntrack (OVS's) drops a wrong one as invalid.
                auto* ip6 = reinterpret_cast<rte_ipv6_hdr*>(d + RTE_ETHER_HDR_LEN);
                auto* udp6 = reinterpret_cast<rte_udp_hdr*>(ip6 + 1);
                udp6->dgram_cksum = 0;
                udp6->dgram_cksum = rte_ipv6_udptcp_cksum(ip6, udp6);
            }
        }
        t.npend = want;
    }
    uint16_t sent = rte_eth_tx_burst(t.port, t.queue, t.pend, t.npend);
    for (uint16_t i = 0; i < sent; ++i) t.bytes += t.pend[i]->pkt_len + RTE_ETHER_CRC_LEN;
    t.sent += sent;
    if (sent < t.npend) {
        ++t.tx_full;
        std::memmove(t.pend, t.pend + sent, (t.npend - sent) * sizeof(rte_mbuf*));
    }
    t.npend -= sent;
    // A burst that went whole: the next one takes the next queue.
    if (t.npend == 0 && g.opt.queues > 1) t.queue = static_cast<uint16_t>((t.queue + 1) % g.opt.queues);
}

// Answers an ARP request in place (any target address: the port plays every
// host the switch asks for) and sends it back; false if `m` is no ARP request.
inline bool arp_answer(Gen& g, uint16_t port, rte_mbuf* m) {
    auto* eth = rte_pktmbuf_mtod(m, rte_ether_hdr*);
    if (eth->ether_type != rte_cpu_to_be_16(RTE_ETHER_TYPE_ARP) ||
        m->data_len < sizeof(rte_ether_hdr) + sizeof(rte_arp_hdr))
        return false;
    auto* arp = reinterpret_cast<rte_arp_hdr*>(eth + 1);
    if (arp->arp_opcode != rte_cpu_to_be_16(RTE_ARP_OP_REQUEST)) return false;
    const rte_ether_addr me = g.role[port] == Role::Inside ? g.opt.src_mac : g.port_mac[port];
    eth->dst_addr = eth->src_addr;
    eth->src_addr = me;
    arp->arp_opcode = rte_cpu_to_be_16(RTE_ARP_OP_REPLY);
    arp->arp_data.arp_tha = arp->arp_data.arp_sha;
    arp->arp_data.arp_sha = me;
    const rte_be32_t sip = arp->arp_data.arp_sip;  // packed: no std::swap
    arp->arp_data.arp_sip = arp->arp_data.arp_tip;
    arp->arp_data.arp_tip = sip;
    if (rte_eth_tx_burst(port, 0, &m, 1) == 1) ++g.tx[port].arp_replies;
    else rte_pktmbuf_free(m);
    return true;
}

// The same for IPv6 neighbour solicitations (NAT66 resolves its gateway6):
// answered in place with an advertisement for the target from the port's MAC.
inline bool ns_answer(Gen& g, uint16_t port, rte_mbuf* m) {
    uint8_t* d = rte_pktmbuf_mtod(m, uint8_t*);
    constexpr uint32_t kNs = RTE_ETHER_HDR_LEN + 40 + 24;
    auto* eth = reinterpret_cast<rte_ether_hdr*>(d);
    if (eth->ether_type != rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV6) || m->data_len < kNs) return false;
    auto* ip = reinterpret_cast<rte_ipv6_hdr*>(eth + 1);
    uint8_t* icmp = d + RTE_ETHER_HDR_LEN + 40;
    if (ip->proto != 58 || icmp[0] != 135) return false;
    const rte_ether_addr me = g.role[port] == Role::Inside ? g.opt.src_mac : g.port_mac[port];
    eth->dst_addr = eth->src_addr;
    eth->src_addr = me;
    std::memcpy(ip->dst_addr, ip->src_addr, 16);
    std::memcpy(ip->src_addr, icmp + 8, 16);  // from the target
    icmp[0] = 136;
    icmp[2] = icmp[3] = 0;
    icmp[4] = 0x60;  // solicited, override
    icmp[24] = 2;    // target link-layer address option
    icmp[25] = 1;
    std::memcpy(icmp + 26, me.addr_bytes, 6);
    ip->payload_len = rte_cpu_to_be_16(32);
    m->data_len = m->pkt_len = RTE_ETHER_HDR_LEN + 40 + 32;
    const uint16_t sum = rte_ipv6_udptcp_cksum(ip, icmp);
    std::memcpy(icmp + 2, &sum, 2);
    if (rte_eth_tx_burst(port, 0, &m, 1) == 1) ++g.tx[port].arp_replies;
    else rte_pktmbuf_free(m);
    return true;
}

// Sends back what the reflect role holds; keeps what the ring refused.
inline void reflect_flush(TxState& t) {
    if (t.nrpend == 0) return;
    uint16_t sent = rte_eth_tx_burst(t.port, 0, t.rpend, t.nrpend);
    for (uint16_t i = 0; i < sent; ++i) t.bytes += t.rpend[i]->pkt_len + RTE_ETHER_CRC_LEN;
    t.sent += sent;
    if (sent < t.nrpend) {
        ++t.tx_full;
        std::memmove(t.rpend, t.rpend + sent, (t.nrpend - sent) * sizeof(rte_mbuf*));
    }
    t.nrpend -= sent;
}

// An IPv4 header's addresses swapped (its checksum stays right), and with
// `udp` the ports of the UDP header after it too.
inline void swap_ipv4(rte_ipv4_hdr* ip, bool udp) {
    const rte_be32_t a = ip->src_addr;  // packed: no std::swap
    ip->src_addr = ip->dst_addr;
    ip->dst_addr = a;
    if (!udp) return;
    auto* u = reinterpret_cast<rte_udp_hdr*>(ip + 1);
    const rte_be16_t sp = u->src_port;
    u->src_port = u->dst_port;
    u->dst_port = sp;
}

// Reflect role: UDP back to where it came from, payload kept except the
// magic, which now names this port (so the inside port counts the reply as
// this port's direction; its TSC stays: the latency is the round trip).
inline void reflect(Gen& g, uint16_t port, rte_mbuf* m) {
    TxState& t = g.tx[port];
    if (t.nrpend == TxState::kReflectPend) { ++t.reflect_dropped; rte_pktmbuf_free(m); return; }
    uint8_t* d = rte_pktmbuf_mtod(m, uint8_t*);
    auto* eth = reinterpret_cast<rte_ether_hdr*>(d);
    std::swap(eth->src_addr, eth->dst_addr);
    if (g.opt.ipv6) {
        auto* ip6 = reinterpret_cast<rte_ipv6_hdr*>(eth + 1);
        auto* udp6 = reinterpret_cast<rte_udp_hdr*>(ip6 + 1);
        if (std::memcmp(ip6->src_addr, kInside6, 8) == 0) ++t.untranslated;
        uint8_t a[16];
        std::memcpy(a, ip6->src_addr, 16);  // checksum unchanged by a swap
        std::memcpy(ip6->src_addr, ip6->dst_addr, 16);
        std::memcpy(ip6->dst_addr, a, 16);
        const rte_be16_t sp = udp6->src_port;  // packed: no std::swap
        udp6->src_port = udp6->dst_port;
        udp6->dst_port = sp;
        // The magic changes: the checksum follows (RFC 1624), the swaps left it as it was.
        uint16_t old_magic, magic = kMagic | port;
        std::memcpy(&old_magic, d + g.payload_off, 2);
        std::memcpy(d + g.payload_off, &magic, 2);
        uint32_t sum = uint16_t(~udp6->dgram_cksum) + uint32_t(uint16_t(~old_magic)) + magic;
        sum = (sum & 0xffff) + (sum >> 16);
        sum = (sum & 0xffff) + (sum >> 16);
        udp6->dgram_cksum = uint16_t(~sum);
        t.rpend[t.nrpend++] = m;
        return;
    }
    auto* ip = reinterpret_cast<rte_ipv4_hdr*>(eth + 1);
    auto* udp = reinterpret_cast<rte_udp_hdr*>(ip + 1);
    // proof that the switch translated (the limit does not: all of its frames count)
    if (rte_be_to_cpu_32(ip->src_addr) - g.opt.src_ip < g.sockets) ++t.untranslated;
    swap_ipv4(ip, true);
    udp->dgram_cksum = 0;
    uint16_t magic = kMagic | port;
    std::memcpy(d + g.payload_off, &magic, 2);
    t.rpend[t.nrpend++] = m;
}

// Vtep role: a VXLAN frame back to the switch's VTEP (outer MACs and IPs
// swapped, destination port 4789 kept), its inner frame reflected the same
// way (MACs, IPs, ports; the magic now names this port).
inline void reflect_vxlan(Gen& g, uint16_t port, rte_mbuf* m) {
    TxState& t = g.tx[port];
    if (t.nrpend == TxState::kReflectPend) { ++t.reflect_dropped; rte_pktmbuf_free(m); return; }
    uint8_t* d = rte_pktmbuf_mtod(m, uint8_t*);
    auto* eth = reinterpret_cast<rte_ether_hdr*>(d);
    std::swap(eth->src_addr, eth->dst_addr);
    swap_ipv4(reinterpret_cast<rte_ipv4_hdr*>(eth + 1), false);  // to 4789 again
    auto* ieth = reinterpret_cast<rte_ether_hdr*>(d + kVxlanOuter);
    std::swap(ieth->src_addr, ieth->dst_addr);
    swap_ipv4(reinterpret_cast<rte_ipv4_hdr*>(ieth + 1), true);
    uint16_t magic = kMagic | port;
    std::memcpy(d + kVxlanOuter + g.payload_off, &magic, 2);
    t.rpend[t.nrpend++] = m;
}

inline uint16_t rx_port(Gen& g, uint16_t port, bool measure) {
    rte_mbuf* m[kBurst];
    const Role role = g.role[port];
    const bool reflects = role == Role::Reflect || role == Role::Vtep;
    // Where the magic is: after the outer headers too for what a VTEP receives.
    const size_t payload_off = g.payload_off + (role == Role::Vtep ? kVxlanOuter : 0);
    if (reflects) reflect_flush(g.tx[port]);
    // Every queue, up to a burst in all (a switch may send on any of them).
    uint16_t n = rte_eth_rx_burst(port, 0, m, kBurst);
    for (uint16_t q = 1; q < g.opt.queues && n < kBurst; ++q)
        n = static_cast<uint16_t>(n + rte_eth_rx_burst(port, q, m + n, static_cast<uint16_t>(kBurst - n)));
    if (n == 0) return 0;
    for (uint16_t i = 0; i < n; ++i) rte_prefetch0(rte_pktmbuf_mtod(m[i], char*) + g.payload_off);
    uint64_t now = rte_rdtsc();
    uint16_t nfree = 0;
    for (uint16_t i = 0; i < n; ++i) {
        const uint8_t* d = rte_pktmbuf_mtod(m[i], const uint8_t*);
        uint16_t magic;
        if (role != Role::L2 && (arp_answer(g, port, m[i]) || ns_answer(g, port, m[i]))) continue;
        if (m[i]->data_len < payload_off + 18) { ++g.foreign; m[nfree++] = m[i]; continue; }
        std::memcpy(&magic, d + payload_off, 2);
        if ((magic & 0xff00) != kMagic || (magic & 0xff) >= g.nports) { ++g.foreign; m[nfree++] = m[i]; continue; }
        if (measure) {
            RxFrom& f = g.from[magic & 0xff];
            uint64_t seq, ts;
            std::memcpy(&seq, d + payload_off + 2, 8);
            std::memcpy(&ts, d + payload_off + 10, 8);
            ++f.rx;
            f.bytes += m[i]->pkt_len + RTE_ETHER_CRC_LEN;
            if (f.any && seq <= f.max_seq) ++f.out_of_order;
            else { f.max_seq = seq; f.any = true; }
            // one-way (l2) or round trip (inside); not the half-way point
            if (role == Role::L2 || role == Role::Inside) g.hist.add(now - ts);
        }
        if (role == Role::Reflect) {
            reflect(g, port, m[i]);
        } else if (role == Role::Vtep) {
            reflect_vxlan(g, port, m[i]);
        } else {
            if (role == Role::Sink && measure && !g.opt.ipv6) {
                const auto* ip = reinterpret_cast<const rte_ipv4_hdr*>(d + RTE_ETHER_HDR_LEN);
                if (rte_be_to_cpu_32(ip->src_addr) - g.opt.src_ip < g.sockets) ++g.tx[port].untranslated;
            }
            m[nfree++] = m[i];
        }
    }
    if (nfree) rte_pktmbuf_free_bulk(m, nfree);
    if (reflects) reflect_flush(g.tx[port]);
    return n;
}

void drain(Gen& g, bool measure, double max_s, double quiet_s) {
    uint64_t start = rte_rdtsc(), last = start;
    uint64_t max_c = uint64_t(max_s * g.hz), quiet_c = uint64_t(quiet_s * g.hz);
    for (;;) {
        uint64_t now = rte_rdtsc();
        bool got = false;
        for (uint16_t p = 0; p < g.nports; ++p) got |= rx_port(g, p, measure) > 0;
        if (got) last = now;
        if (now - start > max_c || now - last > quiet_c) break;
    }
}

void reset_counters(Gen& g) {
    for (uint16_t p = 0; p < g.nports; ++p) {
        TxState& t = g.tx[p];
        t.sent = t.tx_full = t.bytes = t.reflect_dropped = t.untranslated = 0;
        g.from[p] = RxFrom{};
    }
    g.hist = Histogram{};
    g.foreign = 0;
}

// Sends every flow a few times each way so learning switches know all MACs.
void warmup(Gen& g) {
    std::vector<uint16_t> saved_sizes = g.sizes;
    std::vector<uint8_t> saved_cls = g.size_class_of;
    // smallest frames are enough
    uint8_t small = uint8_t(std::min_element(g.size_classes.begin(), g.size_classes.end()) - g.size_classes.begin());
    g.sizes = {g.size_classes[small]};
    g.size_class_of = {small};
    // New-flow mode: nothing to learn ahead (and every warm-up packet would
    // use up a 5-tuple); only the ARP wait and the drain run.
    const unsigned rounds = g.opt.new_flows ? 0 : g.opt.warmup_rounds;
    for (unsigned round = 0; round < rounds && !g_stop; ++round) {
        for (uint16_t p = 0; p < g.nports; ++p) {
            TxState& t = g.tx[p];
            if (g.role[p] == Role::Reflect || g.role[p] == Role::Sink || g.role[p] == Role::Vtep)
                continue;  // they only answer
            t.next_flow = 0;
            t.next_size = 0;
            // 1 s per port and round, plus 15 us per flow: 1M NAT flows
            // create their sessions at a few 100k/s on a slow (or shared) core
            uint64_t deadline = rte_rdtsc() + g.hz + uint64_t(15e-6 * g.opt.flows * double(g.hz));
            uint64_t goal = t.sent + g.opt.flows, first = t.sent;
            while (t.sent < goal && rte_rdtsc() < deadline) {
                tx_port(g, t, uint32_t(std::min<uint64_t>(kBurst, goal - t.sent)));
                for (uint16_t q = 0; q < g.nports; ++q) rx_port(g, q, false);
            }
            g.warmup_sent.push_back(t.sent - first);  // < flows: the deadline cut the round short
            drain(g, false, 0.2, 0.02);
        }
        drain(g, false, 0.3, 0.1);  // let the switch's control plane catch up
    }
    g.sizes = saved_sizes;
    g.size_class_of = saved_cls;
    for (uint16_t p = 0; p < g.nports; ++p) {
        // frames still pending belong to the warm-up; drop them
        rte_pktmbuf_free_bulk(g.tx[p].pend, g.tx[p].npend);
        g.tx[p].npend = 0;
        rte_pktmbuf_free_bulk(g.tx[p].rpend, g.tx[p].nrpend);
        g.tx[p].nrpend = 0;
        g.tx[p].next_flow = 0;
        g.tx[p].next_size = 0;
    }
    reset_counters(g);
}

json trial(Gen& g, double rate, double seconds) {
    reset_counters(g);
    unsigned nsend = 0;
    for (uint16_t p = 0; p < g.nports; ++p) nsend += g.tx[p].sends;
    const double per_port = rate > 0 ? rate / nsend : 0;
    const uint64_t start = rte_rdtsc();
    const uint64_t end = start + uint64_t(seconds * double(g.hz));
    uint64_t now = start;
    while (now < end && !g_stop) {
        for (uint16_t p = 0; p < g.nports; ++p) {
            TxState& t = g.tx[p];
            if (!t.sends) continue;
            uint32_t budget = kBurst;
            if (per_port > 0) {
                uint64_t target = uint64_t(double(now - start) * per_port / double(g.hz));
                uint64_t queued = t.sent + t.npend;
                budget = target > t.sent ? uint32_t(std::min<uint64_t>(kBurst, std::max<uint64_t>(target, queued) - t.sent)) : 0;
                if (budget == 0) continue;
            }
            tx_port(g, t, budget);
        }
        for (uint16_t p = 0; p < g.nports; ++p) rx_port(g, p, true);
        now = rte_rdtsc();
    }
    const double elapsed = double(now - start) / double(g.hz);
    // Frames still queued in our hands were never offered: drop them.
    for (uint16_t p = 0; p < g.nports; ++p) {
        rte_pktmbuf_free_bulk(g.tx[p].pend, g.tx[p].npend);
        g.tx[p].npend = 0;
    }
    drain(g, true, 1.0, 0.05);
    uint64_t reflect_dropped = 0, unsent_reflections = 0, untranslated = 0;
    for (uint16_t p = 0; p < g.nports; ++p) {
        reflect_dropped += g.tx[p].reflect_dropped;
        untranslated += g.tx[p].untranslated;
        unsent_reflections += g.tx[p].nrpend;
        rte_pktmbuf_free_bulk(g.tx[p].rpend, g.tx[p].nrpend);
        g.tx[p].nrpend = 0;
    }

    uint64_t tx = 0, rx = 0, txb = 0, rxb = 0, ooo = 0, full = 0;
    json dirs = json::array();
    for (uint16_t p = 0; p < g.nports; ++p) {
        const TxState& t = g.tx[p];
        const RxFrom& f = g.from[p];
        tx += t.sent; txb += t.bytes; rx += f.rx; rxb += f.bytes; ooo += f.out_of_order; full += t.tx_full;
        if (t.sends || g.role[p] == Role::Reflect || g.role[p] == Role::Vtep)
            dirs.push_back({{"from", p}, {"to", t.peer}, {"tx", t.sent}, {"rx", f.rx},
                            {"lost", int64_t(t.sent) - int64_t(f.rx)},
                            {"rx_pps", double(f.rx) / elapsed}, {"out_of_order", f.out_of_order}});
    }
    const double ns_per_cycle = 1e9 / double(g.hz);
    const double rx_pps = double(rx) / elapsed;
    const int64_t lost = int64_t(tx) - int64_t(rx);
    json r = {
        {"offered_pps", rate},
        {"duration_s", elapsed},
        {"tx", tx},
        {"rx", rx},
        {"lost", lost},
        {"loss_pct", tx ? 100.0 * double(lost) / double(tx) : 0.0},
        {"tx_pps", double(tx) / elapsed},
        {"rx_pps", rx_pps},
        {"rx_mpps", rx_pps / 1e6},
        {"rx_gbps_l2", double(rxb) * 8 / elapsed / 1e9},
        {"rx_gbps_l1", (double(rxb) + 20.0 * double(rx)) * 8 / elapsed / 1e9},
        {"out_of_order", ooo},
        {"tx_ring_full", full},
        {"foreign", g.foreign},
        {"reflect_dropped", reflect_dropped},
        {"reflect_unsent", unsent_reflections},
        {"untranslated", untranslated},
        {"latency_ns", {{"samples", g.hist.count},
                        {"p50", g.hist.percentile(0.50) * ns_per_cycle},
                        {"p99", g.hist.percentile(0.99) * ns_per_cycle},
                        {"max", double(g.hist.max) * ns_per_cycle}}},
        {"directions", dirs},
    };
    return r;
}

void print_trial(const char* what, const json& t) {
    std::fprintf(stderr, "%-10s offered %10.0f pps  rx %8.3f Mpps %7.3f Gbps  loss %.4f%% (%lld)  lat p50 %.0f p99 %.0f max %.0f ns\n",
                 what, t["offered_pps"].get<double>(), t["rx_mpps"].get<double>(), t["rx_gbps_l2"].get<double>(),
                 t["loss_pct"].get<double>(), (long long)t["lost"].get<int64_t>(),
                 t["latency_ns"]["p50"].get<double>(), t["latency_ns"]["p99"].get<double>(),
                 t["latency_ns"]["max"].get<double>());
}

bool passes(const Gen& g, const json& t, double rate) {
    double loss = t["loss_pct"].get<double>();
    double tx_pps = t["tx_pps"].get<double>();
    // The generator must also have managed to offer the rate (the switch may
    // push back through full rings instead of dropping).
    return loss <= g.opt.loss_pct && tx_pps >= 0.99 * rate;
}

bool wait_links(Gen& g, double seconds) {
    uint64_t deadline = rte_rdtsc() + uint64_t(seconds * double(g.hz));
    while (rte_rdtsc() < deadline && !g_stop) {
        bool all = true;
        for (uint16_t p = 0; p < g.nports; ++p) {
            rte_eth_link link{};
            rte_eth_link_get_nowait(p, &link);
            all &= link.link_status == RTE_ETH_LINK_UP;
        }
        if (all) return true;
        rte_delay_ms(10);
    }
    return false;
}

// Polls all ports (answering ARP) until every reflect/sink port has answered
// an ARP request or `seconds` pass: a NAT switch resolves its gateway before
// it forwards anything to the uplink. Switches that do not ARP just time out.
bool wait_arp(Gen& g, double seconds) {
    uint64_t deadline = rte_rdtsc() + uint64_t(seconds * double(g.hz));
    for (;;) {
        bool all = true;
        for (uint16_t p = 0; p < g.nports; ++p) {
            rx_port(g, p, false);
            if ((g.role[p] == Role::Reflect || g.role[p] == Role::Sink || g.role[p] == Role::Vtep) &&
                g.tx[p].arp_replies == 0)
                all = false;
        }
        if (all) {
            // The switch learns the answer on its control path and publishes
            // it to the datapath a moment later; frames sent before that are
            // dropped (vswd: "uplink_unresolved"). Keep answering for 0.3 s.
            drain(g, false, 0.3, 0.3);
            return true;
        }
        if (rte_rdtsc() > deadline || g_stop) return false;
    }
}

}  // namespace

int main(int argc, char** argv) {
    int used = rte_eal_init(argc, argv);
    if (used < 0) {
        std::fprintf(stderr, "vswgen: rte_eal_init failed: %s\n", rte_strerror(rte_errno));
        return 1;
    }
    argc -= used;
    argv += used;
    Gen g;
    g.opt = parse_options(argc, argv);
    std::signal(SIGINT, on_signal);
    std::signal(SIGTERM, on_signal);
    g.hz = rte_get_tsc_hz();

    g.nports = rte_eth_dev_count_avail();
    if (g.nports < 2 || g.nports % 2 || g.nports > kMaxPorts) {
        std::fprintf(stderr, "vswgen: need an even number (2..%u) of ports (--vdev net_virtio_userN,path=SOCK), have %u\n",
                     kMaxPorts, g.nports);
        return 1;
    }
    g.pool = rte_pktmbuf_pool_create("vswgen", 16383, 512, 0, RTE_MBUF_DEFAULT_BUF_SIZE, int(rte_socket_id()));
    if (!g.pool) {
        std::fprintf(stderr, "vswgen: mbuf pool: %s\n", rte_strerror(rte_errno));
        return 1;
    }
    rte_mempool_obj_iter(g.pool, zero_mbuf, nullptr);
    for (uint16_t p = 0; p < g.nports; ++p) {
        rte_eth_conf conf{};
        const uint16_t nq = static_cast<uint16_t>(g.opt.queues);
        bool ok = rte_eth_dev_configure(p, nq, nq, &conf) == 0;
        for (uint16_t q = 0; ok && q < nq; ++q)
            ok = rte_eth_rx_queue_setup(p, q, 1024, rte_eth_dev_socket_id(p), nullptr, g.pool) == 0 &&
                 rte_eth_tx_queue_setup(p, q, 1024, rte_eth_dev_socket_id(p), nullptr) == 0;
        if (!ok || rte_eth_dev_start(p) != 0) {
            std::fprintf(stderr, "vswgen: cannot set up port %u\n", p);
            return 1;
        }
        g.tx[p].port = p;
        g.tx[p].peer = p ^ 1;
        g.tx[p].sends = !g.opt.unidir || p % 2 == 0;
        if (!g.opt.roles.empty()) {
            const std::string& r = g.opt.roles[std::min<size_t>(p, g.opt.roles.size() - 1)];
            g.role[p] = r == "inside" ? Role::Inside : r == "reflect" ? Role::Reflect : r == "sink" ? Role::Sink
                        : r == "vtep"  ? Role::Vtep
                                       : Role::L2;
        }
        // (A VTEP's peer sends l2's per-flow frames: no NAT patching.)
        if (g.role[p] != Role::L2 && g.role[p] != Role::Vtep) g.nat = true;
        if (g.role[p] == Role::Reflect || g.role[p] == Role::Sink || g.role[p] == Role::Vtep) g.tx[p].sends = false;
        rte_eth_macaddr_get(p, &g.port_mac[p]);
    }
    g.sockets = g.opt.sockets ? g.opt.sockets : std::min(g.opt.flows, 1024u);
    build_templates(g);
    int rc = 0;
    if (!wait_links(g, 15)) {
        std::fprintf(stderr, "vswgen: links did not come up (is the switch listening on the sockets?)\n");
        rc = 1;
    }
    json out = {{"tool", "vswgen"},
                {"mode", g.opt.mode},
                {"size", g.opt.size},
                {"flows", g.opt.flows},
                {"ports", g.nports},
                {"bidirectional", !g.opt.unidir},
                {"tsc_hz", g.hz},
                {"dpdk", rte_version()}};
    if (rc == 0 && g.opt.arp_wait > 0) {
        bool ok = wait_arp(g, g.opt.arp_wait);
        out["arp_resolved"] = ok;
        if (!ok) std::fprintf(stderr, "vswgen: no ARP request answered within %.1f s\n", g.opt.arp_wait);
    }
    if (g.nat) {
        json roles = json::array();
        for (uint16_t p = 0; p < g.nports; ++p)
            roles.push_back(g.role[p] == Role::Inside ? "inside" : g.role[p] == Role::Reflect ? "reflect"
                            : g.role[p] == Role::Sink ? "sink" : "l2");
        out["roles"] = roles;
        out["sockets"] = g.sockets;
        out["new_flows"] = g.opt.new_flows;
    }
    if (rc == 0) {
        warmup(g);
        if (g.opt.mode == "throughput") {
            json t = trial(g, g.opt.rate, g.opt.duration);
            print_trial("throughput", t);
            out["result"] = t;
        } else {
            json trials = json::array();
            json t = trial(g, 0, g.opt.trial);
            print_trial("max", t);
            trials.push_back(t);
            double max_pps = t["rx_pps"].get<double>();
            double lo = 0, hi = max_pps, best = 0;
            json best_t;
            double rate = hi;
            for (unsigned n = 0; n < g.opt.max_trials && !g_stop && hi > 0; ++n) {
                rte_delay_ms(100);
                drain(g, false, 0.2, 0.02);
                json r = trial(g, rate, g.opt.trial);
                bool ok = passes(g, r, rate);
                r["pass"] = ok;
                print_trial(ok ? "pass" : "fail", r);
                trials.push_back(r);
                if (ok) { lo = rate; best = rate; best_t = r; }
                else hi = rate;
                if (ok && rate >= max_pps) break;
                if (hi - lo < g.opt.precision * hi) break;
                rate = (lo + hi) / 2;
            }
            out["max_pps"] = max_pps;
            out["ndr_pps"] = best;
            out["ndr_mpps"] = best / 1e6;
            out["loss_tolerance_pct"] = g.opt.loss_pct;
            out["result"] = best_t.is_null() ? json(nullptr) : best_t;
            out["trials"] = trials;
            std::fprintf(stderr, "ndr %.3f Mpps (max %.3f Mpps)\n", best / 1e6, max_pps / 1e6);
        }
        if (g_stop) out["interrupted"] = true;
    }
    if (!g.warmup_sent.empty()) {
        out["warmup_sent"] = g.warmup_sent;
        out["warmup_complete"] = std::all_of(g.warmup_sent.begin(), g.warmup_sent.end(),
                                             [&](uint64_t n) { return n >= g.opt.flows; });
    }
    if (g.nat) {
        uint64_t arp = 0;
        for (uint16_t p = 0; p < g.nports; ++p) arp += g.tx[p].arp_replies;
        out["arp_replies"] = arp;
        uint64_t nf = 0;
        for (uint16_t p = 0; p < g.nports; ++p) nf = std::max(nf, g.tx[p].next_new);
        if (g.opt.new_flows) out["new_flows_used"] = nf;
    }
    if (g.opt.json_out) std::printf("%s\n", out.dump().c_str());
    for (uint16_t p = 0; p < g.nports; ++p) {
        rte_eth_dev_stop(p);
        rte_eth_dev_close(p);
    }
    rte_eal_cleanup();
    return rc;
}
