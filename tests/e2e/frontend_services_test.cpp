// frontend_test, the cases beyond plain switching: the service address of a
// network with DHCP (ARP and ping, and ARP under load), and `vswctl reload`
// (a broken config is refused with file:line; a valid one adds a port without
// touching the existing vhost-user connections).
// The harness is in frontend_harness.hpp. The reload test must stay the last
// test of the program: it leaves port a4 in the running config.
#include <rte_dev.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_mempool.h>

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <map>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "frontend_harness.hpp"

namespace e2e {
namespace {

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
    auto ip_of = [](uint32_t i) { return std::array<uint8_t, 4>{10, 9, 0, static_cast<uint8_t>(1 + i % 99)}; };
    auto request = [&](uint32_t i) {
        return arp_frame(1, kBroadcast, requester(i), ip_of(i).data(), MacAddr{}, server_ip);
    };
    auto expected_reply = [&](uint32_t i) {
        return arp_frame(2, requester(i), svc, server_ip, requester(i), ip_of(i).data());
    };

    constexpr uint32_t kTotal = 3000, kWindow = 128;
    const Stats before = stats();
    const uint16_t s1 = port_of("s1");
    std::vector<Bytes> got;
    uint32_t sent = 0;
    const auto deadline = Clock::now() + 20s;
    auto next_send = Clock::now();
    while (got.size() < kTotal && Clock::now() < deadline) {
        if (sent < kTotal && sent - got.size() + 16 <= kWindow && Clock::now() >= next_send) {
            next_send += 20ms;
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
        ASSERT_EQ(r.size(), 1u) << "a1 -> " << d << " after " << tag << "; vswd's counters:\n"
                                << vswctl("stats").out;
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

    // (b2) An empty file (an editor caught halfway) is refused: it would remove everything.
    write_file(H.config, "");
    r = vswctl("reload", true);
    std::printf("[ INFO     ] reload of an empty file: exit %d: %s", r.status, r.out.c_str());
    EXPECT_NE(r.status, 0) << r.out;
    EXPECT_NE(r.out.find("declares no networks"), std::string::npos) << r.out;
    expect_a1_forwards("a refused reload (empty file)");

    // (b3) The file cut short before a2's line: a2 (connected) would go.
    write_file(H.config, good.substr(0, good.find(a2_line)));
    r = vswctl("reload", true);
    std::printf("[ INFO     ] reload of a cut-off file: exit %d: %s", r.status, r.out.c_str());
    EXPECT_NE(r.status, 0) << r.out;
    EXPECT_NE(r.out.find("a2 (removed)"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("--force"), std::string::npos) << r.out;
    expect_a1_forwards("a refused reload (cut-off file)");

    // (b4) A valid file whose uplink device cannot be created, with a new port
    // a5: the apply fails halfway and is rolled back, a5 included.
    std::string failing = good + "  a5: {network: net-a}\n";
    failing.replace(failing.find("uplinks:\n"), 9,
                    "uplinks:\n  bad: {device: \"net_null7,no_such_key=1\", address: 198.18.0.10/24, "
                    "gateway: 198.18.0.1}\n");
    write_file(H.config, failing);
    r = vswctl("reload", true);
    std::printf("[ INFO     ] reload that fails halfway: exit %d: %s", r.status, r.out.c_str());
    EXPECT_NE(r.status, 0) << r.out;
    EXPECT_NE(r.out.find("rolled back to the running config"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("uplink bad: cannot create device"), std::string::npos) << r.out;
    EXPECT_FALSE(vswd_ports().count("a5")) << "the rolled-back port is still there";
    EXPECT_FALSE(fs::exists(H.run_dir + "/a5.sock"));
    expect_a1_forwards("a rolled-back reload");

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
    // virtio-user fills a4's receive ring from the pool at start and takes
    // what it can get: with the pool short, a4 would silently receive nothing.
    ASSERT_GE(rte_mempool_avail_count(H.pool), 2048u) << "the frontends' mbuf pool is too small";
    ASSERT_EQ(rte_dev_probe(("net_virtio_user99,path=" + sock + ",queues=1,queue_size=1024").c_str()), 0);
    uint16_t a4 = 0;
    ASSERT_EQ(rte_eth_dev_get_port_by_name("net_virtio_user99", &a4), 0);
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

}  // namespace
}  // namespace e2e
