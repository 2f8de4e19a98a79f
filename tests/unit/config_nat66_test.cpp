// The YAML loader: IPv6 on NAT networks (NAT66): uplinks' address6,
// gateway6 and resolver6, the networks' default subnet6, IPv6 port forwards;
// good files, and bad ones with their file:line:column and message.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "config_test_support.hpp"

using namespace vsw;

TEST(NatGood, Nat66AddressesAndDefaultPrefix) {
    Config c = load_ok(R"(uplinks:
  wan:
    kernel: {name: vswwan0, address: 203.0.113.1}
    address: 203.0.113.10/24
    address6: 2001:db8:1::10/64
    gateway6: 2001:db8:1::1
networks:
  a:
    mode: nat
    uplink: wan
    port_forwards:
      - {name: web6, proto: tcp, host_port: 8080, guest_ip: "fd17:625c:f037:2::15", guest_port: 80}
      - "dns6,udp,2001:db8:1::10,5353,fd17:625c:f037:2::16,53"
      - {name: ssh, proto: tcp, host_port: 2222, guest_ip: 10.0.2.15, guest_port: 22}
  b: {mode: nat, uplink: wan, subnet6: "fd00:b::/64"}
  c: {mode: nat, uplink: wan, subnet6: false}
  d: {mode: nat, uplink: wan}
)");
    const UplinkConfig& up = c.uplinks.at("wan");
    ASSERT_TRUE(up.address6 && up.gateway6);
    EXPECT_EQ(up.address6->to_string(), "2001:db8:1::10");
    EXPECT_EQ(up.prefix6_len, 64);
    EXPECT_EQ(up.gateway6->to_string(), "2001:db8:1::1");
    ASSERT_TRUE(c.networks.at("a").subnet6);
    EXPECT_EQ(c.networks.at("a").subnet6->to_string(), "fd17:625c:f037:2::/64") << "NAT66 on by default";
    EXPECT_EQ(c.networks.at("b").subnet6->to_string(), "fd00:b::/64");
    EXPECT_FALSE(c.networks.at("c").subnet6) << "subnet6: false turns it off";
    EXPECT_EQ(c.networks.at("d").subnet6, c.networks.at("a").subnet6) << "NAT networks may share a prefix";
    const NatConfig& nat = *c.networks.at("a").nat;
    ASSERT_EQ(nat.port_forwards.size(), 1u) << "the IPv4 forward";
    ASSERT_EQ(nat.port_forwards6.size(), 2u) << "an IPv6 guest_ip makes an IPv6 forward";
    EXPECT_EQ(nat.port_forwards6[0].guest_ip.to_string(), "fd17:625c:f037:2::15");
    EXPECT_EQ(nat.port_forwards6[0].host_port, 8080);
    EXPECT_EQ(nat.port_forwards6[1].proto, 17);
    EXPECT_EQ(nat.port_forwards6[1].guest_port, 53);
    // Without address6 a NAT network has no IPv6.
    Config v4 = load_ok("uplinks: {wan: {kernel: {name: vswwan0, address: 203.0.113.1}, address: 203.0.113.10/24}}\n"
                        "networks: {a: {mode: nat, uplink: wan}}\n");
    EXPECT_FALSE(v4.networks.at("a").subnet6);
}

namespace {

// A NAT66 network (kernel uplink with address6) with `forwards` under port_forwards.
std::string natnet6(const std::string& forwards) {
    return "uplinks:\n"
           "  wan:\n"
           "    kernel: {name: vswk0, address: 203.0.113.1}\n"
           "    address: 203.0.113.10/24\n"
           "    address6: 2001:db8:1::10/64\n"
           "    gateway6: 2001:db8:1::1\n"
           "networks:\n"
           "  n:\n"
           "    mode: nat\n"
           "    uplink: wan\n"
           "    port_forwards:\n" +
           forwards;
}

std::vector<BadCase> nat66_bad_cases() {
    return {
        {"Gateway6WithoutAddress6", "uplinks:\n  wan: {device: d0, address: 203.0.113.10/24, gateway: 203.0.113.1, "
         "gateway6: \"2001:db8::1\"}\n", 2, 69, "uplinks.wan.gateway6", "gateway6 needs address6"},
        {"Address6WithoutGateway6", "uplinks:\n  wan: {device: d0, address: 203.0.113.10/24, gateway: 203.0.113.1, "
         "address6: \"2001:db8::10/64\"}\n", 2, 69, "uplinks.wan.address6", "address6 needs gateway6"},
        {"Address6WithoutPrefix", "uplinks:\n  wan: {device: d0, address: 203.0.113.10/24, gateway: 203.0.113.1, "
         "address6: \"2001:db8::10\", gateway6: \"2001:db8::1\"}\n", 2, 79, "uplinks.wan.address6",
         "2001:db8::10 has no prefix length (write it like 2001:db8::10/64)"},
        {"Forward6OutsideSubnet6", natnet6("      - {name: w, proto: tcp, host_port: 80, guest_ip: \"fd00::5\", guest_port: 80}\n"),
         12, 56, "networks.n.port_forwards[0].guest_ip", "guest_ip fd00::5 is not a guest's address in subnet6"},
        {"Forward6OnTheGateway", natnet6("      - {name: w, proto: tcp, host_port: 80, guest_ip: \"fd17:625c:f037:2::1\", guest_port: 80}\n"),
         12, 56, "networks.n.port_forwards[0].guest_ip", "(::1 is the gateway, ::3 the DNS address)"},
        {"Forward6HostIpNotAddress6", natnet6("      - {name: w, proto: tcp, host_ip: \"2001:db8:1::11\", host_port: 80, guest_ip: \"fd17:625c:f037:2::5\", guest_port: 80}\n"),
         12, 40, "networks.n.port_forwards[0].host_ip", "is not the address6 2001:db8:1::10 of uplink 'wan'"},
        {"Forward6WithoutAddress6", "uplinks:\n  wan:\n    device: net_af_xdp0\n    address: 203.0.113.10/24\n    gateway: 203.0.113.1\n"
         "    resolver: 203.0.113.53\nnetworks:\n  n:\n    mode: nat\n    subnet: 10.0.2.0/24\n    uplink: wan\n"
         "    port_forwards:\n      - {name: w, proto: tcp, host_port: 80, guest_ip: \"fd17::5\", guest_port: 80}\n",
         13, 9, "networks.n.port_forwards[0]", "an IPv6 port forward needs NAT66: uplink 'wan' has no address6"},
        {"ForwardNameUsedByAnIpv6One",
         natnet6("      - {name: w, proto: tcp, host_port: 80, guest_ip: \"fd17:625c:f037:2::5\", guest_port: 80}\n"
                 "      - {name: w, proto: tcp, host_port: 81, guest_ip: 10.0.2.15, guest_port: 80}\n"),
         13, 16, "networks.n.port_forwards[1].name", "port forward name 'w' is already used in network 'n'"},
        {"Forward6Twice", natnet6("      - {name: w, proto: tcp, host_port: 80, guest_ip: \"fd17:625c:f037:2::5\", guest_port: 80}\n"
                                 "      - {name: x, proto: tcp, host_port: 80, guest_ip: \"fd17:625c:f037:2::6\", guest_port: 80}\n"),
         13, 42, "networks.n.port_forwards[1].host_port", "host_port 80/tcp is already forwarded by n.w"},
        {"Gateway6OutsideThePrefix", "uplinks:\n  wan: {device: d0, address: 203.0.113.10/24, gateway: 203.0.113.1, "
         "address6: \"2001:db8::10/64\", gateway6: \"2001:db9::1\"}\n", 2, 108, "uplinks.wan.gateway6",
         "gateway6 2001:db9::1 is not inside 2001:db8::/64"},
    };
}

}  // namespace

INSTANTIATE_TEST_SUITE_P(Nat66, ConfigBad, ::testing::ValuesIn(nat66_bad_cases()),
                         [](const auto& info) { return info.param.name; });
