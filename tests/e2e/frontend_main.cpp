// frontend_test's main(): starts vswd and this process's DPDK EAL with its
// virtio-user frontends, runs the tests, and removes everything it made (also
// on a fatal signal, and what an earlier run that was killed left behind).
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
        // No host resolvers: nothing here depends on the machine's /etc/resolv.conf.
        execl(H.vswd.c_str(), H.vswd.c_str(), "-c", H.config.c_str(), "--resolv-conf", "/dev/null",
              static_cast<char*>(nullptr));
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

    std::vector<std::string> args = {"frontend_test", "--no-huge", "--single-file-segments", "-m", "384",
                                     "--no-pci", "--file-prefix", H.fe_prefix, "--lcores", "0@0",
                                     "--log-level=lib.eal:warning"};
    const std::vector<std::string> names = frontend_names();
    for (size_t i = 0; i < names.size(); ++i) {
        args.push_back("--vdev");
        const auto q = kQueues.find(names[i]);
        args.push_back("net_virtio_user" + std::to_string(i) + ",path=" + H.run_dir + "/" + names[i] +
                       ".sock,queues=" + std::to_string(q != kQueues.end() ? q->second : 1) + ",queue_size=1024");
    }
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    if (rte_eal_init(static_cast<int>(argv.size()), argv.data()) < 0) return false;
    H.eal = true;
    // Every virtio-user queue pair holds up to 1024 mbufs in its receive ring
    // and, until its lazy cleanup runs, about as many in its transmit ring:
    // 16 queue pairs (q1 has two; a4 joins later) x 2048, plus the lcore cache
    // and the frames a test builds. A port started on an empty pool gets an
    // empty receive ring and never receives (the CI once failed that way with
    // 16383 for 13).
    H.pool = rte_pktmbuf_pool_create("fe_mbufs", 49151, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
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
        const auto q = kQueues.find(names[i]);
        const uint16_t queues = q != kQueues.end() ? q->second : 1;
        bool ok = rte_eth_dev_configure(id, queues, queues, &conf) == 0;
        for (uint16_t k = 0; ok && k < queues; ++k)
            ok = rte_eth_rx_queue_setup(id, k, 1024, rte_socket_id(), nullptr, H.pool) == 0 &&
                 rte_eth_tx_queue_setup(id, k, 1024, rte_socket_id(), nullptr) == 0;
        if (!ok || rte_eth_dev_start(id) != 0) {
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

