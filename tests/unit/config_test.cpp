#include <gtest/gtest.h>

#include <cstdio>
#include <string>
#include <unistd.h>
#include <vector>

#include "../../control/config.hpp"

using namespace vsw;

namespace {

Ipv4 ip(const char* text) { return *Ipv4::parse(text); }
Mac mac(const char* text) { return *Mac::parse(text); }

Config load_ok(const std::string& yaml) {
    auto c = load_config_string(yaml, "test.yaml");
    EXPECT_TRUE(c) << c.error().to_string();
    return c ? *c : Config{};
}

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
  vm2-eth0: {network: hostonly0, socket: /tmp/vm2.sock, client: true}
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
    EXPECT_EQ(h.line, 11);
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
    EXPECT_EQ(lab.line, 22);
    EXPECT_FALSE(lab.subnet);
    EXPECT_FALSE(lab.host_interface);
    EXPECT_FALSE(lab.dhcp);

    ASSERT_EQ(c.ports.size(), 3u);
    const PortConfig& p1 = c.ports.at("vm1-eth0");
    EXPECT_EQ(p1.name, "vm1-eth0");
    EXPECT_EQ(p1.network, "hostonly0");
    EXPECT_EQ(p1.socket, "/run/vsw-test/vm1-eth0.sock");
    EXPECT_FALSE(p1.client);
    EXPECT_FALSE(p1.mac);
    EXPECT_EQ(p1.line, 25);
    const PortConfig& p2 = c.ports.at("vm2-eth0");
    EXPECT_EQ(p2.socket, "/tmp/vm2.sock");
    EXPECT_TRUE(p2.client);
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

struct BadCase {
    std::string name;
    std::string yaml;
    int line;
    int column;  // 0: not checked
    std::string key;
    std::string message;  // substring
};

// A host-only network `h` with the given extra lines (indented 4) under it.
std::string hostonly(const std::string& extra) {
    return "networks:\n"
           "  h:\n"
           "    mode: host-only\n"
           "    subnet: 192.168.56.0/24\n" +
           extra;
}

std::vector<BadCase> bad_cases() {
    std::string thirty_one_ports = "networks: {n: {mode: internal}}\nports:\n";
    for (int i = 0; i < 31; ++i) thirty_one_ports += "  p" + std::to_string(i) + ": {network: n}\n";

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
         "unknown key 'subnett' (expected one of: mode, subnet, host_interface, dhcp)"},
        {"UnknownTopLevelKey", "switch: {}\nnetwork: {}\n", 2, 1, "network", "unknown key 'network'"},
        {"UnknownDhcpKey", hostonly("    dhcp:\n      leases: 60\n"), 6, 7, "networks.h.dhcp.leases",
         "unknown key 'leases'"},
        {"BadMode", "networks:\n  h:\n    mode: hostonly\n", 3, 11, "networks.h.mode",
         "'hostonly' is not a network mode (expected one of: host-only, internal, nat)"},
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
        {"TooManyPorts", thirty_one_ports, 33, 3, "ports.p30", "at most 30 are supported (DPDK port limit)"},

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

class ConfigBad : public ::testing::TestWithParam<BadCase> {};

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

    ASSERT_EQ(c.uplinks.size(), 1u);
    const UplinkConfig& up = c.uplinks.at("wan");
    EXPECT_EQ(up.name, "wan");
    EXPECT_EQ(up.line, 16);
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
    EXPECT_EQ(n.line, 2);
    ASSERT_TRUE(n.subnet);
    EXPECT_EQ(n.subnet->to_string(), "10.0.2.0/24");
    EXPECT_FALSE(n.host_interface);
    ASSERT_TRUE(n.nat);
    const NatConfig& nat = *n.nat;
    EXPECT_EQ(nat.gateway, ip("10.0.2.2"));
    ASSERT_TRUE(nat.dns);
    EXPECT_EQ(*nat.dns, ip("10.0.2.3"));
    EXPECT_EQ(nat.uplink, "wan");
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
    ASSERT_EQ(c.uplinks.size(), 3u);
    const UplinkConfig& up0 = c.uplinks.at("up0");
    EXPECT_TRUE(up0.device.empty());
    ASSERT_TRUE(up0.kernel);
    EXPECT_EQ(up0.kernel->name, "vswwan0");
    EXPECT_EQ(up0.kernel->address, ip("198.51.100.1"));
    EXPECT_EQ(up0.kernel->netns, "inet");
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
    EXPECT_EQ(a.nat->gateway, ip("10.0.2.1"));  // default: the first host address
    EXPECT_FALSE(a.nat->dns);
    EXPECT_EQ(a.nat->uplink, "up0");
    const NatTimeouts def;
    EXPECT_EQ(a.nat->timeouts.tcp_established, def.tcp_established);
    EXPECT_EQ(a.nat->timeouts.tcp_established, 7440u);
    EXPECT_EQ(a.nat->timeouts.tcp_transitory, 240u);
    EXPECT_EQ(a.nat->timeouts.udp, 300u);
    EXPECT_EQ(a.nat->timeouts.icmp, 60u);
    EXPECT_EQ(a.nat->max_sessions, 65536u);
    ASSERT_TRUE(a.dhcp);
    EXPECT_EQ(a.dhcp->server, ip("10.0.2.1"));  // default: the gateway
    EXPECT_EQ(a.dhcp->range_first, ip("10.0.2.2"));
    EXPECT_EQ(a.dhcp->range_last, ip("10.0.2.254"));
    ASSERT_TRUE(a.dhcp->router);
    EXPECT_EQ(*a.dhcp->router, ip("10.0.2.1"));
    EXPECT_TRUE(a.dhcp->dns.empty());  // neither dns nor dhcp.dns

    const NetworkConfig& b = c.networks.at("b");
    EXPECT_EQ(b.dhcp->server, ip("10.0.2.2"));
    EXPECT_EQ(b.dhcp->range_first, ip("10.0.2.4"));  // default pool starts after gateway and dns
    EXPECT_EQ(b.dhcp->range_last, ip("10.0.2.254"));
    EXPECT_EQ(*b.dhcp->router, ip("10.0.2.2"));
    EXPECT_EQ(b.dhcp->dns, std::vector<Ipv4>{ip("10.0.2.3")});

    const NetworkConfig& cn = c.networks.at("c");
    EXPECT_EQ(cn.nat->gateway, ip("10.0.2.1"));
    EXPECT_EQ(cn.dhcp->server, ip("10.0.2.10"));
    EXPECT_EQ(cn.dhcp->range_first, ip("10.0.2.11"));
    EXPECT_EQ(*cn.dhcp->router, ip("10.0.2.1"));  // always the gateway, even with another server
    EXPECT_EQ(cn.dhcp->dns, std::vector<Ipv4>{ip("9.9.9.9")});  // dhcp.dns wins over dns

    const NetworkConfig& d = c.networks.at("d");
    EXPECT_FALSE(d.dhcp);
    EXPECT_EQ(d.nat->gateway, ip("172.16.0.1"));
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
    std::string thirty_ports_and_an_uplink =
        "uplinks: {wan: {device: net_tap0, address: 203.0.113.10/24, gateway: 203.0.113.1}}\n"
        "networks: {n: {mode: internal}}\nports:\n";
    for (int i = 0; i < 30; ++i) thirty_ports_and_an_uplink += "  p" + std::to_string(i) + ": {network: n}\n";

    std::string five_uplinks = "uplinks:\n";
    for (int i = 0; i < 5; ++i)
        five_uplinks += "  u" + std::to_string(i) + ": {device: d" + std::to_string(i) + ", address: 203.0.11" +
                        std::to_string(i) + ".10/24, gateway: 203.0.11" + std::to_string(i) + ".1}\n";

    return {
        {"TooManyUplinks", five_uplinks, 6, 3, "uplinks.u4", "too many uplinks: at most 4 are supported"},
        // nat networks
        {"UnknownUplink",
         "uplinks:\n  wan: {device: d0, address: 203.0.113.10/24, gateway: 203.0.113.1}\n"
         "  lan: {device: d1, address: 198.51.100.10/24, gateway: 198.51.100.1}\n"
         "networks:\n  n: {mode: nat, subnet: 10.0.2.0/24, uplink: wna}\n",
         5, 47, "networks.n.uplink", "unknown uplink 'wna' (declared: lan, wan)"},
        {"UnknownUplinkNoneDeclared", "networks:\n  n: {mode: nat, subnet: 10.0.2.0/24, uplink: wan}\n", 2,
         47, "networks.n.uplink", "unknown uplink 'wan' (declared: none)"},
        {"NatWithoutSubnet", "networks:\n  n:\n    mode: nat\n    uplink: wan\n", 2, 3, "networks.n.subnet",
         "missing required key 'subnet' (a nat network needs one)"},
        {"DnsWithoutResolver",
         "uplinks:\n  wan: {device: d0, address: 203.0.113.10/24, gateway: 203.0.113.1}\n"
         "networks:\n  n:\n    mode: nat\n    subnet: 10.0.2.0/24\n    uplink: wan\n    dns: 10.0.2.3\n",
         8, 10, "networks.n.dns", "uplink 'wan' has none (set uplinks.wan.resolver)"},
        {"DnsIsGateway", natnet("    gateway: 10.0.2.3\n    dns: 10.0.2.3\n"), 13, 10, "networks.n.dns",
         "dns 10.0.2.3 is the gateway address"},
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
         "unknown key 'max_session' (expected one of: mode, subnet, gateway, dns, dhcp, uplink, "
         "port_forwards, timeouts, max_sessions)"},
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
         natnet("    dhcp:\n      server: 10.0.2.10\n      static: [{mac: \"52:54:00:00:00:01\", ip: 10.0.2.1}]\n"),
         14, 47,
         "networks.n.dhcp.static[0].ip", "IP 10.0.2.1 is the gateway address"},
        {"DhcpNoDefaultRangeLeft", natnet("    gateway: 10.0.2.254\n    dhcp: true\n"), 13, 5,
         "networks.n.dhcp", "no addresses left for a default range after server 10.0.2.254"},

        // port forwards
        {"GuestIpOutsideSubnet", natnet("    port_forwards:\n" + forward("ssh", "tcp", "2222", "10.0.3.15")), 16,
         19, "networks.n.port_forwards[0].guest_ip", "guest_ip 10.0.3.15 is not inside subnet 10.0.2.0/24"},
        {"GuestIpIsGateway", natnet("    port_forwards:\n" + forward("ssh", "tcp", "2222", "10.0.2.1")), 16, 19,
         "networks.n.port_forwards[0].guest_ip", "guest_ip 10.0.2.1 is the gateway address"},
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
        {"ForwardWithoutGuestIp",
         natnet("    port_forwards:\n      - {name: a, proto: tcp, host_port: 1, guest_port: 1}\n"), 13, 9,
         "networks.n.port_forwards[0].guest_ip", "missing required key 'guest_ip'"},
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
         "unknown key 'adress' (expected one of: device, kernel, address, gateway, resolver, ports)"},
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
        {"TooManyPortsWithUplinks", thirty_ports_and_an_uplink, 33, 3, "ports.p29",
         "at most 30 are supported (DPDK port limit), counting the 1 uplink(s)"},
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
