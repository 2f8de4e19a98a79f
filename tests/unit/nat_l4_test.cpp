// datapath/nat/l4.*: parse_l4, the RFC 1624 checksum helpers, the address
// and port rewrites and decrement_ttl, as pure functions over frame bytes.
// Every checksum the code produces incrementally is compared with a plain
// full recomputation (nat_packets.hpp: one's-complement sum incl. the
// pseudo-header), over many random addresses and ports from a fixed seed.
#include <gtest/gtest.h>

#include <arpa/inet.h>

#include <cstring>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "nat/l4.hpp"
#include "nat_packets.hpp"

using namespace vsw;
using namespace vsw::nat;
using namespace nat_test;

// ---- parse_l4: good packets ------------------------------------------------

TEST(ParseL4, FillsTheViewForTcpUdpAndIcmpEcho) {
    struct Case {
        const char* name;
        Spec spec;
    };
    Spec tcp;
    tcp.proto = kProtoTcp;
    tcp.sport = 33000;
    tcp.dport = 443;
    tcp.tcp_flags = kTcpSyn;
    Spec udp;
    Spec icmp;
    icmp.proto = kProtoIcmp;
    icmp.sport = 0x4321;
    Spec reply = icmp;
    reply.icmp_type = kIcmpEchoReply;
    Spec opts = tcp;
    opts.ihl_words = 8;  // 12 bytes of options: L4 starts at 14 + 32
    Spec padded = udp;
    padded.payload = 0;
    padded.eth_padding = 18;  // a 60-byte minimum frame: bytes beyond the IPv4 total length are ignored
    Spec first_fragment = udp;
    first_fragment.frag = 0x2000;  // MF, offset 0: has the L4 header
    for (const Case& c : {Case{"tcp", tcp}, Case{"udp", udp}, Case{"icmp echo", icmp}, Case{"icmp echo reply", reply},
                          Case{"tcp with options", opts}, Case{"udp in a padded frame", padded},
                          Case{"udp first fragment", first_fragment}}) {
        SCOPED_TRACE(c.name);
        const Bytes f = build(c.spec);
        L4View v;
        ASSERT_EQ(parse(f, v), L4Parse::ok);
        EXPECT_EQ(v.l3, kEth);
        EXPECT_EQ(v.l4, kEth + c.spec.ihl_words * 4u);
        EXPECT_EQ(v.ip_total, f.size() - kEth - c.spec.eth_padding);
        EXPECT_EQ(v.proto, c.spec.proto);
        EXPECT_EQ(v.ttl, c.spec.ttl);
        EXPECT_EQ(v.src_ip, c.spec.src);
        EXPECT_EQ(v.dst_ip, c.spec.dst);
        EXPECT_EQ(v.ip_id, htons(0x1234));
        if (c.spec.proto == kProtoIcmp) {
            EXPECT_EQ(v.icmp_type, c.spec.icmp_type);
            EXPECT_EQ(ntohs(v.src_port), c.spec.sport) << "identifier in both ports";
            EXPECT_EQ(ntohs(v.dst_port), c.spec.sport);
        } else {
            EXPECT_EQ(ntohs(v.src_port), c.spec.sport);
            EXPECT_EQ(ntohs(v.dst_port), c.spec.dport);
        }
        if (c.spec.proto == kProtoTcp) {
            EXPECT_EQ(v.tcp_flags, c.spec.tcp_flags);
        }
        EXPECT_EQ(v.first_fragment, c.spec.frag == 0x2000);
        EXPECT_EQ(v.more_fragments, c.spec.frag == 0x2000);
    }
}

// ---- parse_l4: bad packets, one case per check -----------------------------

TEST(ParseL4, RefusesBadPackets) {
    struct Case {
        const char* name;
        Spec spec;
        std::function<void(Bytes&)> edit;  // applied after building (may break checksums: parse does not check them)
        L4Parse expect;
    };
    Spec udp;
    Spec tcp;
    tcp.proto = kProtoTcp;
    Spec icmp;
    icmp.proto = kProtoIcmp;
    auto set_ihl = [](uint8_t words) {
        return [words](Bytes& f) {
            f[kEth] = static_cast<uint8_t>(0x40 | words);
            fix_ip_checksum(f);
        };
    };
    auto set_total = [](int delta) {
        return [delta](Bytes& f) {
            put_be16(&f[kEth + 2], static_cast<uint16_t>(be16_at(&f[kEth + 2]) + delta));
            fix_ip_checksum(f);
        };
    };
    auto set_total_abs = [](uint16_t total) {
        return [total](Bytes& f) {
            put_be16(&f[kEth + 2], total);
            fix_ip_checksum(f);
        };
    };
    auto set_frag = [](uint16_t word) {
        return [word](Bytes& f) {
            put_be16(&f[kEth + 6], word);
            fix_ip_checksum(f);
        };
    };
    // A TCP header is 20 bytes, UDP and ICMP 8: shorten the IPv4 packet (and frame) to cut it.
    auto truncate_l4 = [](size_t l4_bytes) {
        return [l4_bytes](Bytes& f) {
            const size_t ihl = (f[kEth] & 0x0f) * 4u;
            f.resize(kEth + ihl + l4_bytes);
            put_be16(&f[kEth + 2], static_cast<uint16_t>(ihl + l4_bytes));
            fix_ip_checksum(f);
        };
    };
    Spec unknown = udp;
    unknown.proto = 47;  // GRE
    Spec sctp = udp;
    sctp.proto = 132;
    Spec unreachable = icmp;
    unreachable.icmp_type = 3;
    Spec timestamp = icmp;
    timestamp.icmp_type = 13;
    Spec ipv6 = udp;
    ipv6.ethertype = 0x86dd;
    Spec vlan = udp;
    vlan.ethertype = 0x8100;
    Spec arp = udp;
    arp.ethertype = 0x0806;
    auto none = [](Bytes&) {};

    const std::vector<Case> cases = {
        {"ethertype IPv6", ipv6, none, L4Parse::not_ipv4},
        {"ethertype VLAN", vlan, none, L4Parse::not_ipv4},
        {"ethertype ARP", arp, none, L4Parse::not_ipv4},
        {"frame shorter than Ethernet + 20", udp, [](Bytes& f) { f.resize(kEth + 19); }, L4Parse::not_ipv4},
        {"IP version 6 in an IPv4 ethertype", udp, [](Bytes& f) { f[kEth] = 0x65; }, L4Parse::malformed},
        {"IHL 0", udp, set_ihl(0), L4Parse::malformed},
        {"IHL 4 (< 5)", udp, set_ihl(4), L4Parse::malformed},
        {"IHL 15 beyond the total length", udp, set_ihl(15), L4Parse::malformed},
        {"IHL 15 beyond the frame", udp,
         [](Bytes& f) {
             f.resize(kEth + 40);
             f[kEth] = 0x4f;
             put_be16(&f[kEth + 2], 60);
             fix_ip_checksum(f);
         },
         L4Parse::malformed},
        {"total length > frame", udp, set_total(1), L4Parse::malformed},
        {"total length far beyond the frame", udp, set_total_abs(0xffff), L4Parse::malformed},
        {"total length < IHL*4", udp, set_total_abs(19), L4Parse::malformed},
        {"total length 0", udp, set_total_abs(0), L4Parse::malformed},
        {"TCP header truncated (19 bytes)", tcp, truncate_l4(19), L4Parse::malformed},
        {"TCP no L4 bytes", tcp, truncate_l4(0), L4Parse::malformed},
        {"TCP data offset 4 (< 5)", tcp, [](Bytes& f) { f[kEth + 20 + 12] = 4 << 4; }, L4Parse::malformed},
        {"TCP data offset beyond the packet", tcp, [](Bytes& f) { f[kEth + 20 + 12] = 15 << 4; },
         L4Parse::malformed},
        {"UDP header truncated (7 bytes)", udp, truncate_l4(7), L4Parse::malformed},
        {"UDP length field < 8", udp, [](Bytes& f) { put_be16(&f[kEth + 20 + 4], 7); }, L4Parse::malformed},
        {"UDP length field beyond the packet", udp,
         [](Bytes& f) { put_be16(&f[kEth + 20 + 4], static_cast<uint16_t>(be16_at(&f[kEth + 20 + 4]) + 1)); },
         L4Parse::malformed},
        {"ICMP header truncated (7 bytes)", icmp, truncate_l4(7), L4Parse::malformed},
        {"ICMP no L4 bytes", icmp, truncate_l4(0), L4Parse::malformed},
        {"later fragment (offset 1, MF)", udp, set_frag(0x2001), L4Parse::fragment},
        {"last fragment (offset 185, no MF)", udp, set_frag(185), L4Parse::fragment},
        {"TCP later fragment", tcp, set_frag(0x0100), L4Parse::fragment},
        {"unknown protocol GRE", unknown, none, L4Parse::unsupported},
        {"unknown protocol SCTP", sctp, none, L4Parse::unsupported},
        {"ICMP destination unreachable", unreachable, none, L4Parse::unsupported},
        {"ICMP timestamp", timestamp, none, L4Parse::unsupported},
    };
    for (const Case& c : cases) {
        SCOPED_TRACE(c.name);
        Bytes f = build(c.spec);
        c.edit(f);
        L4View v;
        EXPECT_EQ(parse(f, v), c.expect);
    }
}

// A later fragment still reports what the fragment path needs.
TEST(ParseL4, LaterFragmentFillsIpFields) {
    Spec s;
    s.frag = 0x2000 | 100;
    const Bytes f = build(s);
    L4View v;
    ASSERT_EQ(parse(f, v), L4Parse::fragment);
    EXPECT_EQ(v.src_ip, s.src);
    EXPECT_EQ(v.dst_ip, s.dst);
    EXPECT_EQ(v.proto, kProtoUdp);
    EXPECT_EQ(v.ip_id, htons(0x1234));
    EXPECT_TRUE(v.more_fragments);
    EXPECT_FALSE(v.first_fragment);
    EXPECT_EQ(v.src_port, 0) << "no L4 header in a later fragment";
}

// A first fragment holds only the start of the UDP datagram: a UDP length
// beyond the fragment is fine there (and only there).
TEST(ParseL4, FirstFragmentMayBeShorterThanUdpLength) {
    Spec s;
    s.frag = 0x2000;
    Bytes f = build(s);
    put_be16(&f[kEth + 20 + 4], 3000);
    L4View v;
    EXPECT_EQ(parse(f, v), L4Parse::ok);
    EXPECT_TRUE(v.first_fragment);
    s.frag = 0;
    f = build(s);
    put_be16(&f[kEth + 20 + 4], 3000);
    EXPECT_EQ(parse(f, v), L4Parse::malformed);
}

// ---- RFC 1624 helpers --------------------------------------------------------

TEST(Checksum, Rfc1624Example) {
    // RFC 1624 section 4: HC = 0xDD2F, m = 0x5555 -> m' = 0x3285 gives HC' = 0x0000 (not 0xFFFF).
    EXPECT_EQ(csum_replace16(0xdd2f, 0x5555, 0x3285), 0x0000);
    // The same arithmetic on byte-swapped (stored) values.
    EXPECT_EQ(csum_replace16(0x2fdd, 0x5555, 0x8532), 0x0000);
    // No change, no checksum change.
    EXPECT_EQ(csum_replace16(0x1234, 0xabcd, 0xabcd), 0x1234);
    EXPECT_EQ(csum_replace32(0x1234, 0xdeadbeef, 0xdeadbeef), 0x1234);
}

TEST(Checksum, IncrementalEqualsFullRecomputation) {
    std::mt19937 rng(1624);
    for (int iter = 0; iter < 5000; ++iter) {
        Bytes buf(2 + 2 * (rng() % 40) + 4 + 2);  // checksum word at 0, then the data
        for (auto& b : buf) b = static_cast<uint8_t>(rng());
        buf[0] = buf[1] = 0;
        put_be16(buf.data(), static_cast<uint16_t>(~ref_sum(buf.data(), buf.size())));
        // A 16-bit field at an even offset, then a 32-bit one: the stored
        // (native-order) values are what the code passes.
        const size_t off16 = 2 + 2 * (rng() % ((buf.size() - 2) / 2));
        const uint16_t to16 = static_cast<uint16_t>(rng());
        uint16_t from16, sum, new16;
        std::memcpy(&from16, &buf[off16], 2);
        std::memcpy(&sum, buf.data(), 2);
        put_be16(&buf[off16], to16);
        std::memcpy(&new16, &buf[off16], 2);
        sum = csum_replace16(sum, from16, new16);
        Bytes zeroed = buf;
        zeroed[0] = zeroed[1] = 0;
        const uint16_t want16 = static_cast<uint16_t>(~ref_sum(zeroed.data(), zeroed.size()));
        ASSERT_EQ(ntohs(sum), want16) << "iteration " << iter;
        std::memcpy(buf.data(), &sum, 2);

        const size_t off32 = 2 + 2 * (rng() % ((buf.size() - 6) / 2));
        uint32_t from32, to32 = static_cast<uint32_t>(rng());
        std::memcpy(&from32, &buf[off32], 4);
        std::memcpy(&buf[off32], &to32, 4);
        sum = csum_replace32(sum, from32, to32);
        zeroed = buf;
        zeroed[0] = zeroed[1] = 0;
        ASSERT_EQ(ntohs(sum), static_cast<uint16_t>(~ref_sum(zeroed.data(), zeroed.size()))) << "iteration " << iter;
    }
}

// ---- rewrite_source / rewrite_destination -------------------------------------

namespace {

// Checks every field and checksum of `f` after a rewrite against the reference.
void expect_rewritten(const Bytes& f, const L4View& v, bool source, uint32_t ip, uint16_t port_host,
                      bool udp_no_checksum, const std::string& what) {
    SCOPED_TRACE(what);
    const uint8_t* iph = &f[kEth];
    const uint8_t* l4 = &f[v.l4];
    EXPECT_EQ(std::memcmp(iph + (source ? 12 : 16), &ip, 4), 0);
    EXPECT_EQ(source ? v.src_ip : v.dst_ip, ip);
    EXPECT_EQ(be16_at(iph + 10), ref_ip_checksum(iph)) << "IPv4 header checksum";
    if (v.proto == kProtoIcmp) {
        EXPECT_EQ(be16_at(l4 + 4), port_host) << "identifier";
        EXPECT_EQ(ntohs(v.src_port), port_host);
        EXPECT_EQ(ntohs(v.dst_port), port_host);
    } else {
        EXPECT_EQ(be16_at(l4 + (source ? 0 : 2)), port_host);
        EXPECT_EQ(ntohs(source ? v.src_port : v.dst_port), port_host);
    }
    const uint16_t stored = be16_at(l4 + l4_sum_offset(v.proto));
    if (udp_no_checksum)
        EXPECT_EQ(stored, 0) << "UDP checksum 0 (none) must stay 0";
    else
        EXPECT_EQ(stored, ref_l4_checksum(iph)) << "L4 checksum";
}

}  // namespace

TEST(Rewrite, RandomAddressesAndPortsMatchReference) {
    std::mt19937 rng(20221122);
    const uint8_t protos[] = {kProtoTcp, kProtoUdp, kProtoIcmp};
    unsigned n = 0;
    for (int iter = 0; iter < 3000; ++iter) {
        Spec s;
        s.proto = protos[iter % 3];
        s.src = static_cast<uint32_t>(rng());
        s.dst = static_cast<uint32_t>(rng());
        s.sport = static_cast<uint16_t>(rng());
        s.dport = static_cast<uint16_t>(rng());
        s.payload = rng() % 61;  // odd and even lengths
        s.ihl_words = static_cast<uint8_t>(5 + rng() % 3);
        s.ttl = static_cast<uint8_t>(2 + rng() % 254);
        s.tcp_flags = static_cast<uint8_t>(rng());
        s.icmp_type = (rng() & 1) ? kIcmpEchoRequest : kIcmpEchoReply;
        s.udp_no_checksum = s.proto == kProtoUdp && rng() % 4 == 0;
        Bytes f = build(s);
        L4View v;
        ASSERT_EQ(parse(f, v), L4Parse::ok) << "iteration " << iter;

        // Translate one way, then the other, as NAT does to a packet and its reply.
        const bool source = rng() & 1;
        const uint32_t ip = static_cast<uint32_t>(rng());
        const uint16_t port = static_cast<uint16_t>(rng());
        const uint16_t old_port = ntohs(source ? v.src_port : v.dst_port);
        const uint32_t old_ip = source ? v.src_ip : v.dst_ip;
        (source ? rewrite_source : rewrite_destination)(f.data(), v, ip, htons(port));
        expect_rewritten(f, v, source, ip, port, s.udp_no_checksum, "iteration " + std::to_string(iter));
        // Then both addresses at once (the DNS case rewrites source and destination).
        const uint32_t ip2 = static_cast<uint32_t>(rng());
        const uint16_t port2 = static_cast<uint16_t>(rng());
        (source ? rewrite_destination : rewrite_source)(f.data(), v, ip2, htons(port2));
        expect_rewritten(f, v, !source, ip2, port2, s.udp_no_checksum, "second rewrite " + std::to_string(iter));
        // And back again.
        (source ? rewrite_destination : rewrite_source)(f.data(), v, source ? s.dst : s.src,
                                                          htons(source ? s.dport : s.sport));
        (source ? rewrite_source : rewrite_destination)(f.data(), v, old_ip, htons(old_port));
        // Every byte as built, checksums included (the incremental updates
        // never drift from the stored values).
        EXPECT_EQ(f, build(s)) << "round trip, iteration " << iter;
        ++n;
    }
    EXPECT_EQ(n, 3000u);
}

// A rewrite whose new UDP checksum comes out as 0 must send 0xffff instead
// (0 would mean "no checksum"); the reference says the same.
TEST(Rewrite, UdpChecksumThatBecomesZeroIsSentAsFfff) {
    Spec s;
    s.payload = 10;
    const Bytes orig = build(s);
    // Find the new source port for which the full recomputation gives 0x0000
    // before the RFC 768 substitution.
    int hit = -1;
    for (uint32_t p = 0; p < 65536 && hit < 0; ++p) {
        Bytes f = orig;
        put_be16(&f[kEth + 20], static_cast<uint16_t>(p));
        f[kEth + 26] = f[kEth + 27] = 0;
        const uint8_t* ip = &f[kEth];
        uint8_t pseudo[12];
        std::memcpy(pseudo, ip + 12, 8);
        pseudo[8] = 0;
        pseudo[9] = kProtoUdp;
        put_be16(pseudo + 10, static_cast<uint16_t>(8 + s.payload));
        if (static_cast<uint16_t>(~ref_sum(ip + 20, 8 + s.payload, ref_sum(pseudo, 12))) == 0) hit = static_cast<int>(p);
    }
    ASSERT_GE(hit, 0);
    Bytes f = orig;
    L4View v;
    ASSERT_EQ(parse(f, v), L4Parse::ok);
    rewrite_source(f.data(), v, s.src, htons(static_cast<uint16_t>(hit)));
    EXPECT_EQ(be16_at(&f[kEth + 26]), 0xffff);
    expect_rewritten(f, v, true, s.src, static_cast<uint16_t>(hit), false, "zero becomes ffff");
}

TEST(Rewrite, UdpWithoutChecksumStaysWithout) {
    Spec s;
    s.udp_no_checksum = true;
    Bytes f = build(s);
    L4View v;
    ASSERT_EQ(parse(f, v), L4Parse::ok);
    rewrite_source(f.data(), v, ip4(203, 0, 113, 10), htons(20001));
    rewrite_destination(f.data(), v, ip4(8, 8, 8, 8), htons(53));
    EXPECT_EQ(be16_at(&f[kEth + 26]), 0);
    EXPECT_EQ(be16_at(&f[kEth + 10]), ref_ip_checksum(&f[kEth]));
    EXPECT_EQ(be16_at(&f[kEth + 20]), 20001);
    EXPECT_EQ(be16_at(&f[kEth + 22]), 53);
}

// ICMP echo: the address is not in the ICMP checksum (no pseudo-header); the
// identifier is, and it sits at offset 4 whichever side is rewritten.
TEST(Rewrite, IcmpEchoIdentifier) {
    Spec s;
    s.proto = kProtoIcmp;
    s.sport = 0x1111;
    s.payload = 56;
    Bytes f = build(s);
    const uint16_t icmp_sum_before = be16_at(&f[kEth + 22]);
    L4View v;
    ASSERT_EQ(parse(f, v), L4Parse::ok);
    // Address only (same identifier): the ICMP checksum is untouched.
    rewrite_source(f.data(), v, ip4(203, 0, 113, 10), htons(0x1111));
    EXPECT_EQ(be16_at(&f[kEth + 22]), icmp_sum_before);
    expect_rewritten(f, v, true, ip4(203, 0, 113, 10), 0x1111, false, "address only");
    // The reply direction: destination and identifier back.
    s.icmp_type = kIcmpEchoReply;
    f = build(s);
    ASSERT_EQ(parse(f, v), L4Parse::ok);
    rewrite_destination(f.data(), v, ip4(10, 0, 2, 15), htons(0x2222));
    expect_rewritten(f, v, false, ip4(10, 0, 2, 15), 0x2222, false, "echo reply");
    EXPECT_EQ(be16_at(&f[kEth + 26]), 7) << "sequence untouched";
}

// ---- decrement_ttl ----------------------------------------------------------

TEST(Rewrite, IcmpMessageOfZerosKeepsAVerifyingChecksum) {
    // An echo reply whose identifier becomes 0, with sequence and payload 0:
    // every word of the message is 0, so only 0xffff verifies (RFC 1624's
    // update alone gives 0x0000; found by tests/fuzz/fuzz_l4).
    Spec s;
    s.proto = kProtoIcmp;
    s.icmp_type = kIcmpEchoReply;
    s.sport = 0x1234;
    s.payload = 0;
    Bytes f = build(s);
    f[kEth + 20 + 6] = f[kEth + 20 + 7] = 0;  // sequence 0
    put_be16(&f[kEth + 20 + 2], 0);
    put_be16(&f[kEth + 20 + 2], static_cast<uint16_t>(~ref_sum(&f[kEth + 20], 8)));
    L4View v;
    ASSERT_EQ(parse(f, v), L4Parse::ok);
    rewrite_destination(f.data(), v, ip4(10, 0, 2, 15), 0);
    EXPECT_EQ(be16_at(&f[kEth + 20 + 4]), 0);
    EXPECT_EQ(be16_at(&f[kEth + 20 + 2]), 0xffff);
    EXPECT_EQ(ref_sum(&f[kEth + 20], 8), 0xffffu) << "the message verifies";
}

TEST(DecrementTtl, ValuesAndChecksum) {
    struct Case {
        uint8_t ttl;
        bool forward;
    };
    for (const Case c : {Case{64, true}, Case{255, true}, Case{2, true}, Case{1, false}, Case{0, false}}) {
        SCOPED_TRACE(static_cast<int>(c.ttl));
        Spec s;
        s.ttl = c.ttl;
        Bytes f = build(s);
        const Bytes orig = f;
        L4View v;
        ASSERT_EQ(parse(f, v), L4Parse::ok);
        EXPECT_EQ(decrement_ttl(f.data(), v), c.forward);
        if (c.forward) {
            EXPECT_EQ(f[kEth + 8], c.ttl - 1);
            EXPECT_EQ(v.ttl, c.ttl - 1);
            EXPECT_EQ(be16_at(&f[kEth + 10]), ref_ip_checksum(&f[kEth]));
            EXPECT_EQ(be16_at(&f[kEth + 20 + 6]), ref_l4_checksum(&f[kEth])) << "TTL is not in the pseudo-header";
        } else {
            EXPECT_EQ(f, orig) << "a packet that must not be forwarded is left as it was";
        }
    }
}
