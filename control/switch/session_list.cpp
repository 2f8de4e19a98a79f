#include "session_list.hpp"

#include <fmt/format.h>

#include "../../common/addr.hpp"

namespace vsw {

namespace {

const std::string& name_or_unknown(const std::vector<std::string>& names, size_t id) {
    static const std::string unknown = "?";
    return id < names.size() && !names[id].empty() ? names[id] : unknown;
}

}  // namespace

void list_sessions(const nat::NatTable& table, unsigned worker, const SessionListFilter& filter,
                   const SessionListNames& names, size_t limit, nlohmann::json& out, size_t& found) {
    auto ip = [](uint32_t be) { return Ipv4::from_be(be).to_string(); };
    auto port = [](uint16_t be) { return __builtin_bswap16(be); };
    static const char* kState[] = {"-", "syn_sent", "established", "closing", "closed"};
    const nat::Session* sessions = table.sessions();
    for (uint32_t i = 0; i < table.slots(); ++i) {
        // A diagnostic snapshot: the worker keeps changing its table meanwhile.
        const nat::Session& s = sessions[i];
        if (!s.in_use) continue;
        if (filter.proto && s.in.proto != *filter.proto) continue;
        if (filter.guest && s.in.in_ip != *filter.guest) continue;
        if (filter.network && s.in.network != *filter.network) continue;
        if (++found > limit) continue;  // counted, not listed
        const char* proto = s.in.proto == 6 ? "tcp" : s.in.proto == 17 ? "udp" : "icmp";
        out.push_back({{"network", name_or_unknown(names.network, s.in.network)},
                       {"proto", proto},
                       {"worker", worker},
                       {"inside", fmt::format("{}:{}", ip(s.in.in_ip), port(s.in.in_port))},
                       {"outside", fmt::format("{}:{}", name_or_unknown(names.uplink_address, s.out.uplink),
                                               port(s.out.out_port))},
                       {"remote", fmt::format("{}:{}", ip(s.in.remote_ip), port(s.in.remote_port))},
                       {"state", s.in.proto == 6 ? kState[static_cast<int>(s.tcp)] : "-"},
                       {"forward", s.from_forward},
                       {"idle", names.now - s.last_seen},
                       {"packets_out", s.packets_out},
                       {"packets_in", s.packets_in}});
    }
}

}  // namespace vsw
