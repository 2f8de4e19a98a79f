// Configuring the kernel side of a host interface (the TAP netdev that gives
// the host its address on a host-only network): address, netmask, link up.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include <tl/expected.hpp>

#include "../../common/addr.hpp"

namespace vsw {

tl::expected<void, std::string> configure_host_interface(const std::string& ifname, Ipv4 address,
                                                         uint8_t prefix_len, const std::string& netns);

// The host's IPv6 address on the TAP `ifname` (in `netns`): the address,
// accept_ra off (the host takes no router from the guests' side).
tl::expected<void, std::string> configure_host_address6(const std::string& ifname, const Ipv6& address,
                                                        uint8_t prefix_len, const std::string& netns);

// Before vswd makes TAP `ifname` (in its namespace, then moved to `netns`,
// "" = vswd's): refuses a name that an interface has in either namespace,
// and an address another interface in `netns` has. A TAP opened by name
// would otherwise share another program's device (another vswd's), and two
// interfaces with one address split the host's routes.
tl::expected<void, std::string> check_interface_free(const std::string& ifname, Ipv4 address,
                                                     const std::string& netns);

// Runs `work` in network namespace `netns` ("" = vswd's), on a short-lived
// thread when it is another, so the control thread stays where it is (a
// process `work` spawns is born in `netns`).
tl::expected<void, std::string> run_in_netns(const std::string& netns,
                                             const std::function<tl::expected<void, std::string>()>& work);

// Runs `argv` (a program on PATH: iproute2's ip or bridge) in `netns` ("" =
// the calling thread's) and returns what it wrote to stdout; an error names
// the command when it exits with one. `quiet`: its stderr goes nowhere (for
// removing what may not be there).
tl::expected<std::string, std::string> run_command(const std::string& netns, const std::vector<std::string>& argv,
                                                   bool quiet = false);

// net.ipv4.conf.<ifname>.route_localnet in namespace `netns` ("" = ours):
// whether the kernel takes packets to (and sends from) 127/8 on it.
tl::expected<void, std::string> set_route_localnet(const std::string& ifname, const std::string& netns, bool on);

// The MTU of interface `ifname` in namespace `netns` ("" = ours): set to
// `mtu` unless it has it already. Returns whether it changed.
tl::expected<bool, std::string> ensure_interface_mtu(const std::string& ifname, const std::string& netns, uint16_t mtu);

}  // namespace vsw
