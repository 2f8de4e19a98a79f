// vswctl: the operator's CLI for a running vswd (talks to <run_dir>/vswd.sock).
//   vswctl [--socket PATH] [--json] show|stats|fdb|leases|sessions [NETWORK] [--guest IP] [--proto P] [--limit N]|reload
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>

#include "cli_parse.hpp"
#include "ctl_server.hpp"
#include "metrics.hpp"

using nlohmann::json;

namespace {

std::string str(const json& j, const char* key) {
    auto it = j.find(key);
    if (it == j.end() || it->is_null()) return "-";
    return it->is_string() ? it->get<std::string>() : it->dump();
}

void print_show(const json& d) {
    fmt::print("config {} (generation {}, {} worker(s))\n\nNETWORKS\n", str(d, "config"), str(d, "generation"),
               str(d, "workers"));
    for (const json& n : d["networks"]) {
        fmt::print("  {:<16} {:<10} subnet {:<18}", str(n, "name"), str(n, "mode"), str(n, "subnet"));
        if (n.contains("host_interface"))
            fmt::print(" host {} {}{} ({})", str(n["host_interface"], "name"), str(n["host_interface"], "address"),
                       n["host_interface"].value("address6", "").empty() ? "" : " " + str(n["host_interface"], "address6"),
                       str(n["host_interface"], "link"));
        if (n.contains("subnet6")) fmt::print(" subnet6 {} (router advertisements, SLAAC)", str(n, "subnet6"));
        if (n.contains("gateway6"))
            fmt::print(" NAT66 gateway6 {} dns6 {}", str(n, "gateway6"), str(n, "dns6").empty() ? "-" : str(n, "dns6"));
        if (n.contains("dhcp"))
            fmt::print(" dhcp {} pool {}", str(n["dhcp"], "server"), str(n["dhcp"], "range"));
        if (n.contains("nat")) {
            const json& nat = n["nat"];
            fmt::print(" gateway {} dns {} uplink {}", str(nat, "gateway"), str(nat, "dns"), str(nat, "uplink"));
            const std::string host_alias = nat.value("host_loopback", "");
            fmt::print(" host_loopback {}", host_alias.empty() ? "off" : host_alias + " -> 127.0.0.1");
            const std::string host_uplink = nat.value("host_uplink", "");
            if (!host_uplink.empty() && host_uplink != nat.value("uplink", "")) fmt::print(" (via {})", host_uplink);
            for (const json& f : nat["port_forwards"])
                fmt::print("\n{:20}forward {:<10} {} {}:{} -> {}:{}", "", str(f, "name"), str(f, "proto"),
                           f["host_ip"].get<std::string>().empty() ? "*" : str(f, "host_ip"), str(f, "host_port"),
                           str(f, "guest_ip"), str(f, "guest_port"));
        }
        if (n.contains("overlay")) {  // VXLAN: the VNI, our VTEP, each remote and the MACs behind it
            const json& o = n["overlay"];
            fmt::print("\n{:20}overlay vni {} uplink {} vtep {} guest mtu {}{}", "", str(o, "vni"), str(o, "uplink"),
                       str(o, "local_vtep"), str(o, "guest_mtu"), o.value("active", false) ? "" : " (uplink down)");
            if (o.contains("evpn") && o["evpn"].is_object()) {
                const json& e = o["evpn"];
                const std::string ns = e.value("netns", "");
                const std::string err = e.value("error", "");
                fmt::print("\n{:20}evpn: mirror {} in {}, {} remote MAC(s) from FRR{}", "", str(e, "mirror"),
                           ns.empty() ? "vswd's namespace" : "namespace " + ns, str(e, "remote_macs"),
                           err.empty() ? "" : " (error: " + err + ")");
            }
            for (const json& r : o["remotes"]) {
                std::string macs;
                for (const json& m : r["macs"]) macs += " " + m.get<std::string>();
                fmt::print("\n{:22}remote {} ({}) next hop {} macs:{}", "", str(r, "vtep"), str(r, "from"),
                           r["next_hop_mac"].get<std::string>().empty() ? "unresolved" : str(r, "next_hop_mac"),
                           macs.empty() ? " -" : macs);
            }
        }
        fmt::print("\n");
    }
    if (d.contains("uplinks") && !d["uplinks"].empty()) {
        fmt::print("\nUPLINKS\n");
        for (const json& u : d["uplinks"])
            fmt::print("  {:<16} {:<28} {} mac {} gateway {} ({}) resolver {} ports {} link {}\n", str(u, "name"),
                       str(u, "device"), str(u, "address"), str(u, "mac"), str(u, "gateway"),
                       u["gateway_mac"].get<std::string>().empty() ? "unresolved" : str(u, "gateway_mac"),
                       str(u, "resolver").empty() ? "-"
                       : u.value("resolver_from_host", false) ? str(u, "resolver") + " (the host's)"
                                                              : str(u, "resolver"),
                       str(u, "ports"), str(u, "link"));
        for (const json& u : d["uplinks"])
            if (u.contains("address6"))
                fmt::print("  {}: IPv6 {} gateway6 {} ({}) resolver6 {}\n", str(u, "name"), str(u, "address6"),
                           str(u, "gateway6"),
                           u["gateway6_mac"].get<std::string>().empty() ? "unresolved" : str(u, "gateway6_mac"),
                           str(u, "resolver6").empty() ? "-" : str(u, "resolver6"));
        for (const json& u : d["uplinks"])
            if (!u.value("host_link_of", "").empty())
                fmt::print("  {}: the host link of {}: its networks reach the host{} through it\n", str(u, "name"),
                           str(u, "host_link_of"),
                           u.value("netns", "").empty() ? "" : " (namespace " + str(u, "netns") + ")");
    }
    fmt::print("\nPORTS\n  {:<16} {:<14} {:<6} {:<5} {:<6} {}\n", "NAME", "NETWORK", "MODE", "LINK", "WORKER",
               "SOCKET / MACS");
    for (const json& p : d["ports"]) {
        std::string macs;
        for (const json& m : p["macs"]) macs += " " + m.get<std::string>();
        const unsigned queues = p.value("queues", 1u);
        fmt::print("  {:<16} {:<14} {:<6} {:<5} {:<6} {}{}{}{}\n", str(p, "name"), str(p, "network"), str(p, "mode"),
                   str(p, "link"), str(p, "worker"), str(p, "socket"),
                   queues > 1 ? fmt::format(" queues {}", queues) : std::string(),
                   p["pinned_mac"].get<std::string>().empty() ? "" : " pinned " + str(p, "pinned_mac"),
                   macs.empty() ? std::string() : fmt::format("\n{:20}macs:{}", "", macs));
    }
}

void print_stats(const json& d) {
    fmt::print("{:<16} {:>12} {:>14} {:>12} {:>14} {:>9} {:>9}  {}\n", "PORT", "RX_PKTS", "RX_BYTES", "TX_PKTS",
               "TX_BYTES", "SLOWPATH", "DROPS", "DROPS BY REASON");
    for (const auto& [name, p] : d["ports"].items()) {
        std::string reasons;
        for (const auto& [r, v] : p["drops"].items())
            if (v.get<uint64_t>() != 0) reasons += fmt::format(" {}={}", r, v.get<uint64_t>());
        fmt::print("{:<16} {:>12} {:>14} {:>12} {:>14} {:>9} {:>9} {}\n", name, str(p, "rx_packets"),
                   str(p, "rx_bytes"), str(p, "tx_packets"), str(p, "tx_bytes"), str(p, "to_slow_path"),
                   str(p, "drops_total"), reasons);
        if (p.contains("queues")) {
            std::string queues;
            for (const json& q : p["queues"])
                queues += fmt::format(" [queue {} worker {}: rx {}]", str(q, "queue"), str(q, "worker"),
                                      str(q, "rx_packets"));
            fmt::print("{:<16}{}\n", "", queues);
        }
    }
    fmt::print("\nworkers:");
    for (const json& w : d["workers"])
        fmt::print(" [{}: rounds={} busy={} idle_sleeps={} learn={}]", str(w, "worker"), str(w, "rounds"),
                   str(w, "busy_rounds"), str(w, "idle_sleeps"), str(w, "learn_events"));
    for (const json& w : d["workers"])
        if (w.value("nat_sessions_created", 0) != 0)
            fmt::print("\nnat worker {}: in2out={} out2in={} sessions_created={} expired={} handoffs={} "
                       "icmp_errors={} fragments={} fragment_timeouts={}",
                       str(w, "worker"), str(w, "nat_in2out"), str(w, "nat_out2in"), str(w, "nat_sessions_created"),
                       str(w, "nat_sessions_expired"), str(w, "nat_handoffs"), str(w, "nat_icmp_errors"),
                       str(w, "nat_fragments"), str(w, "nat_fragment_timeouts"));
    for (const auto& [net, n] : d["nat"].items())
        fmt::print("\nnat {}: {} live sessions via uplink {}", net, str(n, "sessions"), str(n, "uplink"));
    if (d.contains("overlay"))
        for (const auto& [net, o] : d["overlay"].items())
        {
            std::string drops;
            for (const char* side : {"encap_drops", "uplink_decap_drops"})
                if (o.contains(side))
                    for (const auto& [r, v] : o[side].items())
                        if (v.get<uint64_t>() != 0) drops += fmt::format(" {}={}", r, v.get<uint64_t>());
            fmt::print("\noverlay {} (vni {}, {} remote(s)): encap={} ({} bytes, {} flood copies) decap={} ({} bytes){}",
                       net, str(o, "vni"), str(o, "remotes"), str(o, "encap_packets"), str(o, "encap_bytes"),
                       str(o, "replicated"), str(o, "decap_packets"), str(o, "decap_bytes"),
                       drops.empty() ? "" : " drops:" + drops);
        }
    if (d.contains("xdp"))
        for (const auto& [up, x] : d["xdp"].items())
            fmt::print("\nxdp {} (program {}): redirected={} passed={} redirect_failed={}{}", up,
                       str(x, "program_id"), str(x, "redirected"), str(x, "passed"), str(x, "redirect_failed"),
                       x.contains("error") ? " error: " + str(x, "error") : std::string());
    fmt::print("\nfdb: {} entries\n", str(d["fdb"], "entries"));
    for (const auto& [net, c] : d["dhcp"].items()) fmt::print("dhcp {}: {}\n", net, c.dump());
}

// Cycles per packet by datapath stage, from a -Dcycle_stats=true build.
void print_cycles(const json& d) {
    if (!d.value("cycle_stats", false)) {
        fmt::print("vswd was built without cycle counters: rebuild with `meson configure -Dcycle_stats=true`\n");
        return;
    }
    static const char* kStages[] = {"rx", "parse", "lookup", "forward", "nat", "tx"};
    fmt::print("{:<8}", "WORKER");
    for (const char* st : kStages) fmt::print(" {:>9}", st);
    fmt::print(" {:>9} {:>12} {:>14}\n", "TOTAL", "PACKETS", "EMPTY_POLLS_Mc");
    for (const json& w : d["workers"]) {
        const json& c = w["cycles"];
        const double pkts = std::max<double>(1.0, c["packets"].get<double>());
        double total = 0;
        fmt::print("{:<8}", str(w, "worker"));
        for (const char* st : kStages) {
            const double per = c[st].get<double>() / pkts;
            total += per;
            fmt::print(" {:>9.1f}", per);
        }
        fmt::print(" {:>9.1f} {:>12} {:>14.1f}\n", total, str(c, "packets"), c["empty_poll"].get<double>() / 1e6);
    }
    fmt::print("(cycles per received packet; TSC {:.2f} GHz)\n", d["tsc_hz"].get<double>() / 1e9);
}

void print_fdb(const json& d) {
    fmt::print("{:<16} {:<18} {:<16} {}\n", "NETWORK", "MAC", "PORT", "AGE(s)");
    for (const json& e : d)
        fmt::print("{:<16} {:<18} {:<16} {:.1f}\n", str(e, "network"), str(e, "mac"), str(e, "port"),
                   e["age"].get<double>());
}

void print_leases(const json& d) {
    fmt::print("{:<16} {:<16} {:<18} {:<8} {:<10} {}\n", "NETWORK", "IP", "MAC", "STATE", "EXPIRES", "HOSTNAME");
    for (const json& l : d)
        fmt::print("{:<16} {:<16} {:<18} {:<8} {:<10} {}\n", str(l, "network"), str(l, "ip"), str(l, "mac"),
                   l["static"].get<bool>() ? "static" : str(l, "state"),
                   l["static"].get<bool>() ? std::string("never") : str(l, "expires_in") + "s", str(l, "hostname"));
}

void print_sessions(const json& d, size_t matched) {
    fmt::print("{:<14} {:<5} {:<22} {:<22} {:<22} {:<12} {:>6} {:>10} {:>10}\n", "NETWORK", "PROTO", "INSIDE",
               "OUTSIDE", "REMOTE", "STATE", "IDLE", "PKTS_OUT", "PKTS_IN");
    for (const json& s : d)
        fmt::print("{:<14} {:<5} {:<22} {:<22} {:<22} {:<12} {:>6} {:>10} {:>10}\n", str(s, "network"),
                   str(s, "proto"), str(s, "inside"), str(s, "outside"), str(s, "remote"),
                   s.value("forward", false) ? str(s, "state") + "/fwd" : str(s, "state"), str(s, "idle"),
                   str(s, "packets_out"), str(s, "packets_in"));
    if (matched > d.size())
        fmt::print("{} of {} matching session(s) shown (--limit)\n", d.size(), matched);
    else
        fmt::print("{} session(s)\n", d.size());
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"vswctl - inspect and reload a running vswd", "vswctl"};
    app.set_version_flag("--version", std::string("vswctl ") + VSW_VERSION);
    app.footer("Exit status: 0 done; 1 vswd refused the command or could not be reached; 2 usage error.");
    const char* env_socket = std::getenv("VSW_SOCKET");
    std::string socket = env_socket != nullptr ? env_socket : "/run/vsw/vswd.sock";
    bool as_json = false;
    app.add_option("-s,--socket", socket, "vswd control socket (env VSW_SOCKET)")->capture_default_str();
    app.add_flag("--json", as_json, "print the raw JSON answer");
    app.require_subcommand(1);
    for (const char* c : {"show", "stats", "fdb", "leases", "sessions", "reload"}) app.add_subcommand(c);
    std::string network;
    bool cycles = false;
    app.get_subcommand("stats")->add_flag("--cycles", cycles, "cycles per packet by datapath stage");
    std::string format = "text";
    app.get_subcommand("stats")
        ->add_option("--format", format, "text, or prometheus (the text exposition format)")
        ->check(CLI::IsMember({"text", "prometheus"}));
    app.get_subcommand("sessions")->description("NAT sessions (inside, outside, remote, state, idle, packets)");
    app.get_subcommand("sessions")->add_option("network", network, "only this NAT network");
    std::string guest, proto;
    int64_t limit = 0;
    app.get_subcommand("sessions")->add_option("--guest", guest, "only this guest's (inside address)");
    app.get_subcommand("sessions")->add_option("--proto", proto, "only tcp, udp or icmp")
        ->check(CLI::IsMember({"tcp", "udp", "icmp"}));
    app.get_subcommand("sessions")->add_option("--limit", limit, "list at most N (default 4096, at most 65536)")
        ->check(CLI::Range(int64_t{1}, int64_t{65536}));
    app.get_subcommand("show")->description("networks, ports, link state, learned MACs");
    app.get_subcommand("stats")->description("per-port rx/tx packets and bytes, drops by reason");
    app.get_subcommand("fdb")->description("learned MAC table");
    app.get_subcommand("leases")->description("DHCP leases");
    app.get_subcommand("reload")->description("re-read the YAML and apply what changed");
    bool allow_empty = false, force = false;
    app.get_subcommand("reload")->add_flag("--allow-empty", allow_empty,
                                           "apply a file that declares no networks (removes everything)");
    app.get_subcommand("reload")->add_flag("--force", force, "apply even if it disconnects connected guests");
    for (auto* sub : app.get_subcommands({})) sub->add_flag("--json", as_json, "print the raw JSON answer");
    if (auto rc = vsw::parse_command_line(app, argc, argv)) return *rc;

    const std::string cmd = app.get_subcommands().front()->get_name();
    json request{{"cmd", cmd}};
    if (!network.empty()) request["network"] = network;
    if (!guest.empty()) request["guest"] = guest;
    if (!proto.empty()) request["proto"] = proto;
    if (limit != 0) request["limit"] = limit;
    if (allow_empty) request["allow_empty"] = true;
    if (force) request["force"] = true;
    auto resp = vsw::ctl_request(socket, request);
    if (!resp) {
        std::fprintf(stderr, "vswctl: %s\n", resp.error().c_str());
        return 1;
    }
    const json& r = *resp;
    if (as_json) {
        std::printf("%s\n", r.dump(2).c_str());
        return r.value("ok", false) ? 0 : 1;
    }
    if (!r.value("ok", false)) {
        std::fprintf(stderr, "vswctl: %s\n", r.value("error", std::string("failed")).c_str());
        return 1;
    }
    const json& d = r["data"];
    if (cmd == "show") print_show(d);
    else if (cmd == "stats" && cycles) print_cycles(d);
    else if (cmd == "stats" && format == "prometheus") std::fputs(vsw::prometheus_text(d).c_str(), stdout);
    else if (cmd == "stats") print_stats(d);
    else if (cmd == "fdb") print_fdb(d);
    else if (cmd == "leases") print_leases(d);
    else if (cmd == "sessions") print_sessions(d, r.value("matched", d.size()));
    else if (cmd == "reload") {
        for (const char* k : {"added", "removed", "changed"})
            for (const json& x : d[k]) fmt::print("{}: {}\n", k, x.get<std::string>());
        for (const json& x : d["notes"]) fmt::print("note: {}\n", x.get<std::string>());
        fmt::print("reloaded ({} unchanged)\n", d["unchanged"].size());
    }
    return 0;
}
