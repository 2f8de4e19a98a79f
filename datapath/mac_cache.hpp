// A worker's exact-match cache in front of the FDB's rte_hash: (network,
// MAC) -> the key's position in the FDB.
//
// An rte_hash lookup costs tens of cycles per key even in bulk (signatures,
// buckets, key compare), and the L2 path looks up two keys per frame (source
// and destination). With many MACs the bulk lookup was the largest cost left
// per frame; a direct-mapped table of recently seen keys answers most of them
// with one multiply and one cache line.
//
// A position stays the key's until the key is deleted (rte_hash keeps a key
// in its key slot while it lives; cuckoo moves only bucket entries), and
// the FDB's generation changes on every deletion, so a slot is trusted only
// when it was filled under the current generation. A worker that still uses
// a position within the burst in which it was deleted reads the entry that
// was there: the same as a bulk lookup in flight, and the slot is not reused
// before the worker's next quiescent state (RCU).
#pragma once

#include <cstdint>
#include <cstring>
#include <memory>

#include "fdb.hpp"

namespace vsw {

class MacCache {
public:
    static constexpr uint32_t kBits = 13;
    static constexpr uint32_t kEntries = 1u << kBits;  // 8192 x 16 B = 128 KB: fits a core's L2

    MacCache() : slots_(new Slot[kEntries]()) {}

    // The FDB position cached for `key` under `generation`, or -1.
    int32_t find(const FdbKey& key, uint32_t generation) const {
        const uint64_t k = as_u64(key);
        const Slot& s = slots_[index(k)];
        return s.key == k && s.generation == generation ? s.position : -1;
    }
    void insert(const FdbKey& key, int32_t position, uint32_t generation) {
        const uint64_t k = as_u64(key);
        slots_[index(k)] = Slot{k, position, generation};
    }

    static uint64_t as_u64(const FdbKey& key) {
        uint64_t k;
        std::memcpy(&k, &key, sizeof k);
        return k;
    }
    // Fibonacci hashing: the multiply spreads every key bit into the top bits.
    static uint32_t index(uint64_t k) { return static_cast<uint32_t>((k * 0x9E3779B97F4A7C15ull) >> (64 - kBits)); }

private:
    struct Slot {
        uint64_t key = 0;
        int32_t position = -1;
        uint32_t generation = 0;  // the FDB's start at 1: an empty slot never matches
    };
    static_assert(sizeof(Slot) == 16);
    std::unique_ptr<Slot[]> slots_;
};

}  // namespace vsw
