#include "config_warnings.hpp"

namespace vsw {

std::vector<std::string> config_warnings(const Config& config) {
    std::vector<std::string> out;
    for (const auto& [name, net] : config.networks) {
        if (net.nat && !net.dhcp)
            out.push_back("networks." + name + ": NAT without DHCP (dhcp: false): guests need a static address in " +
                          net.subnet->to_string() + " and router " + net.nat->gateway.to_string());
        if (net.nat && !net.nat->dns) {
            const UplinkConfig& up = config.uplinks.at(net.nat->uplink);
            out.push_back("networks." + name + ": NAT without a DNS address: " +
                          (up.resolver ? std::string("dns is off") : "uplink '" + up.name +
                                                                          "' has no resolver and the host has none "
                                                                          "vswd can reach (set uplinks." +
                                                                          up.name + ".resolver)") +
                          "; guests need a resolver of their own");
        }
        bool has_port = false;
        for (const auto& [pname, p] : config.ports) has_port = has_port || p.network == name;
        if (!has_port && !net.host_interface)
            out.push_back("networks." + name + ": no port is on it (add one under ports with network: " + name + ")");
    }
    return out;
}

}  // namespace vsw
