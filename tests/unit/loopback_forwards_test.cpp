// The nftables script for forwards on the host's 127.0.0.1 (pure text), and
// nft's own check of it (`nft -c`, which parses and validates without
// applying) when nftables is installed.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <string>

#include "loopback_forwards.hpp"

using namespace vsw;

namespace {

TEST(LoopbackForwards, TableNameIsAnNftIdentifier) {
    EXPECT_EQ(loopback_table_name("vswwan0"), "vsw_vswwan0");
    EXPECT_EQ(loopback_table_name("wan-1.a"), "vsw_wan_1_a");
}

TEST(LoopbackForwards, ScriptReplacesTheTableAtomically) {
    const std::string s = loopback_forward_script("vswwan0", *Ipv4::parse("203.0.113.10"),
                                                  {{6, 2222}, {17, 5353}});
    EXPECT_EQ(s.find("table ip vsw_vswwan0\ndelete table ip vsw_vswwan0\ntable ip vsw_vswwan0 {"), 0u) << s;
    EXPECT_NE(s.find("ip daddr 127.0.0.1 tcp dport 2222 dnat to 203.0.113.10:2222"), std::string::npos) << s;
    EXPECT_NE(s.find("ip daddr 127.0.0.1 udp dport 5353 dnat to 203.0.113.10:5353"), std::string::npos) << s;
    EXPECT_NE(s.find("oifname \"vswwan0\" ip saddr 127.0.0.0/8 masquerade"), std::string::npos) << s;
}

TEST(LoopbackForwards, NoForwardsOnlyRemovesTheTable) {
    EXPECT_EQ(loopback_forward_script("vswwan0", {}, {}), "table ip vsw_vswwan0\ndelete table ip vsw_vswwan0\n");
}

// A forward without host_ip takes every host address, from the host itself
// and from elsewhere, except what comes from vsw's own TAP.
TEST(LoopbackForwards, EveryAddressForwardsUseTheHostsLocalAddresses) {
    const std::string s = loopback_forward_script("vswwan0", *Ipv4::parse("203.0.113.10"),
                                                  {{6, 2222, true}, {17, 5353, false}});
    EXPECT_NE(s.find("chain output {\n    type nat hook output priority -100; policy accept;\n"
                     "    fib daddr type local tcp dport 2222 dnat to 203.0.113.10:2222\n"
                     "    ip daddr 127.0.0.1 udp dport 5353 dnat to 203.0.113.10:5353\n"),
              std::string::npos)
        << s;
    EXPECT_NE(s.find("chain prerouting {\n    type nat hook prerouting priority -100; policy accept;\n"
                     "    iifname != \"vswwan0\" fib daddr type local tcp dport 2222 dnat to 203.0.113.10:2222\n  }"),
              std::string::npos)
        << s;
}

// kernel.outbound: only what vsw sends from its uplink address and the host
// routes out another interface is masqueraded.
TEST(LoopbackForwards, OutboundAloneMasqueradesTheUplinkAddress) {
    const std::string s = loopback_forward_script("vswwan0", *Ipv4::parse("203.0.113.10"), {}, true);
    EXPECT_EQ(s.find("chain output"), std::string::npos) << s;
    EXPECT_NE(s.find("iifname \"vswwan0\" ip saddr 203.0.113.10 oifname != \"vswwan0\" masquerade"),
              std::string::npos)
        << s;
    EXPECT_EQ(s.find("127.0.0.0/8"), std::string::npos) << s;
}

TEST(LoopbackForwards, NftAcceptsTheScript) {
    if (std::system("command -v nft > /dev/null 2>&1") != 0 || geteuid() != 0)
        GTEST_SKIP() << "needs nft (nftables) and root";
    const std::string path = "/tmp/vsw-nft-test-" + std::to_string(getpid());
    for (const bool outbound : {false, true}) {
        for (const std::vector<LoopbackForward>& forwards :
             {std::vector<LoopbackForward>{{6, 2222}, {17, 53}}, std::vector<LoopbackForward>{{6, 2222, true}},
              std::vector<LoopbackForward>{}}) {
            std::ofstream(path) << loopback_forward_script("vswwan0", *Ipv4::parse("203.0.113.10"), forwards,
                                                           outbound);
            EXPECT_EQ(std::system(("nft -c -f " + path).c_str()), 0) << "outbound " << outbound;
        }
    }
    unlink(path.c_str());
}

}  // namespace
