// classify_frame(): which frames the switch forwards, drops or hands to the
// slow path, on hand-made frames.
#include <gtest/gtest.h>

#include <vector>

#include "frame.hpp"

using namespace vsw;

namespace {

const Mac kClient{{0x52, 0x54, 0, 0, 0, 1}};
const Mac kService{{0x02, 0x76, 0x73, 1, 2, 3}};
const Mac kBroadcast{{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}};

std::vector<uint8_t> eth(Mac dst, Mac src, uint16_t type) {
    std::vector<uint8_t> f;
    f.reserve(64);
    for (uint8_t b : dst.bytes) f.push_back(b);
    for (uint8_t b : src.bytes) f.push_back(b);
    f.push_back(static_cast<uint8_t>(type >> 8));
    f.push_back(static_cast<uint8_t>(type));
    return f;
}

std::vector<uint8_t> arp_request(uint32_t target_ip) {
    auto f = eth(kBroadcast, kClient, kEtherTypeArp);
    const uint8_t arp[28] = {0, 1, 8, 0, 6, 4, 0, 1, 0x52, 0x54, 0, 0, 0, 1, 192, 168, 56, 101,
                             0, 0, 0, 0, 0, 0,
                             static_cast<uint8_t>(target_ip >> 24), static_cast<uint8_t>(target_ip >> 16),
                             static_cast<uint8_t>(target_ip >> 8), static_cast<uint8_t>(target_ip)};
    f.insert(f.end(), arp, arp + 28);
    return f;
}

std::vector<uint8_t> udp_frame(Mac dst, uint16_t dport, uint8_t ihl_words = 5, uint16_t frag = 0) {
    auto f = eth(dst, kClient, kEtherTypeIpv4);
    std::vector<uint8_t> ip(ihl_words * 4u, 0);
    ip[0] = static_cast<uint8_t>(0x40 | ihl_words);
    ip[6] = static_cast<uint8_t>(frag >> 8);
    ip[7] = static_cast<uint8_t>(frag);
    ip[9] = 17;
    f.insert(f.end(), ip.begin(), ip.end());
    const uint8_t udp[8] = {0, 68, static_cast<uint8_t>(dport >> 8), static_cast<uint8_t>(dport), 0, 8, 0, 0};
    f.insert(f.end(), udp, udp + 8);
    return f;
}

ServiceAddresses services() {
    ServiceAddresses s;
    s.enabled = true;
    s.dhcp = true;
    s.mac = kService;
    s.n_ips = 1;
    s.ips_be[0] = Ipv4{0xc0a83864}.to_be();  // 192.168.56.100
    return s;
}

FrameClass classify(const std::vector<uint8_t>& f, const ServiceAddresses& s = services()) {
    return classify_frame(f.data(), static_cast<uint32_t>(f.size()), s);
}

}  // namespace

TEST(ClassifyFrame, RuntAndBadSource) {
    std::vector<uint8_t> short_frame(13, 0);
    EXPECT_EQ(classify(short_frame), FrameClass::runt);
    EXPECT_EQ(classify({}), FrameClass::runt);
    EXPECT_EQ(classify(eth(kClient, kBroadcast, 0x0800)), FrameClass::bad_src);
    EXPECT_EQ(classify(eth(kClient, Mac{{0x01, 0, 0x5e, 0, 0, 1}}, 0x0800)), FrameClass::bad_src);
    EXPECT_EQ(classify(eth(kClient, Mac{}, 0x0800)), FrameClass::bad_src);
}

TEST(ClassifyFrame, PlainTrafficIsSwitched) {
    EXPECT_EQ(classify(eth(kBroadcast, kClient, 0x86dd)), FrameClass::switched);
    EXPECT_EQ(classify(udp_frame(kBroadcast, 53)), FrameClass::switched);
    EXPECT_EQ(classify(arp_request(0xc0a83801)), FrameClass::switched);  // for the host, not us
}

TEST(ClassifyFrame, ServiceTrafficGoesToSlowPath) {
    EXPECT_EQ(classify(arp_request(0xc0a83864)), FrameClass::slow_path);
    EXPECT_EQ(classify(udp_frame(kBroadcast, 67)), FrameClass::slow_path);
    EXPECT_EQ(classify(udp_frame(kBroadcast, 67, 7)), FrameClass::slow_path);  // with IP options
    EXPECT_EQ(classify(eth(kService, kClient, 0x0800)), FrameClass::slow_path);
}

TEST(ClassifyFrame, NoServicesMeansNoSlowPath) {
    ServiceAddresses none;
    EXPECT_EQ(classify(arp_request(0xc0a83864), none), FrameClass::switched);
    EXPECT_EQ(classify(udp_frame(kBroadcast, 67), none), FrameClass::switched);
    ServiceAddresses no_dhcp = services();
    no_dhcp.dhcp = false;
    EXPECT_EQ(classify(udp_frame(kBroadcast, 67), no_dhcp), FrameClass::switched);
}

TEST(ClassifyFrame, MalformedHeadersAreNotTrusted) {
    // Non-first fragments carry no UDP header; bad IHL; truncated headers.
    EXPECT_EQ(classify(udp_frame(kBroadcast, 67, 5, 0x0010)), FrameClass::switched);
    auto bad_ihl = udp_frame(kBroadcast, 67);
    bad_ihl[14] = 0x43;
    EXPECT_EQ(classify(bad_ihl), FrameClass::switched);
    auto truncated = udp_frame(kBroadcast, 67);
    truncated.resize(14 + 20 + 3);
    EXPECT_EQ(classify(truncated), FrameClass::switched);
    auto short_arp = arp_request(0xc0a83864);
    short_arp.resize(14 + 27);
    EXPECT_EQ(classify(short_arp), FrameClass::switched);
    // Every prefix of a valid frame classifies without reading past its end
    // (the sanitizer build checks the "without reading" part).
    auto full = udp_frame(kBroadcast, 67);
    for (size_t n = 0; n <= full.size(); ++n) {
        std::vector<uint8_t> prefix(full.begin(), full.begin() + static_cast<long>(n));
        (void)classify(prefix);
    }
}

namespace {

// An ICMPv6 message of `type` (no extension headers) from kClient.
std::vector<uint8_t> icmpv6(uint8_t type, uint8_t next_header = 58) {
    auto f = eth(Mac{{0x33, 0x33, 0, 0, 0, 2}}, kClient, 0x86dd);
    std::vector<uint8_t> ip(40, 0);
    ip[0] = 0x60;
    ip[5] = 8;
    ip[6] = next_header;
    ip[7] = 255;
    f.insert(f.end(), ip.begin(), ip.end());
    f.insert(f.end(), {type, 0, 0, 0, 0, 0, 0, 0});
    return f;
}

}  // namespace

// subnet6: vsw is the network's router, so router solicitations are its own;
// the rest of IPv6 (neighbour discovery, traffic) is switched as before.
TEST(ClassifyFrame, RouterSolicitationsToTheSlowPathAndRogueRoutersDroppedWithSubnet6) {
    ServiceAddresses s = services();
    s.router_adverts = true;
    EXPECT_EQ(classify(icmpv6(133), s), FrameClass::slow_path);
    EXPECT_EQ(classify(icmpv6(135), s), FrameClass::switched);      // neighbour solicitation
    EXPECT_EQ(classify(icmpv6(136), s), FrameClass::switched);      // neighbour advertisement
    // RA guard: no one else advertises a router or redirects.
    EXPECT_EQ(classify(icmpv6(134), s), FrameClass::rogue_router);
    EXPECT_EQ(classify(icmpv6(137), s), FrameClass::rogue_router);
    EXPECT_EQ(classify(icmpv6(134)), FrameClass::switched);          // without subnet6 it is theirs
    EXPECT_EQ(classify(icmpv6(133, 0), s), FrameClass::switched);   // behind a hop-by-hop header
    auto cut = icmpv6(133);
    cut.resize(cut.size() - 5);
    EXPECT_EQ(classify(cut, s), FrameClass::switched);
    EXPECT_EQ(classify(icmpv6(133)), FrameClass::switched);          // no subnet6: not ours
}
