#!/usr/bin/env python3
"""Summarise perf/run.sh records: print tables, write the results JSON and a PNG.

Input is one JSON object per line (see record() in run.sh): scenario, switch,
rep, size, flows, pingpong_before/after, gen (vswgen's --json output).
"""
import argparse
import collections
import json
import statistics
import sys

SWITCH_ORDER = ["testpmd", "ovs", "vsw", "vsw44"]  # vsw44: the nat66 scenario's NAT44 run
SWITCH_NAME = {"testpmd": "limit (testpmd io)", "ovs": "OVS-DPDK NORMAL", "vsw": "vswd"}
NAT_SWITCH_NAME = {"testpmd": "limit (testpmd io)", "ovs": "OVS-DPDK ct NAT", "vsw": "vswd NAT"}
SIZE_ORDER = ["64", "512", "1518", "imix"]


def placement(rec):
    labels = [p.get("label") if isinstance(p, dict) else None
              for p in (rec.get("pingpong_before"), rec.get("pingpong_after"))]
    if None in labels:
        return "?"
    return labels[0] if labels[0] == labels[1] else "mixed"


def others_busy(rec):
    """% of the busier of our two CPUs that other processes used just before the run."""
    b = rec.get("busy_before")
    if not isinstance(b, dict):
        return None
    return max(b.get("generator_cpu", 0), b.get("switch_cpu", 0))


def label_summary(labels):
    c = collections.Counter(labels)
    if len(c) == 1:
        return next(iter(c))
    return ",".join(f"{k}x{v}" for k, v in sorted(c.items()))


def median(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def result(rec):
    g = rec.get("gen")
    return g.get("result") if isinstance(g, dict) else None


def fmt(x, spec, none="-"):
    return none if x is None else format(x, spec)


def l2_summary(recs):
    """Per (size, flows, switch): medians over reps; ratios are taken per rep
    (runs of one rep are interleaved) and then the median is used."""
    by = {}
    for r in recs:
        by[(r["size"], r["flows"], r["switch"], r["rep"])] = r
    sizes = sorted({r["size"] for r in recs}, key=lambda s: SIZE_ORDER.index(s) if s in SIZE_ORDER else 99)
    flows = sorted({r["flows"] for r in recs})
    switches = [s for s in SWITCH_ORDER if any(r["switch"] == s for r in recs)]
    reps = sorted({r["rep"] for r in recs})
    rows = []
    for size in sizes:
        for fl in flows:
            for sw in switches:
                mpps, gbps, cyc, loss, to_lim, to_ovs, labels, busy = [], [], [], [], [], [], [], []
                for rep in reps:
                    r = by.get((size, fl, sw, rep))
                    if r is None:
                        continue
                    labels.append(placement(r))
                    busy.append(others_busy(r))
                    res = result(r)
                    if not res:
                        continue
                    pps = res["rx_pps"]
                    mpps.append(pps / 1e6)
                    gbps.append(res["rx_gbps_l2"])
                    loss.append(res["loss_pct"])
                    if pps > 0:
                        cyc.append(r["gen"]["tsc_hz"] / pps)
                    for ref, out in (("testpmd", to_lim), ("ovs", to_ovs)):
                        rr = by.get((size, fl, ref, rep))
                        rres = result(rr) if rr else None
                        if rres and rres["rx_pps"] > 0:
                            out.append(pps / rres["rx_pps"])
                rows.append({
                    "size": size, "flows": fl, "switch": sw, "runs": len(labels), "ok_runs": len(mpps),
                    "mpps": median(mpps), "mpps_min": min(mpps) if mpps else None,
                    "mpps_max": max(mpps) if mpps else None,
                    "gbps_l2": median(gbps), "cycles_per_packet": median(cyc), "loss_pct": median(loss),
                    "ratio_to_limit": median(to_lim), "ratio_to_ovs": median(to_ovs),
                    "placement": label_summary(labels) if labels else "?",
                    "others_busy_pct": max((b for b in busy if b is not None), default=None),
                })
    return rows


def print_l2(rows, out):
    print("\nL2 forwarding, bidirectional, one switch core (median over reps; ratios per interleaved rep)", file=out)
    hdr = f"{'size':>5} {'flows':>5}  {'switch':<19} {'Mpps':>7} {'(min-max)':>15} {'Gbps':>6} {'cyc/pkt':>7} {'loss%':>6} {'/limit':>6} {'/OVS':>5} {'busy%':>5}  placement"
    print(hdr, file=out)
    print("-" * len(hdr), file=out)
    last = None
    for r in rows:
        key = (r["size"], r["flows"])
        if last is not None and key != last:
            print("", file=out)
        last = key
        rng = f"({fmt(r['mpps_min'], '.2f')}-{fmt(r['mpps_max'], '.2f')})" if r["mpps"] is not None else ""
        print(f"{r['size']:>5} {r['flows']:>5}  {SWITCH_NAME.get(r['switch'], r['switch']):<19} "
              f"{fmt(r['mpps'], '7.3f'):>7} {rng:>15} {fmt(r['gbps_l2'], '6.2f'):>6} "
              f"{fmt(r['cycles_per_packet'], '7.0f'):>7} {fmt(r['loss_pct'], '6.2f'):>6} "
              f"{fmt(r['ratio_to_limit'], '6.2f'):>6} {fmt(r['ratio_to_ovs'], '5.2f'):>5} "
              f"{fmt(r['others_busy_pct'], '5.0f'):>5}  {r['placement']}", file=out)


def l2_2q_summary(recs):
    """vswd with two queue pairs per port against one (scenario l2_2q): per
    flow count, medians over reps and the per-rep ratio 2 queues / 1 queue."""
    by = {(r["flows"], r["switch"], r["rep"]): result(r) for r in recs}
    rows = []
    for fl in sorted({r["flows"] for r in recs}):
        reps = sorted({r["rep"] for r in recs if r["flows"] == fl})
        one = [by.get((fl, "vsw", rep)) for rep in reps]
        two = [by.get((fl, "vsw-2q", rep)) for rep in reps]
        mpps1 = [x["rx_pps"] / 1e6 for x in one if x]
        mpps2 = [x["rx_pps"] / 1e6 for x in two if x]
        ratio = [b["rx_pps"] / a["rx_pps"] for a, b in zip(one, two) if a and b and a["rx_pps"] > 0]
        rows.append({"flows": fl, "mpps_1q": median(mpps1), "mpps_2q": median(mpps2),
                     "mpps_2q_min": min(mpps2) if mpps2 else None, "mpps_2q_max": max(mpps2) if mpps2 else None,
                     "loss_pct_2q": median([x["loss_pct"] for x in two if x]),
                     "ratio_2q_to_1q": median(ratio), "runs": len(reps)})
    return rows


def print_l2_2q(rows, out):
    print("\nL2, vswd with 2 queue pairs per port against 1 (64 B, one switch core polls both queues)", file=out)
    hdr = f"{'flows':>5}  {'1 queue Mpps':>12} {'2 queues Mpps':>13} {'(min-max)':>15} {'loss%':>6} {'2q/1q':>6}"
    print(hdr, file=out)
    print("-" * len(hdr), file=out)
    for r in rows:
        rng = f"({fmt(r['mpps_2q_min'], '.2f')}-{fmt(r['mpps_2q_max'], '.2f')})" if r["mpps_2q"] is not None else ""
        print(f"{r['flows']:>5}  {fmt(r['mpps_1q'], '12.3f'):>12} {fmt(r['mpps_2q'], '13.3f'):>13} {rng:>15} "
              f"{fmt(r['loss_pct_2q'], '6.2f'):>6} {fmt(r['ratio_2q_to_1q'], '6.2f'):>6}", file=out)


def vsw_nat_counters(rec):
    """Sums of vswd's per-worker NAT counters (vswctl --json stats) after a run."""
    st = rec.get("vsw_stats_after")
    if not isinstance(st, dict):
        return {}
    tot = collections.Counter()
    for w in (st.get("data") or {}).get("workers") or []:
        for k, v in w.items():
            if k.startswith("nat_") and isinstance(v, int):
                tot[k] += v
    return dict(tot)


STAGES = ["rx", "parse", "lookup", "forward", "nat", "tx"]


def vsw_stage_cycles(rec):
    """Cycles per received packet by stage over the whole run (a -Dcycle_stats=true
    build only; the counters include the warm-up)."""
    st = rec.get("vsw_stats_after")
    ws = (st.get("data") or {}).get("workers") if isinstance(st, dict) else None
    cs = [w["cycles"] for w in ws or [] if isinstance(w.get("cycles"), dict)]
    pkts = sum(c.get("packets", 0) for c in cs)
    if not cs or pkts == 0:
        return None
    return {k: sum(c.get(k, 0) for c in cs) / pkts for k in STAGES}


def nat_summary(recs):
    """nat / nat_new rows: the l2 summary keyed by flow count (size is 64),
    plus vswd's NAT counters (median over reps) and the round-trip p50."""
    rows = l2_summary(recs)
    for row in rows:
        mine = [r for r in recs if r["switch"] == row["switch"] and r["flows"] == row["flows"]]
        row["rtt_p50_us"] = median([result(r)["latency_ns"]["p50"] / 1e3 for r in mine
                                    if result(r) and result(r)["latency_ns"]["samples"]])
        cyc = [c for c in (vsw_stage_cycles(r) for r in mine) if c]
        if cyc:
            row["vsw_stage_cycles"] = {k: median([c[k] for c in cyc]) for k in STAGES}
        ctr = [vsw_nat_counters(r) for r in mine]
        keys = sorted({k for c in ctr for k in c})
        if keys:
            row["vsw_nat_counters"] = {k: median([c.get(k) for c in ctr]) for k in keys}
        # sessions the warm-up did not create are created during the measurement
        row["warmup_complete"] = all(r["gen"].get("warmup_complete", True) for r in mine
                                     if isinstance(r.get("gen"), dict))
        if recs and recs[0]["scenario"] == "nat_new":
            # new sessions per second: the forwarded rate of the one direction
            row["sessions_per_s"] = row["mpps"] * 1e6 if row["mpps"] is not None else None
    return rows


def print_nat(rows, out, new):
    if new:
        print("\nNAT new sessions: every packet a new 5-tuple, 64 B, inside -> outside, one switch core "
              "(M sessions/s = delivered Mpps)", file=out)
    else:
        print("\nNAT established sessions, 64 B, bidirectional (inside sends, outside reflects), one switch core", file=out)
    hdr = (f"{'flows':>7}  {'switch':<19} {'Mpps':>7} {'(min-max)':>15} {'cyc/pkt':>7} {'loss%':>6} "
           f"{'/limit':>6} {'/OVS':>5} {'rtt us':>7} {'busy%':>5}  placement")
    if new:
        hdr = hdr.replace(f"{'flows':>7}", f"{'':>7}").replace(f"{'Mpps':>7}", f"{'Msess/s':>7}")
    print(hdr, file=out)
    print("-" * len(hdr), file=out)
    last = None
    for r in rows:
        if last is not None and r["flows"] != last:
            print("", file=out)
        last = r["flows"]
        rng = f"({fmt(r['mpps_min'], '.2f')}-{fmt(r['mpps_max'], '.2f')})" if r["mpps"] is not None else ""
        fl = "new" if new else str(r["flows"])
        print(f"{fl:>7}  {NAT_SWITCH_NAME.get(r['switch'], r['switch']):<19} {fmt(r['mpps'], '7.3f'):>7} {rng:>15} "
              f"{fmt(r['cycles_per_packet'], '7.0f'):>7} {fmt(r['loss_pct'], '6.2f'):>6} "
              f"{fmt(r['ratio_to_limit'], '6.2f'):>6} {fmt(r['ratio_to_ovs'], '5.2f'):>5} "
              f"{fmt(None if new else r['rtt_p50_us'], '7.1f'):>7} {fmt(r['others_busy_pct'], '5.0f'):>5}  {r['placement']}",
              file=out)
    for r in rows:
        if not new and not r.get("warmup_complete", True):
            print(f"  note: {r['flows']} flows, {r['switch']}: the warm-up did not reach every flow; "
                  f"the measurement includes session creation", file=out)
        y = r.get("vsw_stage_cycles")
        if y:
            print(f"  vswd cycles per received packet by stage ({'new' if new else str(r['flows']) + ' flows'}, "
                  f"cycle_stats build, incl. warm-up): " + ", ".join(f"{k} {v:.0f}" for k, v in y.items())
                  + f", sum {sum(y.values()):.0f}", file=out)
        c = r.get("vsw_nat_counters")
        if c:
            print(f"  vswd NAT counters ({'new' if new else str(r['flows']) + ' flows'}, median): "
                  + ", ".join(f"{k}={v:.0f}" for k, v in c.items() if v), file=out)


def nat66_summary(recs):
    """nat66 rows (testpmd, ovs, vsw = NAT66, vsw44 = NAT44 with IPv4 frames of
    the same size): the nat summary plus vsw's NAT66 rate over its NAT44 one,
    per rep."""
    rows = nat_summary(recs)
    by = {(r["switch"], r["rep"]): result(r) for r in recs}
    per_rep = [by[("vsw", rep)]["rx_pps"] / by[("vsw44", rep)]["rx_pps"]
               for rep in {r["rep"] for r in recs}
               if by.get(("vsw", rep)) and by.get(("vsw44", rep)) and by[("vsw44", rep)]["rx_pps"] > 0]
    for row in rows:
        if row["switch"] == "vsw":
            row["ratio_to_nat44"] = median(per_rep)
    return rows


def print_nat66(rows, out):
    size = rows[0]["size"] if rows else "?"
    print(f"\nNAT66 established sessions, 1000 flows, {size} B, bidirectional, one switch core "
          "(vswd NAT44: IPv4 frames of the same size through the same vswd)", file=out)
    hdr = (f"{'switch':<22} {'Mpps':>7} {'(min-max)':>15} {'cyc/pkt':>7} {'loss%':>6} {'/limit':>6} {'/OVS':>5} "
           f"{'/NAT44':>6}  placement")
    print(hdr, file=out)
    print("-" * len(hdr), file=out)
    names = {"testpmd": "limit (testpmd io)", "ovs": "OVS-DPDK ct NAT66", "vsw": "vswd NAT66", "vsw44": "vswd NAT44"}
    for r in rows:
        rng = f"({fmt(r['mpps_min'], '.2f')}-{fmt(r['mpps_max'], '.2f')})" if r["mpps"] is not None else ""
        print(f"{names.get(r['switch'], r['switch']):<22} {fmt(r['mpps'], '7.3f'):>7} {rng:>15} "
              f"{fmt(r['cycles_per_packet'], '7.0f'):>7} {fmt(r['loss_pct'], '6.2f'):>6} "
              f"{fmt(r['ratio_to_limit'], '6.2f'):>6} {fmt(r['ratio_to_ovs'], '5.2f'):>5} "
              f"{fmt(r.get('ratio_to_nat44'), '6.2f'):>6}  {r['placement']}", file=out)
    for r in rows:
        c = r.get("vsw_nat_counters")
        if c:
            print(f"  {names.get(r['switch'], r['switch'])} counters (median): "
                  + ", ".join(f"{k}={v:.0f}" for k, v in c.items() if v), file=out)


def print_vxlan(rows, out):
    """vxlan rows (l2_summary by inner frame size): vswd's overlay next to
    OVS-DPDK's VXLAN tunnel port."""
    print("\nVXLAN overlay: a guest's 1000 flows to MACs behind a remote VTEP, encapsulated and back "
          "decapsulated, bidirectional, one switch core (inner frame sizes; /OVS: OVS-DPDK type=vxlan)", file=out)
    hdr = f"{'switch':<22} {'size':>5} {'Mpps':>7} {'(min-max)':>15} {'cyc/pkt':>7} {'loss%':>6} {'/OVS':>5}  placement"
    print(hdr, file=out)
    print("-" * len(hdr), file=out)
    names = {"ovs": "OVS-DPDK vxlan port", "vsw": "vswd overlay"}
    for r in sorted(rows, key=lambda r: (int(r["size"]) if str(r["size"]).isdigit() else 0, r["switch"])):
        rng = f"({fmt(r['mpps_min'], '.2f')}-{fmt(r['mpps_max'], '.2f')})" if r["mpps"] is not None else ""
        print(f"{names.get(r['switch'], r['switch']):<22} {r['size']:>5} {fmt(r['mpps'], '7.3f'):>7} {rng:>15} "
              f"{fmt(r['cycles_per_packet'], '7.0f'):>7} {fmt(r['loss_pct'], '6.2f'):>6} "
              f"{fmt(r['ratio_to_ovs'], '5.2f'):>5}  {r['placement']}", file=out)


def flows_label(f):
    return "1 flow" if f == 1 else f"{f:,} flows"


def grouped_bars(ax, groups, group_labels, switches, names, row_of):
    """One bar per (group, switch) at its median, with a whisker from the
    run's min to its max; the legend sits below the axes, where it covers
    no bar."""
    width = 0.8 / max(1, len(switches))
    top = 0
    for i, sw in enumerate(switches):
        rows = [row_of(g, sw) for g in groups]
        med = [(r or {}).get("mpps") or 0 for r in rows]
        lo = [m - ((r or {}).get("mpps_min") if (r or {}).get("mpps_min") is not None else m) for m, r in zip(med, rows)]
        hi = [((r or {}).get("mpps_max") if (r or {}).get("mpps_max") is not None else m) - m for m, r in zip(med, rows)]
        top = max([top] + [m + h for m, h in zip(med, hi)])
        ax.bar([j + i * width for j in range(len(groups))], med, width, yerr=[lo, hi], capsize=3,
               label=names.get(sw, sw))
    ax.set_xticks([j + width * (len(switches) - 1) / 2 for j in range(len(groups))])
    ax.set_xticklabels(group_labels)
    ax.set_ylabel("Mpps (both directions), median; whiskers min-max")
    ax.set_ylim(0, top * 1.08 if top > 0 else 1)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.1), ncol=max(1, len(switches)), frameon=False)


def plot_nat(rows, path):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    switches = [s for s in SWITCH_ORDER if any(r["switch"] == s for r in rows)]
    flows = sorted({r["flows"] for r in rows})
    get = {(r["flows"], r["switch"]): r for r in rows}
    fig, ax = plt.subplots(figsize=(7, 5))
    grouped_bars(ax, flows, [flows_label(f) for f in flows], switches, NAT_SWITCH_NAME,
                 lambda f, sw: get.get((f, sw)))
    ax.set_title("NAT, established sessions, 64 B")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    return True


def nat_targets(nat_rows, new_rows, out):
    """The issue's NAT targets, checked against the medians above."""
    get = {(r["flows"], r["switch"]): r for r in nat_rows}
    v1k, v1m = get.get((1000, "vsw")), get.get((1000000, "vsw"))
    vnew = next((r for r in new_rows if r["switch"] == "vsw"), None)
    checks = []
    if v1k:
        checks.append(("nat 1k flows: vswd >= 0.70 x limit", v1k["ratio_to_limit"], 0.70))
        checks.append(("nat 1k flows: vswd >= 3 x OVS ct NAT", v1k["ratio_to_ovs"], 3.0))
    if v1k and v1m and v1k["mpps"] and v1m["mpps"] is not None:
        checks.append(("nat 1M flows >= 0.80 x 1k flows (vswd)", v1m["mpps"] / v1k["mpps"], 0.80))
    if vnew and vnew["mpps"] is not None:
        checks.append(("nat_new: vswd >= 2 M sessions/s per core", vnew["mpps"], 2.0))
    res = []
    if checks:
        print("\nNAT targets (medians; see placement/busy% before trusting them)", file=out)
    for what, val, goal in checks:
        ok = val is not None and val >= goal
        print(f"  {what:<44} {fmt(val, '6.2f'):>6}  {'met' if ok else 'MISSED'}", file=out)
        res.append({"target": what, "value": val, "goal": goal, "met": ok})
    return res


def latency_rows(recs):
    rows = []
    for r in recs:
        res = result(r)
        lat = res["latency_ns"] if res else {}
        rows.append({"switch": r["switch"], "load_pct": r.get("load_pct"), "rate_pps": r.get("rate_pps"),
                     "rx_mpps": res["rx_mpps"] if res else None, "loss_pct": res["loss_pct"] if res else None,
                     "p50_ns": lat.get("p50"), "p99_ns": lat.get("p99"), "max_ns": lat.get("max"),
                     "placement": placement(r)})
    rows.sort(key=lambda x: (SWITCH_ORDER.index(x["switch"]) if x["switch"] in SWITCH_ORDER else 9, x["load_pct"] or 0))
    return rows


def print_latency(rows, ndr, out):
    print(f"\nLatency, 64 B, 1 flow, at 10/50/90 % of vswd's zero-loss rate ({fmt(ndr and ndr / 1e6, '.3f')} Mpps)", file=out)
    hdr = f"{'switch':<19} {'load':>4} {'Mpps':>7} {'loss%':>6} {'p50 us':>8} {'p99 us':>8} {'max us':>9}  placement"
    print(hdr, file=out)
    print("-" * len(hdr), file=out)
    for r in rows:
        us = lambda v: None if v is None else v / 1e3
        print(f"{SWITCH_NAME.get(r['switch'], r['switch']):<19} {r['load_pct']:>3}% {fmt(r['rx_mpps'], '7.3f'):>7} "
              f"{fmt(r['loss_pct'], '6.3f'):>6} {fmt(us(r['p50_ns']), '8.1f'):>8} {fmt(us(r['p99_ns']), '8.1f'):>8} "
              f"{fmt(us(r['max_ns']), '9.1f'):>9}  {r['placement']}", file=out)


def plot(rows, path):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("report: matplotlib missing, no plot", file=sys.stderr)
        return False
    switches = [s for s in SWITCH_ORDER if any(r["switch"] == s for r in rows)]
    sizes = [s for s in SIZE_ORDER if any(r["size"] == s for r in rows)]
    flows = sorted({r["flows"] for r in rows})
    get = {(r["size"], r["flows"], r["switch"]): r for r in rows}
    fig, axes = plt.subplots(1, 2, figsize=(12, 5))
    f0, s0 = flows[0], sizes[0]
    grouped_bars(axes[0], sizes, [f"{s} B" if s != "imix" else s for s in sizes], switches, SWITCH_NAME,
                 lambda s, sw: get.get((s, f0, sw)))
    axes[0].set_title(f"Throughput by frame size ({flows_label(f0)})")
    grouped_bars(axes[1], flows, [flows_label(f) for f in flows], switches, SWITCH_NAME,
                 lambda f, sw: get.get((s0, f, sw)))
    axes[1].set_title(f"Throughput by flow count ({s0} B)")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    return True


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--records", required=True)
    ap.add_argument("--machine", default="{}")
    ap.add_argument("--json")
    ap.add_argument("--png")
    ap.add_argument("--elapsed", type=int, default=None)
    a = ap.parse_args()
    recs = []
    for n, l in enumerate(open(a.records), 1):
        if l.strip():
            try:
                recs.append(json.loads(l))
            except json.JSONDecodeError as e:
                print(f"report: record {n} unreadable ({e}), skipped", file=sys.stderr)
    machine = json.loads(a.machine)
    out = sys.stdout
    all_labels = [placement(r) for r in recs]
    overall = label_summary(all_labels) if all_labels else "?"
    rtts = [p["median_ns"] for r in recs for p in (r.get("pingpong_before"), r.get("pingpong_after"))
            if isinstance(p, dict)]
    print(f"\nmachine: {machine.get('cpu_model')} ({machine.get('cpus')} CPUs), switch CPU {machine.get('switch_cpu')}, "
          f"generator CPU {machine.get('generator_cpu')}, DPDK {machine.get('dpdk')}, {machine.get('ovs', '')}, "
          f"memory {machine.get('memory')}", file=out)
    if rtts:
        print(f"placement: {overall}  (core-to-core round trip {min(rtts):.0f}-{max(rtts):.0f} ns, "
              f"median {statistics.median(rtts):.0f} ns; near < 200 ns)", file=out)
    busy = [b for b in (others_busy(r) for r in recs) if b is not None]
    if busy:
        print(f"other load on our CPUs before runs: median {statistics.median(busy):.0f} %, max {max(busy):.0f} %"
              + ("  -> CONTENDED: other processes share the benchmark CPUs, figures are unreliable"
                 if statistics.median(busy) > 10 else ""), file=out)
    summary = {"machine": machine, "placement": overall, "elapsed_s": a.elapsed,
               "others_busy_pct_median": statistics.median(busy) if busy else None}

    l2 = [r for r in recs if r["scenario"] == "l2"]
    if l2:
        rows = l2_summary(l2)
        print_l2(rows, out)
        summary["l2"] = rows
        if a.png and plot(rows, a.png):
            summary["plot"] = a.png
    l2q = [r for r in recs if r["scenario"] == "l2_2q"]
    if l2q:
        rows = l2_2q_summary(l2q)
        print_l2_2q(rows, out)
        summary["l2_2q"] = rows
    ndr = next((r for r in recs if r["scenario"] == "ndr"), None)
    ndr_pps = ndr["gen"]["ndr_pps"] if ndr and isinstance(ndr.get("gen"), dict) else None
    if ndr:
        summary["vsw_ndr"] = {"ndr_pps": ndr_pps, "placement": placement(ndr),
                              "max_pps": ndr["gen"].get("max_pps") if isinstance(ndr.get("gen"), dict) else None}
    lat = [r for r in recs if r["scenario"] == "latency"]
    if lat:
        rows = latency_rows(lat)
        print_latency(rows, ndr_pps, out)
        summary["latency"] = rows
    rel = {r.get("phase", "reload"): r for r in recs if r["scenario"] == "reload"}
    if "reload" in rel:
        def drops(r):
            st = r.get("vsw_stats_after")
            tot = collections.Counter()
            def walk(x):
                if isinstance(x, dict):
                    for k, v in x.items():
                        if k == "drops" and isinstance(v, dict):
                            tot.update({kk: vv for kk, vv in v.items() if isinstance(vv, int)})
                        else:
                            walk(v)
                elif isinstance(x, list):
                    for v in x:
                        walk(v)
            walk(st)
            return tot
        base, rr = rel.get("baseline"), rel["reload"]
        d_base = drops(base) if base else collections.Counter()
        d_rel = drops(rr)
        d_rel.subtract(d_base)   # counters are cumulative over both phases
        rres, bres = result(rr), result(base) if base else None
        lost = rres["lost"] if rres else None
        ok = rres is not None and lost == 0 and rr.get("reloads_ok") == rr.get("reloads")
        print(f"\nReload: vswd at {rr.get('rate_pps')} pps (50 % of NDR), 64 B, placement {placement(rr)}", file=out)
        if bres:
            print(f"  baseline, no reload : tx {bres['tx']} rx {bres['rx']} lost {bres['lost']}", file=out)
        print(f"  5 x vswctl reload   : tx {rres['tx'] if rres else '-'} rx {rres['rx'] if rres else '-'} lost "
              f"{lost if lost is not None else '-'}, {rr.get('reloads_ok')}/{rr.get('reloads')} reloads ok, "
              f"vswd drops during it: {dict((k, v) for k, v in d_rel.items() if v) or 0}  -> {'PASS' if ok else 'FAIL'}",
              file=out)
        if not ok and bres and bres["lost"] > 0:
            print("  (the baseline lost packets too: the loss is not caused by the reloads alone; see busy%/placement)",
                  file=out)
        summary["reload"] = {"rate_pps": rr.get("rate_pps"), "reloads": rr.get("reloads"),
                             "reloads_ok": rr.get("reloads_ok"), "tx": rres["tx"] if rres else None,
                             "rx": rres["rx"] if rres else None, "lost": lost, "pass": ok,
                             "baseline_lost": bres["lost"] if bres else None,
                             "vsw_drops_during_reload": {k: v for k, v in d_rel.items() if v},
                             "placement": placement(rr)}
    nat = [r for r in recs if r["scenario"] == "nat"]
    if nat:
        rows = nat_summary(nat)
        print_nat(rows, out, new=False)
        summary["nat"] = rows
        if a.png:
            png = a.png[:-4] + "-nat.png" if a.png.endswith(".png") else a.png + "-nat"
            if plot_nat(rows, png):
                summary["plot_nat"] = png
    nat_new = [r for r in recs if r["scenario"] == "nat_new"]
    if nat_new:
        rows = nat_summary(nat_new)
        print_nat(rows, out, new=True)
        summary["nat_new"] = rows
    nat66 = [r for r in recs if r["scenario"] == "nat66"]
    if nat66:
        rows = nat66_summary(nat66)
        print_nat66(rows, out)
        summary["nat66"] = rows
    vxlan = [r for r in recs if r["scenario"] == "vxlan"]
    if vxlan:
        rows = l2_summary(vxlan)
        print_vxlan(rows, out)
        summary["vxlan"] = rows
    if nat or nat_new:
        summary["nat_targets"] = nat_targets(summary.get("nat", []), summary.get("nat_new", []), out)
    if a.elapsed is not None:
        print(f"\nelapsed {a.elapsed // 60} min {a.elapsed % 60} s", file=out)
    summary["records"] = recs
    if a.json:
        with open(a.json, "w") as f:
            json.dump(summary, f, indent=1)
        print(f"results: {a.json}" + "".join(f", {summary[k]}" for k in ("plot", "plot_nat") if k in summary), file=out)


if __name__ == "__main__":
    main()
