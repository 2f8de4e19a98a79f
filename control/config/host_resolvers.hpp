// The host's own DNS resolvers, for NAT networks whose uplink names none
// (VirtualBox and passt forward a guest's DNS to the host's resolvers too).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "../../common/addr.hpp"

namespace vsw {

// The IPv4 `nameserver` lines of a resolv.conf text, in order (IPv6 and
// malformed lines are skipped).
std::vector<Ipv4> parse_resolv_conf(std::string_view text);

// The resolver vswd forwards to: the first nameserver of `resolv_conf` that
// is not a loopback address. When it lists only loopback stubs (systemd-
// resolved's 127.0.0.53, a local dnsmasq), the first non-loopback nameserver
// of `upstream` (systemd-resolved's /run/systemd/resolve/resolv.conf).
// Nothing when neither has one.
std::optional<Ipv4> pick_host_resolver(std::string_view resolv_conf, std::string_view upstream);

// When pick_host_resolver finds nothing: the first loopback nameserver of
// `resolv_conf` (a local dnsmasq, or a stub with no upstream file). That is
// the host's own service: only a kernel uplink can take DNS to it.
std::optional<Ipv4> pick_loopback_resolver(std::string_view resolv_conf, std::string_view upstream);

// What a load needs to know of the host's resolvers (the two picks above).
struct HostResolvers {
    std::optional<Ipv4> routable;   // reached through any uplink
    std::optional<Ipv4> loopback;   // the host's own, through a kernel uplink only
    bool operator==(const HostResolvers&) const = default;
};

// The files the picks read on this host (missing files read as empty).
// `resolv_conf_path` is /etc/resolv.conf unless vswd was told another.
inline constexpr const char* kResolvedUpstream = "/run/systemd/resolve/resolv.conf";
HostResolvers host_resolvers(const std::string& resolv_conf_path = "/etc/resolv.conf");
std::optional<Ipv4> host_resolver(const std::string& resolv_conf_path = "/etc/resolv.conf");

// Tells when the files behind host_resolvers() change (modification time,
// size or inode, as an editor's rename or NetworkManager's rewrite leave
// them), so vswd can follow the host's resolvers without a reload by hand.
class ResolvConfWatch {
public:
    explicit ResolvConfWatch(std::string resolv_conf_path);
    // True when either file differs from the last call (or construction).
    bool changed();

private:
    struct Stamp {
        bool exists = false;
        long long mtime_ns = 0, size = 0, inode = 0;
        bool operator==(const Stamp&) const = default;
    };
    static Stamp stamp(const std::string& path);
    std::string path_;
    Stamp conf_, upstream_;
};

}  // namespace vsw
