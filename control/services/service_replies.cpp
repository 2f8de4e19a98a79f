#include "service_replies.hpp"

#include <rte_icmp.h>

#include <algorithm>
#include <cstring>

#include "../../common/headers.hpp"

namespace vsw {

namespace {

constexpr size_t kMinFrame = RTE_ETHER_MIN_LEN - RTE_ETHER_CRC_LEN;  // 60
constexpr size_t kIcmpHdrLen = sizeof(rte_icmp_hdr);                 // 8

// An Ethernet/IPv4 ARP frame, padded to the Ethernet minimum. IPv4
// addresses as stored (network order).
std::vector<uint8_t> arp_frame(uint16_t op, const uint8_t* eth_dst, const Mac& sender, uint32_t sender_ip,
                               const uint8_t* target_mac, uint32_t target_ip) {
    std::vector<uint8_t> out(kMinFrame, 0);
    auto* arp = reinterpret_cast<rte_arp_hdr*>(put_ether(out.data(), eth_dst, sender.bytes.data(), RTE_ETHER_TYPE_ARP));
    arp->arp_hardware = rte_cpu_to_be_16(RTE_ARP_HRD_ETHER);
    arp->arp_protocol = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
    arp->arp_hlen = RTE_ETHER_ADDR_LEN;
    arp->arp_plen = 4;
    arp->arp_opcode = rte_cpu_to_be_16(op);
    std::memcpy(arp->arp_data.arp_sha.addr_bytes, sender.bytes.data(), RTE_ETHER_ADDR_LEN);
    arp->arp_data.arp_sip = sender_ip;
    std::memcpy(arp->arp_data.arp_tha.addr_bytes, target_mac, RTE_ETHER_ADDR_LEN);
    arp->arp_data.arp_tip = target_ip;
    return out;
}

// An IPv4 frame sent to `frame` (an IPv4 frame to `mac`) by `mac`; `payload`
// bytes follow the 20-byte header. Padded to the Ethernet minimum.
std::vector<uint8_t> ipv4_reply_frame(std::span<const uint8_t> frame, const Mac& mac, Ipv4Header h,
                                      size_t payload, uint8_t** payload_at) {
    std::vector<uint8_t> out(std::max(kEtherHdrLen + kIpv4HdrLen + payload, kMinFrame), 0);
    const auto* eth = reinterpret_cast<const rte_ether_hdr*>(frame.data());
    uint8_t* ip = put_ether(out.data(), eth->src_addr.addr_bytes, mac.bytes.data(), RTE_ETHER_TYPE_IPV4);
    h.total_length = static_cast<uint16_t>(kIpv4HdrLen + payload);
    *payload_at = put_ipv4(ip, h);
    return out;
}

bool sent_to(std::span<const uint8_t> frame, const Mac& mac) {
    return std::memcmp(reinterpret_cast<const rte_ether_hdr*>(frame.data())->dst_addr.addr_bytes, mac.bytes.data(),
                       RTE_ETHER_ADDR_LEN) == 0;
}

}  // namespace

std::optional<std::vector<uint8_t>> make_arp_reply(std::span<const uint8_t> frame, Mac mac, Ipv4 ip) {
    const rte_arp_hdr* arp = arp_of(frame);
    if (arp == nullptr || arp->arp_opcode != rte_cpu_to_be_16(RTE_ARP_OP_REQUEST)) return std::nullopt;
    if (arp->arp_data.arp_tip != ip.to_be()) return std::nullopt;
    // To the requester, from the asked-for address.
    const uint8_t* requester = arp->arp_data.arp_sha.addr_bytes;
    return arp_frame(RTE_ARP_OP_REPLY, requester, mac, arp->arp_data.arp_tip, requester, arp->arp_data.arp_sip);
}

std::vector<uint8_t> make_arp_request(Mac mac, Ipv4 ip, Ipv4 target) {
    const uint8_t broadcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, unknown[6] = {};
    return arp_frame(RTE_ARP_OP_REQUEST, broadcast, mac, ip.to_be(), unknown, target.to_be());
}

std::optional<ArpSender> arp_sender(std::span<const uint8_t> frame) {
    const rte_arp_hdr* arp = arp_of(frame);
    if (arp == nullptr) return std::nullopt;
    const uint16_t op = rte_be_to_cpu_16(arp->arp_opcode);
    if (op != RTE_ARP_OP_REQUEST && op != RTE_ARP_OP_REPLY) return std::nullopt;
    ArpSender s;
    std::memcpy(s.mac.bytes.data(), arp->arp_data.arp_sha.addr_bytes, RTE_ETHER_ADDR_LEN);
    s.ip = Ipv4::from_be(arp->arp_data.arp_sip);
    s.is_reply = op == RTE_ARP_OP_REPLY;
    return s;
}

std::optional<std::vector<uint8_t>> make_icmp_echo_reply(std::span<const uint8_t> frame, Mac mac, Ipv4 ip) {
    const rte_ipv4_hdr* iph = ipv4_of(frame, kIcmpHdrLen);
    if (iph == nullptr || !sent_to(frame, mac)) return std::nullopt;
    if (iph->next_proto_id != IPPROTO_ICMP || ipv4_is_fragment(iph) || iph->dst_addr != ip.to_be())
        return std::nullopt;
    const auto* icmp = reinterpret_cast<const rte_icmp_hdr*>(ipv4_payload(iph));
    if (icmp->icmp_type != RTE_IP_ICMP_ECHO_REQUEST || icmp->icmp_code != 0) return std::nullopt;

    // Reply without IP options, the same id, from the address that was pinged.
    const size_t icmp_len = rte_be_to_cpu_16(iph->total_length) - rte_ipv4_hdr_len(iph);
    Ipv4Header h;
    h.id_be = iph->packet_id;
    h.proto = IPPROTO_ICMP;
    h.src_be = iph->dst_addr;
    h.dst_be = iph->src_addr;
    uint8_t* at = nullptr;
    auto out = ipv4_reply_frame(frame, mac, h, icmp_len, &at);
    std::memcpy(at, icmp, icmp_len);
    auto* reply = reinterpret_cast<rte_icmp_hdr*>(at);
    reply->icmp_type = RTE_IP_ICMP_ECHO_REPLY;
    reply->icmp_cksum = 0;
    reply->icmp_cksum = internet_checksum(at, icmp_len);
    return out;
}

std::optional<std::vector<uint8_t>> make_icmp_time_exceeded(std::span<const uint8_t> frame, Mac mac, Ipv4 from) {
    const rte_ipv4_hdr* iph = ipv4_of(frame);
    if (iph == nullptr || !sent_to(frame, mac)) return std::nullopt;
    if (iph->time_to_live > 1) return std::nullopt;  // only for an expiring TTL
    const size_t total = rte_be_to_cpu_16(iph->total_length);
    if (iph->next_proto_id == IPPROTO_ICMP && total > rte_ipv4_hdr_len(iph) &&
        ipv4_payload(iph)[0] != RTE_IP_ICMP_ECHO_REQUEST)
        return std::nullopt;                               // never about an ICMP error
    if (ipv4_is_later_fragment(iph)) return std::nullopt;  // only about a first fragment

    // RFC 1812 4.3.2.3: quote as much of the packet as fits in 576 bytes.
    const size_t quoted = std::min<size_t>(total, 576 - kIpv4HdrLen - kIcmpHdrLen);
    Ipv4Header h;
    h.proto = IPPROTO_ICMP;
    h.src_be = from.to_be();
    h.dst_be = iph->src_addr;
    uint8_t* at = nullptr;
    auto out = ipv4_reply_frame(frame, mac, h, kIcmpHdrLen + quoted, &at);
    auto* icmp = reinterpret_cast<rte_icmp_hdr*>(at);
    icmp->icmp_type = 11;  // time exceeded (rte_icmp.h names only echo and its reply)
    icmp->icmp_code = 0;   // in transit
    std::memcpy(at + kIcmpHdrLen, iph, quoted);
    icmp->icmp_cksum = internet_checksum(at, kIcmpHdrLen + quoted);
    return out;
}

}  // namespace vsw
