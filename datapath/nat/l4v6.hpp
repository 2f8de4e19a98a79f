// IPv6 + TCP/UDP/ICMPv6 echo parsing and rewriting for NAT66, as pure
// functions over a frame's bytes, like l4.hpp for IPv4. Every length is
// checked before a field is read. IPv6 has no header checksum; the L4
// checksums (ICMPv6's too: its pseudo-header has the addresses) are updated
// incrementally (RFC 1624).
#pragma once

#include <array>
#include <cstdint>

#include "l4.hpp"

namespace vsw::nat {

inline constexpr uint8_t kProtoIcmp6 = 58;
inline constexpr uint8_t kIcmp6EchoRequest = 128, kIcmp6EchoReply = 129;
inline constexpr uint8_t kIcmp6NeighborSolicit = 135, kIcmp6NeighborAdvert = 136;

using Ipv6Bytes = std::array<uint8_t, 16>;

// Offsets and fields of one IPv6 packet inside an Ethernet frame. Ports in
// network byte order; for ICMPv6 echo the identifier is both ports.
struct L4View6 {
    uint32_t l3 = 14;          // offset of the IPv6 header
    uint32_t l4 = 54;          // offset of the L4 header (no extension headers)
    uint32_t payload = 0;      // IPv6 payload length
    uint8_t proto = 0;         // next header
    uint8_t hop_limit = 0;
    uint8_t tcp_flags = 0;
    uint8_t icmp_type = 0;
    Ipv6Bytes src_ip{}, dst_ip{};
    uint16_t src_port = 0, dst_port = 0;
};

// Parses the frame (`len` contiguous bytes) for NAT66. ok: TCP, UDP, ICMPv6
// echo right after the IPv6 header. fragment: a fragment header (NAT66 does
// not reassemble). unsupported: another protocol, an extension header, any
// other ICMPv6 type. not_ipv4 here means "not IPv6".
L4Parse parse_l4_v6(const uint8_t* frame, uint32_t len, L4View6& v);

// Rewrites the source (or destination) address and port and fixes the L4
// checksum (UDP's mandatory one included: a 0 result is sent as 0xffff).
void rewrite_source6(uint8_t* frame, L4View6& v, const Ipv6Bytes& ip, uint16_t port);
void rewrite_destination6(uint8_t* frame, L4View6& v, const Ipv6Bytes& ip, uint16_t port);

// ICMPv6 errors (destination unreachable, packet too big, time exceeded,
// parameter problem: types 1-4) quote the packet that caused them, as its
// sender sent it. NAT66 translates the quoted packet with the outer header,
// or the guest never learns of the error (packet too big: path MTU).
inline bool is_icmp6_error(uint8_t type) { return type >= 1 && type <= 4; }

// The quoted packet of an ICMPv6 error whose outer packet parse_l4_v6 parsed
// (as `unsupported`, its ICMPv6 type filled in): its IPv6 header must be all
// there, and at least the first 8 bytes of its TCP, UDP or echo header.
// Returns ok, malformed or unsupported (any other quoted protocol).
L4Parse parse_icmp6_error(const uint8_t* frame, uint32_t len, const L4View6& outer, L4View6& quoted);

// Rewrites the quoted packet's source (or destination) address and port,
// with its L4 checksum where the quote holds it, then recomputes the outer
// ICMPv6 checksum over the whole message (its pseudo-header included: so
// rewrite the outer addresses with rewrite_outer6 first).
void rewrite_quoted6(uint8_t* frame, const L4View6& outer, L4View6& quoted, bool source, const Ipv6Bytes& ip,
                     uint16_t port);
// The outer source or destination address (the ICMPv6 checksum is fixed by rewrite_quoted6).
void rewrite_outer6(uint8_t* frame, L4View6& outer, bool source, const Ipv6Bytes& ip);

// Decrements the hop limit. Returns false when the packet must not be
// forwarded (it was 0 or 1).
bool decrement_hop_limit(uint8_t* frame, L4View6& v);

}  // namespace vsw::nat
