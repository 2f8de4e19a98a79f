#include "xdp_steering.hpp"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>
#include <fcntl.h>
#include <linux/if_link.h>
#include <net/if.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <memory>

#include <fmt/format.h>

#include "../../datapath/xdp/steer.h"

#ifndef VSW_XDP_OBJECT
#define VSW_XDP_OBJECT ""
#endif
#ifndef VSW_XDP_OBJECT_INSTALLED
#define VSW_XDP_OBJECT_INSTALLED ""
#endif

namespace vsw {

namespace {

constexpr uint32_t kKey = 0;  // every vsw map has one entry

std::string err(int rc) { return std::strerror(rc < 0 ? -rc : rc); }

struct MapSpec {
    const char* name;
    uint32_t type;
    uint32_t value_size;
    UniqueFd* fd;
};

}  // namespace

UniqueFd& UniqueFd::operator=(UniqueFd&& o) noexcept {
    if (this != &o) {
        if (fd_ >= 0) close(fd_);
        fd_ = std::exchange(o.fd_, -1);
    }
    return *this;
}

UniqueFd::~UniqueFd() {
    if (fd_ >= 0) close(fd_);
}

tl::expected<XdpSteering, std::string> XdpSteering::from_interface(int ifindex) {
    LIBBPF_OPTS(bpf_xdp_query_opts, opts);
    if (int rc = bpf_xdp_query(ifindex, 0, &opts); rc != 0)
        return tl::unexpected(fmt::format("ifindex {}: XDP query failed: {}", ifindex, err(rc)));
    // prog_id is only set for a single attachment; otherwise take driver mode first.
    const uint32_t id = opts.prog_id ? opts.prog_id : opts.drv_prog_id ? opts.drv_prog_id : opts.skb_prog_id;
    if (id == 0) return tl::unexpected(fmt::format("ifindex {}: no XDP program attached", ifindex));
    auto s = from_program(id);
    if (!s) return tl::unexpected(fmt::format("ifindex {}: {}", ifindex, s.error()));
    return s;
}

tl::expected<XdpSteering, std::string> XdpSteering::from_program(uint32_t prog_id) {
    UniqueFd prog(bpf_prog_get_fd_by_id(prog_id));  // libbpf returns -errno on failure
    if (!prog) return tl::unexpected(fmt::format("XDP program {}: {}", prog_id, err(prog.get())));

    bpf_prog_info info{};
    uint32_t len = sizeof info;
    if (int rc = bpf_obj_get_info_by_fd(prog.get(), &info, &len); rc != 0)
        return tl::unexpected(fmt::format("XDP program {}: info: {}", prog_id, err(rc)));
    if (info.type != BPF_PROG_TYPE_XDP) return tl::unexpected(fmt::format("program {} is not XDP", prog_id));
    const std::string prog_name = info.name;
    std::vector<uint32_t> map_ids(info.nr_map_ids);
    info = bpf_prog_info{};
    info.nr_map_ids = static_cast<uint32_t>(map_ids.size());
    info.map_ids = reinterpret_cast<uint64_t>(map_ids.data());
    len = sizeof info;
    if (int rc = bpf_obj_get_info_by_fd(prog.get(), &info, &len); rc != 0)
        return tl::unexpected(fmt::format("XDP program {}: map ids: {}", prog_id, err(rc)));
    map_ids.resize(std::min<size_t>(map_ids.size(), info.nr_map_ids));

    XdpSteering s;
    s.prog_id_ = prog_id;
    MapSpec specs[] = {
        {"vsw_config", BPF_MAP_TYPE_ARRAY, sizeof(vsw_xdp_config), &s.config_},
        {"vsw_fwd_ports", BPF_MAP_TYPE_ARRAY, sizeof(vsw_xdp_fwd_ports), &s.fwd_ports_},
        {"vsw_stats", BPF_MAP_TYPE_PERCPU_ARRAY, sizeof(vsw_xdp_stats), &s.stats_},
    };
    for (uint32_t map_id : map_ids) {
        UniqueFd map(bpf_map_get_fd_by_id(map_id));
        if (!map) return tl::unexpected(fmt::format("XDP program {}: map {}: {}", prog_id, map_id, err(map.get())));
        bpf_map_info mi{};
        uint32_t mlen = sizeof mi;
        if (int rc = bpf_obj_get_info_by_fd(map.get(), &mi, &mlen); rc != 0)
            return tl::unexpected(fmt::format("XDP program {}: map {} info: {}", prog_id, map_id, err(rc)));
        for (MapSpec& spec : specs) {
            if (std::strncmp(mi.name, spec.name, sizeof mi.name) != 0) continue;
            // A stale object from another vsw version would have other layouts.
            if (mi.type != spec.type || mi.value_size != spec.value_size || mi.key_size != sizeof(uint32_t))
                return tl::unexpected(fmt::format("XDP program {} ({}): map {} has type {} value size {}, "
                                                  "expected type {} value size {} (object from another vsw?)",
                                                  prog_id, prog_name, spec.name, mi.type, mi.value_size,
                                                  spec.type, spec.value_size));
            *spec.fd = std::move(map);
            break;
        }
    }
    for (const MapSpec& spec : specs)
        if (!*spec.fd)
            return tl::unexpected(fmt::format("XDP program {} ({}) is not vsw's: it has no map {}", prog_id,
                                              prog_name, spec.name));
    return s;
}

tl::expected<void, std::string> XdpSteering::configure(const XdpSteeringConfig& cfg) const {
    if (cfg.port_first > cfg.port_last)
        return tl::unexpected(fmt::format("port range {}-{} is empty", cfg.port_first, cfg.port_last));
    auto fwd = std::make_unique<vsw_xdp_fwd_ports>();  // 16 KiB: not on the stack
    std::memset(fwd.get(), 0, sizeof *fwd);
    for (const auto& [proto, port] : cfg.forwarded) {
        if (proto != VSW_XDP_PROTO_TCP && proto != VSW_XDP_PROTO_UDP)
            return tl::unexpected(fmt::format("forwarded port {}: protocol {} is not tcp or udp", port, proto));
        vsw_xdp_fwd_port_set(fwd.get(), proto, port);
    }
    if (int rc = bpf_map_update_elem(fwd_ports_.get(), &kKey, fwd.get(), BPF_ANY); rc != 0)
        return tl::unexpected(fmt::format("XDP program {}: writing vsw_fwd_ports: {}", prog_id_, err(rc)));
    vsw_xdp_config c{};
    c.address = cfg.address.to_be();
    c.has_address6 = cfg.address6.has_value();
    if (cfg.address6) std::memcpy(c.address6, cfg.address6->bytes.data(), 16);
    c.port_first = cfg.port_first;
    c.port_last = cfg.port_last;
    c.enabled = 1;
    if (int rc = bpf_map_update_elem(config_.get(), &kKey, &c, BPF_ANY); rc != 0)
        return tl::unexpected(fmt::format("XDP program {}: writing vsw_config: {}", prog_id_, err(rc)));
    return {};
}

tl::expected<XdpCounters, std::string> XdpSteering::counters() const {
    const int ncpus = libbpf_num_possible_cpus();
    if (ncpus <= 0) return tl::unexpected(fmt::format("number of CPUs: {}", err(ncpus)));
    // Per-CPU values come as one array, each value rounded up to 8 bytes (ours is).
    static_assert(sizeof(vsw_xdp_stats) % 8 == 0);
    std::vector<vsw_xdp_stats> per_cpu(static_cast<size_t>(ncpus));
    if (int rc = bpf_map_lookup_elem(stats_.get(), &kKey, per_cpu.data()); rc != 0)
        return tl::unexpected(fmt::format("XDP program {}: reading vsw_stats: {}", prog_id_, err(rc)));
    XdpCounters c;
    for (const vsw_xdp_stats& s : per_cpu) {
        c.redirected += s.redirected;
        c.passed += s.passed;
        c.redirect_failed += s.redirect_failed;
    }
    return c;
}

tl::expected<std::string, std::string> xdp_object_path() {
    if (const char* env = std::getenv("VSW_XDP_OBJECT"); env != nullptr && *env != '\0') {
        if (access(env, R_OK) != 0)
            return tl::unexpected(fmt::format("VSW_XDP_OBJECT={}: {}", env, std::strerror(errno)));
        return std::string(env);
    }
    for (const char* path : {VSW_XDP_OBJECT, VSW_XDP_OBJECT_INSTALLED})
        if (*path != '\0' && access(path, R_OK) == 0) return std::string(path);
    return tl::unexpected(fmt::format("vsw's XDP program is neither at {} nor at {}; set VSW_XDP_OBJECT to "
                                      "the path of vsw_uplink.bpf.o",
                                      VSW_XDP_OBJECT, VSW_XDP_OBJECT_INSTALLED));
}

bool is_af_xdp_device(const std::string& devargs) { return devargs.starts_with("net_af_xdp"); }

tl::expected<std::string, std::string> af_xdp_devargs(const std::string& devargs) {
    if (!is_af_xdp_device(devargs)) return devargs;
    for (size_t pos = devargs.find(','); pos != std::string::npos; pos = devargs.find(',', pos + 1))
        if (devargs.compare(pos + 1, 9, "xdp_prog=") == 0) return devargs;
    auto path = xdp_object_path();
    if (!path) return tl::unexpected(path.error());
    if (path->find(',') != std::string::npos)
        return tl::unexpected(fmt::format("XDP object path '{}' must not contain ','", *path));
    return devargs + ",xdp_prog=" + *path;
}

std::string af_xdp_interface(const std::string& devargs) {
    const size_t at = devargs.find(",iface=");
    if (at == std::string::npos) return "";
    const size_t from = at + 7;
    return devargs.substr(from, devargs.find(',', from) - from);
}

tl::expected<XdpInterfaceClaim, std::string> XdpInterfaceClaim::take(const std::string& ifname, std::string& note) {
    ::mkdir("/run/lock", 0755);
    const std::string path = "/run/lock/vsw-xdp-" + ifname + ".lock";
    UniqueFd lock(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644));
    if (!lock) return tl::unexpected(fmt::format("{}: {}", path, std::strerror(errno)));
    if (::flock(lock.get(), LOCK_EX | LOCK_NB) != 0)
        return tl::unexpected(fmt::format("interface {} is the AF_XDP uplink of another running vswd", ifname));
    const unsigned ifindex = ::if_nametoindex(ifname.c_str());
    if (ifindex == 0) return XdpInterfaceClaim(std::move(lock));  // the PMD reports a missing interface
    LIBBPF_OPTS(bpf_xdp_query_opts, opts);
    if (bpf_xdp_query(static_cast<int>(ifindex), 0, &opts) != 0) return XdpInterfaceClaim(std::move(lock));
    struct Attached {
        uint32_t id;
        uint32_t mode_flag;
    };
    for (const Attached a : {Attached{opts.drv_prog_id, XDP_FLAGS_DRV_MODE}, Attached{opts.skb_prog_id, XDP_FLAGS_SKB_MODE},
                             Attached{opts.hw_prog_id, XDP_FLAGS_HW_MODE}}) {
        if (a.id == 0) continue;
        if (!XdpSteering::from_program(a.id))
            return tl::unexpected(fmt::format("interface {} already has an XDP program (id {}) that is not vsw's: "
                                              "detach it first (ip link set {} xdp off)",
                                              ifname, a.id, ifname));
        // Ours, and no running vswd holds the interface: a dead vswd's leftover.
        if (int rc = bpf_xdp_detach(static_cast<int>(ifindex), a.mode_flag, nullptr); rc != 0)
            return tl::unexpected(fmt::format("interface {}: cannot detach the stale vsw XDP program {}: {}", ifname,
                                              a.id, err(rc)));
        note = fmt::format("removed the XDP program {} that a stopped vswd left on {}", a.id, ifname);
    }
    return XdpInterfaceClaim(std::move(lock));
}

}  // namespace vsw
