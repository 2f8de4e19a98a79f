// Unit tests of the DHCP server, what goes on the wire: hand-built client
// frames in, replies decoded and checked field by field (addresses, flags,
// options, checksums), relays and the broadcast flag, and malformed, truncated
// or random input. Which address a client gets, for how long, and the lease
// file: dhcp_leases_test.cpp. Shared builders: dhcp_test_support.hpp.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <iterator>
#include <random>
#include <span>
#include <string>
#include <vector>

#include "dhcp_test_support.hpp"

using namespace vsw;
using namespace dhcp_test;

TEST(Dhcp, FullCycleWithoutRouter) {
    auto s = make_server();
    const Mac client = mac("52:54:00:aa:bb:cc");

    Msg d = discover(client, 0x11223344);
    Reply o = exchange(s, d);
    EXPECT_EQ(o.type(), OFFER);
    // Ethernet: unicast to the client (no broadcast flag, no ciaddr).
    EXPECT_EQ(o.eth_dst, client);
    EXPECT_EQ(o.eth_src, kServerMac);
    EXPECT_EQ(o.ethertype, 0x0800);
    // IPv4
    EXPECT_EQ(o.ihl, 5);
    EXPECT_EQ(o.ttl, 64);
    EXPECT_EQ(o.proto, 17);
    EXPECT_EQ(o.frag & 0x3fff, 0);
    EXPECT_EQ(o.ip_src, kServer);
    EXPECT_EQ(o.ip_dst, ip("192.168.56.100"));
    EXPECT_TRUE(o.ip_csum_ok);
    // UDP
    EXPECT_EQ(o.sport, 67);
    EXPECT_EQ(o.dport, 68);
    EXPECT_TRUE(o.udp_csum_ok);
    // BOOTP
    EXPECT_EQ(o.op, 2);
    EXPECT_EQ(o.htype, 1);
    EXPECT_EQ(o.hlen, 6);
    EXPECT_EQ(o.xid, 0x11223344u);
    EXPECT_EQ(o.flags, 0);
    EXPECT_EQ(o.ciaddr.value, 0u);
    EXPECT_EQ(o.yiaddr, ip("192.168.56.100"));
    EXPECT_EQ(o.giaddr.value, 0u);
    EXPECT_EQ(o.chaddr, client);
    EXPECT_EQ(o.cookie, 0x63825363u);
    EXPECT_GE(o.bootp_len, 300u);
    // Options
    EXPECT_EQ(o.ip_opt(54), kServer);
    EXPECT_EQ(o.u32(51), 600u);
    EXPECT_EQ(o.u32(58), 300u);
    EXPECT_EQ(o.u32(59), 525u);
    EXPECT_EQ(o.ip_opt(1), ip("255.255.255.0"));
    EXPECT_EQ(o.ip_opt(28), ip("192.168.56.255"));
    EXPECT_FALSE(o.has(3));
    ASSERT_TRUE(o.has(6));
    ASSERT_EQ(o.opts.at(6).size(), 8u);
    EXPECT_EQ(Ipv4{get32(o.opts.at(6), 0)}, ip("192.168.56.1"));
    EXPECT_EQ(Ipv4{get32(o.opts.at(6), 4)}, ip("8.8.8.8"));
    ASSERT_TRUE(o.has(15));
    EXPECT_EQ(std::string(o.opts.at(15).begin(), o.opts.at(15).end()), "vsw.test");

    // The offer is reserved but not yet a lease.
    auto l = s.leases();
    ASSERT_EQ(l.size(), 1u);
    EXPECT_TRUE(l[0].offered_only);
    EXPECT_EQ(l[0].expires, 0);

    Msg r = request_selecting(client, o.yiaddr);
    r.xid = 0x11223344;
    r.hostname = "guest1";
    Reply a = exchange(s, r, kNow + 1);
    EXPECT_EQ(a.type(), ACK);
    EXPECT_EQ(a.yiaddr, ip("192.168.56.100"));
    EXPECT_EQ(a.ip_dst, ip("192.168.56.100"));
    EXPECT_EQ(a.eth_dst, client);
    EXPECT_EQ(a.xid, 0x11223344u);
    EXPECT_TRUE(a.ip_csum_ok);
    EXPECT_TRUE(a.udp_csum_ok);
    EXPECT_EQ(a.ip_opt(54), kServer);
    EXPECT_EQ(a.u32(51), 600u);
    EXPECT_EQ(a.ip_opt(1), ip("255.255.255.0"));
    EXPECT_FALSE(a.has(3));
    EXPECT_TRUE(a.has(6));

    l = s.leases();
    ASSERT_EQ(l.size(), 1u);
    EXPECT_EQ(l[0].mac, client);
    EXPECT_EQ(l[0].ip, ip("192.168.56.100"));
    EXPECT_EQ(l[0].expires, kNow + 1 + 600);
    EXPECT_FALSE(l[0].offered_only);
    EXPECT_FALSE(l[0].is_static);
    EXPECT_EQ(l[0].hostname, "guest1");

    const auto& c = s.counters();
    EXPECT_EQ(c.discover, 1u);
    EXPECT_EQ(c.offer, 1u);
    EXPECT_EQ(c.request, 1u);
    EXPECT_EQ(c.ack, 1u);
    EXPECT_EQ(c.nak, 0u);
    EXPECT_EQ(c.malformed, 0u);
}

TEST(Dhcp, RouterOptionWhenConfigured) {
    auto cfg = base_config();
    cfg.router = ip("192.168.56.2");
    cfg.dns.clear();
    cfg.domain.clear();
    auto s = make_server(cfg);
    Reply o = exchange(s, discover(mac_n(1)));
    ASSERT_TRUE(o.has(3));
    EXPECT_EQ(o.ip_opt(3), ip("192.168.56.2"));
    EXPECT_FALSE(o.has(6));
    EXPECT_FALSE(o.has(15));
    Reply a = exchange(s, request_selecting(mac_n(1), o.yiaddr));
    ASSERT_TRUE(a.has(3));
    EXPECT_EQ(a.ip_opt(3), ip("192.168.56.2"));
}

TEST(Dhcp, InformAcksWithoutLease) {
    auto cfg = base_config();
    cfg.router = ip("192.168.56.2");
    auto s = make_server(cfg);
    Msg inf;
    inf.type = INFORM;
    inf.mac = mac_n(4);
    inf.ciaddr = ip("192.168.56.33");
    Reply r = exchange(s, inf);
    EXPECT_EQ(r.type(), ACK);
    EXPECT_EQ(r.yiaddr.value, 0u);
    EXPECT_EQ(r.ciaddr, ip("192.168.56.33"));
    EXPECT_EQ(r.ip_dst, ip("192.168.56.33"));
    EXPECT_EQ(r.eth_dst, mac_n(4));
    EXPECT_FALSE(r.has(51));
    EXPECT_FALSE(r.has(58));
    EXPECT_FALSE(r.has(59));
    EXPECT_TRUE(r.has(1));
    EXPECT_TRUE(r.has(3));
    EXPECT_TRUE(r.has(6));
    EXPECT_EQ(r.ip_opt(54), kServer);
    EXPECT_TRUE(r.udp_csum_ok);
    EXPECT_EQ(s.counters().inform, 1u);
    EXPECT_TRUE(s.leases().empty());
}

TEST(Dhcp, TruncatedFramesAreMalformed) {
    auto s = make_server();
    const auto full = build(discover(mac_n(1)));
    // Every proper prefix is malformed: the IP total length then exceeds the frame.
    size_t malformed = 0;
    for (size_t n = 0; n < full.size(); ++n) {
        std::vector<uint8_t> cut(full.begin(), full.begin() + static_cast<long>(n));
        auto out = s.handle_frame(cut, kNow);
        EXPECT_FALSE(out) << n;
        ++malformed;
    }
    EXPECT_EQ(s.counters().malformed, malformed);
    EXPECT_EQ(s.counters().offer, 0u);
    // Exactly sized copies in fresh heap buffers, so ASan catches any overread.
    for (size_t n = 0; n <= full.size(); ++n) {
        auto* p = new uint8_t[n ? n : 1];
        std::copy_n(full.begin(), n, p);
        (void)s.handle_frame(std::span<const uint8_t>(p, n), kNow);
        delete[] p;
    }
    EXPECT_TRUE(s.handle_frame(full, kNow));
}

TEST(Dhcp, TruncatedUdpLengthInsideFullFrame) {
    // The IP/UDP lengths claim less than the frame carries: only the claimed
    // part counts, so options cut by the UDP length are malformed.
    auto s = make_server();
    auto f = build(discover(mac_n(1)));
    const size_t udp = 14 + 20;
    const uint16_t udp_len = get16(f, udp + 4);
    put16(f, udp + 4, static_cast<uint16_t>(udp_len - 3));  // cuts into option 55
    EXPECT_FALSE(s.handle_frame(f, kNow));
    EXPECT_EQ(s.counters().malformed, 1u);
}

TEST(Dhcp, MalformedHeaders) {
    auto s = make_server();
    auto expect_malformed = [&](std::vector<uint8_t> f, const char* what) {
        uint64_t before = s.counters().malformed;
        EXPECT_FALSE(s.handle_frame(f, kNow)) << what;
        EXPECT_EQ(s.counters().malformed, before + 1) << what;
    };
    const auto good = build(discover(mac_n(1)));
    {
        auto f = good;
        f[14] = 0x44;  // IHL 4
        expect_malformed(f, "ihl 4");
        f[14] = 0x4f;  // IHL 15: options run into UDP, lengths inconsistent
        expect_malformed(f, "ihl 15");
        f[14] = 0x65;  // version 6
        expect_malformed(f, "version");
    }
    {
        auto f = good;
        put16(f, 16, static_cast<uint16_t>(f.size()));  // total length beyond frame
        expect_malformed(f, "ip total length");
        put16(f, 16, 20 + 7);
        expect_malformed(f, "ip total length too small");
    }
    {
        auto f = good;
        put16(f, 14 + 20 + 4, static_cast<uint16_t>(f.size()));  // UDP length beyond IP
        expect_malformed(f, "udp length");
        put16(f, 14 + 20 + 4, 7);
        expect_malformed(f, "udp length < 8");
    }
    {
        auto f = good;
        put16(f, 12, 0x86dd);
        expect_malformed(f, "ethertype");
    }
    {
        auto f = good;
        f[14 + 9] = 6;
        expect_malformed(f, "tcp");
    }
    {
        auto f = good;
        put16(f, 14 + 6, 0x2000);  // MF
        expect_malformed(f, "fragment");
    }
    {
        auto f = good;
        put16(f, 14 + 20 + 2, 68);
        expect_malformed(f, "dst port");
    }
    Msg m = discover(mac_n(1));
    m.cookie = 0x63825364;
    expect_malformed(build(m), "cookie");
    m = discover(mac_n(1));
    m.op = 2;
    expect_malformed(build(m), "op=2");
    m = discover(mac_n(1));
    m.htype = 6;
    expect_malformed(build(m), "htype");
    m = discover(mac_n(1));
    m.hlen = 16;
    expect_malformed(build(m), "hlen");
    m = discover(mac_n(1));
    m.raw_options = {60, 200, 1, 2, 3};  // option length past the end
    expect_malformed(build(m), "option length");
    m = discover(mac_n(1));
    m.raw_options = {50, 3, 1, 2, 3};  // requested address of 3 bytes
    expect_malformed(build(m), "option 50 length");
    m = discover(mac_n(1));
    m.raw_options = {53, 1, 1};  // a second message type: 2 bytes after concatenation
    expect_malformed(build(m), "option 53 length");
    {
        auto f = build(discover(mac_n(1)));
        f.back() = 60;  // the end option becomes a lone option code with no length byte
        expect_malformed(f, "option code without length");
    }
    EXPECT_EQ(s.counters().offer, 0u);
    EXPECT_TRUE(s.leases().empty());
}

TEST(Dhcp, RandomGarbageNeverCrashes) {
    auto s = make_server();
    std::mt19937 rng(12345);
    const auto good = build(discover(mac_n(1)));
    for (int i = 0; i < 20000; ++i) {
        std::vector<uint8_t> f;
        if (i % 2 == 0) {
            f.resize(rng() % 400);
            for (auto& b : f) b = static_cast<uint8_t>(rng());
        } else {  // a good frame with a few bytes flipped: reaches deeper
            f = good;
            for (int k = 0; k < 1 + static_cast<int>(rng() % 4); ++k)
                f[rng() % f.size()] = static_cast<uint8_t>(rng());
        }
        std::vector<uint8_t> exact(f);  // exact-size heap copy for ASan
        (void)s.handle_frame(exact, kNow + i);
    }
    SUCCEED();
}

TEST(Dhcp, IpOptionsAndEthernetPaddingHonoured) {
    auto s = make_server();
    Msg m = discover(mac_n(1));
    m.ip_option_words = 3;
    m.eth_padding = 20;
    Reply o = exchange(s, m);
    EXPECT_EQ(o.type(), OFFER);
    EXPECT_EQ(s.counters().malformed, 0u);
}

TEST(Dhcp, OptionOverloadInFileField) {
    auto s = make_server();
    Msg m = discover(mac_n(1));
    m.raw_options = {52, 1, 1};  // options continue in 'file'
    auto f = build(m);
    const size_t file_off = 14 + 20 + 8 + 108;
    const uint8_t extra[] = {50, 4, 192, 168, 56, 170, 255};
    std::copy(std::begin(extra), std::end(extra), f.begin() + static_cast<long>(file_off));
    auto out = s.handle_frame(f, kNow);
    ASSERT_TRUE(out);
    EXPECT_EQ(parse(*out).yiaddr, ip("192.168.56.170"));
}

TEST(Dhcp, BroadcastFlagHandling) {
    auto s = make_server();
    Msg d = discover(mac_n(1));
    d.flags = 0x8000;
    Reply o = exchange(s, d);
    EXPECT_EQ(o.type(), OFFER);
    EXPECT_EQ(o.flags, 0x8000);
    EXPECT_EQ(o.eth_dst, Mac({0xff, 0xff, 0xff, 0xff, 0xff, 0xff}));
    EXPECT_EQ(o.ip_dst, ip("255.255.255.255"));
    EXPECT_EQ(o.yiaddr, ip("192.168.56.100"));
    EXPECT_TRUE(o.ip_csum_ok);
    EXPECT_TRUE(o.udp_csum_ok);
    Msg r = request_selecting(mac_n(1), o.yiaddr);
    r.flags = 0x8000;
    Reply a = exchange(s, r);
    EXPECT_EQ(a.type(), ACK);
    EXPECT_EQ(a.ip_dst, ip("255.255.255.255"));
    EXPECT_EQ(a.eth_dst, Mac({0xff, 0xff, 0xff, 0xff, 0xff, 0xff}));
    // Without the flag: unicast.
    Msg r2 = request_selecting(mac_n(1), o.yiaddr);
    Reply a2 = exchange(s, r2);
    EXPECT_EQ(a2.ip_dst, o.yiaddr);
    EXPECT_EQ(a2.eth_dst, mac_n(1));
}

TEST(Dhcp, RelayedRequestGoesToGiaddr) {
    auto s = make_server();
    Msg d = discover(mac_n(1));
    d.giaddr = ip("192.168.56.250");
    Reply o = exchange(s, d);
    EXPECT_EQ(o.ip_dst, ip("192.168.56.250"));
    EXPECT_EQ(o.dport, 67);
    EXPECT_EQ(o.giaddr, ip("192.168.56.250"));
    EXPECT_EQ(o.eth_dst, mac_n(1));  // the frame's source (the relay)
    EXPECT_TRUE(o.udp_csum_ok);
}

TEST(Dhcp, UnknownOrMissingTypeIgnored) {
    auto s = make_server();
    Msg m = discover(mac_n(1));
    m.type = 13;
    EXPECT_FALSE(s.handle_frame(build(m), kNow));
    m.type = OFFER;  // a server message from a client
    EXPECT_FALSE(s.handle_frame(build(m), kNow));
    m.type_option = false;  // plain BOOTP
    EXPECT_FALSE(s.handle_frame(build(m), kNow));
    EXPECT_EQ(s.counters().ignored, 3u);
    EXPECT_EQ(s.counters().malformed, 0u);
}
