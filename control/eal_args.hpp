// Turning the switch section of the config into DPDK EAL arguments.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.hpp"

namespace vsw {

struct HugepageInfo {
    bool mounted = false;        // a hugetlbfs is mounted
    unsigned long free_mb = 0;   // free default-size hugepages, in MiB
};

HugepageInfo probe_hugepages();  // reads /proc/mounts and /proc/meminfo

// The EAL lcore map: lcore 0 (the control thread) on every CPU not used by a
// worker, lcores 1..N (the workers) on the configured cores. For example
// cores [1] on a 2-CPU machine gives "0@(0),1@1".
std::string lcore_map(const std::vector<unsigned>& worker_cores, unsigned n_cpus);

// Whether to use hugepages, given the setting and what the machine has.
bool want_hugepages(Hugepages setting, const HugepageInfo& info, unsigned memory_mb);

// The PCI address an uplink's device string names, in DPDK's full form
// ("0000:03:00.0"), for "0000:03:00.0" or "03:00.0", with or without
// ",key=value" arguments; nothing for a virtual device ("net_af_xdp0,...").
std::optional<std::string> pci_address(std::string_view device);

// EAL's arguments. PCI: with no PCI device among `pci_devices` (uplinks'
// device strings) the PCI bus stays off (--no-pci), so vswd never takes a
// NIC it was not given; otherwise each is allow-listed (-a, with its
// arguments) and no other is probed.
std::vector<std::string> eal_arguments(const SwitchConfig& sw, bool use_hugepages, unsigned n_cpus,
                                       const std::vector<std::string>& pci_devices = {});

}  // namespace vsw
