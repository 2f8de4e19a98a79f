// The worker's NAT stages: guest -> uplink (masquerade, DNS forwarding) and
// uplink -> guest (replies, port forwards), on one frame at a time.
//
// Each worker owns a slice of each uplink's port range, so the worker that
// owns an inbound packet's session follows from its destination port;
// packets that arrive on another worker are handed over on a ring. Sessions
// of inbound port forwards belong to the worker whose slice holds the host
// port, and a guest's replies on them are handed to that worker too.
#include <rte_ethdev.h>
#include <rte_hash.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include <cstring>

#include "../worker.hpp"
#include "icmp_error.hpp"

namespace vsw {

namespace {

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
    auto* ip = reinterpret_cast<rte_ipv4_hdr*>(f + v.l3);
    uint8_t* sum = f + v.l4 + (v.proto == nat::kProtoTcp ? 16 : 6);
    nat::put16(sum, 0);
    nat::put16(sum, rte_ipv4_udptcp_cksum(ip, f + v.l4));
    m->ol_flags &= ~RTE_MBUF_F_RX_L4_CKSUM_MASK;
}

const ForwardRule* find_forward(const UplinkSlot& up, uint8_t proto, uint16_t host_port) {
    for (uint16_t i = 0; i < up.n_forwards; ++i)
        if (up.forwards[i].proto == proto && up.forwards[i].host_port == host_port) return &up.forwards[i];
    return nullptr;
}

const ForwardRule* find_forward_target(const UplinkSlot& up, uint16_t network, uint8_t proto, uint32_t ip,
                                       uint16_t port) {
    for (uint16_t i = 0; i < up.n_forwards; ++i) {
        const ForwardRule& r = up.forwards[i];
        if (r.network == network && r.proto == proto && r.guest_ip == ip && r.guest_port == port) return &r;
    }
    return nullptr;
}

}  // namespace

// The table is full (or the slice out of ports): before refusing a new
// session, retire expired ones that the background expiry has not reached
// yet (a bounded scan, so one packet never costs more than that).
bool Worker::make_room(nat::NatTable& table, const Topology& topo, uint32_t now_s) {
    const unsigned n = table.expire_some(now_s, topo.nat_epoch, 256);
    ctr_.nat_sessions_expired.add(n);
    return n > 0;
}

bool Worker::hand_off(rte_ring* ring, uint16_t in_port, rte_mbuf* m) {
    m->port = in_port;
    if (ring == nullptr || rte_ring_mp_enqueue(ring, m) != 0) {
        drop(m, in_port, DropReason::nat_handoff_full);
        return false;
    }
    ctr_.nat_handoffs.add(1);
    return true;
}

void Worker::uplink_burst(const Topology& topo, uint16_t in_port, rte_mbuf** pkts, uint16_t n, uint32_t now_s) {
    const uint8_t uplink = topo.ports[in_port].uplink;
    for (uint16_t i = 0; i < n; ++i) {
        rte_mbuf* m = pkts[i];
        const uint8_t* f = rte_pktmbuf_mtod(m, const uint8_t*);
        const uint32_t len = rte_pktmbuf_data_len(m);
        if (len < kEthHeaderLen) {
            drop(m, in_port, DropReason::runt);
            continue;
        }
        const uint16_t type = load_be16(f + 12);
        if (type == kEtherTypeArp) {
            to_slow_path(m, in_port);  // ARP for our address, replies to our requests
        } else if (type == kEtherTypeIpv4) {
            nat_out2in(topo, in_port, uplink, m, now_s);
        } else {
            drop(m, in_port, DropReason::not_for_us);
        }
    }
}

void Worker::nat_in2out(const Topology& topo, uint16_t in_port, uint16_t network, rte_mbuf* m, uint32_t now_s) {
    const NatNetworkInfo& nn = topo.networks[network].nat;
    if (!nn.enabled || nn.uplink == kNoUplink || !topo.uplinks[nn.uplink].active) {
        drop(m, in_port, DropReason::uplink_down);
        return;
    }
    const UplinkSlot& up = topo.uplinks[nn.uplink];
    nat::NatTable& table = *shared_.nat_tables[index_];
    uint8_t* f = rte_pktmbuf_mtod(m, uint8_t*);
    nat::L4View v;
    if (const auto r = nat::parse_l4(f, rte_pktmbuf_data_len(m), v); r != nat::L4Parse::ok) {
        if (r == nat::L4Parse::unsupported && v.proto == nat::kProtoIcmp && nat::is_icmp_error(v.icmp_type))
            nat_icmp_error_in2out(topo, in_port, network, m, v);
        else if (r == nat::L4Parse::fragment)
            nat_fragment_in2out(topo, in_port, network, m, v, now_s);
        else
            drop(m, in_port, reason_for(r));
        return;
    }
    const nat::FragmentKey frag_key{v.src_ip, v.dst_ip, v.ip_id, v.proto, 1, network};
    if (v.proto == nat::kProtoIcmp && v.icmp_type != nat::kIcmpEchoRequest) {
        drop(m, in_port, DropReason::nat_unsupported);
        return;
    }
    // DNS to the network's resolver address goes to the uplink's resolver.
    const bool dns = nn.has_dns && v.dst_ip == nn.dns && v.dst_port == __builtin_bswap16(53);
    const uint32_t remote_ip = dns ? nn.resolver : v.dst_ip;
    const uint16_t remote_port = v.proto == nat::kProtoIcmp ? 0 : v.dst_port;
    const nat::InsideKey key{network, v.proto, 0, v.src_ip, remote_ip, v.src_port, remote_port};
    // Hairpin (a guest reaching the uplink address) never leaves the switch,
    // so only traffic bound for the uplink needs its next hop resolved; and
    // nothing creates a session before it can be sent.
    const bool hairpin = remote_ip == up.address;
    if (!hairpin && !up.gateway_resolved) {
        drop(m, in_port, DropReason::uplink_unresolved);
        return;
    }
    if (v.ttl <= 1) {
        // The gateway is a router hop: the control thread answers "time
        // exceeded", which is what makes a guest's traceroute show it. The
        // probe creates no session.
        ctr_.port[in_port].drops[static_cast<size_t>(DropReason::ttl_exceeded)].add(1);
        to_slow_path(m, in_port);
        return;
    }

    nat::Session* s = table.find_inside(key);
    if (s != nullptr && s->epoch != topo.nat_epoch[network]) {
        table.remove(*s);
        s = nullptr;
    }
    if (s == nullptr) {
        // A guest answering on a forwarded connection: the forward's owner has the session.
        if (topo.n_workers > 1) {
            if (const ForwardRule* r = find_forward_target(up, network, v.proto, v.src_ip, v.src_port)) {
                const uint16_t owner = up.owner_of_port(r->host_port, topo.n_workers);
                if (owner != index_) {
                    note_fragment_handoff(v, frag_key, owner, now_s);
                    hand_off(shared_.nat_in2out_rings[owner], in_port, m);
                    return;
                }
            }
        }
        auto r = table.create_masquerade(key, nn.uplink, up.slice[index_], up.reserved, up.n_reserved, s);
        if (r != nat::NatTable::Result::ok && make_room(table, topo, now_s))
            r = table.create_masquerade(key, nn.uplink, up.slice[index_], up.reserved, up.n_reserved, s);
        if (r != nat::NatTable::Result::ok) {
            drop(m, in_port, r == nat::NatTable::Result::table_full ? DropReason::nat_table_full
                                                                      : DropReason::nat_ports_exhausted);
            return;
        }
        s->orig_dst_ip = v.dst_ip;
        s->orig_dst_port = v.dst_port;
        s->epoch = topo.nat_epoch[network];
        ctr_.nat_sessions_created.add(1);
    }
    std::memcpy(s->guest_mac, f + 6, 6);
    nat::decrement_ttl(f, v);  // cannot fail: TTL > 1 was checked above
    table.touch(*s, v.tcp_flags, true, now_s, nn.timeouts);
    complete_l4_checksum(m, f, v);
    nat::rewrite_source(f, v, up.address, s->out.out_port);
    if (remote_ip != v.dst_ip) nat::rewrite_destination(f, v, remote_ip, v.dst_port);
    if (v.first_fragment) {
        nat::FragmentAction a;
        a.new_src_ip = up.address;
        a.new_dst_ip = remote_ip;
        shared_.fragment_tables[index_]->remember(frag_key, a, now_s);
    }
    ctr_.nat_in2out.add(1);
    if (hairpin) {
        // Hairpin: a guest reached the uplink address (a port forward, seen
        // from inside). The translated packet arrives "from outside" at once.
        nat_out2in(topo, up.port, nn.uplink, m, now_s);
        return;
    }
    std::memcpy(f, up.gateway_mac.bytes.data(), 6);
    std::memcpy(f + 6, up.mac.bytes.data(), 6);
    enqueue_tx(topo, up.port, m);
}

void Worker::nat_out2in(const Topology& topo, uint16_t in_port, uint8_t uplink, rte_mbuf* m, uint32_t now_s) {
    const UplinkSlot& up = topo.uplinks[uplink];
    uint8_t* f = rte_pktmbuf_mtod(m, uint8_t*);
    nat::L4View v;
    const auto parsed = nat::parse_l4(f, rte_pktmbuf_data_len(m), v);
    if (parsed != nat::L4Parse::ok && parsed != nat::L4Parse::unsupported && parsed != nat::L4Parse::fragment) {
        drop(m, in_port, reason_for(parsed));
        return;
    }
    if (v.dst_ip != up.address) {
        drop(m, in_port, DropReason::not_for_us);
        return;
    }
    if (parsed == nat::L4Parse::fragment) {
        nat_fragment_out2in(topo, in_port, uplink, m, v, now_s);
        return;
    }
    const nat::FragmentKey frag_key{v.src_ip, v.dst_ip, v.ip_id, v.proto, 0, uplink};
    if (parsed == nat::L4Parse::unsupported) {
        if (v.proto == nat::kProtoIcmp && nat::is_icmp_error(v.icmp_type))
            nat_icmp_error_out2in(topo, in_port, uplink, m, v);
        else
            drop(m, in_port, DropReason::nat_unsupported);
        return;
    }
    if (v.proto == nat::kProtoIcmp && v.icmp_type == nat::kIcmpEchoRequest) {
        to_slow_path(m, in_port);  // ping to the uplink address: the control thread answers
        return;
    }
    const uint16_t dport = __builtin_bswap16(v.dst_port);
    const uint16_t owner = up.owner_of_port(dport, topo.n_workers);
    if (owner != index_) {
        note_fragment_handoff(v, frag_key, owner, now_s);
        hand_off(shared_.nat_out2in_rings[owner], in_port, m);
        return;
    }
    nat::NatTable& table = *shared_.nat_tables[index_];
    const uint16_t remote_port = v.proto == nat::kProtoIcmp ? 0 : v.src_port;
    const nat::OutsideKey key{uplink, v.proto, 0, v.src_ip, v.dst_port, remote_port};
    nat::Session* s = table.find_outside(key);
    if (s != nullptr && s->epoch != topo.nat_epoch[s->in.network]) {
        table.remove(*s);
        s = nullptr;
    }
    if (s == nullptr) {
        const ForwardRule* rule = v.proto == nat::kProtoIcmp ? nullptr : find_forward(up, v.proto, dport);
        if (rule == nullptr) {
            drop(m, in_port, DropReason::nat_no_session);
            return;
        }
        if (!rule->guest_mac_known) {
            drop(m, in_port, DropReason::neighbor_unresolved);
            return;
        }
        const nat::InsideKey in{rule->network, v.proto, 0, rule->guest_ip, v.src_ip, rule->guest_port, remote_port};
        auto r = table.create_forwarded(in, key, s);
        if (r != nat::NatTable::Result::ok && make_room(table, topo, now_s)) r = table.create_forwarded(in, key, s);
        if (r != nat::NatTable::Result::ok) {
            drop(m, in_port, DropReason::nat_table_full);
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
        drop(m, in_port, DropReason::ttl_exceeded);
        return;
    }
    table.touch(*s, v.tcp_flags, false, now_s, net.nat.timeouts);
    nat::rewrite_destination(f, v, s->in.in_ip, s->in.in_port);
    // Answers from the resolver appear to come from the network's DNS address.
    if (s->orig_dst_ip != s->in.remote_ip) nat::rewrite_source(f, v, s->orig_dst_ip, s->orig_dst_port);
    if (v.first_fragment) {
        nat::FragmentAction a;
        a.new_src_ip = v.src_ip;
        a.new_dst_ip = s->in.in_ip;
        a.network = s->in.network;
        std::memcpy(a.guest_mac, s->guest_mac, 6);
        shared_.fragment_tables[index_]->remember(frag_key, a, now_s);
    }
    std::memcpy(f, s->guest_mac, 6);
    std::memcpy(f + 6, net.services.mac.bytes.data(), 6);
    ctr_.nat_out2in.add(1);
    switch_to_mac(topo, s->in.network, s->guest_mac, m);
}

uint16_t Worker::drain_nat_handoff(const Topology& topo, uint32_t now_s) {
    uint16_t total = 0;
    rte_mbuf* pkts[kBurst];
    if (rte_ring* r = shared_.nat_out2in_rings[index_]) {
        const unsigned n = rte_ring_sc_dequeue_burst(r, reinterpret_cast<void**>(pkts), kBurst, nullptr);
        for (unsigned i = 0; i < n; ++i) {
            const uint16_t port = pkts[i]->port;
            const uint8_t uplink = port < kMaxPorts ? topo.ports[port].uplink : kNoUplink;
            if (uplink == kNoUplink) drop(pkts[i], port < kMaxPorts ? port : 0, DropReason::uplink_down);
            else nat_out2in(topo, port, uplink, pkts[i], now_s);
        }
        total = static_cast<uint16_t>(total + n);
    }
    if (rte_ring* r = shared_.nat_in2out_rings[index_]) {
        const unsigned n = rte_ring_sc_dequeue_burst(r, reinterpret_cast<void**>(pkts), kBurst, nullptr);
        for (unsigned i = 0; i < n; ++i) {
            const uint16_t port = pkts[i]->port;
            const uint16_t network = port < kMaxPorts ? topo.ports[port].network : kNoNetwork;
            if (network == kNoNetwork) drop(pkts[i], port < kMaxPorts ? port : 0, DropReason::no_network);
            else nat_in2out(topo, port, network, pkts[i], now_s);
        }
        total = static_cast<uint16_t>(total + n);
    }
    return total;
}

unsigned Worker::expire_nat(const Topology& topo, uint32_t now_s, unsigned budget) {
    if (nat::FragmentTable* frags = shared_.fragment_tables[index_]) frags->sweep(now_s, budget);
    nat::NatTable* table = shared_.nat_tables[index_];
    if (table == nullptr || table->size() == 0) return 0;
    const unsigned n = table->expire_some(now_s, topo.nat_epoch, budget);
    ctr_.nat_sessions_expired.add(n);
    return n;
}

}  // namespace vsw
