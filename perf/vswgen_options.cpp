#include "vswgen_options.hpp"

#include <cstdio>
#include <cstdlib>

namespace vswgen {

namespace {

[[noreturn]] void usage(int rc) {
    std::fprintf(stderr,
                 "usage: vswgen EAL-ARGS -- [--mode throughput|ndr] [--size 64|512|1518|imix] [--flows N]\n"
                 "       [--rate PPS] [--duration S] [--unidir] [--queues N] [--trial S] [--loss-pct P]\n"
                 "       [--precision F] [--max-trials N] [--warmup-rounds N] [--json]\n"
                 "       [--roles l2|inside|reflect|sink|vtep,...] [--src-mac MAC] [--dst-mac MAC] [--src-ip IP]\n"
                 "       [--src-port P] [--sockets S] [--dst-ip IP] [--dst-port P] [--new-flows] [--arp-wait S]\n"
                 "       [--ipv6]\n");
    std::exit(rc);
}

}  // namespace

Options parse_options(int argc, char** argv) {
    Options o;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        auto next = [&]() -> std::string {
            if (i + 1 >= argc) usage(2);
            return argv[++i];
        };
        if (a == "--mode") o.mode = next();
        else if (a == "--size") o.size = next();
        else if (a == "--flows") o.flows = std::strtoul(next().c_str(), nullptr, 10);
        else if (a == "--rate") o.rate = std::strtod(next().c_str(), nullptr);
        else if (a == "--duration") o.duration = std::strtod(next().c_str(), nullptr);
        else if (a == "--trial") o.trial = std::strtod(next().c_str(), nullptr);
        else if (a == "--loss-pct") o.loss_pct = std::strtod(next().c_str(), nullptr);
        else if (a == "--precision") o.precision = std::strtod(next().c_str(), nullptr);
        else if (a == "--max-trials") o.max_trials = std::strtoul(next().c_str(), nullptr, 10);
        else if (a == "--warmup-rounds") o.warmup_rounds = std::strtoul(next().c_str(), nullptr, 10);
        else if (a == "--unidir") o.unidir = true;
        else if (a == "--queues") o.queues = std::strtoul(next().c_str(), nullptr, 10);
        else if (a == "--roles") {
            std::string v = next();
            for (size_t b = 0, e; b <= v.size(); b = e + 1) {
                e = v.find(',', b);
                if (e == std::string::npos) e = v.size();
                o.roles.push_back(v.substr(b, e - b));
            }
        }
        else if (a == "--src-mac" || a == "--dst-mac") {
            rte_ether_addr& mac = a == "--src-mac" ? o.src_mac : o.dst_mac;
            if (rte_ether_unformat_addr(next().c_str(), &mac) != 0) usage(2);
        }
        else if (a == "--src-ip" || a == "--dst-ip") {
            unsigned b[4];
            if (std::sscanf(next().c_str(), "%u.%u.%u.%u", &b[0], &b[1], &b[2], &b[3]) != 4) usage(2);
            (a == "--src-ip" ? o.src_ip : o.dst_ip) = (b[0] << 24) | (b[1] << 16) | (b[2] << 8) | b[3];
        }
        else if (a == "--src-port") o.src_port = uint16_t(std::strtoul(next().c_str(), nullptr, 10));
        else if (a == "--dst-port") o.dst_port = uint16_t(std::strtoul(next().c_str(), nullptr, 10));
        else if (a == "--sockets") o.sockets = std::strtoul(next().c_str(), nullptr, 10);
        else if (a == "--new-flows") o.new_flows = true;
        else if (a == "--ipv6") o.ipv6 = true;
        else if (a == "--arp-wait") o.arp_wait = std::strtod(next().c_str(), nullptr);
        else if (a == "--json") o.json_out = true;
        else if (a == "-h" || a == "--help") usage(0);
        else { std::fprintf(stderr, "vswgen: unknown option %s\n", a.c_str()); usage(2); }
    }
    if (o.mode != "throughput" && o.mode != "ndr") usage(2);
    if (o.queues < 1 || o.queues > 8) usage(2);
    for (const auto& r : o.roles)
        if (r != "l2" && r != "inside" && r != "reflect" && r != "sink" && r != "vtep") {
            std::fprintf(stderr, "vswgen: --roles: unknown role %s\n", r.c_str());
            std::exit(2);
        }
    if (o.flows == 0 || o.flows > (1u << 24)) { std::fprintf(stderr, "vswgen: --flows 1..16M\n"); std::exit(2); }
    return o;
}

}  // namespace vswgen
