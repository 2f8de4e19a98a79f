// config_warnings(): likely mistakes that still load.
#include <gtest/gtest.h>

#include "../../control/config/config_warnings.hpp"
#include "config_test_support.hpp"

namespace vsw {
namespace {

bool any_with(const std::vector<std::string>& v, const std::string& text) {
    for (const auto& s : v)
        if (s.find(text) != std::string::npos) return true;
    return false;
}

TEST(ConfigWarnings, NatWithoutDhcpOrDnsAndEmptyNetworks) {
    const Config c = load_ok(R"(uplinks:
  wan: {device: net_tap0, address: 203.0.113.10/24, gateway: 203.0.113.1}
networks:
  quiet: {mode: nat, uplink: wan, dhcp: false}
  lonely: {mode: internal}
ports:
  vm1: {network: quiet}
)");
    const auto w = config_warnings(c);
    EXPECT_TRUE(any_with(w, "networks.quiet: NAT without DHCP (dhcp: false): guests need a static address in "
                            "10.0.2.0/24 and router 10.0.2.2")) << ::testing::PrintToString(w);
    EXPECT_TRUE(any_with(w, "networks.quiet: NAT without a DNS address: uplink 'wan' has no resolver"))
        << ::testing::PrintToString(w);
    EXPECT_TRUE(any_with(w, "networks.lonely: no port is on it")) << ::testing::PrintToString(w);
    EXPECT_EQ(w.size(), 3u) << ::testing::PrintToString(w);
}

TEST(ConfigWarnings, TheDefaultsWithAResolverAreQuiet) {
    const Config c = load_ok(R"(uplinks:
  wan: {device: net_tap0, address: 203.0.113.10/24, gateway: 203.0.113.1, resolver: 192.0.2.53}
networks:
  n: {mode: nat, uplink: wan}
  h: {mode: host-only, subnet: 192.168.56.0/24}
ports:
  vm1: {network: n}
)");
    EXPECT_TRUE(config_warnings(c).empty()) << ::testing::PrintToString(config_warnings(c));
}

}  // namespace
}  // namespace vsw
