// Switch: the control thread's per-millisecond duties. Learn events from the
// workers become FDB entries; frames the workers classified as "slow path"
// (DHCP, ARP and ping for service addresses) are answered here; link states
// are polled; MACs and leases age.
#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_hash.h>
#include <rte_mbuf.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>

#include <spdlog/spdlog.h>

#include <ctime>

#include "../services/neighbor_discovery.hpp"
#include "../services/router_advert.hpp"
#include "../services/service_replies.hpp"
#include "switch.hpp"

namespace vsw {

void Switch::poll_slow_path() {
    LearnEvent events[64];
    const uint64_t now = rte_rdtsc();
    unsigned n = rte_ring_sc_dequeue_burst_elem(shared_->learn_ring, events, sizeof(LearnEvent), 64, nullptr);
    for (unsigned i = 0; i < n; ++i) {
        const LearnEvent& ev = events[i];
        // The port may have left the network since the worker saw the frame.
        if (!learn_event_current(ev)) continue;
        learn_mac(ev.key, ev.port, now);
    }
    if (n > 0) sync_macs_full();

    rte_mbuf* pkts[32];
    n = rte_ring_sc_dequeue_burst(shared_->slow_path_ring, reinterpret_cast<void**>(pkts), 32, nullptr);
    for (unsigned i = 0; i < n; ++i) {
        rte_mbuf* m = pkts[i];
        uint8_t buf[2048];
        const uint32_t len = std::min<uint32_t>(rte_pktmbuf_pkt_len(m), sizeof buf);
        const uint8_t* data = static_cast<const uint8_t*>(rte_pktmbuf_read(m, 0, len, buf));
        if (data != nullptr) handle_slow_path_frame(m->port, {data, len});
        rte_pktmbuf_free(m);
    }
    if (republish_) {  // e.g. the uplink's next hop or a port-forward target resolved
        republish_ = false;
        publish();
    }
}

// Whether a worker's learn event still holds: its port (or remote VTEP) is
// still in the key's network.
bool Switch::learn_event_current(const LearnEvent& ev) const {
    if (ev.key.network >= kMaxNetworks) return false;
    if (is_vtep_port(ev.port)) {
        const OverlaySlot& ov = topology_->overlays[ev.key.network];
        const uint16_t vtep = static_cast<uint16_t>(ev.port - kVtepPortBase);
        return ov.enabled && vtep < ov.n_vteps && ov.vteps[vtep].active;
    }
    return ev.port < kMaxPorts && topology_->ports[ev.port].network == ev.key.network;
}

// Learns (network, MAC) on `port` unless the MAC is new to the port and the
// port or its network has used its budget (ports.X.max_macs, networks.X.max_macs).
// A remote VTEP's MACs count against their network's budget only.
void Switch::learn_mac(const FdbKey& key, uint16_t port, uint64_t now_tsc) {
    const int32_t pos = rte_hash_lookup(fdb_->hash(), &key);
    const uint16_t was = pos >= 0 ? fdb_->entry(pos).port.load(std::memory_order_relaxed) : kMaxPorts;
    if (was != port && !mac_budget_.has_room(port, key.network)) {
        if (port < kMaxPorts) ++macs_refused_[port];
        return;
    }
    switch (fdb_->learn(key, port, now_tsc)) {
        case Fdb::LearnResult::added: mac_budget_.added(port, key.network); break;
        case Fdb::LearnResult::moved: {
            mac_budget_.moved(was, port, key.network);
            Mac mac;
            std::copy(key.mac, key.mac + 6, mac.bytes.begin());
            spdlog::debug("MAC {} moved to port {}", mac.to_string(), port_name(port));
            break;
        }
        case Fdb::LearnResult::refreshed: break;
        case Fdb::LearnResult::table_full:
            ++fdb_full_;
            if (!fdb_full_logged_) spdlog::warn("FDB full ({} entries): new MACs are flooded", fdb_->size());
            fdb_full_logged_ = true;
            break;
    }
}

void Switch::sync_macs_full() {
    for (uint16_t p = 0; p < kMaxPorts; ++p) {
        const bool full = !mac_budget_.has_room(p);
        shared_->macs_full[p].store(full, std::memory_order_relaxed);
        // Logged once per episode, for ports that exist (a port id not in use has no room either).
        const bool exists = mac_budget_.port_max(p) != 0;
        if (full && exists && !macs_full_logged_[p])
            spdlog::warn("port {}: MAC budget used ({} of max_macs {}, or its network's): frames from new source "
                         "MACs are dropped (mac_limit)", port_name(p), mac_budget_.port_count(p), mac_budget_.port_max(p));
        else if (!full && macs_full_logged_[p])
            spdlog::info("port {}: room for new MACs again ({} of {})", port_name(p), mac_budget_.port_count(p),
                         mac_budget_.port_max(p));
        macs_full_logged_[p] = full && exists;
    }
}

void Switch::update_mac_budget() {
    for (uint16_t p = 0; p < kMaxPorts; ++p) mac_budget_.clear_port(p);
    for (const auto& [name, net] : networks_) {
        mac_budget_.set_network(net.id, net.cfg.max_macs);
        if (net.host_port) mac_budget_.set_port(*net.host_port, net.id, net.cfg.max_macs);
    }
    for (const auto& [name, p] : ports_) {
        auto net = networks_.find(p.cfg.network);
        if (net != networks_.end()) mac_budget_.set_port(p.port_id, net->second.id, p.cfg.max_macs);
    }
    mac_budget_.reset_counts();
    fdb_->for_each([&](const FdbKey& k, uint16_t port, uint64_t) { mac_budget_.counted(port, k.network); });
    sync_macs_full();
}

const Switch::NetworkState* Switch::network_of_port(uint16_t port_id) const {
    if (port_id >= kMaxPorts) return nullptr;
    const uint16_t id = topology_->ports[port_id].network;
    for (const auto& [name, net] : networks_)
        if (net.id == id) return &net;
    return nullptr;
}

void Switch::handle_slow_path_frame(uint16_t in_port, std::span<const uint8_t> frame) {
    if (UplinkState* up = uplink_of_port(in_port)) {
        handle_uplink_frame(*up, frame);
        return;
    }
    const NetworkState* net = network_of_port(in_port);
    if (net == nullptr) return;
    // Workers learn from the frames they switch or route; a guest that has
    // only talked to vsw's services so far (DHCP, ARP) is learned here, so
    // that a port forward's first packet to it is not flooded.
    if (frame.size() >= kEtherHdrLen && (frame[6] & 1) == 0)
        learn_mac(make_fdb_key(frame.data() + 6, net->id), in_port, rte_rdtsc());
    // IPv6: vsw is the router that announces subnet6.
    if (net->cfg.subnet6) {
        if (auto from = router_solicitation_from(frame)) {
            inject(in_port, make_router_advertisement(net->router_advert(), *from));
            return;
        }
        // A guest's own solicitations and advertisements tell its IPv6 address (IPv6 forward targets).
        const auto ns = neighbor_solicitation(frame);
        if (net->cfg.nat) {
            if (ns) learn_neighbor6(net->id, ns->from, ns->from_mac);
            if (auto na = neighbor_advert(frame)) {
                learn_neighbor6(net->id, na->target, na->mac);
                return;
            }
        }
        for (const Ipv6& own : net->own_addresses6()) {
            std::optional<std::vector<uint8_t>> reply;
            if (ns && ns->target == own)
                reply = make_neighbor_advert(*ns, net->service_mac, true);
            else
                reply = make_icmp6_echo_reply(frame, net->service_mac, own);
            if (reply) {
                inject(in_port, *reply);
                return;
            }
        }
    }
    // The network's service addresses: DHCP server, gateway, DNS, host alias.
    std::vector<Ipv4> service_ips;
    if (net->dhcp) service_ips.push_back(net->cfg.dhcp->server);
    if (net->cfg.nat) {
        service_ips.push_back(net->cfg.nat->gateway);
        if (net->cfg.nat->dns) service_ips.push_back(*net->cfg.nat->dns);
        if (net->cfg.nat->host_loopback) service_ips.push_back(net->cfg.nat->host_alias);  // ARP and ping
        // Guests ARP for their gateway first thing: remember who they are.
        if (auto sender = arp_sender(frame); sender && net->cfg.subnet && net->cfg.subnet->contains(sender->ip))
            learn_neighbor(net->id, sender->ip, sender->mac);
    }
    std::optional<std::vector<uint8_t>> reply;
    for (const Ipv4& ip : service_ips) {
        if (!reply) reply = make_arp_reply(frame, net->service_mac, ip);
        if (!reply) reply = make_icmp_echo_reply(frame, net->service_mac, ip);
    }
    if (!reply && net->dhcp) {
        DhcpClientPort from;
        for (const auto& [name, p] : ports_)
            if (p.port_id == in_port) from = {name, p.cfg.max_leases};
        reply = net->dhcp->handle_frame(frame, static_cast<int64_t>(std::time(nullptr)), from);
    }
    // A routed packet whose TTL ran out at the gateway (workers send those here).
    if (!reply && net->cfg.nat) reply = make_icmp_time_exceeded(frame, net->service_mac, net->cfg.nat->gateway);
    if (!reply && net->cfg.nat && net->cfg.subnet6)
        reply = make_icmp6_time_exceeded(frame, net->service_mac, net->cfg.subnet6->host(1));
    if (reply)
        inject(in_port, *reply);
    else
        ++slow_path_unhandled_;
}

// Sends a frame the control thread made out of a port, through the port's
// handoff ring (only the owning worker touches the port's tx queue).
void Switch::inject(uint16_t port_id, std::span<const uint8_t> frame) {
    rte_ring* ring = topology_->ports[port_id].tx_ring;
    rte_mbuf* m = rte_pktmbuf_alloc(pool_.get());
    if (ring == nullptr || m == nullptr) {
        ++inject_failed_;
        if (m != nullptr) rte_pktmbuf_free(m);
        return;
    }
    // Fill the mbuf completely before it becomes visible on the ring: the
    // worker may dequeue and transmit it the moment it is enqueued.
    char* p = rte_pktmbuf_append(m, static_cast<uint16_t>(frame.size()));
    if (p == nullptr) {
        ++inject_failed_;
        rte_pktmbuf_free(m);
        return;
    }
    std::memcpy(p, frame.data(), frame.size());
    if (rte_ring_mp_enqueue(ring, m) != 0) {
        ++inject_failed_;
        rte_pktmbuf_free(m);
    }
}

void Switch::periodic() {
    // Link state: a vhost port is up while a guest driver is attached.
    auto poll_link = [&](uint16_t port_id, const std::string& name) {
        rte_eth_link link{};
        rte_eth_link_get_nowait(port_id, &link);
        const bool up = link.link_status == RTE_ETH_LINK_UP;
        if (shared_->link_up[port_id].exchange(up) != up)
            spdlog::info("port {}: link {}", name, up ? "up (guest connected)" : "down");
    };
    for (auto& [name, p] : ports_) poll_link(p.port_id, name);
    // A host interface (TAP) takes frames whenever it exists; the PMD's own
    // link query would also fail once the netdev moved to another namespace.
    for (auto& [name, n] : networks_)
        if (n.host_port) shared_->link_up[*n.host_port].store(true, std::memory_order_relaxed);

    resolve_neighbors();
    send_router_adverts();
    sync_evpn();
    const uint64_t now = rte_rdtsc();
    if (now - last_age_tsc_ > shared_->tsc_hz) {
        last_age_tsc_ = now;
        const unsigned aged = fdb_->age(now, static_cast<uint64_t>(sw_.mac_aging) * shared_->tsc_hz);
        if (aged > 0) {
            spdlog::debug("FDB: {} MACs aged out", aged);
            update_mac_budget();  // ports may have room again
        }
        if (fdb_full_logged_ && fdb_->size() < fdb_->capacity() / 2) fdb_full_logged_ = false;
        const auto t = static_cast<int64_t>(std::time(nullptr));
        for (auto& [name, n] : networks_)
            if (n.dhcp) n.dhcp->expire(t);
        log_exhaustion();
    }
}

// Unsolicited router advertisements (RFC 4861 6.2.4), so that guests learn a
// new or changed prefix without asking; guests that ask get one at once
// (handle_slow_path_frame). Only to the guests' ports: the host configures
// its own address on its interface and takes no RAs there.
void Switch::send_router_adverts() {
    const uint64_t now = rte_rdtsc();
    for (auto& [name, n] : networks_) {
        std::erase_if(n.withdrawn6, [&](const auto& p) { return now > p.second; });
        if ((!n.cfg.subnet6 && n.withdrawn6.empty()) || (n.last_ra_tsc != 0 && now - n.last_ra_tsc < 30 * shared_->tsc_hz))
            continue;
        n.last_ra_tsc = now;
        const auto ra = make_router_advertisement(n.router_advert(), kAllNodesMac);
        for (const auto& [pname, p] : ports_)
            if (p.cfg.network == name && shared_->link_up[p.port_id]) inject(p.port_id, ra);
    }
}

// Exhaustion (NAT table or ports, full handoff rings) is counted per packet
// by the workers; here it is logged once when it starts, with the port it
// happened on, and again only after it has stopped for a minute.
void Switch::log_exhaustion() {
    const auto& kWatched = kWatchedDrops;
    const uint64_t now_s = rte_rdtsc() / shared_->tsc_hz;
    for (unsigned r = 0; r < std::size(kWatched); ++r) {
        const auto reason = static_cast<unsigned>(kWatched[r]);
        uint64_t total = 0;
        uint16_t worst_port = 0;
        uint64_t worst = 0;
        for (uint16_t p = 0; p < kMaxPorts; ++p) {
            uint64_t on_port = 0;
            for (unsigned w = 0; w < n_workers_; ++w) on_port += shared_->counters[w].port[p].drops[reason].get();
            total += on_port;
            if (on_port > worst) worst = on_port, worst_port = p;
        }
        ExhaustionLog& e = exhaustion_[r];
        if (total > e.last_total) {
            if (!e.logged)
                spdlog::warn("{} on port {}: {} packet(s) dropped so far (counted in vswctl stats; logged once)",
                             drop_reason_name(kWatched[r]), port_name(worst_port), total);
            e.logged = true;
            e.last_change_s = now_s;
        } else if (e.logged && now_s - e.last_change_s > 60) {
            e.logged = false;
        }
        e.last_total = total;
    }
}

}  // namespace vsw
