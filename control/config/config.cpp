// YAML topology loader: parses the file with yaml-cpp, then walks the tree
// section by section, validating every value as it is read. The first problem
// found ends the load; it is reported with the file, line, column and dotted key
// path of the offending node.
//
// This file: the reading helpers and the switch, networks and ports sections.
// A network's DHCP settings: config_dhcp.cpp. Uplinks and the NAT part of nat
// networks: config_nat.cpp. Reading the file into one checked document:
// config_document.cpp.
#include "config.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <charconv>
#include <cstring>
#include <initializer_list>
#include <set>
#include <string_view>
#include <utility>
#include <vector>

#include <grp.h>

#include "config_loader.hpp"
#include "resource_budget.hpp"

namespace vsw {

std::string ConfigError::to_string() const {
    std::string where = file;
    if (line > 0) {
        if (!where.empty()) where += ':';
        where += std::to_string(line);
        if (column > 0) where += ':' + std::to_string(column);
    }
    std::string out;
    for (const std::string& part : {where, key, message}) {
        if (part.empty()) continue;
        if (!out.empty()) out += ": ";
        out += part;
    }
    return out;
}

const char* to_string(NetworkMode mode) {
    switch (mode) {
        case NetworkMode::host_only: return "host-only";
        case NetworkMode::internal: return "internal";
        case NetworkMode::nat: return "nat";
    }
    return "?";
}

SocketAccess socket_access(const SwitchConfig& sw, const PortConfig& port) {
    SocketAccess a;
    a.group = port.socket_group.empty() ? sw.socket_group : port.socket_group;
    a.mode = port.socket_mode ? port.socket_mode : sw.socket_mode;
    if (!a.mode && !a.group.empty()) a.mode = 0660;
    return a;
}

const char* to_string(Hugepages mode) {
    switch (mode) {
        case Hugepages::automatic: return "auto";
        case Hugepages::on: return "on";
        case Hugepages::off: return "off";
    }
    return "?";
}

namespace config_internal {

std::string join(const std::string& path, std::string_view key) {
    return path.empty() ? std::string(key) : path + "." + std::string(key);
}

std::string list_of(std::initializer_list<std::string_view> words) {
    std::string out;
    for (std::string_view w : words) {
        if (!out.empty()) out += ", ";
        out += w;
    }
    return out;
}

const char* kind(const YAML::Node& node) {
    switch (node.Type()) {
        case YAML::NodeType::Null: return "nothing";
        case YAML::NodeType::Scalar: return "a single value";
        case YAML::NodeType::Sequence: return "a list";
        case YAML::NodeType::Map: return "a map";
        case YAML::NodeType::Undefined: break;
    }
    return "nothing";
}

bool valid_name(std::string_view name, std::string_view extra_chars) {
    if (name.empty()) return false;
    for (char c : name) {
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  extra_chars.find(c) != std::string_view::npos;
        if (!ok) return false;
    }
    return true;
}

// Sections are read in dependency order, whatever their order in the file:
// networks refer to uplinks, ports to networks.
Config Loader::load(const YAML::Node& root) const {
    Config config;
    config.source_file = file_;
    if (!root.IsNull() && !root.IsMap())
        fail_at(root.Mark(), "",
                "the top level must be a map (with keys switch, networks, uplinks, ports), not " +
                    std::string(kind(root)));
    Field top{root, "", YAML::Node()};
    std::vector<Field> sections = map_fields(top, {"switch", "networks", "uplinks", "ports"});
    if (const Field* f = find(sections, "switch")) config.switch_config = switch_section(*f);
    if (const Field* f = find(sections, "uplinks")) uplinks_section(*f, config);
    if (const Field* f = find(sections, "networks")) networks_section(*f, config);
    if (const Field* f = find(sections, "uplinks")) drop_unused_host_links(*f, config);
    if (const Field* f = find(sections, "ports")) ports_section(*f, config);
    // The memory the tables need at start, against what DPDK is given.
    const unsigned needed = dpdk_memory_needed_mb(config);
    if (needed > config.switch_config.memory_mb) {
        const Field* sw = find(sections, "switch");
        std::vector<Field> sw_fields = sw ? entries(*sw) : std::vector<Field>{};
        const Field* mem = find(sw_fields, "memory_mb");
        const std::string msg = "the switch needs about " + std::to_string(needed) + " MB of DPDK memory (NAT tables for " +
                                std::to_string(nat_capacity_per_worker(config)) + " sessions per worker, " +
                                std::to_string(config.switch_config.cores.size()) + " worker(s)) but memory_mb is " +
                                std::to_string(config.switch_config.memory_mb) +
                                ": raise switch.memory_mb or lower the networks' max_sessions";
        if (mem) fail(*mem, msg);
        fail_at(sw ? sw->key_mark() : root.Mark(), "switch.memory_mb", msg);
    }
    return config;
}

// ---- failing -------------------------------------------------------

void Loader::fail_at(const YAML::Mark& mark, const std::string& key, std::string message) const {
    ConfigError e;
    e.file = file_;
    if (!mark.is_null()) {
        e.line = mark.line + 1;
        e.column = mark.column + 1;
    }
    e.key = key;
    e.message = std::move(message);
    throw LoadFailure{std::move(e)};
}
void Loader::fail(const Field& f, std::string message) const {
    fail_at(f.mark(), f.path, std::move(message));
}
void Loader::fail_key(const Field& f, std::string message) const {
    fail_at(f.key_mark(), f.path, std::move(message));
}
// For a value that may have been left out and defaulted: point at the
// value if it was given, else at the key of the map it would be in.
void Loader::fail_given_or(const Field* value, const Field& parent, std::string message) const {
    if (value) fail(*value, std::move(message));
    fail_key(parent, std::move(message));
}

// ---- maps and lists --------------------------------------------------

// The entries of a map in document order (an empty value counts as an
// empty map). Keys must be plain scalars and appear once.
std::vector<Field> Loader::entries(const Field& map) const {
    if (!map.value.IsNull() && !map.value.IsMap())
        fail(map, std::string("expected a map, got ") + kind(map.value));
    std::vector<Field> out;
    std::set<std::string> seen;
    for (auto it = map.value.begin(); it != map.value.end(); ++it) {
        if (!it->first.IsScalar())
            fail_at(it->first.Mark(), map.path, "a key must be a plain name, not " +
                                                    std::string(kind(it->first)));
        const std::string& name = it->first.Scalar();
        Field f{it->second, join(map.path, name), it->first};
        if (!seen.insert(name).second) fail_key(f, "duplicate key '" + name + "'");
        out.push_back(f);
    }
    return out;
}

// entries() of a map whose keys are fixed: unknown keys are an error.
std::vector<Field> Loader::map_fields(const Field& map,
                                      std::initializer_list<std::string_view> allowed) const {
    std::vector<Field> out = entries(map);
    for (const Field& f : out) {
        std::string_view name = f.key.Scalar();
        bool known = false;
        for (std::string_view a : allowed) known = known || a == name;
        if (!known)
            fail_key(f, "unknown key '" + std::string(name) + "' (expected one of: " +
                            list_of(allowed) + ")");
    }
    return out;
}

const Field* Loader::find(const std::vector<Field>& fields, std::string_view name) {
    for (const Field& f : fields)
        if (f.key.Scalar() == name) return &f;
    return nullptr;
}

const Field& Loader::require(const std::vector<Field>& fields, const Field& map,
                             std::string_view name, const std::string& why) const {
    if (const Field* f = find(fields, name)) return *f;
    fail_at(map.key_mark(), join(map.path, name),
            "missing required key '" + std::string(name) + "'" + why);
}

std::vector<Field> Loader::list_items(const Field& list) const {
    if (!list.value.IsSequence()) fail(list, std::string("expected a list, got ") + kind(list.value));
    std::vector<Field> out;
    for (size_t i = 0; i < list.value.size(); ++i)
        out.push_back(Field{list.value[i], list.path + "[" + std::to_string(i) + "]", YAML::Node()});
    return out;
}

// ---- scalars ---------------------------------------------------------

std::string Loader::scalar(const Field& f) const {
    if (f.value.IsNull()) fail(f, "missing value");
    if (!f.value.IsScalar()) fail(f, std::string("expected a single value, got ") + kind(f.value));
    return f.value.Scalar();
}

uint64_t Loader::number(const Field& f, uint64_t lo, uint64_t hi, std::string_view unit) const {
    std::string text = scalar(f);
    uint64_t v = 0;
    auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (text.empty() || ec == std::errc::invalid_argument || ptr != text.data() + text.size())
        fail(f, "'" + text + "' is not a whole number");
    if (ec == std::errc::result_out_of_range || v < lo || v > hi)
        fail(f, text + " is out of range (" + std::to_string(lo) + ".." + std::to_string(hi) +
                    (unit.empty() ? "" : " " + std::string(unit)) + ")");
    return v;
}

bool Loader::boolean(const Field& f) const {
    bool b = false;
    if (f.value.IsScalar() && YAML::convert<bool>::decode(f.value, b)) return b;
    fail(f, "'" + scalar(f) + "' is not true or false");
}

// Index of the value in `choices`.
size_t Loader::choice(const Field& f, std::string_view what,
                      std::initializer_list<std::string_view> choices) const {
    std::string text = scalar(f);
    size_t i = 0;
    for (std::string_view c : choices) {
        if (c == text) return i;
        ++i;
    }
    fail(f, "'" + text + "' is not " + std::string(what) + " (expected one of: " +
                list_of(choices) + ")");
}

std::string Loader::absolute_path(const Field& f) const {
    std::string text = scalar(f);
    if (text.empty() || text[0] != '/') fail(f, "'" + text + "' is not an absolute path");
    return text;
}

Ipv4 Loader::ipv4(const Field& f) const {
    std::string text = scalar(f);
    auto a = Ipv4::parse(text);
    if (!a) fail(f, text + " is not an IPv4 address");
    return *a;
}

Mac Loader::unicast_mac(const Field& f) const {
    std::string text = scalar(f);
    auto m = Mac::parse(text);
    if (!m) fail(f, text + " is not a MAC address (like 52:54:00:12:34:56)");
    if (m->is_multicast()) fail(f, text + " is a multicast MAC address; it must be unicast");
    if (m->is_zero()) fail(f, text + " is the all-zero MAC address");
    return *m;
}

Subnet Loader::subnet(const Field& f) const {
    std::string text = scalar(f);
    auto s = Subnet::parse(text);
    if (!s) fail(f, text + " is not a subnet in CIDR notation (like 192.168.56.0/24)");
    if (s->prefix_len < 8 || s->prefix_len > 30)
        fail(f, "prefix length /" + std::to_string(s->prefix_len) + " of " + text +
                    " is not supported (use /8 to /30)");
    if (*Ipv4::parse(text.substr(0, text.find('/'))) != s->network)
        fail(f, text + " is not a network address (did you mean " + s->to_string() + "?)");
    return *s;
}

// An IPv6 prefix for SLAAC: a /64 network address, not multicast or link-local.
Subnet6 Loader::subnet6(const Field& f) const {
    std::string text = scalar(f);
    auto s = Subnet6::parse(text);
    if (!s) fail(f, text + " is not an IPv6 prefix (like fd00:56::/64)");
    if (s->prefix_len != 64)
        fail(f, "prefix length /" + std::to_string(s->prefix_len) + " of " + text +
                    " is not supported: guests configure themselves (SLAAC) only in a /64");
    if (s->network.is_multicast() || s->network.is_link_local())
        fail(f, text + " is a " + (s->network.is_multicast() ? "multicast" : "link-local") +
                    " prefix; use a global or unique local one (like fd00:56::/64)");
    if (*Ipv6::parse(text.substr(0, text.find('/'))) != s->network)
        fail(f, text + " is not a network address (did you mean " + s->to_string() + "?)");
    return *s;
}

Ipv6 Loader::ipv6(const Field& f) const {
    std::string text = scalar(f);
    auto a = Ipv6::parse(text);
    if (!a) fail(f, text + " is not an IPv6 address");
    return *a;
}

// A kernel netdev name (host interfaces, kernel uplinks).
std::string Loader::interface_name(const Field& f) const {
    std::string name = scalar(f);
    if (!valid_name(name, "_.-") || name.size() > kMaxIfName || name == "." || name == "..")
        fail(f, "'" + name + "' is not a valid interface name (1..15 of A-Z a-z 0-9 _ . -)");
    return name;
}

std::string Loader::netns_name(const Field& f) const {
    std::string name = scalar(f);
    if (!valid_name(name, "_.-") || name.size() > 64 || name == "." || name == "..")
        fail(f, "'" + name + "' is not a valid network namespace name (1..64 of A-Z a-z 0-9 _ . -)");
    return name;
}

// `what` names the address in messages ("server 192.168.56.100 ...").
void Loader::check_host_address(const Field& f, const std::string& what, Ipv4 a,
                                const Subnet& subnet) const {
    std::string head = what + " " + a.to_string();
    if (!subnet.contains(a)) fail(f, head + " is not inside subnet " + subnet.to_string());
    if (a == subnet.network) fail(f, head + " is the network address of " + subnet.to_string());
    if (a == subnet.broadcast())
        fail(f, head + " is the broadcast address of " + subnet.to_string());
}

// ---- switch ------------------------------------------------------------

SwitchConfig Loader::switch_section(const Field& section) const {
    SwitchConfig sw;
    for (const Field& f : map_fields(section, {"cores", "hugepages", "run_dir", "state_dir",
                                               "log_level", "file_prefix", "mac_aging",
                                               "memory_mb", "socket_group", "socket_mode", "control_group",
                                               "control_admin_group", "metrics"})) {
        std::string_view key = f.key.Scalar();
        if (key == "cores") {
            sw.cores = cores(f);
        } else if (key == "hugepages") {
            static constexpr Hugepages modes[] = {Hugepages::automatic, Hugepages::on,
                                                  Hugepages::off};
            sw.hugepages = modes[choice(f, "a hugepages setting", {"auto", "on", "off"})];
        } else if (key == "run_dir") {
            sw.run_dir = absolute_path(f);
        } else if (key == "state_dir") {
            sw.state_dir = absolute_path(f);
        } else if (key == "log_level") {
            choice(f, "a log level", {"trace", "debug", "info", "warn", "error", "critical", "off"});
            sw.log_level = f.value.Scalar();
        } else if (key == "file_prefix") {
            sw.file_prefix = scalar(f);
            if (!valid_name(sw.file_prefix, "_-") || sw.file_prefix.size() > 64)
                fail(f, "'" + sw.file_prefix +
                            "' is not a valid file prefix (1..64 of A-Z a-z 0-9 _ -)");
        } else if (key == "mac_aging") {
            sw.mac_aging = static_cast<unsigned>(number(f, 1, 86400, "seconds"));
        } else if (key == "memory_mb") {
            sw.memory_mb = static_cast<unsigned>(number(f, 64, 65536, "MB"));
        } else if (key == "metrics") {
            const std::string text = scalar(f);
            const size_t colon = text.rfind(':');
            auto address = colon == std::string::npos ? std::nullopt : Ipv4::parse(text.substr(0, colon));
            unsigned port = 0;
            const std::string port_text = colon == std::string::npos ? "" : text.substr(colon + 1);
            const auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
            if (!address || ec != std::errc() || end != port_text.data() + port_text.size() || port == 0 ||
                port > 65535)
                fail(f, "'" + text + "' is not an address:port to serve metrics on (like 127.0.0.1:9417)");
            sw.metrics = std::pair(*address, static_cast<uint16_t>(port));
        } else if (key == "socket_group") {
            sw.socket_group = group_name(f);
        } else if (key == "socket_mode") {
            sw.socket_mode = socket_mode(f);
        } else if (key == "control_group") {
            sw.control_group = group_name(f);
        } else if (key == "control_admin_group") {
            sw.control_admin_group = group_name(f);
        }
    }
    return sw;
}

// A group that exists on this host (socket_group, control_group, ...).
std::string Loader::group_name(const Field& f) const {
    std::string name = scalar(f);
    if (!valid_name(name, "_.-") || name.size() > 32) fail(f, "'" + name + "' is not a valid group name");
    if (getgrnam(name.c_str()) == nullptr)
        fail(f, "group '" + name + "' does not exist on this host (libvirt's QEMU runs as "
                "libvirt-qemu, in group kvm and libvirt-qemu)");
    return name;
}

// A socket's mode, in octal as chmod takes it: read and write for root, and
// for the group and the others or not (connecting needs write permission).
unsigned Loader::socket_mode(const Field& f) const {
    const std::string text = scalar(f);
    static constexpr std::pair<const char*, unsigned> modes[] = {{"0600", 0600}, {"0660", 0660}, {"0666", 0666}};
    for (const auto& [name, mode] : modes)
        if (text == name || text == name + 1) return mode;  // 0660 or 660
    fail(f, "'" + text + "' is not a socket mode: 0600 (root), 0660 (and the group) or 0666 (everyone)");
}

std::vector<unsigned> Loader::cores(const Field& f) const {
    std::vector<Field> items = list_items(f);
    if (items.empty()) fail(f, "at least one CPU is needed");
    std::vector<unsigned> out;
    for (const Field& item : items) {
        auto core = static_cast<unsigned>(number(item, 0, 1023));
        for (unsigned c : out)
            if (c == core) fail(item, "CPU " + std::to_string(core) + " is listed twice");
        out.push_back(core);
    }
    return out;
}

// ---- networks -----------------------------------------------------------

void Loader::networks_section(const Field& section, Config& config) const {
    uint64_t fdb_budget = 0;
    for (const Field& f : entries(section)) {
        NetworkConfig net = network(f, config);
        // Each network's MACs come out of the one FDB: the budgets must fit in it,
        // so a full network never takes room another network was promised.
        fdb_budget += net.max_macs;
        if (fdb_budget > kFdbEntries)
            fail_key(f, "the networks' max_macs add up to " + std::to_string(fdb_budget) + ", more than the " +
                            std::to_string(kFdbEntries) + " MACs the FDB holds: lower max_macs");
        config.networks.emplace(net.name, std::move(net));
    }
}

// `config` holds the uplinks and the networks declared before this one.
NetworkConfig Loader::network(const Field& f, const Config& config) const {
    NetworkConfig net;
    net.name = f.key.Scalar();
    net.line = SourceLine{f.key_mark().line + 1};
    if (!valid_name(net.name, "_.-") || net.name.size() > 32)
        fail_key(f, "'" + net.name + "' is not a valid network name (1..32 of A-Z a-z 0-9 _ . -)");
    std::vector<Field> fields = entries(f);

    const Field& mode = require(fields, f, "mode");
    // nat-network is a nat network with VirtualBox's "NAT Network" defaults.
    static constexpr NetworkMode modes[] = {NetworkMode::host_only, NetworkMode::internal,
                                            NetworkMode::nat, NetworkMode::nat};
    const size_t mode_index = choice(mode, "a network mode", {"host-only", "internal", "nat", "nat-network"});
    net.mode = modes[mode_index];
    const bool nat_network = mode_index == 3;
    for (const Field& key : fields) check_network_key(key, net.mode);
    bool host_only = net.mode == NetworkMode::host_only;
    bool nat = net.mode == NetworkMode::nat;

    const Field* subnet_field = find(fields, "subnet");
    if (subnet_field)
        net.subnet = subnet(*subnet_field);
    else if (nat)
        net.subnet = *Subnet::parse("10.0.2.0/24");  // VirtualBox's NAT
    else if (host_only)
        require(fields, f, "subnet", " (a host-only network needs one)");

    const Field* s6 = find(fields, "subnet6");
    const bool no_subnet6 = s6 && nat && s6->value.IsScalar() && s6->value.Scalar() == "false";
    if (s6 && !no_subnet6) {
        net.subnet6 = subnet6(*s6);
        // Host-only prefixes are routes on the host; NAT networks' may repeat
        // (each is its own realm, like their IPv4 subnets).
        for (const auto& [name, other] : config.networks)
            if (host_only && other.mode == NetworkMode::host_only && other.subnet6 &&
                (other.subnet6->contains(net.subnet6->network) ||
                                  net.subnet6->contains(other.subnet6->network)))
                fail(*s6, "subnet6 " + net.subnet6->to_string() + " overlaps subnet6 " + other.subnet6->to_string() +
                              " of network '" + name + "'");
    }
    if (host_only) {
        const Field* hi = find(fields, "host_interface");
        net.host_interface = host_interface(hi, net);
        check_host_only_clashes(f, *subnet_field, hi, net, config);
    }
    if (nat) {
        // IPv6 first: the port forwards check their IPv6 guests against subnet6.
        const Field* uplink_field = find(fields, "uplink");
        nat_subnet6(s6, no_subnet6, net, config, uplink_field ? scalar(*uplink_field) : "");
        net.nat = this->nat(f, fields, subnet_field ? *subnet_field : f, net, nat_network, config);
    }

    if (const Field* o = find(fields, "overlay")) net.overlay = overlay(*o, config);

    if (const Field* d = find(fields, "dhcp"))
        net.dhcp = dhcp(*d, net);
    else if (nat)
        net.dhcp = dhcp_settings(f, {}, net);  // on by default, as VirtualBox's NAT ('dhcp: false' turns it off)
    overlay_dhcp_mtu(net, config);
    // A port forward without guest_ip goes to the first guest DHCP hands an
    // address to, as VirtualBox's rules with an empty guest IP do.
    if (nat)
        for (PortForward& pf : net.nat->port_forwards) {
            if (pf.guest_ip.value != 0) continue;
            if (!net.dhcp)
                fail_key(f, "port forward '" + pf.name + "' has no guest_ip: that means the first address "
                            "of the network's DHCP pool, and this network has no DHCP");
            pf.guest_ip = net.dhcp->range_first;
        }
    if (const Field* m = find(fields, "max_macs")) net.max_macs = static_cast<uint32_t>(number(*m, 1, kFdbEntries, "MACs"));
    return net;
}

// The keys a network may have depend on its mode.
void Loader::check_network_key(const Field& key, NetworkMode mode) const {
    std::string_view name = key.key.Scalar();
    if (name == "mode" || name == "subnet" || name == "dhcp" || name == "max_macs") return;
    if (name == "subnet6") {
        if (mode != NetworkMode::internal) return;
        fail_key(key, "subnet6 is only allowed on host-only and nat networks (vsw announces it there)");
    }
    if (name == "host_interface") {
        if (mode == NetworkMode::host_only) return;
        fail_key(key, "host_interface is only allowed on host-only networks");
    }
    if (name == "overlay") {
        if (mode != NetworkMode::nat) return;
        fail_key(key, "overlay is only allowed on host-only and internal networks (a NAT network's gateway is "
                      "this host's alone)");
    }
    for (std::string_view nat_key :
         {"gateway", "dns", "uplink", "port_forwards", "timeouts", "max_sessions", "max_sessions_per_guest",
          "host_loopback", "host_uplink"}) {
        if (name != nat_key) continue;
        if (mode == NetworkMode::nat) return;
        fail_key(key, std::string(name) + " is only allowed on nat networks");
    }
    std::string expected =
        mode == NetworkMode::host_only
            ? list_of({"mode", "subnet", "subnet6", "host_interface", "dhcp", "overlay", "max_macs"})
        : mode == NetworkMode::nat
            ? list_of({"mode", "subnet", "subnet6", "gateway", "dns", "dhcp", "uplink", "port_forwards", "timeouts",
                       "max_sessions", "max_sessions_per_guest", "host_loopback", "host_uplink", "max_macs"})
            : list_of({"mode", "subnet", "dhcp", "overlay", "max_macs"});
    fail_key(key, "unknown key '" + std::string(name) + "' (expected one of: " + expected + ")");
}

// A host-only network's interface name must differ from every other host
// interface and kernel uplink, and its subnet must not overlap another host-only
// subnet (the host would have two routes) nor a nat subnet (a guest could not
// reach the host-only network through the NAT gateway).
void Loader::check_host_only_clashes(const Field& f, const Field& subnet_field, const Field* hi,
                                     const NetworkConfig& net, const Config& config) const {
    auto name_clash = [&](const std::string& user) {
        std::string msg = "host interface name '" + net.host_interface->name + "' is already used by " + user;
        std::vector<Field> hi_fields;
        if (hi) hi_fields = entries(*hi);
        const Field* given = find(hi_fields, "name");
        fail_given_or(given, hi ? *hi : f,
                      given ? msg : msg + " (it is the default name here; set host_interface.name)");
    };
    for (const auto& [name, up] : config.uplinks)
        if (up.kernel && up.kernel->name == net.host_interface->name) name_clash("uplink '" + name + "'");
    for (const auto& [name, other] : config.networks) {
        if (!other.host_interface && !other.nat) continue;
        if (other.host_interface && other.host_interface->name == net.host_interface->name)
            name_clash("network '" + name + "'");
        const Subnet& a = *net.subnet;
        const Subnet& b = *other.subnet;
        if (a.contains(b.network) || b.contains(a.network))
            fail(subnet_field, "subnet " + a.to_string() + " overlaps subnet " + b.to_string() + " of " +
                                   to_string(other.mode) + " network '" + name + "'");
    }
}

// `f` is null when the key is absent: then everything is defaulted.
HostInterfaceConfig Loader::host_interface(const Field* f, const NetworkConfig& net) const {
    HostInterfaceConfig hi;
    hi.name = ("vsw-" + net.name).substr(0, kMaxIfName);
    hi.address = net.subnet->host(1);
    if (net.subnet6) hi.address6 = net.subnet6->host(1);
    if (!f) return hi;
    std::vector<Field> fields = map_fields(*f, {"name", "address", "address6", "netns"});
    if (const Field* a6 = find(fields, "address6")) {
        if (!net.subnet6) fail_key(*a6, "address6 needs the network's subnet6");
        hi.address6 = ipv6(*a6);
        if (!net.subnet6->contains(*hi.address6))
            fail(*a6, "address6 " + hi.address6->to_string() + " is not inside subnet6 " + net.subnet6->to_string());
        if (*hi.address6 == net.subnet6->network)
            fail(*a6, "address6 " + hi.address6->to_string() + " is the subnet-router anycast address of " +
                          net.subnet6->to_string());
    }
    if (const Field* ns = find(fields, "netns")) hi.netns = netns_name(*ns);
    if (const Field* n = find(fields, "name")) hi.name = interface_name(*n);
    if (const Field* a = find(fields, "address")) {
        hi.address = ipv4(*a);
        check_host_address(*a, "address", hi.address, *net.subnet);
    }
    return hi;
}

std::vector<Reserved> Loader::reserved_addresses(const NetworkConfig& net) {
    std::vector<Reserved> out;
    if (net.host_interface) out.push_back({"host interface", net.host_interface->address});
    if (net.nat) {
        out.push_back({"gateway", net.nat->gateway});
        if (net.nat->dns) out.push_back({"dns", *net.nat->dns});
        if (net.nat->host_loopback && net.nat->host_alias != net.nat->gateway)
            out.push_back({"host alias", net.nat->host_alias});
    }
    return out;
}

// ---- ports ----------------------------------------------------------------

void Loader::ports_section(const Field& section, Config& config) const {
    for (const Field& f : entries(section)) {
        // Every uplink and every host-only network's host interface is a DPDK port too.
        const size_t host_ifaces = static_cast<size_t>(std::count_if(
            config.networks.begin(), config.networks.end(), [](const auto& n) { return n.second.host_interface.has_value(); }));
        if (config.ports.size() + config.uplinks.size() + host_ifaces == kMaxPorts) {
            fail_key(f, "too many ports: vswd has " + std::to_string(kMaxPorts) +
                            " DPDK ports (RTE_MAX_ETHPORTS) for ports, uplinks and host interfaces, and " +
                            std::to_string(config.uplinks.size()) + " uplink(s) and " + std::to_string(host_ifaces) +
                            " host interface(s) leave " + std::to_string(config.ports.size()) + " for ports");
        }
        PortConfig port = this->port(f, config);
        config.ports.emplace(port.name, std::move(port));
    }
}

PortConfig Loader::port(const Field& f, const Config& config) const {
    PortConfig port;
    port.name = f.key.Scalar();
    port.line = SourceLine{f.key_mark().line + 1};
    if (!valid_name(port.name, "_.-") || port.name.size() > 64)
        fail_key(f, "'" + port.name + "' is not a valid port name (1..64 of A-Z a-z 0-9 _ . -)");
    std::vector<Field> fields = map_fields(f, {"network", "socket", "client", "mac", "max_macs", "max_leases",
                                                  "queues", "socket_group", "socket_mode"});

    const Field& network = require(fields, f, "network");
    port.network = scalar(network);
    if (!config.networks.count(port.network))
        fail(network, "network '" + port.network + "' is not declared under networks");

    const Field* socket = find(fields, "socket");
    const std::string& run_dir = config.switch_config.run_dir;
    if (socket)
        port.socket = absolute_path(*socket);
    else
        port.socket = run_dir + (run_dir.back() == '/' ? "" : "/") + port.name + ".sock";
    std::string socket_what = socket ? "socket path " : "default socket path ";
    if (port.socket.size() > kMaxSocketPath)
        fail_given_or(socket, f, socket_what + port.socket + " is longer than " +
                                     std::to_string(kMaxSocketPath) + " characters");
    for (const auto& [name, other] : config.ports)
        if (other.socket == port.socket)
            fail_given_or(socket, f,
                          socket_what + port.socket + " is already used by port '" + name + "'");

    if (const Field* c = find(fields, "client")) port.client = boolean(*c);
    for (const char* key : {"socket_group", "socket_mode"})
        if (const Field* k = find(fields, key); k && port.client)
            fail_key(*k, std::string(key) + " applies to sockets vswd listens on; with client: true QEMU owns the socket");
    if (const Field* g = find(fields, "socket_group")) port.socket_group = group_name(*g);
    if (const Field* m = find(fields, "socket_mode")) port.socket_mode = socket_mode(*m);
    if (const Field* m = find(fields, "mac")) port.mac = unicast_mac(*m);
    // A pinned port's guest has one MAC: one FDB entry, and one lease whatever chaddr it claims.
    if (port.mac) port.max_macs = 1, port.max_leases = 1;
    if (const Field* m = find(fields, "max_macs")) {
        port.max_macs = static_cast<uint32_t>(number(*m, 1, kFdbEntries, "MACs"));
        if (port.mac && port.max_macs != 1) fail(*m, "a port with a pinned mac has exactly one MAC (leave max_macs out)");
    }
    if (const Field* l = find(fields, "max_leases")) {
        port.max_leases = static_cast<uint32_t>(number(*l, 1, 1024, "leases"));
        if (port.mac && port.max_leases != 1)
            fail(*l, "a port with a pinned mac gets exactly one lease (leave max_leases out)");
    }
    if (const Field* q = find(fields, "queues"))
        port.queues = static_cast<uint16_t>(number(*q, 1, kMaxQueues, "queue pairs"));
    return port;
}

}  // namespace config_internal

}  // namespace vsw

