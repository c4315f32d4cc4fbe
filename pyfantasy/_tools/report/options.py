"""The values ``pyfantasy report``'s options take: the results formats it reads and the keys it
sorts by. Kept apart from the modules that use them so that the command line's parser, built for
every subcommand, does not import the report's readers and charts."""
from __future__ import annotations

KINDS = ("sqlite", "jsonl", "csv", "parquet")

# --sort keys: (column index in the table's HEADERS, descending?)
SORT_KEYS = {"provider": (0, False), "model": (1, False), "n": (2, True), "errors": (3, True),
             "error-rate": (4, True), "input": (5, True), "output": (6, True), "total": (7, True),
             "reasoning": (8, True), "cache-read": (9, True), "cache-write": (10, True), "cost": (11, True),
             "p50": (12, True), "p90": (13, True), "p99": (14, True), "tps": (15, True)}
