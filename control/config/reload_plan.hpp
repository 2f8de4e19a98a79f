// What a reload does, decided from the two configs alone.
//
// diff(running, next) is a pure function: it compares the configs field by
// field and returns a Plan, the list of steps Switch::apply() then carries
// out, and the summary lines the operator sees. Every field of every config
// struct is named in reload_plan.cpp (a structured binding per struct), so a
// new field does not compile until someone decides there what a change of it
// does: re-create the object, flush NAT sessions, or update it in place.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "config.hpp"

namespace vsw {

// In the order Switch::apply() runs them. The removals are unpublished
// together (one RCU publish), and only then destroyed.
enum class Action : uint8_t {
    update_switch,          // switch.mac_aging or switch.log_level
    remove_port,            // gone, or its vhost endpoint (socket, client) changed
    remove_host_interface,  // gone, or it changed (name, address, netns, the network's subnet)
    remove_uplink,          // gone, or its device changed (device, kernel, address, prefix_len)
    remove_network,         // gone (its host interface, FDB entries, NAT sessions with it)
    create_uplink,
    update_uplink,          // gateway, resolver, port range: in place
    create_network,
    update_network,         // mode, subnet, DHCP, NAT settings, max_macs: in place
    create_host_interface,
    flush_nat_sessions,     // the network's NAT sessions are no longer valid
    create_port,
    update_port,            // network, mac, max_macs, max_leases: in place
    forget_port_macs,       // the MACs learned on the port no longer hold (its network or pinned MAC changed)
};

const char* to_string(Action action);

struct PlanStep {
    Action action;
    std::string name;  // of the port, network or uplink; "" for the switch
    bool operator==(const PlanStep&) const = default;
};

struct Plan {
    std::vector<PlanStep> steps;  // in the order they run
    // For the operator: "port vm1", "uplink wan (port range: sessions of its
    // NAT networks flushed)", ... `unchanged` holds every port, network and
    // uplink left alone.
    std::vector<std::string> added, removed, changed, unchanged, notes;

    bool has(Action action, const std::string& name) const;
    std::vector<std::string> names(Action action) const;  // of the steps with this action
    bool empty() const { return steps.empty(); }
};

// `running` is the config the switch runs now (empty at start).
Plan diff(const Config& running, const Config& next);

}  // namespace vsw
