// What a reload must not do without the operator saying so. An editor that
// writes in place, or a config-management tool caught halfway, leaves a
// file that is empty or cut short; most such files are still valid YAML and
// would remove every VM's port. So a reload is refused when
//   - the new file declares no networks (an empty or cut-off file), unless
//     `vswctl reload --allow-empty`;
//   - it would remove or re-create a port whose guest is connected now,
//     unless `vswctl reload --force`; the refusal names those ports.
// A pure function of the two configs and the ports whose link is up.
#pragma once

#include <optional>
#include <set>
#include <string>

#include "config.hpp"

namespace vsw {

struct ReloadOptions {
    bool allow_empty = false;
    bool force = false;
};

// The reason to refuse, or nothing when the reload may go ahead.
std::optional<std::string> reload_objection(const Config& running, const Config& next,
                                            const std::set<std::string>& connected_ports,
                                            const ReloadOptions& options);

}  // namespace vsw
