// The datapath's view of the configuration: an immutable snapshot built by
// the control thread and published to the workers with RCU (see
// control/switch.cpp). A worker loads the pointer once per round and never
// sees a half-built table; the control thread frees a snapshot only after
// every worker has passed a quiescent state.
#pragma once

#include <array>
#include <cstdint>

#include "addr.hpp"
#include "frame.hpp"
#include "limits.hpp"

struct rte_ring;

namespace vsw {

struct PortSlot {             // indexed by DPDK port id
    bool active = false;
    uint16_t network = kNoNetwork;
    uint16_t worker = 0;      // the only thread that polls and transmits on this port
    bool mac_pinned = false;
    Mac pinned_mac;
    rte_ring* tx_ring = nullptr;  // packets from other threads for this port (MP/SC)
};

struct NetworkSlot {
    bool active = false;
    ServiceAddresses services;
    uint16_t n_ports = 0;
    uint16_t ports[kMaxPorts]{};  // flood list
};

struct WorkerSlot {
    uint16_t n_ports = 0;
    uint16_t ports[kMaxPorts]{};  // ports this worker polls
};

struct Topology {
    uint64_t generation = 0;
    std::array<PortSlot, kMaxPorts> ports{};
    std::array<NetworkSlot, kMaxNetworks> networks{};
    std::array<WorkerSlot, kMaxWorkers> workers{};
};

}  // namespace vsw
