// Switch: lifecycle and reconfiguration (see switch.hpp). The slow path lives
// in switch_slow_path.cpp and the read-only views in switch_views.cpp.
#include "switch.hpp"

#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_rcu_qsbr.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>

#include "eth_ports.hpp"
#include "host_iface.hpp"
#include "run_dir.hpp"

namespace vsw {

namespace {

constexpr unsigned kMbufs = 32767;
constexpr unsigned kMbufCache = 256;
constexpr unsigned kSlowPathRingSize = 1024;
constexpr unsigned kLearnRingSize = 4096;
constexpr unsigned kTxRingSize = 1024;

bool same_vhost_endpoint(const PortConfig& a, const PortConfig& b) {
    return a.socket == b.socket && a.client == b.client;
}

bool same_host_interface(const NetworkConfig& a, const NetworkConfig& b) {
    return a.host_interface == b.host_interface && (!a.host_interface || a.subnet == b.subnet);
}

// What, changed in an uplink, needs its DPDK port re-created.
bool same_uplink_device(const UplinkConfig& a, const UplinkConfig& b) {
    return a.device == b.device && a.kernel == b.kernel && a.address == b.address && a.prefix_len == b.prefix_len;
}

// What, changed in an uplink, invalidates the sessions of the NAT networks on
// it: outside ports now outside the range (and owned by other workers, whose
// slices are cut from the range), or DNS sessions to the old resolver.
bool same_uplink_sessions(const UplinkConfig& a, const UplinkConfig& b) {
    return a.port_first == b.port_first && a.port_last == b.port_last && a.resolver == b.resolver;
}

// What, changed in a NAT network, invalidates its sessions.
bool same_nat(const NetworkConfig& a, const NetworkConfig& b) {
    if (a.nat.has_value() != b.nat.has_value()) return false;
    if (!a.nat) return true;
    return a.subnet == b.subnet && a.nat->gateway == b.nat->gateway && a.nat->dns == b.nat->dns &&
           a.nat->uplink == b.nat->uplink;
}


}  // namespace

Mac service_mac_for(const std::string& network_name) {
    uint32_t h = 2166136261u;  // FNV-1a
    for (char c : network_name) h = (h ^ static_cast<uint8_t>(c)) * 16777619u;
    return Mac{{0x02, 0x76, 0x73, static_cast<uint8_t>(h >> 16), static_cast<uint8_t>(h >> 8),
                static_cast<uint8_t>(h)}};
}

tl::expected<std::unique_ptr<Switch>, std::string> Switch::create(const SwitchConfig& sw,
                                                                  unsigned n_workers,
                                                                  uint32_t nat_capacity) {
    std::unique_ptr<Switch> s(new Switch());
    s->sw_ = sw;
    s->n_workers_ = n_workers;
    s->shared_ = std::make_unique<DatapathShared>();
    s->shared_->tsc_hz = rte_get_tsc_hz();

    s->pool_ = rte_pktmbuf_pool_create("vsw_mbufs", kMbufs, kMbufCache, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
                                       static_cast<int>(rte_socket_id()));
    if (s->pool_ == nullptr) return tl::unexpected(fmt::format("mbuf pool: {}", rte_strerror(rte_errno)));

    const size_t qsbr_size = rte_rcu_qsbr_get_memsize(n_workers);
    s->qsbr_ = static_cast<rte_rcu_qsbr*>(rte_zmalloc("vsw_qsbr", qsbr_size, RTE_CACHE_LINE_SIZE));
    if (s->qsbr_ == nullptr || rte_rcu_qsbr_init(s->qsbr_, n_workers) != 0)
        return tl::unexpected(std::string("cannot create the RCU variable"));
    s->shared_->qsbr = s->qsbr_;

    s->shared_->slow_path_ring =
        rte_ring_create("vsw_slow_path", kSlowPathRingSize, static_cast<int>(rte_socket_id()), RING_F_SC_DEQ);
    s->shared_->learn_ring = rte_ring_create_elem("vsw_learn", sizeof(LearnEvent), kLearnRingSize,
                                                  static_cast<int>(rte_socket_id()), RING_F_SC_DEQ);
    if (s->shared_->slow_path_ring == nullptr || s->shared_->learn_ring == nullptr)
        return tl::unexpected(fmt::format("rings: {}", rte_strerror(rte_errno)));

    s->fdb_ = Fdb::create("vsw_fdb", kFdbEntries, s->qsbr_);
    if (!s->fdb_) return tl::unexpected(fmt::format("FDB: {}", rte_strerror(rte_errno)));
    s->shared_->fdb = s->fdb_.get();

    for (unsigned w = 0; w < n_workers; ++w) {
        auto table = nat::NatTable::create(fmt::format("vsw_nat{}", w), nat_capacity);
        if (!table) return tl::unexpected(fmt::format("NAT table of worker {}: {}", w, rte_strerror(rte_errno)));
        s->shared_->nat_tables[w] = table.get();
        s->nat_tables_.push_back(std::move(table));
        s->fragment_tables_.push_back(std::make_unique<nat::FragmentTable>());
        s->shared_->fragment_tables[w] = s->fragment_tables_.back().get();
        s->shared_->nat_out2in_rings[w] = rte_ring_create(fmt::format("vsw_nat_o2i{}", w).c_str(), 1024,
                                                          static_cast<int>(rte_socket_id()), RING_F_SC_DEQ);
        s->shared_->nat_in2out_rings[w] = rte_ring_create(fmt::format("vsw_nat_i2o{}", w).c_str(), 1024,
                                                          static_cast<int>(rte_socket_id()), RING_F_SC_DEQ);
        if (!s->shared_->nat_out2in_rings[w] || !s->shared_->nat_in2out_rings[w])
            return tl::unexpected(fmt::format("NAT rings: {}", rte_strerror(rte_errno)));
    }
    s->topology_ = std::make_unique<Topology>();
    s->shared_->topology.store(s->topology_.get(), std::memory_order_release);
    return s;
}

Switch::~Switch() {
    // Workers are stopped by now (vswd joins them first): no grace period needed.
    shared_->topology.store(nullptr, std::memory_order_release);
    std::vector<std::string> names;
    for (auto& [name, p] : ports_) names.push_back(name);
    for (const auto& name : names) remove_port(name);
    for (auto& [name, net] : networks_) remove_host_interface(net);
    std::vector<std::string> ups;
    for (auto& [name, u] : uplinks_) ups.push_back(name);
    for (const auto& name : ups) remove_uplink(name);
    for (unsigned w = 0; w < n_workers_; ++w) {
        for (rte_ring* r : {shared_->nat_out2in_rings[w], shared_->nat_in2out_rings[w]}) {
            rte_mbuf* m;
            while (r != nullptr && rte_ring_sc_dequeue(r, reinterpret_cast<void**>(&m)) == 0) rte_pktmbuf_free(m);
            rte_ring_free(r);
        }
    }
    if (shared_->slow_path_ring != nullptr) {
        rte_mbuf* m;
        while (rte_ring_sc_dequeue(shared_->slow_path_ring, reinterpret_cast<void**>(&m)) == 0)
            rte_pktmbuf_free(m);
        rte_ring_free(shared_->slow_path_ring);
    }
    rte_ring_free(shared_->learn_ring);
    fdb_.reset();
    rte_free(qsbr_);
    rte_mempool_free(pool_);
}

uint16_t Switch::least_loaded_worker() const {
    std::vector<unsigned> load(n_workers_, 0);
    for (const auto& [name, p] : ports_) load[p.worker]++;
    for (const auto& [name, n] : networks_)
        if (n.host_port) load[0]++;
    for (const auto& [name, u] : uplinks_) load[u.worker]++;
    return static_cast<uint16_t>(std::min_element(load.begin(), load.end()) - load.begin());
}

uint16_t Switch::free_network_id() const {
    for (uint16_t id = 0; id < kMaxNetworks; ++id) {
        bool used = false;
        for (const auto& [name, n] : networks_) used = used || n.id == id;
        if (!used) return id;
    }
    return kNoNetwork;
}

tl::expected<rte_ring*, std::string> Switch::make_tx_ring(uint16_t port_id) {
    // Ring names must be unique while they live; the generation makes them so.
    const std::string name = fmt::format("vsw_tx{}_{}", port_id, ++generation_);
    rte_ring* r = rte_ring_create(name.c_str(), kTxRingSize, static_cast<int>(rte_socket_id()), RING_F_SC_DEQ);
    if (r == nullptr) return tl::unexpected(fmt::format("tx ring: {}", rte_strerror(rte_errno)));
    return r;
}

void Switch::reset_port_counters(uint16_t port_id) {
    for (auto& w : shared_->counters) {
        PortCounters& c = w.port[port_id];
        c.rx_packets.reset(), c.rx_bytes.reset(), c.tx_packets.reset(), c.tx_bytes.reset();
        c.to_slow_path.reset();
        for (auto& d : c.drops) d.reset();
    }
    shared_->link_up[port_id].store(false, std::memory_order_relaxed);
}

tl::expected<void, std::string> Switch::add_port(const PortConfig& cfg) {
    // A server socket left behind by a vswd that died would make the bind fail.
    if (!cfg.client) {
        auto stale = clear_stale_socket(cfg.socket);
        if (!stale) return tl::unexpected(stale.error());
        if (*stale == StaleSocket::removed) spdlog::warn("port {}: removed stale socket {}", cfg.name, cfg.socket);
    }
    auto id = create_vhost_port({cfg.name, cfg.socket, cfg.client}, pool_);
    if (!id) return tl::unexpected(id.error());
    auto ring = make_tx_ring(*id);
    if (!ring) {
        destroy_port(*id);
        return tl::unexpected(ring.error());
    }
    reset_port_counters(*id);
    PortState st;
    st.cfg = cfg;
    st.port_id = *id;
    st.worker = least_loaded_worker();
    st.tx_ring = *ring;
    ports_[cfg.name] = st;
    spdlog::info("port {}: vhost-user {} on {} (dpdk port {}, worker {})", cfg.name,
                 cfg.client ? "client" : "server", cfg.socket, *id, st.worker);
    return {};
}

// Only call when no published topology refers to the port any more.
void Switch::remove_port(const std::string& name) {
    auto it = ports_.find(name);
    if (it == ports_.end()) return;
    PortState& st = it->second;
    flush_fdb_port(st.port_id);
    destroy_port(st.port_id);
    if (st.tx_ring != nullptr) {
        rte_mbuf* m;
        while (rte_ring_sc_dequeue(st.tx_ring, reinterpret_cast<void**>(&m)) == 0) rte_pktmbuf_free(m);
        rte_ring_free(st.tx_ring);
    }
    spdlog::info("port {}: removed", name);
    ports_.erase(it);
}

tl::expected<void, std::string> Switch::add_host_interface(NetworkState& net) {
    const HostInterfaceConfig& hi = *net.cfg.host_interface;
    auto id = create_tap_port(hi.name, service_mac_for("host:" + net.cfg.name), pool_);
    if (!id) return tl::unexpected(id.error());
    if (auto ok = configure_host_interface(hi.name, hi.address, net.cfg.subnet->prefix_len, hi.netns); !ok) {
        destroy_port(*id);
        return tl::unexpected(ok.error());
    }
    auto ring = make_tx_ring(*id);
    if (!ring) {
        destroy_port(*id);
        return tl::unexpected(ring.error());
    }
    reset_port_counters(*id);
    net.host_port = *id;
    net.host_tx_ring = *ring;
    spdlog::info("network {}: host interface {} {}/{}{} (dpdk port {})", net.cfg.name, hi.name,
                 hi.address.to_string(), net.cfg.subnet->prefix_len,
                 hi.netns.empty() ? "" : " in netns " + hi.netns, *id);
    return {};
}

void Switch::remove_host_interface(NetworkState& net) {
    if (!net.host_port) return;
    flush_fdb_port(*net.host_port);
    destroy_port(*net.host_port);
    rte_mbuf* m;
    while (rte_ring_sc_dequeue(net.host_tx_ring, reinterpret_cast<void**>(&m)) == 0) rte_pktmbuf_free(m);
    rte_ring_free(net.host_tx_ring);
    spdlog::info("network {}: host interface removed", net.cfg.name);
    net.host_port.reset();
    net.host_tx_ring = nullptr;
}

void Switch::flush_fdb_port(uint16_t port_id) {
    fdb_->remove_if([&](const FdbKey&, uint16_t port) { return port == port_id; });
}

// Builds a snapshot of the current model and swaps it in; returns once no
// worker can still see the previous one, which is then freed.
void Switch::publish() {
    auto t = std::make_unique<Topology>();
    t->generation = ++generation_;
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
        WorkerSlot& ws = t->workers[worker];
        ws.ports[ws.n_ports++] = port_id;
    };
    t->n_workers = static_cast<uint16_t>(n_workers_);
    std::copy(std::begin(nat_epoch_), std::end(nat_epoch_), std::begin(t->nat_epoch));
    for (const auto& [name, up] : uplinks_) {
        UplinkSlot& us = t->uplinks[up.id];
        us.active = true;
        us.port = up.port_id;
        us.mac = up.mac;
        us.address = up.cfg.address.to_be();
        us.gateway_resolved = up.gateway_resolved;
        us.gateway_mac = up.gateway_mac;
        // Each worker owns an equal slice of the masquerade range.
        const uint32_t span = static_cast<uint32_t>(up.cfg.port_last) - up.cfg.port_first + 1;
        for (unsigned w = 0; w < n_workers_; ++w) {
            us.slice[w].first = static_cast<uint16_t>(up.cfg.port_first + span * w / n_workers_);
            us.slice[w].last = static_cast<uint16_t>(up.cfg.port_first + span * (w + 1) / n_workers_ - 1);
        }
        PortSlot& ps = t->ports[up.port_id];
        ps.active = true;
        ps.uplink = up.id;
        ps.worker = up.worker;
        ps.tx_ring = up.tx_ring;
        WorkerSlot& ws = t->workers[up.worker];
        ws.ports[ws.n_ports++] = up.port_id;
    }
    for (const auto& [name, net] : networks_) {
        NetworkSlot& ns = t->networks[net.id];
        ns.active = true;
        ServiceAddresses& svc = ns.services;
        svc.mac = net.service_mac;
        auto add_ip = [&](Ipv4 ip) {
            if (!svc.has_ip_be(ip.to_be()) && svc.n_ips < kMaxServiceIps) svc.ips_be[svc.n_ips++] = ip.to_be();
        };
        if (net.dhcp) {
            svc.enabled = true;
            svc.dhcp = true;
            add_ip(net.cfg.dhcp->server);
        }
        if (net.cfg.nat) {
            const NatConfig& nc = *net.cfg.nat;
            auto up = uplinks_.find(nc.uplink);
            svc.enabled = true;
            svc.routed = true;
            add_ip(nc.gateway);
            if (nc.dns) {
                add_ip(*nc.dns);
                svc.dns_be = nc.dns->to_be();
            }
            NatNetworkInfo& nn = ns.nat;
            nn.enabled = up != uplinks_.end();
            nn.uplink = up != uplinks_.end() ? up->second.id : kNoUplink;
            nn.subnet = net.cfg.subnet->network.to_be();
            nn.mask = Ipv4{net.cfg.subnet->mask()}.to_be();
            nn.gateway = nc.gateway.to_be();
            nn.has_dns = nc.dns.has_value() && up != uplinks_.end() && up->second.cfg.resolver.has_value();
            nn.dns = nc.dns ? nc.dns->to_be() : 0;
            nn.resolver = nn.has_dns ? up->second.cfg.resolver->to_be() : 0;
            nn.timeouts = {nc.timeouts.tcp_established, nc.timeouts.tcp_transitory, nc.timeouts.udp,
                           nc.timeouts.icmp};
            // Each worker holds its own sessions: the network's cap is shared out.
            nn.max_sessions = (nc.max_sessions + n_workers_ - 1) / n_workers_;
            nn.max_sessions_per_guest = (nc.max_sessions_per_guest + n_workers_ - 1) / n_workers_;
            if (up == uplinks_.end()) continue;
            UplinkSlot& us = t->uplinks[up->second.id];
            for (const PortForward& pf : nc.port_forwards) {
                if (us.n_forwards >= kMaxForwards) break;
                ForwardRule& r = us.forwards[us.n_forwards++];
                r.proto = pf.proto;
                r.host_port = pf.host_port;
                r.network = net.id;
                r.guest_ip = pf.guest_ip.to_be();
                r.guest_port = __builtin_bswap16(pf.guest_port);
                auto nb = neighbors_.find(net.id);
                if (nb != neighbors_.end()) {
                    auto m = nb->second.find(pf.guest_ip.value);
                    if (m != nb->second.end()) {
                        r.guest_mac_known = true;
                        r.guest_mac = m->second;
                    }
                }
                us.reserved[us.n_reserved++] = pf.host_port;
            }
            std::sort(us.reserved, us.reserved + us.n_reserved);
        }
        if (net.host_port) attach(*net.host_port, net.id, 0, net.host_tx_ring, std::nullopt);
    }
    for (const auto& [name, p] : ports_) {
        auto net = networks_.find(p.cfg.network);
        if (net == networks_.end()) continue;
        attach(p.port_id, net->second.id, p.worker, p.tx_ring, p.cfg.mac);
    }
    // The MAC budgets of the ports about to appear are in place before they do.
    update_mac_budget();
    std::unique_ptr<Topology> old = std::move(topology_);
    topology_ = std::move(t);
    shared_->topology.store(topology_.get(), std::memory_order_release);
    // Wait until every worker has passed a quiescent state (or is offline).
    rte_rcu_qsbr_synchronize(qsbr_, RTE_QSBR_THRID_INVALID);
    refresh_port_names();
}

void Switch::refresh_port_names() {
    std::lock_guard lock(names_mutex_);
    for (auto& n : port_names_) n.clear();
    for (const auto& [name, p] : ports_) port_names_[p.port_id] = name;
    for (const auto& [name, u] : uplinks_) port_names_[u.port_id] = "uplink:" + name;
    for (const auto& [name, n] : networks_)
        if (n.host_port) port_names_[*n.host_port] = n.cfg.host_interface->name;
}

ApplySummary Switch::apply(const Config& next) {
    ApplySummary sum;
    source_file_ = next.source_file;
    if (sw_.cores != next.switch_config.cores || sw_.hugepages != next.switch_config.hugepages ||
        sw_.run_dir != next.switch_config.run_dir || sw_.file_prefix != next.switch_config.file_prefix ||
        sw_.memory_mb != next.switch_config.memory_mb || sw_.state_dir != next.switch_config.state_dir)
        sum.notes.push_back("changes to switch.cores/hugepages/run_dir/state_dir/file_prefix/memory_mb take effect at restart");
    sw_.mac_aging = next.switch_config.mac_aging;
    sw_.log_level = next.switch_config.log_level;
    spdlog::set_level(spdlog::level::from_str(sw_.log_level));

    // Phase 1: decide what goes. A port goes when it is removed or its vhost
    // endpoint changed; a host interface when its network goes or it changed.
    std::vector<std::string> ports_to_remove;
    for (const auto& [name, p] : ports_) {
        auto it = next.ports.find(name);
        if (it == next.ports.end()) {
            ports_to_remove.push_back(name);
            sum.removed.push_back("port " + name);
        } else if (!same_vhost_endpoint(p.cfg, it->second)) {
            ports_to_remove.push_back(name);
        }
    }
    std::vector<std::string> uplinks_to_remove;
    for (const auto& [name, u] : uplinks_) {
        auto it = next.uplinks.find(name);
        if (it == next.uplinks.end()) {
            uplinks_to_remove.push_back(name);
            sum.removed.push_back("uplink " + name);
        } else if (!same_uplink_device(u.cfg, it->second)) {
            uplinks_to_remove.push_back(name);
        }
    }
    std::vector<std::string> nets_to_remove, host_ifaces_to_remove;
    for (const auto& [name, n] : networks_) {
        auto it = next.networks.find(name);
        if (it == next.networks.end()) {
            nets_to_remove.push_back(name);
            sum.removed.push_back("network " + name);
        } else if (!same_host_interface(n.cfg, it->second)) {
            host_ifaces_to_remove.push_back(name);
        }
    }

    // Phase 2: unpublish what goes, wait for the workers, then destroy it.
    if (!ports_to_remove.empty() || !nets_to_remove.empty() || !host_ifaces_to_remove.empty() ||
        !uplinks_to_remove.empty()) {
        std::vector<UplinkState> doomed_uplinks;
        for (const auto& name : uplinks_to_remove) {
            doomed_uplinks.push_back(uplinks_[name]);
            uplinks_.erase(name);
            for (auto& [nname, n] : networks_)
                if (n.cfg.nat && n.cfg.nat->uplink == name) ++nat_epoch_[n.id];
        }
        std::vector<PortState> doomed_ports;
        for (const auto& name : ports_to_remove) {
            doomed_ports.push_back(ports_[name]);
            ports_.erase(name);
        }
        std::vector<NetworkState> doomed_hosts;
        for (const auto& name : host_ifaces_to_remove) {
            NetworkState& n = networks_[name];
            NetworkState h;
            h.cfg = n.cfg;
            h.host_port = n.host_port;
            h.host_tx_ring = n.host_tx_ring;
            n.host_port.reset();
            n.host_tx_ring = nullptr;
            doomed_hosts.push_back(std::move(h));
        }
        std::vector<NetworkState> doomed_nets;
        for (const auto& name : nets_to_remove) {
            doomed_nets.push_back(std::move(networks_[name]));
            networks_.erase(name);
        }
        publish();
        for (auto& p : doomed_ports) {
            ports_[p.cfg.name] = p;  // remove_port() works on the map
            remove_port(p.cfg.name);
        }
        for (auto& h : doomed_hosts) remove_host_interface(h);
        for (auto& u : doomed_uplinks) {
            uplinks_[u.cfg.name] = u;  // remove_uplink() works on the map
            remove_uplink(u.cfg.name);
        }
        for (auto& n : doomed_nets) {
            remove_host_interface(n);
            const uint16_t id = n.id;
            fdb_->remove_if([&](const FdbKey& k, uint16_t) { return k.network == id; });
            ++nat_epoch_[id];  // its sessions expire on the workers
            neighbors_.erase(id);
        }
    }

    // Phase 3: uplinks that are new or recreated; settings of the others.
    for (const auto& [name, ucfg] : next.uplinks) {
        auto it = uplinks_.find(name);
        if (it != uplinks_.end()) {
            UplinkState& up = it->second;
            if (up.cfg == ucfg) continue;
            if (up.cfg.gateway != ucfg.gateway) up.gateway_resolved = false;
            std::string what = " (gateway; sessions kept)";
            if (!same_uplink_sessions(up.cfg, ucfg)) {
                what = " (port range or resolver: sessions of its NAT networks flushed)";
                for (auto& [nname, n] : networks_)
                    if (n.cfg.nat && n.cfg.nat->uplink == name) ++nat_epoch_[n.id];
            }
            sum.changed.push_back("uplink " + name + what);
            up.cfg = ucfg;
            continue;
        }
        const bool recreated = std::find(uplinks_to_remove.begin(), uplinks_to_remove.end(), name) !=
                               uplinks_to_remove.end();
        if (auto ok = add_uplink(ucfg); !ok) {
            sum.errors.push_back("uplink " + name + ": " + ok.error());
            continue;
        }
        (recreated ? sum.changed : sum.added).push_back("uplink " + name);
    }

    // Phase 4: networks that are new or changed.
    for (const auto& [name, ncfg] : next.networks) {
        auto it = networks_.find(name);
        const bool is_new = it == networks_.end();
        if (is_new) {
            const uint16_t id = free_network_id();
            if (id == kNoNetwork) {
                sum.errors.push_back("network " + name + ": too many networks");
                continue;
            }
            NetworkState st;
            st.id = id;
            st.service_mac = service_mac_for(name);
            it = networks_.emplace(name, std::move(st)).first;
            ++nat_epoch_[id];
            sum.added.push_back("network " + name);
        } else if (it->second.cfg != ncfg) {
            const NetworkConfig& old = it->second.cfg;
            std::string what;
            if (old.nat && ncfg.nat && !same_nat(old, ncfg)) what = " (NAT sessions flushed)";
            else if (old.nat && ncfg.nat && old.nat != ncfg.nat) what = " (port forwards, timeouts or max_sessions; sessions kept)";
            sum.changed.push_back("network " + name + what);
        }
        NetworkState& st = it->second;
        if (!is_new && !same_nat(st.cfg, ncfg)) ++nat_epoch_[st.id];
        st.cfg = ncfg;
        if (ncfg.dhcp && ncfg.subnet) {
            if (st.dhcp) {
                st.dhcp->reconfigure(*ncfg.subnet, *ncfg.dhcp);
            } else {
                st.dhcp = std::make_unique<DhcpServer>(name, *ncfg.subnet, *ncfg.dhcp, st.service_mac,
                                                       next.switch_config.state_dir + "/leases-" + name + ".json");
            }
        } else {
            st.dhcp.reset();
        }
        if (ncfg.host_interface && !st.host_port) {
            if (auto ok = add_host_interface(st); !ok)
                sum.errors.push_back("network " + name + ": " + ok.error());
        }
    }

    // Phase 5: ports that are new or whose endpoint changed.
    for (const auto& [name, pcfg] : next.ports) {
        auto it = ports_.find(name);
        if (it != ports_.end()) {
            if (it->second.cfg != pcfg) {
                flush_fdb_port(it->second.port_id);
                sum.changed.push_back("port " + name);
            } else {
                sum.unchanged.push_back("port " + name);
            }
            it->second.cfg = pcfg;
            continue;
        }
        const bool recreated = std::find(ports_to_remove.begin(), ports_to_remove.end(), name) !=
                               ports_to_remove.end();
        if (auto ok = add_port(pcfg); !ok) {
            sum.errors.push_back("port " + name + ": " + ok.error());
            continue;
        }
        (recreated ? sum.changed : sum.added).push_back("port " + name);
    }
    update_xdp_steering();  // forwards and port ranges may have changed
    publish();
    return sum;
}

nlohmann::json ApplySummary::to_json() const {
    return {{"added", added}, {"removed", removed}, {"changed", changed},
            {"unchanged", unchanged}, {"errors", errors}, {"notes", notes}};
}

std::string ApplySummary::to_string() const {
    auto join = [](const std::vector<std::string>& v) {
        std::string s;
        for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
        return s.empty() ? std::string("-") : s;
    };
    std::string s = fmt::format("added: {}; removed: {}; changed: {}; unchanged: {}", join(added),
                                join(removed), join(changed), unchanged.size());
    if (!errors.empty()) s += "; ERRORS: " + join(errors);
    for (const auto& n : notes) s += "; note: " + n;
    return s;
}

}  // namespace vsw
