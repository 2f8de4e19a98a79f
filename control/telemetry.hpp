// DPDK telemetry commands for vsw (read with dpdk-telemetry.py -f <file_prefix>):
//   /vsw/ports              list of port names
//   /vsw/port_stats,<name>  rx/tx packets and bytes, drops by reason, for one port
//   /vsw/drops              drops by reason, summed over all ports
//   /vsw/workers            per worker: rounds, busy rounds, NAT packets, sessions created/expired, ...
//   /vsw/nat                per NAT network: live sessions; per worker: translated packets
//   /vsw/dhcp               per network with a DHCP server: leases in use, messages by kind
// The last three answer from a snapshot of `vswctl stats` that the control
// thread publishes about once a second (telemetry runs on a thread of its
// own and must not walk the control thread's tables); `snapshot_age_ms` says
// how old it is.
#pragma once

#include <nlohmann/json.hpp>

namespace vsw {

class Switch;
void register_telemetry(const Switch* sw);  // call once; sw must outlive EAL
void unregister_telemetry();                // the commands then answer with an error
void publish_telemetry_snapshot(nlohmann::json stats);  // the control thread's Switch::stats()

}  // namespace vsw
