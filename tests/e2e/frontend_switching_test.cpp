// frontend_test, the L2 switching cases: flooding within a network, learning
// and directed unicast, isolation between networks, pinned MACs, the drops of
// runts and bad source MACs, a 10,000-frame burst in order, and a MAC move.
// The harness (vswd, our virtio-user ports, the helpers) is in
// frontend_harness.hpp; these tests run before frontend_services_test.cpp's.
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <thread>
#include <vector>

#include "frontend_harness.hpp"

namespace e2e {
namespace {

// 1. Broadcast from a1 reaches a2 and a3 byte for byte, and nothing in net-b.
TEST_F(Frontend, BroadcastFloodsWithinNetwork) {
    const Stats before = stats();
    const Bytes f = frame(kBroadcast, mac(1, 1), kEtherTypeTest, text("broadcast from a1"));
    ASSERT_EQ(send1("a1", f), 1u);
    auto a2 = recv("a2", 1), a3 = recv("a3", 1);
    ASSERT_EQ(a2.size(), 1u);
    ASSERT_EQ(a3.size(), 1u);
    EXPECT_EQ(a2[0], f);
    EXPECT_EQ(a3[0], f);
    expect_silence({"a1", "a2", "a3", "b1", "s1", "s2"});
    expect_deltas(before, {{"a1", "rx_packets", 1}, {"a1", "rx_bytes", f.size()}, {"a2", "tx_packets", 1},
                           {"a3", "tx_packets", 1}, {"a2", "tx_bytes", f.size()}, {"b1", "tx_packets", 0},
                           {"a1", "tx_packets", 0}, {"a1", "drops_total", 0}, {"b1", "rx_packets", 0}});

    // A full-size frame (1500-byte payload) arrives intact too.
    Bytes big_payload(1500);
    for (size_t i = 0; i < big_payload.size(); ++i) big_payload[i] = static_cast<uint8_t>(i * 13 + 1);
    const Bytes big = frame(kBroadcast, mac(1, 1), kEtherTypeTest, big_payload);
    ASSERT_EQ(send1("a1", big), 1u);
    a2 = recv("a2", 1);
    a3 = recv("a3", 1);
    ASSERT_EQ(a2.size(), 1u);
    ASSERT_EQ(a3.size(), 1u);
    EXPECT_EQ(a2[0], big);
    EXPECT_EQ(a3[0], big);
    expect_silence({"b1"});
}

// 2. Unknown unicast floods within net-a; once the destination is learned it
// goes to that port only; the FDB shows it.
TEST_F(Frontend, UnknownUnicastFloodsThenLearnedUnicastIsDirected) {
    const MacAddr m1 = mac(2, 1), m2 = mac(2, 2);
    Stats before = stats();
    const Bytes unknown = frame(m2, m1, kEtherTypeTest, text("to an unknown MAC"));
    ASSERT_EQ(send1("a1", unknown), 1u);
    auto a2 = recv("a2", 1), a3 = recv("a3", 1);
    ASSERT_EQ(a2.size(), 1u);
    ASSERT_EQ(a3.size(), 1u);
    EXPECT_EQ(a2[0], unknown);
    EXPECT_EQ(a3[0], unknown);
    expect_silence({"a1", "b1", "s1", "s2"});
    expect_deltas(before, {{"a1", "rx_packets", 1}, {"a2", "tx_packets", 1}, {"a3", "tx_packets", 1},
                           {"b1", "tx_packets", 0}, {"s1", "tx_packets", 0}});

    // a2 speaks (to m1, learned on a1 by now): vswd learns m2 on a2.
    ASSERT_EQ(wait_fdb(m1, "net-a", "a1"), "a1");
    const Bytes reply = frame(m1, m2, kEtherTypeTest, text("a2 answers"));
    ASSERT_EQ(send1("a2", reply), 1u);
    auto a1 = recv("a1", 1);
    ASSERT_EQ(a1.size(), 1u);
    EXPECT_EQ(a1[0], reply);
    expect_silence({"a3", "b1"});  // m1 was known: not flooded
    EXPECT_EQ(wait_fdb(m2, "net-a", "a2"), "a2");
    std::this_thread::sleep_for(20ms);

    before = stats();
    const Bytes directed = frame(m2, m1, kEtherTypeTest, text("now known"));
    ASSERT_EQ(send1("a1", directed), 1u);
    a2 = recv("a2", 1);
    ASSERT_EQ(a2.size(), 1u);
    EXPECT_EQ(a2[0], directed);
    expect_silence({"a1", "a3", "b1"});
    expect_deltas(before, {{"a1", "rx_packets", 1}, {"a2", "tx_packets", 1}, {"a3", "tx_packets", 0},
                           {"a1", "drops_total", 0}});
}

// 3. Nothing from net-b reaches net-a; b1 alone in net-b drops its floods.
TEST_F(Frontend, NetworksAreIsolated) {
    const MacAddr ma = mac(3, 1), mb = mac(3, 2);
    // a1's MAC is learned in net-a.
    ASSERT_EQ(send1("a1", frame(kBroadcast, ma, kEtherTypeTest, text("a1 hello"))), 1u);
    ASSERT_EQ(recv("a2", 1).size(), 1u);
    ASSERT_EQ(recv("a3", 1).size(), 1u);
    ASSERT_EQ(wait_fdb(ma, "net-a", "a1"), "a1");

    const Stats before = stats();
    ASSERT_EQ(send("b1", {frame(kBroadcast, mb, kEtherTypeTest, text("b1 broadcast")),
                          frame(ma, mb, kEtherTypeTest, text("b1 to a1's MAC"))}),
              2u);
    expect_silence({"a1", "a2", "a3", "b1", "s1", "s2"}, 100ms);
    expect_deltas(before, {{"b1", "rx_packets", 2},
                           {"b1", "drops.no_destination", 2},
                           {"b1", "drops_total", 2},
                           {"a1", "tx_packets", 0},
                           {"a2", "tx_packets", 0},
                           {"a3", "tx_packets", 0}});
    // mb is learned in net-b only.
    EXPECT_EQ(wait_fdb(mb, "net-b", "b1"), "b1");
    EXPECT_EQ(fdb_port(mb, "net-a"), "");
}

// 4. a3's pinned MAC is the only source it may use.
TEST_F(Frontend, PinnedMacDropsSpoofedSources) {
    Stats before = stats();
    const Bytes good = frame(kBroadcast, kA3Pinned, kEtherTypeTest, text("a3 with its own MAC"));
    ASSERT_EQ(send1("a3", good), 1u);
    auto a1 = recv("a1", 1), a2 = recv("a2", 1);
    ASSERT_EQ(a1.size(), 1u);
    ASSERT_EQ(a2.size(), 1u);
    EXPECT_EQ(a1[0], good);
    EXPECT_EQ(a2[0], good);
    expect_deltas(before, {{"a3", "rx_packets", 1}, {"a3", "drops_total", 0}, {"a1", "tx_packets", 1},
                           {"a2", "tx_packets", 1}});

    before = stats();
    std::vector<Bytes> spoofed;
    for (uint8_t i = 0; i < 7; ++i)
        spoofed.push_back(frame(i % 2 ? kBroadcast : mac(4, 9), mac(4, i), kEtherTypeTest, text("spoofed")));
    spoofed.push_back(frame(kBroadcast, MacAddr{0x52, 0x54, 0x00, 0x00, 0x0a, 0x04}, kEtherTypeTest));
    ASSERT_EQ(send("a3", spoofed), spoofed.size());
    expect_silence({"a1", "a2", "a3", "b1"});
    expect_deltas(before, {{"a3", "rx_packets", spoofed.size()},
                           {"a3", "drops.spoofed_src_mac", spoofed.size()},
                           {"a3", "drops_total", spoofed.size()},
                           {"a1", "tx_packets", 0},
                           {"a2", "tx_packets", 0}});
    for (uint8_t i = 0; i < 7; ++i) EXPECT_EQ(fdb_port(mac(4, i), "net-a"), "") << "spoofed MAC was learned";
}

// 5. Frames shorter than an Ethernet header and frames with a group or zero
// source MAC are dropped with their reasons.
TEST_F(Frontend, RuntsAndBadSourcesAreDropped) {
    Stats before = stats();
    // A 10-byte runt: the virtio-user frontend and vhost pass it unpadded
    // (rx_bytes proves what arrived).
    Bytes runt = frame(kBroadcast, mac(5, 1), kEtherTypeTest, {}, 0);
    runt.resize(10);
    ASSERT_EQ(send1("a1", runt), 1u);
    expect_silence({"a2", "a3", "b1"});
    expect_deltas(before, {{"a1", "rx_packets", 1},
                           {"a1", "rx_bytes", 10},
                           {"a1", "drops.runt", 1},
                           {"a1", "drops_total", 1},
                           {"a2", "tx_packets", 0},
                           {"a3", "tx_packets", 0}});

    // 13 bytes: still one short of a header.
    before = stats();
    runt = frame(kBroadcast, mac(5, 1), kEtherTypeTest, {}, 0);
    runt.resize(13);
    ASSERT_EQ(send1("a1", runt), 1u);
    expect_silence({"a2", "a3"});
    expect_deltas(before, {{"a1", "rx_bytes", 13}, {"a1", "drops.runt", 1}, {"a2", "tx_packets", 0}});

    before = stats();
    const std::vector<Bytes> bad = {
        frame(kBroadcast, MacAddr{0x01, 0x00, 0x5e, 0x00, 0x00, 0x01}, kEtherTypeTest),  // multicast source
        frame(mac(5, 2), MacAddr{0x33, 0x33, 0x00, 0x00, 0x00, 0x01}, kEtherTypeTest),  // IPv6 multicast
        frame(kBroadcast, kBroadcast, kEtherTypeTest),                                   // broadcast source
        frame(kBroadcast, MacAddr{0, 0, 0, 0, 0, 0}, kEtherTypeTest),                    // zero source
    };
    ASSERT_EQ(send("a1", bad), bad.size());
    expect_silence({"a2", "a3", "b1"});
    expect_deltas(before, {{"a1", "rx_packets", bad.size()},
                           {"a1", "drops.bad_src_mac", bad.size()},
                           {"a1", "drops_total", bad.size()},
                           {"a2", "tx_packets", 0},
                           {"a3", "tx_packets", 0}});
    EXPECT_EQ(fdb_port(MacAddr{0x01, 0x00, 0x5e, 0x00, 0x00, 0x01}, "net-a"), "");
}

// 6. 10,000 frames a1 -> a2 (known unicast), in bursts of 32: all arrive, in
// order, intact, and vswd's counters agree.
TEST_F(Frontend, BurstOfTenThousandInOrder) {
    const MacAddr m1 = mac(6, 1), m2 = mac(6, 2);
    // Learn both MACs first so the burst is not flooded to a3.
    ASSERT_EQ(send1("a2", frame(m1, m2, kEtherTypeTest, text("learn a2"))), 1u);
    ASSERT_EQ(send1("a1", frame(m2, m1, kEtherTypeTest, text("learn a1"))), 1u);
    ASSERT_EQ(wait_fdb(m2, "net-a", "a2"), "a2");
    ASSERT_EQ(wait_fdb(m1, "net-a", "a1"), "a1");
    std::this_thread::sleep_for(20ms);
    collect(all_ports(), 20ms);

    constexpr uint32_t kTotal = 10000;
    constexpr uint32_t kWindow = 256;  // frames in flight: far below every ring size
    const Stats before = stats();
    const auto start = Clock::now();
    uint32_t next_send = 0;
    std::vector<Bytes> got;
    got.reserve(kTotal);
    const uint16_t a2 = port_of("a2");
    auto make = [&](uint32_t seq) {
        Bytes payload(64);
        std::memcpy(payload.data(), &seq, 4);
        for (size_t i = 4; i < payload.size(); ++i) payload[i] = static_cast<uint8_t>(seq * 7 + i);
        return frame(m2, m1, kEtherTypeTest, payload);
    };
    const auto deadline = Clock::now() + 30s;
    while (got.size() < kTotal && Clock::now() < deadline) {
        if (next_send < kTotal && next_send - got.size() + 32 <= kWindow) {
            std::vector<Bytes> burst;
            for (uint32_t i = 0; i < 32 && next_send + i < kTotal; ++i) burst.push_back(make(next_send + i));
            const size_t n = send("a1", burst);
            ASSERT_EQ(n, burst.size()) << "tx stalled at frame " << next_send;
            next_send += static_cast<uint32_t>(n);
        }
        if (poll_port(a2, got) == 0 && next_send == kTotal) std::this_thread::sleep_for(20us);
    }
    const double secs = std::chrono::duration<double>(Clock::now() - start).count();
    std::printf("[ INFO     ] %u frames a1->a2 in %.3f s\n", kTotal, secs);
    ASSERT_EQ(got.size(), kTotal);
    size_t bad = 0;
    for (uint32_t i = 0; i < kTotal; ++i) {
        if (got[i] != make(i)) {
            uint32_t seq = ~0u;
            if (got[i].size() >= 18) std::memcpy(&seq, got[i].data() + 14, 4);
            if (++bad <= 5) ADD_FAILURE() << "frame " << i << " differs (its sequence number: " << seq << ")";
        }
    }
    EXPECT_EQ(bad, 0u);
    expect_silence({"a1", "a3", "b1"});
    expect_deltas(before, {{"a1", "rx_packets", kTotal},
                           {"a1", "rx_bytes", uint64_t{kTotal} * 78},
                           {"a2", "tx_packets", kTotal},
                           {"a2", "tx_bytes", uint64_t{kTotal} * 78},
                           {"a1", "drops_total", 0},
                           {"a2", "drops_total", 0},
                           {"a3", "tx_packets", 0}});
}

// 8. A port with two queue pairs (ports.q1.queues: 2), as a guest's
// virtio-net with mq=on: frames on either queue are switched, each queue's in
// its order, and counted per queue; what vswd sends to q1 comes on queue 0.
TEST_F(Frontend, TwoQueuePortSwitchesBothQueues) {
    const MacAddr m1 = mac(8, 1), m2 = mac(8, 2);
    ASSERT_EQ(send1("q2", frame(m1, m2, kEtherTypeTest, text("learn q2"))), 1u);
    ASSERT_EQ(recv("q1", 1).size(), 1u);  // flooded, on q1's queue 0
    ASSERT_EQ(wait_fdb(m2, "net-q", "q2"), "q2");
    auto queue_rx = [](uint16_t q) -> uint64_t {
        const json queues = vswctl_json("stats")["ports"]["q1"]["queues"];
        return queues.is_array() && queues.size() == 2 ? queues[q]["rx_packets"].get<uint64_t>() : ~0ull;
    };
    const uint64_t before0 = queue_rx(0), before1 = queue_rx(1);
    ASSERT_NE(before0, ~0ull) << "vswctl stats shows no queues for q1: "
                              << vswctl_json("stats")["ports"]["q1"].dump();
    const Stats before = stats();

    constexpr uint32_t kPerQueue = 200;
    auto make = [&](uint8_t queue, uint32_t seq) {
        Bytes payload(64, queue);
        std::memcpy(payload.data() + 1, &seq, 4);
        return frame(m2, m1, kEtherTypeTest, payload);
    };
    std::vector<Bytes> on0, on1;
    for (uint32_t i = 0; i < kPerQueue; ++i) on0.push_back(make(0, i)), on1.push_back(make(1, i));
    ASSERT_EQ(send("q1", on1, 1), kPerQueue);
    ASSERT_EQ(send("q1", on0, 0), kPerQueue);
    const std::vector<Bytes> got = recv("q2", 2 * kPerQueue, 5000ms);
    ASSERT_EQ(got.size(), 2 * kPerQueue);
    uint32_t next[2] = {0, 0};
    for (const Bytes& f : got) {
        ASSERT_GE(f.size(), 19u);
        const uint8_t q = f[14];
        ASSERT_LT(q, 2);
        uint32_t seq = 0;
        std::memcpy(&seq, f.data() + 15, 4);
        EXPECT_EQ(seq, next[q]) << "queue " << int{q} << " out of order";
        EXPECT_EQ(f, make(q, seq));
        next[q] = seq + 1;
    }
    expect_silence({"a1", "a2", "q1"});
    expect_deltas(before, {{"q1", "rx_packets", 2 * kPerQueue}, {"q2", "tx_packets", 2 * kPerQueue},
                           {"q1", "drops_total", 0}, {"q2", "drops_total", 0}});
    EXPECT_EQ(queue_rx(0) - before0, kPerQueue);
    EXPECT_EQ(queue_rx(1) - before1, kPerQueue);

    // Back to q1: vswd sends on queue 0, the one a guest always has.
    const Bytes back = frame(m1, m2, kEtherTypeTest, text("to q1"));
    ASSERT_EQ(send1("q2", back), 1u);
    const auto q1 = recv("q1", 1);
    ASSERT_EQ(q1.size(), 1u);
    EXPECT_EQ(q1[0], back);
    const std::string text_stats = vswctl("stats").out;
    EXPECT_NE(text_stats.find("[queue 1 worker 0: rx "), std::string::npos) << text_stats;
}

// 7. A MAC learned on a1 that then speaks from a2 moves to a2.
TEST_F(Frontend, MacMoveIsRelearned) {
    const MacAddr mm = mac(7, 1);
    ASSERT_EQ(send1("a1", frame(kBroadcast, mm, kEtherTypeTest, text("mm on a1"))), 1u);
    ASSERT_EQ(recv("a2", 1).size(), 1u);
    ASSERT_EQ(recv("a3", 1).size(), 1u);
    ASSERT_EQ(wait_fdb(mm, "net-a", "a1"), "a1");

    // Traffic to mm goes to a1 now.
    ASSERT_EQ(send1("a3", frame(mm, kA3Pinned, kEtherTypeTest, text("to mm at a1"))), 1u);
    ASSERT_EQ(recv("a1", 1).size(), 1u);
    expect_silence({"a2"});

    // mm moves to a2.
    ASSERT_EQ(send1("a2", frame(kBroadcast, mm, kEtherTypeTest, text("mm on a2"))), 1u);
    ASSERT_EQ(recv("a1", 1).size(), 1u);
    ASSERT_EQ(recv("a3", 1).size(), 1u);
    EXPECT_EQ(wait_fdb(mm, "net-a", "a2"), "a2");
    std::this_thread::sleep_for(20ms);

    const Stats before = stats();
    const Bytes f = frame(mm, kA3Pinned, kEtherTypeTest, text("to mm at a2"));
    ASSERT_EQ(send1("a3", f), 1u);
    auto a2 = recv("a2", 1);
    ASSERT_EQ(a2.size(), 1u);
    EXPECT_EQ(a2[0], f);
    expect_silence({"a1", "b1"});
    expect_deltas(before, {{"a3", "rx_packets", 1}, {"a2", "tx_packets", 1}, {"a1", "tx_packets", 0}});
}

}  // namespace
}  // namespace e2e
