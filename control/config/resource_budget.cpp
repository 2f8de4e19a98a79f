#include "resource_budget.hpp"

#include <algorithm>
#include <bit>

namespace vsw {

namespace {
constexpr uint64_t kBaseMb = 150;               // mbuf pool (32767 x 2.3 KB), FDB, rings, EAL's own
constexpr uint64_t kNatBytesPerEntry = 176;     // by_inside + by_outside + mappings hashes
constexpr uint64_t kNat6BytesPerEntry = 240;    // the same with IPv6 keys (48 + 24 + 24 bytes)
constexpr uint64_t kMaxNat6Capacity = 256u << 10;
constexpr uint64_t kPerPortMb = 1;              // vhost queues, tx rings
constexpr uint64_t kMinNatCapacity = 4096;
constexpr uint64_t kMaxNatCapacity = 4u << 20;
}  // namespace

uint32_t nat_capacity_per_worker(const Config& config) {
    const uint64_t workers = std::max<size_t>(1, config.switch_config.cores.size());
    uint64_t capacity = 0;
    for (const auto& [name, net] : config.networks)
        if (net.nat) capacity += (net.nat->max_sessions + workers - 1) / workers;
    return static_cast<uint32_t>(std::clamp(capacity, kMinNatCapacity, kMaxNatCapacity));
}

uint32_t nat6_capacity_per_worker(const Config& config) {
    const uint64_t workers = std::max<size_t>(1, config.switch_config.cores.size());
    uint64_t capacity = 0;
    for (const auto& [name, net] : config.networks)
        if (net.nat && net.subnet6) capacity += (net.nat->max_sessions + workers - 1) / workers;
    return static_cast<uint32_t>(std::clamp(capacity, kMinNatCapacity, kMaxNat6Capacity));
}

unsigned dpdk_memory_needed_mb(const Config& config) {
    const uint64_t workers = std::max<size_t>(1, config.switch_config.cores.size());
    const uint64_t nat_entries = std::bit_ceil(static_cast<uint64_t>(nat_capacity_per_worker(config)));
    const uint64_t nat6_entries = std::bit_ceil(static_cast<uint64_t>(nat6_capacity_per_worker(config)));
    const uint64_t nat_mb =
        (workers * (nat_entries * kNatBytesPerEntry + nat6_entries * kNat6BytesPerEntry) + (1u << 20) - 1) >> 20;
    const uint64_t ports = config.ports.size() + config.uplinks.size();
    return static_cast<unsigned>(kBaseMb + nat_mb + ports * kPerPortMb);
}

}  // namespace vsw
