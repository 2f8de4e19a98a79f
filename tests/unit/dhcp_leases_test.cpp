// Unit tests of the DHCP server's lease state machine: which address a client
// is offered and acked (static, requested, renewed, NAKed), release, decline,
// pool exhaustion, expiry, the lease file across restarts, and reconfiguration.
// The wire format is tested in dhcp_test.cpp. Shared builders:
// dhcp_test_support.hpp.
#include <gtest/gtest.h>

#include <spdlog/sinks/ringbuffer_sink.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <system_error>
#include <vector>

#include <nlohmann/json.hpp>

#include "dhcp_test_support.hpp"

using namespace vsw;
using namespace dhcp_test;

namespace {

// A unique temporary directory, removed at the end of the test.
struct TempDir {
    std::filesystem::path path;
    TempDir() {
        char tmpl[] = "/tmp/vsw_dhcp_test_XXXXXX";
        char* p = mkdtemp(tmpl);
        EXPECT_NE(p, nullptr);
        path = p ? p : "/tmp/vsw_dhcp_test_fallback";
    }
    ~TempDir() {
        std::error_code ec;
        std::filesystem::remove_all(path, ec);
    }
};

std::string slurp(const std::filesystem::path& p) {
    std::ifstream in(p);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

// Captures spdlog output during a test.
struct LogCapture {
    std::shared_ptr<spdlog::sinks::ringbuffer_sink_mt> sink =
        std::make_shared<spdlog::sinks::ringbuffer_sink_mt>(256);
    std::shared_ptr<spdlog::logger> previous = spdlog::default_logger();
    LogCapture() {
        auto logger = std::make_shared<spdlog::logger>("capture", sink);
        logger->set_level(spdlog::level::trace);
        spdlog::set_default_logger(logger);
    }
    ~LogCapture() { spdlog::set_default_logger(previous); }
    int count(spdlog::level::level_enum level, const std::string& needle) {
        int n = 0;
        for (const auto& m : sink->last_raw())
            if (m.level == level &&
                std::string(m.payload.data(), m.payload.size()).find(needle) != std::string::npos)
                ++n;
        return n;
    }
};

}  // namespace

// ---------------------------------------------------------------------------

TEST(Dhcp, RouterAndServerAddressesNeverLeased) {
    auto cfg = base_config();
    cfg.range_first = ip("192.168.56.1");
    cfg.range_last = ip("192.168.56.4");
    cfg.router = ip("192.168.56.2");
    auto s = make_server(cfg);
    EXPECT_EQ(acquire(s, mac_n(1)), ip("192.168.56.3"));
    EXPECT_EQ(acquire(s, mac_n(2)), ip("192.168.56.4"));
    EXPECT_FALSE(s.handle_frame(build(discover(mac_n(3))), kNow));
}

TEST(Dhcp, SameMacGetsSameAddress) {
    auto s = make_server();
    Ipv4 a1 = acquire(s, mac_n(1));
    Ipv4 b1 = acquire(s, mac_n(2));
    EXPECT_NE(a1, b1);
    EXPECT_EQ(acquire(s, mac_n(1), kNow + 10), a1);
    EXPECT_EQ(acquire(s, mac_n(2), kNow + 10), b1);
    // A repeated DISCOVER before the REQUEST offers the same address too.
    Reply o1 = exchange(s, discover(mac_n(3)));
    Reply o2 = exchange(s, discover(mac_n(3)), kNow + 5);
    EXPECT_EQ(o1.yiaddr, o2.yiaddr);
    EXPECT_EQ(s.leases().size(), 3u);
}

TEST(Dhcp, StaticLeaseByMac) {
    auto cfg = base_config();
    cfg.statics = {{mac_n(7), ip("192.168.56.50")}, {mac_n(8), ip("192.168.56.100")}};
    auto s = make_server(cfg);
    // A dynamic client never gets the static address inside the range.
    EXPECT_EQ(acquire(s, mac_n(1)), ip("192.168.56.101"));
    // Even when it asks for it.
    Msg d = discover(mac_n(2));
    d.requested = ip("192.168.56.100");
    EXPECT_EQ(exchange(s, d).yiaddr, ip("192.168.56.102"));
    // The static client gets its address, outside the range, even when asking for another.
    Msg ds = discover(mac_n(7));
    ds.requested = ip("192.168.56.150");
    Reply o = exchange(s, ds);
    EXPECT_EQ(o.yiaddr, ip("192.168.56.50"));
    Reply a = exchange(s, request_selecting(mac_n(7), o.yiaddr));
    EXPECT_EQ(a.type(), ACK);
    EXPECT_EQ(a.yiaddr, ip("192.168.56.50"));
    // A static client asking for another address is NAKed.
    Msg ir;
    ir.type = REQUEST;
    ir.mac = mac_n(7);
    ir.requested = ip("192.168.56.150");
    EXPECT_EQ(exchange(s, ir).type(), NAK);

    bool found = false;
    for (const auto& l : s.leases())
        if (l.mac == mac_n(7)) {
            found = true;
            EXPECT_TRUE(l.is_static);
            EXPECT_EQ(l.ip, ip("192.168.56.50"));
        }
    EXPECT_TRUE(found);
    // Static leases never expire.
    s.expire(kNow + 1'000'000);
    ASSERT_EQ(s.leases().size(), 1u);
    EXPECT_EQ(s.leases()[0].mac, mac_n(7));
}

TEST(Dhcp, RequestedAddressHonoured) {
    auto s = make_server();
    Msg d = discover(mac_n(1));
    d.requested = ip("192.168.56.150");
    EXPECT_EQ(exchange(s, d).yiaddr, ip("192.168.56.150"));
    // Outside the range: ignored, the lowest free address instead.
    Msg d2 = discover(mac_n(2));
    d2.requested = ip("192.168.56.20");
    EXPECT_EQ(exchange(s, d2).yiaddr, ip("192.168.56.100"));
    // Taken by someone else: ignored.
    Msg d3 = discover(mac_n(3));
    d3.requested = ip("192.168.56.150");
    EXPECT_EQ(exchange(s, d3).yiaddr, ip("192.168.56.101"));
}

TEST(Dhcp, RequestForAnotherServerIsIgnoredAndDropsOffer) {
    auto s = make_server();
    Reply o = exchange(s, discover(mac_n(1)));
    ASSERT_EQ(s.leases().size(), 1u);
    auto out = s.handle_frame(build(request_selecting(mac_n(1), o.yiaddr, ip("192.168.56.254"))),
                              kNow);
    EXPECT_FALSE(out);
    EXPECT_EQ(s.counters().ignored, 1u);
    EXPECT_EQ(s.counters().request, 1u);
    EXPECT_TRUE(s.leases().empty());
    // The address is free for the next client.
    EXPECT_EQ(exchange(s, discover(mac_n(2))).yiaddr, o.yiaddr);
}

TEST(Dhcp, SelectingWithWrongAddressNaks) {
    auto s = make_server();
    Ipv4 a = acquire(s, mac_n(1));
    exchange(s, discover(mac_n(2)));
    Reply n = exchange(s, request_selecting(mac_n(2), a));
    EXPECT_EQ(n.type(), NAK);
}

TEST(Dhcp, InitRebootWrongAddressNak) {
    auto s = make_server();
    Ipv4 a = acquire(s, mac_n(1));  // .100

    Msg r;
    r.type = REQUEST;
    r.mac = mac_n(2);
    r.requested = a;  // someone else's
    Reply n = exchange(s, r);
    EXPECT_EQ(n.type(), NAK);
    EXPECT_EQ(n.yiaddr.value, 0u);
    EXPECT_EQ(n.eth_dst, Mac({0xff, 0xff, 0xff, 0xff, 0xff, 0xff}));
    EXPECT_EQ(n.ip_dst, ip("255.255.255.255"));
    EXPECT_EQ(n.ip_opt(54), kServer);
    EXPECT_FALSE(n.has(51));
    EXPECT_FALSE(n.has(1));
    EXPECT_TRUE(n.ip_csum_ok);
    EXPECT_TRUE(n.udp_csum_ok);

    r.requested = ip("10.0.0.5");  // another network
    EXPECT_EQ(exchange(s, r).type(), NAK);
    r.requested = ip("192.168.56.20");  // our subnet, outside the range
    EXPECT_EQ(exchange(s, r).type(), NAK);
    EXPECT_EQ(s.counters().nak, 3u);

    // A free, valid address is ACKed.
    r.requested = ip("192.168.56.120");
    Reply ok = exchange(s, r);
    EXPECT_EQ(ok.type(), ACK);
    EXPECT_EQ(ok.yiaddr, ip("192.168.56.120"));
    // Its own lease too.
    Msg own;
    own.type = REQUEST;
    own.mac = mac_n(1);
    own.requested = a;
    EXPECT_EQ(exchange(s, own).type(), ACK);
}

TEST(Dhcp, RenewingWithCiaddrAcksUnicast) {
    auto s = make_server();
    Ipv4 a = acquire(s, mac_n(1));
    Msg r;
    r.type = REQUEST;
    r.mac = mac_n(1);
    r.ciaddr = a;
    Reply ack = exchange(s, r, kNow + 300);
    EXPECT_EQ(ack.type(), ACK);
    EXPECT_EQ(ack.yiaddr, a);
    EXPECT_EQ(ack.ciaddr, a);
    EXPECT_EQ(ack.ip_dst, a);
    EXPECT_EQ(ack.eth_dst, mac_n(1));
    EXPECT_EQ(ack.dport, 68);
    EXPECT_TRUE(ack.udp_csum_ok);
    EXPECT_EQ(s.leases().at(0).expires, kNow + 300 + 600);

    // Renewing an address leased to another MAC: NAK (broadcast).
    Ipv4 b = acquire(s, mac_n(2));
    Msg bad = r;
    bad.mac = mac_n(3);
    bad.ciaddr = b;
    Reply n = exchange(s, bad);
    EXPECT_EQ(n.type(), NAK);
    EXPECT_EQ(n.ip_dst, ip("255.255.255.255"));
    // Renewing an address outside the range: NAK.
    bad.ciaddr = ip("192.168.56.10");
    EXPECT_EQ(exchange(s, bad).type(), NAK);
}

TEST(Dhcp, ReleaseFreesAddress) {
    auto s = make_server();
    Ipv4 a = acquire(s, mac_n(1));
    Msg rel;
    rel.type = RELEASE;
    rel.mac = mac_n(1);
    rel.ciaddr = a;
    rel.server_id = kServer;
    EXPECT_FALSE(s.handle_frame(build(rel), kNow));
    EXPECT_EQ(s.counters().release, 1u);
    EXPECT_TRUE(s.leases().empty());
    EXPECT_EQ(acquire(s, mac_n(2)), a);
}

TEST(Dhcp, ReleaseByAnotherMacDoesNothing) {
    auto s = make_server();
    Ipv4 a = acquire(s, mac_n(1));
    Msg rel;
    rel.type = RELEASE;
    rel.mac = mac_n(2);
    rel.ciaddr = a;
    EXPECT_FALSE(s.handle_frame(build(rel), kNow));
    EXPECT_EQ(s.leases().size(), 1u);
}

TEST(Dhcp, DeclineMarksAddressUnusable) {
    auto s = make_server();
    Ipv4 a = acquire(s, mac_n(1));
    Msg dec;
    dec.type = DECLINE;
    dec.mac = mac_n(1);
    dec.requested = a;
    dec.server_id = kServer;
    EXPECT_FALSE(s.handle_frame(build(dec), kNow));
    EXPECT_EQ(s.counters().decline, 1u);
    EXPECT_TRUE(s.leases().empty());
    // The declining client and others get a different address now.
    EXPECT_EQ(exchange(s, discover(mac_n(1))).yiaddr, ip("192.168.56.101"));
    Msg d2 = discover(mac_n(2));
    d2.requested = a;
    EXPECT_EQ(exchange(s, d2).yiaddr, ip("192.168.56.102"));
    // After the hold period it is usable again.
    EXPECT_EQ(exchange(s, discover(mac_n(3)), kNow + 601).yiaddr, a);
}

TEST(Dhcp, PoolExhaustionCountsLogsOnceAndRecovers) {
    LogCapture log;
    auto cfg = base_config();
    cfg.range_first = ip("192.168.56.100");
    cfg.range_last = ip("192.168.56.101");
    auto s = make_server(cfg);
    EXPECT_EQ(acquire(s, mac_n(1)), ip("192.168.56.100"));
    EXPECT_EQ(exchange(s, discover(mac_n(2))).yiaddr, ip("192.168.56.101"));  // offer only

    EXPECT_FALSE(s.handle_frame(build(discover(mac_n(3))), kNow));
    EXPECT_EQ(s.counters().pool_exhausted, 1u);
    EXPECT_FALSE(s.handle_frame(build(discover(mac_n(3))), kNow + 1));
    EXPECT_FALSE(s.handle_frame(build(discover(mac_n(4))), kNow + 2));
    EXPECT_EQ(s.counters().pool_exhausted, 3u);
    EXPECT_EQ(s.counters().offer, 2u);
    EXPECT_EQ(log.count(spdlog::level::warn, "testnet"), 1);

    // The offer to mac 2 lapses after its reservation: the pool recovers.
    Reply o = exchange(s, discover(mac_n(3)), kNow + 61);
    EXPECT_EQ(o.yiaddr, ip("192.168.56.101"));
    // Exhausted again: logged again (re-armed after an address became free).
    EXPECT_FALSE(s.handle_frame(build(discover(mac_n(5))), kNow + 62));
    EXPECT_EQ(log.count(spdlog::level::warn, "testnet"), 2);
    EXPECT_EQ(s.counters().pool_exhausted, 4u);

    // The lease and the offer lapse too: everything is free again.
    s.expire(kNow + 600);
    EXPECT_TRUE(s.leases().empty());
    EXPECT_EQ(exchange(s, discover(mac_n(5)), kNow + 600).yiaddr, ip("192.168.56.100"));
}

TEST(Dhcp, LeasesExpire) {
    auto s = make_server();
    acquire(s, mac_n(1), kNow);
    acquire(s, mac_n(2), kNow + 100);
    s.expire(kNow + 599);
    EXPECT_EQ(s.leases().size(), 2u);
    s.expire(kNow + 600);
    ASSERT_EQ(s.leases().size(), 1u);
    EXPECT_EQ(s.leases()[0].mac, mac_n(2));
    s.expire(kNow + 700);
    EXPECT_TRUE(s.leases().empty());
    // Offers lapse after their reservation.
    exchange(s, discover(mac_n(3)), kNow + 1000);
    s.expire(kNow + 1059);
    EXPECT_EQ(s.leases().size(), 1u);
    s.expire(kNow + 1060);
    EXPECT_TRUE(s.leases().empty());
}

TEST(Dhcp, LeasesSortedByIp) {
    auto s = make_server();
    for (int i = 5; i >= 1; --i) {
        Msg d = discover(mac_n(i));
        d.requested = Ipv4{ip("192.168.56.110").value + static_cast<uint32_t>(i * 7 % 5)};
        Reply o = exchange(s, d);
        exchange(s, request_selecting(mac_n(i), o.yiaddr));
    }
    auto l = s.leases();
    ASSERT_EQ(l.size(), 5u);
    for (size_t i = 1; i < l.size(); ++i) EXPECT_LT(l[i - 1].ip, l[i].ip);
}

TEST(Dhcp, PersistenceAcrossRestart) {
    TempDir dir;
    const auto file = dir.path / "sub" / "dir" / "testnet.leases";  // parent created on save
    const int64_t now = static_cast<int64_t>(std::time(nullptr));
    Ipv4 a, b;
    {
        auto s = make_server(base_config(), file.string());
        a = acquire(s, mac_n(1), now, "alpha");
        b = acquire(s, mac_n(2), now, "beta");
        exchange(s, discover(mac_n(3)), now);  // an offer: not persisted
        ASSERT_TRUE(std::filesystem::exists(file));
        EXPECT_FALSE(std::filesystem::exists(file.string() + ".tmp"));
    }
    auto j = nlohmann::json::parse(slurp(file));
    EXPECT_EQ(j["version"], 1);
    EXPECT_EQ(j["network"], "testnet");
    ASSERT_EQ(j["leases"].size(), 2u);
    EXPECT_EQ(j["leases"][0]["mac"], mac_n(1).to_string());
    EXPECT_EQ(j["leases"][0]["ip"], a.to_string());
    EXPECT_EQ(j["leases"][0]["expires"], now + 600);
    EXPECT_EQ(j["leases"][0]["hostname"], "alpha");

    {
        auto s = make_server(base_config(), file.string());
        auto l = s.leases();
        ASSERT_EQ(l.size(), 2u);
        EXPECT_EQ(l[1].hostname, "beta");
        // mac 2 asks first and still gets its old (not the lowest) address.
        EXPECT_EQ(acquire(s, mac_n(2), now + 1), b);
        EXPECT_EQ(acquire(s, mac_n(1), now + 1), a);
        // A new client does not get either.
        Ipv4 c = acquire(s, mac_n(3), now + 1);
        EXPECT_NE(c, a);
        EXPECT_NE(c, b);

        // RELEASE rewrites the file.
        Msg rel;
        rel.type = RELEASE;
        rel.mac = mac_n(3);
        rel.ciaddr = c;
        s.handle_frame(build(rel), now + 2);
        EXPECT_EQ(nlohmann::json::parse(slurp(file))["leases"].size(), 2u);
        // Expiry rewrites the file.
        s.expire(now + 10'000);
        EXPECT_EQ(nlohmann::json::parse(slurp(file))["leases"].size(), 0u);
    }
}

TEST(Dhcp, LoadSkipsExpiredAndOutOfRangeEntries) {
    TempDir dir;
    const auto file = dir.path / "n.leases";
    const int64_t now = static_cast<int64_t>(std::time(nullptr));
    nlohmann::json j = {
        {"version", 1},
        {"network", "testnet"},
        {"leases",
         {{{"mac", mac_n(1).to_string()}, {"ip", "192.168.56.120"}, {"expires", now + 500},
           {"hostname", "ok"}},
          {{"mac", mac_n(2).to_string()}, {"ip", "192.168.56.121"}, {"expires", now - 5}},
          {{"mac", mac_n(3).to_string()}, {"ip", "192.168.56.20"}, {"expires", now + 500}},
          {{"mac", mac_n(4).to_string()}, {"ip", "10.0.0.7"}, {"expires", now + 500}},
          {{"mac", "garbage"}, {"ip", "192.168.56.122"}, {"expires", now + 500}},
          {{"mac", mac_n(6).to_string()}, {"ip", 5}, {"expires", now + 500}},
          "not an object"}}};
    std::ofstream(file) << j.dump();
    auto s = make_server(base_config(), file.string());
    auto l = s.leases();
    ASSERT_EQ(l.size(), 1u);
    EXPECT_EQ(l[0].mac, mac_n(1));
    EXPECT_EQ(l[0].ip, ip("192.168.56.120"));
    EXPECT_EQ(l[0].expires, now + 500);
    EXPECT_EQ(l[0].hostname, "ok");
}

TEST(Dhcp, CorruptLeaseFileStartsEmptyAndIsKeptAside) {
    TempDir dir;
    const auto file = dir.path / "bad.leases";
    const std::string cut_short =  // a valid file cut in the middle of a lease
        "{\"version\": 1, \"network\": \"testnet\", \"leases\": [{\"mac\": \"52:54:00:00:00:01\", \"ip\": \"192.16";
    for (const std::string& text : {std::string("{not json at all"), std::string("[1,2,3]"),
                                   std::string("{\"leases\": 7}"), std::string(""), std::string("\xff\xfe"), cut_short}) {
        std::ofstream(file, std::ios::trunc) << text;
        LogCapture log;
        auto s = make_server(base_config(), file.string());
        EXPECT_TRUE(s.leases().empty()) << text;
        EXPECT_EQ(log.count(spdlog::level::warn, "testnet"), 1) << text;
        // The unusable file is kept for the operator, byte for byte.
        std::vector<std::filesystem::path> aside;
        for (const auto& e : std::filesystem::directory_iterator(dir.path))
            if (e.path().filename().string().rfind("bad.leases.corrupt-", 0) == 0) aside.push_back(e.path());
        ASSERT_EQ(aside.size(), 1u) << text;
        EXPECT_EQ(slurp(aside[0]), text);
        std::filesystem::remove(aside[0]);
        // It works, and a later save replaces the file with a valid one.
        acquire(s, mac_n(1), static_cast<int64_t>(std::time(nullptr)));
        EXPECT_EQ(nlohmann::json::parse(slurp(file))["leases"].size(), 1u);
    }
}

TEST(Dhcp, UnwritableLeaseFileDoesNotThrow) {
    auto s = make_server(base_config(), "/proc/vsw-no-such-dir/x.leases");
    EXPECT_EQ(acquire(s, mac_n(1)), ip("192.168.56.100"));
}

TEST(Dhcp, ReconfigureKeepsValidLeases) {
    TempDir dir;
    const auto file = dir.path / "r.leases";
    const int64_t now = static_cast<int64_t>(std::time(nullptr));
    auto s = make_server(base_config(), file.string());
    Ipv4 a = acquire(s, mac_n(1), now);  // .100
    Ipv4 b = acquire(s, mac_n(2), now);  // .101
    Ipv4 c = acquire(s, mac_n(3), now);  // .102
    EXPECT_EQ(c, ip("192.168.56.102"));
    auto cfg = base_config();
    cfg.range_first = ip("192.168.56.101");  // .100 leaves the range
    cfg.statics = {{mac_n(3), ip("192.168.56.102")}};  // .102 becomes static for mac 3
    s.reconfigure(kSubnet, cfg);
    auto l = s.leases();
    ASSERT_EQ(l.size(), 2u);
    EXPECT_EQ(l[0].ip, b);
    EXPECT_FALSE(l[0].is_static);
    EXPECT_EQ(l[1].ip, c);
    EXPECT_TRUE(l[1].is_static);
    // The file holds the remaining dynamic lease only.
    auto j = nlohmann::json::parse(slurp(file));
    ASSERT_EQ(j["leases"].size(), 1u);
    EXPECT_EQ(j["leases"][0]["ip"], b.to_string());
    (void)a;
    // A new subnet drops everything.
    auto cfg2 = base_config();
    cfg2.server = ip("10.1.0.1");
    cfg2.range_first = ip("10.1.0.100");
    cfg2.range_last = ip("10.1.0.200");
    s.reconfigure(*Subnet::parse("10.1.0.0/24"), cfg2);
    EXPECT_TRUE(s.leases().empty());
    Msg d = discover(mac_n(2));
    Reply o = exchange(s, d, now);
    EXPECT_EQ(o.yiaddr, ip("10.1.0.100"));
    EXPECT_EQ(o.ip_src, ip("10.1.0.1"));
    EXPECT_EQ(o.ip_opt(1), ip("255.255.255.0"));
}

// DHCP starvation: one port sends DISCOVERs for ever new chaddrs. It gets
// offers up to its max_leases, then nothing; other ports keep getting
// addresses, and its own clients keep theirs.
TEST(Dhcp, PortLeaseCapStopsStarvation) {
    auto s = make_server();
    const DhcpClientPort attacker{"vm-evil", 2}, victim{"vm-good", 4};
    int64_t now = kNow;
    int offers = 0;
    for (uint8_t i = 1; i <= 50; ++i, ++now) {  // one a second: under the rate limit
        auto out = s.handle_frame(build(discover(mac_n(i))), now, attacker);
        offers += out.has_value();
    }
    EXPECT_EQ(offers, 2);
    EXPECT_EQ(s.counters().port_limit, 48u);
    // The attacker's two clients are still served (renewing an offer, then the lease).
    auto again = s.handle_frame(build(discover(mac_n(1))), now, attacker);
    ASSERT_TRUE(again);
    EXPECT_EQ(parse(*again).type(), OFFER);
    // Another port gets an address at once.
    auto out = s.handle_frame(build(discover(mac_n(100))), now, victim);
    ASSERT_TRUE(out);
    Reply offer = parse(*out);
    EXPECT_EQ(offer.type(), OFFER);
    auto ack = s.handle_frame(build(request_selecting(mac_n(100), offer.yiaddr)), now, victim);
    ASSERT_TRUE(ack);
    EXPECT_EQ(parse(*ack).type(), ACK);
    for (const auto& l : s.leases())
        if (l.mac == mac_n(100)) {
            EXPECT_EQ(l.port, "vm-good");
        }
}

TEST(Dhcp, PortMessageRateIsLimited) {
    auto s = make_server();
    const DhcpClientPort port{"vm1", 1000};
    int answered = 0;
    for (int i = 0; i < 100; ++i)  // all in one second
        answered += s.handle_frame(build(discover(mac_n(1))), kNow, port).has_value();
    EXPECT_EQ(answered, static_cast<int>(kDhcpMessagesPerSecond));
    EXPECT_EQ(s.counters().rate_limited, 100u - kDhcpMessagesPerSecond);
    EXPECT_TRUE(s.handle_frame(build(discover(mac_n(1))), kNow + 1, port));  // the next second
}

TEST(Dhcp, LeasePortIsPersisted) {
    TempDir dir;
    const auto file = dir.path / "p.leases";
    const int64_t now = static_cast<int64_t>(std::time(nullptr));
    {
        auto s = make_server(base_config(), file.string());
        Reply offer = parse(*s.handle_frame(build(discover(mac_n(7))), now, {"vm7", 4}));
        ASSERT_TRUE(s.handle_frame(build(request_selecting(mac_n(7), offer.yiaddr)), now, {"vm7", 4}));
    }
    auto s = make_server(base_config(), file.string());
    ASSERT_EQ(s.leases().size(), 1u);
    EXPECT_EQ(s.leases()[0].port, "vm7");
}
