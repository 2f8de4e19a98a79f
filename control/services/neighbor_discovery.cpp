#include "neighbor_discovery.hpp"

#include <algorithm>
#include <cstring>

#include "../../common/bytes.hpp"
#include "../../common/checksum.hpp"
#include "../../common/headers.hpp"

namespace vsw {

namespace {

constexpr uint16_t kEtherTypeIpv6 = 0x86dd;
constexpr size_t kIpv6HdrLen = 40;
constexpr uint8_t kNextHeaderIcmpv6 = 58;
constexpr uint8_t kEchoRequest = 128, kEchoReply = 129;
constexpr uint8_t kNeighborSolicitation = 135, kNeighborAdvertisement = 136;
constexpr size_t kNdLen = 24;                  // ICMPv6 header + reserved/flags + target
constexpr uint8_t kOptSourceLinkLayer = 1, kOptTargetLinkLayer = 2;

// The ICMPv6 message of a well-formed IPv6 frame (next header ICMPv6 right
// after the IPv6 header, the payload all there), and its length.
std::optional<std::span<const uint8_t>> icmp6_of(std::span<const uint8_t> frame) {
    if (frame.size() < kEtherHdrLen + kIpv6HdrLen + 8 || load_be16(frame.data() + 12) != kEtherTypeIpv6)
        return std::nullopt;
    const uint8_t* ip = frame.data() + kEtherHdrLen;
    const size_t payload = load_be16(ip + 4);
    if ((ip[0] >> 4) != 6 || ip[6] != kNextHeaderIcmpv6 || payload < 8 ||
        frame.size() < kEtherHdrLen + kIpv6HdrLen + payload)
        return std::nullopt;
    return std::span<const uint8_t>(ip + kIpv6HdrLen, payload);
}

// Neighbour discovery messages must come from the link itself (RFC 4861 7.1.1).
std::optional<std::span<const uint8_t>> nd_message(std::span<const uint8_t> frame, uint8_t type) {
    auto icmp = icmp6_of(frame);
    if (!icmp || icmp->size() < kNdLen || (*icmp)[0] != type || (*icmp)[1] != 0) return std::nullopt;
    if (frame[kEtherHdrLen + 7] != 255) return std::nullopt;
    return icmp;
}

// The link-layer address in option `type` of a neighbour discovery message, if any.
std::optional<Mac> link_layer_option(std::span<const uint8_t> icmp, uint8_t type) {
    for (size_t off = kNdLen; off + 8 <= icmp.size();) {
        const size_t len = icmp[off + 1] * 8u;
        if (len == 0) return std::nullopt;  // malformed: would loop forever
        if (icmp[off] == type && len == 8) {
            Mac m;
            std::memcpy(m.bytes.data(), icmp.data() + off + 2, 6);
            return m;
        }
        off += len;
    }
    return std::nullopt;
}

Ipv6 ipv6_at(const uint8_t* p) {
    Ipv6 a;
    std::memcpy(a.bytes.data(), p, 16);
    return a;
}

Mac mac_at(const uint8_t* p) {
    Mac m;
    std::memcpy(m.bytes.data(), p, 6);
    return m;
}

}  // namespace

std::vector<uint8_t> icmp6_frame(const Mac& dst_mac, const Mac& src_mac, const Ipv6& src, const Ipv6& dst,
                                 size_t icmp_len, uint8_t hop_limit) {
    std::vector<uint8_t> out(kEtherHdrLen + kIpv6HdrLen + icmp_len, 0);
    // (Not put_ether(): GCC 12 -O3 misreads the vector's size there, -Warray-bounds.)
    std::copy(dst_mac.bytes.begin(), dst_mac.bytes.end(), out.begin());
    std::copy(src_mac.bytes.begin(), src_mac.bytes.end(), out.begin() + 6);
    out[12] = kEtherTypeIpv6 >> 8;
    out[13] = kEtherTypeIpv6 & 0xff;
    uint8_t* ip = out.data() + kEtherHdrLen;
    ip[0] = 0x60;  // version 6, traffic class 0, flow label 0
    store_be16(ip + 4, static_cast<uint16_t>(icmp_len));
    ip[6] = kNextHeaderIcmpv6;
    ip[7] = hop_limit;
    std::memcpy(ip + 8, src.bytes.data(), 16);
    std::memcpy(ip + 24, dst.bytes.data(), 16);
    return out;
}

uint8_t* icmp6_message(std::vector<uint8_t>& frame) { return frame.data() + kEtherHdrLen + kIpv6HdrLen; }

void finish_icmp6(std::vector<uint8_t>& frame) {
    uint8_t* icmp = icmp6_message(frame);
    put16(icmp + 2, 0);
    put16(icmp + 2, ipv6_l4_checksum(frame.data() + kEtherHdrLen, icmp));
}

std::optional<NeighborSolicitation> neighbor_solicitation(std::span<const uint8_t> frame) {
    auto icmp = nd_message(frame, kNeighborSolicitation);
    if (!icmp) return std::nullopt;
    NeighborSolicitation ns;
    ns.from = ipv6_at(frame.data() + kEtherHdrLen + 8);
    ns.target = ipv6_at(icmp->data() + 8);
    if (ns.target.is_multicast()) return std::nullopt;
    ns.from_mac = link_layer_option(*icmp, kOptSourceLinkLayer).value_or(mac_at(frame.data() + 6));
    return ns;
}

std::vector<uint8_t> make_neighbor_advert(const NeighborSolicitation& ns, const Mac& mac, bool router) {
    static const Ipv6 kAllNodes = *Ipv6::parse("ff02::1");
    static const Mac kAllNodesMac{{0x33, 0x33, 0x00, 0x00, 0x00, 0x01}};
    const bool dad = ns.from == Ipv6{};
    auto out = icmp6_frame(dad ? kAllNodesMac : ns.from_mac, mac, ns.target, dad ? kAllNodes : ns.from, kNdLen + 8, 255);
    uint8_t* icmp = icmp6_message(out);
    icmp[0] = kNeighborAdvertisement;
    icmp[4] = static_cast<uint8_t>((router ? 0x80 : 0) | (dad ? 0 : 0x40) | 0x20);  // R, S, O
    std::memcpy(icmp + 8, ns.target.bytes.data(), 16);
    icmp[kNdLen] = kOptTargetLinkLayer;
    icmp[kNdLen + 1] = 1;
    std::memcpy(icmp + kNdLen + 2, mac.bytes.data(), 6);
    finish_icmp6(out);
    return out;
}

std::vector<uint8_t> make_neighbor_solicitation(const Mac& mac, const Ipv6& src, const Ipv6& target) {
    Ipv6 solicited = *Ipv6::parse("ff02::1:ff00:0");
    std::memcpy(solicited.bytes.data() + 13, target.bytes.data() + 13, 3);
    const Mac dst{{0x33, 0x33, 0xff, target.bytes[13], target.bytes[14], target.bytes[15]}};
    auto out = icmp6_frame(dst, mac, src, solicited, kNdLen + 8, 255);
    uint8_t* icmp = icmp6_message(out);
    icmp[0] = kNeighborSolicitation;
    std::memcpy(icmp + 8, target.bytes.data(), 16);
    icmp[kNdLen] = kOptSourceLinkLayer;
    icmp[kNdLen + 1] = 1;
    std::memcpy(icmp + kNdLen + 2, mac.bytes.data(), 6);
    finish_icmp6(out);
    return out;
}

std::optional<NeighborAdvert> neighbor_advert(std::span<const uint8_t> frame) {
    auto icmp = nd_message(frame, kNeighborAdvertisement);
    if (!icmp) return std::nullopt;
    NeighborAdvert na;
    na.target = ipv6_at(icmp->data() + 8);
    na.mac = link_layer_option(*icmp, kOptTargetLinkLayer).value_or(mac_at(frame.data() + 6));
    return na;
}

std::optional<std::vector<uint8_t>> make_icmp6_echo_reply(std::span<const uint8_t> frame, const Mac& mac,
                                                          const Ipv6& own) {
    auto icmp = icmp6_of(frame);
    if (!icmp || (*icmp)[0] != kEchoRequest || (*icmp)[1] != 0) return std::nullopt;
    const uint8_t* ip = frame.data() + kEtherHdrLen;
    if (ipv6_at(ip + 24) != own) return std::nullopt;
    auto out = icmp6_frame(mac_at(frame.data() + 6), mac, own, ipv6_at(ip + 8), icmp->size(), 64);
    uint8_t* reply = icmp6_message(out);
    std::memcpy(reply, icmp->data(), icmp->size());  // identifier, sequence and data echoed
    reply[0] = kEchoReply;
    finish_icmp6(out);
    return out;
}

std::optional<std::vector<uint8_t>> make_icmp6_time_exceeded(std::span<const uint8_t> frame, const Mac& mac,
                                                             const Ipv6& from) {
    if (frame.size() < kEtherHdrLen + kIpv6HdrLen || load_be16(frame.data() + 12) != kEtherTypeIpv6 ||
        std::memcmp(frame.data(), mac.bytes.data(), 6) != 0)
        return std::nullopt;
    const uint8_t* ip = frame.data() + kEtherHdrLen;
    if ((ip[0] >> 4) != 6 || ip[7] > 1 || ip[24] == 0xff) return std::nullopt;
    const Ipv6 src = ipv6_at(ip + 8);
    if (src == Ipv6{} || src.is_multicast()) return std::nullopt;
    // Never about an ICMPv6 error (types below 128).
    if (ip[6] == kNextHeaderIcmpv6 && frame.size() > kEtherHdrLen + kIpv6HdrLen && ip[kIpv6HdrLen] < 128)
        return std::nullopt;
    const size_t packet = std::min<size_t>(frame.size() - kEtherHdrLen, kIpv6HdrLen + load_be16(ip + 4));
    const size_t quoted = std::min<size_t>(packet, 1280 - kIpv6HdrLen - 8);
    auto out = icmp6_frame(mac_at(frame.data() + 6), mac, from, src, 8 + quoted, 64);
    uint8_t* icmp = icmp6_message(out);
    icmp[0] = 3;  // time exceeded
    icmp[1] = 0;  // hop limit exceeded in transit
    std::memcpy(icmp + 8, ip, quoted);
    finish_icmp6(out);
    return out;
}

}  // namespace vsw
