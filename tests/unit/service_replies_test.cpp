// ARP and ICMP echo replies of the switch's virtual services.
#include <gtest/gtest.h>

#include "../../control/services/service_replies.hpp"
#include "checksum.hpp"
#include "frame.hpp"

using namespace vsw;

namespace {

const Mac kService{{0x02, 0x76, 0x73, 1, 2, 3}};
const Ipv4 kServiceIp{0xc0a83864};

std::vector<uint8_t> arp_request(uint32_t target) {
    std::vector<uint8_t> f = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x52, 0x54, 0, 0, 0, 1, 0x08, 0x06,
                              0, 1, 8, 0, 6, 4, 0, 1, 0x52, 0x54, 0, 0, 0, 1, 192, 168, 56, 101,
                              0, 0, 0, 0, 0, 0};
    for (int i = 3; i >= 0; --i) f.push_back(static_cast<uint8_t>(target >> (8 * i)));
    return f;
}

std::vector<uint8_t> echo_request(uint32_t dst) {
    std::vector<uint8_t> f = {0x02, 0x76, 0x73, 1, 2, 3, 0x52, 0x54, 0, 0, 0, 1, 0x08, 0x00};
    std::vector<uint8_t> ip = {0x45, 0, 0, 36, 0x12, 0x34, 0x40, 0, 64, 1, 0, 0, 192, 168, 56, 101};
    for (int i = 3; i >= 0; --i) ip.push_back(static_cast<uint8_t>(dst >> (8 * i)));
    put16(&ip[10], internet_checksum(ip.data(), ip.size()));
    std::vector<uint8_t> icmp = {8, 0, 0, 0, 0xab, 0xcd, 0, 1, 'p', 'i', 'n', 'g', 0, 0, 0, 0};
    put16(&icmp[2], internet_checksum(icmp.data(), icmp.size()));
    f.insert(f.end(), ip.begin(), ip.end());
    f.insert(f.end(), icmp.begin(), icmp.end());
    return f;
}

}  // namespace

TEST(ArpReply, AnswersOnlyForItsAddress) {
    auto reply = make_arp_reply(arp_request(kServiceIp.value), kService, kServiceIp);
    ASSERT_TRUE(reply);
    const auto& r = *reply;
    ASSERT_GE(r.size(), 42u);
    EXPECT_EQ(std::vector<uint8_t>(r.begin(), r.begin() + 6), (std::vector<uint8_t>{0x52, 0x54, 0, 0, 0, 1}));
    EXPECT_EQ(load_be16(&r[20]), 2);  // reply
    EXPECT_EQ(std::vector<uint8_t>(r.begin() + 22, r.begin() + 28),
              std::vector<uint8_t>(kService.bytes.begin(), kService.bytes.end()));
    EXPECT_EQ(get32(&r[28]), kServiceIp.to_be());
    EXPECT_FALSE(make_arp_reply(arp_request(0xc0a83801), kService, kServiceIp));
    auto truncated = arp_request(kServiceIp.value);
    truncated.resize(40);
    EXPECT_FALSE(make_arp_reply(truncated, kService, kServiceIp));
}

TEST(IcmpEcho, RepliesWithValidChecksums) {
    auto reply = make_icmp_echo_reply(echo_request(kServiceIp.value), kService, kServiceIp);
    ASSERT_TRUE(reply);
    const auto& r = *reply;
    std::span<const uint8_t> ip(&r[14], 20);
    EXPECT_EQ(internet_checksum(ip.data(), ip.size()), 0);  // a valid header sums to 0
    EXPECT_EQ(get32(&r[14 + 12]), kServiceIp.to_be());
    std::span<const uint8_t> icmp(&r[34], 16);
    EXPECT_EQ(icmp[0], 0);  // echo reply
    EXPECT_EQ(internet_checksum(icmp.data(), icmp.size()), 0);
    EXPECT_EQ(icmp[8], 'p');
}

TEST(IcmpEcho, IgnoresOtherTraffic) {
    EXPECT_FALSE(make_icmp_echo_reply(echo_request(0xc0a83801), kService, kServiceIp));
    auto truncated = echo_request(kServiceIp.value);
    for (size_t n = 0; n < truncated.size(); ++n) {
        std::vector<uint8_t> prefix(truncated.begin(), truncated.begin() + static_cast<long>(n));
        EXPECT_FALSE(make_icmp_echo_reply(prefix, kService, kServiceIp)) << n;
    }
}
