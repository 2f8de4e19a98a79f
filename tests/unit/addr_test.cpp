#include <gtest/gtest.h>

#include "addr.hpp"

using namespace vsw;

TEST(Ipv4, ParsesAndFormats) {
    auto a = Ipv4::parse("192.168.56.1");
    ASSERT_TRUE(a);
    EXPECT_EQ(a->value, 0xc0a83801u);
    EXPECT_EQ(a->to_string(), "192.168.56.1");
    EXPECT_EQ(a->to_be(), 0x0138a8c0u);
}

TEST(Ipv4, RejectsMalformed) {
    for (const char* bad : {"", "1.2.3", "1.2.3.4.5", "256.1.1.1", "192.168.56.300", "1..2.3",
                            "a.b.c.d", "01.2.3.4", "1.2.3.4 ", "-1.2.3.4"})
        EXPECT_FALSE(Ipv4::parse(bad)) << bad;
}

TEST(Mac, ParsesAndFormats) {
    auto m = Mac::parse("52:54:00:AB:cd:01");
    ASSERT_TRUE(m);
    EXPECT_EQ(m->to_string(), "52:54:00:ab:cd:01");
    EXPECT_FALSE(m->is_multicast());
    EXPECT_TRUE(Mac::parse("ff:ff:ff:ff:ff:ff")->is_broadcast());
    EXPECT_TRUE(Mac::parse("01:00:5e:00:00:01")->is_multicast());
    for (const char* bad : {"", "52:54:00:00:00", "52:54:00:00:00:0g", "525400000001xxxxx"})
        EXPECT_FALSE(Mac::parse(bad)) << bad;
}

TEST(Subnet, MasksAndContains) {
    auto s = Subnet::parse("192.168.56.77/24");
    ASSERT_TRUE(s);
    EXPECT_EQ(s->to_string(), "192.168.56.0/24");
    EXPECT_TRUE(s->contains(*Ipv4::parse("192.168.56.254")));
    EXPECT_FALSE(s->contains(*Ipv4::parse("192.168.57.1")));
    EXPECT_EQ(s->broadcast().to_string(), "192.168.56.255");
    EXPECT_EQ(s->host(1).to_string(), "192.168.56.1");
    EXPECT_FALSE(Subnet::parse("10.0.0.0/33"));
    EXPECT_FALSE(Subnet::parse("10.0.0.0"));
    EXPECT_EQ(Subnet::parse("0.0.0.0/0")->mask(), 0u);
}

TEST(Ipv6, ParsesAndFormats) {
    auto a = Ipv6::parse("fd00:56::1");
    ASSERT_TRUE(a);
    EXPECT_EQ(a->bytes[0], 0xfd);
    EXPECT_EQ(a->bytes[3], 0x56);
    EXPECT_EQ(a->bytes[15], 0x01);
    EXPECT_EQ(a->to_string(), "fd00:56::1");
    EXPECT_EQ(Ipv6::parse("FD00:0056:0000:0000:0000:0000:0000:0001")->to_string(), "fd00:56::1");
    for (const char* bad : {"", "fd00:56::1::2", "fd00:56:::1", "1.2.3.4", "fd00:56::g", "fd00:56::1 "})
        EXPECT_FALSE(Ipv6::parse(bad)) << bad;
}

TEST(Ipv6, LinkLocalFromTheMacByModifiedEui64) {
    // RFC 4291 appendix A: the universal/local bit inverted, ff:fe in the middle.
    const Ipv6 a = Ipv6::link_local_of(*Mac::parse("52:54:00:00:06:01"));
    EXPECT_EQ(a.to_string(), "fe80::5054:ff:fe00:601");
    EXPECT_TRUE(a.is_link_local());
    EXPECT_FALSE(a.is_multicast());
    EXPECT_TRUE(Ipv6::parse("ff02::1")->is_multicast());
}

TEST(Subnet6, ParsesMasksAndContains) {
    auto s = Subnet6::parse("fd00:56::77/64");
    ASSERT_TRUE(s);
    EXPECT_EQ(s->to_string(), "fd00:56::/64");  // stored masked
    EXPECT_TRUE(s->contains(*Ipv6::parse("fd00:56::5054:ff:fe00:601")));
    EXPECT_FALSE(s->contains(*Ipv6::parse("fd00:57::1")));
    EXPECT_EQ(s->host(1).to_string(), "fd00:56::1");
    EXPECT_EQ(s->host(0x5054ff0000ull).to_string(), "fd00:56::50:54ff:0");
    auto odd = Subnet6::parse("2001:db8:abcd:12ff::/52");
    ASSERT_TRUE(odd);
    EXPECT_EQ(odd->to_string(), "2001:db8:abcd:1000::/52");
    EXPECT_TRUE(odd->contains(*Ipv6::parse("2001:db8:abcd:1fff::1")));
    EXPECT_FALSE(odd->contains(*Ipv6::parse("2001:db8:abcd:2000::1")));
    for (const char* bad : {"fd00:56::", "fd00:56::/129", "fd00:56::/-1", "x/64", "fd00::/6 4"})
        EXPECT_FALSE(Subnet6::parse(bad)) << bad;
}
