// A token bucket in TSC cycles, for per-port rate limits on the datapath:
// integer arithmetic, no syscalls, one cache line of state per port at most.
// `take(now)` spends one token if there is one; tokens come back at `rate`
// per second up to `burst`.
#pragma once

#include <algorithm>
#include <cstdint>

namespace vsw {

class TokenBucket {
public:
    TokenBucket() = default;
    TokenBucket(uint64_t tsc_hz, uint32_t rate_per_s, uint32_t burst)
        : cost_(tsc_hz / std::max<uint32_t>(rate_per_s, 1)), depth_(cost_ * std::max<uint32_t>(burst, 1)) {}

    bool take(uint64_t now_tsc) {
        // Credit for the time since the last call, capped at the burst; the
        // first call finds a full bucket (last_ starts at 0).
        const uint64_t credit = now_tsc - last_;
        last_ = now_tsc;
        allowance_ = credit >= depth_ - allowance_ ? depth_ : allowance_ + credit;
        if (allowance_ < cost_) return false;
        allowance_ -= cost_;
        return true;
    }

private:
    uint64_t cost_ = 0;       // cycles per token
    uint64_t depth_ = 0;      // cycles worth of tokens when full
    uint64_t allowance_ = 0;  // cycles worth of tokens now
    uint64_t last_ = 0;
};

}  // namespace vsw
