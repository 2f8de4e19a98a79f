#include "host_resolvers.hpp"

#include <sys/stat.h>

#include <fstream>
#include <sstream>
#include <utility>

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

std::optional<Ipv4> pick_loopback_resolver(std::string_view resolv_conf, std::string_view upstream) {
    if (pick_host_resolver(resolv_conf, upstream)) return std::nullopt;
    for (const Ipv4& a : parse_resolv_conf(resolv_conf))
        if (loopback(a)) return a;
    return std::nullopt;
}

HostResolvers host_resolvers(const std::string& resolv_conf_path) {
    const std::string conf = read_all(resolv_conf_path), upstream = read_all(kResolvedUpstream);
    return {pick_host_resolver(conf, upstream), pick_loopback_resolver(conf, upstream)};
}

std::optional<Ipv4> host_resolver(const std::string& resolv_conf_path) {
    return host_resolvers(resolv_conf_path).routable;
}

ResolvConfWatch::ResolvConfWatch(std::string resolv_conf_path)
    : path_(std::move(resolv_conf_path)), conf_(stamp(path_)), upstream_(stamp(kResolvedUpstream)) {}

ResolvConfWatch::Stamp ResolvConfWatch::stamp(const std::string& path) {
    struct stat st {};
    if (stat(path.c_str(), &st) != 0) return {};
    return {true, static_cast<long long>(st.st_mtim.tv_sec) * 1000000000LL + st.st_mtim.tv_nsec,
            static_cast<long long>(st.st_size), static_cast<long long>(st.st_ino)};
}

bool ResolvConfWatch::changed() {
    const Stamp conf = stamp(path_), upstream = stamp(kResolvedUpstream);
    const bool differs = !(conf == conf_) || !(upstream == upstream_);
    conf_ = conf;
    upstream_ = upstream;
    return differs;
}

}  // namespace vsw
