// Port forwards on the host's 127.0.0.1 (VBoxManage's `natpf "ssh,tcp,
// 127.0.0.1,2222,,22"`), for a NAT network on a kernel uplink. The forward
// itself is served by the datapath at the uplink's address like any other;
// what 127.0.0.1 adds is on the host's side, in the TAP's network namespace:
// an nftables table that sends the host's own connections to
// 127.0.0.1:<host_port> to <uplink address>:<host_port> (DNAT in the output
// hook) and gives them the TAP's own address as their source (masquerade),
// since 127.0.0.1 means nothing to a guest. The kernel routes a packet from
// 127.0.0.1 out of the TAP only with its route_localnet on
// (Switch::sync_host_loopback).
//
// The same table holds an uplink's `kernel.outbound` rule: what vsw sends
// from its uplink address through the TAP and the host routes onward (its
// default route) is masqueraded to the host's own address there.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <tl/expected.hpp>

#include "../../common/addr.hpp"

namespace vsw {

struct LoopbackForward {
    uint8_t proto = 6;         // 6 tcp | 17 udp
    uint16_t host_port = 0;    // on 127.0.0.1 and on the uplink address alike
    // No host_ip (VBoxManage's "every host address"): the host's own
    // addresses, 127.0.0.1 among them, from the host itself (output) and from
    // elsewhere (prerouting, for connections the host routes in).
    bool every_address = false;
    bool operator==(const LoopbackForward&) const = default;
};

// vsw's nftables table for one kernel uplink's TAP: "vsw_<tap>".
std::string loopback_table_name(const std::string& tap);

// The nft script that makes table `loopback_table_name(tap)` hold exactly
// these forwards and, with `outbound`, the masquerade of the uplink's
// traffic routed onward, atomically (one transaction: create, delete,
// re-create); with neither it only removes the table.
std::string loopback_forward_script(const std::string& tap, Ipv4 uplink_address,
                                    const std::vector<LoopbackForward>& forwards, bool outbound = false);

// net.ipv4.ip_forward in namespace `netns` ("" = vswd's): sets it to `on`
// and returns what it was.
tl::expected<bool, std::string> set_ip_forward(const std::string& netns, bool on);

// Whether another program holds `port` (tcp 6 | udp 17) on 127.0.0.1, or on
// any address with `every_address`, in namespace `netns`: then a forward
// there would take its connections (the DNAT comes first). Tested by
// binding a socket of our own.
tl::expected<bool, std::string> host_port_in_use(const std::string& netns, const LoopbackForward& f);

// Runs `nft -f <script>` in network namespace `netns` ("" = vswd's).
tl::expected<void, std::string> run_nft(const std::string& netns, const std::string& script);

}  // namespace vsw
