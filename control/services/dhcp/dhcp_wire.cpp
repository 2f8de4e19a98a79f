// The DHCP wire format: RFC 2131's BOOTP message in Ethernet/IPv4/UDP, RFC
// 2132's options. Frames are parsed with explicit bounds checks on every
// length; nothing is read outside the span handed in. Replies are complete
// frames with right IPv4 header and UDP checksums.
#include "dhcp_wire.hpp"

#include <algorithm>
#include <map>

#include <rte_udp.h>

#include "../../../common/bytes.hpp"
#include "../../../common/checksum.hpp"
#include "../../../common/headers.hpp"

namespace vsw {

namespace {

constexpr size_t kUdpHeader = sizeof(rte_udp_hdr);  // 8
constexpr size_t kBootpFixed = 236;           // op .. file
constexpr size_t kOptionsOffset = kBootpFixed + 4;  // after the magic cookie
constexpr size_t kBootpMinReply = 300;        // RFC 1542 minimum BOOTP message
constexpr uint32_t kMagicCookie = 0x63825363;
constexpr uint16_t kServerPort = 67;
constexpr uint16_t kClientPort = 68;
constexpr uint16_t kFlagBroadcast = 0x8000;
constexpr size_t kMaxHostname = 63;

// BOOTP field offsets, from the start of the BOOTP message.
constexpr size_t kOp = 0, kHtype = 1, kHlen = 2, kXid = 4, kSecs = 8, kFlags = 10,
                 kCiaddr = 12, kYiaddr = 16, kSiaddr = 20, kGiaddr = 24, kChaddr = 28,
                 kSname = 44, kFile = 108;

enum : uint8_t {
    kOptPad = 0, kOptSubnetMask = 1, kOptRouter = 3, kOptDns = 6, kOptHostname = 12,
    kOptDomain = 15, kOptInterfaceMtu = 26, kOptBroadcast = 28, kOptRequestedIp = 50, kOptLeaseTime = 51,
    kOptOverload = 52, kOptMessageType = 53, kOptServerId = 54, kOptRenewal = 58,
    kOptRebinding = 59, kOptEnd = 255,
};

using Options = std::map<uint8_t, std::vector<uint8_t>>;

// Parses the options in [p, p+n). Repeated options are concatenated (RFC 3396).
// False when an option's length runs past the area.
bool parse_options(const uint8_t* p, size_t n, Options& out) {
    size_t i = 0;
    while (i < n) {
        uint8_t code = p[i];
        if (code == kOptEnd) return true;
        if (code == kOptPad) {
            ++i;
            continue;
        }
        if (i + 2 > n) return false;
        size_t len = p[i + 1];
        if (i + 2 + len > n) return false;
        auto& v = out[code];
        v.insert(v.end(), p + i + 2, p + i + 2 + len);
        i += 2 + len;
    }
    return true;  // tolerate a missing end option at the very end of the area
}

void put_option(std::vector<uint8_t>& o, uint8_t code, const uint8_t* data, size_t len) {
    len = std::min<size_t>(len, 255);
    o.push_back(code);
    o.push_back(static_cast<uint8_t>(len));
    o.insert(o.end(), data, data + len);
}
void put_u32(std::vector<uint8_t>& o, uint8_t code, uint32_t v) {
    uint8_t b[4];
    store_be32(b, v);
    put_option(o, code, b, 4);
}

}  // namespace

std::string sanitize_dhcp_hostname(const std::vector<uint8_t>& raw) {
    std::string h;
    for (uint8_t c : raw) {
        if (c == 0) break;
        if (c > 0x20 && c < 0x7f) h.push_back(static_cast<char>(c));
        if (h.size() >= kMaxHostname) break;
    }
    return h;
}

namespace dhcp {

std::optional<Request> parse_request(std::span<const uint8_t> f) {
    // IPv4, UDP to the server port, not a fragment.
    const rte_ipv4_hdr* ip = ipv4_of(f, kUdpHeader);
    if (ip == nullptr || ipv4_is_fragment(ip) || ip->next_proto_id != IPPROTO_UDP) return std::nullopt;
    Request rq;
    std::copy_n(reinterpret_cast<const rte_ether_hdr*>(f.data())->src_addr.addr_bytes, 6, rq.src_mac.bytes.begin());
    const auto* udp = reinterpret_cast<const rte_udp_hdr*>(ipv4_payload(ip));
    const size_t udp_len = rte_be_to_cpu_16(udp->dgram_len);
    const size_t ip_payload = size_t{rte_be_to_cpu_16(ip->total_length)} - rte_ipv4_hdr_len(ip);
    if (udp_len < kUdpHeader || udp_len > ip_payload)
        return std::nullopt;
    if (udp->dst_port != rte_cpu_to_be_16(kServerPort)) return std::nullopt;

    // BOOTP (RFC 2131 figure 1).
    const uint8_t* m = reinterpret_cast<const uint8_t*>(udp + 1);
    const size_t mlen = udp_len - kUdpHeader;
    if (mlen < kOptionsOffset) return std::nullopt;
    if (m[kOp] != 1 || m[kHtype] != 1 || m[kHlen] != 6) return std::nullopt;
    if (load_be32(m + kBootpFixed) != kMagicCookie) return std::nullopt;
    rq.xid = load_be32(m + kXid);
    rq.flags = load_be16(m + kFlags);
    rq.ciaddr = Ipv4{load_be32(m + kCiaddr)};
    rq.giaddr = Ipv4{load_be32(m + kGiaddr)};
    std::copy_n(m + kChaddr, 16, rq.chaddr.begin());
    std::copy_n(m + kChaddr, 6, rq.mac.bytes.begin());

    Options opts;
    if (!parse_options(m + kOptionsOffset, mlen - kOptionsOffset, opts)) return std::nullopt;
    if (auto it = opts.find(kOptOverload); it != opts.end()) {
        if (it->second.size() != 1) return std::nullopt;
        const uint8_t ov = it->second[0];
        if ((ov & 1) && !parse_options(m + kFile, 128, opts)) return std::nullopt;
        if ((ov & 2) && !parse_options(m + kSname, 64, opts)) return std::nullopt;
    }
    if (auto it = opts.find(kOptMessageType); it != opts.end()) {
        if (it->second.size() != 1) return std::nullopt;
        rq.type = it->second[0];
    }
    if (auto it = opts.find(kOptRequestedIp); it != opts.end()) {
        if (it->second.size() != 4) return std::nullopt;
        rq.requested = Ipv4{load_be32(it->second.data())};
    }
    if (auto it = opts.find(kOptServerId); it != opts.end()) {
        if (it->second.size() != 4) return std::nullopt;
        rq.server_id = Ipv4{load_be32(it->second.data())};
    }
    if (auto it = opts.find(kOptHostname); it != opts.end())
        rq.hostname = sanitize_dhcp_hostname(it->second);
    return rq;
}

std::vector<uint8_t> build_reply(const Request& rq, const ReplySettings& server, uint8_t type, Ipv4 yiaddr,
                                 bool lease_options) {
    // Options.
    std::vector<uint8_t> o;
    put_option(o, kOptMessageType, &type, 1);
    put_u32(o, kOptServerId, server.config.server.value);
    if (type != kNak) {
        if (lease_options) {
            const uint64_t lease = server.config.lease_seconds;
            put_u32(o, kOptLeaseTime, static_cast<uint32_t>(lease));
            put_u32(o, kOptRenewal, static_cast<uint32_t>(lease / 2));
            put_u32(o, kOptRebinding, static_cast<uint32_t>(lease * 7 / 8));
        }
        put_u32(o, kOptSubnetMask, server.subnet.mask());
        put_u32(o, kOptBroadcast, server.subnet.broadcast().value);
        if (server.config.router) put_u32(o, kOptRouter, server.config.router->value);
        if (!server.config.dns.empty()) {
            std::vector<uint8_t> d;
            for (const Ipv4& a : server.config.dns) {
                if (d.size() + 4 > 255) break;
                uint8_t b[4];
                store_be32(b, a.value);
                d.insert(d.end(), b, b + 4);
            }
            put_option(o, kOptDns, d.data(), d.size());
        }
        if (!server.config.domain.empty())
            put_option(o, kOptDomain, reinterpret_cast<const uint8_t*>(server.config.domain.data()),
                       server.config.domain.size());
        if (server.config.mtu) {  // an overlay network's: 50 bytes under the uplink's MTU
            uint8_t b[2];
            store_be16(b, *server.config.mtu);
            put_option(o, kOptInterfaceMtu, b, 2);
        }
    }
    o.push_back(kOptEnd);
    const size_t bootp_len = std::max(kOptionsOffset + o.size(), kBootpMinReply);

    // Destination (RFC 2131 4.1).
    const Mac bcast_mac{{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}};
    const Ipv4 bcast_ip{0xffffffffu};
    uint16_t flags = rq.flags;
    Mac dst_mac;
    Ipv4 dst_ip;
    uint16_t dst_port = kClientPort;
    if (rq.giaddr.value != 0) {  // via a relay agent
        dst_mac = rq.src_mac;
        dst_ip = rq.giaddr;
        dst_port = kServerPort;
        if (type == kNak) flags |= kFlagBroadcast;
    } else if (type == kNak) {
        dst_mac = bcast_mac;
        dst_ip = bcast_ip;
    } else if (rq.ciaddr.value != 0) {
        dst_mac = rq.mac;
        dst_ip = rq.ciaddr;
    } else if ((rq.flags & kFlagBroadcast) != 0 || yiaddr.value == 0) {
        dst_mac = bcast_mac;
        dst_ip = bcast_ip;
    } else {
        dst_mac = rq.mac;
        dst_ip = yiaddr;
    }

    const size_t udp_len = kUdpHeader + bootp_len;
    std::vector<uint8_t> f(kEtherHdrLen + kIpv4HdrLen + udp_len, 0);
    Ipv4Header h;
    h.total_length = static_cast<uint16_t>(kIpv4HdrLen + udp_len);
    h.dont_fragment = true;
    h.proto = IPPROTO_UDP;
    h.src_be = server.config.server.to_be();
    h.dst_be = dst_ip.to_be();
    uint8_t* ip = put_ether(f.data(), dst_mac.bytes.data(), server.mac.bytes.data(), RTE_ETHER_TYPE_IPV4);
    auto* udp = reinterpret_cast<rte_udp_hdr*>(put_ipv4(ip, h));

    // BOOTP
    uint8_t* m = reinterpret_cast<uint8_t*>(udp + 1);
    m[kOp] = 2;  // BOOTREPLY
    m[kHtype] = 1;
    m[kHlen] = 6;
    store_be32(m + kXid, rq.xid);
    store_be16(m + kSecs, 0);
    store_be16(m + kFlags, flags);
    if (type == kAck) store_be32(m + kCiaddr, rq.ciaddr.value);
    store_be32(m + kYiaddr, yiaddr.value);
    store_be32(m + kSiaddr, 0);
    store_be32(m + kGiaddr, rq.giaddr.value);
    std::copy(rq.chaddr.begin(), rq.chaddr.end(), m + kChaddr);
    store_be32(m + kBootpFixed, kMagicCookie);
    std::copy(o.begin(), o.end(), m + kOptionsOffset);  // the rest stays zero (pad)

    // UDP, with the pseudo-header checksum.
    udp->src_port = rte_cpu_to_be_16(kServerPort);
    udp->dst_port = rte_cpu_to_be_16(dst_port);
    udp->dgram_len = rte_cpu_to_be_16(static_cast<uint16_t>(udp_len));
    udp->dgram_cksum = ipv4_l4_checksum(ip, reinterpret_cast<const uint8_t*>(udp));  // as stored; never 0
    return f;
}

}  // namespace dhcp
}  // namespace vsw
