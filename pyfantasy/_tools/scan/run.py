"""The scan itself: files -> worker pool -> writer, with the summary and the progress line."""
from __future__ import annotations

import sys
import time
import warnings
from dataclasses import dataclass, field
from typing import Any, Iterable, Iterator, List, Optional, Tuple

from pyfantasy._errors import ScanWarning
from pyfantasy._tools.scan.pool import default_workers, iter_pending, iter_results, pending_tasks
from pyfantasy._tools.scan.rows import iter_files
from pyfantasy._tools.scan.writers import check_out, open_writer, output_format, require_pyarrow


# ---- the scan -----------------------------------------------------------------------------

@dataclass
class ScanSummary:
    """What a scan did: files found, skipped (already recorded), scanned; rows; errors."""

    out: str
    format: str
    files_found: int = 0
    files_skipped: int = 0
    files_scanned: int = 0
    rows: int = 0
    error_rows: int = 0
    broken_files: List[str] = field(default_factory=list)
    seconds: float = 0.0
    bytes: int = 0


class _Pending:
    """The tasks of a scan as they come (a walk going on), counted for the progress bar: how
    many, their bytes, and whether every one is known."""

    def __init__(self, tasks: Iterable[Tuple[str, int, int]]) -> None:
        self.tasks, self.ended = tasks, False
        self.count = self.bytes = 0

    @classmethod
    def known(cls, tasks: List[Tuple[str, int, int]]) -> "_Pending":
        """Every task known at once (a list)."""
        p = cls(tasks)
        p.count, p.bytes, p.ended = len(tasks), sum(max(t[1], 0) for t in tasks), True
        return p

    def __iter__(self) -> Iterator[Tuple[str, int, int]]:
        for t in self.tasks:
            self.count += 1
            self.bytes += max(t[1], 0)
            yield t
        self.ended = True


class _Progress:
    """The progress line: files and MB/s at once; the share done and the time left once the
    walk has found every file (until then the total reads ``N+``)."""

    def __init__(self, pending: _Pending, stream: Any) -> None:
        self.pending, self.stream = pending, stream
        self.start = self.last = time.monotonic()
        self.width = 0   # of the last line drawn, so that a shorter one covers it

    def update(self, files: int, nbytes: int, final: bool = False) -> None:
        now = time.monotonic()
        if not final and now - self.last < 0.1:
            return
        if final and not files and not self.width:   # nothing to scan: no bar
            return
        self.last = now
        p = self.pending
        width = 30
        rate = nbytes / max(now - self.start, 1e-9) / 1e6
        if p.ended:
            frac = nbytes / p.bytes if p.bytes else (files / p.count if p.count else 1)
            fill = int(width * min(frac, 1.0))
            eta = (p.bytes - nbytes) / (rate * 1e6) if rate > 0 and p.bytes else 0
            line = (f"\r[{'#' * fill}{'.' * (width - fill)}] {files}/{p.count} files "
                    f"{rate:6.1f} MB/s ETA {eta:5.0f}s")
        else:
            line = f"\r[{'.' * width}] {files}/{p.count}+ files {rate:6.1f} MB/s (still listing)"
        self.stream.write(line.ljust(self.width))
        self.width = len(line)
        if final:
            self.stream.write("\n")
        self.stream.flush()


class _Counted:
    """The files of a walk, counted as they pass."""

    def __init__(self, files: Iterable[str]) -> None:
        self.files, self.count = files, 0

    def __iter__(self) -> Iterator[str]:
        for f in self.files:
            self.count += 1
            yield f


def scan(paths: Iterable[str], out: str = "results.db", *, workers: Optional[int] = None,
         format: Optional[str] = None, backend: Optional[str] = None, out_format: Optional[str] = None,
         progress: Optional[bool] = None, progress_stream: Any = None, commit_files: int = 200,
         commit_seconds: float = 1.0, rescan: bool = False) -> ScanSummary:
    """Scan every cassette / stream capture under ``paths`` into ``out``.

    Args:
        paths: files and folders (searched recursively for ``*.yaml``,
            ``*.yml`` and ``*.sse`` captures; named files of any suffix).
        out: output path; format from ``out_format`` or the extension
            (``.db`` SQLite, ``.jsonl``, ``.csv``, ``.parquet``).
        workers: processes (default: ``default_workers()``, the CPUs this process may use).
        format: wire format to decode as (default: detected).
        backend: ``native`` or ``python``.
        progress: draw a progress bar on stderr (default: when stderr is a TTY).
        commit_files / commit_seconds: batch size of the commits.
        rescan: scan every file again, even those already recorded in ``out``.

    Files already recorded in ``out`` with the same size and mtime are skipped.
    A file that cannot be read is one error row and a ``ScanWarning``. Raises
    ValueError (``check_out``) before scanning when ``out`` cannot be the output. A
    backend that cannot be used (``backend`` or ``PYFANTASY_BACKEND``) raises before
    any file is read or any row written (ValueError, BackendUnavailableError): it
    would otherwise make every row an error and be recorded as done.
    """
    from pyfantasy._kernels import resolve
    t0 = time.perf_counter()
    resolve(backend)
    fmt = output_format(out, out_format)
    if fmt == "parquet":
        require_pyarrow()
    check_out(out, fmt)
    writer = open_writer(out, fmt)
    summary = ScanSummary(out=out, format=fmt)
    err = progress_stream if progress_stream is not None else sys.stderr
    try:
        done = writer.done()
        show = progress if progress is not None else bool(getattr(err, "isatty", lambda: False)())
        found = _Counted(iter_files(paths))
        tasks: Iterable[Tuple[str, int, int]]
        if done and not writer.replaces:   # every file first: the changed ones to forget
            listed = pending_tasks(found, None if rescan else done, stat=show)
            writer.forget([t[0] for t in listed if t[0] in done])  # changed since: rescanned, replaced
            pending = _Pending.known(listed)
            tasks = listed   # a list: the pool cuts it knowing its end
        else:   # the walk goes on while the workers decode its first files (a bar stats each: its total)
            tasks = pending = _Pending(iter_pending(found, None if rescan else done, stat=show))
        bar = _Progress(pending, err) if show else None
        nworkers = workers if workers is not None else default_workers()
        batch: List[Tuple[str, int, int, List[tuple]]] = []
        last_commit = time.monotonic()
        nbytes = 0
        for path, size, mtime, rows in iter_results(tasks, max(1, nworkers), backend=backend,
                                                    format=format):
            batch.append((path, size, mtime, rows))
            summary.files_scanned += 1
            summary.rows += len(rows)
            nbytes += max(size, 0)
            for r in rows:
                if r[18] is not None:
                    summary.error_rows += 1
            if len(rows) == 1 and rows[0][1] is None and rows[0][18] is not None:
                summary.broken_files.append(path)
                msg = rows[0][19] or ""
                # a CassetteError already starts with the path (and line): do not say it twice
                warnings.warn(msg if msg.startswith(path) else f"{path}: {msg}", ScanWarning,
                              stacklevel=2)
            now = time.monotonic()
            if len(batch) >= commit_files or now - last_commit >= commit_seconds:
                writer.write(batch)
                batch = []
                last_commit = now
            if bar is not None:
                bar.update(summary.files_scanned, nbytes)
        if batch:
            writer.write(batch)
        if bar is not None:
            bar.update(summary.files_scanned, nbytes, final=True)
        summary.bytes = nbytes
        summary.files_found = found.count
        summary.files_skipped = found.count - summary.files_scanned
    finally:
        writer.close()
    if fmt == "parquet":
        writer.finish()
    summary.seconds = time.perf_counter() - t0
    return summary
