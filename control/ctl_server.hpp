// The operator's control socket (<run_dir>/vswd.sock, mode 0600). One JSON
// request per connection, one line each way:
//   -> {"cmd":"stats"}
//   <- {"ok":true,"data":{...}}   or   {"ok":false,"error":"..."}
// Served from the control thread's loop: accept() is non-blocking and a
// client gets a short time to send its request.
#pragma once

#include <functional>
#include <string>

#include <nlohmann/json.hpp>
#include <tl/expected.hpp>

namespace vsw {

class CtlServer {
public:
    using Handler = std::function<nlohmann::json(const nlohmann::json& request)>;

    static tl::expected<CtlServer, std::string> listen(const std::string& path, Handler handler);
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
