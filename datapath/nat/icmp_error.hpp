// ICMP error messages (destination unreachable, time exceeded, parameter
// problem) through NAT. An error carries the IPv4 header and at least the
// first 8 bytes of the packet that caused it; NAT must translate that
// embedded packet as well as the outer header, or the guest's socket (or
// traceroute) never learns about the error.
//
// Pure functions over a frame's bytes, like l4.hpp: every length is checked.
#pragma once

#include <cstdint>

#include "l4.hpp"

namespace vsw::nat {

inline constexpr uint8_t kIcmpDestUnreachable = 3, kIcmpTimeExceeded = 11, kIcmpParamProblem = 12;

inline bool is_icmp_error(uint8_t type) {
    return type == kIcmpDestUnreachable || type == kIcmpTimeExceeded || type == kIcmpParamProblem;
}

// The packet embedded in an ICMP error, as its original sender sent it.
// Ports in network byte order; for an embedded ICMP echo both are its identifier.
struct EmbeddedView {
    uint32_t l3 = 0;             // offset of the embedded IPv4 header in the frame
    uint32_t l4 = 0;             // offset of its L4 header
    uint32_t end = 0;            // end of the ICMP message in the frame
    uint8_t proto = 0;
    uint32_t src_ip = 0, dst_ip = 0;
    uint16_t src_port = 0, dst_port = 0;
};

// Parses the embedded packet of an ICMP error whose outer header `outer`
// was parsed by parse_l4 (which returns `unsupported` for errors but fills
// l3, l4, ip_total, proto and icmp_type). Returns ok, malformed (bad lengths,
// IHL, not IPv4 inside), fragment (an embedded non-first fragment: no ports)
// or unsupported (an embedded protocol NAT does not translate).
L4Parse parse_icmp_error(const uint8_t* frame, uint32_t len, const L4View& outer, EmbeddedView& e);

// Rewrites the embedded packet's source or destination address and port,
// fixing the embedded IPv4 header checksum and, where the 8 bytes hold it,
// the embedded UDP or ICMP checksum; then recomputes the outer ICMP checksum.
// The outer IPv4 header is the caller's (rewrite_destination/_source on the
// outer view would also touch the ICMP checksum, so use rewrite_outer_ip).
void rewrite_embedded(uint8_t* frame, const L4View& outer, EmbeddedView& e, bool source, uint32_t ip,
                      uint16_t port);

// Rewrites the outer IPv4 source or destination address of any packet,
// fixing only the IPv4 header checksum (ICMP has no pseudo-header).
void rewrite_outer_ip(uint8_t* frame, L4View& outer, bool source, uint32_t ip);

}  // namespace vsw::nat
