"""``pyfantasy scan`` and ``pyfantasy.scan``: rows, columns, outputs, resume, broken files, captures.

Rows are checked against the decoder itself (every corpus interaction's
finish reason, usage, text length and tool calls equal what
``decode_interaction`` gives), and on small fixtures written here. Each
output format is read back and compared with the SQLite rows; resume is
tested after a partial output, a torn tail, a changed file and a killed
subprocess; 1 and 2 workers must give the same rows.
"""
from __future__ import annotations

import io
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpers import (CORPUS, ROOT, UNDER_ASAN, corpus_files, files_done, needs_corpus, no_fork_under_asan,
                     skip_without_corpus)
from pyfantasy.cassette import Cassette, Interaction, Request, Response, loads
from pyfantasy.decode import decode_body, decode_interaction, detect_format
from pyfantasy.scan import (COLUMNS, NAMES, ScanWarning, iter_rows, provider_for_host, read_rows,
                            scan, scan_bytes, sniff_stream_format)
from pyfantasy._errors import PyfantasyError
import pyfantasy._kernels.vcr as vcr_fast
import pyfantasy._tools.scan.rows as rows_mod
import pyfantasy._tools.scan.writers as writers_mod
import pyfantasy.scan as scan_mod

# scans run on the default backend: the C readers and kernels when the extension is built
# (the sanitizer job of test_build.py runs this whole module with PYFANTASY_BACKEND=native)
pytestmark = pytest.mark.native

OPENROUTER = "fantasy/TestOpenRouterCommon/openai/simple_streaming.yaml"
XAI = "fantasy/TestOpenAICompatObjectGeneration/xai-grok-code-fast/simple_object.yaml"


def run_cli(*args):
    out, err = io.StringIO(), io.StringIO()
    import pyfantasy.cli as cli
    code = cli.build_parser().parse_args(["scan", *map(str, args)])
    rc = code.func(code, out, err)
    return rc, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def corpus_db(tmp_path_factory):
    skip_without_corpus()
    out = tmp_path_factory.mktemp("scan") / "results.db"
    rc, _, err = run_cli(CORPUS, "--out", out, "--workers", "1" if UNDER_ASAN else "2", "--quiet")
    assert rc == 0, err
    return out


# --- the corpus ---------------------------------------------------------------------------------

@needs_corpus
def test_corpus_rows_and_columns(corpus_db):
    db = sqlite3.connect(corpus_db)
    cols = [(r[1], r[2]) for r in db.execute("PRAGMA table_info(interactions)")]
    assert cols == list(COLUMNS)
    rows = read_rows(str(corpus_db))
    assert len(rows) == 538
    assert len({r["file"] for r in rows}) == len(corpus_files())
    files = db.execute("SELECT count(*), sum(rows) FROM files").fetchone()
    assert files == (len(corpus_files()), 538)
    providers = {r["provider"] for r in rows}
    assert {"openai", "azure", "openrouter", "vercel", "xai", "groq", "zai", "huggingface", "avian",
            "local", "anthropic", "vertex", "bedrock", "google"} <= providers
    assert {r["format"] for r in rows} == {"openai-chat", "openai-responses", "anthropic", "google",
                                           "bedrock"}
    for r in rows:
        assert r["model"], r
        assert r["duration_s"] > 0 and isinstance(r["stream"], bool)
        assert (r["error_kind"] is None) == (r["error_message"] is None)


@needs_corpus
def test_corpus_rows_equal_the_decoder(corpus_db):
    """finish reason, usage, text length, tool calls, errors: what decode_interaction gives."""
    by_key = {(r["file"], r["interaction"]): r for r in read_rows(str(corpus_db))}
    checked = 0
    for path in corpus_files():
        for it in loads(path.read_bytes()).interactions:
            row = by_key[(str(path), it.id)]
            wf = detect_format(it)
            assert (row["format"], row["stream"]) == (wf.format, wf.stream)
            assert row["duration_s"] == it.response.duration_ns / 1e9
            try:
                resp, kind = decode_interaction(it), None
            except PyfantasyError as exc:
                resp, kind = getattr(exc, "response", None), exc.kind
            assert row["error_kind"] == kind, (path, it.id)
            if resp is None:
                assert row["finish_reason"] is None and row["input_tokens"] is None
                continue
            u = resp.usage
            assert row["finish_reason"] == resp.finish_reason
            assert [row[k] for k in ("input_tokens", "output_tokens", "total_tokens", "reasoning_tokens",
                                     "cache_creation_tokens", "cache_read_tokens")] == \
                [u.input_tokens, u.output_tokens, u.total_tokens, u.reasoning_tokens,
                 u.cache_creation_tokens, u.cache_read_tokens]
            assert row["text_length"] == len(resp.text)
            assert row["tool_calls"] == len(resp.tool_calls)
            if u.output_tokens and row["duration_s"]:
                assert row["output_tokens_per_s"] == pytest.approx(u.output_tokens / row["duration_s"])
            checked += 1
    assert checked > 300


@needs_corpus
def test_corpus_costs_models_providers(corpus_db):
    rows = {(r["file"], r["interaction"]): r for r in read_rows(str(corpus_db))}
    r = rows[(str(CORPUS / OPENROUTER), 0)]
    assert r["provider"] == "openrouter" and r["cost_usd"] == pytest.approx(0.00001255)
    x = rows[(str(CORPUS / XAI), 0)]
    body = loads((CORPUS / XAI).read_bytes()).interactions[0].response.body
    ticks = json.loads(body)["usage"]["cost_in_usd_ticks"]
    assert x["provider"] == "xai" and x["cost_usd"] == pytest.approx(ticks / 1e10)
    avian = [r for r in rows.values() if r["provider"] == "avian" and r["error_kind"] is None]
    assert avian and all(r["cost_usd"] is not None for r in avian)
    assert all(r["cost_usd"] is None for r in rows.values() if r["provider"] in ("openai", "anthropic"))
    google = [r for r in rows.values() if r["provider"] == "google"]
    assert all(r["model"].startswith("gemini") for r in google)  # from the URL: no model in the body
    bedrock = [r for r in rows.values() if r["provider"] == "bedrock"]
    assert bedrock and all("anthropic" in r["model"] for r in bedrock)


@needs_corpus
def test_workers_1_and_2_same_rows(corpus_db, tmp_path):
    rc, _, err = run_cli(CORPUS, "--out", tmp_path / "one.db", "--workers", "1", "--quiet")
    assert rc == 0, err
    assert read_rows(str(tmp_path / "one.db")) == read_rows(str(corpus_db))


@needs_corpus
@pytest.mark.needs_native
def test_python_backend_same_rows(corpus_db, tmp_path):
    sub = tmp_path / "sub"
    shutil.copytree(CORPUS / "fantasy" / "TestOpenRouterCommon", sub / "TestOpenRouterCommon")
    shutil.copytree(CORPUS / "fantasy" / "TestBedrockBasicAuth", sub / "TestBedrockBasicAuth")
    a = [r for r in iter_rows([str(sub)], workers=1, backend="python")]
    b = [r for r in iter_rows([str(sub)], workers=1, backend="native")]
    assert a == b and len(a) > 20


@needs_corpus
@pytest.mark.needs_native
def test_every_corpus_row_same_on_both_backends():
    """Native rows come from one C parse per file and the C decoder's records (no Interaction or
    Response object); python's from the loader and the Response: the same rows, every corpus file."""
    n = 0
    for path in corpus_files():
        data = path.read_bytes()
        native, python = scan_bytes(data, str(path), backend="native"), scan_bytes(data, str(path), backend="python")
        assert native == python, path
        n += len(native)
    assert n >= 538


@needs_corpus
@pytest.mark.parametrize("wire", [None, "openai-chat", "anthropic"])
def test_routes_remembered_per_endpoint_change_no_row(wire, monkeypatch):
    """A row's routing (provider, format, stream, variant) is remembered per URL, Content-Type,
    request stream flag and --wire: every corpus row is the same with the memory emptied before
    each file, and with it filled by every other file first (in reverse order)."""
    files = corpus_files()
    datas = [(str(p), p.read_bytes()) for p in files]
    # the same URL and Content-Type, the request's stream flag changed: another route
    datas += [(path + "-flipped", data.replace(b'"stream":true', b'"stream":false'))
              for path, data in datas if b'"stream":true' in data]
    fresh = []
    for path, data in datas:
        rows_mod._ROUTES.clear()
        fresh.append(scan_bytes(data, path, format=wire))
    warm = [scan_bytes(data, path, format=wire) for path, data in reversed(datas)][::-1]
    assert len(rows_mod._ROUTES) > 20   # it remembers
    assert warm == fresh
    monkeypatch.setattr(rows_mod, "_ROUTES_MAX", 3)   # forgets when full: the same rows again
    assert [scan_bytes(data, path, format=wire) for path, data in datas] == fresh


@needs_corpus
@pytest.mark.needs_native
def test_routes_follow_the_backend_the_environment_names(monkeypatch):
    """Rows of ``backend=None`` follow PYFANTASY_BACKEND as it is now: a scan on python after
    one on native (the routes remembered) never calls the C decoders, and gives the same rows."""
    import pyfantasy._kernels.native.decoders as native_decoders
    datas = [(str(p), p.read_bytes()) for p in corpus_files()[:40]]
    monkeypatch.setenv("PYFANTASY_BACKEND", "native")
    native = [scan_bytes(d, p) for p, d in datas]
    assert rows_mod._ROUTES
    monkeypatch.setenv("PYFANTASY_BACKEND", "python")

    def no_c(*a, **kw):
        raise AssertionError("the C decoder ran on the python backend")
    monkeypatch.setattr(native_decoders, "whole_fields", no_c)
    monkeypatch.setattr(native_decoders.PartReader, "whole", no_c)   # what a remembered route calls
    assert [scan_bytes(d, p) for p, d in datas] == native


@needs_corpus
@pytest.mark.needs_native
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.data())
def test_mutated_cassette_rows_same_on_both_backends(data):
    """Corpus cassettes with lines dropped, repeated or changed (bodies cut, JSON broken, request
    flags and models edited): both backends give the same rows, errors included."""
    files = corpus_files()
    path = files[data.draw(st.integers(0, len(files) - 1))]
    lines = path.read_bytes().split(b"\n")
    for _ in range(data.draw(st.integers(1, 3))):
        k = data.draw(st.integers(0, len(lines) - 1))
        op = data.draw(st.sampled_from(["drop", "repeat", "flip", "stream", "model", "cut"]))
        line = lines[k]
        if op == "drop":
            del lines[k]
        elif op == "repeat":
            lines.insert(k, line)
        elif op == "flip" and line:
            j = data.draw(st.integers(0, len(line) - 1))
            lines[k] = line[:j] + data.draw(st.sampled_from([b"{", b"}", b'"', b",", b"x", b"\\", b" "])) + line[j + 1:]
        elif op == "stream":
            lines[k] = line.replace(b'"stream":true', b'"stream":false').replace(b'"stream": true', b'"stream":1')
        elif op == "model":
            lines[k] = line.replace(b'"model":"', b'"model":"\\u0041').replace(b'"model": "', b'"model": 7, "x": "')
        elif op == "cut":
            lines[k] = line[:len(line) // 2]
    text = b"\n".join(lines)
    assert scan_bytes(text, "m.yaml", backend="native") == scan_bytes(text, "m.yaml", backend="python")


# --- output formats ------------------------------------------------------------------------------

def small_tree(root: Path) -> Path:
    """A few corpus folders, a broken cassette and a stream capture."""
    root.mkdir(parents=True, exist_ok=True)
    for rel in ("fantasy/TestOpenRouterCommon/openai", "fantasy/TestAnthropicCommon/claude-sonnet-4"):
        shutil.copytree(CORPUS / rel, root / rel.replace("/", "_"))
    (root / "broken.yaml").write_bytes(b"---\nversion: 2\ninteractions:\n- id: [\n")
    it = loads((CORPUS / OPENROUTER).read_bytes()).interactions[0]
    (root / "capture.sse").write_bytes(it.response.body_bytes)
    return root


@needs_corpus
@pytest.mark.parametrize("ext", ["jsonl", "csv", "parquet"])
@no_fork_under_asan
def test_output_formats(ext, tmp_path):
    if ext == "parquet":
        pytest.importorskip("pyarrow")
    tree = small_tree(tmp_path / "in")
    rc, _, err = run_cli(tree, "--out", tmp_path / "ref.db", "--workers", "1", "--quiet")
    assert rc == 0, err
    ref = read_rows(str(tmp_path / "ref.db"))
    out = tmp_path / f"results.{ext}"
    rc, _, err = run_cli(tree, "--out", out, "--workers", "2", "--quiet")
    assert rc == 0, err
    assert read_rows(str(out)) == ref
    assert not list(tmp_path.glob(f"results.{ext}.partial*"))
    if ext == "jsonl":
        first = json.loads(out.read_text().splitlines()[0])
        assert list(first) == list(NAMES)
    if ext == "csv":
        assert out.read_text().splitlines()[0] == ",".join(NAMES)
    if ext == "parquet":
        import pyarrow.parquet as pq
        schema = pq.read_schema(out)
        assert schema.names == list(NAMES)
        assert str(schema.field("stream").type) == "bool"


def test_parquet_without_pyarrow_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    monkeypatch.setitem(sys.modules, "pyarrow.parquet", None)
    (tmp_path / "a.sse").write_bytes(b"data: {}\n\n")
    with pytest.raises(PyfantasyError, match="pip install pyarrow"):
        scan([str(tmp_path)], str(tmp_path / "x.parquet"), workers=1)
    rc, _, err = run_cli(tmp_path, "--out", tmp_path / "x.parquet", "--quiet")
    assert rc == 2 and "pyarrow" in err
    assert not (tmp_path / "x.parquet").exists()


# --- broken files and captures -------------------------------------------------------------------

@needs_corpus
@no_fork_under_asan
def test_broken_file_is_one_error_row(tmp_path):
    tree = small_tree(tmp_path / "in")
    (tree / "dangling.yaml").symlink_to(tree / "nowhere.yaml")  # listed, but cannot be read
    rc, _, err = run_cli(tree, "--out", tmp_path / "r.db", "--workers", "2", "--quiet")
    assert rc == 0
    assert "warning" in err and "broken.yaml" in err
    rows = read_rows(str(tmp_path / "r.db"))
    broken = [r for r in rows if r["file"].endswith("broken.yaml")]
    assert len(broken) == 1
    b = broken[0]
    assert b["interaction"] is None and b["error_kind"] == "cassette"
    # the unclosed "[" of line 4 is found where the text ends: line 5, column 1
    assert "broken.yaml:5:1: invalid YAML" in b["error_message"]
    (dangling,) = [r for r in rows if r["file"].endswith("dangling.yaml")]
    assert dangling["error_kind"] == "cassette" and "cannot read" in dangling["error_message"]
    assert sum(1 for r in rows if r["file"].endswith(".yaml") and r["error_kind"] != "cassette") > 10


@needs_corpus
@pytest.mark.parametrize("light_fails", [True, False], ids=["light-read-fails-too", "no-light-read"])
def test_pathological_cassette_is_one_error_row(tmp_path, monkeypatch, light_fails):
    """The reader failing unexpectedly (here MemoryError) on one file: one error row, the scan goes
    on; the light read (pf_vcr_light) failing the same way leaves the file to it."""
    good, bad = tmp_path / "good.yaml", tmp_path / "bad.yaml"
    shutil.copy(CORPUS / OPENROUTER, good)
    shutil.copy(CORPUS / OPENROUTER, bad)
    real, real_light = vcr_fast.read_interactions, vcr_fast.read_light
    bad_data = bad.read_bytes() + b"# the bad one\n"
    bad.write_bytes(bad_data)

    def reader(data, path=None, backend=None, light=False):
        if str(path).endswith("bad.yaml"):
            raise MemoryError()
        return real(data, path, backend, light)

    def light_reader(data, backend=None):
        if data == bad_data:
            raise MemoryError()
        return real_light(data, backend)

    monkeypatch.setattr(vcr_fast, "read_interactions", reader)
    monkeypatch.setattr(vcr_fast, "read_light", light_reader if light_fails else lambda data, backend=None: None)
    with pytest.warns(ScanWarning, match="bad.yaml"):
        summary = scan([str(tmp_path)], str(tmp_path / "r.jsonl"), workers=1, progress=False)
    assert summary.files_scanned == 2 and summary.broken_files == [str(bad)]
    rows = read_rows(str(tmp_path / "r.jsonl"))
    (b,) = [r for r in rows if r["file"] == str(bad)]
    assert b["interaction"] is None and b["error_kind"] == "MemoryError"
    assert b["error_message"] == f"{bad}: cannot read the cassette: MemoryError"
    assert [r["error_kind"] for r in rows if r["file"] == str(good)] == [None]
    (row,) = scan_bytes(good.read_bytes() + b"# the bad one\n", "other/bad.yaml")  # the same through scan_bytes
    assert row[NAMES.index("error_kind")] == "MemoryError"
    assert row[NAMES.index("error_message")].startswith("other/bad.yaml: ")


class _Poisoned:
    """An interaction whose every field fails unexpectedly."""

    id = 1

    @property
    def request(self):
        raise RuntimeError("poisoned request")

    response = request


@needs_corpus
@pytest.mark.parametrize("light", [True, False], ids=["light-read", "full-read"])
def test_unexpected_interaction_error_is_one_row(monkeypatch, light):
    """An interaction failing outside the decoder's guards: its own error row, the others intact."""
    data = (CORPUS / OPENROUTER).read_bytes()
    (ok,) = scan_bytes(data, "c.yaml")
    real, real_light = vcr_fast.read_interactions, vcr_fast.read_light
    monkeypatch.setattr(vcr_fast, "read_interactions",
                        lambda data, path=None, backend=None, light=False: real(data, path, backend, light)
                        + [_Poisoned()])
    if light:   # the light read (pf_vcr_light), where the backend has it; else the full read
        monkeypatch.setattr(vcr_fast, "read_light",
                            lambda data, backend=None: None if real_light(data, backend) is None
                            else real_light(data, backend) + [_Poisoned()])
    else:
        monkeypatch.setattr(vcr_fast, "read_light", lambda data, backend=None: None)
    first, poisoned = scan_bytes(data, "c.yaml")
    assert first == ok
    d = dict(zip(NAMES, poisoned))
    assert (d["file"], d["interaction"], d["error_kind"]) == ("c.yaml", 1, "RuntimeError")
    assert d["error_message"] == "c.yaml: interaction 1: cannot decode the interaction: poisoned request"


def test_unexpected_capture_error_is_one_row(monkeypatch):
    def boom(data):
        raise MemoryError()

    monkeypatch.setattr(rows_mod, "sniff_stream_format", boom)
    (row,) = scan_bytes(b"data: {}\n\n", "a.sse")
    d = dict(zip(NAMES, row))
    assert (d["interaction"], d["error_kind"]) == (None, "MemoryError")
    assert d["error_message"] == "a.sse: cannot scan the file: MemoryError"


def test_default_workers_follow_the_affinity_mask(tmp_path, monkeypatch):
    monkeypatch.setattr(os, "cpu_count", lambda: 64)
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 3}, raising=False)
    assert scan_mod.default_workers() == 2
    seen = []
    real = scan_mod.iter_results

    def recorder(tasks, workers=1, **kw):
        seen.append(workers)
        return real(tasks, 1, **kw)

    from pyfantasy._tools.scan import pool, run
    monkeypatch.setattr(run, "iter_results", recorder)   # scan()
    monkeypatch.setattr(pool, "iter_results", recorder)  # iter_rows()
    (tmp_path / "a.sse").write_bytes(b"data: {}\n\n")
    scan([str(tmp_path)], str(tmp_path / "r.db"), progress=False)
    list(iter_rows([str(tmp_path)]))
    assert seen == [2, 2]
    monkeypatch.delattr(os, "sched_getaffinity")
    assert scan_mod.default_workers() == 64


def test_broken_bytes_never_raise():
    for data in (b"", b"\xff\xfe\x00", b"version: 3\n", b"---\n- a\n", b"interactions: [", b"\x00" * 10):
        rows = scan_bytes(data, "x.yaml")
        assert len(rows) == 1 and rows[0][NAMES.index("error_kind")] == "cassette"


@needs_corpus
def test_stream_capture_rows(tmp_path):
    it = loads((CORPUS / OPENROUTER).read_bytes()).interactions[0]
    body = it.response.body_bytes
    (tmp_path / "a.sse").write_bytes(body)
    (tmp_path / "weird.txt").write_bytes(b"data: {\"hello\": 1}\n\n")
    rc, _, err = run_cli(tmp_path / "a.sse", tmp_path / "weird.txt", "--out", tmp_path / "r.jsonl",
                         "--quiet")
    assert rc == 0, err
    rows = read_rows(str(tmp_path / "r.jsonl"))
    assert [r["file"] for r in rows] == [str(tmp_path / "a.sse"), str(tmp_path / "weird.txt")]
    a, weird = rows
    expected = decode_body(body, "openai-chat", True)
    assert (a["format"], a["stream"], a["interaction"]) == ("openai-chat", True, 0)
    assert a["finish_reason"] == expected.finish_reason
    assert a["output_tokens"] == expected.usage.output_tokens
    assert a["text_length"] == len(expected.text) and a["model"]
    assert a["error_kind"] is None and a["duration_s"] is None
    assert weird["format"] == "unknown" and weird["error_kind"] == "unknown-format"
    # --format overrides the detection
    rc, _, _ = run_cli(tmp_path / "weird.txt", "--format", "openai-chat", "--out", tmp_path / "w.jsonl",
                       "--quiet")
    assert read_rows(str(tmp_path / "w.jsonl"))[0]["format"] == "openai-chat"


@needs_corpus
def test_sniff_stream_format():
    seen = {}
    for path in corpus_files():
        for it in loads(path.read_bytes()).interactions:
            wf = detect_format(it)
            if wf.stream and it.response.code == 200:
                seen.setdefault(wf.format, []).append(sniff_stream_format(it.response.body_bytes))
    assert set(seen) == {"openai-chat", "openai-responses", "anthropic", "google", "bedrock"}
    for fmt, got in seen.items():
        assert set(got) == {fmt}, fmt


def test_provider_for_host():
    cases = {
        "https://api.openai.com/v1/chat/completions": "openai",
        "https://x-resource.openai.azure.com/openai/v1/responses": "azure",
        "https://openrouter.ai/api/v1/chat/completions": "openrouter",
        "https://ai-gateway.vercel.sh/v1/chat/completions": "vercel",
        "https://api.x.ai/v1/chat/completions": "xai",
        "https://api.groq.com/openai/v1/chat/completions": "groq",
        "https://api.z.ai/api/coding/paas/v4/chat/completions": "zai",
        "https://router.huggingface.co/v1/chat/completions": "huggingface",
        "https://api.avian.io/v1/chat/completions": "avian",
        "http://localhost:8080/v1/chat/completions": "local",
        "https://api.anthropic.com/v1/messages": "anthropic",
        "https://us-east5-aiplatform.googleapis.com/v1/projects/p/locations/l/publishers/anthropic/models/m:rawPredict":
            "vertex",
        "https://aiplatform.googleapis.com/v1/x": "vertex",
        "https://bedrock-runtime.us-east-1.amazonaws.com/model/m/invoke": "bedrock",
        "https://s3.amazonaws.com/x": "s3.amazonaws.com",
        "https://generativelanguage.googleapis.com/v1beta/models/g:generateContent": "google",
        "https://llm.example.org/v1/chat/completions": "llm.example.org",
        "not a url": "",
        "": "",
    }
    assert {u: provider_for_host(u) for u in cases} == cases


# --- resume ---------------------------------------------------------------------------------------

@needs_corpus
@pytest.mark.parametrize("ext", ["db", "jsonl", "csv"])
@no_fork_under_asan
def test_resume_after_partial_output(ext, tmp_path):
    tree = small_tree(tmp_path / "in")
    full = tmp_path / f"full.{ext}"
    assert run_cli(tree, "--out", full, "--workers", "1", "--quiet")[0] == 0
    part = tmp_path / f"part.{ext}"
    first = sorted(p for p in tree.iterdir() if p.is_dir())[0]
    summary = scan([str(first)], str(part), workers=1, progress=False)
    assert summary.files_scanned > 0
    with pytest.warns(ScanWarning, match=r"broken\.yaml"):  # broken.yaml is outside `first`
        summary = scan([str(tree)], str(part), workers=2, progress=False)
    assert summary.files_skipped == len(list(first.rglob("*.yaml"))) > 0
    assert sorted(map(_key, read_rows(str(part)))) == sorted(map(_key, read_rows(str(full))))
    again = scan([str(tree)], str(part), workers=2, progress=False)
    assert again.files_scanned == 0 and again.files_skipped == summary.files_found


def _key(row):
    return json.dumps(row, sort_keys=True)


@needs_corpus
@pytest.mark.parametrize("ext", ["jsonl", "csv"])
def test_resume_cuts_a_torn_tail(ext, tmp_path):
    tree = small_tree(tmp_path / "in")
    out = tmp_path / f"r.{ext}"
    with pytest.warns(ScanWarning, match=r"broken\.yaml"):
        scan([str(tree)], str(out), workers=1, progress=False)
    clean = read_rows(str(out))
    with open(out, "ab") as f:  # rows written after the last recorded batch, cut mid-line
        f.write(b'{"file": "half a row')
    summary = scan([str(tree)], str(out), workers=1, progress=False)
    assert summary.files_scanned == 0
    assert read_rows(str(out)) == clean


@needs_corpus
@pytest.mark.parametrize("ext", ["db", "jsonl", "csv", "parquet"])
def test_changed_file_is_rescanned_and_replaced(ext, tmp_path, monkeypatch):
    if ext == "parquet":
        pytest.importorskip("pyarrow")
        # the first scan stops before the conversion, as if killed: its JSONL journal is resumed
        monkeypatch.setattr(writers_mod._Parquet, "finish", lambda self: None)
    tree = small_tree(tmp_path / "in")
    out = tmp_path / f"r.{ext}"
    with pytest.warns(ScanWarning, match=r"broken\.yaml"):
        scan([str(tree)], str(out), workers=1, progress=False)
    monkeypatch.undo()
    n = len(read_rows(str(out) + ".partial.jsonl" if ext == "parquet" else str(out)))
    target = tree / "capture.sse"
    target.write_bytes(target.read_bytes() + b"\n")  # new size and mtime
    summary = scan([str(tree)], str(out), workers=1, progress=False)
    assert summary.files_scanned == 1
    rows = read_rows(str(out))
    assert len(rows) == n and sum(1 for r in rows if r["file"] == str(target)) == 1
    ref = tmp_path / f"ref.{ext}"
    with pytest.warns(ScanWarning, match=r"broken\.yaml"):
        scan([str(tree)], str(ref), workers=1, progress=False)
    assert sorted(map(_key, rows)) == sorted(map(_key, read_rows(str(ref))))
    assert not list(tmp_path.glob("*.rewrite"))


@needs_corpus
@pytest.mark.parametrize("ext", ["jsonl", "csv", "db"])
@no_fork_under_asan
def test_changed_cassette_rows_are_replaced(ext, tmp_path):
    """A cassette of several interactions, changed: its old rows all go, the others stay as written."""
    tree = small_tree(tmp_path / "in")
    out = tmp_path / f"r.{ext}"
    with pytest.warns(ScanWarning, match=r"broken\.yaml"):
        scan([str(tree)], str(out), workers=1, progress=False)
    before = read_rows(str(out))
    target = next(p for p in sorted(tree.rglob("*.yaml"))
                  if sum(1 for r in before if r["file"] == str(p)) > 1)
    target.write_bytes(target.read_bytes() + b"\n")
    assert scan([str(tree)], str(out), workers=2, progress=False).files_scanned == 1
    after = read_rows(str(out))
    assert [r for r in after if r["file"] != str(target)] == [r for r in before if r["file"] != str(target)]
    assert sorted(map(_key, after)) == sorted(map(_key, before))
    if ext == "csv":
        assert out.read_text().count(",".join(NAMES)) == 1
    if ext == "db":   # the index by file: made at the end of the first scan, kept by the second
        db = sqlite3.connect(out)
        assert [r[1] for r in db.execute("PRAGMA index_list(interactions)")] == ["interactions_file"]
        db.close()


def test_sqlite_index_made_at_close_and_before_a_delete(tmp_path):
    """The rows-by-file index is built once: before the first DELETE of a rescan, else at close."""
    w = writers_mod.open_writer(str(tmp_path / "r.db"), "sqlite")
    w.done()
    row = ("a.yaml",) + (None,) * (len(NAMES) - 1)
    w.write([("a.yaml", 1, 1, [row])])
    assert not w.indexed
    w.close()
    db = sqlite3.connect(tmp_path / "r.db")
    assert [r[1] for r in db.execute("PRAGMA index_list(interactions)")] == ["interactions_file"]
    db.execute("DROP INDEX interactions_file")
    db.commit()
    db.close()
    w = writers_mod.open_writer(str(tmp_path / "r.db"), "sqlite")
    w.done()
    w.write([("a.yaml", 2, 2, [row, row])])   # recorded before: its old row goes, through the index
    assert w.indexed
    w.close()
    db = sqlite3.connect(tmp_path / "r.db")
    assert db.execute("SELECT COUNT(*) FROM interactions").fetchone() == (2,)
    db.close()


class _Crash(BaseException):
    """The process dying at a chosen point."""


@needs_corpus
@pytest.mark.parametrize("ext", ["jsonl", "csv"])
@pytest.mark.parametrize("crash_at", [1, 2], ids=["before-output-rename", "between-renames"])
def test_interrupted_rewrite_is_recovered(ext, crash_at, tmp_path, monkeypatch):
    """A crash while dropping a changed file's rows: the next run still ends with one set of rows per file."""
    tree = small_tree(tmp_path / "in")
    out = tmp_path / f"r.{ext}"
    with pytest.warns(ScanWarning, match=r"broken\.yaml"):
        scan([str(tree)], str(out), workers=1, progress=False)
    target = tree / "capture.sse"
    target.write_bytes(target.read_bytes() + b"\n")
    real, calls = os.replace, []

    def replace(src, dst):
        calls.append(dst)
        if len(calls) == crash_at:
            raise _Crash()
        real(src, dst)

    monkeypatch.setattr(os, "replace", replace)
    with pytest.raises(_Crash):
        scan([str(tree)], str(out), workers=1, progress=False)
    monkeypatch.undo()
    summary = scan([str(tree)], str(out), workers=1, progress=False)
    assert summary.files_scanned == 1
    ref = tmp_path / f"ref.{ext}"
    with pytest.warns(ScanWarning, match=r"broken\.yaml"):
        scan([str(tree)], str(ref), workers=1, progress=False)
    assert sorted(map(_key, read_rows(str(out)))) == sorted(map(_key, read_rows(str(ref))))
    assert not list(tmp_path.glob("*.rewrite"))


KILL_SCRIPT = r"""
import sys, time
import pyfantasy._tools.scan.pool as pool
import pyfantasy.scan as s
real = pool._work
def slow(task):
    time.sleep(0.02)  # keep the scan running long enough to be killed in the middle
    return real(task)
pool._work = slow
s.scan([sys.argv[1]], sys.argv[2], workers=1, progress=False, commit_files=5, commit_seconds=0.05)
"""


@needs_corpus
@pytest.mark.parametrize("ext", ["db", "jsonl"])
@no_fork_under_asan
def test_resume_after_kill(ext, tmp_path):
    """SIGKILL in the middle of a scan: the re-run keeps the committed rows and finishes the rest."""
    tree = tmp_path / "in"
    shutil.copytree(CORPUS / "fantasy" / "TestOpenRouterCommon", tree / "a")
    shutil.copytree(CORPUS / "fantasy" / "TestAnthropicCommon", tree / "b")
    out = tmp_path / f"r.{ext}"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-c", KILL_SCRIPT, str(tree), str(out)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    done_files = 0
    while time.monotonic() < deadline and proc.poll() is None:
        done_files = files_done(out)
        if done_files >= 10:
            break
        time.sleep(0.05)
    assert proc.poll() is None, "the scan finished before it could be interrupted"
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert done_files >= 10
    summary = scan([str(tree)], str(out), workers=2, progress=False)
    assert summary.files_skipped >= 10 and summary.files_scanned > 0
    ref = tmp_path / f"ref.{ext}"
    scan([str(tree)], str(ref), workers=1, progress=False)
    assert sorted(map(_key, read_rows(str(out)))) == sorted(map(_key, read_rows(str(ref))))


# --- command line -----------------------------------------------------------------------------------

def test_progress_bar_only_when_asked(tmp_path):
    (tmp_path / "a.sse").write_bytes(b"data: {}\n\n")
    rc, _, err = run_cli(tmp_path, "--out", tmp_path / "r.db", "--progress")
    assert rc == 0 and "\r[" in err and "1/1 files" in err
    rc, _, err = run_cli(tmp_path, "--out", tmp_path / "r2.db")  # stderr is not a TTY here
    assert rc == 0 and "\r[" not in err


def test_progress_bar_while_the_walk_goes_on():
    """The bar draws at once: files found so far with a "+" while the walk goes on, the share
    and the time left once every file is known; each line covers the longer one before it."""
    import io
    from pyfantasy._tools.scan.run import _Pending, _Progress
    tasks = [(f"f{k}", 1000, 1) for k in range(10)]
    pending = _Pending(iter(tasks))
    out = io.StringIO()
    bar = _Progress(pending, out)
    it = iter(pending)
    for _ in range(4):
        next(it)
    bar.update(2, 2000, final=True)
    first = out.getvalue()
    assert "2/4+ files" in first and "still listing" in first and "#" not in first, first
    list(it)
    bar.update(5, 5000, final=True)
    second = out.getvalue()[len(first):]
    assert second.startswith("\r[" + "#" * 15 + "." * 15 + "] 5/10 files") and "ETA" in second, second
    assert len(second.rstrip("\n")) >= len(first.rstrip("\n")), (first, second)
    empty = io.StringIO()
    _Progress(_Pending(iter(())), empty).update(0, 0, final=True)   # nothing to scan: no bar
    assert empty.getvalue() == ""


def test_usage_errors(tmp_path):
    rc, _, err = run_cli(tmp_path, "--workers", "0")
    assert rc == 2 and "--workers" in err
    rc, _, err = run_cli(tmp_path, "--out", tmp_path / "r.db", "--quiet")
    assert rc == 0 and "no cassette" in err


def test_module_entry_point(tmp_path):
    (tmp_path / "a.sse").write_bytes(b"data: {}\n\n")
    proc = subprocess.run([sys.executable, "-m", "pyfantasy", "scan", str(tmp_path), "--out",
                           str(tmp_path / "r.jsonl"), "--workers", "1"], capture_output=True, text=True,
                          timeout=120, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.returncode == 0, proc.stderr
    assert "1 file scanned" in proc.stderr
    assert len(read_rows(str(tmp_path / "r.jsonl"))) == 1


def test_warning_category(tmp_path):
    (tmp_path / "bad.yaml").write_bytes(b"nope: [\n")
    with pytest.warns(ScanWarning, match="bad.yaml"):
        summary = scan([str(tmp_path)], str(tmp_path / "r.db"), workers=1, progress=False)
    assert summary.broken_files == [str(tmp_path / "bad.yaml")]


def test_empty_cassette_gives_no_rows_but_is_recorded(tmp_path):
    (tmp_path / "empty.yaml").write_bytes(Cassette().dumps())
    c = Cassette([Interaction(request=Request(url="https://api.openai.com/v1/chat/completions",
                                              body='{"model":"m"}'),
                              response=Response(code=500, status="500 Internal Server Error",
                                                body='{"error":{"message":"boom"}}'))])
    (tmp_path / "err.yaml").write_bytes(c.dumps())
    summary = scan([str(tmp_path)], str(tmp_path / "r.db"), workers=1, progress=False)
    assert summary.files_scanned == 2 and summary.rows == 1
    (row,) = read_rows(str(tmp_path / "r.db"))
    assert row["error_kind"] == "http-status" and row["model"] == "m" and row["provider"] == "openai"
    again = scan([str(tmp_path)], str(tmp_path / "r.db"), workers=1, progress=False)
    assert again.files_skipped == 2


@needs_corpus
@pytest.mark.skipif(sys.platform != "linux", reason="workers inherit the patched module by fork")
@no_fork_under_asan
def test_a_worker_that_dies_costs_one_error_row(tmp_path, monkeypatch):
    """A crash in a worker process (here: os._exit on one file) neither hangs nor ends the
    scan: that file is one 'crash' row, every other file is decoded as usual."""
    tree = tmp_path / "in"
    for rel in ("fantasy/TestOpenRouterCommon/openai", "fantasy/TestAnthropicCommon/claude-sonnet-4"):
        shutil.copytree(CORPUS / rel, tree / rel.replace("/", "_"))
    victim = sorted(tree.rglob("*.yaml"))[3]
    shutil.copy(victim, tree / "crash.yaml")
    expected = sorted((r["file"], r["interaction"]) for r in iter_rows([str(tree)], workers=1)
                      if not r["file"].endswith("crash.yaml"))
    real = scan_mod.scan_bytes

    def dying(data, path="<bytes>", **kw):
        if path.endswith("crash.yaml"):
            os._exit(3)
        return real(data, path, **kw)

    monkeypatch.setattr(rows_mod, "scan_bytes", dying)  # what scan_file calls
    with pytest.warns(ScanWarning, match=r"crash\.yaml: the process decoding this file died"):
        summary = scan_mod.scan([str(tree)], str(tmp_path / "r.db"), workers=2, progress=False)
    rows = read_rows(str(tmp_path / "r.db"))
    crashed = [r for r in rows if r["file"].endswith("crash.yaml")]
    assert len(crashed) == 1 and crashed[0]["error_kind"] == "crash", crashed
    assert sorted((r["file"], r["interaction"]) for r in rows if r not in crashed) == expected
    assert summary.files_scanned == len(list(tree.rglob("*.yaml")))


def test_a_path_that_does_not_exist_is_a_usage_error(tmp_path):
    rc, _, err = run_cli(tmp_path / "nowhere", "--out", tmp_path / "r.db", "--quiet")
    assert rc == 2 and "no such file or folder" in err and "nowhere" in err
    assert not (tmp_path / "r.db").exists()


def test_parquet_resumes_like_the_other_formats(tmp_path):
    """A re-run skips the files already in the Parquet output (it rescanned everything), a
    changed file replaces its rows, and a Parquet file changed by someone else is redone."""
    pytest.importorskip("pyarrow")
    tree = tmp_path / "in"
    shutil.copytree(ROOT / "pyfantasy" / "samples", tree)
    out = tmp_path / "r.parquet"
    first = scan([str(tree)], str(out), workers=1, progress=False)
    assert (first.files_scanned, first.files_skipped) == (7, 0)
    rows = read_rows(str(out))
    again = scan([str(tree)], str(out), workers=1, progress=False)
    assert (again.files_scanned, again.files_skipped) == (0, 7)
    assert read_rows(str(out)) == rows
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in", "r.parquet", "r.parquet.scan-state"]
    target = tree / "openai_chat_simple.yaml"
    target.write_bytes(target.read_bytes() + b"\n")
    changed = scan([str(tree)], str(out), workers=1, progress=False)
    assert (changed.files_scanned, changed.files_skipped) == (1, 6)
    assert sorted(map(_key, read_rows(str(out)))) == sorted(map(_key, rows))
    import pyarrow.parquet as pq
    pq.write_table(pq.read_table(str(out)).slice(0, 1), str(out))   # replaced by someone else
    redone = scan([str(tree)], str(out), workers=1, progress=False)
    assert redone.files_scanned == 7 and sorted(map(_key, read_rows(str(out)))) == sorted(map(_key, rows))


def test_error_offset_column(tmp_path):
    """Decode errors keep their byte offset (the report's errors section shows it)."""
    body = loads((ROOT / "pyfantasy/samples/anthropic_thinking_streaming.yaml").read_bytes()).interactions[0]
    data = body.response.body_bytes
    cut = data[:len(data) // 2]
    (row,) = scan_bytes(cut, "cut.sse")
    d = dict(zip(NAMES, row))
    assert d["error_kind"] == "truncated" and d["error_offset"] == len(cut)
    assert NAMES[-1] == "error_offset"


def test_results_of_an_older_pyfantasy_are_extended(tmp_path):
    """An SQLite output without the newer columns gets them (the scan used to fail on
    INSERT); a CSV output with another header is written again from the start."""
    tree = tmp_path / "in"
    shutil.copytree(ROOT / "pyfantasy" / "samples", tree)
    db = tmp_path / "old.db"
    con = sqlite3.connect(db)
    con.execute("CREATE TABLE interactions (" + ", ".join(f'"{n}" {t}' for n, t in COLUMNS[:-1]) + ")")
    con.commit()
    con.close()
    assert scan([str(tree)], str(db), workers=1, progress=False).files_scanned == 7
    assert len(read_rows(str(db))) == len(read_rows_ref(tree, tmp_path))
    csv_out = tmp_path / "old.csv"
    scan([str(tree)], str(csv_out), workers=1, progress=False)
    text = csv_out.read_text().replace(",error_offset", "", 1)
    csv_out.write_text(text)
    assert scan([str(tree)], str(csv_out), workers=1, progress=False).files_scanned == 7
    assert csv_out.read_text().splitlines()[0] == ",".join(NAMES)


def read_rows_ref(tree, tmp_path):
    ref = tmp_path / "ref.jsonl"
    scan([str(tree)], str(ref), workers=1, progress=False)
    return read_rows(str(ref))
