#include "session_list.hpp"

#include <fmt/format.h>

#include "../../common/addr.hpp"

namespace vsw {

namespace {

const std::string& name_or_unknown(const std::vector<std::string>& names, size_t id) {
    static const std::string unknown = "?";
    return id < names.size() && !names[id].empty() ? names[id] : unknown;
}

// Both families' tables: `ip(in_ip)` formats an address of the table's kind,
// `guest_ip(s)` is the session's IPv4 inside address for the guest filter
// (none for IPv6).
template <class Table, class FormatIp, class GuestIp>
void list_table(const Table& table, unsigned worker, const SessionListFilter& filter, const SessionListNames& names,
                const std::vector<std::string>& uplink_address, size_t limit, nlohmann::json& out, size_t& found,
                FormatIp&& ip, GuestIp&& guest_ip) {
    auto port = [](uint16_t be) { return __builtin_bswap16(be); };
    static const char* kState[] = {"-", "syn_sent", "established", "closing", "closed"};
    const auto* sessions = table.sessions();
    for (uint32_t i = 0; i < table.slots(); ++i) {
        // A diagnostic snapshot: the worker keeps changing its table meanwhile.
        const auto& s = sessions[i];
        if (!s.in_use) continue;
        const uint8_t proto = s.in.proto == 58 ? 1 : s.in.proto;  // --proto icmp: ICMPv6 too
        if (filter.proto && proto != *filter.proto) continue;
        if (filter.guest && guest_ip(s) != filter.guest) continue;
        if (filter.network && s.in.network != *filter.network) continue;
        if (++found > limit) continue;  // counted, not listed
        const char* proto_name = s.in.proto == 6 ? "tcp" : s.in.proto == 17 ? "udp" : s.in.proto == 58 ? "icmp6" : "icmp";
        out.push_back({{"network", name_or_unknown(names.network, s.in.network)},
                       {"proto", proto_name},
                       {"worker", worker},
                       {"inside", fmt::format("{}:{}", ip(s.in.in_ip), port(s.in.in_port))},
                       {"outside", fmt::format("{}:{}", name_or_unknown(uplink_address, s.out.uplink),
                                               port(s.out.out_port))},
                       {"remote", fmt::format("{}:{}", ip(s.in.remote_ip), port(s.in.remote_port))},
                       {"state", s.in.proto == 6 ? kState[static_cast<int>(s.tcp)] : "-"},
                       {"forward", s.from_forward},
                       {"idle", names.now - s.last_seen},
                       {"packets_out", s.packets_out},
                       {"packets_in", s.packets_in}});
    }
}

}  // namespace

void list_sessions(const nat::NatTable& table, unsigned worker, const SessionListFilter& filter,
                   const SessionListNames& names, size_t limit, nlohmann::json& out, size_t& found) {
    list_table(
        table, worker, filter, names, names.uplink_address, limit, out, found,
        [](uint32_t be) { return Ipv4::from_be(be).to_string(); },
        [](const nat::Session& s) { return std::optional<uint32_t>(s.in.in_ip); });
}

void list_sessions6(const nat::NatTable6& table, unsigned worker, const SessionListFilter& filter,
                    const SessionListNames& names, size_t limit, nlohmann::json& out, size_t& found) {
    list_table(
        table, worker, filter, names, names.uplink_address6, limit, out, found,
        [](const std::array<uint8_t, 16>& a) { return "[" + Ipv6{a}.to_string() + "]"; },
        [](const nat::Session6&) { return std::optional<uint32_t>(); });
}

}  // namespace vsw
