"""The scan's outputs: SQLite, JSONL, CSV and Parquet writers that commit rows in batches with
the list of files done, so an interrupted scan resumes where it stopped."""
from __future__ import annotations

import csv
import io
import json
import os
import sqlite3
import time
from typing import Any, Dict, Iterable, Iterator, List, Optional, Set, Tuple

from pyfantasy._errors import PyfantasyError
from pyfantasy._tools.scan.rows import COLUMNS, NAMES, row_dict


OUTPUT_FORMATS = ("sqlite", "jsonl", "csv", "parquet")


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
        self.db.execute("CREATE TABLE IF NOT EXISTS files (path TEXT PRIMARY KEY, size INTEGER, "
                        "mtime_ns INTEGER, rows INTEGER, scanned_at REAL)")
        self.db.commit()
        self.recorded: Optional[Set[str]] = None   # the files table's paths, once done() read them
        self.indexed = False   # interactions_file: made before the first DELETE, else at close()
        self.insert = (f"INSERT INTO interactions ({', '.join(chr(34) + n + chr(34) for n in NAMES)}) "
                       f"VALUES ({', '.join('?' * len(COLUMNS))})")

    def done(self) -> Dict[str, Tuple[int, int]]:
        done = {p: (s, m) for p, s, m in self.db.execute("SELECT path, size, mtime_ns FROM files")}
        self.recorded = set(done)
        return done

    # forget() needs no list of the changed files before the first write: a scan may stream
    replaces = True

    def forget(self, paths: Iterable[str]) -> None:
        """Nothing to do: ``write`` replaces a rescanned file's rows in the same transaction."""

    def write(self, batch: List[Tuple[str, int, int, List[tuple]]]) -> None:
        db = self.db
        now = time.time()
        recorded = self.recorded
        with db:  # one transaction per batch: rows and the files they came from
            # a file with rows already (scanned before): those go; a file never recorded has none
            known = [(p,) for p, _, _, _ in batch if recorded is None or p in recorded]
            if known:
                self._index()
                db.executemany("DELETE FROM interactions WHERE file = ?", known)
            db.executemany(self.insert, [r for _, _, _, rows in batch for r in rows])
            db.executemany("INSERT OR REPLACE INTO files VALUES (?, ?, ?, ?, ?)",
                           [(p, s, m, len(rows), now) for p, s, m, rows in batch])

    def _index(self) -> None:
        """The index of rows by file, for DELETE and for readers. Made once, when first needed or
        at close(): building it over the rows at the end costs a fifth of keeping it per insert."""
        if not self.indexed:
            with self.db:
                self.db.execute("CREATE INDEX IF NOT EXISTS interactions_file ON interactions(file)")
            self.indexed = True

    def close(self) -> None:
        try:
            self._index()
        except sqlite3.Error:   # the rows are in: the next scan's first DELETE makes it
            pass
        finally:
            self.db.close()


class _Journal:
    """An append-only text output plus ``<out>.scan-state`` (one JSON line per batch:
    the files it finished and the output size after it). On open, the output is cut
    back to the size recorded by the last complete batch."""

    replaces = False   # forget() rewrites the output: a scan tells it every changed file first

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
                yield self.encode([tuple(rec)])

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


def require_pyarrow():
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
        require_pyarrow()
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


def open_writer(out: str, fmt: str):
    if fmt == "sqlite":
        return _SQLite(out)
    if fmt == "jsonl":
        return _JSONL(out)
    if fmt == "csv":
        return _CSV(out)
    return _Parquet(out)
