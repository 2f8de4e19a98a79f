// build_topology(): the snapshot Switch::publish() gives the workers, from a
// model (configs loaded from YAML, plus the port ids, workers and rings the
// switch assigned). Rings are opaque here: the builder only stores them.
#include <gtest/gtest.h>

#include <algorithm>

#include "topology_builder.hpp"

namespace vsw {
namespace {

const char* kConfig = R"(
uplinks:
  wan: {device: "net_null0", address: 203.0.113.10/24, gateway: 203.0.113.1, resolver: 203.0.113.53,
        ports: 20000-29999}
  bare: {device: "net_null1", address: 198.51.100.10/24, gateway: 198.51.100.1}
networks:
  nat:
    mode: nat
    subnet: 10.0.2.0/24
    uplink: wan
    dns: 10.0.2.3
    dhcp: {range: 10.0.2.15-10.0.2.254}
    max_sessions: 1001
    max_sessions_per_guest: 11
    timeouts: {udp: 30}
    port_forwards:
      - {name: web, proto: tcp, host_port: 8080, guest_ip: 10.0.2.15, guest_port: 80}
      - {name: dns, proto: udp, host_port: 5353, guest_ip: 10.0.2.16, guest_port: 53}
  nodns: {mode: nat, subnet: 10.0.3.0/24, uplink: bare}
  ho:
    mode: host-only
    subnet: 192.168.56.0/24
    host_interface: {name: vswtopo0, address: 192.168.56.1}
    dhcp: {server: 192.168.56.100, range: 192.168.56.101-192.168.56.254}
  l2:
    mode: internal
    overlay: {vni: 5001, uplink: wan, remotes: [203.0.113.20, 192.0.2.7, 203.0.113.21]}
ports:
  vm1: {network: nat, mac: "52:54:00:00:00:01"}
  vm2: {network: ho}
  vm3: {network: l2}
  vm4: {network: l2}
)";

rte_ring* ring(uintptr_t n) { return reinterpret_cast<rte_ring*>(n); }
Ipv4 ip(const char* text) { return *Ipv4::parse(text); }
Mac mac(const char* text) { return *Mac::parse(text); }

// The model a switch with two workers would have for kConfig.
TopologyModel model() {
    auto c = load_config_string(kConfig, "vsw.yaml");
    EXPECT_TRUE(c) << (c ? "" : c.error().to_string());
    TopologyModel m;
    m.generation = 7;
    m.n_workers = 2;
    m.nat_epoch[0] = 3;
    m.uplinks["wan"] = {c->uplinks.at("wan"), 0, 10, 1, ring(0x10), mac("02:00:00:00:00:10"), true,
                        mac("02:00:00:00:00:01"), false, Mac{}, {{ip("203.0.113.20").value, mac("02:00:00:00:00:20")}}};
    m.uplinks["bare"] = {c->uplinks.at("bare"), 1, 11, 0, ring(0x11), mac("02:00:00:00:00:11"), false, Mac{}, false, Mac{},
                         {}};
    m.networks["nat"] = {c->networks.at("nat"), 0, mac("02:76:73:00:00:00"), true, std::nullopt, nullptr, {}};
    m.networks["nodns"] = {c->networks.at("nodns"), 1, mac("02:76:73:00:00:01"), false, std::nullopt, nullptr, {}};
    m.networks["ho"] = {c->networks.at("ho"), 2, mac("02:76:73:00:00:02"), true, uint16_t{12}, ring(0x12), {}};
    m.networks["l2"] = {c->networks.at("l2"), 3, mac("02:76:73:00:00:03"), false, std::nullopt, nullptr,
                        {{ip("203.0.113.20").value, 0}, {ip("192.0.2.7").value, 2}, {ip("203.0.113.21").value, 1}}};
    m.ports["vm1"] = {c->ports.at("vm1"), 0, 0, ring(0x20)};
    m.ports["vm2"] = {c->ports.at("vm2"), 1, 1, ring(0x21)};
    m.ports["vm3"] = {c->ports.at("vm3"), 2, 0, ring(0x22)};
    m.ports["vm4"] = {c->ports.at("vm4"), 3, 1, ring(0x23)};
    m.neighbors[0][ip("10.0.2.15").value] = mac("52:54:00:00:00:01");
    return m;
}

std::vector<uint16_t> list(const uint16_t* p, uint16_t n) {
    std::vector<uint16_t> v(p, p + n);
    std::sort(v.begin(), v.end());
    return v;
}

TEST(BuildTopology, PortsJoinTheirNetworkAndWorker) {
    const auto t = build_topology(model());
    EXPECT_EQ(t->generation, 7u);
    EXPECT_EQ(t->n_workers, 2);
    EXPECT_EQ(t->nat_epoch[0], 3u);
    const PortSlot& vm1 = t->ports[0];
    EXPECT_TRUE(vm1.active);
    EXPECT_EQ(vm1.network, 0);
    EXPECT_EQ(vm1.worker, 0);
    EXPECT_EQ(vm1.tx_ring, ring(0x20));
    EXPECT_TRUE(vm1.mac_pinned);
    EXPECT_EQ(vm1.pinned_mac, mac("52:54:00:00:00:01"));
    EXPECT_FALSE(t->ports[1].mac_pinned);
    EXPECT_EQ(t->ports[1].network, 2);
    // Flood lists: a network's ports (its host interface's too).
    EXPECT_EQ(list(t->networks[3].ports, t->networks[3].n_ports), (std::vector<uint16_t>{2, 3}));
    EXPECT_EQ(list(t->networks[2].ports, t->networks[2].n_ports), (std::vector<uint16_t>{1, 12}));
    // The host interface is polled by worker 0; the uplinks by theirs.
    EXPECT_EQ(t->ports[12].worker, 0);
    EXPECT_EQ(t->ports[12].tx_ring, ring(0x12));
    EXPECT_EQ(list(t->workers[0].ports, t->workers[0].n_ports), (std::vector<uint16_t>{0, 2, 11, 12}));
    EXPECT_EQ(list(t->workers[1].ports, t->workers[1].n_ports), (std::vector<uint16_t>{1, 3, 10}));
    EXPECT_FALSE(t->ports[4].active);
    EXPECT_FALSE(t->networks[4].active);
}

TEST(BuildTopology, UplinksAreSlicedAmongWorkers) {
    const auto t = build_topology(model());
    const UplinkSlot& wan = t->uplinks[0];
    EXPECT_TRUE(wan.active);
    EXPECT_EQ(wan.port, 10);
    EXPECT_EQ(t->ports[10].uplink, 0);
    EXPECT_EQ(wan.address, ip("203.0.113.10").to_be());
    EXPECT_TRUE(wan.gateway_resolved);
    EXPECT_EQ(wan.gateway_mac, mac("02:00:00:00:00:01"));
    EXPECT_EQ(wan.slice[0].first, 20000);
    EXPECT_EQ(wan.slice[0].last, 24999);
    EXPECT_EQ(wan.slice[1].first, 25000);
    EXPECT_EQ(wan.slice[1].last, 29999);
    EXPECT_EQ(wan.owner_of_port(24999, 2), 0);
    EXPECT_EQ(wan.owner_of_port(25000, 2), 1);
    // bare: the default range 1024-65535, an odd span.
    const UplinkSlot& bare = t->uplinks[1];
    EXPECT_EQ(bare.slice[0].first, 1024);
    EXPECT_EQ(bare.slice[1].last, 65535);
    EXPECT_EQ(bare.slice[0].last + 1, bare.slice[1].first);
    EXPECT_FALSE(bare.gateway_resolved);
}

TEST(BuildTopology, OneWorkerOwnsTheWholeRange) {
    TopologyModel m = model();
    m.n_workers = 1;
    for (auto& [name, p] : m.ports) p.worker = 0;
    for (auto& [name, u] : m.uplinks) u.worker = 0;
    const auto t = build_topology(m);
    EXPECT_EQ(t->uplinks[0].slice[0].first, 20000);
    EXPECT_EQ(t->uplinks[0].slice[0].last, 29999);
    EXPECT_EQ(t->networks[0].nat.max_sessions, 1001u);
}

TEST(BuildTopology, PortForwardsCarryGuestsAndReservePorts) {
    const auto t = build_topology(model());
    const UplinkSlot& wan = t->uplinks[0];
    ASSERT_EQ(wan.n_forwards, 2);
    const ForwardRule& web = wan.forwards[0];
    EXPECT_EQ(web.proto, 6);
    EXPECT_EQ(web.host_port, 8080);
    EXPECT_EQ(web.network, 0);
    EXPECT_EQ(web.guest_ip, ip("10.0.2.15").to_be());
    EXPECT_EQ(web.guest_port, __builtin_bswap16(80));
    EXPECT_TRUE(web.guest_mac_known);  // from the neighbors the slow path learned
    EXPECT_EQ(web.guest_mac, mac("52:54:00:00:00:01"));
    EXPECT_EQ(wan.forwards[1].proto, 17);
    EXPECT_FALSE(wan.forwards[1].guest_mac_known);
    ASSERT_EQ(wan.n_reserved, 3);
    EXPECT_EQ(wan.reserved[0], 4789);  // sorted; VXLAN's (network l2's overlay)
    EXPECT_EQ(wan.reserved[1], 5353);
    EXPECT_EQ(wan.reserved[2], 8080);
    EXPECT_EQ(t->uplinks[1].n_forwards, 0);
}

TEST(BuildTopology, NatNetworksGetTheirAddressesAndShareOfTheCaps) {
    const auto t = build_topology(model());
    const NetworkSlot& ns = t->networks[0];
    EXPECT_TRUE(ns.services.enabled && ns.services.routed && ns.services.dhcp);
    EXPECT_EQ(ns.services.mac, mac("02:76:73:00:00:00"));
    EXPECT_TRUE(ns.services.has_ip_be(ip("10.0.2.2").to_be()));   // gateway and DHCP server
    EXPECT_TRUE(ns.services.has_ip_be(ip("10.0.2.3").to_be()));   // dns
    EXPECT_EQ(ns.services.n_ips, 2);
    EXPECT_EQ(ns.services.dns_be, ip("10.0.2.3").to_be());
    const NatNetworkInfo& nn = ns.nat;
    EXPECT_TRUE(nn.enabled);
    EXPECT_EQ(nn.uplink, 0);
    EXPECT_EQ(nn.subnet, ip("10.0.2.0").to_be());
    EXPECT_EQ(nn.mask, ip("255.255.255.0").to_be());
    EXPECT_EQ(nn.gateway, ip("10.0.2.2").to_be());
    EXPECT_TRUE(nn.has_dns);
    EXPECT_EQ(nn.dns, ip("10.0.2.3").to_be());
    EXPECT_EQ(nn.resolver, ip("203.0.113.53").to_be());
    EXPECT_EQ(nn.timeouts.udp, 30u);
    EXPECT_EQ(nn.max_sessions, 501u);  // ceil(1001 / 2 workers)
    EXPECT_EQ(nn.max_sessions_per_guest, 6u);
    EXPECT_EQ(t->networks[1].nat.uplink, 1);
    EXPECT_FALSE(t->networks[1].nat.has_dns);
    EXPECT_FALSE(t->networks[1].services.dhcp);
    // dns on a network whose uplink has no resolver (the loader refuses it;
    // the builder does not rely on that): answered, not translated.
    TopologyModel m = model();
    m.networks["nodns"].cfg.nat->dns = ip("10.0.3.3");
    const auto t2 = build_topology(m);
    EXPECT_FALSE(t2->networks[1].nat.has_dns);
    EXPECT_TRUE(t2->networks[1].services.has_ip_be(ip("10.0.3.3").to_be()));
}

TEST(BuildTopology, NatNetworkWithoutItsUplinkIsOff) {
    TopologyModel m = model();
    m.uplinks.erase("wan");
    const auto t = build_topology(m);
    EXPECT_TRUE(t->networks[0].active);
    EXPECT_FALSE(t->networks[0].nat.enabled);
    EXPECT_EQ(t->networks[0].nat.uplink, kNoUplink);
    EXPECT_FALSE(t->uplinks[0].active);
    EXPECT_TRUE(t->networks[0].services.routed);  // the gateway still answers
}

// ports.X.queues: queue 0 stays with the port's worker (which also sends on
// it); the further queues go round the workers after it.
TEST(BuildTopology, FurtherQueuesGoRoundTheWorkers) {
    TopologyModel m = model();
    m.ports["vm2"].cfg.queues = 3;  // worker 1: queue 1 -> worker 0, queue 2 -> worker 1
    m.ports["vm3"].cfg.queues = 2;  // worker 0: queue 1 -> worker 1
    const auto t = build_topology(m);
    EXPECT_EQ(queue_worker(1, 2, 2), 1);
    auto extra = [&](uint16_t w) {
        std::vector<std::pair<uint16_t, uint16_t>> v;
        for (uint16_t k = 0; k < t->workers[w].n_extra_rx; ++k)
            v.emplace_back(t->workers[w].extra_rx[k].port, t->workers[w].extra_rx[k].queue);
        std::sort(v.begin(), v.end());
        return v;
    };
    EXPECT_EQ(extra(0), (std::vector<std::pair<uint16_t, uint16_t>>{{1, 1}}));
    EXPECT_EQ(extra(1), (std::vector<std::pair<uint16_t, uint16_t>>{{1, 2}, {2, 1}}));
    // Ownership (transmit, queue 0) does not move.
    EXPECT_EQ(t->ports[1].worker, 1);
    EXPECT_EQ(list(t->workers[0].ports, t->workers[0].n_ports), (std::vector<uint16_t>{0, 2, 11, 12}));

    m.n_workers = 1;  // one worker polls them all
    for (auto& [name, up] : m.uplinks) up.worker = 0;
    for (auto& [name, p] : m.ports) p.worker = 0;
    const auto one = build_topology(m);
    EXPECT_EQ(one->workers[0].n_extra_rx, 3);
}

TEST(BuildTopology, HostOnlyAndInternalServices) {
    const auto t = build_topology(model());
    const ServiceAddresses& ho = t->networks[2].services;
    EXPECT_TRUE(ho.enabled && ho.dhcp);
    EXPECT_FALSE(ho.routed);
    EXPECT_EQ(ho.n_ips, 1);
    EXPECT_TRUE(ho.has_ip_be(ip("192.168.56.100").to_be()));
    EXPECT_FALSE(t->networks[2].nat.enabled);
    EXPECT_FALSE(t->networks[3].services.enabled);
    // A DHCP server that is configured but not running is not announced.
    TopologyModel m = model();
    m.networks["ho"].dhcp = false;
    EXPECT_FALSE(build_topology(m)->networks[2].services.enabled);
}

TEST(BuildTopology, PortOfAMissingNetworkStaysOut) {
    TopologyModel m = model();
    m.networks.erase("l2");
    const auto t = build_topology(m);
    EXPECT_FALSE(t->ports[2].active);
    EXPECT_FALSE(t->ports[3].active);
    EXPECT_EQ(list(t->workers[1].ports, t->workers[1].n_ports), (std::vector<uint16_t>{1, 10}));
}

// An overlay network: each remote at its stable id, its outer headers ready
// once its next hop is known (on the prefix: its own MAC from ARP; else the
// gateway's), and UDP 4789 kept out of the uplink's masquerade ports.
TEST(BuildTopology, OverlayRemotesGetTheirOuterHeaders) {
    const auto t = build_topology(model());
    const OverlaySlot& ov = t->overlays[3];
    EXPECT_TRUE(ov.enabled);
    EXPECT_EQ(ov.uplink, 0);
    EXPECT_EQ(ov.vni, 5001u);
    EXPECT_EQ(ov.max_inner, 1500u - 36u);
    EXPECT_EQ(ov.n_vteps, 3);
    EXPECT_FALSE(t->overlays[2].enabled) << "the host-only network has none";

    const VtepSlot& onlink = ov.vteps[0];
    ASSERT_TRUE(onlink.active);
    EXPECT_EQ(onlink.ip, ip("203.0.113.20").to_be());
    ASSERT_TRUE(onlink.resolved);
    const auto expected = overlay::write_vxlan_template(
        {mac("02:00:00:00:00:10").bytes, mac("02:00:00:00:00:20").bytes, ip("203.0.113.10").to_be(),
         ip("203.0.113.20").to_be(), 5001});
    EXPECT_EQ(onlink.outer, expected);

    const VtepSlot& unresolved = ov.vteps[1];
    EXPECT_TRUE(unresolved.active);
    EXPECT_FALSE(unresolved.resolved) << "203.0.113.21 has not answered ARP";

    const VtepSlot& routed = ov.vteps[2];
    ASSERT_TRUE(routed.resolved);
    EXPECT_TRUE(std::equal(routed.outer.begin(), routed.outer.begin() + 6, mac("02:00:00:00:00:01").bytes.begin()))
        << "off the prefix: the frame goes to the gateway";

    const UplinkSlot& wan = t->uplinks[0];
    EXPECT_EQ(wan.n_overlays, 1);
    EXPECT_EQ(wan.overlay_networks[0], 3);
    EXPECT_EQ(list(wan.reserved, wan.n_reserved), (std::vector<uint16_t>{4789, 5353, 8080}));
    EXPECT_EQ(t->uplinks[1].n_overlays, 0);
}

}  // namespace
}  // namespace vsw
