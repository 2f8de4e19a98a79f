// The worker's NAT stages for the packets that need more than a lookup and a
// rewrite: ICMP errors (the embedded packet is translated too) and later IPv4
// fragments (virtual reassembly: they get their first fragment's rewrite).
// The main paths are in nat_stage.cpp.
#include <rte_mbuf.h>

#include <cstring>

#include "../worker.hpp"
#include "icmp_error.hpp"

namespace vsw {

// An ICMP error from outside about a packet a guest sent: the embedded
// packet is our translated one (source = uplink address:outside port), so the
// session is found by it, and both it and the outer destination go back to
// what the guest knows.
void Worker::nat_icmp_error_out2in(const Topology& topo, uint16_t in_port, uint8_t uplink, rte_mbuf* m,
                                   nat::L4View& v) {
    const UplinkSlot& up = topo.uplinks[uplink];
    uint8_t* f = rte_pktmbuf_mtod(m, uint8_t*);
    nat::EmbeddedView e;
    if (const auto r = nat::parse_icmp_error(f, rte_pktmbuf_data_len(m), v, e); r != nat::L4Parse::ok) {
        drop(m, in_port, r == nat::L4Parse::unsupported ? DropReason::nat_unsupported : DropReason::malformed);
        return;
    }
    if (e.src_ip != up.address) {
        drop(m, in_port, DropReason::nat_no_session);
        return;
    }
    const uint16_t owner = up.owner_of_port(__builtin_bswap16(e.src_port), topo.n_workers);
    if (owner != index_) {
        hand_off(shared_.nat_out2in_rings[owner], in_port, m);
        return;
    }
    const uint16_t remote_port = e.proto == nat::kProtoIcmp ? 0 : e.dst_port;
    const nat::OutsideKey key{uplink, e.proto, 0, e.dst_ip, e.src_port, remote_port};
    nat::Session* s = shared_.nat_tables[index_]->find_outside(key);
    if (s == nullptr || s->epoch != topo.nat_epoch[s->in.network]) {
        drop(m, in_port, DropReason::nat_no_session);
        return;
    }
    if (!nat::decrement_ttl(f, v)) {
        drop(m, in_port, DropReason::ttl_exceeded);
        return;
    }
    nat::rewrite_embedded(f, v, e, true, s->in.in_ip, s->in.in_port);
    if (s->orig_dst_ip != s->in.remote_ip)
        nat::rewrite_embedded(f, v, e, false, s->orig_dst_ip, s->orig_dst_port);
    nat::rewrite_outer_ip(f, v, false, s->in.in_ip);
    const NetworkSlot& net = topo.networks[s->in.network];
    std::memcpy(f, s->guest_mac, 6);
    std::memcpy(f + 6, net.services.mac.bytes.data(), 6);
    ctr_.nat_icmp_errors.add(1);
    switch_to_mac(topo, s->in.network, s->guest_mac, m);
}

// An ICMP error a guest sends about a packet it received through NAT (e.g.
// port unreachable for a forwarded UDP port): the embedded packet's
// destination is the guest, which outside knows as the uplink address.
void Worker::nat_icmp_error_in2out(const Topology& topo, uint16_t in_port, uint16_t network, rte_mbuf* m,
                                   nat::L4View& v) {
    const NatNetworkInfo& nn = topo.networks[network].nat;
    const UplinkSlot& up = topo.uplinks[nn.uplink];
    uint8_t* f = rte_pktmbuf_mtod(m, uint8_t*);
    nat::EmbeddedView e;
    if (const auto r = nat::parse_icmp_error(f, rte_pktmbuf_data_len(m), v, e); r != nat::L4Parse::ok) {
        drop(m, in_port, r == nat::L4Parse::unsupported ? DropReason::nat_unsupported : DropReason::malformed);
        return;
    }
    const uint16_t remote_port = e.proto == nat::kProtoIcmp ? 0 : e.src_port;
    const nat::InsideKey key{network, e.proto, 0, e.dst_ip, e.src_ip, e.dst_port, remote_port};
    nat::Session* s = shared_.nat_tables[index_]->find_inside(key);
    if (s == nullptr || s->epoch != topo.nat_epoch[network] || !up.gateway_resolved) {
        drop(m, in_port, s == nullptr ? DropReason::nat_no_session : DropReason::uplink_unresolved);
        return;
    }
    if (!nat::decrement_ttl(f, v)) {
        drop(m, in_port, DropReason::ttl_exceeded);
        return;
    }
    nat::rewrite_embedded(f, v, e, false, up.address, s->out.out_port);
    nat::rewrite_outer_ip(f, v, true, up.address);
    std::memcpy(f, up.gateway_mac.bytes.data(), 6);
    std::memcpy(f + 6, up.mac.bytes.data(), 6);
    ctr_.nat_icmp_errors.add(1);
    enqueue_tx(topo, up.port, m);
}

// What to do with a later fragment: its first fragment's action, with the TTL
// already decremented; nullptr when it was dropped (no first fragment seen,
// TTL ran out) or handed to the worker that translated its first fragment.
const nat::FragmentAction* Worker::later_fragment_action(const nat::FragmentKey& key, nat::L4View& v,
                                                         uint16_t in_port, rte_mbuf* m,
                                                         const std::array<rte_ring*, kMaxWorkers>& rings,
                                                         uint32_t now_s) {
    const nat::FragmentAction* a = shared_.fragment_tables[index_]->find(key, !v.more_fragments, now_s);
    if (a == nullptr) {
        drop(m, in_port, DropReason::fragment);
        return nullptr;
    }
    if (a->hand_to_worker >= 0) {
        hand_off(rings[a->hand_to_worker], in_port, m);
        return nullptr;
    }
    if (!nat::decrement_ttl(rte_pktmbuf_mtod(m, uint8_t*), v)) {
        drop(m, in_port, DropReason::ttl_exceeded);
        return nullptr;
    }
    return a;
}

// A first fragment going to another worker: its later fragments must follow it.
void Worker::note_fragment_handoff(const nat::L4View& v, const nat::FragmentKey& key, uint16_t owner,
                                   uint32_t now_s) {
    if (!v.first_fragment) return;
    nat::FragmentAction a;
    a.hand_to_worker = static_cast<int16_t>(owner);
    shared_.fragment_tables[index_]->remember(key, a, now_s);
}

// A later fragment from a guest: the same address rewrite as its first fragment.
void Worker::nat_fragment_in2out(const Topology& topo, uint16_t in_port, uint16_t network, rte_mbuf* m,
                                 nat::L4View& v, uint32_t now_s) {
    const nat::FragmentKey key{v.src_ip, v.dst_ip, v.ip_id, v.proto, 1, network};
    const nat::FragmentAction* a = later_fragment_action(key, v, in_port, m, shared_.nat_in2out_rings, now_s);
    if (a == nullptr) return;
    const NatNetworkInfo& nn = topo.networks[network].nat;
    const UplinkSlot& up = topo.uplinks[nn.uplink];
    uint8_t* f = rte_pktmbuf_mtod(m, uint8_t*);
    const uint32_t new_dst = a->new_dst_ip;
    nat::rewrite_outer_ip(f, v, true, a->new_src_ip);
    if (new_dst != v.dst_ip) nat::rewrite_outer_ip(f, v, false, new_dst);
    ctr_.nat_fragments.add(1);
    if (new_dst == up.address) {  // hairpin, as for its first fragment
        nat_fragment_out2in(topo, up.port, nn.uplink, m, v, now_s);
        return;
    }
    std::memcpy(f, up.gateway_mac.bytes.data(), 6);
    std::memcpy(f + 6, up.mac.bytes.data(), 6);
    enqueue_tx(topo, up.port, m);
}

// A later fragment from outside: the same rewrite as its first fragment, to the same guest.
void Worker::nat_fragment_out2in(const Topology& topo, uint16_t in_port, uint8_t uplink, rte_mbuf* m,
                                 nat::L4View& v, uint32_t now_s) {
    const nat::FragmentKey key{v.src_ip, v.dst_ip, v.ip_id, v.proto, 0, uplink};
    const nat::FragmentAction* a = later_fragment_action(key, v, in_port, m, shared_.nat_out2in_rings, now_s);
    if (a == nullptr) return;
    uint8_t* f = rte_pktmbuf_mtod(m, uint8_t*);
    const uint32_t new_src = a->new_src_ip;
    nat::rewrite_outer_ip(f, v, false, a->new_dst_ip);
    if (new_src != v.src_ip) nat::rewrite_outer_ip(f, v, true, new_src);
    std::memcpy(f, a->guest_mac, 6);
    std::memcpy(f + 6, topo.networks[a->network].services.mac.bytes.data(), 6);
    ctr_.nat_fragments.add(1);
    switch_to_mac(topo, a->network, a->guest_mac, m);
}

}  // namespace vsw
