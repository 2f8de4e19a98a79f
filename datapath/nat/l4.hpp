// IPv4 + TCP/UDP/ICMP header parsing and rewriting for NAT, as pure functions
// over a frame's bytes. Every length is checked (IHL, total length, the L4
// header, ICMP's embedded header) before a field is read; checksums are
// updated incrementally (RFC 1624).
#pragma once

#include <cstdint>

#include "../../common/bytes.hpp"
#include "../../common/checksum.hpp"

namespace vsw::nat {

inline constexpr uint8_t kProtoIcmp = 1;
inline constexpr uint8_t kProtoTcp = 6;
inline constexpr uint8_t kProtoUdp = 17;

enum class L4Parse : uint8_t {
    ok,
    not_ipv4,        // not an IPv4 frame at all
    malformed,       // lengths or IHL inconsistent, truncated L4 header
    fragment,        // a later IPv4 fragment (offset != 0: no L4 header); the
                     // IPv4 fields, ip_id and more_fragments are filled in
    unsupported,     // a protocol or ICMP type NAT does not translate
};

// Offsets and fields of one IPv4 packet inside an Ethernet frame. Ports are
// kept in network byte order; for ICMP echo the identifier is both ports.
struct L4View {
    uint32_t l3 = 14;          // offset of the IPv4 header
    uint32_t l4 = 0;           // offset of the L4 header
    uint32_t ip_total = 0;     // IPv4 total length
    uint8_t proto = 0;
    uint8_t ttl = 0;
    uint8_t tcp_flags = 0;
    uint8_t icmp_type = 0;
    uint32_t src_ip = 0, dst_ip = 0;    // network byte order
    uint16_t src_port = 0, dst_port = 0;
    uint16_t ip_id = 0;                 // network byte order
    bool first_fragment = false;        // offset 0 with more fragments: has the L4 header
    bool more_fragments = false;        // MF set
};

inline constexpr uint8_t kTcpFin = 0x01, kTcpSyn = 0x02, kTcpRst = 0x04, kTcpAck = 0x10;
inline constexpr uint8_t kIcmpEchoReply = 0, kIcmpEchoRequest = 8;

// Parses the frame (`len` contiguous bytes) for NAT. Only TCP, UDP and ICMP
// echo request/reply are translated.
L4Parse parse_l4(const uint8_t* frame, uint32_t len, L4View& v);

// Checksum arithmetic (csum_replace16/32) and field access (get16, put16,
// ...) are in common/checksum.hpp and common/bytes.hpp.

// Rewrites the source (or destination) address and port of the parsed packet
// and fixes the IPv4 and L4 checksums. For ICMP echo the "port" is the
// identifier, which only the ICMP checksum covers.
void rewrite_source(uint8_t* frame, L4View& v, uint32_t ip, uint16_t port);
void rewrite_destination(uint8_t* frame, L4View& v, uint32_t ip, uint16_t port);

// Decrements the TTL (fixing the header checksum). Returns false when the
// packet must not be forwarded (TTL was 0 or 1).
bool decrement_ttl(uint8_t* frame, L4View& v);

}  // namespace vsw::nat
