// End-to-end: one abusive guest (port x1 of network net-x) must not take the
// network down for the guests beside it (x2, x3) nor for other networks.
// The limits under test (see config_yaml): x1 max_macs 64, max_leases 2;
// net-x max_macs 100; every port's slow-path share (1000 frames/s, burst 256)
// and DHCP rate (20 messages/s).
//
// Each test states the victim's loss bound it asserts.
#include <rte_cycles.h>

#include <cstring>
#include <set>
#include <thread>

#include "frontend_harness.hpp"

namespace e2e {
namespace {

MacAddr random_source(uint32_t i) {  // locally administered, never repeated within a test
    return {0x02, 0x31, static_cast<uint8_t>(i >> 16), static_cast<uint8_t>(i >> 8), static_cast<uint8_t>(i), 0x01};
}

// How many frames that arrived on `name` carry a source MAC from random_source().
size_t from_random_sources(const std::vector<Bytes>& frames) {
    size_t n = 0;
    for (const Bytes& f : frames) n += f.size() >= 12 && f[6] == 0x02 && f[7] == 0x31;
    return n;
}

// send() gives up after 500 ms; a busy machine may need longer for a big batch.
size_t send_patiently(const std::string& name, const std::vector<Bytes>& frames) {
    size_t sent = 0;
    for (auto deadline = Clock::now() + 10s; sent < frames.size() && Clock::now() < deadline;) {
        const size_t n = std::min<size_t>(frames.size() - sent, 256);
        sent += send(name, std::vector<Bytes>(frames.begin() + static_cast<long>(sent),
                                              frames.begin() + static_cast<long>(sent + n)));
    }
    return sent;
}

uint64_t fdb_entries_on(const std::string& port) {
    uint64_t n = 0;
    for (const json& e : vswctl_json("fdb")) n += e.value("port", "") == port;
    return n;
}

// MAC flooding. Paced at 32 new MACs a millisecond, at most the port's budget
// plus what arrives before the control thread raises the flag (it runs every
// millisecond) is flooded to the victims: bound 400 of 3000. Once the flag is
// up, a full-speed flood of new MACs reaches nobody. The victims' own unicast
// traffic loses nothing, and another network still learns new MACs.
TEST_F(Frontend, MacFloodIsContainedToThePort) {
    const MacAddr v2 = mac(30, 2), v3 = mac(30, 3);
    send1("x2", frame(kBroadcast, v2, kEtherTypeTest, text("hello from x2")));
    send1("x3", frame(kBroadcast, v3, kEtherTypeTest, text("hello from x3")));
    ASSERT_EQ(wait_fdb(v2, "net-x", "x2"), "x2");
    ASSERT_EQ(wait_fdb(v3, "net-x", "x3"), "x3");
    collect({"x1", "x2", "x3"}, 20ms);
    const Stats before = stats();

    std::vector<Bytes> at_x2;
    const uint16_t x2 = port_of("x2");
    uint32_t next = 0;
    for (int ms = 0; ms < 94; ++ms) {  // 94 x 32 = 3008 new source MACs, paced
        std::vector<Bytes> burst;
        for (int i = 0; i < 32; ++i) burst.push_back(frame(kBroadcast, random_source(next++), kEtherTypeTest));
        ASSERT_EQ(send_patiently("x1", burst), burst.size());
        const auto until = Clock::now() + 1ms;
        while (Clock::now() < until) poll_port(x2, at_x2);
    }
    auto rest = collect({"x2", "x3"}, 100ms);
    at_x2.insert(at_x2.end(), rest["x2"].begin(), rest["x2"].end());
    const size_t flooded = from_random_sources(at_x2);
    EXPECT_EQ(from_random_sources(rest["x3"]), flooded) << "x3 saw the same flood as x2";
    std::printf("[ INFO     ] paced flood: %zu of %u frames from new MACs reached the victim\n", flooded, next);
    EXPECT_LE(flooded, 400u);
    EXPECT_EQ(fdb_entries_on("x1"), 64u) << "x1's max_macs";
    EXPECT_TRUE(vswd_ports().at("x1").value("macs_full", false));

    // Steady state: the flag is up, a full-speed flood goes nowhere.
    std::vector<Bytes> burst;
    for (int i = 0; i < 3000; ++i) burst.push_back(frame(kBroadcast, random_source(next++), kEtherTypeTest));
    ASSERT_EQ(send_patiently("x1", burst), burst.size());
    auto after = collect({"x2", "x3"}, 150ms);
    EXPECT_EQ(from_random_sources(after["x2"]) + from_random_sources(after["x3"]), 0u);
    const Stats mid = stats();
    EXPECT_GE(mid.get("x1", "drops.mac_limit") - before.get("x1", "drops.mac_limit"), 3000u + 3008u - 400u - 64u);

    // The victims: 200 unicast frames x2 -> x3, none lost, none elsewhere.
    std::vector<Bytes> uni;
    for (int i = 0; i < 200; ++i) uni.push_back(frame(v3, v2, kEtherTypeTest, text("unicast " + std::to_string(i))));
    ASSERT_EQ(send_patiently("x2", uni), uni.size());
    EXPECT_EQ(recv("x3", 200).size(), 200u);
    expect_silence({"x1", "a1", "b1"});

    // The network's budget (100): x2, a VM with containers behind it, brings
    // 60 MACs; 34 fit (64 + 2 + 34 = 100), the rest are refused on x2 too.
    std::vector<Bytes> many;
    for (uint8_t i = 0; i < 60; ++i) many.push_back(frame(kBroadcast, mac(33, i), kEtherTypeTest));
    ASSERT_EQ(send("x2", many), many.size());
    std::this_thread::sleep_for(50ms);
    collect({"x1", "x2", "x3"}, 20ms);
    EXPECT_EQ(fdb_entries_on("x2"), 35u) << "x2's own MAC + 34";
    // Another network is not affected: a1 learns a new MAC at once.
    const MacAddr fresh = mac(33, 200);
    send1("a1", frame(kBroadcast, fresh, kEtherTypeTest));
    EXPECT_EQ(wait_fdb(fresh, "net-a", "a1"), "a1");
    collect(all_ports(), 20ms);
}

Bytes arp_request(const MacAddr& me, const uint8_t my_ip[4], const uint8_t target[4]) {
    return arp_frame(1, kBroadcast, me, my_ip, MacAddr{}, target);
}

bool is_arp_reply_to(const Bytes& f, const MacAddr& me) {
    return f.size() >= 42 && get16(f, 12) == kEtherTypeArp && get16(f, 20) == 2 &&
           std::memcmp(&f[32], me.data(), 6) == 0;
}

// A storm to the slow path (ARP for the DHCP server's address at full speed
// from x1) uses up x1's share only: x2's ARP requests, one every 20 ms, are
// all answered (bound: no loss) and nothing of x2's is dropped.
TEST_F(Frontend, SlowPathStormDoesNotStarveOtherPorts) {
    const uint8_t server[4] = {10, 8, 0, 100}, ip1[4] = {10, 8, 0, 11}, ip2[4] = {10, 8, 0, 12};
    const MacAddr m1 = mac(30, 1), m2 = mac(30, 2);
    const Bytes storm = arp_request(m1, ip1, server);
    const Bytes ask = arp_request(m2, ip2, server);
    const Stats before = stats();
    const uint16_t x1 = port_of("x1"), x2 = port_of("x2");
    std::vector<Bytes> at_x1, at_x2;
    size_t stormed = 0, asked = 0;
    auto next_ask = Clock::now();
    const auto end = Clock::now() + 2s;
    while (Clock::now() < end) {
        stormed += send("x1", std::vector<Bytes>(32, storm));
        if (Clock::now() >= next_ask) {
            asked += send1("x2", ask);
            next_ask += 20ms;
        }
        poll_port(x1, at_x1);
        at_x1.clear();
        poll_port(x2, at_x2);
    }
    for (auto& [name, frames] : collect({"x2"}, 100ms)) at_x2.insert(at_x2.end(), frames.begin(), frames.end());
    collect({"x1"}, 20ms);
    size_t answered = 0;
    for (const Bytes& f : at_x2) answered += is_arp_reply_to(f, m2);
    const Stats after = stats();
    const uint64_t limited = after.get("x1", "drops.slow_path_rate") - before.get("x1", "drops.slow_path_rate");
    std::printf("[ INFO     ] storm: %zu ARP requests from x1 (%llu over its share); x2 asked %zu, answered %zu\n",
                stormed, static_cast<unsigned long long>(limited), asked, answered);
    EXPECT_GT(asked, 80u);
    EXPECT_EQ(answered, asked);
    EXPECT_GT(limited, stormed / 2);
    EXPECT_EQ(after.get("x2", "drops_total"), before.get("x2", "drops_total"));
}

// A DHCP DISCOVER from `src` for client `chaddr`, transaction `xid`.
Bytes dhcp_discover(const MacAddr& src, const MacAddr& chaddr, uint32_t xid) {
    Bytes ip(20 + 8 + 240 + 4, 0);
    ip[0] = 0x45;
    put16(ip, 2, static_cast<uint16_t>(ip.size()));
    ip[8] = 64;
    ip[9] = 17;
    std::memset(&ip[16], 0xff, 4);  // 0.0.0.0 -> 255.255.255.255
    put16(ip, 10, checksum(ip.data(), 20));
    uint8_t* udp = &ip[20];
    udp[0] = 0, udp[1] = 68, udp[2] = 0, udp[3] = 67;
    put16(ip, 24, static_cast<uint16_t>(ip.size() - 20));
    uint8_t* b = &ip[28];
    b[0] = 1, b[1] = 1, b[2] = 6;
    b[4] = static_cast<uint8_t>(xid >> 24), b[5] = static_cast<uint8_t>(xid >> 16);
    b[6] = static_cast<uint8_t>(xid >> 8), b[7] = static_cast<uint8_t>(xid);
    b[10] = 0x80;  // broadcast flag
    std::memcpy(&b[28], chaddr.data(), 6);
    b[236] = 0x63, b[237] = 0x82, b[238] = 0x53, b[239] = 0x63;
    b[240] = 53, b[241] = 1, b[242] = 1;  // DISCOVER
    b[243] = 255;
    return frame(kBroadcast, src, kEtherTypeIpv4, ip);
}

std::set<uint32_t> offers_in(const std::vector<Bytes>& frames) {
    std::set<uint32_t> xids;
    for (const Bytes& f : frames) {
        if (f.size() < 14 + 28 + 244 || get16(f, 12) != kEtherTypeIpv4 || f[23] != 17 || get16(f, 34) != 67) continue;
        const uint8_t* b = &f[42];
        if (b[0] == 2 && b[240] == 53 && b[242] == 2)
            xids.insert(static_cast<uint32_t>(b[4] << 24 | b[5] << 16 | b[6] << 8 | b[7]));
    }
    return xids;
}

// DHCP starvation: x1 asks for 12 clients (random chaddrs, paced under the
// DHCP rate) and gets offers for its max_leases (2) only; x2's client gets an
// address right after (bound: its one DISCOVER answered).
TEST_F(Frontend, DhcpStarvationIsCappedPerPort) {
    const MacAddr m1 = mac(30, 1), m2 = mac(30, 2);
    const json before = vswctl_json("stats")["dhcp"]["net-x"];
    std::vector<Bytes> at_x1;
    for (uint32_t i = 0; i < 12; ++i) {
        send1("x1", dhcp_discover(m1, random_source(100000 + i), 7000 + i));
        const auto until = Clock::now() + 60ms;
        while (Clock::now() < until) poll_port(port_of("x1"), at_x1);
    }
    for (auto& [name, frames] : collect({"x1"}, 200ms)) at_x1.insert(at_x1.end(), frames.begin(), frames.end());
    EXPECT_EQ(offers_in(at_x1).size(), 2u);
    const json after = vswctl_json("stats")["dhcp"]["net-x"];
    EXPECT_EQ(after.value("port_limit", 0) - before.value("port_limit", 0), 10);

    send1("x2", dhcp_discover(m2, m2, 8000));
    const auto got = recv("x2", 1, 2000ms);
    EXPECT_EQ(offers_in(got).count(8000), 1u) << "the victim's DISCOVER was not answered";
}

// Ethernet/IPv4/UDP from `src_ip:sport` to `dst_ip:dport`, to `dst` MAC.
Bytes udp_frame(const MacAddr& dst, const MacAddr& src, const uint8_t src_ip[4], const uint8_t dst_ip[4],
                uint16_t sport, uint16_t dport) {
    Bytes ip(20 + 8 + 18, 0);
    ip[0] = 0x45;
    put16(ip, 2, static_cast<uint16_t>(ip.size()));
    ip[8] = 64;
    ip[9] = 17;
    std::memcpy(&ip[12], src_ip, 4);
    std::memcpy(&ip[16], dst_ip, 4);
    put16(ip, 10, checksum(ip.data(), 20));
    put16(ip, 20, sport);
    put16(ip, 22, dport);
    put16(ip, 24, static_cast<uint16_t>(ip.size() - 20));
    return frame(dst, src, kEtherTypeIpv4, ip);
}

// NAT hogging: guest n1 (10.7.0.15) opens 60 flows; it gets its
// max_sessions_per_guest (40) and no more, while n2 (10.7.0.16) on the same
// network opens all of its 10 (bound: no loss for the victim).
TEST_F(Frontend, NatHoggingIsCappedPerGuest) {
    // Play the uplink's gateway: answer vswd's ARP for 203.0.113.1.
    const MacAddr gw = mac(40, 1);
    const uint8_t gw_ip[4] = {203, 0, 113, 1};
    bool answered = false;
    for (auto deadline = Clock::now() + 3s; !answered && Clock::now() < deadline;) {
        for (const Bytes& f : recv("wan", 1, 200ms)) {
            if (f.size() < 42 || get16(f, 12) != kEtherTypeArp || get16(f, 20) != 1 ||
                std::memcmp(&f[38], gw_ip, 4) != 0)
                continue;
            MacAddr asker;
            std::memcpy(asker.data(), &f[22], 6);  // the asker (its IP is at f[28])
            send1("wan", arp_frame(2, asker, gw, gw_ip, asker, &f[28]));
            answered = true;
        }
    }
    ASSERT_TRUE(answered) << "vswd never asked for its gateway on the uplink";
    std::string gw_seen;
    for (auto deadline = Clock::now() + 2s; gw_seen.empty() && Clock::now() < deadline;) {
        const json show = vswctl_json("show");  // (a temporary's member would dangle in the loop)
        for (const json& u : show["uplinks"])
            if (u.value("name", "") == "wan") gw_seen = u.value("gateway_mac", "");
        if (gw_seen.empty()) std::this_thread::sleep_for(20ms);
    }
    ASSERT_FALSE(gw_seen.empty()) << "the uplink's gateway did not resolve";

    MacAddr svc{};
    const json show = vswctl_json("show");
    for (const json& n : show["networks"])
        if (n.value("name", "") == "net-n") {
            const std::string t = n.value("service_mac", "");
            for (size_t i = 0; i < 6; ++i) svc[i] = static_cast<uint8_t>(std::stoul(t.substr(i * 3, 2), nullptr, 16));
        }
    const uint8_t g1[4] = {10, 7, 0, 15}, g2[4] = {10, 7, 0, 16}, remote[4] = {198, 51, 100, 7};
    const Stats before = stats();
    std::vector<Bytes> hog, fair;
    for (uint16_t i = 0; i < 60; ++i) hog.push_back(udp_frame(svc, mac(40, 15), g1, remote, 5000 + i, 53));
    for (uint16_t i = 0; i < 10; ++i) fair.push_back(udp_frame(svc, mac(40, 16), g2, remote, 6000 + i, 53));
    ASSERT_EQ(send("n1", hog), hog.size());
    const auto out_hog = recv("wan", 60, 500ms);
    ASSERT_EQ(send("n2", fair), fair.size());
    const auto out_fair = recv("wan", 10, 1000ms);
    std::printf("[ INFO     ] NAT hogging: the hog's 60 flows -> %zu translated; the neighbour's 10 -> %zu\n",
                out_hog.size(), out_fair.size());
    EXPECT_EQ(out_hog.size(), 40u);
    EXPECT_EQ(out_fair.size(), 10u);
    expect_deltas(before, {{"n1", "drops.nat_guest_limit", 20}, {"n2", "drops_total", 0}});
}

}  // namespace
}  // namespace e2e
