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
    b.counted(5, 1);
    EXPECT_TRUE(b.has_room(5));
    b.clear_port(5);
    EXPECT_FALSE(b.has_room(5));
}

// Port ids from kMaxPorts up are remote VTEPs' (datapath/topology.hpp
// vtep_port): their MACs count against their network only, and a MAC that
// moves between a local port and a remote moves its count with it.
TEST(MacBudget, RemoteVtepsCountAgainstTheirNetwork) {
    MacBudget b;
    const uint16_t remote = 0x100;
    b.set_network(2, 3);
    b.set_port(4, 2, 10);
    EXPECT_FALSE(b.has_room(remote)) << "no network given: no room";
    EXPECT_TRUE(b.has_room(remote, 2));
    b.added(remote, 2);
    b.added(remote, 2);
    b.added(4);
    EXPECT_EQ(b.network_count(2), 3u);
    EXPECT_FALSE(b.has_room(remote, 2)) << "the network used its 3";
    EXPECT_FALSE(b.has_room(4)) << "nor has the local port room left in it";
    b.moved(remote, 4, 2);
    EXPECT_EQ(b.network_count(2), 3u);
    EXPECT_EQ(b.port_count(4), 2u);
    b.moved(4, remote, 2);
    EXPECT_EQ(b.port_count(4), 1u);
    EXPECT_EQ(b.network_count(2), 3u);
    b.reset_counts();
    b.counted(remote, 2);
    b.counted(4, 2);
    EXPECT_EQ(b.network_count(2), 2u);
    EXPECT_TRUE(b.has_room(remote, 2));
}

}  // namespace
}  // namespace vsw
