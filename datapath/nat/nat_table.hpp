// One worker's NAT state: sessions, endpoint-independent mappings (RFC 4787:
// one inside address:port keeps one outside port whatever it talks to), the
// worker's slice of each uplink's port range, and expiry.
//
// Only the owning worker touches its table, so the rte_hash tables need no
// concurrency support. Time is passed in (seconds), so tests inject a clock.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "../limits.hpp"
#include "guest_counts.hpp"
#include "l4.hpp"

struct rte_hash;

namespace vsw::nat {

using vsw::kMaxUplinks;  // datapath/limits.hpp

// Keys hold addresses and ports in network byte order, as in the packet.
// 8-byte aligned: rte_hash_crc reads keys 8 bytes at a time.
struct alignas(8) InsideKey {       // a guest's flow as seen inside
    uint16_t network;
    uint8_t proto;
    uint8_t pad = 0;
    uint32_t in_ip;
    uint32_t remote_ip;             // the real remote, after any destination rewrite
    uint16_t in_port;
    uint16_t remote_port;
};
static_assert(sizeof(InsideKey) == 16);

struct OutsideKey {                 // the same flow as seen on the uplink
    uint16_t uplink;
    uint8_t proto;
    uint8_t pad = 0;
    uint32_t remote_ip;
    uint16_t out_port;
    uint16_t remote_port;
};
static_assert(sizeof(OutsideKey) == 12);

enum class TcpState : uint8_t { none, syn_sent, established, closing, closed };

// One cache line: the stage prefetches a session's line before it needs
// it, and a second line would be a miss of its own per packet (measured: the
// 1M-flow NAT figure).
struct alignas(64) Session {
    InsideKey in;
    OutsideKey out;
    uint32_t orig_dst_ip;           // what the guest addressed (e.g. the network's DNS address)
    uint16_t orig_dst_port;
    uint8_t guest_mac[6];
    uint32_t epoch;                 // the network's NAT epoch when created (reload flushes)
    uint32_t last_seen;             // seconds
    uint32_t timeout;               // seconds, from the state
    TcpState tcp = TcpState::none;
    bool in_use = false;
    bool from_forward = false;      // created by an inbound port-forward, not masquerade
    uint32_t packets_in = 0, packets_out = 0;  // for vswctl sessions; wrap at 2^32
};
static_assert(sizeof(Session) == 64);

// The same for NAT66 (IPv6 guests masqueraded to the uplink's address6).
// Addresses in wire order. `guest` identifies the guest for the per-guest
// cap: a hash of its MAC, since a guest may use any number of addresses in
// its /64 (SLAAC, privacy addresses), so counting by address would cap nothing.
struct alignas(8) InsideKey6 {
    uint16_t network;
    uint8_t proto;
    uint8_t pad = 0;
    uint32_t guest;
    std::array<uint8_t, 16> in_ip;
    std::array<uint8_t, 16> remote_ip;
    uint16_t in_port;
    uint16_t remote_port;
    uint32_t pad2 = 0;
};
static_assert(sizeof(InsideKey6) == 48);

struct alignas(8) OutsideKey6 {
    uint16_t uplink;
    uint8_t proto;
    uint8_t pad = 0;
    uint16_t out_port;
    uint16_t remote_port;
    std::array<uint8_t, 16> remote_ip;
};
static_assert(sizeof(OutsideKey6) == 24);

// Two cache lines: NAT66 is not (yet) tuned like NAT44's one-line session.
struct alignas(64) Session6 {
    InsideKey6 in;
    OutsideKey6 out;
    std::array<uint8_t, 16> orig_dst_ip;  // what the guest addressed (the network's DNS address)
    uint8_t guest_mac[6];
    uint32_t epoch;
    uint32_t last_seen;
    uint32_t timeout;
    TcpState tcp = TcpState::none;
    bool in_use = false;
    bool from_forward = false;
    uint32_t packets_in = 0, packets_out = 0;
};

struct Timeouts {                    // seconds
    uint32_t tcp_established = 7440, tcp_transitory = 240, udp = 300, icmp = 60;
};

// The port range one worker may hand out on one uplink (host order, inclusive).
struct PortSlice {
    uint16_t first = 0, last = 0;
};

enum class NatResult : uint8_t { ok, table_full, ports_exhausted, guest_limit };

// What a table needs to know of its address family: the key types, the
// mapping key (endpoint-independent: the guest's address and port), the
// outside key a mapping's port gives, and the guest a session counts for.
struct Family4 {
    using InsideKey = nat::InsideKey;
    using OutsideKey = nat::OutsideKey;
    using Session = nat::Session;
    struct MapKey {
        uint16_t network;
        uint8_t proto;
        uint8_t pad = 0;
        uint32_t in_ip;
        uint16_t in_port;
        uint16_t uplink;
    };
    static_assert(sizeof(MapKey) == 12);
    static MapKey map_key(const InsideKey& in, uint16_t uplink) {
        return MapKey{in.network, in.proto, 0, in.in_ip, in.in_port, uplink};
    }
    static OutsideKey outside_key(const InsideKey& in, uint16_t uplink, uint16_t out_port_be) {
        return OutsideKey{uplink, in.proto, 0, in.remote_ip, out_port_be, in.remote_port};
    }
    static uint32_t guest(const InsideKey& in) { return in.in_ip; }
};

struct Family6 {
    using InsideKey = nat::InsideKey6;
    using OutsideKey = nat::OutsideKey6;
    using Session = nat::Session6;
    struct alignas(8) MapKey {
        uint16_t network;
        uint8_t proto;
        uint8_t pad = 0;
        uint16_t in_port;
        uint16_t uplink;
        std::array<uint8_t, 16> in_ip;
    };
    static_assert(sizeof(MapKey) == 24);
    static MapKey map_key(const InsideKey& in, uint16_t uplink) {
        return MapKey{in.network, in.proto, 0, in.in_port, uplink, in.in_ip};
    }
    static OutsideKey outside_key(const InsideKey& in, uint16_t uplink, uint16_t out_port_be) {
        return OutsideKey{uplink, in.proto, 0, out_port_be, in.remote_port, in.remote_ip};
    }
    static uint32_t guest(const InsideKey& in) { return in.guest; }
};

template <class F>
class BasicNatTable {
public:
    using InsideKey = typename F::InsideKey;
    using OutsideKey = typename F::OutsideKey;
    using Session = typename F::Session;
    using Result = NatResult;

    // `capacity`: sessions this worker can hold.
    static std::unique_ptr<BasicNatTable> create(const std::string& name, uint32_t capacity);
    ~BasicNatTable();

    Session* find_inside(const InsideKey& k);
    Session* find_outside(const OutsideKey& k);
    // The same for `n` keys at once (n <= kBurst): rte_hash's bulk lookup
    // overlaps the cache misses of a burst's buckets, and the sessions found
    // are prefetched. out[i] is null where keys[i] has no session.
    void find_inside_bulk(const InsideKey* const* keys, unsigned n, Session** out);
    void find_outside_bulk(const OutsideKey* const* keys, unsigned n, Session** out);
    // Before creating masquerade sessions for `n` inside keys that have none
    // (a burst's new flows): looks their mappings and would-be outside keys
    // up in bulk, so the buckets that the creations then search are in cache
    // (one at a time, each of those searches waits for its own cache misses).
    void prepare_creations(const InsideKey* const* keys, unsigned n, uint16_t uplink);
    // Changes whenever a session is added or removed: sessions found by a
    // bulk lookup are still the right ones while it has not changed.
    uint64_t generation() const { return generation_; }

    // A new masquerade session: reuses the mapping of (network, proto,
    // in_ip, in_port) or allocates an outside port from `slice`, skipping
    // ports in `reserved` (forwarded host ports; sorted host order).
    Result create_masquerade(const InsideKey& in, uint16_t uplink, PortSlice slice,
                             const uint16_t* reserved, unsigned n_reserved, Session*& out);
    // A new session for an inbound port forward: the outside port is fixed.
    // A session that already holds either key is replaced.
    Result create_forwarded(const InsideKey& in, const OutsideKey& out, Session*& s);

    void remove(Session& s);
    // Tracks TCP state and refreshes the session's idle timer.
    void touch(Session& s, uint8_t tcp_flags, bool from_inside, uint32_t now, const Timeouts& t);

    // Removes up to `budget` entries that expired (or whose network epoch
    // no longer matches `epoch_of[network]`); returns how many it removed.
    unsigned expire_some(uint32_t now, const uint32_t* epoch_of, unsigned budget);

    uint32_t size() const { return live_; }
    // Also read by the control thread (vswctl stats), hence atomic (one writer: relaxed).
    uint32_t size_of(uint16_t network) const {
        return network < kMaxNetworks ? live_in_network_[network].load(std::memory_order_relaxed) : 0;
    }
    // Sessions of one guest of a network (Family::guest: the inside address for IPv4).
    uint32_t size_of_guest(uint16_t network, uint32_t guest) const { return guests_->get(network, guest); }
    uint32_t capacity() const { return capacity_; }
    const Session* sessions() const { return sessions_.get(); }
    uint32_t slots() const { return slots_; }

private:
    using MapKey = typename F::MapKey;
    void add_live(uint16_t network, int delta);  // the one writer: this worker
    struct Mapping {
        uint16_t out_port = 0;
        uint32_t refs = 0;
    };

    BasicNatTable() = default;
    static int proto_index(uint8_t proto);
    // Adds a session under both keys; neither key may be in the table.
    Result insert(const InsideKey& in, const OutsideKey& out, Session*& s);
    bool port_used(uint16_t uplink, uint8_t proto, uint16_t port) const;
    void set_port(uint16_t uplink, uint8_t proto, uint16_t port, bool used);

    rte_hash* by_inside_ = nullptr;
    rte_hash* by_outside_ = nullptr;
    rte_hash* mappings_ = nullptr;
    std::unique_ptr<Session[]> sessions_;     // indexed by by_inside_ position
    std::unique_ptr<Mapping[]> mapping_data_; // indexed by mappings_ position
    std::vector<uint8_t> ports_used_;         // [uplink][proto index][port] bitmap (bytes)
    uint32_t capacity_ = 0, slots_ = 0, live_ = 0;
    uint32_t expire_cursor_ = 0;
    uint64_t generation_ = 0;
    std::array<std::atomic<uint32_t>, kMaxNetworks> live_in_network_{};
    std::unique_ptr<GuestCounts> guests_;
    uint32_t used_slots_ = 0;                 // 1 + the highest position ever used: where expiry wraps
    uint16_t alloc_cursor_[kMaxUplinks][3] = {};
};

// NAT44 (IPv4) and NAT66 (IPv6) tables: the same machinery, their own keys.
// Each has its own port bitmap, as their outside addresses differ.
using NatTable = BasicNatTable<Family4>;
using NatTable6 = BasicNatTable<Family6>;
extern template class BasicNatTable<Family4>;
extern template class BasicNatTable<Family6>;

}  // namespace vsw::nat
