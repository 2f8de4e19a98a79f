// Typed, bounds-checked views of an Ethernet frame's headers on DPDK's own
// structs (rte_ether.h, rte_arp.h, rte_ip.h), and writers for the headers the
// control thread builds (ARP, ping and ICMP error replies, DHCP). A frame is a
// byte span starting at its Ethernet header, 2-byte aligned as mbuf data and
// std::vector storage are.
#pragma once

#include <rte_arp.h>
#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_ip.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>

#include "bytes.hpp"
#include "checksum.hpp"

namespace vsw {

inline constexpr size_t kEtherHdrLen = sizeof(rte_ether_hdr);  // 14
inline constexpr size_t kIpv4HdrLen = sizeof(rte_ipv4_hdr);    // 20, without options

// The EtherType (host order), 0 for a frame shorter than its Ethernet header.
inline uint16_t ether_type_of(std::span<const uint8_t> f) {
    return f.size() < kEtherHdrLen ? 0 : load_be16(f.data() + offsetof(rte_ether_hdr, ether_type));
}

// The ARP header of an Ethernet/IPv4 ARP packet (any opcode), or nullptr.
inline const rte_arp_hdr* arp_of(std::span<const uint8_t> f) {
    if (ether_type_of(f) != RTE_ETHER_TYPE_ARP || f.size() < kEtherHdrLen + sizeof(rte_arp_hdr)) return nullptr;
    const auto* a = reinterpret_cast<const rte_arp_hdr*>(f.data() + kEtherHdrLen);
    if (a->arp_hardware != rte_cpu_to_be_16(RTE_ARP_HRD_ETHER) ||
        a->arp_protocol != rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4) || a->arp_hlen != RTE_ETHER_ADDR_LEN ||
        a->arp_plen != 4)
        return nullptr;
    return a;
}

// The IPv4 header of a frame whose lengths hang together: version 4, header
// length >= 20, total length >= header length + min_payload and within the
// frame (Ethernet padding after it is fine). nullptr otherwise.
inline const rte_ipv4_hdr* ipv4_of(std::span<const uint8_t> f, size_t min_payload = 0) {
    if (ether_type_of(f) != RTE_ETHER_TYPE_IPV4 || f.size() < kEtherHdrLen + kIpv4HdrLen) return nullptr;
    const auto* ip = reinterpret_cast<const rte_ipv4_hdr*>(f.data() + kEtherHdrLen);
    const size_t ihl = rte_ipv4_hdr_len(ip);
    const size_t total = rte_be_to_cpu_16(ip->total_length);
    if ((ip->version_ihl >> 4) != 4 || ihl < kIpv4HdrLen || total < ihl + min_payload ||
        kEtherHdrLen + total > f.size())
        return nullptr;
    return ip;
}

// The bytes after the IPv4 header (its options included).
inline const uint8_t* ipv4_payload(const rte_ipv4_hdr* ip) {
    return reinterpret_cast<const uint8_t*>(ip) + rte_ipv4_hdr_len(ip);
}
// Any fragment: more fragments follow, or it is not the first.
inline bool ipv4_is_fragment(const rte_ipv4_hdr* ip) {
    return (rte_be_to_cpu_16(ip->fragment_offset) & (RTE_IPV4_HDR_MF_FLAG | RTE_IPV4_HDR_OFFSET_MASK)) != 0;
}
// A fragment other than the first.
inline bool ipv4_is_later_fragment(const rte_ipv4_hdr* ip) {
    return (rte_be_to_cpu_16(ip->fragment_offset) & RTE_IPV4_HDR_OFFSET_MASK) != 0;
}

// Writes an Ethernet header; returns where its payload goes.
inline uint8_t* put_ether(uint8_t* at, const uint8_t* dst, const uint8_t* src, uint16_t type) {
    auto* eth = reinterpret_cast<rte_ether_hdr*>(at);
    std::memcpy(eth->dst_addr.addr_bytes, dst, RTE_ETHER_ADDR_LEN);
    std::memcpy(eth->src_addr.addr_bytes, src, RTE_ETHER_ADDR_LEN);
    eth->ether_type = rte_cpu_to_be_16(type);
    return at + kEtherHdrLen;
}

// What put_ipv4 writes: a 20-byte header without options. Addresses and the
// id as stored (network order); the rest in host order.
struct Ipv4Header {
    uint16_t total_length = 0;  // header + payload
    uint16_t id_be = 0;
    bool dont_fragment = false;
    uint8_t ttl = 64;
    uint8_t proto = 0;
    uint32_t src_be = 0, dst_be = 0;
};

// Writes an IPv4 header with its checksum; returns where its payload goes.
inline uint8_t* put_ipv4(uint8_t* at, const Ipv4Header& h) {
    auto* ip = reinterpret_cast<rte_ipv4_hdr*>(at);
    ip->version_ihl = RTE_IPV4_VHL_DEF;
    ip->type_of_service = 0;
    ip->total_length = rte_cpu_to_be_16(h.total_length);
    ip->packet_id = h.id_be;
    ip->fragment_offset = rte_cpu_to_be_16(h.dont_fragment ? RTE_IPV4_HDR_DF_FLAG : 0);
    ip->time_to_live = h.ttl;
    ip->next_proto_id = h.proto;
    ip->hdr_checksum = 0;
    ip->src_addr = h.src_be;
    ip->dst_addr = h.dst_be;
    ip->hdr_checksum = ipv4_header_checksum(at);  // as stored
    return at + kIpv4HdrLen;
}

}  // namespace vsw
