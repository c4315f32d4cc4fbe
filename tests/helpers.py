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
from typing import Any, List, Optional, Sequence, Tuple

import pytest

from pyfantasy._kernels import native_available
from pyfantasy.cassette import load
from pyfantasy.decode import detect_format

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
# The shared corpus sits beside the repository (../shared/corpus); PYFANTASY_CORPUS overrides.
CORPUS = Path(os.environ.get("PYFANTASY_CORPUS", ROOT.parent / "shared" / "corpus"))


def env_flag(name: str) -> bool:
    """True when the environment variable is set to anything but empty, 0, false or no."""
    return os.environ.get(name, "").strip().lower() not in ("", "0", "false", "no")


def corpus_required() -> bool:
    """In CI (``CI``, or ``PYFANTASY_REQUIRE_CORPUS`` which .ci/run sets) a missing corpus is a failure."""
    return env_flag("CI") or env_flag("PYFANTASY_REQUIRE_CORPUS")


def missing_corpus() -> Optional[str]:
    """Why the corpus cannot be used (naming the folder), or None when it is there."""
    if CORPUS.is_dir():
        return None
    return (f"the shared corpus folder {CORPUS} does not exist (PYFANTASY_CORPUS overrides "
            f"../shared/corpus); the corpus-driven tests cannot run without it")


def native_problem() -> Optional[str]:
    """Why the C extension cannot be used, or None when it loads."""
    if native_available():
        return None
    from pyfantasy import _kernels as kernels
    return f"native extension not built ({kernels._native_error})"


def skip_or_fail_without_native() -> None:
    """The one decision for a test that needs the C extension and it is missing:
    skip, or fail when PYFANTASY_REQUIRE_NATIVE is set (so CI cannot go green without it)."""
    problem = native_problem()
    if problem is None:
        return
    if env_flag("PYFANTASY_REQUIRE_NATIVE"):
        pytest.fail(f"{problem}, and PYFANTASY_REQUIRE_NATIVE is set", pytrace=False)
    pytest.skip(problem)


def check_session_environment() -> None:
    """At start-up: in CI the corpus must be there, and a required extension must load.

    Raises pytest.UsageError (the run stops with this message) instead of letting
    thousands of tests skip or vanish from collection.
    """
    problem = missing_corpus()
    if problem and corpus_required():
        raise pytest.UsageError(f"{problem}; CI requires it (CI / PYFANTASY_REQUIRE_CORPUS is set)")
    problem = native_problem()
    if problem and env_flag("PYFANTASY_REQUIRE_NATIVE"):
        raise pytest.UsageError(f"{problem}, and PYFANTASY_REQUIRE_NATIVE is set")


# The backend parameter; conftest marks the native one ``native`` and ``needs_native``.
BACKEND_PARAMS = ["python", "native"]


def corpus_files():
    """All cassette files of the shared corpus, sorted (empty when the corpus is absent:
    conftest then turns the empty parameter sets into skips naming the folder, or, in CI,
    stops the run before collection)."""
    if not CORPUS.is_dir():
        return []
    return sorted(p for p in CORPUS.rglob("*") if p.suffix in (".yaml", ".yml"))


needs_corpus = pytest.mark.skipif(not CORPUS.is_dir(), reason=missing_corpus() or "")


def skip_without_corpus() -> None:
    """Inside a test: skip when the corpus is absent (CI never gets here: the run stops first)."""
    problem = missing_corpus()
    if problem:
        pytest.skip(problem)


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
    """The worked examples of docs/semantics.md#worked-examples (expected Go JSON)."""
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
        # the object is the text (JSON mode) or the input of the forced tool call, and it
        # must match the schema the recorded request asked for
        its = cassette(rel).interactions
        assert len(its) == len(responses), (len(its), len(responses))
        it = its[-1]
        wf = detect_format(it)
        schema, tool = requested_schema(wf.format, json.loads(it.request.body))
        if tool is None:
            obj = json.loads(last)
        else:
            forced = [c for c in calls[-1] if c.tool_name == tool]
            assert len(forced) == 1 and not forced[0].invalid, (tool, calls[-1])
            obj = json.loads(forced[0].input)
        errors = schema_errors(obj, schema)
        assert not errors, (rel, errors, obj)
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
        has_reasoning = any(p.type == "reasoning" for r in responses for p in (r.content or []))
        if _is_openai_chat(cassette(rel).interactions[0]):
            # OpenAI/Azure chat completions never return reasoning text, only its token count
            assert has_reasoning or any(r.usage.reasoning_tokens > 0 for r in responses), rel
        else:
            assert has_reasoning, rel
        assert "Florence" in last and "40" in last, last


def _is_openai_chat(it) -> bool:
    """OpenAI's own chat completions API (api.openai.com or an Azure OpenAI resource)."""
    from urllib.parse import urlsplit
    host = (urlsplit(it.request.url).hostname or "").lower()
    return detect_format(it).format == "openai-chat" and (
        host == "api.openai.com" or host.endswith(".openai.azure.com"))


def requested_schema(fmt: str, req: dict):
    """``(schema, forced_tool_name)`` of an object-generation request: the JSON schema the
    request asked the model to follow, and the tool whose input carries the object (None
    when the object is the text: response_format / text.format / responseJsonSchema)."""
    def forced_tool(tools, name_of, schema_of):
        choice = req.get("tool_choice") or {}
        name = (choice.get("function") or {}).get("name") or choice.get("name")
        found = [t for t in tools if name_of(t) == name]
        assert name and len(found) == 1, ("no forced tool in the request", choice)
        return schema_of(found[0]), name

    if fmt == "openai-chat":
        rf = req.get("response_format")
        if rf:
            assert rf.get("type") == "json_schema", rf
            return rf["json_schema"]["schema"], None
        return forced_tool(req.get("tools") or [], lambda t: (t.get("function") or {}).get("name"),
                           lambda t: t["function"]["parameters"])
    if fmt == "openai-responses":
        tf = (req.get("text") or {}).get("format")
        if tf:
            assert tf.get("type") == "json_schema", tf
            return tf["schema"], None
        return forced_tool(req.get("tools") or [], lambda t: t.get("name"), lambda t: t["parameters"])
    if fmt in ("anthropic", "bedrock"):
        return forced_tool(req.get("tools") or [], lambda t: t.get("name"), lambda t: t["input_schema"])
    if fmt == "google":
        gc = req.get("generationConfig") or {}
        for key in ("responseJsonSchema", "responseSchema"):
            if key in gc:
                return gc[key], None
        raise AssertionError(f"no response schema in the generationConfig: {sorted(gc)}")
    raise AssertionError(f"no object schema for format {fmt!r}")


# the JSON-schema subset the object requests use; annotations are ignored, anything
# else is refused so that an unchecked constraint cannot pass silently
_SCHEMA_KEYWORDS = {"type", "properties", "required", "items", "additionalProperties", "enum"}
_SCHEMA_ANNOTATIONS = {"description", "title", "$schema", "default", "examples", "propertyOrdering"}


def _type_ok(value, typ: str) -> bool:
    typ = typ.lower()  # Gemini's OpenAPI schemas spell types in capitals
    if typ == "object":
        return isinstance(value, dict)
    if typ == "array":
        return isinstance(value, list)
    if typ == "string":
        return isinstance(value, str)
    if typ == "boolean":
        return isinstance(value, bool)
    if typ == "null":
        return value is None
    if typ == "integer":
        return (isinstance(value, int) and not isinstance(value, bool)) or \
            (isinstance(value, float) and value.is_integer())
    if typ == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    raise AssertionError(f"unsupported schema type {typ!r}")


def schema_errors(value, schema: dict, path: str = "$") -> List[str]:
    """Where ``value`` breaks ``schema`` (a small JSON-schema subset); empty when it matches."""
    unknown = set(schema) - _SCHEMA_KEYWORDS - _SCHEMA_ANNOTATIONS
    assert not unknown, f"schema keywords not supported by this validator at {path}: {sorted(unknown)}"
    if "type" in schema:
        types = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        if not any(_type_ok(value, t) for t in types):
            return [f"{path}: expected {schema['type']}, got {type(value).__name__} {value!r}"]
    if "enum" in schema and value not in schema["enum"]:
        return [f"{path}: {value!r} not in {schema['enum']}"]
    errors: List[str] = []
    if isinstance(value, dict):
        props = schema.get("properties") or {}
        errors += [f"{path}: missing required key {k!r}" for k in schema.get("required") or []
                   if k not in value]
        for k, v in value.items():
            if k in props:
                errors += schema_errors(v, props[k], f"{path}.{k}")
            elif schema.get("additionalProperties") is False:
                errors.append(f"{path}: unexpected key {k!r}")
            elif isinstance(schema.get("additionalProperties"), dict):
                errors += schema_errors(v, schema["additionalProperties"], f"{path}.{k}")
    if isinstance(value, list) and isinstance(schema.get("items"), dict):
        for i, v in enumerate(value):
            errors += schema_errors(v, schema["items"], f"{path}[{i}]")
    return errors


# Under the sanitizer job (LD_PRELOAD=libasan.so), RSS measures ASan's quarantine of freed
# memory and its shadow, not the code under test: memory-size tests skip there.
UNDER_ASAN = "libasan" in os.environ.get("LD_PRELOAD", "")
skip_under_asan = pytest.mark.skipif(UNDER_ASAN, reason="under AddressSanitizer RSS measures its quarantine of "
                                                        "freed memory, not the code's")
# A scan with several workers forks them from a process with threads; under GCC 12's ASan
# runtime such a child can deadlock on the runtime's own lock (seen in the sanitizer job).
# The pool is Python code: under ASan the C paths are run with one worker instead.
no_fork_under_asan = pytest.mark.skipif(UNDER_ASAN, reason="forks scan workers from a threaded process, which "
                                                           "can deadlock under the ASan runtime")


def json_paths(v, path=()):
    """Every path to a value inside a parsed JSON value (the mutation tests' targets)."""
    yield path
    if isinstance(v, dict):
        for k, x in v.items():
            yield from json_paths(x, path + (k,))
    elif isinstance(v, list):
        for k, x in enumerate(v):
            yield from json_paths(x, path + (k,))


def json_replace(v, path, new):
    """``v`` with the value at ``path`` replaced by ``new`` (containers changed in place)."""
    if not path:
        return new
    v[path[0]] = json_replace(v[path[0]], path[1:], new)
    return v


def falls_back(body: bytes, fmt: str, variant: str = "") -> bool:
    """Whether the C state machine of ``fmt`` hands this whole body back to the Python one."""
    from pyfantasy._kernels.native.decoders import Fallback, PartReader
    try:
        PartReader(fmt, variant).feed(body, True)
    except Fallback:
        return True
    return False


def share_of_cuts_in_c(bodies: Sequence[bytes], fmt: str, seed: int, per_body: int = 5) -> float:
    """The share of random prefixes (``per_body`` of each body) that the C machine of ``fmt``
    decodes itself: a differential test over them is not only Python against itself."""
    import random
    rng = random.Random(seed)
    cuts = [body[:rng.randrange(len(body))] for body in bodies for _ in range(per_body)]
    return sum(not falls_back(c, fmt) for c in cuts) / len(cuts)


def document_result(body: bytes, fmt: str, backend: str, variant: str = ""):
    """A non-streaming body's Response (Go JSON bytes) or DecodeError, comparable across backends."""
    from pyfantasy import DecodeError
    from pyfantasy.decode import decode_body
    try:
        return ("ok", decode_body(body, fmt, False, backend, variant=variant or None).to_json_bytes())
    except DecodeError as e:
        return ("error", e.kind, e.message, e.offset)


def document_in_c(body: bytes, fmt: str, variant: str = "") -> bool:
    """Whether the C machine of ``fmt``'s non-streaming bodies reads this one itself."""
    from pyfantasy._kernels.native.decoders import document_step
    from pyfantasy.decode import _format, _variant
    return document_step(fmt, _variant(_format(fmt), variant or None, None))(body, None) is not None


def same_document(body: bytes, fmt: str, variant: str = "") -> None:
    """Both backends give the same result for a non-streaming body."""
    assert document_result(body, fmt, "native", variant) == document_result(body, fmt, "python", variant)


def check_corpus_document(rel: str, iid: int, handed_back: Tuple[bytes, ...] = ()) -> None:
    """A recorded non-streaming body: the same result on both backends, read by the C machine
    itself unless it holds one of the ``handed_back`` markers (shapes C leaves to Python)."""
    from pyfantasy.decode import detect_format
    it = interaction(rel, iid)
    if it.response.code >= 400:
        pytest.skip("an HTTP error: decode_interaction's own path")
    wf, body = detect_format(it), it.response.body_bytes
    same_document(body, wf.format, wf.variant)
    if not any(m in body for m in handed_back):
        assert document_in_c(body, wf.format, wf.variant), "the C machine handed a recorded body back"


def mutated_json(values: Sequence[Any], replacements: Sequence[Any], separators=None, ensure_ascii=None):
    """A hypothesis strategy: one of ``values`` (parsed JSON) with 1 to 3 values inside replaced
    by ``replacements``, as JSON bytes (lone surrogates kept as "surrogatepass" writes them)."""
    import copy
    from hypothesis import strategies as st

    @st.composite
    def strategy(draw):
        v = copy.deepcopy(draw(st.sampled_from(list(values))))
        for _ in range(draw(st.integers(1, 3))):
            path = draw(st.sampled_from(list(json_paths(v))))
            v = json_replace(v, path, copy.deepcopy(draw(st.sampled_from(list(replacements)))))
        seps = draw(st.sampled_from(separators)) if separators else None
        ascii_ = draw(st.booleans()) if ensure_ascii is None else ensure_ascii
        return json.dumps(v, separators=seps, ensure_ascii=ascii_).encode("utf-8", "surrogatepass")
    return strategy()


def run_in_threads(work, n: int = 4) -> None:
    """``work(k)`` for k in 0..n-1, each in a thread of its own, all at once; returns when all end."""
    import threading
    threads = [threading.Thread(target=work, args=(k,)) for k in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def files_done(out: Path) -> int:
    """How many files a scan's output records as done so far (its SQLite `files` table, or
    the state file beside a .jsonl/.csv/.parquet output); 0 before there is any."""
    import sqlite3
    if out.suffix == ".db":
        if not out.exists():
            return 0
        try:
            db = sqlite3.connect(f"file:{out}?mode=ro", uri=True, timeout=0.1)
            try:
                return db.execute("SELECT count(*) FROM files").fetchone()[0]
            finally:
                db.close()
        except sqlite3.Error:
            return 0
    state = Path(str(out) + ".scan-state")
    if not state.exists():
        return 0
    n = 0
    for line in state.read_text().splitlines():
        try:
            n += len(json.loads(line)["files"])
        except ValueError:
            pass
    return n
