// IPv4 fragments through NAT by "virtual reassembly": fragments are
// translated one by one, never reassembled. Only the first fragment (offset
// 0) carries the L4 header, so it is translated like any packet and the
// worker remembers what it did under the datagram's identity (source,
// destination, protocol, IP id, and the network or uplink it came from). A
// later fragment is found by that identity and gets the same address
// rewrite; its bytes belong to the L4 payload, whose checksum the first
// fragment already carries. The same memory holds "hand it to worker N"
// notes, for a first fragment that belonged to another worker's session.
//
// The table is a fixed array, direct-mapped by a hash of the identity: no
// allocation, O(1), and an old entry simply gets overwritten. A later
// fragment that comes before its first one (or after its entry was
// overwritten or expired) is dropped and counted. An entry whose datagram did
// not finish (its last fragment never came) within kFragmentLifetime is a
// reassembly timeout, counted when the slot is reused or looked up.
#pragma once

#include <cstdint>

#include "../counters.hpp"

namespace vsw::nat {

inline constexpr uint32_t kFragmentSlots = 4096;     // power of two
inline constexpr uint32_t kFragmentLifetime = 2;     // seconds

struct FragmentKey {
    uint32_t src_ip = 0, dst_ip = 0;   // network order, as received
    uint16_t ip_id = 0;
    uint8_t proto = 0;
    uint8_t outbound = 0;              // 1: guest -> uplink, 0: uplink -> guest
    uint16_t context = 0;              // the network (outbound) or the uplink (inbound)
    uint16_t pad = 0;
    bool operator==(const FragmentKey&) const = default;
};

// What the first fragment's translation did to the IPv4 addresses, or which
// worker did it.
struct FragmentAction {
    uint32_t new_src_ip = 0, new_dst_ip = 0;  // network order; equal to the old = unchanged
    uint16_t network = 0;                     // inbound: the guest's network
    uint8_t guest_mac[6] = {};                // inbound: where to switch it
    int16_t hand_to_worker = -1;              // >= 0: not translated here; that worker did
    uint8_t uplink = 0xff;                    // outbound: the uplink its session leaves by (0xff: the network's)
};

class FragmentTable {
public:
    // Remembers the first fragment's action.
    void remember(const FragmentKey& k, const FragmentAction& a, uint32_t now_s);
    // The action for a later fragment, or nullptr. `last` marks the
    // datagram's final fragment (MF clear): the entry is done after it.
    const FragmentAction* find(const FragmentKey& k, bool last, uint32_t now_s);

    // Retires up to `budget` slots' expired entries (counting unfinished ones).
    void sweep(uint32_t now_s, unsigned budget);

    uint64_t timeouts() const { return timeouts_.get(); }  // any thread may read
    uint32_t in_use() const { return in_use_; }           // the owning worker only

private:
    struct Entry {
        FragmentKey key;
        FragmentAction action;
        uint32_t created = 0;
        bool used = false;
        bool done = false;
    };
    static uint32_t slot_of(const FragmentKey& k);
    void retire(Entry& e);

    Entry slots_[kFragmentSlots];
    Counter timeouts_;
    uint32_t sweep_cursor_ = 0;
    uint32_t in_use_ = 0;  // entries with `used` set
};

}  // namespace vsw::nat
