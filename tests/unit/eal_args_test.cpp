#include <gtest/gtest.h>

#include "../../control/eal_args.hpp"

using namespace vsw;

TEST(EalArgs, LcoreMapKeepsControlOffWorkerCpus) {
    EXPECT_EQ(lcore_map({1}, 2), "0@(0),1@1");
    EXPECT_EQ(lcore_map({2, 3}, 4), "0@(0,1),1@2,2@3");
    EXPECT_EQ(lcore_map({0, 1}, 2), "0@(0),1@0,2@1");  // no free CPU: control shares CPU 0
}

TEST(EalArgs, HugepageChoice) {
    EXPECT_TRUE(want_hugepages(Hugepages::on, {}, 512));
    EXPECT_FALSE(want_hugepages(Hugepages::off, {true, 4096}, 512));
    EXPECT_TRUE(want_hugepages(Hugepages::automatic, {true, 1024}, 512));
    EXPECT_FALSE(want_hugepages(Hugepages::automatic, {true, 256}, 512));
    EXPECT_FALSE(want_hugepages(Hugepages::automatic, {false, 4096}, 512));
}

TEST(EalArgs, NoHugeAndPrefix) {
    SwitchConfig sw;
    sw.file_prefix = "vswtest";
    auto args = eal_arguments(sw, false, 2);
    auto has = [&](const std::string& a) { return std::find(args.begin(), args.end(), a) != args.end(); };
    EXPECT_TRUE(has("--no-huge"));
    EXPECT_TRUE(has("vswtest"));
    args = eal_arguments(sw, true, 2);
    // No --huge-unlink: dpdk-dumpcap (a secondary process) must open our hugepage files.
    EXPECT_FALSE(has("--huge-unlink"));
    EXPECT_FALSE(has("--no-huge"));
}

TEST(EalArgs, PciBusOffUnlessAnUplinkNamesANic) {
    SwitchConfig sw;
    auto args = eal_arguments(sw, false, 2);
    EXPECT_NE(std::find(args.begin(), args.end(), "--no-pci"), args.end());
    EXPECT_EQ(std::find(args.begin(), args.end(), "-a"), args.end());
    args = eal_arguments(sw, false, 2, {"0000:03:00.0,rxq_pkt_pad_en=1", "04:00.1"});
    EXPECT_EQ(std::find(args.begin(), args.end(), "--no-pci"), args.end());
    const auto a = std::find(args.begin(), args.end(), "-a");
    ASSERT_NE(a, args.end());
    ASSERT_LT(a + 3, args.end());
    EXPECT_EQ(a[1], "0000:03:00.0,rxq_pkt_pad_en=1");
    EXPECT_EQ(a[2], "-a");
    EXPECT_EQ(a[3], "04:00.1");
}

TEST(EalArgs, PciAddress) {
    EXPECT_EQ(pci_address("0000:03:00.0"), "0000:03:00.0");
    EXPECT_EQ(pci_address("03:00.1"), "0000:03:00.1");
    EXPECT_EQ(pci_address("0000:AF:1f.7,rxq=2"), "0000:af:1f.7");
    EXPECT_FALSE(pci_address("net_af_xdp0,iface=eth1"));
    EXPECT_FALSE(pci_address("net_null0"));
    EXPECT_FALSE(pci_address("03:00.8"));     // function is 0..7
    EXPECT_FALSE(pci_address("0000:03:00"));
    EXPECT_FALSE(pci_address(""));
    EXPECT_FALSE(pci_address("net_pcap0,iface=eth0:00.0"));
}
