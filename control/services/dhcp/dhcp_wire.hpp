// The DHCP wire format (RFC 2131 and 2132): a client's frame parsed into a
// Request, and the server's reply built as a complete Ethernet/IPv4/UDP
// frame. Pure functions; the lease logic is DhcpServer's (dhcp_server.cpp).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "../../../common/addr.hpp"
#include "../../config/config.hpp"

namespace vsw {

// A client's hostname option made safe to store and print: printable ASCII
// without spaces, up to the first NUL, at most 63 bytes.
std::string sanitize_dhcp_hostname(const std::vector<uint8_t>& raw);

namespace dhcp {

enum : uint8_t {  // message types (option 53)
    kDiscover = 1, kOffer = 2, kRequest = 3, kDecline = 4,
    kAck = 5, kNak = 6, kRelease = 7, kInform = 8,
};

// A parsed, validated client message.
struct Request {
    Mac src_mac;                 // Ethernet source
    uint8_t type = 0;            // option 53; 0 when absent
    uint32_t xid = 0;
    uint16_t flags = 0;
    Ipv4 ciaddr, giaddr;
    std::array<uint8_t, 16> chaddr{};
    Mac mac;                     // chaddr[0..6), the lease key
    std::optional<Ipv4> requested;   // option 50
    std::optional<Ipv4> server_id;   // option 54
    std::string hostname;            // option 12
};

// A BOOTREQUEST to port 67 in Ethernet/IPv4/UDP; nullopt when malformed
// (or not DHCP).
std::optional<Request> parse_request(std::span<const uint8_t> frame);

// What a reply says about the server and its network.
struct ReplySettings {
    const DhcpConfig& config;    // server address, lease time, router, dns, domain
    const Subnet& subnet;
    const Mac& mac;              // the server's
};

// The reply of `type` to `rq` offering or acknowledging `yiaddr` (0: none);
// `lease_options` adds the lease, renewal and rebinding times. Addressed as
// RFC 2131 4.1 says (relay, broadcast flag, ciaddr, NAK).
std::vector<uint8_t> build_reply(const Request& rq, const ReplySettings& server, uint8_t type, Ipv4 yiaddr,
                                 bool lease_options);

}  // namespace dhcp
}  // namespace vsw
