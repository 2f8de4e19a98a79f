// Synthetic IPv4 packets for the NAT tests, and the reference they are
// checked against: a plain one's-complement sum recomputed over the whole
// header or segment (incl. the pseudo-header), never incremental. Shared by
// nat_l4_test.cpp and nat_worker_test.cpp.
#pragma once

#include <arpa/inet.h>

#include <cstdint>
#include <cstring>
#include <vector>

#include "nat/l4.hpp"

namespace nat_test {

using vsw::nat::kIcmpEchoRequest;
using vsw::nat::kProtoIcmp;
using vsw::nat::kProtoTcp;
using vsw::nat::kProtoUdp;
using vsw::nat::kTcpAck;

using Bytes = std::vector<uint8_t>;

inline constexpr uint32_t kEth = 14;

inline uint32_t ip4(uint8_t a, uint8_t b, uint8_t c, uint8_t d) {
    return htonl(static_cast<uint32_t>(a) << 24 | static_cast<uint32_t>(b) << 16 | c << 8 | d);
}
inline uint16_t be16_at(const uint8_t* p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }
inline void put_be16(uint8_t* p, uint16_t v) {
    p[0] = static_cast<uint8_t>(v >> 8);
    p[1] = static_cast<uint8_t>(v);
}

// ---- the reference: a plain one's-complement sum, nothing incremental ----

// Sum of big-endian 16-bit words (odd byte padded with zero), folded, not inverted.
inline uint32_t ref_sum(const uint8_t* p, size_t n, uint32_t acc = 0) {
    for (size_t i = 0; i + 1 < n; i += 2) acc += static_cast<uint32_t>(p[i] << 8 | p[i + 1]);
    if (n % 2) acc += static_cast<uint32_t>(p[n - 1]) << 8;
    while (acc >> 16) acc = (acc & 0xffff) + (acc >> 16);
    return acc;
}

// The IPv4 header checksum (host order) the header at `ip` should carry.
inline uint16_t ref_ip_checksum(const uint8_t* ip) {
    const size_t ihl = (ip[0] & 0x0f) * 4u;
    Bytes h(ip, ip + ihl);
    h[10] = h[11] = 0;
    return static_cast<uint16_t>(~ref_sum(h.data(), h.size()));
}

inline size_t l4_sum_offset(uint8_t proto) { return proto == kProtoTcp ? 16 : proto == kProtoUdp ? 6 : 2; }

// The TCP/UDP/ICMP checksum (host order) the packet at `ip` should carry,
// computed from scratch: the whole L4 segment (its checksum field taken as
// zero) plus, for TCP and UDP, the pseudo-header. A UDP result of 0 is sent
// as 0xffff (RFC 768).
inline uint16_t ref_l4_checksum(const uint8_t* ip) {
    const size_t ihl = (ip[0] & 0x0f) * 4u;
    const size_t total = be16_at(ip + 2);
    const uint8_t proto = ip[9];
    Bytes l4(ip + ihl, ip + total);
    l4[l4_sum_offset(proto)] = l4[l4_sum_offset(proto) + 1] = 0;
    uint32_t acc = 0;
    if (proto != kProtoIcmp) {
        uint8_t pseudo[12];
        std::memcpy(pseudo, ip + 12, 8);
        pseudo[8] = 0;
        pseudo[9] = proto;
        put_be16(pseudo + 10, static_cast<uint16_t>(l4.size()));
        acc = ref_sum(pseudo, 12);
    }
    uint16_t c = static_cast<uint16_t>(~ref_sum(l4.data(), l4.size(), acc));
    if (proto == kProtoUdp && c == 0) c = 0xffff;
    return c;
}

// ---- a small packet builder ------------------------------------------------

struct Spec {
    uint8_t proto = kProtoUdp;
    uint32_t src = ip4(10, 0, 2, 15), dst = ip4(198, 51, 100, 7);  // network order
    uint16_t sport = 40000, dport = 53;                               // host order (ICMP: sport = id)
    size_t payload = 16;
    uint8_t ttl = 64;
    uint8_t ihl_words = 5;           // > 5: IPv4 options (NOPs)
    bool udp_no_checksum = false;    // UDP checksum field 0 ("none")
    uint8_t icmp_type = kIcmpEchoRequest;
    uint8_t tcp_flags = kTcpAck;
    uint16_t frag = 0;               // IPv4 flags + fragment offset word
    uint16_t ethertype = 0x0800;
    size_t eth_padding = 0;          // bytes after the IPv4 packet (Ethernet minimum-size padding)
};

inline size_t l4_header_len(uint8_t proto) { return proto == kProtoTcp ? 20 : 8; }

// An Ethernet frame carrying the packet, every checksum valid.
inline Bytes build(const Spec& s) {
    const size_t ihl = s.ihl_words * 4u;
    const size_t l4_len = (s.proto == kProtoTcp || s.proto == kProtoUdp || s.proto == kProtoIcmp)
                              ? l4_header_len(s.proto) + s.payload
                              : s.payload;
    Bytes f(kEth + ihl + l4_len + s.eth_padding, 0);
    for (int i = 0; i < 6; ++i) {
        f[i] = static_cast<uint8_t>(0x02 + i);
        f[6 + i] = static_cast<uint8_t>(0x52 + i);
    }
    put_be16(&f[12], s.ethertype);
    uint8_t* ip = &f[kEth];
    ip[0] = static_cast<uint8_t>(0x40 | s.ihl_words);
    put_be16(ip + 2, static_cast<uint16_t>(ihl + l4_len));
    put_be16(ip + 4, 0x1234);
    put_be16(ip + 6, s.frag);
    ip[8] = s.ttl;
    ip[9] = s.proto;
    std::memcpy(ip + 12, &s.src, 4);
    std::memcpy(ip + 16, &s.dst, 4);
    for (size_t i = 20; i < ihl; ++i) ip[i] = 1;  // NOP options
    uint8_t* l4 = ip + ihl;
    const size_t hdr = s.proto == kProtoTcp || s.proto == kProtoUdp || s.proto == kProtoIcmp ? l4_header_len(s.proto) : 0;
    for (size_t i = 0; i < s.payload; ++i) l4[hdr + i] = static_cast<uint8_t>(i * 37 + s.sport);
    switch (s.proto) {
        case kProtoTcp:
            put_be16(l4, s.sport);
            put_be16(l4 + 2, s.dport);
            put_be16(l4 + 4, 0x0102);   // seq
            put_be16(l4 + 8, 0x0a0b);   // ack
            l4[12] = 5 << 4;
            l4[13] = s.tcp_flags;
            put_be16(l4 + 14, 65535);
            break;
        case kProtoUdp:
            put_be16(l4, s.sport);
            put_be16(l4 + 2, s.dport);
            put_be16(l4 + 4, static_cast<uint16_t>(l4_len));
            break;
        case kProtoIcmp:
            l4[0] = s.icmp_type;
            put_be16(l4 + 4, s.sport);  // identifier
            put_be16(l4 + 6, 7);        // sequence
            break;
        default:
            break;
    }
    put_be16(ip + 10, ref_ip_checksum(ip));
    if (s.proto == kProtoTcp || s.proto == kProtoIcmp || (s.proto == kProtoUdp && !s.udp_no_checksum))
        put_be16(l4 + l4_sum_offset(s.proto), ref_l4_checksum(ip));
    return f;
}

inline vsw::nat::L4Parse parse(const Bytes& f, vsw::nat::L4View& v) {
    return vsw::nat::parse_l4(f.data(), static_cast<uint32_t>(f.size()), v);
}

// Sets the IPv4 header checksum right again after a test edited the header
// (over the first 20 bytes when the edited IHL makes no sense: parse_l4 does
// not verify it anyway, the point is that only the tested field is wrong).
inline void fix_ip_checksum(Bytes& f) {
    const size_t ihl = (f[kEth] & 0x0f) * 4u;
    if (ihl >= 20 && kEth + ihl <= f.size()) {
        put_be16(&f[kEth + 10], ref_ip_checksum(&f[kEth]));
        return;
    }
    f[kEth + 10] = f[kEth + 11] = 0;
    put_be16(&f[kEth + 10], static_cast<uint16_t>(~ref_sum(&f[kEth], 20)));
}

// Whether the IPv4 header checksum and the L4 checksum of the frame's packet
// are exactly what a full recomputation gives (a UDP checksum of 0 passes:
// "none").
inline bool checksums_ok(const Bytes& f) {
    const uint8_t* ip = &f[kEth];
    if (be16_at(ip + 10) != ref_ip_checksum(ip)) return false;
    const uint16_t stored = be16_at(ip + (ip[0] & 0x0f) * 4u + l4_sum_offset(ip[9]));
    if (ip[9] == kProtoUdp && stored == 0) return true;
    return stored == ref_l4_checksum(ip);
}

}  // namespace nat_test
