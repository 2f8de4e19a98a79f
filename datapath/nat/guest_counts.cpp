#include "guest_counts.hpp"

#include <algorithm>
#include <bit>

namespace vsw::nat {

GuestCounts::GuestCounts(uint32_t max_guests) {
    const uint32_t slots = std::bit_ceil(std::max<uint32_t>(max_guests, 8) * 2);
    slots_ = std::make_unique<Slot[]>(slots);
    mask_ = slots - 1;
    max_used_ = slots / 2;
}

uint32_t GuestCounts::home(uint16_t network, uint32_t ip) const {
    uint64_t h = (static_cast<uint64_t>(network) << 32 | ip) * 0x9e3779b97f4a7c15ull;  // Fibonacci hashing
    return static_cast<uint32_t>(h >> 32) & mask_;
}

uint32_t GuestCounts::find(uint16_t network, uint32_t ip) const {
    for (uint32_t i = home(network, ip);; i = (i + 1) & mask_) {
        const Slot& s = slots_[i];
        if (!s.used) return mask_ + 1;
        if (s.ip == ip && s.network == network) return i;
    }
}

uint32_t GuestCounts::get(uint16_t network, uint32_t ip) const {
    const uint32_t i = find(network, ip);
    return i > mask_ ? 0 : slots_[i].count;
}

bool GuestCounts::add(uint16_t network, uint32_t ip) {
    uint32_t i = home(network, ip);
    for (;; i = (i + 1) & mask_) {
        Slot& s = slots_[i];
        if (!s.used) break;
        if (s.ip == ip && s.network == network) {
            ++s.count;
            return true;
        }
    }
    if (used_ >= max_used_) return false;  // keep probes short: at most half full
    slots_[i] = Slot{ip, network, true, 1};
    ++used_;
    return true;
}

void GuestCounts::remove(uint16_t network, uint32_t ip) {
    uint32_t i = find(network, ip);
    if (i > mask_) return;
    if (--slots_[i].count > 0) return;
    // Backward-shift deletion: pull later members of the probe run into the hole.
    slots_[i].used = false;
    --used_;
    for (uint32_t j = (i + 1) & mask_; slots_[j].used; j = (j + 1) & mask_) {
        const uint32_t h = home(slots_[j].network, slots_[j].ip);
        // Move j into the hole i unless its home lies cyclically in (i, j].
        const bool home_after_hole = i <= j ? (h > i && h <= j) : (h > i || h <= j);
        if (home_after_hole) continue;
        slots_[i] = slots_[j];
        slots_[j].used = false;
        i = j;
    }
}

}  // namespace vsw::nat
