#include "addr.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <charconv>
#include <cstdio>

namespace vsw {

namespace {

// Parses a decimal number in [0, max] that fills the whole of `text`.
std::optional<uint32_t> parse_decimal(std::string_view text, uint32_t max) {
    if (text.empty() || text.size() > 10) return std::nullopt;
    uint32_t v = 0;
    auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc{} || ptr != text.data() + text.size() || v > max) return std::nullopt;
    return v;
}

int hex_digit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

}  // namespace

std::optional<Mac> Mac::parse(std::string_view text) {
    // Exactly six two-digit hex groups separated by ':' or '-'.
    if (text.size() != 17) return std::nullopt;
    Mac mac;
    for (size_t i = 0; i < 6; ++i) {
        int hi = hex_digit(text[i * 3]);
        int lo = hex_digit(text[i * 3 + 1]);
        if (hi < 0 || lo < 0) return std::nullopt;
        if (i < 5 && text[i * 3 + 2] != ':' && text[i * 3 + 2] != '-') return std::nullopt;
        mac.bytes[i] = static_cast<uint8_t>(hi << 4 | lo);
    }
    return mac;
}

std::string Mac::to_string() const {
    char buf[18];
    std::snprintf(buf, sizeof buf, "%02x:%02x:%02x:%02x:%02x:%02x", bytes[0], bytes[1], bytes[2],
                  bytes[3], bytes[4], bytes[5]);
    return buf;
}

std::optional<Ipv4> Ipv4::parse(std::string_view text) {
    uint32_t value = 0;
    for (int i = 0; i < 4; ++i) {
        size_t dot = text.find('.');
        if ((i < 3) != (dot != std::string_view::npos)) return std::nullopt;
        std::string_view part = text.substr(0, dot);
        if (part.size() > 1 && part[0] == '0') return std::nullopt;  // no octal look-alikes
        auto octet = parse_decimal(part, 255);
        if (!octet) return std::nullopt;
        value = value << 8 | *octet;
        text = i < 3 ? text.substr(dot + 1) : std::string_view{};
    }
    return Ipv4{value};
}

std::string Ipv4::to_string() const {
    char buf[16];
    std::snprintf(buf, sizeof buf, "%u.%u.%u.%u", value >> 24, (value >> 16) & 0xff,
                  (value >> 8) & 0xff, value & 0xff);
    return buf;
}

std::optional<Subnet> Subnet::parse(std::string_view text) {
    size_t slash = text.find('/');
    if (slash == std::string_view::npos) return std::nullopt;
    auto addr = Ipv4::parse(text.substr(0, slash));
    auto len = parse_decimal(text.substr(slash + 1), 32);
    if (!addr || !len) return std::nullopt;
    Subnet s;
    s.prefix_len = static_cast<uint8_t>(*len);
    s.network = Ipv4{addr->value & s.mask()};
    return s;
}

std::string Subnet::to_string() const {
    return network.to_string() + "/" + std::to_string(prefix_len);
}

std::optional<Ipv6> Ipv6::parse(std::string_view text) {
    if (text.empty() || text.size() > 45) return std::nullopt;
    const std::string copy(text);
    Ipv6 a;
    if (inet_pton(AF_INET6, copy.c_str(), a.bytes.data()) != 1) return std::nullopt;
    return a;
}

std::string Ipv6::to_string() const {
    char buf[INET6_ADDRSTRLEN];
    return inet_ntop(AF_INET6, bytes.data(), buf, sizeof buf) ? buf : "?";
}

Ipv6 Ipv6::link_local_of(const Mac& mac) {
    Ipv6 a;
    a.bytes[0] = 0xfe;
    a.bytes[1] = 0x80;
    a.bytes[8] = mac.bytes[0] ^ 0x02;  // the universal/local bit, inverted
    a.bytes[9] = mac.bytes[1];
    a.bytes[10] = mac.bytes[2];
    a.bytes[11] = 0xff;
    a.bytes[12] = 0xfe;
    a.bytes[13] = mac.bytes[3];
    a.bytes[14] = mac.bytes[4];
    a.bytes[15] = mac.bytes[5];
    return a;
}

std::optional<Subnet6> Subnet6::parse(std::string_view text) {
    const size_t slash = text.find('/');
    if (slash == std::string_view::npos) return std::nullopt;
    auto addr = Ipv6::parse(text.substr(0, slash));
    auto len = parse_decimal(text.substr(slash + 1), 128);
    if (!addr || !len) return std::nullopt;
    Subnet6 s;
    s.prefix_len = static_cast<uint8_t>(*len);
    for (unsigned i = 0; i < 16; ++i) {
        const unsigned bits = s.prefix_len > i * 8 ? std::min(8u, s.prefix_len - i * 8) : 0u;
        s.network.bytes[i] = static_cast<uint8_t>(addr->bytes[i] & (bits == 0 ? 0 : 0xff << (8 - bits)));
    }
    return s;
}

bool Subnet6::contains(const Ipv6& a) const {
    for (unsigned i = 0; i < 16; ++i) {
        const unsigned bits = prefix_len > i * 8 ? std::min(8u, prefix_len - i * 8) : 0u;
        const uint8_t mask = static_cast<uint8_t>(bits == 0 ? 0 : 0xff << (8 - bits));
        if ((a.bytes[i] & mask) != network.bytes[i]) return false;
    }
    return true;
}

Ipv6 Subnet6::host(uint64_t n) const {
    Ipv6 a = network;
    for (int i = 15; i >= 8; --i, n >>= 8) a.bytes[i] = static_cast<uint8_t>(a.bytes[i] | (n & 0xff));
    return a;
}

std::string Subnet6::to_string() const { return network.to_string() + "/" + std::to_string(prefix_len); }

}  // namespace vsw
