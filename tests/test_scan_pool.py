"""The scan's worker pool (pyfantasy/_tools/scan/pool.py): workers take batches themselves and
send rows back on their own pipes; rows come back in task order; a worker that dies costs only
the files of the batch it held (each retried alone, the one that kills its process again is a
'crash' row); workers that cannot start are an error, not a hang; stopping early leaves no
process behind; a slow file holds the other workers back (memory stays bounded); an exception
in a worker is its file's error row. Every test here fails rather than hangs (``_no_hang``)."""
from __future__ import annotations

import faulthandler
import os
import sys
import time
from pathlib import Path

import pytest

from helpers import no_fork_under_asan
import pyfantasy._tools.scan.pool as pool
import pyfantasy._tools.scan.rows as rows_mod

SAMPLES = Path(pool.__file__).resolve().parents[2] / "samples"
pytestmark = [pytest.mark.skipif(sys.platform != "linux", reason="workers inherit patches by fork"),
              no_fork_under_asan]


@pytest.fixture(autouse=True)
def _no_hang():
    """A pool that hangs ends the test run with every thread's traceback instead of
    holding CI until its timeout."""
    faulthandler.dump_traceback_later(120, exit=True)
    yield
    faulthandler.cancel_dump_traceback_later()


def _tasks(n: int):
    files = sorted(str(p) for p in SAMPLES.glob("*.yaml"))
    return [(files[k % len(files)], pool.UNSTATED, pool.UNSTATED) for k in range(n)]


def _copies(tmp_path, n: int):
    """Tasks of ``n`` files with names of their own (copies of the samples)."""
    files = sorted(SAMPLES.glob("*.yaml"))
    tasks = []
    for k in range(n):
        p = tmp_path / f"f{k:03d}.yaml"
        p.write_bytes(files[k % len(files)].read_bytes())
        tasks.append((str(p), pool.UNSTATED, pool.UNSTATED))
    return tasks


def _in_process(tasks):
    return list(pool.iter_results(tasks, 1))


def test_rows_come_back_in_task_order_from_many_small_batches():
    tasks = _tasks(70)
    want = _in_process(tasks)
    got = list(pool.iter_results(tasks, 2, batch_bytes=1))   # 2 files a batch (70 // 32): 35 batches
    assert [g[0] for g in got] == [t[0] for t in tasks]
    assert got == want


def _cut(tasks, workers=2, batch_bytes=2 << 20):
    feed = pool._Feed(tasks, workers, batch_bytes)
    return list(iter(feed.next, None))


def test_batches_are_large_then_shrink_so_workers_finish_together():
    """Few batches (each is a pipe message and a wakeup of the scan), in task order, never above
    ``batch_bytes`` (plus the file that crosses it), shrinking toward the end: the last ones are
    the 64 KiB floor, so no worker is left with a large batch while the other has none."""
    tasks = [(f"f{k:05d}", 10_000, 1) for k in range(5_000)]   # 50 MB
    batches = _cut(tasks)
    assert [t for b in batches for t in b] == tasks
    sizes = [sum(t[1] for t in b) for b in batches]
    assert len(batches) <= 100, len(batches)
    assert max(sizes) <= (2 << 20) + 10_000
    assert all(a >= b for a, b in zip(sizes, sizes[1:-1])), sizes   # the last: what is left
    assert all(s <= (64 << 10) + 10_000 for s in sizes[-6:]), sizes[-6:]
    assert sizes[0] >= 1 << 20


def test_tasks_that_are_still_coming_are_cut_as_they_come():
    """Tasks from a walk still going on: full batches taken as they come (no more than two
    batches' worth read ahead), guided sizes once the walk has ended; the same tasks in order."""
    tasks = [(f"f{k:05d}", 10_000, 1) for k in range(5_000)]
    pulled = []

    def walk():
        for t in tasks:
            pulled.append(t)
            yield t
    feed = pool._Feed(walk(), 2, 2 << 20)
    first = feed.next()
    assert sum(t[1] for t in first) >= 2 << 20 and len(pulled) <= 2 * len(first) + 1, (len(first), len(pulled))
    rest = list(iter(feed.next, None))
    assert [t for b in [first] + rest for t in b] == tasks
    sizes = [sum(t[1] for t in b) for b in rest]
    assert all(s <= (64 << 10) + 10_000 for s in sizes[-6:]), sizes[-6:]


def test_a_lazy_task_list_gives_the_same_rows_in_order():
    tasks = _tasks(70)
    assert list(pool.iter_results(iter(tasks), 2, batch_bytes=1)) == _in_process(tasks)
    one = _tasks(1)
    assert list(pool.iter_results(iter(one), 2)) == _in_process(one)
    assert list(pool.iter_results(iter([]), 2)) == []


@pytest.mark.parametrize("workers", [1, 2])
def test_workers_decode_while_the_tasks_are_still_coming(monkeypatch, tmp_path, workers):
    """The workers decode the first files of a walk while it goes on (a scan does not wait for
    the whole walk; the walk goes as far as the workers need, in process a few hundred files
    ahead), and every row comes in order."""
    log = tmp_path / "log.txt"
    fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND)
    real = rows_mod.scan_bytes

    def logged(data, path="<bytes>", **kw):
        os.write(fd, b"file\n")
        return real(data, path, **kw)
    monkeypatch.setattr(rows_mod, "scan_bytes", logged)
    tasks = _tasks(1_200)

    def walk():
        for k, t in enumerate(tasks):
            if k == 600:
                os.write(fd, b"walk waits\n")
            yield t
    got = list(pool.iter_results(walk(), workers, batch_bytes=1))   # 4 files a batch while the walk goes on
    os.close(fd)
    assert [g[0] for g in got] == [t[0] for t in tasks]
    lines = log.read_text().split("\n")
    before = lines[:lines.index("walk waits")]
    assert before.count("file") >= 40, lines[:80]


LONG_PATHS = r"""
import os, sys
import pyfantasy._tools.scan.pool as pool
src, root = sys.argv[1], sys.argv[2]
data = open(src, "rb").read()
folder = root
while len(folder) < 3_600:   # paths of nearly 4,096 bytes, Linux's most
    folder = os.path.join(folder, chr(97 + len(folder) % 26) * 240)
os.makedirs(folder)
tasks = []
for k in range(600):
    path = os.path.join(folder, f"{k:04d}" + "x" * 200 + ".yaml")
    with open(path, "wb") as f:
        f.write(data)
    tasks.append((path, pool.UNSTATED, pool.UNSTATED))
got = list(pool.iter_results(tasks, 2, batch_bytes=64 << 20))
assert [g[0] for g in got] == [t[0] for t in tasks]
print(sum(len(g[3]) for g in got))
"""


def test_batches_and_rows_larger_than_a_pipe_do_not_stall_the_pool(tmp_path):
    """Batches of long paths (18 files of 4 kB paths a batch) and their rows, each more than
    a pipe holds, while the scan sends a worker its next batch as the worker sends its
    rows: neither waits on the other (each worker reads its batches on a thread of its own)."""
    import subprocess
    src = sorted(SAMPLES.glob("*.yaml"))[0]
    proc = subprocess.run([sys.executable, "-c", LONG_PATHS, str(src), str(tmp_path)],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert int(proc.stdout) >= 600


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
    """Files that kill their worker (every copy of them, so workers die again and again and
    new ones take their place) are 'crash' rows saying how the process ended; every other
    file, those of the dead workers' batches (6 files each) included, is decoded, in task order."""
    tasks = _tasks(200)
    want = _in_process(tasks)
    _dies_on(monkeypatch, victims)
    got = list(pool.iter_results(tasks, 2))
    assert [g[0] for g in got] == [t[0] for t in tasks]
    for (path, _, _, rows), (_, _, _, good) in zip(got, want):
        if os.path.basename(path) in victims:
            assert len(rows) == 1 and rows[0][18] == "crash", rows
            assert "died (exit status 3)" in rows[0][19], rows
        else:
            assert rows == good



def test_every_file_kills_its_worker(monkeypatch):
    """Every file kills its worker, one file a batch: both workers can be dead, their deaths
    seen by a failed send but not yet by their results pipes, when the scan looks for a worker
    to give the next batch to. It waits for the pipes (which say the workers began a batch)
    instead of taking the dead ones for workers that never started; every file is a crash row."""
    _dies_on(monkeypatch, {p.name for p in SAMPLES.glob("*.yaml")})
    tasks = _tasks(40)
    got = list(pool.iter_results(tasks, 2, batch_bytes=1))
    assert [g[0] for g in got] == [t[0] for t in tasks]
    assert all(len(rows) == 1 and rows[0][18] == "crash" for _, _, _, rows in got)

def test_a_dead_worker_is_replaced(monkeypatch, tmp_path):
    """One file kills its worker once: a new worker takes the dead one's place at once (the
    scan goes on with two), the file is a 'crash' row naming the signal, the rest decode."""
    import signal
    tasks = _copies(tmp_path, 120)
    want = _in_process(tasks)
    real = rows_mod.scan_bytes

    def dying(data, path="<bytes>", **kw):
        if path.endswith("f010.yaml"):
            os.kill(os.getpid(), signal.SIGKILL)   # SIGSEGV would print faulthandler's dump
        return real(data, path, **kw)
    monkeypatch.setattr(rows_mod, "scan_bytes", dying)
    started = []   # for each worker started: whether for a file retried alone
    alone = []
    real_start, real_isolated = pool._start, pool._isolated

    def start(*a):
        started.append(bool(alone))
        return real_start(*a)

    def isolated(*a):
        alone.append(1)
        try:
            yield from real_isolated(*a)
        finally:
            alone.pop()
    monkeypatch.setattr(pool, "_start", start)
    monkeypatch.setattr(pool, "_isolated", isolated)
    got = list(pool.iter_results(tasks, 2))
    assert [len(r) for r in got] == [len(r) for r in want]
    for k, ((path, _, _, rows), (_, _, _, good)) in enumerate(zip(got, want)):
        if k == 10:
            assert rows[0][18] == "crash" and "killed by SIGKILL" in rows[0][19], rows
        else:
            assert rows == good, path
    pooled = [a for a in started if not a]   # the scan's pool; the others: a file retried alone
    assert len(pooled) == 3, started   # two workers, and the one that took the dead one's place
    # retried alone: the 3 files of the batch it was on (120 // 32 a batch), not the batch
    # waiting in its pipe (another worker decodes that one)
    assert len(started) - len(pooled) == 3, started


def test_an_exception_in_a_worker_is_its_files_error_row(monkeypatch):
    real = pool._work

    def failing(task):
        if os.path.basename(task[0]) == "gemini_streaming.yaml":
            raise RuntimeError("a bug in a row")
        return real(task)
    monkeypatch.setattr(pool, "_work", failing)
    tasks = _tasks(60)
    want = _in_process(_tasks(60))   # patched too: the same rows in-process
    got = list(pool.iter_results(tasks, 2))
    assert got == want
    bad = [g for g in got if os.path.basename(g[0]) == "gemini_streaming.yaml"]
    assert bad and all(r[3][0][18] == "RuntimeError" and r[3][0][19].endswith(
        "gemini_streaming.yaml: cannot scan the file: a bug in a row") for r in bad), bad[0]
    assert all(g[1] > 0 and g[2] > 0 for g in bad)   # the file's size and mtime, stat'ed


def test_a_slow_file_holds_the_other_workers_back(monkeypatch, tmp_path):
    """While the first batch's slow file is decoded, the other worker takes at most
    8 * workers batches ahead (their rows wait in the scan's memory), not the whole scan."""
    log = tmp_path / "log.txt"
    fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND)
    real = rows_mod.scan_bytes
    tasks = _copies(tmp_path, 400)   # 12 files a batch (400 // 32)

    def logged(data, path="<bytes>", **kw):
        if path == tasks[0][0]:
            time.sleep(1.5)
            os.write(fd, b"slow done\n")
        else:
            os.write(fd, b"file\n")
        return real(data, path, **kw)
    monkeypatch.setattr(rows_mod, "scan_bytes", logged)
    got = list(pool.iter_results(tasks, 2))
    os.close(fd)
    assert len(got) == 400
    lines = log.read_text().split("\n")
    before = lines.index("slow done")
    # batches 1 to 15 (12 files each) at most; without the bound, all 399 others in 1.5 s
    assert before <= 15 * 12, before


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


@pytest.mark.parametrize("taker", ["main thread", "other thread"])
def test_ctrl_c_while_a_worker_starts_leaves_no_worker_behind(monkeypatch, taker):
    """SIGINT is blocked while a worker starts. A Ctrl-C the main thread then holds is raised
    once the worker has started; one another thread of the process takes (a thread that does
    not block SIGINT) is raised in the main thread wherever it is, even inside the start, after
    the fork. Either way the worker is stopped before the KeyboardInterrupt leaves the pool,
    and SIGINT is unblocked again."""
    import multiprocessing as mp
    import signal
    import threading
    ctx = pool._mp_context()
    quit = threading.Event()
    # takes SIGINT (it does not block it); only in its case, so that the other case's SIGINT
    # can go to no thread but the main one, which holds it
    other = threading.Thread(target=quit.wait, daemon=True)
    if taker == "other thread":
        other.start()

    class Interrupted(ctx.Process):
        def start(self):
            super().start()
            if taker == "main thread":
                os.kill(os.getpid(), signal.SIGINT)   # held: SIGINT is blocked here
                return
            signal.pthread_kill(other.ident, signal.SIGINT)
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:   # the KeyboardInterrupt comes in this loop
                pass

    class Context:
        def __getattr__(self, name):
            return getattr(ctx, name)
        Process = Interrupted
    monkeypatch.setattr(pool, "_mp_context", Context)
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)   # even in a background job
    try:
        with pytest.raises(KeyboardInterrupt):
            list(pool.iter_results(_tasks(40), 2))
        assert signal.SIGINT not in signal.pthread_sigmask(signal.SIG_BLOCK, set())
    finally:
        signal.signal(signal.SIGINT, previous)
        quit.set()
    assert not [p for p in mp.active_children() if p.name == "pyfantasy-scan"]


@pytest.mark.parametrize("workers", [1, 2])
def test_iter_rows_with_a_backend_that_cannot_be_used_raises_before_any_file(monkeypatch, workers):
    """As ``scan`` does, whatever the workers: not an error row per file with one, a raise with two."""
    from pyfantasy.scan import iter_rows
    read = []
    monkeypatch.setattr(pool, "iter_files", lambda *a, **k: read.append(1) or iter(()))
    with pytest.raises(ValueError, match="unknown pyfantasy backend 'bogus'"):
        iter_rows([str(SAMPLES)], workers, backend="bogus")
    assert not read
