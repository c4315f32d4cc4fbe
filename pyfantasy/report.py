"""Summaries of ``pyfantasy scan`` results: an aligned text table and a self-contained HTML page.

Input: the rows ``pyfantasy scan`` writes, one per interaction, with the
columns of ``COLUMNS``, from SQLite (table ``interactions``), JSONL, CSV or
Parquet (needs pyarrow). The format is told from the file's magic bytes
(SQLite, Parquet) and then its suffix. Values are normalised whatever the
container: numbers from CSV text become numbers, empty cells None, the
``stream`` flag a bool. Columns other than ``provider`` and ``model`` may be
missing (their figures then show as "-"); a ``cost`` column (the older name)
is read as ``cost_usd``.

Summary, per provider and model (then per provider, then overall):
interactions, errors and error rate (a row is an error when ``error_kind``
is set), token sums (None cells are skipped, not zero), cost sum, duration
percentiles p50/p90/p99 (linear interpolation between order statistics,
like numpy's default), the median of the per-interaction output tokens/s,
and the count of each finish reason.

``format_table`` fits the terminal (columns by priority; all with no
width), can rank (``sort``, ``top``), and lists the errors and the
footnotes (``FANTASY_NOTES``: figures that follow fantasy). ``render_html``
writes one page with inline CSS and inline SVG charts (``pyfantasy._tools.svg``): tokens
(input, output, reasoning, cache) and cost in USD per model, the duration
distribution per provider, error rate per model (only when there are
errors), then the table, the errors (linked from the charts' rows) and the
notes. No script, no external resource.

Errors: ``ReportError`` (a PyfantasyError) for a missing, unreadable or
unknown results file, with the reason in the message.

This module is the public face: the code lives in ``pyfantasy._tools.report``
(``read``, ``summary``, ``table``, ``text``, ``charts``, ``page``), one job a module.
"""
from pyfantasy._errors import ReportError
from pyfantasy._tools.report.page import render_html
from pyfantasy._tools.report.read import COLUMNS, load_results, results_kind
from pyfantasy._tools.report.summary import FANTASY_NOTES, Group, Summary, filter_rows, percentile, summarise
from pyfantasy._tools.report.options import SORT_KEYS
from pyfantasy._tools.report.text import format_table

# Importable from here too, as they always were, though not part of the list below.
from pyfantasy._tools.report.charts import charts as charts
from pyfantasy._tools.report.options import KINDS as KINDS
from pyfantasy._tools.report.table import ordered_models as ordered_models

__all__ = ["COLUMNS", "ReportError", "Group", "Summary", "load_results", "results_kind", "summarise",
           "filter_rows", "percentile", "format_table", "render_html", "SORT_KEYS", "FANTASY_NOTES"]
