#include "evpn_mirror.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "host_iface.hpp"

namespace vsw {

namespace {

// `tool [-force] -batch FILE` with `lines` (ip or bridge); -force: a line
// that fails (a device that is not there) does not stop the others, and
// their messages are not shown.
tl::expected<void, std::string> run_batch(const std::string& netns, const char* tool, const std::string& lines,
                                          bool force) {
    if (lines.empty()) return {};
    char path[] = "/tmp/vsw-evpn-XXXXXX";
    const int fd = mkstemp(path);
    if (fd < 0) return tl::unexpected(fmt::format("mkstemp: {}", std::strerror(errno)));
    const bool written = write(fd, lines.data(), lines.size()) == static_cast<ssize_t>(lines.size());
    close(fd);
    tl::expected<std::string, std::string> ran = tl::unexpected(std::string("write failed"));
    if (written) {
        std::vector<std::string> argv{tool};
        if (force) argv.emplace_back("-force");
        argv.insert(argv.end(), {"-batch", path});
        ran = run_command(netns, argv, force);
    }
    unlink(path);
    if (!ran) return tl::unexpected(ran.error());
    return {};
}

std::string delete_lines(const EvpnMirrorNames& n) {
    return fmt::format("link del {}\nlink del {}\nlink del {}\n", n.vxlan, n.port, n.bridge);
}

}  // namespace

EvpnMirrorNames evpn_mirror_names(uint32_t vni) {
    return {fmt::format("vswb{}", vni), fmt::format("vswx{}", vni), fmt::format("vswl{}", vni),
            fmt::format("vswq{}", vni)};
}

tl::expected<EvpnRemoteState, std::string> parse_evpn_fdb(const std::string& json_text) {
    const nlohmann::json j = nlohmann::json::parse(json_text, nullptr, false);
    if (j.is_discarded() || !j.is_array()) return tl::unexpected(std::string("bridge fdb: not a JSON array"));
    EvpnRemoteState st;
    for (const nlohmann::json& e : j) {
        if (!e.is_object() || !e.contains("dst") || !e.contains("mac") || !e["dst"].is_string() ||
            !e["mac"].is_string())
            continue;
        const auto dst = Ipv4::parse(e["dst"].get<std::string>());
        const auto mac = Mac::parse(e["mac"].get<std::string>());
        if (!dst || !mac) continue;  // an IPv6 underlay: not vsw's
        if (mac->is_zero())
            st.vteps.insert(*dst);
        else if (!mac->is_multicast())
            st.macs.emplace_back(*mac, *dst);
    }
    return st;
}

std::string local_mac_batch(const std::string& port, const std::set<Mac>& had, const std::set<Mac>& wanted) {
    std::string lines;
    for (const Mac& m : had)
        if (wanted.count(m) == 0) lines += fmt::format("fdb del {} dev {} master\n", m.to_string(), port);
    for (const Mac& m : wanted)
        if (had.count(m) == 0) lines += fmt::format("fdb replace {} dev {} master static\n", m.to_string(), port);
    return lines;
}

tl::expected<EvpnMirror, std::string> EvpnMirror::create(const std::string& netns, uint32_t vni, Ipv4 local) {
    EvpnMirror m;
    m.netns_ = netns;
    m.vni_ = vni;
    m.local_ = local;
    m.names_ = evpn_mirror_names(vni);
    const EvpnMirrorNames& n = m.names_;
    // What a vswd that stopped left behind (and fails for what is not there).
    (void)run_batch(netns, "ip", delete_lines(n), true);
    // No IPv6 link-local addresses (addrgenmode none): the mirror sends nothing.
    const std::string lines = fmt::format(
        "link add {b} type bridge\n"
        "link set {b} addrgenmode none\n"
        "link add {x} type vxlan id {vni} local {ip} dstport 4789 nolearning\n"
        "link set {x} addrgenmode none\n"
        "link add {p} type veth peer name {q}\n"
        "link set {p} addrgenmode none\n"
        "link set {q} addrgenmode none\n"
        "link set {x} master {b}\n"
        "link set {p} master {b}\n"
        "link set {q} up\n"
        "link set {p} up\n"
        "link set {x} up\n"
        "link set {b} up\n",
        fmt::arg("b", n.bridge), fmt::arg("x", n.vxlan), fmt::arg("p", n.port), fmt::arg("q", n.peer),
        fmt::arg("vni", vni), fmt::arg("ip", local.to_string()));
    if (auto made = run_batch(netns, "ip", lines, false); !made) {
        (void)run_batch(netns, "ip", delete_lines(n), true);
        return tl::unexpected(made.error());
    }
    // Only vsw's entries on its port: the bridge learns nothing from it.
    if (auto ok = run_command(netns, {"bridge", "link", "set", "dev", n.port, "learning", "off"}); !ok) {
        (void)run_batch(netns, "ip", delete_lines(n), true);
        return tl::unexpected(ok.error());
    }
    return m;
}

void EvpnMirror::destroy() { (void)run_batch(netns_, "ip", delete_lines(names_), true); }

tl::expected<EvpnRemoteState, std::string> EvpnMirror::read_remotes() const {
    auto out = run_command(netns_, {"bridge", "-j", "fdb", "show", "dev", names_.vxlan});
    if (!out) return tl::unexpected(out.error());
    return parse_evpn_fdb(*out);
}

tl::expected<void, std::string> EvpnMirror::set_local_macs(const std::set<Mac>& macs) {
    // Every 30th call writes every entry again (`replace` is idempotent):
    // an entry someone removed behind vsw's back comes back.
    const bool full = ++calls_ % 30 == 0;
    const std::string lines = local_mac_batch(names_.port, written_, macs) +
                              (full ? local_mac_batch(names_.port, {}, macs) : std::string());
    written_ = macs;
    // -force: a line that fails (an entry the kernel dropped already) does
    // not stop the others; a mirror that is gone shows in read_remotes().
    (void)run_batch(netns_, "bridge", lines, true);
    return {};
}

}  // namespace vsw
