#include "overlay_stage.hpp"

#include <rte_mbuf.h>

#include "overlay/vxlan.hpp"

namespace vsw {

OverlayStage::OverlayStage(DatapathShared& shared, uint16_t worker, Exits& exits)
    : shared_(shared), ctr_(shared.counters[worker]), exits_(exits) {}

uint16_t OverlayStage::from_uplink(const Topology& topo, uint16_t in_port, rte_mbuf** pkts, uint16_t n,
                                   FromRemotes& out) {
    const UplinkSlot& up = topo.uplinks[topo.ports[in_port].uplink];
    uint16_t kept = 0;
    for (uint16_t i = 0; i < n; ++i) {
        rte_mbuf* m = pkts[i];
        const uint8_t* f = rte_pktmbuf_mtod(m, const uint8_t*);
        const uint32_t len = rte_pktmbuf_data_len(m);
        if (!overlay::is_vxlan_to(f, len, up.address)) {
            pkts[kept++] = m;  // NAT's
            continue;
        }
        overlay::VxlanOuter o;
        const overlay::VxlanParse parsed = overlay::parse_vxlan(f, len, o);
        if (parsed != overlay::VxlanParse::ok) {
            drop(m, in_port,
                 parsed == overlay::VxlanParse::fragment ? DropReason::overlay_fragment : DropReason::overlay_malformed);
            continue;
        }
        uint16_t network = kNoNetwork;
        for (uint16_t k = 0; k < up.n_overlays && network == kNoNetwork; ++k)
            if (topo.overlays[up.overlay_networks[k]].vni == o.vni) network = up.overlay_networks[k];
        if (network == kNoNetwork) {
            drop(m, in_port, DropReason::overlay_unknown_vni);
            continue;
        }
        // Only the configured remotes may inject frames into the network.
        const int vtep = topo.overlays[network].vtep_of(o.src_ip);
        if (vtep < 0) {
            drop(m, in_port, DropReason::overlay_unknown_vtep);
            continue;
        }
        rte_pktmbuf_adj(m, static_cast<uint16_t>(o.inner_offset));
        // Whatever follows the outer IPv4 packet (Ethernet padding) goes.
        const uint32_t extra = rte_pktmbuf_pkt_len(m) - o.inner_len;
        if (extra > 0 && rte_pktmbuf_trim(m, static_cast<uint16_t>(extra)) != 0) {
            drop(m, in_port, DropReason::overlay_malformed);
            continue;
        }
        ctr_.overlay[network].decap_packets.add(1);
        ctr_.overlay[network].decap_bytes.add(o.inner_len);
        out.pkts[out.n] = m;
        out.networks[out.n] = network;
        out.vteps[out.n] = static_cast<uint16_t>(vtep);
        ++out.n;
    }
    return kept;
}

DropReason OverlayStage::cannot_send(const Topology& topo, const OverlaySlot& ov, const VtepSlot& v,
                                     const rte_mbuf* m) const {
    const UplinkSlot& up = topo.uplinks[ov.uplink];
    if (!up.active || !shared_.link_up[up.port].load(std::memory_order_relaxed)) return DropReason::uplink_down;
    if (!v.resolved) return DropReason::vtep_unresolved;
    if (rte_pktmbuf_pkt_len(m) > ov.max_inner) return DropReason::overlay_too_big;
    return DropReason::count;
}

bool OverlayStage::encapsulate(const Topology& topo, const OverlaySlot& ov, const VtepSlot& v, uint16_t network,
                               rte_mbuf* m) {
    if (rte_mbuf_refcnt_read(m) != 1 || !RTE_MBUF_DIRECT(m) || rte_pktmbuf_headroom(m) < overlay::kOuterLen)
        return false;
    const uint32_t inner_len = rte_pktmbuf_pkt_len(m);
    const uint16_t src_port =
        overlay::vxlan_source_port(rte_pktmbuf_mtod(m, const uint8_t*), rte_pktmbuf_data_len(m));
    auto* p = reinterpret_cast<uint8_t*>(rte_pktmbuf_prepend(m, static_cast<uint16_t>(overlay::kOuterLen)));
    overlay::finish_vxlan_outer(p, v.outer, inner_len, src_port);
    // Offload requests a guest made describe the inner frame, not this one.
    m->ol_flags &= ~RTE_MBUF_F_TX_OFFLOAD_MASK;
    ctr_.overlay[network].encap_packets.add(1);
    ctr_.overlay[network].encap_bytes.add(inner_len);
    exits_.enqueue_tx(topo, topo.uplinks[ov.uplink].port, m);
    return true;
}

void OverlayStage::to_vtep(const Topology& topo, uint16_t network, uint16_t vtep, uint16_t in_port, rte_mbuf* m) {
    const OverlaySlot& ov = topo.overlays[network];
    if (!ov.enabled || vtep >= ov.n_vteps || !ov.vteps[vtep].active) {
        drop(m, in_port, DropReason::no_destination);  // a remote just removed: its MACs are being flushed
        return;
    }
    const VtepSlot& v = ov.vteps[vtep];
    if (const DropReason why = cannot_send(topo, ov, v, m); why != DropReason::count) {
        drop(m, in_port, why);
        return;
    }
    if (encapsulate(topo, ov, v, network, m)) return;
    // Shared, or no room in front: a copy of its own (with headroom).
    rte_mbuf* c = rte_pktmbuf_copy(m, m->pool, 0, UINT32_MAX);
    rte_pktmbuf_free(m);
    if (c == nullptr) {
        exits_.count_drop(in_port, DropReason::overlay_no_mbuf);
        return;
    }
    if (!encapsulate(topo, ov, v, network, c)) drop(c, in_port, DropReason::overlay_no_mbuf);
}

uint16_t OverlayStage::replicate(const Topology& topo, uint16_t network, uint16_t in_port, rte_mbuf* m) {
    const OverlaySlot& ov = topo.overlays[network];
    uint16_t sent = 0;
    for (uint16_t i = 0; i < ov.n_vteps; ++i) {
        const VtepSlot& v = ov.vteps[i];
        if (!v.active) continue;
        if (const DropReason why = cannot_send(topo, ov, v, m); why != DropReason::count) {
            exits_.count_drop(in_port, why);
            continue;
        }
        rte_mbuf* c = rte_pktmbuf_copy(m, m->pool, 0, UINT32_MAX);
        if (c == nullptr) {
            exits_.count_drop(in_port, DropReason::overlay_no_mbuf);
            continue;
        }
        if (!encapsulate(topo, ov, v, network, c)) {
            drop(c, in_port, DropReason::overlay_no_mbuf);
            continue;
        }
        ctr_.overlay[network].replicated.add(1);
        ++sent;
    }
    return sent;
}

}  // namespace vsw
