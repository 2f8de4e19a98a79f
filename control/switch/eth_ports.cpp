#include "eth_ports.hpp"

#include <rte_bus.h>
#include <rte_dev.h>
#include <rte_ethdev.h>
#include <rte_mempool.h>

#include <fmt/format.h>

#include "../eal_args.hpp"

namespace vsw {

namespace {

constexpr uint16_t kRxDescriptors = 1024;
constexpr uint16_t kTxDescriptors = 1024;

tl::expected<uint16_t, std::string> probe_and_start(const std::string& dev_name, const std::string& devargs,
                                                    rte_mempool* pool, uint16_t queues = 1) {
    // -EEXIST: a PCI NIC that EAL's allow-list (-a) probed at start.
    if (int rc = rte_dev_probe(devargs.c_str()); rc != 0 && rc != -EEXIST)
        return tl::unexpected(fmt::format("cannot create device '{}': {}", devargs, rte_strerror(-rc)));
    uint16_t port_id = 0;
    if (rte_eth_dev_get_port_by_name(dev_name.c_str(), &port_id) != 0)
        return tl::unexpected(fmt::format("device '{}' created but has no ethdev port", dev_name));

    auto fail = [&](const char* what, int rc) -> tl::expected<uint16_t, std::string> {
        destroy_port(port_id);
        return tl::unexpected(fmt::format("{}: {} failed: {}", dev_name, what, rte_strerror(-rc)));
    };
    rte_eth_conf conf{};
    if (int rc = rte_eth_dev_configure(port_id, queues, queues, &conf); rc != 0) return fail("configure", rc);
    uint16_t nb_rxd = kRxDescriptors, nb_txd = kTxDescriptors;
    rte_eth_dev_adjust_nb_rx_tx_desc(port_id, &nb_rxd, &nb_txd);
    const int socket = rte_eth_dev_socket_id(port_id);
    const unsigned sock = socket < 0 ? 0u : static_cast<unsigned>(socket);
    for (uint16_t q = 0; q < queues; ++q) {
        if (int rc = rte_eth_rx_queue_setup(port_id, q, nb_rxd, sock, nullptr, pool); rc != 0)
            return fail("rx queue setup", rc);
        if (int rc = rte_eth_tx_queue_setup(port_id, q, nb_txd, sock, nullptr); rc != 0)
            return fail("tx queue setup", rc);
    }
    if (int rc = rte_eth_dev_start(port_id); rc != 0) return fail("start", rc);
    return port_id;
}

}  // namespace

tl::expected<uint16_t, std::string> create_vhost_port(const VhostPortSpec& spec, rte_mempool* pool) {
    if (spec.socket.find(',') != std::string::npos)
        return tl::unexpected(fmt::format("socket path '{}' must not contain ','", spec.socket));
    const std::string dev = "net_vhost_" + spec.name;
    // iommu off, no TSO: guests send plain frames (the switch does not segment).
    const std::string args = fmt::format("{},iface={},queues={},client={}", dev, spec.socket, spec.queues,
                                         spec.client ? 1 : 0);
    return probe_and_start(dev, args, pool, spec.queues);
}

tl::expected<uint16_t, std::string> create_tap_port(const std::string& ifname, const Mac& mac, rte_mempool* pool) {
    const std::string dev = "net_tap_" + ifname;
    return probe_and_start(dev, fmt::format("{},iface={},mac={}", dev, ifname, mac.to_string()), pool);
}

tl::expected<uint16_t, std::string> create_device_port(const std::string& devargs, rte_mempool* pool) {
    // A PCI NIC's ethdev is named by its full address (0000:03:00.0).
    const std::string dev = pci_address(devargs).value_or(devargs.substr(0, devargs.find(',')));
    return probe_and_start(dev, devargs, pool);
}

std::string port_device_name(uint16_t port_id) {
    char name[RTE_ETH_NAME_MAX_LEN] = {};
    rte_eth_dev_get_name_by_port(port_id, name);
    return name;
}

void destroy_port(uint16_t port_id) {
    rte_eth_dev_info info{};
    rte_eth_dev_info_get(port_id, &info);
    rte_eth_dev_stop(port_id);
    rte_eth_dev_close(port_id);
    if (info.device != nullptr) rte_dev_remove(info.device);
}

}  // namespace vsw
