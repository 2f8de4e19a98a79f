// The DHCP server of one network (RFC 2131/2132), a slow-path service of the
// control thread. Pure logic over byte buffers: no DPDK, no sockets, so it is
// unit-tested with hand-built frames.
//
// The datapath hands the control thread every IPv4/UDP frame to port 67 that
// enters a network with DHCP; handle_frame() answers it with a complete
// Ethernet frame (or nothing), sourced from the network's service MAC.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "../../../common/addr.hpp"
#include "../../config/config.hpp"
#include "dhcp_wire.hpp"

namespace vsw {

struct DhcpLease {
    Mac mac;
    Ipv4 ip;
    int64_t expires = 0;     // unix seconds; 0 for an offer not yet requested
    bool is_static = false;
    bool offered_only = false;  // OFFER sent, no REQUEST/ACK yet
    std::string hostname;    // option 12, if the client sent one
    std::string port;        // the switch port the client asked from ("" = unknown)
};

struct DhcpCounters {
    uint64_t discover = 0, offer = 0, request = 0, ack = 0, nak = 0, release = 0,
             decline = 0, inform = 0, malformed = 0, pool_exhausted = 0, ignored = 0,
             port_limit = 0,     // a new client on a port that holds max_leases already
             rate_limited = 0;   // over a port's DHCP message rate
};

// The switch port a DHCP message came in on, and what that port may take.
// One guest must not take the whole pool (DHCP starvation with random chaddr):
// a port holds at most `max_leases` leases and pending offers, and sends at
// most kDhcpMessagesPerSecond messages a second.
struct DhcpClientPort {
    std::string name;                      // "" = not tracked (unit tests, the host's interface)
    uint32_t max_leases = UINT32_MAX;
};
inline constexpr uint32_t kDhcpMessagesPerSecond = 20;

class DhcpServer {
public:
    // `lease_file`: where leases persist ("" = not persisted). Existing leases
    // are loaded from it, so a vswd restart hands each MAC the same address.
    DhcpServer(std::string network_name, Subnet subnet, DhcpConfig config, Mac server_mac,
               std::string lease_file);

    // Applies a new configuration (reload), keeping leases still valid in it.
    void reconfigure(Subnet subnet, DhcpConfig config);

    // Handles one Ethernet frame from a client (Ethernet/IPv4/UDP dst 67/BOOTP).
    // Returns the reply frame, or nothing when no reply is due. `now` is unix seconds.
    std::optional<std::vector<uint8_t>> handle_frame(std::span<const uint8_t> frame, int64_t now,
                                                     const DhcpClientPort& from = {});

    // Forgets expired leases and offers; saves the lease file if anything changed.
    void expire(int64_t now);

    std::vector<DhcpLease> leases() const;   // sorted by IP
    const DhcpCounters& counters() const { return counters_; }
    const std::string& network_name() const { return network_name_; }

private:
    // implementation-defined members
    using Request = dhcp::Request;  // a parsed client message (dhcp_wire.hpp)
    struct Entry {
        DhcpLease lease;
        int64_t offer_until = 0;    // offered_only: the reservation ends then
    };

    std::string network_name_;
    Subnet subnet_;
    DhcpConfig config_;
    Mac server_mac_;
    std::string lease_file_;
    std::map<uint32_t, Entry> by_ip_;      // key: ip.value; leases and pending offers
    std::map<uint32_t, int64_t> declined_; // ip.value -> unusable until (DHCPDECLINE)
    DhcpCounters counters_;
    bool exhaustion_logged_ = false;

    void load();
    void save() const;
    bool purge(int64_t now);               // true when a saved (dynamic, ACKed) lease went

    std::optional<Ipv4> static_for(const Mac& mac) const;
    bool is_static_ip(Ipv4 ip) const;
    bool dynamic_usable(Ipv4 ip) const;    // in subnet and range, not reserved
    bool available_for(const Mac& mac, Ipv4 ip, int64_t now) const;
    std::optional<Ipv4> choose_offer(const Request& rq, int64_t now) const;
    bool erase_mac_entries(const Mac& mac, std::optional<Ipv4> keep, bool offers_only);

    std::optional<std::vector<uint8_t>> dispatch(const Request& rq, int64_t now);
    bool admit(const Request& rq, int64_t now, const DhcpClientPort& from);  // the port's lease cap and rate
    struct PortRate {
        int64_t second = 0;
        uint32_t messages = 0;
    };
    std::map<std::string, PortRate> port_rate_;
    std::string current_port_;             // the port of the message being handled
    std::optional<std::vector<uint8_t>> on_discover(const Request& rq, int64_t now);
    std::optional<std::vector<uint8_t>> on_request(const Request& rq, int64_t now);
    std::optional<std::vector<uint8_t>> on_release(const Request& rq, int64_t now);
    std::optional<std::vector<uint8_t>> on_decline(const Request& rq, int64_t now);
    std::optional<std::vector<uint8_t>> on_inform(const Request& rq);
    std::vector<uint8_t> ack(const Request& rq, Ipv4 ip, int64_t now);
    std::vector<uint8_t> nak(const Request& rq);
    dhcp::ReplySettings settings() const { return {config_, subnet_, server_mac_}; }
};

}  // namespace vsw
