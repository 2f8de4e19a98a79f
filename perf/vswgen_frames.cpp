// vswgen's frame templates: per port, flow and frame size, the first 64
// bytes of a UDP/IPv4 frame with the magic that marks it as ours.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "vswgen.hpp"

namespace vswgen {

namespace {

rte_ether_addr flow_mac(uint16_t port, uint32_t flow) {
    // 02:<port>:00:<flow, 24 bits> -- locally administered, unicast
    return rte_ether_addr{{0x02, uint8_t(port), 0x00, uint8_t(flow >> 16), uint8_t(flow >> 8), uint8_t(flow)}};
}

// --ipv6: the template's IPv4 and UDP headers made over as IPv6 + UDP (the
// MACs stay): inside fd17:625c:f037:2::<10.p.f.f as 32 bits>, outside
// 2001:db8:100::<...>, ports as for IPv4.
void build_ipv6(const Gen& g, uint16_t p, uint16_t peer, uint32_t f, uint16_t len, uint8_t* t) {
    auto* eth = reinterpret_cast<rte_ether_hdr*>(t);
    const rte_udp_hdr udp4 = *reinterpret_cast<const rte_udp_hdr*>(t + RTE_ETHER_HDR_LEN + sizeof(rte_ipv4_hdr));
    eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV6);
    auto* ip = reinterpret_cast<rte_ipv6_hdr*>(eth + 1);
    std::memset(ip, 0, sizeof *ip);
    ip->vtc_flow = rte_cpu_to_be_32(6u << 28);
    ip->payload_len = rte_cpu_to_be_16(uint16_t(len - RTE_ETHER_HDR_LEN - sizeof(rte_ipv6_hdr)));
    ip->proto = IPPROTO_UDP;
    ip->hop_limits = 64;
    const bool inside = g.role[p] == Role::Inside;
    std::memcpy(ip->src_addr, inside ? kInside6 : kRemote6, 8);
    std::memcpy(ip->dst_addr, inside ? kRemote6 : kInside6, 8);
    const rte_be32_t src = rte_cpu_to_be_32((10u << 24) | (uint32_t(p + 1) << 16) | (f & 0xffff));
    const rte_be32_t dst = rte_cpu_to_be_32((10u << 24) | (uint32_t(peer + 1) << 16) | (f & 0xffff));
    std::memcpy(ip->src_addr + 12, &src, 4);
    std::memcpy(ip->dst_addr + 12, &dst, 4);
    auto* udp = reinterpret_cast<rte_udp_hdr*>(ip + 1);
    *udp = udp4;
    udp->dgram_len = ip->payload_len;
    udp->dgram_cksum = 0xffff;  // IPv6 forbids 0; not checked by anyone here
}

}  // namespace

void build_templates(Gen& g) {
    const Options& o = g.opt;
    if (o.size == "imix") {
        // Simple IMIX 7:4:1 of 64/570/1518, interleaved.
        g.sizes = {64, 570, 64, 64, 570, 64, 1518, 64, 570, 64, 64, 570};
    } else {
        unsigned s = std::strtoul(o.size.c_str(), nullptr, 10);
        if (s < 64 || s > 1518) {
            std::fprintf(stderr, "vswgen: --size must be 64..1518 or imix\n");
            std::exit(2);
        }
        g.sizes = {uint16_t(s)};
    }
    for (uint16_t s : g.sizes) {
        auto it = std::find(g.size_classes.begin(), g.size_classes.end(), s);
        if (it == g.size_classes.end()) { g.size_classes.push_back(s); it = g.size_classes.end() - 1; }
        g.size_class_of.push_back(uint8_t(it - g.size_classes.begin()));
    }
    g.tmpl_flows = g.nat ? 1 : o.flows;
    g.payload_off = o.ipv6 ? kPayloadOff6 : kPayloadOff4;
    if (o.ipv6 && g.sizes.front() < g.payload_off + 18 + RTE_ETHER_CRC_LEN) {
        std::fprintf(stderr, "vswgen: --ipv6 frames need --size >= %zu\n", g.payload_off + 18 + RTE_ETHER_CRC_LEN);
        std::exit(2);
    }
    g.templates.assign(size_t(g.nports) * g.tmpl_flows * g.size_classes.size(), {});
    for (uint16_t p = 0; p < g.nports; ++p) {
        uint16_t peer = p ^ 1;
        for (uint32_t f = 0; f < g.tmpl_flows; ++f) {
            for (size_t c = 0; c < g.size_classes.size(); ++c) {
                uint8_t* t = const_cast<uint8_t*>(g.tmpl(p, f, uint8_t(c)));
                uint16_t len = g.size_classes[c] - RTE_ETHER_CRC_LEN;
                auto* eth = reinterpret_cast<rte_ether_hdr*>(t);
                eth->dst_addr = flow_mac(peer, f);
                eth->src_addr = flow_mac(p, f);
                eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
                auto* ip = reinterpret_cast<rte_ipv4_hdr*>(eth + 1);
                ip->version_ihl = RTE_IPV4_VHL_DEF;
                ip->type_of_service = 0;
                ip->total_length = rte_cpu_to_be_16(len - RTE_ETHER_HDR_LEN);
                ip->packet_id = 0;
                ip->fragment_offset = 0;
                ip->time_to_live = 64;
                ip->next_proto_id = IPPROTO_UDP;
                // 10.<port+1>.<flow>.<flow> -> 10.<peer+1>.<flow>.<flow>
                ip->src_addr = rte_cpu_to_be_32((10u << 24) | (uint32_t(p + 1) << 16) | (f & 0xffff));
                ip->dst_addr = rte_cpu_to_be_32((10u << 24) | (uint32_t(peer + 1) << 16) | (f & 0xffff));
                ip->hdr_checksum = 0;
                ip->hdr_checksum = rte_ipv4_cksum(ip);
                auto* udp = reinterpret_cast<rte_udp_hdr*>(ip + 1);
                udp->src_port = rte_cpu_to_be_16(uint16_t(1024 + f % 60000));
                udp->dst_port = rte_cpu_to_be_16(uint16_t(2048 + f % 60000));
                udp->dgram_len = rte_cpu_to_be_16(len - RTE_ETHER_HDR_LEN - sizeof(rte_ipv4_hdr));
                udp->dgram_cksum = 0;  // optional for IPv4
                if (g.role[p] == Role::Inside) {  // addresses are patched per packet
                    eth->dst_addr = o.dst_mac;
                    eth->src_addr = o.src_mac;
                    udp->src_port = rte_cpu_to_be_16(o.src_port);
                }
                if (o.ipv6) build_ipv6(g, p, peer, f, len, t);
                uint16_t magic = kMagic | p;
                std::memcpy(t + g.payload_off, &magic, 2);
            }
        }
    }
}

}  // namespace vswgen
