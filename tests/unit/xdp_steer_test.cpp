// vsw_xdp_steer() (datapath/xdp/steer.h), the decision of vsw's XDP program
// on an AF_XDP uplink, on hand-made frames: each case is a frame, the
// expected verdict and why.
#include <gtest/gtest.h>

#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "xdp/steer.h"
#include "xdp_frames.hpp"

using namespace xdp_frames;

namespace {

struct Case {
    std::string name;
    Bytes frame;
    vsw_xdp_verdict expected;
};

class XdpSteer : public ::testing::Test {
protected:
    void SetUp() override {
        std::memcpy(&cfg.address, kUplink, 4);  // network order
        cfg.port_first = 20000;
        cfg.port_last = 29999;
        cfg.enabled = 1;
        fwd = std::make_unique<vsw_xdp_fwd_ports>();
        *fwd = {};
        vsw_xdp_fwd_port_set(fwd.get(), VSW_XDP_PROTO_TCP, 8080);
        vsw_xdp_fwd_port_set(fwd.get(), VSW_XDP_PROTO_UDP, 5353);
    }
    vsw_xdp_verdict steer(const Bytes& f) const {
        return vsw_xdp_steer(f.data(), f.data() + f.size(), &cfg, fwd.get());
    }
    vsw_xdp_config cfg{};
    std::unique_ptr<vsw_xdp_fwd_ports> fwd;
};

TEST_F(XdpSteer, Table) {
    const std::vector<Case> cases = {
        {"ARP request for the uplink address", arp(1, kUplink), VSW_XDP_ARP},
        {"ARP reply to the uplink address", arp(2, kUplink), VSW_XDP_ARP},
        {"ARP for the host's address", arp(1, kHost), VSW_XDP_PASS},
        {"ARP cut short before the target address", truncated(arp(1, kUplink), 14 + 27), VSW_XDP_PASS},
        {"ICMP to the uplink", ipv4({.proto = 1, .l4_bytes = 8}), VSW_XDP_ICMP},
        {"ICMP to the host", ipv4({.dst = kHost, .proto = 1, .l4_bytes = 8}), VSW_XDP_PASS},
        {"TCP to the first masquerade port", ipv4({.dst_port = 20000}), VSW_XDP_MASQ_PORT},
        {"TCP to the last masquerade port", ipv4({.dst_port = 29999}), VSW_XDP_MASQ_PORT},
        {"TCP below the range", ipv4({.dst_port = 19999}), VSW_XDP_PASS},
        {"TCP above the range", ipv4({.dst_port = 30000}), VSW_XDP_PASS},
        {"UDP in the range", ipv4({.proto = 17, .dst_port = 25000, .l4_bytes = 8}), VSW_XDP_MASQ_PORT},
        {"TCP to a forwarded port", ipv4({.dst_port = 8080}), VSW_XDP_FWD_PORT},
        {"UDP to the TCP-forwarded port", ipv4({.proto = 17, .dst_port = 8080, .l4_bytes = 8}), VSW_XDP_PASS},
        {"UDP to a forwarded port", ipv4({.proto = 17, .dst_port = 5353, .l4_bytes = 8}), VSW_XDP_FWD_PORT},
        {"TCP to the host's SSH", ipv4({.dst = kHost, .dst_port = 22}), VSW_XDP_PASS},
        {"TCP to the host in vsw's range", ipv4({.dst = kHost, .dst_port = 20000}), VSW_XDP_PASS},
        {"TCP to the uplink's port 22", ipv4({.dst_port = 22}), VSW_XDP_PASS},
        {"GRE to the uplink", ipv4({.proto = 47}), VSW_XDP_PASS},
        {"IP options (max IHL), forwarded port", ipv4({.options = 10, .dst_port = 8080}), VSW_XDP_FWD_PORT},
        {"IP options, port outside", ipv4({.options = 3, .dst_port = 22}), VSW_XDP_PASS},
        {"IP options hide the ports", truncated(ipv4({.options = 10, .dst_port = 20000}), 14 + 60 + 3),
         VSW_XDP_PASS},
        {"ports just fit", truncated(ipv4({.dst_port = 20000}), 14 + 20 + 4), VSW_XDP_MASQ_PORT},
        {"ports cut short", truncated(ipv4({.dst_port = 20000}), 14 + 20 + 3), VSW_XDP_PASS},
        {"non-first fragment to the uplink", ipv4({.frag = 185, .dst_port = 22}), VSW_XDP_FRAGMENT},
        {"last fragment (offset, no MF)", ipv4({.proto = 17, .frag = 1, .l4_bytes = 8}), VSW_XDP_FRAGMENT},
        {"first fragment (MF) to a port outside", ipv4({.frag = 0x2000, .dst_port = 22}), VSW_XDP_PASS},
        {"first fragment (MF) in the range", ipv4({.frag = 0x2000, .dst_port = 20001}), VSW_XDP_MASQ_PORT},
        {"DF set, in the range", ipv4({.frag = 0x4000, .dst_port = 20001}), VSW_XDP_MASQ_PORT},
        {"non-first fragment to the host", ipv4({.dst = kHost, .frag = 185}), VSW_XDP_PASS},
        {"IPv4 header cut short", truncated(ipv4({}), 14 + 19), VSW_XDP_PASS},
        {"runt Ethernet", truncated(ipv4({}), 13), VSW_XDP_PASS},
        {"empty", Bytes{}, VSW_XDP_PASS},
    };
    for (const Case& c : cases) EXPECT_EQ(steer(c.frame), c.expected) << c.name;
}

TEST_F(XdpSteer, BadHeadersPass) {
    Bytes f = ipv4({.dst_port = 20000});
    f[14] = 0x44;  // IHL 4 (< 20 bytes)
    EXPECT_EQ(steer(f), VSW_XDP_PASS);
    f[14] = 0x65;  // version 6
    EXPECT_EQ(steer(f), VSW_XDP_PASS);
    Bytes a = arp(1, kUplink);
    a[14 + 4] = 8;  // hardware address length 8
    EXPECT_EQ(steer(a), VSW_XDP_PASS);
    Bytes v6 = eth(0x86dd);
    v6.resize(80);
    EXPECT_EQ(steer(v6), VSW_XDP_PASS);
    Bytes vlan = eth(0x8100);  // VLAN-tagged frames belong to the kernel
    vlan.resize(80);
    EXPECT_EQ(steer(vlan), VSW_XDP_PASS);
}

TEST_F(XdpSteer, UnconfiguredPassesEverything) {
    cfg.enabled = 0;
    EXPECT_EQ(steer(arp(1, kUplink)), VSW_XDP_PASS);
    EXPECT_EQ(steer(ipv4({.dst_port = 20000})), VSW_XDP_PASS);
    EXPECT_EQ(steer(ipv4({.proto = 1, .l4_bytes = 8})), VSW_XDP_PASS);
}

TEST_F(XdpSteer, NoForwardMap) {
    const Bytes f = ipv4({.dst_port = 8080});
    EXPECT_EQ(vsw_xdp_steer(f.data(), f.data() + f.size(), &cfg, nullptr), VSW_XDP_PASS);
}

TEST_F(XdpSteer, ForwardBitmapEdges) {
    vsw_xdp_fwd_port_set(fwd.get(), VSW_XDP_PROTO_TCP, 0);
    vsw_xdp_fwd_port_set(fwd.get(), VSW_XDP_PROTO_UDP, 65535);
    vsw_xdp_fwd_port_set(fwd.get(), 1, 7);  // not TCP/UDP: ignored
    EXPECT_TRUE(vsw_xdp_fwd_port_isset(fwd.get(), VSW_XDP_PROTO_TCP, 0));
    EXPECT_FALSE(vsw_xdp_fwd_port_isset(fwd.get(), VSW_XDP_PROTO_TCP, 1));
    EXPECT_TRUE(vsw_xdp_fwd_port_isset(fwd.get(), VSW_XDP_PROTO_UDP, 65535));
    EXPECT_FALSE(vsw_xdp_fwd_port_isset(fwd.get(), VSW_XDP_PROTO_TCP, 65535));
    EXPECT_FALSE(vsw_xdp_fwd_port_isset(fwd.get(), VSW_XDP_PROTO_TCP, 7));
    EXPECT_EQ(steer(ipv4({.proto = 17, .dst_port = 65535, .l4_bytes = 8})), VSW_XDP_FWD_PORT);
}

}  // namespace

namespace {

// An IPv6 frame to `dst` with next header `next` and `l4` after the header.
Bytes ipv6(const uint8_t* dst, uint8_t next, const Bytes& l4) {
    Bytes f = eth(0x86dd);
    const Bytes hdr = {0x60, 0, 0, 0, 0, static_cast<uint8_t>(l4.size()), next, 64};
    f.insert(f.end(), hdr.begin(), hdr.end());
    const uint8_t src[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x99};
    f.insert(f.end(), src, src + 16);
    f.insert(f.end(), dst, dst + 16);
    f.insert(f.end(), l4.begin(), l4.end());
    return f;
}

const uint8_t kUplink6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10};
const uint8_t kHost6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02};
const uint8_t kSolicited6[16] = {0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0xff, 0, 0, 0x10};

Bytes ports(uint16_t dst_port) { return Bytes{0x9c, 0x40, static_cast<uint8_t>(dst_port >> 8), static_cast<uint8_t>(dst_port), 0, 0, 0, 0}; }
Bytes solicitation(const uint8_t* target) {
    Bytes l4(24, 0);
    l4[0] = 135;
    std::copy(target, target + 16, l4.begin() + 8);
    return l4;
}

}  // namespace

TEST_F(XdpSteer, Ipv6ForTheUplinksAddress6) {
    cfg.has_address6 = 1;
    std::memcpy(cfg.address6, kUplink6, 16);
    const std::vector<Case> cases = {
        {"neighbour solicitation for address6", ipv6(kSolicited6, 58, solicitation(kUplink6)), VSW_XDP_ICMP},
        {"neighbour solicitation for the host", ipv6(kSolicited6, 58, solicitation(kHost6)), VSW_XDP_PASS},
        {"ICMPv6 to address6 (echo, errors, advertisements)", ipv6(kUplink6, 58, Bytes(8, 0)), VSW_XDP_ICMP},
        {"ICMPv6 to the host", ipv6(kHost6, 58, Bytes(8, 0)), VSW_XDP_PASS},
        {"TCP to a masquerade port", ipv6(kUplink6, 6, ports(20000)), VSW_XDP_MASQ_PORT},
        {"UDP to a forwarded port", ipv6(kUplink6, 17, ports(5353)), VSW_XDP_FWD_PORT},
        {"TCP to address6 port 22", ipv6(kUplink6, 6, ports(22)), VSW_XDP_PASS},
        {"TCP to the host in the range", ipv6(kHost6, 6, ports(20000)), VSW_XDP_PASS},
        {"fragment to address6", ipv6(kUplink6, 44, Bytes(8, 0)), VSW_XDP_FRAGMENT},
        {"hop-by-hop to address6", ipv6(kUplink6, 0, Bytes(8, 0)), VSW_XDP_PASS},
        {"ports cut short", truncated(ipv6(kUplink6, 6, ports(20000)), 14 + 40 + 3), VSW_XDP_PASS},
        {"solicitation cut before its target's end", truncated(ipv6(kSolicited6, 58, solicitation(kUplink6)), 14 + 40 + 23),
         VSW_XDP_PASS},
        {"IPv6 header cut short", truncated(ipv6(kUplink6, 58, Bytes(8, 0)), 14 + 39), VSW_XDP_PASS},
    };
    for (const Case& c : cases) EXPECT_EQ(steer(c.frame), c.expected) << c.name;
    // Without an address6, all IPv6 is the kernel's.
    cfg.has_address6 = 0;
    EXPECT_EQ(steer(ipv6(kUplink6, 6, ports(20000))), VSW_XDP_PASS);
    EXPECT_EQ(steer(ipv6(kSolicited6, 58, solicitation(kUplink6))), VSW_XDP_PASS);
}
