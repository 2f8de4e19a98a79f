#include "service_replies.hpp"

#include <rte_arp.h>
#include <rte_ether.h>

#include <cstring>

#include "../../common/bytes.hpp"
#include "../../common/checksum.hpp"
#include "../../datapath/frame.hpp"

namespace vsw {

namespace {

// An Ethernet/IPv4 ARP frame, padded to the Ethernet minimum. Addresses of
// IPv4 as stored (network order).
std::vector<uint8_t> arp_frame(uint16_t op, const uint8_t* eth_dst, const Mac& sender, uint32_t sender_ip,
                               const uint8_t* target_mac, uint32_t target_ip) {
    std::vector<uint8_t> out(RTE_ETHER_MIN_LEN - RTE_ETHER_CRC_LEN, 0);
    auto* eth = reinterpret_cast<rte_ether_hdr*>(out.data());
    std::memcpy(eth->dst_addr.addr_bytes, eth_dst, RTE_ETHER_ADDR_LEN);
    std::memcpy(eth->src_addr.addr_bytes, sender.bytes.data(), RTE_ETHER_ADDR_LEN);
    eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_ARP);
    auto* arp = reinterpret_cast<rte_arp_hdr*>(eth + 1);
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

}  // namespace

std::optional<std::vector<uint8_t>> make_arp_reply(std::span<const uint8_t> frame, Mac mac, Ipv4 ip) {
    constexpr size_t kArpLen = 28;
    if (frame.size() < kEthHeaderLen + kArpLen) return std::nullopt;
    const uint8_t* arp = frame.data() + kEthHeaderLen;
    if (load_be16(frame.data() + 12) != kEtherTypeArp || load_be16(arp) != 1 ||
        load_be16(arp + 2) != kEtherTypeIpv4 || arp[4] != 6 || arp[5] != 4 || load_be16(arp + 6) != 1)
        return std::nullopt;
    if (get32(arp + 24) != ip.to_be()) return std::nullopt;

    // To the requester, from the asked-for address.
    return arp_frame(RTE_ARP_OP_REPLY, arp + 8, mac, get32(arp + 24), arp + 8, get32(arp + 14));
}

std::vector<uint8_t> make_arp_request(Mac mac, Ipv4 ip, Ipv4 target) {
    const uint8_t broadcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, unknown[6] = {};
    return arp_frame(RTE_ARP_OP_REQUEST, broadcast, mac, ip.to_be(), unknown, target.to_be());
}

std::optional<ArpSender> arp_sender(std::span<const uint8_t> frame) {
    if (frame.size() < kEthHeaderLen + 28 || load_be16(frame.data() + 12) != kEtherTypeArp) return std::nullopt;
    const uint8_t* arp = frame.data() + kEthHeaderLen;
    if (load_be16(arp) != 1 || load_be16(arp + 2) != kEtherTypeIpv4 || arp[4] != 6 || arp[5] != 4) return std::nullopt;
    const uint16_t op = load_be16(arp + 6);
    if (op != 1 && op != 2) return std::nullopt;
    ArpSender s;
    std::memcpy(s.mac.bytes.data(), arp + 8, 6);
    s.ip = Ipv4::from_be(get32(arp + 14));
    s.is_reply = op == 2;
    return s;
}

std::optional<std::vector<uint8_t>> make_icmp_echo_reply(std::span<const uint8_t> frame, Mac mac, Ipv4 ip) {
    if (frame.size() < kEthHeaderLen + 20 + 8) return std::nullopt;
    if (load_be16(frame.data() + 12) != kEtherTypeIpv4) return std::nullopt;
    if (std::memcmp(frame.data(), mac.bytes.data(), 6) != 0) return std::nullopt;
    const uint8_t* iph = frame.data() + kEthHeaderLen;
    const uint32_t ihl = (iph[0] & 0x0f) * 4u;
    const uint32_t total = load_be16(iph + 2);
    if ((iph[0] >> 4) != 4 || ihl < 20 || total < ihl + 8 || kEthHeaderLen + total > frame.size())
        return std::nullopt;
    if (iph[9] != 1 || (load_be16(iph + 6) & 0x3fff) != 0) return std::nullopt;  // ICMP, unfragmented
    if (get32(iph + 16) != ip.to_be()) return std::nullopt;
    const uint8_t* icmp = iph + ihl;
    if (icmp[0] != 8 || icmp[1] != 0) return std::nullopt;

    // Reply without IP options: Ethernet + 20-byte IPv4 + the ICMP message.
    const uint32_t icmp_len = total - ihl;
    std::vector<uint8_t> out(kEthHeaderLen + 20 + icmp_len);
    uint8_t* o = out.data();
    std::memcpy(o, frame.data() + 6, 6);
    std::memcpy(o + 6, mac.bytes.data(), 6);
    store_be16(o + 12, kEtherTypeIpv4);
    uint8_t* ip_out = o + kEthHeaderLen;
    ip_out[0] = 0x45;
    ip_out[1] = 0;
    store_be16(ip_out + 2, static_cast<uint16_t>(20 + icmp_len));
    std::memcpy(ip_out + 4, iph + 4, 2);  // keep the id
    store_be16(ip_out + 6, 0);
    ip_out[8] = 64;
    ip_out[9] = 1;
    store_be16(ip_out + 10, 0);
    std::memcpy(ip_out + 12, iph + 16, 4);  // from the address that was pinged
    std::memcpy(ip_out + 16, iph + 12, 4);
    put16(ip_out + 10, ipv4_header_checksum(ip_out));
    uint8_t* icmp_out = ip_out + 20;
    std::memcpy(icmp_out, icmp, icmp_len);
    icmp_out[0] = 0;  // echo reply
    store_be16(icmp_out + 2, 0);
    put16(icmp_out + 2, internet_checksum(icmp_out, icmp_len));
    if (out.size() < 60) out.resize(60, 0);
    return out;
}

}  // namespace vsw

namespace vsw {

std::optional<std::vector<uint8_t>> make_icmp_time_exceeded(std::span<const uint8_t> frame, Mac mac, Ipv4 from) {
    if (frame.size() < kEthHeaderLen + 20) return std::nullopt;
    if (load_be16(frame.data() + 12) != kEtherTypeIpv4) return std::nullopt;
    if (std::memcmp(frame.data(), mac.bytes.data(), 6) != 0) return std::nullopt;
    const uint8_t* iph = frame.data() + kEthHeaderLen;
    const uint32_t ihl = (iph[0] & 0x0f) * 4u;
    const uint32_t total = load_be16(iph + 2);
    if ((iph[0] >> 4) != 4 || ihl < 20 || total < ihl || kEthHeaderLen + total > frame.size()) return std::nullopt;
    if (iph[8] > 1) return std::nullopt;                          // only for an expiring TTL
    if (iph[9] == 1 && total >= ihl + 1 && iph[ihl] != 8) return std::nullopt;  // never about an ICMP error
    if ((load_be16(iph + 6) & 0x1fff) != 0) return std::nullopt;  // only about a first fragment

    // RFC 1812 4.3.2.3: quote as much of the packet as fits in 576 bytes.
    const uint32_t quoted = std::min<uint32_t>(total, 576 - 20 - 8);
    std::vector<uint8_t> out(kEthHeaderLen + 20 + 8 + quoted);
    uint8_t* o = out.data();
    std::memcpy(o, frame.data() + 6, 6);
    std::memcpy(o + 6, mac.bytes.data(), 6);
    store_be16(o + 12, kEtherTypeIpv4);
    uint8_t* ip_out = o + kEthHeaderLen;
    ip_out[0] = 0x45;
    store_be16(ip_out + 2, static_cast<uint16_t>(20 + 8 + quoted));
    ip_out[8] = 64;
    ip_out[9] = 1;
    const uint32_t from_be = from.to_be();
    std::memcpy(ip_out + 12, &from_be, 4);
    std::memcpy(ip_out + 16, iph + 12, 4);
    put16(ip_out + 10, ipv4_header_checksum(ip_out));
    uint8_t* icmp = ip_out + 20;
    icmp[0] = 11;  // time exceeded
    icmp[1] = 0;   // in transit
    std::memcpy(icmp + 8, iph, quoted);
    put16(icmp + 2, internet_checksum(icmp, 8 + quoted));
    if (out.size() < 60) out.resize(60, 0);
    return out;
}

}  // namespace vsw
