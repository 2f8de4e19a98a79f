#include "telemetry.hpp"

#include <rte_telemetry.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
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

// The control thread's latest Switch::stats(), for the commands below.
std::mutex g_snapshot_mutex;
std::shared_ptr<const nlohmann::json> g_snapshot;
std::chrono::steady_clock::time_point g_snapshot_time;

std::pair<std::shared_ptr<const nlohmann::json>, uint64_t> snapshot() {
    std::lock_guard lock(g_snapshot_mutex);
    const auto age = std::chrono::steady_clock::now() - g_snapshot_time;
    return {g_snapshot, static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(age).count())};
}

// The unsigned numbers of a JSON object as a telemetry dict (strings and
// nested values are left out: telemetry nests one level only).
rte_tel_data* numbers_dict(const nlohmann::json& object) {
    rte_tel_data* c = rte_tel_data_alloc();
    if (c == nullptr) return nullptr;
    rte_tel_data_start_dict(c);
    for (const auto& [key, v] : object.items())
        if (v.is_number_unsigned()) rte_tel_data_add_dict_u64(c, key.c_str(), v.get<uint64_t>());
    return c;
}

// One dict entry per item of stats[section] (an object by name, or an array
// of objects by `index_key`), each a dict of its numbers.
int section_cmd(rte_tel_data* d, const char* section, const char* index_key = nullptr) {
    const auto [stats, age_ms] = snapshot();
    if (stats == nullptr || g_switch.load() == nullptr) return -1;
    rte_tel_data_start_dict(d);
    rte_tel_data_add_dict_u64(d, "snapshot_age_ms", age_ms);
    const auto it = stats->find(section);
    if (it == stats->end()) return 0;
    auto add = [&](const std::string& name, const nlohmann::json& item) {
        if (rte_tel_data* c = numbers_dict(item)) rte_tel_data_add_dict_container(d, name.c_str(), c, 0);
    };
    if (it->is_object())
        for (const auto& [name, item] : it->items()) add(name, item);
    else if (it->is_array() && index_key != nullptr)
        for (const auto& item : *it) add(std::to_string(item.value(index_key, uint64_t{0})), item);
    return 0;
}

int workers_cmd(const char*, const char*, rte_tel_data* d) { return section_cmd(d, "workers", "worker"); }
int nat_cmd(const char*, const char*, rte_tel_data* d) { return section_cmd(d, "nat"); }
int dhcp_cmd(const char*, const char*, rte_tel_data* d) { return section_cmd(d, "dhcp"); }

}  // namespace

void publish_telemetry_snapshot(nlohmann::json stats) {
    auto fresh = std::make_shared<const nlohmann::json>(std::move(stats));
    std::lock_guard lock(g_snapshot_mutex);
    g_snapshot = std::move(fresh);
    g_snapshot_time = std::chrono::steady_clock::now();
}

void register_telemetry(const Switch* sw) {
    g_switch.store(sw);
    rte_telemetry_register_cmd("/vsw/ports", ports_cmd, "Returns the vsw port names.");
    rte_telemetry_register_cmd("/vsw/port_stats", port_stats_cmd,
                               "Returns a vsw port's counters. Parameters: port name");
    rte_telemetry_register_cmd("/vsw/drops", drops_cmd, "Returns vsw drops by reason, all ports.");
    rte_telemetry_register_cmd("/vsw/workers", workers_cmd,
                               "Returns each datapath worker's loop and NAT counters (snapshot, ~1 s old at most).");
    rte_telemetry_register_cmd("/vsw/nat", nat_cmd, "Returns live NAT sessions per network (snapshot).");
    rte_telemetry_register_cmd("/vsw/dhcp", dhcp_cmd, "Returns DHCP leases and messages per network (snapshot).");
}

void unregister_telemetry() { g_switch.store(nullptr); }

}  // namespace vsw
