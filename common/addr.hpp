// Small value types for link and network addresses, shared by the datapath
// and the control plane. Pure C++: no DPDK, so they are trivially testable.
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace vsw {

// An Ethernet MAC address, stored in wire order.
struct Mac {
    std::array<uint8_t, 6> bytes{};

    static std::optional<Mac> parse(std::string_view text);  // "52:54:00:00:00:01"
    std::string to_string() const;

    bool is_multicast() const { return (bytes[0] & 0x01) != 0; }  // includes broadcast
    bool is_broadcast() const {
        for (uint8_t b : bytes)
            if (b != 0xff) return false;
        return true;
    }
    bool is_zero() const {
        for (uint8_t b : bytes)
            if (b != 0) return false;
        return true;
    }
    // The MAC packed into the low 48 bits of an integer (for hash keys).
    uint64_t as_u64() const {
        uint64_t v = 0;
        for (uint8_t b : bytes) v = (v << 8) | b;
        return v;
    }
    auto operator<=>(const Mac&) const = default;
};

// An IPv4 address in host byte order (so arithmetic and comparisons are natural).
struct Ipv4 {
    uint32_t value = 0;

    static std::optional<Ipv4> parse(std::string_view text);  // "192.168.56.1"
    static constexpr Ipv4 from_be(uint32_t be) { return Ipv4{__builtin_bswap32(be)}; }
    constexpr uint32_t to_be() const { return __builtin_bswap32(value); }
    std::string to_string() const;
    auto operator<=>(const Ipv4&) const = default;
};

// An IPv4 prefix such as 192.168.56.0/24. The address is stored masked.
struct Subnet {
    Ipv4 network;
    uint8_t prefix_len = 0;

    static std::optional<Subnet> parse(std::string_view text);  // "192.168.56.0/24"
    uint32_t mask() const { return prefix_len == 0 ? 0 : ~uint32_t{0} << (32 - prefix_len); }
    bool contains(Ipv4 a) const { return (a.value & mask()) == network.value; }
    Ipv4 broadcast() const { return Ipv4{network.value | ~mask()}; }
    // The n-th address of the subnet (n=1 is the first host address).
    Ipv4 host(uint32_t n) const { return Ipv4{network.value + n}; }
    std::string to_string() const;
    auto operator<=>(const Subnet&) const = default;
};

// An IPv6 address, stored in wire order.
struct Ipv6 {
    std::array<uint8_t, 16> bytes{};

    static std::optional<Ipv6> parse(std::string_view text);  // "fd00:56::1" (inet_pton's forms)
    std::string to_string() const;                           // RFC 5952 (inet_ntop)
    // fe80::/64 with the modified EUI-64 interface id of `mac` (RFC 4291 2.5.1).
    static Ipv6 link_local_of(const Mac& mac);
    bool is_link_local() const { return bytes[0] == 0xfe && (bytes[1] & 0xc0) == 0x80; }
    bool is_multicast() const { return bytes[0] == 0xff; }
    auto operator<=>(const Ipv6&) const = default;
};

// An IPv6 prefix such as fd00:56::/64. The address is stored masked.
struct Subnet6 {
    Ipv6 network;
    uint8_t prefix_len = 0;

    static std::optional<Subnet6> parse(std::string_view text);  // "fd00:56::/64"
    bool contains(const Ipv6& a) const;
    // The address with interface id `n` (the low 64 bits; /64 and longer).
    Ipv6 host(uint64_t n) const;
    std::string to_string() const;
    auto operator<=>(const Subnet6&) const = default;
};

}  // namespace vsw
