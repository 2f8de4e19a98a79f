// The IPv6 upper-layer checksum computed plainly (RFC 8200 8.1), for tests to
// check the code's checksums against, independently of common/checksum.hpp.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace vsw::test {

inline uint16_t be16_at(const std::vector<uint8_t>& f, size_t at) {
    return static_cast<uint16_t>(f[at] << 8 | f[at + 1]);
}

// The one's complement sum of the pseudo-header (source, destination,
// upper-layer length, next header) and the message after the IPv6 header of
// an Ethernet frame, its checksum field included: 0xffff when it is right.
inline uint16_t ipv6_reference_sum(const std::vector<uint8_t>& f) {
    const size_t ip = 14, l4 = ip + 40;
    const size_t len = be16_at(f, ip + 4);
    uint32_t sum = 0;
    for (size_t i = ip + 8; i < ip + 40; i += 2) sum += be16_at(f, i);
    sum += static_cast<uint32_t>(len >> 16) + (len & 0xffff) + f[ip + 6];
    for (size_t i = 0; i < len; i += 2) sum += i + 1 < len ? be16_at(f, l4 + i) : f[l4 + i] << 8;
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    return static_cast<uint16_t>(sum);
}

}  // namespace vsw::test
