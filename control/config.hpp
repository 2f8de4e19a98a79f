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

#include "../datapath/addr.hpp"

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
};

struct DhcpStaticLease {
    Mac mac;
    Ipv4 ip;
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
};

struct HostInterfaceConfig {
    std::string name;                     // kernel netdev name, <= 15 characters
    Ipv4 address;                         // inside the network's subnet
    std::string netns;                    // "" = the host's namespace; else a named netns
                                          // (ip netns add NAME) the interface is moved into
};

struct NetworkConfig {
    std::string name;
    NetworkMode mode = NetworkMode::internal;
    std::optional<Subnet> subnet;                     // required for host-only and nat
    std::optional<HostInterfaceConfig> host_interface; // host-only only
    std::optional<DhcpConfig> dhcp;                   // none = no DHCP server
    int line = 0;                                     // where it was declared (for messages)
};

struct PortConfig {
    std::string name;                     // [A-Za-z0-9_.-]+, unique
    std::string network;                  // name of a network in Config::networks
    std::string socket;                   // absolute path; default <run_dir>/<name>.sock
    bool client = false;                  // true: vswd connects (and reconnects) to QEMU's socket
    std::optional<Mac> mac;               // pinned source MAC (anti-spoofing)
    int line = 0;
};

struct Config {
    std::string source_file;              // as given to load_config_file
    SwitchConfig switch_config;
    std::map<std::string, NetworkConfig> networks;  // by name
    std::map<std::string, PortConfig> ports;        // by name
};

tl::expected<Config, ConfigError> load_config_file(const std::string& path);
// `file_name` is only used in messages.
tl::expected<Config, ConfigError> load_config_string(const std::string& yaml_text,
                                                     const std::string& file_name);

}  // namespace vsw
