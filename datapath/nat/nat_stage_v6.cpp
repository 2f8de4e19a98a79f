// NAT66: a NAT network's guests' IPv6 masqueraded to the uplink's address6,
// with the session table, caps, timeouts, port slices and worker ownership
// of NAT44 (nat_stage.cpp), one packet at a time. Not translated (dropped
// and counted): fragments, extension headers, ICMPv6 errors from guests.
// ICMPv6 errors from outside are translated; IPv6 port forwards (on
// address6) open sessions from outside, and from inside (hairpin).
#include <rte_mbuf.h>

#include <cstring>

#include "../frame.hpp"
#include "checksum.hpp"
#include "l4v6.hpp"
#include "nat_stage.hpp"

namespace vsw {

namespace {

DropReason reason_for6(nat::L4Parse r) {
    switch (r) {
        case nat::L4Parse::fragment: return DropReason::fragment;
        case nat::L4Parse::unsupported: return DropReason::nat_unsupported;
        default: return DropReason::malformed;
    }
}

// The per-guest cap counts by MAC: a guest may use any address of its /64.
uint32_t guest_of_mac(const uint8_t* mac) {
    return (static_cast<uint32_t>(mac[2]) << 24 | static_cast<uint32_t>(mac[3]) << 16 |
            static_cast<uint32_t>(mac[4]) << 8 | mac[5]) ^
           (static_cast<uint32_t>(mac[0]) << 8 | mac[1]) * 0x9e3779b1u;
}

// As complete_l4_checksum in nat_stage.cpp: a guest's "needs csum" TCP/UDP
// checksum covers only the pseudo-header until it is finished here.
void complete_l4_checksum6(rte_mbuf* m, uint8_t* f, const nat::L4View6& v) {
    if ((m->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK) != RTE_MBUF_F_RX_L4_CKSUM_NONE) return;
    if (v.proto != nat::kProtoTcp && v.proto != nat::kProtoUdp) return;
    uint8_t* sum = f + v.l4 + (v.proto == nat::kProtoTcp ? 16 : 6);
    put16(sum, 0);
    put16(sum, ipv6_l4_checksum(f + v.l3, f + v.l4));
    m->ol_flags &= ~RTE_MBUF_F_RX_L4_CKSUM_MASK;
}

}  // namespace

void NatStage::in2out_v6(const Ctx& c, uint16_t network, rte_mbuf* m) {
    const Topology& topo = c.topo;
    const NatNetworkInfo& nn = topo.networks[network].nat;
    nat::NatTable6* t = shared_.nat6_tables[index_];
    if (!nn.nat66 || t == nullptr) {
        exits_.drop(m, c.in_port, DropReason::nat_unsupported);
        return;
    }
    const UplinkSlot& up = topo.uplinks[nn.uplink];
    if (!up.active || !up.has_address6) {
        exits_.drop(m, c.in_port, DropReason::uplink_down);
        return;
    }
    uint8_t* f = rte_pktmbuf_mtod(m, uint8_t*);
    nat::L4View6 v;
    const nat::L4Parse parsed = nat::parse_l4_v6(f, rte_pktmbuf_data_len(m), v);
    if (parsed != nat::L4Parse::ok) {
        exits_.drop(m, c.in_port, reason_for6(parsed));
        return;
    }
    // Only echo requests start ICMPv6 sessions.
    if (v.proto == nat::kProtoIcmp6 && v.icmp_type != nat::kIcmp6EchoRequest) {
        exits_.drop(m, c.in_port, DropReason::nat_unsupported);
        return;
    }
    // Hairpin (a guest reaching address6: a port forward seen from inside)
    // never leaves the switch, so it needs no next hop.
    const bool hairpin = v.dst_ip == up.address6;
    if (!hairpin && !up.gateway6_resolved) {
        exits_.drop(m, c.in_port, DropReason::uplink_unresolved);
        return;
    }
    if (v.hop_limit <= 1) {
        // The gateway is a router hop: the control thread answers "time
        // exceeded" (traceroute6). Counted; the probe creates no session.
        ctr_.port[c.in_port].drops[static_cast<size_t>(DropReason::ttl_exceeded)].add(1);
        exits_.to_slow_path(m, c.in_port);
        return;
    }
    const uint16_t remote_port = v.proto == nat::kProtoIcmp6 ? 0 : v.dst_port;
    // DNS to the network's DNS address goes to the uplink's resolver6.
    const bool dns = nn.has_dns6 && v.dst_ip == nn.dns6 && v.proto != nat::kProtoIcmp6 &&
                     v.dst_port == __builtin_bswap16(53);
    const nat::Ipv6Bytes& remote_ip = dns ? nn.resolver6 : v.dst_ip;
    const nat::InsideKey6 key{network, v.proto, 0, guest_of_mac(f + 6), v.src_ip, remote_ip, v.src_port, remote_port};
    nat::Session6* s = t->find_inside(key);
    if (s != nullptr && s->epoch != topo.nat_epoch[network]) {
        t->remove(*s);
        s = nullptr;
    }
    if (s == nullptr && topo.n_workers > 1) {
        // A guest answering on a forwarded connection: the forward's owner has the session.
        if (const ForwardRule6* r = up.forward6_to(network, v.proto, v.src_ip, v.src_port)) {
            const uint16_t owner = up.owner_of_port(r->host_port, topo.n_workers);
            if (owner != index_) {
                hand_off(shared_.nat_in2out_rings[owner], c.in_port, m);
                return;
            }
        }
    }
    if (s == nullptr) {
        auto create = [&] {
            if (t->size_of(network) >= nn.max_sessions) return nat::NatResult::table_full;
            if (t->size_of_guest(network, key.guest) >= nn.max_sessions_per_guest) return nat::NatResult::guest_limit;
            return t->create_masquerade(key, nn.uplink, up.slice[index_], up.reserved, up.n_reserved, s);
        };
        auto r = create();
        if (r != nat::NatResult::ok && expire6(topo, c.now_s, 256) > 0) r = create();
        if (r != nat::NatResult::ok) {
            exits_.drop(m, c.in_port,
                        r == nat::NatResult::table_full    ? DropReason::nat_table_full
                        : r == nat::NatResult::guest_limit ? DropReason::nat_guest_limit
                                                           : DropReason::nat_ports_exhausted);
            return;
        }
        s->epoch = topo.nat_epoch[network];
        s->orig_dst_ip = v.dst_ip;
        std::memcpy(s->guest_mac, f + 6, 6);
        ctr_.nat_sessions_created.add(1);
    }
    nat::decrement_hop_limit(f, v);  // cannot fail: checked above
    t->touch(*s, v.tcp_flags, true, c.now_s, nn.timeouts);
    complete_l4_checksum6(m, f, v);
    nat::rewrite_source6(f, v, up.address6, s->out.out_port);
    if (dns) nat::rewrite_destination6(f, v, nn.resolver6, v.dst_port);
    if (hairpin) {
        // The translated packet arrives "from outside" at once.
        ctr_.nat_in2out.add(1);
        out2in_v6(Ctx{topo, up.port, c.now_s, c.out}, nn.uplink, m);
        return;
    }
    std::memcpy(f, up.gateway6_mac.bytes.data(), 6);
    std::memcpy(f + 6, up.mac.bytes.data(), 6);
    ctr_.nat_in2out.add(1);
    exits_.enqueue_tx(topo, up.port, m);
}

void NatStage::out2in_v6(const Ctx& c, uint8_t uplink, rte_mbuf* m) {
    const Topology& topo = c.topo;
    const UplinkSlot& up = topo.uplinks[uplink];
    nat::NatTable6* t = shared_.nat6_tables[index_];
    if (!up.has_address6 || t == nullptr) {
        exits_.drop(m, c.in_port, DropReason::not_for_us);
        return;
    }
    uint8_t* f = rte_pktmbuf_mtod(m, uint8_t*);
    const uint32_t len = rte_pktmbuf_data_len(m);
    // Neighbour discovery (ours: the control thread answers for address6 and
    // learns the gateway's MAC) goes to the slow path, whatever its address.
    if (len >= kEtherHdrLen + 40 + 8 && f[kEtherHdrLen + 6] == nat::kProtoIcmp6) {
        const uint8_t type = f[kEtherHdrLen + 40];
        if (type == nat::kIcmp6NeighborSolicit || type == nat::kIcmp6NeighborAdvert) {
            exits_.to_slow_path(m, c.in_port);
            return;
        }
    }
    nat::L4View6 v;
    const nat::L4Parse parsed = nat::parse_l4_v6(f, len, v);
    if (parsed == nat::L4Parse::not_ipv4 || parsed == nat::L4Parse::malformed) {
        exits_.drop(m, c.in_port, DropReason::malformed);
        return;
    }
    if (v.dst_ip != up.address6) {
        exits_.drop(m, c.in_port, DropReason::not_for_us);
        return;
    }
    if (parsed != nat::L4Parse::ok) {
        if (parsed == nat::L4Parse::unsupported && v.proto == nat::kProtoIcmp6 && nat::is_icmp6_error(v.icmp_type))
            icmp6_error_out2in(c, uplink, m, v);
        else
            exits_.drop(m, c.in_port, reason_for6(parsed));
        return;
    }
    if (v.proto == nat::kProtoIcmp6 && v.icmp_type == nat::kIcmp6EchoRequest) {
        exits_.to_slow_path(m, c.in_port);  // ping to address6: the control thread answers
        return;
    }
    const uint16_t owner = up.owner_of_port(__builtin_bswap16(v.dst_port), topo.n_workers);
    if (owner != index_) {
        hand_off(shared_.nat_out2in_rings[owner], c.in_port, m);
        return;
    }
    const uint16_t remote_port = v.proto == nat::kProtoIcmp6 ? 0 : v.src_port;
    const nat::OutsideKey6 key{uplink, v.proto, 0, v.dst_port, remote_port, v.src_ip};
    nat::Session6* s = t->find_outside(key);
    if (s != nullptr && s->epoch != topo.nat_epoch[s->in.network]) {
        t->remove(*s);
        s = nullptr;
    }
    if (s == nullptr && !out2in_forward6(c, uplink, m, v, s)) return;
    if (!nat::decrement_hop_limit(f, v)) {
        exits_.drop(m, c.in_port, DropReason::ttl_exceeded);
        return;
    }
    const NetworkSlot& net = topo.networks[s->in.network];
    t->touch(*s, v.tcp_flags, false, c.now_s, net.nat.timeouts);
    nat::rewrite_destination6(f, v, s->in.in_ip, s->in.in_port);
    // Answers from the resolver appear to come from the network's DNS address.
    if (s->orig_dst_ip != s->in.remote_ip) nat::rewrite_source6(f, v, s->orig_dst_ip, v.src_port);
    std::memcpy(f, s->guest_mac, 6);
    std::memcpy(f + 6, net.services.mac.bytes.data(), 6);
    ctr_.nat_out2in.add(1);
    c.out.add(m, s->in.network);
}

// A packet that no session knows: a new connection to an IPv6 port forward
// makes one (its first segment, for TCP), else it is dropped. False: dropped.
bool NatStage::out2in_forward6(const Ctx& c, uint8_t uplink, rte_mbuf* m, const nat::L4View6& v, nat::Session6*& s) {
    const Topology& topo = c.topo;
    const UplinkSlot& up = topo.uplinks[uplink];
    const ForwardRule6* rule =
        v.proto == nat::kProtoIcmp6 ? nullptr : up.find_forward6(v.proto, __builtin_bswap16(v.dst_port));
    const bool opens = v.proto != nat::kProtoTcp || (v.tcp_flags & (nat::kTcpSyn | nat::kTcpAck)) == nat::kTcpSyn;
    if (rule == nullptr || !opens) {
        exits_.drop(m, c.in_port, DropReason::nat_no_session);
        return false;
    }
    if (!rule->guest_mac_known) {
        exits_.drop(m, c.in_port, DropReason::neighbor_unresolved);
        return false;
    }
    nat::NatTable6& t = *shared_.nat6_tables[index_];
    const NatNetworkInfo& target = topo.networks[rule->network].nat;
    const nat::InsideKey6 in{rule->network, v.proto,        0, guest_of_mac(rule->guest_mac.bytes.data()),
                             rule->guest_ip, v.src_ip,      rule->guest_port, v.src_port};
    const nat::OutsideKey6 out{uplink, v.proto, 0, v.dst_port, v.src_port, v.src_ip};
    auto create = [&] {
        if (t.size_of(rule->network) >= target.max_sessions) return nat::NatResult::table_full;
        if (t.size_of_guest(rule->network, in.guest) >= target.max_sessions_per_guest) return nat::NatResult::guest_limit;
        return t.create_forwarded(in, out, s);
    };
    auto r = create();
    if (r != nat::NatResult::ok && expire6(topo, c.now_s, 256) > 0) r = create();
    if (r != nat::NatResult::ok) {
        exits_.drop(m, c.in_port, r == nat::NatResult::guest_limit ? DropReason::nat_guest_limit
                                                                   : DropReason::nat_table_full);
        return false;
    }
    s->orig_dst_ip = v.src_ip;  // the remote itself: no source rewrite on the way in
    s->epoch = topo.nat_epoch[rule->network];
    std::memcpy(s->guest_mac, rule->guest_mac.bytes.data(), 6);
    ctr_.nat_sessions_created.add(1);
    return true;
}

// An ICMPv6 error about a packet a guest sent out: it quotes that packet as
// it left (from address6 and the session's outside port), so the session is
// found by the quote, and both the outer header and the quote are turned
// back into what the guest sent.
void NatStage::icmp6_error_out2in(const Ctx& c, uint8_t uplink, rte_mbuf* m, nat::L4View6& v) {
    const Topology& topo = c.topo;
    const UplinkSlot& up = topo.uplinks[uplink];
    uint8_t* f = rte_pktmbuf_mtod(m, uint8_t*);
    nat::L4View6 q;
    const nat::L4Parse parsed = nat::parse_icmp6_error(f, rte_pktmbuf_data_len(m), v, q);
    if (parsed != nat::L4Parse::ok) {
        exits_.drop(m, c.in_port, reason_for6(parsed));
        return;
    }
    if (q.src_ip != up.address6) {
        exits_.drop(m, c.in_port, DropReason::not_for_us);
        return;
    }
    const uint16_t owner = up.owner_of_port(__builtin_bswap16(q.src_port), topo.n_workers);
    if (owner != index_) {
        hand_off(shared_.nat_out2in_rings[owner], c.in_port, m);
        return;
    }
    nat::NatTable6& t = *shared_.nat6_tables[index_];
    const uint16_t remote_port = q.proto == nat::kProtoIcmp6 ? 0 : q.dst_port;
    nat::Session6* s = t.find_outside(nat::OutsideKey6{uplink, q.proto, 0, q.src_port, remote_port, q.dst_ip});
    if (s == nullptr || s->epoch != topo.nat_epoch[s->in.network]) {
        exits_.drop(m, c.in_port, DropReason::nat_no_session);
        return;
    }
    if (!nat::decrement_hop_limit(f, v)) {
        exits_.drop(m, c.in_port, DropReason::ttl_exceeded);
        return;
    }
    const bool dns = s->orig_dst_ip != s->in.remote_ip;  // the guest addressed the network's DNS address
    nat::rewrite_outer6(f, v, false, s->in.in_ip);
    if (dns && v.src_ip == s->in.remote_ip) nat::rewrite_outer6(f, v, true, s->orig_dst_ip);
    if (dns) nat::rewrite_quoted6(f, v, q, false, s->orig_dst_ip, q.dst_port);
    nat::rewrite_quoted6(f, v, q, true, s->in.in_ip, s->in.in_port);
    const NetworkSlot& net = topo.networks[s->in.network];
    std::memcpy(f, s->guest_mac, 6);
    std::memcpy(f + 6, net.services.mac.bytes.data(), 6);
    ctr_.nat_icmp_errors.add(1);
    c.out.add(m, s->in.network);
}

unsigned NatStage::expire6(const Topology& topo, uint32_t now_s, unsigned budget) {
    nat::NatTable6* t = shared_.nat6_tables[index_];
    if (t == nullptr || t->size() == 0) return 0;
    const unsigned n = t->expire_some(now_s, topo.nat_epoch, budget);
    ctr_.nat_sessions_expired.add(n);
    return n;
}

}  // namespace vsw
