#include "fdb.hpp"

#include <rte_errno.h>
#include <rte_hash.h>
#include <rte_hash_crc.h>
#include <rte_lcore.h>

#include <cstring>
#include <vector>

namespace vsw {

namespace {

// rte_hash_crc for the 8-byte FdbKey, with the key read through memcpy.
// DPDK's reads it through a uint64_t pointer: undefined behaviour for FdbKey
// (2-byte aligned), e.g. the copy of a LearnEvent's key on the control
// thread's stack at an address that is 4 mod 8 (UBSan: "load of misaligned
// address" in rte_hash_crc.h, from Switch::learn_mac; scripts/sanitize.sh).
// The same hash values (one crc32 of the 8 bytes) and the same load on x86;
// FdbKey's layout, and so LearnEvent's, stays as it is.
uint32_t fdb_hash(const void* key, uint32_t /*len: always sizeof(FdbKey)*/, uint32_t init) {
    uint64_t v;
    std::memcpy(&v, key, sizeof v);
    return rte_hash_crc_8byte(v, init);
}

}  // namespace

std::unique_ptr<Fdb> Fdb::create(const std::string& name, uint32_t capacity, rte_rcu_qsbr* qsbr) {
    rte_hash_parameters params{};
    params.name = name.c_str();
    params.entries = capacity;
    params.key_len = sizeof(FdbKey);
    params.hash_func = fdb_hash;  // SSE4.2 crc32: a fraction of jhash's cycles
    params.socket_id = static_cast<int>(rte_socket_id());
    // Readers (workers) never take a lock; the control thread is the one writer.
    params.extra_flag = RTE_HASH_EXTRA_FLAGS_RW_CONCURRENCY_LF | RTE_HASH_EXTRA_FLAGS_EXT_TABLE;

    std::unique_ptr<Fdb> fdb(new Fdb());
    fdb->hash_ = rte_hash_create(&params);
    if (fdb->hash_ == nullptr) return nullptr;
    // Key slots are handed back only after a grace period, so a worker that
    // found a position just before the delete still reads a valid entry.
    rte_hash_rcu_config rcu{};
    rcu.v = qsbr;
    rcu.mode = RTE_HASH_QSBR_MODE_DQ;
    if (rte_hash_rcu_qsbr_add(fdb->hash_, &rcu) != 0) return nullptr;
    // rte_hash positions run from 0 to the table's internal size; with the
    // extendable table that is at most entries + one bucket's worth per core.
    fdb->capacity_ = capacity + 1024;
    fdb->entries_ = std::make_unique<FdbEntry[]>(fdb->capacity_);
    return fdb;
}

Fdb::~Fdb() {
    if (hash_ != nullptr) rte_hash_free(hash_);
}

Fdb::LearnResult Fdb::learn(const FdbKey& key, uint16_t port, uint64_t now_tsc) {
    int32_t pos = rte_hash_lookup(hash_, &key);
    if (pos >= 0) {
        FdbEntry& e = entries_[pos];
        e.last_seen_tsc.store(now_tsc, std::memory_order_relaxed);
        if (e.port.load(std::memory_order_relaxed) == port) return LearnResult::refreshed;
        e.port.store(port, std::memory_order_release);
        return LearnResult::moved;
    }
    pos = rte_hash_add_key(hash_, &key);
    if (pos < 0 || static_cast<uint32_t>(pos) >= capacity_) {
        if (pos >= 0) {
            rte_hash_del_key(hash_, &key);
            deleted_keys();
        }
        return LearnResult::table_full;
    }
    FdbEntry& e = entries_[pos];
    e.port.store(port, std::memory_order_relaxed);
    e.last_seen_tsc.store(now_tsc, std::memory_order_relaxed);
    ++live_;
    return LearnResult::added;
}

void Fdb::for_each(
    const std::function<void(const FdbKey&, uint16_t port, uint64_t last_seen_tsc)>& fn) const {
    uint32_t iter = 0;
    const void* key;
    void* data;
    int32_t pos;
    while ((pos = rte_hash_iterate(hash_, &key, &data, &iter)) >= 0) {
        const FdbEntry& e = entries_[pos];
        fn(*static_cast<const FdbKey*>(key), e.port.load(std::memory_order_relaxed),
           e.last_seen_tsc.load(std::memory_order_relaxed));
    }
}

unsigned Fdb::remove_if(const std::function<bool(const FdbKey&, uint16_t port)>& pred) {
    std::vector<FdbKey> doomed;
    for_each([&](const FdbKey& k, uint16_t port, uint64_t) {
        if (pred(k, port)) doomed.push_back(k);
    });
    return remove_keys(doomed);
}

unsigned Fdb::remove_keys(const std::vector<FdbKey>& keys) {
    unsigned removed = 0;
    for (const FdbKey& k : keys) removed += rte_hash_del_key(hash_, &k) >= 0;
    live_ -= removed;
    if (removed > 0) deleted_keys();
    return removed;
}

void Fdb::deleted_keys() {
    uint32_t next = generation_.load(std::memory_order_relaxed) + 1;
    if (next == 0) next = 1;  // 0 marks an empty MacCache slot
    generation_.store(next, std::memory_order_release);
}

unsigned Fdb::age(uint64_t now_tsc, uint64_t max_idle_tsc) {
    std::vector<FdbKey> doomed;
    for_each([&](const FdbKey& k, uint16_t, uint64_t seen) {
        if (now_tsc > seen && now_tsc - seen > max_idle_tsc) doomed.push_back(k);
    });
    return remove_keys(doomed);
}

}  // namespace vsw
