#include "ctl_server.hpp"

#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <fmt/format.h>

namespace vsw {

namespace {

constexpr int kIoTimeoutMs = 2000;
constexpr size_t kMaxMessage = 16 * 1024 * 1024;

tl::expected<sockaddr_un, std::string> unix_address(const std::string& path) {
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (path.size() >= sizeof addr.sun_path) return tl::unexpected(std::string("socket path too long: ") + path);
    std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
    return addr;
}

// Reads until a newline (or EOF) within the timeout.
tl::expected<std::string, std::string> read_line(int fd) {
    std::string data;
    char buf[4096];
    while (data.find('\n') == std::string::npos) {
        pollfd p{fd, POLLIN, 0};
        if (poll(&p, 1, kIoTimeoutMs) <= 0) return tl::unexpected(std::string("timed out waiting for data"));
        const ssize_t n = read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return tl::unexpected(fmt::format("read: {}", std::strerror(errno)));
        if (n == 0) break;
        data.append(buf, static_cast<size_t>(n));
        if (data.size() > kMaxMessage) return tl::unexpected(std::string("message too large"));
    }
    return data;
}

}  // namespace

bool CtlPeer::in_group(gid_t g) const {
    return gid == g || std::find(groups.begin(), groups.end(), g) != groups.end();
}

bool may_run(const std::string& cmd, const CtlPeer& peer, std::optional<gid_t> admin_group) {
    if (peer.uid == 0) return true;
    if (cmd != "reload") return true;  // the rest only read
    return admin_group && peer.in_group(*admin_group);
}

namespace {

CtlPeer peer_of(int fd) {
    CtlPeer peer;
    ucred cred{};
    socklen_t len = sizeof cred;
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0) peer.uid = cred.uid, peer.gid = cred.gid;
    std::vector<gid_t> groups(64);
    len = static_cast<socklen_t>(groups.size() * sizeof(gid_t));
    if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups.data(), &len) != 0 && errno == ERANGE) {
        groups.resize(len / sizeof(gid_t));  // the kernel said how much room it needs
        if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups.data(), &len) != 0) len = 0;
    }
    groups.resize(len / sizeof(gid_t));
    peer.groups = std::move(groups);
    return peer;
}

}  // namespace

bool write_all(int fd, const std::string& s) {
    size_t off = 0;
    while (off < s.size()) {
        const ssize_t n = write(fd, s.data() + off, s.size() - off);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false;
        off += static_cast<size_t>(n);
    }
    return true;
}

tl::expected<CtlServer, std::string> CtlServer::listen(const std::string& path, Handler handler,
                                                       const std::string& group) {
    auto addr = unix_address(path);
    if (!addr) return tl::unexpected(addr.error());
    const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return tl::unexpected(fmt::format("socket: {}", std::strerror(errno)));
    unlink(path.c_str());  // a stale socket from a previous run
    const mode_t old_mask = umask(0077);  // the socket is created 0600: root's CLI only
    const int rc = bind(fd, reinterpret_cast<const sockaddr*>(&*addr), sizeof *addr);
    umask(old_mask);
    if (rc != 0 || ::listen(fd, 16) != 0) {
        const std::string err = fmt::format("{}: {}", path, std::strerror(errno));
        close(fd);
        return tl::unexpected(err);
    }
    chmod(path.c_str(), 0600);
    if (!group.empty()) {
        const struct group* g = getgrnam(group.c_str());
        if (g == nullptr || chown(path.c_str(), static_cast<uid_t>(-1), g->gr_gid) != 0 || chmod(path.c_str(), 0660) != 0) {
            const std::string err = fmt::format("{}: cannot give it to group {}: {}", path, group,
                                                g == nullptr ? "no such group" : std::strerror(errno));
            close(fd);
            unlink(path.c_str());
            return tl::unexpected(err);
        }
    }
    return CtlServer(fd, path, std::move(handler));
}

CtlServer::CtlServer(CtlServer&& o) noexcept : fd_(o.fd_), path_(std::move(o.path_)), handler_(std::move(o.handler_)) {
    o.fd_ = -1;
}

CtlServer::~CtlServer() {
    if (fd_ >= 0) {
        close(fd_);
        unlink(path_.c_str());
    }
}

void CtlServer::serve_pending() {
    for (;;) {
        const int c = accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
        if (c < 0) return;  // EAGAIN: nobody waiting
        nlohmann::json response;
        auto line = read_line(c);
        if (!line) {
            response = {{"ok", false}, {"error", line.error()}};
        } else {
            auto request = nlohmann::json::parse(*line, nullptr, /*allow_exceptions=*/false);
            if (request.is_discarded() || !request.is_object())
                response = {{"ok", false}, {"error", "request is not a JSON object"}};
            else
                response = handler_(request, peer_of(c));
        }
        write_all(c, response.dump() + "\n");
        close(c);
    }
}

tl::expected<nlohmann::json, std::string> ctl_request(const std::string& path, const nlohmann::json& request) {
    auto addr = unix_address(path);
    if (!addr) return tl::unexpected(addr.error());
    const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return tl::unexpected(fmt::format("socket: {}", std::strerror(errno)));
    if (connect(fd, reinterpret_cast<const sockaddr*>(&*addr), sizeof *addr) != 0) {
        const std::string err =
            errno == EACCES ? fmt::format("cannot connect to {}: permission denied (root, or a member of vswd's "
                                          "switch.control_group, may use it)", path)
                            : fmt::format("cannot connect to {}: {} (is vswd running?)", path, std::strerror(errno));
        close(fd);
        return tl::unexpected(err);
    }
    if (!write_all(fd, request.dump() + "\n")) {
        close(fd);
        return tl::unexpected(std::string("write failed"));
    }
    // A reload may take a while (ports are created): wait longer than for I/O.
    std::string data;
    char buf[65536];
    for (;;) {
        pollfd p{fd, POLLIN, 0};
        if (poll(&p, 1, 60000) <= 0) {
            close(fd);
            return tl::unexpected(std::string("timed out waiting for vswd"));
        }
        const ssize_t n = read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        data.append(buf, static_cast<size_t>(n));
    }
    close(fd);
    auto j = nlohmann::json::parse(data, nullptr, false);
    if (j.is_discarded()) return tl::unexpected(std::string("vswd sent a response that is not JSON"));
    return j;
}

}  // namespace vsw
