#include "l4v6.hpp"

#include <cstring>

namespace vsw::nat {

namespace {

uint32_t l4_checksum_offset6(const L4View6& v) {
    switch (v.proto) {
        case kProtoTcp: return v.l4 + 16;
        case kProtoUdp: return v.l4 + 6;
        default: return v.l4 + 2;  // ICMPv6
    }
}

// The checksum `sum` after the 16 bytes `from` it covers became `to`.
uint16_t csum_replace_address(uint16_t sum, const uint8_t* from, const uint8_t* to) {
    for (unsigned i = 0; i < 16; i += 2) sum = csum_replace16(sum, get16(from + i), get16(to + i));
    return sum;
}

void rewrite6(uint8_t* f, L4View6& v, bool source, const Ipv6Bytes& ip, uint16_t port) {
    uint8_t* ip_field = f + v.l3 + (source ? 8 : 24);
    uint8_t* l4_sum = f + l4_checksum_offset6(v);
    uint16_t sum = csum_replace_address(get16(l4_sum), ip_field, ip.data());
    std::memcpy(ip_field, ip.data(), 16);
    uint16_t& cur_port = source ? v.src_port : v.dst_port;
    if (v.proto == kProtoIcmp6) {
        sum = csum_replace16(sum, get16(f + v.l4 + 4), port);
        put16(f + v.l4 + 4, port);  // the identifier, whatever the direction
        v.src_port = v.dst_port = port;
    } else {
        sum = csum_replace16(sum, cur_port, port);
        put16(f + v.l4 + (source ? 0 : 2), port);
        if (v.proto == kProtoUdp && sum == 0) sum = 0xffff;  // 0 would mean "no checksum", not allowed in IPv6
        cur_port = port;
    }
    put16(l4_sum, sum);
    (source ? v.src_ip : v.dst_ip) = ip;
}

}  // namespace

L4Parse parse_l4_v6(const uint8_t* f, uint32_t len, L4View6& v) {
    v = L4View6{};
    if (len < 14 + 40 || load_be16(f + 12) != 0x86dd) return L4Parse::not_ipv4;
    const uint8_t* ip = f + v.l3;
    v.payload = load_be16(ip + 4);
    if ((ip[0] >> 4) != 6 || v.l4 + v.payload > len) return L4Parse::malformed;
    v.proto = ip[6];
    v.hop_limit = ip[7];
    std::memcpy(v.src_ip.data(), ip + 8, 16);
    std::memcpy(v.dst_ip.data(), ip + 24, 16);
    const uint8_t* l4 = f + v.l4;
    switch (v.proto) {
        case kProtoTcp: {
            if (v.payload < 20) return L4Parse::malformed;
            const uint32_t doff = (l4[12] >> 4) * 4u;
            if (doff < 20 || doff > v.payload) return L4Parse::malformed;
            v.src_port = get16(l4);
            v.dst_port = get16(l4 + 2);
            v.tcp_flags = l4[13];
            return L4Parse::ok;
        }
        case kProtoUdp:
            if (v.payload < 8 || load_be16(l4 + 4) < 8 || load_be16(l4 + 4) > v.payload) return L4Parse::malformed;
            v.src_port = get16(l4);
            v.dst_port = get16(l4 + 2);
            return L4Parse::ok;
        case kProtoIcmp6:
            if (v.payload < 8) return L4Parse::malformed;
            v.icmp_type = l4[0];
            if (v.icmp_type != kIcmp6EchoRequest && v.icmp_type != kIcmp6EchoReply) return L4Parse::unsupported;
            v.src_port = v.dst_port = get16(l4 + 4);
            return L4Parse::ok;
        case 44:
            return L4Parse::fragment;  // RFC 8200 4.5
        default:
            return L4Parse::unsupported;  // hop-by-hop, routing, destination options, other protocols
    }
}

L4Parse parse_icmp6_error(const uint8_t* f, uint32_t len, const L4View6& outer, L4View6& q) {
    q = L4View6{};
    const uint32_t end = outer.l4 + outer.payload;  // parse_l4_v6 checked it is within `len`
    q.l3 = outer.l4 + 8;                              // after type, code, checksum, 4 bytes unused/MTU
    if (end > len || q.l3 + 40 + 8 > end) return L4Parse::malformed;
    const uint8_t* ip = f + q.l3;
    if ((ip[0] >> 4) != 6) return L4Parse::malformed;
    q.proto = ip[6];
    q.hop_limit = ip[7];
    std::memcpy(q.src_ip.data(), ip + 8, 16);
    std::memcpy(q.dst_ip.data(), ip + 24, 16);
    q.l4 = q.l3 + 40;
    q.payload = end - q.l4;  // what the quote holds, not the original length
    const uint8_t* l4 = f + q.l4;
    switch (q.proto) {
        case kProtoTcp:
        case kProtoUdp:
            q.src_port = get16(l4);
            q.dst_port = get16(l4 + 2);
            return L4Parse::ok;
        case kProtoIcmp6:
            q.icmp_type = l4[0];
            if (q.icmp_type != kIcmp6EchoRequest && q.icmp_type != kIcmp6EchoReply) return L4Parse::unsupported;
            q.src_port = q.dst_port = get16(l4 + 4);
            return L4Parse::ok;
        default:
            return L4Parse::unsupported;
    }
}

void rewrite_quoted6(uint8_t* f, const L4View6& outer, L4View6& q, bool source, const Ipv6Bytes& ip, uint16_t port) {
    // The quoted L4 checksum, where the quote reaches it (TCP's is at 16).
    const uint32_t sum_at = l4_checksum_offset6(q);
    const bool has_sum = sum_at + 2 <= q.l4 + q.payload;
    uint8_t* ip_field = f + q.l3 + (source ? 8 : 24);
    uint16_t sum = has_sum ? get16(f + sum_at) : 0;
    sum = csum_replace_address(sum, ip_field, ip.data());
    std::memcpy(ip_field, ip.data(), 16);
    if (q.proto == kProtoIcmp6) {
        sum = csum_replace16(sum, get16(f + q.l4 + 4), port);
        put16(f + q.l4 + 4, port);
        q.src_port = q.dst_port = port;
    } else {
        uint16_t& cur = source ? q.src_port : q.dst_port;
        sum = csum_replace16(sum, cur, port);
        put16(f + q.l4 + (source ? 0 : 2), port);
        cur = port;
    }
    if (has_sum && !(q.proto == kProtoUdp && get16(f + sum_at) == 0)) put16(f + sum_at, sum);
    (source ? q.src_ip : q.dst_ip) = ip;
    // The outer checksum covers the whole quote: summed again (errors are rare).
    uint8_t* outer_sum = f + outer.l4 + 2;
    put16(outer_sum, 0);
    put16(outer_sum, ipv6_l4_checksum(f + outer.l3, f + outer.l4));
}

void rewrite_outer6(uint8_t* f, L4View6& outer, bool source, const Ipv6Bytes& ip) {
    std::memcpy(f + outer.l3 + (source ? 8 : 24), ip.data(), 16);
    (source ? outer.src_ip : outer.dst_ip) = ip;
}

void rewrite_source6(uint8_t* frame, L4View6& v, const Ipv6Bytes& ip, uint16_t port) {
    rewrite6(frame, v, true, ip, port);
}
void rewrite_destination6(uint8_t* frame, L4View6& v, const Ipv6Bytes& ip, uint16_t port) {
    rewrite6(frame, v, false, ip, port);
}

bool decrement_hop_limit(uint8_t* f, L4View6& v) {
    if (v.hop_limit <= 1) return false;
    f[v.l3 + 7] = --v.hop_limit;  // no header checksum in IPv6
    return true;
}

}  // namespace vsw::nat
