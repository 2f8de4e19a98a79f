// The YAML loader: VXLAN overlays (networks.X.overlay) and uplinks' mtu;
// good files, and bad ones with their file:line:column and message.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "config_test_support.hpp"

using namespace vsw;

namespace {

// Uplink `wan` (AF_XDP-like device, 198.51.100.1/24) with `up_extra` lines
// under it, and the networks given.
std::string with_wan(const std::string& up_extra, const std::string& networks) {
    return "uplinks:\n"
           "  wan:\n"
           "    device: net_null0\n"
           "    address: 198.51.100.1/24\n"
           "    gateway: 198.51.100.254\n" +
           up_extra + "networks:\n" + networks;
}

}  // namespace

TEST(OverlayGood, HostOnlyAndInternalNetworksStretch) {
    Config c = load_ok(with_wan("", R"(  ho:
    mode: host-only
    subnet: 192.168.57.0/24
    dhcp: {server: 192.168.57.100, range: 192.168.57.101-192.168.57.200}
    overlay: {vni: 5001, uplink: wan, remotes: [198.51.100.20, 203.0.113.7]}
  l2:
    mode: internal
    overlay: {vni: 16777215, uplink: wan}
  plain: {mode: internal}
)"));
    const NetworkConfig& ho = c.networks.at("ho");
    ASSERT_TRUE(ho.overlay);
    EXPECT_EQ(ho.overlay->vni, 5001u);
    EXPECT_EQ(ho.overlay->uplink, "wan");
    EXPECT_EQ(ho.overlay->remotes, (std::vector<Ipv4>{ip("198.51.100.20"), ip("203.0.113.7")}));
    ASSERT_TRUE(ho.dhcp);
    EXPECT_EQ(ho.dhcp->mtu, std::optional<uint16_t>(1450)) << "1500 - 50: DHCP option 26";
    ASSERT_TRUE(c.networks.at("l2").overlay);
    EXPECT_TRUE(c.networks.at("l2").overlay->remotes.empty()) << "remotes may come later (a reload)";
    EXPECT_FALSE(c.networks.at("plain").overlay);
    EXPECT_EQ(c.uplinks.at("wan").mtu, 1500);
}

TEST(OverlayGood, AJumboUplinkLeavesGuestsTheirMtu) {
    Config c = load_ok(with_wan("    mtu: 1550\n", R"(  ho:
    mode: host-only
    subnet: 192.168.57.0/24
    dhcp: {server: 192.168.57.100, range: 192.168.57.101-192.168.57.200}
    overlay: {vni: 7, uplink: wan, remotes: [198.51.100.20]}
)"));
    EXPECT_EQ(c.uplinks.at("wan").mtu, 1550);
    EXPECT_FALSE(c.networks.at("ho").dhcp->mtu) << "1550 - 50 = 1500: nothing to tell the guests";
}

TEST(OverlayGood, EvpnInVswdsOrAnotherNamespace) {
    Config c = load_ok(with_wan("", R"(  a: {mode: internal, overlay: {vni: 10, uplink: wan, evpn: true}}
  b: {mode: internal, overlay: {vni: 11, uplink: wan, evpn: {netns: frr}, remotes: [198.51.100.9]}}
  c: {mode: internal, overlay: {vni: 12, uplink: wan, evpn: false}}
)"));
    const OverlayConfig& a = *c.networks.at("a").overlay;
    EXPECT_TRUE(a.evpn);
    EXPECT_EQ(a.evpn_netns, "");
    const OverlayConfig& b = *c.networks.at("b").overlay;
    EXPECT_TRUE(b.evpn);
    EXPECT_EQ(b.evpn_netns, "frr");
    EXPECT_EQ(b.remotes.size(), 1u) << "static remotes next to EVPN's";
    EXPECT_FALSE(c.networks.at("c").overlay->evpn);
}

TEST(ConfigExamples, Overlay) {
    auto c = load_config_file(std::string(VSW_SOURCE_DIR) + "/config/overlay.yaml");
    ASSERT_TRUE(c) << c.error().to_string();
    const NetworkConfig& n = c->networks.at("stretch");
    ASSERT_TRUE(n.overlay);
    EXPECT_EQ(n.overlay->vni, 5001u);
    EXPECT_EQ(n.overlay->remotes.size(), 2u);
    EXPECT_EQ(n.dhcp->mtu, std::optional<uint16_t>(1450));
}

namespace {

std::vector<BadCase> overlay_bad_cases() {
    const std::string ho = "  h:\n    mode: host-only\n    subnet: 192.168.56.0/24\n";
    return {
        {"OverlayOnNat", with_wan("", "  n:\n    mode: nat\n    uplink: wan\n    overlay: {vni: 1, uplink: wan}\n"), 10,
         5, "networks.n.overlay", "overlay is only allowed on host-only and internal networks"},
        {"VniMissing", with_wan("", ho + "    overlay: {uplink: wan}\n"), 10, 5, "networks.h.overlay.vni",
         "missing required key 'vni'"},
        {"VniTooBig", with_wan("", ho + "    overlay: {vni: 16777216, uplink: wan}\n"), 10, 20,
         "networks.h.overlay.vni", "16777216"},
        {"VniZero", with_wan("", ho + "    overlay: {vni: 0, uplink: wan}\n"), 10, 20, "networks.h.overlay.vni", ""},
        {"NoSuchUplink", with_wan("", ho + "    overlay: {vni: 1, uplink: lan}\n"), 10, 31,
         "networks.h.overlay.uplink", "no uplink 'lan' (uplinks: wan)"},
        {"RemoteIsUs", with_wan("", ho + "    overlay: {vni: 1, uplink: wan, remotes: [198.51.100.1]}\n"), 10, 46,
         "networks.h.overlay.remotes[0]", "own address"},
        {"RemoteTwice",
         with_wan("", ho + "    overlay: {vni: 1, uplink: wan, remotes: [198.51.100.2, 198.51.100.2]}\n"), 10, 60,
         "networks.h.overlay.remotes[1]", "listed twice"},
        {"RemoteMulticast", with_wan("", ho + "    overlay: {vni: 1, uplink: wan, remotes: [239.1.1.1]}\n"), 10, 46,
         "networks.h.overlay.remotes[0]", "not a unicast address"},
        {"RemoteNotAnAddress", with_wan("", ho + "    overlay: {vni: 1, uplink: wan, remotes: [far.away]}\n"), 10,
         46, "networks.h.overlay.remotes[0]", "is not an IPv4 address"},
        {"SameVniTwice",
         with_wan("", ho + "    overlay: {vni: 9, uplink: wan}\n  i:\n    mode: internal\n    overlay: {vni: 9, "
                           "uplink: wan}\n"),
         13, 20, "networks.i.overlay.vni", "VNI 9 on uplink 'wan' is already network 'h''s"},
        {"UnknownOverlayKey", with_wan("", ho + "    overlay: {vni: 1, uplink: wan, group: 239.1.1.1}\n"), 10, 36,
         "networks.h.overlay.group", "unknown key 'group'"},
        {"MtuTooSmall", with_wan("    mtu: 1000\n", ho), 6, 10, "uplinks.wan.mtu", "1000"},
        {"ForwardOfVxlanPort",
         with_wan("", ho + "    overlay: {vni: 1, uplink: wan}\n  n:\n    mode: nat\n    uplink: wan\n"
                           "    port_forwards: [{name: v, proto: udp, host_port: 4789, guest_ip: 10.0.2.15, "
                           "guest_port: 4789}]\n"),
         14, 54, "networks.n.port_forwards[0].host_port", "4789/udp of uplink 'wan' is VXLAN's"},
        {"EvpnNotABoolean", with_wan("", ho + "    overlay: {vni: 1, uplink: wan, evpn: maybe}\n"), 10, 42,
         "networks.h.overlay.evpn", "maybe"},
        {"EvpnUnknownKey", with_wan("", ho + "    overlay: {vni: 1, uplink: wan, evpn: {asn: 65000}}\n"), 10, 43,
         "networks.h.overlay.evpn.asn", "unknown key 'asn'"},
        {"EvpnVniTwiceInANamespace",
         "uplinks:\n  wan: {device: d0, address: 198.51.100.1/24, gateway: 198.51.100.254}\n"
         "  wan2: {device: d1, address: 203.0.113.1/24, gateway: 203.0.113.254}\n"
         "networks:\n  a: {mode: internal, overlay: {vni: 3, uplink: wan, evpn: true}}\n"
         "  b: {mode: internal, overlay: {vni: 3, uplink: wan2, evpn: true}}\n",
         6, 61, "networks.b.overlay.evpn", "network 'a' has EVPN for VNI 3 in the same namespace already"},
        {"OverlayAfterForward",
         with_wan("", "  n:\n    mode: nat\n    uplink: wan\n    port_forwards: [{name: v, proto: udp, host_port: "
                      "4789, guest_ip: 10.0.2.15, guest_port: 4789}]\n" +
                          ho + "    overlay: {vni: 1, uplink: wan}\n"),
         14, 31, "networks.h.overlay.uplink", "UDP port 4789 of uplink 'wan' is VXLAN's"},
    };
}

}  // namespace

INSTANTIATE_TEST_SUITE_P(Overlay, ConfigBad, ::testing::ValuesIn(overlay_bad_cases()),
                         [](const auto& info) { return info.param.name; });
