// vsw's XDP program on an AF_XDP uplink (datapath/xdp/vsw_uplink.bpf.c): it
// steers only vsw's traffic into the AF_XDP socket and passes the rest to the
// kernel, so the host can share the interface.
//
// DPDK's af_xdp PMD loads and attaches the program (devargs xdp_prog=<object>,
// added by af_xdp_devargs()). XdpSteering then finds it on the interface,
// fills its configuration maps and reads its counters. Pure libbpf: no DPDK.
//
// The object file is looked up in this order:
//   1. $VSW_XDP_OBJECT (for installed setups; an error if it is not readable),
//   2. the build tree (datapath/xdp/vsw_uplink.bpf.o),
//   3. the installed copy (<prefix>/<libdir>/vsw/vsw_uplink.bpf.o).
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <tl/expected.hpp>

#include "../../common/addr.hpp"

namespace vsw {

// A file descriptor that closes itself.
class UniqueFd {
public:
    UniqueFd() = default;
    explicit UniqueFd(int fd) : fd_(fd) {}
    UniqueFd(UniqueFd&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
    UniqueFd& operator=(UniqueFd&& o) noexcept;
    UniqueFd(const UniqueFd&) = delete;
    UniqueFd& operator=(const UniqueFd&) = delete;
    ~UniqueFd();
    int get() const { return fd_; }
    explicit operator bool() const { return fd_ >= 0; }

private:
    int fd_ = -1;
};

struct XdpSteeringConfig {
    Ipv4 address;                  // vsw's uplink address
    std::optional<Ipv6> address6;  // and its IPv6 one (NAT66)
    uint16_t port_first = 1024;    // masquerade range, inclusive
    uint16_t port_last = 65535;
    std::vector<std::pair<uint8_t, uint16_t>> forwarded;  // (6 tcp | 17 udp, host port)
};

struct XdpCounters {
    uint64_t redirected = 0;       // to vsw's AF_XDP socket
    uint64_t passed = 0;           // not vsw's: to the kernel
    uint64_t redirect_failed = 0;  // vsw's, but no socket on that rx queue: to the kernel
};

class XdpSteering {
public:
    // The vsw program attached to the interface (any XDP attach mode).
    static tl::expected<XdpSteering, std::string> from_interface(int ifindex);
    // A loaded vsw program by id; an error if it lacks vsw's maps.
    static tl::expected<XdpSteering, std::string> from_program(uint32_t prog_id);

    // Writes the forwarded ports first, then the address and range, enabled.
    tl::expected<void, std::string> configure(const XdpSteeringConfig& cfg) const;
    // Summed over CPUs.
    tl::expected<XdpCounters, std::string> counters() const;
    uint32_t program_id() const { return prog_id_; }

private:
    XdpSteering() = default;
    uint32_t prog_id_ = 0;
    UniqueFd config_, fwd_ports_, stats_;
};

// Where vsw_uplink.bpf.o is (see the order above).
tl::expected<std::string, std::string> xdp_object_path();

// True for an AF_XDP device string ("net_af_xdp...").
bool is_af_xdp_device(const std::string& devargs);

// For an AF_XDP device string without an xdp_prog= key: the same string with
// ",xdp_prog=<xdp_object_path()>". Other strings come back unchanged (a
// user's own xdp_prog= wins; vswd then finds no vsw maps and only logs it).
tl::expected<std::string, std::string> af_xdp_devargs(const std::string& devargs);

// The interface an AF_XDP device string names ("iface=..."), or "".
std::string af_xdp_interface(const std::string& devargs);

// An AF_XDP uplink's hold on its interface, for the uplink's life: an flock
// on /run/lock/vsw-xdp-<ifname>.lock, so two vswds never share an interface.
// Taking it also clears what a vswd that died (kill -9, a crash) left on the
// interface: its XDP program stays attached, and the next start would fail
// with "XDP program already attached". Only a program with vsw's maps is
// detached; another program on the interface is an error.
class XdpInterfaceClaim {
public:
    static tl::expected<XdpInterfaceClaim, std::string> take(const std::string& ifname, std::string& note);

private:
    explicit XdpInterfaceClaim(UniqueFd lock) : lock_(std::move(lock)) {}
    UniqueFd lock_;
};

}  // namespace vsw
