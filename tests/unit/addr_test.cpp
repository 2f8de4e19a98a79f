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
