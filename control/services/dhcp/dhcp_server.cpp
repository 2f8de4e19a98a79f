// The DHCP server of one network: RFC 2131's leases, offers and replies.
// The wire format (parsing requests, building reply frames) is in dhcp_wire.cpp.
#include "dhcp_server.hpp"

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <utility>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

namespace vsw {

using namespace dhcp;  // message types, Request, parse_request, build_reply

namespace {

constexpr int64_t kOfferHoldSeconds = 60;  // an offer reserves its address this long

}  // namespace

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
        auto rq = dhcp::parse_request(frame);
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
    return dhcp::build_reply(rq, settings(), kOffer, *ip, true);
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
    return dhcp::build_reply(rq, settings(), kAck, ip, true);
}

std::vector<uint8_t> DhcpServer::nak(const Request& rq) {
    ++counters_.nak;
    spdlog::debug("dhcp {}: NAK to {}", network_name_, rq.mac.to_string());
    return dhcp::build_reply(rq, settings(), kNak, Ipv4{}, false);
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
    return dhcp::build_reply(rq, settings(), kAck, Ipv4{}, false);
}

}  // namespace vsw
