"""``pyfantasy scan`` against faults (issue 12): a bad ``--out`` is a one-line usage error
before any file is scanned (item 7); workers exit when the scan's parent is killed (item
8); one large cassette is read one interaction at a time (item 9)."""
from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import time

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


_PARENT = """
import sys, time
import pyfantasy.scan as scan_mod
def slow(path, **kw):  # a worker busy on a file for a long time
    time.sleep(60)
    return []
scan_mod.scan_file = slow
if sys.argv[4] == "poll":  # as on a system without prctl: the getppid() poll alone
    sys.platform = "other"
print("ready", flush=True)
scan_mod.scan(sys.argv[1:3], sys.argv[3], workers=2, progress=False)
"""


def _children(pid: int):
    out = []
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open(f"/proc/{d}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid and fields[0] != "Z":
                out.append(int(d))
    return out


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
@pytest.mark.parametrize("how", ["prctl", "poll"])
def test_workers_exit_when_the_parent_is_killed(tmp_path, how):
    parent = subprocess.Popen([sys.executable, "-c", _PARENT, str(SAMPLE), str(SAMPLE.with_name(
        "anthropic_thinking_streaming.yaml")), str(tmp_path / "r.db"), how], stdout=subprocess.PIPE, text=True)
    workers = []
    try:
        assert parent.stdout.readline().strip() == "ready"
        for _ in range(200):  # up to 20 s for both workers to start
            workers = _children(parent.pid)
            if len(workers) >= 2:
                break
            time.sleep(0.1)
        assert len(workers) >= 2, workers
        parent.kill()  # SIGKILL: no cleanup code runs in the parent
        parent.wait(10)
        deadline = time.monotonic() + 10
        while any(_alive(w) for w in workers) and time.monotonic() < deadline:
            time.sleep(0.05)
        left = [w for w in workers if _alive(w)]
        assert not left, f"workers still alive after their parent was killed: {left}"
    finally:
        parent.kill()
        parent.wait(10)
        for w in workers:  # only when the test failed: do not leave them behind
            if _alive(w):
                os.kill(w, signal.SIGKILL)
