// MacBudget: per-port and per-network MAC counts against their limits.
#include <gtest/gtest.h>

#include "mac_budget.hpp"

namespace vsw {
namespace {

TEST(MacBudget, PortLimitThenNetworkLimit) {
    MacBudget b;
    b.set_network(0, 3);
    b.set_port(1, 0, 2);
    b.set_port(2, 0, 10);
    EXPECT_TRUE(b.has_room(1));
    b.added(1);
    b.added(1);
    EXPECT_FALSE(b.has_room(1)) << "port 1 used its 2";
    EXPECT_TRUE(b.has_room(2));
    b.added(2);
    EXPECT_FALSE(b.has_room(2)) << "network 0 used its 3";
    EXPECT_EQ(b.network_count(0), 3u);
}

TEST(MacBudget, MoveFreesRoomOnTheOldPort) {
    MacBudget b;
    b.set_network(0, 100);
    b.set_port(1, 0, 1);
    b.set_port(2, 0, 1);
    b.added(1);
    EXPECT_FALSE(b.has_room(1));
    b.moved(1, 2);
    EXPECT_TRUE(b.has_room(1));
    EXPECT_FALSE(b.has_room(2));
    EXPECT_EQ(b.network_count(0), 1u);
}

TEST(MacBudget, UnknownPortsHaveNoRoomAndRecountStartsOver) {
    MacBudget b;
    EXPECT_FALSE(b.has_room(5));
    b.set_network(1, 10);
    b.set_port(5, 1, 2);
    b.added(5);
    b.added(5);
    EXPECT_FALSE(b.has_room(5));
    b.reset_counts();
    b.counted(5);
    EXPECT_TRUE(b.has_room(5));
    b.clear_port(5);
    EXPECT_FALSE(b.has_room(5));
}

}  // namespace
}  // namespace vsw
