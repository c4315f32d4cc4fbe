"""Print a ratio table from one or more pytest-benchmark JSON files.

    python -m pytest benches --benchmark-disable-gc --benchmark-min-rounds=5 \
        --benchmark-json=/tmp/bench1.json
    python benches/report.py /tmp/bench1.json [/tmp/bench2.json ...]

For each group: every contender's min time, MB/s (when the bench records
``extra_info["bytes"]``), events/s (``extra_info["events"]``), and how many
times faster it is than the group's fastest peer (the fastest contender that is
not pyfantasy: the bar every speed target is set against), plus the machine
and its load average when the report is made.

Given several runs (whole runs of the same code, one file each), a contender's
time is its minimum over the runs and its ratio the fastest peer's minimum over
that; the last column gives the range of the ratio within each single run, so
that one lucky or unlucky run shows.
"""
from __future__ import annotations

import json
import os
import platform
import sys
from collections import defaultdict
from typing import Dict, List, Optional, Sequence, Tuple


def load(path: str) -> dict:
    with open(path) as f:
        return json.load(f)


def mins(run: dict) -> Dict[str, Dict[str, Tuple[float, dict]]]:
    """group -> contender -> (min seconds, extra_info) of one run."""
    out: Dict[str, Dict[str, Tuple[float, dict]]] = defaultdict(dict)
    for b in run["benchmarks"]:
        out[b["group"]][_name(b)] = (b["stats"]["min"], b.get("extra_info", {}))
    return out


def ratios(times: Dict[str, float]) -> Dict[str, float]:
    """contender -> the group's fastest peer's time over its own (no peer: {})."""
    peers = [t for name, t in times.items() if not name.startswith("pyfantasy")]
    if not peers:
        return {}
    best = min(peers)
    return {name: best / t for name, t in times.items()}


def combine(runs: Sequence[dict]) -> Dict[str, List[tuple]]:
    """group -> rows (contender, min seconds over the runs, extra_info, ratio of the mins or
    None, (lowest, highest) single-run ratio or None), fastest first."""
    per_run = [mins(r) for r in runs]
    groups: Dict[str, List[tuple]] = {}
    for group in dict.fromkeys(g for m in per_run for g in m):
        best: Dict[str, Tuple[float, dict]] = {}
        for m in per_run:
            for name, (t, info) in m.get(group, {}).items():
                if name not in best or t < best[name][0]:
                    best[name] = (t, info)
        overall = ratios({name: t for name, (t, _) in best.items()})
        singles: Dict[str, List[float]] = defaultdict(list)
        for m in per_run:
            for name, r in ratios({name: t for name, (t, _) in m.get(group, {}).items()}).items():
                singles[name].append(r)
        rows = []
        for name, (t, info) in sorted(best.items(), key=lambda kv: kv[1][0]):
            rs = singles.get(name)
            rows.append((name, t, info, overall.get(name), (min(rs), max(rs)) if rs else None))
        groups[group] = rows
    return groups


def main(paths: Sequence[str]) -> None:
    runs = [load(p) for p in paths]
    mi = runs[0].get("machine_info", {})
    print(f"machine: {mi.get('cpu', {}).get('brand_raw', platform.processor())}, "
          f"python {mi.get('python_version', platform.python_version())}")
    try:
        print("load average now: %.2f %.2f %.2f" % os.getloadavg())
    except OSError:
        pass
    several = len(runs) > 1
    if several:
        print(f"{len(runs)} runs: min per contender over the runs; ratios of those mins, "
              "and their range in single runs")
    for group, rows in combine(runs).items():
        print(f"\n## {group}\n")
        print("| contender | min ms | MB/s | events/s | x the fastest peer |" + (" single runs |" if several else ""))
        print("|---|---:|---:|---:|---:|" + ("---:|" if several else ""))
        for name, t, info, ratio, spread in rows:
            mbs = f"{info['bytes'] / t / 1e6:,.0f}" if "bytes" in info else ""
            evs = f"{info['events'] / t:,.0f}" if "events" in info else ""
            line = f"| {name} | {t * 1e3:,.2f} | {mbs} | {evs} | {_x(ratio)} |"
            if several:
                line += f" {_x(spread[0])}–{_x(spread[1])} |" if spread else " |"
            print(line)


def _x(r: Optional[float]) -> str:
    return "" if r is None else f"{r:.2f}"


def _name(b: dict) -> str:
    return b["name"].split("[")[-1].rstrip("]")


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit("usage: python benches/report.py RUN.json [RUN.json ...]")
    main(sys.argv[1:])
