// The DHCP server's lease file: load() at start, save() after every change.
// Written to a temp file, fsync'ed and renamed, and the directory fsync'ed,
// so a crash or a power cut leaves the old file or the new one, never half of
// one. A file that cannot be parsed at start is renamed aside
// (<file>.corrupt-<unix time>) and reported; the server starts empty. Format:
//   {"version": 1, "network": "<name>",
//    "leases": [{"mac": "52:54:00:00:00:01", "ip": "192.168.56.101",
//                "expires": 1700000000, "hostname": "vm1"}, ...]}
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "dhcp_server.hpp"

namespace vsw {

namespace {

// Keeps a lease file we could not use for the operator to look at, instead
// of overwriting it with the next save.
std::string keep_aside(const std::string& file) {
    const std::string aside = file + ".corrupt-" + std::to_string(std::time(nullptr));
    return std::rename(file.c_str(), aside.c_str()) == 0 ? aside : std::string();
}

}  // namespace

void DhcpServer::load() {
    if (lease_file_.empty()) return;
    std::error_code ec;
    if (!std::filesystem::exists(lease_file_, ec)) return;
    std::ifstream in(lease_file_, std::ios::binary);
    if (!in) {
        spdlog::warn("dhcp {}: cannot read lease file {}; starting empty", network_name_,
                     lease_file_);
        return;
    }
    std::stringstream text;
    text << in.rdbuf();
    nlohmann::json j = nlohmann::json::parse(text.str(), nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded() || !j.is_object() || !j.contains("leases") || !j["leases"].is_array()) {
        const std::string aside = keep_aside(lease_file_);
        spdlog::warn("dhcp {}: lease file {} is corrupt or cut short; starting with no leases ({})", network_name_,
                     lease_file_, aside.empty() ? "could not move it aside" : "kept as " + aside);
        return;
    }
    const int64_t now = static_cast<int64_t>(std::time(nullptr));
    size_t loaded = 0, skipped = 0;
    for (const auto& item : j["leases"]) {
        if (!item.is_object() || !item.contains("mac") || !item["mac"].is_string() ||
            !item.contains("ip") || !item["ip"].is_string() || !item.contains("expires") ||
            !item["expires"].is_number_integer()) {
            ++skipped;
            continue;
        }
        auto mac = Mac::parse(item["mac"].get<std::string>());
        auto ip = Ipv4::parse(item["ip"].get<std::string>());
        const int64_t expires = item["expires"].get<int64_t>();
        if (!mac || !ip || expires <= now || static_for(*mac) || !dynamic_usable(*ip) ||
            by_ip_.count(ip->value)) {
            ++skipped;
            continue;
        }
        bool mac_taken = false;
        for (const auto& [key, e] : by_ip_) mac_taken |= e.lease.mac == *mac;
        if (mac_taken) {
            ++skipped;
            continue;
        }
        Entry e;
        e.lease.mac = *mac;
        e.lease.ip = *ip;
        e.lease.expires = expires;
        if (item.contains("hostname") && item["hostname"].is_string()) {
            const std::string h = item["hostname"].get<std::string>();
            e.lease.hostname = sanitize_dhcp_hostname(std::vector<uint8_t>(h.begin(), h.end()));
        }
        if (item.contains("port") && item["port"].is_string()) e.lease.port = item["port"].get<std::string>();
        by_ip_.emplace(ip->value, std::move(e));
        ++loaded;
    }
    spdlog::info("dhcp {}: loaded {} lease(s) from {} ({} skipped)", network_name_, loaded,
                 lease_file_, skipped);
}

void DhcpServer::save() const {
    if (lease_file_.empty()) return;
    try {
        nlohmann::json arr = nlohmann::json::array();
        for (const auto& [key, e] : by_ip_) {
            const DhcpLease& l = e.lease;
            if (l.offered_only || l.is_static) continue;
            arr.push_back({{"mac", l.mac.to_string()},
                           {"ip", l.ip.to_string()},
                           {"expires", l.expires},
                           {"hostname", l.hostname},
                           {"port", l.port}});
        }
        nlohmann::json j = {{"version", 1}, {"network", network_name_}, {"leases", arr}};
        const std::string text = j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";

        const std::filesystem::path path(lease_file_);
        std::error_code ec;
        if (path.has_parent_path()) std::filesystem::create_directories(path.parent_path(), ec);
        const std::string tmp = lease_file_ + ".tmp";
        int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0) {
            spdlog::warn("dhcp {}: cannot write {}: {}", network_name_, tmp, std::strerror(errno));
            return;
        }
        size_t done = 0;
        bool ok = true;
        while (done < text.size()) {
            ssize_t w = ::write(fd, text.data() + done, text.size() - done);
            if (w < 0) {
                if (errno == EINTR) continue;
                ok = false;
                break;
            }
            done += static_cast<size_t>(w);
        }
        if (ok && ::fsync(fd) != 0) ok = false;
        const int saved_errno = errno;
        ::close(fd);
        if (!ok || std::rename(tmp.c_str(), lease_file_.c_str()) != 0) {
            spdlog::warn("dhcp {}: cannot save leases to {}: {}", network_name_, lease_file_,
                         std::strerror(ok ? errno : saved_errno));
            ::unlink(tmp.c_str());
            return;
        }
        // The rename is durable only once the directory entry is on disk.
        const std::string dir = path.has_parent_path() ? path.parent_path().string() : ".";
        const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0 || ::fsync(dfd) != 0)
            spdlog::warn("dhcp {}: cannot sync directory {}: {}", network_name_, dir, std::strerror(errno));
        if (dfd >= 0) ::close(dfd);
    } catch (const std::exception& e) {
        spdlog::warn("dhcp {}: cannot save leases to {}: {}", network_name_, lease_file_,
                     e.what());
    }
}

}  // namespace vsw
