// Creating and removing the switch's DPDK ports at run time (hot-plugged
// virtual devices), so a reload can add or remove one port without touching
// the others.
//   - VM ports: net_vhost (vhost-user backend) in server or client mode.
//   - Host interfaces: net_tap, a real kernel netdev the host can address.
#pragma once

#include <cstdint>
#include <string>

#include <tl/expected.hpp>

#include "../../common/addr.hpp"

struct rte_mempool;

namespace vsw {

struct VhostPortSpec {
    std::string name;     // vsw port name; the DPDK device is "net_vhost_<name>"
    std::string socket;   // vhost-user unix socket path
    bool client = false;  // true: connect (and reconnect) to a listening QEMU
    uint16_t queues = 1;  // queue pairs (the guest's virtio-net queues=N)
};

// Probes, configures (`queues` rx + tx queues) and starts the device; returns its port id.
tl::expected<uint16_t, std::string> create_vhost_port(const VhostPortSpec& spec, rte_mempool* pool);
// `mac`: the kernel netdev's MAC. Keep it stable across vswd restarts: guests
// cache it (ARP), and a new random one would cut them off the host until
// their ARP entry goes stale.
tl::expected<uint16_t, std::string> create_tap_port(const std::string& ifname, const Mac& mac, rte_mempool* pool);
// Any DPDK device string, e.g. "net_af_xdp0,iface=eth1" or a PCI address.
tl::expected<uint16_t, std::string> create_device_port(const std::string& devargs, rte_mempool* pool);

// Stops, closes and removes the device (the kernel netdev / server socket go with it).
void destroy_port(uint16_t port_id);

// The device name DPDK knows the port by.
std::string port_device_name(uint16_t port_id);

}  // namespace vsw
