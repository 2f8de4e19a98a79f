// The NAT stage of a worker: guest -> uplink (masquerade, DNS forwarding,
// hairpin) and uplink -> guest (replies, port forwards), a burst at a time.
//
// It reaches the rest of the datapath only through Exits (transmit, drop,
// slow path) and through the frames it returns for guests (ToGuests), which
// the worker's switching stage delivers by destination MAC. Each worker owns
// a slice of each uplink's port range, so the worker that owns an inbound
// packet's session follows from its destination port; packets that arrive on
// another worker are handed over on a ring (drain_*).
#pragma once

#include <cstdint>

#include "../datapath_shared.hpp"
#include "../exits.hpp"
#include "fragments.hpp"
#include "l4.hpp"
#include "l4v6.hpp"
#include "nat_table.hpp"

struct rte_mbuf;

namespace vsw {

// Frames the NAT stage translated for guests, already addressed to the
// guest's MAC: the caller switches each inside its network. One input frame
// gives at most one of these, so a burst's worth fits.
struct ToGuests {
    rte_mbuf* pkts[kBurst];
    uint16_t networks[kBurst];
    uint16_t n = 0;
    void add(rte_mbuf* m, uint16_t network) {
        pkts[n] = m;
        networks[n++] = network;
    }
};

// What the NAT stage's per-packet checks decided (see run_steps in nat_stage.cpp).
enum class NatStep : uint8_t {
    done,      // consumed (dropped, slow path, handed off)
    lookup,    // needs its session: batched
    in_order,  // fragments, ICMP errors, first fragments: after the batch before it
};

class NatStage {
public:
    NatStage(DatapathShared& shared, uint16_t worker, Exits& exits);

    // A burst received on an uplink port (n <= kBurst).
    void from_uplink(const Topology& topo, uint16_t in_port, rte_mbuf** pkts, uint16_t n, uint32_t now_s,
                     ToGuests& out);
    // Frames a guest of NAT network `network` sent to its gateway MAC (n <= kBurst).
    void from_guest(const Topology& topo, uint16_t in_port, uint16_t network, rte_mbuf** pkts, uint16_t n,
                    uint32_t now_s, ToGuests& out);
    // Frames for NAT that a port's further queue brought to a worker other
    // than the port's own (multi-queue): the port's sessions live with its
    // own worker, whichever queue a flow's packets take, so they go there.
    void hand_to_port_owner(const Topology& topo, uint16_t in_port, rte_mbuf** pkts, uint16_t n);
    // Up to a burst of what other workers handed over, each ring processed
    // a run of same-port packets at a time. Return how many were taken.
    uint16_t drain_out2in(const Topology& topo, uint32_t now_s, ToGuests& out);
    uint16_t drain_in2out(const Topology& topo, uint32_t now_s, ToGuests& out);
    // Background expiry of sessions and fragment records (bounded).
    unsigned expire(const Topology& topo, uint32_t now_s, unsigned budget);

private:
    // One burst's fixed facts.
    struct Ctx {
        const Topology& topo;
        uint16_t in_port;
        uint32_t now_s;
        ToGuests& out;
    };
    struct InsidePending {  // guest -> uplink, between the steps
        rte_mbuf* m;
        nat::L4Parse parsed;
        nat::L4View v;
        nat::InsideKey key;
        uint32_t remote_ip;  // after DNS redirection
        uint8_t uplink;      // where a new session leaves: the network's uplink, or its host uplink
        bool hairpin;        // to the uplink address: never leaves the switch
    };
    struct OutsidePending {  // uplink -> guest, between the steps
        rte_mbuf* m;
        nat::L4Parse parsed;
        nat::L4View v;
        nat::OutsideKey key;
    };

    // guest -> uplink (nat_stage.cpp)
    NatStep in2out_prepare(const Ctx& c, uint16_t network, rte_mbuf* m, InsidePending& p);
    void in2out_lookup(const Ctx& c, uint16_t network, InsidePending* pend, uint16_t n);
    void in2out_in_order(const Ctx& c, uint16_t network, InsidePending& p);
    void in2out_finish(const Ctx& c, uint16_t network, InsidePending& p, nat::Session* s);
    // uplink -> guest (nat_stage.cpp)
    NatStep out2in_prepare(const Ctx& c, uint8_t uplink, rte_mbuf* m, OutsidePending& p);
    void out2in_lookup(const Ctx& c, uint8_t uplink, OutsidePending* pend, uint16_t n);
    void out2in_in_order(const Ctx& c, uint8_t uplink, OutsidePending& p);
    void out2in_finish(const Ctx& c, uint8_t uplink, OutsidePending& p, nat::Session* s);
    void out2in_one(const Ctx& c, uint8_t uplink, rte_mbuf* m);  // a hairpinned packet
    // NAT66, a packet at a time (nat_stage_v6.cpp)
    void in2out_v6(const Ctx& c, uint16_t network, rte_mbuf* m);
    void out2in_v6(const Ctx& c, uint8_t uplink, rte_mbuf* m);
    void icmp6_error_out2in(const Ctx& c, uint8_t uplink, rte_mbuf* m, nat::L4View6& v);
    bool out2in_forward6(const Ctx& c, uint8_t uplink, rte_mbuf* m, const nat::L4View6& v, nat::Session6*& s);
    unsigned expire6(const Topology& topo, uint32_t now_s, unsigned budget);
    // ICMP errors and later fragments (nat_stage_icmp_fragments.cpp)
    void icmp_error_out2in(const Ctx& c, uint8_t uplink, rte_mbuf* m, nat::L4View& v);
    void icmp_error_in2out(const Ctx& c, uint16_t network, rte_mbuf* m, nat::L4View& v);
    void fragment_in2out(const Ctx& c, uint16_t network, rte_mbuf* m, nat::L4View& v);
    void fragment_out2in(const Ctx& c, uint8_t uplink, rte_mbuf* m, nat::L4View& v);
    const nat::FragmentAction* later_fragment_action(const Ctx& c, const nat::FragmentKey& key, nat::L4View& v,
                                                     rte_mbuf* m, const std::array<rte_ring*, kMaxWorkers>& rings);
    void note_fragment_handoff(const nat::L4View& v, const nat::FragmentKey& key, uint16_t owner, uint32_t now_s);
    // shared helpers (nat_stage.cpp)
    bool hand_off(rte_ring* ring, uint16_t in_port, rte_mbuf* m);
    // A guest's packet from `ip`:`port` (network order) that no session here
    // knows: when it answers a forward whose sessions another worker owns,
    // that worker's index, else -1.
    int forward_owner_elsewhere(const Topology& topo, uint16_t network, uint8_t proto, uint32_t ip,
                                uint16_t port) const;
    bool make_room(const Topology& topo, uint32_t now_s);
    void send_to_uplink(const Topology& topo, const UplinkSlot& up, rte_mbuf* m);
    // This worker's tables (set by the control thread before it publishes a NAT network).
    nat::NatTable& table() { return *shared_.nat_tables[index_]; }
    nat::FragmentTable& fragments() { return *shared_.fragment_tables[index_]; }

    DatapathShared& shared_;
    WorkerCounters& ctr_;
    Exits& exits_;
    const uint16_t index_;
    // Per-burst state (members, so a burst does not construct them).
    InsidePending in_pending_[kBurst];
    OutsidePending out_pending_[kBurst];
};

}  // namespace vsw
