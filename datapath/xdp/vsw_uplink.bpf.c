// SPDX-License-Identifier: BSD-3-Clause
/* vsw's XDP program for an AF_XDP uplink: steers only vsw's traffic (see
 * steer.h) into the AF_XDP socket of the frame's rx queue and passes
 * everything else to the kernel, so the host can keep using the interface.
 *
 * DPDK's af_xdp PMD loads it when the device string has xdp_prog=<this .o>
 * (vswd adds that): it opens the object, loads it, attaches its first program
 * to the interface and puts each queue's socket into `xsks_map` at the queue
 * index. vswd then finds the program on the interface and fills `vsw_config`
 * and `vsw_fwd_ports`; until then (enabled = 0) everything goes to the kernel.
 *
 * Build: clang -O2 -g -target bpf (datapath/xdp/meson.build).
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "steer.h"

/* The name the PMD looks up: rx queue index -> AF_XDP socket. */
struct {
    __uint(type, BPF_MAP_TYPE_XSKMAP);
    __uint(max_entries, 256);
    __type(key, __u32);
    __type(value, __u32);
} xsks_map SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, struct vsw_xdp_config);
} vsw_config SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, struct vsw_xdp_fwd_ports);
} vsw_fwd_ports SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, struct vsw_xdp_stats);
} vsw_stats SEC(".maps");

SEC("xdp")
int vsw_uplink(struct xdp_md *ctx)
{
    const __u32 zero = 0;
    const struct vsw_xdp_config *cfg = bpf_map_lookup_elem(&vsw_config, &zero);
    const struct vsw_xdp_fwd_ports *fwd = bpf_map_lookup_elem(&vsw_fwd_ports, &zero);
    struct vsw_xdp_stats *stats = bpf_map_lookup_elem(&vsw_stats, &zero);
    if (!cfg || !stats)
        return XDP_PASS;

    const __u8 *data = (const __u8 *)(long)ctx->data;
    const __u8 *end = (const __u8 *)(long)ctx->data_end;
    if (vsw_xdp_steer(data, end, cfg, fwd) == VSW_XDP_PASS) {
        stats->passed++;
        return XDP_PASS;
    }
    /* No socket on this queue (e.g. a multi-queue NIC): the kernel gets it. */
    const long action = bpf_redirect_map(&xsks_map, ctx->rx_queue_index, XDP_PASS);
    if (action == XDP_REDIRECT)
        stats->redirected++;
    else
        stats->redirect_failed++;
    return (int)action;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
