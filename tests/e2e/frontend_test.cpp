// End-to-end tests of vswd's datapath through REAL vhost-user connections.
//
// The test process plays the guests: main() starts vswd (a child process) with
// a generated YAML in a private temp dir, then initialises its own DPDK EAL
// with one virtio-user frontend per vswd port (vhost-user client -> vswd's
// server sockets), and sends/receives raw Ethernet frames on them. Every test
// checks both what the "guests" receive and vswd's exact counters.
//
//   frontend_test <path/to/vswd> <path/to/vswctl> [gtest flags]
//   (or env VSWD / VSWCTL). Must run as root; takes well under a minute.
//
// vswd's worker runs on CPU 1 (cores: [1]); this process stays on CPU 0.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <rte_dev.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <initializer_list>
#include <map>
#include <regex>
#include <span>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace fs = std::filesystem;
using json = nlohmann::json;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

// ---------------------------------------------------------------------------
// The harness: vswd child, temp dir, our EAL and virtio-user ports.

using Bytes = std::vector<uint8_t>;
using MacAddr = std::array<uint8_t, 6>;

constexpr MacAddr kBroadcast{0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
constexpr MacAddr kA3Pinned{0x52, 0x54, 0x00, 0x00, 0x0a, 0x03};
constexpr uint16_t kEtherTypeIpv4 = 0x0800;
constexpr uint16_t kEtherTypeArp = 0x0806;
constexpr uint16_t kEtherTypeTest = 0x88b5;  // IEEE local experimental

// The ports vswd starts with, in vdev order (net_virtio_user<i>).
const std::vector<std::string> kInitialPorts = {"a1", "a2", "a3", "b1", "s1", "s2"};

struct Harness {
    std::string vswd, vswctl;
    std::string dir, run_dir, state_dir, config, log;
    std::string vswd_prefix, fe_prefix;
    pid_t vswd_pid = -1;
    bool eal = false;
    rte_mempool* pool = nullptr;
    std::map<std::string, uint16_t> port;  // vswd port name -> our ethdev port id
};
Harness H;

std::string config_yaml(bool with_a4) {
    std::ostringstream y;
    y << "switch: {cores: [1], hugepages: off, run_dir: " << H.run_dir << ", state_dir: " << H.state_dir
      << ", file_prefix: " << H.vswd_prefix << ", log_level: info}\n"
      << "networks:\n"
      << "  net-a: {mode: internal}\n"
      << "  net-b: {mode: internal}\n"
      << "  net-s: {mode: internal, subnet: 10.9.0.0/24, dhcp: {}}\n"
      << "ports:\n"
      << "  a1: {network: net-a}\n"
      << "  a2: {network: net-a}\n"
      << "  a3: {network: net-a, mac: \"52:54:00:00:0a:03\"}\n"
      << "  b1: {network: net-b}\n"
      << "  s1: {network: net-s}\n"
      << "  s2: {network: net-s}\n";
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

// SIGTERM vswd and reap it (SIGKILL after 10 s).
void stop_vswd() {
    const pid_t pid = H.vswd_pid;
    if (pid <= 0) return;
    kill(pid, SIGTERM);
    for (int i = 0; i < 1000; ++i) {
        int status = 0;
        const pid_t r = waitpid(pid, &status, WNOHANG);
        if (r == pid || (r < 0 && errno == ECHILD)) {
            H.vswd_pid = -1;
            return;
        }
        usleep(10000);
    }
    kill(pid, SIGKILL);
    waitpid(pid, nullptr, 0);
    H.vswd_pid = -1;
}

void remove_leftovers() {
    std::error_code ec;
    if (!H.dir.empty()) fs::remove_all(H.dir, ec);
    if (!H.fe_prefix.empty()) fs::remove_all("/var/run/dpdk/" + H.fe_prefix, ec);
    if (!H.vswd_prefix.empty()) fs::remove_all("/var/run/dpdk/" + H.vswd_prefix, ec);
}

std::atomic<bool> g_cleaned{false};

// Stops our ports, stops vswd, releases the EAL and removes every file made.
void cleanup() {
    if (g_cleaned.exchange(true)) return;
    if (H.eal) {
        uint16_t p;
        RTE_ETH_FOREACH_DEV(p) {
            rte_eth_dev_stop(p);
            rte_eth_dev_close(p);
        }
    }
    stop_vswd();
    if (H.eal) {
        rte_mempool_free(H.pool);
        H.pool = nullptr;
        rte_eal_cleanup();
        H.eal = false;
    }
    remove_leftovers();
}

// On a fatal signal: best effort (not strictly async-signal-safe, but the
// process is going down anyway) - never leave vswd or files behind.
void on_fatal_signal(int sig) {
    if (!g_cleaned.exchange(true)) {
        stop_vswd();
        remove_leftovers();
    }
    signal(sig, SIG_DFL);
    raise(sig);
}

// ---------------------------------------------------------------------------
// Running vswctl.

struct CmdResult {
    int status = -1;  // exit code, -1 if it did not exit normally
    std::string out;
};

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

CmdResult vswctl(const std::string& args, bool merge_stderr = false) {
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

struct Stats {
    json ports;  // data.ports of `vswctl --json stats`
    // key: "rx_packets", "tx_bytes", ... or "drops.<reason>"
    uint64_t get(const std::string& port, const std::string& key) const {
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
};

Stats stats() { return Stats{vswctl_json("stats")["ports"]}; }

struct Delta {
    std::string port, key;
    uint64_t expected;
};

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

std::string mac_str(const MacAddr& m) {
    char buf[18];
    std::snprintf(buf, sizeof buf, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
    return buf;
}

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
Bytes frame(const MacAddr& dst, const MacAddr& src, uint16_t type, std::span<const uint8_t> payload = {},
            size_t min_len = 60) {
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
size_t send(const std::string& name, const std::vector<Bytes>& frames) {
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
        const uint16_t n = rte_eth_tx_burst(port, 0, m.data() + sent,
                                            static_cast<uint16_t>(std::min<size_t>(m.size() - sent, 32)));
        sent += n;
        if (n == 0) std::this_thread::sleep_for(20us);
    }
    for (size_t i = sent; i < m.size(); ++i) rte_pktmbuf_free(m[i]);
    return sent;
}

size_t send1(const std::string& name, const Bytes& f) { return send(name, {f}); }

Bytes to_bytes(rte_mbuf* m) {
    Bytes b(rte_pktmbuf_pkt_len(m));
    const void* p = rte_pktmbuf_read(m, 0, static_cast<uint32_t>(b.size()), b.data());
    if (p != nullptr && p != b.data()) std::memcpy(b.data(), p, b.size());
    return b;
}

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
std::vector<Bytes> recv(const std::string& name, size_t want, std::chrono::milliseconds timeout = 2000ms) {
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
void expect_silence(const std::vector<std::string>& names, std::chrono::milliseconds duration = 60ms) {
    for (const auto& [name, frames] : collect(names, duration))
        EXPECT_EQ(frames.size(), 0u) << "unexpected frame(s) on " << name;
}

// ---------------------------------------------------------------------------
// The tests.

class Frontend : public ::testing::Test {
protected:
    void SetUp() override {
        ASSERT_TRUE(vswd_alive()) << "vswd is not running";
        collect(all_ports(), 20ms);  // drain whatever a previous test left
    }
};

// 1. Broadcast from a1 reaches a2 and a3 byte for byte, and nothing in net-b.
TEST_F(Frontend, BroadcastFloodsWithinNetwork) {
    const Stats before = stats();
    const Bytes f = frame(kBroadcast, mac(1, 1), kEtherTypeTest, text("broadcast from a1"));
    ASSERT_EQ(send1("a1", f), 1u);
    auto a2 = recv("a2", 1), a3 = recv("a3", 1);
    ASSERT_EQ(a2.size(), 1u);
    ASSERT_EQ(a3.size(), 1u);
    EXPECT_EQ(a2[0], f);
    EXPECT_EQ(a3[0], f);
    expect_silence({"a1", "a2", "a3", "b1", "s1", "s2"});
    expect_deltas(before, {{"a1", "rx_packets", 1}, {"a1", "rx_bytes", f.size()}, {"a2", "tx_packets", 1},
                           {"a3", "tx_packets", 1}, {"a2", "tx_bytes", f.size()}, {"b1", "tx_packets", 0},
                           {"a1", "tx_packets", 0}, {"a1", "drops_total", 0}, {"b1", "rx_packets", 0}});

    // A full-size frame (1500-byte payload) arrives intact too.
    Bytes big_payload(1500);
    for (size_t i = 0; i < big_payload.size(); ++i) big_payload[i] = static_cast<uint8_t>(i * 13 + 1);
    const Bytes big = frame(kBroadcast, mac(1, 1), kEtherTypeTest, big_payload);
    ASSERT_EQ(send1("a1", big), 1u);
    a2 = recv("a2", 1);
    a3 = recv("a3", 1);
    ASSERT_EQ(a2.size(), 1u);
    ASSERT_EQ(a3.size(), 1u);
    EXPECT_EQ(a2[0], big);
    EXPECT_EQ(a3[0], big);
    expect_silence({"b1"});
}

// 2. Unknown unicast floods within net-a; once the destination is learned it
// goes to that port only; the FDB shows it.
TEST_F(Frontend, UnknownUnicastFloodsThenLearnedUnicastIsDirected) {
    const MacAddr m1 = mac(2, 1), m2 = mac(2, 2);
    Stats before = stats();
    const Bytes unknown = frame(m2, m1, kEtherTypeTest, text("to an unknown MAC"));
    ASSERT_EQ(send1("a1", unknown), 1u);
    auto a2 = recv("a2", 1), a3 = recv("a3", 1);
    ASSERT_EQ(a2.size(), 1u);
    ASSERT_EQ(a3.size(), 1u);
    EXPECT_EQ(a2[0], unknown);
    EXPECT_EQ(a3[0], unknown);
    expect_silence({"a1", "b1", "s1", "s2"});
    expect_deltas(before, {{"a1", "rx_packets", 1}, {"a2", "tx_packets", 1}, {"a3", "tx_packets", 1},
                           {"b1", "tx_packets", 0}, {"s1", "tx_packets", 0}});

    // a2 speaks (to m1, learned on a1 by now): vswd learns m2 on a2.
    ASSERT_EQ(wait_fdb(m1, "net-a", "a1"), "a1");
    const Bytes reply = frame(m1, m2, kEtherTypeTest, text("a2 answers"));
    ASSERT_EQ(send1("a2", reply), 1u);
    auto a1 = recv("a1", 1);
    ASSERT_EQ(a1.size(), 1u);
    EXPECT_EQ(a1[0], reply);
    expect_silence({"a3", "b1"});  // m1 was known: not flooded
    EXPECT_EQ(wait_fdb(m2, "net-a", "a2"), "a2");
    std::this_thread::sleep_for(20ms);

    before = stats();
    const Bytes directed = frame(m2, m1, kEtherTypeTest, text("now known"));
    ASSERT_EQ(send1("a1", directed), 1u);
    a2 = recv("a2", 1);
    ASSERT_EQ(a2.size(), 1u);
    EXPECT_EQ(a2[0], directed);
    expect_silence({"a1", "a3", "b1"});
    expect_deltas(before, {{"a1", "rx_packets", 1}, {"a2", "tx_packets", 1}, {"a3", "tx_packets", 0},
                           {"a1", "drops_total", 0}});
}

// 3. Nothing from net-b reaches net-a; b1 alone in net-b drops its floods.
TEST_F(Frontend, NetworksAreIsolated) {
    const MacAddr ma = mac(3, 1), mb = mac(3, 2);
    // a1's MAC is learned in net-a.
    ASSERT_EQ(send1("a1", frame(kBroadcast, ma, kEtherTypeTest, text("a1 hello"))), 1u);
    ASSERT_EQ(recv("a2", 1).size(), 1u);
    ASSERT_EQ(recv("a3", 1).size(), 1u);
    ASSERT_EQ(wait_fdb(ma, "net-a", "a1"), "a1");

    const Stats before = stats();
    ASSERT_EQ(send("b1", {frame(kBroadcast, mb, kEtherTypeTest, text("b1 broadcast")),
                          frame(ma, mb, kEtherTypeTest, text("b1 to a1's MAC"))}),
              2u);
    expect_silence({"a1", "a2", "a3", "b1", "s1", "s2"}, 100ms);
    expect_deltas(before, {{"b1", "rx_packets", 2},
                           {"b1", "drops.no_destination", 2},
                           {"b1", "drops_total", 2},
                           {"a1", "tx_packets", 0},
                           {"a2", "tx_packets", 0},
                           {"a3", "tx_packets", 0}});
    // mb is learned in net-b only.
    EXPECT_EQ(wait_fdb(mb, "net-b", "b1"), "b1");
    EXPECT_EQ(fdb_port(mb, "net-a"), "");
}

// 4. a3's pinned MAC is the only source it may use.
TEST_F(Frontend, PinnedMacDropsSpoofedSources) {
    Stats before = stats();
    const Bytes good = frame(kBroadcast, kA3Pinned, kEtherTypeTest, text("a3 with its own MAC"));
    ASSERT_EQ(send1("a3", good), 1u);
    auto a1 = recv("a1", 1), a2 = recv("a2", 1);
    ASSERT_EQ(a1.size(), 1u);
    ASSERT_EQ(a2.size(), 1u);
    EXPECT_EQ(a1[0], good);
    EXPECT_EQ(a2[0], good);
    expect_deltas(before, {{"a3", "rx_packets", 1}, {"a3", "drops_total", 0}, {"a1", "tx_packets", 1},
                           {"a2", "tx_packets", 1}});

    before = stats();
    std::vector<Bytes> spoofed;
    for (uint8_t i = 0; i < 7; ++i)
        spoofed.push_back(frame(i % 2 ? kBroadcast : mac(4, 9), mac(4, i), kEtherTypeTest, text("spoofed")));
    spoofed.push_back(frame(kBroadcast, MacAddr{0x52, 0x54, 0x00, 0x00, 0x0a, 0x04}, kEtherTypeTest));
    ASSERT_EQ(send("a3", spoofed), spoofed.size());
    expect_silence({"a1", "a2", "a3", "b1"});
    expect_deltas(before, {{"a3", "rx_packets", spoofed.size()},
                           {"a3", "drops.spoofed_src_mac", spoofed.size()},
                           {"a3", "drops_total", spoofed.size()},
                           {"a1", "tx_packets", 0},
                           {"a2", "tx_packets", 0}});
    for (uint8_t i = 0; i < 7; ++i) EXPECT_EQ(fdb_port(mac(4, i), "net-a"), "") << "spoofed MAC was learned";
}

// 5. Frames shorter than an Ethernet header and frames with a group or zero
// source MAC are dropped with their reasons.
TEST_F(Frontend, RuntsAndBadSourcesAreDropped) {
    Stats before = stats();
    // A 10-byte runt: the virtio-user frontend and vhost pass it unpadded
    // (rx_bytes proves what arrived).
    Bytes runt = frame(kBroadcast, mac(5, 1), kEtherTypeTest, {}, 0);
    runt.resize(10);
    ASSERT_EQ(send1("a1", runt), 1u);
    expect_silence({"a2", "a3", "b1"});
    expect_deltas(before, {{"a1", "rx_packets", 1},
                           {"a1", "rx_bytes", 10},
                           {"a1", "drops.runt", 1},
                           {"a1", "drops_total", 1},
                           {"a2", "tx_packets", 0},
                           {"a3", "tx_packets", 0}});

    // 13 bytes: still one short of a header.
    before = stats();
    runt = frame(kBroadcast, mac(5, 1), kEtherTypeTest, {}, 0);
    runt.resize(13);
    ASSERT_EQ(send1("a1", runt), 1u);
    expect_silence({"a2", "a3"});
    expect_deltas(before, {{"a1", "rx_bytes", 13}, {"a1", "drops.runt", 1}, {"a2", "tx_packets", 0}});

    before = stats();
    const std::vector<Bytes> bad = {
        frame(kBroadcast, MacAddr{0x01, 0x00, 0x5e, 0x00, 0x00, 0x01}, kEtherTypeTest),  // multicast source
        frame(mac(5, 2), MacAddr{0x33, 0x33, 0x00, 0x00, 0x00, 0x01}, kEtherTypeTest),  // IPv6 multicast
        frame(kBroadcast, kBroadcast, kEtherTypeTest),                                   // broadcast source
        frame(kBroadcast, MacAddr{0, 0, 0, 0, 0, 0}, kEtherTypeTest),                    // zero source
    };
    ASSERT_EQ(send("a1", bad), bad.size());
    expect_silence({"a2", "a3", "b1"});
    expect_deltas(before, {{"a1", "rx_packets", bad.size()},
                           {"a1", "drops.bad_src_mac", bad.size()},
                           {"a1", "drops_total", bad.size()},
                           {"a2", "tx_packets", 0},
                           {"a3", "tx_packets", 0}});
    EXPECT_EQ(fdb_port(MacAddr{0x01, 0x00, 0x5e, 0x00, 0x00, 0x01}, "net-a"), "");
}

// 6. 10,000 frames a1 -> a2 (known unicast), in bursts of 32: all arrive, in
// order, intact, and vswd's counters agree.
TEST_F(Frontend, BurstOfTenThousandInOrder) {
    const MacAddr m1 = mac(6, 1), m2 = mac(6, 2);
    // Learn both MACs first so the burst is not flooded to a3.
    ASSERT_EQ(send1("a2", frame(m1, m2, kEtherTypeTest, text("learn a2"))), 1u);
    ASSERT_EQ(send1("a1", frame(m2, m1, kEtherTypeTest, text("learn a1"))), 1u);
    ASSERT_EQ(wait_fdb(m2, "net-a", "a2"), "a2");
    ASSERT_EQ(wait_fdb(m1, "net-a", "a1"), "a1");
    std::this_thread::sleep_for(20ms);
    collect(all_ports(), 20ms);

    constexpr uint32_t kTotal = 10000;
    constexpr uint32_t kWindow = 256;  // frames in flight: far below every ring size
    const Stats before = stats();
    const auto start = Clock::now();
    uint32_t next_send = 0;
    std::vector<Bytes> got;
    got.reserve(kTotal);
    const uint16_t a2 = port_of("a2");
    auto make = [&](uint32_t seq) {
        Bytes payload(64);
        std::memcpy(payload.data(), &seq, 4);
        for (size_t i = 4; i < payload.size(); ++i) payload[i] = static_cast<uint8_t>(seq * 7 + i);
        return frame(m2, m1, kEtherTypeTest, payload);
    };
    const auto deadline = Clock::now() + 30s;
    while (got.size() < kTotal && Clock::now() < deadline) {
        if (next_send < kTotal && next_send - got.size() + 32 <= kWindow) {
            std::vector<Bytes> burst;
            for (uint32_t i = 0; i < 32 && next_send + i < kTotal; ++i) burst.push_back(make(next_send + i));
            const size_t n = send("a1", burst);
            ASSERT_EQ(n, burst.size()) << "tx stalled at frame " << next_send;
            next_send += static_cast<uint32_t>(n);
        }
        if (poll_port(a2, got) == 0 && next_send == kTotal) std::this_thread::sleep_for(20us);
    }
    const double secs = std::chrono::duration<double>(Clock::now() - start).count();
    std::printf("[ INFO     ] %u frames a1->a2 in %.3f s\n", kTotal, secs);
    ASSERT_EQ(got.size(), kTotal);
    size_t bad = 0;
    for (uint32_t i = 0; i < kTotal; ++i) {
        if (got[i] != make(i)) {
            uint32_t seq = ~0u;
            if (got[i].size() >= 18) std::memcpy(&seq, got[i].data() + 14, 4);
            if (++bad <= 5) ADD_FAILURE() << "frame " << i << " differs (its sequence number: " << seq << ")";
        }
    }
    EXPECT_EQ(bad, 0u);
    expect_silence({"a1", "a3", "b1"});
    expect_deltas(before, {{"a1", "rx_packets", kTotal},
                           {"a1", "rx_bytes", uint64_t{kTotal} * 78},
                           {"a2", "tx_packets", kTotal},
                           {"a2", "tx_bytes", uint64_t{kTotal} * 78},
                           {"a1", "drops_total", 0},
                           {"a2", "drops_total", 0},
                           {"a3", "tx_packets", 0}});
}

// 7. A MAC learned on a1 that then speaks from a2 moves to a2.
TEST_F(Frontend, MacMoveIsRelearned) {
    const MacAddr mm = mac(7, 1);
    ASSERT_EQ(send1("a1", frame(kBroadcast, mm, kEtherTypeTest, text("mm on a1"))), 1u);
    ASSERT_EQ(recv("a2", 1).size(), 1u);
    ASSERT_EQ(recv("a3", 1).size(), 1u);
    ASSERT_EQ(wait_fdb(mm, "net-a", "a1"), "a1");

    // Traffic to mm goes to a1 now.
    ASSERT_EQ(send1("a3", frame(mm, kA3Pinned, kEtherTypeTest, text("to mm at a1"))), 1u);
    ASSERT_EQ(recv("a1", 1).size(), 1u);
    expect_silence({"a2"});

    // mm moves to a2.
    ASSERT_EQ(send1("a2", frame(kBroadcast, mm, kEtherTypeTest, text("mm on a2"))), 1u);
    ASSERT_EQ(recv("a1", 1).size(), 1u);
    ASSERT_EQ(recv("a3", 1).size(), 1u);
    EXPECT_EQ(wait_fdb(mm, "net-a", "a2"), "a2");
    std::this_thread::sleep_for(20ms);

    const Stats before = stats();
    const Bytes f = frame(mm, kA3Pinned, kEtherTypeTest, text("to mm at a2"));
    ASSERT_EQ(send1("a3", f), 1u);
    auto a2 = recv("a2", 1);
    ASSERT_EQ(a2.size(), 1u);
    EXPECT_EQ(a2[0], f);
    expect_silence({"a1", "b1"});
    expect_deltas(before, {{"a3", "rx_packets", 1}, {"a2", "tx_packets", 1}, {"a1", "tx_packets", 0}});
}

json network_show(const std::string& name) {
    json show = vswctl_json("show");
    if (show.is_object())
        for (const json& n : show["networks"])
            if (n.value("name", "") == name) return n;
    return nullptr;
}

MacAddr parse_mac(const std::string& s) {
    MacAddr m{};
    unsigned v[6] = {};
    if (std::sscanf(s.c_str(), "%x:%x:%x:%x:%x:%x", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5]) == 6)
        for (int i = 0; i < 6; ++i) m[i] = static_cast<uint8_t>(v[i]);
    return m;
}

// 8. The service address of an internal network with DHCP answers ARP and ping.
TEST_F(Frontend, ServiceAnswersArpAndPing) {
    const json net = network_show("net-s");
    ASSERT_TRUE(net.is_object());
    ASSERT_EQ(net["dhcp"].value("server", ""), "10.9.0.100");
    const MacAddr svc = parse_mac(net.value("service_mac", ""));
    const MacAddr me = mac(8, 1);
    const uint8_t my_ip[4] = {10, 9, 0, 5}, server_ip[4] = {10, 9, 0, 100};

    Bytes arp(28, 0);
    put16(arp, 0, 1);
    put16(arp, 2, kEtherTypeIpv4);
    arp[4] = 6;
    arp[5] = 4;
    put16(arp, 6, 1);  // request
    std::memcpy(&arp[8], me.data(), 6);
    std::memcpy(&arp[14], my_ip, 4);
    std::memcpy(&arp[24], server_ip, 4);
    Stats before = stats();
    ASSERT_EQ(send1("s1", frame(kBroadcast, me, kEtherTypeArp, arp)), 1u);
    auto r = recv("s1", 1);
    ASSERT_EQ(r.size(), 1u) << "no ARP reply";
    const Bytes& a = r[0];
    ASSERT_GE(a.size(), 42u);
    EXPECT_TRUE(std::equal(me.begin(), me.end(), a.begin())) << "reply not to the requester";
    EXPECT_TRUE(std::equal(svc.begin(), svc.end(), a.begin() + 6)) << "reply not from the service MAC";
    EXPECT_EQ(get16(a, 12), kEtherTypeArp);
    EXPECT_EQ(get16(a, 14), 1);
    EXPECT_EQ(get16(a, 16), kEtherTypeIpv4);
    EXPECT_EQ(get16(a, 20), 2) << "not an ARP reply";
    EXPECT_TRUE(std::equal(svc.begin(), svc.end(), a.begin() + 22));
    EXPECT_TRUE(std::equal(server_ip, server_ip + 4, a.begin() + 28));
    EXPECT_TRUE(std::equal(me.begin(), me.end(), a.begin() + 32));
    EXPECT_TRUE(std::equal(my_ip, my_ip + 4, a.begin() + 38));
    expect_silence({"s1", "s2", "a1", "b1"});  // the request was not flooded
    expect_deltas(before, {{"s1", "rx_packets", 1}, {"s1", "to_slow_path", 1}, {"s1", "tx_packets", 1},
                           {"s2", "tx_packets", 0}, {"s1", "drops_total", 0}});

    // ICMP echo request to 10.9.0.100 at the service MAC.
    Bytes ip(20 + 8 + 32, 0);
    ip[0] = 0x45;
    put16(ip, 2, static_cast<uint16_t>(ip.size()));
    put16(ip, 4, 0x1234);
    put16(ip, 6, 0x4000);  // DF, as Linux ping sends it
    ip[8] = 64;
    ip[9] = 1;
    std::memcpy(&ip[12], my_ip, 4);
    std::memcpy(&ip[16], server_ip, 4);
    put16(ip, 10, checksum(ip.data(), 20));
    ip[20] = 8;  // echo request
    put16(ip, 24, 0xbeef);
    put16(ip, 26, 7);
    for (size_t i = 28; i < ip.size(); ++i) ip[i] = static_cast<uint8_t>(i);
    put16(ip, 22, checksum(ip.data() + 20, ip.size() - 20));
    before = stats();
    ASSERT_EQ(send1("s1", frame(svc, me, kEtherTypeIpv4, ip)), 1u);
    r = recv("s1", 1);
    ASSERT_EQ(r.size(), 1u) << "no echo reply";
    const Bytes& e = r[0];
    ASSERT_GE(e.size(), 14 + ip.size());
    EXPECT_TRUE(std::equal(me.begin(), me.end(), e.begin()));
    EXPECT_TRUE(std::equal(svc.begin(), svc.end(), e.begin() + 6));
    EXPECT_EQ(get16(e, 12), kEtherTypeIpv4);
    const uint8_t* rip = e.data() + 14;
    EXPECT_EQ(rip[0], 0x45);
    EXPECT_EQ(get16(e, 16), ip.size()) << "IP total length";
    EXPECT_EQ(rip[9], 1);
    EXPECT_EQ(checksum(rip, 20), 0) << "bad IPv4 header checksum";
    EXPECT_TRUE(std::equal(server_ip, server_ip + 4, rip + 12));
    EXPECT_TRUE(std::equal(my_ip, my_ip + 4, rip + 16));
    const uint8_t* icmp = rip + 20;
    EXPECT_EQ(icmp[0], 0) << "not an echo reply";
    EXPECT_EQ(icmp[1], 0);
    EXPECT_EQ(checksum(icmp, ip.size() - 20), 0) << "bad ICMP checksum";
    EXPECT_EQ(get16(e, 14 + 24), 0xbeef);
    EXPECT_EQ(get16(e, 14 + 26), 7);
    EXPECT_TRUE(std::equal(ip.begin() + 28, ip.end(), e.begin() + 14 + 28)) << "echo data differs";
    expect_silence({"s1", "s2"});
    expect_deltas(before, {{"s1", "rx_packets", 1}, {"s1", "to_slow_path", 1}, {"s1", "tx_packets", 1},
                           {"s2", "tx_packets", 0}});
}

// 8b. Many ARP requests in a row: every one gets its own, correct reply.
// Guards the order in Switch::inject(): the frame is copied into the mbuf
// before the mbuf is handed to the worker, never after.
TEST_F(Frontend, ServiceArpRepliesUnderLoad) {
    const json net = network_show("net-s");
    ASSERT_TRUE(net.is_object());
    const MacAddr svc = parse_mac(net.value("service_mac", ""));
    const uint8_t server_ip[4] = {10, 9, 0, 100};
    auto requester = [](uint32_t i) {
        return MacAddr{0x02, 0x00, 0x5e, 0x81, static_cast<uint8_t>(i >> 8), static_cast<uint8_t>(i)};
    };
    auto request = [&](uint32_t i) {
        const MacAddr me = requester(i);
        Bytes arp(28, 0);
        put16(arp, 0, 1);
        put16(arp, 2, kEtherTypeIpv4);
        arp[4] = 6;
        arp[5] = 4;
        put16(arp, 6, 1);
        std::memcpy(&arp[8], me.data(), 6);
        const uint8_t ip[4] = {10, 9, 0, static_cast<uint8_t>(1 + i % 99)};
        std::memcpy(&arp[14], ip, 4);
        std::memcpy(&arp[24], server_ip, 4);
        return frame(kBroadcast, me, kEtherTypeArp, arp);
    };
    auto expected_reply = [&](uint32_t i) {
        const MacAddr me = requester(i);
        Bytes arp(28, 0);
        put16(arp, 0, 1);
        put16(arp, 2, kEtherTypeIpv4);
        arp[4] = 6;
        arp[5] = 4;
        put16(arp, 6, 2);
        std::memcpy(&arp[8], svc.data(), 6);
        std::memcpy(&arp[14], server_ip, 4);
        std::memcpy(&arp[18], me.data(), 6);
        const uint8_t ip[4] = {10, 9, 0, static_cast<uint8_t>(1 + i % 99)};
        std::memcpy(&arp[24], ip, 4);
        return frame(me, svc, kEtherTypeArp, arp);
    };

    constexpr uint32_t kTotal = 3000, kWindow = 128;
    const Stats before = stats();
    const uint16_t s1 = port_of("s1");
    std::vector<Bytes> got;
    uint32_t sent = 0;
    const auto deadline = Clock::now() + 20s;
    while (got.size() < kTotal && Clock::now() < deadline) {
        if (sent < kTotal && sent - got.size() + 16 <= kWindow) {
            std::vector<Bytes> burst;
            for (uint32_t i = 0; i < 16 && sent + i < kTotal; ++i) burst.push_back(request(sent + i));
            const size_t n = send("s1", burst);
            ASSERT_EQ(n, burst.size());
            sent += static_cast<uint32_t>(n);
        }
        if (poll_port(s1, got) == 0) std::this_thread::sleep_for(20us);
    }
    ASSERT_EQ(got.size(), kTotal);
    size_t bad = 0;
    for (uint32_t i = 0; i < kTotal; ++i) {
        if (got[i] == expected_reply(i)) continue;
        if (++bad <= 5) {
            std::string hex;
            for (size_t k = 0; k < std::min<size_t>(got[i].size(), 42); ++k) {
                char b[4];
                std::snprintf(b, sizeof b, "%02x", got[i][k]);
                hex += b;
            }
            ADD_FAILURE() << "reply " << i << " is not the expected ARP reply: " << hex;
        }
    }
    EXPECT_EQ(bad, 0u) << "of " << kTotal << " replies";
    expect_silence({"s1", "s2"});
    expect_deltas(before, {{"s1", "rx_packets", kTotal}, {"s1", "to_slow_path", kTotal},
                           {"s1", "tx_packets", kTotal}, {"s1", "drops_total", 0}, {"s2", "tx_packets", 0}});
}

// Our end of each virtio-user vhost-user connection: the connected AF_UNIX
// stream sockets of this process, by the path of the server they talk to.
// (vhost-user does not offer VIRTIO_NET_F_STATUS, so a virtio-user port's
// ethdev link stays "up" even after vswd closed the connection: watching the
// socket itself is the only frontend-side way to see a disconnect.)
std::map<std::string, int> vhost_connections() {
    std::map<std::string, int> out;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator("/proc/self/fd", ec)) {
        int fd = -1;
        try {
            fd = std::stoi(e.path().filename().string());
        } catch (...) {
            continue;
        }
        int type = 0, domain = 0;
        socklen_t len = sizeof type;
        if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) != 0 || type != SOCK_STREAM) continue;
        len = sizeof domain;
        if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &len) != 0 || domain != AF_UNIX) continue;
        sockaddr_un peer{};
        len = sizeof peer;
        if (getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &len) != 0) continue;
        if (len > offsetof(sockaddr_un, sun_path) && peer.sun_path[0] != '\0') out[peer.sun_path] = fd;
    }
    return out;
}

// false once the peer closed (or shut down) the connection, even when unread
// data is still queued on our side.
bool connection_alive(int fd) {
    pollfd p{fd, POLLRDHUP, 0};
    if (poll(&p, 1, 0) < 0) return errno == EINTR;
    return (p.revents & (POLLRDHUP | POLLHUP | POLLERR | POLLNVAL)) == 0;
}

// Samples the vhost-user connections of some ports every millisecond.
class ConnectionWatch {
public:
    explicit ConnectionWatch(std::vector<int> fds) : fds_(std::move(fds)) {
        thread_ = std::thread([this] {
            while (!stop_.load()) {
                for (int fd : fds_)
                    if (!connection_alive(fd)) drops_.fetch_add(1);
                samples_.fetch_add(1);
                std::this_thread::sleep_for(1ms);
            }
        });
    }
    ~ConnectionWatch() { finish(); }
    void finish() {
        stop_.store(true);
        if (thread_.joinable()) thread_.join();
    }
    unsigned drops() const { return drops_.load(); }
    unsigned samples() const { return samples_.load(); }

private:
    std::vector<int> fds_;
    std::atomic<bool> stop_{false};
    std::atomic<unsigned> drops_{0}, samples_{0};
    std::thread thread_;
};

// Broadcast a1 -> a2, a3 (and every port in `also`) works.
void expect_a1_forwards(const std::string& tag, const std::vector<std::string>& also = {}) {
    const Bytes f = frame(kBroadcast, mac(9, 1), kEtherTypeTest, text("a1 after " + tag));
    ASSERT_EQ(send1("a1", f), 1u) << tag;
    std::vector<std::string> dst = {"a2", "a3"};
    dst.insert(dst.end(), also.begin(), also.end());
    for (const auto& d : dst) {
        auto r = recv(d, 1);
        ASSERT_EQ(r.size(), 1u) << "a1 -> " << d << " after " << tag;
        EXPECT_EQ(r[0], f);
    }
}

size_t count_of(const std::string& hay, const std::string& needle) {
    size_t n = 0;
    for (size_t at = hay.find(needle); at != std::string::npos; at = hay.find(needle, at + 1)) ++n;
    return n;
}

// 9. A broken config is rejected with file:line and changes nothing; a valid
// one that adds a port applies without disturbing the existing ports.
// (Runs last: it leaves a4 in the running config.)
TEST_F(Frontend, ReloadRejectsBrokenConfigAndKeepsLinks) {
    const std::string good = config_yaml(false);
    const auto before_ports = vswd_ports();
    const auto before_conns = vhost_connections();
    std::vector<int> fds;
    for (const std::string n : {"a1", "a2", "a3"}) {
        auto it = before_conns.find(H.run_dir + "/" + n + ".sock");
        ASSERT_NE(it, before_conns.end()) << "no vhost-user connection to " << n << ".sock";
        ASSERT_TRUE(connection_alive(it->second)) << n;
        fds.push_back(it->second);
    }
    ConnectionWatch watch(fds);

    // (a) YAML syntax error: an unterminated flow map on the a1 line.
    std::string broken = good;
    const std::string a1_line = "  a1: {network: net-a}\n";
    const size_t at = broken.find(a1_line);
    ASSERT_NE(at, std::string::npos);
    broken.replace(at, a1_line.size(), "  a1: {network: net-a\n  a2: [\n");
    write_file(H.config, broken);
    CmdResult r = vswctl("reload", true);
    std::printf("[ INFO     ] reload of a file with a syntax error: exit %d: %s", r.status, r.out.c_str());
    EXPECT_NE(r.status, 0) << r.out;
    const std::regex where(H.config + ":([0-9]+):[0-9]+: ");
    std::smatch m;
    ASSERT_TRUE(std::regex_search(r.out, m, where)) << "error does not name file:line: " << r.out;
    const int n_lines = static_cast<int>(std::count(broken.begin(), broken.end(), '\n'));
    EXPECT_GE(std::stoi(m[1]), 1);
    EXPECT_LE(std::stoi(m[1]), n_lines + 1);
    expect_a1_forwards("a rejected reload (syntax error)");

    // (b) Valid YAML, invalid value: the error points at its exact line.
    broken = good;
    const std::string a2_line = "  a2: {network: net-a}\n";
    const size_t at2 = broken.find(a2_line);
    ASSERT_NE(at2, std::string::npos);
    const int a2_lineno = static_cast<int>(std::count(broken.begin(), broken.begin() + at2, '\n')) + 1;
    broken.replace(at2, a2_line.size(), "  a2: {network: net-nowhere}\n");
    write_file(H.config, broken);
    r = vswctl("reload", true);
    std::printf("[ INFO     ] reload of a file with a bad value: exit %d: %s", r.status, r.out.c_str());
    EXPECT_NE(r.status, 0) << r.out;
    EXPECT_NE(r.out.find(H.config + ":" + std::to_string(a2_lineno) + ":"), std::string::npos)
        << "expected " << H.config << ":" << a2_lineno << ": in: " << r.out;
    EXPECT_NE(r.out.find("ports.a2.network"), std::string::npos) << r.out;
    expect_a1_forwards("a rejected reload (unknown network)");

    // (c) A valid file that adds a4 and removes nothing.
    write_file(H.config, config_yaml(true));
    r = vswctl("reload", true);
    EXPECT_EQ(r.status, 0) << r.out;
    EXPECT_NE(r.out.find("added: port a4"), std::string::npos) << r.out;
    EXPECT_EQ(r.out.find("removed:"), std::string::npos) << r.out;
    EXPECT_EQ(r.out.find("changed:"), std::string::npos) << r.out;
    std::this_thread::sleep_for(150ms);  // > vswd's 50 ms link poll
    watch.finish();
    EXPECT_GT(watch.samples(), 10u);
    EXPECT_EQ(watch.drops(), 0u) << "vswd closed a frontend's vhost-user connection during the reloads";
    const auto after_conns = vhost_connections();
    for (const std::string n : {"a1", "a2", "a3"}) {
        const std::string sock = H.run_dir + "/" + n + ".sock";
        ASSERT_TRUE(after_conns.count(sock)) << n;
        EXPECT_EQ(after_conns.at(sock), before_conns.at(sock)) << n << ": not the same connection";
        EXPECT_TRUE(connection_alive(after_conns.at(sock))) << n << ": disconnected";
    }

    const auto after_ports = vswd_ports();
    for (const std::string n : {"a1", "a2", "a3", "b1", "s1", "s2"}) {
        ASSERT_TRUE(after_ports.count(n)) << n;
        EXPECT_EQ(after_ports.at(n).value("link", ""), "up") << n;
        EXPECT_EQ(after_ports.at(n)["dpdk_port"], before_ports.at(n)["dpdk_port"]) << n;
    }
    ASSERT_TRUE(after_ports.count("a4"));
    EXPECT_EQ(after_ports.at("a4").value("link", ""), "down");
    const std::string log = read_file(H.log);
    for (const std::string n : {"a1", "a2", "a3"}) {
        EXPECT_EQ(count_of(log, "port " + n + ": link down"), 0u) << "vswd saw " << n << " go down";
        // DPDK's vhost library logs every connection it accepts and closes.
        EXPECT_EQ(count_of(log, "(" + H.run_dir + "/" + n + ".sock) free connfd"), 0u) << n;
        EXPECT_LE(count_of(log, "(" + H.run_dir + "/" + n + ".sock) new vhost user connection"), 1u) << n;
    }
    expect_a1_forwards("a successful reload");

    // The new port works: attach a fourth frontend to a4's socket.
    const std::string sock = H.run_dir + "/a4.sock";
    ASSERT_TRUE(fs::exists(sock));
    ASSERT_EQ(rte_dev_probe(("net_virtio_user9,path=" + sock + ",queues=1,queue_size=1024").c_str()), 0);
    uint16_t a4 = 0;
    ASSERT_EQ(rte_eth_dev_get_port_by_name("net_virtio_user9", &a4), 0);
    H.port["a4"] = a4;
    rte_eth_conf conf{};
    ASSERT_EQ(rte_eth_dev_configure(a4, 1, 1, &conf), 0);
    ASSERT_EQ(rte_eth_rx_queue_setup(a4, 0, 1024, rte_socket_id(), nullptr, H.pool), 0);
    ASSERT_EQ(rte_eth_tx_queue_setup(a4, 0, 1024, rte_socket_id(), nullptr), 0);
    ASSERT_EQ(rte_eth_dev_start(a4), 0);
    ASSERT_TRUE(wait_vswd_links_up({"a1", "a2", "a3", "a4"}, 5s));
    std::this_thread::sleep_for(60ms);  // the worker sees link_up via vswd's poll
    const Stats before = stats();
    expect_a1_forwards("a4 was attached", {"a4"});
    expect_deltas(before, {{"a1", "rx_packets", 1}, {"a2", "tx_packets", 1}, {"a3", "tx_packets", 1},
                           {"a4", "tx_packets", 1}});
}

// ---------------------------------------------------------------------------
// Setup.

bool start_vswd() {
    const int log_fd = open(H.log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (log_fd < 0) return false;
    const pid_t parent = getpid();
    const pid_t pid = fork();
    if (pid < 0) return false;
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGTERM);  // never outlive the test
        if (getppid() != parent) _exit(127);
        dup2(log_fd, 1);
        dup2(log_fd, 2);
        execl(H.vswd.c_str(), H.vswd.c_str(), "-c", H.config.c_str(), static_cast<char*>(nullptr));
        _exit(127);
    }
    close(log_fd);
    H.vswd_pid = pid;
    const auto deadline = Clock::now() + 30s;
    while (Clock::now() < deadline) {
        if (!vswd_alive()) return false;
        bool ready = fs::exists(H.run_dir + "/vswd.sock");
        for (const auto& p : kInitialPorts) ready = ready && fs::exists(H.run_dir + "/" + p + ".sock");
        if (ready) return true;
        usleep(20000);
    }
    return false;
}

bool start_eal() {
    // Stay on CPU 0 (so does every thread EAL creates): vswd's worker owns CPU 1.
    cpu_set_t cpus;
    CPU_ZERO(&cpus);
    CPU_SET(0, &cpus);
    sched_setaffinity(0, sizeof cpus, &cpus);

    std::vector<std::string> args = {"frontend_test", "--no-huge", "--single-file-segments", "-m", "256",
                                     "--no-pci", "--file-prefix", H.fe_prefix, "--lcores", "0@0",
                                     "--log-level=lib.eal:warning"};
    for (size_t i = 0; i < kInitialPorts.size(); ++i) {
        args.push_back("--vdev");
        args.push_back("net_virtio_user" + std::to_string(i) + ",path=" + H.run_dir + "/" + kInitialPorts[i] +
                       ".sock,queues=1,queue_size=1024");
    }
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    if (rte_eal_init(static_cast<int>(argv.size()), argv.data()) < 0) return false;
    H.eal = true;
    H.pool = rte_pktmbuf_pool_create("fe_mbufs", 16383, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
                                     static_cast<int>(rte_socket_id()));
    if (H.pool == nullptr) return false;
    for (size_t i = 0; i < kInitialPorts.size(); ++i) {
        uint16_t id = 0;
        const std::string dev = "net_virtio_user" + std::to_string(i);
        if (rte_eth_dev_get_port_by_name(dev.c_str(), &id) != 0) {
            std::fprintf(stderr, "frontend_test: no ethdev for %s\n", dev.c_str());
            return false;
        }
        rte_eth_conf conf{};
        if (rte_eth_dev_configure(id, 1, 1, &conf) != 0 ||
            rte_eth_rx_queue_setup(id, 0, 1024, rte_socket_id(), nullptr, H.pool) != 0 ||
            rte_eth_tx_queue_setup(id, 0, 1024, rte_socket_id(), nullptr) != 0 || rte_eth_dev_start(id) != 0) {
            std::fprintf(stderr, "frontend_test: cannot start %s\n", dev.c_str());
            return false;
        }
        H.port[kInitialPorts[i]] = id;
    }
    return true;
}

// Removes what earlier runs that were SIGKILLed left behind (only dirs named
// like ours whose process is gone).
void sweep_stale_runs() {
    auto gone = [](const std::string& pid) {
        return !pid.empty() && pid.find_first_not_of("0123456789") == std::string::npos &&
               !fs::exists("/proc/" + pid);
    };
    auto sweep = [&](const std::string& dir, std::initializer_list<std::string> prefixes) {
        try {
            for (const auto& e : fs::directory_iterator(dir)) {
                const std::string name = e.path().filename().string();
                for (const std::string& p : prefixes)
                    if (name.rfind(p, 0) == 0 && gone(name.substr(p.size()))) {
                        std::error_code ec;
                        fs::remove_all(e.path(), ec);
                    }
            }
        } catch (const fs::filesystem_error&) {
        }
    };
    sweep("/tmp", {"vsw-e2e-"});
    sweep("/var/run/dpdk", {"vswfe-", "vswe2e-"});
}

int fail_setup(const char* what) {
    std::fprintf(stderr, "frontend_test: %s\n--- vswd log (%s) ---\n%s\n", what, H.log.c_str(),
                 read_file(H.log).c_str());
    cleanup();
    return 1;
}

}  // namespace

int main(int argc, char** argv) {
    ::testing::InitGoogleTest(&argc, argv);
    const char* env_vswd = std::getenv("VSWD");
    const char* env_vswctl = std::getenv("VSWCTL");
    H.vswd = argc > 1 ? argv[1] : env_vswd != nullptr ? env_vswd : "";
    H.vswctl = argc > 2 ? argv[2] : env_vswctl != nullptr ? env_vswctl : "";
    if (H.vswd.empty() || H.vswctl.empty()) {
        std::fprintf(stderr, "usage: %s <vswd> <vswctl> [gtest flags]  (or env VSWD, VSWCTL)\n", argv[0]);
        return 2;
    }
    H.vswd = fs::absolute(H.vswd);
    H.vswctl = fs::absolute(H.vswctl);
    if (geteuid() != 0) {
        std::fprintf(stderr, "frontend_test: must run as root (vhost-user, DPDK runtime dirs)\n");
        return 77;  // meson: skipped
    }

    const std::string pid = std::to_string(getpid());
    H.dir = "/tmp/vsw-e2e-" + pid;
    H.run_dir = H.dir + "/run";
    H.state_dir = H.dir + "/state";
    H.config = H.dir + "/vsw.yaml";
    H.log = H.dir + "/vswd.log";
    H.vswd_prefix = "vswe2e-" + pid;
    H.fe_prefix = "vswfe-" + pid;
    sweep_stale_runs();
    std::error_code ec;
    fs::remove_all(H.dir, ec);
    fs::create_directories(H.run_dir);
    fs::create_directories(H.state_dir);
    write_file(H.config, config_yaml(false));

    std::atexit(cleanup);
    for (int s : {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGSEGV, SIGABRT, SIGBUS, SIGFPE, SIGILL})
        signal(s, on_fatal_signal);
    signal(SIGPIPE, SIG_IGN);

    const auto t0 = Clock::now();
    if (!start_vswd()) return fail_setup("vswd did not start (sockets did not appear)");
    if (!start_eal()) return fail_setup("cannot initialise DPDK / the virtio-user ports");
    if (!wait_vswd_links_up(kInitialPorts, 15s)) return fail_setup("vswd did not see every frontend link up");
    for (const auto& [name, id] : H.port) {
        rte_eth_link link{};
        bool up = false;
        for (int i = 0; i < 500 && !up; ++i) {
            up = rte_eth_link_get_nowait(id, &link) == 0 && link.link_status == RTE_ETH_LINK_UP;
            if (!up) usleep(10000);
        }
        if (!up) return fail_setup(("frontend link down: " + name).c_str());
    }
    std::this_thread::sleep_for(100ms);  // the worker's link_up flags follow vswd's 50 ms poll
    std::printf("[ INFO     ] setup took %.2f s\n", std::chrono::duration<double>(Clock::now() - t0).count());

    const int rc = RUN_ALL_TESTS();
    if (rc != 0)
        std::fprintf(stderr, "--- vswd log (%s) ---\n%s\n", H.log.c_str(), read_file(H.log).c_str());
    cleanup();
    return rc;
}
