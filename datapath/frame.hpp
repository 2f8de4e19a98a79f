// Parsing the few header fields the L2 switch needs, as pure functions over
// bytes (no mbufs), so every case is unit-tested with hand-made frames.
#pragma once

#include <array>
#include <cstdint>
#include <cstring>

#include "../common/bytes.hpp"
#include "../common/headers.hpp"
#include "addr.hpp"
#include "drop_reasons.hpp"
#include "limits.hpp"

namespace vsw {

inline constexpr uint16_t kEtherTypeIpv4 = 0x0800;
inline constexpr uint16_t kEtherTypeArp = 0x0806;
inline constexpr uint16_t kEtherTypeIpv6 = 0x86dd;

// What the switch's own services (DHCP, ARP for service addresses) listen for
// in one network. Filled in by the control thread as part of the topology.
struct ServiceAddresses {
    bool enabled = false;             // false: the network has no services at all
    bool dhcp = false;                // a DHCP server runs in this network
    bool routed = false;              // NAT network: IPv4 to the gateway MAC is routed out
    uint32_t dns_be = 0;              // NAT network's DNS address: routed when to port 53
    uint32_t host_loopback_be = 0;    // NAT network's host alias with host_loopback: TCP/UDP to it is routed
    bool router_adverts = false;      // subnet6: vsw answers router solicitations
    Mac mac;                          // the services' virtual MAC
    uint8_t n_ips = 0;
    uint32_t ips_be[kMaxServiceIps]{};  // network byte order
    // subnet6: vsw's own IPv6 addresses, its link-local one (the router's) and
    // the gateway's in the prefix (NAT networks; else the link-local again).
    // It answers neighbour solicitations and pings for them.
    std::array<uint8_t, 16> link_local6{}, gateway6{};
    bool routed6 = false;             // NAT66: IPv6 to the services' MAC, not for vsw itself, is routed
    bool has_dns6 = false;            // NAT66 with DNS: UDP/TCP 53 to dns6 is routed (to the resolver6)
    std::array<uint8_t, 16> dns6{};

    bool has_ip_be(uint32_t ip_be) const {
        for (uint8_t i = 0; i < n_ips; ++i)
            if (ips_be[i] == ip_be) return true;
        return false;
    }
};

// A source MAC no frame may carry: multicast (broadcast included) or zero.
inline bool is_bad_src_mac(const uint8_t* src) {
    return (src[0] & 1) || (src[0] | src[1] | src[2] | src[3] | src[4] | src[5]) == 0;
}

enum class FrameClass : uint8_t {
    // Dropped (is_dropped), each for its own reason (drop_reason_of):
    runt,          // shorter than an Ethernet header
    bad_src,       // multicast or zero source MAC
    rogue_router,  // an IPv6 router advertisement or redirect where vsw is the router
    // Kept:
    switched,      // ordinary L2 forwarding
    slow_path,     // for the control thread: DHCP to a server, ARP/IP for a service address
    routed,        // IPv4 to the gateway of a NAT network, for another address: NAT it out
};

// One test per frame for every class that is dropped.
inline bool is_dropped(FrameClass c) { return c <= FrameClass::rogue_router; }
inline DropReason drop_reason_of(FrameClass c) {
    return c == FrameClass::runt      ? DropReason::runt
           : c == FrameClass::bad_src ? DropReason::bad_src_mac
                                      : DropReason::rogue_router;
}

// A frame addressed to the services' MAC: the slow path answers what is for a
// service address (ping, DHCP, DNS); in a NAT network everything else IPv4
// (and DNS to the DNS address, which NAT forwards to a resolver) is routed.
inline bool is_own_address6(const uint8_t* a, const ServiceAddresses& svc) {
    return std::memcmp(a, svc.link_local6.data(), 16) == 0 || std::memcmp(a, svc.gateway6.data(), 16) == 0 ||
           (svc.has_dns6 && std::memcmp(a, svc.dns6.data(), 16) == 0);
}

// IPv6 to the services' MAC (NAT66): routed unless it is for vsw itself.
inline FrameClass to_service_mac6(const uint8_t* p, uint32_t len, const ServiceAddresses& svc) {
    if (!svc.routed6 || len < kEtherHdrLen + 40 || load_be16(p + 12) != kEtherTypeIpv6) return FrameClass::slow_path;
    const uint8_t* ip = p + kEtherHdrLen;
    const uint8_t* dst = ip + 24;
    if (dst[0] == 0xff) return FrameClass::slow_path;
    if (!is_own_address6(dst, svc)) return FrameClass::routed;
    // The DNS address forwards UDP and TCP port 53; it answers ping itself.
    const bool dns = svc.has_dns6 && std::memcmp(dst, svc.dns6.data(), 16) == 0 && (ip[6] == 17 || ip[6] == 6) &&
                     len >= kEtherHdrLen + 40 + 4 && load_be16(ip + 40 + 2) == 53;
    return dns ? FrameClass::routed : FrameClass::slow_path;
}

inline FrameClass to_service_mac(const uint8_t* p, uint32_t len, const ServiceAddresses& svc) {
    // IPv4 first: IPv6 is looked at only off the IPv4 path.
    if (!svc.routed || len < kEtherHdrLen + 20 || load_be16(p + 12) != kEtherTypeIpv4)
        return to_service_mac6(p, len, svc);
    const uint8_t* ip = p + kEtherHdrLen;
    const uint32_t dst = get32(ip + 16);
    if (!svc.has_ip_be(dst)) return FrameClass::routed;
    // host_loopback: the host alias answers ping itself; TCP and UDP to it go to the host.
    if (dst == svc.host_loopback_be && (ip[9] == 17 || ip[9] == 6)) return FrameClass::routed;
    if (dst != svc.dns_be || svc.dns_be == 0) return FrameClass::slow_path;
    const uint32_t ihl = (ip[0] & 0x0f) * 4u;
    if (ihl < 20 || len < kEtherHdrLen + ihl + 4 || (ip[9] != 17 && ip[9] != 6)) return FrameClass::slow_path;
    return load_be16(ip + ihl + 2) == 53 ? FrameClass::routed : FrameClass::slow_path;
}

// Classifies one frame. `len` is the number of contiguous bytes at `p`
// (the first mbuf segment), which holds all headers of any sane frame.
inline FrameClass classify_frame(const uint8_t* p, uint32_t len, const ServiceAddresses& svc) {
    if (len < kEtherHdrLen) return FrameClass::runt;
    if (is_bad_src_mac(p + 6)) return FrameClass::bad_src;
    if (!svc.enabled) return FrameClass::switched;

    if (std::memcmp(p, svc.mac.bytes.data(), 6) == 0) return to_service_mac(p, len, svc);

    const uint16_t ether_type = load_be16(p + 12);
    if (ether_type == kEtherTypeArp) {
        // ARP for IPv4 over Ethernet: the target protocol address is at 24..27.
        if (len < kEtherHdrLen + 28) return FrameClass::switched;
        const uint8_t* arp = p + kEtherHdrLen;
        if (load_be16(arp) != 1 || load_be16(arp + 2) != kEtherTypeIpv4) return FrameClass::switched;
        return svc.has_ip_be(get32(arp + 24)) ? FrameClass::slow_path : FrameClass::switched;
    }
    // vsw is the network's only IPv6 router (subnet6): it answers router
    // solicitations (ICMPv6 133), and no one else may advertise a router or
    // redirect (134, 137: "RA guard", RFC 6105) -- a guest could otherwise
    // become the others' router. ICMPv6 right after the IPv6 header only;
    // behind extension headers it is switched.
    if (ether_type == kEtherTypeIpv6 && svc.router_adverts) {
        const uint8_t* ip = p + kEtherHdrLen;
        if (len < kEtherHdrLen + 40 + 8 || (ip[0] >> 4) != 6 || ip[6] != 58) return FrameClass::switched;
        if (ip[40] == 133) return FrameClass::slow_path;
        // A neighbour solicitation (RFC 4861 4.3) for one of vsw's addresses.
        if (ip[40] == 135 && len >= kEtherHdrLen + 40 + 24 && is_own_address6(ip + 48, svc))
            return FrameClass::slow_path;
        if (ip[40] == 134 || ip[40] == 137) return FrameClass::rogue_router;
        return FrameClass::switched;
    }
    if (ether_type == kEtherTypeIpv4 && svc.dhcp) {
        if (len < kEtherHdrLen + 20) return FrameClass::switched;
        const uint8_t* ip = p + kEtherHdrLen;
        const uint32_t ihl = (ip[0] & 0x0f) * 4u;
        if ((ip[0] >> 4) != 4 || ihl < 20 || len < kEtherHdrLen + ihl + 8) return FrameClass::switched;
        const bool first_fragment = (load_be16(ip + 6) & 0x1fff) == 0;
        if (ip[9] == 17 && first_fragment && load_be16(ip + ihl + 2) == 67) return FrameClass::slow_path;
    }
    return FrameClass::switched;
}

}  // namespace vsw
