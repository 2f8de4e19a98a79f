// diff(running, next): every config key, changed alone, yields the steps that
// carry it out and the summary line the operator reads. A field added to a
// config struct does not compile in reload_plan.cpp until it is sorted there;
// add its row here too.
#include <gtest/gtest.h>

#include <functional>

#include "reload_plan.hpp"

namespace vsw {
namespace {

const char* kBase = R"(
switch: {cores: [1], mac_aging: 300}
uplinks:
  wan:
    device: "net_null0"
    address: 203.0.113.10/24
    gateway: 203.0.113.1
    resolver: 203.0.113.53
    ports: 20000-29999
    host_link: false   # its own tests below
  wan2: {device: "net_null1", address: 198.51.100.10/24, gateway: 198.51.100.1, host_link: false}
networks:
  ho:
    mode: host-only
    subnet: 192.168.56.0/24
    host_interface: {name: vswplan0, address: 192.168.56.1}
    dhcp: true
  nat:
    mode: nat
    subnet: 10.0.2.0/24
    uplink: wan
    dns: 10.0.2.3
    dhcp: {range: 10.0.2.15-10.0.2.254}
    port_forwards:
      - {name: ssh, proto: tcp, host_port: 2222, guest_ip: 10.0.2.15, guest_port: 22}
  nat2: {mode: nat, subnet: 10.0.3.0/24, uplink: wan2}
  l2: {mode: internal}
ports:
  vm1: {network: nat}
  vm2: {network: ho, mac: "52:54:00:00:00:02"}
  vm3: {network: l2}
)";

Config base() {
    auto c = load_config_string(kBase, "vsw.yaml");
    EXPECT_TRUE(c) << (c ? "" : c.error().to_string());
    return c ? *c : Config{};
}

Ipv4 ip(const char* text) { return *Ipv4::parse(text); }

std::string steps_of(const Plan& p) {
    std::string s;
    for (const PlanStep& st : p.steps) s += std::string(s.empty() ? "" : " ") + to_string(st.action) + ":" + st.name;
    return s;
}

std::string join(const std::vector<std::string>& v) {
    std::string s;
    for (const auto& x : v) s += (s.empty() ? "" : " | ") + x;
    return s;
}

struct KeyCase {
    const char* key;                      // the config key changed
    std::function<void(Config&)> change;  // changes it alone
    const char* steps;                    // steps_of() the plan
    const char* changed;                  // join() of plan.changed
    const char* notes = "";
};

void PrintTo(const KeyCase& k, std::ostream* os) { *os << k.key; }

NatConfig& nat_of(Config& c, const char* net) { return *c.networks.at(net).nat; }

const KeyCase kCases[] = {
    // switch.*
    {"switch.cores", [](Config& c) { c.switch_config.cores = {0, 1}; }, "", "",
     "changes to switch.cores take effect at restart"},
    {"switch.hugepages", [](Config& c) { c.switch_config.hugepages = Hugepages::off; }, "", "",
     "changes to switch.hugepages take effect at restart"},
    {"switch.run_dir", [](Config& c) { c.switch_config.run_dir = "/run/other"; }, "", "",
     "changes to switch.run_dir take effect at restart"},
    {"switch.state_dir", [](Config& c) { c.switch_config.state_dir = "/var/lib/other"; }, "", "",
     "changes to switch.state_dir take effect at restart"},
    {"switch.file_prefix", [](Config& c) { c.switch_config.file_prefix = "other"; }, "", "",
     "changes to switch.file_prefix take effect at restart"},
    {"switch.memory_mb", [](Config& c) { c.switch_config.memory_mb = 1024; }, "", "",
     "changes to switch.memory_mb take effect at restart"},
    {"switch.socket_group", [](Config& c) { c.switch_config.socket_group = "kvm"; }, "", "",
     "changes to switch.socket_group take effect at restart"},
    {"switch.metrics", [](Config& c) { c.switch_config.metrics = std::pair(*Ipv4::parse("127.0.0.1"), uint16_t{9417}); },
     "", "", "changes to switch.metrics take effect at restart"},
    {"switch.log_level", [](Config& c) { c.switch_config.log_level = "debug"; }, "update_switch:",
     "switch (log_level)"},
    {"switch.mac_aging", [](Config& c) { c.switch_config.mac_aging = 30; }, "update_switch:",
     "switch (mac_aging)"},
    // uplinks.*: the device ones re-create the port and flush its networks
    {"uplinks.wan.device", [](Config& c) { c.uplinks.at("wan").device = "net_null9"; },
     "remove_uplink:wan create_uplink:wan flush_nat_sessions:nat",
     "uplink wan (device: re-created; sessions of its NAT networks flushed)"},
    {"uplinks.wan.kernel",
     [](Config& c) {
         c.uplinks.at("wan").device.clear();
         c.uplinks.at("wan").kernel = HostInterfaceConfig{"vswwan0", ip("203.0.113.1"), "", std::nullopt};
     },
     "remove_uplink:wan create_uplink:wan flush_nat_sessions:nat",
     "uplink wan (device, kernel: re-created; sessions of its NAT networks flushed)"},
    {"uplinks.wan.address", [](Config& c) { c.uplinks.at("wan").address = ip("203.0.113.11"); },
     "remove_uplink:wan create_uplink:wan flush_nat_sessions:nat",
     "uplink wan (address: re-created; sessions of its NAT networks flushed)"},
    {"uplinks.wan.address (prefix)", [](Config& c) { c.uplinks.at("wan").prefix_len = 16; },
     "remove_uplink:wan create_uplink:wan flush_nat_sessions:nat",
     "uplink wan (address: re-created; sessions of its NAT networks flushed)"},
    // ... the session ones flush exactly the NAT networks on that uplink
    {"uplinks.wan.ports (first)", [](Config& c) { c.uplinks.at("wan").port_first = 40000; },
     "update_uplink:wan flush_nat_sessions:nat", "uplink wan (ports: sessions of its NAT networks flushed)"},
    {"uplinks.wan.ports (last)", [](Config& c) { c.uplinks.at("wan").port_last = 20999; },
     "update_uplink:wan flush_nat_sessions:nat", "uplink wan (ports: sessions of its NAT networks flushed)"},
    {"uplinks.wan.resolver", [](Config& c) { c.uplinks.at("wan").resolver = ip("203.0.113.54"); },
     "update_uplink:wan flush_nat_sessions:nat", "uplink wan (resolver: sessions of its NAT networks flushed)"},
    {"uplinks.wan2.resolver (added)", [](Config& c) { c.uplinks.at("wan2").resolver = ip("198.51.100.53"); },
     "update_uplink:wan2 flush_nat_sessions:nat2",
     "uplink wan2 (resolver: sessions of its NAT networks flushed)"},
    // ... and the next hop is re-resolved in place
    {"uplinks.wan.gateway", [](Config& c) { c.uplinks.at("wan").gateway = ip("203.0.113.254"); },
     "update_uplink:wan", "uplink wan (gateway; sessions kept)"},
    // networks.*
    {"networks.l2.mode",
     [](Config& c) {
         NetworkConfig& n = c.networks.at("l2");
         n.mode = NetworkMode::host_only;
         n.subnet = *Subnet::parse("192.168.57.0/24");
     },
     "update_network:l2", "network l2 (mode, subnet)"},
    {"networks.ho.subnet",
     [](Config& c) {
         NetworkConfig& n = c.networks.at("ho");
         n.subnet = *Subnet::parse("192.168.56.0/25");
     },
     "remove_host_interface:ho update_network:ho create_host_interface:ho", "network ho (subnet)"},
    {"networks.ho.host_interface.name",
     [](Config& c) { c.networks.at("ho").host_interface->name = "vswplan1"; },
     "remove_host_interface:ho update_network:ho create_host_interface:ho", "network ho (host_interface)"},
    {"networks.ho.host_interface.address",
     [](Config& c) { c.networks.at("ho").host_interface->address = ip("192.168.56.254"); },
     "remove_host_interface:ho update_network:ho create_host_interface:ho", "network ho (host_interface)"},
    {"networks.ho.host_interface.netns",
     [](Config& c) { c.networks.at("ho").host_interface->netns = "lab"; },
     "remove_host_interface:ho update_network:ho create_host_interface:ho", "network ho (host_interface)"},
    {"networks.ho.subnet6",
     [](Config& c) {
         NetworkConfig& n = c.networks.at("ho");
         n.subnet6 = *Subnet6::parse("fd00:56::/64");
         n.host_interface->address6 = n.subnet6->host(1);
     },
     "remove_host_interface:ho update_network:ho create_host_interface:ho", "network ho (subnet6, host_interface)"},
    {"networks.ho.host_interface (removed)", [](Config& c) { c.networks.at("ho").host_interface.reset(); },
     "remove_host_interface:ho update_network:ho", "network ho (host_interface)"},
    {"networks.ho.dhcp (off)", [](Config& c) { c.networks.at("ho").dhcp.reset(); }, "update_network:ho",
     "network ho (dhcp)"},
    {"networks.ho.dhcp.range", [](Config& c) { c.networks.at("ho").dhcp->range_last = ip("192.168.56.200"); },
     "update_network:ho", "network ho (dhcp)"},
    {"networks.ho.dhcp.lease", [](Config& c) { c.networks.at("ho").dhcp->lease_seconds = 60; },
     "update_network:ho", "network ho (dhcp)"},
    {"networks.ho.dhcp.static",
     [](Config& c) {
         c.networks.at("ho").dhcp->statics.push_back({*Mac::parse("52:54:00:00:00:09"), ip("192.168.56.9")});
     },
     "update_network:ho", "network ho (dhcp)"},
    {"networks.ho.dhcp.dns", [](Config& c) { c.networks.at("ho").dhcp->dns = {ip("192.168.56.1")}; },
     "update_network:ho", "network ho (dhcp)"},
    {"networks.ho.dhcp.domain", [](Config& c) { c.networks.at("ho").dhcp->domain = "lab"; },
     "update_network:ho", "network ho (dhcp)"},
    {"networks.ho.max_macs", [](Config& c) { c.networks.at("ho").max_macs = 16; }, "update_network:ho",
     "network ho (max_macs)"},
    // NAT settings that invalidate sessions, and those applied to them in place
    {"networks.nat.subnet",
     [](Config& c) {
         NetworkConfig& n = c.networks.at("nat");
         n.subnet = *Subnet::parse("10.0.4.0/24");
         n.nat->gateway = ip("10.0.4.1");
         n.nat->dns = ip("10.0.4.3");
         n.dhcp->server = ip("10.0.4.1");
         n.dhcp->router = ip("10.0.4.1");
         n.dhcp->dns = {ip("10.0.4.3")};
         n.dhcp->range_first = ip("10.0.4.15");
         n.dhcp->range_last = ip("10.0.4.254");
         n.nat->port_forwards[0].guest_ip = ip("10.0.4.15");
     },
     "update_network:nat flush_nat_sessions:nat",
     "network nat (subnet, dhcp, gateway, dns, port_forwards: NAT sessions flushed)"},
    {"networks.nat.gateway", [](Config& c) { nat_of(c, "nat").gateway = ip("10.0.2.1"); },
     "update_network:nat flush_nat_sessions:nat", "network nat (gateway: NAT sessions flushed)"},
    {"networks.nat.dns", [](Config& c) { nat_of(c, "nat").dns.reset(); },
     "update_network:nat flush_nat_sessions:nat", "network nat (dns: NAT sessions flushed)"},
    {"networks.nat.uplink", [](Config& c) { nat_of(c, "nat").uplink = "wan2"; },
     "update_network:nat flush_nat_sessions:nat", "network nat (uplink: NAT sessions flushed)"},
    {"networks.nat.port_forwards", [](Config& c) { nat_of(c, "nat").port_forwards[0].host_port = 2223; },
     "update_network:nat", "network nat (port_forwards; sessions kept)"},
    {"networks.nat.timeouts", [](Config& c) { nat_of(c, "nat").timeouts.udp = 30; }, "update_network:nat",
     "network nat (timeouts; sessions kept)"},
    {"networks.nat.max_sessions", [](Config& c) { nat_of(c, "nat").max_sessions = 1000; },
     "update_network:nat", "network nat (max_sessions; sessions kept)"},
    {"networks.nat.max_sessions_per_guest", [](Config& c) { nat_of(c, "nat").max_sessions_per_guest = 10; },
     "update_network:nat", "network nat (max_sessions_per_guest; sessions kept)"},
    {"networks.nat.host_loopback", [](Config& c) { nat_of(c, "nat").host_loopback ^= true; },
     "update_network:nat", "network nat (host_loopback; sessions kept)"},
    {"networks.nat.host_alias", [](Config& c) { nat_of(c, "nat").host_alias = ip("10.0.2.9"); },
     "update_network:nat", "network nat (host_loopback; sessions kept)"},
    // Newly given, it carries no session yet (taken away: see AHostLink... below).
    {"networks.nat.host_uplink", [](Config& c) { nat_of(c, "nat").host_uplink = "wan2"; },
     "update_network:nat", "network nat (host_uplink; sessions kept)"},
    {"networks.nat.mode (nat to nat-network)", [](Config& c) { nat_of(c, "nat").nat_network = true; },
     "update_network:nat", "network nat (mode; sessions kept)"},
    {"networks.nat.mode (to internal)",
     [](Config& c) {
         NetworkConfig& n = c.networks.at("nat");
         n.mode = NetworkMode::internal;
         n.nat.reset();
         n.dhcp.reset();
         n.subnet.reset();
         c.ports.erase("vm1");
     },
     "remove_port:vm1 update_network:nat flush_nat_sessions:nat",
     "network nat (mode, subnet, dhcp, nat: NAT sessions flushed)"},
    // ports.*: the vhost endpoint re-creates the port, the rest is in place
    {"ports.vm1.socket", [](Config& c) { c.ports.at("vm1").socket = "/tmp/other.sock"; },
     "remove_port:vm1 create_port:vm1", "port vm1 (socket: re-created)"},
    {"ports.vm1.client", [](Config& c) { c.ports.at("vm1").client = true; }, "remove_port:vm1 create_port:vm1",
     "port vm1 (client: re-created)"},
    {"ports.vm1.queues", [](Config& c) { c.ports.at("vm1").queues = 2; }, "remove_port:vm1 create_port:vm1",
     "port vm1 (queues: re-created)"},
    {"ports.vm1.network", [](Config& c) { c.ports.at("vm1").network = "l2"; },
     "update_port:vm1 forget_port_macs:vm1", "port vm1 (network: learned MACs forgotten)"},
    {"ports.vm1.mac", [](Config& c) { c.ports.at("vm1").mac = *Mac::parse("52:54:00:00:00:01"); },
     "update_port:vm1 forget_port_macs:vm1", "port vm1 (mac: learned MACs forgotten)"},
    {"ports.vm1.max_macs", [](Config& c) { c.ports.at("vm1").max_macs = 2; }, "update_port:vm1",
     "port vm1 (max_macs)"},
    {"ports.vm1.socket_group", [](Config& c) { c.ports.at("vm1").socket_group = "kvm"; }, "update_port:vm1",
     "port vm1 (socket_group)"},
    {"ports.vm1.socket_mode", [](Config& c) { c.ports.at("vm1").socket_mode = 0666; }, "update_port:vm1",
     "port vm1 (socket_mode)"},
    {"switch.control_group", [](Config& c) { c.switch_config.control_group = "kvm"; }, "", "",
     "changes to switch.control_group take effect at restart"},
    {"ports.vm1.max_leases", [](Config& c) { c.ports.at("vm1").max_leases = 1; }, "update_port:vm1",
     "port vm1 (max_leases)"},
};

class PlanKey : public ::testing::TestWithParam<KeyCase> {};

TEST_P(PlanKey, ChangingTheKeyAloneYieldsItsStepsAndSummary) {
    const KeyCase& k = GetParam();
    const Config running = base();
    Config next = running;
    k.change(next);
    ASSERT_NE(running, next) << k.key << ": the change changes nothing";
    const Plan plan = diff(running, next);
    EXPECT_EQ(steps_of(plan), k.steps) << k.key;
    EXPECT_EQ(join(plan.changed), k.changed) << k.key;
    EXPECT_EQ(join(plan.notes), k.notes) << k.key;
    EXPECT_TRUE(plan.added.empty()) << k.key << ": " << join(plan.added);
    // Everything else is reported unchanged: 2 uplinks, 4 networks, 3 ports.
    const size_t touched = (plan.changed.size() - (std::string(k.changed).starts_with("switch") ? 1 : 0)) +
                           plan.removed.size();
    EXPECT_EQ(plan.unchanged.size() + touched, 9u) << k.key << ": unchanged " << join(plan.unchanged);
}

INSTANTIATE_TEST_SUITE_P(EveryKey, PlanKey, ::testing::ValuesIn(kCases), [](const auto& info) {
    std::string n = info.param.key;
    for (char& ch : n)
        if (!isalnum(static_cast<unsigned char>(ch))) ch = '_';
    return n;
});

TEST(Plan, SameConfigDoesNothing) {
    const Plan plan = diff(base(), base());
    EXPECT_TRUE(plan.empty()) << steps_of(plan);
    EXPECT_EQ(plan.unchanged.size(), 9u);
    EXPECT_TRUE(plan.changed.empty() && plan.added.empty() && plan.removed.empty() && plan.notes.empty());
}

TEST(Plan, MovedLinesAndFileNameChangeNothing) {
    Config next = base();
    next.source_file = "other.yaml";
    next.ports.at("vm1").line.value += 10;
    next.networks.at("nat").line.value += 10;
    EXPECT_TRUE(diff(base(), next).empty());
}

TEST(Plan, FromNothingCreatesUplinksNetworksHostInterfacesThenPorts) {
    Config empty;
    empty.switch_config = base().switch_config;
    const Plan plan = diff(empty, base());
    EXPECT_EQ(steps_of(plan),
              "create_uplink:wan create_uplink:wan2 create_network:ho create_network:l2 create_network:nat "
              "create_network:nat2 create_host_interface:ho create_port:vm1 create_port:vm2 create_port:vm3");
    EXPECT_EQ(join(plan.added),
              "uplink wan | uplink wan2 | network ho | network l2 | network nat | network nat2 | port vm1 | "
              "port vm2 | port vm3");
}

TEST(Plan, ToNothingRemovesEverythingInOnePhase) {
    Config empty;
    empty.switch_config = base().switch_config;
    const Plan plan = diff(base(), empty);
    EXPECT_EQ(steps_of(plan),
              "remove_port:vm1 remove_port:vm2 remove_port:vm3 remove_uplink:wan remove_uplink:wan2 "
              "remove_network:ho remove_network:l2 remove_network:nat remove_network:nat2");
    EXPECT_EQ(plan.removed.size(), 9u);
}

TEST(Plan, RemovingAnUplinkFlushesItsNetworksWhenTheyMove) {
    Config next = base();
    next.uplinks.erase("wan2");
    nat_of(next, "nat2").uplink = "wan";
    const Plan plan = diff(base(), next);
    EXPECT_EQ(steps_of(plan), "remove_uplink:wan2 update_network:nat2 flush_nat_sessions:nat2");
    EXPECT_EQ(join(plan.removed), "uplink wan2");
    EXPECT_EQ(join(plan.changed), "network nat2 (uplink: NAT sessions flushed)");
}

TEST(Plan, AddingAHostInterfaceCreatesOnlyIt) {
    Config running = base();
    running.networks.at("ho").host_interface.reset();
    const Plan plan = diff(running, base());
    EXPECT_EQ(steps_of(plan), "update_network:ho create_host_interface:ho");
}

TEST(Plan, RemovedNetworkTakesItsHostInterfaceWithIt) {
    Config next = base();
    next.networks.erase("ho");
    next.ports.erase("vm2");
    const Plan plan = diff(base(), next);
    EXPECT_EQ(steps_of(plan), "remove_port:vm2 remove_network:ho");
    EXPECT_EQ(join(plan.removed), "port vm2 | network ho");
}

TEST(Plan, SeveralKeysOfOneObjectMakeOneLine) {
    Config next = base();
    next.uplinks.at("wan").gateway = ip("203.0.113.254");
    next.uplinks.at("wan").port_last = 20999;
    next.uplinks.at("wan").resolver.reset();
    const Plan plan = diff(base(), next);
    EXPECT_EQ(steps_of(plan), "update_uplink:wan flush_nat_sessions:nat");
    EXPECT_EQ(join(plan.changed), "uplink wan (ports, resolver, gateway: sessions of its NAT networks flushed)");
}

// A device uplink's host link is an uplink of its own ("<name>.host"): made
// when a network first needs the host, removed when none does any more, and
// the device uplink itself is left alone.
TEST(Plan, AHostLinkComesAndGoesWithTheNetworksThatUseIt) {
    auto load = [](const std::string& nat_extra) {
        auto c = load_config_string("uplinks:\n  wan: {device: net_null0, address: 203.0.113.10/24, gateway: 203.0.113.1}\n"
                                    "networks:\n  nat: {mode: nat, uplink: wan" + nat_extra + "}\n",
                                    "vsw.yaml");
        EXPECT_TRUE(c) << (c ? "" : c.error().to_string());
        return c ? *c : Config{};
    };
    const Config with_link = load("");
    const Config without = load(", host_loopback: false");
    ASSERT_TRUE(with_link.uplinks.count("wan.host"));
    ASSERT_FALSE(without.uplinks.count("wan.host"));

    // Sessions to the host's loopback went through the link: they go too.
    Plan plan = diff(with_link, without);
    EXPECT_EQ(steps_of(plan), "remove_uplink:wan.host update_network:nat flush_nat_sessions:nat");
    EXPECT_EQ(join(plan.removed), "uplink wan.host");
    EXPECT_EQ(join(plan.changed), "network nat (host_loopback, host_uplink: NAT sessions flushed)");

    // A new link carries no session yet: the others stay.
    plan = diff(without, with_link);
    EXPECT_EQ(steps_of(plan), "create_uplink:wan.host update_network:nat");
    EXPECT_EQ(join(plan.added), "uplink wan.host");
    EXPECT_EQ(join(plan.changed), "network nat (host_loopback, host_uplink; sessions kept)");

    // A new name for the link's TAP re-creates the link only.
    Config renamed = with_link;
    renamed.uplinks.at("wan.host").kernel->name = "vsh-other";
    plan = diff(with_link, renamed);
    EXPECT_EQ(steps_of(plan), "remove_uplink:wan.host create_uplink:wan.host flush_nat_sessions:nat");
    EXPECT_EQ(join(plan.changed), "uplink wan.host (kernel: re-created; sessions of its NAT networks flushed)");
}

TEST(Plan, NamesListsTheStepsOfOneAction) {
    Config next = base();
    next.ports.erase("vm3");
    next.ports.at("vm1").socket = "/tmp/x.sock";
    const Plan plan = diff(base(), next);
    EXPECT_EQ(plan.names(Action::remove_port), (std::vector<std::string>{"vm1", "vm3"}));
    EXPECT_TRUE(plan.has(Action::create_port, "vm1"));
    EXPECT_FALSE(plan.has(Action::create_port, "vm3"));
}

}  // namespace
}  // namespace vsw
