#!/usr/bin/env python3
"""The README's performance table, from a run's results JSON (perf/latest by
default): `python3 perf/readme_table.py [perf/latest/results.json]`. It
names the machine, the commit and the placement the run had, so the figures
in README always say where they came from."""
import json
import sys


def row_of(rows, **want):
    for r in rows or []:
        if all(str(r.get(k)) == str(v) for k, v in want.items()):
            return r
    return None


def mpps(r, spec=".2f"):
    return "-" if r is None or r.get("mpps") is None else format(r["mpps"], spec)


def ratio(r, key):
    return "-" if r is None or r.get(key) is None else f"{r[key]:.2f}"


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else "perf/latest/results.json"
    d = json.load(open(path))
    m = d.get("machine", {})
    print(f"Run: {m.get('cpu_model')} ({m.get('cpus')} CPUs), switch on CPU {m.get('switch_cpu')}, generator on "
          f"CPU {m.get('generator_cpu')}, vsw {m.get('vsw_commit')}, DPDK {m.get('dpdk')}, {m.get('ovs')}, "
          f"{m.get('reps')} reps, placement {d.get('placement')}.\n")
    print("| scenario (64 B unless said, one switch core) | limit | OVS-DPDK | vswd | vswd / limit | vswd / OVS |")
    print("|---|---|---|---|---|---|")
    lines = [("L2, 1 flow", "l2", dict(size="64", flows=1)), ("L2, 1000 flows", "l2", dict(size="64", flows=1000)),
             ("L2, 1518 B, 1000 flows", "l2", dict(size="1518", flows=1000)),
             ("NAT, 1000 sessions", "nat", dict(flows=1000)), ("NAT, 1,000,000 sessions", "nat", dict(flows=1000000))]
    for name, scenario, key in lines:
        rows = d.get(scenario)
        lim, ovs, vsw = (row_of(rows, switch=s, **key) for s in ("testpmd", "ovs", "vsw"))
        if vsw is None:
            continue
        print(f"| {name} | {mpps(lim)} Mpps | {mpps(ovs)} | {mpps(vsw)} | {ratio(vsw, 'ratio_to_limit')} | "
              f"{ratio(vsw, 'ratio_to_ovs')} |")
    new = d.get("nat_new") or []
    ovs, vsw = row_of(new, switch="ovs"), row_of(new, switch="vsw")
    if vsw is not None:
        print(f"| NAT, new sessions per second | - | {mpps(ovs)} M/s | {mpps(vsw)} M/s | - | "
              f"{ratio(vsw, 'ratio_to_ovs')} |")


if __name__ == "__main__":
    main()
