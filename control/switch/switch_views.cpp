// Switch: read-only JSON views for vswctl and DPDK telemetry.
#include <rte_cycles.h>
#include <fmt/format.h>

#include <rte_mempool.h>

#include "switch.hpp"
#include "xdp_steering.hpp"

namespace vsw {

namespace {

struct PortTotals {
    uint64_t rx_packets = 0, rx_bytes = 0, tx_packets = 0, tx_bytes = 0, to_slow_path = 0;
    uint64_t drops[kDropReasonCount] = {};
};

PortTotals totals_for(const DatapathShared& shared, uint16_t port_id) {
    PortTotals t;
    for (const WorkerCounters& w : shared.counters) {
        const PortCounters& c = w.port[port_id];
        t.rx_packets += c.rx_packets.get();
        t.rx_bytes += c.rx_bytes.get();
        t.tx_packets += c.tx_packets.get();
        t.tx_bytes += c.tx_bytes.get();
        t.to_slow_path += c.to_slow_path.get();
        for (unsigned r = 0; r < kDropReasonCount; ++r) t.drops[r] += c.drops[r].get();
    }
    return t;
}

nlohmann::json totals_json(const PortTotals& t, bool only_nonzero_drops) {
    nlohmann::json drops = nlohmann::json::object();
    uint64_t total = 0;
    for (unsigned r = 0; r < kDropReasonCount; ++r) {
        total += t.drops[r];
        if (!only_nonzero_drops || t.drops[r] != 0)
            drops[drop_reason_name(static_cast<DropReason>(r))] = t.drops[r];
    }
    return {{"rx_packets", t.rx_packets}, {"rx_bytes", t.rx_bytes}, {"tx_packets", t.tx_packets},
            {"tx_bytes", t.tx_bytes}, {"to_slow_path", t.to_slow_path}, {"drops_total", total},
            {"drops", drops}};
}

}  // namespace

std::string Switch::port_name(uint16_t port_id) const {
    std::lock_guard lock(names_mutex_);
    return port_id < kMaxPorts ? port_names_[port_id] : std::string();
}

nlohmann::json Switch::port_counters_json(bool only_nonzero_drops) const {
    nlohmann::json out = nlohmann::json::object();
    std::lock_guard lock(names_mutex_);
    for (uint16_t id = 0; id < kMaxPorts; ++id) {
        if (port_names_[id].empty()) continue;
        nlohmann::json& j = out[port_names_[id]] = totals_json(totals_for(*shared_, id), only_nonzero_drops);
        // A multi-queue port: what each queue brought, and which worker polls it.
        const QueueLayout& layout = port_queues_[id];
        if (layout.n_queues <= 1) continue;
        uint64_t rx[kMaxQueues] = {};
        for (uint16_t q = 1; q < layout.n_queues; ++q) {
            for (const WorkerCounters& w : shared_->counters) rx[q] += w.port[id].rx_queue_packets[q].get();
            rx[0] += rx[q];
        }
        // Queue 0: the rest (read a moment apart from the others: never below 0).
        const uint64_t total = j["rx_packets"].get<uint64_t>();
        rx[0] = total > rx[0] ? total - rx[0] : 0;
        nlohmann::json queues = nlohmann::json::array();
        for (uint16_t q = 0; q < layout.n_queues; ++q)
            queues.push_back({{"queue", q}, {"worker", queue_worker(layout.worker, q, n_workers_)}, {"rx_packets", rx[q]}});
        j["queues"] = queues;
    }
    return out;
}

nlohmann::json Switch::show() const {
    nlohmann::json nets = nlohmann::json::array();
    for (const auto& [name, n] : networks_) {
        const bool nat_network = n.cfg.nat && n.cfg.nat->nat_network;
        nlohmann::json j{{"name", name}, {"mode", nat_network ? "nat-network" : to_string(n.cfg.mode)}, {"id", n.id},
                         {"service_mac", n.service_mac.to_string()}};
        j["subnet"] = n.cfg.subnet ? n.cfg.subnet->to_string() : "";
        if (n.cfg.subnet6) j["subnet6"] = n.cfg.subnet6->to_string();
        if (n.cfg.subnet6 && n.cfg.nat) {  // NAT66: the gateway and DNS addresses in the prefix
            j["gateway6"] = n.cfg.subnet6->host(1).to_string();
            j["dns6"] = n.dns6 ? n.dns6->to_string() : "";
        }
        if (n.cfg.host_interface) {
            j["host_interface"] = {{"name", n.cfg.host_interface->name},
                                   {"address", n.cfg.host_interface->address.to_string()},
                                   {"address6", n.cfg.host_interface->address6
                                                    ? n.cfg.host_interface->address6->to_string() : ""},
                                   {"link", n.host_port && shared_->link_up[*n.host_port] ? "up" : "down"}};
        }
        if (n.cfg.dhcp) {
            j["dhcp"] = {{"server", n.cfg.dhcp->server.to_string()},
                         {"range", n.cfg.dhcp->range_first.to_string() + "-" + n.cfg.dhcp->range_last.to_string()},
                         {"lease", n.cfg.dhcp->lease_seconds}};
        }
        if (n.cfg.nat) {
            const NatConfig& nat = *n.cfg.nat;
            nlohmann::json fwd = nlohmann::json::array();
            for (const PortForward& f : nat.port_forwards)
                fwd.push_back({{"name", f.name}, {"proto", f.proto == 6 ? "tcp" : "udp"},
                               {"host_ip", f.host_ip ? f.host_ip->to_string() : ""}, {"host_port", f.host_port},
                               {"guest_ip", f.guest_ip.to_string()}, {"guest_port", f.guest_port}});
            auto up = uplinks_.find(nat.uplink);
            for (const PortForward6& f : nat.port_forwards6)
                fwd.push_back({{"name", f.name}, {"proto", f.proto == 6 ? "tcp" : "udp"},
                               {"host_ip", up != uplinks_.end() && up->second.cfg.address6
                                               ? "[" + up->second.cfg.address6->to_string() + "]" : ""},
                               {"host_port", f.host_port}, {"guest_ip", "[" + f.guest_ip.to_string() + "]"},
                               {"guest_port", f.guest_port}});
            j["nat"] = {{"gateway", nat.gateway.to_string()}, {"dns", nat.dns ? nat.dns->to_string() : ""},
                        {"uplink", nat.uplink}, {"max_sessions", nat.max_sessions}, {"port_forwards", fwd},
                        {"host_loopback", nat.host_loopback ? nat.host_alias.to_string() : ""},
                        {"host_uplink", nat.host_uplink}};
        }
        if (n.cfg.overlay) j["overlay"] = overlay_view(n);
        nlohmann::json members = nlohmann::json::array();
        for (const auto& [pname, p] : ports_)
            if (p.cfg.network == name) members.push_back(pname);
        j["ports"] = members;
        nets.push_back(j);
    }
    std::map<uint16_t, std::vector<std::string>> macs_by_port;
    fdb_->for_each([&](const FdbKey& k, uint16_t port, uint64_t) {
        Mac m;
        std::copy(k.mac, k.mac + 6, m.bytes.begin());
        macs_by_port[port].push_back(m.to_string());
    });
    nlohmann::json ports = nlohmann::json::array();
    for (const auto& [name, p] : ports_) {
        nlohmann::json j{{"name", name}, {"network", p.cfg.network}, {"socket", p.cfg.socket},
                         {"mode", p.cfg.client ? "client" : "server"},
                         {"link", shared_->link_up[p.port_id] ? "up" : "down"},
                         {"dpdk_port", p.port_id}, {"worker", p.worker},
                         {"macs", macs_by_port[p.port_id]}};
        j["pinned_mac"] = p.cfg.mac ? p.cfg.mac->to_string() : "";
        j["max_macs"] = p.cfg.max_macs;
        j["macs_full"] = shared_->macs_full[p.port_id].load(std::memory_order_relaxed);
        j["macs_refused"] = macs_refused_[p.port_id];
        j["max_leases"] = p.cfg.max_leases;
        j["queues"] = p.cfg.queues;
        ports.push_back(j);
    }
    nlohmann::json uplinks = nlohmann::json::array();
    for (const auto& [name, u] : uplinks_) {
        uplinks.push_back({{"name", name},
                           {"device", u.cfg.kernel ? "kernel:" + u.cfg.kernel->name : u.cfg.device},
                           {"address", fmt::format("{}/{}", u.cfg.address.to_string(), u.cfg.prefix_len)},
                           {"mac", u.mac.to_string()}, {"gateway", u.cfg.gateway.to_string()},
                           {"gateway_mac", u.gateway_resolved ? u.gateway_mac.to_string() : ""},
                           {"resolver", u.cfg.resolver ? u.cfg.resolver->to_string() : ""},
                           {"resolver_from_host", u.cfg.resolver_from_host}, {"outbound", u.cfg.outbound},
                           {"ports", fmt::format("{}-{}", u.cfg.port_first, u.cfg.port_last)}, {"mtu", u.cfg.mtu},
                           {"link", shared_->link_up[u.port_id] ? "up" : "down"}, {"dpdk_port", u.port_id},
                           {"worker", u.worker}, {"host_link_of", u.cfg.host_link_of},
                           {"netns", u.cfg.kernel ? u.cfg.kernel->netns : ""}});
        if (u.cfg.address6)
            uplinks.back().update({{"address6", fmt::format("{}/{}", u.cfg.address6->to_string(), u.cfg.prefix6_len)},
                                   {"gateway6", u.cfg.gateway6->to_string()},
                                   {"gateway6_mac", u.gateway6_resolved ? u.gateway6_mac.to_string() : ""},
                                   {"resolver6", u.cfg.resolver6 ? u.cfg.resolver6->to_string() : ""}});
    }
    return {{"config", source_file_}, {"generation", topology_->generation}, {"workers", n_workers_},
            {"networks", nets}, {"ports", ports}, {"uplinks", uplinks}};
}

nlohmann::json Switch::stats() const {
    nlohmann::json workers = nlohmann::json::array();
    for (unsigned w = 0; w < n_workers_; ++w) {
        const WorkerCounters& c = shared_->counters[w];
        workers.push_back({{"worker", w}, {"rounds", c.rounds.get()}, {"busy_rounds", c.busy_rounds.get()},
                           {"idle_sleeps", c.idle_sleeps.get()}, {"learn_events", c.learn_events.get()},
                           {"learn_ring_full", c.learn_ring_full.get()},
                           {"nat_in2out", c.nat_in2out.get()}, {"nat_out2in", c.nat_out2in.get()},
                           {"nat_sessions_created", c.nat_sessions_created.get()},
                           {"nat_sessions_expired", c.nat_sessions_expired.get()},
                           {"nat_handoffs", c.nat_handoffs.get()}, {"nat_icmp_errors", c.nat_icmp_errors.get()},
                           {"nat_fragments", c.nat_fragments.get()},
                           {"nat_fragment_timeouts", fragment_tables_[w]->timeouts()}});
        if (kCycleStats) {
            const StageCycles& y = c.cycles;
            workers.back()["cycles"] = {{"rx", y.rx.get()}, {"parse", y.parse.get()}, {"lookup", y.lookup.get()},
                                        {"forward", y.forward.get()}, {"nat", y.nat.get()}, {"tx", y.tx.get()},
                                        {"empty_poll", y.empty_poll.get()}, {"packets", y.packets.get()}};
        }
    }
    // Live NAT sessions per network (a snapshot of the workers' tables).
    nlohmann::json nat = nlohmann::json::object();
    for (const auto& [name, n] : networks_) {
        if (!n.cfg.nat) continue;
        uint64_t live = 0, live6 = 0;  // the workers' own counts: no scan of 4 Mi slots on the control thread
        for (unsigned w = 0; w < n_workers_; ++w) {
            live += nat_tables_[w]->size_of(n.id);
            live6 += nat6_tables_[w]->size_of(n.id);
        }
        nat[name] = {{"sessions", live}, {"sessions6", live6}, {"uplink", n.cfg.nat->uplink},
                     {"epoch", nat_epoch_[n.id]}};
    }
    // VXLAN overlays: what went to remote VTEPs and came from them, per network.
    nlohmann::json overlay = nlohmann::json::object();
    for (const auto& [name, n] : networks_) {
        if (!n.cfg.overlay) continue;
        uint64_t v[5] = {};
        for (unsigned w = 0; w < n_workers_; ++w) {
            const OverlayCounters& c = shared_->counters[w].overlay[n.id];
            for (int i = 0; const Counter* k : {&c.encap_packets, &c.encap_bytes, &c.replicated, &c.decap_packets,
                                                &c.decap_bytes})
                v[i++] += k->get();
        }
        overlay[name] = {{"vni", n.cfg.overlay->vni}, {"remotes", n.vtep_ids.size()}, {"encap_packets", v[0]},
                         {"encap_bytes", v[1]}, {"replicated", v[2]}, {"decap_packets", v[3]}, {"decap_bytes", v[4]}};
        // Drops by reason: on the way out, summed over the network's ports;
        // on the way in, the uplink's (shared by every overlay on it: a
        // frame with an unknown VNI belongs to no network).
        PortTotals out_totals, in_totals;
        auto add = [&](PortTotals& sum, uint16_t port_id) {
            const PortTotals t = totals_for(*shared_, port_id);
            for (unsigned r = 0; r < kDropReasonCount; ++r) sum.drops[r] += t.drops[r];
        };
        for (const auto& [pname, p] : ports_)
            if (p.cfg.network == name) add(out_totals, p.port_id);
        if (n.host_port) add(out_totals, *n.host_port);
        if (const auto up = uplinks_.find(n.cfg.overlay->uplink); up != uplinks_.end())
            add(in_totals, up->second.port_id);
        nlohmann::json out_drops = nlohmann::json::object(), in_drops = nlohmann::json::object();
        for (DropReason r : {DropReason::overlay_too_big, DropReason::vtep_unresolved, DropReason::overlay_no_mbuf,
                             DropReason::uplink_down})
            out_drops[drop_reason_name(r)] = out_totals.drops[static_cast<unsigned>(r)];
        for (DropReason r : {DropReason::overlay_malformed, DropReason::overlay_fragment,
                             DropReason::overlay_unknown_vni, DropReason::overlay_unknown_vtep,
                             DropReason::overlay_split_horizon})
            in_drops[drop_reason_name(r)] = in_totals.drops[static_cast<unsigned>(r)];
        overlay[name]["encap_drops"] = out_drops;
        overlay[name]["uplink_decap_drops"] = in_drops;
    }
    nlohmann::json dhcp = nlohmann::json::object();
    for (const auto& [name, n] : networks_) {
        if (!n.dhcp) continue;
        const DhcpCounters& c = n.dhcp->counters();
        dhcp[name] = {{"leases", n.dhcp->leases().size()},
                      {"discover", c.discover}, {"offer", c.offer}, {"request", c.request},
                      {"ack", c.ack}, {"nak", c.nak}, {"release", c.release}, {"decline", c.decline},
                      {"inform", c.inform}, {"malformed", c.malformed},
                      {"pool_exhausted", c.pool_exhausted}, {"ignored", c.ignored}, {"port_limit", c.port_limit}, {"rate_limited", c.rate_limited}};
    }
    // AF_XDP uplinks: what vsw's XDP program steered to vsw and left to the kernel.
    nlohmann::json xdp = nlohmann::json::object();
    for (const auto& [name, u] : uplinks_) {
        if (!u.xdp) continue;
        if (auto c = u.xdp->counters())
            xdp[name] = {{"program_id", u.xdp->program_id()}, {"redirected", c->redirected},
                         {"passed", c->passed}, {"redirect_failed", c->redirect_failed}};
        else
            xdp[name] = {{"program_id", u.xdp->program_id()}, {"error", c.error()}};
    }
    nlohmann::json ports = port_counters_json(false);
    for (const auto& [name, p] : ports_)
        if (ports.contains(name)) ports[name]["network"] = p.cfg.network;
    return {{"ports", ports},
            {"cycle_stats", kCycleStats},
            {"tsc_hz", shared_->tsc_hz},
            {"workers", workers},
            {"xdp", xdp},
            {"dhcp", dhcp},
            {"nat", nat},
            {"overlay", overlay},
            {"slow_path", {{"unhandled", slow_path_unhandled_}, {"inject_failed", inject_failed_}}},
            {"fdb", {{"entries", fdb_->size()}, {"full", fdb_full_}}},
            // What a leak would show first: mbufs that never come back (perf/soak.sh).
            {"mbufs", {{"in_use", rte_mempool_in_use_count(pool_.get())}, {"size", pool_->size}}}};
}

nlohmann::json Switch::fdb() const {
    nlohmann::json out = nlohmann::json::array();
    const uint64_t now = rte_rdtsc();
    fdb_->for_each([&](const FdbKey& k, uint16_t port, uint64_t seen) {
        Mac m;
        std::copy(k.mac, k.mac + 6, m.bytes.begin());
        std::string net;
        for (const auto& [name, n] : networks_)
            if (n.id == k.network) net = name;
        out.push_back({{"network", net}, {"mac", m.to_string()},
                       {"port", is_vtep_port(port) ? vtep_name(k.network, port) : port_name(port)},
                       {"age", now > seen ? static_cast<double>(now - seen) / static_cast<double>(shared_->tsc_hz) : 0.0}});
    });
    return out;
}

nlohmann::json Switch::leases() const {
    nlohmann::json out = nlohmann::json::array();
    const auto now = static_cast<int64_t>(std::time(nullptr));
    for (const auto& [name, n] : networks_) {
        if (!n.dhcp) continue;
        for (const DhcpLease& l : n.dhcp->leases()) {
            out.push_back({{"network", name}, {"mac", l.mac.to_string()}, {"ip", l.ip.to_string()},
                           {"hostname", l.hostname}, {"port", l.port}, {"static", l.is_static},
                           {"state", l.offered_only ? "offered" : "bound"},
                           {"expires_in", l.is_static ? -1 : l.expires - now}});
        }
    }
    return out;
}

std::set<std::string> Switch::connected_ports() const {
    std::set<std::string> up;
    for (const auto& [name, p] : ports_)
        if (shared_->link_up[p.port_id].load(std::memory_order_relaxed)) up.insert(name);
    return up;
}

}  // namespace vsw
