// IPv4 + TCP/UDP/ICMP header parsing and rewriting for NAT, as pure functions
// over a frame's bytes. Every length is checked (IHL, total length, the L4
// header, ICMP's embedded header) before a field is read; checksums are
// updated incrementally (RFC 1624).
#pragma once

#include <cstdint>
#include <cstring>

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

// One's-complement checksum arithmetic, RFC 1624: the checksum `sum` (as
// stored, network order) after a 16-bit field changes from `from` to `to`.
inline uint16_t csum_replace16(uint16_t sum, uint16_t from, uint16_t to) {
    uint32_t s = static_cast<uint16_t>(~sum) + static_cast<uint32_t>(static_cast<uint16_t>(~from)) + to;
    s = (s & 0xffff) + (s >> 16);
    s = (s & 0xffff) + (s >> 16);
    return static_cast<uint16_t>(~s);
}
inline uint16_t csum_replace32(uint16_t sum, uint32_t from, uint32_t to) {
    sum = csum_replace16(sum, static_cast<uint16_t>(from >> 16), static_cast<uint16_t>(to >> 16));
    return csum_replace16(sum, static_cast<uint16_t>(from), static_cast<uint16_t>(to));
}

// Field access in the frame, in network byte order as stored.
inline uint16_t get16(const uint8_t* p) { uint16_t v; std::memcpy(&v, p, 2); return v; }
inline uint32_t get32(const uint8_t* p) { uint32_t v; std::memcpy(&v, p, 4); return v; }
inline void put16(uint8_t* p, uint16_t v) { std::memcpy(p, &v, 2); }
inline void put32(uint8_t* p, uint32_t v) { std::memcpy(p, &v, 4); }

// Rewrites the source (or destination) address and port of the parsed packet
// and fixes the IPv4 and L4 checksums. For ICMP echo the "port" is the
// identifier, which only the ICMP checksum covers.
void rewrite_source(uint8_t* frame, L4View& v, uint32_t ip, uint16_t port);
void rewrite_destination(uint8_t* frame, L4View& v, uint32_t ip, uint16_t port);

// Decrements the TTL (fixing the header checksum). Returns false when the
// packet must not be forwarded (TTL was 0 or 1).
bool decrement_ttl(uint8_t* frame, L4View& v);

}  // namespace vsw::nat
