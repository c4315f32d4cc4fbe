"""The scan's worker pool: files spread over processes that die with their parent; a crash
in one file costs that file's rows only (it is retried alone and becomes an error row)."""
from __future__ import annotations

import os
import signal
import sys
import threading
import time
from multiprocessing.connection import Connection
from typing import Any, Dict, Iterable, Iterator, List, Optional, Sequence, Tuple, cast

from pyfantasy._errors import DecodeError
from pyfantasy._tools.scan.rows import _failure_row, iter_files, make_row, row_dict, scan_file, scan_path


# ---- workers ------------------------------------------------------------------------------

_WORKER_OPTS: Dict[str, Any] = {}
UNSTATED = -2  # a task's size and mtime before its file is read (``pending_tasks(stat=False)``)


def _exit_with_parent(parent: int) -> None:
    """Make this worker process exit when ``parent`` (the scan) dies, even by SIGKILL:
    Linux's ``PR_SET_PDEATHSIG`` (SIGKILL to us when the parent goes), and, for other
    systems or a parent thread that exits, a daemon thread that polls ``getppid()``."""
    if sys.platform.startswith("linux"):
        try:
            import ctypes
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG
        except (OSError, AttributeError):  # no libc symbol: the poll below still works
            pass
    if os.getppid() != parent:  # it died before the prctl took effect
        os._exit(1)

    def watch() -> None:
        while True:
            time.sleep(0.5)
            if os.getppid() != parent:
                os._exit(1)
    threading.Thread(target=watch, name="pyfantasy-parent-watch", daemon=True).start()


def _init_worker(backend: Optional[str], fmt: Optional[str], parent: Optional[int] = None) -> None:
    """Options of a worker; ``parent``: the pid of the scan when this is a worker process."""
    if parent is not None:
        _exit_with_parent(parent)
        # Ctrl-C reaches the whole process group: the scan stops its workers itself (a worker
        # that took the KeyboardInterrupt would print its traceback under the scan's exit).
        # _start blocked SIGINT before the fork, so none comes before it is ignored here.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        if hasattr(signal, "pthread_sigmask"):
            signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
        _preload(backend)   # done already when forked; a spawned worker imports them once here
    _WORKER_OPTS["backend"] = backend
    _WORKER_OPTS["format"] = fmt


def _preload(backend: Optional[str]) -> None:
    """Import, in the scan's process before it forks its workers, every module the rows may
    import on first use (the backend's kernels, the wire formats' modules, ctypes for
    ``_exit_with_parent``): each worker then starts with them instead of importing them
    itself (tens of ms a process)."""
    from pyfantasy import decode
    from pyfantasy._errors import PyfantasyError
    from pyfantasy._kernels import KERNELS, kernel
    from pyfantasy._kernels import vcr  # noqa: F401
    for name in KERNELS:
        kernel(name, backend)
    for fmt in decode.FORMATS:
        try:
            decode._format(fmt)
        except PyfantasyError:   # a format without a decoder: its rows say so
            pass
    if sys.platform.startswith("linux"):
        import ctypes  # noqa: F401


def _work(task: Tuple[str, int, int]) -> Tuple[str, int, int, List[tuple]]:
    path, size, mtime = task
    backend, fmt = _WORKER_OPTS.get("backend"), _WORKER_OPTS.get("format")
    if mtime == UNSTATED:  # not stat'ed before the scan: the size and mtime of what was read
        size, mtime, rows = scan_path(path, backend=backend, format=fmt)
    else:
        rows = scan_file(path, backend=backend, format=fmt, size=size)
    return path, size, mtime, rows


def _safe_work(task: Tuple[str, int, int]) -> Tuple[str, int, int, List[tuple]]:
    """``_work``; an exception (the rows never raise one: a bug) is the error row of its file,
    as ``scan_bytes`` makes one, so that neither a worker nor the scan dies of it."""
    try:
        return _work(task)
    except Exception as exc:  # noqa: BLE001 - one file's bug must not cost the others
        path, size, mtime = _stated(task)
        fmt = _WORKER_OPTS.get("format") or ""
        return path, size, mtime, [_failure_row(path, None, fmt, exc, "cannot scan the file")]


def _stated(task: Tuple[str, int, int]) -> Tuple[str, int, int]:
    """``task`` with its file's size and mtime, stat'ed now if the scan did not (UNSTATED)."""
    return pending_tasks([task[0]])[0] if task[2] == UNSTATED else task


def default_workers() -> int:
    """Worker processes by default: the CPUs this process may run on (its affinity
    mask, smaller than ``os.cpu_count()`` in a container or under taskset)."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except (AttributeError, OSError):  # not Linux
        return os.cpu_count() or 1


def _mp_context():
    import multiprocessing as mp
    methods = mp.get_all_start_methods()
    return mp.get_context("fork" if "fork" in methods and sys.platform == "linux" else None)


def iter_results(tasks: Sequence[Tuple[str, int, int]], workers: int = 1, *,
                 backend: Optional[str] = None, format: Optional[str] = None,
                 batch_bytes: int = 2 << 20) -> Iterator[Tuple[str, int, int, List[tuple]]]:
    """(path, size, mtime_ns, rows) for each task (path, size, mtime_ns), in task order.

    ``workers`` > 1 spreads batches of files (about ``batch_bytes`` each, smaller toward the
    end: ``_batches``) over that many processes. Each worker takes the next batch itself as
    soon as it is done with one (a shared counter; no process hands batches out),
    never more than ``8 * workers`` batches ahead of the one awaited (memory stays
    bounded behind a slow file), and sends its rows back on a pipe of its own; the
    rows come back in order. A worker process that dies (a crash while decoding)
    does not stop the scan: a new one takes its place, the files of the batch it
    held are decoded again one process each, and the file that kills its process
    again is one error row of kind ``crash``, which says how the process ended.
    """
    if workers <= 1 or len(tasks) <= 1:
        _init_worker(backend, format)
        for t in tasks:
            yield _safe_work(t)
        return
    batches = _batches(tasks, workers, batch_bytes)
    _preload(backend)
    for k, results in _pool_results(batches, workers, backend, format):
        if type(results) is list:
            yield from results
        else:   # the worker holding it died
            yield from _isolated(batches[k], backend, format)


def _batches(tasks: Sequence[Tuple[str, int, int]], workers: int,
             batch_bytes: int) -> List[List[Tuple[str, int, int]]]:
    """``tasks`` cut into batches of about ``batch_bytes`` (64 KiB at least), shrinking toward
    the end (a quarter of each worker's share of what is left: guided self-scheduling) so
    that the workers finish together; each batch costs a pipe message and a wakeup of the
    scan, so they are as large as that allows. Never more files a batch than a 16th of each
    worker's share: a few files are a batch each."""
    batches: List[List[Tuple[str, int, int]]] = []
    cur: List[Tuple[str, int, int]] = []
    acc = 0
    left = sum(_guess(t[1]) for t in tasks)
    most = min(256, max(1, len(tasks) // (workers * 16)))
    limit = max(64 << 10, min(batch_bytes, left // (workers * 4)))
    for t in tasks:
        cur.append(t)
        acc += _guess(t[1])
        if acc >= limit or len(cur) >= most:
            batches.append(cur)
            left -= acc
            cur, acc = [], 0
            limit = max(64 << 10, min(batch_bytes, left // (workers * 4)))
    if cur:
        batches.append(cur)
    return batches


def _guess(size: int) -> int:
    """A task's bytes for batching: its size, or 16 KiB when not stat'ed (UNSTATED)."""
    return 16 << 10 if size == UNSTATED else max(size, 0)


def _serve(batches: list, slot: int, shared: Tuple[Any, Any, Any, Any], window: int, conn: Any,
           backend: Optional[str], fmt: Optional[str], parent: int) -> None:
    """A worker process: take the next batch (the shared counter ``taken``; ``held[slot]`` says
    which, so that the scan knows what a dead worker held), send its results; until none is
    left. No batch more than ``window`` ahead of the one the scan waits for (``done``) is
    taken: a slow batch holds the others' rows back, so they must not pile up."""
    _init_worker(backend, fmt, parent)
    lock, taken, held, done = shared
    n = len(batches)
    while True:
        with lock:
            k = taken.value
            if k < n and k < done.value + window:
                taken.value = k + 1
                held[slot] = k
        if k >= n:
            break
        if held[slot] != k:   # too far ahead: wait for the scan to catch up
            time.sleep(0.001)
            continue
        conn.send((k, [_safe_work(t) for t in batches[k]]))
    conn.close()


def _start(ctx: Any, batches: list, slot: int, shared: tuple, window: int, backend: Optional[str],
           fmt: Optional[str], live: Dict[Any, Tuple[Any, int]]) -> None:
    """Start worker ``slot``'s process over ``batches`` and enter it in ``live`` (the read end
    of its pipe -> (process, slot)), where the pool stops it if the scan ends early. SIGINT is
    blocked while it starts (the worker ignores it before it unblocks it: see _init_worker).
    A Ctrl-C can still come in the middle, raised in this thread when another thread took the
    signal: a worker forked by then is stopped before the KeyboardInterrupt leaves."""
    recv, send = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_serve, args=(batches, slot, shared, window, send, backend, fmt, os.getpid()),
                       daemon=True, name="pyfantasy-scan")
    mask = hasattr(signal, "pthread_sigmask")   # not on Windows
    old = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT}) if mask else set()
    try:
        try:
            proc.start()
        except BaseException:   # it may be running already: it must not outlive the scan
            if proc.pid is not None:
                proc.kill()
                proc.join()
            recv.close()
            raise
        live[recv] = (proc, slot)
    finally:
        try:   # first: a Ctrl-C held while it started is raised here, and SIGINT is unblocked all the same
            if mask:
                signal.pthread_sigmask(signal.SIG_SETMASK, old)
        finally:
            send.close()


def _pool_results(batches: list, workers: int, backend: Optional[str],
                  fmt: Optional[str]) -> Iterator[Tuple[int, Any]]:
    """(k, results of ``batches[k]``) for every batch in order. In place of the results, the
    exit status of the worker process that died holding the batch (negative: the signal that
    killed it; None: every worker had exited and none delivered it); the other workers go on,
    and a new one takes the dead one's place."""
    from multiprocessing.connection import wait
    ctx = _mp_context()
    n = len(batches)
    window = 8 * workers   # batches taken ahead of the one awaited: rows held here, at most
    taken, done = ctx.RawValue("q", 0), ctx.RawValue("q", 0)
    held = ctx.RawArray("q", [-1] * workers)
    shared = (ctx.Lock(), taken, held, done)
    live: Dict[Any, Tuple[Any, int]] = {}   # pipe -> (process, slot)
    ready: Dict[int, Any] = {}   # batch -> its results, or how it was lost (an exit status, or None)
    expect = 0
    started = -1   # the counter when workers were last all started

    def start(slot: int) -> None:
        held[slot] = -1
        _start(ctx, batches, slot, shared, window, backend, fmt, live)

    try:
        while expect < n:
            if expect in ready:
                yield expect, ready.pop(expect)
                expect += 1
                done.value = expect
                continue
            if not live:   # none started yet, or all exited: what none delivered is lost
                for k in range(expect, taken.value):
                    ready.setdefault(k, None)
                if taken.value < n:
                    if taken.value == started:
                        raise RuntimeError("the scan's worker processes exit before taking any file")
                    started = taken.value
                    for slot in range(min(workers, n - taken.value)):
                        start(slot)
                continue
            for ready_conn in wait(list(live)):
                conn = cast(Connection, ready_conn)
                try:
                    k, results = conn.recv()
                except (EOFError, OSError):   # the worker is done, or died (maybe mid-message)
                    proc, slot = live.pop(conn)
                    conn.close()
                    proc.join()
                    k = held[slot]
                    if proc.exitcode:
                        if k >= expect and k not in ready:
                            ready[k] = proc.exitcode
                        if k >= 0 and taken.value < n:   # it had taken a batch: one takes its place
                            start(slot)
                    continue
                ready[k] = results
    finally:
        for conn, (proc, _) in live.items():
            if proc.is_alive():
                proc.kill()
            proc.join()
            conn.close()


def _isolated(batch: List[Tuple[str, int, int]], backend: Optional[str],
              fmt: Optional[str]) -> Iterator[Tuple[str, int, int, List[tuple]]]:
    """Each file of ``batch`` in a process of its own: one that dies on a file makes that
    file's error row (kind ``crash``), the others are decoded as usual."""
    for task in batch:
        # the one batch's (k, results): unpacking runs the generator to its end (its cleanup)
        (_, results), = _pool_results([[task]], 1, backend, fmt)
        if type(results) is list:
            yield from results
            continue
        path, size, mtime = _stated(task)   # recorded as done all the same: a re-run does not crash on it again
        exc = DecodeError("crash", f"the process decoding this file died ({_death(results)}): a bug in "
                                   "pyfantasy (please report it with the file)", path=path)
        yield path, size, mtime, [make_row(path, None, "", "", fmt or "", None, None, None, exc)]


def _death(status: Optional[int]) -> str:
    """How a worker process ended, from its exit status (None: not known)."""
    if status is None:
        return "no exit status"
    if status < 0:
        try:
            return f"killed by {signal.Signals(-status).name}"
        except ValueError:
            return f"killed by signal {-status}"
    return f"exit status {status}"


def iter_rows(paths: Iterable[str], workers: Optional[int] = None, *, backend: Optional[str] = None,
              format: Optional[str] = None) -> Iterator[Dict[str, Any]]:
    """Row dicts of every file under ``paths`` (no output file, no resume). A backend that
    cannot be used raises here, before any file is read, as ``scan`` does."""
    from pyfantasy._kernels import resolve
    resolve(backend)
    return _iter_rows(paths, workers, backend, format)


def _iter_rows(paths: Iterable[str], workers: Optional[int], backend: Optional[str],
               format: Optional[str]) -> Iterator[Dict[str, Any]]:
    """``iter_rows``' rows, once its backend is known to be usable."""
    tasks = pending_tasks(iter_files(paths), stat=False)
    for _, _, _, rows in iter_results(tasks, workers or default_workers(), backend=backend,
                                      format=format):
        for r in rows:
            yield row_dict(r)


def pending_tasks(files: Iterable[str], done: Optional[Dict[str, Tuple[int, int]]] = None,
                  stat: bool = True) -> List[Tuple[str, int, int]]:
    """(path, size, mtime) of each file to scan: those not in ``done`` with the same size and
    mtime (-1, -1: the file cannot be stat'ed). Without ``done`` and ``stat``, the files are
    not stat'ed here (size and mtime ``UNSTATED``): the worker that reads a file records its
    size and mtime as read, and a fresh scan does not stat every file before it starts."""
    if not done and not stat:
        return [(path, UNSTATED, UNSTATED) for path in files]
    out = []
    for path in files:
        try:
            st = os.stat(path)
            size, mtime = st.st_size, st.st_mtime_ns
        except OSError:
            size, mtime = -1, -1
        if done is not None and done.get(path) == (size, mtime):
            continue
        out.append((path, size, mtime))
    return out
