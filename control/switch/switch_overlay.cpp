// Switch: VXLAN overlays (networks.X.overlay). The control thread gives each
// remote VTEP a stable id (the FDB port of the MACs behind it), resolves the
// MAC of each remote's next hop on the uplink (the remote itself when it is
// on the uplink's prefix, else the uplink's gateway), and shows the result.
// The datapath side is datapath/overlay/.
#include <rte_cycles.h>
#include <rte_ethdev.h>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <set>
#include <utility>

#include "../services/service_replies.hpp"
#include "evpn_mirror.hpp"
#include "host_iface.hpp"
#include "switch.hpp"

namespace vsw {

// New remotes get the lowest id no remote has; the ids of remotes that are
// gone are not given out again in the same reload (a learn event for the old
// remote could still be on its way), and the MACs learned behind them go.
void Switch::assign_vteps(NetworkState& st, const NetworkConfig& cfg) {
    std::set<uint32_t> wanted = st.evpn_remotes;  // EVPN's (empty without it)
    if (cfg.overlay)
        for (const Ipv4& r : cfg.overlay->remotes) wanted.insert(r.value);
    std::set<uint16_t> freed;
    for (auto it = st.vtep_ids.begin(); it != st.vtep_ids.end();) {
        if (wanted.count(it->first) != 0) {
            ++it;
            continue;
        }
        const uint16_t port = vtep_port(it->second);
        const uint16_t net = st.id;
        const unsigned flushed = fdb_->remove_if([&](const FdbKey& k, uint16_t p) { return k.network == net && p == port; });
        spdlog::info("network {}: remote VTEP {} removed ({} MAC(s) behind it forgotten)", cfg.name,
                     Ipv4{it->first}.to_string(), flushed);
        freed.insert(it->second);
        it = st.vtep_ids.erase(it);
    }
    for (uint32_t ip : wanted) {
        if (st.vtep_ids.count(ip) != 0) continue;
        uint16_t id = 0;
        auto taken = [&](uint16_t i) {
            if (freed.count(i) != 0) return true;
            for (const auto& [a, used] : st.vtep_ids)
                if (used == i) return true;
            return false;
        };
        while (id < kMaxVteps && taken(id)) ++id;
        if (id == kMaxVteps) {  // only when a reload swaps out nearly all of 64 remotes at once
            spdlog::error("network {}: no VTEP id left for remote {}; reload again to add it", cfg.name,
                          Ipv4{ip}.to_string());
            continue;
        }
        st.vtep_ids[ip] = id;
        spdlog::info("network {}: remote VTEP {} (VNI {}{})", cfg.name, Ipv4{ip}.to_string(), cfg.overlay->vni,
                     st.evpn_remotes.count(ip) != 0 ? ", from EVPN" : "");
    }
}

// The remotes of the overlays on `up` that sit on its prefix: their own MACs
// are the next hops (the others go through the gateway).
std::vector<Ipv4> Switch::onlink_remotes(const UplinkState& up) const {
    const Subnet prefix = up.cfg.prefix();
    std::vector<Ipv4> out;
    for (const auto& [name, n] : networks_)
        if (n.cfg.overlay && n.cfg.overlay->uplink == up.cfg.name)
            for (const auto& [ip, id] : n.vtep_ids)  // configured and EVPN's
                if (const Ipv4 r{ip}; prefix.contains(r) && std::find(out.begin(), out.end(), r) == out.end())
                    out.push_back(r);
    return out;
}

bool Switch::learn_vtep_neighbor(UplinkState& up, Ipv4 ip, const Mac& mac) {
    const std::vector<Ipv4> remotes = onlink_remotes(up);
    if (std::find(remotes.begin(), remotes.end(), ip) == remotes.end()) return false;
    auto [it, added] = up.neighbors.try_emplace(ip.value, mac);
    if (!added && it->second == mac) return true;
    it->second = mac;
    spdlog::info("uplink {}: remote VTEP {} is at {}", up.cfg.name, ip.to_string(), mac.to_string());
    republish_ = true;
    return true;
}

// Until a remote's MAC is known: ask every second; then every minute (its
// own ARP requests for our address and its replies keep it fresh too).
void Switch::resolve_remote_vteps() {
    const uint64_t now = rte_rdtsc();
    for (auto& [name, up] : uplinks_) {
        const std::vector<Ipv4> remotes = onlink_remotes(up);
        if (remotes.empty()) continue;
        bool all_known = true;
        for (const Ipv4& r : remotes) all_known = all_known && up.neighbors.count(r.value) != 0;
        if (now - up.last_vtep_arp_tsc < (all_known ? 60 : 1) * shared_->tsc_hz) continue;
        up.last_vtep_arp_tsc = now;
        for (const Ipv4& r : remotes) inject(up.port_id, make_arp_request(up.mac, up.cfg.address, r));
    }
}

std::string Switch::vtep_name(uint16_t network, uint16_t port) const {
    const uint16_t id = static_cast<uint16_t>(port - kVtepPortBase);
    for (const auto& [name, n] : networks_)
        if (n.id == network)
            for (const auto& [ip, vid] : n.vtep_ids)
                if (vid == id) return "vtep:" + Ipv4{ip}.to_string();
    return fmt::format("vtep:{}", id);
}

// `vswctl show`: the overlay's VNI, uplink, each remote with its next hop and
// the MACs learned behind it.
nlohmann::json Switch::overlay_view(const NetworkState& net) const {
    const OverlayConfig& oc = *net.cfg.overlay;
    const auto up = uplinks_.find(oc.uplink);
    const OverlaySlot& ov = topology_->overlays[net.id];
    std::map<uint16_t, std::vector<std::string>> macs;  // by VTEP id
    fdb_->for_each([&](const FdbKey& k, uint16_t port, uint64_t) {
        if (k.network != net.id || !is_vtep_port(port)) return;
        Mac m;
        std::copy(k.mac, k.mac + 6, m.bytes.begin());
        macs[static_cast<uint16_t>(port - kVtepPortBase)].push_back(m.to_string());
    });
    nlohmann::json remotes = nlohmann::json::array();
    const std::vector<Ipv4>& configured = oc.remotes;
    for (const auto& [ip, id] : net.vtep_ids) {
        const bool is_static = std::find(configured.begin(), configured.end(), Ipv4{ip}) != configured.end();
        const bool from_evpn = net.evpn_remotes.count(ip) != 0;
        const bool resolved = id < kMaxVteps && ov.vteps[id].active && ov.vteps[id].resolved;
        std::string next_hop;
        if (resolved) {
            Mac m;
            std::copy(ov.vteps[id].outer.begin(), ov.vteps[id].outer.begin() + 6, m.bytes.begin());
            next_hop = m.to_string();
        }
        remotes.push_back({{"vtep", Ipv4{ip}.to_string()}, {"id", id}, {"next_hop_mac", next_hop},
                           {"from", is_static && from_evpn ? "config+evpn" : from_evpn ? "evpn" : "config"},
                           {"macs", macs[id]}});
    }
    nlohmann::json evpn = nullptr;
    if (oc.evpn)
        evpn = {{"netns", oc.evpn_netns},
                {"mirror", net.evpn ? evpn_mirror_names(oc.vni).bridge : ""},
                {"remote_macs", net.evpn_macs.size()},
                {"error", net.evpn_error}};
    return {{"vni", oc.vni},
            {"uplink", oc.uplink},
            {"local_vtep", up != uplinks_.end() ? up->second.cfg.address.to_string() : ""},
            {"active", ov.enabled},
            {"max_frame", ov.enabled ? ov.max_inner : 0},
            {"guest_mtu", up != uplinks_.end() ? overlay::guest_mtu_for(up->second.cfg.mtu) : 0},
            {"remotes", remotes},
            {"evpn", evpn}};
}

// The network's EVPN mirror follows its config: made when `evpn` comes,
// made again when its namespace, VNI or local VTEP changes, removed (with
// what EVPN gave) when `evpn` goes. One that could not be made (its
// namespace is not there yet) is tried again every 10 s (sync_evpn); an
// error is logged when it differs from the last one.
void Switch::sync_evpn_mirror(NetworkState& st, const NetworkConfig& cfg) {
    const OverlayConfig* oc = cfg.overlay && cfg.overlay->evpn ? &*cfg.overlay : nullptr;
    const auto up = oc != nullptr ? uplinks_.find(oc->uplink) : uplinks_.end();
    if (st.evpn && oc != nullptr && up != uplinks_.end() && st.evpn->netns() == oc->evpn_netns &&
        st.evpn->vni() == oc->vni && st.evpn->local() == up->second.cfg.address)
        return;
    if (st.evpn) {
        st.evpn->destroy();
        st.evpn.reset();
        const uint16_t net = st.id;
        std::set<Mac> gone;
        for (const auto& [mac, ip] : st.evpn_macs) gone.insert(mac);
        fdb_->remove_if([&](const FdbKey& k, uint16_t port) {
            Mac m;
            std::copy(k.mac, k.mac + 6, m.bytes.begin());
            return k.network == net && is_vtep_port(port) && gone.count(m) != 0;
        });
        st.evpn_macs.clear();
        st.evpn_remotes.clear();
        spdlog::info("network {}: EVPN mirror removed", cfg.name);
    }
    const std::string last_error = std::exchange(st.evpn_error, std::string());
    auto failed = [&](const std::string& error) {
        st.evpn_error = error;
        if (error != last_error) spdlog::error("network {}: EVPN mirror: {} (tried again every 10 s)", cfg.name, error);
    };
    if (oc == nullptr) return;
    if (up == uplinks_.end()) return failed("uplink '" + oc->uplink + "' is not up");
    auto mirror = EvpnMirror::create(oc->evpn_netns, oc->vni, up->second.cfg.address);
    if (!mirror) return failed(mirror.error());
    st.evpn = std::make_shared<EvpnMirror>(std::move(*mirror));
    const EvpnMirrorNames names = evpn_mirror_names(oc->vni);
    spdlog::info("network {}: EVPN for VNI {}: kernel mirror {} (vxlan {}, local {}) in {}; FRR's zebra there "
                 "advertises the network's MACs and installs the remote ones",
                 cfg.name, oc->vni, names.bridge, names.vxlan, up->second.cfg.address.to_string(),
                 oc->evpn_netns.empty() ? "vswd's namespace" : "namespace " + oc->evpn_netns);
}

// Once a second for each EVPN network: the MACs vsw learned on local ports
// go to the mirror (FRR advertises them); the remotes and remote MACs FRR
// installed come back (its type-3 and type-2 routes). Remote MACs stay in
// the FDB while FRR has them (refreshed here, so they never age out) and
// go when it withdraws them.
void Switch::sync_evpn() {
    const uint64_t now = rte_rdtsc();
    if (now - last_evpn_tsc_ < shared_->tsc_hz) return;
    last_evpn_tsc_ = now;
    const bool retry = ++evpn_syncs_ % 10 == 0;
    for (auto& [name, st] : networks_) {
        if (!st.evpn && retry && st.cfg.overlay && st.cfg.overlay->evpn) sync_evpn_mirror(st, st.cfg);
        if (!st.evpn) continue;
        auto note = [&](const std::string& error) {
            if (error != st.evpn_error && !error.empty()) spdlog::warn("network {}: EVPN: {}", name, error);
            st.evpn_error = error;
        };
        std::set<Mac> local;
        fdb_->for_each([&](const FdbKey& k, uint16_t port, uint64_t) {
            if (k.network != st.id || port >= kMaxPorts) return;
            Mac m;
            std::copy(k.mac, k.mac + 6, m.bytes.begin());
            local.insert(m);
        });
        if (auto ok = st.evpn->set_local_macs(local); !ok) {
            note(ok.error());
            continue;
        }
        auto remote = st.evpn->read_remotes();
        if (!remote) {
            note(remote.error());
            continue;
        }
        note("");
        std::set<uint32_t> vteps;
        for (const Ipv4& v : remote->vteps)
            if (v != st.evpn->local()) vteps.insert(v.value);
        if (vteps != st.evpn_remotes) {
            for (uint32_t v : st.evpn_remotes)
                if (vteps.count(v) == 0) spdlog::info("network {}: EVPN withdrew VTEP {}", name, Ipv4{v}.to_string());
            st.evpn_remotes = vteps;
            assign_vteps(st, st.cfg);
            republish_ = true;
        }
        std::map<Mac, uint32_t> macs;
        for (const auto& [mac, dst] : remote->macs) macs[mac] = dst.value;
        std::set<Mac> gone;
        for (const auto& [mac, ip] : st.evpn_macs)
            if (macs.count(mac) == 0) gone.insert(mac);
        if (!gone.empty()) {
            const uint16_t net = st.id;
            fdb_->remove_if([&](const FdbKey& k, uint16_t port) {
                Mac m;
                std::copy(k.mac, k.mac + 6, m.bytes.begin());
                return k.network == net && is_vtep_port(port) && gone.count(m) != 0;
            });
        }
        for (const auto& [mac, ip] : macs)
            if (auto id = st.vtep_ids.find(ip); id != st.vtep_ids.end())
                learn_mac(make_fdb_key(mac.bytes.data(), st.id), vtep_port(id->second), now);
        st.evpn_macs = std::move(macs);
    }
}

// A kernel uplink's TAP carries the uplink's MTU (the host's side must take
// VXLAN frames of that size); a host-only network's host interface, the MTU
// its guests get (50 bytes less over an overlay), so the host's own frames
// fit the tunnel too.
void Switch::sync_mtus() {
    auto set = [&](const HostInterfaceConfig& iface, uint16_t mtu, const std::string& what) {
        if (auto changed = ensure_interface_mtu(iface.name, iface.netns, mtu); !changed)
            spdlog::warn("{}: {}", what, changed.error());
        else if (*changed)
            spdlog::info("{}: {} has MTU {}", what, iface.name, mtu);
    };
    for (const auto& [name, up] : uplinks_)
        if (up.cfg.kernel) set(*up.cfg.kernel, up.cfg.mtu, "uplink " + name);
    for (const auto& [name, n] : networks_) {
        if (!n.host_port) continue;
        uint16_t mtu = 1500;
        if (n.cfg.overlay)
            if (auto up = uplinks_.find(n.cfg.overlay->uplink); up != uplinks_.end())
                mtu = static_cast<uint16_t>(std::min<uint32_t>(1500, overlay::guest_mtu_for(up->second.cfg.mtu)));
        set(*n.cfg.host_interface, mtu, "network " + name + ": host interface");
    }
}

}  // namespace vsw
