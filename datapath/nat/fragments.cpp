#include "fragments.hpp"

#include <cstring>

namespace vsw::nat {

uint32_t FragmentTable::slot_of(const FragmentKey& k) {
    // A multiplicative hash of the identity's words (the IP id varies most).
    uint64_t h = (static_cast<uint64_t>(k.src_ip) << 32 | k.dst_ip) * 0x9E3779B97F4A7C15ull;
    h ^= (static_cast<uint64_t>(k.ip_id) << 32 | static_cast<uint64_t>(k.proto) << 24 |
          static_cast<uint64_t>(k.outbound) << 16 | k.context) * 0xC2B2AE3D27D4EB4Full;
    return static_cast<uint32_t>(h >> 40) & (kFragmentSlots - 1);
}

// An entry leaves the table; if its datagram never finished, that is a timeout.
void FragmentTable::retire(Entry& e) {
    if (e.used && !e.done) timeouts_.add(1);
    if (e.used) --in_use_;
    e.used = false;
}

void FragmentTable::remember(const FragmentKey& k, const FragmentAction& a, uint32_t now_s) {
    Entry& e = slots_[slot_of(k)];
    if (e.used && !(e.key == k)) retire(e);
    e.key = k;
    e.action = a;
    e.created = now_s;
    if (!e.used) ++in_use_;
    e.used = true;
    e.done = false;
}

const FragmentAction* FragmentTable::find(const FragmentKey& k, bool last, uint32_t now_s) {
    Entry& e = slots_[slot_of(k)];
    if (!e.used || !(e.key == k)) return nullptr;
    if (now_s - e.created > kFragmentLifetime) {
        retire(e);
        return nullptr;
    }
    if (last) e.done = true;  // stays for duplicates until overwritten or expired
    return &e.action;
}

void FragmentTable::sweep(uint32_t now_s, unsigned budget) {
    // Mostly there are no fragments at all: then walking the slots would only
    // pull their cache lines in, every round (measured: 1 % of an L2 worker).
    for (unsigned i = 0; i < budget && in_use_ > 0; ++i) {
        Entry& e = slots_[sweep_cursor_];
        sweep_cursor_ = (sweep_cursor_ + 1) & (kFragmentSlots - 1);
        if (e.used && now_s - e.created > kFragmentLifetime) retire(e);
    }
}

}  // namespace vsw::nat
