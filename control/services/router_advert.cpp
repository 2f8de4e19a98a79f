#include "router_advert.hpp"

#include <cstring>

#include "../../common/bytes.hpp"
#include "../../common/checksum.hpp"
#include "../../common/headers.hpp"
#include "neighbor_discovery.hpp"

namespace vsw {

namespace {

constexpr uint16_t kEtherTypeIpv6 = 0x86dd;
constexpr size_t kIpv6HdrLen = 40;
constexpr uint8_t kNextHeaderIcmpv6 = 58;
constexpr uint8_t kRouterSolicitation = 133;
constexpr uint8_t kRouterAdvertisement = 134;
constexpr size_t kRaLen = 16;                  // ICMPv6 header + RA fields
constexpr size_t kSourceLinkLayerLen = 8;      // option 1
constexpr size_t kPrefixInfoLen = 32;          // option 3
constexpr size_t kRdnssLen = 24;               // option 25, one address

}  // namespace

namespace {

uint8_t* put_prefix_info(uint8_t* opt, const Subnet6& prefix, uint32_t valid_s, uint32_t preferred_s) {
    opt[0] = 3;    // prefix information
    opt[1] = 4;    // in units of 8 bytes
    opt[2] = prefix.prefix_len;
    opt[3] = 0xc0; // L (on-link) and A (autonomous address configuration)
    store_be32(opt + 4, valid_s);
    store_be32(opt + 8, preferred_s);
    std::memcpy(opt + 16, prefix.network.bytes.data(), 16);
    return opt + kPrefixInfoLen;
}

}  // namespace

std::vector<uint8_t> make_router_advertisement(const RouterAdvertSettings& ra, const Mac& dst) {
    const size_t n_prefixes = (ra.prefix ? 1 : 0) + ra.withdrawn.size();
    const size_t icmp_len = kRaLen + kSourceLinkLayerLen + kPrefixInfoLen * n_prefixes + (ra.dns ? kRdnssLen : 0);
    static const Ipv6 kAllNodes = *Ipv6::parse("ff02::1");
    // Hop limit 255: receivers drop an RA that crossed a router.
    std::vector<uint8_t> out = icmp6_frame(dst, ra.mac, Ipv6::link_local_of(ra.mac), kAllNodes, icmp_len, 255);
    uint8_t* icmp = icmp6_message(out);
    icmp[0] = kRouterAdvertisement;
    icmp[4] = 64;  // cur hop limit for the hosts
    icmp[5] = 0;   // M and O off: addresses by SLAAC, nothing by DHCPv6
    store_be16(icmp + 6, ra.router_lifetime_s);
    // reachable time and retrans timer: 0 (unspecified) at icmp + 8 .. + 15
    uint8_t* opt = icmp + kRaLen;
    opt[0] = 1;    // source link-layer address
    opt[1] = 1;    // in units of 8 bytes
    std::memcpy(opt + 2, ra.mac.bytes.data(), 6);
    opt += kSourceLinkLayerLen;
    if (ra.prefix) opt = put_prefix_info(opt, *ra.prefix, ra.valid_lifetime_s, ra.preferred_lifetime_s);
    for (const Subnet6& old : ra.withdrawn) opt = put_prefix_info(opt, old, 0, 0);
    if (ra.dns) {
        opt[0] = 25;   // recursive DNS server
        opt[1] = 3;    // in units of 8 bytes: one address
        store_be32(opt + 4, ra.rdnss_lifetime_s);
        std::memcpy(opt + 8, ra.dns->bytes.data(), 16);
    }
    finish_icmp6(out);
    return out;
}

std::optional<Mac> router_solicitation_from(std::span<const uint8_t> frame) {
    if (frame.size() < kEtherHdrLen + kIpv6HdrLen + 8 || load_be16(frame.data() + 12) != kEtherTypeIpv6)
        return std::nullopt;
    const uint8_t* ip = frame.data() + kEtherHdrLen;
    if ((ip[0] >> 4) != 6 || ip[6] != kNextHeaderIcmpv6 || ip[7] != 255) return std::nullopt;
    const size_t payload = load_be16(ip + 4);
    if (payload < 8 || frame.size() < kEtherHdrLen + kIpv6HdrLen + payload) return std::nullopt;
    const uint8_t* icmp = ip + kIpv6HdrLen;
    if (icmp[0] != kRouterSolicitation || icmp[1] != 0) return std::nullopt;
    Mac from;
    std::memcpy(from.bytes.data(), frame.data() + 6, 6);
    return from;
}

}  // namespace vsw
