// What one vswd owns in its run_dir, made safe for a restart after a crash.
//
// A vswd that was killed (kill -9, OOM, a crash) leaves its unix sockets
// behind: the control socket and every vhost-user socket it listened on. The
// next start must not trip over them, and must not steal the sockets of a
// vswd that is still running. So:
//   - InstanceLock holds an flock on <run_dir>/vswd.lock for the process's
//     life (the kernel drops it when the process dies, however it dies): a
//     second vswd on the same run_dir is refused with the owner's PID.
//   - clear_stale_socket() removes a socket file only when nobody accepts
//     connections on it any more; a live listener is an error, never removed.
#pragma once

#include <optional>
#include <string>

#include <tl/expected.hpp>

namespace vsw {

class InstanceLock {
public:
    // Creates run_dir if needed, then locks <run_dir>/vswd.lock and writes our PID into it.
    static tl::expected<InstanceLock, std::string> acquire(const std::string& run_dir);
    InstanceLock(InstanceLock&& o) noexcept : fd_(o.fd_), path_(std::move(o.path_)) { o.fd_ = -1; }
    InstanceLock& operator=(InstanceLock&&) = delete;
    ~InstanceLock();  // unlocks and removes the lock file

private:
    InstanceLock(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
    int fd_ = -1;
    std::string path_;
};

enum class StaleSocket { absent, removed };

// For a path where we are about to listen: nothing there -> absent; a socket
// nobody listens on (connect() refused) -> removed; a socket with a live
// listener, or a file that is not a socket -> an error naming the path.
tl::expected<StaleSocket, std::string> clear_stale_socket(const std::string& path);

// switch.socket_group: gives `path` to group `group` with `mode` (run_dir
// 0751, a vhost-user socket 0660), so that a QEMU running as a member (e.g.
// libvirt's libvirt-qemu) can connect. Nothing when `group` is empty.
tl::expected<void, std::string> share_with_group(const std::string& path, const std::string& group, mode_t mode);

// A server socket's group and mode (socket_access() of its port): the group
// when one is given, the mode when one is given.
tl::expected<void, std::string> set_socket_access(const std::string& path, const std::string& group,
                                                  std::optional<unsigned> mode);

}  // namespace vsw
