// datapath/nat/nat_table.*: one worker's NAT sessions, endpoint-independent
// mappings, port slices and reserved ports, TCP state and expiry with an
// injected clock. The rte_hash tables need EAL: it runs with --no-huge and a
// unique file prefix.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <rte_eal.h>

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "eal_test_main.hpp"
#include "nat/nat_table.hpp"

using namespace vsw::nat;

namespace {

uint32_t ip4(uint8_t a, uint8_t b, uint8_t c, uint8_t d) {
    return htonl(static_cast<uint32_t>(a) << 24 | static_cast<uint32_t>(b) << 16 | c << 8 | d);
}

const uint32_t kGuestA = ip4(10, 0, 2, 15);
const uint32_t kGuestB = ip4(10, 0, 2, 16);
const uint32_t kRemote1 = ip4(198, 51, 100, 7);
const uint32_t kRemote2 = ip4(192, 0, 2, 33);

// A guest's flow; ports in host order here, network order in the key.
InsideKey inside(uint32_t in_ip, uint16_t in_port, uint32_t remote_ip, uint16_t remote_port,
                 uint8_t proto = kProtoUdp, uint16_t network = 0) {
    return InsideKey{network, proto, 0, in_ip, remote_ip, htons(in_port), htons(remote_port)};
}

class NatTableTest : public ::testing::Test {
protected:
    static std::string unique_name() {
        static int n = 0;
        return "nt" + std::to_string(++n);
    }
    void make(uint32_t capacity) {
        table_ = NatTable::create(unique_name(), capacity);
        ASSERT_TRUE(table_);
    }
    // A masquerade session on uplink 0 from `slice`, skipping `reserved`.
    NatTable::Result masq(const InsideKey& k, PortSlice slice, Session*& s,
                          const std::vector<uint16_t>& reserved = {}, uint16_t uplink = 0) {
        s = nullptr;
        return table_->create_masquerade(k, uplink, slice, reserved.data(), static_cast<unsigned>(reserved.size()), s);
    }
    Session* masq_ok(const InsideKey& k, PortSlice slice, const std::vector<uint16_t>& reserved = {}) {
        Session* s = nullptr;
        EXPECT_EQ(masq(k, slice, s, reserved), NatTable::Result::ok);
        return s;
    }
    static uint16_t out_port(const Session* s) { return ntohs(s->out.out_port); }
    // One full pass of the expiry over every slot.
    unsigned expire_all(uint32_t now, const uint32_t* epochs = nullptr) {
        return table_->expire_some(now, epochs, table_->slots());
    }

    std::unique_ptr<NatTable> table_;
    const PortSlice slice_{20000, 20009};
    const Timeouts t_{1000, 100, 50, 20};  // distinct values: each must come from the right field
};

// ---- creation -----------------------------------------------------------------

TEST_F(NatTableTest, NamesAreUnique) {
    auto a = NatTable::create("nt_dup", 64);
    ASSERT_TRUE(a);
    EXPECT_EQ(a->capacity(), 64u);
    EXPECT_EQ(a->size(), 0u);
    EXPECT_GE(a->slots(), a->capacity());
    EXPECT_FALSE(NatTable::create("nt_dup", 64)) << "rte_hash names are global: a second table must fail";
    a.reset();  // frees its hashes, so the name is free again
    EXPECT_TRUE(NatTable::create("nt_dup", 64));
}

TEST_F(NatTableTest, UnusableCapacityFailsCleanly) {
    EXPECT_FALSE(NatTable::create(unique_name(), 0));
}

// ---- masquerade: ports, slices, reserved ports, EIM ---------------------------

TEST_F(NatTableTest, PortsComeOnlyFromTheSlice) {
    make(64);
    std::set<uint16_t> ports;
    for (uint16_t i = 0; i < 10; ++i) {
        Session* s = masq_ok(inside(kGuestA, static_cast<uint16_t>(5000 + i), kRemote1, 53), slice_);
        ASSERT_NE(s, nullptr);
        EXPECT_GE(out_port(s), slice_.first);
        EXPECT_LE(out_port(s), slice_.last);
        EXPECT_FALSE(s->from_forward);
        EXPECT_TRUE(s->in_use);
        ports.insert(out_port(s));
    }
    EXPECT_EQ(ports.size(), 10u) << "every inside endpoint got its own port";
    Session* s = nullptr;
    EXPECT_EQ(masq(inside(kGuestA, 6000, kRemote1, 53), slice_, s), NatTable::Result::ports_exhausted);
    EXPECT_EQ(table_->size(), 10u);
    // Ports are per protocol and per uplink: TCP and another uplink still have all of theirs.
    EXPECT_EQ(masq(inside(kGuestA, 6000, kRemote1, 53, kProtoTcp), slice_, s), NatTable::Result::ok);
    EXPECT_EQ(masq(inside(kGuestA, 6000, kRemote1, 53), slice_, s, {}, 1), NatTable::Result::ok);
    EXPECT_EQ(s->out.uplink, 1);
}

TEST_F(NatTableTest, ASliceOfOnePortAndTheTopOfTheRange) {
    make(64);
    for (const PortSlice slice : {PortSlice{1024, 1024}, PortSlice{65530, 65535}}) {
        std::set<uint16_t> ports;
        const uint32_t n = slice.last - slice.first + 1u;
        for (uint32_t i = 0; i < n; ++i) {
            Session* s = masq_ok(inside(kGuestB, static_cast<uint16_t>(100 + i + slice.first % 7), kRemote2, 80), slice);
            ASSERT_NE(s, nullptr);
            ports.insert(out_port(s));
        }
        EXPECT_EQ(ports.size(), n);
        EXPECT_EQ(*ports.begin(), slice.first);
        EXPECT_EQ(*ports.rbegin(), slice.last);
        Session* s = nullptr;
        EXPECT_EQ(masq(inside(kGuestB, 9999, kRemote2, 80), slice, s), NatTable::Result::ports_exhausted);
    }
}

TEST_F(NatTableTest, ReservedPortsAreSkipped) {
    make(64);
    const std::vector<uint16_t> reserved = {20001, 20005, 20009};  // sorted, like UplinkSlot::reserved
    std::set<uint16_t> ports;
    for (uint16_t i = 0; i < 7; ++i) {
        Session* s = masq_ok(inside(kGuestA, static_cast<uint16_t>(5000 + i), kRemote1, 53), slice_, reserved);
        ASSERT_NE(s, nullptr);
        EXPECT_EQ(std::count(reserved.begin(), reserved.end(), out_port(s)), 0) << out_port(s);
        ports.insert(out_port(s));
    }
    EXPECT_EQ(ports.size(), 7u);
    Session* s = nullptr;
    EXPECT_EQ(masq(inside(kGuestA, 6000, kRemote1, 53), slice_, s, reserved), NatTable::Result::ports_exhausted);
}

TEST_F(NatTableTest, EndpointIndependentMapping) {
    make(64);
    Session* a1 = masq_ok(inside(kGuestA, 5000, kRemote1, 53), slice_);
    Session* a2 = masq_ok(inside(kGuestA, 5000, kRemote2, 123), slice_);
    ASSERT_TRUE(a1 && a2);
    EXPECT_NE(a1, a2);
    EXPECT_EQ(out_port(a1), out_port(a2)) << "one inside ip:port keeps one outside port whatever it talks to";
    Session* other_port = masq_ok(inside(kGuestA, 5001, kRemote1, 53), slice_);
    Session* other_ip = masq_ok(inside(kGuestB, 5000, kRemote1, 53), slice_);
    Session* other_net = masq_ok(inside(kGuestA, 5000, kRemote1, 53, kProtoUdp, 1), slice_);
    ASSERT_TRUE(other_port && other_ip && other_net);
    const std::set<uint16_t> ports{out_port(a1), out_port(other_port), out_port(other_ip), out_port(other_net)};
    EXPECT_EQ(ports.size(), 4u) << "different inside endpoints (port, address, network) get different ports";
    EXPECT_EQ(table_->size(), 5u);
}

TEST_F(NatTableTest, FindInsideAndOutsideRoundTrip) {
    make(64);
    const InsideKey k = inside(kGuestA, 5000, kRemote1, 53, kProtoTcp, 3);
    Session* s = masq_ok(k, slice_);
    ASSERT_NE(s, nullptr);
    EXPECT_EQ(table_->find_inside(k), s);
    EXPECT_EQ(std::memcmp(&s->in, &k, sizeof k), 0);
    EXPECT_EQ(s->out.uplink, 0);
    EXPECT_EQ(s->out.proto, kProtoTcp);
    EXPECT_EQ(s->out.remote_ip, kRemote1);
    EXPECT_EQ(s->out.remote_port, htons(53));
    const OutsideKey ok{0, kProtoTcp, 0, kRemote1, s->out.out_port, htons(53)};
    EXPECT_EQ(table_->find_outside(ok), s);
    // Filtering: the same outside port from another remote endpoint is no session.
    OutsideKey other = ok;
    other.remote_port = htons(54);
    EXPECT_EQ(table_->find_outside(other), nullptr);
    other = ok;
    other.remote_ip = kRemote2;
    EXPECT_EQ(table_->find_outside(other), nullptr);
    other = ok;
    other.proto = kProtoUdp;
    EXPECT_EQ(table_->find_outside(other), nullptr);
    EXPECT_EQ(table_->find_inside(inside(kGuestA, 5000, kRemote1, 53, kProtoTcp, 4)), nullptr);
}

TEST_F(NatTableTest, RemoveFreesThePort) {
    make(64);
    const PortSlice one{30000, 30000};
    const InsideKey a = inside(kGuestA, 5000, kRemote1, 53);
    const InsideKey b = inside(kGuestB, 5000, kRemote1, 53);
    Session* sa = masq_ok(a, one);
    ASSERT_NE(sa, nullptr);
    const OutsideKey sa_out = sa->out;
    Session* s = nullptr;
    EXPECT_EQ(masq(b, one, s), NatTable::Result::ports_exhausted);
    table_->remove(*sa);
    EXPECT_EQ(table_->size(), 0u);
    EXPECT_EQ(table_->find_inside(a), nullptr);
    EXPECT_EQ(table_->find_outside(sa_out), nullptr);
    table_->remove(*sa);  // removing twice is harmless
    EXPECT_EQ(table_->size(), 0u);
    Session* sb = masq_ok(b, one);
    ASSERT_NE(sb, nullptr);
    EXPECT_EQ(out_port(sb), 30000);
}

// The port of a mapping shared by two sessions stays taken until both are gone.
TEST_F(NatTableTest, MappingLivesAsLongAsItsSessions) {
    make(64);
    const PortSlice one{30000, 30000};
    Session* s1 = masq_ok(inside(kGuestA, 5000, kRemote1, 53), one);
    Session* s2 = masq_ok(inside(kGuestA, 5000, kRemote2, 53), one);
    ASSERT_TRUE(s1 && s2);
    Session* s = nullptr;
    table_->remove(*s1);
    EXPECT_EQ(masq(inside(kGuestB, 5000, kRemote1, 53), one, s), NatTable::Result::ports_exhausted);
    // A new session of the same inside endpoint reuses the mapping.
    Session* s3 = masq_ok(inside(kGuestA, 5000, kRemote1, 80), one);
    ASSERT_NE(s3, nullptr);
    EXPECT_EQ(out_port(s3), 30000);
    table_->remove(*s2);
    table_->remove(*s3);
    EXPECT_EQ(masq(inside(kGuestB, 5000, kRemote1, 53), one, s), NatTable::Result::ok);
}

// ---- capacity --------------------------------------------------------------------

TEST_F(NatTableTest, TableFull) {
    make(16);  // rte_hash's minimum
    const PortSlice wide{20000, 20999};
    for (uint16_t i = 0; i < 16; ++i) ASSERT_NE(masq_ok(inside(kGuestA, static_cast<uint16_t>(5000 + i), kRemote1, 53), wide), nullptr);
    EXPECT_EQ(table_->size(), 16u);
    Session* s = nullptr;
    EXPECT_EQ(masq(inside(kGuestA, 6000, kRemote1, 53), wide, s), NatTable::Result::table_full);
    // Even when the mapping already exists (a new remote for a known endpoint).
    EXPECT_EQ(masq(inside(kGuestA, 5000, kRemote2, 53), wide, s), NatTable::Result::table_full);
    const OutsideKey fwd_out{0, kProtoTcp, 0, kRemote1, htons(8080), htons(40000)};
    EXPECT_EQ(table_->create_forwarded(inside(kGuestB, 80, kRemote1, 40000, kProtoTcp), fwd_out, s),
              NatTable::Result::table_full);
    EXPECT_EQ(table_->size(), 16u);
    // Room again after one session goes.
    table_->remove(*table_->find_inside(inside(kGuestA, 5003, kRemote1, 53)));
    EXPECT_NE(masq_ok(inside(kGuestA, 6000, kRemote1, 53), wide), nullptr);
}

// Sessions sit at rte_hash positions below the capacity (the expiry walks
// positions, so where they land matters).
TEST_F(NatTableTest, PositionsStayBelowCapacity) {
    make(64);
    const PortSlice wide{20000, 20999};
    for (int round = 0; round < 3; ++round) {
        std::vector<Session*> all;
        for (uint16_t i = 0; i < 64; ++i) {
            Session* s = masq_ok(inside(kGuestA, static_cast<uint16_t>(5000 + i), kRemote1, 53), wide);
            ASSERT_NE(s, nullptr);
            EXPECT_LT(static_cast<uint32_t>(s - table_->sessions()), table_->capacity());
            all.push_back(s);
        }
        for (Session* s : all) table_->remove(*s);
    }
}

// Spec: "table full -> reuse the oldest expired session, else drop with a
// counter". The table itself never reclaims: create_* report table_full even
// when expired sessions are there; the NAT stage's make_room() runs
// expire_some(now, epochs, 256) and retries. This checks that combination.
TEST_F(NatTableTest, TableFullWithExpiredSessionsNeedsExpireSome) {
    make(16);
    const PortSlice wide{20000, 20999};
    for (uint16_t i = 0; i < 16; ++i) {
        Session* s = masq_ok(inside(kGuestA, static_cast<uint16_t>(5000 + i), kRemote1, 53), wide);
        ASSERT_NE(s, nullptr);
        table_->touch(*s, 0, true, 1000 + i, t_);  // UDP: expires 50 s after its last packet
    }
    Session* s = nullptr;
    EXPECT_EQ(masq(inside(kGuestB, 7000, kRemote1, 53), wide, s), NatTable::Result::table_full)
        << "the table does not reclaim on its own";
    // What make_room does: a bounded scan, then the retry.
    EXPECT_EQ(table_->expire_some(1000 + 50 + 3, nullptr, 256), 3u) << "the three oldest (1000..1002) are expired";
    EXPECT_EQ(masq(inside(kGuestB, 7000, kRemote1, 53), wide, s), NatTable::Result::ok);
    EXPECT_EQ(table_->size(), 14u);
}

// The expiry cursor walks rte_hash positions. Slots at or past the highest
// position ever used can hold no session; a scan that spends its budget
// there finds nothing, so make_room() (budget 256) dropped a new flow as
// "table full" while every session had expired.
TEST_F(NatTableTest, ExpireScanFindsExpiredSessionsAfterAFruitlessPass) {
    make(16);
    const PortSlice wide{20000, 20999};
    for (uint16_t i = 0; i < 16; ++i) {
        Session* s = masq_ok(inside(kGuestA, static_cast<uint16_t>(5000 + i), kRemote1, 53), wide);
        ASSERT_NE(s, nullptr);
        table_->touch(*s, 0, true, 1000, t_);
    }
    EXPECT_EQ(table_->expire_some(1010, nullptr, 256), 0u) << "nothing expired yet (moves the cursor)";
    EXPECT_EQ(table_->expire_some(5000, nullptr, 256), 16u) << "all 16 expired: one make_room scan must find them";
    EXPECT_EQ(table_->size(), 0u);
}

// ---- a forwarded (inbound) session ---------------------------------------------

TEST_F(NatTableTest, ForwardedSession) {
    make(64);
    const InsideKey in = inside(kGuestB, 80, kRemote1, 40000, kProtoTcp);
    const OutsideKey out{0, kProtoTcp, 0, kRemote1, htons(8080), htons(40000)};
    Session* s = nullptr;
    ASSERT_EQ(table_->create_forwarded(in, out, s), NatTable::Result::ok);
    EXPECT_TRUE(s->from_forward);
    EXPECT_EQ(table_->find_inside(in), s);
    EXPECT_EQ(table_->find_outside(out), s);
    EXPECT_EQ(out_port(s), 8080);
    table_->remove(*s);
    EXPECT_EQ(table_->size(), 0u);
    EXPECT_EQ(table_->find_outside(out), nullptr);
}

// A guest that sent from its forwarded port to a remote (a masquerade
// session), then that remote opens a connection to the forwarded host port:
// the forward's session has the same inside key as the masquerade one (e.g.
// WireGuard or any UDP peer-to-peer service on a fixed port). The table must
// stay consistent: one session for the inside key, no stale outside key left
// pointing at a reused slot, no leaked port or count.
TEST_F(NatTableTest, ForwardedSessionOverAMasqueradeSessionWithTheSameInsideKey) {
    make(64);
    const PortSlice one{30000, 30000};
    const InsideKey in = inside(kGuestB, 51820, kRemote1, 51820);
    Session* m = masq_ok(in, one);
    ASSERT_NE(m, nullptr);
    const OutsideKey masq_out = m->out;
    const OutsideKey fwd_out{0, kProtoUdp, 0, kRemote1, htons(51820), htons(51820)};
    Session* f = nullptr;
    ASSERT_EQ(table_->create_forwarded(in, fwd_out, f), NatTable::Result::ok);
    EXPECT_EQ(table_->size(), 1u) << "one inside key, one session";
    EXPECT_EQ(table_->find_inside(in), f);
    EXPECT_EQ(table_->find_outside(fwd_out), f);
    const Session* stale = table_->find_outside(masq_out);
    EXPECT_TRUE(stale == nullptr || (stale->in_use && std::memcmp(&stale->out, &masq_out, sizeof masq_out) == 0))
        << "the masquerade session's outside key must not point at another session";
    table_->remove(*f);
    EXPECT_EQ(table_->size(), 0u);
    EXPECT_EQ(table_->find_outside(masq_out), nullptr);
    // The masquerade mapping's port is free again.
    Session* s = nullptr;
    EXPECT_EQ(masq(inside(kGuestA, 1, kRemote2, 2), one, s), NatTable::Result::ok);
}

// ---- TCP state and timeouts ---------------------------------------------------------

TEST_F(NatTableTest, TouchTracksTcpStateAndTimeout) {
    struct Step {
        uint8_t flags;
        bool from_inside;
        TcpState state;
        uint32_t timeout;
    };
    struct Case {
        const char* name;
        std::vector<Step> steps;
    };
    constexpr uint8_t kSynAck = kTcpSyn | kTcpAck;
    constexpr uint8_t kFinAck = kTcpFin | kTcpAck;
    const uint32_t est = t_.tcp_established, tr = t_.tcp_transitory;
    const std::vector<Case> cases = {
        {"outbound handshake, data, FIN",
         {{kTcpSyn, true, TcpState::syn_sent, tr},
          {kSynAck, false, TcpState::established, est},
          {kTcpAck, true, TcpState::established, est},
          {kTcpAck, false, TcpState::established, est},
          {kFinAck, true, TcpState::closing, tr},
          {kFinAck, false, TcpState::closing, tr},
          {kTcpAck, true, TcpState::closing, tr}}},
        {"outbound SYN answered by RST",
         {{kTcpSyn, true, TcpState::syn_sent, tr}, {kTcpRst | kTcpAck, false, TcpState::closed, tr}}},
        {"RST on an established connection",
         {{kTcpSyn, true, TcpState::syn_sent, tr},
          {kSynAck, false, TcpState::established, est},
          {kTcpRst, true, TcpState::closed, tr}}},
        {"the guest's own ACKs do not establish an unanswered SYN",
         {{kTcpSyn, true, TcpState::syn_sent, tr}, {kTcpAck, true, TcpState::syn_sent, tr}}},
        {"a retransmitted SYN stays syn_sent", {{kTcpSyn, true, TcpState::syn_sent, tr}, {kTcpSyn, true, TcpState::syn_sent, tr}}},
        {"inbound (forwarded) handshake",
         {{kTcpSyn, false, TcpState::syn_sent, tr},
          {kSynAck, true, TcpState::established, est},
          {kTcpAck, false, TcpState::established, est}}},
        {"FIN from outside", {{kTcpSyn, true, TcpState::syn_sent, tr}, {kSynAck, false, TcpState::established, est},
                              {kFinAck, false, TcpState::closing, tr}}},
    };
    make(64);
    for (const Case& c : cases) {
        SCOPED_TRACE(c.name);
        const InsideKey k = inside(kGuestA, 5000, kRemote1, 443, kProtoTcp);
        Session* s = masq_ok(k, slice_);
        ASSERT_NE(s, nullptr);
        EXPECT_EQ(s->tcp, TcpState::none);
        uint32_t now = 100;
        uint64_t in = 0, out = 0;
        for (size_t i = 0; i < c.steps.size(); ++i) {
            const Step& st = c.steps[i];
            table_->touch(*s, st.flags, st.from_inside, ++now, t_);
            (st.from_inside ? out : in)++;
            EXPECT_EQ(s->tcp, st.state) << "step " << i;
            EXPECT_EQ(s->timeout, st.timeout) << "step " << i;
            EXPECT_EQ(s->last_seen, now);
        }
        EXPECT_EQ(s->packets_out, out);
        EXPECT_EQ(s->packets_in, in);
        table_->remove(*s);
    }
}

TEST_F(NatTableTest, TouchUsesUdpAndIcmpTimeouts) {
    make(64);
    Session* u = masq_ok(inside(kGuestA, 5000, kRemote1, 53, kProtoUdp), slice_);
    Session* i = masq_ok(inside(kGuestA, 7, kRemote1, 0, kProtoIcmp), slice_);
    ASSERT_TRUE(u && i);
    table_->touch(*u, 0xff, true, 10, t_);  // flags mean nothing for UDP
    table_->touch(*i, 0, false, 11, t_);
    EXPECT_EQ(u->timeout, t_.udp);
    EXPECT_EQ(i->timeout, t_.icmp);
    EXPECT_EQ(u->tcp, TcpState::none);
    EXPECT_EQ(u->packets_out, 1u);
    EXPECT_EQ(i->packets_in, 1u);
}

// ---- expiry --------------------------------------------------------------------------

TEST_F(NatTableTest, ExpiresAfterTheTimeoutNotBefore) {
    struct Case {
        const char* name;
        uint8_t proto;
        std::vector<uint8_t> flags;  // touches from inside, then one from outside if 2+
        uint32_t timeout;
    };
    make(64);
    const std::vector<Case> cases = {
        {"udp", kProtoUdp, {0}, t_.udp},
        {"icmp", kProtoIcmp, {0}, t_.icmp},
        {"tcp syn_sent", kProtoTcp, {kTcpSyn}, t_.tcp_transitory},
        {"tcp established", kProtoTcp, {kTcpSyn, kTcpSyn | kTcpAck}, t_.tcp_established},
    };
    for (const Case& c : cases) {
        SCOPED_TRACE(c.name);
        const InsideKey k = inside(kGuestA, 5000, kRemote1, 443, c.proto);
        Session* s = masq_ok(k, slice_);
        ASSERT_NE(s, nullptr);
        const uint32_t t0 = 50000;
        for (size_t i = 0; i < c.flags.size(); ++i) table_->touch(*s, c.flags[i], i == 0, t0, t_);
        EXPECT_EQ(s->timeout, c.timeout);
        EXPECT_EQ(expire_all(t0 + c.timeout - 1), 0u);
        EXPECT_EQ(expire_all(t0 + c.timeout), 0u) << "exactly the timeout: still alive";
        EXPECT_EQ(table_->find_inside(k), s);
        EXPECT_EQ(expire_all(t0 + c.timeout + 1), 1u);
        EXPECT_EQ(table_->find_inside(k), nullptr);
        EXPECT_EQ(table_->size(), 0u);
    }
}

TEST_F(NatTableTest, ActivityPostponesExpiry) {
    make(64);
    Session* s = masq_ok(inside(kGuestA, 5000, kRemote1, 53), slice_);
    ASSERT_NE(s, nullptr);
    table_->touch(*s, 0, true, 100, t_);
    table_->touch(*s, 0, false, 140, t_);
    EXPECT_EQ(expire_all(151), 0u) << "the reply at 140 restarted the timer";
    EXPECT_EQ(expire_all(191), 1u);
}

TEST_F(NatTableTest, ExpiredSessionsFreeTheirPorts) {
    make(64);
    const PortSlice one{30000, 30000};
    Session* s = masq_ok(inside(kGuestA, 5000, kRemote1, 53), one);
    ASSERT_NE(s, nullptr);
    table_->touch(*s, 0, true, 0, t_);
    Session* n = nullptr;
    EXPECT_EQ(masq(inside(kGuestB, 5000, kRemote1, 53), one, n), NatTable::Result::ports_exhausted);
    EXPECT_EQ(expire_all(t_.udp + 1), 1u);
    EXPECT_EQ(masq(inside(kGuestB, 5000, kRemote1, 53), one, n), NatTable::Result::ok);
}

TEST_F(NatTableTest, EpochMismatchRemovesFreshSessions) {
    make(64);
    uint32_t epochs[4] = {3, 7, 0, 0};
    Session* a = masq_ok(inside(kGuestA, 5000, kRemote1, 53, kProtoUdp, 0), slice_);
    Session* b = masq_ok(inside(kGuestA, 5000, kRemote1, 53, kProtoUdp, 1), slice_);
    ASSERT_TRUE(a && b);
    a->epoch = 3;  // as the NAT stage stamps it
    b->epoch = 7;
    table_->touch(*a, 0, true, 100, t_);
    table_->touch(*b, 0, true, 100, t_);
    EXPECT_EQ(expire_all(101, epochs), 0u);
    epochs[1] = 8;  // network 1 was reloaded
    EXPECT_EQ(expire_all(101, epochs), 1u);
    EXPECT_NE(table_->find_inside(inside(kGuestA, 5000, kRemote1, 53, kProtoUdp, 0)), nullptr);
    EXPECT_EQ(table_->find_inside(inside(kGuestA, 5000, kRemote1, 53, kProtoUdp, 1)), nullptr);
    // Without epochs only time counts.
    epochs[0] = 4;
    EXPECT_EQ(expire_all(101, nullptr), 0u);
    EXPECT_EQ(expire_all(101, epochs), 1u);
}

TEST_F(NatTableTest, ExpireSomeHonoursItsBudget) {
    make(64);
    const PortSlice wide{20000, 20999};
    for (uint16_t i = 0; i < 10; ++i) {
        Session* s = masq_ok(inside(kGuestA, static_cast<uint16_t>(5000 + i), kRemote1, 53), wide);
        ASSERT_NE(s, nullptr);
        table_->touch(*s, 0, true, 0, t_);
    }
    unsigned removed = 0, calls = 0;
    while (table_->size() > 0 && calls < 10 * table_->slots()) {
        const unsigned r = table_->expire_some(1000, nullptr, 1);
        EXPECT_LE(r, 1u);
        removed += r;
        ++calls;
    }
    EXPECT_EQ(removed, 10u);
    EXPECT_EQ(table_->size(), 0u);
}

}  // namespace

int main(int argc, char** argv) { return vsw::test::eal_test_main(argc, argv, "nat_table_test"); }
