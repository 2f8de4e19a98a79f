// ICMP error translation (datapath/nat/icmp_error.*) and the fragment table
// of virtual reassembly (datapath/nat/fragments.*): pure functions on bytes,
// checked against a plain reference checksum.
#include <gtest/gtest.h>

#include <arpa/inet.h>

#include <cstring>
#include <vector>

#include "nat/fragments.hpp"
#include "nat/icmp_error.hpp"
#include "nat/l4.hpp"

using namespace vsw;
using namespace vsw::nat;

namespace {

using Bytes = std::vector<uint8_t>;

uint32_t ip4(uint8_t a, uint8_t b, uint8_t c, uint8_t d) {
    return htonl(static_cast<uint32_t>(a) << 24 | b << 16 | c << 8 | d);
}

// Reference one's-complement sum over bytes, folded, not inverted.
uint32_t ref_sum(const uint8_t* p, size_t n, uint32_t acc = 0) {
    for (size_t i = 0; i + 1 < n; i += 2) acc += static_cast<uint32_t>(p[i] << 8 | p[i + 1]);
    if (n % 2) acc += static_cast<uint32_t>(p[n - 1] << 8);
    while (acc >> 16) acc = (acc & 0xffff) + (acc >> 16);
    return acc;
}
bool ip_header_ok(const uint8_t* ip) { return ref_sum(ip, (ip[0] & 0xf) * 4u) == 0xffff; }
bool icmp_ok(const uint8_t* icmp, size_t n) { return ref_sum(icmp, n) == 0xffff; }
bool udp_ok(const uint8_t* ip, const uint8_t* udp, size_t udp_len) {
    uint8_t pseudo[12];
    std::memcpy(pseudo, ip + 12, 8);
    pseudo[8] = 0;
    pseudo[9] = 17;
    pseudo[10] = static_cast<uint8_t>(udp_len >> 8);
    pseudo[11] = static_cast<uint8_t>(udp_len);
    return ref_sum(udp, udp_len, ref_sum(pseudo, 12)) == 0xffff;
}

void set_csum(uint8_t* field, uint32_t folded_sum) {
    const uint16_t c = static_cast<uint16_t>(~folded_sum);
    field[0] = static_cast<uint8_t>(c >> 8);
    field[1] = static_cast<uint8_t>(c);
}

// Writes a 20-byte IPv4 header with a valid checksum.
void ipv4_header(uint8_t* ip, uint16_t total, uint8_t proto, uint32_t src, uint32_t dst, uint8_t ttl = 64,
                 uint16_t id = 0x1234, uint16_t frag = 0) {
    std::memset(ip, 0, 20);
    ip[0] = 0x45;
    ip[2] = static_cast<uint8_t>(total >> 8);
    ip[3] = static_cast<uint8_t>(total);
    ip[4] = static_cast<uint8_t>(id >> 8);
    ip[5] = static_cast<uint8_t>(id);
    ip[6] = static_cast<uint8_t>(frag >> 8);
    ip[7] = static_cast<uint8_t>(frag);
    ip[8] = ttl;
    ip[9] = proto;
    std::memcpy(ip + 12, &src, 4);
    std::memcpy(ip + 16, &dst, 4);
    set_csum(ip + 10, ref_sum(ip, 20));
}

// A UDP datagram (8-byte header + payload) with a valid checksum, as sent by `src`.
Bytes udp_packet(uint32_t src, uint16_t sport, uint32_t dst, uint16_t dport, size_t payload) {
    Bytes p(20 + 8 + payload, 0);
    ipv4_header(p.data(), static_cast<uint16_t>(p.size()), 17, src, dst);
    uint8_t* u = p.data() + 20;
    u[0] = static_cast<uint8_t>(sport >> 8);
    u[1] = static_cast<uint8_t>(sport);
    u[2] = static_cast<uint8_t>(dport >> 8);
    u[3] = static_cast<uint8_t>(dport);
    u[4] = static_cast<uint8_t>((8 + payload) >> 8);
    u[5] = static_cast<uint8_t>(8 + payload);
    for (size_t i = 0; i < payload; ++i) u[8 + i] = static_cast<uint8_t>(i * 7);
    uint8_t pseudo[12];
    std::memcpy(pseudo, p.data() + 12, 8);
    pseudo[8] = 0;
    pseudo[9] = 17;
    pseudo[10] = u[4];
    pseudo[11] = u[5];
    set_csum(u + 6, ref_sum(u, 8 + payload, ref_sum(pseudo, 12)));
    return p;
}

Bytes icmp_echo_packet(uint32_t src, uint32_t dst, uint16_t id) {
    Bytes p(20 + 8 + 16, 0);
    ipv4_header(p.data(), static_cast<uint16_t>(p.size()), 1, src, dst);
    uint8_t* i = p.data() + 20;
    i[0] = kIcmpEchoRequest;
    i[4] = static_cast<uint8_t>(id >> 8);
    i[5] = static_cast<uint8_t>(id);
    set_csum(i + 2, ref_sum(i, 24));
    return p;
}

// An Ethernet frame carrying ICMP error `type` from `router` to `to`, quoting `quote` bytes of `orig`.
Bytes icmp_error_frame(uint8_t type, uint32_t router, uint32_t to, const Bytes& orig, size_t quote) {
    quote = std::min(quote, orig.size());
    Bytes f(14 + 20 + 8 + quote, 0);
    f[12] = 0x08;
    uint8_t* ip = f.data() + 14;
    ipv4_header(ip, static_cast<uint16_t>(20 + 8 + quote), 1, router, to);
    uint8_t* icmp = ip + 20;
    icmp[0] = type;
    icmp[1] = type == kIcmpDestUnreachable ? 3 : 0;
    std::memcpy(icmp + 8, orig.data(), quote);
    set_csum(icmp + 2, ref_sum(icmp, 8 + quote));
    return f;
}

uint16_t be16_at(const uint8_t* p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }

const uint32_t kUplink = ip4(203, 0, 113, 10);
const uint32_t kRemote = ip4(198, 51, 100, 7);
const uint32_t kRouter = ip4(198, 51, 100, 1);
const uint32_t kGuest = ip4(10, 0, 2, 15);

}  // namespace

// Port unreachable about a masqueraded UDP packet: the embedded source goes
// back to the guest's address and port; every checksum stays valid.
TEST(IcmpError, PortUnreachableBackToTheGuest) {
    for (size_t quote : {28u, 64u, 200u}) {  // the minimum (header + 8) and longer quotes
        const Bytes sent = udp_packet(kUplink, 20001, kRemote, 53, 100);
        Bytes f = icmp_error_frame(kIcmpDestUnreachable, kRemote, kUplink, sent, quote);
        L4View v;
        ASSERT_EQ(parse_l4(f.data(), static_cast<uint32_t>(f.size()), v), L4Parse::unsupported);
        ASSERT_EQ(v.icmp_type, kIcmpDestUnreachable);
        EmbeddedView e;
        ASSERT_EQ(parse_icmp_error(f.data(), static_cast<uint32_t>(f.size()), v, e), L4Parse::ok);
        EXPECT_EQ(e.proto, kProtoUdp);
        EXPECT_EQ(e.src_ip, kUplink);
        EXPECT_EQ(e.dst_ip, kRemote);
        EXPECT_EQ(ntohs(e.src_port), 20001);
        EXPECT_EQ(ntohs(e.dst_port), 53);

        rewrite_embedded(f.data(), v, e, true, kGuest, htons(40000));
        rewrite_outer_ip(f.data(), v, false, kGuest);
        const uint8_t* ip = f.data() + 14;
        const uint8_t* inner = ip + 28;
        EXPECT_TRUE(ip_header_ok(ip));
        EXPECT_TRUE(icmp_ok(ip + 20, f.size() - 34)) << "quote " << quote;
        EXPECT_TRUE(ip_header_ok(inner));
        EXPECT_EQ(std::memcmp(ip + 16, &kGuest, 4), 0);
        EXPECT_EQ(std::memcmp(inner + 12, &kGuest, 4), 0);
        EXPECT_EQ(be16_at(inner + 20), 40000);
        if (quote >= sent.size()) {  // the whole datagram quoted: its UDP checksum must still verify
            EXPECT_TRUE(udp_ok(inner, inner + 20, sent.size() - 20));
        }
    }
}

// TTL exceeded about a guest's ping: the embedded echo identifier maps back.
TEST(IcmpError, TimeExceededAboutAnEcho) {
    const Bytes sent = icmp_echo_packet(kUplink, kRemote, 30000);
    Bytes f = icmp_error_frame(kIcmpTimeExceeded, kRouter, kUplink, sent, sent.size());
    L4View v;
    ASSERT_EQ(parse_l4(f.data(), static_cast<uint32_t>(f.size()), v), L4Parse::unsupported);
    EmbeddedView e;
    ASSERT_EQ(parse_icmp_error(f.data(), static_cast<uint32_t>(f.size()), v, e), L4Parse::ok);
    EXPECT_EQ(e.proto, kProtoIcmp);
    EXPECT_EQ(ntohs(e.src_port), 30000);
    rewrite_embedded(f.data(), v, e, true, kGuest, htons(77));
    rewrite_outer_ip(f.data(), v, false, kGuest);
    const uint8_t* ip = f.data() + 14;
    const uint8_t* inner = ip + 28;
    EXPECT_TRUE(ip_header_ok(ip));
    EXPECT_TRUE(icmp_ok(ip + 20, f.size() - 34));
    EXPECT_TRUE(ip_header_ok(inner));
    EXPECT_TRUE(icmp_ok(inner + 20, sent.size() - 20)) << "the embedded echo's own checksum";
    EXPECT_EQ(be16_at(inner + 24), 77);
}

// Fragmentation needed (type 3 code 4) carries the MTU: translation keeps it.
TEST(IcmpError, FragmentationNeededKeepsTheMtu) {
    const Bytes sent = udp_packet(kUplink, 20002, kRemote, 9999, 1400);
    Bytes f = icmp_error_frame(kIcmpDestUnreachable, kRouter, kUplink, sent, 28);
    uint8_t* icmp = f.data() + 34;
    icmp[1] = 4;
    icmp[6] = 0x05;  // next-hop MTU 1400
    icmp[7] = 0x78;
    icmp[2] = icmp[3] = 0;
    set_csum(icmp + 2, ref_sum(icmp, f.size() - 34));
    L4View v;
    parse_l4(f.data(), static_cast<uint32_t>(f.size()), v);
    EmbeddedView e;
    ASSERT_EQ(parse_icmp_error(f.data(), static_cast<uint32_t>(f.size()), v, e), L4Parse::ok);
    rewrite_embedded(f.data(), v, e, true, kGuest, htons(1234));
    EXPECT_EQ(be16_at(icmp + 6), 1400);
    EXPECT_EQ(icmp[1], 4);
    EXPECT_TRUE(icmp_ok(icmp, f.size() - 34));
}

// Bad embedded packets are refused, never read past the message.
TEST(IcmpError, BadEmbeddedPacketsAreRefused) {
    const Bytes sent = udp_packet(kUplink, 20001, kRemote, 53, 100);
    auto parse = [](Bytes f) {
        L4View v;
        parse_l4(f.data(), static_cast<uint32_t>(f.size()), v);
        EmbeddedView e;
        return parse_icmp_error(f.data(), static_cast<uint32_t>(f.size()), v, e);
    };
    // Quote shorter than the embedded IPv4 header + 8 bytes.
    EXPECT_EQ(parse(icmp_error_frame(kIcmpDestUnreachable, kRemote, kUplink, sent, 24)), L4Parse::malformed);
    EXPECT_EQ(parse(icmp_error_frame(kIcmpDestUnreachable, kRemote, kUplink, sent, 10)), L4Parse::malformed);
    // Embedded IHL pointing past the quote, and an embedded version 6.
    Bytes bad_ihl = sent;
    bad_ihl[0] = 0x4f;
    EXPECT_EQ(parse(icmp_error_frame(kIcmpDestUnreachable, kRemote, kUplink, bad_ihl, 28)), L4Parse::malformed);
    Bytes v6 = sent;
    v6[0] = 0x65;
    EXPECT_EQ(parse(icmp_error_frame(kIcmpDestUnreachable, kRemote, kUplink, v6, 28)), L4Parse::malformed);
    Bytes short_ihl = sent;
    short_ihl[0] = 0x44;
    EXPECT_EQ(parse(icmp_error_frame(kIcmpDestUnreachable, kRemote, kUplink, short_ihl, 28)), L4Parse::malformed);
    // Embedded later fragment (no ports) and an embedded protocol NAT does not map.
    Bytes frag = sent;
    frag[7] = 0x10;
    EXPECT_EQ(parse(icmp_error_frame(kIcmpDestUnreachable, kRemote, kUplink, frag, 28)), L4Parse::fragment);
    Bytes gre = sent;
    gre[9] = 47;
    EXPECT_EQ(parse(icmp_error_frame(kIcmpDestUnreachable, kRemote, kUplink, gre, 28)), L4Parse::unsupported);
    // An error about an error is not translated.
    Bytes err = icmp_echo_packet(kUplink, kRemote, 5);
    err[20] = kIcmpDestUnreachable;
    EXPECT_EQ(parse(icmp_error_frame(kIcmpDestUnreachable, kRemote, kUplink, err, 28)), L4Parse::unsupported);
    // Outer total length beyond the frame.
    Bytes f = icmp_error_frame(kIcmpDestUnreachable, kRemote, kUplink, sent, 28);
    f.resize(f.size() - 4);
    L4View v;
    EXPECT_EQ(parse_l4(f.data(), static_cast<uint32_t>(f.size()), v), L4Parse::malformed);
}

TEST(IcmpError, ChecksumMatchesReference) {
    Bytes data(301);
    for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<uint8_t>(i * 31 + 7);
    const uint16_t stored = internet_checksum(data.data(), static_cast<uint32_t>(data.size()));
    uint8_t bytes[2];
    std::memcpy(bytes, &stored, 2);
    const uint16_t expect = static_cast<uint16_t>(~ref_sum(data.data(), data.size()));
    EXPECT_EQ(be16_at(bytes), expect);
}

// ---- parse_l4 on fragments -------------------------------------------------

TEST(Fragments, FirstFragmentHasPortsLaterOnesDoNot) {
    Bytes p = udp_packet(ip4(10, 0, 2, 15), 5000, kRemote, 7000, 3000);
    // First fragment: MF set, offset 0, 1480 bytes of the datagram.
    Bytes first(14 + 20 + 1480, 0);
    first[12] = 0x08;
    std::memcpy(first.data() + 14, p.data(), 20 + 1480);
    ipv4_header(first.data() + 14, 1500, 17, ip4(10, 0, 2, 15), kRemote, 64, 0x4242, 0x2000);
    L4View v;
    ASSERT_EQ(parse_l4(first.data(), static_cast<uint32_t>(first.size()), v), L4Parse::ok);
    EXPECT_TRUE(v.first_fragment);
    EXPECT_TRUE(v.more_fragments);
    EXPECT_EQ(ntohs(v.src_port), 5000);
    EXPECT_EQ(ntohs(v.ip_id), 0x4242);

    Bytes later(14 + 20 + 100, 0);
    later[12] = 0x08;
    ipv4_header(later.data() + 14, 120, 17, ip4(10, 0, 2, 15), kRemote, 64, 0x4242, 185);  // offset 1480, last
    ASSERT_EQ(parse_l4(later.data(), static_cast<uint32_t>(later.size()), v), L4Parse::fragment);
    EXPECT_FALSE(v.more_fragments);
    EXPECT_EQ(ntohs(v.ip_id), 0x4242);
    EXPECT_EQ(v.src_ip, ip4(10, 0, 2, 15));
    EXPECT_EQ(v.dst_ip, kRemote);
    EXPECT_EQ(v.proto, kProtoUdp);

    // A later fragment's address rewrite keeps its header checksum valid.
    rewrite_outer_ip(later.data(), v, true, kUplink);
    EXPECT_TRUE(ip_header_ok(later.data() + 14));
}

// ---- the fragment table ----------------------------------------------------

TEST(FragmentTable, LaterFragmentsFindTheFirstOnesAction) {
    auto table = std::make_unique<FragmentTable>();
    const FragmentKey k{ip4(10, 0, 2, 15), kRemote, htons(7), kProtoUdp, 1, 3};
    FragmentAction a;
    a.new_src_ip = kUplink;
    a.new_dst_ip = kRemote;
    table->remember(k, a, 100);
    const FragmentAction* got = table->find(k, false, 100);
    ASSERT_NE(got, nullptr);
    EXPECT_EQ(got->new_src_ip, kUplink);
    // The same datagram from another network, direction or with another id is not it.
    FragmentKey other = k;
    other.context = 4;
    EXPECT_EQ(table->find(other, false, 100), nullptr);
    other = k;
    other.outbound = 0;
    EXPECT_EQ(table->find(other, false, 100), nullptr);
    other = k;
    other.ip_id = htons(8);
    EXPECT_EQ(table->find(other, false, 100), nullptr);
    // The last fragment finishes the datagram: no timeout is counted later.
    EXPECT_NE(table->find(k, true, 101), nullptr);
    table->sweep(200, kFragmentSlots);
    EXPECT_EQ(table->timeouts(), 0u);
    EXPECT_EQ(table->find(k, false, 200), nullptr) << "swept after its lifetime";
}

TEST(FragmentTable, UnfinishedDatagramsCountAsTimeouts) {
    auto table = std::make_unique<FragmentTable>();
    for (uint16_t id = 0; id < 10; ++id) {
        const FragmentKey k{ip4(10, 0, 2, 15), kRemote, htons(id), kProtoUdp, 1, 0};
        table->remember(k, FragmentAction{}, 50);
    }
    const FragmentKey k0{ip4(10, 0, 2, 15), kRemote, htons(0), kProtoUdp, 1, 0};
    EXPECT_NE(table->find(k0, false, 50 + kFragmentLifetime), nullptr) << "still alive at its lifetime";
    EXPECT_EQ(table->find(k0, false, 51 + kFragmentLifetime), nullptr) << "expired";
    EXPECT_EQ(table->timeouts(), 1u);
    EXPECT_EQ(table->in_use(), 9u);
    table->sweep(100, kFragmentSlots);
    EXPECT_EQ(table->timeouts(), 10u);
    EXPECT_EQ(table->in_use(), 0u) << "an empty table's sweep walks no slots";
}

TEST(FragmentTable, HandOffNotesAreKept) {
    auto table = std::make_unique<FragmentTable>();
    const FragmentKey k{kRemote, kUplink, htons(99), kProtoTcp, 0, 1};
    FragmentAction a;
    a.hand_to_worker = 2;
    table->remember(k, a, 10);
    const FragmentAction* got = table->find(k, false, 10);
    ASSERT_NE(got, nullptr);
    EXPECT_EQ(got->hand_to_worker, 2);
}
