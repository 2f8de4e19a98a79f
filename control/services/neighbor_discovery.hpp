// IPv6 neighbour discovery (RFC 4861) and ping for vsw's own IPv6 addresses:
// the gateway's on NAT networks (and the router's link-local one wherever
// vsw announces subnet6), and an uplink's address6. Pure functions over
// bytes, like router_advert.hpp.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "../../common/addr.hpp"

namespace vsw {

// An Ethernet + IPv6 frame carrying an ICMPv6 message of `icmp_len` bytes,
// all zero: the caller fills the message (from icmp6_message()) and then
// calls finish_icmp6() for its checksum.
std::vector<uint8_t> icmp6_frame(const Mac& dst_mac, const Mac& src_mac, const Ipv6& src, const Ipv6& dst,
                                 size_t icmp_len, uint8_t hop_limit);
uint8_t* icmp6_message(std::vector<uint8_t>& frame);
void finish_icmp6(std::vector<uint8_t>& frame);

struct NeighborSolicitation {
    Mac from_mac;      // the source link-layer option, else the Ethernet source
    Ipv6 from;         // :: for duplicate address detection
    Ipv6 target;
};
// A well-formed neighbour solicitation (hop limit 255, code 0), if `frame` is one.
std::optional<NeighborSolicitation> neighbor_solicitation(std::span<const uint8_t> frame);

// The advertisement answering `ns` for its target, which vsw has at `mac`
// (solicited, override; `router`: the R flag). To the solicitor, or to
// all nodes when it was doing duplicate address detection.
std::vector<uint8_t> make_neighbor_advert(const NeighborSolicitation& ns, const Mac& mac, bool router);

// A solicitation from `src` (at `mac`) for `target`, to its solicited-node
// multicast address (ff02::1:ffXX:XXXX).
std::vector<uint8_t> make_neighbor_solicitation(const Mac& mac, const Ipv6& src, const Ipv6& target);

struct NeighborAdvert {
    Ipv6 target;
    Mac mac;           // the target link-layer option, else the Ethernet source
};
std::optional<NeighborAdvert> neighbor_advert(std::span<const uint8_t> frame);

// The echo reply to an ICMPv6 echo request for `own` in `frame`, sent from `mac`.
std::optional<std::vector<uint8_t>> make_icmp6_echo_reply(std::span<const uint8_t> frame, const Mac& mac,
                                                          const Ipv6& own);

// "Time exceeded in transit" (ICMPv6 3, code 0) from the gateway address
// `from` (at `mac`) for a guest's packet whose hop limit ran out there:
// what makes the gateway a hop in traceroute6. Only for a unicast packet
// sent to `mac` with hop limit 0 or 1 that is not an ICMPv6 error itself;
// it quotes as much of it as fits in the IPv6 minimum MTU (RFC 4443 3.3).
std::optional<std::vector<uint8_t>> make_icmp6_time_exceeded(std::span<const uint8_t> frame, const Mac& mac,
                                                             const Ipv6& from);

}  // namespace vsw
