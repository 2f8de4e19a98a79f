#include "host_resolvers.hpp"

#include <fstream>
#include <sstream>

namespace vsw {

namespace {

bool loopback(Ipv4 a) { return (a.value >> 24) == 127; }

std::string read_all(const std::string& path) {
    std::ifstream in(path);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

}  // namespace

std::vector<Ipv4> parse_resolv_conf(std::string_view text) {
    std::vector<Ipv4> out;
    std::istringstream lines{std::string(text)};
    std::string line;
    while (std::getline(lines, line)) {
        if (const size_t hash = line.find_first_of("#;"); hash != std::string::npos) line.resize(hash);
        std::istringstream words(line);
        std::string key, value;
        if (!(words >> key >> value) || key != "nameserver") continue;
        if (auto a = Ipv4::parse(value)) out.push_back(*a);
    }
    return out;
}

std::optional<Ipv4> pick_host_resolver(std::string_view resolv_conf, std::string_view upstream) {
    const auto listed = parse_resolv_conf(resolv_conf);
    for (const Ipv4& a : listed)
        if (!loopback(a)) return a;
    for (const Ipv4& a : parse_resolv_conf(upstream))
        if (!loopback(a)) return a;
    return std::nullopt;
}

std::optional<Ipv4> host_resolver(const std::string& resolv_conf_path) {
    return pick_host_resolver(read_all(resolv_conf_path), read_all("/run/systemd/resolve/resolv.conf"));
}

}  // namespace vsw
