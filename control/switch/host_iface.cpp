#include "host_iface.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <sched.h>
#include <spawn.h>
#include <sys/wait.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include <initializer_list>
#include <thread>
#include <vector>

extern char** environ;

namespace vsw {

namespace {

void set_sockaddr(sockaddr* sa, uint32_t host_order) {
    sockaddr_in sin{};
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(host_order);
    std::memcpy(sa, &sin, sizeof sin);
}

// Runs iproute2's `ip` with `args` (control plane only; a few lines of
// netlink would do the same) in the calling thread's namespace; `failed` is
// the message when it exits with an error.
tl::expected<void, std::string> run_ip(std::initializer_list<const char*> args, const std::string& failed) {
    std::vector<std::string> argv{"ip"};
    argv.insert(argv.end(), args.begin(), args.end());
    auto ran = run_command("", argv);
    if (!ran) return tl::unexpected(ran.error().starts_with("cannot run") ? ran.error() : failed);
    return {};
}

// Moves a netdev into a named network namespace.
tl::expected<void, std::string> move_to_netns(const std::string& ifname, const std::string& netns) {
    return run_ip({"link", "set", "dev", ifname.c_str(), "netns", netns.c_str()},
                  fmt::format("ip link set dev {} netns {} failed (does the namespace exist?)", ifname, netns));
}

tl::expected<void, std::string> configure_in_current_netns(const std::string& ifname, Ipv4 address,
                                                           uint8_t prefix_len) {
    if (ifname.size() >= IFNAMSIZ) return tl::unexpected(std::string("interface name too long: ") + ifname);
    const int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return tl::unexpected(fmt::format("socket: {}", std::strerror(errno)));
    auto fail = [&](const char* what) -> tl::expected<void, std::string> {
        const int err = errno;
        close(fd);
        return tl::unexpected(fmt::format("{}: {}: {}", ifname, what, std::strerror(err)));
    };
    ifreq ifr{};
    std::strncpy(ifr.ifr_name, ifname.c_str(), IFNAMSIZ - 1);
    set_sockaddr(&ifr.ifr_addr, address.value);
    if (ioctl(fd, SIOCSIFADDR, &ifr) != 0) return fail("set address");
    const uint32_t mask = prefix_len == 0 ? 0 : ~uint32_t{0} << (32 - prefix_len);
    set_sockaddr(&ifr.ifr_netmask, mask);
    if (ioctl(fd, SIOCSIFNETMASK, &ifr) != 0) return fail("set netmask");
    if (ioctl(fd, SIOCGIFFLAGS, &ifr) != 0) return fail("get flags");
    ifr.ifr_flags = static_cast<short>(ifr.ifr_flags | IFF_UP | IFF_RUNNING);
    if (ioctl(fd, SIOCSIFFLAGS, &ifr) != 0) return fail("set up");
    close(fd);
    return {};
}

}  // namespace

tl::expected<void, std::string> run_in_netns(const std::string& netns,
                                             const std::function<tl::expected<void, std::string>()>& work) {
    if (netns.empty()) return work();
    tl::expected<void, std::string> result;
    std::thread t([&] {
        const std::string path = "/var/run/netns/" + netns;
        const int nsfd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
        if (nsfd < 0 || setns(nsfd, CLONE_NEWNET) != 0) {
            result = tl::unexpected(fmt::format("cannot enter {}: {}", path, std::strerror(errno)));
            if (nsfd >= 0) close(nsfd);
            return;
        }
        close(nsfd);
        result = work();
    });
    t.join();
    return result;
}

tl::expected<void, std::string> check_interface_free(const std::string& ifname, Ipv4 address,
                                                     const std::string& netns) {
    auto name_free = [&](const char* where) -> tl::expected<void, std::string> {
        if (if_nametoindex(ifname.c_str()) == 0) return {};
        return tl::unexpected(fmt::format("interface {} already exists in {} (another vswd's, a program's or the "
                                          "admin's): choose another name",
                                          ifname, where));
    };
    const std::string where = netns.empty() ? "the host's namespace" : "namespace " + netns;
    if (auto ok = name_free(netns.empty() ? where.c_str() : "vswd's namespace"); !ok) return ok;
    return run_in_netns(netns, [&]() -> tl::expected<void, std::string> {
        if (!netns.empty())
            if (auto ok = name_free(where.c_str()); !ok) return ok;
        ifaddrs* list = nullptr;
        if (getifaddrs(&list) != 0) return {};  // nothing to compare with: creating it will tell
        std::string holder;
        for (const ifaddrs* a = list; a != nullptr && holder.empty(); a = a->ifa_next)
            if (a->ifa_addr != nullptr && a->ifa_addr->sa_family == AF_INET &&
                ntohl(reinterpret_cast<const sockaddr_in*>(a->ifa_addr)->sin_addr.s_addr) == address.value)
                holder = a->ifa_name;
        freeifaddrs(list);
        if (holder.empty()) return {};
        return tl::unexpected(fmt::format("address {} is already on interface {} in {}: choose another address",
                                          address.to_string(), holder, where));
    });
}

tl::expected<void, std::string> configure_host_interface(const std::string& ifname, Ipv4 address,
                                                         uint8_t prefix_len, const std::string& netns) {
    if (!netns.empty())
        if (auto moved = move_to_netns(ifname, netns); !moved) return moved;
    return run_in_netns(netns, [&] { return configure_in_current_netns(ifname, address, prefix_len); });
}

namespace {

tl::expected<void, std::string> write_sysctl(const std::string& path, const char* value) {
    const int fd = open(path.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0 || write(fd, value, std::strlen(value)) != static_cast<ssize_t>(std::strlen(value))) {
        const std::string err = fmt::format("{}: {}", path, std::strerror(errno));
        if (fd >= 0) close(fd);
        return tl::unexpected(err);
    }
    close(fd);
    return {};
}

}  // namespace

tl::expected<void, std::string> configure_host_address6(const std::string& ifname, const Ipv6& address,
                                                        uint8_t prefix_len, const std::string& netns) {
    return run_in_netns(netns, [&]() -> tl::expected<void, std::string> {
        const std::string conf = "/proc/sys/net/ipv6/conf/" + ifname;
        if (access("/proc/sys/net/ipv6", F_OK) != 0)
            return tl::unexpected(std::string("the host has IPv6 turned off (no /proc/sys/net/ipv6)"));
        // The host takes no router advertisement from the guests' side (a
        // guest could otherwise become the host's default router).
        if (auto ok = write_sysctl(conf + "/accept_ra", "0"); !ok) return ok;
        if (auto ok = write_sysctl(conf + "/disable_ipv6", "0"); !ok) return ok;
        // nodad: the address is ours on a link vsw made; usable at once.
        const std::string cidr = address.to_string() + "/" + std::to_string(prefix_len);
        return run_ip({"-6", "addr", "add", cidr.c_str(), "dev", ifname.c_str(), "nodad"},
                      fmt::format("ip -6 addr add {} dev {} failed", cidr, ifname));
    });
}

tl::expected<void, std::string> set_route_localnet(const std::string& ifname, const std::string& netns, bool on) {
    return run_in_netns(netns, [&]() -> tl::expected<void, std::string> {
        // /proc/sys/net shows the namespace of the thread that opens it.
        const std::string path = "/proc/sys/net/ipv4/conf/" + ifname + "/route_localnet";
        const int fd = open(path.c_str(), O_WRONLY | O_CLOEXEC);
        if (fd < 0 || write(fd, on ? "1" : "0", 1) != 1) {
            const std::string err = fmt::format("{}: {}", path, std::strerror(errno));
            if (fd >= 0) close(fd);
            return tl::unexpected(err);
        }
        close(fd);
        return {};
    });
}

tl::expected<bool, std::string> ensure_interface_mtu(const std::string& ifname, const std::string& netns,
                                                    uint16_t mtu) {
    bool changed = false;
    auto ok = run_in_netns(netns, [&]() -> tl::expected<void, std::string> {
        if (ifname.size() >= IFNAMSIZ) return tl::unexpected(std::string("interface name too long: ") + ifname);
        const int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (fd < 0) return tl::unexpected(fmt::format("socket: {}", std::strerror(errno)));
        ifreq ifr{};
        std::strncpy(ifr.ifr_name, ifname.c_str(), IFNAMSIZ - 1);
        if (ioctl(fd, SIOCGIFMTU, &ifr) == 0 && ifr.ifr_mtu == mtu) {
            close(fd);
            return {};
        }
        ifr.ifr_mtu = mtu;
        if (ioctl(fd, SIOCSIFMTU, &ifr) != 0) {
            const int err = errno;
            close(fd);
            return tl::unexpected(fmt::format("{}: set MTU {}: {}", ifname, mtu, std::strerror(err)));
        }
        close(fd);
        changed = true;
        return {};
    });
    if (!ok) return tl::unexpected(ok.error());
    return changed;
}

tl::expected<std::string, std::string> run_command(const std::string& netns, const std::vector<std::string>& argv,
                                                   bool quiet) {
    std::string out;
    auto ran = run_in_netns(netns, [&]() -> tl::expected<void, std::string> {
        int fds[2];
        if (pipe2(fds, O_CLOEXEC) != 0) return tl::unexpected(fmt::format("pipe: {}", std::strerror(errno)));
        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_init(&actions);
        posix_spawn_file_actions_adddup2(&actions, fds[1], 1);
        if (quiet) posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
        std::vector<char*> args;
        for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
        args.push_back(nullptr);
        pid_t pid = 0;
        const int rc = posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
        posix_spawn_file_actions_destroy(&actions);
        close(fds[1]);
        if (rc != 0) {
            close(fds[0]);
            return tl::unexpected(fmt::format("cannot run {}: {}", argv[0], std::strerror(rc)));
        }
        char buf[4096];
        ssize_t n;
        while ((n = read(fds[0], buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
        close(fds[0]);
        int status = 0;
        waitpid(pid, &status, 0);
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
            std::string cmd;
            for (const std::string& a : argv) cmd += (cmd.empty() ? "" : " ") + a;
            return tl::unexpected(fmt::format("'{}' failed{}", cmd, netns.empty() ? "" : " in namespace " + netns));
        }
        return {};
    });
    if (!ran) return tl::unexpected(ran.error());
    return out;
}

}  // namespace vsw
