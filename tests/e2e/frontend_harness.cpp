// The harness of frontend_test (see frontend_harness.hpp): the helpers the
// tests call (vswctl, frames, sending and receiving on the frontends).
// frontend_main.cpp starts and stops everything.
#include "frontend_harness.hpp"

#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <initializer_list>
#include <sstream>
#include <thread>

namespace e2e {

Harness H;

std::string config_yaml(bool with_a4) {
    std::ostringstream y;
    y << "switch: {cores: [1], hugepages: off, run_dir: " << H.run_dir << ", state_dir: " << H.state_dir
      << ", file_prefix: " << H.vswd_prefix << ", log_level: info}\n"
      << "uplinks:\n"
      << "  wan: {device: \"net_vhost_wan,iface=" << H.run_dir
      // No host link (a TAP in the host's namespace): tests run side by side.
      << "/wan.sock\", address: 203.0.113.10/24, gateway: 203.0.113.1, host_link: false}\n"
      << "networks:\n"
      << "  net-a: {mode: internal}\n"
      << "  net-b: {mode: internal}\n"
      << "  net-s: {mode: internal, subnet: 10.9.0.0/24, dhcp: {}}\n"
      << "  net-x: {mode: internal, subnet: 10.8.0.0/24, dhcp: {}, max_macs: 100}\n"
      << "  net-n: {mode: nat, subnet: 10.7.0.0/24, uplink: wan, max_sessions: 100, max_sessions_per_guest: 40}\n"
      << "  net-q: {mode: internal}\n"
      << "ports:\n"
      << "  a1: {network: net-a}\n"
      << "  a2: {network: net-a}\n"
      << "  a3: {network: net-a, mac: \"52:54:00:00:0a:03\"}\n"
      << "  b1: {network: net-b}\n"
      << "  s1: {network: net-s}\n"
      << "  s2: {network: net-s}\n"
      << "  x1: {network: net-x, max_macs: 64, max_leases: 2}\n"
      << "  x2: {network: net-x}\n"
      << "  x3: {network: net-x}\n"
      << "  n1: {network: net-n}\n"
      << "  n2: {network: net-n}\n"
      << "  q1: {network: net-q, queues: 2}\n"
      << "  q2: {network: net-q}\n";
    if (with_a4) y << "  a4: {network: net-a}\n";
    return y.str();
}

void write_file(const std::string& path, const std::string& text) {
    // Write a sibling and rename, so vswd never reads a half-written file.
    const std::string tmp = path + ".tmp";
    {
        std::ofstream out(tmp, std::ios::trunc);
        out << text;
    }
    fs::rename(tmp, path);
}

std::string read_file(const std::string& path) {
    std::ifstream in(path);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

bool vswd_alive() {
    if (H.vswd_pid <= 0) return false;
    int status = 0;
    const pid_t r = waitpid(H.vswd_pid, &status, WNOHANG);
    if (r == H.vswd_pid) {
        std::fprintf(stderr, "frontend_test: vswd exited (status 0x%x)\n", status);
        H.vswd_pid = -1;
        return false;
    }
    return true;
}

// ---------------------------------------------------------------------------
// Running vswctl.

namespace {

CmdResult run_cmd(const std::string& cmd) {
    CmdResult r;
    FILE* p = popen(cmd.c_str(), "r");
    if (p == nullptr) return r;
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
    const int st = pclose(p);
    r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    return r;
}

}  // namespace

CmdResult vswctl(const std::string& args, bool merge_stderr) {
    return run_cmd(H.vswctl + " -s " + H.run_dir + "/vswd.sock " + args + (merge_stderr ? " 2>&1" : ""));
}

// `vswctl --json <what>` -> the "data" member (null on any failure).
json vswctl_json(const std::string& what) {
    CmdResult r = vswctl("--json " + what);
    if (r.status != 0) return nullptr;
    json j = json::parse(r.out, nullptr, false);
    if (j.is_discarded() || !j.value("ok", false)) return nullptr;
    return j["data"];
}

uint64_t Stats::get(const std::string& port, const std::string& key) const {
    if (!ports.is_object() || !ports.contains(port)) return ~0ull;
    const json& p = ports[port];
    const json* v = nullptr;
    if (key.rfind("drops.", 0) == 0) {
        if (p.contains("drops") && p["drops"].contains(key.substr(6))) v = &p["drops"][key.substr(6)];
    } else if (p.contains(key)) {
        v = &p[key];
    }
    return v != nullptr && v->is_number_unsigned() ? v->get<uint64_t>() : ~0ull;
}

Stats stats() { return Stats{vswctl_json("stats")["ports"]}; }

// Waits (up to 5 s) until every counter rose by exactly its expected amount
// since `before`, then asserts it (a mismatch prints every counter involved).
void expect_deltas(const Stats& before, const std::vector<Delta>& deltas) {
    Stats now;
    const auto deadline = Clock::now() + 5s;
    auto all_match = [&] {
        for (const Delta& d : deltas)
            if (now.get(d.port, d.key) - before.get(d.port, d.key) != d.expected) return false;
        return true;
    };
    do {
        now = stats();
        if (all_match()) break;
        std::this_thread::sleep_for(10ms);
    } while (Clock::now() < deadline);
    for (const Delta& d : deltas) {
        EXPECT_NE(now.get(d.port, d.key), ~0ull) << "no counter " << d.port << "." << d.key;
        EXPECT_EQ(now.get(d.port, d.key) - before.get(d.port, d.key), d.expected)
            << "counter " << d.port << "." << d.key;
    }
}

namespace {

std::string mac_str(const MacAddr& m) {
    char buf[18];
    std::snprintf(buf, sizeof buf, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
    return buf;
}

}  // namespace

// The port vswd's FDB has `mac` on in `network` ("" if not learned).
std::string fdb_port(const MacAddr& mac, const std::string& network) {
    json fdb = vswctl_json("fdb");
    if (!fdb.is_array()) return "";
    for (const json& e : fdb)
        if (e.value("mac", "") == mac_str(mac) && e.value("network", "") == network) return e.value("port", "");
    return "";
}

// Waits until the FDB maps `mac` to `port`; returns the last value seen.
std::string wait_fdb(const MacAddr& mac, const std::string& network, const std::string& port) {
    std::string seen;
    const auto deadline = Clock::now() + 5s;
    do {
        seen = fdb_port(mac, network);
        if (seen == port) break;
        std::this_thread::sleep_for(5ms);
    } while (Clock::now() < deadline);
    return seen;
}

// vswd's view of its ports: name -> show's port object.
std::map<std::string, json> vswd_ports() {
    std::map<std::string, json> out;
    json show = vswctl_json("show");
    if (show.is_object())
        for (const json& p : show["ports"]) out[p.value("name", "")] = p;
    return out;
}

bool wait_vswd_links_up(const std::vector<std::string>& names, std::chrono::milliseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    do {
        auto ports = vswd_ports();
        bool all = true;
        for (const auto& n : names) all = all && ports.count(n) && ports[n].value("link", "") == "up";
        if (all) return true;
        std::this_thread::sleep_for(20ms);
    } while (Clock::now() < deadline);
    return false;
}

// ---------------------------------------------------------------------------
// Frames.

MacAddr mac(uint8_t test, uint8_t n) { return {0x02, 0x00, 0x5e, 0xe2, test, n}; }

void put16(Bytes& b, size_t at, uint16_t v) {
    b[at] = static_cast<uint8_t>(v >> 8);
    b[at + 1] = static_cast<uint8_t>(v);
}
uint16_t get16(const Bytes& b, size_t at) { return static_cast<uint16_t>(b[at] << 8 | b[at + 1]); }

// dst, src, ethertype, payload; padded with zeros to `min_len` (the Ethernet
// minimum without FCS by default).
Bytes frame(const MacAddr& dst, const MacAddr& src, uint16_t type, std::span<const uint8_t> payload, size_t min_len) {
    Bytes b(std::max<size_t>(14 + payload.size(), min_len), 0);
    for (size_t i = 0; i < 6; ++i) {
        b[i] = dst[i];
        b[6 + i] = src[i];
    }
    put16(b, 12, type);
    for (size_t i = 0; i < payload.size(); ++i) b[14 + i] = payload[i];
    return b;
}

Bytes text(const std::string& s) { return Bytes(s.begin(), s.end()); }

Bytes arp_frame(uint16_t op, const MacAddr& eth_dst, const MacAddr& sender, const uint8_t sender_ip[4],
                const MacAddr& target, const uint8_t target_ip[4]) {
    Bytes arp(28, 0);
    put16(arp, 0, 1);  // Ethernet
    put16(arp, 2, kEtherTypeIpv4);
    arp[4] = 6;
    arp[5] = 4;
    put16(arp, 6, op);
    std::memcpy(&arp[8], sender.data(), 6);
    std::memcpy(&arp[14], sender_ip, 4);
    std::memcpy(&arp[18], target.data(), 6);
    std::memcpy(&arp[24], target_ip, 4);
    return frame(eth_dst, sender, kEtherTypeArp, arp);
}

uint16_t checksum(const uint8_t* p, size_t n) {
    uint32_t sum = 0;
    for (size_t i = 0; i + 1 < n; i += 2) sum += static_cast<uint32_t>(p[i] << 8 | p[i + 1]);
    if (n & 1) sum += static_cast<uint32_t>(p[n - 1] << 8);
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    return static_cast<uint16_t>(~sum);
}

// ---------------------------------------------------------------------------
// Sending and receiving on our virtio-user ports.

uint16_t port_of(const std::string& name) { return H.port.at(name); }

// Sends every frame (retrying for up to 500 ms); returns how many went.
size_t send(const std::string& name, const std::vector<Bytes>& frames, uint16_t queue) {
    const uint16_t port = port_of(name);
    std::vector<rte_mbuf*> m;
    for (const Bytes& f : frames) {
        rte_mbuf* b = rte_pktmbuf_alloc(H.pool);
        if (b == nullptr) break;
        char* p = rte_pktmbuf_append(b, static_cast<uint16_t>(f.size()));
        if (p == nullptr) {
            rte_pktmbuf_free(b);
            break;
        }
        std::memcpy(p, f.data(), f.size());
        m.push_back(b);
    }
    size_t sent = 0;
    const auto deadline = Clock::now() + 500ms;
    while (sent < m.size() && Clock::now() < deadline) {
        const uint16_t n = rte_eth_tx_burst(port, queue, m.data() + sent,
                                            static_cast<uint16_t>(std::min<size_t>(m.size() - sent, 32)));
        sent += n;
        if (n == 0) std::this_thread::sleep_for(20us);
    }
    for (size_t i = sent; i < m.size(); ++i) rte_pktmbuf_free(m[i]);
    return sent;
}

size_t send1(const std::string& name, const Bytes& f) { return send(name, {f}); }

namespace {

Bytes to_bytes(rte_mbuf* m) {
    Bytes b(rte_pktmbuf_pkt_len(m));
    const void* p = rte_pktmbuf_read(m, 0, static_cast<uint32_t>(b.size()), b.data());
    if (p != nullptr && p != b.data()) std::memcpy(b.data(), p, b.size());
    return b;
}

}  // namespace

// Polls one rx burst; appends what arrived.
uint16_t poll_port(uint16_t port, std::vector<Bytes>& out) {
    rte_mbuf* pkts[32];
    const uint16_t n = rte_eth_rx_burst(port, 0, pkts, 32);
    for (uint16_t i = 0; i < n; ++i) {
        out.push_back(to_bytes(pkts[i]));
        rte_pktmbuf_free(pkts[i]);
    }
    return n;
}

// Receives on `name` until `want` frames arrived or the timeout passed.
std::vector<Bytes> recv(const std::string& name, size_t want, std::chrono::milliseconds timeout) {
    std::vector<Bytes> out;
    const uint16_t port = port_of(name);
    const auto deadline = Clock::now() + timeout;
    while (out.size() < want && Clock::now() < deadline)
        if (poll_port(port, out) == 0) std::this_thread::sleep_for(20us);
    return out;
}

// Everything that arrives on the given ports during `duration`.
std::map<std::string, std::vector<Bytes>> collect(const std::vector<std::string>& names,
                                                  std::chrono::milliseconds duration) {
    std::map<std::string, std::vector<Bytes>> out;
    for (const auto& n : names) out[n];
    const auto deadline = Clock::now() + duration;
    while (Clock::now() < deadline) {
        unsigned got = 0;
        for (const auto& n : names) got += poll_port(port_of(n), out[n]);
        if (got == 0) std::this_thread::sleep_for(20us);
    }
    return out;
}

std::vector<std::string> all_ports() {
    std::vector<std::string> v;
    for (const auto& [name, id] : H.port) v.push_back(name);
    return v;
}

// Asserts that none of `names` receives anything for a while.
void expect_silence(const std::vector<std::string>& names, std::chrono::milliseconds duration) {
    for (const auto& [name, frames] : collect(names, duration))
        EXPECT_EQ(frames.size(), 0u) << "unexpected frame(s) on " << name;
}

}  // namespace e2e
