/* Which frames arriving on an AF_XDP uplink belong to vsw and which to the
 * kernel: the decision of vsw's XDP program (vsw_uplink.bpf.c), and the
 * layout of the maps the control plane (control/switch/xdp_steering.cpp) fills.
 *
 * Plain C over a byte range [data, end), so one copy serves the BPF program,
 * vswd and the host-side unit test (tests/unit/xdp_steer_test.cpp). Every
 * header access is bounds-checked against `end` (the BPF verifier insists).
 *
 * vsw takes, for its uplink address A only:
 *   - ARP whose target protocol address is A;
 *   - IPv4 to A that is ICMP, or TCP/UDP to a destination port in the
 *     masquerade range [port_first, port_last] or a forwarded host port;
 *   - non-first IPv4 fragments to A (they carry no ports).
 * and, when it has one (NAT66), for its IPv6 address A6:
 *   - neighbour solicitations whose target is A6 (sent to A6's
 *     solicited-node multicast address, so the target is what tells);
 *   - IPv6 to A6 that is ICMPv6, a fragment, or TCP/UDP to a masquerade or
 *     forwarded port, as for IPv4 (the fragment header and other extension
 *     headers: vsw drops and counts them).
 * Everything else (and everything while `enabled` is 0) goes to the kernel.
 */
#ifndef VSW_XDP_STEER_H
#define VSW_XDP_STEER_H

#include <linux/types.h>

#define VSW_XDP_PORT_WORDS (65536 / 64)

/* Value of the one-entry ARRAY map `vsw_config`. */
struct vsw_xdp_config {
    __u32 address;    /* vsw's uplink address, network byte order */
    __u16 port_first; /* masquerade source ports, host byte order, inclusive */
    __u16 port_last;
    __u32 enabled;    /* 0: the program passes everything to the kernel */
    __u32 has_address6;
    __u8 address6[16]; /* vsw's uplink IPv6 address (NAT66), wire order */
};

/* Value of the one-entry ARRAY map `vsw_fwd_ports`: forwarded host ports,
 * one bit per port (bit port%64 of word port/64). */
struct vsw_xdp_fwd_ports {
    __u64 tcp[VSW_XDP_PORT_WORDS];
    __u64 udp[VSW_XDP_PORT_WORDS];
};

/* Value of the one-entry PERCPU_ARRAY map `vsw_stats`. */
struct vsw_xdp_stats {
    __u64 redirected;      /* handed to vsw's AF_XDP socket */
    __u64 passed;          /* not vsw's: handed to the kernel */
    __u64 redirect_failed; /* vsw's, but no socket on that rx queue: kernel */
};

/* Why a frame is vsw's; VSW_XDP_PASS = the kernel's. */
enum vsw_xdp_verdict {
    VSW_XDP_PASS = 0,
    VSW_XDP_ARP = 1,
    VSW_XDP_ICMP = 2,
    VSW_XDP_MASQ_PORT = 3,
    VSW_XDP_FWD_PORT = 4,
    VSW_XDP_FRAGMENT = 5,
};

#define VSW_XDP_ETH_HLEN 14
#define VSW_XDP_ETHERTYPE_IPV4 0x0800
#define VSW_XDP_ETHERTYPE_ARP 0x0806
#define VSW_XDP_ETHERTYPE_IPV6 0x86dd
#define VSW_XDP_PROTO_ICMPV6 58
#define VSW_XDP_PROTO_FRAGMENT6 44
#define VSW_XDP_PROTO_ICMP 1
#define VSW_XDP_PROTO_TCP 6
#define VSW_XDP_PROTO_UDP 17

#define VSW_XDP_INLINE static inline __attribute__((always_inline))

VSW_XDP_INLINE int vsw_xdp_fwd_port_isset(const struct vsw_xdp_fwd_ports *f, __u8 proto, __u16 port)
{
    const __u64 *words = proto == VSW_XDP_PROTO_TCP ? f->tcp : f->udp;
    return (int)((words[port >> 6] >> (port & 63)) & 1);
}

/* proto: VSW_XDP_PROTO_TCP or VSW_XDP_PROTO_UDP (anything else is ignored). */
VSW_XDP_INLINE void vsw_xdp_fwd_port_set(struct vsw_xdp_fwd_ports *f, __u8 proto, __u16 port)
{
    __u64 *words = proto == VSW_XDP_PROTO_TCP ? f->tcp : proto == VSW_XDP_PROTO_UDP ? f->udp : 0;
    if (words)
        words[port >> 6] |= (__u64)1 << (port & 63);
}

/* The 4 bytes at p equal `be` (an address in network byte order). */
VSW_XDP_INLINE int vsw_xdp_addr_is(const __u8 *p, __u32 be)
{
    __u32 v;
    __builtin_memcpy(&v, p, sizeof(v));
    return v == be;
}

/* The 16 bytes at p equal vsw's IPv6 address. */
VSW_XDP_INLINE int vsw_xdp_addr6_is(const __u8 *p, const struct vsw_xdp_config *cfg)
{
    __u64 a, b, c, d;
    __builtin_memcpy(&a, p, 8);
    __builtin_memcpy(&b, p + 8, 8);
    __builtin_memcpy(&c, cfg->address6, 8);
    __builtin_memcpy(&d, cfg->address6 + 8, 8);
    return a == c && b == d;
}

/* TCP/UDP by destination port: a masquerade or a forwarded one is vsw's. */
VSW_XDP_INLINE enum vsw_xdp_verdict vsw_xdp_port(const __u8 *l4, const __u8 *end, __u8 proto,
                                               const struct vsw_xdp_config *cfg,
                                               const struct vsw_xdp_fwd_ports *fwd)
{
    if (l4 + 4 > end) /* source and destination port */
        return VSW_XDP_PASS;
    const __u16 port = (__u16)((l4[2] << 8) | l4[3]);
    if (port >= cfg->port_first && port <= cfg->port_last)
        return VSW_XDP_MASQ_PORT;
    if (fwd && vsw_xdp_fwd_port_isset(fwd, proto, port))
        return VSW_XDP_FWD_PORT;
    return VSW_XDP_PASS;
}

VSW_XDP_INLINE enum vsw_xdp_verdict vsw_xdp_steer6(const __u8 *l3, const __u8 *end,
                                                 const struct vsw_xdp_config *cfg,
                                                 const struct vsw_xdp_fwd_ports *fwd)
{
    if (!cfg->has_address6 || l3 + 40 > end || (l3[0] >> 4) != 6)
        return VSW_XDP_PASS;
    const __u8 next = l3[6];
    const __u8 *l4 = l3 + 40;
    /* A neighbour solicitation for A6: type 135, the target after 8 bytes. */
    if (next == VSW_XDP_PROTO_ICMPV6 && l4 + 24 <= end && l4[0] == 135 && vsw_xdp_addr6_is(l4 + 8, cfg))
        return VSW_XDP_ICMP;
    if (!vsw_xdp_addr6_is(l3 + 24, cfg))
        return VSW_XDP_PASS;
    if (next == VSW_XDP_PROTO_ICMPV6)
        return VSW_XDP_ICMP;
    if (next == VSW_XDP_PROTO_FRAGMENT6)
        return VSW_XDP_FRAGMENT;
    if (next != VSW_XDP_PROTO_TCP && next != VSW_XDP_PROTO_UDP)
        return VSW_XDP_PASS;
    return vsw_xdp_port(l4, end, next, cfg, fwd);
}

/* fwd may be null (no forwarded ports). */
VSW_XDP_INLINE enum vsw_xdp_verdict vsw_xdp_steer(const __u8 *data, const __u8 *end,
                                                const struct vsw_xdp_config *cfg,
                                                const struct vsw_xdp_fwd_ports *fwd)
{
    if (!cfg->enabled)
        return VSW_XDP_PASS;
    if (data + VSW_XDP_ETH_HLEN > end)
        return VSW_XDP_PASS;
    const __u16 ethertype = (__u16)((data[12] << 8) | data[13]);
    const __u8 *l3 = data + VSW_XDP_ETH_HLEN;

    if (ethertype == VSW_XDP_ETHERTYPE_ARP) {
        /* htype(2) ptype(2) hlen plen oper(2) sha(6) spa(4) tha(6) tpa(4) */
        if (l3 + 28 > end)
            return VSW_XDP_PASS;
        if (l3[2] != 0x08 || l3[3] != 0x00 || l3[4] != 6 || l3[5] != 4)
            return VSW_XDP_PASS;
        return vsw_xdp_addr_is(l3 + 24, cfg->address) ? VSW_XDP_ARP : VSW_XDP_PASS;
    }
    if (ethertype == VSW_XDP_ETHERTYPE_IPV6)
        return vsw_xdp_steer6(l3, end, cfg, fwd);
    if (ethertype != VSW_XDP_ETHERTYPE_IPV4)
        return VSW_XDP_PASS;

    if (l3 + 20 > end)
        return VSW_XDP_PASS;
    if ((l3[0] >> 4) != 4)
        return VSW_XDP_PASS;
    const __u32 ihl = (__u32)(l3[0] & 0x0f) * 4; /* 20..60 with options */
    if (ihl < 20)
        return VSW_XDP_PASS;
    if (!vsw_xdp_addr_is(l3 + 16, cfg->address))
        return VSW_XDP_PASS;
    const __u16 frag_offset = (__u16)(((l3[6] & 0x1f) << 8) | l3[7]);
    if (frag_offset != 0)
        return VSW_XDP_FRAGMENT;
    const __u8 proto = l3[9];
    if (proto == VSW_XDP_PROTO_ICMP)
        return VSW_XDP_ICMP;
    if (proto != VSW_XDP_PROTO_TCP && proto != VSW_XDP_PROTO_UDP)
        return VSW_XDP_PASS;

    return vsw_xdp_port(l3 + ihl, end, proto, cfg, fwd);
}

#endif /* VSW_XDP_STEER_H */
