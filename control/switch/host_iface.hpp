// Configuring the kernel side of a host interface (the TAP netdev that gives
// the host its address on a host-only network): address, netmask, link up.
#pragma once

#include <string>

#include <tl/expected.hpp>

#include "../../common/addr.hpp"

namespace vsw {

tl::expected<void, std::string> configure_host_interface(const std::string& ifname, Ipv4 address,
                                                         uint8_t prefix_len, const std::string& netns);

}  // namespace vsw
