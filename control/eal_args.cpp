#include "eal_args.hpp"

#include <cctype>
#include <fstream>
#include <sstream>

namespace vsw {

HugepageInfo probe_hugepages() {
    HugepageInfo info;
    std::ifstream mounts("/proc/mounts");
    for (std::string line; std::getline(mounts, line);)
        if (line.find(" hugetlbfs ") != std::string::npos) info.mounted = true;
    std::ifstream meminfo("/proc/meminfo");
    unsigned long free_pages = 0, page_kb = 0;
    for (std::string line; std::getline(meminfo, line);) {
        std::istringstream in(line);
        std::string key;
        unsigned long value = 0;
        in >> key >> value;
        if (key == "HugePages_Free:") free_pages = value;
        if (key == "Hugepagesize:") page_kb = value;
    }
    info.free_mb = free_pages * page_kb / 1024;
    return info;
}

std::string lcore_map(const std::vector<unsigned>& worker_cores, unsigned n_cpus) {
    std::ostringstream control;
    bool any = false;
    for (unsigned cpu = 0; cpu < n_cpus; ++cpu) {
        bool is_worker = false;
        for (unsigned c : worker_cores) is_worker = is_worker || c == cpu;
        if (is_worker) continue;
        control << (any ? "," : "") << cpu;
        any = true;
    }
    std::ostringstream map;
    // With every CPU polling, the control thread shares CPU 0.
    map << "0@(" << (any ? control.str() : std::string("0")) << ")";
    for (size_t i = 0; i < worker_cores.size(); ++i) map << "," << i + 1 << "@" << worker_cores[i];
    return map.str();
}

bool want_hugepages(Hugepages setting, const HugepageInfo& info, unsigned memory_mb) {
    switch (setting) {
        case Hugepages::on: return true;
        case Hugepages::off: return false;
        case Hugepages::automatic: return info.mounted && info.free_mb >= memory_mb;
    }
    return false;
}

std::optional<std::string> pci_address(std::string_view device) {
    const std::string_view addr = device.substr(0, device.find(','));
    auto hex = [&](size_t from, size_t n) {
        if (from + n > addr.size()) return false;
        for (size_t i = from; i < from + n; ++i)
            if (!std::isxdigit(static_cast<unsigned char>(addr[i]))) return false;
        return true;
    };
    // BB:DD.F, optionally after a DDDD: domain.
    const size_t bdf = addr.size() == 12 ? 5 : 0;
    if ((addr.size() != 7 && addr.size() != 12) || (bdf == 5 && (!hex(0, 4) || addr[4] != ':')) || !hex(bdf, 2) ||
        addr[bdf + 2] != ':' || !hex(bdf + 3, 2) || addr[bdf + 5] != '.' || addr[bdf + 6] < '0' || addr[bdf + 6] > '7')
        return std::nullopt;
    std::string full = bdf == 5 ? std::string(addr) : "0000:" + std::string(addr);
    for (char& c : full) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return full;
}

std::vector<std::string> eal_arguments(const SwitchConfig& sw, bool use_hugepages, unsigned n_cpus,
                                       const std::vector<std::string>& pci_devices) {
    std::vector<std::string> args = {"vswd", "--file-prefix", sw.file_prefix, "--lcores", lcore_map(sw.cores, n_cpus),
                                     "-m", std::to_string(sw.memory_mb)};
    if (pci_devices.empty()) args.push_back("--no-pci");
    for (const std::string& dev : pci_devices) args.insert(args.end(), {"-a", dev});
    if (!use_hugepages) {
        args.push_back("--no-huge");      // vhost-user still works: memory is shared via memfd
    }
    args.push_back("--log-level=lib.eal:warning");
    return args;
}

}  // namespace vsw
