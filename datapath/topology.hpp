// The datapath's view of the configuration: an immutable snapshot built by
// the control thread and published to the workers with RCU (see
// control/switch/switch.cpp). A worker loads the pointer once per round and never
// sees a half-built table; the control thread frees a snapshot only after
// every worker has passed a quiescent state.
#pragma once

#include <array>
#include <algorithm>
#include <cstdint>

#include "addr.hpp"
#include "frame.hpp"
#include "limits.hpp"
#include "nat/nat_table.hpp"
#include "overlay/vxlan.hpp"

struct rte_ring;

namespace vsw {

inline constexpr uint16_t kMaxForwards = 64;   // port forwards per uplink
inline constexpr uint8_t kNoUplink = 0xff;

struct PortSlot {             // indexed by DPDK port id
    bool active = false;
    uint8_t uplink = kNoUplink;  // this port is uplink N (then `network` is unused)
    uint16_t network = kNoNetwork;
    uint16_t worker = 0;      // the only thread that transmits on this port and polls its queue 0
    bool mac_pinned = false;
    Mac pinned_mac;
    rte_ring* tx_ring = nullptr;  // packets from other threads for this port (MP/SC)
};

// What a NAT network's worker path needs (addresses in network byte order).
struct NatNetworkInfo {
    bool enabled = false;
    uint8_t uplink = kNoUplink;
    uint32_t subnet = 0, mask = 0;
    uint32_t gateway = 0;
    bool has_dns = false;
    uint32_t dns = 0;             // the guests' resolver address: rewritten to `resolver`
    bool host_loopback = false;   // TCP/UDP to `host_alias` goes to the host's 127.0.0.1
    uint32_t host_alias = 0;      // the gateway (VirtualBox's NAT) or .2 (its NAT Network)
    uint8_t host_uplink = kNoUplink;  // the kernel uplink to the host: `uplink` itself, or another
    uint32_t resolver = 0;
    nat::Timeouts timeouts;
    uint32_t max_sessions = UINT32_MAX;  // this network's cap in each worker's table
    uint32_t max_sessions_per_guest = UINT32_MAX;  // one guest's cap in each worker's table
    // NAT66: the network has subnet6 and its uplink an address6, so guests'
    // IPv6 is masqueraded to that address (same caps and timeouts).
    bool nat66 = false;
    bool has_dns6 = false;        // DNS to dns6 (UDP/TCP 53) goes to the uplink's resolver6
    std::array<uint8_t, 16> dns6{}, resolver6{};
};

// An inbound port forward: uplink address:host_port -> guest_ip:guest_port.
struct ForwardRule {
    uint8_t proto = 0;
    uint16_t host_port = 0;       // host order
    uint16_t network = kNoNetwork;
    uint32_t guest_ip = 0;        // network order
    uint16_t guest_port = 0;      // network order
    bool guest_mac_known = false; // resolved by the control thread (DHCP lease, ARP)
    Mac guest_mac;
};

// The same for IPv6 (NAT66): uplink address6:host_port -> guest_ip:guest_port.
struct ForwardRule6 {
    uint8_t proto = 0;
    uint16_t host_port = 0;       // host order
    uint16_t network = kNoNetwork;
    std::array<uint8_t, 16> guest_ip{};
    uint16_t guest_port = 0;      // network order
    bool guest_mac_known = false; // resolved by the control thread (neighbour discovery)
    Mac guest_mac;
};

struct UplinkSlot {
    bool active = false;
    uint16_t port = 0;            // DPDK port id
    Mac mac;                      // our MAC on the uplink
    uint32_t address = 0;         // our outside address (network order)
    bool gateway_resolved = false;
    Mac gateway_mac;              // next hop for all outbound traffic
    nat::PortSlice slice[kMaxWorkers];  // each worker's masquerade ports
    uint16_t n_reserved = 0;
    uint16_t reserved[kMaxForwards + 1]{};  // forwarded host ports and VXLAN's, sorted (host order)
    uint16_t n_forwards = 0;
    ForwardRule forwards[kMaxForwards];
    // NAT66 (after the NAT44 fields, which keep their cache lines).
    bool has_address6 = false;    // NAT66: our outside IPv6 address (wire order)
    std::array<uint8_t, 16> address6{};
    bool gateway6_resolved = false;
    Mac gateway6_mac;             // IPv6 next hop (resolved by neighbour discovery)
    uint16_t n_forwards6 = 0;     // their host ports are in `reserved` too
    ForwardRule6 forwards6[kMaxForwards];
    // VXLAN: the networks whose overlay this uplink carries (its address is
    // their VTEP); UDP 4789 to the address is theirs, never NAT's.
    uint16_t n_overlays = 0;
    uint16_t overlay_networks[kMaxNetworks]{};

    const ForwardRule6* find_forward6(uint8_t proto, uint16_t host_port) const {
        for (uint16_t i = 0; i < n_forwards6; ++i)
            if (forwards6[i].proto == proto && forwards6[i].host_port == host_port) return &forwards6[i];
        return nullptr;
    }
    const ForwardRule6* forward6_to(uint16_t network, uint8_t proto, const std::array<uint8_t, 16>& ip,
                                    uint16_t port) const {
        for (uint16_t i = 0; i < n_forwards6; ++i) {
            const ForwardRule6& r = forwards6[i];
            if (r.network == network && r.proto == proto && r.guest_ip == ip && r.guest_port == port) return &r;
        }
        return nullptr;
    }

    // The forward whose target is `ip`:`port` (network order) in `network`:
    // a guest's packet that answers one of its connections.
    const ForwardRule* forward_to(uint16_t network, uint8_t proto, uint32_t ip, uint16_t port) const {
        for (uint16_t i = 0; i < n_forwards; ++i) {
            const ForwardRule& r = forwards[i];
            if (r.network == network && r.proto == proto && r.guest_ip == ip && r.guest_port == port) return &r;
        }
        return nullptr;
    }
    // The worker that holds the sessions on outside port `port_host` (host
    // order). A forwarded port belongs to the same worker on every uplink (a
    // forward on the host's addresses is reached through the network's
    // uplink and through its host uplink, whose slices differ); a masquerade
    // port to the worker whose slice holds it; any other port to worker 0.
    uint16_t owner_of_port(uint16_t port_host, uint16_t n_workers) const {
        if (n_workers <= 1) return 0;
        if (std::binary_search(reserved, reserved + n_reserved, port_host)) return port_host % n_workers;
        for (uint16_t w = 0; w < n_workers; ++w)
            if (port_host >= slice[w].first && port_host <= slice[w].last) return w;
        return 0;
    }
};

// The FDB "port" of a MAC learned behind remote VTEP `vtep` of an overlay
// network (FdbKey has the network): above every DPDK port id, so a worker
// tells the two apart with one compare.
inline constexpr uint16_t kVtepPortBase = 0x100;
inline constexpr uint16_t vtep_port(uint16_t vtep) { return static_cast<uint16_t>(kVtepPortBase + vtep); }
inline constexpr bool is_vtep_port(uint16_t port) { return port >= kVtepPortBase && port < kVtepPortBase + kMaxVteps; }

// A remote host of an overlay network (networks.X.overlay.remotes).
struct VtepSlot {
    bool active = false;
    bool resolved = false;        // the next hop's MAC is known: `outer` is complete
    uint32_t ip = 0;              // network order
    overlay::OuterTemplate outer{};  // the outer headers of every frame to it (overlay/vxlan.hpp)
};

// A network stretched over VXLAN to other hosts. VTEP ids are stable while
// the remote stays configured (the FDB holds them), so a reload that adds
// or removes remotes leaves the others and the local traffic alone.
struct OverlaySlot {
    bool enabled = false;
    uint8_t uplink = kNoUplink;   // carries the tunnel; its address is our VTEP
    uint32_t vni = 0;
    uint32_t max_inner = 0;       // the largest inner frame (Ethernet header included) the uplink's MTU takes
    uint16_t n_vteps = 0;         // ids below this may be active
    VtepSlot vteps[kMaxVteps];

    // The id of the remote VTEP at `ip` (network order), or -1.
    int vtep_of(uint32_t ip) const {
        for (uint16_t i = 0; i < n_vteps; ++i)
            if (vteps[i].active && vteps[i].ip == ip) return i;
        return -1;
    }
};

struct NetworkSlot {
    bool active = false;
    ServiceAddresses services;
    NatNetworkInfo nat;
    uint16_t n_ports = 0;
    uint16_t ports[kMaxPorts]{};  // flood list
};

// The worker that polls queue `queue` of a port whose own worker is
// `port_worker`: queue 0 the port's worker, the further queues round the
// workers after it (with as many workers as queues, one worker each).
inline uint16_t queue_worker(uint16_t port_worker, uint16_t queue, uint16_t n_workers) {
    return static_cast<uint16_t>((port_worker + queue) % n_workers);
}

// A receive queue other than a port's queue 0 (multi-queue vhost-user ports).
struct RxQueue {
    uint16_t port = 0;
    uint16_t queue = 0;
};

struct WorkerSlot {
    uint16_t n_ports = 0;
    uint16_t ports[kMaxPorts]{};  // ports this worker owns: it polls their queue 0 and transmits
    uint16_t n_extra_rx = 0;
    RxQueue extra_rx[kMaxPorts * (kMaxQueues - 1)]{};  // further queues it polls, of any port
};

struct Topology {
    uint64_t generation = 0;
    std::array<PortSlot, kMaxPorts> ports{};
    std::array<NetworkSlot, kMaxNetworks> networks{};
    std::array<WorkerSlot, kMaxWorkers> workers{};
    std::array<UplinkSlot, nat::kMaxUplinks> uplinks{};
    std::array<OverlaySlot, kMaxNetworks> overlays{};  // by network id
    uint32_t nat_epoch[kMaxNetworks]{};   // bumped when a NAT network changes: its sessions go
    uint16_t n_workers = 1;
};

}  // namespace vsw
