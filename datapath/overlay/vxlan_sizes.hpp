// VXLAN's numbers (RFC 7348), for the datapath and the config loader alike
// (no DPDK here: the loader does not link it).
#pragma once

#include <cstdint>

namespace vsw::overlay {

inline constexpr uint16_t kVxlanPort = 4789;             // IANA's, as Linux (dstport 4789) and OVS use
inline constexpr uint32_t kMaxVni = 0xffffff;            // 24 bits
inline constexpr uint32_t kOuterLen = 14 + 20 + 8 + 8;   // Ethernet, IPv4 (no options), UDP, VXLAN: 50
// What encapsulation adds to an inner frame inside the uplink's MTU (the
// outer Ethernet header is not part of an MTU): the largest inner frame,
// its own Ethernet header included, is mtu - kMtuOverhead.
inline constexpr uint32_t kMtuOverhead = 20 + 8 + 8;
// The IP MTU guests of an overlay network get (DHCP option 26): what
// remains of the uplink's MTU after all 50 bytes (the inner Ethernet
// header travels inside the outer IPv4 packet).
inline constexpr uint32_t guest_mtu_for(uint32_t uplink_mtu) { return uplink_mtu - kOuterLen; }

}  // namespace vsw::overlay
