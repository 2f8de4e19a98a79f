#include <gtest/gtest.h>

#include <cstdio>
#include <string>
#include <unistd.h>
#include <vector>

#include "config_test_support.hpp"

using namespace vsw;

namespace {

// The full example from the schema.
const char* kFullExample = R"(switch:
  cores: [1, 3]
  hugepages: off
  run_dir: /run/vsw-test
  state_dir: /var/lib/vsw-test
  log_level: debug
  file_prefix: vsw_1
  mac_aging: 120
  memory_mb: 1024
networks:
  hostonly0:
    mode: host-only
    subnet: 192.168.56.0/24
    host_interface: {name: vswhost0, address: 192.168.56.1}
    dhcp:
      server: 192.168.56.100
      range: 192.168.56.101-192.168.56.254
      lease: 900
      dns: [192.168.56.1, 9.9.9.9]
      domain: example.lan
      static: [{mac: "52:54:00:00:00:05", ip: 192.168.56.5}]
  lab:
    mode: internal
ports:
  vm1-eth0: {network: hostonly0}
  vm2-eth0: {network: hostonly0, socket: /tmp/vm2.sock, client: true, queues: 2}
  vm3-eth0: {network: lab, mac: "52:54:00:00:00:33"}
)";

}  // namespace

TEST(ConfigGood, FullExample) {
    Config c = load_ok(kFullExample);
    EXPECT_EQ(c.source_file, "test.yaml");

    const SwitchConfig& sw = c.switch_config;
    EXPECT_EQ(sw.cores, (std::vector<unsigned>{1, 3}));
    EXPECT_EQ(sw.hugepages, Hugepages::off);
    EXPECT_EQ(sw.run_dir, "/run/vsw-test");
    EXPECT_EQ(sw.state_dir, "/var/lib/vsw-test");
    EXPECT_EQ(sw.log_level, "debug");
    EXPECT_EQ(sw.file_prefix, "vsw_1");
    EXPECT_EQ(sw.mac_aging, 120u);
    EXPECT_EQ(sw.memory_mb, 1024u);

    ASSERT_EQ(c.networks.size(), 2u);
    const NetworkConfig& h = c.networks.at("hostonly0");
    EXPECT_EQ(h.name, "hostonly0");
    EXPECT_EQ(h.line.value, 11);
    EXPECT_EQ(h.mode, NetworkMode::host_only);
    ASSERT_TRUE(h.subnet);
    EXPECT_EQ(h.subnet->to_string(), "192.168.56.0/24");
    ASSERT_TRUE(h.host_interface);
    EXPECT_EQ(h.host_interface->name, "vswhost0");
    EXPECT_EQ(h.host_interface->address, ip("192.168.56.1"));
    ASSERT_TRUE(h.dhcp);
    EXPECT_EQ(h.dhcp->server, ip("192.168.56.100"));
    EXPECT_EQ(h.dhcp->range_first, ip("192.168.56.101"));
    EXPECT_EQ(h.dhcp->range_last, ip("192.168.56.254"));
    EXPECT_EQ(h.dhcp->lease_seconds, 900u);
    EXPECT_EQ(h.dhcp->dns, (std::vector<Ipv4>{ip("192.168.56.1"), ip("9.9.9.9")}));
    EXPECT_EQ(h.dhcp->domain, "example.lan");
    ASSERT_EQ(h.dhcp->statics.size(), 1u);
    EXPECT_EQ(h.dhcp->statics[0].mac, mac("52:54:00:00:00:05"));
    EXPECT_EQ(h.dhcp->statics[0].ip, ip("192.168.56.5"));
    EXPECT_FALSE(h.dhcp->router);

    const NetworkConfig& lab = c.networks.at("lab");
    EXPECT_EQ(lab.mode, NetworkMode::internal);
    EXPECT_EQ(lab.line.value, 22);
    EXPECT_FALSE(lab.subnet);
    EXPECT_FALSE(lab.host_interface);
    EXPECT_FALSE(lab.dhcp);

    ASSERT_EQ(c.ports.size(), 3u);
    const PortConfig& p1 = c.ports.at("vm1-eth0");
    EXPECT_EQ(p1.name, "vm1-eth0");
    EXPECT_EQ(p1.network, "hostonly0");
    EXPECT_EQ(p1.socket, "/run/vsw-test/vm1-eth0.sock");
    EXPECT_FALSE(p1.client);
    EXPECT_EQ(p1.queues, 1);
    EXPECT_FALSE(p1.mac);
    EXPECT_EQ(p1.line.value, 25);
    const PortConfig& p2 = c.ports.at("vm2-eth0");
    EXPECT_EQ(p2.socket, "/tmp/vm2.sock");
    EXPECT_TRUE(p2.client);
    EXPECT_EQ(p2.queues, 2);
    const PortConfig& p3 = c.ports.at("vm3-eth0");
    EXPECT_EQ(p3.network, "lab");
    EXPECT_EQ(p3.socket, "/run/vsw-test/vm3-eth0.sock");
    ASSERT_TRUE(p3.mac);
    EXPECT_EQ(*p3.mac, mac("52:54:00:00:00:33"));
}

TEST(ConfigGood, Defaults) {
    Config c = load_ok(R"(networks:
  host-only-network-1:
    mode: host-only
    subnet: 192.168.56.0/24
    dhcp: {}
  small:
    mode: host-only
    subnet: 10.1.2.32/27
    dhcp: true
  nodhcp:
    mode: host-only
    subnet: 10.9.0.0/16
    host_interface: {name: nd0}
    dhcp: false
ports:
  p: {network: small}
)");
    const NetworkConfig& n = c.networks.at("host-only-network-1");
    ASSERT_TRUE(n.host_interface);
    EXPECT_EQ(n.host_interface->name, "vsw-host-only-n");  // truncated to 15 characters
    EXPECT_EQ(n.host_interface->address, ip("192.168.56.1"));
    ASSERT_TRUE(n.dhcp);
    EXPECT_EQ(n.dhcp->server, ip("192.168.56.100"));
    EXPECT_EQ(n.dhcp->range_first, ip("192.168.56.101"));
    EXPECT_EQ(n.dhcp->range_last, ip("192.168.56.254"));
    EXPECT_EQ(n.dhcp->lease_seconds, 600u);
    EXPECT_TRUE(n.dhcp->dns.empty());
    EXPECT_TRUE(n.dhcp->domain.empty());
    EXPECT_TRUE(n.dhcp->statics.empty());
    EXPECT_FALSE(n.dhcp->router);

    // Fewer than 101 hosts: the server is the second host address.
    const NetworkConfig& s = c.networks.at("small");
    EXPECT_EQ(s.host_interface->name, "vsw-small");
    EXPECT_EQ(s.host_interface->address, ip("10.1.2.33"));
    ASSERT_TRUE(s.dhcp);
    EXPECT_EQ(s.dhcp->server, ip("10.1.2.34"));
    EXPECT_EQ(s.dhcp->range_first, ip("10.1.2.35"));
    EXPECT_EQ(s.dhcp->range_last, ip("10.1.2.62"));

    const NetworkConfig& nd = c.networks.at("nodhcp");
    EXPECT_EQ(nd.host_interface->name, "nd0");
    EXPECT_EQ(nd.host_interface->address, ip("10.9.0.1"));
    EXPECT_FALSE(nd.dhcp);

    const SwitchConfig def;
    EXPECT_EQ(c.switch_config.cores, def.cores);
    EXPECT_EQ(c.ports.at("p").socket, "/run/vsw/p.sock");
}

// Who may open a port's socket: the port's own group and mode win over the
// switch's; a group alone means 0660; nothing at all leaves DPDK's (root's).
TEST(ConfigGood, SocketAccess) {
    auto c = load_config_string(
        "switch: {socket_group: root}\n"
        "networks: {n: {mode: internal}}\n"
        "ports:\n"
        "  a: {network: n}\n"
        "  b: {network: n, socket_group: daemon, socket_mode: 0666}\n"
        "  c: {network: n, socket_mode: \"600\"}\n",
        "s.yaml");
    ASSERT_TRUE(c) << c.error().to_string();
    const SwitchConfig& sw = c->switch_config;
    EXPECT_EQ(socket_access(sw, c->ports.at("a")).group, "root");
    EXPECT_EQ(socket_access(sw, c->ports.at("a")).mode, 0660u);
    EXPECT_EQ(socket_access(sw, c->ports.at("b")).group, "daemon");
    EXPECT_EQ(socket_access(sw, c->ports.at("b")).mode, 0666u);
    EXPECT_EQ(socket_access(sw, c->ports.at("c")).group, "root");
    EXPECT_EQ(socket_access(sw, c->ports.at("c")).mode, 0600u);
    const SocketAccess none = socket_access(SwitchConfig{}, c->ports.at("a"));
    EXPECT_TRUE(none.group.empty());
    EXPECT_FALSE(none.mode);
}

TEST(ConfigGood, EmptyDocuments) {
    for (const char* text : {"", "\n", "# only a comment\n", "---\n", "switch:\nnetworks:\nports:\n",
                             "switch: {}\nnetworks: {}\nports: {}\n"}) {
        auto c = load_config_string(text, "empty.yaml");
        ASSERT_TRUE(c) << text << ": " << c.error().to_string();
        EXPECT_EQ(c->switch_config.cores, std::vector<unsigned>{1});
        EXPECT_EQ(c->switch_config.hugepages, Hugepages::automatic);
        EXPECT_EQ(c->switch_config.run_dir, "/run/vsw");
        EXPECT_EQ(c->switch_config.state_dir, "/var/lib/vsw");
        EXPECT_EQ(c->switch_config.log_level, "info");
        EXPECT_EQ(c->switch_config.file_prefix, "vsw");
        EXPECT_EQ(c->switch_config.mac_aging, 300u);
        EXPECT_EQ(c->switch_config.memory_mb, 512u);
        EXPECT_TRUE(c->networks.empty());
        EXPECT_TRUE(c->ports.empty());
    }
}

TEST(ConfigGood, InternalNetworks) {
    Config c = load_ok(R"(networks:
  lab:
    mode: internal
  lab2:
    mode: internal
    subnet: 10.10.0.0/24
    dhcp:
      server: 10.10.0.1
      static:
        - {mac: "52:54:00:00:00:01", ip: 10.10.0.200}   # inside the pool is fine
        - {mac: "52:54:00:00:00:02", ip: 10.10.0.3}
  # internal subnets may overlap host-only ones and each other
  lab3: {mode: internal, subnet: 10.10.0.0/16}
ports:
  a: {network: lab}
  b: {network: lab2, client: false}
)");
    EXPECT_FALSE(c.networks.at("lab").subnet);
    EXPECT_FALSE(c.networks.at("lab").dhcp);
    const NetworkConfig& lab2 = c.networks.at("lab2");
    EXPECT_FALSE(lab2.host_interface);
    ASSERT_TRUE(lab2.dhcp);
    EXPECT_EQ(lab2.dhcp->server, ip("10.10.0.1"));
    EXPECT_EQ(lab2.dhcp->range_first, ip("10.10.0.2"));
    EXPECT_EQ(lab2.dhcp->range_last, ip("10.10.0.254"));
    EXPECT_EQ(lab2.dhcp->statics.size(), 2u);
}

TEST(ConfigGood, ThirtyPortsAreAllowed) {
    std::string yaml = "networks: {n: {mode: internal}}\nports:\n";
    for (int i = 0; i < 30; ++i) yaml += "  p" + std::to_string(i) + ": {network: n}\n";
    EXPECT_EQ(load_ok(yaml).ports.size(), 30u);
}

// ---- bad input ----------------------------------------------------------------

namespace {


std::vector<BadCase> bad_cases() {
    std::string thirty_three_ports = "networks: {n: {mode: internal}}\nports:\n";
    for (int i = 0; i < 33; ++i) thirty_three_ports += "  p" + std::to_string(i) + ": {network: n}\n";

    return {
        // addresses and subnets
        {"BadIpv4InRange", hostonly("    dhcp:\n      range: 192.168.56.101-192.168.56.300\n"), 6, 14,
         "networks.h.dhcp.range", "192.168.56.300 is not an IPv4 address"},
        {"BadIpv4Server", hostonly("    dhcp: {server: 192.168.56}\n"), 5, 20, "networks.h.dhcp.server",
         "192.168.56 is not an IPv4 address"},
        {"BadCidr", "networks:\n  h:\n    mode: host-only\n    subnet: 192.168.56.0\n", 4, 13,
         "networks.h.subnet", "192.168.56.0 is not a subnet in CIDR notation"},
        {"PrefixTooLong", "networks:\n  h:\n    mode: host-only\n    subnet: 192.168.56.0/31\n", 4, 13,
         "networks.h.subnet", "/31"},
        {"NotNetworkAddress", "networks:\n  h:\n    mode: host-only\n    subnet: 192.168.56.5/24\n", 4,
         13, "networks.h.subnet",
         "192.168.56.5/24 is not a network address (did you mean 192.168.56.0/24?)"},
        {"RangeOutsideSubnet", hostonly("    dhcp:\n      range: 192.168.56.101-192.168.57.9\n"), 6, 14,
         "networks.h.dhcp.range",
         "range 192.168.56.101-192.168.57.9 is not inside subnet 192.168.56.0/24"},
        {"RangeReversed", hostonly("    dhcp:\n      range: 192.168.56.200-192.168.56.150\n"), 6, 14,
         "networks.h.dhcp.range", "is reversed"},
        {"RangeIncludesServer",
         hostonly("    dhcp:\n      server: 192.168.56.150\n      range: 192.168.56.101-192.168.56.254\n"),
         7, 14, "networks.h.dhcp.range", "includes the server address 192.168.56.150"},
        {"RangeIncludesDefaultServer", hostonly("    dhcp:\n      range: 192.168.56.2-192.168.56.200\n"),
         6, 14, "networks.h.dhcp.range", "includes the default server address 192.168.56.100"},
        {"RangeIncludesBroadcast", hostonly("    dhcp:\n      range: 192.168.56.101-192.168.56.255\n"), 6,
         14, "networks.h.dhcp.range", "includes the broadcast address 192.168.56.255"},
        {"RangeIncludesHostAddress", hostonly("    dhcp:\n      range: 192.168.56.1-192.168.56.50\n"), 6,
         14, "networks.h.dhcp.range", "includes the host interface address 192.168.56.1"},
        {"DefaultRangeIncludesHostAddress",
         hostonly("    host_interface: {address: 192.168.56.200}\n    dhcp: {}\n"), 6, 5, "networks.h.dhcp",
         "default range 192.168.56.101-192.168.56.254 includes the host interface address"},
        {"RangeTooLarge",
         "networks:\n  h:\n    mode: host-only\n    subnet: 10.0.0.0/8\n"
         "    dhcp: {server: 10.0.0.2, range: 10.0.0.3-10.255.255.254}\n",
         5, 37, "networks.h.dhcp.range", "at most 65536"},
        {"ServerOutsideSubnet", hostonly("    dhcp: {server: 10.0.0.1}\n"), 5, 20,
         "networks.h.dhcp.server", "server 10.0.0.1 is not inside subnet 192.168.56.0/24"},
        {"ServerIsHostAddress", hostonly("    dhcp: {server: 192.168.56.1}\n"), 5, 20,
         "networks.h.dhcp.server", "is the host interface address"},
        {"HostAddressOutsideSubnet", hostonly("    host_interface: {name: h0, address: 10.0.0.1}\n"), 5,
         41, "networks.h.host_interface.address", "address 10.0.0.1 is not inside subnet"},
        {"HostAddressIsBroadcast", hostonly("    host_interface:\n      address: 192.168.56.255\n"), 6,
         16, "networks.h.host_interface.address", "is the broadcast address"},
        {"StaticIpOutsideSubnet",
         hostonly("    dhcp:\n      static:\n        - {mac: \"52:54:00:00:00:01\", ip: 10.1.1.1}\n"), 7,
         42, "networks.h.dhcp.static[0].ip", "IP 10.1.1.1 is not inside subnet 192.168.56.0/24"},
        {"StaticIpIsServer",
         hostonly("    dhcp:\n      static:\n        - {mac: \"52:54:00:00:00:01\", ip: 192.168.56.100}\n"),
         7, 42, "networks.h.dhcp.static[0].ip", "is the DHCP server address"},
        {"DuplicateStaticMac",
         hostonly("    dhcp:\n      static:\n"
                  "        - {mac: \"52:54:00:00:00:01\", ip: 192.168.56.5}\n"
                  "        - {mac: \"52:54:00:00:00:01\", ip: 192.168.56.6}\n"),
         8, 17, "networks.h.dhcp.static[1].mac", "MAC 52:54:00:00:00:01 already has a static lease"},
        {"DuplicateStaticIp",
         hostonly("    dhcp:\n      static:\n"
                  "        - {mac: \"52:54:00:00:00:01\", ip: 192.168.56.5}\n"
                  "        - {mac: \"52:54:00:00:00:02\", ip: 192.168.56.5}\n"),
         8, 42, "networks.h.dhcp.static[1].ip", "IP 192.168.56.5 is already given to"},
        {"StaticMissingIp", hostonly("    dhcp:\n      static:\n        - {mac: \"52:54:00:00:00:01\"}\n"),
         7, 11, "networks.h.dhcp.static[0].ip", "missing required key 'ip'"},
        {"LeaseTooShort", hostonly("    dhcp: {lease: 30}\n"), 5, 19, "networks.h.dhcp.lease",
         "30 is out of range (60..604800 seconds)"},
        {"LeaseNotANumber", hostonly("    dhcp: {lease: 1h}\n"), 5, 19, "networks.h.dhcp.lease",
         "'1h' is not a whole number"},
        {"BadDhcpValue", hostonly("    dhcp: maybe\n"), 5, 11, "networks.h.dhcp",
         "'maybe' is not a DHCP setting"},
        {"DhcpWithoutSubnet", "networks:\n  lab:\n    mode: internal\n    dhcp: {}\n", 4, 5,
         "networks.lab.dhcp", "DHCP needs a subnet"},
        {"DnsNotAList", hostonly("    dhcp: {dns: 1.1.1.1}\n"), 5, 17, "networks.h.dhcp.dns",
         "expected a list"},
        {"BadDnsEntry", hostonly("    dhcp: {dns: [1.1.1.1, 1.1.1]}\n"), 5, 27, "networks.h.dhcp.dns[1]",
         "1.1.1 is not an IPv4 address"},

        // networks
        {"UnknownKey", "networks:\n  h:\n    mode: host-only\n    subnett: 192.168.56.0/24\n", 4, 5,
         "networks.h.subnett",
         "unknown key 'subnett' (expected one of: mode, subnet, subnet6, host_interface, dhcp, overlay, max_macs)"},
        {"UnknownTopLevelKey", "switch: {}\nnetwork: {}\n", 2, 1, "network", "unknown key 'network'"},
        {"UnknownDhcpKey", hostonly("    dhcp:\n      leases: 60\n"), 6, 7, "networks.h.dhcp.leases",
         "unknown key 'leases'"},
        {"BadMode", "networks:\n  h:\n    mode: hostonly\n", 3, 11, "networks.h.mode",
         "'hostonly' is not a network mode (expected one of: host-only, internal, nat, nat-network)"},
        {"NatWithoutUplink", "networks:\n  h:\n    mode: nat\n    subnet: 10.0.2.0/24\n", 2, 3,
         "networks.h.uplink", "missing required key 'uplink'"},
        {"MissingMode", "networks:\n  h:\n    subnet: 10.0.2.0/24\n", 2, 3, "networks.h.mode",
         "missing required key 'mode'"},
        {"HostOnlyWithoutSubnet", "networks:\n  h:\n    mode: host-only\n", 2, 3, "networks.h.subnet",
         "missing required key 'subnet'"},
        {"HostInterfaceOnInternal",
         "networks:\n  lab:\n    mode: internal\n    subnet: 10.0.0.0/24\n"
         "    host_interface: {name: lab0}\n",
         5, 5, "networks.lab.host_interface", "host_interface is only allowed on host-only networks"},
        {"InterfaceNameTooLong", hostonly("    host_interface: {name: vswhost0123456789}\n"), 5, 28,
         "networks.h.host_interface.name", "'vswhost0123456789' is not a valid interface name"},
        {"BadNetworkName", "networks:\n  h/1: {mode: internal}\n", 2, 3, "networks.h/1",
         "is not a valid network name"},
        {"OverlappingHostOnlySubnets",
         hostonly("  h2:\n    mode: host-only\n    subnet: 192.168.0.0/16\n"), 7, 13, "networks.h2.subnet",
         "subnet 192.168.0.0/16 overlaps subnet 192.168.56.0/24 of host-only network 'h'"},
        {"DuplicateHostInterfaceName",
         "networks:\n"
         "  a: {mode: host-only, subnet: 10.0.1.0/24, host_interface: {name: vswhost0}}\n"
         "  b: {mode: host-only, subnet: 10.0.2.0/24, host_interface: {name: vswhost0}}\n",
         3, 68, "networks.b.host_interface.name",
         "host interface name 'vswhost0' is already used by network 'a'"},
        {"DuplicateDefaultHostInterfaceName",
         "networks:\n"
         "  host-only-net-a: {mode: host-only, subnet: 10.0.1.0/24}\n"
         "  host-only-net-b: {mode: host-only, subnet: 10.0.2.0/24}\n",
         3, 3, "networks.host-only-net-b", "set host_interface.name"},
        {"DuplicateNetworkName", "networks:\n  a: {mode: internal}\n  a: {mode: internal}\n", 3, 3,
         "networks.a", "duplicate key 'a'"},

        // ports
        {"UnknownNetworkReference", "networks: {n: {mode: internal}}\nports:\n  p: {network: m}\n", 3,
         16, "ports.p.network", "network 'm' is not declared"},
        {"PortWithoutNetwork", "ports:\n  p: {client: true}\n", 2, 3, "ports.p.network",
         "missing required key 'network'"},
        {"DuplicateSocketPath",
         "networks: {n: {mode: internal}}\nports:\n  p1: {network: n, socket: /tmp/a.sock}\n"
         "  p2: {network: n, socket: /tmp/a.sock}\n",
         4, 28, "ports.p2.socket", "socket path /tmp/a.sock is already used by port 'p1'"},
        {"DuplicateDefaultSocketPath",
         "networks: {n: {mode: internal}}\nports:\n  p1: {network: n, socket: /run/vsw/p2.sock}\n"
         "  p2: {network: n}\n",
         4, 3, "ports.p2", "default socket path /run/vsw/p2.sock is already used by port 'p1'"},
        {"RelativeSocketPath", "networks: {n: {mode: internal}}\nports:\n  p: {network: n, socket: a.sock}\n",
         3, 27, "ports.p.socket", "'a.sock' is not an absolute path"},
        {"SocketPathTooLong",
         "networks: {n: {mode: internal}}\nports:\n  p: {network: n, socket: /" + std::string(120, 'x') +
             "}\n",
         3, 27, "ports.p.socket", "is longer than 107 characters"},
        {"BadMac", "networks: {n: {mode: internal}}\nports:\n  p: {network: n, mac: \"52:54:00:00:00\"}\n",
         3, 24, "ports.p.mac", "52:54:00:00:00 is not a MAC address"},
        {"MulticastMac",
         "networks: {n: {mode: internal}}\nports:\n  p: {network: n, mac: \"01:00:5e:00:00:01\"}\n", 3, 24,
         "ports.p.mac", "is a multicast MAC address"},
        {"ZeroMac",
         "networks: {n: {mode: internal}}\nports:\n  p: {network: n, mac: \"00:00:00:00:00:00\"}\n", 3, 24,
         "ports.p.mac", "all-zero"},
        {"BadClient", "networks: {n: {mode: internal}}\nports:\n  p: {network: n, client: maybe}\n", 3, 27,
         "ports.p.client", "'maybe' is not true or false"},
        {"MaxMacsOnPinnedPort", "networks: {n: {mode: internal}}\nports:\n  p: {network: n, mac: \"52:54:00:00:00:01\", max_macs: 4}\n",
         3, 55, "ports.p.max_macs", "a port with a pinned mac has exactly one MAC"},
        {"MaxLeasesOnPinnedPort", "networks: {n: {mode: internal}}\nports:\n  p: {network: n, mac: \"52:54:00:00:00:01\", max_leases: 2}\n",
         3, 57, "ports.p.max_leases", "gets exactly one lease"},
        {"Subnet6NotA64", "networks:\n  h: {mode: host-only, subnet: 192.168.56.0/24, subnet6: \"fd00:56::/48\"}\n", 2, 58,
         "networks.h.subnet6", "only in a /64"},
        {"Subnet6NotANetwork", "networks:\n  h: {mode: host-only, subnet: 192.168.56.0/24, subnet6: \"fd00:56::1/64\"}\n", 2, 58,
         "networks.h.subnet6", "is not a network address (did you mean fd00:56::/64?)"},
        {"Subnet6Bad", "networks:\n  h: {mode: host-only, subnet: 192.168.56.0/24, subnet6: \"fd00:56:/64\"}\n", 2, 58,
         "networks.h.subnet6", "is not an IPv6 prefix"},
        {"Subnet6LinkLocal", "networks:\n  h: {mode: host-only, subnet: 192.168.56.0/24, subnet6: \"fe80::/64\"}\n", 2, 58,
         "networks.h.subnet6", "is a link-local prefix"},
        {"Subnet6OnNat", "uplinks: {wan: {kernel: {name: vswk0, address: 203.0.113.1}, address: 203.0.113.10/24}}\n"
         "networks:\n  n: {mode: nat, uplink: wan, subnet6: \"fd00:2::/64\"}\n", 3, 40, "networks.n.subnet6",
         "subnet6 fd00:2::/64: uplink 'wan' has no address6 to masquerade the guests' IPv6 to"},
        {"Subnet6Overlap", "networks:\n  a: {mode: host-only, subnet: 192.168.56.0/24, subnet6: \"fd00:56::/64\"}\n"
         "  b: {mode: host-only, subnet: 192.168.57.0/24, subnet6: \"fd00:56::/64\", host_interface: {name: vswb}}\n", 3, 58,
         "networks.b.subnet6", "overlaps subnet6 fd00:56::/64 of network 'a'"},
        {"Address6Outside", "networks:\n  h:\n    mode: host-only\n    subnet: 192.168.56.0/24\n    subnet6: fd00:56::/64\n"
         "    host_interface: {address6: \"fd00:57::1\"}\n", 6, 32, "networks.h.host_interface.address6",
         "address6 fd00:57::1 is not inside subnet6 fd00:56::/64"},
        {"Address6WithoutSubnet6", "networks:\n  h:\n    mode: host-only\n    subnet: 192.168.56.0/24\n"
         "    host_interface: {address6: \"fd00:57::1\"}\n", 5, 22, "networks.h.host_interface.address6",
         "address6 needs the network's subnet6"},
        {"QueuesTooMany", "networks: {n: {mode: internal}}\nports:\n  p: {network: n, queues: 5}\n", 3, 27,
         "ports.p.queues", "out of range (1..4 queue pairs)"},
        {"MaxMacsZero", "networks: {n: {mode: internal, max_macs: 0}}\n", 1, 42, "networks.n.max_macs", "out of range (1..65536 MACs)"},
        {"FdbBudgetsTooLarge",
         "networks:\n  a: {mode: internal, max_macs: 40000}\n  b: {mode: internal, max_macs: 30000}\n", 3, 3, "networks.b",
         "the networks' max_macs add up to 70000, more than the 65536 MACs the FDB holds"},
        {"TooManyPorts", thirty_three_ports, 35, 3, "ports.p32",
         "vswd has 32 DPDK ports (RTE_MAX_ETHPORTS) for ports, uplinks and host interfaces, and 0 uplink(s) "
         "and 0 host interface(s) leave 32 for ports"},

        // the document itself: what a half-written file or a hostile one holds
        {"SecondDocument", "networks: {n: {mode: internal}}\n---\nnetworks: {}\n", 3, 1, "",
         "a second YAML document ('---')"},
        {"TrailingDocumentMarker", "networks: {n: {mode: internal}}\nports:\n  p: {network: n}\n---\n", 5, 1, "",
         "a second YAML document"},
        {"BinaryTag", "networks: {n: {mode: internal}}\nports:\n  p: {network: n, socket: !!binary L3RtcC94}\n", 3, 27,
         "ports.p.socket", "tag 'tag:yaml.org,2002:binary' is not allowed"},
        {"CustomTag", "networks: !mine {n: {mode: internal}}\n", 1, 11, "networks", "tag '!mine' is not allowed"},
        {"NulInPath", "networks: {n: {mode: internal}}\nports:\n  p: {network: n, socket: \"/tmp/a\\0b.sock\"}\n", 3, 27,
         "ports.p.socket", "a NUL byte inside a value"},

        // switch
        {"EmptyCores", "switch:\n  cores: []\n", 2, 10, "switch.cores", "at least one CPU"},
        {"DuplicateCores", "switch:\n  cores: [1, 2, 1]\n", 2, 17, "switch.cores[2]",
         "CPU 1 is listed twice"},
        {"CoreTooLarge", "switch:\n  cores: [1024]\n", 2, 11, "switch.cores[0]", "out of range (0..1023)"},
        {"CoresNotAList", "switch:\n  cores: 1\n", 2, 10, "switch.cores", "expected a list"},
        {"BadHugepages", "switch:\n  hugepages: maybe\n", 2, 14, "switch.hugepages",
         "'maybe' is not a hugepages setting (expected one of: auto, on, off)"},
        {"BadLogLevel", "switch:\n  log_level: verbose\n", 2, 14, "switch.log_level",
         "'verbose' is not a log level"},
        {"RelativeRunDir", "switch:\n  run_dir: run/vsw\n", 2, 12, "switch.run_dir",
         "'run/vsw' is not an absolute path"},
        {"BadFilePrefix", "switch:\n  file_prefix: a/b\n", 2, 16, "switch.file_prefix",
         "'a/b' is not a valid file prefix"},
        {"MacAgingZero", "switch:\n  mac_aging: 0\n", 2, 14, "switch.mac_aging", "0 is out of range"},
        {"MemoryNotANumber", "switch:\n  memory_mb: lots\n", 2, 14, "switch.memory_mb",
         "'lots' is not a whole number"},
        {"EmptyValue", "switch:\n  log_level:\n", 2, 3, "switch.log_level", "missing value"},
        {"BadSocketMode", "switch:\n  socket_mode: 0644\n", 2, 16, "switch.socket_mode",
         "'0644' is not a socket mode: 0600 (root), 0660 (and the group) or 0666 (everyone)"},
        {"NoSuchControlGroup", "switch:\n  control_group: vsw-no-such-group\n", 2, 18, "switch.control_group",
         "group 'vsw-no-such-group' does not exist on this host"},
        {"NoSuchAdminGroup", "switch:\n  control_admin_group: vsw-no-such-group\n", 2, 24,
         "switch.control_admin_group", "group 'vsw-no-such-group' does not exist"},
        {"PortSocketGroupOnClient",
         "networks: {n: {mode: internal}}\nports:\n  p: {network: n, client: true, socket_group: root}\n", 3, 33,
         "ports.p.socket_group", "socket_group applies to sockets vswd listens on; with client: true QEMU owns"},
        {"PortBadSocketMode", "networks: {n: {mode: internal}}\nports:\n  p: {network: n, socket_mode: 777}\n", 3,
         32, "ports.p.socket_mode", "'777' is not a socket mode"},

        // types and syntax
        {"ListInsteadOfMap", "networks:\n  - a\n  - b\n", 2, 3, "networks", "expected a map, got a list"},
        {"ScalarInsteadOfMap", "networks:\n  h: host-only\n", 2, 6, "networks.h", "expected a map"},
        {"MapInsteadOfScalar", "switch:\n  log_level: {a: b}\n", 2, 14, "switch.log_level",
         "expected a single value, got a map"},
        {"TopLevelList", "- a\n- b\n", 1, 1, "", "the top level must be a map"},
        {"SyntaxError", "networks:\n  h: {mode: internal\nports: {}\n", 0, 0, "", ""},
        {"SyntaxErrorBadIndent", "switch:\n  cores: [1]\n hugepages: on\n", 3, 0, "", ""},
    };
}

}  // namespace

TEST_P(ConfigBad, ReportsFirstProblem) {
    const BadCase& t = GetParam();
    auto c = load_config_string(t.yaml, "bad.yaml");
    ASSERT_FALSE(c) << "expected an error for:\n" << t.yaml;
    const ConfigError& e = c.error();
    SCOPED_TRACE(e.to_string());
    EXPECT_EQ(e.file, "bad.yaml");
    if (t.line > 0) {
        EXPECT_EQ(e.line, t.line);
    } else {
        EXPECT_GT(e.line, 0);  // syntax errors: yaml-cpp decides the place
    }
    if (t.column > 0) {
        EXPECT_EQ(e.column, t.column);
    }
    EXPECT_EQ(e.key, t.key);
    EXPECT_NE(e.message.find(t.message), std::string::npos) << "message: " << e.message;
    EXPECT_FALSE(e.message.empty());
}

INSTANTIATE_TEST_SUITE_P(Cases, ConfigBad, ::testing::ValuesIn(bad_cases()),
                         [](const auto& info) { return info.param.name; });

// ---- formatting -----------------------------------------------------------------

TEST(ConfigError, ToString) {
    EXPECT_EQ((ConfigError{"vsw.yaml", 14, 7, "networks.hostonly0.dhcp.range",
                           "192.168.56.300 is not an IPv4 address"}
                   .to_string()),
              "vsw.yaml:14:7: networks.hostonly0.dhcp.range: 192.168.56.300 is not an IPv4 address");
    EXPECT_EQ((ConfigError{"f.yaml", 0, 0, "", "cannot read: No such file or directory"}.to_string()),
              "f.yaml: cannot read: No such file or directory");
    EXPECT_EQ((ConfigError{"f.yaml", 3, 1, "", "oops"}.to_string()), "f.yaml:3:1: oops");
    EXPECT_EQ((ConfigError{"", 3, 0, "k", "oops"}.to_string()), "3: k: oops");
}

TEST(ConfigError, ExampleMessage) {
    auto c = load_config_string(hostonly("    dhcp:\n      range: 192.168.56.101-192.168.56.300\n"),
                                "vsw.yaml");
    ASSERT_FALSE(c);
    EXPECT_EQ(c.error().to_string(),
              "vsw.yaml:6:14: networks.h.dhcp.range: 192.168.56.300 is not an IPv4 address");
}

TEST(ConfigEnums, ToString) {
    EXPECT_STREQ(to_string(NetworkMode::host_only), "host-only");
    EXPECT_STREQ(to_string(NetworkMode::internal), "internal");
    EXPECT_STREQ(to_string(NetworkMode::nat), "nat");
    EXPECT_STREQ(to_string(Hugepages::automatic), "auto");
    EXPECT_STREQ(to_string(Hugepages::on), "on");
    EXPECT_STREQ(to_string(Hugepages::off), "off");
}

// ---- files ----------------------------------------------------------------------

namespace {

// A uniquely named file under /tmp, removed when the object goes away.
class TempFile {
public:
    explicit TempFile(const std::string& contents) {
        char name[] = "/tmp/vsw-config-test-XXXXXX.yaml";
        int fd = mkstemps(name, 5);
        if (fd < 0) return;
        path_ = name;
        ssize_t n = write(fd, contents.data(), contents.size());
        close(fd);
        if (n != static_cast<ssize_t>(contents.size())) path_.clear();
    }
    ~TempFile() {
        if (!path_.empty()) std::remove(path_.c_str());
    }
    TempFile(const TempFile&) = delete;
    TempFile& operator=(const TempFile&) = delete;
    const std::string& path() const { return path_; }

private:
    std::string path_;
};

}  // namespace

TEST(ConfigFile, LoadsFromDisk) {
    TempFile good(kFullExample);
    ASSERT_FALSE(good.path().empty());
    auto c = load_config_file(good.path());
    ASSERT_TRUE(c) << c.error().to_string();
    EXPECT_EQ(c->source_file, good.path());
    EXPECT_EQ(c->ports.size(), 3u);

    TempFile bad("switch:\n  hugepages: sometimes\n");
    ASSERT_FALSE(bad.path().empty());
    auto b = load_config_file(bad.path());
    ASSERT_FALSE(b);
    EXPECT_EQ(b.error().file, bad.path());
    EXPECT_EQ(b.error().to_string().rfind(bad.path() + ":2:14: switch.hugepages: ", 0), 0u)
        << b.error().to_string();
}

TEST(ConfigFile, MissingFile) {
    std::string path = "/tmp/vsw-config-test-missing-" + std::to_string(getpid()) + ".yaml";
    auto c = load_config_file(path);
    ASSERT_FALSE(c);
    EXPECT_EQ(c.error().line, 0);
    EXPECT_EQ(c.error().to_string(), path + ": cannot read: No such file or directory");
}

TEST(ConfigFile, DirectoryIsNotAFile) {
    auto c = load_config_file("/tmp");
    ASSERT_FALSE(c);
    EXPECT_EQ(c.error().line, 0);
    EXPECT_NE(c.error().message.find("cannot read"), std::string::npos) << c.error().message;
}

// ---- the example topologies in config/ -------------------------------------------

TEST(ConfigExamples, HostOnly) {
#ifndef VSW_SOURCE_DIR
    GTEST_SKIP() << "VSW_SOURCE_DIR is not defined";
#else
    auto c = load_config_file(std::string(VSW_SOURCE_DIR) + "/config/hostonly.yaml");
    ASSERT_TRUE(c) << c.error().to_string();
    const NetworkConfig& n = c->networks.at("hostonly0");
    EXPECT_EQ(n.host_interface->name, "vswhost0");
    EXPECT_EQ(n.dhcp->server, ip("192.168.56.100"));
    EXPECT_EQ(n.dhcp->range_first, ip("192.168.56.101"));
    EXPECT_EQ(n.dhcp->range_last, ip("192.168.56.254"));
    EXPECT_EQ(c->ports.size(), 2u);
    EXPECT_EQ(c->ports.at("vm1-eth0").socket, "/run/vsw/vm1-eth0.sock");
#endif
}

TEST(ConfigExamples, TwoNetworks) {
#ifndef VSW_SOURCE_DIR
    GTEST_SKIP() << "VSW_SOURCE_DIR is not defined";
#else
    auto c = load_config_file(std::string(VSW_SOURCE_DIR) + "/config/two-networks.yaml");
    ASSERT_TRUE(c) << c.error().to_string();
    EXPECT_EQ(c->networks.size(), 2u);
    EXPECT_EQ(c->networks.at("lab").mode, NetworkMode::internal);
    EXPECT_TRUE(c->networks.at("lab").dhcp);
    bool any_client = false, any_mac = false;
    for (const auto& [name, p] : c->ports) {
        any_client = any_client || p.client;
        any_mac = any_mac || p.mac.has_value();
    }
    EXPECT_TRUE(any_client);
    EXPECT_TRUE(any_mac);
#endif
}

namespace vsw {

// subnet6 on a host-only network: the host interface takes ::1 unless address6 says otherwise.
TEST(ConfigGood, HostOnlySubnet6) {
    auto c = load_config_string(R"(networks:
  a: {mode: host-only, subnet: 192.168.56.0/24, subnet6: "fd00:56::/64"}
  b:
    mode: host-only
    subnet: 192.168.57.0/24
    subnet6: fd00:57::/64
    host_interface: {name: vswb, address6: "fd00:57::fe"}
  c: {mode: host-only, subnet: 192.168.58.0/24, host_interface: {name: vswc}}
)", "v6.yaml");
    ASSERT_TRUE(c) << c.error().to_string();
    EXPECT_EQ(c->networks.at("a").subnet6->to_string(), "fd00:56::/64");
    EXPECT_EQ(c->networks.at("a").host_interface->address6->to_string(), "fd00:56::1");
    EXPECT_EQ(c->networks.at("b").host_interface->address6->to_string(), "fd00:57::fe");
    EXPECT_FALSE(c->networks.at("c").subnet6);
    EXPECT_FALSE(c->networks.at("c").host_interface->address6);
}

}  // namespace vsw
