// build_topology(): the snapshot the workers see (datapath/topology.hpp),
// from the control plane's model of the switch. A pure function of its
// input, so what Switch::publish() makes is unit-tested without DPDK ports.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "../../datapath/topology.hpp"
#include "../config/config.hpp"

struct rte_ring;

namespace vsw {

struct TopologyModel {
    struct Uplink {
        UplinkConfig cfg;
        uint8_t id = 0;
        uint16_t port_id = 0;         // its DPDK port
        uint16_t worker = 0;          // the worker that polls it
        rte_ring* tx_ring = nullptr;
        Mac mac;                      // vsw's MAC on the uplink
        bool gateway_resolved = false;
        Mac gateway_mac;
        bool gateway6_resolved = false;
        Mac gateway6_mac;
        std::map<uint32_t, Mac> neighbors;  // on-link hosts by IPv4 (host order): remote VTEPs' MACs
    };
    struct Network {
        NetworkConfig cfg;
        uint16_t id = 0;
        Mac service_mac;
        bool dhcp = false;            // its DHCP server runs
        std::optional<uint16_t> host_port;  // the TAP port of its host interface, when up
        rte_ring* host_tx_ring = nullptr;
        std::map<uint32_t, uint16_t> vtep_ids;  // overlay: each remote's VTEP id, by IPv4 (host order)
    };
    struct Port {
        PortConfig cfg;
        uint16_t port_id = 0;
        uint16_t worker = 0;
        rte_ring* tx_ring = nullptr;
    };

    uint64_t generation = 0;
    unsigned n_workers = 1;
    std::array<uint32_t, kMaxNetworks> nat_epoch{};
    std::map<std::string, Uplink> uplinks;    // by name
    std::map<std::string, Network> networks;  // by name
    std::map<std::string, Port> ports;        // by name
    std::map<uint16_t, std::map<uint32_t, Mac>> neighbors;  // network id -> guest IP (host order) -> MAC
    std::map<uint16_t, std::map<Ipv6, Mac>> neighbors6;  // network id -> guest IPv6 address -> MAC
};

std::unique_ptr<Topology> build_topology(const TopologyModel& model);

}  // namespace vsw
