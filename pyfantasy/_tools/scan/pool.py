"""The scan's worker pool: files spread over processes that die with their parent; a crash
in one file costs that file's rows only (it is retried alone and becomes an error row)."""
from __future__ import annotations

import os
import signal
import sys
import threading
import time
from typing import Any, Dict, Iterable, Iterator, List, Optional, Sequence, Tuple

from pyfantasy._errors import DecodeError
from pyfantasy._tools.scan.rows import iter_files, make_row, row_dict, scan_file, scan_path


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
        # that took the KeyboardInterrupt would print its traceback under the scan's exit)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    _WORKER_OPTS["backend"] = backend
    _WORKER_OPTS["format"] = fmt
    try:  # warm the imports once per process, not per file
        from pyfantasy import decode  # noqa: F401
        from pyfantasy._kernels import vcr  # noqa: F401
    except ImportError:  # pragma: no cover
        pass


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


def _work_batch(tasks: List[Tuple[str, int, int]]) -> List[Tuple[str, int, int, List[tuple]]]:
    return [_work(t) for t in tasks]


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
                 batch_bytes: int = 256 << 10) -> Iterator[Tuple[str, int, int, List[tuple]]]:
    """(path, size, mtime_ns, rows) for each task (path, size, mtime_ns), in task order.

    ``workers`` > 1 spreads batches of files (about ``batch_bytes`` each) over
    that many processes. Each worker takes the next batch itself as soon as it
    is done with one (a shared counter; no process hands batches out) and sends
    its rows back on a pipe of its own; the rows come back in order. A worker
    process that dies (a crash while decoding) does not stop the scan: the
    others go on, the files of the batch it held are decoded again one process
    each, and the file that kills its process again is one error row of kind
    ``crash``.
    """
    if workers <= 1 or len(tasks) <= 1:
        _init_worker(backend, format)
        for t in tasks:
            yield _work(t)
        return
    batches: List[List[Tuple[str, int, int]]] = []
    cur: List[Tuple[str, int, int]] = []
    acc = 0
    # small batches keep every worker busy to the end; a batch costs a lock and two pipe messages
    # files not stat'ed yet (UNSTATED) count as 16 KiB, a cassette's usual size
    limit = max(64 << 10, min(batch_bytes, sum(_guess(t[1]) for t in tasks) // (workers * 16) or 1))
    most = min(256, max(1, len(tasks) // (workers * 16)))   # files a batch: a few files are a batch each
    for t in tasks:
        cur.append(t)
        acc += _guess(t[1])
        if acc >= limit or len(cur) >= most:
            batches.append(cur)
            cur, acc = [], 0
    if cur:
        batches.append(cur)
    _preload(backend)
    for k, results in _pool_results(batches, workers, backend, format):
        if results is None:   # the worker holding it died
            yield from _isolated(batches[k], backend, format)
        else:
            yield from results


def _guess(size: int) -> int:
    return 16 << 10 if size == UNSTATED else max(size, 0)


def _serve(batches: list, nxt: Any, conn: Any, backend: Optional[str], fmt: Optional[str],
           parent: int) -> None:
    """A worker process: take the next batch (``nxt``, shared), say which (so that a crash
    names it), send its results; until none is left."""
    _init_worker(backend, fmt, parent)
    lock = nxt.get_lock()
    while True:
        with lock:
            k = nxt.value
            if k >= len(batches):
                break
            nxt.value = k + 1
        conn.send(k)
        conn.send((k, _work_batch(batches[k])))
    conn.close()


def _start(ctx: Any, batches: list, nxt: Any, backend: Optional[str], fmt: Optional[str]) -> Tuple[Any, Any]:
    """A worker process over ``batches`` and the read end of its pipe."""
    recv, send = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_serve, args=(batches, nxt, send, backend, fmt, os.getpid()), daemon=True,
                       name="pyfantasy-scan")
    proc.start()
    send.close()
    return recv, proc


def _pool_results(batches: list, workers: int, backend: Optional[str],
                  fmt: Optional[str]) -> Iterator[Tuple[int, Optional[list]]]:
    """(k, results of ``batches[k]``) for every batch in order; results None when the
    worker process that held the batch died (the other workers go on)."""
    from multiprocessing.connection import wait
    ctx = _mp_context()
    nxt = ctx.Value("q", 0)
    conn: Any
    live: Dict[Any, list] = {}   # pipe -> [process, batch it holds or None]
    ready: Dict[int, Any] = {}   # batch -> its results, None when lost
    expect = 0
    started = -1   # the counter when workers were last started
    try:
        while expect < len(batches):
            if expect in ready:
                yield expect, ready.pop(expect)
                expect += 1
                continue
            if not live:   # none started yet, or all died: what no one delivered is lost
                for k in range(expect, nxt.value):
                    ready.setdefault(k, None)
                if nxt.value < len(batches):
                    if nxt.value == started:
                        raise RuntimeError("the scan's worker processes exit before taking any file")
                    started = nxt.value
                    for _ in range(min(workers, len(batches) - nxt.value)):
                        conn, proc = _start(ctx, batches, nxt, backend, fmt)
                        live[conn] = [proc, None]
                continue
            for conn in wait(list(live)):
                try:
                    msg = conn.recv()
                except EOFError:   # the worker is done, or died
                    proc, held = live.pop(conn)
                    conn.close()
                    proc.join()
                    if held is not None:
                        ready[held] = None
                    continue
                if type(msg) is int:
                    live[conn][1] = msg
                else:
                    ready[msg[0]] = msg[1]
                    live[conn][1] = None
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
        (_, results), = _pool_results([[task]], 1, backend, fmt)
        if results is not None:
            yield from results
            continue
        path, size, mtime = task
        if mtime == UNSTATED:  # recorded as done all the same: a re-run does not crash on it again
            size, mtime = pending_tasks([path])[0][1:]
        exc = DecodeError("crash", "the process decoding this file died: a bug in pyfantasy "
                                   "(please report it with the file)", path=path)
        yield path, size, mtime, [make_row(path, None, "", "", fmt or "", None, None, None, exc)]


def iter_rows(paths: Iterable[str], workers: Optional[int] = None, *, backend: Optional[str] = None,
              format: Optional[str] = None) -> Iterator[Dict[str, Any]]:
    """Row dicts of every file under ``paths`` (no output file, no resume)."""
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
