// vswgen's latency histogram (header-only: the receive path adds to it per
// packet).
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>

namespace vswgen {

// Log-linear latency histogram over TSC cycles: 16 sub-buckets per power of
// two (relative error < 6.25%), exact max.
struct Histogram {
    static constexpr unsigned kSub = 16;
    std::array<uint64_t, 64 * kSub> b{};
    uint64_t count = 0, max = 0;
    static unsigned index(uint64_t v) {
        if (v < kSub) return unsigned(v);
        unsigned msb = 63 - __builtin_clzll(v);
        unsigned sub = unsigned(v >> (msb - 4)) & (kSub - 1);
        return (msb - 3) * kSub + sub;
    }
    static double value(unsigned i) {  // bucket midpoint
        if (i < kSub) return i;
        unsigned msb = i / kSub + 3, sub = i % kSub;
        double lo = double((uint64_t(kSub) | sub) << (msb - 4));
        return lo + double(uint64_t(1) << (msb - 4)) / 2;
    }
    void add(uint64_t v) {
        ++b[index(v)];
        ++count;
        if (v > max) max = v;
    }
    double percentile(double p) const {
        if (count == 0) return 0;
        uint64_t want = uint64_t(p * double(count - 1)) + 1, seen = 0;
        for (unsigned i = 0; i < b.size(); ++i)
            if ((seen += b[i]) >= want) return std::min(value(i), double(max));
        return double(max);
    }
    void merge(const Histogram& o) {
        for (unsigned i = 0; i < b.size(); ++i) b[i] += o.b[i];
        count += o.count;
        max = std::max(max, o.max);
    }
};

}  // namespace vswgen
