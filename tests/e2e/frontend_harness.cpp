// The harness of frontend_test (see frontend_harness.hpp): the helpers the
// tests call, and main(), which starts vswd and this process's DPDK EAL with
// its virtio-user frontends, runs the tests and removes everything it made.
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
      << "/wan.sock\", address: 203.0.113.10/24, gateway: 203.0.113.1}\n"
      << "networks:\n"
      << "  net-a: {mode: internal}\n"
      << "  net-b: {mode: internal}\n"
      << "  net-s: {mode: internal, subnet: 10.9.0.0/24, dhcp: {}}\n"
      << "  net-x: {mode: internal, subnet: 10.8.0.0/24, dhcp: {}, max_macs: 100}\n"
      << "  net-n: {mode: nat, subnet: 10.7.0.0/24, uplink: wan, max_sessions: 100, max_sessions_per_guest: 40}\n"
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
      << "  n2: {network: net-n}\n";
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

// ---------------------------------------------------------------------------
// Setup and teardown of the whole run (used by main() only).

namespace {

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

// The vswd ports and the uplinks we attach a frontend to, in vdev order.
std::vector<std::string> frontend_names() {
    std::vector<std::string> v = kInitialPorts;
    v.insert(v.end(), kUplinkFrontends.begin(), kUplinkFrontends.end());
    return v;
}

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
        for (const auto& p : frontend_names()) ready = ready && fs::exists(H.run_dir + "/" + p + ".sock");
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
    const std::vector<std::string> names = frontend_names();
    for (size_t i = 0; i < names.size(); ++i) {
        args.push_back("--vdev");
        args.push_back("net_virtio_user" + std::to_string(i) + ",path=" + H.run_dir + "/" + names[i] +
                       ".sock,queues=1,queue_size=1024");
    }
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    if (rte_eal_init(static_cast<int>(argv.size()), argv.data()) < 0) return false;
    H.eal = true;
    // Every virtio-user port holds up to 1024 mbufs in its receive ring and,
    // until its lazy cleanup runs, about as many in its transmit ring: 13
    // ports (a4 joins later) x 2048, plus the lcore cache and the frames a
    // test builds. A port started on an empty pool gets an empty receive
    // ring and never receives (the CI once failed that way with 16383).
    H.pool = rte_pktmbuf_pool_create("fe_mbufs", 32767, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
                                     static_cast<int>(rte_socket_id()));
    if (H.pool == nullptr) return false;
    for (size_t i = 0; i < names.size(); ++i) {
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
        H.port[names[i]] = id;
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

// Collects every failed assertion so main() can print them again after the
// vswd log: meson shows only the last 100 lines of a failing test, and the
// log alone (hundreds of lines) would push gtest's own messages out of view.
class FailureSummary : public ::testing::EmptyTestEventListener {
public:
    void OnTestPartResult(const ::testing::TestPartResult& r) override {
        if (!r.failed()) return;
        const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
        std::ostringstream line;
        line << (info != nullptr ? std::string(info->name()) : std::string("(setup)")) << ": "
             << (r.file_name() != nullptr ? r.file_name() : "?") << ":" << r.line_number() << ": "
             << r.summary();
        failures_.push_back(line.str());
    }
    void print() const {
        std::fprintf(stderr, "--- %zu failed assertion(s) ---\n", failures_.size());
        for (const auto& f : failures_) std::fprintf(stderr, "%s\n", f.c_str());
    }

private:
    std::vector<std::string> failures_;
};

// The vswd log without the vhost library's per-message chatter.
std::string vswd_log_for_humans() {
    std::istringstream in(read_file(H.log));
    std::string out, line;
    while (std::getline(in, line))
        if (line.rfind("VHOST_CONFIG:", 0) != 0) out += line + "\n";
    return out;
}

int fail_setup(const char* what) {
    std::fprintf(stderr, "frontend_test: %s\n--- vswd log (%s) ---\n%s\n", what, H.log.c_str(),
                 read_file(H.log).c_str());
    cleanup();
    return 1;
}

}  // namespace
}  // namespace e2e

using namespace e2e;

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

    auto* summary = new FailureSummary;  // gtest owns its listeners
    ::testing::UnitTest::GetInstance()->listeners().Append(summary);
    const int rc = RUN_ALL_TESTS();
    if (rc != 0) {
        std::fflush(stdout);
        std::fprintf(stderr, "--- vswd log (%s), vhost library lines left out ---\n%s\n", H.log.c_str(),
                     vswd_log_for_humans().c_str());
        summary->print();
    }
    cleanup();
    return rc;
}
