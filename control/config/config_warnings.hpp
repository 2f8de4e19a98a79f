// Likely mistakes in a valid config: `vswd --check` prints them (exit 0 all
// the same) and vswd logs them at start and on reload.
#pragma once

#include <string>
#include <vector>

#include "config.hpp"

namespace vsw {

// One line each, naming the key to look at.
std::vector<std::string> config_warnings(const Config& config);

}  // namespace vsw
