// The EVPN mirror's pure parts (control/switch/evpn_mirror.hpp): what FRR
// installed, read from `bridge -j fdb show dev vswx<vni>` (the sample is
// what FRR 8.4 left on a vxlan device here, with one remote VTEP); and the
// batch that keeps vsw's local MACs on the mirror's port.
#include <gtest/gtest.h>

#include "evpn_mirror.hpp"

using namespace vsw;

namespace {

Mac mac(const char* s) { return *Mac::parse(s); }
Ipv4 ip(const char* s) { return *Ipv4::parse(s); }

}  // namespace

TEST(EvpnMirror, ReadsRemoteVtepsAndMacsFromTheVxlanDevice) {
    const char* sample =
        R"([{"mac":"be:d0:51:92:5a:07","flags":[],"master":"br5001","state":""},)"
        R"({"mac":"52:54:00:bb:00:01","flags":["extern_learn"],"master":"br5001","state":""},)"
        R"({"mac":"5e:86:d8:f1:0f:4e","flags":[],"master":"br5001","state":"permanent"},)"
        R"({"mac":"52:54:00:bb:00:01","dst":"192.0.2.2","flags":["self","extern_learn"],"state":""},)"
        R"({"mac":"62:16:36:d7:22:e8","dst":"192.0.2.2","flags":["self","extern_learn"],"state":""},)"
        R"({"mac":"00:00:00:00:00:00","dst":"192.0.2.2","flags":["self"],"state":"permanent"},)"
        R"({"mac":"00:00:00:00:00:00","dst":"192.0.2.3","flags":["self"],"state":"permanent"},)"
        R"({"mac":"52:54:00:cc:00:01","dst":"2001:db8::3","flags":["self"],"state":""},)"
        R"({"mac":"01:00:5e:00:00:01","dst":"192.0.2.3","flags":["self"],"state":""}])";
    auto st = parse_evpn_fdb(sample);
    ASSERT_TRUE(st) << st.error();
    EXPECT_EQ(st->vteps, (std::set<Ipv4>{ip("192.0.2.2"), ip("192.0.2.3")})) << "type-3: the flood list";
    ASSERT_EQ(st->macs.size(), 2u) << "type-2 with an IPv4 VTEP; the bridge's own entries and multicast ignored";
    EXPECT_EQ(st->macs[0], std::make_pair(mac("52:54:00:bb:00:01"), ip("192.0.2.2")));
    EXPECT_EQ(st->macs[1], std::make_pair(mac("62:16:36:d7:22:e8"), ip("192.0.2.2")));
    EXPECT_TRUE(parse_evpn_fdb("[]"));
    EXPECT_FALSE(parse_evpn_fdb("Cannot find device"));
    EXPECT_FALSE(parse_evpn_fdb("{}"));
}

TEST(EvpnMirror, WritesOnlyTheDifferenceOfTheLocalMacs) {
    const std::set<Mac> had{mac("52:54:00:00:00:01"), mac("52:54:00:00:00:02")};
    const std::set<Mac> wanted{mac("52:54:00:00:00:02"), mac("52:54:00:00:00:03")};
    EXPECT_EQ(local_mac_batch("vswl5001", had, wanted),
              "fdb del 52:54:00:00:00:01 dev vswl5001 master\n"
              "fdb replace 52:54:00:00:00:03 dev vswl5001 master static\n");
    EXPECT_EQ(local_mac_batch("vswl5001", wanted, wanted), "");
    const EvpnMirrorNames n = evpn_mirror_names(16777215);
    EXPECT_EQ(n.vxlan, "vswx16777215");
    EXPECT_LE(n.bridge.size(), 15u) << "IFNAMSIZ";
}
