#include "icmp_error.hpp"

namespace vsw::nat {

L4Parse parse_icmp_error(const uint8_t* f, uint32_t len, const L4View& outer, EmbeddedView& e) {
    e = EmbeddedView{};
    if (outer.proto != kProtoIcmp || !is_icmp_error(outer.icmp_type)) return L4Parse::unsupported;
    e.end = outer.l3 + outer.ip_total;
    if (e.end > len) return L4Parse::malformed;
    // 8 bytes of ICMP header, then the embedded IPv4 header and 8 bytes of its payload.
    e.l3 = outer.l4 + 8;
    if (e.l3 + 20 > e.end) return L4Parse::malformed;
    const uint8_t* ip = f + e.l3;
    const uint32_t ihl = (ip[0] & 0x0f) * 4u;
    if ((ip[0] >> 4) != 4 || ihl < 20) return L4Parse::malformed;
    e.l4 = e.l3 + ihl;
    if (e.l4 + 8 > e.end) return L4Parse::malformed;
    if ((load_be16(ip + 6) & 0x1fff) != 0) return L4Parse::fragment;
    e.proto = ip[9];
    e.src_ip = get32(ip + 12);
    e.dst_ip = get32(ip + 16);
    const uint8_t* l4 = f + e.l4;
    switch (e.proto) {
        case kProtoTcp:
        case kProtoUdp:
            e.src_port = get16(l4);
            e.dst_port = get16(l4 + 2);
            return L4Parse::ok;
        case kProtoIcmp:
            // Only an embedded echo has an identifier to map; errors about errors are not sent.
            if (l4[0] != kIcmpEchoRequest && l4[0] != kIcmpEchoReply) return L4Parse::unsupported;
            e.src_port = e.dst_port = get16(l4 + 4);
            return L4Parse::ok;
        default:
            return L4Parse::unsupported;
    }
}

void rewrite_embedded(uint8_t* f, const L4View& outer, EmbeddedView& e, bool source, uint32_t ip,
                      uint16_t port) {
    uint8_t* ip_field = f + e.l3 + (source ? 12 : 16);
    const uint32_t old_ip = get32(ip_field);
    put32(ip_field, ip);
    uint8_t* ip_sum = f + e.l3 + 10;
    put16(ip_sum, csum_replace32(get16(ip_sum), old_ip, ip));

    uint8_t* l4 = f + e.l4;
    if (e.proto == kProtoIcmp) {
        const uint16_t old_id = get16(l4 + 4);
        put16(l4 + 4, port);
        put16(l4 + 2, csum_replace16(get16(l4 + 2), old_id, port));
        e.src_port = e.dst_port = port;
    } else {
        uint8_t* port_field = l4 + (source ? 0 : 2);
        const uint16_t old_port = get16(port_field);
        put16(port_field, port);
        // The embedded L4 checksum: UDP's is in the 8 bytes every error carries;
        // TCP's only when the error quotes more (it usually does, RFC 1812).
        const uint32_t sum_off = e.proto == kProtoUdp ? 6 : 16;
        if (e.l4 + sum_off + 2 <= e.end) {
            uint16_t sum = get16(l4 + sum_off);
            if (!(e.proto == kProtoUdp && sum == 0)) {
                sum = csum_replace32(sum, old_ip, ip);
                sum = csum_replace16(sum, old_port, port);
                if (e.proto == kProtoUdp && sum == 0) sum = 0xffff;
                put16(l4 + sum_off, sum);
            }
        }
        (source ? e.src_port : e.dst_port) = port;
    }
    (source ? e.src_ip : e.dst_ip) = ip;

    // The outer ICMP checksum covers the whole message: recompute it (errors are rare).
    uint8_t* icmp = f + outer.l4;
    put16(icmp + 2, 0);
    put16(icmp + 2, internet_checksum(icmp, e.end - outer.l4));
}

void rewrite_outer_ip(uint8_t* f, L4View& outer, bool source, uint32_t ip) {
    uint8_t* ip_field = f + outer.l3 + (source ? 12 : 16);
    const uint32_t old_ip = get32(ip_field);
    put32(ip_field, ip);
    uint8_t* ip_sum = f + outer.l3 + 10;
    put16(ip_sum, csum_replace32(get16(ip_sum), old_ip, ip));
    (source ? outer.src_ip : outer.dst_ip) = ip;
}

}  // namespace vsw::nat
