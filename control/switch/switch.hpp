// The control plane's model of the running switch. It owns the DPDK ports,
// the FDB, the rings between workers and the control thread and the slow-path
// services, and publishes Topology snapshots to the workers with RCU.
//
// All methods run on the control thread, except the telemetry callbacks,
// which only read counters and the port-name table under names_mutex_.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <tl/expected.hpp>

#include "../../datapath/fdb.hpp"
#include "loopback_forwards.hpp"
#include "../../datapath/topology.hpp"
#include "../../datapath/worker.hpp"
#include "../config/config.hpp"
#include "dpdk_handles.hpp"
#include "../services/dhcp/dhcp_server.hpp"
#include "mac_budget.hpp"
#include "../config/reload_plan.hpp"
#include "topology_builder.hpp"
#include "../services/router_advert.hpp"

struct rte_mempool;
struct rte_ring;
struct rte_rcu_qsbr;

namespace vsw {

class XdpSteering;
class XdpInterfaceClaim;
class EvpnMirror;

// What a reload changed, for logs and the CLI.
struct ApplySummary {
    std::vector<std::string> added, removed, changed, unchanged, errors, notes;
    // `what` ("port vm1") did not come up: its line moves to the errors.
    void failed(const std::string& what, const std::string& error);
    nlohmann::json to_json() const;
    std::string to_string() const;
};

class Switch {
public:
    // Creates the mempool, rings, RCU variable and FDB for `n_workers` workers.
    // `nat_capacity`, `nat6_capacity`: NAT44 and NAT66 sessions each worker
    // can hold (fixed until restart).
    static tl::expected<std::unique_ptr<Switch>, std::string> create(const SwitchConfig& sw,
                                                                     unsigned n_workers,
                                                                     uint32_t nat_capacity,
                                                                     uint32_t nat6_capacity);
    ~Switch();  // removes every port (sockets, host interfaces) it created
    Switch(const Switch&) = delete;
    Switch& operator=(const Switch&) = delete;

    DatapathShared& shared() { return *shared_; }

    // Brings the running switch to `next`: carries out diff(running, next),
    // so only what differs is touched.
    ApplySummary apply(const Config& next);
    // A forward of `next` on the host's addresses (host_ip 127.0.0.1 or none,
    // kernel uplinks) whose port another program holds there: what to tell
    // the user. Checked before apply, so the running forwards stay.
    std::optional<std::string> host_port_conflict(const Config& next) const;

    // Control-thread duties: call poll_slow_path() often (every ms), and
    // periodic() a few times a second.
    void poll_slow_path();
    void periodic();

    // Read-only views for vswctl and telemetry.
    nlohmann::json show() const;
    nlohmann::json stats() const;
    nlohmann::json fdb() const;
    nlohmann::json leases() const;
    // NAT sessions (a diagnostic snapshot): those matching `filter`, at most
    // filter.limit of them, and how many matched in all.
    struct SessionFilter {
        std::string network;             // "" = every network
        std::optional<Ipv4> guest;       // the inside address
        std::optional<uint8_t> proto;    // 6, 17 or 1
        size_t limit = kDefaultSessionLimit;
    };
    static constexpr size_t kDefaultSessionLimit = 4096;
    static constexpr size_t kMaxSessionLimit = 65536;  // a reply is never larger
    nlohmann::json sessions(const SessionFilter& filter, size_t* matched) const;
    nlohmann::json port_counters_json(bool only_nonzero_drops) const;  // thread-safe
    std::set<std::string> connected_ports() const;  // ports whose guest is attached (link up)

private:
    struct NetworkState {
        NetworkConfig cfg;
        uint16_t id = 0;
        Mac service_mac;
        std::unique_ptr<DhcpServer> dhcp;
        std::optional<uint16_t> host_port;   // the TAP port of a host-only network
        MbufRing host_tx_ring;
        uint64_t last_ra_tsc = 0;            // subnet6: when the last unsolicited RA went out
        // Earlier subnet6 prefixes a reload replaced, announced as withdrawn
        // until the TSC given (2 hours: as long as hosts may keep them).
        std::vector<std::pair<Subnet6, uint64_t>> withdrawn6;
        RouterAdvertSettings router_advert() const;
        std::optional<Ipv6> dns6;            // nat_dns6(): set whenever the network is (re)configured
        // subnet6: vsw's own IPv6 addresses here (ServiceAddresses::link_local6, gateway6).
        std::vector<Ipv6> own_addresses6() const;
        // overlay: each remote's VTEP id (its FDB port is vtep_port(id)), by
        // IPv4 (host order); an id stays while its remote is configured.
        std::map<uint32_t, uint16_t> vtep_ids;
        // overlay.evpn: the kernel mirror FRR reads and writes, the remotes
        // its type-3 routes gave (host order) and the remote MACs its type-2
        // routes put in the FDB (with their VTEP).
        std::shared_ptr<EvpnMirror> evpn;
        std::set<uint32_t> evpn_remotes;
        std::map<Mac, uint32_t> evpn_macs;
        std::string evpn_error;              // the last error of its mirror (logged when it changes)
    };
    struct UplinkState {
        UplinkConfig cfg;
        uint8_t id = 0;
        uint16_t port_id = 0;
        uint16_t worker = 0;
        MbufRing tx_ring;
        Mac mac;                      // our MAC on the uplink
        bool gateway_resolved = false;
        Mac gateway_mac;
        bool gateway6_resolved = false;   // NAT66 (address6): gateway6's MAC, by neighbour discovery
        Mac gateway6_mac;
        uint64_t last_arp_tsc = 0;
        std::shared_ptr<const XdpSteering> xdp;  // AF_XDP: vsw's XDP program's maps
        std::shared_ptr<const XdpInterfaceClaim> xdp_claim;  // AF_XDP: our hold on the interface
        bool route_localnet = false;  // kernel uplink: its TAP takes 127/8 (host_loopback, 127.0.0.1 forwards)
        std::string loopback_script;  // kernel uplink: the nft script last applied (127.0.0.1 forwards, outbound)
        std::optional<bool> ip_forward_before;  // kernel.outbound: ip_forward turned on by us; what it was
        std::vector<LoopbackForward> host_forwards;  // kernel uplink: forwards on the host's addresses, applied
        std::map<uint32_t, Mac> neighbors;   // on-link remote VTEPs' MACs, by IPv4 (host order), from ARP
        uint64_t last_vtep_arp_tsc = 0;
    };
    struct PortState {
        PortConfig cfg;
        uint16_t port_id = 0;
        uint16_t worker = 0;
        MbufRing tx_ring;
        bool link_up = false;
    };

    Switch() = default;

    Config running_config() const;
    TopologyModel topology_model() const;
    void unpublish_and_destroy(const Plan& plan);
    tl::expected<void, std::pair<std::string, std::string>> carry_out(const PlanStep& step, const Config& next);
    void configure_network(NetworkState& st, const NetworkConfig& cfg);
    void remove_port(PortState& port);  // its DPDK port and learned MACs; the ring goes with `port`
    void remove_host_interface(NetworkState& net);
    tl::expected<void, std::string> add_uplink(const UplinkConfig& cfg);
    void remove_uplink(UplinkState& uplink);  // its DPDK port; the ring goes with `uplink`
    void sync_host_loopback();  // route_localnet on kernel uplinks whose networks have host_loopback
    void sync_outbound_forwarding(UplinkState& up, bool wanted);  // kernel.outbound: ip_forward
    void update_xdp_steering();       // uplink address, ports, forwards -> XDP maps
    bool handle_uplink_frame6(UplinkState& up, std::span<const uint8_t> frame);
    void handle_uplink_frame(UplinkState& up, std::span<const uint8_t> frame);
    void resolve_neighbors();         // ARP for uplink next hops and port-forward targets
    void send_router_adverts();       // subnet6: unsolicited RAs to every guest port, every 30 s
    void learn_neighbor6(uint16_t network, const Ipv6& ip, const Mac& mac);
    void learn_neighbor(uint16_t network, Ipv4 ip, const Mac& mac);
    // VXLAN overlays (switch_overlay.cpp).
    void assign_vteps(NetworkState& st, const NetworkConfig& cfg);  // ids for new remotes; gone ones' MACs flushed
    bool learn_vtep_neighbor(UplinkState& up, Ipv4 ip, const Mac& mac);  // false: not a remote VTEP here
    void resolve_remote_vteps();      // ARP for on-link remote VTEPs
    std::vector<Ipv4> onlink_remotes(const UplinkState& up) const;
    nlohmann::json overlay_view(const NetworkState& net) const;
    std::string vtep_name(uint16_t network, uint16_t port) const;  // "vtep:198.51.100.20"
    void sync_mtus();                 // kernel uplinks' TAPs: uplinks.X.mtu; overlay host interfaces: 50 less
    bool learn_event_current(const LearnEvent& ev) const;
    void sync_evpn_mirror(NetworkState& st, const NetworkConfig& cfg);  // made, moved or removed with the config
    void sync_evpn();                 // every second: local MACs to FRR, its remotes and MACs to vsw
    uint64_t last_evpn_tsc_ = 0;
    uint64_t evpn_syncs_ = 0;
    UplinkState* uplink_of_port(uint16_t port_id);
    tl::expected<void, std::string> add_port(const PortConfig& cfg);
    tl::expected<void, std::string> add_host_interface(NetworkState& net);
    tl::expected<MbufRing, std::string> make_tx_ring(uint16_t port_id);
    uint16_t least_loaded_worker() const;
    uint16_t free_network_id() const;
    void publish();
    void flush_fdb_port(uint16_t port_id);
    void learn_mac(const FdbKey& key, uint16_t port, uint64_t now_tsc);  // within the MAC budgets
    void update_mac_budget();       // limits from the model, counts from the FDB, flags to the workers
    void sync_macs_full();
    void reset_port_counters(uint16_t port_id);
    void refresh_port_names();
    void handle_slow_path_frame(uint16_t in_port, std::span<const uint8_t> frame);
    void log_exhaustion();
    void inject(uint16_t port_id, std::span<const uint8_t> frame);
    const NetworkState* network_of_port(uint16_t port_id) const;
    std::string port_name(uint16_t port_id) const;

    // Declared in the order they are made: destroyed in reverse, the pool last.
    Mempool pool_;
    Qsbr qsbr_;
    std::unique_ptr<DatapathShared> shared_;
    unsigned n_workers_ = 0;
    MbufRing slow_path_ring_;
    Ring learn_ring_;
    std::vector<MbufRing> nat_handoff_rings_;  // both directions of every worker
    std::unique_ptr<Fdb> fdb_;
    MacBudget mac_budget_;
    std::array<uint64_t, kMaxPorts> macs_refused_{};  // learn events refused by the budget, per port
    std::array<bool, kMaxPorts> macs_full_logged_{};
    std::unique_ptr<Topology> topology_;   // the snapshot workers see now
    uint64_t generation_ = 0;

    SwitchConfig sw_;
    std::string source_file_;
    std::map<std::string, NetworkState> networks_;
    std::map<std::string, PortState> ports_;
    std::map<std::string, UplinkState> uplinks_;
    std::map<uint16_t, std::map<uint32_t, Mac>> neighbors_;  // network id -> guest IP -> MAC
    std::map<uint16_t, std::map<Ipv6, Mac>> neighbors6_;     // the same for IPv6 (forward targets)
    uint32_t nat_epoch_[kMaxNetworks] = {};
    std::vector<std::unique_ptr<nat::NatTable>> nat_tables_;
    std::vector<std::unique_ptr<nat::NatTable6>> nat6_tables_;
    std::vector<std::unique_ptr<nat::FragmentTable>> fragment_tables_;
    bool republish_ = false;          // the slow path learned something workers need

    uint64_t last_age_tsc_ = 0;
    bool fdb_full_logged_ = false;
    uint64_t slow_path_unhandled_ = 0;
    uint64_t inject_failed_ = 0;
    uint64_t fdb_full_ = 0;
    struct ExhaustionLog {
        uint64_t last_total = 0;
        uint64_t last_change_s = 0;
        bool logged = false;
    };
    static constexpr DropReason kWatchedDrops[] = {
        DropReason::nat_table_full, DropReason::nat_ports_exhausted, DropReason::nat_handoff_full,
        DropReason::slow_path_full, DropReason::mac_limit,           DropReason::slow_path_rate,
        DropReason::nat_guest_limit};
    ExhaustionLog exhaustion_[std::size(kWatchedDrops)];  // per watched drop reason (log_exhaustion)

    mutable std::mutex names_mutex_;                 // guards port_names_ for telemetry
    std::array<std::string, kMaxPorts> port_names_;  // by port id; "" = unused
    struct QueueLayout {
        uint16_t n_queues = 1;
        uint16_t worker = 0;                         // queue q is polled by (worker + q) % n_workers
    };
    std::array<QueueLayout, kMaxPorts> port_queues_; // by port id, for the per-queue counters
};

// A stable, locally administered MAC for a network's virtual services.
Mac service_mac_for(const std::string& network_name);

}  // namespace vsw
