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
#include "evpn_mirror.hpp"
#include "host_iface.hpp"
#include "run_dir.hpp"
#include "topology_builder.hpp"

namespace vsw {

namespace {

constexpr unsigned kMbufs = 32767;
constexpr unsigned kMbufCache = 256;
constexpr unsigned kSlowPathRingSize = 1024;
constexpr unsigned kLearnRingSize = 4096;
constexpr unsigned kTxRingSize = 1024;

}  // namespace

Mac service_mac_for(const std::string& network_name) {
    uint32_t h = 2166136261u;  // FNV-1a
    for (char c : network_name) h = (h ^ static_cast<uint8_t>(c)) * 16777619u;
    return Mac{{0x02, 0x76, 0x73, static_cast<uint8_t>(h >> 16), static_cast<uint8_t>(h >> 8),
                static_cast<uint8_t>(h)}};
}

tl::expected<std::unique_ptr<Switch>, std::string> Switch::create(const SwitchConfig& sw,
                                                                  unsigned n_workers,
                                                                  uint32_t nat_capacity, uint32_t nat6_capacity) {
    std::unique_ptr<Switch> s(new Switch());
    s->sw_ = sw;
    s->n_workers_ = n_workers;
    s->shared_ = std::make_unique<DatapathShared>();
    s->shared_->tsc_hz = rte_get_tsc_hz();

    const int socket = static_cast<int>(rte_socket_id());
    s->pool_.reset(rte_pktmbuf_pool_create("vsw_mbufs", kMbufs, kMbufCache, 0, RTE_MBUF_DEFAULT_BUF_SIZE, socket));
    if (!s->pool_) return tl::unexpected(fmt::format("mbuf pool: {}", rte_strerror(rte_errno)));

    const size_t qsbr_size = rte_rcu_qsbr_get_memsize(n_workers);
    s->qsbr_.reset(static_cast<rte_rcu_qsbr*>(rte_zmalloc("vsw_qsbr", qsbr_size, RTE_CACHE_LINE_SIZE)));
    if (!s->qsbr_ || rte_rcu_qsbr_init(s->qsbr_.get(), n_workers) != 0)
        return tl::unexpected(std::string("cannot create the RCU variable"));
    s->shared_->qsbr = s->qsbr_.get();

    s->slow_path_ring_.reset(rte_ring_create("vsw_slow_path", kSlowPathRingSize, socket, RING_F_SC_DEQ));
    s->learn_ring_.reset(
        rte_ring_create_elem("vsw_learn", sizeof(LearnEvent), kLearnRingSize, socket, RING_F_SC_DEQ));
    if (!s->slow_path_ring_ || !s->learn_ring_) return tl::unexpected(fmt::format("rings: {}", rte_strerror(rte_errno)));
    s->shared_->slow_path_ring = s->slow_path_ring_.get();
    s->shared_->learn_ring = s->learn_ring_.get();

    s->fdb_ = Fdb::create("vsw_fdb", kFdbEntries, s->qsbr_.get());
    if (!s->fdb_) return tl::unexpected(fmt::format("FDB: {}", rte_strerror(rte_errno)));
    s->shared_->fdb = s->fdb_.get();

    for (unsigned w = 0; w < n_workers; ++w) {
        auto table = nat::NatTable::create(fmt::format("vsw_nat{}", w), nat_capacity);
        if (!table) return tl::unexpected(fmt::format("NAT table of worker {}: {}", w, rte_strerror(rte_errno)));
        s->shared_->nat_tables[w] = table.get();
        s->nat_tables_.push_back(std::move(table));
        auto table6 = nat::NatTable6::create(fmt::format("vsw_nat6_{}", w), nat6_capacity);
        if (!table6) return tl::unexpected(fmt::format("NAT66 table of worker {}: {}", w, rte_strerror(rte_errno)));
        s->shared_->nat6_tables[w] = table6.get();
        s->nat6_tables_.push_back(std::move(table6));
        s->fragment_tables_.push_back(std::make_unique<nat::FragmentTable>());
        s->shared_->fragment_tables[w] = s->fragment_tables_.back().get();
        for (const char* dir : {"o2i", "i2o"}) {
            MbufRing ring(rte_ring_create(fmt::format("vsw_nat_{}{}", dir, w).c_str(), 1024, socket, RING_F_SC_DEQ));
            if (!ring) return tl::unexpected(fmt::format("NAT rings: {}", rte_strerror(rte_errno)));
            (dir[0] == 'o' ? s->shared_->nat_out2in_rings : s->shared_->nat_in2out_rings)[w] = ring.get();
            s->nat_handoff_rings_.push_back(std::move(ring));
        }
    }
    s->topology_ = std::make_unique<Topology>();
    s->shared_->topology.store(s->topology_.get(), std::memory_order_release);
    return s;
}

Switch::~Switch() {
    // Workers are stopped by now (vswd joins them first): no grace period needed.
    shared_->topology.store(nullptr, std::memory_order_release);
    for (auto& [name, p] : ports_) remove_port(p);
    ports_.clear();
    for (auto& [name, net] : networks_) {
        remove_host_interface(net);
        if (net.evpn) net.evpn->destroy();  // FRR withdraws the network's routes
    }
    for (auto& [name, u] : uplinks_) remove_uplink(u);
    uplinks_.clear();
    // The rings, FDB, RCU variable and pool go with their handles, the pool last.
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

tl::expected<MbufRing, std::string> Switch::make_tx_ring(uint16_t port_id) {
    // Ring names must be unique while they live; the generation makes them so.
    const std::string name = fmt::format("vsw_tx{}_{}", port_id, ++generation_);
    MbufRing r(rte_ring_create(name.c_str(), kTxRingSize, static_cast<int>(rte_socket_id()), RING_F_SC_DEQ));
    if (!r) return tl::unexpected(fmt::format("tx ring: {}", rte_strerror(rte_errno)));
    return r;
}

void Switch::reset_port_counters(uint16_t port_id) {
    for (auto& w : shared_->counters) {
        PortCounters& c = w.port[port_id];
        c.rx_packets.reset(), c.rx_bytes.reset(), c.tx_packets.reset(), c.tx_bytes.reset();
        c.to_slow_path.reset();
        for (auto& q : c.rx_queue_packets) q.reset();
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
    auto id = create_vhost_port({cfg.name, cfg.socket, cfg.client, cfg.queues}, pool_.get());
    if (!id) return tl::unexpected(id.error());
    if (!cfg.client) {
        const SocketAccess access = socket_access(sw_, cfg);
        if (auto shared = set_socket_access(cfg.socket, access.group, access.mode); !shared) {
            destroy_port(*id);
            return tl::unexpected(shared.error());
        }
    }
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
    st.tx_ring = std::move(*ring);
    spdlog::info("port {}: vhost-user {} on {} (dpdk port {}, worker {})", cfg.name,
                 cfg.client ? "client" : "server", cfg.socket, *id, st.worker);
    ports_[cfg.name] = std::move(st);
    return {};
}

// Only call when no published topology refers to the port any more.
void Switch::remove_port(PortState& port) {
    flush_fdb_port(port.port_id);
    destroy_port(port.port_id);
    spdlog::info("port {}: removed", port.cfg.name);
}

tl::expected<void, std::string> Switch::add_host_interface(NetworkState& net) {
    const HostInterfaceConfig& hi = *net.cfg.host_interface;
    if (auto free = check_interface_free(hi.name, hi.address, hi.netns); !free) return tl::unexpected(free.error());
    // A stretched network's host interfaces on other hosts have the same
    // network name: this host's VTEP address keeps its MAC its own.
    std::string mac_seed = "host:" + net.cfg.name;
    if (net.cfg.overlay)
        if (auto up = uplinks_.find(net.cfg.overlay->uplink); up != uplinks_.end())
            mac_seed += "@" + up->second.cfg.address.to_string();
    auto id = create_tap_port(hi.name, service_mac_for(mac_seed), pool_.get());
    if (!id) return tl::unexpected(id.error());
    if (auto ok = configure_host_interface(hi.name, hi.address, net.cfg.subnet->prefix_len, hi.netns); !ok) {
        destroy_port(*id);
        return tl::unexpected(ok.error());
    }
    if (hi.address6)
        if (auto ok = configure_host_address6(hi.name, *hi.address6, net.cfg.subnet6->prefix_len, hi.netns); !ok) {
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
    net.host_tx_ring = std::move(*ring);
    spdlog::info("network {}: host interface {} {}/{}{}{} (dpdk port {})", net.cfg.name, hi.name,
                 hi.address.to_string(), net.cfg.subnet->prefix_len,
                 hi.address6 ? " " + hi.address6->to_string() + "/" + std::to_string(net.cfg.subnet6->prefix_len) : "",
                 hi.netns.empty() ? "" : " in netns " + hi.netns, *id);
    return {};
}

void Switch::remove_host_interface(NetworkState& net) {
    if (!net.host_port) return;
    flush_fdb_port(*net.host_port);
    destroy_port(*net.host_port);
    spdlog::info("network {}: host interface removed", net.cfg.name);
    net.host_port.reset();
    net.host_tx_ring.reset();
}

void Switch::flush_fdb_port(uint16_t port_id) {
    fdb_->remove_if([&](const FdbKey&, uint16_t port) { return port == port_id; });
}

// The model build_topology() reads: the running objects as plain values.
TopologyModel Switch::topology_model() const {
    TopologyModel m;
    m.generation = generation_;
    m.n_workers = n_workers_;
    std::copy(std::begin(nat_epoch_), std::end(nat_epoch_), m.nat_epoch.begin());
    for (const auto& [name, up] : uplinks_)
        m.uplinks[name] = {up.cfg,         up.id,           up.port_id,       up.worker,
                           up.tx_ring.get(), up.mac,        up.gateway_resolved, up.gateway_mac,
                           up.gateway6_resolved, up.gateway6_mac, up.neighbors};
    for (const auto& [name, net] : networks_)
        m.networks[name] = {net.cfg,       net.id,                 net.service_mac, net.dhcp != nullptr,
                            net.host_port, net.host_tx_ring.get(), net.vtep_ids};
    for (const auto& [name, p] : ports_) m.ports[name] = {p.cfg, p.port_id, p.worker, p.tx_ring.get()};
    m.neighbors = neighbors_;
    m.neighbors6 = neighbors6_;
    return m;
}

// Builds a snapshot of the current model and swaps it in; returns once no
// worker can still see the previous one, which is then freed.
void Switch::publish() {
    ++generation_;
    // The networks' DNS addresses over IPv6 follow their uplinks' resolver6.
    for (auto& [name, n] : networks_) {
        auto up = n.cfg.nat ? uplinks_.find(n.cfg.nat->uplink) : uplinks_.end();
        n.dns6 = up != uplinks_.end() ? nat_dns6(n.cfg, up->second.cfg) : std::nullopt;
    }
    std::unique_ptr<Topology> t = build_topology(topology_model());
    // The MAC budgets of the ports about to appear are in place before they do.
    update_mac_budget();
    std::unique_ptr<Topology> old = std::move(topology_);
    topology_ = std::move(t);
    shared_->topology.store(topology_.get(), std::memory_order_release);
    // Wait until every worker has passed a quiescent state (or is offline).
    rte_rcu_qsbr_synchronize(qsbr_.get(), RTE_QSBR_THRID_INVALID);
    refresh_port_names();
}

void Switch::refresh_port_names() {
    std::lock_guard lock(names_mutex_);
    for (auto& n : port_names_) n.clear();
    port_queues_.fill({});
    for (const auto& [name, p] : ports_) {
        port_names_[p.port_id] = name;
        port_queues_[p.port_id] = {p.cfg.queues, p.worker};
    }
    for (const auto& [name, u] : uplinks_) port_names_[u.port_id] = "uplink:" + name;
    for (const auto& [name, n] : networks_)
        if (n.host_port) port_names_[*n.host_port] = n.cfg.host_interface->name;
}

// The config the switch runs now, as diff() needs it. What failed to come
// up is left out (a port, uplink or network is absent; a host interface is
// dropped from its network), so that the next reload tries it again.
Config Switch::running_config() const {
    Config c;
    c.source_file = source_file_;
    c.switch_config = sw_;
    for (const auto& [name, n] : networks_) {
        NetworkConfig cfg = n.cfg;
        if (cfg.host_interface && !n.host_port) cfg.host_interface.reset();
        c.networks.emplace(name, std::move(cfg));
    }
    for (const auto& [name, p] : ports_) c.ports.emplace(name, p.cfg);
    for (const auto& [name, u] : uplinks_) c.uplinks.emplace(name, u.cfg);
    return c;
}

void ApplySummary::failed(const std::string& what, const std::string& error) {
    for (auto* lines : {&added, &changed})
        std::erase_if(*lines, [&](const std::string& l) { return l == what || l.starts_with(what + " ("); });
    errors.push_back(what + ": " + error);
}

ApplySummary Switch::apply(const Config& next) {
    const Plan plan = diff(running_config(), next);
    ApplySummary sum{plan.added, plan.removed, plan.changed, plan.unchanged, {}, plan.notes};
    source_file_ = next.source_file;
    unpublish_and_destroy(plan);
    for (const PlanStep& step : plan.steps) {
        if (auto ok = carry_out(step, next); !ok) sum.failed(ok.error().first, ok.error().second);
    }
    update_xdp_steering();  // forwards, port ranges and overlays may have changed
    sync_host_loopback();
    sync_mtus();
    publish();
    return sum;
}

// The removals of a plan: taken out of the model, published (so no worker
// sees them any more), then destroyed.
void Switch::unpublish_and_destroy(const Plan& plan) {
    std::vector<UplinkState> doomed_uplinks;
    std::vector<PortState> doomed_ports;
    std::vector<NetworkState> doomed_hosts, doomed_nets;
    for (const PlanStep& step : plan.steps) {
        switch (step.action) {
        case Action::remove_port:
            doomed_ports.push_back(std::move(ports_.at(step.name)));
            ports_.erase(step.name);
            break;
        case Action::remove_host_interface: {
            NetworkState& n = networks_.at(step.name);
            if (!n.host_port) break;  // it never came up
            NetworkState h;
            h.cfg = n.cfg;
            h.host_port = n.host_port;
            h.host_tx_ring = std::move(n.host_tx_ring);
            n.host_port.reset();
            doomed_hosts.push_back(std::move(h));
            break;
        }
        case Action::remove_uplink:
            doomed_uplinks.push_back(std::move(uplinks_.at(step.name)));
            uplinks_.erase(step.name);
            break;
        case Action::remove_network:
            doomed_nets.push_back(std::move(networks_.at(step.name)));
            networks_.erase(step.name);
            break;
        default: break;
        }
    }
    if (doomed_ports.empty() && doomed_hosts.empty() && doomed_uplinks.empty() && doomed_nets.empty()) return;
    publish();
    // Their rings go with the doomed states, with the mbufs left in them.
    for (auto& p : doomed_ports) remove_port(p);
    for (auto& h : doomed_hosts) remove_host_interface(h);
    for (auto& u : doomed_uplinks) remove_uplink(u);
    for (auto& n : doomed_nets) {
        remove_host_interface(n);
        if (n.evpn) n.evpn->destroy();
        const uint16_t id = n.id;
        fdb_->remove_if([&](const FdbKey& k, uint16_t) { return k.network == id; });
        ++nat_epoch_[id];  // its sessions expire on the workers
        neighbors_.erase(id);
    }
}

// One step of a plan other than a removal. On failure: the summary line it
// concerns ("port vm1") and the error.
tl::expected<void, std::pair<std::string, std::string>> Switch::carry_out(const PlanStep& step, const Config& next) {
    const std::string& name = step.name;
    auto fail = [&](const char* kind, const std::string& error) {
        return tl::unexpected(std::pair(std::string(kind) + " " + name, error));
    };
    switch (step.action) {
    case Action::update_switch:
        sw_.mac_aging = next.switch_config.mac_aging;
        sw_.log_level = next.switch_config.log_level;
        spdlog::set_level(spdlog::level::from_str(sw_.log_level));
        break;
    case Action::remove_port:
    case Action::remove_host_interface:
    case Action::remove_uplink:
    case Action::remove_network: break;  // unpublish_and_destroy()
    case Action::create_uplink:
        if (auto ok = add_uplink(next.uplinks.at(name)); !ok) return fail("uplink", ok.error());
        break;
    case Action::update_uplink: {
        UplinkState& up = uplinks_.at(name);
        const UplinkConfig& cfg = next.uplinks.at(name);
        if (up.cfg.gateway != cfg.gateway) up.gateway_resolved = false;
        up.cfg = cfg;
        break;
    }
    case Action::create_network: {
        const uint16_t id = free_network_id();
        if (id == kNoNetwork) return fail("network", "too many networks");
        NetworkState st;
        st.id = id;
        st.service_mac = service_mac_for(name);
        networks_.emplace(name, std::move(st));
        ++nat_epoch_[id];  // no session of an earlier network with this id survives
        configure_network(networks_.at(name), next.networks.at(name));
        break;
    }
    case Action::update_network: configure_network(networks_.at(name), next.networks.at(name)); break;
    case Action::create_host_interface: {
        auto it = networks_.find(name);
        if (it == networks_.end()) break;  // the network itself failed
        if (auto ok = add_host_interface(it->second); !ok) return fail("host_interface of network", ok.error());
        break;
    }
    case Action::flush_nat_sessions:
        if (auto it = networks_.find(name); it != networks_.end()) ++nat_epoch_[it->second.id];
        break;
    case Action::create_port:
        if (auto ok = add_port(next.ports.at(name)); !ok) return fail("port", ok.error());
        break;
    case Action::update_port: {
        // The socket's group and mode again: back to root's when the port lost its override.
        const PortConfig& cfg = next.ports.at(name);
        if (const SocketAccess access = socket_access(sw_, cfg); !cfg.client)
            if (auto ok = set_socket_access(cfg.socket, access.group.empty() ? "root" : access.group,
                                            access.mode.value_or(0600));
                !ok)
                return fail("port", ok.error());
        ports_.at(name).cfg = cfg;
        break;
    }
    case Action::forget_port_macs: flush_fdb_port(ports_.at(name).port_id); break;
    }
    return {};
}

// A network's settings and its DHCP server (host interface aside).
void Switch::configure_network(NetworkState& st, const NetworkConfig& cfg) {
    // A new prefix is announced at once; the one it replaces, as withdrawn.
    if (st.cfg.subnet6 != cfg.subnet6) {
        auto& w = st.withdrawn6;
        std::erase_if(w, [&](const auto& p) { return cfg.subnet6 && p.first == *cfg.subnet6; });
        if (st.cfg.subnet6) w.emplace_back(*st.cfg.subnet6, rte_rdtsc() + 7200 * shared_->tsc_hz);
        st.last_ra_tsc = 0;
    }
    sync_evpn_mirror(st, cfg);
    assign_vteps(st, cfg);
    st.cfg = cfg;
    if (cfg.dhcp && cfg.subnet) {
        if (st.dhcp) {
            st.dhcp->reconfigure(*cfg.subnet, *cfg.dhcp);
        } else {
            st.dhcp = std::make_unique<DhcpServer>(cfg.name, *cfg.subnet, *cfg.dhcp, st.service_mac,
                                                   sw_.state_dir + "/leases-" + cfg.name + ".json");
        }
    } else {
        st.dhcp.reset();
    }
}

RouterAdvertSettings Switch::NetworkState::router_advert() const {
    RouterAdvertSettings ra;
    ra.mac = service_mac;
    ra.prefix = cfg.subnet6;
    for (const auto& [prefix, until] : withdrawn6) ra.withdrawn.push_back(prefix);
    // A NAT network's subnet6 exists only with its uplink's address6 (config):
    // vsw is then the guests' default router for IPv6 (NAT66).
    if (cfg.nat && cfg.subnet6) ra.router_lifetime_s = 1800;
    ra.dns = dns6;
    return ra;
}

std::vector<Ipv6> Switch::NetworkState::own_addresses6() const {
    if (!cfg.subnet6) return {};
    std::vector<Ipv6> own{Ipv6::link_local_of(service_mac)};
    if (cfg.nat) own.push_back(cfg.subnet6->host(1));  // the gateway's address in the prefix
    if (dns6) own.push_back(*dns6);                      // answers neighbour solicitations and ping
    return own;
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
