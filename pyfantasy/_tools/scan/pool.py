"""The scan's worker pool: files spread over processes that die with their parent; a crash
in one file costs that file's rows only (it is retried alone and becomes an error row)."""
from __future__ import annotations

import os
import queue
import signal
import sys
import threading
import time
from collections import deque
from itertools import islice
from multiprocessing.connection import Connection
from typing import Any, Deque, Dict, Iterable, Iterator, List, Optional, Tuple, cast

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


Task = Tuple[str, int, int]   # (path, size, mtime_ns), as pending_tasks makes them


def iter_results(tasks: Iterable[Task], workers: int = 1, *, backend: Optional[str] = None,
                 format: Optional[str] = None,
                 batch_bytes: int = 2 << 20) -> Iterator[Tuple[str, int, int, List[tuple]]]:
    """(path, size, mtime_ns, rows) for each task (path, size, mtime_ns), in task order.

    ``workers`` > 1 spreads batches of files (``_Feed``: about ``batch_bytes`` each,
    smaller toward the end) over that many processes. ``tasks`` may be lazy (a folder
    being walked): the workers start on the first batches while the rest comes. The scan
    hands each worker two batches at a time (one to decode, the next waiting in its pipe),
    never more than ``8 * workers`` batches ahead of the one awaited (memory stays bounded
    behind a slow file); each worker sends its rows back on a pipe of its own, and the
    rows come back in order. A worker process that dies (a crash while decoding) does not
    stop the scan: a new one takes its place, the batch it was on is decoded again one
    process a file (the file that kills its process again is one error row of kind
    ``crash``, which says how the process ended), and the batch it had not begun goes to
    another worker.
    """
    if workers > 1:
        feed = _Feed(tasks, workers, batch_bytes)
        if not feed.few():
            _preload(backend)
            for batch, results in _pool_results(feed, workers, backend, format):
                if type(results) is list:
                    yield from results
                else:   # the worker decoding it died
                    yield from _isolated(batch, backend, format)
            return
        tasks = feed.rest()   # one task at most: not worth a process
    _init_worker(backend, format)
    source = iter(tasks)
    while True:   # the walk a few hundred files at a time: interleaved file by file, it costs 3%
        chunk = list(islice(source, 512))
        if not chunk:
            return
        for t in chunk:
            yield _safe_work(t)


class _Feed:
    """The batches of a scan, cut from its tasks as the pool asks for them: ``batch_bytes``
    each while more tasks may come (the walk goes on); once every task is known, a quarter
    of each worker's share of what is left (guided self-scheduling), 64 KiB at least, so
    that the workers finish together. A batch costs a pipe message and a wakeup of the
    scan, so they are as large as that allows, with never more files than a 16th of each
    worker's share (a few files are a batch each)."""

    __slots__ = ("source", "queue", "bytes", "seen", "ended", "workers", "batch_bytes")

    def __init__(self, tasks: Iterable[Task], workers: int, batch_bytes: int) -> None:
        self.source = iter(tasks)
        self.queue: Deque[Task] = deque()
        self.bytes = self.seen = 0   # _guess of the queue's tasks; tasks taken from the source
        self.ended = False
        self.workers, self.batch_bytes = workers, batch_bytes
        if isinstance(tasks, (list, tuple)):   # all known: guided sizes from the first batch
            self._pull(-1)

    def _pull(self, upto: int, count: int = 0) -> None:
        """Take tasks from the source until the queue holds ``upto`` bytes and ``count`` tasks
        (``upto`` < 0: all of them), or it ends."""
        queue, source = self.queue, self.source
        while upto < 0 or self.bytes < upto or len(queue) < count:
            t = next(source, None)
            if t is None:
                self.ended = True
                return
            queue.append(t)
            self.bytes += _guess(t[1])
            self.seen += 1

    def few(self) -> bool:
        """At most one task: not worth a process."""
        if not self.ended:
            self._pull(0, 2)
        return len(self.queue) <= 1 and self.ended

    def rest(self) -> Iterator[Task]:
        """The tasks not cut into batches yet."""
        while self.queue:
            yield self.queue.popleft()
        yield from self.source

    def next(self) -> Optional[List[Task]]:
        """The next batch, or None when no task is left."""
        if not self.ended:
            self._pull(2 * self.batch_bytes)   # a whole batch, or the end: then guided sizes
        queue = self.queue
        if not queue:
            return None
        if self.ended:
            limit = max(64 << 10, min(self.batch_bytes, self.bytes // (self.workers * 4)))
            most = min(256, max(1, self.seen // (self.workers * 16)))
        else:
            limit, most = max(64 << 10, self.batch_bytes), 256
        batch: List[Task] = []
        acc = 0
        while queue:
            t = queue.popleft()
            batch.append(t)
            acc += _guess(t[1])
            if acc >= limit or len(batch) >= most:
                break
        self.bytes -= acc
        return batch


def _guess(size: int) -> int:
    """A task's bytes for batching: its size, or 16 KiB when not stat'ed (UNSTATED)."""
    return 16 << 10 if size == UNSTATED else max(size, 0)


def _serve(tasks: Any, conn: Any, slot: int, current: Any, backend: Optional[str], fmt: Optional[str],
           parent: int) -> None:
    """A worker process: decode each batch ``(k, tasks)`` the scan sends, send back ``(k, results)``,
    until the scan closes its end. ``current[slot]``: the batch it is on (if this process
    dies, the scan decodes that batch again file by file, and gives the next one to another)."""
    _init_worker(backend, fmt, parent)
    inbox: "queue.SimpleQueue[Any]" = queue.SimpleQueue()
    threading.Thread(target=_take, args=(tasks, inbox), name="pyfantasy-scan-tasks", daemon=True).start()
    while True:
        msg = inbox.get()
        if msg is None:
            break
        k, batch = msg
        current[slot] = k
        conn.send((k, [_safe_work(t) for t in batch]))
    conn.close()


def _take(tasks: Any, inbox: Any) -> None:
    """A worker's thread that reads its batches as they come, then None: the scan, sending
    one, never waits on a full pipe while this worker waits to send its rows (each would
    wait on the other)."""
    try:
        while True:
            inbox.put(tasks.recv())
    except BaseException:   # the scan closed its end (EOFError), or the pipe broke: stop
        inbox.put(None)


class _Worker:
    """A worker process as the scan sees it: the pipe it sends batches on, the batches it holds."""

    __slots__ = ("proc", "tasks", "slot", "held", "open")

    def __init__(self, proc: Any, tasks: Any, slot: int) -> None:
        self.proc, self.tasks, self.slot = proc, tasks, slot
        self.held: Deque[int] = deque()   # batches sent, in order, whose results have not come
        self.open = True   # may be sent more (closed when no batch is left: it exits)

    def close(self) -> None:
        if self.open:
            self.open = False
            self.tasks.close()


def _start(ctx: Any, slot: int, current: Any, backend: Optional[str], fmt: Optional[str],
           live: Dict[Any, _Worker]) -> None:
    """Start worker ``slot``'s process and enter it in ``live`` (the read end of its results
    pipe -> the worker), where the pool stops it if the scan ends early. SIGINT is
    blocked while it starts (the worker ignores it before it unblocks it: see _init_worker).
    A Ctrl-C can still come in the middle, raised in this thread when another thread took the
    signal: a worker forked by then is stopped before the KeyboardInterrupt leaves."""
    take, give = ctx.Pipe(duplex=False)
    recv, send = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_serve, args=(take, send, slot, current, backend, fmt, os.getpid()),
                       daemon=True, name="pyfantasy-scan")
    mask = hasattr(signal, "pthread_sigmask")   # not on Windows
    old = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT}) if mask else set()
    try:
        try:
            current[slot] = -1
            proc.start()
        except BaseException:   # it may be running already: it must not outlive the scan
            if proc.pid is not None:
                proc.kill()
                proc.join()
            recv.close()
            give.close()
            raise
        live[recv] = _Worker(proc, give, slot)
    finally:
        try:   # first: a Ctrl-C held while it started is raised here, and SIGINT is unblocked all the same
            if mask:
                signal.pthread_sigmask(signal.SIG_SETMASK, old)
        finally:
            send.close()
            take.close()


def _pool_results(feed: _Feed, workers: int, backend: Optional[str],
                  fmt: Optional[str]) -> Iterator[Tuple[List[Task], Any]]:
    """(batch, its results) for every batch of ``feed`` in order. In place of the results, the
    exit status of the worker process that died on the batch (negative: the signal that
    killed it); the other workers go on, and a new one takes the dead one's place."""
    from multiprocessing.connection import wait
    ctx = _mp_context()
    window = 8 * workers   # batches out ahead of the one awaited: rows held here, at most
    current = ctx.RawArray("q", [-1] * workers)
    live: Dict[Any, _Worker] = {}   # results pipe -> worker
    batches: Dict[int, List[Task]] = {}   # cut, not yet given back
    ready: Dict[int, Any] = {}   # batch -> its results, or the exit status of the worker that died on it
    again: Deque[int] = deque()   # batches a dead worker held but had not begun
    made = expect = 0   # batches cut; the next to give back
    ended = False   # the feed has no batch left
    begun = True   # a worker began a batch since workers were last started from none

    def cut() -> Optional[int]:
        """The batch to send next (one a dead worker had not begun first), or None."""
        nonlocal made, ended
        if again:
            return again.popleft()
        if ended or made >= expect + window:
            return None
        batch = feed.next()
        if batch is None:
            ended = True
            return None
        batches[made] = batch
        made += 1
        return made - 1

    def hand_out() -> None:
        for w in list(live.values()):
            while w.open and len(w.held) < 2:
                k = cut()
                if k is None:
                    break
                w.held.append(k)
                try:
                    w.tasks.send((k, batches[k]))
                except OSError:   # it died: its results pipe tells, and what it held goes again
                    w.close()
                    break
            if not w.held and ended and not again:
                w.close()

    def lost(w: _Worker) -> None:
        """A worker's process ended holding batches: the one it was on is lost (its exit
        status stands for its results), the others go to another worker."""
        nonlocal begun
        k = current[w.slot]
        held = w.held
        if held and held[0] == k:
            held.popleft()
            ready[k] = w.proc.exitcode
            begun = True
        elif k >= 0:
            begun = True
        again.extendleft(reversed(held))
        held.clear()

    try:
        while True:
            if expect in ready:
                yield batches.pop(expect), ready.pop(expect)
                expect += 1
                continue
            hand_out()
            if ended and not again and expect == made:
                return
            if not live:   # none started yet, or every one has ended with batches left
                # (a worker closed because it died on a send is still in ``live`` until its
                # results pipe says so: lost() may find it began a batch, and starts another)
                if not begun:
                    raise RuntimeError("the scan's worker processes exit before taking any file")
                begun = False
                for slot in range(workers):
                    _start(ctx, slot, current, backend, fmt, live)
                continue
            for ready_conn in wait(list(live)):
                conn = cast(Connection, ready_conn)
                w = live[conn]
                try:
                    k, results = conn.recv()
                except (EOFError, OSError):   # the worker is done, or died (maybe mid-message)
                    del live[conn]
                    conn.close()
                    w.close()
                    w.proc.join()
                    died = w.proc.exitcode != 0 and current[w.slot] >= 0
                    lost(w)
                    if died and (again or not ended):   # one takes its place at once
                        _start(ctx, w.slot, current, backend, fmt, live)
                    continue
                w.held.popleft()
                ready[k] = results
                begun = True
    finally:
        for conn, w in live.items():
            if w.proc.is_alive():
                w.proc.kill()
            w.proc.join()
            conn.close()
            w.close()


def _isolated(batch: List[Task], backend: Optional[str],
              fmt: Optional[str]) -> Iterator[Tuple[str, int, int, List[tuple]]]:
    """Each file of ``batch`` in a process of its own: one that dies on a file makes that
    file's error row (kind ``crash``), the others are decoded as usual."""
    for task in batch:
        # the one batch's results: unpacking runs the generator to its end (its cleanup)
        (_, results), = _pool_results(_Feed([task], 1, 1), 1, backend, fmt)
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
    tasks = iter_pending(iter_files(paths), stat=False)
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
    return list(iter_pending(files, done, stat))


def iter_pending(files: Iterable[str], done: Optional[Dict[str, Tuple[int, int]]] = None,
                 stat: bool = True) -> Iterator[Tuple[str, int, int]]:
    """``pending_tasks``, one file at a time as ``files`` come (a walk going on)."""
    if not done and not stat:
        for path in files:
            yield path, UNSTATED, UNSTATED
        return
    for path in files:
        try:
            st = os.stat(path)
            size, mtime = st.st_size, st.st_mtime_ns
        except OSError:
            size, mtime = -1, -1
        if done is not None and done.get(path) == (size, mtime):
            continue
        yield path, size, mtime
