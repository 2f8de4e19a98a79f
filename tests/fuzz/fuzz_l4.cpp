// Fuzzes NAT's pure packet code: vsw::nat::parse_l4 and the rewrites
// (datapath/nat/l4.hpp), the ICMP error helpers (nat/icmp_error.hpp), the
// fragment table (nat/fragments.hpp), and NAT66's (nat/l4v6.hpp) on IPv6
// frames; and VXLAN's (overlay/vxlan.hpp): the frame parsed as a tunnel
// packet, and encapsulated and parsed back.
//
// Input: an 8-byte header, then one Ethernet frame.
//   [0]    flags: bit 0 rewrite order / embedded source or destination,
//          bit 1 fragment key direction, bits 2-3 clock step, bit 4 sweep
//   [1..4] the new IPv4 address (as stored), [5..6] the new port (as stored)
//   [7]    fragment key context (network or uplink)
//
// Every buffer is a heap block of exactly the frame's size, so ASan catches a
// read or write past its end. Invariants: the view matches the bytes; a
// rewrite changes only its fields and the checksums; a checksum that
// verified before a rewrite (recomputed from scratch) verifies after it.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "fuzz_common.hpp"
#include "nat/fragments.hpp"
#include "nat/icmp_error.hpp"
#include "nat/l4.hpp"
#include "nat/l4v6.hpp"
#include "overlay/vxlan.hpp"

using namespace vsw;
using namespace vsw::nat;
using fuzz::be16;

namespace {

constexpr size_t kHeader = 8;

struct Sums {
    bool ip = false;   // the IPv4 header checksum verifies
    bool l4 = false;   // the L4 checksum verifies (and can be checked: not a first fragment, UDP sum not 0)
};

uint32_t l4_sum_offset(uint8_t proto) { return proto == kProtoTcp ? 16 : proto == kProtoUdp ? 6 : 2; }

// The length the L4 checksum covers.
uint32_t l4_covered(const uint8_t* f, const L4View& v) {
    const uint32_t ihl = v.l4 - v.l3;
    if (v.proto == kProtoUdp) return be16(f + v.l4 + 4);
    return v.ip_total - ihl;
}

Sums sums(const uint8_t* f, const L4View& v) {
    Sums s;
    const uint8_t* ip = f + v.l3;
    s.ip = fuzz::ip_header_verifies(ip, v.l4 - v.l3);
    const bool udp_none = v.proto == kProtoUdp && get16(f + v.l4 + 6) == 0;
    if (!v.first_fragment && !udp_none) s.l4 = fuzz::l4_verifies(ip, v.proto, f + v.l4, l4_covered(f, v));
    return s;
}

void check_sums_kept(const uint8_t* f, const L4View& v, const Sums& before) {
    const Sums after = sums(f, v);
    if (before.ip) FUZZ_CHECK(after.ip);
    if (before.l4) FUZZ_CHECK(after.l4);
}

// Only the address, the port (ICMP: identifier) and the two checksums may differ.
void check_only_fields_changed(const uint8_t* before, const uint8_t* after, uint32_t len, const L4View& v,
                               bool source) {
    std::vector<bool> may(len, false);
    auto allow = [&](uint32_t off, uint32_t n) {
        for (uint32_t i = off; i < off + n && i < len; ++i) may[i] = true;
    };
    allow(v.l3 + 10, 2);
    allow(v.l3 + (source ? 12 : 16), 4);
    allow(v.l4 + l4_sum_offset(v.proto), 2);
    allow(v.proto == kProtoIcmp ? v.l4 + 4 : v.l4 + (source ? 0 : 2), 2);
    for (uint32_t i = 0; i < len; ++i)
        if (!may[i]) FUZZ_CHECK(before[i] == after[i]);
}

void check_view(const uint8_t* f, uint32_t len, const L4View& v) {
    FUZZ_CHECK(v.l3 == 14);
    const uint32_t end = v.l3 + v.ip_total;
    FUZZ_CHECK(end <= len);
    FUZZ_CHECK(v.l4 >= v.l3 + 20 && v.l4 <= end);
    const uint32_t hdr = v.proto == kProtoTcp ? 20 : 8;
    FUZZ_CHECK(v.l4 + hdr <= end);
    FUZZ_CHECK(v.proto == f[v.l3 + 9] && v.ttl == f[v.l3 + 8]);
    FUZZ_CHECK(v.src_ip == get32(f + v.l3 + 12) && v.dst_ip == get32(f + v.l3 + 16));
    if (v.proto == kProtoIcmp) {
        FUZZ_CHECK(v.icmp_type == kIcmpEchoRequest || v.icmp_type == kIcmpEchoReply);
        FUZZ_CHECK(v.src_port == get16(f + v.l4 + 4) && v.dst_port == v.src_port);
    } else {
        FUZZ_CHECK(v.proto == kProtoTcp || v.proto == kProtoUdp);
        FUZZ_CHECK(v.src_port == get16(f + v.l4) && v.dst_port == get16(f + v.l4 + 2));
    }
    FUZZ_CHECK(v.first_fragment == v.more_fragments);
}

void rewrite_one(const uint8_t* orig, uint32_t len, const L4View& v0, bool source, uint32_t ip, uint16_t port) {
    auto f = fuzz::exact_copy(orig, len);
    L4View v = v0;
    const Sums before = sums(f.get(), v);
    const uint16_t udp_sum = v.proto == kProtoUdp ? get16(f.get() + v.l4 + 6) : 1;
    if (source)
        rewrite_source(f.get(), v, ip, port);
    else
        rewrite_destination(f.get(), v, ip, port);
    FUZZ_CHECK(get32(f.get() + v.l3 + (source ? 12 : 16)) == ip);
    FUZZ_CHECK((source ? v.src_ip : v.dst_ip) == ip);
    if (v.proto == kProtoIcmp) {
        FUZZ_CHECK(get16(f.get() + v.l4 + 4) == port && v.src_port == port && v.dst_port == port);
    } else {
        FUZZ_CHECK(get16(f.get() + v.l4 + (source ? 0 : 2)) == port);
        FUZZ_CHECK((source ? v.src_port : v.dst_port) == port);
    }
    if (udp_sum == 0) FUZZ_CHECK(get16(f.get() + v.l4 + 6) == 0);  // "no checksum" stays so
    check_sums_kept(f.get(), v, before);
    check_only_fields_changed(orig, f.get(), len, v0, source);

    // The other direction on top, then the TTL.
    if (source)
        rewrite_destination(f.get(), v, ~ip, static_cast<uint16_t>(~port));
    else
        rewrite_source(f.get(), v, ~ip, static_cast<uint16_t>(~port));
    check_sums_kept(f.get(), v, before);
    const uint8_t ttl = v.ttl;
    const bool forwarded = decrement_ttl(f.get(), v);
    FUZZ_CHECK(forwarded == (ttl > 1));
    FUZZ_CHECK(f[v.l3 + 8] == (forwarded ? ttl - 1 : ttl) && v.ttl == f[v.l3 + 8]);
    FUZZ_CHECK(f[v.l3 + 9] == v.proto);
    check_sums_kept(f.get(), v, before);
}

void icmp_error(const uint8_t* orig, uint32_t len, const L4View& v0, bool source, uint32_t ip, uint16_t port) {
    EmbeddedView e;
    const L4Parse r = parse_icmp_error(orig, len, v0, e);
    if (r != L4Parse::ok) return;
    FUZZ_CHECK(e.end == v0.l3 + v0.ip_total && e.end <= len);
    FUZZ_CHECK(e.l3 == v0.l4 + 8 && e.l4 >= e.l3 + 20 && e.l4 + 8 <= e.end);
    FUZZ_CHECK(e.src_ip == get32(orig + e.l3 + 12) && e.dst_ip == get32(orig + e.l3 + 16));

    auto f = fuzz::exact_copy(orig, len);
    L4View v = v0;
    const bool outer_ip_ok = fuzz::ip_header_verifies(f.get() + v.l3, v.l4 - v.l3);
    const bool inner_ip_ok = fuzz::ip_header_verifies(f.get() + e.l3, e.l4 - e.l3);
    rewrite_embedded(f.get(), v, e, source, ip, port);
    FUZZ_CHECK(get32(f.get() + e.l3 + (source ? 12 : 16)) == ip);
    FUZZ_CHECK((source ? e.src_ip : e.dst_ip) == ip);
    FUZZ_CHECK((source ? e.src_port : e.dst_port) == port);
    if (inner_ip_ok) FUZZ_CHECK(fuzz::ip_header_verifies(f.get() + e.l3, e.l4 - e.l3));
    // The outer ICMP checksum is recomputed over the whole message.
    FUZZ_CHECK(fuzz::l4_verifies(f.get() + v.l3, kProtoIcmp, f.get() + v.l4, e.end - v.l4));
    rewrite_outer_ip(f.get(), v, !source, ~ip);
    FUZZ_CHECK((source ? v.dst_ip : v.src_ip) == ~ip);
    if (outer_ip_ok) FUZZ_CHECK(fuzz::ip_header_verifies(f.get() + v.l3, v.l4 - v.l3));
    const uint8_t ttl = v.ttl;
    FUZZ_CHECK(decrement_ttl(f.get(), v) == (ttl > 1));
    if (outer_ip_ok) FUZZ_CHECK(fuzz::ip_header_verifies(f.get() + v.l3, v.l4 - v.l3));
}

// A later fragment: only the outer addresses and the TTL are rewritten.
void fragment(const uint8_t* orig, uint32_t len, const L4View& v0, uint32_t ip) {
    auto f = fuzz::exact_copy(orig, len);
    L4View v = v0;
    const uint32_t ihl = (f[v.l3] & 0x0f) * 4u;
    const bool ok = fuzz::ip_header_verifies(f.get() + v.l3, ihl);
    rewrite_outer_ip(f.get(), v, true, ip);
    rewrite_outer_ip(f.get(), v, false, ~ip);
    decrement_ttl(f.get(), v);
    if (ok) FUZZ_CHECK(fuzz::ip_header_verifies(f.get() + v.l3, ihl));
}

// NAT66: the same rewrites on an IPv6 frame. A checksum that verified before
// verifies after; the view follows the bytes.
void rewrite_one6(const uint8_t* orig, uint32_t len, const L4View6& v0, bool source, uint32_t ip, uint16_t port) {
    auto f = fuzz::exact_copy(orig, len);
    L4View6 v = v0;
    Ipv6Bytes a{};
    for (unsigned i = 0; i < 16; i += 4) std::memcpy(a.data() + i, &ip, 4);
    a[0] ^= static_cast<uint8_t>(port);
    const bool udp_none = v.proto == kProtoUdp && get16(f.get() + v.l4 + 6) == 0;
    const bool ok = !udp_none && fuzz::l4_verifies6(f.get() + v.l3, v.proto, f.get() + v.l4, v.payload);
    if (source)
        rewrite_source6(f.get(), v, a, port);
    else
        rewrite_destination6(f.get(), v, a, port);
    FUZZ_CHECK(std::memcmp(f.get() + v.l3 + (source ? 8 : 24), a.data(), 16) == 0);
    FUZZ_CHECK((source ? v.src_ip : v.dst_ip) == a);
    if (ok) FUZZ_CHECK(fuzz::l4_verifies6(f.get() + v.l3, v.proto, f.get() + v.l4, v.payload));
    const uint8_t hop = v.hop_limit;
    FUZZ_CHECK(decrement_hop_limit(f.get(), v) == (hop > 1));
    if (ok) FUZZ_CHECK(fuzz::l4_verifies6(f.get() + v.l3, v.proto, f.get() + v.l4, v.payload));
}

void icmp6_error(const uint8_t* orig, uint32_t len, const L4View6& v0, bool source, uint32_t ip, uint16_t port) {
    L4View6 q;
    if (parse_icmp6_error(orig, len, v0, q) != L4Parse::ok) return;
    FUZZ_CHECK(q.l3 == v0.l4 + 8 && q.l4 == q.l3 + 40 && q.l4 + 8 <= v0.l4 + v0.payload);
    auto f = fuzz::exact_copy(orig, len);
    L4View6 v = v0;
    Ipv6Bytes a{};
    std::memcpy(a.data(), &ip, 4);
    rewrite_outer6(f.get(), v, !source, a);
    rewrite_quoted6(f.get(), v, q, source, a, port);
    FUZZ_CHECK((source ? q.src_ip : q.dst_ip) == a);
    // The outer ICMPv6 checksum is recomputed over the whole message.
    FUZZ_CHECK(fuzz::l4_verifies6(f.get() + v.l3, kProtoIcmp6, f.get() + v.l4, v.payload));
}

FragmentTable g_fragments;  // carries state from input to input, like a worker's
uint32_t g_now = 0;

void fragment_table(const L4View& v, L4Parse r, uint8_t flags, uint8_t context, uint32_t ip) {
    g_now += (flags >> 2) & 3;
    const FragmentKey key{v.src_ip, v.dst_ip, v.ip_id, v.proto, static_cast<uint8_t>((flags >> 1) & 1), context};
    if (r == L4Parse::ok && v.first_fragment) {
        FragmentAction a;
        a.new_src_ip = ip;
        a.new_dst_ip = ~ip;
        a.network = context;
        a.hand_to_worker = static_cast<int16_t>(flags & 1 ? -1 : context % 8);
        g_fragments.remember(key, a, g_now);
        const FragmentAction* found = g_fragments.find(key, false, g_now);
        FUZZ_CHECK(found != nullptr && found->new_src_ip == ip && found->new_dst_ip == ~ip &&
                   found->hand_to_worker == a.hand_to_worker);
    } else if (r == L4Parse::fragment) {
        g_fragments.find(key, !v.more_fragments, g_now);
    }
    if (flags & 0x10) g_fragments.sweep(g_now, 64);
}

}  // namespace

// The frame as a VXLAN packet: what parse_vxlan accepts lies inside the
// frame; the frame encapsulated (outer headers from the header's address
// and port) parses back to itself, with a valid IPv4 header checksum.
void vxlan(const uint8_t* f, uint32_t len, uint32_t ip, uint16_t port) {
    overlay::VxlanOuter o;
    const overlay::VxlanParse r = overlay::parse_vxlan(f, len, o);
    if (r == overlay::VxlanParse::ok) {
        FUZZ_CHECK(o.inner_len >= 14 && o.inner_offset + o.inner_len <= len);
        FUZZ_CHECK(o.vni <= overlay::kMaxVni);
    }
    if (len < 14 || len > 9000) return;
    const auto tmpl = overlay::write_vxlan_template(
        {{0x02, 0, 0, 0, 0, 1}, {0x02, 0, 0, 0, 0, 2}, ip, ~ip, (uint32_t{port} << 8 | f[0]) & overlay::kMaxVni});
    std::vector<uint8_t> packet(overlay::kOuterLen + len);
    overlay::finish_vxlan_outer(packet.data(), tmpl, len, overlay::vxlan_source_port(f, len));
    std::memcpy(packet.data() + overlay::kOuterLen, f, len);
    overlay::VxlanOuter back;
    FUZZ_CHECK(overlay::parse_vxlan(packet.data(), static_cast<uint32_t>(packet.size()), back) ==
               overlay::VxlanParse::ok);
    FUZZ_CHECK(back.inner_offset == overlay::kOuterLen && back.inner_len == len && back.src_ip == ip);
    FUZZ_CHECK(back.vni == ((uint32_t{port} << 8 | f[0]) & overlay::kMaxVni));
    FUZZ_CHECK(internet_checksum(packet.data() + 14, 20) == 0);
    FUZZ_CHECK(overlay::is_vxlan_to(packet.data(), static_cast<uint32_t>(packet.size()), ~ip));
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size < kHeader) return 0;
    const uint8_t flags = data[0];
    uint32_t ip;
    uint16_t port;
    std::memcpy(&ip, data + 1, 4);
    std::memcpy(&port, data + 5, 2);
    const uint8_t context = data[7];
    const uint32_t len = static_cast<uint32_t>(size - kHeader);
    auto frame = fuzz::exact_copy(data + kHeader, len);
    const uint8_t* f = frame.get();

    L4View v;
    const L4Parse r = parse_l4(f, len, v);
    const bool source_first = flags & 1;
    switch (r) {
        case L4Parse::ok:
            check_view(f, len, v);
            rewrite_one(f, len, v, source_first, ip, port);
            break;
        case L4Parse::unsupported:
            if (v.proto == kProtoIcmp && is_icmp_error(v.icmp_type)) icmp_error(f, len, v, source_first, ip, port);
            break;
        case L4Parse::fragment:
            FUZZ_CHECK(v.l3 + v.ip_total <= len);
            fragment(f, len, v, ip);
            break;
        case L4Parse::not_ipv4: {
            L4View6 v6;
            const L4Parse r6 = parse_l4_v6(f, len, v6);
            if (r6 == L4Parse::ok) {
                FUZZ_CHECK(v6.l4 == 54 && v6.l4 + v6.payload <= len && v6.proto == f[20]);
                rewrite_one6(f, len, v6, source_first, ip, port);
            } else if (r6 == L4Parse::unsupported && v6.proto == kProtoIcmp6 && is_icmp6_error(v6.icmp_type)) {
                icmp6_error(f, len, v6, source_first, ip, port);
            }
            break;
        }
        case L4Parse::malformed:
            break;
    }
    fragment_table(v, r, flags, context, ip);
    vxlan(frame.get(), len, ip, port);
    // What the parser says about an untouched frame does not depend on the buffer's copy.
    L4View again;
    FUZZ_CHECK(parse_l4(f, len, again) == r);
    return 0;
}
