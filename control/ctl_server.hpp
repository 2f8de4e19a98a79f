// The operator's control socket (<run_dir>/vswd.sock, mode 0600, or 0660 for
// switch.control_group). One JSON
// request per connection, one line each way:
//   -> {"cmd":"stats"}
//   <- {"ok":true,"data":{...}}   or   {"ok":false,"error":"..."}
// Served from the control thread's loop: accept() is non-blocking and a
// client gets a short time to send its request.
#pragma once

#include <sys/types.h>

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <tl/expected.hpp>

namespace vsw {

// Who sent a request: the credentials of the connecting process (SO_PEERCRED,
// SO_PEERGROUPS), as the kernel recorded them at connect().
struct CtlPeer {
    uid_t uid = static_cast<uid_t>(-1);
    gid_t gid = static_cast<gid_t>(-1);
    std::vector<gid_t> groups;  // supplementary groups
    bool in_group(gid_t g) const;
};

// switch.control_group / control_admin_group: the socket file decides who may
// connect (root, and members of the socket's group); this decides what they
// may run. Root runs everything; reload, the one command that changes
// anything, needs root or `admin_group` (when one is configured).
bool may_run(const std::string& cmd, const CtlPeer& peer, std::optional<gid_t> admin_group);

class CtlServer {
public:
    using Handler = std::function<nlohmann::json(const nlohmann::json& request, const CtlPeer& peer)>;

    // `group` empty: the socket is root's alone (0600); else root:<group> 0660.
    static tl::expected<CtlServer, std::string> listen(const std::string& path, Handler handler,
                                                       const std::string& group = "");
    CtlServer(CtlServer&&) noexcept;
    CtlServer& operator=(CtlServer&&) = delete;
    ~CtlServer();

    int fd() const { return fd_; }
    void serve_pending();  // accepts and answers the connections waiting now

private:
    CtlServer(int fd, std::string path, Handler h) : fd_(fd), path_(std::move(path)), handler_(std::move(h)) {}
    int fd_ = -1;
    std::string path_;
    Handler handler_;
};

// Writes all of `s` to a blocking socket; false on an error.
bool write_all(int fd, const std::string& s);

// Client side (vswctl): sends one request, returns the parsed response.
tl::expected<nlohmann::json, std::string> ctl_request(const std::string& path, const nlohmann::json& request);

}  // namespace vsw
