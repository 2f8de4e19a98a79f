#include "nat_table.hpp"

#include <rte_hash.h>
#include <rte_hash_crc.h>
#include <rte_prefetch.h>

#include <algorithm>
#include <cstring>

namespace vsw::nat {

namespace {

// rte_hash_crc with the key read through memcpy. DPDK's reads it 8 bytes at
// a time through plain pointer casts: undefined behaviour for a key that is
// not 8-byte aligned, which OutsideKey and MapKey (12 bytes, 4-aligned) are
// wherever they sit in a struct or on the stack at an odd multiple of 4
// (UBSan: "load of misaligned address", found by tests/fuzz/fuzz_nat_worker).
// Same hash values, and the same unaligned loads on x86.
uint32_t crc_hash(const void* key, uint32_t len, uint32_t init) {
    const auto* p = static_cast<const uint8_t*>(key);
    for (; len >= 8; len -= 8, p += 8) {
        uint64_t v;
        std::memcpy(&v, p, 8);
        init = rte_hash_crc_8byte(v, init);
    }
    if (len >= 4) {
        uint32_t v;
        std::memcpy(&v, p, 4);
        init = rte_hash_crc_4byte(v, init);
        len -= 4;
        p += 4;
    }
    for (; len > 0; --len, ++p) init = rte_hash_crc_1byte(*p, init);
    return init;
}

rte_hash* make_hash(const std::string& name, uint32_t entries, uint32_t key_len) {
    rte_hash_parameters p{};
    p.name = name.c_str();
    p.entries = entries;
    p.key_len = key_len;
    p.hash_func = crc_hash;  // SSE4.2 crc32: a fraction of jhash's cycles
    p.socket_id = 0;
    p.extra_flag = RTE_HASH_EXTRA_FLAGS_EXT_TABLE;  // full means full, not an unlucky bucket
    return rte_hash_create(&p);
}

}  // namespace

template <class F>
std::unique_ptr<BasicNatTable<F>> BasicNatTable<F>::create(const std::string& name, uint32_t capacity) {
    std::unique_ptr<BasicNatTable> t(new BasicNatTable());
    t->capacity_ = capacity;
    t->by_inside_ = make_hash(name + "_in", capacity, sizeof(InsideKey));
    t->by_outside_ = make_hash(name + "_out", capacity, sizeof(OutsideKey));
    t->mappings_ = make_hash(name + "_map", capacity, sizeof(MapKey));
    if (!t->by_inside_ || !t->by_outside_ || !t->mappings_) return nullptr;
    // rte_hash positions run up to its internal size (entries plus slack).
    t->slots_ = capacity + 1024;
    t->sessions_ = std::make_unique<Session[]>(t->slots_);
    t->mapping_data_ = std::make_unique<Mapping[]>(t->slots_);
    t->ports_used_.assign(static_cast<size_t>(kMaxUplinks) * 3 * 65536, 0);
    // Distinct guests are at most the sessions, and far fewer in practice.
    t->guests_ = std::make_unique<GuestCounts>(std::min<uint32_t>(capacity, 65536));
    return t;
}

template <class F>
BasicNatTable<F>::~BasicNatTable() {
    if (by_inside_) rte_hash_free(by_inside_);
    if (by_outside_) rte_hash_free(by_outside_);
    if (mappings_) rte_hash_free(mappings_);
}

template <class F>
int BasicNatTable<F>::proto_index(uint8_t proto) { return proto == kProtoTcp ? 0 : proto == kProtoUdp ? 1 : 2; }

template <class F>
bool BasicNatTable<F>::port_used(uint16_t uplink, uint8_t proto, uint16_t port) const {
    return ports_used_[(static_cast<size_t>(uplink) * 3 + proto_index(proto)) * 65536 + port] != 0;
}
template <class F>
void BasicNatTable<F>::set_port(uint16_t uplink, uint8_t proto, uint16_t port, bool used) {
    ports_used_[(static_cast<size_t>(uplink) * 3 + proto_index(proto)) * 65536 + port] = used ? 1 : 0;
}

template <class F>
typename BasicNatTable<F>::Session* BasicNatTable<F>::find_inside(const InsideKey& k) {
    const int32_t pos = rte_hash_lookup(by_inside_, &k);
    return pos >= 0 ? &sessions_[pos] : nullptr;
}

template <class F>
typename BasicNatTable<F>::Session* BasicNatTable<F>::find_outside(const OutsideKey& k) {
    void* data = nullptr;
    if (rte_hash_lookup_data(by_outside_, &k, &data) < 0) return nullptr;
    return &sessions_[reinterpret_cast<uintptr_t>(data)];
}

template <class F>
void BasicNatTable<F>::find_inside_bulk(const InsideKey* const* keys, unsigned n, Session** out) {
    const void* ptrs[RTE_HASH_LOOKUP_BULK_MAX];
    int32_t pos[RTE_HASH_LOOKUP_BULK_MAX];
    for (unsigned i = 0; i < n; ++i) ptrs[i] = keys[i];
    rte_hash_lookup_bulk(by_inside_, ptrs, n, pos);
    for (unsigned i = 0; i < n; ++i) {
        out[i] = pos[i] >= 0 ? &sessions_[pos[i]] : nullptr;
        if (out[i] != nullptr) rte_prefetch0(out[i]);
    }
}

template <class F>
void BasicNatTable<F>::find_outside_bulk(const OutsideKey* const* keys, unsigned n, Session** out) {
    const void* ptrs[RTE_HASH_LOOKUP_BULK_MAX];
    void* data[RTE_HASH_LOOKUP_BULK_MAX];
    uint64_t hits = 0;
    for (unsigned i = 0; i < n; ++i) ptrs[i] = keys[i];
    rte_hash_lookup_bulk_data(by_outside_, ptrs, n, &hits, data);
    for (unsigned i = 0; i < n; ++i) {
        out[i] = (hits >> i) & 1 ? &sessions_[reinterpret_cast<uintptr_t>(data[i])] : nullptr;
        if (out[i] != nullptr) rte_prefetch0(out[i]);
    }
}

template <class F>
void BasicNatTable<F>::prepare_creations(const InsideKey* const* keys, unsigned n, uint16_t uplink) {
    MapKey map_keys[RTE_HASH_LOOKUP_BULK_MAX];
    OutsideKey out_keys[RTE_HASH_LOOKUP_BULK_MAX];
    const void* ptrs[RTE_HASH_LOOKUP_BULK_MAX];
    int32_t pos[RTE_HASH_LOOKUP_BULK_MAX];
    for (unsigned i = 0; i < n; ++i) {
        const InsideKey& in = *keys[i];
        map_keys[i] = F::map_key(in, uplink);
        ptrs[i] = &map_keys[i];
    }
    rte_hash_lookup_bulk(mappings_, ptrs, n, pos);
    unsigned m = 0;
    for (unsigned i = 0; i < n; ++i) {
        if (pos[i] < 0) continue;  // a new mapping: its port (so its outside key) is not known yet
        const InsideKey& in = *keys[i];
        out_keys[m] = F::outside_key(in, uplink, __builtin_bswap16(mapping_data_[pos[i]].out_port));
        ptrs[m] = &out_keys[m];
        ++m;
    }
    if (m > 0) rte_hash_lookup_bulk(by_outside_, ptrs, m, pos);
}

template <class F>
typename BasicNatTable<F>::Result BasicNatTable<F>::create_masquerade(const InsideKey& in, uint16_t uplink, PortSlice slice,
                                             const uint16_t* reserved, unsigned n_reserved, Session*& out) {
    // Callers look the key up first; should one exist anyway, it goes before
    // its mapping is looked up (create_forwarded would remove it afterwards,
    // possibly freeing the very mapping this session is about to use).
    if (Session* old = find_inside(in)) remove(*old);
    if (live_ >= capacity_) return Result::table_full;
    const MapKey mk = F::map_key(in, uplink);
    int32_t mpos = rte_hash_lookup(mappings_, &mk);
    uint16_t out_port = 0;
    if (mpos >= 0) {
        out_port = mapping_data_[mpos].out_port;
    } else {
        // Find a free port in this worker's slice, round-robin from a cursor.
        const uint32_t span = static_cast<uint32_t>(slice.last) - slice.first + 1;
        uint16_t& cursor = alloc_cursor_[uplink][proto_index(in.proto)];
        bool found = false;
        for (uint32_t i = 0; i < span && !found; ++i) {
            const uint16_t p = static_cast<uint16_t>(slice.first + (cursor + i) % span);
            if (port_used(uplink, in.proto, p) || std::binary_search(reserved, reserved + n_reserved, p)) continue;
            out_port = p;
            cursor = static_cast<uint16_t>((cursor + i + 1) % span);
            found = true;
        }
        if (!found) return Result::ports_exhausted;
        mpos = rte_hash_add_key(mappings_, &mk);
        if (mpos < 0 || static_cast<uint32_t>(mpos) >= slots_) return Result::table_full;
        mapping_data_[mpos] = Mapping{out_port, 0};
        set_port(uplink, in.proto, out_port, true);
    }
    const OutsideKey ok = F::outside_key(in, uplink, __builtin_bswap16(out_port));
    // The outside key can be taken only by a port forward added since this
    // mapping's port was handed out (reserved ports are skipped otherwise).
    if (Session* old = find_outside(ok)) remove(*old);
    Result r = insert(in, ok, out);
    if (r != Result::ok) {
        if (mapping_data_[mpos].refs == 0) {  // the mapping was made for this session only
            set_port(uplink, in.proto, out_port, false);
            rte_hash_del_key(mappings_, &mk);
        }
        return r;
    }
    mapping_data_[mpos].refs++;
    out->from_forward = false;
    return Result::ok;
}

template <class F>
typename BasicNatTable<F>::Result BasicNatTable<F>::create_forwarded(const InsideKey& in, const OutsideKey& ok, Session*& s) {
    // A session already holding either key is replaced. rte_hash_add_key on
    // an existing key returns its position (and add_key_data repoints the
    // key), so without this the old session was overwritten in place: its
    // outside key stayed behind pointing at the slot, its mapping's port was
    // never freed and live_ counted it twice. It happens when a guest sent
    // from its forwarded port to a remote (masquerade session) and that
    // remote then connects to the forwarded host port: same inside key.
    if (Session* old = find_inside(in)) remove(*old);
    if (Session* old = find_outside(ok)) remove(*old);
    return insert(in, ok, s);
}

template <class F>
typename BasicNatTable<F>::Result BasicNatTable<F>::insert(const InsideKey& in, const OutsideKey& ok, Session*& s) {
    if (live_ >= capacity_) return Result::table_full;
    const int32_t pos = rte_hash_add_key(by_inside_, &in);
    if (pos < 0 || static_cast<uint32_t>(pos) >= slots_) {
        if (pos >= 0) rte_hash_del_key(by_inside_, &in);
        return Result::table_full;
    }
    if (rte_hash_add_key_data(by_outside_, &ok, reinterpret_cast<void*>(static_cast<uintptr_t>(pos))) != 0) {
        rte_hash_del_key(by_inside_, &in);
        return Result::table_full;
    }
    s = &sessions_[pos];
    *s = Session{};
    s->in = in;
    s->out = ok;
    s->in_use = true;
    s->from_forward = true;
    ++live_;
    if (in.network < kMaxNetworks) add_live(in.network, 1);
    guests_->add(in.network, F::guest(in));
    ++generation_;
    used_slots_ = std::max(used_slots_, static_cast<uint32_t>(pos) + 1);
    return Result::ok;
}

template <class F>
void BasicNatTable<F>::add_live(uint16_t network, int delta) {
    std::atomic<uint32_t>& n = live_in_network_[network];
    n.store(n.load(std::memory_order_relaxed) + static_cast<uint32_t>(delta), std::memory_order_relaxed);
}

template <class F>
void BasicNatTable<F>::remove(Session& s) {
    if (!s.in_use) return;
    rte_hash_del_key(by_outside_, &s.out);
    rte_hash_del_key(by_inside_, &s.in);
    if (!s.from_forward) {
        const MapKey mk = F::map_key(s.in, s.out.uplink);
        const int32_t mpos = rte_hash_lookup(mappings_, &mk);
        if (mpos >= 0 && --mapping_data_[mpos].refs == 0) {
            set_port(s.out.uplink, s.in.proto, mapping_data_[mpos].out_port, false);
            rte_hash_del_key(mappings_, &mk);
        }
    }
    s.in_use = false;
    --live_;
    if (s.in.network < kMaxNetworks) add_live(s.in.network, -1);
    guests_->remove(s.in.network, F::guest(s.in));
    ++generation_;
}

template <class F>
void BasicNatTable<F>::touch(Session& s, uint8_t flags, bool from_inside, uint32_t now, const Timeouts& t) {
    s.last_seen = now;
    (from_inside ? s.packets_out : s.packets_in)++;
    if (s.in.proto != kProtoTcp) {
        s.timeout = s.in.proto == kProtoUdp ? t.udp : t.icmp;
        return;
    }
    if (flags & kTcpRst) {
        s.tcp = TcpState::closed;
    } else if (flags & kTcpFin) {
        s.tcp = TcpState::closing;
    } else if (s.tcp == TcpState::none) {
        s.tcp = TcpState::syn_sent;
    } else if (s.tcp == TcpState::syn_sent && !from_inside && (flags & kTcpAck)) {
        s.tcp = TcpState::established;  // the remote answered the SYN
    } else if (s.tcp == TcpState::syn_sent && from_inside && (flags & kTcpAck) && s.packets_in > 0) {
        s.tcp = TcpState::established;  // an inbound (forwarded) connection completed
    }
    s.timeout = s.tcp == TcpState::established ? t.tcp_established : t.tcp_transitory;
}

template <class F>
unsigned BasicNatTable<F>::expire_some(uint32_t now, const uint32_t* epoch_of, unsigned budget) {
    unsigned removed = 0;
    // Wrap at the highest position ever used, not at slots_: rte_hash hands
    // out positions below its entry count, so the slots above hold no
    // session, and a scan that spent its budget there found nothing (the
    // stage's make_room() then dropped a new flow as "table full" while
    // every session had expired).
    if (used_slots_ == 0) return 0;
    budget = std::min(budget, used_slots_);
    for (unsigned i = 0; i < budget; ++i) {
        Session& s = sessions_[expire_cursor_];
        expire_cursor_ = (expire_cursor_ + 1) % used_slots_;
        if (!s.in_use) continue;
        const bool stale_epoch = epoch_of != nullptr && epoch_of[s.in.network] != s.epoch;
        if (stale_epoch || now - s.last_seen > s.timeout) {
            remove(s);
            ++removed;
        }
    }
    return removed;
}

template class BasicNatTable<Family4>;
template class BasicNatTable<Family6>;

}  // namespace vsw::nat
