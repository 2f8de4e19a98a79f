// GuestCounts against a std::map model, through adds and removes that make
// long probe runs and wrap around the table.
#include <gtest/gtest.h>

#include <map>
#include <random>

#include "nat/guest_counts.hpp"

namespace vsw::nat {
namespace {

TEST(GuestCounts, CountsPerNetworkAndAddress) {
    GuestCounts g(16);
    EXPECT_EQ(g.get(0, 10), 0u);
    EXPECT_TRUE(g.add(0, 10));
    EXPECT_TRUE(g.add(0, 10));
    EXPECT_TRUE(g.add(1, 10));
    EXPECT_EQ(g.get(0, 10), 2u);
    EXPECT_EQ(g.get(1, 10), 1u) << "the same address in another network is another guest";
    g.remove(0, 10);
    g.remove(0, 10);
    EXPECT_EQ(g.get(0, 10), 0u);
    EXPECT_EQ(g.guests(), 1u);
    g.remove(0, 99);  // unknown: ignored
}

TEST(GuestCounts, FullTableRefusesNewGuestsOnly) {
    GuestCounts g(8);  // 16 slots, at most 8 guests
    for (uint32_t ip = 0; ip < 8; ++ip) EXPECT_TRUE(g.add(0, ip));
    EXPECT_FALSE(g.add(0, 100));
    EXPECT_TRUE(g.add(0, 3)) << "a guest that has a slot still counts up";
    g.remove(0, 5);
    EXPECT_TRUE(g.add(0, 100));
}

TEST(GuestCounts, MatchesAModelUnderRandomChurn) {
    GuestCounts g(512);
    std::map<std::pair<uint16_t, uint32_t>, uint32_t> model;
    std::mt19937 rng(7);
    for (int step = 0; step < 200000; ++step) {
        const uint16_t net = static_cast<uint16_t>(rng() % 3);
        const uint32_t ip = rng() % 700;  // more addresses than slots: some adds are refused
        auto& n = model[{net, ip}];
        if (rng() % 2 == 0) {
            if (g.add(net, ip)) {
                ++n;
            } else {
                EXPECT_EQ(n, 0u) << "refused although the guest has a slot";
            }
        } else if (n > 0) {
            g.remove(net, ip);
            --n;
        }
        if (step % 1000 != 0) continue;
        for (const auto& [k, v] : model) ASSERT_EQ(g.get(k.first, k.second), v) << step;
    }
}

}  // namespace
}  // namespace vsw::nat
