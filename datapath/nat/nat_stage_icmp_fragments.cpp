// The NAT stage's paths for the packets that need more than a lookup and a
// rewrite: ICMP errors (the embedded packet is translated too) and later IPv4
// fragments (virtual reassembly: they get their first fragment's rewrite).
// The main paths are in nat_stage.cpp.
#include <rte_mbuf.h>

#include <cstring>

#include "icmp_error.hpp"
#include "nat_stage.hpp"

namespace vsw {

// An ICMP error from outside about a packet a guest sent: the embedded
// packet is our translated one (source = uplink address:outside port), so the
// session is found by it, and both it and the outer destination go back to
// what the guest knows.
void NatStage::icmp_error_out2in(const Ctx& c, uint8_t uplink, rte_mbuf* m, nat::L4View& v) {
    const UplinkSlot& up = c.topo.uplinks[uplink];
    uint8_t* f = rte_pktmbuf_mtod(m, uint8_t*);
    nat::EmbeddedView e;
    if (const auto r = nat::parse_icmp_error(f, rte_pktmbuf_data_len(m), v, e); r != nat::L4Parse::ok) {
        exits_.drop(m, c.in_port, r == nat::L4Parse::unsupported ? DropReason::nat_unsupported : DropReason::malformed);
        return;
    }
    if (e.src_ip != up.address) {
        exits_.drop(m, c.in_port, DropReason::nat_no_session);
        return;
    }
    const uint16_t owner = up.owner_of_port(__builtin_bswap16(e.src_port), c.topo.n_workers);
    if (owner != index_) {
        hand_off(shared_.nat_out2in_rings[owner], c.in_port, m);
        return;
    }
    const uint16_t remote_port = e.proto == nat::kProtoIcmp ? 0 : e.dst_port;
    const nat::OutsideKey key{uplink, e.proto, 0, e.dst_ip, e.src_port, remote_port};
    nat::Session* s = table().find_outside(key);
    if (s == nullptr || s->epoch != c.topo.nat_epoch[s->in.network]) {
        exits_.drop(m, c.in_port, DropReason::nat_no_session);
        return;
    }
    if (!nat::decrement_ttl(f, v)) {
        exits_.drop(m, c.in_port, DropReason::ttl_exceeded);
        return;
    }
    nat::rewrite_embedded(f, v, e, true, s->in.in_ip, s->in.in_port);
    if (s->orig_dst_ip != s->in.remote_ip)
        nat::rewrite_embedded(f, v, e, false, s->orig_dst_ip, s->orig_dst_port);
    nat::rewrite_outer_ip(f, v, false, s->in.in_ip);
    const NetworkSlot& net = c.topo.networks[s->in.network];
    std::memcpy(f, s->guest_mac, 6);
    std::memcpy(f + 6, net.services.mac.bytes.data(), 6);
    ctr_.nat_icmp_errors.add(1);
    c.out.add(m, s->in.network);
}

// An ICMP error a guest sends about a packet it received through NAT (e.g.
// port unreachable for a forwarded UDP port): the embedded packet's
// destination is the guest, which outside knows as the uplink address.
void NatStage::icmp_error_in2out(const Ctx& c, uint16_t network, rte_mbuf* m, nat::L4View& v) {
    uint8_t* f = rte_pktmbuf_mtod(m, uint8_t*);
    nat::EmbeddedView e;
    if (const auto r = nat::parse_icmp_error(f, rte_pktmbuf_data_len(m), v, e); r != nat::L4Parse::ok) {
        exits_.drop(m, c.in_port, r == nat::L4Parse::unsupported ? DropReason::nat_unsupported : DropReason::malformed);
        return;
    }
    const uint16_t remote_port = e.proto == nat::kProtoIcmp ? 0 : e.src_port;
    const nat::InsideKey key{network, e.proto, 0, e.dst_ip, e.src_ip, e.dst_port, remote_port};
    nat::Session* s = table().find_inside(key);
    if (s == nullptr) {
        // About a forwarded connection: its session is with the forward's owner.
        if (const int owner = forward_owner_elsewhere(c.topo, network, e.proto, e.dst_ip, e.dst_port); owner >= 0) {
            hand_off(shared_.nat_in2out_rings[owner], c.in_port, m);
            return;
        }
    }
    if (s == nullptr || s->epoch != c.topo.nat_epoch[network]) {
        exits_.drop(m, c.in_port, DropReason::nat_no_session);
        return;
    }
    // Back the way the packet it is about came: the session's uplink.
    const UplinkSlot& up = c.topo.uplinks[s->out.uplink];
    if (!up.active || !up.gateway_resolved) {
        exits_.drop(m, c.in_port, DropReason::uplink_unresolved);
        return;
    }
    if (!nat::decrement_ttl(f, v)) {
        exits_.drop(m, c.in_port, DropReason::ttl_exceeded);
        return;
    }
    nat::rewrite_embedded(f, v, e, false, up.address, s->out.out_port);
    nat::rewrite_outer_ip(f, v, true, up.address);
    ctr_.nat_icmp_errors.add(1);
    send_to_uplink(c.topo, up, m);
}

// What to do with a later fragment: its first fragment's action, with the TTL
// already decremented; nullptr when it was dropped (no first fragment seen,
// TTL ran out) or handed to the worker that translated its first fragment.
const nat::FragmentAction* NatStage::later_fragment_action(const Ctx& c, const nat::FragmentKey& key,
                                                           nat::L4View& v, rte_mbuf* m,
                                                           const std::array<rte_ring*, kMaxWorkers>& rings) {
    const nat::FragmentAction* a = fragments().find(key, !v.more_fragments, c.now_s);
    if (a == nullptr) {
        exits_.drop(m, c.in_port, DropReason::fragment);
        return nullptr;
    }
    if (a->hand_to_worker >= 0) {
        hand_off(rings[a->hand_to_worker], c.in_port, m);
        return nullptr;
    }
    if (!nat::decrement_ttl(rte_pktmbuf_mtod(m, uint8_t*), v)) {
        exits_.drop(m, c.in_port, DropReason::ttl_exceeded);
        return nullptr;
    }
    return a;
}

// A first fragment going to another worker: its later fragments must follow it.
void NatStage::note_fragment_handoff(const nat::L4View& v, const nat::FragmentKey& key, uint16_t owner,
                                     uint32_t now_s) {
    if (!v.first_fragment) return;
    nat::FragmentAction a;
    a.hand_to_worker = static_cast<int16_t>(owner);
    fragments().remember(key, a, now_s);
}

// A later fragment from a guest: the same address rewrite as its first fragment.
void NatStage::fragment_in2out(const Ctx& c, uint16_t network, rte_mbuf* m, nat::L4View& v) {
    const nat::FragmentKey key{v.src_ip, v.dst_ip, v.ip_id, v.proto, 1, network};
    const nat::FragmentAction* a = later_fragment_action(c, key, v, m, shared_.nat_in2out_rings);
    if (a == nullptr) return;
    const NatNetworkInfo& nn = c.topo.networks[network].nat;
    const uint8_t uplink = a->uplink != kNoUplink ? a->uplink : nn.uplink;  // its first fragment's
    const UplinkSlot& up = c.topo.uplinks[uplink];
    uint8_t* f = rte_pktmbuf_mtod(m, uint8_t*);
    const uint32_t new_dst = a->new_dst_ip;
    nat::rewrite_outer_ip(f, v, true, a->new_src_ip);
    if (new_dst != v.dst_ip) nat::rewrite_outer_ip(f, v, false, new_dst);
    ctr_.nat_fragments.add(1);
    if (new_dst == up.address) {  // hairpin, as for its first fragment
        fragment_out2in(Ctx{c.topo, up.port, c.now_s, c.out}, uplink, m, v);
        return;
    }
    send_to_uplink(c.topo, up, m);
}

// A later fragment from outside: the same rewrite as its first fragment, to the same guest.
void NatStage::fragment_out2in(const Ctx& c, uint8_t uplink, rte_mbuf* m, nat::L4View& v) {
    const nat::FragmentKey key{v.src_ip, v.dst_ip, v.ip_id, v.proto, 0, uplink};
    const nat::FragmentAction* a = later_fragment_action(c, key, v, m, shared_.nat_out2in_rings);
    if (a == nullptr) return;
    uint8_t* f = rte_pktmbuf_mtod(m, uint8_t*);
    const uint32_t new_src = a->new_src_ip;
    nat::rewrite_outer_ip(f, v, false, a->new_dst_ip);
    if (new_src != v.src_ip) nat::rewrite_outer_ip(f, v, true, new_src);
    std::memcpy(f, a->guest_mac, 6);
    std::memcpy(f + 6, c.topo.networks[a->network].services.mac.bytes.data(), 6);
    ctr_.nat_fragments.add(1);
    c.out.add(m, a->network);
}

}  // namespace vsw
