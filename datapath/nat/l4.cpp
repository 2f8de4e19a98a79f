#include "l4.hpp"

namespace vsw::nat {

namespace {

// Offset of the L4 checksum field, or 0 when the protocol has none to fix.
uint32_t l4_checksum_offset(const L4View& v) {
    switch (v.proto) {
        case kProtoTcp: return v.l4 + 16;
        case kProtoUdp: return v.l4 + 6;
        case kProtoIcmp: return v.l4 + 2;
        default: return 0;
    }
}

void rewrite(uint8_t* f, L4View& v, bool source, uint32_t ip, uint16_t port) {
    uint8_t* ip_field = f + v.l3 + (source ? 12 : 16);
    const uint32_t old_ip = get32(ip_field);
    uint16_t& cur_port = source ? v.src_port : v.dst_port;
    const uint16_t old_port = cur_port;

    // IPv4 header checksum covers the address.
    uint8_t* ip_sum = f + v.l3 + 10;
    put16(ip_sum, csum_replace32(get16(ip_sum), old_ip, ip));
    put32(ip_field, ip);

    const uint32_t sum_off = l4_checksum_offset(v);
    uint8_t* l4_sum = f + sum_off;
    uint16_t sum = get16(l4_sum);
    // UDP checksum 0 means "none": leave it so.
    const bool has_sum = !(v.proto == kProtoUdp && sum == 0);
    if (v.proto == kProtoIcmp) {
        // The identifier sits at offset 4 whatever the direction; ICMP has no pseudo-header.
        if (port != old_port) {
            put16(f + v.l4 + 4, port);
            // RFC 1624's update gives 0x0000 where the message's other words
            // sum to zero; with all of them 0 (an echo reply with identifier,
            // sequence and payload 0) only 0xffff verifies, and 0xffff always
            // does in that case (found by tests/fuzz/fuzz_l4). ICMP has no
            // pseudo-header, so only it can have an all-zero message.
            const uint16_t new_sum = csum_replace16(sum, old_port, port);
            put16(l4_sum, new_sum == 0 ? 0xffff : new_sum);
        }
        v.src_port = v.dst_port = port;
    } else {
        put16(f + v.l4 + (source ? 0 : 2), port);
        if (has_sum) {
            sum = csum_replace32(sum, old_ip, ip);        // pseudo-header
            sum = csum_replace16(sum, old_port, port);
            if (v.proto == kProtoUdp && sum == 0) sum = 0xffff;  // 0 would mean "no checksum"
            put16(l4_sum, sum);
        }
        cur_port = port;
    }
    (source ? v.src_ip : v.dst_ip) = ip;
}

}  // namespace

L4Parse parse_l4(const uint8_t* f, uint32_t len, L4View& v) {
    v = L4View{};
    if (len < 14 + 20 || load_be16(f + 12) != 0x0800) return L4Parse::not_ipv4;
    const uint8_t* ip = f + v.l3;
    const uint32_t ihl = (ip[0] & 0x0f) * 4u;
    v.ip_total = load_be16(ip + 2);
    if ((ip[0] >> 4) != 4 || ihl < 20 || v.ip_total < ihl || v.l3 + v.ip_total > len) return L4Parse::malformed;
    v.proto = ip[9];
    v.ttl = ip[8];
    v.src_ip = get32(ip + 12);
    v.dst_ip = get32(ip + 16);
    const uint16_t frag = load_be16(ip + 6);
    v.ip_id = get16(ip + 4);
    v.more_fragments = (frag & 0x2000) != 0;
    if ((frag & 0x1fff) != 0) return L4Parse::fragment;
    v.first_fragment = v.more_fragments;
    v.l4 = v.l3 + ihl;
    const uint32_t l4_len = v.ip_total - ihl;
    const uint8_t* l4 = f + v.l4;
    switch (v.proto) {
        case kProtoTcp: {
            if (l4_len < 20) return L4Parse::malformed;
            const uint32_t doff = (l4[12] >> 4) * 4u;
            if (doff < 20 || doff > l4_len) return L4Parse::malformed;
            v.src_port = get16(l4);
            v.dst_port = get16(l4 + 2);
            v.tcp_flags = l4[13];
            return L4Parse::ok;
        }
        case kProtoUdp:
            // A first fragment holds only part of the datagram that UDP's length covers.
            if (l4_len < 8 || load_be16(l4 + 4) < 8 || (!v.first_fragment && load_be16(l4 + 4) > l4_len))
                return L4Parse::malformed;
            v.src_port = get16(l4);
            v.dst_port = get16(l4 + 2);
            return L4Parse::ok;
        case kProtoIcmp:
            if (l4_len < 8) return L4Parse::malformed;
            v.icmp_type = l4[0];
            if (v.icmp_type != kIcmpEchoRequest && v.icmp_type != kIcmpEchoReply) return L4Parse::unsupported;
            v.src_port = v.dst_port = get16(l4 + 4);
            return L4Parse::ok;
        default:
            return L4Parse::unsupported;
    }
}

void rewrite_source(uint8_t* frame, L4View& v, uint32_t ip, uint16_t port) { rewrite(frame, v, true, ip, port); }
void rewrite_destination(uint8_t* frame, L4View& v, uint32_t ip, uint16_t port) { rewrite(frame, v, false, ip, port); }

bool decrement_ttl(uint8_t* f, L4View& v) {
    if (v.ttl <= 1) return false;
    uint8_t* ip = f + v.l3;
    // TTL is the first byte of the 16-bit word at offset 8 (TTL, protocol).
    // The new word is made in a register: storing the byte and loading the
    // word back would stall store-to-load forwarding (a measured 5 % of the
    // NAT path).
    const uint16_t old_word = get16(ip + 8);
    const uint8_t new_bytes[2] = {static_cast<uint8_t>(v.ttl - 1), ip[9]};
    const uint16_t new_word = get16(new_bytes);
    put16(ip + 8, new_word);
    put16(ip + 10, csum_replace16(get16(ip + 10), old_word, new_word));
    v.ttl = new_bytes[0];
    return true;
}

}  // namespace vsw::nat
