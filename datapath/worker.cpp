#include "worker.hpp"

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_hash.h>
#include <rte_mbuf.h>
#include <rte_prefetch.h>
#include <rte_rcu_qsbr.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>

#include <time.h>

#include <algorithm>
#include <climits>

#include <cstring>

#include "frame.hpp"

namespace vsw {

namespace {

// lookup_fdb: "the same key as the one before" (never a position, nor -ENOENT).
constexpr int32_t kRepeat = INT32_MIN;

// The TSC in a cycle-stats build; nothing (0, folded away) otherwise.
inline uint64_t stage_clock() {
    if constexpr (kCycleStats) return rte_rdtsc();
    return 0;
}

}  // namespace

Worker::Worker(DatapathShared& shared, uint16_t index)
    : shared_(shared),
      ctr_(shared.counters[index]),
      index_(index),
      learn_refresh_tsc_(shared.tsc_hz / 8),
      learn_repost_tsc_(shared.tsc_hz / 1000),
      exits_(shared, index),
      nat_(shared, index, exits_),
      overlay_(shared, index, exits_) {}

// Posts a learn event when the source MAC is unknown or sits on another port;
// otherwise just refreshes the entry's last-seen time (rarely, to keep the
// cache line from bouncing between workers). A port whose MAC budget is used
// up gets no new MACs: its frames from them are refused.
bool Worker::learn(int32_t position, const FdbKey& key, uint16_t in_port, uint64_t now_tsc) {
    if (position >= 0) {
        FdbEntry& e = shared_.fdb->entry(position);
        if (e.port.load(std::memory_order_relaxed) == in_port) {
            if (now_tsc - e.last_seen_tsc.load(std::memory_order_relaxed) > learn_refresh_tsc_)
                e.last_seen_tsc.store(now_tsc, std::memory_order_relaxed);
            return true;
        }
    }
    // (A remote VTEP's MACs count against their network's budget only: the control thread's.)
    if (in_port < kMaxPorts && shared_.macs_full[in_port].load(std::memory_order_relaxed)) return false;
    // A burst often carries many packets from one new MAC: post it once.
    uint64_t k;
    std::memcpy(&k, &key, sizeof k);
    k ^= static_cast<uint64_t>(in_port) << 48;
    RecentLearn& r = recent_learns_[(k ^ (k >> 17) ^ (k >> 31)) & 63];
    if (r.key == k && now_tsc - r.tsc < learn_repost_tsc_) return true;
    r.key = k;
    r.tsc = now_tsc;

    LearnEvent ev{key, in_port, 0};
    if (rte_ring_mp_enqueue_elem(shared_.learn_ring, &ev, sizeof ev) != 0)
        ctr_.learn_ring_full.add(1);
    else
        ctr_.learn_events.add(1);
    return true;
}

void Worker::process_burst(const Topology& topo, uint16_t in_port, rte_mbuf** pkts, uint16_t n,
                           uint64_t now_tsc) {
    PortCounters& in_ctr = ctr_.port[in_port];
    uint64_t bytes = 0;
    for (uint16_t i = 0; i < n; ++i) bytes += rte_pktmbuf_pkt_len(pkts[i]);
    in_ctr.rx_packets.add(n);
    in_ctr.rx_bytes.add(bytes);

    const PortSlot& in = topo.ports[in_port];
    if (in.active && in.uplink != kNoUplink) {
        const uint64_t t0 = stage_clock();
        if (topo.uplinks[in.uplink].n_overlays > 0) {  // VXLAN first; NAT gets the rest
            n = overlay_.from_uplink(topo, in_port, pkts, n, from_remotes_);
            switch_from_remotes(topo, in_port, from_remotes_, now_tsc);
        }
        if (n > 0) {
            nat_.from_uplink(topo, in_port, pkts, n, now_s_, to_guests_);
            switch_to_guests(topo, to_guests_);
        }
        if constexpr (kCycleStats) ctr_.cycles.nat.add(stage_clock() - t0);
        return;
    }
    if (!in.active || in.network == kNoNetwork) {
        for (uint16_t i = 0; i < n; ++i) drop(pkts[i], in_port, DropReason::no_network);
        return;
    }
    const NetworkSlot& net = topo.networks[in.network];

    // Stage 1: classify each frame; keep the ones to switch or route, with their keys.
    const uint64_t t_parse = stage_clock();
    rte_mbuf* sw[kBurst];
    rte_mbuf* routed[kBurst];
    FdbKey src_keys[kBurst], dst_keys[kBurst], routed_keys[kBurst];  // src_keys: room for the routed ones too
    uint16_t ns = 0, nr = 0;
    for (uint16_t i = 0; i < n; ++i) {
        if (i + 1 < n) rte_prefetch0(rte_pktmbuf_mtod(pkts[i + 1], void*));
        rte_mbuf* m = pkts[i];
        const uint8_t* p = rte_pktmbuf_mtod(m, const uint8_t*);
        const FrameClass cls = classify_frame(p, rte_pktmbuf_data_len(m), net.services);
        if (is_dropped(cls)) {
            drop(m, in_port, drop_reason_of(cls));
            continue;
        }
        // A spoofed frame goes nowhere, not even to the DHCP server.
        if (in.mac_pinned && std::memcmp(p + 6, in.pinned_mac.bytes.data(), 6) != 0) {
            drop(m, in_port, DropReason::spoofed_src_mac);
            continue;
        }
        if (cls == FrameClass::slow_path) {
            exits_.to_slow_path(m, in_port);  // the control thread learns its source itself
            continue;
        }
        if (cls == FrameClass::routed) {
            // Learned like any frame (NAT replies are switched to this MAC),
            // translated after the lookups.
            routed[nr] = m;
            routed_keys[nr] = frame_fdb_key(p + 6, in.network);
            ++nr;
            continue;
        }
        sw[ns] = m;
        src_keys[ns] = frame_fdb_key(p + 6, in.network);
        dst_keys[ns] = frame_fdb_key(p, in.network);
        ++ns;
    }
    const uint64_t t_lookup = stage_clock();
    if constexpr (kCycleStats) ctr_.cycles.parse.add(t_lookup - t_parse);
    if (ns + nr == 0) return;

    // Stage 2: bulk lookups for all sources (switched, then routed) and for
    // the switched destinations.
    int32_t src_pos[kBurst], dst_pos[kBurst];
    for (uint16_t j = 0; j < nr; ++j) src_keys[ns + j] = routed_keys[j];
    lookup_fdb(src_keys, static_cast<uint16_t>(ns + nr), src_pos);
    lookup_fdb(dst_keys, ns, dst_pos);
    const uint64_t t_forward = stage_clock();
    if constexpr (kCycleStats) ctr_.cycles.lookup.add(t_forward - t_lookup);

    // Stage 3: learn the sources, forward to the learned port or flood.
    for (uint16_t j = 0; j < ns; ++j) {
        rte_mbuf* m = sw[j];
        if (!learn(src_pos[j], src_keys[j], in_port, now_tsc)) {
            drop(m, in_port, DropReason::mac_limit);
            continue;
        }
        if ((dst_keys[j].mac[0] & 1) || dst_pos[j] < 0) {
            flood(topo, in.network, in_port, m, true);
            continue;
        }
        const uint16_t out = shared_.fdb->entry(dst_pos[j]).port.load(std::memory_order_acquire);
        if (out == in_port) {
            drop(m, in_port, DropReason::same_port);
        } else if (out >= kMaxPorts || !topo.ports[out].active ||
                   topo.ports[out].network != in.network) {
            if (is_vtep_port(out))  // behind a remote host of this overlay network
                overlay_.to_vtep(topo, in.network, static_cast<uint16_t>(out - kVtepPortBase), in_port, m);
            else
                flood(topo, in.network, in_port, m, true);  // stale entry: the control thread flushes it soon
        } else {
            exits_.enqueue_tx(topo, out, m);
        }
    }
    if constexpr (kCycleStats) ctr_.cycles.forward.add(stage_clock() - t_forward);

    // Stage 4: NAT for the routed frames (inside -> uplink).
    if (nr > 0) {
        const uint64_t t_nat = stage_clock();
        uint16_t kept = 0;
        for (uint16_t j = 0; j < nr; ++j) {
            if (learn(src_pos[ns + j], routed_keys[j], in_port, now_tsc))
                routed[kept++] = routed[j];
            else
                drop(routed[j], in_port, DropReason::mac_limit);
        }
        if (kept > 0 && in.worker != index_) {
            nat_.hand_to_port_owner(topo, in_port, routed, kept);  // came on a further queue
        } else if (kept > 0) {
            nat_.from_guest(topo, in_port, in.network, routed, kept, now_s_, to_guests_);
            switch_to_guests(topo, to_guests_);  // hairpinned ones
        }
        if constexpr (kCycleStats) ctr_.cycles.nat.add(stage_clock() - t_nat);
    }
}

void Worker::flood(const Topology& topo, uint16_t network, uint16_t in_port, rte_mbuf* m, bool to_remotes) {
    const NetworkSlot& net = topo.networks[network];
    // Head-end replication: a copy to each remote host (they flood it there).
    const uint16_t remote_copies =
        to_remotes && topo.overlays[network].enabled ? overlay_.replicate(topo, network, in_port, m) : 0;
    uint16_t targets[kMaxPorts];
    uint16_t nt = 0;
    for (uint16_t k = 0; k < net.n_ports; ++k) {
        const uint16_t p = net.ports[k];
        if (p != in_port && shared_.link_up[p].load(std::memory_order_relaxed)) targets[nt++] = p;
    }
    if (nt == 0) {
        if (remote_copies > 0 || in_port >= kMaxPorts)  // (NAT's frames for guests have no port of their own)
            rte_pktmbuf_free(m);
        else
            drop(m, in_port, DropReason::no_destination);
        return;
    }
    // Every port's transmit copies the frame into its guest's ring (or the
    // kernel), so the ports can share one mbuf by reference count.
    if (nt > 1) rte_mbuf_refcnt_update(m, static_cast<int16_t>(nt - 1));
    for (uint16_t k = 0; k < nt; ++k) exits_.enqueue_tx(topo, targets[k], m);
}

void Worker::lookup_fdb(const FdbKey* keys, uint16_t n, int32_t* pos) {
    const uint32_t generation = shared_.fdb->generation();
    const void* key_ptrs[kBurst];
    uint16_t missed[kBurst];  // indexes of the keys the cache did not answer
    uint16_t nm = 0;
    for (uint16_t i = 0; i < n; ++i) {
        if (i > 0 && MacCache::as_u64(keys[i]) == MacCache::as_u64(keys[i - 1])) {
            pos[i] = kRepeat;  // filled in below, once the one before is known
            continue;
        }
        pos[i] = mac_cache_.find(keys[i], generation);
        if (pos[i] < 0) {
            missed[nm] = i;
            key_ptrs[nm++] = &keys[i];
        }
    }
    if (nm > 0) {
        int32_t found[kBurst];
        rte_hash_lookup_bulk(shared_.fdb->hash(), key_ptrs, nm, found);
        for (uint16_t j = 0; j < nm; ++j) {
            pos[missed[j]] = found[j];
            if (found[j] >= 0) mac_cache_.insert(keys[missed[j]], found[j], generation);
        }
    }
    for (uint16_t i = 1; i < n; ++i)
        if (pos[i] == kRepeat) pos[i] = pos[i - 1];
}

void Worker::switch_to_guests(const Topology& topo, ToGuests& g) {
    const uint16_t n = g.n;
    if (n == 0) return;
    g.n = 0;
    FdbKey keys[kBurst];
    int32_t pos[kBurst];
    for (uint16_t i = 0; i < n; ++i) keys[i] = frame_fdb_key(rte_pktmbuf_mtod(g.pkts[i], const uint8_t*), g.networks[i]);
    lookup_fdb(keys, n, pos);
    for (uint16_t i = 0; i < n; ++i) {
        if (pos[i] >= 0) {
            const uint16_t out = shared_.fdb->entry(pos[i]).port.load(std::memory_order_acquire);
            if (out < kMaxPorts && topo.ports[out].active && topo.ports[out].network == g.networks[i]) {
                exits_.enqueue_tx(topo, out, g.pkts[i]);
                continue;
            }
        }
        flood(topo, g.networks[i], kMaxPorts, g.pkts[i], false);
    }
}

void Worker::switch_from_remotes(const Topology& topo, uint16_t in_port, FromRemotes& r, uint64_t now_tsc) {
    const uint16_t n = r.n;
    if (n == 0) return;
    r.n = 0;
    FdbKey src_keys[kBurst], dst_keys[kBurst];
    uint16_t kept = 0;
    for (uint16_t i = 0; i < n; ++i) {
        const uint8_t* p = rte_pktmbuf_mtod(r.pkts[i], const uint8_t*);
        if (is_bad_src_mac(p + 6)) {
            drop(r.pkts[i], in_port, DropReason::bad_src_mac);
            continue;
        }
        r.pkts[kept] = r.pkts[i];
        r.networks[kept] = r.networks[i];
        r.vteps[kept] = r.vteps[i];
        src_keys[kept] = frame_fdb_key(p + 6, r.networks[i]);
        dst_keys[kept] = frame_fdb_key(p, r.networks[i]);
        ++kept;
    }
    int32_t src_pos[kBurst], dst_pos[kBurst];
    lookup_fdb(src_keys, kept, src_pos);
    lookup_fdb(dst_keys, kept, dst_pos);
    for (uint16_t j = 0; j < kept; ++j) {
        rte_mbuf* m = r.pkts[j];
        const uint16_t network = r.networks[j];
        learn(src_pos[j], src_keys[j], vtep_port(r.vteps[j]), now_tsc);
        if ((dst_keys[j].mac[0] & 1) || dst_pos[j] < 0) {
            flood(topo, network, in_port, m, false);  // the uplink port is in no network: every local port
            continue;
        }
        const uint16_t out = shared_.fdb->entry(dst_pos[j]).port.load(std::memory_order_acquire);
        if (out < kMaxPorts && topo.ports[out].active && topo.ports[out].network == network)
            exits_.enqueue_tx(topo, out, m);
        else if (is_vtep_port(out))
            drop(m, in_port, DropReason::overlay_split_horizon);
        else
            flood(topo, network, in_port, m, false);
    }
}

uint16_t Worker::drain_nat_handoff(const Topology& topo, uint32_t now_s) {
    uint16_t total = nat_.drain_out2in(topo, now_s, to_guests_);
    switch_to_guests(topo, to_guests_);
    total = static_cast<uint16_t>(total + nat_.drain_in2out(topo, now_s, to_guests_));
    switch_to_guests(topo, to_guests_);
    return total;
}

// Sleeps a little when there is nothing to do, longer the longer it lasts, so
// that an idle switch leaves the CPU to others (guests, tests, the generator).
// While asleep the worker is offline for RCU: it holds no table references.
void Worker::idle_backoff(uint32_t idle_rounds) {
    constexpr uint32_t kSpinRounds = 2048;
    if (idle_rounds < kSpinRounds) {
        rte_pause();
        return;
    }
    const uint32_t shift = std::min<uint32_t>((idle_rounds - kSpinRounds) / 64, 8);
    const unsigned us = std::min<unsigned>(1u << shift, shared_.idle_sleep_max_us);
    rte_rcu_qsbr_thread_offline(shared_.qsbr, index_);
    timespec ts{0, static_cast<long>(us) * 1000};
    nanosleep(&ts, nullptr);
    rte_rcu_qsbr_thread_online(shared_.qsbr, index_);
    ctr_.idle_sleeps.add(1);
}

void Worker::run() {
    rte_rcu_qsbr_thread_register(shared_.qsbr, index_);
    rte_rcu_qsbr_thread_online(shared_.qsbr, index_);
    uint32_t idle_rounds = 0;
    rte_mbuf* pkts[kBurst];
    while (!shared_.stop.load(std::memory_order_relaxed)) {
        const Topology* topo = shared_.topology.load(std::memory_order_acquire);
        uint32_t work = 0;
        if (topo != nullptr) {
            const uint64_t now = rte_rdtsc();
            now_s_ = static_cast<uint32_t>(now / shared_.tsc_hz);
            auto poll = [&](uint16_t port, uint16_t queue) {
                const uint64_t t_rx = stage_clock();
                const uint16_t n = rte_eth_rx_burst(port, queue, pkts, kBurst);
                if constexpr (kCycleStats) {
                    (n == 0 ? ctr_.cycles.empty_poll : ctr_.cycles.rx).add(stage_clock() - t_rx);
                    ctr_.cycles.packets.add(n);
                }
                if (n == 0) return;
                if (queue != 0) ctr_.port[port].rx_queue_packets[queue].add(n);  // queue 0's: the rest
                process_burst(*topo, port, pkts, n, now);
                work += n;
            };
            // Its own ports' queue 0, then the further queues it was given.
            const WorkerSlot& mine = topo->workers[index_];
            for (uint16_t k = 0; k < mine.n_ports; ++k) poll(mine.ports[k], 0);
            for (uint16_t k = 0; k < mine.n_extra_rx; ++k) poll(mine.extra_rx[k].port, mine.extra_rx[k].queue);
            const uint64_t t_tx = stage_clock();
            work += drain_nat_handoff(*topo, now_s_);
            work += drain_handoff(*topo);
            flush(*topo);
            if constexpr (kCycleStats) ctr_.cycles.tx.add(stage_clock() - t_tx);
            expire_nat(*topo, now_s_, work > 0 ? 8 : 64);
        }
        // Nothing from this round's snapshot is held past this point.
        rte_rcu_qsbr_quiescent(shared_.qsbr, index_);
        ctr_.rounds.add(1);
        if (work > 0) {
            ctr_.busy_rounds.add(1);
            idle_rounds = 0;
        } else {
            idle_backoff(++idle_rounds);
        }
    }
    rte_rcu_qsbr_thread_offline(shared_.qsbr, index_);
    rte_rcu_qsbr_thread_unregister(shared_.qsbr, index_);
}

}  // namespace vsw
