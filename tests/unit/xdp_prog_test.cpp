// The built BPF object (vsw_uplink.bpf.o) in the kernel: it passes the
// verifier, XdpSteering finds its maps and fills them, and BPF_PROG_TEST_RUN
// on hand-made frames moves the counters the way steer.h decides. No AF_XDP
// socket is in xsks_map here, so frames vsw would take come back as XDP_PASS
// and count as redirect_failed (the same fallback a queue without a socket
// gets). Needs root (CAP_BPF); skipped otherwise.
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <gtest/gtest.h>
#include <linux/bpf.h>
#include <linux/if_link.h>
#include <net/if.h>
#include <sched.h>
#include <unistd.h>

#include <memory>

#include "xdp_frames.hpp"
#include "xdp_steering.hpp"

using namespace xdp_frames;
using vsw::XdpCounters;
using vsw::XdpSteering;

namespace {

struct ObjectCloser {
    void operator()(bpf_object* o) const { bpf_object__close(o); }
};

class XdpProg : public ::testing::Test {
protected:
    void SetUp() override {
        if (geteuid() != 0) GTEST_SKIP() << "needs root to load BPF programs";
        auto path = vsw::xdp_object_path();
        ASSERT_TRUE(path) << path.error();
        obj_.reset(bpf_object__open_file(path->c_str(), nullptr));
        ASSERT_TRUE(obj_) << "cannot open " << *path;
        ASSERT_EQ(bpf_object__load(obj_.get()), 0) << "the verifier refused " << *path;
        // As DPDK's af_xdp PMD does: the first program, and a map named xsks_map.
        bpf_program* prog = bpf_object__next_program(obj_.get(), nullptr);
        ASSERT_NE(prog, nullptr);
        ASSERT_NE(bpf_object__find_map_by_name(obj_.get(), "xsks_map"), nullptr);
        prog_fd_ = bpf_program__fd(prog);
        bpf_prog_info info{};
        uint32_t len = sizeof info;
        ASSERT_EQ(bpf_obj_get_info_by_fd(prog_fd_, &info, &len), 0);
        prog_id_ = info.id;
    }

    // The program's verdict on one frame.
    uint32_t run(const Bytes& frame) const {
        Bytes copy = frame;
        LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = copy.data(),
                    .data_size_in = static_cast<uint32_t>(copy.size()), .repeat = 1);
        EXPECT_EQ(bpf_prog_test_run_opts(prog_fd_, &opts), 0);
        return opts.retval;
    }

    static XdpCounters counters(const XdpSteering& s) {
        auto c = s.counters();
        EXPECT_TRUE(c) << c.error();
        return c ? *c : XdpCounters{};
    }

    std::unique_ptr<bpf_object, ObjectCloser> obj_;
    int prog_fd_ = -1;
    uint32_t prog_id_ = 0;
};

TEST_F(XdpProg, SteersByConfiguration) {
    auto s = XdpSteering::from_program(prog_id_);
    ASSERT_TRUE(s) << s.error();
    EXPECT_EQ(s->program_id(), prog_id_);

    // Unconfigured: everything to the kernel.
    EXPECT_EQ(run(ipv4({.dst_port = 20000})), XDP_PASS);
    EXPECT_EQ(run(arp(1, kUplink)), XDP_PASS);
    XdpCounters c = counters(*s);
    EXPECT_EQ(c.passed, 2u);
    EXPECT_EQ(c.redirected + c.redirect_failed, 0u);

    vsw::XdpSteeringConfig cfg;
    cfg.address = vsw::Ipv4{(203u << 24) | (113u << 8) | 10u};
    cfg.port_first = 20000;
    cfg.port_last = 29999;
    cfg.forwarded = {{6, 8080}, {17, 5353}};
    auto ok = s->configure(cfg);
    ASSERT_TRUE(ok) << ok.error();

    const Bytes ours[] = {
        arp(1, kUplink),
        ipv4({.proto = 1, .l4_bytes = 8}),
        ipv4({.dst_port = 25000}),
        ipv4({.options = 10, .dst_port = 8080}),
        ipv4({.proto = 17, .dst_port = 5353, .l4_bytes = 8}),
        ipv4({.frag = 185, .dst_port = 22}),
    };
    const Bytes theirs[] = {
        arp(1, kHost),
        ipv4({.dst = kHost, .proto = 1, .l4_bytes = 8}),
        ipv4({.dst_port = 22}),
        ipv4({.proto = 17, .dst_port = 8080, .l4_bytes = 8}),
        ipv4({.dst = kHost, .dst_port = 25000}),
        truncated(ipv4({.options = 10, .dst_port = 25000}), 14 + 60 + 2),
        eth(0x86dd),
    };
    for (const Bytes& f : ours) EXPECT_EQ(run(f), XDP_PASS);  // no socket on queue 0: the fallback
    for (const Bytes& f : theirs) EXPECT_EQ(run(f), XDP_PASS);
    c = counters(*s);
    EXPECT_EQ(c.redirect_failed, std::size(ours));
    EXPECT_EQ(c.passed, 2 + std::size(theirs));
    EXPECT_EQ(c.redirected, 0u);

    // A reload drops the forward and narrows the range.
    cfg.forwarded.clear();
    cfg.port_last = 20999;
    ASSERT_TRUE(s->configure(cfg));
    run(ipv4({.options = 10, .dst_port = 8080}));
    run(ipv4({.dst_port = 25000}));
    run(ipv4({.dst_port = 20500}));
    c = counters(*s);
    EXPECT_EQ(c.redirect_failed, std::size(ours) + 1);
    EXPECT_EQ(c.passed, 2 + std::size(theirs) + 2);
}

TEST_F(XdpProg, RejectsBadConfiguration) {
    auto s = XdpSteering::from_program(prog_id_);
    ASSERT_TRUE(s) << s.error();
    vsw::XdpSteeringConfig cfg;
    cfg.port_first = 2000;
    cfg.port_last = 1000;
    EXPECT_FALSE(s->configure(cfg));
    cfg.port_last = 3000;
    cfg.forwarded = {{1, 7}};
    EXPECT_FALSE(s->configure(cfg));
}

// Attached to the loopback of a private network namespace (nothing leaves
// this process), the program is found by interface, as vswd finds it.
TEST_F(XdpProg, FoundOnTheInterface) {
    ASSERT_EQ(unshare(CLONE_NEWNET), 0);
    const int lo = static_cast<int>(if_nametoindex("lo"));
    ASSERT_GT(lo, 0);
    auto none = XdpSteering::from_interface(lo);
    EXPECT_FALSE(none);
    ASSERT_EQ(bpf_xdp_attach(lo, prog_fd_, XDP_FLAGS_SKB_MODE, nullptr), 0);
    auto s = XdpSteering::from_interface(lo);
    ASSERT_TRUE(s) << s.error();
    EXPECT_EQ(s->program_id(), prog_id_);
    EXPECT_EQ(bpf_xdp_detach(lo, XDP_FLAGS_SKB_MODE, nullptr), 0);
}

TEST(XdpDevargs, AddsTheProgramToAfXdpDevices) {
    setenv("VSW_XDP_OBJECT", "/nonexistent/vsw_uplink.bpf.o", 1);
    auto bad = vsw::af_xdp_devargs("net_af_xdp0,iface=eth1");
    ASSERT_FALSE(bad);
    EXPECT_NE(bad.error().find("VSW_XDP_OBJECT"), std::string::npos) << bad.error();
    setenv("VSW_XDP_OBJECT", "/proc/self/exe", 1);  // any readable file
    EXPECT_EQ(*vsw::af_xdp_devargs("net_af_xdp0,iface=eth1"), "net_af_xdp0,iface=eth1,xdp_prog=/proc/self/exe");
    EXPECT_EQ(*vsw::af_xdp_devargs("net_af_xdp0,iface=eth1,xdp_prog=/my.o"), "net_af_xdp0,iface=eth1,xdp_prog=/my.o");
    EXPECT_EQ(*vsw::af_xdp_devargs("net_tap0,iface=t0"), "net_tap0,iface=t0");
    EXPECT_EQ(*vsw::af_xdp_devargs("0000:01:00.0"), "0000:01:00.0");
    unsetenv("VSW_XDP_OBJECT");
    auto built = vsw::af_xdp_devargs("net_af_xdp1,iface=eth2");
    ASSERT_TRUE(built) << built.error();
    EXPECT_NE(built->find(",xdp_prog=/"), std::string::npos);
}

}  // namespace
