// The Internet checksum (RFC 1071), one home for the datapath and the
// control plane: full sums on DPDK's rte_raw_cksum / rte_ipv4_udptcp_cksum,
// and the RFC 1624 incremental updates NAT uses on every packet.
//
// Every value here is "as stored": write it into the header with put16()
// (common/bytes.hpp), never byte-swapped; a header whose checksum is right
// sums to 0 with internet_checksum().
#pragma once

#include <rte_ip.h>

#include <cstddef>
#include <cstdint>

namespace vsw {

// Of `len` bytes (an odd tail is padded with a zero byte).
inline uint16_t internet_checksum(const void* data, size_t len) {
    return static_cast<uint16_t>(~rte_raw_cksum(data, len));
}

// The header checksum of the IPv4 header at `ip` (its IHL counts; the
// checksum field must be 0 when this is computed for a new header).
inline uint16_t ipv4_header_checksum(const uint8_t* ip) {
    return rte_ipv4_cksum(reinterpret_cast<const rte_ipv4_hdr*>(ip));
}

// The TCP or UDP checksum of the segment at `l4` with the pseudo-header of
// the IPv4 header at `ip` (lengths from its total length; the checksum field
// must be 0). UDP's 0 comes out as 0xffff (0 means "no checksum").
inline uint16_t ipv4_l4_checksum(const uint8_t* ip, const uint8_t* l4) {
    return rte_ipv4_udptcp_cksum(reinterpret_cast<const rte_ipv4_hdr*>(ip), l4);
}

// The upper-layer checksum (ICMPv6, TCP, UDP) of the payload at `l4` with the
// pseudo-header of the IPv6 header at `ip` (RFC 8200 8.1; length from its
// payload length, next header from its own field: no extension headers; the
// checksum field must be 0).
inline uint16_t ipv6_l4_checksum(const uint8_t* ip, const uint8_t* l4) {
    return rte_ipv6_udptcp_cksum(reinterpret_cast<const rte_ipv6_hdr*>(ip), l4);
}

// RFC 1624: the checksum `sum` after a 16-bit field covered by it changes
// from `from` to `to` (all three as stored).
inline uint16_t csum_replace16(uint16_t sum, uint16_t from, uint16_t to) {
    uint32_t s = static_cast<uint16_t>(~sum) + static_cast<uint32_t>(static_cast<uint16_t>(~from)) + to;
    s = (s & 0xffff) + (s >> 16);
    s = (s & 0xffff) + (s >> 16);
    return static_cast<uint16_t>(~s);
}
// The same for a 32-bit field (an IPv4 address).
inline uint16_t csum_replace32(uint16_t sum, uint32_t from, uint32_t to) {
    sum = csum_replace16(sum, static_cast<uint16_t>(from >> 16), static_cast<uint16_t>(to >> 16));
    return csum_replace16(sum, static_cast<uint16_t>(from), static_cast<uint16_t>(to));
}

}  // namespace vsw
