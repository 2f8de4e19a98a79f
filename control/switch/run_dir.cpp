#include "run_dir.hpp"

#include <fcntl.h>
#include <grp.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

namespace vsw {

tl::expected<InstanceLock, std::string> InstanceLock::acquire(const std::string& run_dir) {
    std::error_code ec;
    std::filesystem::create_directories(run_dir, ec);
    if (ec) return tl::unexpected(fmt::format("cannot create run_dir {}: {}", run_dir, ec.message()));
    const std::string path = run_dir + "/vswd.lock";
    const int fd = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) return tl::unexpected(fmt::format("{}: {}", path, std::strerror(errno)));
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        char pid[32] = {};
        const ssize_t n = pread(fd, pid, sizeof pid - 1, 0);
        close(fd);
        std::string owner = n > 0 ? std::string(pid, static_cast<size_t>(n)) : "?";
        while (!owner.empty() && (owner.back() == '\n' || owner.back() == ' ')) owner.pop_back();
        return tl::unexpected(fmt::format(
            "another vswd (pid {}) is running with run_dir {}: stop it, or give this one another switch.run_dir",
            owner, run_dir));
    }
    const std::string pid = fmt::format("{}\n", getpid());
    if (ftruncate(fd, 0) != 0 || pwrite(fd, pid.data(), pid.size(), 0) != static_cast<ssize_t>(pid.size())) {
        const std::string err = fmt::format("{}: {}", path, std::strerror(errno));
        close(fd);
        return tl::unexpected(err);
    }
    return InstanceLock(fd, path);
}

InstanceLock::~InstanceLock() {
    if (fd_ < 0) return;
    unlink(path_.c_str());  // while still locked: a successor locks a new file
    close(fd_);
}

tl::expected<StaleSocket, std::string> clear_stale_socket(const std::string& path) {
    struct stat st {};
    if (lstat(path.c_str(), &st) != 0) {
        if (errno == ENOENT) return StaleSocket::absent;
        return tl::unexpected(fmt::format("{}: {}", path, std::strerror(errno)));
    }
    if (!S_ISSOCK(st.st_mode))
        return tl::unexpected(fmt::format("{} exists and is not a socket: remove it or choose another path", path));
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (path.size() >= sizeof addr.sun_path) return tl::unexpected(fmt::format("{}: path too long", path));
    std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
    const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return tl::unexpected(fmt::format("socket: {}", std::strerror(errno)));
    const int rc = connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr);
    const int err = errno;
    close(fd);
    if (rc == 0)
        return tl::unexpected(fmt::format("{} is in use: another process listens on it", path));
    if (err != ECONNREFUSED && err != ENOENT)
        return tl::unexpected(fmt::format("{}: cannot tell whether it is stale: {}", path, std::strerror(err)));
    if (unlink(path.c_str()) != 0 && errno != ENOENT)
        return tl::unexpected(fmt::format("cannot remove stale socket {}: {}", path, std::strerror(errno)));
    return StaleSocket::removed;
}

tl::expected<void, std::string> share_with_group(const std::string& path, const std::string& group, mode_t mode) {
    if (group.empty()) return {};
    const struct group* g = getgrnam(group.c_str());
    if (g == nullptr) return tl::unexpected(fmt::format("socket_group '{}': no such group", group));
    if (chown(path.c_str(), static_cast<uid_t>(-1), g->gr_gid) != 0 || chmod(path.c_str(), mode) != 0)
        return tl::unexpected(fmt::format("{}: cannot give it to group {}: {}", path, group, std::strerror(errno)));
    return {};
}

tl::expected<void, std::string> set_socket_access(const std::string& path, const std::string& group,
                                                  std::optional<unsigned> mode) {
    if (!group.empty()) {
        const struct group* g = getgrnam(group.c_str());
        if (g == nullptr) return tl::unexpected(fmt::format("socket_group '{}': no such group", group));
        if (chown(path.c_str(), static_cast<uid_t>(-1), g->gr_gid) != 0)
            return tl::unexpected(fmt::format("{}: cannot give it to group {}: {}", path, group, std::strerror(errno)));
    }
    if (mode && chmod(path.c_str(), *mode) != 0)
        return tl::unexpected(fmt::format("{}: cannot set mode {:04o}: {}", path, *mode, std::strerror(errno)));
    return {};
}

}  // namespace vsw
