// vswd: the vsw switch daemon. Loads and validates the YAML topology, starts
// DPDK and the datapath workers, builds the ports and tables, and then runs
// the control thread's loop: slow path, link/aging timers, the operator's
// control socket, and reload on SIGHUP or `vswctl reload`.
#include <rte_eal.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_pdump.h>

#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <fmt/ranges.h>
#include <spdlog/pattern_formatter.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <set>
#include <thread>

#if VSW_HAVE_SYSTEMD
#include <systemd/sd-daemon.h>
#endif

#include "cli_parse.hpp"
#include "config/config.hpp"
#include "config/config_warnings.hpp"
#include "config/host_resolvers.hpp"
#include "ctl_server.hpp"
#include "metrics.hpp"
#include "metrics_server.hpp"
#include "eal_args.hpp"
#include "config/reload_guard.hpp"
#include "config/resource_budget.hpp"
#include "switch/run_dir.hpp"
#include "switch/switch.hpp"
#include "telemetry.hpp"

using namespace vsw;

namespace {

struct WorkerLaunch {
    DatapathShared* shared;
    uint16_t index;
};

int worker_main(void* arg) {
    auto* launch = static_cast<WorkerLaunch*>(arg);
    Worker worker(*launch->shared, launch->index);
    worker.run();
    return 0;
}

// DPDK leaves its runtime directory and (without --huge-unlink, which would
// keep dpdk-dumpcap from attaching) its hugepage files behind: a clean stop
// removes them.
void remove_runtime_files(const std::string& runtime_dir, const std::string& prefix) {
    std::error_code ec;
    if (!runtime_dir.empty()) std::filesystem::remove_all(runtime_dir, ec);
    std::ifstream mounts("/proc/mounts");
    for (std::string dev, dir, type; mounts >> dev >> dir >> type;) {
        std::string rest;
        std::getline(mounts, rest);
        if (type != "hugetlbfs") continue;
        for (const auto& entry : std::filesystem::directory_iterator(dir, ec))
            if (entry.path().filename().string().rfind(prefix + "map_", 0) == 0)
                std::filesystem::remove(entry.path(), ec);
    }
}

// A reload: load and check the file, refuse what would cut guests off unless
// the operator said so, apply it, and put the running config back if any
// part of it could not be applied (all or nothing).
// The resolv.conf that uplinks without a `resolver` take theirs from
// (--resolv-conf); read again on every load, so a reload follows the host.
std::string g_resolv_conf = "/etc/resolv.conf";

LoadContext host_context() {
    const HostResolvers r = host_resolvers(g_resolv_conf);
    return LoadContext{r.routable, r.loopback};
}

// Under systemd, stderr goes to the journal (JOURNAL_STREAM is set): each
// line then starts with its syslog priority ("<3>", sd-daemon(3)) instead of
// a timestamp the journal keeps anyway.
class SyslogPriorityFlag : public spdlog::custom_flag_formatter {
public:
    void format(const spdlog::details::log_msg& msg, const std::tm&, spdlog::memory_buf_t& dest) override {
        static constexpr const char* kPriority[] = {"<7>", "<7>", "<6>", "<4>", "<3>", "<2>", "<6>"};
        const char* p = kPriority[std::min<size_t>(static_cast<size_t>(msg.level), 6)];
        dest.append(p, p + 3);
    }
    std::unique_ptr<custom_flag_formatter> clone() const override { return std::make_unique<SyslogPriorityFlag>(); }
};

void set_log_format() {
    const char* journal = std::getenv("JOURNAL_STREAM");
    if (journal == nullptr || *journal == '\0') {
        spdlog::set_pattern("%Y-%m-%d %H:%M:%S.%e %^%l%$ %v");
        return;
    }
    auto f = std::make_unique<spdlog::pattern_formatter>();
    f->add_flag<SyslogPriorityFlag>('*').set_pattern("%*%v");
    spdlog::set_formatter(std::move(f));
}

// Tells systemd (Type=notify, vswd.service) where vswd is: READY=1 once the
// sockets are up, RELOADING=1 while a reload (vswctl or SIGHUP) runs, STOPPING=1. A no-op
// outside systemd or in a build without libsystemd.
void notify_systemd([[maybe_unused]] const char* state) {
#if VSW_HAVE_SYSTEMD
    sd_notify(0, state);
#endif
}

// The PCI NICs EAL was allowed to probe at start (-a): a reload cannot add others.
std::set<std::string> pci_at_start;

// The text of the running config: what a change of the host's resolvers is
// applied to (so that it never applies an edit of the file not reloaded yet).
std::string g_running_text;

// `text`: the YAML to apply; none: read config_path again (vswctl, SIGHUP).
nlohmann::json reload_now(Switch& sw, const std::string& config_path, Config& running, const nlohmann::json& req,
                          const std::string* text = nullptr) {
    auto read = text ? tl::expected<std::string, ConfigError>(*text) : read_config_text(config_path);
    auto cfg = read.and_then([&](const std::string& t) { return load_config_string(t, config_path, host_context()); });
    if (!cfg) {
        spdlog::error("reload rejected, running config kept: {}", cfg.error().to_string());
        return {{"ok", false}, {"error", cfg.error().to_string()}};
    }
    for (const auto& [name, up] : cfg->uplinks)
        if (auto pci = pci_address(up.device); pci && !pci_at_start.count(*pci)) {
            const std::string why = fmt::format("uplink {}: PCI NIC {} was not in the configuration vswd started with "
                                                "(EAL probes only the NICs it was given at start): restart vswd",
                                                name, *pci);
            spdlog::error("reload of {} refused, running config kept: {}", config_path, why);
            return {{"ok", false}, {"error", why}};
        }
    ReloadOptions opts;
    opts.allow_empty = req.value("allow_empty", false);
    opts.force = req.value("force", false);
    if (auto why = reload_objection(running, *cfg, sw.connected_ports(), opts)) {
        spdlog::error("reload of {} refused, running config kept: {}", config_path, *why);
        return {{"ok", false}, {"error", *why}};
    }
    if (auto why = sw.host_port_conflict(*cfg)) {
        spdlog::error("reload of {} refused, running config kept: {}", config_path, *why);
        return {{"ok", false}, {"error", *why}};
    }
    ApplySummary s = sw.apply(*cfg);
    if (s.errors.empty()) {
        running = std::move(*cfg);
        g_running_text = *read;
        spdlog::info("reloaded {}: {}", config_path, s.to_string());
        for (const std::string& w : config_warnings(running)) spdlog::warn("{}", w);
        return {{"ok", true}, {"data", s.to_json()}, {"error", ""}};
    }
    ApplySummary back = sw.apply(running);
    const std::string err = fmt::format("reload of {} failed ({}); rolled back to the running config{}", config_path,
                                        fmt::join(s.errors, "; "),
                                        back.errors.empty() ? "" : " with errors: " + fmt::format("{}", fmt::join(back.errors, "; ")));
    spdlog::error("{}", err);
    return {{"ok", false}, {"data", s.to_json()}, {"error", err}};
}

// A reload from vswctl or SIGHUP; systemd hears RELOADING=1 for its duration.
nlohmann::json reload(Switch& sw, const std::string& config_path, Config& running, const nlohmann::json& req) {
    notify_systemd("RELOADING=1");
    nlohmann::json result = reload_now(sw, config_path, running, req);
    notify_systemd("READY=1");
    return result;
}

// The host's resolvers changed (ResolvConfWatch): when the running config's
// text, loaded again with them, gives an uplink another resolver, it is
// applied as a reload (never an edit of the file not reloaded yet).
void follow_host_resolvers(Switch& sw, const std::string& config_path, Config& running) {
    const std::string text = g_running_text;
    auto next = load_config_string(text, config_path, host_context());
    if (!next) return;  // reload_now would refuse it the same way
    bool differs = false;
    for (const auto& [name, up] : next->uplinks)
        if (auto was = running.uplinks.find(name); was != running.uplinks.end() && was->second.resolver != up.resolver)
            differs = true;
    if (!differs) return;
    spdlog::info("the host's resolvers changed: applying them to the running config");
    notify_systemd("RELOADING=1");
    // The running text was accepted before: an empty one was let through then.
    reload_now(sw, config_path, running, {{"cmd", "reload"}, {"allow_empty", true}}, &text);
    notify_systemd("READY=1");
}

// Handles one vswctl request.
// vswctl sessions [NETWORK] [--guest IP] [--proto P] [--limit N]: at most
// `limit` sessions in the reply (never more than kMaxSessionLimit), and how
// many matched.
nlohmann::json sessions(Switch& sw, const nlohmann::json& req) {
    Switch::SessionFilter f;
    f.network = req.value("network", "");
    if (req.contains("guest")) {
        auto ip = Ipv4::parse(req.value("guest", ""));
        if (!ip) return {{"ok", false}, {"error", "guest: not an IPv4 address"}};
        f.guest = *ip;
    }
    if (req.contains("proto")) {
        const std::string p = req.value("proto", "");
        if (p == "tcp") f.proto = 6;
        else if (p == "udp") f.proto = 17;
        else if (p == "icmp") f.proto = 1;
        else return {{"ok", false}, {"error", "proto: tcp, udp or icmp"}};
    }
    if (req.contains("limit")) {
        const int64_t limit = req.value("limit", int64_t{0});
        if (limit < 1 || limit > static_cast<int64_t>(Switch::kMaxSessionLimit))
            return {{"ok", false}, {"error", fmt::format("limit: 1..{}", Switch::kMaxSessionLimit)}};
        f.limit = static_cast<size_t>(limit);
    }
    size_t matched = 0;
    nlohmann::json data = sw.sessions(f, &matched);
    return {{"ok", true}, {"data", std::move(data)}, {"matched", matched}, {"limit", f.limit}};
}

nlohmann::json handle_request(Switch& sw, const std::string& config_path, Config& running,
                              const nlohmann::json& req) {
    const std::string cmd = req.value("cmd", "");
    if (cmd == "show") return {{"ok", true}, {"data", sw.show()}};
    if (cmd == "stats") return {{"ok", true}, {"data", sw.stats()}};
    if (cmd == "fdb") return {{"ok", true}, {"data", sw.fdb()}};
    if (cmd == "leases") return {{"ok", true}, {"data", sw.leases()}};
    if (cmd == "sessions") return sessions(sw, req);
    if (cmd == "reload") return reload(sw, config_path, running, req);
    return {{"ok", false}, {"error", "unknown command '" + cmd + "'"}};
}

int run(const std::string& config_path, Config cfg) {
    const SwitchConfig sc = cfg.switch_config;  // a copy: a reload replaces cfg, switch changes wait for a restart
    spdlog::set_level(spdlog::level::from_str(sc.log_level));

    // Signals go to the control thread's signalfd: block them before EAL
    // starts its threads so that every thread inherits the mask.
    sigset_t sigs;
    sigemptyset(&sigs);
    for (int s : {SIGINT, SIGTERM, SIGHUP}) sigaddset(&sigs, s);
    pthread_sigmask(SIG_BLOCK, &sigs, nullptr);
    signal(SIGPIPE, SIG_IGN);

    // Before anything else touches run_dir: one vswd per run_dir, and what a
    // crashed predecessor left there is ours to clean up.
    auto lock = InstanceLock::acquire(sc.run_dir);
    if (!lock) {
        spdlog::critical("{}", lock.error());
        return 1;
    }
    if (auto shared = share_with_group(sc.run_dir, sc.socket_group, 0751); !shared) {
        spdlog::critical("{}", shared.error());
        return 1;
    }
    std::error_code ec;
    std::filesystem::create_directories(sc.state_dir, ec);

    const unsigned n_cpus = std::thread::hardware_concurrency();
    const bool huge = want_hugepages(sc.hugepages, probe_hugepages(), sc.memory_mb);
    if (sc.hugepages == Hugepages::automatic && !huge)
        spdlog::warn("hugepages: auto found fewer than {} MB of free hugepages: running without them "
                     "(packet capture with dpdk-pdump needs them; reserve some or set hugepages: off)",
                     sc.memory_mb);
    // PCI NICs named by uplinks at start are allow-listed; an uplink with a
    // PCI device added later by a reload needs a restart (the bus is off).
    std::vector<std::string> pci_devices;
    for (const auto& [name, up] : cfg.uplinks)
        if (auto pci = pci_address(up.device)) {
            pci_devices.push_back(up.device);
            pci_at_start.insert(*pci);
        }
    std::vector<std::string> args = eal_arguments(sc, huge, n_cpus, pci_devices);
    std::string joined;
    for (const auto& a : args) joined += a + " ";
    spdlog::info("starting DPDK: {}", joined);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    if (rte_eal_init(static_cast<int>(argv.size()), argv.data()) < 0) {
        spdlog::critical("DPDK EAL initialisation failed (see the messages above)");
        return 1;
    }
    rte_pdump_init();  // lets dpdk-dumpcap / dpdk-pdump capture our ports

    const auto n_workers = static_cast<unsigned>(sc.cores.size());
    // NAT sessions a worker can hold: what the NAT networks ask for (fixed until restart).
    auto created = Switch::create(sc, n_workers, nat_capacity_per_worker(cfg), nat6_capacity_per_worker(cfg));
    if (!created) {
        spdlog::critical("{}", created.error());
        rte_eal_cleanup();
        return 1;
    }
    std::unique_ptr<Switch> sw = std::move(*created);

    std::vector<WorkerLaunch> launches(n_workers);
    for (unsigned w = 0; w < n_workers; ++w) {
        launches[w] = {&sw->shared(), static_cast<uint16_t>(w)};
        rte_eal_remote_launch(worker_main, &launches[w], w + 1);
    }

    int rc = 0;
    if (auto why = sw->host_port_conflict(cfg)) {
        spdlog::critical("{}: {}; stopping", config_path, *why);
        rc = 1;
    } else {
        ApplySummary initial = sw->apply(cfg);
        spdlog::info("config {}: {}", config_path, initial.to_string());
        for (const std::string& w : config_warnings(cfg)) spdlog::warn("{}", w);
        if (!initial.errors.empty()) {
            spdlog::critical("could not build the configured topology; stopping");
            rc = 1;
        }
    }

    rte_malloc_socket_stats mem{};
    rte_malloc_get_socket_stats(0, &mem);
    spdlog::info("DPDK memory: {} MB in use of {} MB (switch.memory_mb)", mem.heap_allocsz_bytes >> 20,
                 sc.memory_mb);

    register_telemetry(sw.get());
    // switch.control_group reads, control_admin_group also reloads; the
    // socket belongs to the first of them that is set.
    std::optional<gid_t> admin_gid;
    if (const group* g = sc.control_admin_group.empty() ? nullptr : getgrnam(sc.control_admin_group.c_str()))
        admin_gid = g->gr_gid;
    uint64_t refused = 0;
    auto server = CtlServer::listen(
        sc.run_dir + "/vswd.sock",
        [&](const nlohmann::json& req, const CtlPeer& peer) -> nlohmann::json {
            const std::string cmd = req.value("cmd", "");
            if (!may_run(cmd, peer, admin_gid)) {
                ++refused;
                spdlog::warn("control socket: refused '{}' from uid {} (refusal {}): needs root{}", cmd, peer.uid,
                             refused, sc.control_admin_group.empty() ? "" : " or group " + sc.control_admin_group);
                return {{"ok", false},
                        {"error", fmt::format("permission denied: {} needs root{}", cmd,
                                              sc.control_admin_group.empty()
                                                  ? " (or a member of switch.control_admin_group)"
                                                  : " or a member of group " + sc.control_admin_group)}};
            }
            nlohmann::json answer = handle_request(*sw, config_path, cfg, req);
            if (cmd == "stats") answer["data"]["control"] = {{"refused", refused}};
            return answer;
        },
        sc.control_group.empty() ? sc.control_admin_group : sc.control_group);
    if (!server) {
        spdlog::critical("control socket: {}", server.error());
        rc = 1;
    }
    const int sfd = signalfd(-1, &sigs, SFD_CLOEXEC | SFD_NONBLOCK);
    std::optional<MetricsServer> metrics;
    if (rc == 0 && sc.metrics) {
        auto m = MetricsServer::listen(sc.metrics->first, sc.metrics->second);
        if (!m) {
            spdlog::critical("{}", m.error());
            rc = 1;
        } else {
            metrics.emplace(std::move(*m));
            spdlog::info("metrics: http://{}:{}/metrics", sc.metrics->first.to_string(), sc.metrics->second);
        }
    }

    if (rc == 0) {
        spdlog::info("vswd ready: {} worker(s), control socket {}/vswd.sock, hugepages {}", n_workers,
                     sc.run_dir, huge ? "on" : "off");
        notify_systemd("READY=1");
        auto last_periodic = std::chrono::steady_clock::now();
        auto last_snapshot = last_periodic - std::chrono::seconds(2);  // the first one at once
        auto last_resolv_check = last_periodic;
        ResolvConfWatch resolv_watch(g_resolv_conf);
        for (bool running = true; running;) {
            pollfd fds[3] = {{server->fd(), POLLIN, 0}, {sfd, POLLIN, 0}, {metrics ? metrics->fd() : -1, POLLIN, 0}};
            poll(fds, 3, 1);  // 1 ms: the slow path's latency bound
            if (fds[0].revents & POLLIN) server->serve_pending();
            if (fds[2].revents & POLLIN) metrics->serve_pending([&] {
                nlohmann::json stats = sw->stats();
                stats["control"] = {{"refused", refused}};
                return prometheus_text(stats);
            });
            signalfd_siginfo si;
            while (read(sfd, &si, sizeof si) == sizeof si) {
                if (si.ssi_signo == SIGHUP) {
                    spdlog::info("SIGHUP: reloading {}", config_path);
                    handle_request(*sw, config_path, cfg, {{"cmd", "reload"}});
                } else {
                    spdlog::info("signal {}: stopping", si.ssi_signo);
                    notify_systemd("STOPPING=1");
                    running = false;
                }
            }
            sw->poll_slow_path();
            const auto now = std::chrono::steady_clock::now();
            if (now - last_periodic > std::chrono::milliseconds(50)) {
                sw->periodic();
                last_periodic = now;
            }
            if (now - last_snapshot > std::chrono::seconds(1)) {
                publish_telemetry_snapshot(sw->stats());
                last_snapshot = now;
            }
            if (now - last_resolv_check > std::chrono::seconds(1)) {
                if (resolv_watch.changed()) follow_host_resolvers(*sw, config_path, cfg);
                last_resolv_check = now;
            }
        }
    }

    unregister_telemetry();
    sw->shared().stop.store(true);
    rte_eal_mp_wait_lcore();
    sw.reset();  // removes ports: vhost sockets and host interfaces go away
    if (sfd >= 0) close(sfd);
    rte_pdump_uninit();
    const std::string runtime_dir = rte_eal_get_runtime_dir();
    rte_eal_cleanup();
    remove_runtime_files(runtime_dir, sc.file_prefix);
    spdlog::info("vswd stopped");
    return rc;
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{
        "vswd - a DPDK virtual switch for virtual machines. VM NICs attach over vhost-user; the YAML\n"
        "topology puts each on a network:\n"
        "  host-only  VMs and the host (a kernel interface) on one subnet, with a DHCP server\n"
        "  internal   plain L2 among VMs\n"
        "  nat        a virtual gateway, DHCP and DNS; outbound traffic masqueraded onto an uplink\n"
        "             (AF_XDP, a kernel TAP, or any DPDK device); port forwards reach the guests,\n"
        "             the guests reach the host's 127.0.0.1 (VirtualBox's NAT: 10.0.2.2)\n"
        "  nat-network  the same with VirtualBox's \"NAT Network\" defaults (gateway .1)\n"
        "Operate it with vswctl (show, stats, reload, ...); SIGHUP reloads the file too.",
        "vswd"};
    app.set_version_flag("--version", std::string("vswd ") + VSW_VERSION);
    app.footer("Exit status: 0 stopped cleanly (or --check: valid); 1 bad config or failed to start; 2 usage error.");
    std::string config_path = "/etc/vsw/vsw.yaml";
    std::string check_path;
    std::string log_level;
    app.add_option("-c,--config", config_path, "YAML topology to run")->capture_default_str();
    app.add_option("--check", check_path, "validate a YAML file and exit (0 = valid, 1 = not)");
    app.add_option("--resolv-conf", g_resolv_conf,
                   "where uplinks without a resolver find the host's DNS servers (followed when it changes)")
        ->capture_default_str();
    app.add_option("--log-level", log_level, "overrides switch.log_level at start")
        ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "critical", "off"}));
    if (auto rc = parse_command_line(app, argc, argv)) return *rc;

    auto logger = spdlog::stderr_color_mt("vswd");
    spdlog::set_default_logger(logger);
    set_log_format();

    if (!check_path.empty()) {
        auto cfg = load_config_file(check_path, host_context());
        if (!cfg) {
            std::fprintf(stderr, "%s\n", cfg.error().to_string().c_str());
            return 1;
        }
        std::printf("%s: OK (%zu networks, %zu ports)\n", check_path.c_str(), cfg->networks.size(),
                    cfg->ports.size());
        for (const std::string& w : config_warnings(*cfg)) std::printf("warning: %s\n", w.c_str());
        return 0;
    }
    auto text = read_config_text(config_path);
    auto cfg = text.and_then([&](const std::string& t) { return load_config_string(t, config_path, host_context()); });
    if (!cfg) {
        std::fprintf(stderr, "%s\n", cfg.error().to_string().c_str());
        return 1;
    }
    g_running_text = *text;
    if (!log_level.empty()) cfg->switch_config.log_level = log_level;
    return run(config_path, *cfg);
}
