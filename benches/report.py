"""Print a ratio table from a pytest-benchmark JSON file.

    python -m pytest benches --benchmark-disable-gc --benchmark-min-rounds=5 \
        --benchmark-json=/tmp/bench.json
    python benches/report.py /tmp/bench.json

For each group: every contender's min time, MB/s (when the bench records
``extra_info["bytes"]``), events/s (``extra_info["events"]``), and how many
times faster it is than the group's fastest peer (the fastest contender that is
not pyfantasy: the bar every speed target is set against), plus the machine
and its load average when the report is made.
"""
from __future__ import annotations

import json
import os
import platform
import sys
from collections import defaultdict


def main(path: str) -> None:
    data = json.load(open(path))
    groups = defaultdict(list)
    for b in data["benchmarks"]:
        groups[b["group"]].append(b)
    mi = data.get("machine_info", {})
    print(f"machine: {mi.get('cpu', {}).get('brand_raw', platform.processor())}, "
          f"python {mi.get('python_version', platform.python_version())}")
    try:
        print("load average now: %.2f %.2f %.2f" % os.getloadavg())
    except OSError:
        pass
    for group, benches in groups.items():
        benches.sort(key=lambda b: b["stats"]["min"])
        peers = [b["stats"]["min"] for b in benches if not _name(b).startswith("pyfantasy")]
        best_peer = min(peers) if peers else None
        print(f"\n## {group}\n")
        print("| contender | min ms | MB/s | events/s | x the fastest peer |")
        print("|---|---:|---:|---:|---:|")
        for b in benches:
            t = b["stats"]["min"]
            info = b.get("extra_info", {})
            mbs = f"{info['bytes'] / t / 1e6:,.0f}" if "bytes" in info else ""
            evs = f"{info['events'] / t:,.0f}" if "events" in info else ""
            ratio = f"{best_peer / t:.2f}" if best_peer else ""
            print(f"| {_name(b)} | {t * 1e3:,.2f} | {mbs} | {evs} | {ratio} |")


def _name(b: dict) -> str:
    return b["name"].split("[")[-1].rstrip("]")


if __name__ == "__main__":
    main(sys.argv[1])
