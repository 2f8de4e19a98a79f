// The router advertisement builder and the router solicitation check, on
// bytes: every field where RFC 4861 puts it, and the ICMPv6 checksum against
// a reference sum computed here, independently of common/checksum.hpp.
#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "../../control/services/router_advert.hpp"
#include "ipv6_reference_sum.hpp"

using namespace vsw;

namespace {

const Mac kService{{0x02, 0x76, 0x73, 0x01, 0x02, 0x03}};
const Mac kGuest{{0x52, 0x54, 0x00, 0x00, 0x06, 0x01}};

uint16_t be16(const std::vector<uint8_t>& f, size_t at) { return static_cast<uint16_t>(f[at] << 8 | f[at + 1]); }
uint32_t be32(const std::vector<uint8_t>& f, size_t at) {
    return static_cast<uint32_t>(be16(f, at)) << 16 | be16(f, at + 2);
}

// RFC 8200 8.1, computed here: 0xffff when the checksum is right.
uint16_t reference_sum(const std::vector<uint8_t>& f) { return test::ipv6_reference_sum(f); }

}  // namespace

TEST(RouterAdvert, FieldsAndChecksum) {
    const RouterAdvertSettings ra{kService, *Subnet6::parse("fd00:56::/64"), {}};
    const std::vector<uint8_t> f = make_router_advertisement(ra, kAllNodesMac);
    ASSERT_EQ(f.size(), 14u + 40 + 16 + 8 + 32);
    // Ethernet: to 33:33:00:00:00:01 from the services' MAC, IPv6.
    EXPECT_EQ(std::vector<uint8_t>(f.begin(), f.begin() + 6), std::vector<uint8_t>(kAllNodesMac.bytes.begin(), kAllNodesMac.bytes.end()));
    EXPECT_EQ(std::vector<uint8_t>(f.begin() + 6, f.begin() + 12), std::vector<uint8_t>(kService.bytes.begin(), kService.bytes.end()));
    EXPECT_EQ(be16(f, 12), 0x86dd);
    // IPv6: version 6, payload 56, ICMPv6, hop limit 255, fe80::<EUI-64> -> ff02::1.
    EXPECT_EQ(f[14] >> 4, 6);
    EXPECT_EQ(be16(f, 18), 56);
    EXPECT_EQ(f[20], 58);
    EXPECT_EQ(f[21], 255);
    Ipv6 src, dst;
    std::copy(f.begin() + 22, f.begin() + 38, src.bytes.begin());
    std::copy(f.begin() + 38, f.begin() + 54, dst.bytes.begin());
    EXPECT_EQ(src.to_string(), "fe80::76:73ff:fe01:203");
    EXPECT_EQ(dst.to_string(), "ff02::1");
    // RA: type 134, hop limit 64, no M/O, router lifetime 0 (host-only: no default route).
    const size_t icmp = 54;
    EXPECT_EQ(f[icmp], 134);
    EXPECT_EQ(f[icmp + 1], 0);
    EXPECT_EQ(f[icmp + 4], 64);
    EXPECT_EQ(f[icmp + 5], 0);
    EXPECT_EQ(be16(f, icmp + 6), 0);
    // Source link-layer address option.
    EXPECT_EQ(f[icmp + 16], 1);
    EXPECT_EQ(f[icmp + 17], 1);
    EXPECT_EQ(std::vector<uint8_t>(f.begin() + icmp + 18, f.begin() + icmp + 24),
              std::vector<uint8_t>(kService.bytes.begin(), kService.bytes.end()));
    // Prefix information: /64, on-link and autonomous, lifetimes, the prefix.
    const size_t pi = icmp + 24;
    EXPECT_EQ(f[pi], 3);
    EXPECT_EQ(f[pi + 1], 4);
    EXPECT_EQ(f[pi + 2], 64);
    EXPECT_EQ(f[pi + 3], 0xc0);
    EXPECT_EQ(be32(f, pi + 4), 86400u);
    EXPECT_EQ(be32(f, pi + 8), 14400u);
    Ipv6 prefix;
    std::copy(f.begin() + pi + 16, f.begin() + pi + 32, prefix.bytes.begin());
    EXPECT_EQ(prefix.to_string(), "fd00:56::");
    EXPECT_NE(be16(f, icmp + 2), 0);
    EXPECT_EQ(reference_sum(f), 0xffff);

    // A solicited one goes to the soliciting guest's MAC; a router lifetime is kept.
    RouterAdvertSettings router = ra;
    router.router_lifetime_s = 1800;
    const auto g = make_router_advertisement(router, kGuest);
    EXPECT_EQ(std::vector<uint8_t>(g.begin(), g.begin() + 6), std::vector<uint8_t>(kGuest.bytes.begin(), kGuest.bytes.end()));
    EXPECT_EQ(be16(g, icmp + 6), 1800);
    EXPECT_EQ(reference_sum(g), 0xffff);
}

// After a reload that changed subnet6: the new prefix as usual, the old one
// with both lifetimes 0; with no prefix left, only the withdrawn one.
TEST(RouterAdvert, WithdrawnPrefixesHaveLifetimeZero) {
    RouterAdvertSettings ra{kService, *Subnet6::parse("fd00:57::/64"), {*Subnet6::parse("fd00:56::/64")}};
    const auto f = make_router_advertisement(ra, kAllNodesMac);
    ASSERT_EQ(f.size(), 14u + 40 + 16 + 8 + 2 * 32);
    EXPECT_EQ(be16(f, 18), 16 + 8 + 2 * 32);
    const size_t first = 54 + 24, second = first + 32;
    EXPECT_EQ(f[first + 19], 0x57);
    EXPECT_EQ(be32(f, first + 4), 86400u);
    EXPECT_EQ(f[second], 3);
    EXPECT_EQ(f[second + 19], 0x56);
    EXPECT_EQ(be32(f, second + 4), 0u);  // valid
    EXPECT_EQ(be32(f, second + 8), 0u);  // preferred
    EXPECT_EQ(reference_sum(f), 0xffff);

    ra.prefix.reset();
    const auto only_old = make_router_advertisement(ra, kAllNodesMac);
    ASSERT_EQ(only_old.size(), 14u + 40 + 16 + 8 + 32);
    EXPECT_EQ(only_old[first + 19], 0x56);
    EXPECT_EQ(be32(only_old, first + 8), 0u);
    EXPECT_EQ(reference_sum(only_old), 0xffff);
}

TEST(RouterAdvert, NatNetworkIsADefaultRouterWithDns) {
    RouterAdvertSettings ra;
    ra.mac = kService;
    ra.prefix = *Subnet6::parse("fd17:625c:f037:2::/64");
    ra.router_lifetime_s = 1800;
    ra.dns = *Ipv6::parse("fd17:625c:f037:2::3");
    const auto f = make_router_advertisement(ra, kAllNodesMac);
    ASSERT_EQ(f.size(), 14u + 40 + 16 + 8 + 32 + 24);
    EXPECT_EQ(be16(f, 54 + 6), 1800) << "router lifetime: a default router";
    const size_t rdnss = 54 + 16 + 8 + 32;
    EXPECT_EQ(f[rdnss], 25) << "RDNSS option (RFC 8106)";
    EXPECT_EQ(f[rdnss + 1], 3);
    EXPECT_EQ(be32(f, rdnss + 4), 1800u);
    EXPECT_EQ(f[rdnss + 8], 0xfd);
    EXPECT_EQ(f[rdnss + 23], 3);
    EXPECT_EQ(reference_sum(f), 0xffff);
}

namespace {

// A router solicitation from kGuest (unspecified source, to ff02::2), as Linux sends it.
std::vector<uint8_t> solicitation() {
    std::vector<uint8_t> f(14 + 40 + 8, 0);
    const uint8_t head[14] = {0x33, 0x33, 0, 0, 0, 2, 0x52, 0x54, 0x00, 0x00, 0x06, 0x01, 0x86, 0xdd};
    std::copy(head, head + 14, f.begin());
    f[14] = 0x60;
    f[19] = 8;     // payload length
    f[20] = 58;    // ICMPv6
    f[21] = 255;   // hop limit
    f[38] = 0xff;  // destination ff02::2 (the source stays ::)
    f[39] = 0x02;
    f[53] = 0x02;
    f[54] = 133;
    return f;
}

}  // namespace

TEST(RouterSolicitation, RecognisedOnlyWhenWellFormed) {
    auto from = router_solicitation_from(solicitation());
    ASSERT_TRUE(from);
    EXPECT_EQ(*from, kGuest);
    auto f = solicitation();
    f[21] = 64;  // hop limit: it crossed a router
    EXPECT_FALSE(router_solicitation_from(f));
    f = solicitation();
    f[54] = 135;  // a neighbour solicitation
    EXPECT_FALSE(router_solicitation_from(f));
    f = solicitation();
    f.resize(f.size() - 4);  // cut off
    EXPECT_FALSE(router_solicitation_from(f));
    f = solicitation();
    f[12] = 0x08, f[13] = 0x00;  // IPv4
    EXPECT_FALSE(router_solicitation_from(f));
}
