// vswgen's shared state (see vswgen.cpp): the generator's ports, their
// transmit and receive bookkeeping, and the per-flow frame templates
// (vswgen_frames.cpp builds them).
#pragma once

#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_udp.h>

#include <array>
#include <cstdint>
#include <cstring>
#include <vector>

#include "vswgen_histogram.hpp"
#include "vswgen_options.hpp"

namespace vswgen {

constexpr uint16_t kBurst = 32;
constexpr uint16_t kMaxPorts = 16;
constexpr uint16_t kMagic = 0xB500;  // | tx port id (low byte)
constexpr size_t kPayloadOff4 = RTE_ETHER_HDR_LEN + sizeof(rte_ipv4_hdr) + sizeof(rte_udp_hdr);  // 42
constexpr size_t kPayloadOff6 = RTE_ETHER_HDR_LEN + sizeof(rte_ipv6_hdr) + sizeof(rte_udp_hdr);  // 62
constexpr size_t kHdrCopy = 64;      // bytes copied from the per-flow template (IPv6: headers and magic)

// vtep: the far end of a VXLAN tunnel (vswgen.cpp reflect_vxlan).
enum class Role : uint8_t { L2, Inside, Reflect, Sink, Vtep };
constexpr size_t kVxlanOuter = 50;   // Ethernet, IPv4, UDP, VXLAN headers before the inner frame

struct TxState {
    uint16_t port = 0;
    uint16_t peer = 0;
    bool sends = true;
    uint64_t seq = 0;
    uint64_t sent = 0;            // accepted by tx_burst
    uint64_t tx_full = 0;         // tx_burst calls that took less than offered
    uint64_t bytes = 0;
    uint32_t next_flow = 0;
    uint64_t next_new = 0;        // --new-flows: next never-used flow index
    uint32_t next_size = 0;
    rte_mbuf* pend[kBurst];
    uint16_t npend = 0;
    uint16_t queue = 0;           // where the next burst goes (--queues)
    // reflect role: frames to send back that the ring refused so far
    static constexpr uint16_t kReflectPend = 256;
    rte_mbuf* rpend[kReflectPend];
    uint16_t nrpend = 0;
    uint64_t reflect_dropped = 0; // refused by a full ring with rpend full
    uint64_t untranslated = 0;    // reflect/sink: arrived with an inside source address
    uint64_t arp_replies = 0;
};

struct RxFrom {                   // per transmitting port, as seen by all receivers
    uint64_t rx = 0, bytes = 0, out_of_order = 0, max_seq = 0;
    bool any = false;
};

struct Gen {
    Options opt;
    uint16_t nports = 0;
    rte_mempool* pool = nullptr;
    uint64_t hz = 0;
    std::vector<uint16_t> sizes;            // frame sizes incl. FCS, cycled through
    std::vector<uint16_t> size_classes;     // distinct sizes
    std::vector<uint8_t> size_class_of;     // index into size_classes per sizes[] entry
    // templates[port][flow][class] -> kHdrCopy bytes
    std::vector<std::array<uint8_t, kHdrCopy>> templates;
    TxState tx[kMaxPorts];
    RxFrom from[kMaxPorts];
    Histogram hist;
    uint64_t foreign = 0;                   // received frames without our magic
    Role role[kMaxPorts]{};
    bool nat = false;                       // any role other than l2
    uint32_t tmpl_flows = 0;                // flows with a template (1 in NAT mode: headers are patched)
    uint32_t sockets = 1;
    size_t payload_off = kPayloadOff4;      // where the magic is: after the UDP header (--ipv6: kPayloadOff6)
    rte_ether_addr port_mac[kMaxPorts];
    std::vector<uint64_t> warmup_sent;      // frames sent per port and warm-up round

    const uint8_t* tmpl(uint16_t port, uint32_t flow, uint8_t cls) const {
        return templates[(size_t(port) * tmpl_flows + flow) * size_classes.size() + cls].data();
    }
};

// --ipv6: the inside prefix (fd17:625c:f037:2::/64) and the remotes' (2001:db8:100::/64).
constexpr uint8_t kInside6[8] = {0xfd, 0x17, 0x62, 0x5c, 0xf0, 0x37, 0x00, 0x02};
constexpr uint8_t kRemote6[8] = {0x20, 0x01, 0x0d, 0xb8, 0x01, 0x00, 0x00, 0x00};

// NAT inside frames: patch the per-port template for flow f (see top comment).
inline void nat_patch(const Gen& g, uint8_t* d, uint64_t f) {
    uint64_t s = f % g.sockets, r = f / g.sockets;
    if (g.opt.ipv6) {
        // The low 32 bits of each address; the UDP checksum is not kept (no
        // one checks it; NAT66 updates whatever is there incrementally).
        auto* ip = reinterpret_cast<rte_ipv6_hdr*>(d + RTE_ETHER_HDR_LEN);
        auto* udp = reinterpret_cast<rte_udp_hdr*>(ip + 1);
        const rte_be32_t src = rte_cpu_to_be_32(g.opt.src_ip + uint32_t(s));
        const rte_be32_t dst = rte_cpu_to_be_32(g.opt.dst_ip + uint32_t(r & 0xffff));
        std::memcpy(reinterpret_cast<uint8_t*>(ip) + 8 + 12, &src, 4);
        std::memcpy(reinterpret_cast<uint8_t*>(ip) + 24 + 12, &dst, 4);
        udp->dst_port = rte_cpu_to_be_16(uint16_t(g.opt.dst_port + (r >> 16)));
        return;
    }
    auto* ip = reinterpret_cast<rte_ipv4_hdr*>(d + RTE_ETHER_HDR_LEN);
    auto* udp = reinterpret_cast<rte_udp_hdr*>(ip + 1);
    ip->src_addr = rte_cpu_to_be_32(g.opt.src_ip + uint32_t(s));
    ip->dst_addr = rte_cpu_to_be_32(g.opt.dst_ip + uint32_t(r & 0xffff));
    udp->dst_port = rte_cpu_to_be_16(uint16_t(g.opt.dst_port + (r >> 16)));
    ip->hdr_checksum = 0;
    ip->hdr_checksum = rte_ipv4_cksum(ip);
}

// Fills g.sizes, g.size_classes and the templates (one per port, flow and size).
void build_templates(Gen& g);

}  // namespace vswgen
