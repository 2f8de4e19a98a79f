// DPDK telemetry commands for vsw (read with dpdk-telemetry.py -f <file_prefix>):
//   /vsw/ports              list of port names
//   /vsw/port_stats,<name>  rx/tx packets and bytes, drops by reason, for one port
//   /vsw/drops              drops by reason, summed over all ports
#pragma once

namespace vsw {

class Switch;
void register_telemetry(const Switch* sw);  // call once; sw must outlive EAL
void unregister_telemetry();                // the commands then answer with an error

}  // namespace vsw
