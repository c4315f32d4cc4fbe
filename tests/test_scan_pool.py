"""The scan's worker pool (pyfantasy/_tools/scan/pool.py): workers take batches themselves and
send rows back on their own pipes; rows come back in task order; a worker that dies costs only
the files of the batch it held (each retried alone, the one that kills its process again is a
'crash' row); workers that cannot start are an error, not a hang; stopping early leaves no
process behind."""
from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from helpers import no_fork_under_asan
import pyfantasy._tools.scan.pool as pool
import pyfantasy._tools.scan.rows as rows_mod

SAMPLES = Path(pool.__file__).resolve().parents[2] / "samples"
pytestmark = [pytest.mark.skipif(sys.platform != "linux", reason="workers inherit patches by fork"),
              no_fork_under_asan]


def _tasks(n: int):
    files = sorted(str(p) for p in SAMPLES.glob("*.yaml"))
    return [(files[k % len(files)], pool.UNSTATED, pool.UNSTATED) for k in range(n)]


def _in_process(tasks):
    return list(pool.iter_results(tasks, 1))


def test_rows_come_back_in_task_order_from_many_small_batches():
    tasks = _tasks(70)
    want = _in_process(tasks)
    got = list(pool.iter_results(tasks, 2, batch_bytes=1))   # one file a batch: 70 batches, 2 workers
    assert [g[0] for g in got] == [t[0] for t in tasks]
    assert got == want


def test_as_many_workers_as_files_when_files_are_few(monkeypatch):
    started = []
    real = pool._start

    def start(*a):
        started.append(1)
        return real(*a)
    monkeypatch.setattr(pool, "_start", start)
    tasks = _tasks(2)
    assert list(pool.iter_results(tasks, 2)) == _in_process(tasks)
    assert len(started) == 2   # two small files: a batch each, a worker each


def _dies_on(monkeypatch, names):
    real = rows_mod.scan_bytes

    def dying(data, path="<bytes>", **kw):
        if os.path.basename(path) in names:
            os._exit(3)
        return real(data, path, **kw)
    monkeypatch.setattr(rows_mod, "scan_bytes", dying)


@pytest.mark.parametrize("victims", [("gemini_streaming.yaml",),
                                     ("gemini_streaming.yaml", "bedrock_streaming.yaml")],
                         ids=["one-file", "two-files"])
def test_workers_that_die_cost_their_files_only(monkeypatch, victims):
    """Files that kill their worker (every copy of them, so both workers die in turn, and
    new ones are started for the batches left) are 'crash' rows; every other file is
    decoded, in task order."""
    tasks = _tasks(40)
    want = _in_process(tasks)
    _dies_on(monkeypatch, victims)
    got = list(pool.iter_results(tasks, 2, batch_bytes=1 << 20))
    assert [g[0] for g in got] == [t[0] for t in tasks]
    for (path, _, _, rows), (_, _, _, good) in zip(got, want):
        if os.path.basename(path) in victims:
            assert len(rows) == 1 and rows[0][18] == "crash", rows
        else:
            assert rows == good


def test_workers_that_exit_before_any_file_are_an_error_not_a_hang(monkeypatch):
    monkeypatch.setattr(pool, "_init_worker", lambda *a: os._exit(5))
    with pytest.raises(RuntimeError, match="exit before taking any file"):
        list(pool.iter_results(_tasks(8), 2))


def test_stopping_early_leaves_no_worker_behind():
    it = pool.iter_results(_tasks(200), 2, batch_bytes=1)
    next(it)
    import multiprocessing as mp
    assert mp.active_children()
    it.close()
    assert not [p for p in mp.active_children() if p.name == "pyfantasy-scan"]


def test_spawned_workers_give_the_same_rows(monkeypatch):
    """Where processes are spawned, not forked (macOS, Windows), the workers get the batches
    and the shared counter by pickling: the same rows in the same order."""
    import multiprocessing as mp
    monkeypatch.setattr(pool, "_mp_context", lambda: mp.get_context("spawn"))
    tasks = _tasks(12)
    assert list(pool.iter_results(tasks, 2, batch_bytes=1)) == _in_process(tasks)
