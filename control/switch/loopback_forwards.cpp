#include "loopback_forwards.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <spawn.h>
#include <sys/socket.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "host_iface.hpp"

extern char** environ;

namespace vsw {

std::string loopback_table_name(const std::string& tap) {
    std::string name = "vsw_";
    for (char c : tap) name += (c == '-' || c == '.') ? '_' : c;  // nft identifiers: letters, digits, _
    return name;
}

std::string loopback_forward_script(const std::string& tap, Ipv4 uplink_address,
                                    const std::vector<LoopbackForward>& forwards, bool outbound) {
    const std::string table = loopback_table_name(tap);
    // "table" first makes "delete" succeed when there was none.
    std::string s = fmt::format("table ip {0}\ndelete table ip {0}\n", table);
    if (forwards.empty() && !outbound) return s;
    s += fmt::format("table ip {} {{\n", table);
    auto dnat = [&](const LoopbackForward& f) {
        return fmt::format("{} dport {} dnat to {}:{}\n", f.proto == 17 ? "udp" : "tcp", f.host_port,
                           uplink_address.to_string(), f.host_port);
    };
    if (!forwards.empty()) {
        s += "  chain output {\n    type nat hook output priority -100; policy accept;\n";
        for (const LoopbackForward& f : forwards)
            s += (f.every_address ? "    fib daddr type local " : "    ip daddr 127.0.0.1 ") + dnat(f);
        s += "  }\n";
    }
    const bool from_elsewhere =
        std::any_of(forwards.begin(), forwards.end(), [](const LoopbackForward& f) { return f.every_address; });
    if (from_elsewhere) {
        // Not what comes from vsw itself: a guest reaching the host's
        // address at that port reaches the host.
        s += "  chain prerouting {\n    type nat hook prerouting priority -100; policy accept;\n";
        for (const LoopbackForward& f : forwards)
            if (f.every_address) s += fmt::format("    iifname != \"{}\" fib daddr type local ", tap) + dnat(f);
        s += "  }\n";
    }
    s += "  chain postrouting {\n    type nat hook postrouting priority 100; policy accept;\n";
    if (!forwards.empty()) s += fmt::format("    oifname \"{}\" ip saddr 127.0.0.0/8 masquerade\n", tap);
    if (outbound)
        s += fmt::format("    iifname \"{0}\" ip saddr {1} oifname != \"{0}\" masquerade\n", tap,
                         uplink_address.to_string());
    s += "  }\n}\n";
    return s;
}

tl::expected<bool, std::string> set_ip_forward(const std::string& netns, bool on) {
    char was = '0';
    auto done = run_in_netns(netns, [&]() -> tl::expected<void, std::string> {
        // /proc/sys/net shows the namespace of the thread that opens it.
        const char* path = "/proc/sys/net/ipv4/ip_forward";
        const int fd = open(path, O_RDWR | O_CLOEXEC);
        if (fd < 0 || read(fd, &was, 1) != 1 || lseek(fd, 0, SEEK_SET) != 0 || write(fd, on ? "1" : "0", 1) != 1) {
            const std::string err = fmt::format("{}: {}", path, std::strerror(errno));
            if (fd >= 0) close(fd);
            return tl::unexpected(err);
        }
        close(fd);
        return {};
    });
    if (!done) return tl::unexpected(done.error());
    return was == '1';
}

tl::expected<bool, std::string> host_port_in_use(const std::string& netns, const LoopbackForward& f) {
    bool in_use = false;
    auto done = run_in_netns(netns, [&]() -> tl::expected<void, std::string> {
        const int fd = socket(AF_INET, (f.proto == 17 ? SOCK_DGRAM : SOCK_STREAM) | SOCK_CLOEXEC, 0);
        if (fd < 0) return tl::unexpected(fmt::format("socket: {}", std::strerror(errno)));
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_port = htons(f.host_port);
        a.sin_addr.s_addr = htonl(f.every_address ? INADDR_ANY : INADDR_LOOPBACK);
        const int rc = bind(fd, reinterpret_cast<const sockaddr*>(&a), sizeof a);
        const int err = errno;
        close(fd);
        if (rc == 0) return {};
        if (err == EADDRINUSE) {
            in_use = true;
            return {};
        }
        return tl::unexpected(fmt::format("bind: {}", std::strerror(err)));
    });
    if (!done) return tl::unexpected(done.error());
    return in_use;
}

tl::expected<void, std::string> run_nft(const std::string& netns, const std::string& script) {
    char path[] = "/tmp/vsw-nft-XXXXXX";
    const int fd = mkstemp(path);
    if (fd < 0) return tl::unexpected(fmt::format("mkstemp: {}", std::strerror(errno)));
    const bool written = write(fd, script.data(), script.size()) == static_cast<ssize_t>(script.size());
    close(fd);
    if (!written) {
        unlink(path);
        return tl::unexpected(fmt::format("{}: write failed", path));
    }
    // The child is made by the thread in_netns runs this on: it is born in `netns`.
    auto result = run_in_netns(netns, [&]() -> tl::expected<void, std::string> {
        const char* argv[] = {"nft", "-f", path, nullptr};
        pid_t pid = 0;
        if (posix_spawnp(&pid, "nft", nullptr, nullptr, const_cast<char**>(argv), environ) != 0)
            return tl::unexpected(
                std::string("cannot run nft (forwards on 127.0.0.1 need nftables: apt-get install nftables)"));
        int status = 0;
        waitpid(pid, &status, 0);
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
            return tl::unexpected(fmt::format("nft -f {} failed (see its message above)", path));
        return {};
    });
    unlink(path);
    return result;
}

}  // namespace vsw
