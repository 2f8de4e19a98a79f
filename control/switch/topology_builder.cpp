#include "topology_builder.hpp"

#include <algorithm>

namespace vsw {

namespace {

// Each worker owns an equal slice of the uplink's masquerade range.
void slice_ports(const UplinkConfig& cfg, unsigned n_workers, UplinkSlot& us) {
    const uint32_t span = static_cast<uint32_t>(cfg.port_last) - cfg.port_first + 1;
    for (unsigned w = 0; w < n_workers; ++w) {
        us.slice[w].first = static_cast<uint16_t>(cfg.port_first + span * w / n_workers);
        us.slice[w].last = static_cast<uint16_t>(cfg.port_first + span * (w + 1) / n_workers - 1);
    }
}

ServiceAddresses services_of(const TopologyModel& model, const TopologyModel::Network& net) {
    ServiceAddresses svc;
    svc.mac = net.service_mac;
    auto add_ip = [&](Ipv4 ip) {
        if (!svc.has_ip_be(ip.to_be()) && svc.n_ips < kMaxServiceIps) svc.ips_be[svc.n_ips++] = ip.to_be();
    };
    if (net.dhcp && net.cfg.dhcp) {
        svc.enabled = true;
        svc.dhcp = true;
        add_ip(net.cfg.dhcp->server);
    }
    if (net.cfg.subnet6) {
        svc.enabled = true;
        svc.router_adverts = true;
        svc.link_local6 = Ipv6::link_local_of(net.service_mac).bytes;
        // A NAT network's subnet6 means NAT66 (config: only with the uplink's address6).
        svc.routed6 = net.cfg.nat.has_value();
        svc.gateway6 = svc.routed6 ? net.cfg.subnet6->host(1).bytes : svc.link_local6;
        auto up = net.cfg.nat ? model.uplinks.find(net.cfg.nat->uplink) : model.uplinks.end();
        if (auto dns6 = up != model.uplinks.end() ? nat_dns6(net.cfg, up->second.cfg) : std::nullopt) {
            svc.has_dns6 = true;
            svc.dns6 = dns6->bytes;
        }
    }
    if (net.cfg.nat) {
        const NatConfig& nc = *net.cfg.nat;
        svc.enabled = true;
        svc.routed = true;
        add_ip(nc.gateway);
        if (nc.dns) {
            add_ip(*nc.dns);
            svc.dns_be = nc.dns->to_be();
        }
        if (nc.host_loopback) {
            add_ip(nc.host_alias);  // answers ARP and ping for it
            svc.host_loopback_be = nc.host_alias.to_be();
        }
    }
    return svc;
}

// `host` is the network's way to the host (NatConfig::host_uplink), when up.
NatNetworkInfo nat_info_of(const NetworkConfig& cfg, const TopologyModel::Uplink* up,
                           const TopologyModel::Uplink* host, unsigned n_workers) {
    const NatConfig& nc = *cfg.nat;
    NatNetworkInfo nn;
    nn.enabled = up != nullptr;
    nn.uplink = up != nullptr ? up->id : kNoUplink;
    nn.subnet = cfg.subnet->network.to_be();
    nn.mask = Ipv4{cfg.subnet->mask()}.to_be();
    nn.gateway = nc.gateway.to_be();
    nn.has_dns = nc.dns.has_value() && up != nullptr && up->cfg.resolver.has_value();
    nn.dns = nc.dns ? nc.dns->to_be() : 0;
    nn.resolver = nn.has_dns ? up->cfg.resolver->to_be() : 0;
    nn.host_loopback = nc.host_loopback && up != nullptr && host != nullptr && host->cfg.kernel.has_value();
    nn.host_uplink = host != nullptr ? host->id : kNoUplink;
    nn.host_alias = nc.host_alias.to_be();
    nn.timeouts = {nc.timeouts.tcp_established, nc.timeouts.tcp_transitory, nc.timeouts.udp, nc.timeouts.icmp};
    // Each worker holds its own sessions: the network's caps are shared out.
    nn.max_sessions = (nc.max_sessions + n_workers - 1) / n_workers;
    nn.max_sessions_per_guest = (nc.max_sessions_per_guest + n_workers - 1) / n_workers;
    nn.nat66 = cfg.subnet6.has_value() && up != nullptr && up->cfg.address6.has_value();
    if (auto dns6 = up != nullptr ? nat_dns6(cfg, up->cfg) : std::nullopt) {
        nn.has_dns6 = true;
        nn.dns6 = dns6->bytes;
        nn.resolver6 = up->cfg.resolver6->bytes;
    }
    return nn;
}

// The network's port forwards, on its uplink, with the guests' MACs where
// known; `host_side_only`: those on the host's addresses, on its host uplink.
void add_forwards(const TopologyModel& model, const TopologyModel::Network& net, UplinkSlot& us,
                  bool host_side_only) {
    auto nb = model.neighbors.find(net.id);
    for (const PortForward& pf : net.cfg.nat->port_forwards) {
        if (us.n_forwards >= kMaxForwards) break;
        if (host_side_only && !pf.on_host_addresses()) continue;
        ForwardRule& r = us.forwards[us.n_forwards++];
        r.proto = pf.proto;
        r.host_port = pf.host_port;
        r.network = net.id;
        r.guest_ip = pf.guest_ip.to_be();
        r.guest_port = __builtin_bswap16(pf.guest_port);
        if (nb != model.neighbors.end()) {
            auto m = nb->second.find(pf.guest_ip.value);
            if (m != nb->second.end()) {
                r.guest_mac_known = true;
                r.guest_mac = m->second;
            }
        }
        us.reserved[us.n_reserved++] = pf.host_port;
    }
    if (!host_side_only) {  // IPv6 forwards are on address6 only
        auto nb6 = model.neighbors6.find(net.id);
        for (const PortForward6& pf : net.cfg.nat->port_forwards6) {
            if (us.n_forwards6 >= kMaxForwards || us.n_reserved >= kMaxForwards) break;
            ForwardRule6& r = us.forwards6[us.n_forwards6++];
            r.proto = pf.proto;
            r.host_port = pf.host_port;
            r.network = net.id;
            r.guest_ip = pf.guest_ip.bytes;
            r.guest_port = __builtin_bswap16(pf.guest_port);
            if (nb6 != model.neighbors6.end())
                if (auto m = nb6->second.find(pf.guest_ip); m != nb6->second.end()) {
                    r.guest_mac_known = true;
                    r.guest_mac = m->second;
                }
            if (std::find(us.reserved, us.reserved + us.n_reserved, pf.host_port) == us.reserved + us.n_reserved)
                us.reserved[us.n_reserved++] = pf.host_port;
        }
    }
    std::sort(us.reserved, us.reserved + us.n_reserved);
}

// A network's VXLAN overlay on its uplink: its remote VTEPs, each with the
// outer headers of its frames once the next hop's MAC is known (the remote
// itself on the uplink's prefix, else the uplink's gateway).
void add_overlay(const TopologyModel::Network& net, const TopologyModel::Uplink& up, OverlaySlot& ov, UplinkSlot& us) {
    const OverlayConfig& oc = *net.cfg.overlay;
    ov.enabled = true;
    ov.uplink = up.id;
    ov.vni = oc.vni;
    ov.max_inner = up.cfg.mtu - overlay::kMtuOverhead;
    const Subnet prefix = up.cfg.prefix();
    for (const auto& [ip, id] : net.vtep_ids) {
        if (id >= kMaxVteps) continue;
        VtepSlot& v = ov.vteps[id];
        v.active = true;
        v.ip = Ipv4{ip}.to_be();
        ov.n_vteps = std::max<uint16_t>(ov.n_vteps, static_cast<uint16_t>(id + 1));
        std::optional<Mac> next_hop;
        if (prefix.contains(Ipv4{ip})) {
            if (auto n = up.neighbors.find(ip); n != up.neighbors.end()) next_hop = n->second;
        } else if (up.gateway_resolved) {
            next_hop = up.gateway_mac;
        }
        if (!next_hop) continue;
        v.resolved = true;
        v.outer = overlay::write_vxlan_template({up.mac.bytes, next_hop->bytes, up.cfg.address.to_be(), v.ip, oc.vni});
    }
    us.overlay_networks[us.n_overlays++] = net.id;
    // UDP 4789 to the uplink's address is VXLAN's: never a masquerade port.
    if (std::find(us.reserved, us.reserved + us.n_reserved, overlay::kVxlanPort) == us.reserved + us.n_reserved) {
        us.reserved[us.n_reserved++] = overlay::kVxlanPort;
        std::sort(us.reserved, us.reserved + us.n_reserved);
    }
}

}  // namespace

std::unique_ptr<Topology> build_topology(const TopologyModel& model) {
    auto t = std::make_unique<Topology>();
    t->generation = model.generation;
    t->n_workers = static_cast<uint16_t>(model.n_workers);
    std::copy(model.nat_epoch.begin(), model.nat_epoch.end(), std::begin(t->nat_epoch));
    auto poll = [&](uint16_t worker, uint16_t port_id) {
        WorkerSlot& ws = t->workers[worker];
        ws.ports[ws.n_ports++] = port_id;
    };
    auto attach = [&](uint16_t port_id, uint16_t net_id, uint16_t worker, rte_ring* ring,
                      const std::optional<Mac>& pinned) {
        PortSlot& ps = t->ports[port_id];
        ps.active = true;
        ps.network = net_id;
        ps.worker = worker;
        ps.tx_ring = ring;
        ps.mac_pinned = pinned.has_value();
        if (pinned) ps.pinned_mac = *pinned;
        NetworkSlot& ns = t->networks[net_id];
        ns.ports[ns.n_ports++] = port_id;
        poll(worker, port_id);
    };
    // A port's further queues (its queue 0 is its worker's, above).
    auto poll_queues = [&](uint16_t port_id, uint16_t worker, uint16_t queues) {
        for (uint16_t q = 1; q < queues; ++q) {
            WorkerSlot& ws = t->workers[queue_worker(worker, q, static_cast<uint16_t>(model.n_workers))];
            ws.extra_rx[ws.n_extra_rx++] = RxQueue{port_id, q};
        }
    };

    for (const auto& [name, up] : model.uplinks) {
        UplinkSlot& us = t->uplinks[up.id];
        us.active = true;
        us.port = up.port_id;
        us.mac = up.mac;
        us.address = up.cfg.address.to_be();
        us.gateway_resolved = up.gateway_resolved;
        us.gateway_mac = up.gateway_mac;
        us.has_address6 = up.cfg.address6.has_value();
        if (up.cfg.address6) us.address6 = up.cfg.address6->bytes;
        us.gateway6_resolved = up.gateway6_resolved;
        us.gateway6_mac = up.gateway6_mac;
        slice_ports(up.cfg, model.n_workers, us);
        PortSlot& ps = t->ports[up.port_id];
        ps.active = true;
        ps.uplink = up.id;
        ps.worker = up.worker;
        ps.tx_ring = up.tx_ring;
        poll(up.worker, up.port_id);
    }
    for (const auto& [name, net] : model.networks) {
        NetworkSlot& ns = t->networks[net.id];
        ns.active = true;
        ns.services = services_of(model, net);
        if (net.cfg.nat) {
            auto up = model.uplinks.find(net.cfg.nat->uplink);
            const TopologyModel::Uplink* uplink = up != model.uplinks.end() ? &up->second : nullptr;
            auto host = model.uplinks.find(net.cfg.nat->host_uplink);
            const TopologyModel::Uplink* host_uplink = host != model.uplinks.end() ? &host->second : nullptr;
            ns.nat = nat_info_of(net.cfg, uplink, host_uplink, model.n_workers);
            if (uplink != nullptr) add_forwards(model, net, t->uplinks[uplink->id], false);
            if (host_uplink != nullptr && host_uplink != uplink)
                add_forwards(model, net, t->uplinks[host_uplink->id], true);
        }
        if (net.host_port) attach(*net.host_port, net.id, 0, net.host_tx_ring, std::nullopt);
    }
    // After the forwards: add_overlay keeps the uplinks' reserved ports sorted.
    for (const auto& [name, net] : model.networks) {
        if (!net.cfg.overlay) continue;
        auto up = model.uplinks.find(net.cfg.overlay->uplink);
        if (up != model.uplinks.end())
            add_overlay(net, up->second, t->overlays[net.id], t->uplinks[up->second.id]);
    }
    for (const auto& [name, p] : model.ports) {
        auto net = model.networks.find(p.cfg.network);
        if (net == model.networks.end()) continue;
        attach(p.port_id, net->second.id, p.worker, p.tx_ring, p.cfg.mac);
        poll_queues(p.port_id, p.worker, p.cfg.queues);
    }
    return t;
}

}  // namespace vsw
