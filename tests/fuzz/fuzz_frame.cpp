// Fuzzes vsw::classify_frame (datapath/frame.hpp), the first thing every
// frame from a guest meets. Input: one byte choosing the network's services,
// then the frame.
//   0: services off (internal network)
//   1: host-only network with DHCP (server 192.168.56.100)
//   2: NAT network, routed, DHCP, gateway 10.0.2.2 and dns 10.0.2.3
//   3: NAT network, routed, no DHCP, no dns address
//   4: host-only network with DHCP and subnet6 (router advertisements)
//   5: NAT network with NAT66: IPv6 routed, gateway6 and dns6 answered
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "frame.hpp"
#include "fuzz_common.hpp"

using namespace vsw;

namespace {

const Mac kSvcMac{{0x02, 0x76, 0x73, 0, 0, 0x01}};

uint32_t ip_be(uint8_t a, uint8_t b, uint8_t c, uint8_t d) {
    return Ipv4{uint32_t{a} << 24 | uint32_t{b} << 16 | uint32_t{c} << 8 | d}.to_be();
}

ServiceAddresses variant(uint8_t which) {
    ServiceAddresses s;
    switch (which % 6) {
        case 0:
            break;
        case 1:
            s.enabled = true;
            s.dhcp = true;
            s.mac = kSvcMac;
            s.ips_be[s.n_ips++] = ip_be(192, 168, 56, 100);
            break;
        case 2:
            s.enabled = true;
            s.dhcp = true;
            s.routed = true;
            s.mac = kSvcMac;
            s.ips_be[s.n_ips++] = ip_be(10, 0, 2, 2);
            s.ips_be[s.n_ips++] = ip_be(10, 0, 2, 3);
            s.dns_be = ip_be(10, 0, 2, 3);
            break;
        case 3:
            s.enabled = true;
            s.routed = true;
            s.mac = kSvcMac;
            s.ips_be[s.n_ips++] = ip_be(10, 0, 2, 2);
            break;
        case 4:  // host-only with subnet6 and DHCP
            s.enabled = true;
            s.dhcp = true;
            s.router_adverts = true;
            s.mac = kSvcMac;
            s.ips_be[s.n_ips++] = ip_be(192, 168, 56, 100);
            s.link_local6 = Ipv6::link_local_of(kSvcMac).bytes;
            s.gateway6 = s.link_local6;
            break;
        case 5:  // NAT with NAT66 (subnet6 and the DNS address over IPv6)
            s.enabled = true;
            s.dhcp = true;
            s.routed = true;
            s.router_adverts = true;
            s.routed6 = true;
            s.mac = kSvcMac;
            s.ips_be[s.n_ips++] = ip_be(10, 0, 2, 2);
            s.link_local6 = Ipv6::link_local_of(kSvcMac).bytes;
            s.gateway6 = Ipv6::parse("fd17:625c:f037:2::1")->bytes;
            s.has_dns6 = true;
            s.dns6 = Ipv6::parse("fd17:625c:f037:2::3")->bytes;
            break;
    }
    return s;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size < 1) return 0;
    const ServiceAddresses svc = variant(data[0]);
    const uint32_t len = static_cast<uint32_t>(size - 1);
    auto frame = fuzz::exact_copy(data + 1, len);
    const uint8_t* p = frame.get();

    const FrameClass c = classify_frame(p, len, svc);
    FUZZ_CHECK(c <= FrameClass::routed);
    FUZZ_CHECK((c == FrameClass::runt) == (len < kEtherHdrLen));
    if (c == FrameClass::runt) return 0;
    const bool src_bad = (p[6] & 1) || std::memcmp(p + 6, "\0\0\0\0\0\0", 6) == 0;
    FUZZ_CHECK((c == FrameClass::bad_src) == src_bad);
    if (c == FrameClass::bad_src) return 0;
    if (!svc.enabled) FUZZ_CHECK(c == FrameClass::switched);
    const bool to_svc_mac = std::memcmp(p, svc.mac.bytes.data(), 6) == 0;
    // Only IPv4 to the services' MAC in a routed network is routed, and IPv6
    // there with NAT66 (not to vsw's own addresses, except DNS to dns6).
    if (c == FrameClass::routed) {
        const bool v4 = svc.routed && len >= kEtherHdrLen + 20 && load_be16(p + 12) == kEtherTypeIpv4;
        const bool v6 = svc.routed6 && len >= kEtherHdrLen + 40 && load_be16(p + 12) == kEtherTypeIpv6 &&
                        p[kEtherHdrLen + 24] != 0xff &&
                        (!is_own_address6(p + kEtherHdrLen + 24, svc) ||
                         (svc.has_dns6 && std::memcmp(p + kEtherHdrLen + 24, svc.dns6.data(), 16) == 0));
        FUZZ_CHECK(to_svc_mac && (v4 || v6));
    }
    // Only ICMPv6 router advertisements and redirects, where vsw announces subnet6.
    auto icmpv6_type = [&]() -> int {
        if (len < kEtherHdrLen + 48 || load_be16(p + 12) != kEtherTypeIpv6) return -1;
        const uint8_t* ip = p + kEtherHdrLen;
        return (ip[0] >> 4) == 6 && ip[6] == 58 ? ip[40] : -1;
    };
    if (c == FrameClass::rogue_router)
        FUZZ_CHECK(svc.router_adverts && !to_svc_mac && (icmpv6_type() == 134 || icmpv6_type() == 137));
    // A frame to the services' MAC never goes past them onto the switch.
    if (svc.enabled && to_svc_mac) FUZZ_CHECK(c == FrameClass::slow_path || c == FrameClass::routed);
    // Elsewhere the slow path gets only ARP for a service address or DHCP to a server.
    if (c == FrameClass::slow_path && !to_svc_mac) {
        const uint16_t type = load_be16(p + 12);
        if (type == kEtherTypeArp) {
            FUZZ_CHECK(len >= kEtherHdrLen + 28 && svc.has_ip_be(get32(p + kEtherHdrLen + 24)));
        } else if (type == kEtherTypeIpv6) {
            // A router solicitation, or a neighbour solicitation for one of vsw's addresses.
            FUZZ_CHECK(svc.router_adverts && (icmpv6_type() == 133 || (icmpv6_type() == 135 &&
                                                                        len >= kEtherHdrLen + 40 + 24 &&
                                                                        is_own_address6(p + kEtherHdrLen + 48, svc))));
        } else {
            FUZZ_CHECK(type == kEtherTypeIpv4 && svc.dhcp);
            const uint8_t* ip = p + kEtherHdrLen;
            const uint32_t ihl = (ip[0] & 0x0f) * 4u;
            FUZZ_CHECK(ihl >= 20 && len >= kEtherHdrLen + ihl + 8 && ip[9] == 17 && load_be16(ip + ihl + 2) == 67);
        }
    }
    return 0;
}
