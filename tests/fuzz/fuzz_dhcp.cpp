// Fuzzes vsw::DhcpServer::handle_frame and expire (control/services/dhcp): a fresh
// server for 192.168.56.0/24 per input (no lease file), fed a sequence of
// client frames so that whole exchanges (DISCOVER, REQUEST, RENEW, RELEASE,
// DECLINE, INFORM) can happen.
//
// Input: records of [dt:1][port:1][len:2 big endian][frame:len]. `dt`
// advances the clock (bit 7: by dt&0x7f minutes, else seconds) before the
// frame; `port` & 3 is the switch port it came from (0: untracked, 1: "vm1"
// with max_leases 2, 2: "vm2" unlimited, 3: "vm3" pinned, max_leases 1). A
// frame cut short by the end of the input is still handled.
//
// Invariants: every reply is a well-formed Ethernet/IPv4/UDP BOOTREPLY from
// the server (IPv4 and UDP checksums verify, xid echoed); every lease lies in
// the subnet, a dynamic one in the range, a static one at its MAC's address;
// no MAC holds two acknowledged leases.
#include <spdlog/spdlog.h>

#include <cstddef>
#include <cstdint>
#include <map>
#include <set>
#include <span>

#include "../../control/services/dhcp/dhcp_server.hpp"
#include "fuzz_common.hpp"

using namespace vsw;
using fuzz::be16;
using fuzz::be32;

namespace {

const Mac kServerMac{{0x02, 0x76, 0x73, 0, 0, 0x38}};
const Subnet kSubnet{Ipv4{0xc0a83800}, 24};  // 192.168.56.0/24
const Mac kStaticMac{{0x52, 0x54, 0, 0, 0, 0x05}};
const Ipv4 kStaticIp{0xc0a83805};             // .5
const Ipv4 kServer{0xc0a83864};               // .100
const DhcpClientPort kPorts[4] = {{"", UINT32_MAX}, {"vm1", 2}, {"vm2", UINT32_MAX}, {"vm3", 1}};

DhcpConfig config() {
    DhcpConfig c;
    c.server = kServer;
    c.range_first = Ipv4{0xc0a83865};   // .101
    c.range_last = Ipv4{0xc0a838fe};    // .254
    c.lease_seconds = 600;
    c.statics = {{kStaticMac, kStaticIp}};
    c.dns = {Ipv4{0xc0a83801}};
    c.domain = "example.lan";
    return c;
}

void check_reply(const std::vector<uint8_t>& f, std::span<const uint8_t> request) {
    FUZZ_CHECK(f.size() >= 14 + 20 + 8 + 300);
    FUZZ_CHECK(std::equal(kServerMac.bytes.begin(), kServerMac.bytes.end(), f.begin() + 6));
    FUZZ_CHECK(be16(&f[12]) == 0x0800);
    const uint8_t* ip = &f[14];
    FUZZ_CHECK(ip[0] == 0x45 && ip[9] == 17 && be16(ip + 2) == f.size() - 14);
    FUZZ_CHECK(fuzz::ip_header_verifies(ip, 20));
    FUZZ_CHECK(be32(ip + 12) == kServer.value);
    const uint8_t* udp = ip + 20;
    FUZZ_CHECK(be16(udp) == 67 && be16(udp + 4) == f.size() - 14 - 20);
    FUZZ_CHECK(fuzz::l4_verifies(ip, 17, udp, be16(udp + 4)));
    const uint8_t* m = udp + 8;
    FUZZ_CHECK(m[0] == 2 && m[1] == 1 && m[2] == 6);
    FUZZ_CHECK(be32(m + 236) == 0x63825363);
    FUZZ_CHECK(m[240] == 53 && m[241] == 1);   // the message type comes first
    // The request was parsed, so its BOOTP message is where its IHL says.
    const size_t req_ihl = (request[14] & 0x0f) * 4u;
    FUZZ_CHECK(std::equal(m + 4, m + 8, request.begin() + 14 + req_ihl + 8 + 4));  // xid
    FUZZ_CHECK(std::equal(m + 28, m + 44, request.begin() + 14 + req_ihl + 8 + 28));  // chaddr
}

void check_leases(const DhcpServer& server, const DhcpConfig& c) {
    std::set<Mac> acked;
    for (const DhcpLease& l : server.leases()) {
        FUZZ_CHECK(kSubnet.contains(l.ip));
        if (l.is_static) {
            FUZZ_CHECK(l.mac == kStaticMac && l.ip == kStaticIp);
        } else {
            FUZZ_CHECK(l.ip >= c.range_first && l.ip <= c.range_last && l.ip != c.server);
            FUZZ_CHECK(l.ip != kStaticIp);
        }
        FUZZ_CHECK(l.hostname.size() <= 63);
        if (!l.offered_only) FUZZ_CHECK(acked.insert(l.mac).second);
    }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    spdlog::set_level(spdlog::level::off);
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const DhcpConfig c = config();
    DhcpServer server("fuzz", kSubnet, c, kServerMac, "");
    int64_t now = 1'700'000'000;
    size_t i = 0;
    while (i + 4 <= size) {
        const uint8_t dt = data[i];
        now += dt & 0x80 ? int64_t{dt & 0x7f} * 60 : dt;
        const DhcpClientPort& from = kPorts[data[i + 1] & 3];
        const size_t len = std::min<size_t>(be16(data + i + 2), size - i - 4);
        auto frame = fuzz::exact_copy(data + i + 4, len);
        const std::span<const uint8_t> in(frame.get(), len);
        if (auto reply = server.handle_frame(in, now, from)) check_reply(*reply, in);
        check_leases(server, c);
        i += 4 + len;
    }
    server.expire(now + 30);
    check_leases(server, c);
    server.expire(now + 100000);
    for (const DhcpLease& l : server.leases()) FUZZ_CHECK(l.is_static && !l.offered_only);
    return 0;
}
