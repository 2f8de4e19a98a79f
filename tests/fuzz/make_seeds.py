#!/usr/bin/env python3
"""Writes the seed corpus of the fuzz targets (tests/fuzz/corpus/<target>/).

Realistic frames in each target's input format (see the comment at the top of
each tests/fuzz/<target>.cpp): Ethernet/IPv4 with TCP, UDP and ICMP echo,
ICMP errors quoting the packet they are about, fragments, DHCP client
messages, DNS queries and answers, ARP; whole NAT conversations for the
worker; the repository's config/*.yaml and small variations for the loader.

Only the python3 standard library. Run from anywhere:
    python3 tests/fuzz/make_seeds.py
It rewrites the generated seeds (names starting with "gen-") and leaves other
files (regression inputs, "regress-*") alone.
"""
import os
import socket
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
CORPUS = os.path.join(HERE, "corpus")

# ---- addresses (those the fuzz targets configure) ---------------------------

def mac(s):
    return bytes(int(x, 16) for x in s.split(":"))

def ip(s):
    return bytes(int(x) for x in s.split("."))

MAC_A = mac("52:54:00:00:00:0a")
MAC_B = mac("52:54:00:00:00:0b")
MAC_SVC = mac("02:76:73:00:00:01")     # the NAT network's gateway / services MAC
MAC_UP = mac("02:00:00:00:00:99")      # ours on the uplink
MAC_GW = mac("00:00:5e:00:01:01")      # the uplink's next hop
MAC_BCAST = b"\xff" * 6
MAC_DHCP_SRV = mac("02:76:73:00:00:38")
MAC_STATIC = mac("52:54:00:00:00:05")

GUEST_A = ip("10.0.2.15")
GUEST_B = ip("10.0.2.16")
GATEWAY = ip("10.0.2.2")
DNS = ip("10.0.2.3")
RESOLVER = ip("9.9.9.9")
UPLINK = ip("203.0.113.10")
REMOTE = ip("198.51.100.7")
REMOTE2 = ip("192.0.2.33")
ROUTER = ip("192.0.2.1")
HOSTONLY_SRV = ip("192.168.56.100")
FIRST_PORT = 20000                     # the first masquerade port a fresh table hands out
FWD_TCP = 20050                        # -> guest B:80
FWD_UDP_LOW = 53                       # -> guest A:53
FWD_UNKNOWN = 20070                    # -> 10.0.2.17:69, MAC unknown

# ---- checksums and headers ----------------------------------------------------

def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF

def eth(dst, src, etype, payload):
    return dst + src + struct.pack("!H", etype) + payload

def ipv4(src, dst, proto, payload, ttl=64, ident=0x1234, flags=0, frag=0, options=b"", total=None, tos=0):
    ihl = 5 + len(options) // 4
    tot = total if total is not None else 20 + len(options) + len(payload)
    hdr = struct.pack("!BBHHHBBH4s4s", 0x40 | ihl, tos, tot, ident, (flags << 13) | frag, ttl, proto, 0, src, dst)
    hdr += options
    hdr = hdr[:10] + struct.pack("!H", csum(hdr)) + hdr[12:]
    return hdr + payload

def pseudo(src, dst, proto, length):
    return src + dst + struct.pack("!BBH", 0, proto, length)

def udp(src, dst, sport, dport, payload, zero_sum=False, length=None):
    ln = length if length is not None else 8 + len(payload)
    seg = struct.pack("!HHHH", sport, dport, ln, 0) + payload
    if zero_sum:
        return seg
    c = csum(pseudo(src, dst, 17, len(seg)) + seg) or 0xFFFF
    return seg[:6] + struct.pack("!H", c) + seg[8:]

TCP_FIN, TCP_SYN, TCP_RST, TCP_PSH, TCP_ACK = 1, 2, 4, 8, 16

def tcp(src, dst, sport, dport, flags, payload=b"", seq=1000, ack=0, options=b""):
    doff = 5 + len(options) // 4
    seg = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, doff << 4, flags, 64240, 0, 0) + options + payload
    c = csum(pseudo(src, dst, 6, len(seg)) + seg)
    return seg[:16] + struct.pack("!H", c) + seg[18:]

def icmp(typ, code, rest, payload=b""):
    msg = struct.pack("!BBH", typ, code, 0) + rest + payload
    return msg[:2] + struct.pack("!H", csum(msg)) + msg[4:]

def echo(typ, ident, seq, payload=b"abcdefghijklmnopqrstuvwabcdefghi"):
    return icmp(typ, 0, struct.pack("!HH", ident, seq), payload)

def ip_frame(dst_mac, src_mac, src, dst, proto, l4, **kw):
    return eth(dst_mac, src_mac, 0x0800, ipv4(src, dst, proto, l4, **kw))

def udp_frame(dst_mac, src_mac, src, dst, sport, dport, payload=b"x" * 23, **kw):
    return ip_frame(dst_mac, src_mac, src, dst, 17, udp(src, dst, sport, dport, payload), **kw)

def tcp_frame(dst_mac, src_mac, src, dst, sport, dport, flags, payload=b"", **kw):
    return ip_frame(dst_mac, src_mac, src, dst, 6, tcp(src, dst, sport, dport, flags, payload), **kw)

def echo_frame(dst_mac, src_mac, src, dst, typ, ident, seq=1, **kw):
    return ip_frame(dst_mac, src_mac, src, dst, 1, echo(typ, ident, seq), **kw)

def arp(op, sha, spa, tha, tpa, dst=MAC_BCAST):
    body = struct.pack("!HHBBH", 1, 0x0800, 6, 4, op) + sha + spa + tha + tpa
    return eth(dst, sha, 0x0806, body + b"\0" * 18)

def icmp_error_frame(dst_mac, src_mac, src, dst, typ, code, quoted_ip, quote_len=None, rest=b"\0\0\0\0", ttl=64):
    """An ICMP error quoting `quoted_ip` (an IPv4 packet): header + 8 bytes, or quote_len bytes."""
    ihl = (quoted_ip[0] & 0x0F) * 4
    q = quoted_ip[: (quote_len if quote_len is not None else ihl + 8)]
    return ip_frame(dst_mac, src_mac, src, dst, 1, icmp(typ, code, rest, q), ttl=ttl)

def fragments(src, dst, proto, l4_datagram, mtu_payload=1480, ident=0x4242, ttl=64):
    """The IPv4 fragments (payloads) of one datagram."""
    out = []
    off = 0
    while off < len(l4_datagram):
        chunk = l4_datagram[off: off + mtu_payload]
        more = off + len(chunk) < len(l4_datagram)
        out.append(ipv4(src, dst, proto, chunk, ttl=ttl, ident=ident, flags=1 if more else 0, frag=off // 8))
        off += len(chunk)
    return out

# ---- DNS -----------------------------------------------------------------------

def dns_name(name):
    return b"".join(bytes([len(p)]) + p.encode() for p in name.split(".")) + b"\0"

def dns_query(qid, name, qtype=1):
    return struct.pack("!HHHHHH", qid, 0x0100, 1, 0, 0, 0) + dns_name(name) + struct.pack("!HH", qtype, 1)

def dns_answer(qid, name, addr):
    q = dns_name(name) + struct.pack("!HH", 1, 1)
    a = b"\xc0\x0c" + struct.pack("!HHIH", 1, 1, 300, 4) + addr
    return struct.pack("!HHHHHH", qid, 0x8180, 1, 1, 0, 0) + q + a

# ---- DHCP ----------------------------------------------------------------------

DISCOVER, OFFER, REQUEST, DECLINE, ACK, NAK, RELEASE, INFORM = range(1, 9)

def dhcp_options(opts):
    out = b""
    for code, val in opts:
        out += bytes([code, len(val)]) + val
    return out + b"\xff"

def bootp(xid, chaddr, opts, ciaddr=b"\0" * 4, giaddr=b"\0" * 4, flags=0, op=1, file=b"", sname=b""):
    m = struct.pack("!BBBBIHH", op, 1, 6, 0, xid, 3, flags) + ciaddr + b"\0" * 4 + b"\0" * 4 + giaddr
    m += chaddr + b"\0" * 10
    m += sname.ljust(64, b"\0") + file.ljust(128, b"\0")
    m += struct.pack("!I", 0x63825363) + dhcp_options(opts)
    return m.ljust(300, b"\0")

def dhcp_frame(msg_type, client, xid=0x1234, extra=(), ciaddr=b"\0" * 4, src_ip=b"\0" * 4, dst_ip=b"\xff" * 4,
               dst_mac=MAC_BCAST, giaddr=b"\0" * 4, flags=0, overload_file=None):
    opts = [(53, bytes([msg_type]))] + list(extra)
    file = b""
    if overload_file is not None:
        opts.append((52, b"\x01"))
        file = dhcp_options(overload_file)
    m = bootp(xid, client, opts, ciaddr=ciaddr, giaddr=giaddr, flags=flags, file=file)
    return udp_frame(dst_mac, client, src_ip, dst_ip, 68, 67, m, ttl=64)

def opt_requested(a):
    return (50, ip(a))

def opt_server(a):
    return (54, ip(a))

OPT_PARAMS = (55, bytes([1, 3, 6, 15, 28, 51, 58, 59]))
OPT_HOST = (12, b"guest-one")
OPT_CLIENT_ID = (61, b"\x01" + mac("52:54:00:12:00:01"))

# ---- writing -------------------------------------------------------------------

def write(target, name, data):
    d = os.path.join(CORPUS, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "gen-" + name), "wb") as f:
        f.write(data)

def clean(target):
    d = os.path.join(CORPUS, target)
    if os.path.isdir(d):
        for n in os.listdir(d):
            if n.startswith("gen-"):
                os.remove(os.path.join(d, n))

# ---- the frames every packet target gets -----------------------------------------

def guest_frames():
    """Frames a guest of the NAT network sends to the gateway MAC."""
    f = {}
    f["udp-out"] = udp_frame(MAC_SVC, MAC_A, GUEST_A, REMOTE, 5000, 7000)
    f["udp-out-nosum"] = ip_frame(MAC_SVC, MAC_A, GUEST_A, REMOTE, 17, udp(GUEST_A, REMOTE, 5001, 7000, b"y" * 9, zero_sum=True))
    f["tcp-syn-out"] = tcp_frame(MAC_SVC, MAC_A, GUEST_A, REMOTE, 46446, 80, TCP_SYN)
    f["tcp-data-out"] = tcp_frame(MAC_SVC, MAC_A, GUEST_A, REMOTE, 46446, 80, TCP_ACK | TCP_PSH, b"GET / HTTP/1.0\r\n\r\n")
    f["tcp-opts-out"] = ip_frame(MAC_SVC, MAC_A, GUEST_A, REMOTE, 6,
                                 tcp(GUEST_A, REMOTE, 46447, 443, TCP_SYN, options=b"\x02\x04\x05\xb4\x04\x02\x08\x0a" + b"\0" * 8 + b"\x01\x03\x03\x07"))
    f["echo-out"] = echo_frame(MAC_SVC, MAC_A, GUEST_A, REMOTE, 8, 0x1234)
    f["dns-udp-out"] = udp_frame(MAC_SVC, MAC_A, GUEST_A, DNS, 40000, 53, dns_query(0xBEEF, "example.com"))
    f["dns-tcp-syn-out"] = tcp_frame(MAC_SVC, MAC_A, GUEST_A, DNS, 40001, 53, TCP_SYN)
    f["ttl1-out"] = udp_frame(MAC_SVC, MAC_A, GUEST_A, REMOTE, 5002, 33434, ttl=1)
    f["ip-options-out"] = ip_frame(MAC_SVC, MAC_A, GUEST_A, REMOTE, 17, udp(GUEST_A, REMOTE, 5003, 7000, b"opt"),
                                   options=b"\x94\x04\x00\x00")  # router alert
    f["hairpin-syn"] = tcp_frame(MAC_SVC, MAC_A, GUEST_A, UPLINK, 46500, FWD_TCP, TCP_SYN)
    f["ping-gateway"] = echo_frame(MAC_SVC, MAC_A, GUEST_A, GATEWAY, 8, 7)
    f["gre-out"] = ip_frame(MAC_SVC, MAC_A, GUEST_A, REMOTE, 47, b"\0\0\x08\x00" + b"g" * 20)
    f["arp-gateway"] = arp(1, MAC_A, GUEST_A, b"\0" * 6, GATEWAY)
    f["arp-dhcp-server"] = arp(1, MAC_A, ip("192.168.56.101"), b"\0" * 6, HOSTONLY_SRV)
    f["dhcp-discover"] = dhcp_frame(DISCOVER, MAC_A, extra=[OPT_PARAMS])
    f["l2-to-b"] = udp_frame(MAC_B, MAC_A, GUEST_A, GUEST_B, 6000, 6001)
    f["l2-bcast"] = udp_frame(MAC_BCAST, MAC_A, GUEST_A, ip("10.0.2.255"), 6000, 6001)
    f["ipv6"] = eth(MAC_SVC, MAC_A, 0x86DD, bytes.fromhex("6000000000083a40") + b"\0" * 32 + bytes.fromhex("8000000000010001"))
    dgram = udp(GUEST_A, REMOTE, 5004, 7000, bytes(range(256)) * 12)  # 3080 bytes
    frags = fragments(GUEST_A, REMOTE, 17, dgram)
    for i, fr in enumerate(frags):
        f["frag%d-out" % i] = eth(MAC_SVC, MAC_A, 0x0800, fr)
    big_echo = echo(8, 0x2222, 1, b"p" * 2972)
    for i, fr in enumerate(fragments(GUEST_A, REMOTE, 1, big_echo, ident=0x4343)):
        f["echo-frag%d-out" % i] = eth(MAC_SVC, MAC_A, 0x0800, fr)
    return f

def outside_frames():
    """Frames arriving on the uplink (replies to the guest flows above, forwards, errors)."""
    f = {}
    up = lambda src, dst, proto, l4, **kw: ip_frame(MAC_UP, MAC_GW, src, dst, proto, l4, **kw)
    f["udp-reply"] = udp_frame(MAC_UP, MAC_GW, REMOTE, UPLINK, 7000, FIRST_PORT)
    f["tcp-synack"] = tcp_frame(MAC_UP, MAC_GW, REMOTE, UPLINK, 80, FIRST_PORT, TCP_SYN | TCP_ACK)
    f["echo-reply"] = echo_frame(MAC_UP, MAC_GW, REMOTE, UPLINK, 0, FIRST_PORT)
    f["dns-reply"] = udp_frame(MAC_UP, MAC_GW, RESOLVER, UPLINK, 53, FIRST_PORT, dns_answer(0xBEEF, "example.com", ip("93.184.216.34")))
    f["fwd-syn"] = tcp_frame(MAC_UP, MAC_GW, REMOTE2, UPLINK, 40000, FWD_TCP, TCP_SYN)
    f["fwd-ack"] = tcp_frame(MAC_UP, MAC_GW, REMOTE2, UPLINK, 40000, FWD_TCP, TCP_ACK)
    f["fwd-udp-low"] = udp_frame(MAC_UP, MAC_GW, REMOTE2, UPLINK, 5353, FWD_UDP_LOW, dns_query(1, "guest.lan"))
    f["fwd-unknown"] = udp_frame(MAC_UP, MAC_GW, REMOTE2, UPLINK, 5000, FWD_UNKNOWN)
    f["ping-uplink"] = echo_frame(MAC_UP, MAC_GW, REMOTE, UPLINK, 8, 99)
    f["unsolicited"] = tcp_frame(MAC_UP, MAC_GW, REMOTE2, UPLINK, 40001, 22, TCP_SYN)
    f["not-for-us"] = udp_frame(MAC_UP, MAC_GW, REMOTE, ip("203.0.113.11"), 7000, FIRST_PORT)
    f["arp-for-uplink"] = arp(1, MAC_GW, ip("203.0.113.1"), b"\0" * 6, UPLINK)
    f["arp-reply-gw"] = arp(2, MAC_GW, ip("203.0.113.1"), MAC_UP, UPLINK, dst=MAC_UP)
    # ICMP errors about the guest's translated packets (source = uplink:FIRST_PORT).
    sent_udp = ipv4(UPLINK, REMOTE, 17, udp(UPLINK, REMOTE, FIRST_PORT, 7000, b"x" * 23), ttl=1)
    sent_probe = ipv4(UPLINK, REMOTE, 17, udp(UPLINK, REMOTE, FIRST_PORT + 1, 33435, b"x" * 23), ttl=1)
    f["icmp-ttl-exceeded-probe"] = icmp_error_frame(MAC_UP, MAC_GW, ROUTER, UPLINK, 11, 0, sent_probe)
    f["icmp-port-unreach"] = icmp_error_frame(MAC_UP, MAC_GW, REMOTE, UPLINK, 3, 3, sent_udp)
    f["icmp-ttl-exceeded-udp"] = icmp_error_frame(MAC_UP, MAC_GW, ROUTER, UPLINK, 11, 0, sent_udp, quote_len=len(sent_udp))
    sent_echo = ipv4(UPLINK, REMOTE, 1, echo(8, FIRST_PORT, 1), ttl=1)
    f["icmp-ttl-exceeded-echo"] = icmp_error_frame(MAC_UP, MAC_GW, ROUTER, UPLINK, 11, 0, sent_echo)
    sent_tcp = ipv4(UPLINK, REMOTE, 6, tcp(UPLINK, REMOTE, FIRST_PORT, 80, TCP_ACK, b"d" * 1400))
    f["icmp-frag-needed-tcp"] = icmp_error_frame(MAC_UP, MAC_GW, ROUTER, UPLINK, 3, 4, sent_tcp, quote_len=48,
                                                 rest=struct.pack("!HH", 0, 1280))
    sent_dns = ipv4(UPLINK, RESOLVER, 17, udp(UPLINK, RESOLVER, FIRST_PORT, 53, dns_query(0xBEEF, "example.com")))
    f["icmp-unreach-dns"] = icmp_error_frame(MAC_UP, MAC_GW, RESOLVER, UPLINK, 3, 3, sent_dns)
    f["icmp-param-problem"] = icmp_error_frame(MAC_UP, MAC_GW, ROUTER, UPLINK, 12, 0, sent_udp, rest=b"\x14\0\0\0")
    # A fragmented reply (the guest's UDP flow): first fragment has the UDP header.
    dgram = udp(REMOTE, UPLINK, 7000, FIRST_PORT, bytes(range(256)) * 8)
    for i, fr in enumerate(fragments(REMOTE, UPLINK, 17, dgram, ident=0x5151)):
        f["frag%d-in" % i] = eth(MAC_UP, MAC_GW, 0x0800, fr)
    return f

# ---- IPv6 (NAT66) --------------------------------------------------------------------

def ip6(s):
    return socket.inet_pton(socket.AF_INET6, s)

GUEST6_A = ip6("fd17:625c:f037:2:5054:ff:fe00:a")
GATEWAY6 = ip6("fd17:625c:f037:2::1")
DNS6 = ip6("fd17:625c:f037:2::3")
UPLINK6 = ip6("2001:db8:1::10")
NEXT_HOP6 = ip6("2001:db8:1::1")
RESOLVER6 = ip6("2001:db8::53")
REMOTE6 = ip6("2001:db8:100::7")

def ipv6_frame(dst_mac, src_mac, src, dst, next_header, l4, hop_limit=64):
    hdr = struct.pack("!IHBB", 6 << 28, len(l4), next_header, hop_limit) + src + dst
    return eth(dst_mac, src_mac, 0x86dd, hdr + l4)

def l4_v6(src, dst, proto, seg, at):
    """`seg` with its checksum (at offset `at`) over the IPv6 pseudo-header (RFC 8200 8.1)."""
    c = csum(src + dst + struct.pack("!I3xB", len(seg), proto) + seg) or 0xFFFF
    return seg[:at] + struct.pack("!H", c) + seg[at + 2:]

def udp6_frame(dst_mac, src_mac, src, dst, sport, dport, payload=b"y" * 20, hop_limit=64):
    seg = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload
    return ipv6_frame(dst_mac, src_mac, src, dst, 17, l4_v6(src, dst, 17, seg, 6), hop_limit)

def tcp6_frame(dst_mac, src_mac, src, dst, sport, dport, flags):
    seg = struct.pack("!HHIIBBHHH", sport, dport, 1000, 0, 5 << 4, flags, 64240, 0, 0)
    return ipv6_frame(dst_mac, src_mac, src, dst, 6, l4_v6(src, dst, 6, seg, 16))

def icmp6_frame(dst_mac, src_mac, src, dst, typ, code, rest, payload=b"", hop_limit=64):
    msg = struct.pack("!BBH", typ, code, 0) + rest + payload
    return ipv6_frame(dst_mac, src_mac, src, dst, 58, l4_v6(src, dst, 58, msg, 2), hop_limit)

def nat66_frames():
    """Guest A's IPv6 through NAT66 and what comes back (the first outside port is FIRST_PORT)."""
    sol = lambda target: ip6("ff02::1:ff00:0")[:13] + target[13:]
    return {
        "udp6-out": udp6_frame(MAC_SVC, MAC_A, GUEST6_A, REMOTE6, 5000, 7000),
        "udp6-reply": udp6_frame(MAC_UP, MAC_GW, REMOTE6, UPLINK6, 7000, FIRST_PORT),
        "tcp6-syn-out": tcp6_frame(MAC_SVC, MAC_A, GUEST6_A, REMOTE6, 46000, 80, TCP_SYN),
        "tcp6-synack": tcp6_frame(MAC_UP, MAC_GW, REMOTE6, UPLINK6, 80, FIRST_PORT, TCP_SYN | TCP_ACK),
        "echo6-out": icmp6_frame(MAC_SVC, MAC_A, GUEST6_A, REMOTE6, 128, 0, struct.pack("!HH", 77, 1), b"ping6"),
        "echo6-reply": icmp6_frame(MAC_UP, MAC_GW, REMOTE6, UPLINK6, 129, 0, struct.pack("!HH", FIRST_PORT, 1), b"ping6"),
        "dns6-out": udp6_frame(MAC_SVC, MAC_A, GUEST6_A, DNS6, 5353, 53, dns_query(7, "www.example.test", 28)),
        "dns6-reply": udp6_frame(MAC_UP, MAC_GW, RESOLVER6, UPLINK6, 53, FIRST_PORT, dns_query(7, "www.example.test", 28)),
        "ping6-gateway": icmp6_frame(MAC_SVC, MAC_A, GUEST6_A, GATEWAY6, 128, 0, struct.pack("!HH", 1, 1)),
        "ns6-gateway": icmp6_frame(b"\x33\x33\xff" + GATEWAY6[13:], MAC_A, GUEST6_A, sol(GATEWAY6), 135, 0,
                                   b"\0" * 4, GATEWAY6 + bytes([1, 1]) + MAC_A, hop_limit=255),
        "ns6-uplink": icmp6_frame(b"\x33\x33\xff" + UPLINK6[13:], MAC_GW, NEXT_HOP6, sol(UPLINK6), 135, 0,
                                  b"\0" * 4, UPLINK6 + bytes([1, 1]) + MAC_GW, hop_limit=255),
        "hop1-6-out": udp6_frame(MAC_SVC, MAC_A, GUEST6_A, REMOTE6, 5000, 7000, hop_limit=1),
        "frag6-out": ipv6_frame(MAC_SVC, MAC_A, GUEST6_A, REMOTE6, 44, bytes([17, 0, 0, 1, 0, 0, 0, 9]) + b"z" * 16),
        "unsolicited6": tcp6_frame(MAC_UP, MAC_GW, REMOTE6, UPLINK6, 80, 20077, TCP_SYN),
    }

def icmp6_error_in(quoted_frame, typ=1, code=0, rest=b"\0" * 4):
    """An ICMPv6 error from the next hop to the uplink, quoting the IPv6 packet of `quoted_frame` as it left."""
    return icmp6_frame(MAC_UP, MAC_GW, NEXT_HOP6, UPLINK6, typ, code, rest, quoted_frame[14:])

# ---- targets -------------------------------------------------------------------------

def icmpv6_frame(dst_mac, src_mac, typ, body=b"\0" * 4, hop_limit=255, next_header=58):
    """An IPv6 frame from :: to ff02::2 carrying one ICMPv6 message (no checksum: classification and the
    solicitation check do not read it)."""
    msg = bytes([typ, 0, 0, 0]) + body
    hdr = struct.pack("!IHBB", 6 << 28, len(msg), next_header, hop_limit) + b"\0" * 16 + bytes.fromhex("ff02" + "00" * 13 + "02")
    return eth(dst_mac, src_mac, 0x86dd, hdr + msg)

def seeds_frame():
    t = "fuzz_frame"
    clean(t)
    frames = dict(guest_frames())
    frames.update({"in-" + k: v for k, v in outside_frames().items()})
    # Classification reads headers only: the frames are cut to 128 bytes. Every
    # frame for the NAT variant (2), a few for the others.
    few = ("udp-out", "tcp-syn-out", "arp-gateway", "arp-dhcp-server", "dhcp-discover", "dns-udp-out",
           "l2-to-b", "l2-bcast", "frag1-out", "ipv6")
    for v in range(4):
        for name, fr in frames.items():
            if v != 2 and name not in few:
                continue
            write(t, "v%d-%s" % (v, name), bytes([v]) + fr[:128])
    write(t, "v1-dhcp-request-hostonly", b"\x01" + dhcp_frame(REQUEST, MAC_A, extra=[opt_requested("192.168.56.101"), opt_server("192.168.56.100")]))
    write(t, "v2-runt", b"\x02" + MAC_SVC + MAC_A)
    # Variant 4, subnet6: a router solicitation (slow path), a rogue advertisement and redirect (dropped).
    all_routers = mac("33:33:00:00:00:02")
    write(t, "v4-router-solicitation", b"\x04" + icmpv6_frame(all_routers, MAC_A, 133))
    write(t, "v4-rogue-router-advert", b"\x04" + icmpv6_frame(mac("33:33:00:00:00:01"), MAC_A, 134, b"\0" * 12))
    write(t, "v4-rogue-redirect", b"\x04" + icmpv6_frame(MAC_B, MAC_A, 137, b"\0" * 36))
    write(t, "v4-solicitation-behind-hop-by-hop", b"\x04" + icmpv6_frame(all_routers, MAC_A, 133, next_header=0))
    write(t, "v2-multicast-src", b"\x02" + MAC_SVC + mac("01:00:5e:00:00:01") + b"\x08\x00")
    # Variant 5, NAT66: routed IPv6, DNS to dns6, ping and solicitations for the gateway.
    for name, fr in nat66_frames().items():
        if name in ("udp6-out", "tcp6-syn-out", "dns6-out", "ping6-gateway", "ns6-gateway", "hop1-6-out"):
            write(t, "v5-" + name, b"\x05" + fr[:128])

def seeds_l4():
    t = "fuzz_l4"
    clean(t)
    header = lambda flags, new_ip, port, ctx: bytes([flags]) + ip(new_ip) + struct.pack("!H", port) + bytes([ctx])
    frames = dict(guest_frames())
    frames.update(outside_frames())
    frames.update(nat66_frames())
    frames["icmp6-error-in"] = icmp6_error_in(nat66_frames()["udp6-out"], typ=2, rest=struct.pack("!I", 1280))
    for i, (name, fr) in enumerate(sorted(frames.items())):
        write(t, name, header(i & 0x1F, "203.0.113.10", 20000 + i, i & 3) + fr)
    # Both orders of the rewrites and the fragment table's paths on a first fragment.
    f0 = guest_frames()["frag0-out"]
    for flags in (0x00, 0x01, 0x02, 0x1C, 0x1F):
        write(t, "frag0-flags%02x" % flags, header(flags, "10.0.2.15", 5004, 7) + f0)

def seeds_service_replies():
    t = "fuzz_service_replies"
    clean(t)
    g = lambda sel, name, fr: write(t, name, bytes([sel]) + fr)
    g(1, "arp-request-gateway", arp(1, MAC_A, GUEST_A, b"\0" * 6, GATEWAY))
    g(0, "router-solicitation", icmpv6_frame(mac("33:33:00:00:00:02"), MAC_A, 133))
    g(0, "router-solicitation-hop-limit-64", icmpv6_frame(mac("33:33:00:00:00:02"), MAC_A, 133, hop_limit=64))
    g(0, "arp-request-dhcp", arp(1, MAC_A, ip("192.168.56.101"), b"\0" * 6, HOSTONLY_SRV))
    g(1, "arp-reply", arp(2, MAC_A, GUEST_A, MAC_SVC, GATEWAY, dst=MAC_SVC))
    g(1, "arp-gratuitous", arp(1, MAC_A, GUEST_A, b"\0" * 6, GUEST_A))
    g(1, "ping-gateway", echo_frame(MAC_SVC, MAC_A, GUEST_A, GATEWAY, 8, 7))
    g(0, "ping-dhcp", echo_frame(MAC_SVC, MAC_A, ip("192.168.56.101"), HOSTONLY_SRV, 8, 7))
    g(1, "ping-gateway-big", ip_frame(MAC_SVC, MAC_A, GUEST_A, GATEWAY, 1, echo(8, 9, 1, b"q" * 1400)))
    g(1, "ping-gateway-options", ip_frame(MAC_SVC, MAC_A, GUEST_A, GATEWAY, 1, echo(8, 9, 2), options=b"\x01\x01\x01\x00"))
    g(1, "ping-gateway-padded", echo_frame(MAC_SVC, MAC_A, GUEST_A, GATEWAY, 8, 7)[:14 + 28] + b"\0" * 20)
    # NAT66: neighbour discovery, ping and an expiring hop limit at the gateway.
    n6 = nat66_frames()
    g(0, "ns6-gateway", n6["ns6-gateway"])
    g(0, "ns6-uplink", n6["ns6-uplink"])
    g(0, "na6-from-next-hop", icmp6_frame(MAC_UP, MAC_GW, NEXT_HOP6, UPLINK6, 136, 0, b"\x60\0\0\0",
                                          NEXT_HOP6 + bytes([2, 1]) + MAC_GW, hop_limit=255))
    g(0, "ping6-gateway", n6["ping6-gateway"])
    g(0, "hop1-6-probe", n6["hop1-6-out"])
    for name, fr in guest_frames().items():
        if name.startswith(("ttl1", "udp-out", "tcp-syn", "echo-out", "frag0")):
            ttl1 = bytearray(fr)
            if len(ttl1) >= 34 and ttl1[12:14] == b"\x08\x00":
                ihl = (ttl1[14] & 0xF) * 4
                ttl1[22] = 1
                ttl1[24:26] = b"\0\0"
                ttl1[24:26] = struct.pack("!H", csum(bytes(ttl1[14:14 + ihl])))
            g(1, "time-exceeded-" + name, bytes(ttl1))
    g(1, "time-exceeded-large", udp_frame(MAC_SVC, MAC_A, GUEST_A, REMOTE, 5000, 33434, b"z" * 1200, ttl=1))
    g(1, "time-exceeded-icmp-error", icmp_error_frame(MAC_SVC, MAC_A, GUEST_A, REMOTE, 3, 3,
                                                      ipv4(REMOTE, GUEST_A, 17, udp(REMOTE, GUEST_A, 1, 2, b"")), ttl=1))

def seeds_dhcp():
    t = "fuzz_dhcp"
    clean(t)
    c1 = mac("52:54:00:12:00:01")
    c2 = mac("52:54:00:12:00:02")

    def rec(frame, dt=1, port=0):
        return bytes([dt, port]) + struct.pack("!H", len(frame)) + frame

    srv = "192.168.56.100"
    dora = [
        dhcp_frame(DISCOVER, c1, extra=[OPT_PARAMS, OPT_HOST, OPT_CLIENT_ID]),
        dhcp_frame(REQUEST, c1, extra=[opt_requested("192.168.56.101"), opt_server(srv), OPT_PARAMS, OPT_HOST]),
    ]
    renew = dhcp_frame(REQUEST, c1, ciaddr=ip("192.168.56.101"), src_ip=ip("192.168.56.101"), dst_ip=ip(srv),
                       dst_mac=MAC_DHCP_SRV, extra=[OPT_PARAMS])
    release = dhcp_frame(RELEASE, c1, ciaddr=ip("192.168.56.101"), src_ip=ip("192.168.56.101"), dst_ip=ip(srv),
                         dst_mac=MAC_DHCP_SRV, extra=[opt_server(srv)])
    decline = dhcp_frame(DECLINE, c1, extra=[opt_requested("192.168.56.101"), opt_server(srv)])
    inform = dhcp_frame(INFORM, c2, ciaddr=ip("192.168.56.50"), src_ip=ip("192.168.56.50"), dst_ip=ip(srv),
                        dst_mac=MAC_DHCP_SRV, extra=[OPT_PARAMS])
    init_reboot = dhcp_frame(REQUEST, c1, extra=[opt_requested("192.168.56.101")])
    wrong_net = dhcp_frame(REQUEST, c2, extra=[opt_requested("10.0.0.5")])
    other_server = dhcp_frame(REQUEST, c2, extra=[opt_requested("192.168.56.102"), opt_server("192.168.56.1")])
    static = [dhcp_frame(DISCOVER, MAC_STATIC), dhcp_frame(REQUEST, MAC_STATIC, extra=[opt_requested("192.168.56.5"), opt_server(srv)])]
    relayed = dhcp_frame(DISCOVER, c2, giaddr=ip("192.168.56.1"), flags=0x8000)
    overload = dhcp_frame(DISCOVER, c2, overload_file=[OPT_HOST, (50, ip("192.168.56.150"))])

    write(t, "discover", rec(dora[0]))
    write(t, "dora", b"".join(rec(f) for f in dora))
    write(t, "dora-renew-release", b"".join(rec(f) for f in dora) + rec(renew, dt=0x85) + rec(release, dt=3))
    write(t, "dora-decline-discover", b"".join(rec(f) for f in dora) + rec(decline) + rec(dhcp_frame(DISCOVER, c1), dt=2))
    write(t, "dora-expire-renew", b"".join(rec(f) for f in dora) + rec(renew, dt=0x8B))
    write(t, "inform", rec(inform))
    write(t, "init-reboot", rec(init_reboot) + rec(wrong_net))
    write(t, "other-server", rec(dora[0]) + rec(other_server) + rec(dhcp_frame(DISCOVER, c2)))
    write(t, "static", b"".join(rec(f) for f in static))
    write(t, "relayed", rec(relayed))
    write(t, "overload", rec(overload))
    write(t, "ports", rec(dora[0], port=1) + rec(dhcp_frame(DISCOVER, c2), port=1) +
          rec(dhcp_frame(DISCOVER, mac("52:54:00:12:00:03")), port=1) + rec(dhcp_frame(DISCOVER, c2), port=3))
    write(t, "many-clients", b"".join(rec(dhcp_frame(DISCOVER, mac("52:54:00:12:01:%02x" % i)), dt=0, port=2) for i in range(24)))

def seeds_nat_worker():
    t = "fuzz_nat_worker"
    clean(t)
    A, B, UP = 0, 1, 2
    END = 0x10

    def fr(port, frame, end=True, partial=False):
        op = port | (END if end else 0) | (0x04 if partial else 0)
        return bytes([op]) + struct.pack("!H", len(frame)) + frame

    def ctl(step, arg=0):
        return bytes([3 | (step << 2)]) + struct.pack("!H", arg)

    g = guest_frames()
    o = outside_frames()
    n6 = nat66_frames()
    seeds = {
        "udp-round-trip": [fr(A, g["udp-out"]), fr(UP, o["udp-reply"])],
        "tcp-handshake": [fr(A, g["tcp-syn-out"]), fr(UP, o["tcp-synack"]), fr(A, g["tcp-data-out"]),
                          fr(A, tcp_frame(MAC_SVC, MAC_A, GUEST_A, REMOTE, 46446, 80, TCP_FIN | TCP_ACK)),
                          fr(UP, tcp_frame(MAC_UP, MAC_GW, REMOTE, UPLINK, 80, FIRST_PORT, TCP_FIN | TCP_ACK))],
        "tcp-partial-csum": [fr(A, g["tcp-data-out"], partial=True), fr(A, g["udp-out"], partial=True)],
        "echo-round-trip": [fr(A, g["echo-out"]), fr(UP, o["echo-reply"])],
        "dns-udp": [fr(A, g["dns-udp-out"]), fr(UP, o["dns-reply"])],
        "dns-tcp": [fr(A, g["dns-tcp-syn-out"]),
                    fr(UP, tcp_frame(MAC_UP, MAC_GW, RESOLVER, UPLINK, 53, FIRST_PORT, TCP_SYN | TCP_ACK))],
        "dns-unreachable": [fr(A, g["dns-udp-out"]), fr(UP, o["icmp-unreach-dns"])],
        "forward-tcp": [fr(UP, o["fwd-syn"]),
                        fr(B, tcp_frame(MAC_SVC, MAC_B, GUEST_B, REMOTE2, 80, 40000, TCP_SYN | TCP_ACK)),
                        fr(UP, o["fwd-ack"])],
        "forward-udp-low": [fr(UP, o["fwd-udp-low"]),
                            fr(A, udp_frame(MAC_SVC, MAC_A, GUEST_A, REMOTE2, 53, 5353, dns_answer(1, "guest.lan", GUEST_A)))],
        "forward-unknown-mac": [fr(UP, o["fwd-unknown"]), ctl(4), fr(UP, o["fwd-syn"])],
        "forward-port-unreachable": [fr(UP, o["fwd-udp-low"]),
                                     fr(A, icmp_error_frame(MAC_SVC, MAC_A, GUEST_A, REMOTE2, 3, 3,
                                                            ipv4(REMOTE2, GUEST_A, 17, udp(REMOTE2, GUEST_A, 5353, 53, b"q" * 12))))],
        # B sees the connection coming from the uplink address (A's outside port) and answers there.
        "hairpin": [fr(A, g["hairpin-syn"]),
                    fr(B, tcp_frame(MAC_SVC, MAC_B, GUEST_B, UPLINK, 80, FIRST_PORT, TCP_SYN | TCP_ACK)),
                    fr(A, tcp_frame(MAC_SVC, MAC_A, GUEST_A, UPLINK, 46500, FWD_TCP, TCP_ACK))],
        "icmp-errors-in": [fr(A, g["udp-out"]), fr(UP, o["icmp-port-unreach"]), fr(UP, o["icmp-ttl-exceeded-udp"]),
                           fr(UP, o["icmp-param-problem"])],
        "icmp-error-echo": [fr(A, g["echo-out"]), fr(UP, o["icmp-ttl-exceeded-echo"])],
        "icmp-frag-needed": [fr(A, g["tcp-syn-out"]), fr(UP, o["icmp-frag-needed-tcp"])],
        "traceroute": [fr(A, g["ttl1-out"]), fr(A, g["udp-out"]),
                       fr(A, udp_frame(MAC_SVC, MAC_A, GUEST_A, REMOTE, 5002, 33435, ttl=2)),
                       fr(UP, o["icmp-ttl-exceeded-probe"])],
        "fragments-out": [fr(A, g["frag0-out"], end=False), fr(A, g["frag1-out"], end=False), fr(A, g["frag2-out"])],
        "fragments-out-reordered": [fr(A, g["frag2-out"]), fr(A, g["frag0-out"]), fr(A, g["frag1-out"])],
        "fragments-both-ways": [fr(A, g["frag0-out"]), fr(A, g["frag1-out"]), fr(A, g["frag2-out"]),
                                fr(UP, o["frag0-in"], end=False), fr(UP, o["frag1-in"])],
        "echo-fragments": [fr(A, g["echo-frag0-out"]), fr(A, g["echo-frag1-out"]), fr(A, g["echo-frag2-out"])],
        "fragments-expire": [fr(A, g["frag0-out"]), ctl(1, 5), fr(A, g["frag1-out"])],
        "slow-path": [fr(A, g["arp-gateway"], end=False), fr(A, g["dhcp-discover"], end=False), fr(A, g["ping-gateway"]),
                      fr(UP, o["arp-for-uplink"], end=False), fr(UP, o["ping-uplink"])],
        "drops": [fr(A, g["gre-out"]), fr(A, g["ipv6"]), fr(UP, o["unsolicited"]), fr(UP, o["not-for-us"]),
                  fr(A, MAC_SVC + MAC_A), fr(A, g["l2-to-b"]), fr(A, g["l2-bcast"])],
        "reload-between": [fr(A, g["udp-out"]), ctl(2), fr(UP, o["udp-reply"]), fr(A, g["udp-out"])],
        # NAT66: round trips, DNS to the network's IPv6 DNS address, the slow path, drops, an error back in.
        "nat66-round-trips": [fr(A, n6["udp6-out"]), fr(UP, n6["udp6-reply"]), fr(A, n6["tcp6-syn-out"]),
                              fr(UP, n6["tcp6-synack"]), fr(A, n6["echo6-out"]), fr(UP, n6["echo6-reply"])],
        "nat66-dns": [fr(A, n6["dns6-out"]), fr(UP, n6["dns6-reply"])],
        "nat66-slow-path-and-drops": [fr(A, n6["ping6-gateway"], end=False), fr(A, n6["ns6-gateway"]),
                                      fr(UP, n6["ns6-uplink"]), fr(A, n6["hop1-6-out"]), fr(A, n6["frag6-out"]),
                                      fr(UP, n6["unsolicited6"])],
        "nat66-icmp6-errors-in": [fr(A, n6["udp6-out"]), fr(A, n6["tcp6-syn-out"]),
                                  fr(UP, icmp6_error_in(udp6_frame(MAC_GW, MAC_UP, UPLINK6, REMOTE6, FIRST_PORT, 7000))),
                                  fr(UP, icmp6_error_in(tcp6_frame(MAC_GW, MAC_UP, UPLINK6, REMOTE6, FIRST_PORT, 80,
                                                                   TCP_SYN), typ=2, rest=struct.pack("!I", 1280)))],
        "expire-then-reply": [fr(A, g["udp-out"]), ctl(1, 100), fr(UP, o["udp-reply"])],
        "link-down": [ctl(3), fr(UP, o["fwd-udp-low"]), fr(A, g["udp-out"])],
        "macs-full": [ctl(5), fr(A, g["udp-out"]), fr(A, udp_frame(MAC_SVC, mac("52:54:00:00:00:77"), GUEST_A, REMOTE, 1, 2))],
        "ip-options": [fr(A, g["ip-options-out"])],
        "nosum-udp": [fr(A, g["udp-out-nosum"]), fr(UP, udp_frame(MAC_UP, MAC_GW, REMOTE, UPLINK, 7000, FIRST_PORT))],
    }
    # VXLAN to the uplink (network `far`, VNI 5001, remotes 203.0.113.20 and 192.0.2.7).
    def vxlan_in(src, vni, inner, flags=0x08, frag=0):
        vx = bytes([flags, 0, 0, 0]) + struct.pack("!I", vni << 8) + inner
        return eth(MAC_UP, MAC_GW, 0x0800, ipv4(ip(src), UPLINK, 17, udp(ip(src), UPLINK, 50000, 4789, vx, zero_sum=True),
                                                flags=frag))
    inner = eth(MAC_BCAST, mac("52:54:00:00:77:01"), 0x0800, ipv4(ip("192.168.60.7"), ip("192.168.60.255"), 17,
                                                                  udp(ip("192.168.60.7"), ip("192.168.60.255"), 1, 2, b"hi")))
    seeds["vxlan-decap"] = [fr(UP, vxlan_in("192.0.2.7", 5001, inner), end=False),
                            fr(UP, vxlan_in("203.0.113.20", 5001, inner[6:12] + inner[:6] + inner[12:]))]
    seeds["vxlan-drops"] = [fr(UP, vxlan_in("192.0.2.8", 5001, inner), end=False),
                            fr(UP, vxlan_in("192.0.2.7", 5002, inner), end=False),
                            fr(UP, vxlan_in("192.0.2.7", 5001, inner, flags=0), end=False),
                            fr(UP, vxlan_in("192.0.2.7", 5001, inner, frag=1), end=False),
                            fr(UP, vxlan_in("192.0.2.7", 5001, inner[:10]), end=False),
                            fr(UP, vxlan_in("192.0.2.7", 5001, mac("01:00:00:00:00:01") * 2 + b"\x08\x00"))]
    # A burst of 40 new flows (32 + 8: two bursts), then their replies.
    many = [fr(A, udp_frame(MAC_SVC, MAC_A, GUEST_A, REMOTE, 6000 + i, 7000), end=False) for i in range(40)]
    replies = [fr(UP, udp_frame(MAC_UP, MAC_GW, REMOTE, UPLINK, 7000, FIRST_PORT + i), end=False) for i in range(40)]
    seeds["many-flows"] = many + [ctl(0)] + replies
    seeds["many-guests"] = [fr(A, udp_frame(MAC_SVC, MAC_A, ip("10.0.2.%d" % (20 + i)), REMOTE, 6000, 7000), end=False)
                            for i in range(12)]
    for name, recs in seeds.items():
        body = b"".join(recs)
        write(t, name, b"\x00" + body)
    # The same conversations with two workers (handoffs) and with the limits.
    for name in ("udp-round-trip", "forward-tcp", "forward-udp-low", "icmp-errors-in", "fragments-both-ways",
                 "hairpin", "many-flows", "dns-udp", "forward-port-unreachable"):
        write(t, "2w-" + name, b"\x01" + b"".join(seeds[name]))
    write(t, "unresolved-" + "udp-round-trip", b"\x02" + b"".join(seeds["udp-round-trip"]))
    write(t, "pinned-" + "macs-full", b"\x04" + b"".join(seeds["macs-full"]))
    write(t, "nodns-" + "dns-udp", b"\x08" + b"".join(seeds["dns-udp"]))
    write(t, "cap4-" + "many-flows", b"\x10" + b"".join(seeds["many-flows"]))
    write(t, "ports4-" + "many-flows", b"\x20" + b"".join(seeds["many-flows"]))
    write(t, "guestcap2-" + "many-flows", b"\x40" + b"".join(seeds["many-flows"]))
    write(t, "2w-ports4-" + "many-flows", b"\x21" + b"".join(seeds["many-flows"]))
    # Every conversation again with flags bit 7: what leaves must carry right checksums.
    for name, recs in seeds.items():
        write(t, "sums-" + name, b"\x80" + b"".join(recs))
    for name in ("forward-tcp", "hairpin", "icmp-errors-in", "fragments-both-ways", "dns-udp"):
        write(t, "sums-2w-" + name, b"\x81" + b"".join(seeds[name]))

def seeds_config():
    t = "fuzz_config"
    clean(t)
    cfg_dir = os.path.join(ROOT, "config")
    for n in sorted(os.listdir(cfg_dir)):
        if n.endswith(".yaml"):
            with open(os.path.join(cfg_dir, n), "rb") as f:
                write(t, n, f.read())
    small = {
        "empty.yaml": "",
        "internal.yaml": "networks:\n  lab: {mode: internal}\nports:\n  vm1: {network: lab}\n",
        "hostonly-dhcp.yaml": (
            "switch: {cores: [1], hugepages: off, memory_mb: 256, log_level: debug, mac_aging: 60}\n"
            "networks:\n  h:\n    mode: host-only\n    subnet: 192.168.56.0/24\n"
            "    host_interface: {name: vboxnet0, address: 192.168.56.1}\n"
            "    dhcp:\n      server: 192.168.56.100\n      range: 192.168.56.101-192.168.56.254\n"
            "      lease: 600\n      dns: [192.168.56.1]\n      domain: example.lan\n"
            "      static:\n        - {mac: \"52:54:00:00:00:05\", ip: 192.168.56.5}\n"
            "ports:\n  vm1: {network: h, mac: \"52:54:00:00:00:01\"}\n  vm2: {network: h, socket: /tmp/vm2.sock, client: true}\n"),
        "nat-forwards.yaml": (
            "uplinks:\n  wan:\n    kernel: {name: vswwan0, address: 203.0.113.1}\n    address: 203.0.113.10/24\n"
            "    resolver: 203.0.113.53\n    ports: 1024-65535\n"
            "networks:\n  n:\n    mode: nat\n    subnet: 10.0.2.0/24\n    dns: 10.0.2.3\n    uplink: wan\n"
            "    dhcp: {range: 10.0.2.15-10.0.2.254, lease: 600}\n"
            "    port_forwards:\n      - {name: ssh, proto: tcp, host_port: 2222, guest_ip: 10.0.2.15, guest_port: 22}\n"
            "      - {name: dns, proto: udp, host_ip: 203.0.113.10, host_port: 5353, guest_ip: 10.0.2.15, guest_port: 53}\n"
            "    timeouts: {tcp_established: 7440, tcp_transitory: 240, udp: 300, icmp: 60}\n"
            "    max_sessions: 1024\n"
            "ports:\n  vm1: {network: n}\n"),
        "anchors.yaml": "a: &x {mode: internal}\nnetworks:\n  n1: *x\n  n2: *x\n",
        "flow-top.yaml": "{networks: {n: {mode: internal}}, ports: {p: {network: n}}}\n",
        "two-docs.yaml": "networks: {}\n---\nports: {}\n",
        "tags.yaml": "networks: !!map {n: {mode: !!str internal}}\n",
        "bad-ip.yaml": "networks:\n  h: {mode: host-only, subnet: 192.168.56.300/24}\n",
        "unknown-key.yaml": "switch: {corse: [1]}\n",
        "quoted.yaml": "networks:\n  \"n\": {'mode': \"internal\"}\nports:\n  p: {network: 'n', socket: \"/run/vsw/p\\x41.sock\"}\n",
        "block-scalars.yaml": "switch:\n  run_dir: >-\n    /run/\n    vsw\n  state_dir: |\n    /var/lib/vsw\n",
    }
    for n, text in small.items():
        write(t, n, text.encode())

def main():
    seeds_frame()
    seeds_l4()
    seeds_service_replies()
    seeds_dhcp()
    seeds_nat_worker()
    seeds_config()
    total = 0
    for t in sorted(os.listdir(CORPUS)):
        n = len(os.listdir(os.path.join(CORPUS, t)))
        total += n
        print("%-22s %4d files" % (t, n))
    print("total %d" % total)

if __name__ == "__main__":
    sys.exit(main())
