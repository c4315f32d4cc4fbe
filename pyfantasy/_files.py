"""Files: the one walker over paths given by a user, and atomic writes.

``walk(paths, suffixes)`` is how every tool (decode, scan, serve, bench) turns
files and folders into a sorted list of files.

Atomic file writes leave no temporary file behind, even when interrupted.

What: ``write_atomic(path, data)`` writes ``data`` to a temporary file beside
``path`` (``.<name>.<pid>.<random>.tmp``), fsyncs it and moves it over ``path``
with ``os.replace``: the file is always the old or the new one, never a mix.

Why the pid in the name: a save killed by SIGKILL (or a power cut) cannot
clean up after itself. ``remove_stale_temp_files(path)``, run on the next save
and load of the same file, removes the temporary files whose writer process is
gone, and never one that another live process is still writing. A SIGTERM
during the write (main thread only: Python runs signal handlers there) removes
the temporary file, then does what SIGTERM did before: end the process by
default, or call the program's own handler.
"""
from __future__ import annotations

import contextlib
import os
import signal
from stat import S_ISREG
import tempfile
import threading
import time
from typing import Iterable, Iterator, List, Set, Tuple, Union

from pyfantasy._errors import CassetteError

__all__ = ["walk", "read_bytes", "read_stat", "CASSETTE_SUFFIXES", "CAPTURE_SUFFIXES", "write_atomic",
           "remove_stale_temp_files", "STALE_UNNAMED_SECONDS"]

CASSETTE_SUFFIXES = (".yaml", ".yml")
CAPTURE_SUFFIXES = (".sse", ".event-stream", ".eventstream")


_O_READ = os.O_RDONLY | getattr(os, "O_BINARY", 0)


def read_bytes(path: "Union[str, os.PathLike[str]]", size: int = -1) -> bytes:
    """The bytes of the file at ``path``; a CassetteError naming it when it cannot be read
    (missing, a folder, no permission). ``size``: what a stat of it said, if one was made (a
    guess: the file is read to its end all the same). Plain ``os.read`` calls, without a file
    object: a scan reads thousands of small files (23 vs 56 ms for the 4,248 of its bench)."""
    return read_stat(path, size)[0]


def read_stat(path: "Union[str, os.PathLike[str]]", size: int = -1) -> Tuple[bytes, int, int]:
    """``read_bytes``, and the file's size and mtime (ns) as ``fstat`` gave them when it was
    opened (what a scan records of a file it read, without a stat of every file before it
    starts); with a ``size`` given, no ``fstat``: that size and mtime -1."""
    where = path if type(path) is str else os.fspath(path)
    try:
        fd = os.open(where, _O_READ)
        try:
            mtime = -1
            regular = False
            if size < 0:
                st = os.fstat(fd)
                size, mtime, regular = st.st_size, st.st_mtime_ns, S_ISREG(st.st_mode)
            # the size exactly, then a probe for more: a read of size + 1 that gets size bytes
            # makes Python shrink (copy) the buffer (8 vs 10 us a file in a scan). A regular
            # file read to the size its fstat gave is read as that stat describes it: no probe.
            data = os.read(fd, size)
            more = os.read(fd, 1) if (data or not size) and not (regular and len(data) == size) else b""
            if more:   # until the end: the file has grown, or is a pipe or a /proc file
                parts = [data, more]
                while True:
                    more = os.read(fd, max(len(data), 1 << 16))
                    if not more:
                        break
                    parts.append(more)
                data = b"".join(parts)
            return data, size, mtime
        finally:
            os.close(fd)
    except OSError as exc:
        raise CassetteError(f"cannot read the file: {exc.strerror or exc}", path=where) from exc


def walk(paths: "Iterable[Union[str, os.PathLike[str]]]", suffixes: Tuple[str, ...]) -> Iterator[str]:
    """Files as given; folders searched recursively for files ending with ``suffixes``, in
    the order of their sorted paths (symlinked folders listed, not entered; unreadable ones
    skipped), as ``os.walk`` would find them. Lazy: the first files come after one folder is
    listed, not the whole tree (a scan starts decoding at once), yet in the order a sort of
    every path would give, since each folder's entries are visited in that order (``_listing``)."""
    for p in paths:
        p = os.fspath(p)
        if not os.path.isdir(p):
            yield p
            continue
        stack = [iter(_listing(p, suffixes))]
        while stack:
            for _, path, enter in stack[-1]:
                if enter:
                    stack.append(iter(_listing(path, suffixes)))
                    break
                yield path
            else:
                stack.pop()


def _listing(folder: str, suffixes: Tuple[str, ...]) -> List[Tuple[str, str, bool]]:
    """(sort key, path, is a folder to enter) of ``folder``'s files with ``suffixes`` and of its
    folders, in the order their paths sort: a folder sorts by its name and a separator, as
    every path under it does against its siblings' (so "b-c" comes before "b" + sep)."""
    try:
        entries = os.scandir(folder)
    except OSError:
        return []
    found: List[Tuple[str, str, bool]] = []
    sep = os.sep
    with entries:
        for entry in entries:
            try:
                is_dir = entry.is_dir()
                enter = is_dir and not entry.is_symlink()
            except OSError:
                is_dir = enter = False
            if enter:
                found.append((entry.name + sep, entry.path, True))
            elif not is_dir and entry.name.endswith(suffixes):
                found.append((entry.name, entry.path, False))
    found.sort()
    return found


STALE_UNNAMED_SECONDS = 600  # a temp file without a pid (older pyfantasy) is stale after this
_WRITING: Set[str] = set()   # temp files this process is writing now


def _prefix(path: str) -> str:
    return "." + os.path.basename(path) + "."


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, OSError):
        return True  # exists (another user's), or cannot tell: keep its file
    return True


def remove_stale_temp_files(path: str) -> List[str]:
    """Remove the temporary files interrupted saves of ``path`` left beside it; returns them.

    Stale: ``.<name>.<pid>.<random>.tmp`` whose process is gone (or is this one, not
    writing it now), and ``.<name>.<random>.tmp`` (no pid) older than
    ``STALE_UNNAMED_SECONDS``. Errors (a read-only folder) are ignored.
    """
    folder = os.path.dirname(os.path.abspath(path))
    prefix = _prefix(path)
    removed: List[str] = []
    try:
        entries = os.scandir(folder)
    except OSError:
        return removed
    with entries:
        for e in entries:
            name = e.name
            if not (name.startswith(prefix) and name.endswith(".tmp")):
                continue
            full = os.path.join(folder, name)
            if full in _WRITING:
                continue
            middle = name[len(prefix):-len(".tmp")]
            pid_text, dot, _ = middle.partition(".")
            try:
                if dot and pid_text.isdigit():
                    pid = int(pid_text)
                    if pid != os.getpid() and _alive(pid):
                        continue
                elif time.time() - e.stat(follow_symlinks=False).st_mtime < STALE_UNNAMED_SECONDS:
                    continue
                os.unlink(full)
            except OSError:
                continue
            removed.append(full)
    return removed


@contextlib.contextmanager
def _removed_on_sigterm(tmp: str) -> Iterator[None]:
    """While the block runs: a SIGTERM whose action is to end the process removes ``tmp``
    first. A program's own Python handler is called as before (if it raises, the caller's
    cleanup removes ``tmp``); an ignored SIGTERM stays ignored."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.getsignal(signal.SIGTERM)
    if previous is None or previous == signal.SIG_IGN:  # set from C, or ignored: leave it alone
        yield
        return

    def on_term(signum, frame):
        if callable(previous):
            previous(signum, frame)
            return
        try:
            os.unlink(tmp)
        except OSError:
            pass
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.raise_signal(signal.SIGTERM)  # the default action: the process ends here
    signal.signal(signal.SIGTERM, on_term)
    try:
        yield
    finally:
        if signal.getsignal(signal.SIGTERM) is on_term:
            signal.signal(signal.SIGTERM, previous)


def write_atomic(path: str, data: bytes, mode: int) -> None:
    """Write ``data`` to ``path`` through a temporary file and ``os.replace`` (permissions
    ``mode``). Raises OSError; nothing is left behind on any failure."""
    folder = os.path.dirname(os.path.abspath(path))
    remove_stale_temp_files(path)
    fd, tmp = tempfile.mkstemp(prefix=f"{_prefix(path)}{os.getpid()}.", suffix=".tmp", dir=folder)
    _WRITING.add(tmp)
    try:
        with _removed_on_sigterm(tmp):
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            os.chmod(tmp, mode)
            os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    finally:
        _WRITING.discard(tmp)
