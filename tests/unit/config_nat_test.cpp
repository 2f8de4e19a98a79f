// The YAML loader: NAT networks, uplinks and port forwards (good files, bad
// ones with their file:line:column and message, and the examples in config/).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "config_test_support.hpp"

using namespace vsw;

// ---- NAT networks and uplinks ----------------------------------------------------

namespace {

// The full NAT example: every key given, with a DPDK device uplink.
const char* kFullNatExample = R"(networks:
  natnet0:
    mode: nat
    subnet: 10.0.2.0/24
    gateway: 10.0.2.2
    dns: 10.0.2.3
    dhcp: {range: 10.0.2.15-10.0.2.254, lease: 900}
    uplink: wan
    port_forwards:
      - {name: ssh, proto: tcp, host_port: 2222, guest_ip: 10.0.2.15, guest_port: 22}
      - {name: web, proto: tcp, host_ip: 203.0.113.10, host_port: 8080, guest_ip: 10.0.2.15, guest_port: 80}
      - {name: dns.test, proto: udp, host_port: 2222, guest_ip: 10.0.2.16, guest_port: 53}
    timeouts: {tcp_established: 7200, tcp_transitory: 120, udp: 180, icmp: 30}
    max_sessions: 1000
uplinks:
  wan:
    device: "net_af_xdp0,iface=eth1"
    address: 203.0.113.10/24
    gateway: 203.0.113.1
    resolver: 203.0.113.53
    ports: 2000-3000
ports:
  vm1-eth0: {network: natnet0}
)";

}  // namespace

TEST(NatGood, FullExample) {
    Config c = load_ok(kFullNatExample);

    ASSERT_EQ(c.uplinks.size(), 2u);  // and its host link, below
    const UplinkConfig& up = c.uplinks.at("wan");
    EXPECT_EQ(up.name, "wan");
    EXPECT_EQ(up.line.value, 16);
    EXPECT_EQ(up.device, "net_af_xdp0,iface=eth1");
    EXPECT_FALSE(up.kernel);
    EXPECT_EQ(up.address, ip("203.0.113.10"));
    EXPECT_EQ(up.prefix_len, 24);
    EXPECT_EQ(up.gateway, ip("203.0.113.1"));
    ASSERT_TRUE(up.resolver);
    EXPECT_EQ(*up.resolver, ip("203.0.113.53"));
    EXPECT_EQ(up.port_first, 2000);
    EXPECT_EQ(up.port_last, 3000);

    const NetworkConfig& n = c.networks.at("natnet0");
    EXPECT_EQ(n.mode, NetworkMode::nat);
    EXPECT_EQ(n.line.value, 2);
    ASSERT_TRUE(n.subnet);
    EXPECT_EQ(n.subnet->to_string(), "10.0.2.0/24");
    EXPECT_FALSE(n.host_interface);
    ASSERT_TRUE(n.nat);
    const NatConfig& nat = *n.nat;
    EXPECT_EQ(nat.gateway, ip("10.0.2.2"));
    ASSERT_TRUE(nat.dns);
    EXPECT_EQ(*nat.dns, ip("10.0.2.3"));
    EXPECT_EQ(nat.uplink, "wan");
    // A device uplink: the host's loopback and the forwards on its addresses
    // through the host link vsw makes for it.
    EXPECT_TRUE(nat.host_loopback);
    EXPECT_EQ(nat.host_uplink, "wan.host");
    const UplinkConfig& link = c.uplinks.at("wan.host");
    EXPECT_EQ(link.host_link_of, "wan");
    ASSERT_TRUE(link.kernel);
    EXPECT_EQ(link.kernel->name, "vsh-wan");
    EXPECT_EQ(link.kernel->address, ip("169.254.213.1"));
    EXPECT_EQ(link.kernel->netns, "");
    EXPECT_EQ(link.address, ip("169.254.213.2"));
    EXPECT_EQ(link.prefix_len, 30);
    EXPECT_EQ(link.gateway, ip("169.254.213.1"));
    EXPECT_FALSE(link.outbound);
    ASSERT_EQ(nat.port_forwards.size(), 3u);
    const PortForward& ssh = nat.port_forwards[0];
    EXPECT_EQ(ssh.name, "ssh");
    EXPECT_EQ(ssh.proto, 6);
    EXPECT_FALSE(ssh.host_ip);
    EXPECT_EQ(ssh.host_port, 2222);
    EXPECT_EQ(ssh.guest_ip, ip("10.0.2.15"));
    EXPECT_EQ(ssh.guest_port, 22);
    const PortForward& web = nat.port_forwards[1];
    EXPECT_EQ(web.name, "web");
    ASSERT_TRUE(web.host_ip);
    EXPECT_EQ(*web.host_ip, ip("203.0.113.10"));
    EXPECT_EQ(web.host_port, 8080);
    EXPECT_EQ(web.guest_port, 80);
    const PortForward& dns = nat.port_forwards[2];  // same host_port as ssh, other protocol
    EXPECT_EQ(dns.name, "dns.test");
    EXPECT_EQ(dns.proto, 17);
    EXPECT_EQ(dns.host_port, 2222);
    EXPECT_EQ(dns.guest_ip, ip("10.0.2.16"));
    EXPECT_EQ(nat.timeouts.tcp_established, 7200u);
    EXPECT_EQ(nat.timeouts.tcp_transitory, 120u);
    EXPECT_EQ(nat.timeouts.udp, 180u);
    EXPECT_EQ(nat.timeouts.icmp, 30u);
    EXPECT_EQ(nat.max_sessions, 1000u);

    // DHCP on a nat network: the server is the gateway, which is also the router;
    // the network's dns address is handed out.
    ASSERT_TRUE(n.dhcp);
    EXPECT_EQ(n.dhcp->server, ip("10.0.2.2"));
    EXPECT_EQ(n.dhcp->range_first, ip("10.0.2.15"));
    EXPECT_EQ(n.dhcp->range_last, ip("10.0.2.254"));
    EXPECT_EQ(n.dhcp->lease_seconds, 900u);
    ASSERT_TRUE(n.dhcp->router);
    EXPECT_EQ(*n.dhcp->router, ip("10.0.2.2"));
    EXPECT_EQ(n.dhcp->dns, std::vector<Ipv4>{ip("10.0.2.3")});

    EXPECT_EQ(c.ports.at("vm1-eth0").network, "natnet0");
}

// A device uplink's host link: its keys, its default addresses one /30 per
// device uplink, and only where a network uses it.
TEST(NatGood, HostLinksOfDeviceUplinks) {
    Config c = load_ok(R"(uplinks:
  a: {device: d0, address: 203.0.113.10/24, gateway: 203.0.113.1}
  k: {kernel: {name: vswk0, address: 198.51.100.1}, address: 198.51.100.2/24}
  b:
    device: d1
    address: 192.0.2.10/24
    gateway: 192.0.2.1
    host_link: {name: vsh-test, address: 100.64.9.2/30, netns: hostns}
  c: {device: d2, address: 192.0.3.10/24, gateway: 192.0.3.1}
networks:
  na: {mode: nat, uplink: a, host_loopback: false, port_forwards: ["ssh,tcp,,2222,,22"]}
  nb: {mode: nat, uplink: b, subnet: 10.0.3.0/24}
  nc: {mode: nat, uplink: c, subnet: 10.0.4.0/24, host_loopback: false}
)");
    // na: host_loopback off, but a forward on the host's addresses needs the link.
    EXPECT_FALSE(c.networks.at("na").nat->host_loopback);
    EXPECT_EQ(c.networks.at("na").nat->host_uplink, "a.host");
    EXPECT_EQ(c.uplinks.at("a.host").kernel->name, "vsh-a");
    EXPECT_EQ(c.uplinks.at("a.host").address, ip("169.254.213.2"));
    // nb: the link as written; vsw takes the other address of the /30.
    EXPECT_TRUE(c.networks.at("nb").nat->host_loopback);
    const UplinkConfig& b = c.uplinks.at("b.host");
    EXPECT_EQ(b.kernel->name, "vsh-test");
    EXPECT_EQ(b.kernel->netns, "hostns");
    EXPECT_EQ(b.kernel->address, ip("100.64.9.2"));
    EXPECT_EQ(b.address, ip("100.64.9.1"));
    EXPECT_EQ(b.gateway, ip("100.64.9.2"));
    // nc needs no way to the host: c gets no link.
    EXPECT_EQ(c.networks.at("nc").nat->host_uplink, "");
    EXPECT_FALSE(c.uplinks.count("c.host"));
    EXPECT_EQ(c.uplinks.size(), 6u);

    // The third device uplink's default link is the third /30.
    Config third = load_ok(R"(uplinks:
  a: {device: d0, address: 203.0.113.10/24, gateway: 203.0.113.1, host_link: false}
  b: {device: d1, address: 192.0.2.10/24, gateway: 192.0.2.1, host_link: false}
  c: {device: d2, address: 192.0.3.10/24, gateway: 192.0.3.1}
networks:
  nc: {mode: nat, uplink: c}
)");
    EXPECT_EQ(third.uplinks.at("c.host").kernel->address, ip("169.254.213.9"));
    EXPECT_EQ(third.uplinks.at("c.host").address, ip("169.254.213.10"));
    EXPECT_EQ(third.uplinks.size(), 4u);
}

TEST(NatGood, KernelUplinkAndDefaults) {
    Config c = load_ok(R"(uplinks:
  up0:
    kernel: {name: vswwan0, address: 198.51.100.1, netns: inet}
    address: 198.51.100.2/30
  up1:
    device: net_tap0
    address: 192.0.2.10/24
    gateway: 192.0.2.1
    resolver: 192.0.2.53
  unused:
    kernel: {name: vswwan2, address: 100.64.0.1}
    address: 100.64.0.2/24
    gateway: 100.64.0.254
networks:
  a:
    mode: nat
    subnet: 10.0.2.0/24
    uplink: up0
    dhcp: true
    host_loopback: true
    port_forwards:
      - {name: ssh, proto: tcp, host_port: 2222, guest_ip: 10.0.2.15, guest_port: 22}
  b:
    mode: nat
    subnet: 10.0.2.0/24         # the same subnet as a: fine
    gateway: 10.0.2.2
    dns: 10.0.2.3
    uplink: up1
    dhcp: {}
    port_forwards:              # the same host port as a's, on another uplink: fine
      - {name: ssh, proto: tcp, host_port: 2222, guest_ip: 10.0.2.15, guest_port: 22}
  c:
    mode: nat
    subnet: 10.0.2.0/24
    dns: 10.0.2.3
    uplink: up1
    dhcp: {server: 10.0.2.10, dns: [9.9.9.9]}
  d:
    mode: nat
    subnet: 172.16.0.0/12
    uplink: up1
)");
    ASSERT_EQ(c.uplinks.size(), 4u);  // with up1's host link
    const UplinkConfig& up0 = c.uplinks.at("up0");
    EXPECT_TRUE(up0.device.empty());
    ASSERT_TRUE(up0.kernel);
    EXPECT_EQ(up0.kernel->name, "vswwan0");
    EXPECT_EQ(up0.kernel->address, ip("198.51.100.1"));
    EXPECT_EQ(up0.kernel->netns, "inet");
    EXPECT_TRUE(c.networks.at("a").nat->host_loopback);
    EXPECT_TRUE(c.networks.at("b").nat->host_loopback);  // through up1's host link
    EXPECT_EQ(c.networks.at("b").nat->host_uplink, "up1.host");
    EXPECT_EQ(up0.address, ip("198.51.100.2"));
    EXPECT_EQ(up0.prefix_len, 30);
    EXPECT_EQ(up0.gateway, ip("198.51.100.1"));  // default: the kernel side
    EXPECT_FALSE(up0.resolver);
    EXPECT_EQ(up0.port_first, 1024);
    EXPECT_EQ(up0.port_last, 65535);
    const UplinkConfig& unused = c.uplinks.at("unused");
    EXPECT_EQ(unused.kernel->netns, "");
    EXPECT_EQ(unused.gateway, ip("100.64.0.254"));  // given: not the kernel side

    const NetworkConfig& a = c.networks.at("a");
    ASSERT_TRUE(a.nat);
    EXPECT_EQ(a.nat->gateway, ip("10.0.2.2"));  // default: .2, as VirtualBox's NAT
    EXPECT_FALSE(a.nat->dns);                    // no default: up0 has no resolver
    EXPECT_EQ(a.nat->uplink, "up0");
    const NatTimeouts def;
    EXPECT_EQ(a.nat->timeouts.tcp_established, def.tcp_established);
    EXPECT_EQ(a.nat->timeouts.tcp_established, 7440u);
    EXPECT_EQ(a.nat->timeouts.tcp_transitory, 240u);
    EXPECT_EQ(a.nat->timeouts.udp, 300u);
    EXPECT_EQ(a.nat->timeouts.icmp, 60u);
    EXPECT_EQ(a.nat->max_sessions, 65536u);
    ASSERT_TRUE(a.dhcp);
    EXPECT_EQ(a.dhcp->server, ip("10.0.2.2"));  // default: the gateway
    EXPECT_EQ(a.dhcp->range_first, ip("10.0.2.15"));  // VirtualBox's first guest address
    EXPECT_EQ(a.dhcp->range_last, ip("10.0.2.254"));
    ASSERT_TRUE(a.dhcp->router);
    EXPECT_EQ(*a.dhcp->router, ip("10.0.2.2"));
    EXPECT_TRUE(a.dhcp->dns.empty());  // neither dns nor dhcp.dns

    const NetworkConfig& b = c.networks.at("b");
    EXPECT_EQ(b.dhcp->server, ip("10.0.2.2"));
    EXPECT_EQ(b.dhcp->range_first, ip("10.0.2.15"));  // default pool: from .15
    EXPECT_EQ(b.dhcp->range_last, ip("10.0.2.254"));
    EXPECT_EQ(*b.dhcp->router, ip("10.0.2.2"));
    EXPECT_EQ(b.dhcp->dns, std::vector<Ipv4>{ip("10.0.2.3")});

    const NetworkConfig& cn = c.networks.at("c");
    EXPECT_EQ(cn.nat->gateway, ip("10.0.2.2"));
    EXPECT_EQ(cn.dhcp->server, ip("10.0.2.10"));
    EXPECT_EQ(cn.dhcp->range_first, ip("10.0.2.15"));
    EXPECT_EQ(*cn.dhcp->router, ip("10.0.2.2"));  // always the gateway, even with another server
    EXPECT_EQ(cn.dhcp->dns, std::vector<Ipv4>{ip("9.9.9.9")});  // dhcp.dns wins over dns

    const NetworkConfig& d = c.networks.at("d");
    ASSERT_TRUE(d.dhcp);  // on by default
    EXPECT_EQ(d.dhcp->server, ip("172.16.0.2"));
    EXPECT_EQ(d.dhcp->range_first, ip("172.16.0.15"));
    EXPECT_EQ(d.nat->gateway, ip("172.16.0.2"));
    EXPECT_TRUE(d.nat->port_forwards.empty());
}

TEST(NatGood, SectionOrderAndSharedUplink) {
    // Networks before uplinks in the file; two nat networks share an uplink with
    // different forwarded ports, one of them inside the masquerade range; a
    // host-only network next to them.
    Config c = load_ok(R"(networks:
  n1:
    mode: nat
    subnet: 10.0.2.0/24
    uplink: wan
    port_forwards: [{name: a, proto: tcp, host_port: 30000, guest_ip: 10.0.2.15, guest_port: 22}]
  n2:
    mode: nat
    subnet: 10.0.2.0/24
    uplink: wan
    port_forwards: [{name: a, proto: tcp, host_port: 30001, guest_ip: 10.0.2.15, guest_port: 22},
                    {name: b, proto: udp, host_port: 30000, guest_ip: 10.0.2.15, guest_port: 53}]
  h: {mode: host-only, subnet: 192.168.56.0/24}
uplinks:
  wan: {device: net_af_packet0, address: 203.0.113.10/24, gateway: 203.0.113.1, ports: 20000-40000}
)");
    EXPECT_EQ(c.networks.at("n1").nat->port_forwards[0].host_port, 30000);
    EXPECT_EQ(c.networks.at("n2").nat->port_forwards.size(), 2u);
    EXPECT_EQ(c.uplinks.at("wan").port_first, 20000);
    EXPECT_EQ(c.uplinks.at("wan").port_last, 40000);
}

TEST(NatGood, UplinksCountAsPorts) {
    std::string yaml =
        "uplinks: {wan: {device: net_tap0, address: 203.0.113.10/24, gateway: 203.0.113.1}}\n"
        "networks: {n: {mode: internal}}\nports:\n";
    for (int i = 0; i < 29; ++i) yaml += "  p" + std::to_string(i) + ": {network: n}\n";
    EXPECT_EQ(load_ok(yaml).ports.size(), 29u);
}

namespace {

// A device uplink `wan` (lines 1-6, with a resolver) plus `uplink_extra`, then
// a nat network `n` on it (lines 7-11 without uplink_extra) with `extra` under it.
std::string natnet(const std::string& extra, const std::string& uplink_extra = "") {
    return "uplinks:\n"
           "  wan:\n"
           "    device: net_af_xdp0\n"
           "    address: 203.0.113.10/24\n"
           "    gateway: 203.0.113.1\n"
           "    resolver: 203.0.113.53\n" +
           uplink_extra +
           "networks:\n"
           "  n:\n"
           "    mode: nat\n"
           "    subnet: 10.0.2.0/24\n"
           "    uplink: wan\n" +
           extra;
}

// One port_forwards item in block style: `name` on the first line, then proto,
// [host_ip,] host_port, guest_ip, guest_port on their own lines (values at
// columns 16, 18, 20, 19, 21).
std::string forward(const std::string& name, const std::string& proto, const std::string& host_port,
                    const std::string& guest_ip, const std::string& host_ip = "") {
    return "      - name: " + name + "\n        proto: " + proto + "\n" +
           (host_ip.empty() ? "" : "        host_ip: " + host_ip + "\n") +
           "        host_port: " + host_port + "\n        guest_ip: " + guest_ip +
           "\n        guest_port: 22\n";
}

// An uplink `u` with the given lines (indented 4) under it.
std::string uplink(const std::string& body) { return "uplinks:\n  u:\n" + body; }

std::vector<BadCase> nat_bad_cases() {
    // 26 ports, 4 uplinks and 3 host interfaces: 33 DPDK ports, one too many.
    std::string ports_uplinks_and_host_ifaces = "uplinks:\n";
    for (int i = 0; i < 4; ++i)
        ports_uplinks_and_host_ifaces += "  u" + std::to_string(i) + ": {device: net_null" + std::to_string(i) +
                                         ", address: 203.0.11" + std::to_string(i) + ".10/24, gateway: 203.0.11" +
                                         std::to_string(i) + ".1}\n";
    ports_uplinks_and_host_ifaces += "networks:\n";
    for (int i = 0; i < 3; ++i)
        ports_uplinks_and_host_ifaces +=
            "  h" + std::to_string(i) + ": {mode: host-only, subnet: 192.168.5" + std::to_string(i) + ".0/24}\n";
    ports_uplinks_and_host_ifaces += "ports:\n";
    for (int i = 0; i < 26; ++i) ports_uplinks_and_host_ifaces += "  p" + std::to_string(i) + ": {network: h0}\n";

    std::string nine_uplinks = "uplinks:\n";
    for (int i = 0; i < 9; ++i)
        nine_uplinks += "  u" + std::to_string(i) + ": {device: d" + std::to_string(i) + ", address: 203.0.11" +
                        std::to_string(i) + ".10/24, gateway: 203.0.11" + std::to_string(i) + ".1}\n";

    return {
        {"TooManyUplinks", nine_uplinks, 10, 3, "uplinks.u8", "too many uplinks: at most 8 are supported"},
        // nat networks
        {"UnknownUplink",
         "uplinks:\n  wan: {device: d0, address: 203.0.113.10/24, gateway: 203.0.113.1}\n"
         "  lan: {device: d1, address: 198.51.100.10/24, gateway: 198.51.100.1}\n"
         "networks:\n  n: {mode: nat, subnet: 10.0.2.0/24, uplink: wna}\n",
         5, 47, "networks.n.uplink", "unknown uplink 'wna' (declared: lan, wan)"},
        {"UnknownUplinkNoneDeclared", "networks:\n  n: {mode: nat, subnet: 10.0.2.0/24, uplink: wan}\n", 2,
         47, "networks.n.uplink", "unknown uplink 'wan' (declared: none)"},
        {"DnsWithoutResolver",
         "uplinks:\n  wan: {device: d0, address: 203.0.113.10/24, gateway: 203.0.113.1}\n"
         "networks:\n  n:\n    mode: nat\n    subnet: 10.0.2.0/24\n    uplink: wan\n    dns: 10.0.2.3\n",
         8, 10, "networks.n.dns", "uplink 'wan' has none (set uplinks.wan.resolver)"},
        {"HostLoopbackOnADeviceUplinkWithoutHostLink", natnet("    host_loopback: true\n", "    host_link: false\n"),
         13, 20, "networks.n.host_loopback",
         "host_loopback reaches the host's 127.0.0.1 through a kernel uplink, and uplink 'wan' is a device with "
         "host_link: false"},
        {"HostLinkOnAKernelUplink",
         "uplinks:\n  k: {kernel: {name: vswk0, address: 203.0.113.1}, address: 203.0.113.10/24, host_link: false}\n",
         2, 78, "uplinks.k.host_link", "a kernel uplink reaches the host itself; host_link is for device uplinks"},
        {"HostLinkAddressNotASlash30", natnet("", "    host_link: {address: 169.254.7.1/24}\n"), 7, 26,
         "uplinks.wan.host_link.address", "'169.254.7.1/24' is not an address of a /30"},
        {"HostLinkAddressIsTheNetwork", natnet("", "    host_link: {address: 169.254.7.0/30}\n"), 7, 26,
         "uplinks.wan.host_link.address", "is the network address of 169.254.7.0/30"},
        {"HostLinkUnknownKey", natnet("", "    host_link: {nmae: x}\n"), 7, 17, "uplinks.wan.host_link.nmae",
         "unknown key 'nmae' (expected one of: name, address, netns)"},
        {"HostLinkNameOfAnUplink",
         "uplinks:\n  a: {device: d0, address: 203.0.113.10/24, gateway: 203.0.113.1}\n"
         "  a.host: {device: d1, address: 198.51.100.10/24, gateway: 198.51.100.1}\n",
         3, 3, "uplinks.a.host", "uplink name 'a.host' is the name of the host link of uplink 'a'"},
        {"HostLinkDefaultNameTaken",
         "uplinks:\n  k: {kernel: {name: vsh-wan, address: 198.51.100.1}, address: 198.51.100.10/24}\n"
         "  wan: {device: d0, address: 203.0.113.10/24, gateway: 203.0.113.1}\n",
         3, 3, "uplinks.wan",
         "host link interface name 'vsh-wan' is already used by uplink 'k' (it is the default: set "
         "uplinks.wan.host_link with another name and address, or false)"},
        {"HostLinkOverlapsAnUplink",
         "uplinks:\n  k: {kernel: {name: vswk0, address: 169.254.213.1}, address: 169.254.213.2/24}\n"
         "  wan: {device: d0, address: 203.0.113.10/24, gateway: 203.0.113.1}\n",
         3, 3, "uplinks.wan", "host link 169.254.213.0/30 overlaps the addresses of uplink 'k'"},
        {"TooManyUplinksWithHostLinks",
         "uplinks:\n  a: {device: d0, address: 203.0.113.10/24, gateway: 203.0.113.1}\n"
         "  b: {device: d1, address: 198.51.100.10/24, gateway: 198.51.100.1}\n"
         "  c: {device: d2, address: 192.0.2.10/24, gateway: 192.0.2.1}\n"
         "  d: {device: d3, address: 192.0.3.10/24, gateway: 192.0.3.1}\n"
         "  e: {device: d4, address: 192.0.4.10/24, gateway: 192.0.4.1}\n"
         "networks:\n  na: {mode: nat, uplink: a}\n  nb: {mode: nat, uplink: b, subnet: 10.0.3.0/24}\n"
         "  nc: {mode: nat, uplink: c, subnet: 10.0.4.0/24}\n  nd: {mode: nat, uplink: d, subnet: 10.0.5.0/24}\n"
         "  ne: {mode: nat, uplink: e, subnet: 10.0.6.0/24}\n",
         2, 3, "uplinks.a", "too many uplinks: 10 with the host links of device uplinks, and at most 8"},
        {"HostUplinkUnknown", natnet("    host_uplink: lan\n"), 12, 18, "networks.n.host_uplink",
         "unknown uplink 'lan'"},
        {"HostUplinkIsADevice",
         natnet("    host_uplink: wan2\n", "  wan2: {device: net_tap1, address: 198.51.100.10/24, gateway: 198.51.100.1}\n"),
         13, 18, "networks.n.host_uplink", "host_uplink 'wan2' is a device uplink; it must be a kernel one"},
        {"DnsOutsideSubnet", natnet("    dns: 10.0.3.3\n"), 12, 10, "networks.n.dns",
         "dns 10.0.3.3 is not inside subnet 10.0.2.0/24"},
        {"GatewayIsBroadcast", natnet("    gateway: 10.0.2.255\n"), 12, 14, "networks.n.gateway",
         "gateway 10.0.2.255 is the broadcast address of 10.0.2.0/24"},
        {"NatSubnetContainsUplinkAddress",
         "uplinks:\n  wan: {device: d0, address: 10.0.2.200/16, gateway: 10.0.0.1}\n"
         "networks:\n  n:\n    mode: nat\n    subnet: 10.0.2.0/24\n    uplink: wan\n",
         6, 13, "networks.n.subnet",
         "subnet 10.0.2.0/24 contains the address 10.0.2.200 of uplink 'wan'"},
        {"NatSubnetOverlapsHostOnly",
         "uplinks:\n  wan: {device: d0, address: 203.0.113.10/24, gateway: 203.0.113.1}\n"
         "networks:\n  h: {mode: host-only, subnet: 10.0.0.0/16}\n"
         "  n: {mode: nat, subnet: 10.0.2.0/24, uplink: wan}\n",
         5, 26, "networks.n.subnet", "subnet 10.0.2.0/24 overlaps subnet 10.0.0.0/16 of host-only network 'h'"},
        {"HostOnlySubnetOverlapsNat", natnet("  h: {mode: host-only, subnet: 10.0.0.0/16}\n"), 12, 32,
         "networks.h.subnet", "subnet 10.0.0.0/16 overlaps subnet 10.0.2.0/24 of nat network 'n'"},
        {"NatKeyOnHostOnly", hostonly("    gateway: 192.168.56.1\n"), 5, 5, "networks.h.gateway",
         "gateway is only allowed on nat networks"},
        {"HostInterfaceOnNat", natnet("    host_interface: {name: n0}\n"), 12, 5, "networks.n.host_interface",
         "host_interface is only allowed on host-only networks"},
        {"UnknownNatKey", natnet("    max_session: 10\n"), 12, 5, "networks.n.max_session",
         "unknown key 'max_session' (expected one of: mode, subnet, subnet6, gateway, dns, dhcp, uplink, "
         "port_forwards, timeouts, max_sessions, max_sessions_per_guest, host_loopback, host_uplink, max_macs)"},
        {"BadTimeout", natnet("    timeouts: {udp: 0}\n"), 12, 21, "networks.n.timeouts.udp",
         "0 is out of range (1..604800 seconds)"},
        {"TimeoutTooLong", natnet("    timeouts:\n      tcp_established: 604801\n"), 13, 24,
         "networks.n.timeouts.tcp_established", "604801 is out of range"},
        {"UnknownTimeout", natnet("    timeouts: {tcp: 60}\n"), 12, 16, "networks.n.timeouts.tcp",
         "unknown key 'tcp' (expected one of: tcp_established, tcp_transitory, udp, icmp)"},
        {"MaxSessionsZero", natnet("    max_sessions: 0\n"), 12, 19, "networks.n.max_sessions",
         "0 is out of range (1..4194304 sessions)"},
        {"MaxSessionsTooMany", natnet("    max_sessions: 4194305\n"), 12, 19, "networks.n.max_sessions",
         "4194305 is out of range"},

        // DHCP on nat networks
        {"DhcpRangeIncludesGateway", natnet("    gateway: 10.0.2.2\n    dhcp: {range: 10.0.2.2-10.0.2.100}\n"),
         13, 19, "networks.n.dhcp.range", "range 10.0.2.2-10.0.2.100 includes the gateway address 10.0.2.2"},
        {"DhcpRangeIncludesDns", natnet("    dns: 10.0.2.3\n    dhcp: {range: 10.0.2.3-10.0.2.100}\n"), 13, 19,
         "networks.n.dhcp.range", "includes the dns address 10.0.2.3"},
        {"DhcpStaticIsGateway",
         natnet("    dhcp:\n      server: 10.0.2.10\n      static: [{mac: \"52:54:00:00:00:01\", ip: 10.0.2.2}]\n"),
         14, 47,
         "networks.n.dhcp.static[0].ip", "IP 10.0.2.2 is the gateway address"},
        {"DhcpNoDefaultRangeLeft", natnet("    gateway: 10.0.2.254\n    dhcp: true\n"), 13, 5,
         "networks.n.dhcp", "no addresses left for a default range after server 10.0.2.254"},

        // port forwards
        {"GuestIpOutsideSubnet", natnet("    port_forwards:\n" + forward("ssh", "tcp", "2222", "10.0.3.15")), 16,
         19, "networks.n.port_forwards[0].guest_ip", "guest_ip 10.0.3.15 is not inside subnet 10.0.2.0/24"},
        {"GuestIpIsGateway", natnet("    port_forwards:\n" + forward("ssh", "tcp", "2222", "10.0.2.2")), 16, 19,
         "networks.n.port_forwards[0].guest_ip", "guest_ip 10.0.2.2 is the gateway address"},
        {"GuestIpIsDns",
         natnet("    dns: 10.0.2.3\n    port_forwards:\n" + forward("ssh", "tcp", "2222", "10.0.2.3")), 17, 19,
         "networks.n.port_forwards[0].guest_ip", "guest_ip 10.0.2.3 is the dns address"},
        {"GuestIpIsNetworkAddress", natnet("    port_forwards:\n" + forward("ssh", "tcp", "2222", "10.0.2.0")),
         16, 19, "networks.n.port_forwards[0].guest_ip", "is the network address of 10.0.2.0/24"},
        {"DuplicateForwardName",
         natnet("    port_forwards:\n" + forward("ssh", "tcp", "2222", "10.0.2.15") +
                forward("ssh", "tcp", "2223", "10.0.2.16")),
         18, 15, "networks.n.port_forwards[1].name", "port forward name 'ssh' is already used in network 'n'"},
        {"BadForwardName", natnet("    port_forwards:\n" + forward("s/h", "tcp", "2222", "10.0.2.15")), 13, 15,
         "networks.n.port_forwards[0].name", "'s/h' is not a valid port forward name"},
        {"SameHostPortInOneNetwork",
         natnet("    port_forwards:\n" + forward("a", "udp", "53", "10.0.2.15") +
                forward("b", "udp", "53", "10.0.2.16")),
         20, 20, "networks.n.port_forwards[1].host_port", "host_port 53/udp is already forwarded by n.a"},
        {"SameHostPortAcrossNetworks",
         natnet("    port_forwards:\n" + forward("ssh", "tcp", "2222", "10.0.2.15") +
                "  m:\n    mode: nat\n    subnet: 10.0.2.0/24\n    uplink: wan\n    port_forwards:\n" +
                forward("ssh2", "tcp", "2222", "10.0.2.15")),
         25, 20, "networks.m.port_forwards[0].host_port", "host_port 2222/tcp is already forwarded by n.ssh"},
        {"BadProto", natnet("    port_forwards:\n" + forward("ssh", "sctp", "2222", "10.0.2.15")), 14, 16,
         "networks.n.port_forwards[0].proto", "'sctp' is not a protocol (expected one of: tcp, udp)"},
        {"HostPortZero", natnet("    port_forwards:\n" + forward("ssh", "tcp", "0", "10.0.2.15")), 15, 20,
         "networks.n.port_forwards[0].host_port", "0 is out of range (1..65535)"},
        {"GuestPortTooLarge",
         natnet("    port_forwards:\n      - {name: a, proto: tcp, host_port: 1, guest_ip: 10.0.2.9, "
                "guest_port: 65536}\n"),
         13, 77, "networks.n.port_forwards[0].guest_port", "65536 is out of range (1..65535)"},
        {"HostIpNotUplinkAddress",
         natnet("    port_forwards:\n" + forward("web", "tcp", "8080", "10.0.2.15", "203.0.113.11")), 15, 18,
         "networks.n.port_forwards[0].host_ip",
         "host_ip 203.0.113.11 is not the address 203.0.113.10 of uplink 'wan', the only outside address "
         "vsw owns"},
        {"ForwardWithoutGuestIpOrDhcp",
         natnet("    dhcp: false\n    port_forwards:\n      - {name: a, proto: tcp, host_port: 1, guest_port: 1}\n"),
         8, 3, "networks.n", "port forward 'a' has no guest_ip: that means the first address"},
        {"ForwardsNotAList", natnet("    port_forwards: {name: a}\n"), 12, 20, "networks.n.port_forwards",
         "expected a list"},

        // uplinks
        {"BothDeviceAndKernel",
         uplink("    device: net_tap0\n    kernel: {name: wan0, address: 203.0.113.1}\n"
                "    address: 203.0.113.10/24\n"),
         4, 5, "uplinks.u.kernel", "either a device or a kernel interface, not both"},
        {"NeitherDeviceNorKernel", uplink("    address: 203.0.113.10/24\n    gateway: 203.0.113.1\n"), 2, 3,
         "uplinks.u", "missing 'device' (a DPDK device) or 'kernel' (a TAP interface)"},
        {"UplinkWithoutAddress", uplink("    device: net_tap0\n    gateway: 203.0.113.1\n"), 2, 3,
         "uplinks.u.address", "missing required key 'address'"},
        {"AddressWithoutPrefix", uplink("    device: net_tap0\n    address: 203.0.113.10\n"), 4, 14,
         "uplinks.u.address", "203.0.113.10 has no prefix length (write it like 203.0.113.10/24)"},
        {"BadAddress", uplink("    device: net_tap0\n    address: 203.0.113/24\n"), 4, 14, "uplinks.u.address",
         "203.0.113/24 is not an IPv4 address with a prefix length"},
        {"AddressPrefixTooLong", uplink("    device: net_tap0\n    address: 203.0.113.10/31\n"), 4, 14,
         "uplinks.u.address", "prefix length /31 of 203.0.113.10/31 is not supported (use /8 to /30)"},
        {"AddressIsNetworkAddress", uplink("    device: net_tap0\n    address: 203.0.113.0/24\n"), 4, 14,
         "uplinks.u.address", "address 203.0.113.0 is the network address of 203.0.113.0/24"},
        {"DeviceUplinkWithoutGateway", uplink("    device: net_tap0\n    address: 203.0.113.10/24\n"), 2, 3,
         "uplinks.u.gateway", "missing required key 'gateway'"},
        {"GatewayOutsidePrefix",
         uplink("    device: net_tap0\n    address: 203.0.113.10/24\n    gateway: 198.51.100.1\n"), 5, 14,
         "uplinks.u.gateway", "gateway 198.51.100.1 is not inside subnet 203.0.113.0/24"},
        {"GatewayIsAddress",
         uplink("    device: net_tap0\n    address: 203.0.113.10/24\n    gateway: 203.0.113.10\n"), 5, 14,
         "uplinks.u.gateway", "gateway 203.0.113.10 is the uplink's own address"},
        {"DeviceWithSpace",
         uplink("    device: \"net_af_xdp0, iface=eth1\"\n    address: 203.0.113.10/24\n"
                "    gateway: 203.0.113.1\n"),
         3, 13, "uplinks.u.device", "'net_af_xdp0, iface=eth1' is not a DPDK device string"},
        {"EmptyDevice", uplink("    device: \"\"\n    address: 203.0.113.10/24\n    gateway: 203.0.113.1\n"), 3,
         13, "uplinks.u.device", "the device string is empty"},
        {"KernelWithoutAddress", uplink("    kernel: {name: wan0}\n    address: 203.0.113.10/24\n"), 3, 5,
         "uplinks.u.kernel.address", "missing required key 'address'"},
        {"KernelAddressOutsidePrefix",
         uplink("    kernel: {name: wan0, address: 198.51.100.1}\n    address: 203.0.113.10/24\n"), 3, 35,
         "uplinks.u.kernel.address", "address 198.51.100.1 is not inside subnet 203.0.113.0/24"},
        {"KernelAddressIsUplinkAddress",
         uplink("    kernel: {name: wan0, address: 203.0.113.10}\n    address: 203.0.113.10/24\n"), 3, 35,
         "uplinks.u.kernel.address", "is the uplink's own address"},
        {"KernelNameTooLong",
         uplink("    kernel: {name: vswwan0123456789, address: 203.0.113.1}\n    address: 203.0.113.10/24\n"), 3,
         20, "uplinks.u.kernel.name", "'vswwan0123456789' is not a valid interface name"},
        {"BadPortsRange",
         uplink("    device: d0\n    address: 203.0.113.10/24\n    gateway: 203.0.113.1\n"
                "    ports: 1024-70000\n"),
         6, 12, "uplinks.u.ports", "port 70000 in 1024-70000 is out of range (1..65535)"},
        {"PortsNotARange",
         uplink("    device: d0\n    address: 203.0.113.10/24\n    gateway: 203.0.113.1\n    ports: 1024\n"), 6,
         12, "uplinks.u.ports", "'1024' is not a port range (expected first-last, like 1024-65535)"},
        {"PortsReversed",
         uplink("    device: d0\n    address: 203.0.113.10/24\n    gateway: 203.0.113.1\n    ports: 9000-8000\n"),
         6, 12, "uplinks.u.ports", "range 9000-8000 is reversed"},
        {"PortRangeTooSmall",
         uplink("    device: d0\n    address: 203.0.113.10/24\n    gateway: 203.0.113.1\n    ports: 1024-1086\n"),
         6, 12, "uplinks.u.ports", "range 1024-1086 has 63 ports; at least 64 are needed"},
        {"UnknownUplinkKey", uplink("    device: d0\n    adress: 203.0.113.10/24\n"), 4, 5, "uplinks.u.adress",
         "unknown key 'adress' (expected one of: device, kernel, address, gateway, resolver, ports, host_link, address6, "
         "gateway6, resolver6, mtu)"},
        {"BadUplinkName", "uplinks:\n  w/1: {device: d0, address: 203.0.113.10/24, gateway: 203.0.113.1}\n", 2,
         3, "uplinks.w/1", "is not a valid uplink name"},
        {"BadResolver", natnet("", "    resolver2: 1.1.1.1\n"), 7, 5, "uplinks.wan.resolver2", "unknown key"},

        // whole file
        {"DuplicateUplinkAddress",
         "uplinks:\n  a: {device: d0, address: 203.0.113.10/24, gateway: 203.0.113.1}\n"
         "  b: {device: d1, address: 203.0.113.10/24, gateway: 203.0.113.1}\n",
         3, 28, "uplinks.b.address", "address 203.0.113.10 is already used by uplink 'a'"},
        {"DuplicateUplinkDevice",
         "uplinks:\n  a: {device: d0, address: 203.0.113.10/24, gateway: 203.0.113.1}\n"
         "  b: {device: d0, address: 203.0.113.11/24, gateway: 203.0.113.1}\n",
         3, 15, "uplinks.b.device", "device 'd0' is already used by uplink 'a'"},
        {"DuplicateKernelName",
         "uplinks:\n  a: {kernel: {name: wan0, address: 203.0.113.1}, address: 203.0.113.10/24}\n"
         "  b: {kernel: {name: wan0, address: 198.51.100.1}, address: 198.51.100.10/24}\n",
         3, 22, "uplinks.b.kernel.name", "interface name 'wan0' is already used by uplink 'a'"},
        {"KernelNameClashesHostInterface",
         "uplinks:\n  wan: {kernel: {name: vswhost0, address: 203.0.113.1}, address: 203.0.113.10/24}\n" +
             hostonly("    host_interface: {name: vswhost0}\n"),
         7, 28, "networks.h.host_interface.name",
         "host interface name 'vswhost0' is already used by uplink 'wan'"},
        {"KernelNameClashesDefaultHostInterface",
         "uplinks:\n  wan: {kernel: {name: vsw-h, address: 203.0.113.1}, address: 203.0.113.10/24}\n" +
             hostonly(""),
         4, 3, "networks.h", "is already used by uplink 'wan' (it is the default name here; set host_interface.name)"},
        // Four networks of 4 Mi sessions: the NAT tables alone need ~700 MB.
        {"NatTablesNeedMoreMemory",
         "switch: {memory_mb: 512}\n"
         "uplinks: {wan: {device: net_null0, address: 203.0.113.10/24, gateway: 203.0.113.1}}\n"
         "networks:\n"
         "  a: {mode: nat, subnet: 10.0.2.0/24, uplink: wan, max_sessions: 4194304}\n"
         "  b: {mode: nat, subnet: 10.0.3.0/24, uplink: wan, max_sessions: 4194304}\n",
         1, 21, "switch.memory_mb", "needs about 857 MB of DPDK memory (NAT tables for 4194304 sessions per worker"},
        {"NatTablesNeedMoreMemoryDefault",
         "uplinks: {wan: {device: net_null0, address: 203.0.113.10/24, gateway: 203.0.113.1}}\n"
         "networks:\n"
         "  a: {mode: nat, subnet: 10.0.2.0/24, uplink: wan, max_sessions: 3000000}\n",
         0, 0, "switch.memory_mb", "but memory_mb is 512: raise switch.memory_mb or lower the networks' max_sessions"},
        {"TooManyPortsWithUplinksAndHostInterfaces", ports_uplinks_and_host_ifaces, 36, 3, "ports.p25",
         "and 4 uplink(s) and 3 host interface(s) leave 25 for ports"},
    };
}

}  // namespace

INSTANTIATE_TEST_SUITE_P(Nat, ConfigBad, ::testing::ValuesIn(nat_bad_cases()),
                         [](const auto& info) { return info.param.name; });

TEST(ConfigExamples, Nat) {
#ifndef VSW_SOURCE_DIR
    GTEST_SKIP() << "VSW_SOURCE_DIR is not defined";
#else
    auto c = load_config_file(std::string(VSW_SOURCE_DIR) + "/config/nat.yaml");
    ASSERT_TRUE(c) << c.error().to_string();
    const UplinkConfig& wan = c->uplinks.at("wan");
    ASSERT_TRUE(wan.kernel);
    EXPECT_EQ(wan.kernel->name, "vswwan0");
    EXPECT_EQ(wan.kernel->address, ip("203.0.113.1"));
    EXPECT_EQ(wan.address, ip("203.0.113.10"));
    EXPECT_EQ(wan.prefix_len, 24);
    EXPECT_EQ(wan.gateway, ip("203.0.113.1"));
    EXPECT_EQ(*wan.resolver, ip("203.0.113.53"));
    const NetworkConfig& n = c->networks.at("natnet0");
    ASSERT_TRUE(n.nat);
    EXPECT_EQ(n.nat->gateway, ip("10.0.2.2"));
    EXPECT_EQ(*n.nat->dns, ip("10.0.2.3"));
    EXPECT_EQ(n.dhcp->server, ip("10.0.2.2"));
    EXPECT_EQ(n.dhcp->range_first, ip("10.0.2.15"));
    EXPECT_EQ(n.dhcp->range_last, ip("10.0.2.254"));
    EXPECT_EQ(n.dhcp->dns, std::vector<Ipv4>{ip("10.0.2.3")});
    ASSERT_EQ(n.nat->port_forwards.size(), 1u);
    EXPECT_EQ(n.nat->port_forwards[0].host_port, 2222);
    EXPECT_EQ(n.nat->port_forwards[0].guest_ip, ip("10.0.2.15"));
    EXPECT_EQ(n.nat->port_forwards[0].guest_port, 22);
    EXPECT_EQ(c->ports.at("vm1-eth0").network, "natnet0");
#endif
}

TEST(ConfigExamples, NatTwoNetworks) {
#ifndef VSW_SOURCE_DIR
    GTEST_SKIP() << "VSW_SOURCE_DIR is not defined";
#else
    auto c = load_config_file(std::string(VSW_SOURCE_DIR) + "/config/nat-two-networks.yaml");
    ASSERT_TRUE(c) << c.error().to_string();
    EXPECT_EQ(c->uplinks.at("wan").device, "net_af_xdp0,iface=eth1");
    const NetworkConfig& n1 = c->networks.at("natnet1");
    const NetworkConfig& n2 = c->networks.at("natnet2");
    EXPECT_EQ(n1.subnet, n2.subnet);
    EXPECT_EQ(n1.nat->uplink, "wan");
    EXPECT_EQ(n2.nat->uplink, "wan");
    EXPECT_EQ(c->networks.at("hostonly0").mode, NetworkMode::host_only);
    EXPECT_EQ(c->ports.size(), 4u);
#endif
}
