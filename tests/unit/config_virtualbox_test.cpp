// VirtualBox's NAT defaults (a nat network with nothing but `uplink:`) and
// the host's resolvers for uplinks that name none (host_resolvers.hpp).
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>

#include "../../control/config/host_resolvers.hpp"
#include "../../control/config/reload_plan.hpp"
#include "config_test_support.hpp"

namespace vsw {
namespace {

const char* kBare = R"(uplinks:
  wan: {device: net_tap0, address: 203.0.113.10/24, gateway: 203.0.113.1}
networks:
  n: {mode: nat, uplink: wan}
ports:
  vm1: {network: n}
)";

Config load_with_host_resolver(const std::string& yaml, const char* resolver) {
    auto c = load_config_string(yaml, "test.yaml", LoadContext{resolver ? Ipv4::parse(resolver) : std::nullopt, std::nullopt});
    EXPECT_TRUE(c) << c.error().to_string();
    return c ? *c : Config{};
}

TEST(VirtualBoxDefaults, BareNatNetworkIsVirtualBoxNat) {
    const Config c = load_with_host_resolver(kBare, "192.0.2.53");
    const UplinkConfig& up = c.uplinks.at("wan");
    ASSERT_TRUE(up.resolver);
    EXPECT_EQ(*up.resolver, ip("192.0.2.53"));
    EXPECT_TRUE(up.resolver_from_host);

    const NetworkConfig& n = c.networks.at("n");
    ASSERT_TRUE(n.subnet && n.nat && n.dhcp);
    EXPECT_EQ(n.subnet->to_string(), "10.0.2.0/24");
    EXPECT_EQ(n.nat->gateway, ip("10.0.2.2"));
    ASSERT_TRUE(n.nat->dns);
    EXPECT_EQ(*n.nat->dns, ip("10.0.2.3"));
    EXPECT_EQ(n.dhcp->server, ip("10.0.2.2"));
    EXPECT_EQ(n.dhcp->range_first, ip("10.0.2.15"));
    EXPECT_EQ(n.dhcp->range_last, ip("10.0.2.254"));
    ASSERT_TRUE(n.dhcp->router);
    EXPECT_EQ(*n.dhcp->router, ip("10.0.2.2"));
    EXPECT_EQ(n.dhcp->dns, std::vector<Ipv4>{ip("10.0.2.3")});
}

// VirtualBox's "NAT Network" (NATNetworkImpl: the gateway at the first free
// offset, the loopback mapping 127.0.0.1=2, the DHCP server at the next
// free one and the pool after it): gateway and DNS proxy .1, host alias .2,
// DHCP server .3, pool .4-.254.
TEST(VirtualBoxDefaults, NatNetworkModeIsVirtualBoxNatNetwork) {
    const Config c = load_with_host_resolver(R"(uplinks:
  wan: {kernel: {name: vswwan0, address: 203.0.113.1}, address: 203.0.113.10/24}
networks:
  n: {mode: nat-network, uplink: wan}
)",
                                             "192.0.2.53");
    const NetworkConfig& n = c.networks.at("n");
    ASSERT_TRUE(n.subnet && n.nat && n.dhcp);
    EXPECT_EQ(n.mode, NetworkMode::nat);
    EXPECT_TRUE(n.nat->nat_network);
    EXPECT_EQ(n.subnet->to_string(), "10.0.2.0/24");
    EXPECT_EQ(n.nat->gateway, ip("10.0.2.1"));
    ASSERT_TRUE(n.nat->dns);
    EXPECT_EQ(*n.nat->dns, ip("10.0.2.1"));
    EXPECT_TRUE(n.nat->host_loopback);
    EXPECT_EQ(n.nat->host_alias, ip("10.0.2.2"));
    EXPECT_EQ(n.dhcp->server, ip("10.0.2.3"));
    EXPECT_EQ(n.dhcp->range_first, ip("10.0.2.4"));
    EXPECT_EQ(n.dhcp->range_last, ip("10.0.2.254"));
    EXPECT_EQ(*n.dhcp->router, ip("10.0.2.1"));
    EXPECT_EQ(n.dhcp->dns, std::vector<Ipv4>{ip("10.0.2.1")});
}

// host_loopback is on by default, with the gateway as the host alias: through
// a kernel uplink, or a device uplink's host link.
TEST(VirtualBoxDefaults, HostLoopbackIsOnWithAKernelUplink) {
    const Config c = load_with_host_resolver(R"(uplinks:
  k: {kernel: {name: vswwan0, address: 203.0.113.1}, address: 203.0.113.10/24}
  d: {device: net_tap0, address: 198.51.100.10/24, gateway: 198.51.100.1}
networks:
  a: {mode: nat, uplink: k}
  b: {mode: nat, uplink: d, subnet: 10.0.3.0/24}
  c: {mode: nat, uplink: k, subnet: 10.0.4.0/24, host_loopback: false}
  e: {mode: nat, uplink: d, subnet: 10.0.5.0/24, host_uplink: k, port_forwards: ["ssh,tcp,127.0.0.1,2222,,22"]}
)",
                                             nullptr);
    EXPECT_TRUE(c.networks.at("a").nat->host_loopback);
    EXPECT_EQ(c.networks.at("a").nat->host_alias, ip("10.0.2.2"));
    EXPECT_EQ(c.networks.at("a").nat->host_uplink, "k");
    // A device uplink: through the host link vsw makes for it.
    EXPECT_TRUE(c.networks.at("b").nat->host_loopback);
    EXPECT_EQ(c.networks.at("b").nat->host_uplink, "d.host");
    EXPECT_FALSE(c.networks.at("c").nat->host_loopback);
    // A device uplink reaches the host through a kernel one named by host_uplink.
    EXPECT_TRUE(c.networks.at("e").nat->host_loopback);
    EXPECT_EQ(c.networks.at("e").nat->host_uplink, "k");
}

// A forward on the host's addresses takes its port on the host uplink too:
// another network there may not forward the same one.
TEST(VirtualBoxForwards, HostSideForwardsClashOnTheHostUplink) {
    auto c = load_config_string(R"(uplinks:
  k: {kernel: {name: vswwan0, address: 203.0.113.1}, address: 203.0.113.10/24}
  d: {device: net_tap0, address: 198.51.100.10/24, gateway: 198.51.100.1}
networks:
  a: {mode: nat, uplink: k, port_forwards: ["ssh,tcp,,2222,,22"]}
  e: {mode: nat, uplink: d, subnet: 10.0.5.0/24, host_uplink: k, port_forwards: ["ssh,tcp,,2222,,22"]}
)",
                                "test.yaml");
    ASSERT_FALSE(c);
    EXPECT_NE(c.error().message.find("host_port 2222/tcp is already forwarded by a.ssh"), std::string::npos)
        << c.error().to_string();
}

TEST(VirtualBoxDefaults, NoResolverAnywhereMeansNoDns) {
    const Config c = load_with_host_resolver(kBare, nullptr);
    EXPECT_FALSE(c.uplinks.at("wan").resolver);
    const NetworkConfig& n = c.networks.at("n");
    EXPECT_FALSE(n.nat->dns);
    ASSERT_TRUE(n.dhcp);
    EXPECT_TRUE(n.dhcp->dns.empty());
}

TEST(VirtualBoxDefaults, ExplicitSettingsWin) {
    const Config c = load_with_host_resolver(R"(uplinks:
  wan: {device: net_tap0, address: 203.0.113.10/24, gateway: 203.0.113.1, resolver: 198.51.100.53}
networks:
  n: {mode: nat, uplink: wan, subnet: 172.30.0.0/16, gateway: 172.30.0.1, dns: false, dhcp: false}
  m: {mode: nat, uplink: wan, subnet: 192.168.100.0/24, dhcp: {range: 192.168.100.50-192.168.100.60}}
)",
                                             "192.0.2.53");
    const UplinkConfig& up = c.uplinks.at("wan");
    EXPECT_EQ(*up.resolver, ip("198.51.100.53"));  // the config's, not the host's
    EXPECT_FALSE(up.resolver_from_host);
    const NetworkConfig& n = c.networks.at("n");
    EXPECT_EQ(n.nat->gateway, ip("172.30.0.1"));
    EXPECT_FALSE(n.nat->dns);
    EXPECT_FALSE(n.dhcp);
    const NetworkConfig& m = c.networks.at("m");
    EXPECT_EQ(m.nat->gateway, ip("192.168.100.2"));
    EXPECT_EQ(*m.nat->dns, ip("192.168.100.3"));
    EXPECT_EQ(m.dhcp->range_first, ip("192.168.100.50"));
}

TEST(VirtualBoxDefaults, ALargeSubnetsDefaultPoolIsCapped) {
    const Config c = load_ok(R"(uplinks:
  wan: {device: net_tap0, address: 203.0.113.10/24, gateway: 203.0.113.1}
networks:
  n: {mode: nat, uplink: wan, subnet: 10.64.0.0/10}
)");
    const NetworkConfig& n = c.networks.at("n");
    EXPECT_EQ(n.dhcp->range_first, ip("10.64.0.15"));
    EXPECT_EQ(n.dhcp->range_last.value - n.dhcp->range_first.value + 1, 65536u);
}

// A new host resolver (the laptop joined another network) changes the
// uplink's resolver on reload: DNS sessions to the old one are flushed.
TEST(VirtualBoxDefaults, AHostResolverChangeIsAReloadChange) {
    const Config before = load_with_host_resolver(kBare, "192.0.2.53");
    const Config after = load_with_host_resolver(kBare, "192.0.2.54");
    const Plan plan = diff(before, after);
    ASSERT_EQ(plan.changed.size(), 1u);
    EXPECT_NE(plan.changed[0].find("uplink wan (resolver"), std::string::npos) << plan.changed[0];
    EXPECT_TRUE(plan.has(Action::flush_nat_sessions, "n")) << "DNS sessions to the old resolver stay";
}

// VBoxManage's rule strings sit next to the map form; an empty guest IP (or a
// map without guest_ip) means the network's first DHCP address, 10.0.2.15.
TEST(VirtualBoxForwards, RuleStringsAndTheDefaultGuest) {
    const Config c = load_ok(R"(uplinks:
  wan: {device: net_tap0, address: 203.0.113.10/24, gateway: 203.0.113.1}
networks:
  n:
    mode: nat
    uplink: wan
    port_forwards:
      - "ssh,tcp,,2222,,22"
      - "dns,udp,203.0.113.10,5353,10.0.2.16,53"
      - {name: web, proto: tcp, host_port: 8080, guest_port: 80}
)");
    const auto& fwd = c.networks.at("n").nat->port_forwards;
    ASSERT_EQ(fwd.size(), 3u);
    EXPECT_EQ(fwd[0].name, "ssh");
    EXPECT_EQ(fwd[0].proto, 6);
    EXPECT_FALSE(fwd[0].host_ip);
    EXPECT_EQ(fwd[0].host_port, 2222);
    EXPECT_EQ(fwd[0].guest_ip, ip("10.0.2.15"));
    EXPECT_EQ(fwd[0].guest_port, 22);
    EXPECT_EQ(fwd[1].proto, 17);
    EXPECT_EQ(*fwd[1].host_ip, ip("203.0.113.10"));
    EXPECT_EQ(fwd[1].guest_ip, ip("10.0.2.16"));
    EXPECT_EQ(fwd[2].guest_ip, ip("10.0.2.15"));
}

TEST(VirtualBoxForwards, BadRuleStringsSayWhereAndWhat) {
    const std::string head = R"(uplinks:
  wan: {device: net_tap0, address: 203.0.113.10/24, gateway: 203.0.113.1}
networks:
  n:
    mode: nat
    uplink: wan
)";
    struct Case {
        std::string yaml, message;
    } cases[] = {
        {"    port_forwards: [\"ssh,tcp,2222,22\"]\n", "is not a port forward: write a map, or VBoxManage's rule"},
        {"    port_forwards: [\"ssh,sctp,,2222,,22\"]\n", "(in \"ssh,sctp,,2222,,22\")"},
        {"    port_forwards: [\"ssh,tcp,,70000,,22\"]\n", "70000"},
        {"    port_forwards: [\"ssh,tcp,,2222,10.0.2.2,22\"]\n", "guest_ip 10.0.2.2 is the gateway address"},
        {"    dhcp: false\n    port_forwards: [\"ssh,tcp,,2222,,22\"]\n",
         "port forward 'ssh' has no guest_ip: that means the first address of the network's DHCP pool"},
    };
    for (const Case& t : cases) {
        auto r = load_config_string(head + t.yaml, "test.yaml");
        ASSERT_FALSE(r) << t.yaml;
        EXPECT_NE(r.error().message.find(t.message), std::string::npos) << r.error().to_string();
        EXPECT_GE(r.error().line, 4) << r.error().to_string();  // points into the network
    }
}

TEST(HostResolvers, ParseResolvConf) {
    const auto got = parse_resolv_conf(
        "# generated\nsearch example.org\nnameserver 192.0.2.1\nnameserver fe80::1\n"
        "nameserver   198.51.100.7  # second\n;nameserver 10.9.9.9\nnameserver bogus\noptions edns0\n");
    EXPECT_EQ(got, (std::vector<Ipv4>{ip("192.0.2.1"), ip("198.51.100.7")}));
    EXPECT_TRUE(parse_resolv_conf("").empty());
}

TEST(HostResolvers, LoopbackStubsFollowTheUpstreamFile) {
    // systemd-resolved: /etc/resolv.conf names its stub; the upstream file the real servers.
    EXPECT_EQ(pick_host_resolver("nameserver 127.0.0.53\n", "nameserver 192.0.2.9\n"), ip("192.0.2.9"));
    // The first non-loopback one wins; a stub before it is skipped.
    EXPECT_EQ(pick_host_resolver("nameserver 127.0.0.1\nnameserver 198.51.100.1\n", ""), ip("198.51.100.1"));
    // Only a stub and no upstream: nothing (the datapath cannot reach the host's loopback).
    EXPECT_FALSE(pick_host_resolver("nameserver 127.0.0.53\n", ""));
    EXPECT_FALSE(pick_host_resolver("", ""));
}

// A host whose only resolver is on its loopback (a local dnsmasq, a stub
// without systemd-resolved's upstream file): a kernel uplink forwards DNS
// there (through its TAP, with route_localnet); a device uplink cannot.
TEST(HostResolvers, ALoopbackOnlyResolverServesKernelUplinks) {
    EXPECT_EQ(pick_loopback_resolver("nameserver 127.0.0.1\n", ""), ip("127.0.0.1"));
    EXPECT_FALSE(pick_loopback_resolver("nameserver 127.0.0.53\n", "nameserver 192.0.2.1\n"));
    EXPECT_FALSE(pick_loopback_resolver("nameserver 192.0.2.1\n", ""));
    auto c = load_config_string(R"(uplinks:
  k: {kernel: {name: vswwan0, address: 203.0.113.1}, address: 203.0.113.10/24}
  d: {device: net_tap0, address: 198.51.100.10/24, gateway: 198.51.100.1}
networks:
  a: {mode: nat, uplink: k}
  b: {mode: nat, uplink: d, subnet: 10.0.3.0/24}
)",
                                "test.yaml", LoadContext{std::nullopt, ip("127.0.0.53")});
    ASSERT_TRUE(c) << c.error().to_string();
    EXPECT_EQ(c->uplinks.at("k").resolver, ip("127.0.0.53"));
    EXPECT_TRUE(c->uplinks.at("k").resolver_from_host);
    EXPECT_EQ(c->networks.at("a").nat->dns, ip("10.0.2.3"));
    EXPECT_FALSE(c->uplinks.at("d").resolver);
    EXPECT_FALSE(c->networks.at("b").nat->dns);
}

// The watch sees a rewrite in place and a replacement by rename.
TEST(HostResolvers, TheWatchSeesTheFileChange) {
    char dir[] = "/tmp/vsw-resolv-XXXXXX";
    ASSERT_NE(mkdtemp(dir), nullptr);
    const std::string path = std::string(dir) + "/resolv.conf";
    auto write = [](const std::string& p, const char* text) {
        std::FILE* f = std::fopen(p.c_str(), "w");
        std::fputs(text, f);
        std::fclose(f);
    };
    write(path, "nameserver 192.0.2.1\n");
    ResolvConfWatch watch(path);
    EXPECT_FALSE(watch.changed());
    write(path, "nameserver 192.0.2.22\n");  // a new size
    EXPECT_TRUE(watch.changed());
    EXPECT_FALSE(watch.changed());
    write(path + ".new", "nameserver 192.0.2.33\n");  // the same size, a new inode
    ASSERT_EQ(std::rename((path + ".new").c_str(), path.c_str()), 0);
    EXPECT_TRUE(watch.changed());
    std::remove(path.c_str());
    EXPECT_TRUE(watch.changed());  // gone
    rmdir(dir);
}

}  // namespace
}  // namespace vsw
