"""Giving the wire format explicitly: streaming then follows that format's own rule
(the URL may say nothing), ``stream=`` / ``--stream`` force it, and the CLI reports
bad format names and undetectable URLs clearly."""
from __future__ import annotations

import contextlib
import copy
import io
import json

import pytest

from helpers import cassette, interaction, interactions, needs_corpus
from pyfantasy import DecodeError
from pyfantasy._providers.formats import FORMATS, stream_rule
from pyfantasy.cassette import Cassette
from pyfantasy.cli import main
from pyfantasy.decode import decode_interaction, detect_format

PROXY = "https://proxy.example/v9/chat"


def _rewrite(it, url=PROXY, ctype=True):
    """A copy of a recorded interaction sent to ``url``; ``ctype=False`` drops the response Content-Type."""
    it = copy.deepcopy(it)
    it.request.url = url
    it.request.host = url.split("/")[2]
    if not ctype:
        it.response.headers.pop("Content-Type", None)
    return it


def _corpus(fmt, stream=None, variants=("", "compat")):
    """Corpus interactions of a format whose output does not depend on the host (no host-chosen hook set)."""
    out = []
    for p in interactions(fmt, stream):
        it = interaction(*p.values)
        if detect_format(it).variant in variants:
            out.append(it)
    return out


def _cli(argv):
    """Run ``pyfantasy`` in-process: (exit status, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(argv)
        except SystemExit as exc:  # argparse usage errors
            code = exc.code
    return code, out.getvalue(), err.getvalue()


# ---- the rule ------------------------------------------------------------------

@pytest.mark.parametrize("fmt,url,body,ctype,expected", [
    ("openai-chat", PROXY, '{"stream":true}', "", True),
    ("openai-chat", PROXY, '{"stream":false}', "application/json", False),
    ("openai-responses", PROXY, '{"stream":true}', "", True),
    ("openai-responses", PROXY, "{}", "", False),
    ("anthropic", PROXY, '{"stream":true}', "", True),
    ("anthropic", PROXY, '{"stream":"yes"}', "application/json", False),
    ("anthropic", "https://proxy.example/m:streamRawPredict", "{}", "", True),
    ("google", "https://proxy.example/m:streamGenerateContent?alt=sse", "{}", "", True),
    ("google", "https://proxy.example/m:generateContent", '{"stream":true}', "", False),
    ("bedrock", "https://proxy.example/model/x/invoke-with-response-stream", "{}", "", True),
    ("bedrock", PROXY, "{}", "application/vnd.amazon.eventstream", True),
    ("bedrock", "https://proxy.example/model/x/invoke", '{"stream":true}', "application/json", False),
    # the fallback: an SSE response streams whatever the request said
    ("openai-chat", PROXY, "{}", "text/event-stream; charset=utf-8", True),
    ("google", PROXY, "{}", "Text/Event-Stream", True),
])
def test_stream_rule(fmt, url, body, ctype, expected):
    assert stream_rule(fmt, url, body, ctype) is expected


# ---- decode_interaction(format=...) --------------------------------------------

@needs_corpus
def test_issue_example_anthropic_sse_behind_a_proxy(backend):
    """The reported case: Anthropic SSE at an unknown URL with {"stream": true} in the request."""
    it = interaction(*interactions("anthropic", True)[0].values)
    moved = _rewrite(it)
    assert detect_format(moved).format == "unknown"
    assert detect_format(moved, "anthropic").stream is True
    got = decode_interaction(moved, backend, format="anthropic")
    assert got.to_json() == decode_interaction(it, backend).to_json()


@needs_corpus
@pytest.mark.parametrize("fmt", FORMATS)
def test_override_decodes_every_corpus_interaction_at_an_unknown_url(fmt, backend):
    """Each corpus interaction moved to an unknown URL decodes, with format=, as it did where recorded."""
    its = _corpus(fmt)
    assert its
    wrong = []
    for it in its:
        moved = _rewrite(it)
        assert detect_format(moved).format == "unknown"
        wf = detect_format(moved, fmt)
        if (wf.format, wf.stream) != (fmt, detect_format(it).stream):
            wrong.append((it.id, wf))
            continue
        if decode_interaction(moved, backend, format=fmt).to_json() != decode_interaction(it, backend).to_json():
            wrong.append((it.id, "different response"))
    assert wrong == []


@needs_corpus
@pytest.mark.parametrize("fmt", ["openai-chat", "openai-responses", "anthropic"])
def test_override_streams_from_the_request_flag_alone(fmt, backend):
    """With no response Content-Type to fall back on, the request's "stream": true decides."""
    its = _corpus(fmt, stream=True)
    assert its
    for it in its:
        moved = _rewrite(it, ctype=False)
        assert detect_format(moved, fmt).stream is True
        assert decode_interaction(moved, backend, format=fmt).to_json() == decode_interaction(it, backend).to_json()


@needs_corpus
def test_override_keeps_the_hosts_chat_hook_set(backend):
    """openai-chat at a known host but an unknown path keeps that host's hook set (openai, openrouter...)."""
    its = _corpus("openai-chat", variants=("openai", "openrouter", "vercel"))
    assert its
    for it in its:
        host = it.request.url.split("/")[2]
        moved = _rewrite(it, f"https://{host}/v9/chat")
        assert detect_format(moved, "openai-chat").variant == detect_format(it).variant
        got = decode_interaction(moved, backend, format="openai-chat")
        assert got.to_json() == decode_interaction(it, backend).to_json()


@needs_corpus
def test_stream_keyword_forces_streaming(backend):
    """stream=True decodes an SSE body the request does not flag; stream=False reads it as one document."""
    it = interaction(*interactions("openai-chat", True)[0].values)
    moved = _rewrite(it, ctype=False)
    moved.request.body = json.dumps({**json.loads(moved.request.body), "stream": False})
    with pytest.raises(DecodeError) as ei:
        decode_interaction(moved, backend, format="openai-chat")
    assert ei.value.kind == "json"
    got = decode_interaction(moved, backend, format="openai-chat", stream=True)
    assert got.to_json() == decode_interaction(it, backend).to_json()
    with pytest.raises(DecodeError) as ei:
        decode_interaction(it, backend, stream=False)
    assert ei.value.kind == "content-type" and "text/event-stream" in ei.value.message


@needs_corpus
def test_unknown_url_without_override_says_how_to_fix_it():
    it = _rewrite(interaction(*interactions("anthropic", True)[0].values))
    with pytest.raises(DecodeError) as ei:
        decode_interaction(it)
    assert ei.value.kind == "unknown-format"
    assert PROXY in ei.value.message and "--wire" in ei.value.message and "anthropic" in ei.value.message


# ---- the CLI -------------------------------------------------------------------

def _moved_cassette(tmp_path, fmt, stream, **kw):
    """A cassette file holding the corpus's first (fmt, stream) interactions moved to PROXY."""
    rel, _ = interactions(fmt, stream)[0].values
    its = [_rewrite(it, **kw) for it in cassette(rel).interactions]
    path = tmp_path / "moved.yaml"
    Cassette(interactions=its).save(path)
    return path, [decode_interaction(it).to_json() for it in cassette(rel).interactions]


def _rows(stdout):
    return [json.loads(line) for line in stdout.splitlines()]


@needs_corpus
@pytest.mark.parametrize("flags, deprecated", [
    (["--to", "jsonl", "--wire", "anthropic"], ""),
    (["--format", "jsonl", "--format", "anthropic"],
     "pyfantasy decode: --format jsonl is deprecated; use --to jsonl\n"
     "pyfantasy decode: --format anthropic is deprecated; use --wire anthropic\n"),
    (["--output", "jsonl", "--wire-format", "anthropic"],
     "pyfantasy decode: --output jsonl is deprecated; use --to jsonl (--output now names the output file)\n"
     "pyfantasy decode: --wire-format is deprecated; use --wire anthropic\n"),
])
def test_cli_wire_format_override(tmp_path, backend, flags, deprecated):
    """The new spellings, and the old ones still working with one deprecation line each."""
    path, expected = _moved_cassette(tmp_path, "anthropic", True)
    code, out, err = _cli(["decode", str(path), "--backend", backend, *flags])
    assert (code, err) == (0, deprecated)
    rows = _rows(out)
    assert [(r["format"], r["stream"], r["error"]) for r in rows] == [("anthropic", True, None)] * len(expected)
    assert [r["response"] for r in rows] == expected


@needs_corpus
def test_cli_stream_flags(tmp_path, backend):
    """--stream decodes SSE the request did not flag (no Content-Type either); --no-stream refuses it."""
    path, expected = _moved_cassette(tmp_path, "openai-chat", True, ctype=False)
    base = ["decode", str(path), "--to", "jsonl", "--wire", "openai-chat", "--backend", backend]
    code, out, _ = _cli(base + ["--stream"])
    assert code == 0 and [r["response"] for r in _rows(out)] == expected
    assert all(r["stream"] for r in _rows(out))
    code, out, _ = _cli(base + ["--no-stream"])
    rows = _rows(out)
    assert code == 1 and rows and all(not r["stream"] and r["error"]["kind"] == "json" for r in rows)


@needs_corpus
def test_cli_unknown_url_without_override(tmp_path, backend):
    path, _ = _moved_cassette(tmp_path, "anthropic", True)
    code, out, _ = _cli(["decode", str(path), "--to", "jsonl", "--backend", backend])
    rows = _rows(out)
    assert code == 1 and rows
    for r in rows:
        assert r["format"] == "unknown" and r["response"] is None
        assert r["error"]["kind"] == "unknown-format"
        assert "no known API path" in r["error"]["message"] and "--wire" in r["error"]["message"]


@pytest.mark.parametrize("flag", ["--wire", "--format", "--wire-format"])
def test_cli_bad_wire_format_name(tmp_path, flag):
    code, out, err = _cli(["decode", str(tmp_path), flag, "smoke-signals"])
    assert code == 2 and out == ""
    assert "smoke-signals" in err and "anthropic" in err and "Traceback" not in err
