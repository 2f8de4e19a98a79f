// Replies the switch's virtual services send themselves: ARP for a service
// address (DHCP server, later gateway/DNS) and ICMP echo to it. Pure
// functions over bytes: frame in, frame out (or nothing).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "../../common/addr.hpp"

namespace vsw {

// An ARP request for `ip` answered from `mac`; nothing for anything else.
std::optional<std::vector<uint8_t>> make_arp_reply(std::span<const uint8_t> frame, Mac mac, Ipv4 ip);

// An ICMP echo request to `ip` (sent to `mac`) answered; nothing for anything else.
std::optional<std::vector<uint8_t>> make_icmp_echo_reply(std::span<const uint8_t> frame, Mac mac, Ipv4 ip);

// ICMP "time exceeded in transit" from router address `from` (answering from
// `mac`) about a frame sent to `mac` whose TTL ran out; nothing when the frame
// is not such a packet (or is itself an ICMP error or a later fragment).
std::optional<std::vector<uint8_t>> make_icmp_time_exceeded(std::span<const uint8_t> frame, Mac mac, Ipv4 from);

// A broadcast ARP request from (mac, ip) asking for `target`.
std::vector<uint8_t> make_arp_request(Mac mac, Ipv4 ip, Ipv4 target);

// The sender of an ARP packet (request or reply), if `frame` is one.
struct ArpSender {
    Mac mac;
    Ipv4 ip;
    bool is_reply = false;
};
std::optional<ArpSender> arp_sender(std::span<const uint8_t> frame);

}  // namespace vsw
