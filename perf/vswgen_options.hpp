// vswgen's command line (after EAL's "--"); see the top of vswgen.cpp.
#pragma once

#include <rte_ether.h>

#include <cstdint>
#include <string>
#include <vector>

namespace vswgen {

struct Options {
    std::string mode = "throughput";
    std::string size = "64";
    unsigned flows = 1;
    double rate = 0;          // total pps over all ports, 0 = max
    double duration = 10;
    double trial = 5;         // ndr trial length
    double loss_pct = 0;      // ndr tolerance
    double precision = 0.02;  // ndr stop when (hi-lo)/hi < precision
    unsigned max_trials = 12;
    unsigned warmup_rounds = 3;
    bool unidir = false;
    // queue pairs per port (the vdevs need queues=N too): each port sends its
    // bursts round the queues and receives on all of them
    unsigned queues = 1;
    bool json_out = false;
    // NAT roles (see the top comment); empty = every port "l2"
    std::vector<std::string> roles;
    rte_ether_addr src_mac{{0x02, 0x00, 0x00, 0x00, 0x00, 0x01}};  // inside frames' source
    rte_ether_addr dst_mac{{0x02, 0x00, 0x00, 0x00, 0x00, 0xfe}};  // inside frames' destination (NAT gateway)
    uint32_t src_ip = (10u << 24) | 2;                 // inside socket s: src_ip + s
    uint16_t src_port = 10000;
    uint32_t sockets = 0;                              // 0 = min(flows, 1024)
    uint32_t dst_ip = (198u << 24) | (18u << 16) | 1;  // remote r: dst_ip + (r & 0xffff)
    uint16_t dst_port = 5000;                          //           dst_port + (r >> 16)
    bool new_flows = false;
    // UDP/IPv6 instead of IPv4 (NAT66): inside sources fd17:625c:f037:2::<src_ip>,
    // remotes 2001:db8:100::<dst_ip> (the IPv4 numbers as the low 32 bits).
    bool ipv6 = false;
    double arp_wait = 0;       // s to wait for an ARP request on each reflect/sink port
};

// Parses the options; prints usage and exits 2 on a bad one (0 on --help).
Options parse_options(int argc, char** argv);

}  // namespace vswgen
