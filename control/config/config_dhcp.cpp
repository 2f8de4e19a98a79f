// YAML topology loader, part three: the `dhcp` key of a network (server,
// range, lease, dns, domain, static leases). The reading helpers and the other
// sections are in config.cpp; uplinks and the NAT keys in config_nat.cpp.
#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include "config_loader.hpp"

namespace vsw::config_internal {

namespace {

std::string range_text(Ipv4 first, Ipv4 last) {
    return first.to_string() + "-" + last.to_string();
}

}  // namespace

// On a nat network vsw itself is the DHCP server (by default on the gateway
// address) and always hands out the gateway as router; the DNS server handed
// out is dhcp.dns if given, else the network's dns address if it has one.
std::optional<DhcpConfig> Loader::dhcp(const Field& f, const NetworkConfig& net) const {
    if (f.value.IsScalar()) {
        bool on = false;
        if (!YAML::convert<bool>::decode(f.value, on))
            fail(f, "'" + f.value.Scalar() + "' is not a DHCP setting (expected a map, true or false)");
        if (!on) return std::nullopt;
    }
    if (!net.subnet)
        fail_key(f, "DHCP needs a subnet: add 'subnet' to network '" + net.name + "'");
    std::vector<Field> fields;
    if (!f.value.IsScalar())
        fields = map_fields(f, {"server", "range", "lease", "dns", "domain", "static"});
    return dhcp_settings(f, fields, net);
}

// `f` is the dhcp key, or the network when these are a nat network's defaults.
DhcpConfig Loader::dhcp_settings(const Field& f, const std::vector<Field>& fields, const NetworkConfig& net) const {
    const Subnet& sn = *net.subnet;
    std::optional<Ipv4> host_addr;
    if (net.host_interface) host_addr = net.host_interface->address;
    std::vector<Reserved> reserved = reserved_addresses(net);

    DhcpConfig d;
    uint32_t hosts = (uint32_t{1} << (32 - sn.prefix_len)) - 2;
    // VirtualBox's DHCP server: the gateway in its NAT, .3 in its NAT Network.
    d.server = !net.nat ? sn.host(hosts < 101 ? 2 : 100) : net.nat->nat_network ? sn.host(3) : net.nat->gateway;
    const Field* server = find(fields, "server");
    if (server) d.server = ipv4(*server);
    std::string server_what = server ? "server" : "default server";
    std::string server_hint = server ? "" : "; set dhcp.server";
    check_host_address(server ? *server : f, server_what, d.server, sn);
    if (host_addr && d.server == *host_addr)
        fail_given_or(server, f, server_what + " " + d.server.to_string() +
                                     " is the host interface address" + server_hint);

    dhcp_range(f, find(fields, "range"), server != nullptr, net, reserved, d);

    for (const Field& field : fields) {
        std::string_view key = field.key.Scalar();
        if (key == "lease") {
            d.lease_seconds = static_cast<uint32_t>(number(field, 60, 604800, "seconds"));
        } else if (key == "dns") {
            for (const Field& item : list_items(field)) d.dns.push_back(ipv4(item));
        } else if (key == "domain") {
            d.domain = scalar(field);
            if (!valid_name(d.domain, ".-") || d.domain.size() > 253)
                fail(field, "'" + d.domain + "' is not a valid domain name");
        } else if (key == "static") {
            d.statics = statics(field, d, sn, reserved);
        }
    }
    if (net.nat) {
        d.router = net.nat->gateway;
        if (!find(fields, "dns") && net.nat->dns) d.dns = {*net.nat->dns};
    }
    return d;
}

// Sets d.range_first/last from `range` (null when absent: then the pool is
// the rest of the subnet after the server, and on a nat network also after the
// gateway and dns addresses) and checks them. `f` is the dhcp field.
void Loader::dhcp_range(const Field& f, const Field* range, bool server_given, const NetworkConfig& net,
                        const std::vector<Reserved>& reserved, DhcpConfig& d) const {
    const Subnet& sn = *net.subnet;
    std::string range_hint = range ? "" : "; set dhcp.range";
    if (range) {
        std::tie(d.range_first, d.range_last) = parse_range(*range);
    } else {
        Ipv4 after = d.server;
        if (net.nat)
            for (const Reserved& r : reserved) after = std::max(after, r.address);
        d.range_first = Ipv4{after.value + 1};
        // VirtualBox's NAT hands out .15 first: where the subnet has room, so do we.
        if (net.nat && !net.nat->nat_network && sn.host(15) > after && sn.host(15) < sn.broadcast())
            d.range_first = sn.host(15);
        d.range_last = Ipv4{sn.broadcast().value - 1};
        // A large subnet's default pool is its first kMaxDhcpRange addresses.
        if (net.nat && d.range_first <= d.range_last &&
            uint64_t{d.range_last.value} - d.range_first.value + 1 > kMaxDhcpRange)
            d.range_last = Ipv4{static_cast<uint32_t>(d.range_first.value + kMaxDhcpRange - 1)};
        if (d.range_first > d.range_last)
            fail_key(f, std::string("no addresses left for a default range after ") +
                            (after == d.server ? "server " : "") + after.to_string() + " in " +
                            sn.to_string() + range_hint);
    }
    std::string head = (range ? "range " : "default range ") +
                       range_text(d.range_first, d.range_last);
    auto bad_range = [&](const std::string& what) { fail_given_or(range, f, head + what); };
    auto includes = [&](Ipv4 a) { return d.range_first <= a && a <= d.range_last; };
    if (!sn.contains(d.range_first) || !sn.contains(d.range_last))
        bad_range(" is not inside subnet " + sn.to_string());
    if (d.range_first > d.range_last)
        bad_range(" is reversed (the first address is after the last)");
    if (includes(sn.network))
        bad_range(" includes the network address " + sn.network.to_string());
    if (includes(sn.broadcast()))
        bad_range(" includes the broadcast address " + sn.broadcast().to_string());
    for (const Reserved& r : reserved)
        if (includes(r.address))
            bad_range(" includes the " + r.what + " address " + r.address.to_string() + range_hint);
    std::string server_what = server_given ? "server" : "default server";
    std::string server_hint = server_given ? "" : "; set dhcp.server";
    if (includes(d.server))
        bad_range(" includes the " + server_what + " address " + d.server.to_string() +
                  (server_given ? range_hint : server_hint));
    uint64_t size = uint64_t{d.range_last.value} - d.range_first.value + 1;
    if (size > kMaxDhcpRange)
        bad_range(" has " + std::to_string(size) + " addresses; at most " +
                  std::to_string(kMaxDhcpRange) + " are supported");
}

std::pair<Ipv4, Ipv4> Loader::parse_range(const Field& f) const {
    std::string text = scalar(f);
    size_t dash = text.find('-');
    if (dash == std::string::npos)
        fail(f, "'" + text + "' is not a range (expected first-last, like " +
                    "192.168.56.101-192.168.56.254)");
    auto trim = [](std::string s) {
        size_t b = s.find_first_not_of(' '), e = s.find_last_not_of(' ');
        return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
    };
    std::string first = trim(text.substr(0, dash)), last = trim(text.substr(dash + 1));
    auto a = Ipv4::parse(first);
    if (!a) fail(f, first + " is not an IPv4 address");
    auto b = Ipv4::parse(last);
    if (!b) fail(f, last + " is not an IPv4 address");
    return {*a, *b};
}

std::vector<DhcpStaticLease> Loader::statics(const Field& f, const DhcpConfig& d, const Subnet& sn,
                                             const std::vector<Reserved>& reserved) const {
    std::vector<DhcpStaticLease> out;
    for (const Field& item : list_items(f)) {
        std::vector<Field> fields = map_fields(item, {"mac", "ip"});
        DhcpStaticLease lease;
        const Field& mac = require(fields, item, "mac");
        lease.mac = unicast_mac(mac);
        const Field& ip = require(fields, item, "ip");
        lease.ip = ipv4(ip);
        for (const DhcpStaticLease& other : out) {
            if (other.mac == lease.mac)
                fail(mac, "MAC " + lease.mac.to_string() + " already has a static lease");
            if (other.ip == lease.ip)
                fail(ip, "IP " + lease.ip.to_string() + " is already given to " +
                             other.mac.to_string());
        }
        check_host_address(ip, "IP", lease.ip, sn);
        if (lease.ip == d.server)
            fail(ip, "IP " + lease.ip.to_string() + " is the DHCP server address");
        for (const Reserved& r : reserved)
            if (lease.ip == r.address)
                fail(ip, "IP " + lease.ip.to_string() + " is the " + r.what + " address");
        out.push_back(lease);
    }
    return out;
}

}  // namespace vsw::config_internal
