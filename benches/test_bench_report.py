"""benches/report.py: ratio tables from one run, and from several runs combined (min per
contender over the runs, and each ratio's range in single runs)."""
from __future__ import annotations

import json

import report


def _run(times: dict) -> dict:
    """A pytest-benchmark JSON document: group -> contender -> min seconds."""
    return {"machine_info": {}, "benchmarks": [
        {"group": g, "name": f"bench_x[{name}]", "stats": {"min": t}, "extra_info": {"bytes": 1_000_000}}
        for g, contenders in times.items() for name, t in contenders.items()]}


RUN1 = _run({"g": {"pyfantasy-native": 1.0, "peer-a": 3.0, "peer-b": 4.0}, "solo": {"pyfantasy-x": 2.0}})
RUN2 = _run({"g": {"pyfantasy-native": 1.5, "peer-a": 2.0, "peer-b": 3.5}})


def test_one_run_is_against_the_fastest_peer():
    rows = report.combine([RUN1])["g"]
    assert [(r[0], r[3]) for r in rows] == [("pyfantasy-native", 3.0), ("peer-a", 1.0), ("peer-b", 0.75)]
    assert report.combine([RUN1])["solo"] == [("pyfantasy-x", 2.0, {"bytes": 1_000_000}, None, None)]


def test_several_runs_take_each_contenders_min_and_show_single_run_ratios():
    rows = {r[0]: r for r in report.combine([RUN1, RUN2])["g"]}
    name, t, _, ratio, spread = rows["pyfantasy-native"]
    assert t == 1.0 and ratio == 2.0   # min 1.0 against the peers' min 2.0
    assert spread == (2.0 / 1.5, 3.0)   # 2.0/1.5 in the second run, 3.0/1.0 in the first
    assert rows["peer-b"][1] == 3.5 and rows["peer-b"][4] == (2.0 / 3.5, 0.75)


def test_main_prints_the_tables(tmp_path, capsys):
    paths = []
    for k, run in enumerate((RUN1, RUN2)):
        p = tmp_path / f"r{k}.json"
        p.write_text(json.dumps(run))
        paths.append(str(p))
    report.main(paths)
    out = capsys.readouterr().out
    assert "2 runs" in out
    assert "| pyfantasy-native | 1,000.00 | 1 |  | 2.00 | 1.33–3.00 |" in out
    report.main(paths[:1])
    assert "| pyfantasy-native | 1,000.00 | 1 |  | 3.00 |\n" in capsys.readouterr().out
