"""The whole shared corpus decodes without error, identically on both backends,
through the API and through ``pyfantasy decode``."""
from __future__ import annotations

import contextlib
import io
import json
import os
from functools import lru_cache

import pytest

from helpers import CORPUS, cassette, corpus_files, needs_corpus
from pyfantasy.cli import main
from pyfantasy.decode import decode_interaction, detect_format

# corpus README: 534 interactions in fantasy/ plus the 4 seed cassettes' interactions
EXPECTED = {"fantasy": 534, "seeds": 4}
TOTAL = sum(EXPECTED.values())

pytestmark = needs_corpus
needs_native = pytest.mark.needs_native


def _all_interactions():
    """``(rel_path, interaction)`` for every interaction, in CLI order (cassettes via helpers' cache)."""
    out = []
    for path in corpus_files():
        rel = str(path.relative_to(CORPUS))
        out.extend((rel, it) for it in cassette(rel).interactions)
    return out


@lru_cache(maxsize=None)
def _decoded(backend):
    """``{"rel#id": to_json() or "kind: message"}`` for the whole corpus on one backend."""
    out = {}
    for rel, it in _all_interactions():
        try:
            out[f"{rel}#{it.id}"] = decode_interaction(it, backend).to_json()
        except Exception as exc:  # noqa: BLE001 - report every failure, not the first
            out[f"{rel}#{it.id}"] = f"{type(exc).__name__}: {exc}"
    return out


@lru_cache(maxsize=None)
def _cli_run(backend):
    """``pyfantasy decode <corpus> --to jsonl --backend B``: (exit status, stdout lines, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["decode", str(CORPUS), "--to", "jsonl", "--backend", backend])
    return code, out.getvalue().splitlines(), err.getvalue()


def test_corpus_size_and_formats():
    """538 interactions, all in a known wire format."""
    its = _all_interactions()
    counts = {top: sum(rel.split("/")[0] == top for rel, _ in its) for top in EXPECTED}
    assert counts == EXPECTED and len(its) == TOTAL
    unknown = [f"{rel}#{it.id}" for rel, it in its if detect_format(it).format == "unknown"]
    assert unknown == []


def test_corpus_decodes_without_error(backend):
    decoded = _decoded(backend)
    assert len(decoded) == TOTAL
    assert {k: v for k, v in decoded.items() if not isinstance(v, dict)} == {}


@needs_native
def test_corpus_backends_agree():
    """Every interaction's ``to_json()`` is the same on native and python."""
    native, python = _decoded("native"), _decoded("python")
    assert [k for k in python if native[k] != python[k]] == []


def test_cli_decodes_corpus(backend):
    """Exit 0, one line per interaction, no error; each line's response is the API's."""
    code, lines, err = _cli_run(backend)
    assert (code, len(lines), err) == (0, TOTAL, "")
    rows = [json.loads(line) for line in lines]
    assert [r for r in rows if r["error"] is not None] == []
    assert {r["format"] for r in rows} <= {"openai-chat", "openai-responses", "anthropic", "google", "bedrock"}
    api = _decoded(backend)
    by_key = {f"{os.path.relpath(r['cassette'], CORPUS)}#{r['interaction']}": r["response"] for r in rows}
    assert len(by_key) == TOTAL and by_key == api


@needs_native
def test_cli_backends_agree():
    """``--backend native`` and ``--backend python`` print the same lines."""
    native, python = _cli_run("native"), _cli_run("python")
    assert native[0] == python[0] == 0
    assert [i for i, (a, b) in enumerate(zip(native[1], python[1])) if a != b] == []
    assert len(native[1]) == len(python[1]) == TOTAL
