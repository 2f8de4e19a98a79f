// Unit tests of the DHCP server: hand-built client frames in, replies decoded
// and checked field by field (with an independent checksum reference).
#include <gtest/gtest.h>

#include <spdlog/sinks/ringbuffer_sink.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "../../control/dhcp/dhcp_server.hpp"

using namespace vsw;

namespace {

Ipv4 ip(const char* s) { return *Ipv4::parse(s); }
Mac mac(const char* s) { return *Mac::parse(s); }
Mac mac_n(int n) {
    return Mac{{0x52, 0x54, 0x00, 0x12, static_cast<uint8_t>(n >> 8), static_cast<uint8_t>(n)}};
}

const Mac kServerMac = mac("02:00:00:00:00:fe");
const Ipv4 kServer = ip("192.168.56.1");
const Subnet kSubnet = *Subnet::parse("192.168.56.0/24");
constexpr int64_t kNow = 1'000'000;

DhcpConfig base_config() {
    DhcpConfig c;
    c.server = kServer;
    c.range_first = ip("192.168.56.100");
    c.range_last = ip("192.168.56.199");
    c.lease_seconds = 600;
    c.dns = {ip("192.168.56.1"), ip("8.8.8.8")};
    c.domain = "vsw.test";
    return c;
}

enum : uint8_t { DISCOVER = 1, OFFER, REQUEST, DECLINE, ACK, NAK, RELEASE, INFORM };

// --- client frame builder ---------------------------------------------------

void put16(std::vector<uint8_t>& v, size_t at, uint16_t x) {
    v[at] = static_cast<uint8_t>(x >> 8);
    v[at + 1] = static_cast<uint8_t>(x);
}
void put32(std::vector<uint8_t>& v, size_t at, uint32_t x) {
    for (int i = 0; i < 4; ++i) v[at + i] = static_cast<uint8_t>(x >> (24 - 8 * i));
}
uint16_t get16(const std::vector<uint8_t>& v, size_t at) {
    return static_cast<uint16_t>(v.at(at) << 8 | v.at(at + 1));
}
uint32_t get32(const std::vector<uint8_t>& v, size_t at) {
    return uint32_t{v.at(at)} << 24 | uint32_t{v.at(at + 1)} << 16 | uint32_t{v.at(at + 2)} << 8 |
           v.at(at + 3);
}

struct Msg {
    uint8_t type = DISCOVER;
    Mac mac = mac_n(1);
    uint32_t xid = 0xdeadbeef;
    uint16_t flags = 0;
    uint16_t secs = 3;
    Ipv4 ciaddr, giaddr;
    std::optional<Ipv4> requested, server_id;
    std::string hostname;
    std::vector<uint8_t> raw_options;  // appended before the end option
    bool type_option = true;
    uint8_t op = 1, htype = 1, hlen = 6;
    uint32_t cookie = 0x63825363;
    unsigned ip_option_words = 0;      // IHL = 5 + this
    size_t eth_padding = 0;            // bytes after the IP packet
};

std::vector<uint8_t> build(const Msg& m) {
    std::vector<uint8_t> opts;
    if (m.type_option) opts.insert(opts.end(), {53, 1, m.type});
    auto add_ip = [&](uint8_t code, Ipv4 a) {
        opts.insert(opts.end(), {code, 4});
        for (int i = 0; i < 4; ++i) opts.push_back(static_cast<uint8_t>(a.value >> (24 - 8 * i)));
    };
    if (m.requested) add_ip(50, *m.requested);
    if (m.server_id) add_ip(54, *m.server_id);
    if (!m.hostname.empty()) {
        opts.push_back(12);
        opts.push_back(static_cast<uint8_t>(m.hostname.size()));
        opts.insert(opts.end(), m.hostname.begin(), m.hostname.end());
    }
    opts.insert(opts.end(), {55, 4, 1, 3, 6, 15});  // parameter request list
    opts.insert(opts.end(), m.raw_options.begin(), m.raw_options.end());
    opts.push_back(255);

    const size_t ihl = (5 + m.ip_option_words) * 4;
    const size_t bootp = 240 + opts.size();
    const size_t udp_len = 8 + bootp;
    const size_t ip_len = ihl + udp_len;
    std::vector<uint8_t> f(14 + ip_len + m.eth_padding, 0);
    for (int i = 0; i < 6; ++i) f[i] = 0xff;
    std::copy(m.mac.bytes.begin(), m.mac.bytes.end(), f.begin() + 6);
    put16(f, 12, 0x0800);
    size_t o = 14;
    f[o] = static_cast<uint8_t>(0x40 | (ihl / 4));
    put16(f, o + 2, static_cast<uint16_t>(ip_len));
    f[o + 8] = 64;
    f[o + 9] = 17;
    put32(f, o + 12, m.ciaddr.value);
    put32(f, o + 16, 0xffffffff);
    for (size_t i = 20; i < ihl; ++i) f[o + i] = 1;  // NOP options
    // Checksums deliberately left zero / bogus: the server must not check them.
    o += ihl;
    put16(f, o, 68);
    put16(f, o + 2, 67);
    put16(f, o + 4, static_cast<uint16_t>(udp_len));
    put16(f, o + 6, 0x1234);
    o += 8;
    f[o] = m.op;
    f[o + 1] = m.htype;
    f[o + 2] = m.hlen;
    put32(f, o + 4, m.xid);
    put16(f, o + 8, m.secs);
    put16(f, o + 10, m.flags);
    put32(f, o + 12, m.ciaddr.value);
    put32(f, o + 24, m.giaddr.value);
    std::copy(m.mac.bytes.begin(), m.mac.bytes.end(), f.begin() + static_cast<long>(o + 28));
    put32(f, o + 236, m.cookie);
    std::copy(opts.begin(), opts.end(), f.begin() + static_cast<long>(o + 240));
    return f;
}

// --- reply parser -------------------------------------------------------------

// Reference Internet checksum: returns the folded one's complement sum (0xffff
// when the data including its checksum field is valid).
uint16_t ones_sum(const std::vector<uint8_t>& d) {
    uint64_t s = 0;
    for (size_t i = 0; i < d.size(); i += 2)
        s += (uint32_t{d[i]} << 8) | (i + 1 < d.size() ? d[i + 1] : 0);
    while (s >> 16) s = (s & 0xffff) + (s >> 16);
    return static_cast<uint16_t>(s);
}

struct Reply {
    Mac eth_dst, eth_src;
    uint16_t ethertype = 0;
    uint8_t ihl = 0, ttl = 0, proto = 0;
    uint16_t ip_total = 0, frag = 0;
    Ipv4 ip_src, ip_dst;
    bool ip_csum_ok = false, udp_csum_ok = false;
    uint16_t sport = 0, dport = 0, udp_len = 0, udp_csum = 0;
    uint8_t op = 0, htype = 0, hlen = 0;
    uint32_t xid = 0;
    uint16_t secs = 0, flags = 0;
    Ipv4 ciaddr, yiaddr, siaddr, giaddr;
    Mac chaddr;
    uint32_t cookie = 0;
    size_t bootp_len = 0;
    std::map<uint8_t, std::vector<uint8_t>> opts;

    uint8_t type() const { return opts.count(53) ? opts.at(53).at(0) : 0; }
    bool has(uint8_t c) const { return opts.count(c) != 0; }
    uint32_t u32(uint8_t c) const { return get32(opts.at(c), 0); }
    Ipv4 ip_opt(uint8_t c) const { return Ipv4{u32(c)}; }
};

Reply parse(const std::vector<uint8_t>& f) {
    Reply r;
    EXPECT_GE(f.size(), 14u + 20 + 8 + 240);
    if (f.size() < 14u + 20 + 8 + 240) return r;
    std::copy_n(f.begin(), 6, r.eth_dst.bytes.begin());
    std::copy_n(f.begin() + 6, 6, r.eth_src.bytes.begin());
    r.ethertype = get16(f, 12);
    size_t o = 14;
    r.ihl = f[o] & 0x0f;
    EXPECT_EQ(f[o] >> 4, 4);
    r.ip_total = get16(f, o + 2);
    EXPECT_EQ(r.ip_total, f.size() - 14);
    r.frag = get16(f, o + 6);
    r.ttl = f[o + 8];
    r.proto = f[o + 9];
    r.ip_src = Ipv4{get32(f, o + 12)};
    r.ip_dst = Ipv4{get32(f, o + 16)};
    r.ip_csum_ok =
        ones_sum(std::vector<uint8_t>(f.begin() + 14, f.begin() + 14 + r.ihl * 4)) == 0xffff;
    o += size_t{r.ihl} * 4;
    r.sport = get16(f, o);
    r.dport = get16(f, o + 2);
    r.udp_len = get16(f, o + 4);
    r.udp_csum = get16(f, o + 6);
    EXPECT_EQ(r.udp_len, f.size() - o);
    {   // pseudo-header + UDP header + payload
        std::vector<uint8_t> ph(f.begin() + 14 + 12, f.begin() + 14 + 20);
        ph.push_back(0);
        ph.push_back(17);
        ph.push_back(static_cast<uint8_t>(r.udp_len >> 8));
        ph.push_back(static_cast<uint8_t>(r.udp_len));
        ph.insert(ph.end(), f.begin() + static_cast<long>(o), f.end());
        r.udp_csum_ok = r.udp_csum != 0 && ones_sum(ph) == 0xffff;
    }
    o += 8;
    r.bootp_len = f.size() - o;
    r.op = f[o];
    r.htype = f[o + 1];
    r.hlen = f[o + 2];
    r.xid = get32(f, o + 4);
    r.secs = get16(f, o + 8);
    r.flags = get16(f, o + 10);
    r.ciaddr = Ipv4{get32(f, o + 12)};
    r.yiaddr = Ipv4{get32(f, o + 16)};
    r.siaddr = Ipv4{get32(f, o + 20)};
    r.giaddr = Ipv4{get32(f, o + 24)};
    std::copy_n(f.begin() + static_cast<long>(o + 28), 6, r.chaddr.bytes.begin());
    r.cookie = get32(f, o + 236);
    size_t i = o + 240;
    bool ended = false;
    while (i < f.size()) {
        uint8_t c = f[i];
        if (c == 0) { ++i; continue; }
        if (c == 255) { ended = true; break; }
        EXPECT_LT(i + 1, f.size());
        if (i + 1 >= f.size()) break;
        size_t len = f[i + 1];
        EXPECT_LE(i + 2 + len, f.size());
        if (i + 2 + len > f.size()) break;
        EXPECT_EQ(r.opts.count(c), 0u) << "duplicate option " << int(c);
        r.opts[c].assign(f.begin() + static_cast<long>(i + 2),
                         f.begin() + static_cast<long>(i + 2 + len));
        i += 2 + len;
    }
    EXPECT_TRUE(ended) << "no end option";
    return r;
}

// Runs one message and decodes the reply (which must exist).
Reply exchange(DhcpServer& s, const Msg& m, int64_t now = kNow) {
    auto out = s.handle_frame(build(m), now);
    EXPECT_TRUE(out.has_value());
    if (!out) return Reply{};
    return parse(*out);
}

Msg discover(Mac m, uint32_t xid = 1) {
    Msg x;
    x.type = DISCOVER;
    x.mac = m;
    x.xid = xid;
    return x;
}
Msg request_selecting(Mac m, Ipv4 want, Ipv4 server = kServer) {
    Msg x;
    x.type = REQUEST;
    x.mac = m;
    x.requested = want;
    x.server_id = server;
    return x;
}

// DISCOVER + REQUEST; returns the acked address.
Ipv4 acquire(DhcpServer& s, Mac m, int64_t now = kNow, const std::string& hostname = "") {
    Msg d = discover(m);
    d.hostname = hostname;
    Reply offer = exchange(s, d, now);
    EXPECT_EQ(offer.type(), OFFER);
    Msg r = request_selecting(m, offer.yiaddr);
    r.hostname = hostname;
    Reply ack = exchange(s, r, now);
    EXPECT_EQ(ack.type(), ACK);
    EXPECT_EQ(ack.yiaddr, offer.yiaddr);
    return ack.yiaddr;
}

DhcpServer make_server(DhcpConfig c = base_config(), std::string file = "") {
    return DhcpServer("testnet", kSubnet, std::move(c), kServerMac, std::move(file));
}

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

TEST(Dhcp, CorruptLeaseFileStartsEmpty) {
    TempDir dir;
    const auto file = dir.path / "bad.leases";
    for (const char* text : {"{not json at all", "[1,2,3]", "{\"leases\": 7}", "", "\xff\xfe"}) {
        std::ofstream(file, std::ios::trunc) << text;
        LogCapture log;
        auto s = make_server(base_config(), file.string());
        EXPECT_TRUE(s.leases().empty()) << text;
        EXPECT_EQ(log.count(spdlog::level::warn, "testnet"), 1) << text;
        // It works, and a later save replaces the file with a valid one.
        acquire(s, mac_n(1), static_cast<int64_t>(std::time(nullptr)));
        EXPECT_EQ(nlohmann::json::parse(slurp(file))["leases"].size(), 1u);
    }
}

TEST(Dhcp, UnwritableLeaseFileDoesNotThrow) {
    auto s = make_server(base_config(), "/proc/vsw-no-such-dir/x.leases");
    EXPECT_EQ(acquire(s, mac_n(1)), ip("192.168.56.100"));
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
