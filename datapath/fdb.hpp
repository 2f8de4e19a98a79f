// The forwarding database: (network, MAC) -> port, learned from traffic.
//
// One rte_hash with lock-free readers (RW_CONCURRENCY_LF) shared by all
// workers. The control thread is its only writer: workers post "learn" events
// on a ring and the control thread adds or moves entries, ages them and
// flushes them when ports or networks go away. Key slots are reclaimed through
// the same RCU (QSBR) variable the topology uses, so a worker never reads a
// slot that was freed under it.
//
// Per-entry state that workers update (last-seen time) lives in a plain array
// indexed by the key's position in the hash, not in the hash itself.
#pragma once

#include <atomic>
#include <bit>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "addr.hpp"
#include "limits.hpp"

struct rte_hash;
struct rte_rcu_qsbr;

namespace vsw {

// 8-byte hash key: the MAC in wire order, then the network id.
struct FdbKey {
    uint8_t mac[6];
    uint16_t network;
};
static_assert(sizeof(FdbKey) == 8);

inline FdbKey make_fdb_key(const uint8_t* mac, uint16_t network) {
    FdbKey k;
    __builtin_memcpy(k.mac, mac, 6);
    k.network = network;
    return k;
}

// The same key for a MAC inside a frame, where 8 bytes can be read at `mac`
// (a frame's destination at 0, its source at 6: the Ethernet header has 14).
// One 8-byte load and a merge in a register: make_fdb_key's 6- and 2-byte
// stores, read back as one 8-byte word by the lookups, stall store-to-load
// forwarding (measured: half of the L2 path's own cycles).
inline FdbKey frame_fdb_key(const uint8_t* mac, uint16_t network) {
    static_assert(std::endian::native == std::endian::little, "the MAC is the key's low 48 bits");
    uint64_t v;
    __builtin_memcpy(&v, mac, 8);
    v = (v & 0x0000ffffffffffffull) | static_cast<uint64_t>(network) << 48;
    FdbKey k;
    __builtin_memcpy(&k, &v, 8);
    return k;
}

struct FdbEntry {
    std::atomic<uint16_t> port{0};
    std::atomic<uint64_t> last_seen_tsc{0};
};

// What a worker posts when it sees a source MAC that is new or has moved.
struct LearnEvent {
    FdbKey key;
    uint16_t port;
    uint16_t pad;
};
static_assert(sizeof(LearnEvent) == 12);

class Fdb {
public:
    // `capacity` entries; `qsbr` is the RCU variable workers report to.
    static std::unique_ptr<Fdb> create(const std::string& name, uint32_t capacity, rte_rcu_qsbr* qsbr);
    ~Fdb();
    Fdb(const Fdb&) = delete;
    Fdb& operator=(const Fdb&) = delete;

    const rte_hash* hash() const { return hash_; }
    // Changes whenever a key is deleted (its position may then be given to
    // another key): positions cached under an older value are not to be
    // trusted (MacCache). Never 0.
    uint32_t generation() const { return generation_.load(std::memory_order_acquire); }
    FdbEntry& entry(int32_t position) { return entries_[position]; }
    uint32_t capacity() const { return capacity_; }

    // ---- control thread only ----
    enum class LearnResult { added, moved, refreshed, table_full };
    LearnResult learn(const FdbKey& key, uint16_t port, uint64_t now_tsc);
    // Removes entries idle for longer than max_idle_tsc; returns how many.
    unsigned age(uint64_t now_tsc, uint64_t max_idle_tsc);
    // Removes every entry that matches the predicate; returns how many.
    unsigned remove_if(const std::function<bool(const FdbKey&, uint16_t port)>& pred);
    void for_each(const std::function<void(const FdbKey&, uint16_t port, uint64_t last_seen_tsc)>& fn) const;
    // Live entries. (rte_hash_count would also count deleted keys whose
    // slots wait in the RCU defer queue for reclamation.)
    uint32_t size() const { return live_; }

private:
    Fdb() = default;
    rte_hash* hash_ = nullptr;
    std::unique_ptr<FdbEntry[]> entries_;
    uint32_t capacity_ = 0;
    uint32_t live_ = 0;
    std::atomic<uint32_t> generation_{1};
    unsigned remove_keys(const std::vector<FdbKey>& keys);
    void deleted_keys();  // a new generation
};

}  // namespace vsw
