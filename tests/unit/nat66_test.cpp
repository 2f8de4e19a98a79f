// NAT66 on bytes: parse_l4_v6 and the IPv6 rewrites (checksums against a
// reference sum computed here, RFC 8200 8.1, not with common/checksum.hpp),
// the NAT66 session table, neighbour discovery and ping for vsw's IPv6
// addresses, and which IPv6 frames a NAT network routes or answers.
#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <vector>

#include "../../control/services/neighbor_discovery.hpp"
#include "frame.hpp"
#include "nat/l4v6.hpp"
#include "nat/nat_table.hpp"
#include "eal_test_main.hpp"
#include "ipv6_reference_sum.hpp"

using namespace vsw;
using namespace vsw::nat;

namespace {

using Bytes = std::vector<uint8_t>;
const Mac kGuestMac{{0x52, 0x54, 0x00, 0x00, 0x07, 0x01}};
const Mac kServiceMac{{0x02, 0x76, 0x73, 0x01, 0x02, 0x03}};
const Mac kUplinkMac{{0x02, 0x76, 0x73, 0x0a, 0x0b, 0x0c}};

Ipv6Bytes ip6(const char* text) { return Ipv6::parse(text)->bytes; }
uint16_t be16(const Bytes& f, size_t at) { return static_cast<uint16_t>(f[at] << 8 | f[at + 1]); }

// An Ethernet + IPv6 frame with `l4` (its checksum field as given) after the header.
Bytes frame6(uint8_t next, const Ipv6Bytes& src, const Ipv6Bytes& dst, const Bytes& l4, uint8_t hop_limit = 64,
             const Mac& dst_mac = kServiceMac, const Mac& src_mac = kGuestMac) {
    Bytes f(dst_mac.bytes.begin(), dst_mac.bytes.end());
    f.insert(f.end(), src_mac.bytes.begin(), src_mac.bytes.end());
    f.push_back(0x86);
    f.push_back(0xdd);
    const uint8_t hdr[8] = {0x60, 0, 0, 0, static_cast<uint8_t>(l4.size() >> 8), static_cast<uint8_t>(l4.size()), next,
                            hop_limit};
    f.insert(f.end(), hdr, hdr + 8);
    f.insert(f.end(), src.begin(), src.end());
    f.insert(f.end(), dst.begin(), dst.end());
    f.insert(f.end(), l4.begin(), l4.end());
    return f;
}

// 0xffff when the checksum is right (RFC 8200 8.1, computed plainly).
uint16_t reference_sum(const Bytes& f) { return test::ipv6_reference_sum(f); }

// Sets the L4 checksum (at `at` from the L4 start) so that the reference sum is right.
void fix_checksum(Bytes& f, size_t at) {
    f[54 + at] = f[54 + at + 1] = 0;
    const uint16_t sum = static_cast<uint16_t>(~reference_sum(f));
    f[54 + at] = static_cast<uint8_t>(sum >> 8);
    f[54 + at + 1] = static_cast<uint8_t>(sum);
}

Bytes tcp_syn(uint16_t sport, uint16_t dport) {
    Bytes l4(20 + 6, 0xab);  // 6 bytes of data
    l4[0] = static_cast<uint8_t>(sport >> 8), l4[1] = static_cast<uint8_t>(sport);
    l4[2] = static_cast<uint8_t>(dport >> 8), l4[3] = static_cast<uint8_t>(dport);
    l4[12] = 5 << 4;
    l4[13] = kTcpSyn;
    return l4;
}
Bytes udp(uint16_t sport, uint16_t dport, size_t data = 7) {
    Bytes l4(8 + data, 0x5a);
    l4[0] = static_cast<uint8_t>(sport >> 8), l4[1] = static_cast<uint8_t>(sport);
    l4[2] = static_cast<uint8_t>(dport >> 8), l4[3] = static_cast<uint8_t>(dport);
    l4[4] = static_cast<uint8_t>(l4.size() >> 8), l4[5] = static_cast<uint8_t>(l4.size());
    return l4;
}
Bytes echo(uint8_t type, uint16_t id) {
    Bytes l4(8 + 16, 0x11);
    l4[0] = type, l4[1] = 0, l4[4] = static_cast<uint8_t>(id >> 8), l4[5] = static_cast<uint8_t>(id);
    return l4;
}

const Ipv6Bytes kGuest = ip6("fd17:625c:f037:2:5054:ff:fe00:701");
const Ipv6Bytes kRemote = ip6("2001:db8:100::7");
const Ipv6Bytes kOutside = ip6("2001:db8:1::10");

}  // namespace

TEST(ParseL4v6, TcpUdpAndEcho) {
    L4View6 v;
    Bytes f = frame6(kProtoTcp, kGuest, kRemote, tcp_syn(40000, 8080));
    ASSERT_EQ(parse_l4_v6(f.data(), f.size(), v), L4Parse::ok);
    EXPECT_EQ(v.proto, kProtoTcp);
    EXPECT_EQ(v.l4, 54u);
    EXPECT_EQ(v.src_ip, kGuest);
    EXPECT_EQ(v.dst_ip, kRemote);
    EXPECT_EQ(__builtin_bswap16(v.src_port), 40000);
    EXPECT_EQ(__builtin_bswap16(v.dst_port), 8080);
    EXPECT_EQ(v.tcp_flags, kTcpSyn);
    EXPECT_EQ(v.hop_limit, 64);
    f = frame6(kProtoUdp, kGuest, kRemote, udp(5353, 53));
    ASSERT_EQ(parse_l4_v6(f.data(), f.size(), v), L4Parse::ok);
    EXPECT_EQ(__builtin_bswap16(v.dst_port), 53);
    f = frame6(kProtoIcmp6, kGuest, kRemote, echo(kIcmp6EchoRequest, 0x1234));
    ASSERT_EQ(parse_l4_v6(f.data(), f.size(), v), L4Parse::ok);
    EXPECT_EQ(v.src_port, v.dst_port);
    EXPECT_EQ(__builtin_bswap16(v.src_port), 0x1234);
}

TEST(ParseL4v6, WhatNat66DoesNotTranslate) {
    L4View6 v;
    struct Case {
        const char* name;
        Bytes frame;
        L4Parse want;
    };
    Bytes truncated = frame6(kProtoTcp, kGuest, kRemote, tcp_syn(1, 2));
    truncated.resize(truncated.size() - 10);  // payload length says more than there is
    Bytes short_tcp = frame6(kProtoTcp, kGuest, kRemote, Bytes(12, 0));
    Bytes bad_udp_len = frame6(kProtoUdp, kGuest, kRemote, udp(1, 2));
    bad_udp_len[54 + 5] = 200;  // UDP length beyond the payload
    Bytes ipv4_body = frame6(kProtoUdp, kGuest, kRemote, udp(1, 2));
    ipv4_body[14] = 0x45;
    Bytes not_ip6 = frame6(kProtoUdp, kGuest, kRemote, udp(1, 2));
    not_ip6[12] = 0x08, not_ip6[13] = 0x00;
    for (const Case& c : {Case{"fragment header", frame6(44, kGuest, kRemote, Bytes(16, 0)), L4Parse::fragment},
                          Case{"hop-by-hop options", frame6(0, kGuest, kRemote, Bytes(16, 0)), L4Parse::unsupported},
                          Case{"neighbour solicitation", frame6(kProtoIcmp6, kGuest, kRemote, echo(135, 0)),
                               L4Parse::unsupported},
                          Case{"destination unreachable", frame6(kProtoIcmp6, kGuest, kRemote, echo(1, 0)),
                               L4Parse::unsupported},
                          Case{"sctp", frame6(132, kGuest, kRemote, Bytes(16, 0)), L4Parse::unsupported},
                          Case{"truncated", truncated, L4Parse::malformed},
                          Case{"short tcp header", short_tcp, L4Parse::malformed},
                          Case{"udp length", bad_udp_len, L4Parse::malformed},
                          Case{"version 4 inside", ipv4_body, L4Parse::malformed},
                          Case{"not ipv6", not_ip6, L4Parse::not_ipv4}}) {
        SCOPED_TRACE(c.name);
        EXPECT_EQ(parse_l4_v6(c.frame.data(), c.frame.size(), v), c.want);
    }
    Bytes runt(40, 0);
    EXPECT_EQ(parse_l4_v6(runt.data(), runt.size(), v), L4Parse::not_ipv4);
}

TEST(RewriteV6, ChecksumsMatchAReferenceSumOverRandomRewrites) {
    std::mt19937 rng(66);
    for (int i = 0; i < 300; ++i) {
        const int kind = i % 3;
        Bytes f = kind == 0   ? frame6(kProtoTcp, kGuest, kRemote, tcp_syn(static_cast<uint16_t>(rng()), 443))
                  : kind == 1 ? frame6(kProtoUdp, kGuest, kRemote, udp(static_cast<uint16_t>(rng()), 53, rng() % 40))
                              : frame6(kProtoIcmp6, kGuest, kRemote, echo(kIcmp6EchoRequest, static_cast<uint16_t>(rng())));
        fix_checksum(f, kind == 0 ? 16 : kind == 1 ? 6 : 2);
        ASSERT_EQ(reference_sum(f), 0xffff);
        L4View6 v;
        ASSERT_EQ(parse_l4_v6(f.data(), f.size(), v), L4Parse::ok);
        Ipv6Bytes a;
        for (auto& b : a) b = static_cast<uint8_t>(rng());
        const uint16_t port = static_cast<uint16_t>(rng());
        if (i % 2 == 0)
            rewrite_source6(f.data(), v, a, port);
        else
            rewrite_destination6(f.data(), v, a, port);
        SCOPED_TRACE(i);
        EXPECT_EQ(reference_sum(f), 0xffff) << "checksum wrong after the rewrite";
        EXPECT_EQ(std::memcmp(f.data() + 14 + (i % 2 == 0 ? 8 : 24), a.data(), 16), 0);
        L4View6 again;
        ASSERT_EQ(parse_l4_v6(f.data(), f.size(), again), L4Parse::ok);
        EXPECT_EQ(kind == 2 || i % 2 == 0 ? again.src_port : again.dst_port, port);  // ICMPv6: the echo identifier
        if (kind == 1) {
            EXPECT_NE(be16(f, 54 + 6), 0) << "UDP over IPv6 must keep a checksum";
        }
    }
}

TEST(RewriteV6, HopLimit) {
    Bytes f = frame6(kProtoUdp, kGuest, kRemote, udp(1, 2), 2);
    L4View6 v;
    ASSERT_EQ(parse_l4_v6(f.data(), f.size(), v), L4Parse::ok);
    EXPECT_TRUE(decrement_hop_limit(f.data(), v));
    EXPECT_EQ(f[14 + 7], 1);
    EXPECT_FALSE(decrement_hop_limit(f.data(), v)) << "a packet with hop limit 1 is not forwarded";
    EXPECT_EQ(f[14 + 7], 1);
}

TEST(Icmp6Error, QuotedPacketTranslatedWithItsChecksums) {
    // A UDP datagram as vsw sent it (from address6:20000), then the "packet
    // too big" a router sent back to address6, quoting all of it.
    Bytes sent = frame6(kProtoUdp, kOutside, kRemote, udp(20000, 53, 30));
    fix_checksum(sent, 6);
    Bytes error_body = {2, 0, 0, 0, 0, 0, 0x05, 0x00};  // packet too big, MTU 1280
    error_body.insert(error_body.end(), sent.begin() + 14, sent.end());
    Bytes f = frame6(kProtoIcmp6, ip6("2001:db8:1::1"), kOutside, error_body, 64, kUplinkMac, kGuestMac);
    fix_checksum(f, 2);
    L4View6 outer;
    ASSERT_EQ(parse_l4_v6(f.data(), f.size(), outer), L4Parse::unsupported);
    ASSERT_TRUE(is_icmp6_error(outer.icmp_type));
    L4View6 q;
    ASSERT_EQ(parse_icmp6_error(f.data(), f.size(), outer, q), L4Parse::ok);
    EXPECT_EQ(q.src_ip, kOutside);
    EXPECT_EQ(q.dst_ip, kRemote);
    EXPECT_EQ(__builtin_bswap16(q.src_port), 20000);
    EXPECT_EQ(__builtin_bswap16(q.dst_port), 53);

    rewrite_outer6(f.data(), outer, false, kGuest);
    rewrite_quoted6(f.data(), outer, q, true, kGuest, __builtin_bswap16(5000));
    EXPECT_EQ(reference_sum(f), 0xffff) << "outer ICMPv6 checksum";
    EXPECT_EQ(std::memcmp(f.data() + 14 + 24, kGuest.data(), 16), 0);
    // The quote, as a frame of its own, is what the guest sent: its UDP checksum right.
    Bytes quote(f.begin(), f.begin() + 14);
    quote.insert(quote.end(), f.begin() + 54 + 8, f.end());
    EXPECT_EQ(reference_sum(quote), 0xffff) << "quoted UDP checksum";
    EXPECT_EQ(std::memcmp(quote.data() + 14 + 8, kGuest.data(), 16), 0);
    EXPECT_EQ(be16(quote, 54), 5000);

    // A quote cut inside its IPv6 header, or of another protocol.
    Bytes cut = f;
    cut.resize(54 + 8 + 30);
    cut[18] = 0, cut[19] = 38;  // payload length: 8 + 30
    ASSERT_EQ(parse_l4_v6(cut.data(), cut.size(), outer), L4Parse::unsupported);
    EXPECT_EQ(parse_icmp6_error(cut.data(), cut.size(), outer, q), L4Parse::malformed);
    Bytes sctp = f;
    sctp[54 + 8 + 6] = 132;
    ASSERT_EQ(parse_l4_v6(sctp.data(), sctp.size(), outer), L4Parse::unsupported);
    EXPECT_EQ(parse_icmp6_error(sctp.data(), sctp.size(), outer, q), L4Parse::unsupported);
}

TEST(NatTable6, MasqueradeSessionsAndMappings) {
    auto t = NatTable6::create("nat66_test", 64);
    ASSERT_TRUE(t);
    const PortSlice slice{20000, 20009};
    auto key = [&](uint16_t in_port, const Ipv6Bytes& remote, uint16_t remote_port, uint32_t guest = 7) {
        return InsideKey6{0, kProtoUdp, 0, guest, kGuest, remote, __builtin_bswap16(in_port),
                          __builtin_bswap16(remote_port)};
    };
    Session6* a = nullptr;
    ASSERT_EQ(t->create_masquerade(key(5000, kRemote, 53), 0, slice, nullptr, 0, a), NatResult::ok);
    const uint16_t out_port = __builtin_bswap16(a->out.out_port);
    EXPECT_GE(out_port, 20000);
    EXPECT_LE(out_port, 20009);
    EXPECT_EQ(t->find_inside(key(5000, kRemote, 53)), a);
    const OutsideKey6 ok{0, kProtoUdp, 0, a->out.out_port, __builtin_bswap16(53), kRemote};
    EXPECT_EQ(t->find_outside(ok), a);
    // Endpoint-independent: the same inside address and port keeps its outside port for another remote.
    Session6* b = nullptr;
    ASSERT_EQ(t->create_masquerade(key(5000, ip6("2001:db8:200::9"), 53), 0, slice, nullptr, 0, b), NatResult::ok);
    EXPECT_EQ(b->out.out_port, a->out.out_port);
    EXPECT_EQ(t->size_of_guest(0, 7), 2u) << "counted by the guest (its MAC), not by address";
    t->remove(*a);
    EXPECT_EQ(t->find_inside(key(5000, kRemote, 53)), nullptr);
    EXPECT_EQ(t->size(), 1u);
    // The slice runs out: 10 ports.
    Session6* s = nullptr;
    for (uint16_t p = 1; p < 10; ++p)
        ASSERT_EQ(t->create_masquerade(key(static_cast<uint16_t>(6000 + p), kRemote, 53), 0, slice, nullptr, 0, s),
                  NatResult::ok);
    EXPECT_EQ(t->create_masquerade(key(7000, kRemote, 53), 0, slice, nullptr, 0, s), NatResult::ports_exhausted);
}

TEST(NeighborDiscovery, AnswersASolicitationForItsAddress) {
    const Ipv6 own = *Ipv6::parse("fd17:625c:f037:2::1");
    const Ipv6 guest{kGuest};
    // What a guest sends: to the solicited-node address, with its link-layer address.
    Bytes ns = make_neighbor_solicitation(kGuestMac, guest, own);
    EXPECT_EQ(reference_sum(ns), 0xffff);
    EXPECT_EQ(Ipv6{ip6("ff02::1:ff00:1")}.bytes, Ipv6::parse("ff02::1:ff00:1")->bytes);
    EXPECT_EQ(std::memcmp(ns.data() + 14 + 24, ip6("ff02::1:ff00:1").data(), 16), 0) << "solicited-node address";
    EXPECT_EQ(ns[0], 0x33);
    EXPECT_EQ(ns[2], 0xff);
    auto parsed = neighbor_solicitation(ns);
    ASSERT_TRUE(parsed);
    EXPECT_EQ(parsed->target, own);
    EXPECT_EQ(parsed->from, guest);
    EXPECT_EQ(parsed->from_mac, kGuestMac);

    Bytes na = make_neighbor_advert(*parsed, kServiceMac, true);
    EXPECT_EQ(reference_sum(na), 0xffff);
    EXPECT_EQ(std::memcmp(na.data(), kGuestMac.bytes.data(), 6), 0) << "unicast to the solicitor";
    EXPECT_EQ(std::memcmp(na.data() + 14 + 8, own.bytes.data(), 16), 0) << "from the target address";
    EXPECT_EQ(std::memcmp(na.data() + 14 + 24, guest.bytes.data(), 16), 0);
    EXPECT_EQ(na[14 + 7], 255) << "hop limit";
    EXPECT_EQ(na[54], 136);
    EXPECT_EQ(na[54 + 4], 0xe0) << "router, solicited, override";
    auto adv = neighbor_advert(na);
    ASSERT_TRUE(adv);
    EXPECT_EQ(adv->target, own);
    EXPECT_EQ(adv->mac, kServiceMac) << "the target link-layer option";

    // Duplicate address detection (from ::): the answer goes to all nodes, not solicited.
    NeighborSolicitation dad = *parsed;
    dad.from = Ipv6{};
    Bytes to_all = make_neighbor_advert(dad, kUplinkMac, false);
    EXPECT_EQ(std::memcmp(to_all.data() + 14 + 24, ip6("ff02::1").data(), 16), 0);
    EXPECT_EQ(to_all[54 + 4], 0x20) << "override only";
    EXPECT_EQ(reference_sum(to_all), 0xffff);
}

TEST(NeighborDiscovery, RefusesMalformedMessages) {
    Bytes ns = make_neighbor_solicitation(kGuestMac, Ipv6{kGuest}, Ipv6{kOutside});
    Bytes far = ns;
    far[14 + 7] = 64;  // crossed a router
    EXPECT_FALSE(neighbor_solicitation(far));
    Bytes cut = ns;
    cut.resize(14 + 40 + 20);
    EXPECT_FALSE(neighbor_solicitation(cut));
    Bytes zero_option = ns;
    zero_option[54 + 24 + 1] = 0;  // option length 0
    auto p = neighbor_solicitation(zero_option);
    ASSERT_TRUE(p) << "the Ethernet source stands in for a broken option";
    EXPECT_EQ(p->from_mac, kGuestMac);
    EXPECT_FALSE(neighbor_advert(ns)) << "a solicitation is no advertisement";
}

TEST(NeighborDiscovery, EchoReplyForOwnAddressOnly) {
    const Ipv6 own{kOutside};
    Bytes req = frame6(kProtoIcmp6, kRemote, kOutside, echo(kIcmp6EchoRequest, 77), 64, kUplinkMac, kGuestMac);
    fix_checksum(req, 2);
    auto reply = make_icmp6_echo_reply(req, kUplinkMac, own);
    ASSERT_TRUE(reply);
    EXPECT_EQ(reference_sum(*reply), 0xffff);
    EXPECT_EQ((*reply)[54], kIcmp6EchoReply);
    EXPECT_EQ(be16(*reply, 54 + 4), 77);
    EXPECT_EQ(std::memcmp(reply->data() + 14 + 24, kRemote.data(), 16), 0);
    EXPECT_EQ(std::memcmp(reply->data(), kGuestMac.bytes.data(), 6), 0);
    EXPECT_FALSE(make_icmp6_echo_reply(req, kUplinkMac, Ipv6{kRemote})) << "not for that address";
}

TEST(NeighborDiscovery, TimeExceededQuotesTheProbe) {
    const Ipv6 gw = *Ipv6::parse("fd17:625c:f037:2::1");
    Bytes probe = frame6(kProtoUdp, kGuest, kRemote, udp(33434, 33435), 1);
    fix_checksum(probe, 6);
    auto te = make_icmp6_time_exceeded(probe, kServiceMac, gw);
    ASSERT_TRUE(te);
    EXPECT_EQ(reference_sum(*te), 0xffff);
    EXPECT_EQ((*te)[54], 3);
    EXPECT_EQ((*te)[55], 0);
    EXPECT_EQ(std::memcmp(te->data(), kGuestMac.bytes.data(), 6), 0);
    EXPECT_EQ(std::memcmp(te->data() + 14 + 8, gw.bytes.data(), 16), 0);
    EXPECT_EQ(std::memcmp(te->data() + 14 + 24, kGuest.data(), 16), 0);
    EXPECT_EQ(te->size(), 14u + 40 + 8 + (probe.size() - 14)) << "the whole probe quoted";
    EXPECT_EQ(std::memcmp(te->data() + 62, probe.data() + 14, probe.size() - 14), 0);
    // Not for a packet with hop limit left, nor about an ICMPv6 error, nor to another MAC.
    EXPECT_FALSE(make_icmp6_time_exceeded(frame6(kProtoUdp, kGuest, kRemote, udp(1, 2), 2), kServiceMac, gw));
    EXPECT_FALSE(make_icmp6_time_exceeded(frame6(kProtoIcmp6, kGuest, kRemote, echo(1, 0), 1), kServiceMac, gw));
    EXPECT_FALSE(make_icmp6_time_exceeded(probe, kUplinkMac, gw));
    // A big probe is cut to fit 1280 bytes.
    Bytes big = frame6(kProtoUdp, kGuest, kRemote, udp(1, 2, 1400), 1);
    auto cut = make_icmp6_time_exceeded(big, kServiceMac, gw);
    ASSERT_TRUE(cut);
    EXPECT_EQ(cut->size(), 14u + 1280);
    EXPECT_EQ(reference_sum(*cut), 0xffff);
}

TEST(ClassifyFrame6, NatNetworkRoutesIpv6AndAnswersForItsOwnAddresses) {
    ServiceAddresses svc;
    svc.enabled = true;
    svc.routed = true;
    svc.router_adverts = true;
    svc.routed6 = true;
    svc.mac = kServiceMac;
    svc.link_local6 = Ipv6::link_local_of(kServiceMac).bytes;
    svc.gateway6 = ip6("fd17:625c:f037:2::1");
    auto cls = [&](const Bytes& f) { return classify_frame(f.data(), static_cast<uint32_t>(f.size()), svc); };
    EXPECT_EQ(cls(frame6(kProtoTcp, kGuest, kRemote, tcp_syn(1, 80))), FrameClass::routed);
    EXPECT_EQ(cls(frame6(kProtoIcmp6, kGuest, svc.gateway6, echo(kIcmp6EchoRequest, 1))), FrameClass::slow_path);
    EXPECT_EQ(cls(frame6(kProtoIcmp6, kGuest, svc.link_local6, echo(kIcmp6EchoRequest, 1))), FrameClass::slow_path);
    // Solicitations for the gateway (multicast) go to the slow path; for a guest they are switched.
    EXPECT_EQ(cls(make_neighbor_solicitation(kGuestMac, Ipv6{kGuest}, Ipv6{svc.gateway6})), FrameClass::slow_path);
    EXPECT_EQ(cls(make_neighbor_solicitation(kGuestMac, Ipv6{kGuest}, Ipv6{svc.link_local6})), FrameClass::slow_path);
    EXPECT_EQ(cls(make_neighbor_solicitation(kGuestMac, Ipv6{kGuest}, Ipv6{ip6("fd17:625c:f037:2::99")})),
              FrameClass::switched);
    // Without NAT66 (a host-only network) IPv6 to the services' MAC is the slow path's, never routed.
    svc.routed6 = false;
    EXPECT_EQ(cls(frame6(kProtoTcp, kGuest, kRemote, tcp_syn(1, 80))), FrameClass::slow_path);
}

int main(int argc, char** argv) { return vsw::test::eal_test_main(argc, argv, "nat66_test"); }
