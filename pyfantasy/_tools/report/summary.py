"""Summarising normalised rows: per provider/model groups, token and cost sums, duration
percentiles, finish reasons, errors and the fantasy footnotes; ``filter_rows`` for ``--where``."""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple

from pyfantasy._errors import ReportError
from pyfantasy._tools.report.notes import FANTASY_NOTES
from pyfantasy._tools.report.read import COLUMNS

TOKEN_COLUMNS = ("input_tokens", "output_tokens", "total_tokens", "reasoning_tokens",
                 "cache_creation_tokens", "cache_read_tokens")
NONE_LABEL = "(none)"
ERROR_FIELDS = ("file", "interaction", "provider", "model", "kind", "message", "offset")


def percentile(values: Sequence[float], q: float) -> Optional[float]:
    """The q-th percentile (0..100) by linear interpolation (numpy's default); None if empty."""
    xs = sorted(values)
    if not xs:
        return None
    pos = (len(xs) - 1) * q / 100.0
    lo = math.floor(pos)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


def _sum(values: Iterable[Optional[float]]) -> Optional[float]:
    vals = [v for v in values if v is not None]
    return sum(vals) if vals else None


@dataclass
class Group:
    """Figures for one provider/model (``model`` is None for a provider or overall total)."""

    provider: Optional[str]
    model: Optional[str]
    count: int = 0
    errors: int = 0
    streams: int = 0
    tokens: Dict[str, Optional[int]] = field(default_factory=dict)
    cost: Optional[float] = None
    durations: List[float] = field(default_factory=list)
    p50: Optional[float] = None
    p90: Optional[float] = None
    p99: Optional[float] = None
    output_tps: Optional[float] = None
    finish_reasons: Dict[str, int] = field(default_factory=dict)

    @property
    def error_rate(self) -> float:
        return self.errors / self.count if self.count else 0.0

    @property
    def label(self) -> str:
        return f"{self.provider or NONE_LABEL} / {self.model or NONE_LABEL}"

    def to_dict(self) -> Dict[str, Any]:
        return {"provider": self.provider, "model": self.model, "count": self.count, "errors": self.errors,
                "error_rate": self.error_rate, "streams": self.streams, **self.tokens, "cost": self.cost,
                "duration_p50": self.p50, "duration_p90": self.p90, "duration_p99": self.p99,
                "output_tokens_per_s": self.output_tps, "finish_reasons": dict(self.finish_reasons)}


def _group(provider: Optional[str], model: Optional[str], rows: List[Dict[str, Any]]) -> Group:
    g = Group(provider, model, count=len(rows))
    g.errors = sum(1 for r in rows if r["error_kind"])
    g.streams = sum(1 for r in rows if r["stream"])
    g.tokens = {c: _sum(r[c] for r in rows) for c in TOKEN_COLUMNS}  # type: ignore[misc]  # integer sums
    g.cost = _sum(r["cost_usd"] for r in rows)
    g.durations = [r["duration_s"] for r in rows if r["duration_s"] is not None]
    g.p50, g.p90, g.p99 = (percentile(g.durations, q) for q in (50, 90, 99))
    g.output_tps = percentile([r["output_tokens_per_s"] for r in rows if r["output_tokens_per_s"] is not None], 50)
    fr: Dict[str, int] = {}
    for r in rows:
        if r["finish_reason"]:
            fr[r["finish_reason"]] = fr.get(r["finish_reason"], 0) + 1
    g.finish_reasons = dict(sorted(fr.items(), key=lambda kv: (-kv[1], kv[0])))
    return g


@dataclass
class Summary:
    """``models``: one Group per provider/model; ``providers``: one per provider
    (model None); ``total``: everything. Sorted by provider, then model.
    ``errors``: one dict (``ERROR_FIELDS``) per error row, in file order;
    ``notes``: the ``FANTASY_NOTES`` that apply to these rows."""

    source: str
    rows: int
    models: List[Group]
    providers: List[Group]
    total: Group
    errors: List[Dict[str, Any]] = field(default_factory=list)
    notes: List[str] = field(default_factory=list)

    def to_dict(self) -> Dict[str, Any]:
        return {"source": self.source, "rows": self.rows, "models": [g.to_dict() for g in self.models],
                "providers": [g.to_dict() for g in self.providers], "total": self.total.to_dict(),
                "errors": list(self.errors), "notes": list(self.notes)}


def _key(v: Optional[str]) -> Tuple[int, str]:
    return (1, "") if v is None else (0, v.lower())


def summarise(rows: List[Dict[str, Any]], source: str = "") -> Summary:
    """Group normalised rows (from ``load_results``) by provider and model."""
    by_model: Dict[Tuple[Optional[str], Optional[str]], List[Dict[str, Any]]] = {}
    by_provider: Dict[Optional[str], List[Dict[str, Any]]] = {}
    for r in rows:
        by_model.setdefault((r["provider"], r["model"]), []).append(r)
        by_provider.setdefault(r["provider"], []).append(r)
    models = [_group(p, m, rs)
              for (p, m), rs in sorted(by_model.items(), key=lambda kv: (_key(kv[0][0]), _key(kv[0][1])))]
    providers = [_group(p, None, rs) for p, rs in sorted(by_provider.items(), key=lambda kv: _key(kv[0]))]
    errors = [{"file": r["file"], "interaction": r["interaction"], "provider": r["provider"],
               "model": r["model"], "kind": r["error_kind"], "message": r["error_message"],
               "offset": r.get("error_offset")} for r in rows if r["error_kind"]]
    return Summary(source, len(rows), models, providers, _group(None, None, list(rows)), errors,
                   _notes(rows))


def _notes(rows: List[Dict[str, Any]]) -> List[str]:
    notes = []
    if any(r["format"] == "google" and r["stream"] and r["output_tokens"] for r in rows):
        notes.append(FANTASY_NOTES["google-usage"])
    if any(r["provider"] == "openrouter" and r["stream"] and r["reasoning_tokens"] for r in rows):
        notes.append(FANTASY_NOTES["openrouter-reasoning"])
    return notes


def filter_rows(rows: List[Dict[str, Any]], where: Sequence[str]) -> List[Dict[str, Any]]:
    """The rows matching every ``COLUMN=PATTERN`` (shell-style ``*``/``?``; ``(none)`` or an
    empty pattern matches a missing value). Raises ReportError for a malformed condition."""
    import fnmatch
    conds = []
    for w in where:
        col, eq, pattern = w.partition("=")
        col = col.strip()
        if not eq or col not in COLUMNS:
            raise ReportError(f"--where {w!r}: expected COLUMN=VALUE with COLUMN one of {', '.join(COLUMNS)}")
        conds.append((col, pattern.strip()))

    def ok(r: Dict[str, Any]) -> bool:
        for col, pattern in conds:
            v = r.get(col)
            if v is None:
                if pattern not in ("", NONE_LABEL):
                    return False
            elif not fnmatch.fnmatchcase(str(v).lower() if isinstance(v, bool) else str(v), pattern):
                return False
        return True
    return [r for r in rows if ok(r)]
