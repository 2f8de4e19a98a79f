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
// Nothing when neither has one: a loopback resolver is the host's own
// service, which the datapath cannot reach through an uplink.
std::optional<Ipv4> pick_host_resolver(std::string_view resolv_conf, std::string_view upstream);

// The files pick_host_resolver reads on this host (missing files read as
// empty). `resolv_conf_path` is /etc/resolv.conf unless vswd was told another.
std::optional<Ipv4> host_resolver(const std::string& resolv_conf_path = "/etc/resolv.conf");

}  // namespace vsw
