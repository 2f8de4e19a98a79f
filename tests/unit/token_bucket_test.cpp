// TokenBucket: a burst, then the steady rate, with a fake clock.
#include <gtest/gtest.h>

#include "token_bucket.hpp"

namespace vsw {
namespace {

constexpr uint64_t kHz = 1'000'000'000;  // 1 GHz: one cycle = 1 ns

TEST(TokenBucket, BurstThenRate) {
    TokenBucket b(kHz, 1000, 10);  // 1000/s, burst 10
    uint64_t now = 5 * kHz;
    int taken = 0;
    for (int i = 0; i < 50; ++i) taken += b.take(now);
    EXPECT_EQ(taken, 10) << "a full bucket gives the burst at once";
    now += kHz / 1000;  // 1 ms: one token
    EXPECT_TRUE(b.take(now));
    EXPECT_FALSE(b.take(now));
    // Over one second of steady asking (every 100 us), about the rate.
    taken = 0;
    for (int i = 0; i < 10000; ++i) {
        now += kHz / 10000;
        taken += b.take(now);
    }
    EXPECT_NEAR(taken, 1000, 2);
}

TEST(TokenBucket, IdleTimeRefillsOnlyToTheBurst) {
    TokenBucket b(kHz, 100, 5);
    uint64_t now = kHz;
    while (b.take(now)) {}
    now += 3600 * kHz;  // an hour idle
    int taken = 0;
    for (int i = 0; i < 100; ++i) taken += b.take(now);
    EXPECT_EQ(taken, 5);
}

}  // namespace
}  // namespace vsw
