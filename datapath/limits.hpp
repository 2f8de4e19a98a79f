// Compile-time sizes of the datapath's fixed tables.
#pragma once

#include <cstdint>

namespace vsw {

inline constexpr uint16_t kMaxPorts = 32;      // == RTE_MAX_ETHPORTS of Debian's DPDK build
inline constexpr uint16_t kMaxNetworks = 32;
inline constexpr uint16_t kMaxWorkers = 8;
inline constexpr uint16_t kMaxUplinks = 8;     // NAT uplinks, device uplinks' host links included
inline constexpr uint32_t kFdbEntries = 65536; // learned MACs, all networks together
inline constexpr uint16_t kMaxQueues = 4;     // vhost-user queue pairs per port (ports.X.queues)
inline constexpr uint16_t kBurst = 32;         // packets per rx/tx call
inline constexpr uint16_t kMaxServiceIps = 4;  // per network: DHCP server, gateway, DNS, ...
inline constexpr uint16_t kMaxVteps = 64;      // remote VTEPs per overlay network (networks.X.overlay.remotes)
inline constexpr uint16_t kNoNetwork = 0xffff;

}  // namespace vsw
