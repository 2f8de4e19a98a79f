// The vsw topology as plain, validated structs, loaded from YAML.
//
// load_config_file() is the only way a Config is made from user input: every
// field below has passed validation when it returns a Config. On error it
// returns a ConfigError that names the file, the line and column (1-based) and
// the dotted key path, e.g.
//   vsw.yaml:14:7: networks.hostonly0.dhcp.range: 192.168.56.300 is not an IPv4 address
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <tl/expected.hpp>

#include "../../common/addr.hpp"

namespace vsw {

struct ConfigError {
    std::string file;
    int line = 0;    // 1-based; 0 when the error is not tied to a place
    int column = 0;  // 1-based
    std::string key; // dotted path, e.g. "networks.hostonly0.dhcp.range"
    std::string message;

    // "file:line:column: key: message" (parts that are empty are left out).
    std::string to_string() const;
};

// Where a section was declared, for messages. Equal whatever its value, so
// that the defaulted == of the structs below compares settings only: a
// reload that just moves lines around changes nothing.
struct SourceLine {
    int value = 0;  // 1-based; 0 = not from a file
    bool operator==(const SourceLine&) const { return true; }
};

enum class Hugepages { automatic, on, off };
enum class NetworkMode { host_only, internal, nat };

const char* to_string(NetworkMode mode);   // "host-only", "internal", "nat"
const char* to_string(Hugepages mode);     // "auto", "on", "off"

struct SwitchConfig {
    std::vector<unsigned> cores{1};       // datapath worker CPUs (at least one)
    Hugepages hugepages = Hugepages::automatic;
    std::string run_dir = "/run/vsw";     // vhost-user sockets and vswd.sock
    std::string state_dir = "/var/lib/vsw";  // DHCP lease files
    std::string log_level = "info";       // trace debug info warn error critical off
    std::string file_prefix = "vsw";      // DPDK --file-prefix (one per vswd instance)
    unsigned mac_aging = 300;             // seconds before an idle learned MAC is forgotten
    unsigned memory_mb = 512;             // DPDK memory (mbuf pool etc.)
    // A group (e.g. libvirt-qemu, kvm) whose members may open the vhost-user
    // sockets: run_dir becomes root:<group> 0751 and each server socket 0660
    // (socket_mode). Empty: root only.
    std::string socket_group;
    // Mode of the server sockets (0600, 0660 or 0666); default 0660 with a
    // socket_group, else the sockets stay as DPDK makes them (root only).
    std::optional<unsigned> socket_mode;
    // The control socket (vswd.sock) becomes root:<group> 0660: members run
    // the read-only vswctl commands (show, stats, ...). Members of
    // control_admin_group may also reload. Both empty: root only.
    std::string control_group;
    std::string control_admin_group;
    // Where vswd serves Prometheus metrics (GET /metrics), "127.0.0.1:9417";
    // off when absent.
    std::optional<std::pair<Ipv4, uint16_t>> metrics;
    bool operator==(const SwitchConfig&) const = default;
};

struct DhcpStaticLease {
    Mac mac;
    Ipv4 ip;
    bool operator==(const DhcpStaticLease&) const = default;
};

struct DhcpConfig {
    Ipv4 server;                          // server identifier and source address
    Ipv4 range_first;                     // pool, inclusive
    Ipv4 range_last;
    uint32_t lease_seconds = 600;
    std::vector<DhcpStaticLease> statics;
    std::optional<Ipv4> router;           // option 3; only for networks with a gateway
    std::vector<Ipv4> dns;                // option 6; empty = not sent
    std::string domain;                   // option 15; empty = not sent
    std::optional<uint16_t> mtu;          // option 26 (interface MTU): an overlay network's, when under 1500
    bool operator==(const DhcpConfig&) const = default;
};

struct HostInterfaceConfig {
    std::string name;                     // kernel netdev name, <= 15 characters
    Ipv4 address;                         // inside the network's subnet
    std::string netns;                    // "" = the host's namespace; else a named netns
                                          // (ip netns add NAME) the interface is moved into
    std::optional<Ipv6> address6;         // with the network's subnet6: inside it (default ::1)
    bool operator==(const HostInterfaceConfig&) const = default;
};

// A port-forwarding rule of a NAT network (VBoxManage --natpf): traffic to
// host_ip:host_port on the uplink goes to guest_ip:guest_port.
struct PortForward {
    std::string name;
    uint8_t proto = 6;                    // 6 tcp | 17 udp
    std::optional<Ipv4> host_ip;          // default: the uplink's address
    uint16_t host_port = 0;
    Ipv4 guest_ip;
    uint16_t guest_port = 0;
    // Also taken on the host's own addresses (through a kernel uplink): no
    // host_ip (every address, as VBoxManage binds) or the host's 127.0.0.1.
    bool on_host_addresses() const { return !host_ip || *host_ip == Ipv4{0x7f000001}; }
    bool operator==(const PortForward&) const = default;
};

// An IPv6 port forward (NAT66): the uplink's address6:host_port to a guest's
// IPv6 address. Written like an IPv4 one, with an IPv6 guest_ip (and host_ip,
// if given, the uplink's address6). Not on the host's own addresses.
struct PortForward6 {
    std::string name;
    uint8_t proto = 6;
    uint16_t host_port = 0;
    Ipv6 guest_ip;
    uint16_t guest_port = 0;
    bool operator==(const PortForward6&) const = default;
};

struct NatTimeouts {                      // seconds
    uint32_t tcp_established = 7440;
    uint32_t tcp_transitory = 240;        // SYN sent, FIN/RST seen, TIME-WAIT
    uint32_t udp = 300;
    uint32_t icmp = 60;
    bool operator==(const NatTimeouts&) const = default;
};

struct NatConfig {
    // `mode: nat-network`: VirtualBox's "NAT Network" defaults (gateway and
    // DNS at .1, host alias .2, DHCP server .3, pool from .4) instead of its
    // "NAT" ones (gateway and host alias .2, DNS .3, pool from .15).
    bool nat_network = false;
    Ipv4 gateway;                         // default .2 (.1 with nat_network); answers ARP and ping
    std::optional<Ipv4> dns;              // guests' resolver address, forwarded to the uplink's resolver
    std::string uplink;                   // name of an entry in Config::uplinks
    std::vector<PortForward> port_forwards;
    std::vector<PortForward6> port_forwards6;  // the entries of port_forwards with IPv6 addresses
    NatTimeouts timeouts;
    uint32_t max_sessions = 65536;        // per network, 1..4194304
    // One guest (inside address) may hold at most this many of the network's
    // sessions, so one guest cannot take them all; default max_sessions / 2.
    uint32_t max_sessions_per_guest = 32768;
    // VirtualBox's host loopback: TCP and UDP to `host_alias` reach the
    // host's 127.0.0.1 through host_uplink (on by default when there is one).
    bool host_loopback = false;
    Ipv4 host_alias;                      // the gateway (nat) or .2 (nat_network)
    // The kernel uplink through which the guests reach the host's loopback
    // and the host reaches the forwards on its own addresses: the network's
    // uplink when that is a kernel one, else the `host_uplink` key (a device
    // uplink has no way to the host's stack; by default its host link,
    // UplinkConfig::host_link_of); "" = none.
    std::string host_uplink;
    bool operator==(const NatConfig&) const = default;
};

// A host-only or internal network stretched over VXLAN (RFC 7348) to other
// hosts: frames for MACs behind a remote VTEP go there with `vni`;
// broadcast, unknown unicast and multicast go to every remote (head-end
// replication). Linux's vxlan device and OVS speak the same wire format.
struct OverlayConfig {
    uint32_t vni = 0;                     // 1..16777215; unique per uplink
    std::string uplink;                   // carries the tunnel; its address is this host's VTEP
    std::vector<Ipv4> remotes;            // the other hosts' VTEP addresses
    // EVPN through FRR (control/switch/evpn_mirror.hpp): remotes and remote
    // MACs also come from BGP, through a kernel mirror of the network in
    // namespace `evpn_netns` ("" = vswd's), where FRR runs.
    bool evpn = false;
    std::string evpn_netns;
    bool operator==(const OverlayConfig&) const = default;
};

struct NetworkConfig {
    std::string name;
    NetworkMode mode = NetworkMode::internal;
    std::optional<Subnet> subnet;                     // required for host-only and nat
    // IPv6 (host-only): a /64 that vsw announces in router advertisements
    // (SLAAC, router lifetime 0); the host interface gets address6 in it.
    std::optional<Subnet6> subnet6;
    std::optional<HostInterfaceConfig> host_interface; // host-only only
    std::optional<DhcpConfig> dhcp;                   // none = no DHCP server
    std::optional<NatConfig> nat;                     // nat only (always set there)
    std::optional<OverlayConfig> overlay;             // host-only and internal only
    uint32_t max_macs = 2048;                         // learned MACs in this network (FDB budget)
    SourceLine line;                                  // where it was declared (for messages)
    bool operator==(const NetworkConfig&) const = default;
};

// Where NAT networks' traffic leaves the switch.
struct UplinkConfig {
    std::string name;
    std::string device;                   // a DPDK device string ("net_af_xdp0,iface=eth1", ...)
    std::optional<HostInterfaceConfig> kernel;  // or: a TAP netdev the host routes onward
                                          //   (its `address` is the host's side, e.g. the gateway)
    Ipv4 address;                         // vsw's own outside address
    uint8_t prefix_len = 24;
    Ipv4 gateway;                         // next hop for everything outside the prefix
    std::optional<Ipv4> resolver;         // DNS server that NAT networks' `dns` forwards to
    bool resolver_from_host = false;      // not configured: the host's (LoadContext::host_resolver)
    // NAT66: vsw's outside IPv6 address (address6: A/len) and its IPv6 next
    // hop; a kernel uplink's TAP gets gateway6/len on the host's side.
    std::optional<Ipv6> address6;
    uint8_t prefix6_len = 64;
    std::optional<Ipv6> gateway6;
    std::optional<Ipv6> resolver6;        // NAT66: an IPv6 resolver for the networks' DNS over IPv6
    // The underlay's IP MTU. An overlay network's guests get 50 bytes less
    // (DHCP option 26 when that is under 1500); a kernel uplink's TAP gets it.
    uint16_t mtu = 1500;
    uint16_t port_first = 1024;           // masquerade source ports (forwarded host ports excluded)
    uint16_t port_last = 65535;
    // kernel.outbound: the host forwards and masquerades what leaves vsw's
    // TAP onward (its default route): IP forwarding on, and a masquerade
    // rule in vsw's nftables table (loopback_forwards.hpp).
    bool outbound = false;
    // Set on the kernel uplink vsw makes for device uplink `host_link_of`
    // (uplinks.X.host_link): a TAP through which that uplink's NAT networks
    // reach the host (host_loopback, forwards on the host's addresses), since
    // what vsw sends on a device leaves on the wire. Named "<X>.host".
    std::string host_link_of;
    SourceLine line;
    bool operator==(const UplinkConfig&) const = default;

    // The uplink's link prefix: address/prefix_len, masked.
    Subnet prefix() const {
        const uint32_t mask = prefix_len == 0 ? 0 : ~uint32_t{0} << (32 - prefix_len);
        return Subnet{Ipv4{address.value & mask}, prefix_len};
    }
};

// A NAT network's DNS address over IPv6 (its subnet6's ::3, RDNSS in its
// router advertisements): when it has `dns` and its uplink a resolver6, to
// which vsw forwards what guests send there.
inline std::optional<Ipv6> nat_dns6(const NetworkConfig& net, const UplinkConfig& up) {
    if (!net.nat || !net.nat->dns || !net.subnet6 || !up.resolver6) return std::nullopt;
    return net.subnet6->host(3);
}

struct PortConfig {
    std::string name;                     // [A-Za-z0-9_.-]+, unique
    std::string network;                  // name of a network in Config::networks
    std::string socket;                   // absolute path; default <run_dir>/<name>.sock
    bool client = false;                  // true: vswd connects (and reconnects) to QEMU's socket
    std::optional<Mac> mac;               // pinned source MAC (anti-spoofing)
    uint32_t max_macs = 256;              // source MACs learned from this port; more are dropped
    uint32_t max_leases = 4;              // DHCP leases the port's guest may hold (1 when `mac` is pinned)
    // vhost-user queue pairs (QEMU queues=N, mq=on): vswd polls each queue,
    // spread over the workers; it sends to the guest on queue 0.
    uint16_t queues = 1;
    std::string socket_group;             // overrides switch.socket_group for this server socket
    std::optional<unsigned> socket_mode;  // overrides switch.socket_mode
    SourceLine line;
    bool operator==(const PortConfig&) const = default;
};

// Who may open a port's server socket: the group to give it (empty: keep
// root's) and its mode (none: keep DPDK's, root only).
struct SocketAccess {
    std::string group;
    std::optional<unsigned> mode;
};
SocketAccess socket_access(const SwitchConfig& sw, const PortConfig& port);

struct Config {
    std::string source_file;              // as given to load_config_file
    SwitchConfig switch_config;
    std::map<std::string, NetworkConfig> networks;  // by name
    std::map<std::string, PortConfig> ports;        // by name
    std::map<std::string, UplinkConfig> uplinks;    // by name
    bool operator==(const Config&) const = default;
};

// What a config may take from the host it is loaded on.
struct LoadContext {
    // The resolver of an uplink that names none (host_resolvers.hpp); vswd
    // reads the host's on every load, tests pass their own.
    std::optional<Ipv4> host_resolver;
    // The host's own resolver on its loopback (127.0.0.53 with no upstream,
    // a local dnsmasq) when it has no other: a kernel uplink takes DNS there.
    std::optional<Ipv4> host_loopback_resolver;
};

tl::expected<Config, ConfigError> load_config_file(const std::string& path, const LoadContext& ctx = {});
// The file's bytes (load_config_file is read_config_text + load_config_string).
tl::expected<std::string, ConfigError> read_config_text(const std::string& path);
// `file_name` is only used in messages.
tl::expected<Config, ConfigError> load_config_string(const std::string& yaml_text, const std::string& file_name,
                                                     const LoadContext& ctx = {});

}  // namespace vsw
