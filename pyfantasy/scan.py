"""High-volume scanning: one summary row per recorded interaction, on every core.

This module is the public face; the pipeline lives in ``pyfantasy._tools.scan``: ``rows``
(one row per interaction) -> ``pool`` (worker processes) -> ``writers`` (SQLite, JSONL, CSV,
Parquet; ``reader`` reads them back), driven by ``run``.

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
- Speed: cassettes are read by the C cassette reader (``_kernels.vcr``; several
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

from pyfantasy._errors import ScanWarning
from pyfantasy._tools.scan.pool import default_workers, iter_results, iter_rows
from pyfantasy._tools.scan.reader import read_rows
from pyfantasy._tools.scan.rows import (COLUMNS, NAMES, XAI_TICKS_PER_USD, iter_files, provider_for_host, row_dict,
                                        scan_bytes, scan_file, sniff_stream_format)
from pyfantasy._tools.scan.run import ScanSummary, scan
from pyfantasy._tools.scan.writers import OUTPUT_FORMATS, check_out, output_format

__all__ = ["COLUMNS", "OUTPUT_FORMATS", "ScanSummary", "ScanWarning", "scan", "scan_file",
           "scan_bytes", "iter_files", "iter_rows", "provider_for_host", "sniff_stream_format",
           "read_rows", "row_dict", "default_workers",
           # for the CLI and the Dask reader
           "NAMES", "XAI_TICKS_PER_USD", "check_out", "output_format", "iter_results"]
