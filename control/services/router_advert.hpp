// IPv6 router advertisements (RFC 4861 4.2) for a network's subnet6: the
// prefix for SLAAC (RFC 4862), sent by the switch's services MAC from its
// link-local address. Pure functions over bytes, like service_replies.hpp.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "../../common/addr.hpp"

namespace vsw {

struct RouterAdvertSettings {
    Mac mac;                          // the services' MAC: source, and the link-layer option
    std::optional<Subnet6> prefix;    // announced with L and A set (on-link, autonomous)
    // Prefixes no longer the network's (a reload changed subnet6): announced
    // with both lifetimes 0, so hosts stop using their addresses there for new
    // connections at once (RFC 4862 5.5.3 keeps them valid up to 2 hours).
    std::vector<Subnet6> withdrawn;
    uint16_t router_lifetime_s = 0;   // 0: not a default router (host-only)
    std::optional<Ipv6> dns{};        // RDNSS (RFC 8106): the network's DNS address over IPv6
    uint32_t valid_lifetime_s = 86400;
    uint32_t preferred_lifetime_s = 14400;
    uint32_t rdnss_lifetime_s = 1800;
};

// The all-nodes address ff02::1 and its Ethernet multicast MAC 33:33:00:00:00:01.
inline const Mac kAllNodesMac{{0x33, 0x33, 0x00, 0x00, 0x00, 0x01}};

// A router advertisement from the services' link-local address to ff02::1,
// sent to the Ethernet address `dst` (kAllNodesMac, or a soliciting host's).
std::vector<uint8_t> make_router_advertisement(const RouterAdvertSettings& ra, const Mac& dst);

// The source MAC of a router solicitation (ICMPv6 133, hop limit 255, to
// ff02::2 or a router address), if `frame` is a well-formed one.
std::optional<Mac> router_solicitation_from(std::span<const uint8_t> frame);

}  // namespace vsw
