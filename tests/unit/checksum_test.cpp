// common/checksum.hpp and common/bytes.hpp: the one Internet checksum of vsw
// (on DPDK's rte_raw_cksum), checked against RFC 1071's example, a textbook
// IPv4 header, and a plain reference over random buffers at every alignment.
#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "bytes.hpp"
#include "checksum.hpp"

namespace vsw {
namespace {

// RFC 1071 written out: 16-bit big-endian words, end-around carry, complement;
// the result as a number (host order).
uint16_t reference(const uint8_t* p, size_t n) {
    uint64_t sum = 0;
    for (size_t i = 0; i + 1 < n; i += 2) sum += uint32_t{p[i]} << 8 | p[i + 1];
    if (n & 1) sum += uint32_t{p[n - 1]} << 8;
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    return static_cast<uint16_t>(~sum);
}

// The checksum as it lands in the packet, read back as a number.
uint16_t stored_as_number(uint16_t stored) {
    uint8_t b[2];
    put16(b, stored);
    return load_be16(b);
}

TEST(Checksum, Rfc1071Example) {
    // RFC 1071 section 3: the words 0001 f203 f4f5 f6f7 sum to ddf2.
    const uint8_t data[] = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
    EXPECT_EQ(stored_as_number(internet_checksum(data, sizeof data)), static_cast<uint16_t>(~0xddf2));
}

TEST(Checksum, TextbookIpv4Header) {
    uint8_t ip[20] = {0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
                      0x00, 0x00, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7};
    put16(ip + 10, ipv4_header_checksum(ip));
    EXPECT_EQ(load_be16(ip + 10), 0xb861);
    EXPECT_EQ(internet_checksum(ip, sizeof ip), 0);  // a right header sums to 0
}

TEST(Checksum, MatchesTheReferenceAtEveryLengthAndAlignment) {
    std::mt19937 rng(1071);
    std::vector<uint8_t> buf(1600);
    for (int round = 0; round < 2000; ++round) {
        for (auto& b : buf) b = static_cast<uint8_t>(rng());
        const size_t off = rng() % 8, len = rng() % (buf.size() - off);
        ASSERT_EQ(stored_as_number(internet_checksum(buf.data() + off, len)), reference(buf.data() + off, len))
            << "offset " << off << " length " << len;
    }
}

TEST(Checksum, UdpWithPseudoHeader) {
    // 192.0.2.1:1234 -> 198.51.100.7:53, 4 bytes of payload.
    std::vector<uint8_t> f = {0x45, 0, 0, 32, 0, 1, 0, 0, 64, 17, 0, 0, 192, 0, 2, 1, 198, 51, 100, 7,
                              0x04, 0xd2, 0x00, 0x35, 0x00, 0x0c, 0, 0, 'a', 'b', 'c', 'd'};
    put16(&f[26], ipv4_l4_checksum(&f[0], &f[20]));
    // The reference: pseudo-header (addresses, protocol, UDP length) + segment.
    std::vector<uint8_t> pseudo(f.begin() + 12, f.begin() + 20);
    pseudo.insert(pseudo.end(), {0, 17, 0x00, 0x0c});
    pseudo.insert(pseudo.end(), f.begin() + 20, f.end());
    EXPECT_EQ(reference(pseudo.data(), pseudo.size()), 0);
}

TEST(Checksum, IncrementalUpdateMatchesARecomputation) {
    std::mt19937 rng(1624);
    uint8_t ip[20] = {0x45, 0, 0, 60, 0x12, 0x34, 0x40, 0, 64, 6, 0, 0, 10, 0, 2, 15, 198, 51, 100, 7};
    put16(ip + 10, ipv4_header_checksum(ip));
    for (int i = 0; i < 1000; ++i) {
        const uint32_t to = static_cast<uint32_t>(rng());
        const uint16_t sum = csum_replace32(get16(ip + 10), get32(ip + 12), to);
        put32(ip + 12, to);
        put16(ip + 10, sum);
        ASSERT_EQ(internet_checksum(ip, sizeof ip), 0) << i;
    }
}

TEST(Bytes, BigEndianAndStoredForms) {
    uint8_t b[4];
    store_be32(b, 0xc0a83801);
    EXPECT_EQ(b[0], 0xc0);
    EXPECT_EQ(b[3], 0x01);
    EXPECT_EQ(load_be32(b), 0xc0a83801u);
    store_be16(b, 0x0800);
    EXPECT_EQ(load_be16(b), 0x0800);
    EXPECT_EQ(get16(b), __builtin_bswap16(0x0800));  // as stored, on this little-endian CPU
}

}  // namespace
}  // namespace vsw
