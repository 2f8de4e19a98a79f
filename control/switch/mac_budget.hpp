// How many MACs each port and each network may have in the FDB, and how many
// they have. One guest that sends from random source MACs (MAC flooding)
// fills its own port's budget and then its frames from new MACs are dropped;
// it cannot fill the FDB for the other ports of its network, nor the
// network's budget for other networks (the budgets of all networks fit in the
// FDB together, checked at config load).
//
// Control thread only (the FDB's single writer): the counts follow every
// add and move it makes, and are recounted from the table after removals
// (aging, flushes). The datapath sees the result as one flag per port
// (`full`): drop frames from source MACs the FDB does not have on that port.
#pragma once

#include <array>
#include <cstdint>

#include "../../datapath/limits.hpp"

namespace vsw {

class MacBudget {
public:
    // Limits for the ports and networks that exist now (others: no room).
    void set_port(uint16_t port, uint16_t network, uint32_t max_macs) {
        port_network_[port] = network;
        port_max_[port] = max_macs;
    }
    void clear_port(uint16_t port) { port_max_[port] = 0, port_network_[port] = kNoNetwork; }
    void set_network(uint16_t network, uint32_t max_macs) { net_max_[network] = max_macs; }

    // Whether `port` may have one more MAC (in its network's budget too). A
    // port id of kMaxPorts and above is a remote VTEP's (datapath/topology.hpp
    // vtep_port): its MACs count against `network`'s budget only.
    bool has_room(uint16_t port, uint16_t network = kNoNetwork) const {
        if (port >= kMaxPorts) return network < kMaxNetworks && net_count_[network] < net_max_[network];
        const uint16_t net = port_network_[port];
        return net != kNoNetwork && port_count_[port] < port_max_[port] && net_count_[net] < net_max_[net];
    }
    void added(uint16_t port, uint16_t network = kNoNetwork) {
        if (port < kMaxPorts) {
            ++port_count_[port];
            network = port_network_[port];
        }
        if (network < kMaxNetworks) ++net_count_[network];
    }
    void moved(uint16_t from, uint16_t to, uint16_t network = kNoNetwork) {
        const uint16_t from_net = from < kMaxPorts ? port_network_[from] : network;
        if (from < kMaxPorts && port_count_[from] > 0) --port_count_[from];
        if (from_net < kMaxNetworks && net_count_[from_net] > 0) --net_count_[from_net];
        added(to, network);
    }
    // Recounting: reset, then counted() once per FDB entry.
    void reset_counts() { port_count_.fill(0), net_count_.fill(0); }
    void counted(uint16_t port, uint16_t network) { added(port, network); }

    uint32_t port_count(uint16_t port) const { return port_count_[port]; }
    uint32_t port_max(uint16_t port) const { return port_max_[port]; }
    uint32_t network_count(uint16_t network) const { return net_count_[network]; }

private:
    std::array<uint16_t, kMaxPorts> port_network_ = filled<kMaxPorts>(kNoNetwork);
    std::array<uint32_t, kMaxPorts> port_max_{};
    std::array<uint32_t, kMaxPorts> port_count_{};
    std::array<uint32_t, kMaxNetworks> net_max_{};
    std::array<uint32_t, kMaxNetworks> net_count_{};

    template <size_t N>
    static constexpr std::array<uint16_t, N> filled(uint16_t v) {
        std::array<uint16_t, N> a{};
        a.fill(v);
        return a;
    }
};

}  // namespace vsw
