#include "reload_plan.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <map>
#include <set>

namespace vsw {

namespace {

// The keys (as the YAML names them) whose values differ between two structs.
struct ChangedKeys {
    std::vector<std::string> keys;

    template <class T>
    void compare(const char* key, const T& was, const T& now) {
        if (!(was == now) && std::find(keys.begin(), keys.end(), key) == keys.end()) keys.emplace_back(key);
    }
    bool any() const { return !keys.empty(); }
    std::string list() const { return fmt::format("{}", fmt::join(keys, ", ")); }
};

// How a change to an object is carried out.
enum class Change { none, in_place, flush_sessions, recreate };

void note_restart_only(const SwitchConfig& was, const SwitchConfig& now, Plan& plan) {
    // Every field of SwitchConfig, so that a new one does not compile until
    // it is sorted here into "at restart" or "in place".
    [[maybe_unused]] const auto& [cores, hugepages, run_dir, state_dir, log_level, file_prefix, mac_aging,
                                  memory_mb, socket_group, socket_mode, control_group, control_admin_group,
                                  metrics] = now;
    ChangedKeys restart;
    restart.compare("switch.cores", was.cores, cores);
    restart.compare("switch.hugepages", was.hugepages, hugepages);
    restart.compare("switch.run_dir", was.run_dir, run_dir);
    restart.compare("switch.state_dir", was.state_dir, state_dir);
    restart.compare("switch.file_prefix", was.file_prefix, file_prefix);
    restart.compare("switch.memory_mb", was.memory_mb, memory_mb);
    restart.compare("switch.socket_group", was.socket_group, socket_group);
    restart.compare("switch.socket_mode", was.socket_mode, socket_mode);
    restart.compare("switch.control_group", was.control_group, control_group);
    restart.compare("switch.control_admin_group", was.control_admin_group, control_admin_group);
    restart.compare("switch.metrics", was.metrics, metrics);
    if (restart.any()) plan.notes.push_back("changes to " + restart.list() + " take effect at restart");
    ChangedKeys in_place;
    in_place.compare("mac_aging", was.mac_aging, mac_aging);
    in_place.compare("log_level", was.log_level, log_level);
    if (in_place.any()) {
        plan.steps.push_back({Action::update_switch, ""});
        plan.changed.push_back("switch (" + in_place.list() + ")");
    }
}

struct UplinkChange {
    Change change = Change::none;
    ChangedKeys keys;
};

UplinkChange compare_uplinks(const UplinkConfig& was, const UplinkConfig& now) {
    [[maybe_unused]] const auto& [name, device, kernel, address, prefix_len, gateway, resolver, resolver_from_host,
                                  address6, prefix6_len, gateway6, resolver6, mtu, port_first, port_last, outbound,
                                  host_link_of, line] = now;
    UplinkChange c;
    // The DPDK port is made from these: a new one is needed.
    c.keys.compare("device", was.device, device);
    c.keys.compare("kernel", was.kernel, kernel);
    c.keys.compare("address", was.address, address);
    c.keys.compare("address", was.prefix_len, prefix_len);
    c.keys.compare("host_link", was.host_link_of, host_link_of);
    // IPv6 (NAT66): the TAP's host side has gateway6; sessions hold address6.
    c.keys.compare("address6", std::pair(was.address6, was.prefix6_len), std::pair(address6, prefix6_len));
    c.keys.compare("gateway6", was.gateway6, gateway6);
    const bool recreate = c.keys.any();
    // Outside ports now out of the range (and owned by other workers, whose
    // slices are cut from the range), or DNS sessions to the old resolver.
    c.keys.compare("ports", std::pair(was.port_first, was.port_last), std::pair(port_first, port_last));
    c.keys.compare("resolver", was.resolver, resolver);
    c.keys.compare("resolver", was.resolver_from_host, resolver_from_host);
    c.keys.compare("resolver6", was.resolver6, resolver6);
    const bool flush = c.keys.any();
    c.keys.compare("gateway", was.gateway, gateway);  // re-resolved; sessions kept
    c.keys.compare("kernel.outbound", was.outbound, outbound);  // the host's rules, sessions kept
    c.keys.compare("mtu", was.mtu, mtu);  // overlays' frame limit and the TAP's MTU, in place
    c.change = recreate ? Change::recreate
               : flush  ? Change::flush_sessions
               : c.keys.any() ? Change::in_place
                              : Change::none;
    return c;
}

struct NetworkChange {
    Change change = Change::none;   // of the network itself (never re-created)
    bool flush_sessions = false;
    bool recreate_host_interface = false;
    ChangedKeys keys;
};

// NAT settings that, changed, invalidate the network's sessions: their
// inside addresses, the gateway and dns they were made for, the uplinks
// they leave by (a host_uplink newly given carries no session yet).
bool nat_sessions_hold(const NetworkConfig& was, const NetworkConfig& now) {
    if (was.nat.has_value() != now.nat.has_value()) return false;
    if (!now.nat) return true;
    [[maybe_unused]] const auto& [nat_network, gateway, dns, uplink, port_forwards, port_forwards6, timeouts,
                                  max_sessions,
                                  max_sessions_per_guest, host_loopback, host_alias, host_uplink] = *now.nat;
    // port_forwards, timeouts and the caps apply to sessions in place.
    return was.subnet == now.subnet && was.subnet6 == now.subnet6 && was.nat->gateway == gateway && was.nat->dns == dns &&
           was.nat->uplink == uplink && (was.nat->host_uplink == host_uplink || was.nat->host_uplink.empty());
}

NetworkChange compare_networks(const NetworkConfig& was, const NetworkConfig& now) {
    [[maybe_unused]] const auto& [name, mode, subnet, subnet6, host_interface, dhcp, nat, overlay, max_macs, line] =
        now;
    NetworkChange c;
    c.keys.compare("mode", was.mode, mode);
    c.keys.compare("subnet", was.subnet, subnet);
    c.keys.compare("subnet6", was.subnet6, subnet6);  // announced from the next router advertisement
    c.keys.compare("host_interface", was.host_interface, host_interface);
    c.keys.compare("dhcp", was.dhcp, dhcp);
    if (was.nat && nat) {
        [[maybe_unused]] const auto& [nat_network, gateway, dns, uplink, port_forwards, port_forwards6, timeouts,
                                      max_sessions, max_sessions_per_guest, host_loopback, host_alias,
                                      host_uplink] = *nat;
        c.keys.compare("mode", was.nat->nat_network, nat_network);
        c.keys.compare("gateway", was.nat->gateway, gateway);
        c.keys.compare("dns", was.nat->dns, dns);
        c.keys.compare("uplink", was.nat->uplink, uplink);
        c.keys.compare("port_forwards", was.nat->port_forwards, port_forwards);
        c.keys.compare("port_forwards", was.nat->port_forwards6, port_forwards6);
        c.keys.compare("timeouts", was.nat->timeouts, timeouts);
        c.keys.compare("max_sessions", was.nat->max_sessions, max_sessions);
        c.keys.compare("max_sessions_per_guest", was.nat->max_sessions_per_guest, max_sessions_per_guest);
        // Live sessions to the host's loopback run out by their timeouts.
        c.keys.compare("host_loopback", was.nat->host_loopback, host_loopback);
        c.keys.compare("host_loopback", was.nat->host_alias, host_alias);
        c.keys.compare("host_uplink", was.nat->host_uplink, host_uplink);
    } else {
        c.keys.compare("nat", was.nat, nat);  // only with `mode`
    }
    // Remotes come and go in place: the others' MACs and the local traffic stay.
    c.keys.compare("overlay", was.overlay, overlay);
    c.keys.compare("max_macs", was.max_macs, max_macs);
    if (!c.keys.any()) return c;
    c.change = Change::in_place;
    c.flush_sessions = was.nat && !nat_sessions_hold(was, now);
    // The TAP port carries the host's addresses in the subnets.
    // (Its MAC comes from the overlay's uplink address when it has one.)
    const auto overlay_uplink = [](const std::optional<OverlayConfig>& o) { return o ? o->uplink : std::string(); };
    c.recreate_host_interface = was.host_interface && host_interface &&
                                (was.host_interface != host_interface || was.subnet != subnet || was.subnet6 != subnet6 ||
                                 overlay_uplink(was.overlay) != overlay_uplink(overlay));
    return c;
}

struct PortChange {
    Change change = Change::none;
    bool forget_macs = false;
    ChangedKeys keys;
};

PortChange compare_ports(const PortConfig& was, const PortConfig& now) {
    [[maybe_unused]] const auto& [name, network, socket, client, mac, max_macs, max_leases, queues, socket_group,
                                  socket_mode, line] = now;
    PortChange c;
    // The vhost-user endpoint: a new one is needed (the guest reconnects).
    c.keys.compare("socket", was.socket, socket);
    c.keys.compare("client", was.client, client);
    c.keys.compare("queues", was.queues, queues);
    const bool recreate = c.keys.any();
    // The MACs learned on the port were learned in that network, or under
    // that pinned MAC.
    c.keys.compare("network", was.network, network);
    c.keys.compare("mac", was.mac, mac);
    c.forget_macs = !recreate && c.keys.any();
    c.keys.compare("max_macs", was.max_macs, max_macs);
    c.keys.compare("max_leases", was.max_leases, max_leases);
    // The socket's owner group and mode are set again on the same socket.
    c.keys.compare("socket_group", was.socket_group, socket_group);
    c.keys.compare("socket_mode", was.socket_mode, socket_mode);
    c.change = recreate ? Change::recreate : c.keys.any() ? Change::in_place : Change::none;
    return c;
}

}  // namespace

const char* to_string(Action action) {
    switch (action) {
    case Action::update_switch: return "update_switch";
    case Action::remove_port: return "remove_port";
    case Action::remove_host_interface: return "remove_host_interface";
    case Action::remove_uplink: return "remove_uplink";
    case Action::remove_network: return "remove_network";
    case Action::create_uplink: return "create_uplink";
    case Action::update_uplink: return "update_uplink";
    case Action::create_network: return "create_network";
    case Action::update_network: return "update_network";
    case Action::create_host_interface: return "create_host_interface";
    case Action::flush_nat_sessions: return "flush_nat_sessions";
    case Action::create_port: return "create_port";
    case Action::update_port: return "update_port";
    case Action::forget_port_macs: return "forget_port_macs";
    }
    return "?";
}

bool Plan::has(Action action, const std::string& name) const {
    return std::find(steps.begin(), steps.end(), PlanStep{action, name}) != steps.end();
}

std::vector<std::string> Plan::names(Action action) const {
    std::vector<std::string> out;
    for (const PlanStep& s : steps)
        if (s.action == action) out.push_back(s.name);
    return out;
}

Plan diff(const Config& running, const Config& next) {
    Plan plan;
    note_restart_only(running.switch_config, next.switch_config, plan);

    // Decide every object's change first; the steps then go out phase by phase.
    std::map<std::string, PortChange> ports;
    std::map<std::string, UplinkChange> uplinks;
    std::map<std::string, NetworkChange> networks;
    for (const auto& [name, now] : next.ports)
        if (auto was = running.ports.find(name); was != running.ports.end())
            ports[name] = compare_ports(was->second, now);
    for (const auto& [name, now] : next.uplinks)
        if (auto was = running.uplinks.find(name); was != running.uplinks.end())
            uplinks[name] = compare_uplinks(was->second, now);
    for (const auto& [name, now] : next.networks)
        if (auto was = running.networks.find(name); was != running.networks.end())
            networks[name] = compare_networks(was->second, now);
    auto is = [](const auto& changes, const std::string& name, Change change) {
        auto it = changes.find(name);
        return it != changes.end() && it->second.change == change;
    };

    // Removals, unpublished together.
    for (const auto& [name, was] : running.ports) {
        if (!next.ports.count(name)) {
            plan.steps.push_back({Action::remove_port, name});
            plan.removed.push_back("port " + name);
        } else if (is(ports, name, Change::recreate)) {
            plan.steps.push_back({Action::remove_port, name});
        }
    }
    for (const auto& [name, was] : running.networks) {
        auto now = next.networks.find(name);
        if (now == next.networks.end() || !was.host_interface) continue;
        if (!now->second.host_interface || networks.at(name).recreate_host_interface)
            plan.steps.push_back({Action::remove_host_interface, name});
    }
    for (const auto& [name, was] : running.uplinks) {
        if (!next.uplinks.count(name)) {
            plan.steps.push_back({Action::remove_uplink, name});
            plan.removed.push_back("uplink " + name);
        } else if (is(uplinks, name, Change::recreate)) {
            plan.steps.push_back({Action::remove_uplink, name});
        }
    }
    for (const auto& [name, was] : running.networks) {
        if (next.networks.count(name)) continue;
        plan.steps.push_back({Action::remove_network, name});
        plan.removed.push_back("network " + name);
    }

    // Uplinks: new, re-created, or updated in place. A NAT network loses its
    // sessions when its uplink (or host_uplink) goes, is re-created, or
    // changes its port range or resolver.
    std::set<std::string> uplinks_flushing;
    for (const auto& [name, was] : running.uplinks)
        if (!next.uplinks.count(name)) uplinks_flushing.insert(name);
    for (const auto& [name, now] : next.uplinks) {
        auto c = uplinks.find(name);
        if (c == uplinks.end()) {
            plan.steps.push_back({Action::create_uplink, name});
            plan.added.push_back("uplink " + name);
            continue;
        }
        switch (c->second.change) {
        case Change::none: plan.unchanged.push_back("uplink " + name); break;
        case Change::recreate:
            plan.steps.push_back({Action::create_uplink, name});
            plan.changed.push_back("uplink " + name + " (" + c->second.keys.list() +
                                   ": re-created; sessions of its NAT networks flushed)");
            uplinks_flushing.insert(name);
            break;
        case Change::flush_sessions:
            plan.steps.push_back({Action::update_uplink, name});
            plan.changed.push_back("uplink " + name + " (" + c->second.keys.list() +
                                   ": sessions of its NAT networks flushed)");
            uplinks_flushing.insert(name);
            break;
        case Change::in_place:
            plan.steps.push_back({Action::update_uplink, name});
            plan.changed.push_back("uplink " + name + " (" + c->second.keys.list() + "; sessions kept)");
            break;
        }
    }

    // Networks: new or updated in place (a network is never re-created: its
    // id, service MAC and leases stay), then their host interfaces.
    std::vector<std::string> flush;
    for (const auto& [name, now] : next.networks) {
        auto c = networks.find(name);
        if (c == networks.end()) {
            plan.steps.push_back({Action::create_network, name});
            plan.added.push_back("network " + name);
            continue;
        }
        const NetworkConfig& was = running.networks.at(name);
        // Its sessions leave by its uplink, and those to the host by its host_uplink.
        const bool uplink_flushes =
            was.nat && (uplinks_flushing.count(was.nat->uplink) || uplinks_flushing.count(was.nat->host_uplink));
        if (c->second.change == Change::none) {
            plan.unchanged.push_back("network " + name);
        } else {
            plan.steps.push_back({Action::update_network, name});
            std::string what = c->second.flush_sessions ? ": NAT sessions flushed"
                               : was.nat && now.nat  ? "; sessions kept"
                                                     : "";
            plan.changed.push_back("network " + name + " (" + c->second.keys.list() + what + ")");
        }
        if (c->second.flush_sessions || uplink_flushes) flush.push_back(name);
    }
    for (const auto& [name, now] : next.networks) {
        if (!now.host_interface) continue;
        auto was = running.networks.find(name);
        if (was == running.networks.end() || !was->second.host_interface ||
            networks.at(name).recreate_host_interface)
            plan.steps.push_back({Action::create_host_interface, name});
    }
    for (const auto& name : flush) plan.steps.push_back({Action::flush_nat_sessions, name});

    // Ports: new, re-created, or updated in place.
    for (const auto& [name, now] : next.ports) {
        auto c = ports.find(name);
        if (c == ports.end()) {
            plan.steps.push_back({Action::create_port, name});
            plan.added.push_back("port " + name);
            continue;
        }
        switch (c->second.change) {
        case Change::none: plan.unchanged.push_back("port " + name); break;
        case Change::recreate:
            plan.steps.push_back({Action::create_port, name});
            plan.changed.push_back("port " + name + " (" + c->second.keys.list() + ": re-created)");
            break;
        case Change::flush_sessions:  // not a port's
        case Change::in_place:
            plan.steps.push_back({Action::update_port, name});
            if (c->second.forget_macs) plan.steps.push_back({Action::forget_port_macs, name});
            plan.changed.push_back("port " + name + " (" + c->second.keys.list() +
                                   (c->second.forget_macs ? ": learned MACs forgotten)" : ")"));
            break;
        }
    }
    return plan;
}

}  // namespace vsw
