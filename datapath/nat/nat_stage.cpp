// The NAT stage's main paths (see nat_stage.hpp): a burst goes through three
// steps, per-packet checks (prepare), one bulk session lookup for the packets
// that passed, then the translation (finish). ICMP errors and later fragments
// are in nat_stage_icmp_fragments.cpp.
#include "nat_stage.hpp"

#include <rte_mbuf.h>
#include <rte_prefetch.h>
#include <rte_ring.h>

#include <cstring>

#include "../frame.hpp"
#include "checksum.hpp"
#include "icmp_error.hpp"

namespace vsw {

namespace {

// 127.0.0.0/8 and 127.0.0.1, in network byte order (as the packet has them).
constexpr uint32_t kLoopbackNetBe = __builtin_bswap32(0x7f000000);
constexpr uint32_t kLoopbackMaskBe = __builtin_bswap32(0xff000000);
constexpr uint32_t kLoopbackHostBe = __builtin_bswap32(0x7f000001);

DropReason reason_for(nat::L4Parse r) {
    switch (r) {
        case nat::L4Parse::fragment: return DropReason::fragment;
        case nat::L4Parse::unsupported: return DropReason::nat_unsupported;
        default: return DropReason::malformed;
    }
}

// A guest with checksum offload may hand us a TCP/UDP checksum that covers
// only the pseudo-header (virtio "needs csum"): finish it before rewriting.
void complete_l4_checksum(rte_mbuf* m, uint8_t* f, const nat::L4View& v) {
    if ((m->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK) != RTE_MBUF_F_RX_L4_CKSUM_NONE) return;
    if (v.proto != nat::kProtoTcp && v.proto != nat::kProtoUdp) return;
    uint8_t* sum = f + v.l4 + (v.proto == nat::kProtoTcp ? 16 : 6);
    put16(sum, 0);
    put16(sum, ipv4_l4_checksum(f + v.l3, f + v.l4));
    m->ol_flags &= ~RTE_MBUF_F_RX_L4_CKSUM_MASK;
}

const ForwardRule* find_forward(const UplinkSlot& up, uint8_t proto, uint16_t host_port) {
    for (uint16_t i = 0; i < up.n_forwards; ++i)
        if (up.forwards[i].proto == proto && up.forwards[i].host_port == host_port) return &up.forwards[i];
    return nullptr;
}

// The shape both directions share. `prepare(m, p)` consumes a packet, queues
// it for the batched session lookup, or asks for it in order (fragments, ICMP
// errors, first fragments): then the batch before it is looked up first, so
// the packets of a flow leave in the order they came.
template <class Pending, class Prepare, class Lookup, class InOrder>
void run_steps(rte_mbuf** pkts, uint16_t n, Pending* pend, Prepare&& prepare, Lookup&& lookup, InOrder&& in_order) {
    uint16_t np = 0;
    for (uint16_t i = 0; i < n; ++i) {
        if (i + 1 < n) rte_prefetch0(rte_pktmbuf_mtod(pkts[i + 1], void*));
        Pending& p = pend[np];
        switch (prepare(pkts[i], p)) {
            case NatStep::done: break;
            case NatStep::lookup: ++np; break;
            case NatStep::in_order:
                lookup(pend, np);
                in_order(p);  // p is pend[np], not looked up
                np = 0;
                break;
        }
    }
    lookup(pend, np);
}

// A handoff ring holds packets of several receiving ports (mbuf->port):
// dequeues up to a burst and calls run(port, pkts, n) for each run of packets
// from one port, so each goes through the stage as one burst.
template <class Run>
uint16_t drain_by_port(rte_ring* ring, Run&& run) {
    if (ring == nullptr) return 0;
    rte_mbuf* pkts[kBurst];
    const unsigned n = rte_ring_sc_dequeue_burst(ring, reinterpret_cast<void**>(pkts), kBurst, nullptr);
    for (unsigned i = 0; i < n;) {
        const uint16_t port = pkts[i]->port;
        unsigned end = i + 1;
        while (end < n && pkts[end]->port == port) ++end;
        run(port, pkts + i, static_cast<uint16_t>(end - i));
        i = end;
    }
    return static_cast<uint16_t>(n);
}

}  // namespace

NatStage::NatStage(DatapathShared& shared, uint16_t worker, Exits& exits)
    : shared_(shared), ctr_(shared.counters[worker]), exits_(exits), index_(worker) {}

// The table is full (or the slice out of ports): before refusing a new
// session, retire expired ones that the background expiry has not reached
// yet (a bounded scan, so one packet never costs more than that).
bool NatStage::make_room(const Topology& topo, uint32_t now_s) {
    const unsigned n = table().expire_some(now_s, topo.nat_epoch, 256);
    ctr_.nat_sessions_expired.add(n);
    return n > 0;
}

bool NatStage::hand_off(rte_ring* ring, uint16_t in_port, rte_mbuf* m) {
    m->port = in_port;
    if (ring == nullptr || rte_ring_mp_enqueue(ring, m) != 0) {
        exits_.drop(m, in_port, DropReason::nat_handoff_full);
        return false;
    }
    ctr_.nat_handoffs.add(1);
    return true;
}

void NatStage::hand_to_port_owner(const Topology& topo, uint16_t in_port, rte_mbuf** pkts, uint16_t n) {
    rte_ring* ring = shared_.nat_in2out_rings[topo.ports[in_port].worker];
    for (uint16_t k = 0; k < n; ++k) hand_off(ring, in_port, pkts[k]);
}

int NatStage::forward_owner_elsewhere(const Topology& topo, uint16_t network, uint8_t proto, uint32_t ip,
                                      uint16_t port) const {
    if (topo.n_workers <= 1) return -1;
    const UplinkSlot& up = topo.uplinks[topo.networks[network].nat.uplink];
    const ForwardRule* r = up.forward_to(network, proto, ip, port);
    if (r == nullptr) return -1;
    const uint16_t owner = up.owner_of_port(r->host_port, topo.n_workers);
    return owner != index_ ? owner : -1;
}

void NatStage::send_to_uplink(const Topology& topo, const UplinkSlot& up, rte_mbuf* m) {
    uint8_t* f = rte_pktmbuf_mtod(m, uint8_t*);
    std::memcpy(f, up.gateway_mac.bytes.data(), 6);
    std::memcpy(f + 6, up.mac.bytes.data(), 6);
    exits_.enqueue_tx(topo, up.port, m);
}

unsigned NatStage::expire(const Topology& topo, uint32_t now_s, unsigned budget) {
    if (nat::FragmentTable* frags = shared_.fragment_tables[index_]) frags->sweep(now_s, budget);
    unsigned n = expire6(topo, now_s, budget / 4);  // NAT66 sessions are the fewer
    nat::NatTable* table = shared_.nat_tables[index_];
    if (table == nullptr || table->size() == 0) return n;
    const unsigned n4 = table->expire_some(now_s, topo.nat_epoch, budget);
    ctr_.nat_sessions_expired.add(n4);
    return n + n4;
}

// ---- uplink -> guest ----------------------------------------------------------------------------

void NatStage::from_uplink(const Topology& topo, uint16_t in_port, rte_mbuf** pkts, uint16_t n, uint32_t now_s,
                           ToGuests& out) {
    const Ctx c{topo, in_port, now_s, out};
    const uint8_t uplink = topo.ports[in_port].uplink;
    run_steps(
        pkts, n, out_pending_, [&](rte_mbuf* m, OutsidePending& p) { return out2in_prepare(c, uplink, m, p); },
        [&](OutsidePending* pend, uint16_t np) { out2in_lookup(c, uplink, pend, np); },
        [&](OutsidePending& p) { out2in_in_order(c, uplink, p); });
}

void NatStage::out2in_one(const Ctx& c, uint8_t uplink, rte_mbuf* m) {
    OutsidePending p;
    if (out2in_prepare(c, uplink, m, p) != NatStep::done) out2in_in_order(c, uplink, p);
}

NatStep NatStage::out2in_prepare(const Ctx& c, uint8_t uplink, rte_mbuf* m, OutsidePending& p) {
    const UplinkSlot& up = c.topo.uplinks[uplink];
    const uint8_t* f = rte_pktmbuf_mtod(m, const uint8_t*);
    if (rte_pktmbuf_data_len(m) < kEtherHdrLen) {
        exits_.drop(m, c.in_port, DropReason::runt);
        return NatStep::done;
    }
    const uint16_t type = load_be16(f + 12);
    if (type == kEtherTypeArp) {
        exits_.to_slow_path(m, c.in_port);  // ARP for our address, replies to our requests
        return NatStep::done;
    }
    if (type != kEtherTypeIpv4) {
        if (type == kEtherTypeIpv6)  // tested only here: no cost on the IPv4 path
            out2in_v6(c, uplink, m);
        else
            exits_.drop(m, c.in_port, DropReason::not_for_us);
        return NatStep::done;
    }
    p.m = m;
    nat::L4View& v = p.v;
    v = nat::L4View{};
    p.parsed = nat::parse_l4(f, rte_pktmbuf_data_len(m), v);
    if (p.parsed != nat::L4Parse::ok && p.parsed != nat::L4Parse::unsupported &&
        p.parsed != nat::L4Parse::fragment) {
        exits_.drop(m, c.in_port, reason_for(p.parsed));
        return NatStep::done;
    }
    if (v.dst_ip != up.address) {
        exits_.drop(m, c.in_port, DropReason::not_for_us);
        return NatStep::done;
    }
    if (p.parsed == nat::L4Parse::fragment) return NatStep::in_order;
    if (p.parsed == nat::L4Parse::unsupported) {
        if (v.proto == nat::kProtoIcmp && nat::is_icmp_error(v.icmp_type)) return NatStep::in_order;
        exits_.drop(m, c.in_port, DropReason::nat_unsupported);
        return NatStep::done;
    }
    if (v.proto == nat::kProtoIcmp && v.icmp_type == nat::kIcmpEchoRequest) {
        exits_.to_slow_path(m, c.in_port);  // ping to the uplink address: the control thread answers
        return NatStep::done;
    }
    const uint16_t owner = up.owner_of_port(__builtin_bswap16(v.dst_port), c.topo.n_workers);
    if (owner != index_) {
        const nat::FragmentKey frag_key{v.src_ip, v.dst_ip, v.ip_id, v.proto, 0, uplink};
        note_fragment_handoff(v, frag_key, owner, c.now_s);
        hand_off(shared_.nat_out2in_rings[owner], c.in_port, m);
        return NatStep::done;
    }
    const uint16_t remote_port = v.proto == nat::kProtoIcmp ? 0 : v.src_port;
    p.key = nat::OutsideKey{uplink, v.proto, 0, v.src_ip, v.dst_port, remote_port};
    // A first fragment records what its later fragments get: before them.
    return v.first_fragment ? NatStep::in_order : NatStep::lookup;
}

void NatStage::out2in_lookup(const Ctx& c, uint8_t uplink, OutsidePending* pend, uint16_t n) {
    if (n == 0) return;
    nat::NatTable& t = table();
    const nat::OutsideKey* keys[kBurst] = {};
    nat::Session* found[kBurst];
    for (uint16_t j = 0; j < n; ++j) keys[j] = &pend[j].key;
    t.find_outside_bulk(keys, n, found);
    // A packet before may have added or removed sessions (a port forward's
    // first packet, a stale one): then look again, one at a time.
    const uint64_t generation = t.generation();
    for (uint16_t j = 0; j < n; ++j)
        out2in_finish(c, uplink, pend[j], t.generation() == generation ? found[j] : t.find_outside(pend[j].key));
}

void NatStage::out2in_in_order(const Ctx& c, uint8_t uplink, OutsidePending& p) {
    if (p.parsed == nat::L4Parse::fragment)
        fragment_out2in(c, uplink, p.m, p.v);
    else if (p.parsed == nat::L4Parse::unsupported)
        icmp_error_out2in(c, uplink, p.m, p.v);
    else
        out2in_finish(c, uplink, p, table().find_outside(p.key));
}

void NatStage::out2in_finish(const Ctx& c, uint8_t uplink, OutsidePending& p, nat::Session* s) {
    const Topology& topo = c.topo;
    const UplinkSlot& up = topo.uplinks[uplink];
    nat::NatTable& t = table();
    rte_mbuf* m = p.m;
    uint8_t* f = rte_pktmbuf_mtod(m, uint8_t*);
    nat::L4View& v = p.v;
    const nat::FragmentKey frag_key{v.src_ip, v.dst_ip, v.ip_id, v.proto, 0, uplink};
    if (s != nullptr && s->epoch != topo.nat_epoch[s->in.network]) {
        t.remove(*s);
        s = nullptr;
    }
    if (s == nullptr) {
        const uint16_t dport = __builtin_bswap16(v.dst_port);
        const ForwardRule* rule = v.proto == nat::kProtoIcmp ? nullptr : find_forward(up, v.proto, dport);
        // Only a connection's first segment (SYN without ACK) opens a TCP
        // forward: a stray ACK or RST to the port finds no session.
        const bool opens = v.proto != nat::kProtoTcp || (v.tcp_flags & (nat::kTcpSyn | nat::kTcpAck)) == nat::kTcpSyn;
        if (rule == nullptr || !opens) {
            exits_.drop(m, c.in_port, DropReason::nat_no_session);
            return;
        }
        if (!rule->guest_mac_known) {
            exits_.drop(m, c.in_port, DropReason::neighbor_unresolved);
            return;
        }
        const nat::InsideKey in{rule->network, v.proto, 0, rule->guest_ip, v.src_ip, rule->guest_port,
                                p.key.remote_port};
        const NatNetworkInfo& target = topo.networks[rule->network].nat;
        auto create = [&] {
            if (t.size_of(rule->network) >= target.max_sessions) return nat::NatTable::Result::table_full;
            if (t.size_of_guest(rule->network, rule->guest_ip) >= target.max_sessions_per_guest)
                return nat::NatTable::Result::guest_limit;
            return t.create_forwarded(in, p.key, s);
        };
        auto r = create();
        if (r != nat::NatTable::Result::ok && make_room(topo, c.now_s)) r = create();
        if (r != nat::NatTable::Result::ok) {
            exits_.drop(m, c.in_port, r == nat::NatTable::Result::guest_limit ? DropReason::nat_guest_limit
                                                                              : DropReason::nat_table_full);
            return;
        }
        s->orig_dst_ip = v.src_ip;
        s->orig_dst_port = v.src_port;
        s->epoch = topo.nat_epoch[rule->network];
        std::memcpy(s->guest_mac, rule->guest_mac.bytes.data(), 6);
        ctr_.nat_sessions_created.add(1);
    }
    const NetworkSlot& net = topo.networks[s->in.network];
    if (!nat::decrement_ttl(f, v)) {
        exits_.drop(m, c.in_port, DropReason::ttl_exceeded);
        return;
    }
    t.touch(*s, v.tcp_flags, false, c.now_s, net.nat.timeouts);
    nat::rewrite_destination(f, v, s->in.in_ip, s->in.in_port);
    // Answers from the resolver appear to come from the network's DNS address.
    if (s->orig_dst_ip != s->in.remote_ip) nat::rewrite_source(f, v, s->orig_dst_ip, s->orig_dst_port);
    if (v.first_fragment) {
        nat::FragmentAction a;
        a.new_src_ip = v.src_ip;
        a.new_dst_ip = s->in.in_ip;
        a.network = s->in.network;
        std::memcpy(a.guest_mac, s->guest_mac, 6);
        fragments().remember(frag_key, a, c.now_s);
    }
    std::memcpy(f, s->guest_mac, 6);
    std::memcpy(f + 6, net.services.mac.bytes.data(), 6);
    ctr_.nat_out2in.add(1);
    c.out.add(m, s->in.network);
}

// ---- guest -> uplink ----------------------------------------------------------------------------

void NatStage::from_guest(const Topology& topo, uint16_t in_port, uint16_t network, rte_mbuf** pkts, uint16_t n,
                          uint32_t now_s, ToGuests& out) {
    const Ctx c{topo, in_port, now_s, out};
    run_steps(
        pkts, n, in_pending_, [&](rte_mbuf* m, InsidePending& p) { return in2out_prepare(c, network, m, p); },
        [&](InsidePending* pend, uint16_t np) { in2out_lookup(c, network, pend, np); },
        [&](InsidePending& p) { in2out_in_order(c, network, p); });
}

NatStep NatStage::in2out_prepare(const Ctx& c, uint16_t network, rte_mbuf* m, InsidePending& p) {
    const NatNetworkInfo& nn = c.topo.networks[network].nat;
    if (!nn.enabled || nn.uplink == kNoUplink || !c.topo.uplinks[nn.uplink].active) {
        exits_.drop(m, c.in_port, DropReason::uplink_down);
        return NatStep::done;
    }
    p.m = m;
    nat::L4View& v = p.v;
    v = nat::L4View{};
    p.parsed = nat::parse_l4(rte_pktmbuf_mtod(m, const uint8_t*), rte_pktmbuf_data_len(m), v);
    if (p.parsed != nat::L4Parse::ok) {
        // IPv6 is told apart only here, off the IPv4 path.
        if (p.parsed == nat::L4Parse::not_ipv4 && rte_pktmbuf_data_len(m) >= kEtherHdrLen &&
            load_be16(rte_pktmbuf_mtod(m, const uint8_t*) + 12) == kEtherTypeIpv6) {
            in2out_v6(c, network, m);
            return NatStep::done;
        }
        if (p.parsed == nat::L4Parse::fragment ||
            (p.parsed == nat::L4Parse::unsupported && v.proto == nat::kProtoIcmp && nat::is_icmp_error(v.icmp_type)))
            return NatStep::in_order;
        exits_.drop(m, c.in_port, reason_for(p.parsed));
        return NatStep::done;
    }
    if (v.proto == nat::kProtoIcmp && v.icmp_type != nat::kIcmpEchoRequest) {
        exits_.drop(m, c.in_port, DropReason::nat_unsupported);
        return NatStep::done;
    }
    // The host's loopback is reached only through host_loopback (a kernel
    // uplink may accept 127/8 from its TAP for it): a guest cannot address it.
    if ((v.dst_ip & kLoopbackMaskBe) == kLoopbackNetBe) {
        exits_.drop(m, c.in_port, DropReason::nat_unsupported);
        return NatStep::done;
    }
    // DNS to the network's resolver address goes to the uplink's resolver,
    // TCP/UDP to the host alias (host_loopback) to the host's 127.0.0.1.
    const bool dns = nn.has_dns && v.dst_ip == nn.dns && v.dst_port == __builtin_bswap16(53);
    const bool to_host = nn.host_loopback && v.dst_ip == nn.host_alias && v.proto != nat::kProtoIcmp;
    p.remote_ip = dns ? nn.resolver : to_host ? kLoopbackHostBe : v.dst_ip;
    // The host's loopback is behind the host uplink (a TAP), which is not
    // the network's own when that is a device (AF_XDP, a NIC).
    p.uplink = to_host ? nn.host_uplink : nn.uplink;  // the network's own was checked above
    if (to_host && (p.uplink == kNoUplink || !c.topo.uplinks[p.uplink].active)) {
        exits_.drop(m, c.in_port, DropReason::uplink_down);
        return NatStep::done;
    }
    const UplinkSlot& up = c.topo.uplinks[p.uplink];
    const uint16_t remote_port = v.proto == nat::kProtoIcmp ? 0 : v.dst_port;
    p.key = nat::InsideKey{network, v.proto, 0, v.src_ip, p.remote_ip, v.src_port, remote_port};
    // Hairpin (a guest reaching the uplink address) never leaves the switch,
    // so only traffic bound for the uplink needs its next hop resolved; and
    // nothing creates a session before it can be sent.
    p.hairpin = p.remote_ip == up.address;
    if (!p.hairpin && !up.gateway_resolved) {
        exits_.drop(m, c.in_port, DropReason::uplink_unresolved);
        return NatStep::done;
    }
    if (v.ttl <= 1) {
        // The gateway is a router hop: the control thread answers "time
        // exceeded", which is what makes a guest's traceroute show it. The
        // probe creates no session.
        ctr_.port[c.in_port].drops[static_cast<size_t>(DropReason::ttl_exceeded)].add(1);
        exits_.to_slow_path(m, c.in_port);
        return NatStep::done;
    }
    // A first fragment records what its later fragments get: before them.
    return v.first_fragment ? NatStep::in_order : NatStep::lookup;
}

void NatStage::in2out_lookup(const Ctx& c, uint16_t network, InsidePending* pend, uint16_t n) {
    if (n == 0) return;
    nat::NatTable& t = table();
    const nat::InsideKey* keys[kBurst] = {};
    nat::Session* found[kBurst];
    for (uint16_t j = 0; j < n; ++j) keys[j] = &pend[j].key;
    t.find_inside_bulk(keys, n, found);
    const nat::InsideKey* new_keys[kBurst] = {};
    uint16_t n_new = 0;
    for (uint16_t j = 0; j < n; ++j)
        if (found[j] == nullptr) new_keys[n_new++] = keys[j];
    if (n_new > 0) t.prepare_creations(new_keys, n_new, c.topo.networks[network].nat.uplink);
    // A packet before may have added or removed sessions (a new flow's first
    // packet, a stale one, a hairpin): then look again, one at a time.
    const uint64_t generation = t.generation();
    for (uint16_t j = 0; j < n; ++j)
        in2out_finish(c, network, pend[j], t.generation() == generation ? found[j] : t.find_inside(pend[j].key));
}

void NatStage::in2out_in_order(const Ctx& c, uint16_t network, InsidePending& p) {
    if (p.parsed == nat::L4Parse::fragment)
        fragment_in2out(c, network, p.m, p.v);
    else if (p.parsed == nat::L4Parse::unsupported)
        icmp_error_in2out(c, network, p.m, p.v);
    else
        in2out_finish(c, network, p, table().find_inside(p.key));
}

void NatStage::in2out_finish(const Ctx& c, uint16_t network, InsidePending& p, nat::Session* s) {
    const Topology& topo = c.topo;
    const NatNetworkInfo& nn = topo.networks[network].nat;
    nat::NatTable& t = table();
    rte_mbuf* m = p.m;
    uint8_t* f = rte_pktmbuf_mtod(m, uint8_t*);
    nat::L4View& v = p.v;
    const nat::FragmentKey frag_key{v.src_ip, v.dst_ip, v.ip_id, v.proto, 1, network};
    if (s != nullptr && s->epoch != topo.nat_epoch[network]) {
        t.remove(*s);
        s = nullptr;
    }
    if (s == nullptr) {
        // A guest answering on a forwarded connection: the forward's owner has the session.
        if (const int owner = forward_owner_elsewhere(topo, network, v.proto, v.src_ip, v.src_port); owner >= 0) {
            note_fragment_handoff(v, frag_key, static_cast<uint16_t>(owner), c.now_s);
            hand_off(shared_.nat_in2out_rings[owner], c.in_port, m);
            return;
        }
        auto create = [&] {
            if (t.size_of(network) >= nn.max_sessions) return nat::NatTable::Result::table_full;
            if (t.size_of_guest(network, p.key.in_ip) >= nn.max_sessions_per_guest)
                return nat::NatTable::Result::guest_limit;
            const UplinkSlot& via = topo.uplinks[p.uplink];
            return t.create_masquerade(p.key, p.uplink, via.slice[index_], via.reserved, via.n_reserved, s);
        };
        auto r = create();
        if (r != nat::NatTable::Result::ok && make_room(topo, c.now_s)) r = create();
        if (r != nat::NatTable::Result::ok) {
            exits_.drop(m, c.in_port,
                        r == nat::NatTable::Result::table_full    ? DropReason::nat_table_full
                        : r == nat::NatTable::Result::guest_limit ? DropReason::nat_guest_limit
                                                                  : DropReason::nat_ports_exhausted);
            return;
        }
        s->orig_dst_ip = v.dst_ip;
        s->orig_dst_port = v.dst_port;
        s->epoch = topo.nat_epoch[network];
        ctr_.nat_sessions_created.add(1);
    }
    // A session leaves by the uplink it was made on: a forward's through the
    // uplink its first packet came in by (the network's, or its host uplink).
    const uint8_t uplink = static_cast<uint8_t>(s->out.uplink);
    const UplinkSlot& up = topo.uplinks[uplink];
    if (uplink != p.uplink && (!up.active || !up.gateway_resolved)) {
        exits_.drop(m, c.in_port, up.active ? DropReason::uplink_unresolved : DropReason::uplink_down);
        return;
    }
    std::memcpy(s->guest_mac, f + 6, 6);
    nat::decrement_ttl(f, v);  // cannot fail: TTL > 1 was checked in prepare
    t.touch(*s, v.tcp_flags, true, c.now_s, nn.timeouts);
    complete_l4_checksum(m, f, v);
    nat::rewrite_source(f, v, up.address, s->out.out_port);
    if (p.remote_ip != v.dst_ip) nat::rewrite_destination(f, v, p.remote_ip, v.dst_port);
    if (v.first_fragment) {
        nat::FragmentAction a;
        a.new_src_ip = up.address;
        a.new_dst_ip = p.remote_ip;
        a.uplink = uplink;
        fragments().remember(frag_key, a, c.now_s);
    }
    ctr_.nat_in2out.add(1);
    if (p.hairpin) {
        // Hairpin: a guest reached the uplink address (a port forward, seen
        // from inside). The translated packet arrives "from outside" at once.
        out2in_one(Ctx{topo, up.port, c.now_s, c.out}, uplink, m);
        return;
    }
    send_to_uplink(topo, up, m);
}

// ---- handed over by other workers ---------------------------------------------------------------

uint16_t NatStage::drain_out2in(const Topology& topo, uint32_t now_s, ToGuests& out) {
    return drain_by_port(shared_.nat_out2in_rings[index_], [&](uint16_t port, rte_mbuf** pkts, uint16_t n) {
        const uint8_t uplink = port < kMaxPorts ? topo.ports[port].uplink : kNoUplink;
        if (uplink != kNoUplink) return from_uplink(topo, port, pkts, n, now_s, out);
        for (uint16_t k = 0; k < n; ++k) exits_.drop(pkts[k], port < kMaxPorts ? port : 0, DropReason::uplink_down);
    });
}

uint16_t NatStage::drain_in2out(const Topology& topo, uint32_t now_s, ToGuests& out) {
    return drain_by_port(shared_.nat_in2out_rings[index_], [&](uint16_t port, rte_mbuf** pkts, uint16_t n) {
        const uint16_t network = port < kMaxPorts ? topo.ports[port].network : kNoNetwork;
        if (network != kNoNetwork) return from_guest(topo, port, network, pkts, n, now_s, out);
        for (uint16_t k = 0; k < n; ++k) exits_.drop(pkts[k], port < kMaxPorts ? port : 0, DropReason::no_network);
    });
}

}  // namespace vsw
