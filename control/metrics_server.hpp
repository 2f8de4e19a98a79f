// switch.metrics: a minimal HTTP endpoint for Prometheus to scrape,
// answering GET /metrics with prometheus_text() of vswd's stats. It runs on
// the control thread's poll loop like the control socket: a request must
// arrive whole within 100 ms (a slow client costs the slow path at most
// that), the answer is written and the connection closed (HTTP/1.0).
#pragma once

#include <functional>
#include <string>

#include <tl/expected.hpp>

#include "../common/addr.hpp"

namespace vsw {

class MetricsServer {
public:
    static tl::expected<MetricsServer, std::string> listen(Ipv4 address, uint16_t port);
    MetricsServer(MetricsServer&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
    MetricsServer& operator=(MetricsServer&&) = delete;
    ~MetricsServer();

    int fd() const { return fd_; }
    // Accepts and answers the connections waiting now; `body` makes the text.
    void serve_pending(const std::function<std::string()>& body);

private:
    explicit MetricsServer(int fd) : fd_(fd) {}
    int fd_ = -1;
};

// The HTTP response to a request head (pure, for the tests): 200 with
// `body` for GET /metrics (or /), 404 for another path, 400 otherwise.
std::string metrics_http_response(const std::string& request_head, const std::function<std::string()>& body);

}  // namespace vsw
