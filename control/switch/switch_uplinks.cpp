// Switch: NAT uplinks and neighbours. An uplink is one DPDK port (any device
// string, e.g. AF_XDP on a host NIC, or a TAP netdev the host routes onward)
// carrying vsw's outside address. The control thread answers ARP for that
// address, resolves the next hop, and finds the MACs of port-forward targets.
#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "eth_ports.hpp"
#include "host_iface.hpp"
#include "loopback_forwards.hpp"
#include "../services/neighbor_discovery.hpp"
#include "../services/service_replies.hpp"
#include "session_list.hpp"
#include "switch.hpp"
#include "xdp_steering.hpp"

namespace vsw {

tl::expected<void, std::string> Switch::add_uplink(const UplinkConfig& cfg) {
    uint8_t id = 0;
    for (; id < nat::kMaxUplinks; ++id) {
        bool used = false;
        for (const auto& [n, u] : uplinks_) used = used || u.id == id;
        if (!used) break;
    }
    if (id == nat::kMaxUplinks) return tl::unexpected(fmt::format("at most {} uplinks", nat::kMaxUplinks));

    UplinkState st;
    st.cfg = cfg;
    st.id = id;
    if (cfg.kernel) {
        if (auto free = check_interface_free(cfg.kernel->name, cfg.kernel->address, cfg.kernel->netns); !free)
            return tl::unexpected(free.error());
        auto port = create_tap_port(cfg.kernel->name, service_mac_for("kernel:" + cfg.name), pool_.get());
        if (!port) return tl::unexpected(port.error());
        if (auto ok = configure_host_interface(cfg.kernel->name, cfg.kernel->address, cfg.prefix_len, cfg.kernel->netns);
            !ok) {
            destroy_port(*port);
            return tl::unexpected(ok.error());
        }
        if (cfg.address6)  // NAT66: the host's side is vsw's IPv6 next hop
            if (auto ok = configure_host_address6(cfg.kernel->name, *cfg.gateway6, cfg.prefix6_len, cfg.kernel->netns);
                !ok) {
                destroy_port(*port);
                return tl::unexpected(ok.error());
            }
        st.port_id = *port;
        // The TAP's own MAC belongs to the kernel side; vsw's address needs its own.
        st.mac = service_mac_for("uplink:" + cfg.name);
    } else {
        auto devargs = af_xdp_devargs(cfg.device);  // AF_XDP: with xdp_prog=<vsw's program>
        if (!devargs) return tl::unexpected(devargs.error());
        if (const std::string ifname = af_xdp_interface(cfg.device); is_af_xdp_device(cfg.device) && !ifname.empty()) {
            std::string note;
            auto claim = XdpInterfaceClaim::take(ifname, note);
            if (!claim) return tl::unexpected(claim.error());
            if (!note.empty()) spdlog::warn("uplink {}: {}", cfg.name, note);
            st.xdp_claim = std::make_shared<const XdpInterfaceClaim>(std::move(*claim));
        }
        auto port = create_device_port(*devargs, pool_.get());
        if (!port) return tl::unexpected(port.error());
        st.port_id = *port;
        if (is_af_xdp_device(cfg.device)) {
            rte_eth_dev_info info{};
            rte_eth_dev_info_get(st.port_id, &info);
            auto xdp = XdpSteering::from_interface(static_cast<int>(info.if_index));
            if (xdp) {
                spdlog::info("uplink {}: XDP program {} on ifindex {} steers only vsw's traffic to it", cfg.name,
                             xdp->program_id(), info.if_index);
                st.xdp = std::make_shared<const XdpSteering>(std::move(*xdp));
            } else {
                spdlog::warn("uplink {}: no vsw XDP steering (traffic goes where the attached program sends it): {}",
                             cfg.name, xdp.error());
            }
        }
        rte_ether_addr mac{};
        rte_eth_macaddr_get(st.port_id, &mac);
        std::copy(mac.addr_bytes, mac.addr_bytes + 6, st.mac.bytes.begin());
        rte_eth_promiscuous_enable(st.port_id);
    }
    auto ring = make_tx_ring(st.port_id);
    if (!ring) {
        destroy_port(st.port_id);
        return tl::unexpected(ring.error());
    }
    reset_port_counters(st.port_id);
    st.tx_ring = std::move(*ring);
    st.worker = least_loaded_worker();
    shared_->link_up[st.port_id].store(true);
    spdlog::info("uplink {}: {} address {}/{} gateway {} mac {} (dpdk port {})", cfg.name,
                 cfg.kernel ? "kernel interface " + cfg.kernel->name : "device " + cfg.device,
                 cfg.address.to_string(), cfg.prefix_len, cfg.gateway.to_string(), st.mac.to_string(), st.port_id);
    uplinks_[cfg.name] = std::move(st);
    update_xdp_steering();
    return {};
}

// Only call when no published topology refers to the uplink any more.
void Switch::remove_uplink(UplinkState& uplink) {
    if (!uplink.loopback_script.empty())  // the host's 127.0.0.1 forwards and masquerade lead nowhere now
        if (auto ok = run_nft(uplink.cfg.kernel->netns, loopback_forward_script(uplink.cfg.kernel->name, {}, {})); !ok)
            spdlog::warn("uplink {}: removing its nftables table: {}", uplink.cfg.name, ok.error());
    sync_outbound_forwarding(uplink, false);
    destroy_port(uplink.port_id);
    spdlog::info("uplink {}: removed", uplink.cfg.name);
}

void Switch::update_xdp_steering() {
    for (auto& [name, up] : uplinks_) {
        if (!up.xdp) continue;
        XdpSteeringConfig c{up.cfg.address, up.cfg.address6, up.cfg.port_first, up.cfg.port_last, {}};
        for (const auto& [nname, n] : networks_)
            if (n.cfg.nat && n.cfg.nat->uplink == name)
                for (const PortForward& pf : n.cfg.nat->port_forwards)
                    c.forwarded.emplace_back(pf.proto, pf.host_port);
        for (const auto& [nname, n] : networks_)
            if (n.cfg.nat && n.cfg.nat->uplink == name)
                for (const PortForward6& pf : n.cfg.nat->port_forwards6)
                    c.forwarded.emplace_back(pf.proto, pf.host_port);
        for (const auto& [nname, n] : networks_)  // VXLAN to the uplink's address: its overlays'
            if (n.cfg.overlay && n.cfg.overlay->uplink == name) {
                c.forwarded.emplace_back(uint8_t{17}, overlay::kVxlanPort);
                break;
            }
        if (auto ok = up.xdp->configure(c); !ok)
            spdlog::error("uplink {}: XDP steering: {}", name, ok.error());
        else
            spdlog::debug("uplink {}: XDP program {} steers {} ports {}-{} and {} forwarded port(s) to vsw", name,
                          up.xdp->program_id(), up.cfg.address.to_string(), up.cfg.port_first, up.cfg.port_last,
                          c.forwarded.size());
    }
}

Switch::UplinkState* Switch::uplink_of_port(uint16_t port_id) {
    for (auto& [name, u] : uplinks_)
        if (u.port_id == port_id) return &u;
    return nullptr;
}

void Switch::handle_uplink_frame(UplinkState& up, std::span<const uint8_t> frame) {
    if (auto sender = arp_sender(frame)) {
        if (sender->ip == up.cfg.gateway && (!up.gateway_resolved || up.gateway_mac != sender->mac)) {
            up.gateway_resolved = true;
            up.gateway_mac = sender->mac;
            spdlog::info("uplink {}: next hop {} is at {}", up.cfg.name, sender->ip.to_string(), sender->mac.to_string());
            republish_ = true;
        }
        learn_vtep_neighbor(up, sender->ip, sender->mac);  // a remote VTEP on the uplink's prefix
        if (auto reply = make_arp_reply(frame, up.mac, up.cfg.address)) inject(up.port_id, *reply);
        return;
    }
    if (auto reply = make_icmp_echo_reply(frame, up.mac, up.cfg.address)) {
        inject(up.port_id, *reply);
        return;
    }
    if (up.cfg.address6 && handle_uplink_frame6(up, frame)) return;
    ++slow_path_unhandled_;
}

// NAT66's neighbours on the uplink: answers solicitations for address6,
// learns gateway6's MAC, answers pings. False: not one of those.
bool Switch::handle_uplink_frame6(UplinkState& up, std::span<const uint8_t> frame) {
    if (auto ns = neighbor_solicitation(frame)) {
        if (ns->target == *up.cfg.address6) inject(up.port_id, make_neighbor_advert(*ns, up.mac, false));
        return true;
    }
    if (auto na = neighbor_advert(frame)) {
        if (na->target == *up.cfg.gateway6 && (!up.gateway6_resolved || up.gateway6_mac != na->mac)) {
            up.gateway6_resolved = true;
            up.gateway6_mac = na->mac;
            spdlog::info("uplink {}: IPv6 next hop {} is at {}", up.cfg.name, na->target.to_string(),
                         na->mac.to_string());
            republish_ = true;
        }
        return true;
    }
    if (auto reply = make_icmp6_echo_reply(frame, up.mac, *up.cfg.address6)) {
        inject(up.port_id, *reply);
        return true;
    }
    return false;
}

void Switch::learn_neighbor(uint16_t network, Ipv4 ip, const Mac& mac) {
    Mac& known = neighbors_[network][ip.value];
    if (known == mac) return;
    known = mac;
    // Workers need it only for port-forward targets.
    for (const auto& [name, n] : networks_)
        if (n.id == network && n.cfg.nat)
            for (const PortForward& pf : n.cfg.nat->port_forwards)
                if (pf.guest_ip == ip) republish_ = true;
}

// Kept only for IPv6 forward targets: a guest may use any number of
// addresses (privacy addresses), and only the targets' MACs are needed.
void Switch::learn_neighbor6(uint16_t network, const Ipv6& ip, const Mac& mac) {
    for (const auto& [name, n] : networks_) {
        if (n.id != network || !n.cfg.nat) continue;
        for (const PortForward6& pf : n.cfg.nat->port_forwards6) {
            if (pf.guest_ip != ip) continue;
            Mac& known = neighbors6_[network][ip];
            if (known != mac) {
                known = mac;
                republish_ = true;
            }
            return;
        }
    }
}

void Switch::resolve_neighbors() {
    const uint64_t now = rte_rdtsc();
    for (auto& [name, up] : uplinks_) {
        // Until resolved: ask every second; then refresh every minute.
        const bool resolved = up.gateway_resolved && (!up.cfg.address6 || up.gateway6_resolved);
        const uint64_t interval = resolved ? 60 * shared_->tsc_hz : shared_->tsc_hz;
        if (now - up.last_arp_tsc < interval) continue;
        up.last_arp_tsc = now;
        inject(up.port_id, make_arp_request(up.mac, up.cfg.address, up.cfg.gateway));
        if (up.cfg.address6) inject(up.port_id, make_neighbor_solicitation(up.mac, *up.cfg.address6, *up.cfg.gateway6));
    }
    resolve_remote_vteps();
    for (auto& [name, n] : networks_) {
        if (!n.cfg.nat) continue;
        // DHCP knows every guest that took a lease.
        if (n.dhcp)
            for (const DhcpLease& l : n.dhcp->leases())
                if (!l.offered_only) learn_neighbor(n.id, l.ip, l.mac);
        for (const PortForward& pf : n.cfg.nat->port_forwards) {
            auto& known = neighbors_[n.id];
            if (known.count(pf.guest_ip.value)) continue;
            // Ask from the gateway, on every port of the network.
            const auto request = make_arp_request(n.service_mac, n.cfg.nat->gateway, pf.guest_ip);
            for (const auto& [pname, p] : ports_)
                if (p.cfg.network == name && shared_->link_up[p.port_id]) inject(p.port_id, request);
        }
        for (const PortForward6& pf : n.cfg.nat->port_forwards6) {
            if (!n.cfg.subnet6 || neighbors6_[n.id].count(pf.guest_ip)) continue;
            const auto request = make_neighbor_solicitation(n.service_mac, n.cfg.subnet6->host(1), pf.guest_ip);
            for (const auto& [pname, p] : ports_)
                if (p.cfg.network == name && shared_->link_up[p.port_id]) inject(p.port_id, request);
        }
    }
}

namespace {

// What a forward on a kernel uplink adds on the host's side: host_ip
// 127.0.0.1 (the host's loopback), or none (every host address, as
// VBoxManage binds). One on the uplink address only adds nothing.
std::optional<LoopbackForward> host_forward(const PortForward& pf) {
    if (!pf.on_host_addresses()) return std::nullopt;
    return LoopbackForward{pf.proto, pf.host_port, !pf.host_ip.has_value()};
}

}  // namespace

std::optional<std::string> Switch::host_port_conflict(const Config& next) const {
    for (const auto& [net_name, n] : next.networks) {
        if (!n.nat) continue;
        const auto up = next.uplinks.find(n.nat->host_uplink);
        if (up == next.uplinks.end() || !up->second.kernel) continue;
        const HostInterfaceConfig& k = *up->second.kernel;
        const auto running = uplinks_.find(up->first);
        for (const PortForward& pf : n.nat->port_forwards) {
            const auto f = host_forward(pf);
            if (!f) continue;
            // Ours already: the port is held by our own rule, not a program.
            if (running != uplinks_.end() && running->second.cfg.kernel == k &&
                std::find(running->second.host_forwards.begin(), running->second.host_forwards.end(), *f) !=
                    running->second.host_forwards.end())
                continue;
            auto in_use = host_port_in_use(k.netns, *f);
            if (!in_use) {
                spdlog::debug("port forward '{}': cannot check the host's port: {}", pf.name, in_use.error());
                continue;
            }
            if (*in_use)
                return fmt::format("network {}: port forward '{}': {} port {} is already in use on the host ({}{}) "
                                   "by another program; choose another host_port or stop that program",
                                   net_name, pf.name, pf.proto == 17 ? "udp" : "tcp", pf.host_port,
                                   f->every_address ? "every address" : "127.0.0.1",
                                   k.netns.empty() ? "" : ", namespace " + k.netns);
        }
    }
    return std::nullopt;
}

// The host's loopback and a kernel uplink's TAP. host_loopback: guests'
// TCP/UDP to the gateway leaves with destination 127.0.0.1, which the kernel
// takes from the TAP only with route_localnet (and answers from 127.0.0.1
// back through it). Forwards on 127.0.0.1: the host's connections leave from
// 127.0.0.1 through the TAP (loopback_forwards.hpp), which also needs it.
// DNS to a resolver on the host's loopback needs it too. On while a network
// on the uplink asks for any of these; the datapath lets no guest address
// 127/8 itself.
void Switch::sync_host_loopback() {
    for (auto& [name, up] : uplinks_) {
        if (!up.cfg.kernel) continue;
        bool wanted = false;
        std::vector<LoopbackForward> forwards;
        for (const auto& [net_name, n] : networks_) {
            if (!n.cfg.nat) continue;
            // DNS forwarded to the host's own resolver on its loopback.
            const bool loopback_resolver = up.cfg.resolver && (up.cfg.resolver->value >> 24) == 127;
            if (n.cfg.nat->uplink == name) wanted = wanted || (n.cfg.nat->dns && loopback_resolver);
            // This uplink is the network's way to the host (its own, or its host_uplink).
            if (n.cfg.nat->host_uplink != name) continue;
            wanted = wanted || n.cfg.nat->host_loopback;
            for (const PortForward& pf : n.cfg.nat->port_forwards)
                if (auto f = host_forward(pf)) forwards.push_back(*f);
        }
        wanted = wanted || !forwards.empty();
        const bool outbound = up.cfg.outbound;
        const std::string script = loopback_forward_script(up.cfg.kernel->name, up.cfg.address, forwards, outbound);
        if (script != up.loopback_script && (!forwards.empty() || outbound || !up.loopback_script.empty())) {
            if (auto ok = run_nft(up.cfg.kernel->netns, script); !ok) {
                spdlog::error("uplink {}: nftables table {}: {}", name, loopback_table_name(up.cfg.kernel->name),
                              ok.error());
            } else {
                up.loopback_script = forwards.empty() && !outbound ? std::string() : script;
                up.host_forwards = forwards;
                spdlog::info("uplink {}: {} forward(s) on the host's 127.0.0.1, outbound masquerade {} "
                             "(nftables table {})",
                             name, forwards.size(), outbound ? "on" : "off", loopback_table_name(up.cfg.kernel->name));
            }
        }
        sync_outbound_forwarding(up, outbound);
        if (wanted == up.route_localnet) continue;
        if (auto ok = set_route_localnet(up.cfg.kernel->name, up.cfg.kernel->netns, wanted); !ok) {
            spdlog::warn("uplink {}: host_loopback: {}", name, ok.error());
            continue;
        }
        up.route_localnet = wanted;
        spdlog::info("uplink {}: the host's loopback is {} its NAT networks (route_localnet {} on {})", name,
                     wanted ? "reachable from" : "no longer reachable from", wanted ? 1 : 0, up.cfg.kernel->name);
    }
}

// kernel.outbound: the host must forward what comes in on the TAP (and the
// answers that come back to it). vswd turns net.ipv4.ip_forward on in the
// TAP's namespace and, when it was off, turns it off again once no uplink
// there asks for it (at reload, at exit).
void Switch::sync_outbound_forwarding(UplinkState& up, bool wanted) {
    if (!up.cfg.kernel || wanted == up.ip_forward_before.has_value()) return;
    const std::string& netns = up.cfg.kernel->netns;
    const char* where = netns.empty() ? "the host" : netns.c_str();
    if (wanted) {
        auto was = set_ip_forward(netns, true);
        if (!was) {
            spdlog::error("uplink {}: kernel.outbound: {}", up.cfg.name, was.error());
            return;
        }
        up.ip_forward_before = *was;
        if (!*was) spdlog::info("uplink {}: kernel.outbound: IP forwarding turned on in {}", up.cfg.name, where);
        return;
    }
    const bool was_on = *up.ip_forward_before;
    up.ip_forward_before.reset();
    if (was_on) return;
    // Another uplink in the same namespace still forwards: it turns it off later.
    for (auto& [name, other] : uplinks_)
        if (&other != &up && other.ip_forward_before && other.cfg.kernel && other.cfg.kernel->netns == netns) {
            other.ip_forward_before = false;
            return;
        }
    if (auto ok = set_ip_forward(netns, false); !ok)
        spdlog::warn("uplink {}: kernel.outbound: {}", up.cfg.name, ok.error());
    else
        spdlog::info("uplink {}: IP forwarding in {} is off again, as vswd found it", up.cfg.name, where);
}

nlohmann::json Switch::sessions(const SessionFilter& filter, size_t* matched) const {
    SessionListNames names;
    names.now = static_cast<uint32_t>(rte_rdtsc() / shared_->tsc_hz);
    SessionListFilter f;
    f.proto = filter.proto;
    if (filter.guest) f.guest = filter.guest->to_be();
    for (const auto& [name, n] : networks_) {
        if (names.network.size() <= n.id) names.network.resize(n.id + 1);
        names.network[n.id] = name;
        if (name == filter.network) f.network = n.id;
    }
    for (const auto& [name, u] : uplinks_) {
        if (names.uplink_address.size() <= u.id) names.uplink_address.resize(u.id + 1);
        names.uplink_address[u.id] = u.cfg.address.to_string();
        if (names.uplink_address6.size() <= u.id) names.uplink_address6.resize(u.id + 1);
        if (u.cfg.address6) names.uplink_address6[u.id] = "[" + u.cfg.address6->to_string() + "]";
    }
    nlohmann::json out = nlohmann::json::array();
    size_t found = 0;
    if (filter.network.empty() || f.network)  // a name that is no network matches nothing
        for (unsigned w = 0; w < n_workers_; ++w)
            list_sessions(*nat_tables_[w], w, f, names, std::min(filter.limit, kMaxSessionLimit), out, found);
    if (filter.network.empty() || f.network)
        for (unsigned w = 0; w < n_workers_; ++w)
            list_sessions6(*nat6_tables_[w], w, f, names, std::min(filter.limit, kMaxSessionLimit), out, found);
    if (matched != nullptr) *matched = found;
    return out;
}

}  // namespace vsw
