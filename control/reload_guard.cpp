#include "reload_guard.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <vector>

namespace vsw {

std::optional<std::string> reload_objection(const Config& running, const Config& next,
                                            const std::set<std::string>& connected_ports,
                                            const ReloadOptions& options) {
    if (next.networks.empty() && !running.networks.empty() && !options.allow_empty)
        return fmt::format(
            "{} declares no networks (empty or cut short?): applying it would remove {} network(s) and {} port(s); "
            "if that is what you want, run `vswctl reload --allow-empty`",
            next.source_file, running.networks.size(), running.ports.size());
    if (options.force) return std::nullopt;
    std::vector<std::string> cut_off;
    for (const std::string& name : connected_ports) {
        auto now = running.ports.find(name);
        if (now == running.ports.end()) continue;
        auto then = next.ports.find(name);
        if (then == next.ports.end())
            cut_off.push_back(name + " (removed)");
        else if (then->second.socket != now->second.socket || then->second.client != now->second.client)
            cut_off.push_back(name + " (socket changes)");
    }
    if (cut_off.empty()) return std::nullopt;
    return fmt::format(
        "the reload would disconnect {} connected guest port(s): {}; check {} or run `vswctl reload --force`",
        cut_off.size(), fmt::join(cut_off, ", "), next.source_file);
}

}  // namespace vsw
