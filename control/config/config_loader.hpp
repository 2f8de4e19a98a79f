// Internal to the YAML loader (config.cpp, config_dhcp.cpp, config_nat.cpp);
// other code uses config.hpp. The Loader walks the YAML tree section by section;
// its members are defined in config.cpp (reading helpers, switch, networks,
// ports), config_dhcp.cpp (a network's DHCP settings) and config_nat.cpp
// (uplinks and the NAT part of nat networks).
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstddef>
#include <initializer_list>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "../../datapath/limits.hpp"
#include "config.hpp"

namespace vsw::config_internal {

constexpr size_t kMaxSocketPath = 107;       // sizeof(sockaddr_un::sun_path) - 1
constexpr uint64_t kMaxDhcpRange = 65536;
constexpr size_t kMaxIfName = 15;            // IFNAMSIZ - 1

// Thrown inside the loader only; load_config_string turns it into a ConfigError.
struct LoadFailure {
    ConfigError error;
};

// A YAML node with its dotted key path and (for map values) the key node,
// which is where errors about a missing or empty value point.
// The nodes are const: assigning a YAML::Node overwrites the node it refers to.
struct Field {
    const YAML::Node value;
    std::string path;
    const YAML::Node key;  // default-constructed (null mark) for list items and the root

    // yaml-cpp gives an empty value the position of the *next* token, so for
    // those point at the key instead.
    YAML::Mark mark() const {
        if (value.IsNull() && !key.Mark().is_null()) return key.Mark();
        return value.Mark();
    }
    YAML::Mark key_mark() const { return key.Mark().is_null() ? value.Mark() : key.Mark(); }
};

// An address inside a network's subnet that no guest may get: the host's side
// of a host-only network, vsw's own gateway and dns addresses on a nat network.
struct Reserved {
    std::string what;  // "host interface", "gateway", "dns"
    Ipv4 address;
};

std::string join(const std::string& path, std::string_view key);
// Refuses what no vsw config contains (throws LoadFailure): see config.cpp.
void check_document(const YAML::Node& root, const std::string& file);
std::string list_of(std::initializer_list<std::string_view> words);
const char* kind(const YAML::Node& node);
bool valid_name(std::string_view name, std::string_view extra_chars);

class Loader {
public:
    explicit Loader(std::string file, LoadContext ctx = {}) : file_(std::move(file)), ctx_(ctx) {}

    Config load(const YAML::Node& root) const;

private:
    std::string file_;
    LoadContext ctx_;

    // ---- failing (config.cpp) ----------------------------------------------
    [[noreturn]] void fail_at(const YAML::Mark& mark, const std::string& key, std::string message) const;
    [[noreturn]] void fail(const Field& f, std::string message) const;
    [[noreturn]] void fail_key(const Field& f, std::string message) const;
    [[noreturn]] void fail_given_or(const Field* value, const Field& parent, std::string message) const;

    // ---- maps, lists and scalars (config.cpp) --------------------------------
    std::vector<Field> entries(const Field& map) const;
    std::vector<Field> map_fields(const Field& map, std::initializer_list<std::string_view> allowed) const;
    static const Field* find(const std::vector<Field>& fields, std::string_view name);
    const Field& require(const std::vector<Field>& fields, const Field& map, std::string_view name,
                         const std::string& why = "") const;
    std::vector<Field> list_items(const Field& list) const;
    std::string scalar(const Field& f) const;
    uint64_t number(const Field& f, uint64_t lo, uint64_t hi, std::string_view unit = "") const;
    std::string group_name(const Field& f) const;
    unsigned socket_mode(const Field& f) const;
    bool boolean(const Field& f) const;
    size_t choice(const Field& f, std::string_view what,
                  std::initializer_list<std::string_view> choices) const;
    std::string absolute_path(const Field& f) const;
    Ipv4 ipv4(const Field& f) const;
    Mac unicast_mac(const Field& f) const;
    Subnet subnet(const Field& f) const;
    Subnet6 subnet6(const Field& f) const;
    Ipv6 ipv6(const Field& f) const;
    std::string interface_name(const Field& f) const;
    std::string netns_name(const Field& f) const;
    void check_host_address(const Field& f, const std::string& what, Ipv4 a, const Subnet& subnet) const;

    // ---- switch (config.cpp) ----------------------------------------------------
    SwitchConfig switch_section(const Field& section) const;
    std::vector<unsigned> cores(const Field& f) const;

    // ---- networks (config.cpp) ------------------------------------------------------
    void networks_section(const Field& section, Config& config) const;
    NetworkConfig network(const Field& f, const Config& config) const;
    void check_network_key(const Field& key, NetworkMode mode) const;
    void check_host_only_clashes(const Field& f, const Field& subnet_field, const Field* hi,
                                 const NetworkConfig& net, const Config& config) const;
    HostInterfaceConfig host_interface(const Field* f, const NetworkConfig& net) const;
    static std::vector<Reserved> reserved_addresses(const NetworkConfig& net);

    // ---- a network's VXLAN overlay (config_overlay.cpp) ------------------------------
    OverlayConfig overlay(const Field& f, const Config& config) const;
    Ipv4 remote_vtep(const Field& item, const UplinkConfig& up, const std::vector<Ipv4>& earlier) const;
    // The MTU an overlay network's DHCP tells its guests (option 26), when under 1500.
    static void overlay_dhcp_mtu(NetworkConfig& net, const Config& config);

    // ---- DHCP (config_dhcp.cpp) -----------------------------------------------------
    std::optional<DhcpConfig> dhcp(const Field& f, const NetworkConfig& net) const;
    // The settings of a DHCP server: `fields` of the dhcp map (none for the
    // defaults); `f` is where errors point.
    DhcpConfig dhcp_settings(const Field& f, const std::vector<Field>& fields, const NetworkConfig& net) const;
    void dhcp_range(const Field& f, const Field* range, bool server_given, const NetworkConfig& net,
                    const std::vector<Reserved>& reserved, DhcpConfig& d) const;
    std::pair<Ipv4, Ipv4> parse_range(const Field& f) const;
    std::vector<DhcpStaticLease> statics(const Field& f, const DhcpConfig& d, const Subnet& sn,
                                         const std::vector<Reserved>& reserved) const;

    // ---- uplinks (config_nat.cpp) ----------------------------------------------------
    void uplinks_section(const Field& section, Config& config) const;
    UplinkConfig uplink(const Field& f, const std::map<std::string, UplinkConfig>& earlier,
                        std::optional<UplinkConfig>& link) const;
    Subnet uplink_address(const Field& f, UplinkConfig& up) const;
    void nat_subnet6(const Field* s6, bool off, NetworkConfig& net, const Config& config,
                     const std::string& uplink) const;
    void uplink_ipv6(const std::vector<Field>& fields, UplinkConfig& up,
                     const std::map<std::string, UplinkConfig>& earlier) const;
    HostInterfaceConfig uplink_kernel(const Field& f, UplinkConfig& up, const Subnet& prefix,
                                      const std::map<std::string, UplinkConfig>& earlier) const;
    std::pair<uint16_t, uint16_t> port_range(const Field& f) const;
    std::optional<UplinkConfig> host_link(const Field* f, const Field& device_field, const UplinkConfig& device,
                                          const std::map<std::string, UplinkConfig>& earlier) const;
    void drop_unused_host_links(const Field& section, Config& config) const;

    // ---- the NAT part of a nat network (config_nat.cpp) --------------------------------
    std::string host_uplink(const std::vector<Field>& fields, const UplinkConfig& up, const Config& config) const;
    NatConfig nat(const Field& f, const std::vector<Field>& fields, const Field& subnet_field,
                  const NetworkConfig& net, bool nat_network, const Config& config) const;
    // Fills nat.port_forwards and nat.port_forwards6 (the entries with IPv6 addresses).
    void port_forwards(const Field& f, const NetworkConfig& net, NatConfig& nat, const UplinkConfig& up,
                       const Config& config) const;
    std::pair<std::string, uint8_t> forward_name_and_proto(const Field& item, const std::vector<Field>& fields,
                                                           const NetworkConfig& net, const NatConfig& nat) const;
    PortForward6 port_forward6(const Field& item, const NetworkConfig& net, const NatConfig& nat,
                               const UplinkConfig& up, const Config& config) const;
    PortForward port_forward(const Field& item, const NetworkConfig& net, const NatConfig& nat,
                             const UplinkConfig& up, const std::vector<PortForward>& out,
                             const Config& config) const;
    void check_forward_clash(const Field& host_port, const PortForward& pf, const std::string& network,
                             const std::string& uplink, const std::vector<PortForward>& same_network,
                             const Config& config) const;
    NatTimeouts timeouts(const Field& f) const;

    // ---- ports (config.cpp) ------------------------------------------------------------
    void ports_section(const Field& section, Config& config) const;
    PortConfig port(const Field& f, const Config& config) const;
};

}  // namespace vsw::config_internal
