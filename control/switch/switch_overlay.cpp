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

#include "../services/service_replies.hpp"
#include "host_iface.hpp"
#include "switch.hpp"

namespace vsw {

// New remotes get the lowest id no remote has; the ids of remotes that are
// gone are not given out again in the same reload (a learn event for the old
// remote could still be on its way), and the MACs learned behind them go.
void Switch::assign_vteps(NetworkState& st, const NetworkConfig& cfg) {
    std::set<uint32_t> wanted;
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
        spdlog::info("network {}: remote VTEP {} (VNI {})", cfg.name, Ipv4{ip}.to_string(), cfg.overlay->vni);
    }
}

// The remotes of the overlays on `up` that sit on its prefix: their own MACs
// are the next hops (the others go through the gateway).
std::vector<Ipv4> Switch::onlink_remotes(const UplinkState& up) const {
    const Subnet prefix{Ipv4{up.cfg.address.value & Subnet{{}, up.cfg.prefix_len}.mask()}, up.cfg.prefix_len};
    std::vector<Ipv4> out;
    for (const auto& [name, n] : networks_)
        if (n.cfg.overlay && n.cfg.overlay->uplink == up.cfg.name)
            for (const Ipv4& r : n.cfg.overlay->remotes)
                if (prefix.contains(r) && std::find(out.begin(), out.end(), r) == out.end()) out.push_back(r);
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
    for (const auto& [ip, id] : net.vtep_ids) {
        const bool resolved = id < kMaxVteps && ov.vteps[id].active && ov.vteps[id].resolved;
        std::string next_hop;
        if (resolved) {
            Mac m;
            std::copy(ov.vteps[id].outer.begin(), ov.vteps[id].outer.begin() + 6, m.bytes.begin());
            next_hop = m.to_string();
        }
        remotes.push_back({{"vtep", Ipv4{ip}.to_string()}, {"id", id}, {"next_hop_mac", next_hop},
                           {"macs", macs[id]}});
    }
    return {{"vni", oc.vni},
            {"uplink", oc.uplink},
            {"local_vtep", up != uplinks_.end() ? up->second.cfg.address.to_string() : ""},
            {"active", ov.enabled},
            {"max_frame", ov.enabled ? ov.max_inner : 0},
            {"guest_mtu", up != uplinks_.end() ? overlay::guest_mtu_for(up->second.cfg.mtu) : 0},
            {"remotes", remotes}};
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
