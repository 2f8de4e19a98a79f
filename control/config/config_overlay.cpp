// The loader's part for a network's VXLAN overlay (networks.X.overlay): see
// config_loader.hpp.
//
//   overlay:
//     vni: 5001                  # 1..16777215, one network per VNI on an uplink
//     uplink: wan                # its address is this host's VTEP
//     remotes: [198.51.100.20]   # the other hosts' VTEPs
//     evpn: true                 # or {netns: NAME}: remotes from BGP EVPN through FRR
#include <string>

#include "../../datapath/limits.hpp"
#include "../../datapath/overlay/vxlan_sizes.hpp"
#include "config_loader.hpp"

namespace vsw::config_internal {

namespace {

bool is_unicast(Ipv4 a) {
    const uint32_t top = a.value >> 24;
    return a.value != 0 && top != 0 && top != 127 && top < 224;
}

}  // namespace

Ipv4 Loader::remote_vtep(const Field& item, const UplinkConfig& up, const std::vector<Ipv4>& earlier) const {
    const Ipv4 a = ipv4(item);
    if (!is_unicast(a))
        fail(item, a.to_string() + " is not a unicast address another host can have (0/8, 127/8, multicast and "
                                   "broadcast are not)");
    if (a == up.address)
        fail(item, a.to_string() + " is uplink '" + up.name + "''s own address, this host's VTEP");
    for (const Ipv4& e : earlier)
        if (e == a) fail(item, a.to_string() + " is listed twice");
    return a;
}

OverlayConfig Loader::overlay(const Field& f, const Config& config) const {
    OverlayConfig ov;
    std::vector<Field> fields = map_fields(f, {"vni", "uplink", "remotes", "evpn"});
    const Field& vni = require(fields, f, "vni", " (the VXLAN network identifier the other hosts use, 1..16777215)");
    ov.vni = static_cast<uint32_t>(number(vni, 1, overlay::kMaxVni));
    const Field& uplink = require(fields, f, "uplink", " (the uplink whose address is this host's VTEP)");
    ov.uplink = scalar(uplink);
    const auto up = config.uplinks.find(ov.uplink);
    if (up == config.uplinks.end()) {
        std::string known;
        for (const auto& [name, u] : config.uplinks)
            if (u.host_link_of.empty()) known += (known.empty() ? "" : ", ") + name;
        fail(uplink, "no uplink '" + ov.uplink + "' (uplinks: " + (known.empty() ? "none" : known) + ")");
    }
    if (!up->second.host_link_of.empty())
        fail(uplink, "'" + ov.uplink + "' is the host link of uplink '" + up->second.host_link_of +
                         "'; name that uplink itself");
    for (const auto& [name, other] : config.networks) {
        if (other.overlay && other.overlay->uplink == ov.uplink && other.overlay->vni == ov.vni)
            fail(vni, "VNI " + std::to_string(ov.vni) + " on uplink '" + ov.uplink + "' is already network '" + name +
                          "''s");
        if (other.nat && (other.nat->uplink == ov.uplink || other.nat->host_uplink == ov.uplink))
            for (const PortForward& pf : other.nat->port_forwards)
                if (pf.proto == 17 && pf.host_port == overlay::kVxlanPort)
                    fail(uplink, "UDP port 4789 of uplink '" + ov.uplink + "' is VXLAN's, and network '" + name +
                                     "' forwards it (port forward '" + pf.name + "')");
    }
    if (const Field* evpn = find(fields, "evpn")) {
        if (evpn->value.IsMap()) {
            ov.evpn = true;
            for (const Field& e : map_fields(*evpn, {"netns"}))
                if (e.key.Scalar() == "netns") ov.evpn_netns = netns_name(e);
        } else {
            ov.evpn = boolean(*evpn);
        }
        // One mirror per VNI and namespace: FRR knows a VNI once.
        for (const auto& [name, other] : config.networks)
            if (ov.evpn && other.overlay && other.overlay->evpn && other.overlay->vni == ov.vni &&
                other.overlay->evpn_netns == ov.evpn_netns)
                fail(*evpn, "network '" + name + "' has EVPN for VNI " + std::to_string(ov.vni) +
                                " in the same namespace already");
    }
    if (const Field* remotes = find(fields, "remotes")) {
        const std::vector<Field> items = list_items(*remotes);
        if (items.size() > kMaxVteps)
            fail(*remotes, std::to_string(items.size()) + " remotes; at most " + std::to_string(kMaxVteps));
        for (const Field& item : items) ov.remotes.push_back(remote_vtep(item, up->second, ov.remotes));
    }
    return ov;
}

// An overlay's frames carry 50 bytes more on the uplink: guests learn the
// smaller MTU from DHCP (option 26), as OpenStack's do.
void Loader::overlay_dhcp_mtu(NetworkConfig& net, const Config& config) {
    if (!net.overlay || !net.dhcp) return;
    if (const uint32_t mtu = overlay::guest_mtu_for(config.uplinks.at(net.overlay->uplink).mtu); mtu < 1500)
        net.dhcp->mtu = static_cast<uint16_t>(mtu);
}

}  // namespace vsw::config_internal
