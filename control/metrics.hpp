// `vswctl stats --format prometheus`: vswd's counters in Prometheus' text
// exposition format (version 0.0.4), for a textfile collector or a scrape
// through any small HTTP wrapper. A pure function of `vswctl --json stats`.
#pragma once

#include <nlohmann/json.hpp>

#include <string>

namespace vsw {

// `stats` is the "data" member of vswd's answer to {"cmd": "stats"}.
std::string prometheus_text(const nlohmann::json& stats);

}  // namespace vsw
