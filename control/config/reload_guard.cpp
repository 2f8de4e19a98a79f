#include "reload_guard.hpp"

#include "reload_plan.hpp"

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
    // The plan says which ports go away, for good or to be re-created.
    const Plan plan = diff(running, next);
    std::vector<std::string> cut_off;
    for (const std::string& name : plan.names(Action::remove_port)) {
        if (!connected_ports.count(name)) continue;
        cut_off.push_back(name + (next.ports.count(name) ? " (socket changes)" : " (removed)"));
    }
    if (cut_off.empty()) return std::nullopt;
    return fmt::format(
        "the reload would disconnect {} connected guest port(s): {}; check {} or run `vswctl reload --force`",
        cut_off.size(), fmt::join(cut_off, ", "), next.source_file);
}

}  // namespace vsw
