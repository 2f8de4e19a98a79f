// vswctl sessions: one pass over a worker's NAT session table. The reply is
// bounded (at most `limit` rows); the pass reads every slot, so its time
// grows with the table (perf/bench_datapath's BM_sessions_list measures it:
// the control thread answers no DHCP or ARP meanwhile).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "nat/nat_table.hpp"

namespace vsw {

struct SessionListFilter {
    std::optional<uint16_t> network;  // a network id
    std::optional<uint32_t> guest;    // inside address, network byte order
    std::optional<uint8_t> proto;     // 6, 17 or 1
};

struct SessionListNames {
    std::vector<std::string> network;          // by network id
    std::vector<std::string> uplink_address;   // by uplink id
    std::vector<std::string> uplink_address6;  // by uplink id: "[address6]" (NAT66)
    uint32_t now = 0;                          // seconds, the tables' clock
};

// Appends the sessions of `table` (worker `worker`) that pass `filter` to
// `out` while it holds fewer than `limit`; counts every match in `found`.
void list_sessions(const nat::NatTable& table, unsigned worker, const SessionListFilter& filter,
                   const SessionListNames& names, size_t limit, nlohmann::json& out, size_t& found);
// The same for a NAT66 table (addresses as "[ipv6]:port"; a guest filter, IPv4, matches none).
void list_sessions6(const nat::NatTable6& table, unsigned worker, const SessionListFilter& filter,
                    const SessionListNames& names, size_t limit, nlohmann::json& out, size_t& found);

}  // namespace vsw
