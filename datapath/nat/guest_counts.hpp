// How many sessions each guest (network, inside address) holds in one
// worker's NAT table, so that one guest cannot take all of a network's
// sessions (networks.X.max_sessions_per_guest).
//
// A fixed-size open-addressing table (linear probing, backward-shift
// deletion: no tombstones), sized when the NAT table is made: no allocation
// on the datapath. A guest with no sessions has no slot. When every slot is
// taken (more distinct guests than the table was sized for), add() says so
// and the caller does not limit that guest: the network-wide max_sessions
// still holds.
#pragma once

#include <cstdint>
#include <memory>

namespace vsw::nat {

class GuestCounts {
public:
    // Room for `max_guests` distinct guests (rounded up; the table is kept at most half full).
    explicit GuestCounts(uint32_t max_guests);

    uint32_t get(uint16_t network, uint32_t ip) const;
    // Counts one more session for the guest; false if the guest had no slot and none was free.
    bool add(uint16_t network, uint32_t ip);
    // One session fewer (a guest without a slot is ignored).
    void remove(uint16_t network, uint32_t ip);
    uint32_t guests() const { return used_; }

private:
    struct Slot {
        uint32_t ip = 0;
        uint16_t network = 0;
        bool used = false;
        uint32_t count = 0;
    };
    uint32_t home(uint16_t network, uint32_t ip) const;
    uint32_t find(uint16_t network, uint32_t ip) const;  // index, or mask_ + 1 when absent

    std::unique_ptr<Slot[]> slots_;
    uint32_t mask_ = 0;
    uint32_t used_ = 0;
    uint32_t max_used_ = 0;
};

}  // namespace vsw::nat
