// The DHCP server of one network: RFC 2131 (protocol) and RFC 2132 (options).
//
// Frames are parsed with explicit bounds checks on every length; nothing is
// read outside the span handed in. Replies are complete Ethernet/IPv4/UDP
// frames with valid IPv4 header and UDP checksums.
#include "dhcp_server.hpp"


#include <algorithm>
#include <array>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <utility>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

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
constexpr int64_t kOfferHoldSeconds = 60;
constexpr size_t kMaxHostname = 63;

// BOOTP field offsets, from the start of the BOOTP message.
constexpr size_t kOp = 0, kHtype = 1, kHlen = 2, kXid = 4, kSecs = 8, kFlags = 10,
                 kCiaddr = 12, kYiaddr = 16, kSiaddr = 20, kGiaddr = 24, kChaddr = 28,
                 kSname = 44, kFile = 108;

enum : uint8_t {
    kDiscover = 1, kOffer = 2, kRequest = 3, kDecline = 4,
    kAck = 5, kNak = 6, kRelease = 7, kInform = 8,
};

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

// A parsed, validated client message.
struct DhcpServer::Request {
    Mac src_mac;                 // Ethernet source
    uint8_t type = 0;            // option 53; 0 when absent
    uint32_t xid = 0;
    uint16_t flags = 0;
    Ipv4 ciaddr, giaddr;
    std::array<uint8_t, 16> chaddr{};
    Mac mac;                     // chaddr[0..6), the lease key
    std::optional<Ipv4> requested;   // option 50
    std::optional<Ipv4> server_id;   // option 54
    std::string hostname;            // option 12
};

namespace {

// nullopt: malformed.
template <class Request>
std::optional<Request> parse_frame(std::span<const uint8_t> f) {
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

}  // namespace

// ---------------------------------------------------------------------------

DhcpServer::DhcpServer(std::string network_name, Subnet subnet, DhcpConfig config,
                       Mac server_mac, std::string lease_file)
    : network_name_(std::move(network_name)),
      subnet_(subnet),
      config_(std::move(config)),
      server_mac_(server_mac),
      lease_file_(std::move(lease_file)) {
    try {
        load();
    } catch (const std::exception& e) {
        by_ip_.clear();
        spdlog::warn("dhcp {}: cannot load lease file {}: {}; starting empty", network_name_,
                     lease_file_, e.what());
    } catch (...) {
        by_ip_.clear();
    }
}

std::optional<Ipv4> DhcpServer::static_for(const Mac& mac) const {
    for (const auto& s : config_.statics)
        if (s.mac == mac) return s.ip;
    return std::nullopt;
}

bool DhcpServer::is_static_ip(Ipv4 ip) const {
    for (const auto& s : config_.statics)
        if (s.ip == ip) return true;
    return false;
}

bool DhcpServer::dynamic_usable(Ipv4 ip) const {
    if (!subnet_.contains(ip)) return false;
    if (subnet_.prefix_len <= 30 && (ip == subnet_.network || ip == subnet_.broadcast()))
        return false;
    if (ip < config_.range_first || ip > config_.range_last) return false;
    if (ip == config_.server) return false;
    if (config_.router && ip == *config_.router) return false;
    return !is_static_ip(ip);
}

bool DhcpServer::available_for(const Mac& mac, Ipv4 ip, int64_t now) const {
    if (auto s = static_for(mac)) return ip == *s && subnet_.contains(ip);
    if (!dynamic_usable(ip)) return false;
    if (auto d = declined_.find(ip.value); d != declined_.end() && d->second > now) return false;
    auto it = by_ip_.find(ip.value);
    return it == by_ip_.end() || it->second.lease.mac == mac;
}

std::optional<Ipv4> DhcpServer::choose_offer(const Request& rq, int64_t now) const {
    if (auto s = static_for(rq.mac)) {
        if (subnet_.contains(*s)) return s;
        return std::nullopt;
    }
    // An existing lease of this MAC first, then an existing offer.
    std::optional<Ipv4> offered;
    for (const auto& [key, e] : by_ip_) {
        if (e.lease.mac != rq.mac || !available_for(rq.mac, e.lease.ip, now)) continue;
        if (!e.lease.offered_only) return e.lease.ip;
        if (!offered) offered = e.lease.ip;
    }
    if (offered) return offered;
    if (rq.requested && available_for(rq.mac, *rq.requested, now)) return rq.requested;

    // The lowest free address, scanning only the part of the range inside the subnet.
    uint64_t first = config_.range_first.value, last = config_.range_last.value;
    first = std::max<uint64_t>(first, subnet_.network.value);
    last = std::min<uint64_t>(last, subnet_.broadcast().value);
    for (uint64_t v = first; v <= last; ++v) {
        Ipv4 ip{static_cast<uint32_t>(v)};
        if (available_for(rq.mac, ip, now)) return ip;
    }
    return std::nullopt;
}

bool DhcpServer::erase_mac_entries(const Mac& mac, std::optional<Ipv4> keep, bool offers_only) {
    bool lease_gone = false;
    for (auto it = by_ip_.begin(); it != by_ip_.end();) {
        const DhcpLease& l = it->second.lease;
        if (l.mac == mac && (!keep || l.ip != *keep) && (!offers_only || l.offered_only)) {
            if (!l.offered_only && !l.is_static) lease_gone = true;
            it = by_ip_.erase(it);
        } else {
            ++it;
        }
    }
    return lease_gone;
}

bool DhcpServer::purge(int64_t now) {
    bool lease_gone = false, freed = false;
    for (auto it = by_ip_.begin(); it != by_ip_.end();) {
        const Entry& e = it->second;
        bool drop = e.lease.offered_only ? e.offer_until <= now
                                         : (!e.lease.is_static && e.lease.expires <= now);
        if (drop) {
            if (!e.lease.offered_only) lease_gone = true;
            freed = true;
            it = by_ip_.erase(it);
        } else {
            ++it;
        }
    }
    for (auto it = declined_.begin(); it != declined_.end();) {
        if (it->second <= now) {
            freed = true;
            it = declined_.erase(it);
        } else {
            ++it;
        }
    }
    if (freed) exhaustion_logged_ = false;
    return lease_gone;
}

void DhcpServer::expire(int64_t now) {
    try {
        if (purge(now)) save();
    } catch (const std::exception& e) {
        spdlog::error("dhcp {}: expire: {}", network_name_, e.what());
    } catch (...) {
    }
}

std::vector<DhcpLease> DhcpServer::leases() const {
    std::vector<DhcpLease> out;
    try {
        out.reserve(by_ip_.size());
        for (const auto& [key, e] : by_ip_) out.push_back(e.lease);  // the map is ordered by IP
    } catch (...) {
        out.clear();
    }
    return out;
}

void DhcpServer::reconfigure(Subnet subnet, DhcpConfig config) {
    try {
        subnet_ = subnet;
        config_ = std::move(config);
        bool changed = false;
        for (auto it = by_ip_.begin(); it != by_ip_.end();) {
            DhcpLease& l = it->second.lease;
            auto s = static_for(l.mac);
            bool keep;
            if (s) {
                keep = *s == l.ip && subnet_.contains(l.ip);
                if (keep && !l.is_static) {
                    l.is_static = true;  // now pinned by the configuration: no longer saved
                    changed = true;
                }
            } else {
                keep = dynamic_usable(l.ip);
                if (keep && l.is_static) {
                    // A static entry gone from the config that fits the pool: it becomes
                    // an ordinary lease, running until the expiry set by its last ACK.
                    l.is_static = false;
                    if (!l.offered_only) changed = true;
                }
            }
            if (!keep) {
                if (!l.offered_only) changed = true;
                it = by_ip_.erase(it);
            } else {
                ++it;
            }
        }
        for (auto it = declined_.begin(); it != declined_.end();)
            it = subnet_.contains(Ipv4{it->first}) ? std::next(it) : declined_.erase(it);
        exhaustion_logged_ = false;
        if (changed) save();
    } catch (const std::exception& e) {
        spdlog::error("dhcp {}: reconfigure: {}", network_name_, e.what());
    } catch (...) {
    }
}

// ---------------------------------------------------------------------------

std::optional<std::vector<uint8_t>> DhcpServer::handle_frame(std::span<const uint8_t> frame,
                                                             int64_t now, const DhcpClientPort& from) {
    try {
        if (purge(now)) save();
        auto rq = parse_frame<Request>(frame);
        if (!rq) {
            ++counters_.malformed;
            return std::nullopt;
        }
        if (!admit(*rq, now, from)) return std::nullopt;
        current_port_ = from.name;
        return dispatch(*rq, now);
    } catch (const std::exception& e) {
        spdlog::error("dhcp {}: {}", network_name_, e.what());
    } catch (...) {
    }
    return std::nullopt;
}

bool DhcpServer::admit(const Request& rq, int64_t now, const DhcpClientPort& from) {
    if (from.name.empty()) return true;
    PortRate& r = port_rate_[from.name];
    if (r.second != now) r = {now, 0};
    if (++r.messages > kDhcpMessagesPerSecond) {
        ++counters_.rate_limited;
        return false;
    }
    if (rq.type != kDiscover && rq.type != kRequest) return true;
    // A client the server knows already (lease, offer, static) is served as before.
    if (static_for(rq.mac)) return true;
    uint32_t held = 0;
    for (const auto& [ip, e] : by_ip_) {
        if (e.lease.mac == rq.mac) return true;
        if (!e.lease.is_static && e.lease.port == from.name) ++held;
    }
    if (held < from.max_leases) return true;
    ++counters_.port_limit;
    spdlog::debug("dhcp {}: port {} holds {} lease(s)/offer(s), its max_leases: nothing for {}", network_name_,
                  from.name, held, rq.mac.to_string());
    return false;
}

std::optional<std::vector<uint8_t>> DhcpServer::dispatch(const Request& rq, int64_t now) {
    switch (rq.type) {
    case kDiscover: return on_discover(rq, now);
    case kRequest: return on_request(rq, now);
    case kRelease: return on_release(rq, now);
    case kDecline: return on_decline(rq, now);
    case kInform: return on_inform(rq);
    default:  // plain BOOTP, server-to-client types, and types we do not serve
        ++counters_.ignored;
        return std::nullopt;
    }
}

std::optional<std::vector<uint8_t>> DhcpServer::on_discover(const Request& rq, int64_t now) {
    ++counters_.discover;
    auto ip = choose_offer(rq, now);
    if (!ip) {
        ++counters_.pool_exhausted;
        if (!exhaustion_logged_) {
            spdlog::warn("dhcp {}: address pool {}-{} exhausted; no offer for {}", network_name_,
                         config_.range_first.to_string(), config_.range_last.to_string(),
                         rq.mac.to_string());
            exhaustion_logged_ = true;
        }
        return std::nullopt;
    }
    erase_mac_entries(rq.mac, *ip, /*offers_only=*/true);  // older offers of this client
    auto [it, inserted] = by_ip_.try_emplace(ip->value);
    Entry& e = it->second;
    if (inserted || e.lease.mac != rq.mac) {
        e = Entry{};
        e.lease.mac = rq.mac;
        e.lease.ip = *ip;
        e.lease.is_static = static_for(rq.mac).has_value();
        e.lease.offered_only = true;
        e.lease.expires = 0;
        e.lease.port = current_port_;
    }
    if (e.lease.offered_only) e.offer_until = now + kOfferHoldSeconds;
    if (!rq.hostname.empty() && e.lease.offered_only) e.lease.hostname = rq.hostname;
    ++counters_.offer;
    spdlog::debug("dhcp {}: OFFER {} to {}", network_name_, ip->to_string(), rq.mac.to_string());
    return build_reply(rq, kOffer, *ip, true);
}

std::optional<std::vector<uint8_t>> DhcpServer::on_request(const Request& rq, int64_t now) {
    ++counters_.request;
    if (rq.server_id) {  // SELECTING
        if (*rq.server_id != config_.server) {
            // The client chose another server: withdraw our offer.
            erase_mac_entries(rq.mac, std::nullopt, /*offers_only=*/true);
            exhaustion_logged_ = false;
            ++counters_.ignored;
            return std::nullopt;
        }
        Ipv4 want = rq.requested.value_or(rq.ciaddr);
        if (want.value != 0 && available_for(rq.mac, want, now)) return ack(rq, want, now);
        return nak(rq);
    }
    if (rq.ciaddr.value == 0) {  // INIT-REBOOT
        if (!rq.requested) {
            ++counters_.malformed;  // a REQUEST must name an address somehow
            return std::nullopt;
        }
        if (available_for(rq.mac, *rq.requested, now)) return ack(rq, *rq.requested, now);
        return nak(rq);
    }
    // RENEWING / REBINDING: the client's own lease (or, after our lease went away,
    // an address that is still free for it) is extended; anything else is NAKed.
    if (available_for(rq.mac, rq.ciaddr, now)) return ack(rq, rq.ciaddr, now);
    return nak(rq);
}

std::vector<uint8_t> DhcpServer::ack(const Request& rq, Ipv4 ip, int64_t now) {
    erase_mac_entries(rq.mac, ip, /*offers_only=*/false);
    Entry& e = by_ip_[ip.value];
    const bool renewed = !e.lease.offered_only && e.lease.mac == rq.mac && e.lease.ip == ip;
    e.lease.mac = rq.mac;
    e.lease.ip = ip;
    e.lease.is_static = static_for(rq.mac) == ip;
    e.lease.offered_only = false;
    e.lease.expires = now + int64_t{config_.lease_seconds};
    if (!current_port_.empty()) e.lease.port = current_port_;
    if (!rq.hostname.empty()) e.lease.hostname = rq.hostname;
    e.offer_until = 0;
    ++counters_.ack;
    if (renewed)
        spdlog::debug("dhcp {}: ACK (renew) {} to {}", network_name_, ip.to_string(),
                      rq.mac.to_string());
    else
        spdlog::info("dhcp {}: lease {} to {}{}{}", network_name_, ip.to_string(),
                     rq.mac.to_string(), e.lease.hostname.empty() ? "" : " ", e.lease.hostname);
    save();
    return build_reply(rq, kAck, ip, true);
}

std::vector<uint8_t> DhcpServer::nak(const Request& rq) {
    ++counters_.nak;
    spdlog::debug("dhcp {}: NAK to {}", network_name_, rq.mac.to_string());
    return build_reply(rq, kNak, Ipv4{}, false);
}

std::optional<std::vector<uint8_t>> DhcpServer::on_release(const Request& rq, int64_t) {
    ++counters_.release;
    if (rq.server_id && *rq.server_id != config_.server) {
        ++counters_.ignored;
        return std::nullopt;
    }
    auto it = by_ip_.find(rq.ciaddr.value);
    if (it != by_ip_.end() && it->second.lease.mac == rq.mac) {
        const bool saved = !it->second.lease.offered_only && !it->second.lease.is_static;
        spdlog::info("dhcp {}: {} released {}", network_name_, rq.mac.to_string(),
                     rq.ciaddr.to_string());
        by_ip_.erase(it);
        exhaustion_logged_ = false;
        if (saved) save();
    }
    return std::nullopt;
}

std::optional<std::vector<uint8_t>> DhcpServer::on_decline(const Request& rq, int64_t now) {
    ++counters_.decline;
    if ((rq.server_id && *rq.server_id != config_.server) || !rq.requested) {
        ++counters_.ignored;
        return std::nullopt;
    }
    // Only the client the address was given to may decline it.
    auto it = by_ip_.find(rq.requested->value);
    if (it == by_ip_.end() || it->second.lease.mac != rq.mac) {
        ++counters_.ignored;
        return std::nullopt;
    }
    const bool saved = !it->second.lease.offered_only && !it->second.lease.is_static;
    by_ip_.erase(it);
    declined_[rq.requested->value] =
        now + std::max<int64_t>(int64_t{config_.lease_seconds}, kOfferHoldSeconds);
    spdlog::warn("dhcp {}: {} declined {} (address in use?); not offered for {} s",
                 network_name_, rq.mac.to_string(), rq.requested->to_string(),
                 std::max<int64_t>(int64_t{config_.lease_seconds}, kOfferHoldSeconds));
    if (saved) save();
    return std::nullopt;
}

std::optional<std::vector<uint8_t>> DhcpServer::on_inform(const Request& rq) {
    ++counters_.inform;
    return build_reply(rq, kAck, Ipv4{}, false);
}

// ---------------------------------------------------------------------------

std::vector<uint8_t> DhcpServer::build_reply(const Request& rq, uint8_t type, Ipv4 yiaddr,
                                             bool lease_options) const {
    // Options.
    std::vector<uint8_t> o;
    put_option(o, kOptMessageType, &type, 1);
    put_u32(o, kOptServerId, config_.server.value);
    if (type != kNak) {
        if (lease_options) {
            const uint64_t lease = config_.lease_seconds;
            put_u32(o, kOptLeaseTime, static_cast<uint32_t>(lease));
            put_u32(o, kOptRenewal, static_cast<uint32_t>(lease / 2));
            put_u32(o, kOptRebinding, static_cast<uint32_t>(lease * 7 / 8));
        }
        put_u32(o, kOptSubnetMask, subnet_.mask());
        put_u32(o, kOptBroadcast, subnet_.broadcast().value);
        if (config_.router) put_u32(o, kOptRouter, config_.router->value);
        if (!config_.dns.empty()) {
            std::vector<uint8_t> d;
            for (const Ipv4& a : config_.dns) {
                if (d.size() + 4 > 255) break;
                uint8_t b[4];
                store_be32(b, a.value);
                d.insert(d.end(), b, b + 4);
            }
            put_option(o, kOptDns, d.data(), d.size());
        }
        if (!config_.domain.empty())
            put_option(o, kOptDomain, reinterpret_cast<const uint8_t*>(config_.domain.data()),
                       config_.domain.size());
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
    std::copy(server_mac_.bytes.begin(), server_mac_.bytes.end(), f.begin() + 6);
    store_be16(&f[12], kEtherTypeIpv4);

    // IPv4
    uint8_t* ip = &f[kEthHeader];
    ip[0] = 0x45;
    store_be16(ip + 2, static_cast<uint16_t>(ip_len));
    store_be16(ip + 6, 0x4000);  // DF
    ip[8] = 64;
    ip[9] = kIpProtoUdp;
    store_be32(ip + 12, config_.server.value);
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

}  // namespace vsw
