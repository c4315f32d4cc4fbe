"""Reading a scan's output back (any of its formats) as row dicts, in file order."""
from __future__ import annotations

import csv
import json
import sqlite3
from typing import Any, Dict, List
from pyfantasy._tools.scan.rows import COLUMNS, NAMES, row_dict
from pyfantasy._tools.scan.writers import output_format, require_pyarrow


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
                row = row_dict(r)
                row["stream"] = None if row["stream"] is None else bool(row["stream"])
                out.append(row)
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
    require_pyarrow()
    import pyarrow.parquet as pq
    return pq.read_table(path).to_pylist()
