// Fuzzes vsw::load_config_string (control/config/config.cpp), the YAML loader:
// whatever the text, it returns a Config or a ConfigError, never throws,
// crashes or hangs. An exception that escaped it would end here uncaught
// (std::terminate: a crash that libFuzzer records).
//
// Invariants: an error has a message, a place inside the text (or none);
// a loaded config is self-consistent (every port's network exists, every NAT
// network's uplink exists) and loading it again gives the same answer.
#include <cstddef>
#include <cstdint>
#include <string>

#include "config.hpp"
#include "fuzz_common.hpp"

using namespace vsw;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string text(reinterpret_cast<const char*>(data), size);
    const auto r = load_config_string(text, "fuzz.yaml");
    if (!r) {
        const ConfigError& e = r.error();
        FUZZ_CHECK(!e.message.empty());
        FUZZ_CHECK(e.file == "fuzz.yaml");
        FUZZ_CHECK(e.line >= 0 && e.column >= 0);
        FUZZ_CHECK(!e.to_string().empty());
        return 0;
    }
    const Config& c = *r;
    FUZZ_CHECK(!c.switch_config.cores.empty());
    for (const auto& [name, port] : c.ports) {
        FUZZ_CHECK(name == port.name);
        FUZZ_CHECK(c.networks.count(port.network) == 1);
        FUZZ_CHECK(!port.socket.empty() && port.socket[0] == '/');
    }
    for (const auto& [name, net] : c.networks) {
        FUZZ_CHECK(name == net.name);
        if (net.mode == NetworkMode::nat) {
            FUZZ_CHECK(net.nat.has_value() && net.subnet.has_value());
            FUZZ_CHECK(c.uplinks.count(net.nat->uplink) == 1);
            FUZZ_CHECK(net.subnet->contains(net.nat->gateway));
        }
        if (net.mode == NetworkMode::host_only) FUZZ_CHECK(net.subnet.has_value() && net.host_interface.has_value());
        if (net.dhcp) {
            FUZZ_CHECK(net.subnet.has_value());
            FUZZ_CHECK(net.dhcp->range_first <= net.dhcp->range_last);
            FUZZ_CHECK(net.subnet->contains(net.dhcp->range_first) && net.subnet->contains(net.dhcp->range_last));
        }
    }
    for (const auto& [name, up] : c.uplinks) FUZZ_CHECK(up.port_first <= up.port_last);
    // Loading is a function of the text.
    const auto again = load_config_string(text, "fuzz.yaml");
    FUZZ_CHECK(again.has_value() && again->ports.size() == c.ports.size() &&
               again->networks.size() == c.networks.size() && again->uplinks.size() == c.uplinks.size());
    return 0;
}
