// main() for unit tests that need DPDK: a private EAL (no hugepages, its own
// file prefix, removed again) and, for the datapath tests, net_ring ports
// whose transmitted frames the test reads back from a ring.
#pragma once

#include <gtest/gtest.h>

#include <rte_eal.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_ring.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace vsw::test {

// Port i: frames put on its rx ring arrive as received; what the worker
// transmits lands on tx_rings[i]. Returns false if DPDK refused.
inline bool make_ring_ports(unsigned n, rte_mempool* pool, rte_ring** tx_rings, uint16_t* port_ids) {
    for (unsigned i = 0; i < n; ++i) {
        const std::string name = std::to_string(i);
        rte_ring* rx_ring = rte_ring_create(("rx" + name).c_str(), 256, 0, RING_F_SP_ENQ | RING_F_SC_DEQ);
        tx_rings[i] = rte_ring_create(("tx" + name).c_str(), 256, 0, RING_F_SP_ENQ | RING_F_SC_DEQ);
        if (rx_ring == nullptr || tx_rings[i] == nullptr) return false;
        const int id = rte_eth_from_rings(("ring" + name).c_str(), &rx_ring, 1, &tx_rings[i], 1, 0);
        if (id < 0) return false;
        port_ids[i] = static_cast<uint16_t>(id);
        rte_eth_conf conf{};
        if (rte_eth_dev_configure(port_ids[i], 1, 1, &conf) != 0 ||
            rte_eth_rx_queue_setup(port_ids[i], 0, 256, 0, nullptr, pool) != 0 ||
            rte_eth_tx_queue_setup(port_ids[i], 0, 256, 0, nullptr) != 0 || rte_eth_dev_start(port_ids[i]) != 0)
            return false;
    }
    return true;
}

// Starts the EAL for test program `name`, runs `setup` (false: fail), then
// every test; cleans the EAL and its runtime directory up.
inline int eal_test_main(int argc, char** argv, const std::string& name, const std::function<bool()>& setup = {}) {
    ::testing::InitGoogleTest(&argc, argv);
    const std::string prefix = "vsw" + name + std::to_string(getpid());
    std::vector<std::string> args = {name, "--no-huge", "-m", "64", "--no-pci", "--no-shconf",
                                     "--file-prefix", prefix, "-l", "0", "--log-level=lib.eal:error"};
    std::vector<char*> argv_eal;
    for (auto& a : args) argv_eal.push_back(a.data());
    if (rte_eal_init(static_cast<int>(argv_eal.size()), argv_eal.data()) < 0) {
        std::fprintf(stderr, "EAL init failed\n");
        return 1;
    }
    const std::string runtime_dir = rte_eal_get_runtime_dir();
    int rc = 1;
    if (!setup || setup())
        rc = RUN_ALL_TESTS();
    else
        std::fprintf(stderr, "test setup failed\n");
    rte_eal_cleanup();
    std::filesystem::remove_all(runtime_dir);  // --no-shconf still makes the directory
    return rc;
}

}  // namespace vsw::test
