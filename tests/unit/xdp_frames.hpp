// Hand-made frames for the XDP steering tests (xdp_steer_test.cpp,
// xdp_prog_test.cpp): ARP and IPv4 (options, fragments, TCP/UDP/ICMP) to
// vsw's uplink address 203.0.113.10 or the host's 203.0.113.2.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace xdp_frames {

inline constexpr uint8_t kUplink[4] = {203, 0, 113, 10};
inline constexpr uint8_t kHost[4] = {203, 0, 113, 2};
inline constexpr uint8_t kRemote[4] = {198, 51, 100, 7};

using Bytes = std::vector<uint8_t>;

inline void put16(Bytes& b, uint16_t v) {
    b.push_back(static_cast<uint8_t>(v >> 8));
    b.push_back(static_cast<uint8_t>(v));
}

inline void put_ip(Bytes& b, const uint8_t* ip) { b.insert(b.end(), ip, ip + 4); }

inline Bytes eth(uint16_t type) {
    Bytes b = {0x52, 0x54, 0, 0, 0, 1, 0x52, 0x54, 0, 0, 0, 2};
    put16(b, type);
    return b;
}

inline Bytes arp(uint16_t oper, const uint8_t* target) {
    Bytes b = eth(0x0806);
    put16(b, 1);       // Ethernet
    put16(b, 0x0800);  // IPv4
    b.push_back(6);
    b.push_back(4);
    put16(b, oper);
    b.insert(b.end(), {0x52, 0x54, 0, 0, 0, 2});
    put_ip(b, kRemote);
    b.insert(b.end(), 6, 0);
    put_ip(b, target);
    return b;
}

struct Ip {
    const uint8_t* dst = kUplink;
    uint8_t proto = 6;
    uint8_t options = 0;         // 32-bit words of IP options
    uint16_t frag = 0;           // flags + offset field
    uint16_t dst_port = 20000;   // TCP/UDP
    size_t l4_bytes = 20;        // bytes after the IP header
};

inline Bytes ipv4(const Ip& p) {
    Bytes b = eth(0x0800);
    b.push_back(static_cast<uint8_t>(0x40 | (5 + p.options)));
    b.push_back(0);
    put16(b, static_cast<uint16_t>(20 + p.options * 4 + p.l4_bytes));
    put16(b, 1);
    put16(b, p.frag);
    b.push_back(64);
    b.push_back(p.proto);
    put16(b, 0);  // checksum: not looked at
    put_ip(b, kRemote);
    put_ip(b, p.dst);
    for (int i = 0; i < p.options * 4; ++i) b.push_back(1);  // NOPs
    Bytes l4;
    put16(l4, 40000);
    put16(l4, p.dst_port);
    l4.resize(p.l4_bytes);
    b.insert(b.end(), l4.begin(), l4.end());
    return b;
}

inline Bytes truncated(Bytes b, size_t len) {
    b.resize(len);
    return b;
}

}  // namespace xdp_frames
