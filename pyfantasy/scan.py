"""High-volume scanning: one summary row per recorded interaction, on every core.

What: ``scan(paths, out=...)`` walks folders of go-vcr cassettes (and raw
SSE capture files), decodes every interaction into fantasy's ``Response``
and writes one row per interaction (``COLUMNS``: file, interaction,
provider, model, format, stream, finish reason, the six usage figures,
cost, duration, output tokens/s, text length, tool calls, error kind and
message, and the error's byte offset in the body) to SQLite (default), JSONL,
CSV or Parquet. ``scan_file`` /
``scan_bytes`` give the rows of one file; ``iter_rows`` streams them (the
Dask reader in ``pyfantasy.dask`` builds on the same functions).

Why this shape:
- Speed: cassettes are read by the C reader of ``_vcr_fast`` (several
  times faster than libyaml), files are spread over worker processes
  (``multiprocessing``; default: one per CPU this process may use), each
  worker reads its own files, so only paths go out and small row tuples
  come back.
- Robustness: a file that cannot be read or decoded is one error row (and
  a warning), never the end of the scan; an interaction that fails to
  decode is a row with ``error_kind``/``error_message`` (and whatever the
  partial Response held).
- Resumable: rows are written as they come and committed in small
  batches together with the list of files done (path, size, mtime). A
  re-run skips every file recorded with the same size and mtime, so an
  interrupted scan keeps what it did and continues where it stopped.
  SQLite keeps both in one database; JSONL and CSV keep a sidecar
  ``<out>.scan-state`` and cut the output back to the last complete batch.
  A file changed since its scan is rescanned and its old rows replaced
  (JSONL and CSV: the output is first rewritten without them). Parquet is
  written from a JSONL journal when the scan completes (pyarrow, optional);
  ``<out>.scan-state`` beside it lets a re-run resume the same way.
  ``rescan=True`` (``scan --rescan``) scans every file again.
"""
from __future__ import annotations

import csv
import io
import json
import math
import os
import re
import signal
import sqlite3
import sys
import threading
import time
import warnings
from dataclasses import dataclass, field
from typing import Any, Dict, Iterable, Iterator, List, Optional, Sequence, Tuple
from urllib.parse import unquote, urlsplit

from pyfantasy._errors import CassetteError, DecodeError, PyfantasyError

__all__ = ["COLUMNS", "OUTPUT_FORMATS", "ScanSummary", "ScanWarning", "scan", "scan_file",
           "scan_bytes", "iter_files", "iter_rows", "provider_for_host", "sniff_stream_format",
           "read_rows", "row_dict", "default_workers"]

# (name, SQLite type) in output order.
COLUMNS: Tuple[Tuple[str, str], ...] = (
    ("file", "TEXT"), ("interaction", "INTEGER"), ("provider", "TEXT"), ("model", "TEXT"),
    ("format", "TEXT"), ("stream", "INTEGER"), ("finish_reason", "TEXT"),
    ("input_tokens", "INTEGER"), ("output_tokens", "INTEGER"), ("total_tokens", "INTEGER"),
    ("reasoning_tokens", "INTEGER"), ("cache_creation_tokens", "INTEGER"),
    ("cache_read_tokens", "INTEGER"), ("cost_usd", "REAL"), ("duration_s", "REAL"),
    ("output_tokens_per_s", "REAL"), ("text_length", "INTEGER"), ("tool_calls", "INTEGER"),
    ("error_kind", "TEXT"), ("error_message", "TEXT"), ("error_offset", "INTEGER"),
)
NAMES = tuple(n for n, _ in COLUMNS)
OUTPUT_FORMATS = ("sqlite", "jsonl", "csv", "parquet")
from pyfantasy._files import CAPTURE_SUFFIXES, CASSETTE_SUFFIXES, walk
from pyfantasy._providers.hosts import provider_for_host
XAI_TICKS_PER_USD = 10_000_000_000  # xAI's usage.cost_in_usd_ticks: 1e-10 USD each


class ScanWarning(UserWarning):
    """A file could not be read or decoded at all (it still gets its error row)."""


def row_dict(row: Sequence[Any]) -> Dict[str, Any]:
    """A row tuple (``COLUMNS`` order) as a dict."""
    return dict(zip(NAMES, row))


# ---- per interaction ----------------------------------------------------------------

_URL_MODEL = re.compile(r"/models?/([^/:?]+)")


def _model(url: str, req: Any) -> str:
    if isinstance(req, dict):
        m = req.get("model")
        if isinstance(m, str) and m:
            return m
    found = _URL_MODEL.search(urlsplit(url or "").path) if url else None
    return unquote(found.group(1)) if found else ""


try:  # orjson is much faster on large request bodies; same values as json for valid JSON
    import orjson as _orjson

    def _json(body: Any) -> Any:
        if not body:
            return None
        try:
            return _orjson.loads(body)
        except (ValueError, TypeError):
            return _json_std(body)
except ImportError:  # pragma: no cover - orjson is in the test extra
    def _json(body: Any) -> Any:
        return _json_std(body) if body else None


def _json_std(body: Any) -> Any:
    from pyfantasy._providers.formats import request_json
    return request_json(body)


def _cost(meta: Any) -> Optional[float]:
    """The call's cost in USD when the provider reported it (OpenRouter, Avian, xAI)."""
    if not meta:
        return None
    from pyfantasy.response import OpenAIMetadata, OpenRouterMetadata
    for value in meta.values():
        if isinstance(value, OpenRouterMetadata):
            u = value.usage
            if u.cost or u.total_tokens:
                return float(u.cost)
    for value in meta.values():
        if isinstance(value, OpenAIMetadata) and value.extra_fields:
            extra = value.extra_fields
            raw = extra.get("cost")
            if raw is not None:
                try:
                    return _finite(float(raw.text))
                except ValueError:
                    pass
            raw = extra.get("cost_in_usd_ticks")
            if raw is not None:
                try:
                    return _finite(int(raw.text) / XAI_TICKS_PER_USD)
                except (ValueError, OverflowError):  # not an integer; past float64 (a 400-digit one)
                    pass
    return None


def _finite(x: float) -> Optional[float]:
    """A cost past float64's range (``1e999``) is no cost: SQLite, CSV and JSON have no Inf."""
    return x if math.isfinite(x) else None


def _response_fields(resp: Any) -> tuple:
    """finish reason .. tool calls of a (possibly partial) Response; Nones without one."""
    if resp is None:
        return (None,) * 11
    u = resp.usage
    text = 0
    calls = 0
    for part in resp.content or ():
        t = part.type
        if t == "text":
            text += len(part.text)
        elif t == "tool-call":
            calls += 1
    return (resp.finish_reason, u.input_tokens, u.output_tokens, u.total_tokens, u.reasoning_tokens,
            u.cache_creation_tokens, u.cache_read_tokens, _cost(resp.provider_metadata), None,
            text, calls)


def _error(exc: BaseException) -> Tuple[str, str]:
    if isinstance(exc, DecodeError):
        return exc.kind, exc.message
    if isinstance(exc, CassetteError):
        return "cassette", str(exc)
    return type(exc).__name__, str(exc) or type(exc).__name__


def _row(path: str, iid: Optional[int], provider: str, model: str, fmt: str, stream: Optional[bool],
         resp: Any, duration_ns: Optional[int], exc: Optional[BaseException]) -> tuple:
    (finish, i_tok, o_tok, t_tok, r_tok, cc_tok, cr_tok, cost, _, text, calls) = _response_fields(resp)
    dur = duration_ns / 1e9 if duration_ns is not None else None
    tps = o_tok / dur if dur and o_tok else None
    kind, message = _error(exc) if exc is not None else (None, None)
    offset = exc.offset if isinstance(exc, DecodeError) else None
    # missing text is None (not ""), so that every output format reads back the same
    return (path, iid, provider or None, model or None, fmt or None, stream, finish or None, i_tok,
            o_tok, t_tok, r_tok, cc_tok, cr_tok, cost, dur, tps, text, calls, kind, message or None,
            offset)


def _interaction_row(path: str, it: Any, backend: Optional[str], wire: Optional[str]) -> tuple:
    from pyfantasy.decode import decode_interaction, detect_format
    req, res = it.request, it.response
    url = req.url
    provider = provider_for_host(url)
    req_json = _json(req.body)
    model = _model(url, req_json)
    try:
        wf = detect_format(it)
        fmt, stream = wire or wf.format, wf.stream
    except Exception as exc:  # noqa: BLE001 - a malformed request: still one row
        return _row(path, it.id, provider, model, wire or "unknown", None, None, res.duration_ns, exc)
    resp = exc = None
    try:
        resp = decode_interaction(it, backend, format=wire)
    except PyfantasyError as e:
        exc = e
        resp = getattr(e, "response", None)
    except Exception as e:  # noqa: BLE001 - a decoder bug must not end a scan of thousands of files
        exc = e
    return _row(path, it.id, provider, model, fmt, stream, resp, res.duration_ns, exc)


# ---- per file ---------------------------------------------------------------------------

def _is_cassette(data: bytes, path: str) -> bool:
    if path.endswith(CASSETTE_SUFFIXES):
        return True
    if path.endswith(CAPTURE_SUFFIXES):
        return False
    head = data[:64].lstrip()
    return head.startswith((b"---", b"version:", b"interactions:", b"%YAML"))


_SNIFF = (
    (b"chat.completion", "openai-chat"), (b'"type":"response.', "openai-responses"),
    (b"event: response.", "openai-responses"), (b"event: message_start", "anthropic"),
    (b'"type":"message_start"', "anthropic"), (b'"type": "message_start"', "anthropic"),
    (b'"candidates"', "google"), (b'"choices"', "openai-chat"),
)


def sniff_stream_format(data: bytes) -> str:
    """The wire format of a raw stream capture, from its first events ("unknown" if unclear).

    AWS event-stream framing (``:event-type`` headers in binary) is ``bedrock``.
    """
    head = data[:8192]
    if b":event-type" in head and b":message-type" in head:
        return "bedrock"
    for marker, fmt in _SNIFF:
        if marker in head:
            return fmt
    return "unknown"


_STREAM_MODEL = re.compile(rb'"model(?:Version)?"\s*:\s*"([^"\\]{1,200})"')


def _capture_rows(path: str, data: bytes, backend: Optional[str], wire: Optional[str]) -> List[tuple]:
    from pyfantasy.decode import decode_body
    fmt = wire or sniff_stream_format(data)
    m = _STREAM_MODEL.search(data, 0, 65536)
    model = m.group(1).decode("utf-8", "replace") if m else ""
    resp = exc = None
    if fmt == "unknown":
        exc = DecodeError("unknown-format", "cannot tell the wire format of this stream capture "
                                            "(give --wire FORMAT)")
    else:
        try:
            resp = decode_body(data, fmt, True, backend)
        except PyfantasyError as e:
            exc = e
            resp = getattr(e, "response", None)
        except Exception as e:  # noqa: BLE001
            exc = e
    return [_row(path, 0, "", model, fmt, True, resp, None, exc)]


_ERROR_KIND = NAMES.index("error_kind")


def _failure_row(path: str, iid: Optional[int], fmt: str, exc: BaseException, what: str) -> tuple:
    """The error row of an unexpected exception (MemoryError, a reader bug...): its class
    name as the kind and a message naming the file, so one bad file never ends a scan."""
    detail = str(exc) or type(exc).__name__
    where = path if iid is None else f"{path}: interaction {iid}"
    row = _row(path, iid, "", "", fmt, None, None, None, None)
    return row[:_ERROR_KIND] + (type(exc).__name__, f"{where}: {what}: {detail}", None)


def _safe_interaction_row(path: str, it: Any, backend: Optional[str], wire: Optional[str]) -> tuple:
    """``_interaction_row``, or an error row if anything unexpected fails (one interaction, one row)."""
    try:
        return _interaction_row(path, it, backend, wire)
    except Exception as exc:  # noqa: BLE001 - MemoryError included: the other interactions still count
        return _failure_row(path, getattr(it, "id", None), wire or "", exc, "cannot decode the interaction")


def _streamed_rows(path: str, data: bytes, backend: Optional[str], wire: Optional[str]) -> Optional[List[tuple]]:
    """``_cassette_rows`` reading one interaction at a time (peak memory: the file and one
    interaction, not every parsed interaction); None when the file cannot be read that way."""
    from pyfantasy._kernels.vcr import iter_interactions
    its = iter_interactions(data, path, backend)
    if its is None:
        return None
    rows = []
    try:
        for it in its:
            rows.append(_safe_interaction_row(path, it, backend, wire))
    except Exception:  # noqa: BLE001 - a piece that does not read: the whole file gives the error
        return None
    return rows


def _cassette_rows(path: str, data: bytes, backend: Optional[str], wire: Optional[str]) -> List[tuple]:
    """One row per interaction; one error row (interaction None) when the cassette cannot be read."""
    from pyfantasy._kernels.vcr import read_interactions
    rows = _streamed_rows(path, data, backend, wire)
    if rows is not None:
        return rows
    try:
        its = read_interactions(data, path, backend)
    except CassetteError as exc:  # its message already starts with the path
        return [_row(path, None, "", "", wire or "", None, None, None, exc)]
    except Exception as exc:  # noqa: BLE001 - MemoryError, a reader bug: still one row
        return [_failure_row(path, None, wire or "", exc, "cannot read the cassette")]
    return [_safe_interaction_row(path, it, backend, wire) for it in its]


def scan_bytes(data: bytes, path: str = "<bytes>", *, backend: Optional[str] = None,
               format: Optional[str] = None) -> List[tuple]:
    """The rows (tuples in ``COLUMNS`` order) of one file's content; never raises.

    A cassette gives one row per interaction; a stream capture one row; a
    file that cannot be read or scanned at all gives one error row (interaction None).
    """
    try:
        if _is_cassette(data, path):
            return _cassette_rows(path, data, backend, format)
        return _capture_rows(path, data, backend, format)
    except Exception as exc:  # noqa: BLE001 - whatever escaped the finer guards
        return [_failure_row(path, None, format or "", exc, "cannot scan the file")]


def scan_file(path: str, *, backend: Optional[str] = None, format: Optional[str] = None) -> List[tuple]:
    """``scan_bytes`` of the file at ``path`` (an unreadable file is one error row)."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as exc:
        err = CassetteError(f"cannot read the file: {exc.strerror or exc}", path=path)
        return [_row(path, None, "", "", format or "", None, None, None, err)]
    return scan_bytes(data, path, backend=backend, format=format)


def iter_files(paths: Iterable[str]) -> Iterator[str]:
    """Files as given; folders searched recursively (sorted) for cassettes and stream captures."""
    return walk(paths, CASSETTE_SUFFIXES + CAPTURE_SUFFIXES)


# ---- workers ------------------------------------------------------------------------------

_WORKER_OPTS: Dict[str, Any] = {}


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
    _WORKER_OPTS["backend"] = backend
    _WORKER_OPTS["format"] = fmt
    try:  # warm the imports once per process, not per file
        from pyfantasy import decode  # noqa: F401
        from pyfantasy._kernels import vcr  # noqa: F401
    except ImportError:  # pragma: no cover
        pass


def _work(task: Tuple[str, int, int]) -> Tuple[str, int, int, List[tuple]]:
    path, size, mtime = task
    rows = scan_file(path, backend=_WORKER_OPTS.get("backend"), format=_WORKER_OPTS.get("format"))
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
                 batch_bytes: int = 1 << 20) -> Iterator[Tuple[str, int, int, List[tuple]]]:
    """(path, size, mtime_ns, rows) for each task (path, size, mtime_ns), in task order.

    ``workers`` > 1 spreads batches of files (about ``batch_bytes`` each) over
    that many processes, at most ``4 * workers`` batches in flight (results
    come back in order; memory stays bounded). A worker process that dies (a
    crash while decoding) does not stop the scan: the files of the batch it
    held are decoded again one process each, and the file that kills its
    process again is one error row of kind ``crash``.
    """
    if workers <= 1 or len(tasks) <= 1:
        _init_worker(backend, format)
        for t in tasks:
            yield _work(t)
        return
    batches: List[List[Tuple[str, int, int]]] = []
    cur: List[Tuple[str, int, int]] = []
    acc = 0
    # small batches: enough to keep both cores busy to the end, few enough to amortize IPC
    limit = max(64 << 10, min(batch_bytes, sum(t[1] for t in tasks) // (workers * 8) or 1))
    for t in tasks:
        cur.append(t)
        acc += t[1]
        if acc >= limit or len(cur) >= 256:
            batches.append(cur)
            cur, acc = [], 0
    if cur:
        batches.append(cur)
    done = 0  # batches yielded so far
    while done < len(batches):
        for results in _pool_results(batches, done, workers, backend, format):
            done += 1
            yield from results
        if done < len(batches):  # a worker died while this batch (or a later one) was in flight
            yield from _isolated(batches[done], backend, format)
            done += 1


def _executor(workers: int, backend: Optional[str], fmt: Optional[str]):
    from concurrent.futures import ProcessPoolExecutor
    return ProcessPoolExecutor(workers, mp_context=_mp_context(), initializer=_init_worker,
                               initargs=(backend, fmt, os.getpid()))


def _pool_results(batches: list, start: int, workers: int, backend: Optional[str],
                  fmt: Optional[str]) -> Iterator[list]:
    """The results of ``batches[start:]`` in order, until they end or a worker dies."""
    from collections import deque
    from concurrent.futures.process import BrokenProcessPool
    ex = _executor(workers, backend, fmt)
    pending: Any = deque()
    nxt = start
    try:
        while nxt < len(batches) or pending:
            while nxt < len(batches) and len(pending) < 4 * workers:
                pending.append(ex.submit(_work_batch, batches[nxt]))
                nxt += 1
            try:
                results = pending.popleft().result()
            except BrokenProcessPool:
                return
            yield results
    finally:
        ex.shutdown(wait=True, cancel_futures=True)


def _isolated(batch: List[Tuple[str, int, int]], backend: Optional[str],
              fmt: Optional[str]) -> Iterator[Tuple[str, int, int, List[tuple]]]:
    """Each file of ``batch`` in a process of its own: one that dies on a file makes that
    file's error row (kind ``crash``), the others are decoded as usual."""
    from concurrent.futures.process import BrokenProcessPool
    for task in batch:
        ex = _executor(1, backend, fmt)
        try:
            yield ex.submit(_work, task).result()
        except BrokenProcessPool:
            path, size, mtime = task
            exc = DecodeError("crash", "the process decoding this file died: a bug in pyfantasy "
                                       "(please report it with the file)", path=path)
            yield path, size, mtime, [_row(path, None, "", "", fmt or "", None, None, None, exc)]
        finally:
            ex.shutdown(wait=True)


def iter_rows(paths: Iterable[str], workers: Optional[int] = None, *, backend: Optional[str] = None,
              format: Optional[str] = None) -> Iterator[Dict[str, Any]]:
    """Row dicts of every file under ``paths`` (no output file, no resume)."""
    tasks = _tasks(iter_files(paths))
    for _, _, _, rows in iter_results(tasks, workers or default_workers(), backend=backend,
                                      format=format):
        for r in rows:
            yield row_dict(r)


def _tasks(files: Iterable[str], done: Optional[Dict[str, Tuple[int, int]]] = None) -> List[Tuple[str, int, int]]:
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


# ---- outputs ------------------------------------------------------------------------------

def output_format(out: str, fmt: Optional[str] = None) -> str:
    """The output format: given, else from the extension (.db/.sqlite -> sqlite, .jsonl, .csv, .parquet)."""
    if fmt:
        if fmt not in OUTPUT_FORMATS:
            raise ValueError(f"unknown output format {fmt!r}; expected one of {', '.join(OUTPUT_FORMATS)}")
        return fmt
    ext = os.path.splitext(out)[1].lower()
    return {".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv", ".parquet": "parquet",
            ".pq": "parquet"}.get(ext, "sqlite")


_SQLITE_MAGIC = b"SQLite format 3\x00"


def check_out(out: str, fmt: str) -> None:
    """Raise ValueError (one line, naming ``out``) when the output cannot be what the scan
    writes: its folder is missing, it is a folder, or an existing SQLite output is not SQLite.
    Run before any file is scanned."""
    path = os.fspath(out)
    folder = os.path.dirname(os.path.abspath(path))
    if os.path.isdir(path):
        raise ValueError(f"--out {path}: is a folder, not a file")
    if not os.path.isdir(folder):
        raise ValueError(f"--out {path}: the folder {folder} does not exist")
    if fmt == "sqlite" and os.path.exists(path):
        try:
            with open(path, "rb") as f:
                head = f.read(len(_SQLITE_MAGIC))
        except OSError as exc:
            raise ValueError(f"--out {path}: cannot be read: {exc.strerror or exc}") from None
        if head and head != _SQLITE_MAGIC:
            raise ValueError(f"--out {path}: exists and is not an SQLite database "
                             "(give another --out, or --out-format)")


class _SQLite:
    def __init__(self, path: str) -> None:
        self.db = sqlite3.connect(path)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        cols = ", ".join(f'"{n}" {t}' for n, t in COLUMNS)
        self.db.execute(f"CREATE TABLE IF NOT EXISTS interactions ({cols})")
        have = {r[1] for r in self.db.execute("PRAGMA table_info(interactions)")}
        for n, t in COLUMNS:  # results written by an older pyfantasy: add the newer columns
            if n not in have:
                self.db.execute(f'ALTER TABLE interactions ADD COLUMN "{n}" {t}')
        self.db.execute("CREATE INDEX IF NOT EXISTS interactions_file ON interactions(file)")
        self.db.execute("CREATE TABLE IF NOT EXISTS files (path TEXT PRIMARY KEY, size INTEGER, "
                        "mtime_ns INTEGER, rows INTEGER, scanned_at REAL)")
        self.db.commit()
        self.insert = (f"INSERT INTO interactions ({', '.join(chr(34) + n + chr(34) for n in NAMES)}) "
                       f"VALUES ({', '.join('?' * len(COLUMNS))})")

    def done(self) -> Dict[str, Tuple[int, int]]:
        return {p: (s, m) for p, s, m in self.db.execute("SELECT path, size, mtime_ns FROM files")}

    def forget(self, paths: Iterable[str]) -> None:
        """Nothing to do: ``write`` replaces a rescanned file's rows in the same transaction."""

    def write(self, batch: List[Tuple[str, int, int, List[tuple]]]) -> None:
        db = self.db
        now = time.time()
        with db:  # one transaction per batch: rows and the files they came from
            known = [(p,) for p, _, _, _ in batch]
            db.executemany("DELETE FROM interactions WHERE file = ?", known)
            db.executemany(self.insert, [r for _, _, _, rows in batch for r in rows])
            db.executemany("INSERT OR REPLACE INTO files VALUES (?, ?, ?, ?, ?)",
                           [(p, s, m, len(rows), now) for p, s, m, rows in batch])

    def close(self) -> None:
        self.db.close()


class _Journal:
    """An append-only text output plus ``<out>.scan-state`` (one JSON line per batch:
    the files it finished and the output size after it). On open, the output is cut
    back to the size recorded by the last complete batch."""

    def __init__(self, path: str, header: str = "") -> None:
        self.path = path
        self.state_path = path + ".scan-state"
        self.header = header
        self._done: Dict[str, Tuple[int, int]] = {}
        self._finish_rewrite()
        good = 0
        if os.path.exists(self.state_path) and os.path.exists(path):
            good, self._done = self._read_state()
        elif os.path.exists(self.state_path):
            os.unlink(self.state_path)
        self._open(good, new=good == 0)

    def _read_state(self) -> Tuple[int, Dict[str, Tuple[int, int]]]:
        """(output size after the last complete batch, {file: (size, mtime)} of the files done)."""
        good, done = 0, {}
        with open(self.state_path, "r", encoding="utf-8") as f:
            for line in f:
                try:
                    rec = json.loads(line)
                except ValueError:
                    break  # a torn last line: that batch did not finish
                good = rec["size"]
                for p, s, m in rec["files"]:
                    done[p] = (s, m)
        return good, done

    def _open(self, good: int, new: bool) -> None:
        """Open the output cut back to ``good`` bytes and the state for appending (a ``new``
        output starts with the header and an empty state)."""
        self.f = open(self.path, "a+b")
        self.f.seek(0, os.SEEK_END)
        if self.f.tell() != good:
            self.f.truncate(good)
            self.f.seek(good)
        if new and self.header:
            self.f.write(self.header.encode("utf-8"))
        self.state = open(self.state_path, "a", encoding="utf-8")
        if new:
            self.state.truncate(0)

    def done(self) -> Dict[str, Tuple[int, int]]:
        return dict(self._done)

    def encode(self, rows: List[tuple]) -> bytes:
        raise NotImplementedError

    def kept(self, src: Any, drop: set) -> Iterator[bytes]:
        """The output's bytes (from the binary file ``src``) without the rows of the files in ``drop``."""
        raise NotImplementedError

    def forget(self, paths: Iterable[str]) -> None:
        """Drop the rows of files that changed since they were scanned, so their rescan
        replaces them (as SQLite does) instead of adding a second set.

        The output and the state are rewritten to ``*.rewrite`` files and renamed
        over the old ones, output first; ``_finish_rewrite`` completes an interrupted one.
        """
        drop = {p for p in paths if p in self._done}
        if not drop:
            return
        for p in drop:
            del self._done[p]
        self.close()
        out_tmp, state_tmp = self.path + ".rewrite", self.state_path + ".rewrite"
        with open(self.path, "rb") as src, open(out_tmp, "wb") as dst:
            for chunk in self.kept(src, drop):
                dst.write(chunk)
            size = dst.tell()
            _sync(dst)
        with open(state_tmp, "w", encoding="utf-8") as st:
            st.write(json.dumps({"size": size, "files": [[p, s, m] for p, (s, m) in self._done.items()]}) + "\n")
            _sync(st)
        os.replace(out_tmp, self.path)
        os.replace(state_tmp, self.state_path)
        self._open(size, new=False)

    def _finish_rewrite(self) -> None:
        """After a crash in ``forget``: drop a rewrite whose output was not renamed yet
        (the old output and state still agree), or rename the state of one whose output was."""
        out_tmp, state_tmp = self.path + ".rewrite", self.state_path + ".rewrite"
        if os.path.exists(out_tmp):
            os.unlink(out_tmp)
            if os.path.exists(state_tmp):
                os.unlink(state_tmp)
        elif os.path.exists(state_tmp):
            os.replace(state_tmp, self.state_path)

    def write(self, batch: List[Tuple[str, int, int, List[tuple]]]) -> None:
        self.f.write(self.encode([r for _, _, _, rows in batch for r in rows]))
        self.f.flush()
        self.state.write(json.dumps({"size": self.f.tell(),
                                     "files": [[p, s, m] for p, s, m, _ in batch]}) + "\n")
        self.state.flush()

    def close(self) -> None:
        self.f.close()
        self.state.close()


def _sync(f: Any) -> None:
    """Flush ``f`` to disk, so a rename never publishes a file whose content is not there yet."""
    f.flush()
    os.fsync(f.fileno())


class _JSONL(_Journal):
    def kept(self, src: Any, drop: set) -> Iterator[bytes]:
        """Every line whose ``file`` is not in ``drop``, byte for byte."""
        for line in src:
            if line.strip() and json.loads(line).get("file") not in drop:
                yield line

    def encode(self, rows: List[tuple]) -> bytes:
        try:
            import orjson
            return b"".join(orjson.dumps(row_dict(r)) + b"\n" for r in rows)
        except ImportError:  # pragma: no cover
            return "".join(json.dumps(row_dict(r), ensure_ascii=False) + "\n" for r in rows).encode("utf-8")


class _CSV(_Journal):
    def __init__(self, path: str) -> None:
        header = ",".join(NAMES) + "\r\n"
        if os.path.exists(path) and os.path.exists(path + ".scan-state"):
            with open(path, "rb") as f:
                first = f.readline()
            if first and first != header.encode("utf-8"):  # other columns (an older pyfantasy): start again
                os.unlink(path + ".scan-state")
        super().__init__(path, header=header)

    def kept(self, src: Any, drop: set) -> Iterator[bytes]:
        """The header, then every record whose ``file`` is not in ``drop`` (parsed as CSV:
        a message may hold newlines), written back as ``encode`` wrote it."""
        records = csv.reader(io.TextIOWrapper(src, encoding="utf-8", newline=""))
        next(records, None)
        yield self.header.encode("utf-8")
        for rec in records:
            if rec and rec[0] not in drop:
                yield self.encode([rec])

    def encode(self, rows: List[tuple]) -> bytes:
        buf = io.StringIO()
        w = csv.writer(buf)
        for r in rows:
            w.writerow(["" if v is None else ("true" if v is True else "false" if v is False else v)
                        for v in r])
        return buf.getvalue().encode("utf-8")


def _arrow_schema():
    import pyarrow as pa
    types = {"TEXT": pa.string(), "INTEGER": pa.int64(), "REAL": pa.float64()}
    return pa.schema([(n, pa.bool_() if n == "stream" else types[t]) for n, t in COLUMNS])


def _require_pyarrow():
    try:
        import pyarrow  # noqa: F401
        import pyarrow.parquet  # noqa: F401
    except ImportError:
        raise PyfantasyError("Parquet output needs pyarrow, an optional dependency: "
                             "pip install pyarrow (or pyfantasy[scan])") from None


class _Parquet(_JSONL):
    """Rows go to a JSONL journal ``<out>.partial.jsonl`` (resumable like JSONL); when the
    scan completes the journal is converted to ``out`` in row groups and removed, and
    ``<out>.scan-state`` records the files done and the Parquet file written. A re-run
    then puts those rows back into a journal, so it skips unchanged files like the
    other formats (it rescanned everything)."""

    def __init__(self, path: str) -> None:
        _require_pyarrow()
        self.final = path
        self.done_path = path + ".scan-state"
        journal = path + ".partial.jsonl"
        if not os.path.exists(journal) and os.path.exists(path) and os.path.exists(self.done_path):
            self._seed(journal)
        super().__init__(journal)

    def _seed(self, journal: str) -> None:
        """The rows of the finished Parquet file back into a journal, with the files done."""
        import pyarrow.parquet as pq
        try:
            with open(self.done_path, "r", encoding="utf-8") as f:
                state = json.load(f)
            st = os.stat(self.final)
            if state.get("parquet") != [st.st_size, st.st_mtime_ns]:
                return  # the Parquet file changed since: scan everything again
            rows = pq.read_table(self.final).to_pylist()
        except Exception:  # noqa: BLE001 - OSError, bad JSON, pyarrow's errors: rescan everything
            return
        with open(journal, "wb") as f:
            for d in rows:
                f.write(json.dumps({n: d.get(n) for n in NAMES}, ensure_ascii=False).encode("utf-8") + b"\n")
            size = f.tell()
        with open(journal + ".scan-state", "w", encoding="utf-8") as f:
            f.write(json.dumps({"size": size, "files": state["files"]}) + "\n")

    def finish(self) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq
        schema = _arrow_schema()
        tmp = self.final + ".tmp"
        with pq.ParquetWriter(tmp, schema) as w, open(self.path, "rb") as f:
            cols: Dict[str, list] = {n: [] for n in NAMES}
            count = 0
            written = False
            for line in f:
                d = json.loads(line)
                for n in NAMES:
                    cols[n].append(d.get(n))
                count += 1
                if count == 50_000:
                    w.write_table(pa.table(cols, schema=schema))
                    cols, count, written = {n: [] for n in NAMES}, 0, True
            if count or not written:
                w.write_table(pa.table(cols, schema=schema))
        _, done = self._read_state()
        os.replace(tmp, self.final)
        st = os.stat(self.final)
        state_tmp = self.done_path + ".tmp"
        with open(state_tmp, "w", encoding="utf-8") as f:
            json.dump({"parquet": [st.st_size, st.st_mtime_ns],
                       "files": [[p, sz, m] for p, (sz, m) in done.items()]}, f)
            _sync(f)
        os.replace(state_tmp, self.done_path)
        os.unlink(self.path)
        os.unlink(self.state_path)


def read_rows(path: str) -> List[Dict[str, Any]]:
    """All rows of a scan output (any format; Parquet needs pyarrow), in file order."""
    fmt = output_format(path)
    if fmt == "sqlite":
        db = sqlite3.connect(path)
        try:
            cur = db.execute(f"SELECT {', '.join(chr(34) + n + chr(34) for n in NAMES)} "
                             "FROM interactions ORDER BY rowid")
            out = []
            for r in cur:
                d = row_dict(r)
                d["stream"] = None if d["stream"] is None else bool(d["stream"])
                out.append(d)
            return out
        finally:
            db.close()
    if fmt == "jsonl":
        with open(path, "r", encoding="utf-8") as f:
            return [json.loads(line) for line in f if line.strip()]
    if fmt == "csv":
        ints = {n for n, t in COLUMNS if t == "INTEGER"} - {"stream"}
        reals = {n for n, t in COLUMNS if t == "REAL"}
        out = []
        with open(path, newline="", encoding="utf-8") as f:
            for rec in csv.DictReader(f):
                d: Dict[str, Any] = {}
                for n in NAMES:
                    v = rec[n]
                    if v == "":
                        d[n] = None if n not in ("file",) else ""
                    elif n == "stream":
                        d[n] = v == "true"
                    elif n in ints:
                        d[n] = int(v)
                    elif n in reals:
                        d[n] = float(v)
                    else:
                        d[n] = v
                out.append(d)
        return out
    _require_pyarrow()
    import pyarrow.parquet as pq
    return pq.read_table(path).to_pylist()


def _writer(out: str, fmt: str):
    if fmt == "sqlite":
        return _SQLite(out)
    if fmt == "jsonl":
        return _JSONL(out)
    if fmt == "csv":
        return _CSV(out)
    return _Parquet(out)


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


class _Progress:
    def __init__(self, total_files: int, total_bytes: int, stream: Any) -> None:
        self.total, self.total_bytes, self.stream = total_files, total_bytes, stream
        self.start = self.last = time.monotonic()

    def update(self, files: int, nbytes: int, final: bool = False) -> None:
        now = time.monotonic()
        if not final and now - self.last < 0.1:
            return
        self.last = now
        frac = nbytes / self.total_bytes if self.total_bytes else (files / self.total if self.total else 1)
        width = 30
        fill = int(width * min(frac, 1.0))
        rate = nbytes / max(now - self.start, 1e-9) / 1e6
        eta = (self.total_bytes - nbytes) / (rate * 1e6) if rate > 0 and self.total_bytes else 0
        self.stream.write(f"\r[{'#' * fill}{'.' * (width - fill)}] {files}/{self.total} files "
                          f"{rate:6.1f} MB/s ETA {eta:5.0f}s")
        if final:
            self.stream.write("\n")
        self.stream.flush()


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
        _require_pyarrow()
    check_out(out, fmt)
    writer = _writer(out, fmt)
    summary = ScanSummary(out=out, format=fmt)
    err = progress_stream if progress_stream is not None else sys.stderr
    try:
        files = list(iter_files(paths))
        summary.files_found = len(files)
        done = writer.done()
        tasks = _tasks(files, None if rescan else done)
        writer.forget([t[0] for t in tasks if t[0] in done])  # changed since: rescanned, replaced
        summary.files_skipped = len(files) - len(tasks)
        total_bytes = sum(max(t[1], 0) for t in tasks)
        show = progress if progress is not None else bool(getattr(err, "isatty", lambda: False)())
        bar = _Progress(len(tasks), total_bytes, err) if show and tasks else None
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
    finally:
        writer.close()
    if fmt == "parquet":
        writer.finish()
    summary.seconds = time.perf_counter() - t0
    return summary
