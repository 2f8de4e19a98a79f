#include "metrics_server.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fmt/format.h>

#include <cerrno>
#include <cstring>

#include "ctl_server.hpp"

namespace vsw {

namespace {

constexpr int kRequestTimeoutMs = 100;
constexpr size_t kMaxRequestHead = 8192;

std::string response(const char* status, const char* type, const std::string& body) {
    return fmt::format("HTTP/1.0 {}\r\nContent-Type: {}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{}",
                       status, type, body.size(), body);
}

}  // namespace

std::string metrics_http_response(const std::string& head, const std::function<std::string()>& body) {
    const size_t eol = head.find("\r\n");
    const std::string line = head.substr(0, eol);
    const size_t sp1 = line.find(' '), sp2 = line.find(' ', sp1 == std::string::npos ? 0 : sp1 + 1);
    if (sp1 == std::string::npos || sp2 == std::string::npos || line.compare(sp2 + 1, 5, "HTTP/") != 0)
        return response("400 Bad Request", "text/plain", "bad request\n");
    const std::string method = line.substr(0, sp1), path = line.substr(sp1 + 1, sp2 - sp1 - 1);
    if (method != "GET") return response("405 Method Not Allowed", "text/plain", "only GET\n");
    if (path != "/metrics" && path != "/") return response("404 Not Found", "text/plain", "see /metrics\n");
    return response("200 OK", "text/plain; version=0.0.4; charset=utf-8", body());
}

tl::expected<MetricsServer, std::string> MetricsServer::listen(Ipv4 address, uint16_t port) {
    const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) return tl::unexpected(fmt::format("metrics: socket: {}", std::strerror(errno)));
    const int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = address.to_be();
    if (bind(fd, reinterpret_cast<const sockaddr*>(&a), sizeof a) != 0 || ::listen(fd, 16) != 0) {
        const std::string err =
            fmt::format("metrics: cannot listen on {}:{}: {}", address.to_string(), port, std::strerror(errno));
        close(fd);
        return tl::unexpected(err);
    }
    return MetricsServer(fd);
}

MetricsServer::~MetricsServer() {
    if (fd_ >= 0) close(fd_);
}

void MetricsServer::serve_pending(const std::function<std::string()>& body) {
    for (;;) {
        const int c = accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
        if (c < 0) return;  // EAGAIN: nobody waiting
        std::string head;
        char buf[2048];
        while (head.find("\r\n\r\n") == std::string::npos && head.size() < kMaxRequestHead) {
            pollfd p{c, POLLIN, 0};
            if (poll(&p, 1, kRequestTimeoutMs) <= 0) break;
            const ssize_t n = read(c, buf, sizeof buf);
            if (n <= 0) break;
            head.append(buf, static_cast<size_t>(n));
        }
        write_all(c, metrics_http_response(head, body));
        close(c);
    }
}

}  // namespace vsw
