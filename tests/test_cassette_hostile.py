"""Cassette files against hostile input and faults (issue 12): YAML nested too deeply is
located (item 6); a save interrupted by SIGTERM leaves no temp file, and stale temp files
of the same cassette are removed on the next save or load (item 14)."""
from __future__ import annotations

import pytest

from pyfantasy import CassetteError
from pyfantasy._kernels.vcr import read_interactions
from pyfantasy.cassette import load


@pytest.mark.parametrize("body, line", [
    (b"---\nversion: 2\ninteractions:\n" + b"- " * 5000 + b"x\n", 4),
    (b"---\nversion: 2\ninteractions:\n  - " + b"[" * 1100 + b"]" * 1100 + b"\n", 4),
    (b"version: 2\ninteractions:\n" + b"".join(b"  " * i + b"a:\n" for i in range(1200)), None),
], ids=["block-lists", "flow-lists", "mappings"])
def test_yaml_nested_too_deeply_names_file_line_and_column(tmp_path, body, line):
    path = tmp_path / "deep.yaml"
    path.write_bytes(body)
    # the python backend's reader is ``load``; the native one falls back to it on such text
    for read in (lambda: load(path), lambda: read_interactions(body, str(path), "native")):
        with pytest.raises(CassetteError) as ei:
            read()
        e = ei.value
        assert e.path == str(path) and "nested too deeply" in e.reason
        assert e.line is not None and e.column is not None
        if line is not None:
            assert e.line == line
        assert str(e).startswith(f"{path}:{e.line}:{e.column}: ")


# ---- item 14: interrupted saves ------------------------------------------------------------

_SAVER = """
import os, sys, time
from pyfantasy.cassette import Cassette, Interaction, Request, Response
real_fsync = os.fsync
def slow_fsync(fd):  # the save is now inside its temp file: say so and give the test time
    print("in-save", flush=True)
    time.sleep(30)
    real_fsync(fd)
if sys.argv[2] == "handler":  # a program with its own SIGTERM handler that exits
    import signal
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(3))
os.fsync = slow_fsync
its = [Interaction(id=0, request=Request(url="https://x.test/v1", method="POST", body="{}"),
                   response=Response(body="x" * 3_000_000, code=200, status="200 OK"))]
Cassette(interactions=its).save(sys.argv[1])
"""


def _temps(folder):
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


@pytest.mark.parametrize("how", ["default", "handler"])
def test_sigterm_during_save_leaves_no_temp_file_and_the_old_cassette(tmp_path, how):
    import signal
    import subprocess
    import sys
    from pyfantasy.cassette import Cassette
    path = tmp_path / "rec.yaml"
    Cassette(interactions=[]).save(path)
    before = path.read_bytes()
    p = subprocess.Popen([sys.executable, "-c", _SAVER, str(path), how], stdout=subprocess.PIPE, text=True)
    try:
        assert p.stdout.readline().strip() == "in-save"
        assert len(_temps(tmp_path)) == 1  # the save is under way
        p.send_signal(signal.SIGTERM)
        rc = p.wait(10)
    finally:
        p.kill()
        p.wait(10)
    assert rc == (-signal.SIGTERM if how == "default" else 3)
    assert _temps(tmp_path) == []
    assert path.read_bytes() == before  # never corrupt: still the old cassette
    load(path)


def test_stale_temp_files_are_removed_on_the_next_save_and_load(tmp_path):
    import os
    import subprocess
    import sys
    import time
    from pyfantasy._files import STALE_UNNAMED_SECONDS
    from pyfantasy.cassette import Cassette
    path = tmp_path / "rec.yaml"
    Cassette(interactions=[]).save(path)
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                          text=True).stdout.strip()  # a pid whose process has ended
    live = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        def make(name, age=0):
            f = tmp_path / name
            f.write_bytes(b"x" * 1000)
            if age:
                os.utime(f, (time.time() - age, time.time() - age))
            return name
        dead = make(f".rec.yaml.{gone}.abc123.tmp")               # SIGKILLed save: removed
        busy = make(f".rec.yaml.{live.pid}.def456.tmp")           # another process saving: kept
        old = make(".rec.yaml.k3j2h1g0.tmp", STALE_UNNAMED_SECONDS + 60)  # older pyfantasy, old: removed
        new = make(".rec.yaml.z9y8x7w6.tmp")                      # older pyfantasy, recent: kept
        other = make(f".other.yaml.{gone}.abc123.tmp")             # another cassette's: kept
        load(path)
        assert _temps(tmp_path) == sorted([busy, new, other])
        make(dead)
        Cassette(interactions=[]).save(path)
        assert _temps(tmp_path) == sorted([busy, new, other])
    finally:
        live.kill()
        live.wait(10)
    assert old not in _temps(tmp_path)
