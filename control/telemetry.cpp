#include "telemetry.hpp"

#include <rte_telemetry.h>

#include <atomic>
#include <string>

#include "switch/switch.hpp"

namespace vsw {

namespace {

// DPDK 22.11's telemetry callbacks take no user argument.
std::atomic<const Switch*> g_switch{nullptr};

int ports_cmd(const char*, const char*, rte_tel_data* d) {
    const Switch* sw = g_switch.load();
    if (sw == nullptr) return -1;
    const nlohmann::json ports = sw->port_counters_json(true);
    rte_tel_data_start_array(d, RTE_TEL_STRING_VAL);
    for (const auto& [name, v] : ports.items()) rte_tel_data_add_array_string(d, name.c_str());
    return 0;
}

int port_stats_cmd(const char*, const char* params, rte_tel_data* d) {
    const Switch* sw = g_switch.load();
    if (sw == nullptr || params == nullptr) return -1;
    const nlohmann::json all = sw->port_counters_json(false);
    auto it = all.find(params);
    if (it == all.end()) return -1;
    rte_tel_data_start_dict(d);
    for (const auto& [key, v] : it->items()) {
        if (v.is_number_unsigned()) rte_tel_data_add_dict_u64(d, key.c_str(), v.get<uint64_t>());
    }
    for (const auto& [reason, v] : (*it)["drops"].items())
        rte_tel_data_add_dict_u64(d, ("drop_" + reason).c_str(), v.get<uint64_t>());
    return 0;
}

int drops_cmd(const char*, const char*, rte_tel_data* d) {
    const Switch* sw = g_switch.load();
    if (sw == nullptr) return -1;
    uint64_t totals[kDropReasonCount] = {};
    const nlohmann::json ports = sw->port_counters_json(false);
    for (const auto& [name, port] : ports.items())
        for (unsigned r = 0; r < kDropReasonCount; ++r)
            totals[r] += port["drops"][drop_reason_name(static_cast<DropReason>(r))].get<uint64_t>();
    rte_tel_data_start_dict(d);
    for (unsigned r = 0; r < kDropReasonCount; ++r)
        rte_tel_data_add_dict_u64(d, drop_reason_name(static_cast<DropReason>(r)), totals[r]);
    return 0;
}

}  // namespace

void register_telemetry(const Switch* sw) {
    g_switch.store(sw);
    rte_telemetry_register_cmd("/vsw/ports", ports_cmd, "Returns the vsw port names.");
    rte_telemetry_register_cmd("/vsw/port_stats", port_stats_cmd,
                               "Returns a vsw port's counters. Parameters: port name");
    rte_telemetry_register_cmd("/vsw/drops", drops_cmd, "Returns vsw drops by reason, all ports.");
}

void unregister_telemetry() { g_switch.store(nullptr); }

}  // namespace vsw
