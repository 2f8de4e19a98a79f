// VXLAN (RFC 7348) as pure functions over bytes: the outer headers a frame
// gets when it leaves for a remote host (Ethernet, IPv4, UDP to 4789, the
// 8-byte VXLAN header with the network's VNI) and the checks a frame from a
// remote host must pass before its inner frame is switched. No mbufs here, so
// every case is unit-tested with hand-made frames (tests/unit/vxlan_test.cpp).
//
// The outer headers of one remote VTEP never change between packets except
// for three fields, so the control thread builds them once (a "template",
// write_vxlan_template) and the datapath copies them and patches the lengths,
// the UDP source port and the IPv4 checksum (finish_vxlan_outer), as OVS's
// tunnel push does.
#pragma once

#include <array>
#include <cstdint>
#include <cstring>

#include "../../common/bytes.hpp"
#include "../../common/checksum.hpp"
#include "vxlan_sizes.hpp"

namespace vsw::overlay {

using OuterTemplate = std::array<uint8_t, kOuterLen>;

struct TunnelEnds {
    std::array<uint8_t, 6> src_mac{}, dst_mac{};  // our uplink MAC, the next hop's
    uint32_t src_ip = 0, dst_ip = 0;              // network order: our uplink address, the remote VTEP
    uint32_t vni = 0;
};

// The outer headers for `t` with every length 0, UDP source port 0 and the
// IPv4 checksum of that header (finish_vxlan_outer updates it). DF is not
// set, as Linux's vxlan device does by default; UDP checksum 0 (allowed
// over IPv4, RFC 7348 5).
inline OuterTemplate write_vxlan_template(const TunnelEnds& t) {
    OuterTemplate h{};
    uint8_t* p = h.data();
    std::memcpy(p, t.dst_mac.data(), 6);
    std::memcpy(p + 6, t.src_mac.data(), 6);
    store_be16(p + 12, 0x0800);
    uint8_t* ip = p + 14;
    ip[0] = 0x45;
    ip[8] = 64;  // TTL
    ip[9] = 17;  // UDP
    put32(ip + 12, t.src_ip);
    put32(ip + 16, t.dst_ip);
    put16(ip + 10, ipv4_header_checksum(ip));
    uint8_t* udp = ip + 20;
    store_be16(udp + 2, kVxlanPort);
    uint8_t* vx = udp + 8;
    vx[0] = 0x08;  // I: the VNI is valid
    vx[4] = static_cast<uint8_t>(t.vni >> 16);
    vx[5] = static_cast<uint8_t>(t.vni >> 8);
    vx[6] = static_cast<uint8_t>(t.vni);
    return h;
}

// The outer headers at `p` (kOuterLen bytes, followed by the inner frame of
// inner_len bytes): the template, then the IPv4 total length with its
// checksum update (RFC 1624), the UDP length and source port.
inline void finish_vxlan_outer(uint8_t* p, const OuterTemplate& tmpl, uint32_t inner_len, uint16_t src_port) {
    std::memcpy(p, tmpl.data(), kOuterLen);
    uint8_t* ip = p + 14;
    const uint16_t total = static_cast<uint16_t>(kMtuOverhead + inner_len);
    uint8_t b[2];
    store_be16(b, total);
    put16(ip + 10, csum_replace16(get16(ip + 10), 0, get16(b)));
    put16(ip + 2, get16(b));
    uint8_t* udp = ip + 20;
    store_be16(udp, src_port);
    store_be16(udp + 4, static_cast<uint16_t>(16 + inner_len));
}

// RFC 7348 5: the UDP source port is a hash of the inner frame's headers,
// so that the underlay's ECMP and RSS spread the flows, taken from the
// dynamic range 49152-65535. The hash covers the inner MACs and, for IPv4,
// the addresses and the 4 bytes after the header (the ports of TCP/UDP).
inline uint16_t vxlan_source_port(const uint8_t* inner, uint32_t len) {
    uint32_t h = 2166136261u;  // FNV-1a over the words below
    auto mix = [&](uint32_t w) { h = (h ^ w) * 16777619u; };
    if (len >= 12) {
        mix(get32(inner)), mix(get32(inner + 4)), mix(get32(inner + 8));
        if (len >= 14 + 20 + 4 && load_be16(inner + 12) == 0x0800) {
            const uint8_t* ip = inner + 14;
            const uint32_t ihl = (ip[0] & 0x0f) * 4u;
            mix(get32(ip + 12)), mix(get32(ip + 16));
            if (ihl >= 20 && len >= 14 + ihl + 4) mix(get32(ip + ihl));
        }
    }
    h ^= h >> 16;
    return static_cast<uint16_t>(49152u | (h & 0x3fff));
}

// A cheap first test on a frame from an uplink: IPv4 UDP to port 4789 at
// `address` (network order), not a later fragment. parse_vxlan decides the
// rest; what fails here is left to the NAT stage.
inline bool is_vxlan_to(const uint8_t* f, uint32_t len, uint32_t address) {
    if (len < 14 + 20 + 8 || load_be16(f + 12) != 0x0800) return false;
    const uint8_t* ip = f + 14;
    const uint32_t ihl = (ip[0] & 0x0f) * 4u;
    if (ip[9] != 17 || ihl < 20 || len < 14 + ihl + 4 || get32(ip + 16) != address) return false;
    if ((load_be16(ip + 6) & 0x1fff) != 0) return false;  // a later fragment: no UDP header
    return load_be16(ip + ihl + 2) == kVxlanPort;
}

enum class VxlanParse : uint8_t {
    ok,
    malformed,  // lengths inconsistent or truncated, not IPv4, VXLAN's I flag clear, inner frame < 14 B
    fragment,   // the outer IPv4 packet is fragmented (vsw does not reassemble tunnels)
};

struct VxlanOuter {
    uint32_t src_ip = 0;        // network order: the remote VTEP
    uint32_t vni = 0;
    uint32_t inner_offset = 0;  // where the inner Ethernet frame starts
    uint32_t inner_len = 0;     // its length (UDP length - 16)
};

// `len`: the contiguous bytes at f (the frame's first segment). The inner
// frame's Ethernet header must be among them too.
inline VxlanParse parse_vxlan(const uint8_t* f, uint32_t len, VxlanOuter& out) {
    if (len < 14 + 20 || load_be16(f + 12) != 0x0800) return VxlanParse::malformed;
    const uint8_t* ip = f + 14;
    const uint32_t ihl = (ip[0] & 0x0f) * 4u;
    const uint32_t total = load_be16(ip + 2);
    if ((ip[0] >> 4) != 4 || ihl < 20 || ip[9] != 17 || total < ihl + 8 || 14 + total > len)
        return VxlanParse::malformed;
    if ((load_be16(ip + 6) & 0x3fff) != 0) return VxlanParse::fragment;  // MF or an offset
    const uint8_t* udp = ip + ihl;
    const uint32_t udp_len = load_be16(udp + 4);
    if (udp_len < 8 + 8 + 14 || udp_len > total - ihl) return VxlanParse::malformed;
    const uint8_t* vx = udp + 8;
    if ((vx[0] & 0x08) == 0) return VxlanParse::malformed;
    out.src_ip = get32(ip + 12);
    out.vni = uint32_t{vx[4]} << 16 | uint32_t{vx[5]} << 8 | vx[6];
    out.inner_offset = 14 + ihl + 16;
    out.inner_len = udp_len - 16;
    return VxlanParse::ok;
}

}  // namespace vsw::overlay
