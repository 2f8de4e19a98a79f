// Fuzzes the replies the control thread builds for the virtual services
// (control/services/service_replies.hpp): ARP replies, ICMP echo replies, ICMP "time
// exceeded", the ARP sender parser and the router solicitation check (with
// the advertisement answering it), all on the same raw frame.
//
// Input: one byte choosing the service address (bit 0: the NAT gateway
// 10.0.2.2, else the DHCP server 192.168.56.100), then the frame.
//
// Invariants: every reply is a well-formed frame from the service MAC to the
// frame's sender with checksums that verify; an echo reply carries the
// request's ICMP payload; time exceeded quotes the start of the packet.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>

#include "../../control/services/neighbor_discovery.hpp"
#include "../../control/services/router_advert.hpp"
#include "../../control/services/service_replies.hpp"
#include "frame.hpp"
#include "fuzz_common.hpp"

using namespace vsw;
using fuzz::be16;

namespace {

const Mac kSvcMac{{0x02, 0x76, 0x73, 0, 0, 0x01}};

// `to`: where the reply must go (an ICMP reply to the frame's source MAC, an
// ARP reply to the sender hardware address inside the ARP message).
void check_eth(const std::vector<uint8_t>& out, const uint8_t* to, uint16_t type) {
    FUZZ_CHECK(out.size() >= 60);
    FUZZ_CHECK(std::memcmp(out.data(), to, 6) == 0);
    FUZZ_CHECK(std::memcmp(out.data() + 6, kSvcMac.bytes.data(), 6) == 0);
    FUZZ_CHECK(be16(out.data() + 12) == type);
}

// An IPv4 + ICMP reply: returns the ICMP message length.
uint32_t check_icmp(const std::vector<uint8_t>& out, Ipv4 from) {
    const uint8_t* ip = out.data() + 14;
    FUZZ_CHECK(ip[0] == 0x45 && ip[9] == 1);
    const uint32_t total = be16(ip + 2);
    FUZZ_CHECK(total >= 28 && 14 + total <= out.size());
    FUZZ_CHECK(fuzz::ip_header_verifies(ip, 20));
    FUZZ_CHECK(fuzz::be32(ip + 12) == from.value);
    FUZZ_CHECK(fuzz::l4_verifies(ip, 1, ip + 20, total - 20));
    return total - 20;
}

}  // namespace

// RFC 8200 8.1, summed here: the ICMPv6 message of an IPv6 frame vsw made is right.
static bool icmp6_sums_right(const std::vector<uint8_t>& f) {
    if (f.size() < 14 + 40) return false;
    uint32_t sum = 0;
    for (size_t i = 14 + 8; i < 14 + 40; i += 2) sum += be16(f.data() + i);
    const size_t icmp_len = be16(f.data() + 14 + 4);
    if (f.size() != 14 + 40 + icmp_len) return false;
    sum += static_cast<uint32_t>(icmp_len) + 58;
    for (size_t i = 0; i < icmp_len; i += 2) sum += i + 1 < icmp_len ? be16(f.data() + 54 + i) : f[54 + i] << 8;
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    return sum == 0xffff;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size < 1) return 0;
    const Ipv4 svc_ip = data[0] & 1 ? Ipv4{0x0a000202} : Ipv4{0xc0a83864};
    const size_t len = size - 1;
    auto frame = fuzz::exact_copy(data + 1, len);
    const std::span<const uint8_t> in(frame.get(), len);

    if (auto r = make_arp_reply(in, kSvcMac, svc_ip)) {
        check_eth(*r, in.data() + 14 + 8, kEtherTypeArp);
        FUZZ_CHECK(r->size() == 60);
        const uint8_t* arp = r->data() + 14;
        FUZZ_CHECK(be16(arp + 6) == 2 && fuzz::be32(arp + 14) == svc_ip.value);
        FUZZ_CHECK(std::memcmp(arp + 24, in.data() + 14 + 14, 4) == 0);  // to the requester's address
        auto sender = arp_sender(*r);
        FUZZ_CHECK(sender && sender->is_reply && sender->mac == kSvcMac && sender->ip == svc_ip);
    }
    // A router solicitation: its sender's MAC, from a whole IPv6/ICMPv6 133
    // message; the advertisement answering it sums right (RFC 8200 8.1).
    if (auto from = router_solicitation_from(in)) {
        FUZZ_CHECK(len >= 14 + 40 + 8 && std::memcmp(from->bytes.data(), in.data() + 6, 6) == 0);
        FUZZ_CHECK(be16(in.data() + 12) == 0x86dd && in[14 + 6] == 58 && in[14 + 40] == 133);
        const auto ra = make_router_advertisement({kSvcMac, *Subnet6::parse("fd00:56::/64"), {}}, *from);
        FUZZ_CHECK(std::memcmp(ra.data(), in.data() + 6, 6) == 0);
        FUZZ_CHECK(icmp6_sums_right(ra));
    }
    // Neighbour discovery, ping and time exceeded for vsw's IPv6 addresses
    // (NAT66): what they accept is well-formed, what they make sums right.
    if (auto ns = neighbor_solicitation(in)) {
        FUZZ_CHECK(len >= 14 + 40 + 24 && in[14 + 7] == 255 && in[14 + 40] == 135 && !ns->target.is_multicast());
        const auto na = make_neighbor_advert(*ns, kSvcMac, true);
        FUZZ_CHECK(na.size() == 14 + 40 + 32 && icmp6_sums_right(na));
        FUZZ_CHECK(std::memcmp(na.data() + 14 + 8, ns->target.bytes.data(), 16) == 0);
    }
    if (auto na = neighbor_advert(in)) FUZZ_CHECK(len >= 14 + 40 + 24 && in[14 + 40] == 136);
    if (len >= 14 + 40) {
        Ipv6 dst;
        std::memcpy(dst.bytes.data(), in.data() + 14 + 24, 16);
        if (auto r = make_icmp6_echo_reply(in, kSvcMac, dst)) {
            FUZZ_CHECK(icmp6_sums_right(*r) && (*r)[14 + 40] == 129);
            FUZZ_CHECK(std::memcmp(r->data() + 14 + 40 + 4, in.data() + 14 + 40 + 4, r->size() - 14 - 40 - 4) == 0);
        }
        Mac to;
        std::memcpy(to.bytes.data(), in.data(), 6);
        if (auto r = make_icmp6_time_exceeded(in, to, *Ipv6::parse("fd17:625c:f037:2::1"))) {
            FUZZ_CHECK(icmp6_sums_right(*r) && r->size() <= 14 + 1280 && (*r)[14 + 40] == 3);
            FUZZ_CHECK(std::memcmp(r->data() + 14 + 48, in.data() + 14, r->size() - 14 - 48) == 0);
        }
    }
    if (auto s = arp_sender(in)) FUZZ_CHECK(len >= 42 && be16(in.data() + 12) == kEtherTypeArp);
    if (auto r = make_icmp_echo_reply(in, kSvcMac, svc_ip)) {
        check_eth(*r, in.data() + 6, kEtherTypeIpv4);
        const uint32_t icmp_len = check_icmp(*r, svc_ip);
        const uint8_t* ip_in = in.data() + 14;
        const uint32_t ihl = (ip_in[0] & 0x0f) * 4u;
        FUZZ_CHECK(icmp_len == be16(ip_in + 2) - ihl);
        const uint8_t* icmp = r->data() + 14 + 20;
        FUZZ_CHECK(icmp[0] == 0 && icmp[1] == 0);
        FUZZ_CHECK(std::memcmp(icmp + 4, ip_in + ihl + 4, icmp_len - 4) == 0);  // id, seq, payload
    }
    if (auto r = make_icmp_time_exceeded(in, kSvcMac, svc_ip)) {
        check_eth(*r, in.data() + 6, kEtherTypeIpv4);
        const uint32_t icmp_len = check_icmp(*r, svc_ip);
        FUZZ_CHECK(20 + icmp_len <= 576);
        const uint8_t* icmp = r->data() + 14 + 20;
        FUZZ_CHECK(icmp[0] == 11 && icmp[1] == 0);
        FUZZ_CHECK(std::memcmp(icmp + 8, in.data() + 14, icmp_len - 8) == 0);  // the quoted packet
    }
    return 0;
}
