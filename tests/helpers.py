"""Locations and corpus access shared by the tests (cassettes loaded once per session).

Tests import these from here, never from ``conftest``: ``pytest tests benches``
loads two conftest modules and a ``from conftest import`` gets whichever came first.
"""
from __future__ import annotations

import json
import os
import re
from functools import lru_cache
from pathlib import Path
from typing import List, Optional

import pytest

from pyfantasy._backend import native_available
from pyfantasy.cassette import load
from pyfantasy.decode import detect_format

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
# The shared corpus sits beside the repository (../shared/corpus); PYFANTASY_CORPUS overrides.
CORPUS = Path(os.environ.get("PYFANTASY_CORPUS", ROOT.parent / "shared" / "corpus"))

BACKEND_PARAMS = [
    "python",
    pytest.param("native", marks=pytest.mark.skipif(
        not native_available() and not os.environ.get("PYFANTASY_REQUIRE_NATIVE"),
        reason="native extension not built")),
]


def corpus_files():
    """All cassette files of the shared corpus, sorted (empty when the corpus is absent)."""
    if not CORPUS.is_dir():
        return []
    return sorted(p for p in CORPUS.rglob("*") if p.suffix in (".yaml", ".yml"))


needs_corpus = pytest.mark.skipif(not CORPUS.is_dir(), reason=f"corpus not found at {CORPUS}")


@lru_cache(maxsize=None)
def cassette(rel: str):
    return load(CORPUS / rel)


@lru_cache(maxsize=None)
def _index():
    out = []
    for path in corpus_files():
        rel = str(path.relative_to(CORPUS))
        for it in cassette(rel).interactions:
            out.append((rel, it.id, detect_format(it)))
    return out


def interactions(fmt: Optional[str] = None, stream: Optional[bool] = None) -> List:
    """pytest params ``(rel_path, interaction_id)`` of the corpus, filtered."""
    return [pytest.param(rel, iid, id=f"{rel}#{iid}") for rel, iid, wf in _index()
            if (fmt is None or wf.format == fmt) and (stream is None or wf.stream == stream)]


def interaction(rel: str, iid: int):
    return cassette(rel).interactions[iid]


def semantics_examples(fmt_prefixes=None) -> List:
    """The worked examples of fantasy-semantics.md §10 (expected Go JSON)."""
    rows = [json.loads(line) for line in (DATA / "semantics_examples.jsonl").read_text().splitlines()]
    out = []
    for r in rows:
        if fmt_prefixes and not r["cassette"].split("/")[1].startswith(tuple(fmt_prefixes)):
            continue
        out.append(pytest.param(r, id=f"{r['section']}-{r['cassette'].split('/')[1]}"))
    return out


def matches_example(expected: str, got: str) -> bool:
    """Exact, except the doc's ``…`` (an elided opaque value) and ``<uuid>`` placeholders."""
    if "…" not in expected and "<uuid>" not in expected:
        return got == expected
    pat = re.escape(expected).replace(re.escape("…"), ".*?").replace(
        re.escape("<uuid>"), "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
    return re.fullmatch(pat, got, re.S) is not None


def fantasy_assertions(rel: str, responses) -> None:
    """What fantasy's Go tests assert on each kind of cassette (corpus README)."""
    name = Path(rel).stem
    texts = ["".join(p.text for p in (r.content or []) if p.type == "text") for r in responses]
    calls = [[p for p in (r.content or []) if p.type == "tool-call" and not p.provider_executed]
             for r in responses]
    last = texts[-1]
    if "object" in name:
        # the object is the text (JSON mode) or the input of a forced tool call
        candidates = [last] + [c.input for cs in calls for c in cs]
        assert any(_is_json_object(t) for t in candidates), candidates
    elif name.startswith("simple"):
        assert any(w in last for w in ("Oi", "oi", "Olá", "olá")), last
    elif name.startswith("multi_tool"):
        first = calls[0]
        assert sorted(c.tool_name for c in first) == ["add", "multiply"], first
        for c in first:
            assert not c.invalid and isinstance(json.loads(c.input), dict)
        assert "5" in last and "6" in last, last
    elif name.startswith("tool"):
        first = calls[0]
        assert len(first) == 1 and first[0].tool_name == "weather", first
        assert not first[0].invalid and isinstance(json.loads(first[0].input), dict)
        assert "Florence" in last and "40" in last, last
    elif name.startswith("thinking"):
        # OpenAI/Azure chat completions never return reasoning text, only its token count
        assert any(p.type == "reasoning" for r in responses for p in (r.content or [])) or \
            any(r.usage.reasoning_tokens > 0 for r in responses), rel
        assert "Florence" in last and "40" in last, last


def _is_json_object(text: str) -> bool:
    try:
        return isinstance(json.loads(text), dict)
    except ValueError:
        return False
