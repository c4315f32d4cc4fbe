"""Print a ratio table from a pytest-benchmark JSON file.

    python -m pytest benches --benchmark-disable-gc --benchmark-min-rounds=5 \
        --benchmark-json=/tmp/bench.json
    python benches/report.py /tmp/bench.json

For each group: every contender's min time, MB/s (when the bench records
``extra_info["bytes"]``), events/s (``extra_info["events"]``) and its speed
relative to each other contender of the group, plus the machine and versions.
"""
from __future__ import annotations

import json
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
    for group, benches in groups.items():
        benches.sort(key=lambda b: b["stats"]["min"])
        fastest = benches[0]["stats"]["min"]
        print(f"\n## {group}\n")
        print("| contender | min ms | MB/s | events/s | x slower than fastest |")
        print("|---|---:|---:|---:|---:|")
        for b in benches:
            t = b["stats"]["min"]
            info = b.get("extra_info", {})
            mbs = f"{info['bytes'] / t / 1e6:,.0f}" if "bytes" in info else ""
            evs = f"{info['events'] / t:,.0f}" if "events" in info else ""
            name = b["name"].split("[")[-1].rstrip("]")
            print(f"| {name} | {t * 1e3:,.2f} | {mbs} | {evs} | {t / fastest:.2f} |")


if __name__ == "__main__":
    main(sys.argv[1])
