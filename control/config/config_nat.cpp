// YAML topology loader, part two: the `uplinks` section and the NAT keys of
// nat networks (gateway, dns, uplink, port_forwards, timeouts, max_sessions).
// The reading helpers and the other sections are in config.cpp.
#include <algorithm>
#include <charconv>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <tuple>

#include <sstream>

#include "../../datapath/overlay/vxlan_sizes.hpp"
#include "config_loader.hpp"

namespace vsw::config_internal {

namespace {

constexpr uint32_t kMinMasqueradePorts = 64;
constexpr uint32_t kMaxSessions = 4194304;
constexpr uint32_t kMaxNatTimeout = 604800;  // a week

const char* proto_name(uint8_t proto) { return proto == 17 ? "udp" : "tcp"; }

}  // namespace

// ---- uplinks ------------------------------------------------------------------

// A device uplink's host link (host_link) is added here next to it; the
// networks then say whether they use it (drop_unused_host_links).
void Loader::uplinks_section(const Field& section, Config& config) const {
    size_t declared = 0;
    for (const Field& f : entries(section)) {
        if (++declared > kMaxUplinks)
            fail_key(f, "too many uplinks: at most " + std::to_string(kMaxUplinks) + " are supported");
        std::optional<UplinkConfig> link;
        UplinkConfig up = uplink(f, config.uplinks, link);
        if (auto taken = config.uplinks.find(up.name); taken != config.uplinks.end())
            fail_key(f, "uplink name '" + up.name + "' is the name of the host link of uplink '" +
                            taken->second.host_link_of + "': choose another");
        if (link && config.uplinks.count(link->name))
            fail_key(f, "uplink '" + up.name + "' needs the name '" + link->name +
                            "' for its host link, and an uplink has it already: rename that one "
                            "(or set host_link: false)");
        config.uplinks.emplace(up.name, std::move(up));
        if (link) config.uplinks.emplace(link->name, std::move(*link));
    }
}

// `earlier` are the uplinks declared before this one: addresses, devices and
// kernel interface names must differ from theirs. A device uplink's host
// link is returned in `link`.
UplinkConfig Loader::uplink(const Field& f, const std::map<std::string, UplinkConfig>& earlier,
                            std::optional<UplinkConfig>& link) const {
    UplinkConfig up;
    up.name = f.key.Scalar();
    up.line = SourceLine{f.key_mark().line + 1};
    if (!valid_name(up.name, "_.-") || up.name.size() > 32)
        fail_key(f, "'" + up.name + "' is not a valid uplink name (1..32 of A-Z a-z 0-9 _ . -)");
    std::vector<Field> fields =
        map_fields(f, {"device", "kernel", "address", "gateway", "resolver", "ports", "host_link", "address6", "gateway6",
                               "resolver6", "mtu"});

    const Field& address = require(fields, f, "address",
                                   " (vsw's outside address with its prefix length, like 203.0.113.10/24)");
    Subnet prefix = uplink_address(address, up);
    for (const auto& [name, other] : earlier)
        if (other.address == up.address)
            fail(address, "address " + up.address.to_string() + " is already used by uplink '" + name + "'");

    const Field* device = find(fields, "device");
    const Field* kernel = find(fields, "kernel");
    if (device && kernel)
        fail_key(device->key.Mark().pos > kernel->key.Mark().pos ? *device : *kernel,
                 "an uplink has either a device or a kernel interface, not both");
    if (!device && !kernel)
        fail_key(f, "missing 'device' (a DPDK device) or 'kernel' (a TAP interface): an uplink needs one");
    if (device) {
        up.device = scalar(*device);
        if (up.device.empty()) fail(*device, "the device string is empty");
        if (up.device.find_first_of(" \t") != std::string::npos)
            fail(*device, "'" + up.device + "' is not a DPDK device string (it must not contain spaces)");
        for (const auto& [name, other] : earlier)
            if (other.device == up.device)
                fail(*device, "device '" + up.device + "' is already used by uplink '" + name + "'");
    }
    if (kernel) up.kernel = uplink_kernel(*kernel, up, prefix, earlier);

    if (const Field* gateway = find(fields, "gateway")) {
        up.gateway = ipv4(*gateway);
        check_host_address(*gateway, "gateway", up.gateway, prefix);
        if (up.gateway == up.address)
            fail(*gateway, "gateway " + up.gateway.to_string() + " is the uplink's own address");
    } else if (up.kernel) {
        up.gateway = up.kernel->address;  // the host routes onward
    } else {
        require(fields, f, "gateway", " (the next-hop router of a device uplink)");
    }
    if (const Field* r = find(fields, "resolver")) {
        up.resolver = ipv4(*r);
    } else if (ctx_.host_resolver) {
        up.resolver = ctx_.host_resolver;  // like VirtualBox: the host's own
        up.resolver_from_host = true;
    } else if (ctx_.host_loopback_resolver && up.kernel) {
        up.resolver = ctx_.host_loopback_resolver;  // the host's loopback, through the TAP
        up.resolver_from_host = true;
    }
    if (const Field* p = find(fields, "ports")) std::tie(up.port_first, up.port_last) = port_range(*p);
    if (const Field* m = find(fields, "mtu")) up.mtu = static_cast<uint16_t>(number(*m, 1280, 9000, "bytes"));
    uplink_ipv6(fields, up, earlier);
    const Field* hl = find(fields, "host_link");
    if (hl && up.kernel)
        fail_key(*hl, "a kernel uplink reaches the host itself; host_link is for device uplinks");
    if (!up.kernel) link = host_link(hl, f, up, earlier);
    return up;
}

// The host link of device uplink `device`: a kernel uplink "<device>.host"
// (UplinkConfig::host_link_of). `host_link: false` = none; a map may set
// `name`, `address` (the host's side, with /30; vsw takes the other address)
// and `netns`. Defaults: TAP "vsh-<device>" (cut to 15 characters) in vswd's
// namespace, on 169.254.213.<4k>/30 where k counts the device uplinks declared
// before this one: the host on .<4k+1>, vsw on .<4k+2>. Link-local, so the
// host routes nothing else there.
std::optional<UplinkConfig> Loader::host_link(const Field* f, const Field& device_field, const UplinkConfig& device,
                                              const std::map<std::string, UplinkConfig>& earlier) const {
    std::vector<Field> fields;
    if (f && f->value.IsScalar()) {
        if (!boolean(*f)) return std::nullopt;
    } else if (f) {
        fields = map_fields(*f, {"name", "address", "netns"});
    }
    uint32_t k = 0;
    for (const auto& [name, other] : earlier) k += other.kernel ? 0 : 1;
    UplinkConfig link;
    link.name = device.name + ".host";
    link.host_link_of = device.name;
    link.line = device.line;
    HostInterfaceConfig kern;
    kern.name = ("vsh-" + device.name).substr(0, kMaxIfName);
    Subnet sn{Ipv4{0xa9fed500u + 4 * k}, 30};  // 169.254.213.<4k>/30
    kern.address = sn.host(1);
    if (const Field* n = find(fields, "name")) kern.name = interface_name(*n);
    if (const Field* ns = find(fields, "netns")) kern.netns = netns_name(*ns);
    if (const Field* a = find(fields, "address")) {
        const std::string text = scalar(*a);
        auto addr = Ipv4::parse(text.substr(0, text.find('/')));
        auto s = Subnet::parse(text);
        if (!addr || !s || s->prefix_len != 30)
            fail(*a, "'" + text + "' is not an address of a /30 (the host's side of the link, like 169.254.213.1/30)");
        check_host_address(*a, "address", *addr, *s);
        sn = *s;
        kern.address = *addr;
    }
    link.address = kern.address == sn.host(1) ? sn.host(2) : sn.host(1);
    link.prefix_len = 30;
    link.gateway = kern.address;
    link.kernel = kern;
    // Where a clash is reported: the key the user wrote, else the uplink.
    const Field& at = f ? *f : device_field;
    auto clash = [&](const std::string& what) {
        fail_given_or(f, at, what + (f ? "" : " (it is the default: set uplinks." + device.name +
                                                   ".host_link with another name and address, or false)"));
    };
    for (const auto& [name, other] : earlier) {
        if (other.kernel && other.kernel->name == kern.name)
            clash("host link interface name '" + kern.name + "' is already used by uplink '" + name + "'");
        Subnet theirs{other.address, other.prefix_len};
        theirs.network.value &= theirs.mask();
        if (theirs.contains(link.address) || sn.contains(other.address))
            clash("host link " + sn.to_string() + " overlaps the addresses of uplink '" + name + "'");
    }
    return link;
}

// A device uplink's host link stays only if a network uses it (the
// network's host_uplink); then the limit on uplinks counts it too.
void Loader::drop_unused_host_links(const Field& section, Config& config) const {
    for (auto it = config.uplinks.begin(); it != config.uplinks.end();) {
        bool used = false;
        for (const auto& [name, net] : config.networks) used = used || (net.nat && net.nat->host_uplink == it->first);
        it = !it->second.host_link_of.empty() && !used ? config.uplinks.erase(it) : std::next(it);
    }
    if (config.uplinks.size() <= kMaxUplinks) return;
    for (const Field& f : entries(section))
        if (config.uplinks.count(f.key.Scalar() + ".host"))
            fail_key(f, "too many uplinks: " + std::to_string(config.uplinks.size()) +
                            " with the host links of device uplinks, and at most " + std::to_string(kMaxUplinks) +
                            " are supported (set host_link: false on a device uplink whose networks need not "
                            "reach the host)");
}

// "203.0.113.10/24": sets up.address and up.prefix_len; returns the prefix.
Subnet Loader::uplink_address(const Field& f, UplinkConfig& up) const {
    std::string text = scalar(f);
    size_t slash = text.find('/');
    if (slash == std::string::npos && Ipv4::parse(text))
        fail(f, text + " has no prefix length (write it like " + text + "/24)");
    auto a = Ipv4::parse(text.substr(0, slash));
    auto s = Subnet::parse(text);
    if (!a || !s) fail(f, text + " is not an IPv4 address with a prefix length (like 203.0.113.10/24)");
    if (s->prefix_len < 8 || s->prefix_len > 30)
        fail(f, "prefix length /" + std::to_string(s->prefix_len) + " of " + text +
                    " is not supported (use /8 to /30)");
    check_host_address(f, "address", *a, *s);
    up.address = *a;
    up.prefix_len = s->prefix_len;
    return *s;
}

// A NAT network's IPv6 (NAT66): on by default when its uplink has an
// address6, with the unique local prefix fd17:625c:f037:2::/64 (every NAT
// network may use the same one, as they may the same IPv4 subnet);
// `subnet6: false` turns it off.
void Loader::nat_subnet6(const Field* s6, bool off, NetworkConfig& net, const Config& config,
                         const std::string& uplink) const {
    auto it = config.uplinks.find(uplink);
    if (off || it == config.uplinks.end()) return;
    const UplinkConfig& up = it->second;
    if (!s6) {
        if (up.address6) net.subnet6 = *Subnet6::parse("fd17:625c:f037:2::/64");
        return;
    }
    if (!up.address6)
        fail(*s6, "subnet6 " + net.subnet6->to_string() + ": uplink '" + up.name +
                      "' has no address6 to masquerade the guests' IPv6 to (add address6 and gateway6 there, "
                      "or leave subnet6 out)");
}

// NAT66: address6 (A/len) and gateway6, both or neither.
void Loader::uplink_ipv6(const std::vector<Field>& fields, UplinkConfig& up,
                         const std::map<std::string, UplinkConfig>& earlier) const {
    const Field* a6 = find(fields, "address6");
    const Field* g6 = find(fields, "gateway6");
    const Field* r6 = find(fields, "resolver6");
    if (r6 && !a6) fail_key(*r6, "resolver6 needs address6 (DNS over IPv6 leaves through NAT66)");
    if (!a6 && !g6) return;
    if (!a6) fail_key(*g6, "gateway6 needs address6 (vsw's IPv6 address on the uplink, like 2001:db8:1::10/64)");
    const std::string text = scalar(*a6);
    const size_t slash = text.find('/');
    auto a = Ipv6::parse(text.substr(0, slash));
    auto prefix = Subnet6::parse(text);
    if (slash == std::string::npos && a) fail(*a6, text + " has no prefix length (write it like " + text + "/64)");
    if (!a || !prefix) fail(*a6, text + " is not an IPv6 address with a prefix length (like 2001:db8:1::10/64)");
    if (prefix->prefix_len < 16 || prefix->prefix_len > 126)
        fail(*a6, "prefix length /" + std::to_string(prefix->prefix_len) + " of " + text +
                      " is not supported (use /16 to /126)");
    if (a->is_link_local() || a->is_multicast() || *a == prefix->network)
        fail(*a6, text + " is not a unicast host address (not link-local, multicast or the prefix itself)");
    for (const auto& [name, other] : earlier)
        if (other.address6 == *a)
            fail(*a6, "address6 " + a->to_string() + " is already used by uplink '" + name + "'");
    up.address6 = *a;
    up.prefix6_len = prefix->prefix_len;
    if (!g6) fail_key(*a6, "address6 needs gateway6 (the IPv6 next hop; for a kernel uplink the host's side)");
    up.gateway6 = ipv6(*g6);
    if (*up.gateway6 == *a) fail(*g6, "gateway6 " + a->to_string() + " is the uplink's own address6");
    if (!prefix->contains(*up.gateway6) && !up.gateway6->is_link_local())
        fail(*g6, "gateway6 " + up.gateway6->to_string() + " is not inside " + prefix->to_string() +
                      " (address6's prefix) nor link-local");
    if (r6) {
        up.resolver6 = ipv6(*r6);
        if (up.resolver6->is_link_local() || up.resolver6->is_multicast() || *up.resolver6 == Ipv6{})
            fail(*r6, up.resolver6->to_string() + " is not a unicast address a resolver can have");
    }
    if (up.kernel && up.gateway6->is_link_local())
        fail(*g6, "a kernel uplink's gateway6 is the address vsw gives the host's side: use one inside " +
                      prefix->to_string());
}

// A TAP netdev; its `address` is the host's side of the link, `up.address` vsw's.
HostInterfaceConfig Loader::uplink_kernel(const Field& f, UplinkConfig& up, const Subnet& prefix,
                                          const std::map<std::string, UplinkConfig>& earlier) const {
    HostInterfaceConfig k;
    std::vector<Field> fields = map_fields(f, {"name", "address", "netns", "outbound"});
    if (const Field* o = find(fields, "outbound")) up.outbound = boolean(*o);
    const Field& name = require(fields, f, "name", " (the TAP interface's name on the host)");
    k.name = interface_name(name);
    for (const auto& [other_name, other] : earlier)
        if (other.kernel && other.kernel->name == k.name)
            fail(name, "interface name '" + k.name + "' is already used by uplink '" + other_name + "'");
    if (const Field* ns = find(fields, "netns")) k.netns = netns_name(*ns);
    const Field& address = require(fields, f, "address", " (the host's side of the TAP link)");
    k.address = ipv4(address);
    check_host_address(address, "address", k.address, prefix);
    if (k.address == up.address)
        fail(address, "address " + k.address.to_string() +
                          " is the uplink's own address; kernel.address is the host's side of the link");
    return k;
}

// "first-last": the masquerade source ports.
std::pair<uint16_t, uint16_t> Loader::port_range(const Field& f) const {
    std::string text = scalar(f);
    auto port = [](std::string_view s) -> std::optional<uint32_t> {
        uint32_t v = 0;
        auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
        if (s.empty() || ec != std::errc{} || ptr != s.data() + s.size()) return std::nullopt;
        return v;
    };
    size_t dash = text.find('-');
    std::optional<uint32_t> first, last;
    if (dash != std::string::npos) {
        first = port(std::string_view(text).substr(0, dash));
        last = port(std::string_view(text).substr(dash + 1));
    }
    if (!first || !last)
        fail(f, "'" + text + "' is not a port range (expected first-last, like 1024-65535)");
    for (uint32_t p : {*first, *last})
        if (p < 1 || p > 65535)
            fail(f, "port " + std::to_string(p) + " in " + text + " is out of range (1..65535)");
    if (*first > *last) fail(f, "range " + text + " is reversed (the first port is after the last)");
    uint32_t count = *last - *first + 1;
    if (count < kMinMasqueradePorts)
        fail(f, "range " + text + " has " + std::to_string(count) + " ports; at least " +
                    std::to_string(kMinMasqueradePorts) + " are needed");
    return {static_cast<uint16_t>(*first), static_cast<uint16_t>(*last)};
}

// ---- nat networks --------------------------------------------------------------

// The NAT part of nat network `net` (its subnet is set). `fields` are the
// network's keys; `config` holds the uplinks and the networks declared earlier.
// Nat networks may share a subnet (each is its own NAT, like VirtualBox's "NAT"
// per VM), but must not overlap a host-only network.
NatConfig Loader::nat(const Field& f, const std::vector<Field>& fields, const Field& subnet_field,
                      const NetworkConfig& net, bool nat_network, const Config& config) const {
    NatConfig nat;
    nat.nat_network = nat_network;
    const Subnet& sn = *net.subnet;

    const Field& uplink = require(fields, f, "uplink",
                                  " (a nat network needs one: the name of an entry under uplinks)");
    nat.uplink = scalar(uplink);
    auto it = config.uplinks.find(nat.uplink);
    if (it == config.uplinks.end()) {
        std::string declared;
        for (const auto& [name, up] : config.uplinks)
            if (up.host_link_of.empty()) declared += (declared.empty() ? "" : ", ") + name;
        fail(uplink, "unknown uplink '" + nat.uplink + "' (declared: " +
                         (declared.empty() ? "none" : declared) + ")");
    }
    const UplinkConfig& up = it->second;

    if (sn.contains(up.address))
        fail(subnet_field, "subnet " + sn.to_string() + " contains the address " +
                               up.address.to_string() + " of uplink '" + up.name + "'");
    for (const auto& [name, other] : config.networks)
        if (other.host_interface &&
            (sn.contains(other.subnet->network) || other.subnet->contains(sn.network)))
            fail(subnet_field, "subnet " + sn.to_string() + " overlaps subnet " +
                                   other.subnet->to_string() + " of host-only network '" + name + "'");

    // VirtualBox's NAT: the gateway (and host alias) at .2, DNS at .3. Its
    // NAT Network: the gateway (and DNS proxy) at .1, the host alias at .2.
    nat.gateway = sn.host(nat_network ? 1 : 2);
    if (const Field* gateway = find(fields, "gateway")) {
        nat.gateway = ipv4(*gateway);
        check_host_address(*gateway, "gateway", nat.gateway, sn);
    }
    nat.host_alias = nat_network ? sn.host(2) : nat.gateway;
    const Field* dns = find(fields, "dns");
    bool dns_off = false;
    if (dns && dns->value.IsScalar()) {
        bool on = true;
        dns_off = YAML::convert<bool>::decode(dns->value, on) && !on;
    }
    // Forwarded to the uplink's resolver (the host's when it names none).
    if (!dns && up.resolver && nat_network)
        nat.dns = nat.gateway;
    else if (!dns && up.resolver && sn.host(3) != nat.gateway && sn.contains(sn.host(3)) &&
             sn.host(3) != sn.broadcast())
        nat.dns = sn.host(3);
    if (dns && !dns_off) {
        nat.dns = ipv4(*dns);
        check_host_address(*dns, "dns", *nat.dns, sn);
        if (!up.resolver)
            fail(*dns, "dns needs a resolver to forward to, but uplink '" + up.name +
                           "' has none (set uplinks." + up.name + ".resolver)");
    }
    nat.host_uplink = host_uplink(fields, up, config);
    // On by default where it can work, as in VirtualBox: through a kernel uplink.
    nat.host_loopback = !nat.host_uplink.empty() && sn.contains(nat.host_alias) && nat.host_alias != sn.broadcast();
    if (const Field* hl = find(fields, "host_loopback")) {
        nat.host_loopback = boolean(*hl);
        if (nat.host_loopback && nat.host_uplink.empty())
            fail(*hl, "host_loopback reaches the host's 127.0.0.1 through a kernel uplink, and uplink '" + up.name +
                          "' is a device with host_link: false (set host_uplink to a kernel uplink, or leave "
                          "host_loopback out)");
    }
    if (const Field* pf = find(fields, "port_forwards")) port_forwards(*pf, net, nat, up, config);
    // A device uplink's host link serves the networks that reach the host.
    if (!up.kernel && !find(fields, "host_uplink") && !nat.host_loopback &&
        std::none_of(nat.port_forwards.begin(), nat.port_forwards.end(),
                     [](const PortForward& pf) { return pf.on_host_addresses(); }))
        nat.host_uplink.clear();
    if (const Field* t = find(fields, "timeouts")) nat.timeouts = timeouts(*t);
    if (const Field* m = find(fields, "max_sessions"))
        nat.max_sessions = static_cast<uint32_t>(number(*m, 1, kMaxSessions, "sessions"));
    nat.max_sessions_per_guest = std::max<uint32_t>(1, nat.max_sessions / 2);
    if (const Field* m = find(fields, "max_sessions_per_guest"))
        nat.max_sessions_per_guest =
            static_cast<uint32_t>(number(*m, 1, nat.max_sessions, "sessions (at most max_sessions)"));
    return nat;
}

// The kernel uplink to the host (NatConfig::host_uplink): the network's own
// when it is a kernel one; with a device uplink, the `host_uplink` key.
std::string Loader::host_uplink(const std::vector<Field>& fields, const UplinkConfig& up, const Config& config) const {
    const Field* f = find(fields, "host_uplink");
    if (!f) {
        if (up.kernel) return up.name;
        auto link = config.uplinks.find(up.name + ".host");  // the device uplink's host link
        return link != config.uplinks.end() && link->second.host_link_of == up.name ? link->first : std::string();
    }
    const std::string name = scalar(*f);
    auto it = config.uplinks.find(name);
    if (it == config.uplinks.end()) fail(*f, "unknown uplink '" + name + "'");
    if (!it->second.kernel)
        fail(*f, "host_uplink '" + name + "' is a device uplink; it must be a kernel one (a TAP to the host)");
    if (up.kernel && name != up.name)
        fail(*f, "uplink '" + up.name + "' is a kernel one and reaches the host itself: leave host_uplink out");
    return name;
}

void Loader::port_forwards(const Field& f, const NetworkConfig& net, NatConfig& nat, const UplinkConfig& up,
                           const Config& config) const {
    std::vector<PortForward>& out = nat.port_forwards;
    // An entry whose guest_ip or host_ip is an IPv6 address forwards IPv6 (NAT66).
    auto is_ipv6 = [](const YAML::Node& map) {
        for (const char* key : {"guest_ip", "host_ip"})
            if (map[key] && map[key].IsScalar() && map[key].Scalar().find(':') != std::string::npos) return true;
        return false;
    };
    auto add = [&](const Field& item) {
        if (is_ipv6(item.value))
            nat.port_forwards6.push_back(port_forward6(item, net, nat, up, config));
        else
            out.push_back(port_forward(item, net, nat, up, out, config));
    };
    for (const Field& item : list_items(f)) {
        if (!item.value.IsScalar()) {
            add(item);
            continue;
        }
        // VBoxManage's rule string: the same fields in the same order, checked
        // the same way (errors point at the string).
        std::vector<std::string> parts;
        std::string text = item.value.Scalar(), part;
        std::istringstream in(text);
        while (std::getline(in, part, ',')) parts.push_back(part);
        if (!text.empty() && text.back() == ',') parts.emplace_back();
        if (parts.size() != 6)
            fail(item, "'" + text + "' is not a port forward: write a map, or VBoxManage's rule string "
                       "\"name,proto,host_ip,host_port,guest_ip,guest_port\" (like \"ssh,tcp,,2222,,22\"; "
                       "host_ip and guest_ip may be empty)");
        YAML::Node map(YAML::NodeType::Map);
        static constexpr const char* keys[] = {"name", "proto", "host_ip", "host_port", "guest_ip", "guest_port"};
        for (size_t i = 0; i < 6; ++i)
            if (!parts[i].empty()) map[keys[i]] = parts[i];
        try {
            add(Field{map, item.path, item.key});
        } catch (LoadFailure& e) {
            if (e.error.line == 0) {  // the made-up map has no positions: the string's
                e.error.line = item.mark().line + 1;
                e.error.column = item.mark().column + 1;
                e.error.message += " (in \"" + text + "\")";
            }
            throw;
        }
    }
}

// A forward's name, unique among the network's IPv4 and IPv6 forwards, and its protocol.
std::pair<std::string, uint8_t> Loader::forward_name_and_proto(const Field& item, const std::vector<Field>& fields,
                                                               const NetworkConfig& net, const NatConfig& nat) const {
    const Field& name_field = require(fields, item, "name");
    const std::string name = scalar(name_field);
    if (!valid_name(name, "_.-") || name.size() > 32)
        fail(name_field, "'" + name + "' is not a valid port forward name (1..32 of A-Z a-z 0-9 _ . -)");
    auto same = [&](const auto& other) { return other.name == name; };
    if (std::any_of(nat.port_forwards.begin(), nat.port_forwards.end(), same) ||
        std::any_of(nat.port_forwards6.begin(), nat.port_forwards6.end(), same))
        fail(name_field, "port forward name '" + name + "' is already used in network '" + net.name + "'");
    static constexpr uint8_t protos[] = {6, 17};
    return {name, protos[choice(require(fields, item, "proto"), "a protocol", {"tcp", "udp"})]};
}

// An IPv6 forward: address6:host_port to a guest's address in subnet6.
PortForward6 Loader::port_forward6(const Field& item, const NetworkConfig& net, const NatConfig& nat,
                                   const UplinkConfig& up, const Config& config) const {
    std::vector<Field> fields =
        map_fields(item, {"name", "proto", "host_ip", "host_port", "guest_ip", "guest_port"});
    PortForward6 pf;
    std::tie(pf.name, pf.proto) = forward_name_and_proto(item, fields, net, nat);
    if (!up.address6 || !net.subnet6)
        fail_key(item, "an IPv6 port forward needs NAT66: uplink '" + up.name + "' has no address6" +
                           (up.address6 ? " and the network has subnet6: false" : ""));
    if (const Field* host_ip = find(fields, "host_ip"))
        if (ipv6(*host_ip) != *up.address6)
            fail(*host_ip, "host_ip " + ipv6(*host_ip).to_string() + " is not the address6 " + up.address6->to_string() +
                               " of uplink '" + up.name + "' (IPv6 forwards are on it only; leave host_ip out)");
    const Field& host_port = require(fields, item, "host_port");
    pf.host_port = static_cast<uint16_t>(number(host_port, 1, 65535));
    // One port space per uplink for both families' forwards.
    for (const auto& [other_name, other] : config.networks)
        if (other.nat && other.nat->uplink == up.name)
            for (const PortForward6& o : other.nat->port_forwards6)
                if (o.proto == pf.proto && o.host_port == pf.host_port)
                    fail(host_port, "host_port " + std::to_string(pf.host_port) + "/" + proto_name(pf.proto) +
                                        " is already forwarded by " + other_name + "." + o.name);
    for (const PortForward6& o : nat.port_forwards6)
        if (o.proto == pf.proto && o.host_port == pf.host_port)
            fail(host_port, "host_port " + std::to_string(pf.host_port) + "/" + proto_name(pf.proto) +
                                " is already forwarded by " + net.name + "." + o.name);
    const Field& guest_ip = require(fields, item, "guest_ip", " (a guest's IPv6 address in subnet6)");
    pf.guest_ip = ipv6(guest_ip);
    if (!net.subnet6->contains(pf.guest_ip) || pf.guest_ip == net.subnet6->network ||
        pf.guest_ip == net.subnet6->host(1) || pf.guest_ip == net.subnet6->host(3))
        fail(guest_ip, "guest_ip " + pf.guest_ip.to_string() + " is not a guest's address in subnet6 " +
                           net.subnet6->to_string() + " (::1 is the gateway, ::3 the DNS address)");
    pf.guest_port = static_cast<uint16_t>(number(require(fields, item, "guest_port"), 1, 65535));
    return pf;
}

// One port forward in the map form. A guest_ip left out is 0.0.0.0 here:
// the network's first DHCP address once DHCP is known (Loader::network).
PortForward Loader::port_forward(const Field& item, const NetworkConfig& net, const NatConfig& nat,
                                 const UplinkConfig& up, const std::vector<PortForward>& out,
                                 const Config& config) const {
    const Subnet& sn = *net.subnet;
    std::vector<Field> fields =
        map_fields(item, {"name", "proto", "host_ip", "host_port", "guest_ip", "guest_port"});
    PortForward pf;
    std::tie(pf.name, pf.proto) = forward_name_and_proto(item, fields, net, nat);
    if (const Field* host_ip = find(fields, "host_ip")) {
        pf.host_ip = ipv4(*host_ip);
        // 127.0.0.1: the host's own loopback, as VBoxManage forwards it (see
        // switch/loopback_forwards.hpp); it takes a kernel uplink, whose host we are on.
        if (*pf.host_ip == Ipv4{0x7f000001} && nat.host_uplink.empty())
            fail(*host_ip, "host_ip 127.0.0.1 (the host's loopback) needs a kernel uplink, and uplink '" + up.name +
                               "' is a device with host_link: false (set host_uplink to a kernel uplink)");
        if (*pf.host_ip != up.address && *pf.host_ip != Ipv4{0x7f000001})
            fail(*host_ip, "host_ip " + pf.host_ip->to_string() + " is not the address " +
                               up.address.to_string() + " of uplink '" + up.name +
                               "', the only outside address vsw owns (leave host_ip out to use it), nor 127.0.0.1");
    }
    const Field& host_port = require(fields, item, "host_port");
    pf.host_port = static_cast<uint16_t>(number(host_port, 1, 65535));
    check_forward_clash(host_port, pf, net.name, nat.uplink, out, config);
    // One on the host's addresses also takes the port on the host uplink.
    if (pf.on_host_addresses() && !nat.host_uplink.empty() && nat.host_uplink != nat.uplink)
        check_forward_clash(host_port, pf, net.name, nat.host_uplink, out, config);

    if (const Field* guest_ip = find(fields, "guest_ip")) {
        pf.guest_ip = ipv4(*guest_ip);
        check_host_address(*guest_ip, "guest_ip", pf.guest_ip, sn);
        if (pf.guest_ip == nat.gateway)
            fail(*guest_ip, "guest_ip " + pf.guest_ip.to_string() + " is the gateway address");
        if (nat.dns && pf.guest_ip == *nat.dns)
            fail(*guest_ip, "guest_ip " + pf.guest_ip.to_string() + " is the dns address");
    }
    pf.guest_port = static_cast<uint16_t>(number(require(fields, item, "guest_port"), 1, 65535));
    return pf;
}

// A proto/host_port pair can be forwarded once per uplink, across all the nat
// networks on it. (A forwarded port inside the uplink's masquerade `ports` is
// fine: the NAT leaves it out of its pool.)
void Loader::check_forward_clash(const Field& host_port, const PortForward& pf, const std::string& network,
                                 const std::string& uplink, const std::vector<PortForward>& same_network,
                                 const Config& config) const {
    auto check = [&](const std::string& network_name, const std::vector<PortForward>& forwards) {
        for (const PortForward& other : forwards)
            if (other.proto == pf.proto && other.host_port == pf.host_port)
                fail(host_port, "host_port " + std::to_string(pf.host_port) + "/" + proto_name(pf.proto) +
                                    " is already forwarded by " + network_name + "." + other.name);
    };
    for (const auto& [name, other] : config.networks) {
        if (other.overlay && other.overlay->uplink == uplink && pf.proto == 17 && pf.host_port == overlay::kVxlanPort)
            fail(host_port, "host_port 4789/udp of uplink '" + uplink + "' is VXLAN's: network '" + name +
                                "''s overlay uses it");
        if (!other.nat) continue;
        if (other.nat->uplink == uplink) {
            check(name, other.nat->port_forwards);
        } else if (other.nat->host_uplink == uplink) {
            std::vector<PortForward> host_side;  // those it puts on `uplink` too
            for (const PortForward& o : other.nat->port_forwards)
                if (o.on_host_addresses()) host_side.push_back(o);
            check(name, host_side);
        }
    }
    check(network, same_network);
}

NatTimeouts Loader::timeouts(const Field& f) const {
    NatTimeouts t;
    for (const Field& field : map_fields(f, {"tcp_established", "tcp_transitory", "udp", "icmp"})) {
        auto seconds = static_cast<uint32_t>(number(field, 1, kMaxNatTimeout, "seconds"));
        std::string_view key = field.key.Scalar();
        if (key == "tcp_established") {
            t.tcp_established = seconds;
        } else if (key == "tcp_transitory") {
            t.tcp_transitory = seconds;
        } else if (key == "udp") {
            t.udp = seconds;
        } else if (key == "icmp") {
            t.icmp = seconds;
        }
    }
    return t;
}

}  // namespace vsw::config_internal
