// The harness of the frontend_test end-to-end program: a real vswd (a child
// process) with a generated YAML in a private temp dir, and this process's
// own DPDK EAL with one virtio-user frontend per vswd port (vhost-user client
// -> vswd's server sockets), on which the tests send and receive raw Ethernet
// frames. Every test checks both what the "guests" receive and vswd's exact
// counters.
//
//   frontend_test <path/to/vswd> <path/to/vswctl> [gtest flags]
//   (or env VSWD / VSWCTL). Must run as root; takes well under a minute.
//
// vswd's worker runs on CPU 1 (cores: [1]); this process stays on CPU 0.
//
// Files:
//   frontend_harness.hpp/.cpp      this harness: vswctl, frames, send/receive
//   frontend_main.cpp              main(): start vswd, EAL, ports; clean up
//   frontend_switching_test.cpp    flooding, learning, isolation, drops, a burst
//   frontend_abuse_test.cpp        one abusive guest (x1) against its neighbours
//   frontend_services_test.cpp     the service address (ARP, ping) and reload
// The tests share one vswd and run in file order (see tests/meson.build); the
// reload test runs last because it leaves port a4 in the running config.
#pragma once

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <span>
#include <string>
#include <sys/types.h>
#include <vector>

struct rte_mempool;

namespace e2e {

namespace fs = std::filesystem;
using json = nlohmann::json;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

using Bytes = std::vector<uint8_t>;
using MacAddr = std::array<uint8_t, 6>;

inline constexpr MacAddr kBroadcast{0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
inline constexpr MacAddr kA3Pinned{0x52, 0x54, 0x00, 0x00, 0x0a, 0x03};
inline constexpr uint16_t kEtherTypeIpv4 = 0x0800;
inline constexpr uint16_t kEtherTypeArp = 0x0806;
inline constexpr uint16_t kEtherTypeTest = 0x88b5;  // IEEE local experimental

// The ports vswd starts with, in vdev order (net_virtio_user<i>).
inline const std::vector<std::string> kInitialPorts = {"a1", "a2", "a3", "b1", "s1", "s2", "x1",
                                                       "x2", "x3", "n1", "n2", "q1", "q2"};
// q1 has two queue pairs (ports.q1.queues: 2), on both sides.
inline const std::map<std::string, uint16_t> kQueues = {{"q1", 2}};
// The NAT uplink "wan" is a vhost-user device too (<run_dir>/wan.sock): the
// test process plays the far side of it (the gateway and the internet).
inline const std::vector<std::string> kUplinkFrontends = {"wan"};

// ---------------------------------------------------------------------------
// The vswd child, temp dir, our EAL and virtio-user ports.

struct Harness {
    std::string vswd, vswctl;
    std::string dir, run_dir, state_dir, config, log;
    std::string vswd_prefix, fe_prefix;
    pid_t vswd_pid = -1;
    bool eal = false;
    rte_mempool* pool = nullptr;
    std::map<std::string, uint16_t> port;  // vswd port name -> our ethdev port id
};
extern Harness H;

// The YAML vswd runs: networks net-a, net-b, net-s (DHCP) and kInitialPorts
// (plus a4 in net-a when `with_a4`).
std::string config_yaml(bool with_a4);

// Writes a sibling and renames it, so vswd never reads a half-written file.
void write_file(const std::string& path, const std::string& text);
std::string read_file(const std::string& path);

// false (and reaped) once vswd exited.
bool vswd_alive();

// ---------------------------------------------------------------------------
// Running vswctl.

struct CmdResult {
    int status = -1;  // exit code, -1 if it did not exit normally
    std::string out;
};

CmdResult vswctl(const std::string& args, bool merge_stderr = false);

// `vswctl --json <what>` -> the "data" member (null on any failure).
json vswctl_json(const std::string& what);

struct Stats {
    json ports;  // data.ports of `vswctl --json stats`
    // key: "rx_packets", "tx_bytes", ... or "drops.<reason>"; ~0 if absent.
    uint64_t get(const std::string& port, const std::string& key) const;
};

Stats stats();

struct Delta {
    std::string port, key;
    uint64_t expected;
};

// Waits (up to 5 s) until every counter rose by exactly its expected amount
// since `before`, then asserts it (a mismatch prints every counter involved).
void expect_deltas(const Stats& before, const std::vector<Delta>& deltas);

// The port vswd's FDB has `mac` on in `network` ("" if not learned).
std::string fdb_port(const MacAddr& mac, const std::string& network);

// Waits until the FDB maps `mac` to `port`; returns the last value seen.
std::string wait_fdb(const MacAddr& mac, const std::string& network, const std::string& port);

// vswd's view of its ports: name -> show's port object.
std::map<std::string, json> vswd_ports();

bool wait_vswd_links_up(const std::vector<std::string>& names, std::chrono::milliseconds timeout);

// ---------------------------------------------------------------------------
// Frames.

// A locally administered MAC for test `test`, host `n`.
MacAddr mac(uint8_t test, uint8_t n);

void put16(Bytes& b, size_t at, uint16_t v);
uint16_t get16(const Bytes& b, size_t at);

// dst, src, ethertype, payload; padded with zeros to `min_len` (the Ethernet
// minimum without FCS by default).
Bytes frame(const MacAddr& dst, const MacAddr& src, uint16_t type, std::span<const uint8_t> payload = {},
            size_t min_len = 60);

Bytes text(const std::string& s);
// An ARP frame for IPv4 over Ethernet (op 1 request, 2 reply), from `sender` to `eth_dst`.
Bytes arp_frame(uint16_t op, const MacAddr& eth_dst, const MacAddr& sender, const uint8_t sender_ip[4],
                const MacAddr& target, const uint8_t target_ip[4]);

// The Internet checksum of p[0, n) (0 when p already holds a valid one).
uint16_t checksum(const uint8_t* p, size_t n);

// ---------------------------------------------------------------------------
// Sending and receiving on our virtio-user ports.

uint16_t port_of(const std::string& name);

// Sends every frame (retrying for up to 500 ms); returns how many went.
size_t send(const std::string& name, const std::vector<Bytes>& frames, uint16_t queue = 0);
size_t send1(const std::string& name, const Bytes& f);

// Polls one rx burst; appends what arrived.
uint16_t poll_port(uint16_t port, std::vector<Bytes>& out);

// Receives on `name` until `want` frames arrived or the timeout passed.
std::vector<Bytes> recv(const std::string& name, size_t want, std::chrono::milliseconds timeout = 2000ms);

// Everything that arrives on the given ports during `duration`.
std::map<std::string, std::vector<Bytes>> collect(const std::vector<std::string>& names,
                                                  std::chrono::milliseconds duration);

// Every port we have a frontend on.
std::vector<std::string> all_ports();

// Asserts that none of `names` receives anything for a while.
void expect_silence(const std::vector<std::string>& names, std::chrono::milliseconds duration = 60ms);

// ---------------------------------------------------------------------------
// The fixture of every test.

class Frontend : public ::testing::Test {
protected:
    void SetUp() override {
        ASSERT_TRUE(vswd_alive()) << "vswd is not running";
        collect(all_ports(), 20ms);  // drain whatever a previous test left
    }
};

}  // namespace e2e
