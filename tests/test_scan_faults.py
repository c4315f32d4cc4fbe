"""``pyfantasy scan`` against faults (issue 12): a bad ``--out`` is a one-line usage error
before any file is scanned (item 7); workers exit when the scan's parent is killed (item
8); one large cassette is read one interaction at a time (item 9)."""
from __future__ import annotations

import io

import pytest

import pyfantasy.scan as scan_mod
from helpers import ROOT

SAMPLE = ROOT / "pyfantasy" / "samples" / "openai_chat_simple.yaml"


def run_cli(*args):
    out, err = io.StringIO(), io.StringIO()
    import pyfantasy.cli as cli
    ns = cli.build_parser().parse_args(["scan", *map(str, args)])
    return ns.func(ns, out, err), out.getvalue(), err.getvalue()


@pytest.mark.parametrize("case", ["missing-folder", "a-folder", "not-sqlite", "missing-folder-jsonl",
                                  "a-folder-csv"])
def test_bad_out_is_a_usage_error_before_scanning(tmp_path, monkeypatch, case):
    scanned = []
    monkeypatch.setattr(scan_mod, "scan_file", lambda *a, **kw: scanned.append(a) or [])
    out = {"missing-folder": tmp_path / "nowhere" / "r.db", "a-folder": tmp_path,
           "not-sqlite": tmp_path / "notes.db", "missing-folder-jsonl": tmp_path / "no" / "r.jsonl",
           "a-folder-csv": tmp_path}[case]
    if case == "not-sqlite":
        out.write_text("these are my notes, not a database\n")
    extra = ["--out-format", "csv"] if case == "a-folder-csv" else []
    rc, _, err = run_cli(SAMPLE, "--out", out, "--workers", "1", "--quiet", *extra)
    assert rc == 2, err
    assert err.count("\n") == 1 and err.startswith("pyfantasy scan: --out ") and str(out) in err
    assert "Traceback" not in err and "sqlite3" not in err
    assert scanned == []
    if case == "not-sqlite":
        assert out.read_text() == "these are my notes, not a database\n"  # left alone


def test_good_out_still_scans(tmp_path):
    (tmp_path / "empty.db").write_bytes(b"")  # an empty file is a new database, as sqlite3 says
    for out in (tmp_path / "empty.db", tmp_path / "r.db", tmp_path / "r.jsonl"):
        rc, _, err = run_cli(SAMPLE, "--out", out, "--workers", "1", "--quiet")
        assert rc == 0, err
        assert scan_mod.read_rows(str(out))
