// The DHCP wire format: RFC 2131's BOOTP message in Ethernet/IPv4/UDP, RFC
// 2132's options. Frames are parsed with explicit bounds checks on every
// length; nothing is read outside the span handed in. Replies are complete
// frames with right IPv4 header and UDP checksums.
#include "dhcp_wire.hpp"

#include <algorithm>
#include <map>

#include "../../../common/bytes.hpp"
#include "../../../common/checksum.hpp"

namespace vsw {

namespace {

constexpr size_t kEthHeader = 14;
constexpr size_t kIpHeader = 20;   // what we send: no IP options
constexpr size_t kUdpHeader = 8;
constexpr size_t kBootpFixed = 236;           // op .. file
constexpr size_t kOptionsOffset = kBootpFixed + 4;  // after the magic cookie
constexpr size_t kBootpMinReply = 300;        // RFC 1542 minimum BOOTP message
constexpr uint32_t kMagicCookie = 0x63825363;
constexpr uint16_t kEtherTypeIpv4 = 0x0800;
constexpr uint8_t kIpProtoUdp = 17;
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
    kOptDomain = 15, kOptBroadcast = 28, kOptRequestedIp = 50, kOptLeaseTime = 51,
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
    const uint8_t* b = f.data();
    const size_t n = f.size();
    if (n < kEthHeader) return std::nullopt;
    if (load_be16(b + 12) != kEtherTypeIpv4) return std::nullopt;
    Request rq;
    std::copy_n(b + 6, 6, rq.src_mac.bytes.begin());

    // IPv4
    const uint8_t* ip = b + kEthHeader;
    const size_t ip_avail = n - kEthHeader;
    if (ip_avail < kIpHeader) return std::nullopt;
    if ((ip[0] >> 4) != 4) return std::nullopt;
    const size_t ihl = size_t{ip[0] & 0x0fu} * 4;
    if (ihl < kIpHeader || ihl > ip_avail) return std::nullopt;
    const size_t total = load_be16(ip + 2);
    if (total < ihl + kUdpHeader || total > ip_avail) return std::nullopt;  // Ethernet padding ok
    if ((load_be16(ip + 6) & 0x3fff) != 0) return std::nullopt;  // a fragment (MF or offset)
    if (ip[9] != kIpProtoUdp) return std::nullopt;

    // UDP
    const uint8_t* udp = ip + ihl;
    const size_t udp_len = load_be16(udp + 4);
    if (udp_len < kUdpHeader || udp_len > total - ihl) return std::nullopt;
    if (load_be16(udp + 2) != kServerPort) return std::nullopt;

    // BOOTP
    const uint8_t* m = udp + kUdpHeader;
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
    const size_t ip_len = kIpHeader + udp_len;
    std::vector<uint8_t> f(kEthHeader + ip_len, 0);

    // Ethernet
    std::copy(dst_mac.bytes.begin(), dst_mac.bytes.end(), f.begin());
    std::copy(server.mac.bytes.begin(), server.mac.bytes.end(), f.begin() + 6);
    store_be16(&f[12], kEtherTypeIpv4);

    // IPv4
    uint8_t* ip = &f[kEthHeader];
    ip[0] = 0x45;
    store_be16(ip + 2, static_cast<uint16_t>(ip_len));
    store_be16(ip + 6, 0x4000);  // DF
    ip[8] = 64;
    ip[9] = kIpProtoUdp;
    store_be32(ip + 12, server.config.server.value);
    store_be32(ip + 16, dst_ip.value);
    put16(ip + 10, ipv4_header_checksum(ip));

    // BOOTP
    uint8_t* m = ip + kIpHeader + kUdpHeader;
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
    uint8_t* udp = ip + kIpHeader;
    store_be16(udp, kServerPort);
    store_be16(udp + 2, dst_port);
    store_be16(udp + 4, static_cast<uint16_t>(udp_len));
    put16(udp + 6, ipv4_l4_checksum(ip, udp));  // with the pseudo-header; never 0
    return f;
}

}  // namespace dhcp
}  // namespace vsw
