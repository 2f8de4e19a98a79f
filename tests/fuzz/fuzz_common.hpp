// Helpers shared by the libFuzzer targets: a check that aborts (so libFuzzer
// records a crash and its input) and reference checksums computed from
// scratch, never incrementally.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>

// A broken invariant is a crash: libFuzzer saves the input that caused it.
#define FUZZ_CHECK(cond)                                                                  \
    do {                                                                                  \
        if (!(cond)) {                                                                    \
            std::fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #cond); \
            std::abort();                                                                 \
        }                                                                                 \
    } while (0)

namespace vsw::fuzz {

// The input copied into a heap block of exactly its size: AddressSanitizer
// then reports any read or write one byte past the end.
inline std::unique_ptr<uint8_t[]> exact_copy(const uint8_t* data, size_t size) {
    std::unique_ptr<uint8_t[]> p(new uint8_t[size == 0 ? 1 : size]);
    if (size > 0) std::memcpy(p.get(), data, size);
    return p;
}

inline uint16_t be16(const uint8_t* p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }
inline uint32_t be32(const uint8_t* p) {
    return uint32_t{p[0]} << 24 | uint32_t{p[1]} << 16 | uint32_t{p[2]} << 8 | p[3];
}

// One's-complement sum of big-endian 16-bit words (an odd byte padded with
// zero), folded to 16 bits, not inverted.
inline uint32_t ones_sum(const uint8_t* p, size_t n, uint32_t acc = 0) {
    uint64_t s = acc;
    for (size_t i = 0; i + 1 < n; i += 2) s += static_cast<uint32_t>(p[i] << 8 | p[i + 1]);
    if (n % 2) s += static_cast<uint32_t>(p[n - 1]) << 8;
    while (s >> 16) s = (s & 0xffff) + (s >> 16);
    return static_cast<uint32_t>(s);
}

// Whether the IPv4 header at `ip` (`ihl` bytes) carries a checksum that
// verifies (the sum over the header including the checksum is 0xffff).
inline bool ip_header_verifies(const uint8_t* ip, size_t ihl) { return ones_sum(ip, ihl) == 0xffff; }

// Whether the TCP/UDP segment (`l4_len` bytes at `l4`, pseudo-header from
// the IPv4 header at `ip`) or the ICMP message verifies.
inline bool l4_verifies(const uint8_t* ip, uint8_t proto, const uint8_t* l4, size_t l4_len) {
    uint32_t acc = 0;
    if (proto != 1) {
        uint8_t pseudo[12];
        std::memcpy(pseudo, ip + 12, 8);
        pseudo[8] = 0;
        pseudo[9] = proto;
        pseudo[10] = static_cast<uint8_t>(l4_len >> 8);
        pseudo[11] = static_cast<uint8_t>(l4_len);
        acc = ones_sum(pseudo, 12);
    }
    return ones_sum(l4, l4_len, acc) == 0xffff;
}

// The same with the IPv6 pseudo-header (RFC 8200 8.1) of the header at `ip6`;
// ICMPv6 (58) has it too.
inline bool l4_verifies6(const uint8_t* ip6, uint8_t proto, const uint8_t* l4, size_t l4_len) {
    uint8_t pseudo[40];
    std::memcpy(pseudo, ip6 + 8, 32);
    pseudo[32] = static_cast<uint8_t>(l4_len >> 24);
    pseudo[33] = static_cast<uint8_t>(l4_len >> 16);
    pseudo[34] = static_cast<uint8_t>(l4_len >> 8);
    pseudo[35] = static_cast<uint8_t>(l4_len);
    pseudo[36] = pseudo[37] = pseudo[38] = 0;
    pseudo[39] = proto;
    return ones_sum(l4, l4_len, ones_sum(pseudo, 40)) == 0xffff;
}

}  // namespace vsw::fuzz
