"""Scan rows as a Dask bag or dataframe, so a scan runs on any Dask cluster.

What: ``read_cassettes(paths)`` gives a ``dask.bag.Bag`` of the same row
dicts ``pyfantasy scan`` writes (``pyfantasy.scan.COLUMNS``), one per
interaction; ``read_cassettes_dataframe(paths)`` the same rows as a
``dask.dataframe.DataFrame`` with fixed dtypes.

Why this shape: the file list is made on the client and cut into
partitions of about ``partition_bytes`` each (balanced by file size, in
file order); each task reads and decodes its own files with ``scan_file``,
so only paths travel to the workers and only small rows come back. On a
cluster, the paths must be readable by every worker (a shared file system,
or a mount of the same bucket); nothing else is shared. A broken file is
one error row, never a failed task. Needs ``pip install 'dask[bag]'``
(and pandas for the dataframe); pyfantasy itself does not depend on it.
"""
from __future__ import annotations

import os
from typing import Any, Dict, Iterable, List, Optional, Union

from pyfantasy.scan import COLUMNS, iter_files, row_dict, scan_file

__all__ = ["read_cassettes", "read_cassettes_dataframe", "partition_files", "DTYPES"]

PathLike = Union[str, "os.PathLike[str]"]

# pandas dtypes of the columns: nullable integers and floats, strings as objects.
_SQL_TO_PANDAS = {"TEXT": "object", "INTEGER": "Int64", "REAL": "float64"}
DTYPES: Dict[str, str] = {name: _SQL_TO_PANDAS[sql] for name, sql in COLUMNS}
DTYPES["stream"] = "boolean"


def _import_dask():
    try:
        import dask.bag as db
    except ImportError as exc:  # pragma: no cover - exercised only without dask
        raise ImportError("pyfantasy.dask needs Dask: pip install 'dask[bag]'") from exc
    return db


def partition_files(paths: Iterable[PathLike], partition_bytes: int = 8 << 20) -> List[List[str]]:
    """Files under ``paths`` (as ``pyfantasy scan`` finds them), in order, cut into
    runs of about ``partition_bytes`` each (a file larger than that is a run alone)."""
    parts: List[List[str]] = []
    cur: List[str] = []
    acc = 0
    for path in iter_files(os.fspath(p) for p in paths):
        try:
            size = os.path.getsize(path)
        except OSError:
            size = 0  # unreadable: scan_file makes its error row
        if cur and acc + size > partition_bytes:
            parts.append(cur)
            cur, acc = [], 0
        cur.append(path)
        acc += size
    if cur:
        parts.append(cur)
    return parts


def _rows_of(files: List[str], backend: Optional[str], fmt: Optional[str]) -> List[Dict[str, Any]]:
    return [row_dict(r) for path in files for r in scan_file(path, backend=backend, format=fmt)]


def read_cassettes(paths: Union[PathLike, Iterable[PathLike]], *, backend: Optional[str] = None,
                   format: Optional[str] = None, partition_bytes: int = 8 << 20):
    """A ``dask.bag.Bag`` of scan rows (dicts, ``COLUMNS`` keys) for every file under ``paths``.

    ``backend`` and ``format`` are as for ``pyfantasy scan``; each partition
    holds about ``partition_bytes`` of input. Lazy: nothing is read until
    the bag is computed.
    """
    db = _import_dask()
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    parts = partition_files(paths, partition_bytes)
    if not parts:
        return db.from_sequence([], npartitions=1)
    return db.from_sequence(parts, npartitions=len(parts)).map_partitions(
        lambda chunk: [row for files in chunk for row in _rows_of(files, backend, format)])


def read_cassettes_dataframe(paths: Union[PathLike, Iterable[PathLike]], **kwargs):
    """``read_cassettes(paths, **kwargs)`` as a ``dask.dataframe.DataFrame`` (columns and
    dtypes: ``DTYPES``)."""
    import pandas as pd
    meta = pd.DataFrame({name: pd.Series(dtype=dtype) for name, dtype in DTYPES.items()})
    return read_cassettes(paths, **kwargs).to_dataframe(meta=meta)
