#include "metrics.hpp"

#include <fmt/format.h>

#include <cstdint>
#include <initializer_list>
#include <map>
#include <utility>
#include <vector>

namespace vsw {

namespace {

using json = nlohmann::json;
using Labels = std::vector<std::pair<std::string, std::string>>;

// A label value with \, " and newlines escaped as the format requires.
std::string escape(const std::string& v) {
    std::string out;
    for (char c : v) {
        if (c == '\\' || c == '"') out += '\\';
        if (c == '\n') {
            out += "\\n";
            continue;
        }
        out += c;
    }
    return out;
}

uint64_t number(const json& j, const char* key) {
    const auto it = j.find(key);
    return it != j.end() && it->is_number_unsigned() ? it->get<uint64_t>() : 0;
}

// Collects samples per metric so that each metric's HELP/TYPE come once,
// followed by all its samples (the format wants them grouped).
class Exposition {
public:
    void add(const std::string& name, const char* type, const char* help, const Labels& labels, uint64_t value) {
        Metric& m = metrics_[name];
        m.type = type;
        m.help = help;
        std::string l;
        for (const auto& [k, v] : labels) l += fmt::format("{}{}=\"{}\"", l.empty() ? "" : ",", k, escape(v));
        m.samples.push_back(l.empty() ? fmt::format("{} {}", name, value) : fmt::format("{}{{{}}} {}", name, l, value));
    }
    std::string text() const {
        std::string out;
        for (const auto& [name, m] : metrics_) {
            out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, m.help, name, m.type);
            for (const auto& s : m.samples) out += s + "\n";
        }
        return out;
    }

private:
    struct Metric {
        std::string type, help;
        std::vector<std::string> samples;
    };
    std::map<std::string, Metric> metrics_;
};

}  // namespace

std::string prometheus_text(const json& stats) {
    Exposition e;
    if (const auto ports = stats.find("ports"); ports != stats.end() && ports->is_object()) {
        for (const auto& [port, c] : ports->items()) {
            const Labels l{{"port", port}, {"network", c.value("network", "")}};
            e.add("vsw_port_rx_packets_total", "counter", "Frames received on a port.", l, number(c, "rx_packets"));
            e.add("vsw_port_rx_bytes_total", "counter", "Bytes received on a port.", l, number(c, "rx_bytes"));
            e.add("vsw_port_tx_packets_total", "counter", "Frames sent on a port.", l, number(c, "tx_packets"));
            e.add("vsw_port_tx_bytes_total", "counter", "Bytes sent on a port.", l, number(c, "tx_bytes"));
            e.add("vsw_port_slow_path_packets_total", "counter",
                  "Frames from a port handed to the control thread (DHCP, ARP, ping).", l, number(c, "to_slow_path"));
            if (const auto q = c.find("queues"); q != c.end() && q->is_array())
                for (const json& queue : *q) {
                    Labels ql = l;
                    ql.emplace_back("queue", std::to_string(number(queue, "queue")));
                    ql.emplace_back("worker", std::to_string(number(queue, "worker")));
                    e.add("vsw_port_rx_queue_packets_total", "counter",
                          "Frames received on one queue of a multi-queue port, and the worker that polls it.", ql,
                          number(queue, "rx_packets"));
                }
            if (const auto d = c.find("drops"); d != c.end() && d->is_object())
                for (const auto& [reason, n] : d->items()) {
                    Labels dl = l;
                    dl.emplace_back("reason", reason);
                    e.add("vsw_port_drops_total", "counter", "Frames dropped, by port and reason.", dl,
                          n.is_number_unsigned() ? n.get<uint64_t>() : 0);
                }
        }
    }
    if (const auto workers = stats.find("workers"); workers != stats.end() && workers->is_array()) {
        for (const json& w : *workers) {
            const Labels l{{"worker", std::to_string(number(w, "worker"))}};
            e.add("vsw_worker_rounds_total", "counter", "Poll rounds of a datapath worker.", l, number(w, "rounds"));
            e.add("vsw_worker_busy_rounds_total", "counter", "Poll rounds that found packets.", l,
                  number(w, "busy_rounds"));
            e.add("vsw_worker_idle_sleeps_total", "counter", "Idle back-off sleeps of a worker.", l,
                  number(w, "idle_sleeps"));
            for (const char* dir : {"in2out", "out2in"}) {
                Labels dl = l;
                dl.emplace_back("direction", dir);
                e.add("vsw_nat_packets_total", "counter", "Packets translated, by worker and direction.", dl,
                      number(w, (std::string("nat_") + dir).c_str()));
            }
            e.add("vsw_nat_sessions_created_total", "counter", "NAT sessions created.", l,
                  number(w, "nat_sessions_created"));
            e.add("vsw_nat_sessions_expired_total", "counter", "NAT sessions expired.", l,
                  number(w, "nat_sessions_expired"));
            e.add("vsw_nat_handoffs_total", "counter", "Packets handed to the worker that owns their session.", l,
                  number(w, "nat_handoffs"));
        }
    }
    if (const auto nat = stats.find("nat"); nat != stats.end() && nat->is_object())
        for (const auto& [network, n] : nat->items())
            e.add("vsw_nat_sessions", "gauge", "Live NAT sessions of a network.",
                  {{"network", network}, {"uplink", n.value("uplink", "")}}, number(n, "sessions"));
    if (const auto overlay = stats.find("overlay"); overlay != stats.end() && overlay->is_object())
        for (const auto& [network, o] : overlay->items()) {
            const std::string vni = std::to_string(o.value("vni", 0u));
            for (const char* dir : {"encap", "decap"}) {
                const Labels l{{"network", network}, {"vni", vni}, {"direction", dir}};
                e.add("vsw_overlay_packets_total", "counter",
                      "VXLAN frames sent to remote VTEPs (encap) and received from them (decap).", l,
                      number(o, (std::string(dir) + "_packets").c_str()));
                e.add("vsw_overlay_bytes_total", "counter", "Their inner frames' bytes.", l,
                      number(o, (std::string(dir) + "_bytes").c_str()));
            }
            e.add("vsw_overlay_flood_copies_total", "counter",
                  "Copies of flooded frames sent to remote VTEPs (head-end replication).",
                  {{"network", network}, {"vni", vni}}, number(o, "replicated"));
            e.add("vsw_overlay_remotes", "gauge", "Remote VTEPs of an overlay network (configured and EVPN's).",
                  {{"network", network}, {"vni", vni}}, number(o, "remotes"));
        }
    if (const auto dhcp = stats.find("dhcp"); dhcp != stats.end() && dhcp->is_object())
        for (const auto& [network, d] : dhcp->items()) {
            e.add("vsw_dhcp_leases", "gauge", "DHCP leases held, by network.", {{"network", network}},
                  number(d, "leases"));
            for (const auto& [event, n] : d.items()) {
                if (event == "leases" || !n.is_number_unsigned()) continue;
                e.add("vsw_dhcp_messages_total", "counter",
                      "DHCP messages by type, and refusals (malformed, pool_exhausted, ...).",
                      {{"network", network}, {"kind", event}}, n.get<uint64_t>());
            }
        }
    if (const auto ctl = stats.find("control"); ctl != stats.end() && ctl->is_object())
        e.add("vsw_control_refused_total", "counter",
              "vswctl requests refused on the control socket (a reload from outside root and control_admin_group).",
              {}, number(*ctl, "refused"));
    if (const auto fdb = stats.find("fdb"); fdb != stats.end() && fdb->is_object()) {
        e.add("vsw_fdb_entries", "gauge", "Learned MAC addresses, all networks.", {}, number(*fdb, "entries"));
        e.add("vsw_fdb_full_total", "counter", "MACs not learned because the table was full.", {},
              number(*fdb, "full"));
    }
    return e.text();
}

}  // namespace vsw
