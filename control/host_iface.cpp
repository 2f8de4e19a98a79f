#include "host_iface.hpp"

#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

namespace vsw {

namespace {

void set_sockaddr(sockaddr* sa, uint32_t host_order) {
    sockaddr_in sin{};
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(host_order);
    std::memcpy(sa, &sin, sizeof sin);
}

}  // namespace

tl::expected<void, std::string> configure_host_interface(const std::string& ifname, Ipv4 address,
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

}  // namespace vsw
