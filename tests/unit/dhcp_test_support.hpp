// Helpers shared by the DHCP server's tests (dhcp_test.cpp: what goes on the
// wire, malformed input; dhcp_leases_test.cpp: which address a client gets,
// for how long, and the lease file): a server on 192.168.56.0/24, a builder of
// client frames and a decoder of the server's replies (with an independent
// checksum reference).
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "../../control/services/dhcp/dhcp_server.hpp"

namespace dhcp_test {

using vsw::DhcpConfig;
using vsw::DhcpServer;
using vsw::Ipv4;
using vsw::Mac;
using vsw::Subnet;

inline Ipv4 ip(const char* s) { return *Ipv4::parse(s); }
inline Mac mac(const char* s) { return *Mac::parse(s); }
inline Mac mac_n(int n) {
    return Mac{{0x52, 0x54, 0x00, 0x12, static_cast<uint8_t>(n >> 8), static_cast<uint8_t>(n)}};
}

inline const Mac kServerMac = mac("02:00:00:00:00:fe");
inline const Ipv4 kServer = ip("192.168.56.1");
inline const Subnet kSubnet = *Subnet::parse("192.168.56.0/24");
inline constexpr int64_t kNow = 1'000'000;

inline DhcpConfig base_config() {
    DhcpConfig c;
    c.server = kServer;
    c.range_first = ip("192.168.56.100");
    c.range_last = ip("192.168.56.199");
    c.lease_seconds = 600;
    c.dns = {ip("192.168.56.1"), ip("8.8.8.8")};
    c.domain = "vsw.test";
    return c;
}

enum MsgType : uint8_t { DISCOVER = 1, OFFER, REQUEST, DECLINE, ACK, NAK, RELEASE, INFORM };

// --- client frame builder ---------------------------------------------------

inline void put16(std::vector<uint8_t>& v, size_t at, uint16_t x) {
    v[at] = static_cast<uint8_t>(x >> 8);
    v[at + 1] = static_cast<uint8_t>(x);
}
inline void put32(std::vector<uint8_t>& v, size_t at, uint32_t x) {
    for (int i = 0; i < 4; ++i) v[at + i] = static_cast<uint8_t>(x >> (24 - 8 * i));
}
inline uint16_t get16(const std::vector<uint8_t>& v, size_t at) {
    return static_cast<uint16_t>(v.at(at) << 8 | v.at(at + 1));
}
inline uint32_t get32(const std::vector<uint8_t>& v, size_t at) {
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

inline std::vector<uint8_t> build(const Msg& m) {
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
inline uint16_t ones_sum(const std::vector<uint8_t>& d) {
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

inline Reply parse(const std::vector<uint8_t>& f) {
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
inline Reply exchange(DhcpServer& s, const Msg& m, int64_t now = kNow) {
    auto out = s.handle_frame(build(m), now);
    EXPECT_TRUE(out.has_value());
    if (!out) return Reply{};
    return parse(*out);
}

inline Msg discover(Mac m, uint32_t xid = 1) {
    Msg x;
    x.type = DISCOVER;
    x.mac = m;
    x.xid = xid;
    return x;
}
inline Msg request_selecting(Mac m, Ipv4 want, Ipv4 server = kServer) {
    Msg x;
    x.type = REQUEST;
    x.mac = m;
    x.requested = want;
    x.server_id = server;
    return x;
}

// DISCOVER + REQUEST; returns the acked address.
inline Ipv4 acquire(DhcpServer& s, Mac m, int64_t now = kNow, const std::string& hostname = "") {
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

// The server of network "testnet" on kSubnet; `file`: its lease file ("": none).
inline DhcpServer make_server(DhcpConfig c = base_config(), std::string file = "") {
    return DhcpServer("testnet", kSubnet, std::move(c), kServerMac, std::move(file));
}

}  // namespace dhcp_test
