// Every reason the datapath drops a packet, in one list (an X-macro), so that
// counters, CLI output and telemetry all use the same names, and tests can
// assert the exact reason a packet was dropped for.
#pragma once

#include <cstdint>

namespace vsw {

#define VSW_DROP_REASONS(X)                                                                  \
    X(no_network, "the receiving port is not attached to a network")                          \
    X(runt, "frame shorter than an Ethernet header")                                          \
    X(bad_src_mac, "source MAC is multicast/broadcast or zero")                               \
    X(spoofed_src_mac, "source MAC differs from the port's pinned MAC")                       \
    X(same_port, "destination was learned on the receiving port")                             \
    X(no_destination, "flood with no other port up in the network")                           \
    X(port_down, "destination port has no connected guest/link")                              \
    X(tx_full, "destination port or its handoff ring was full")                               \
    X(slow_path_full, "the control thread's queue was full")                                  \
    X(malformed, "IPv4/IPv6/L4 header lengths or IHL inconsistent, truncated L4 header")     \
    X(fragment, "later IPv4 fragment whose first was not seen or timed out; IPv6 fragment")  \
    X(nat_unsupported, "protocol, ICMP type or IPv6 extension header NAT does not translate")\
    X(nat_no_session, "inbound packet matching no session or port forward")                   \
    X(nat_table_full, "no room for a new NAT session")                                        \
    X(nat_ports_exhausted, "no free outside port in this worker's slice")                     \
    X(ttl_exceeded, "TTL expired at the gateway")                                             \
    X(uplink_unresolved, "the uplink's next hop MAC is not resolved yet")                     \
    X(uplink_down, "the NAT network's uplink is missing or down")                             \
    X(not_for_us, "uplink frame not for the uplink's address")                                \
    X(neighbor_unresolved, "port-forward target's MAC is not known yet")                      \
    X(nat_handoff_full, "the owning worker's NAT ring was full")                              \
    X(mac_limit, "new source MAC over the port's or the network's max_macs")                 \
    X(slow_path_rate, "the port sent the control thread more than its fair share")            \
    X(nat_guest_limit, "the guest holds max_sessions_per_guest NAT sessions already")        \
    X(rogue_router, "an IPv6 router advertisement or redirect in a network vsw announces (subnet6)") \
    X(overlay_malformed, "VXLAN frame with inconsistent or truncated outer headers, or VXLAN's I flag clear") \
    X(overlay_fragment, "fragmented VXLAN frame (the outer IPv4 packet; vsw does not reassemble tunnels)") \
    X(overlay_unknown_vni, "VXLAN frame for a VNI that no network on the uplink has")                  \
    X(overlay_unknown_vtep, "VXLAN frame from an address that is not one of the network's remotes")     \
    X(overlay_too_big, "frame too big for the overlay: with VXLAN's 50 bytes over the uplink's MTU")   \
    X(vtep_unresolved, "the remote VTEP's next-hop MAC is not resolved yet")                            \
    X(overlay_split_horizon, "frame from a remote VTEP to a MAC behind a remote VTEP (never relayed)") \
    X(overlay_no_mbuf, "no free mbuf for a frame's copy to a remote VTEP")

enum class DropReason : uint8_t {
#define VSW_X(name, help) name,
    VSW_DROP_REASONS(VSW_X)
#undef VSW_X
        count
};

inline constexpr unsigned kDropReasonCount = static_cast<unsigned>(DropReason::count);

inline const char* drop_reason_name(DropReason r) {
    switch (r) {
#define VSW_X(name, help) \
    case DropReason::name: return #name;
        VSW_DROP_REASONS(VSW_X)
#undef VSW_X
        default: return "?";
    }
}

inline const char* drop_reason_help(DropReason r) {
    switch (r) {
#define VSW_X(name, help) \
    case DropReason::name: return help;
        VSW_DROP_REASONS(VSW_X)
#undef VSW_X
        default: return "?";
    }
}

}  // namespace vsw
