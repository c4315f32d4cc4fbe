"""Record real SDKs against a local server, then replay the recording and compare.

The "provider" is pyfantasy's loopback ``ReplayServer`` serving a corpus
cassette over real HTTP/1.1. The official ``openai`` SDK (chat completions,
Responses API) and ``anthropic`` SDK (Messages, over ``httpx2``) talk to it
through ``ReplayTransport("record-only")`` wrapping a real ``HTTPTransport``,
which writes a new cassette. Then, with the server closed:
1. the recording loads and round-trips byte for byte;
2. its layout is what Go's recorder writes for such an exchange (version 2,
   Go's field order, headers filtered to Accept/Content-Type/User-Agent, a
   duration, no API key);
3. ``ReplayTransport("replay-only")`` under the same SDK gives the same final
   message (text, tool calls, finish reason, usage) as the live run;
4. ``decode_cassette`` of the recording equals that of the source cassette.
"""
from __future__ import annotations

import asyncio
import inspect
import json
import re

import httpx
import pytest

from helpers import CORPUS, needs_corpus
from pyfantasy._replay.match import request_target
from pyfantasy._replay.server import ReplayServer
from pyfantasy.cassette import Cassette, load, loads
from pyfantasy.decode import decode_cassette
from pyfantasy.replay import AsyncReplayTransport, ReplayTransport

# decodes on the default backend (marked for the sanitizer job of test_build.py)
pytestmark = [needs_corpus, pytest.mark.native, pytest.mark.filterwarnings("ignore::DeprecationWarning")]

CHUNK = 37  # the server and the replay cut bodies here, so SDKs reassemble split events
KEY = "sk-test-must-not-be-recorded"
OPENAI = "fantasy/TestOpenAICommon/openai-gpt-4o-mini/"
RESPONSES = "fantasy/TestOpenAIResponsesCommon/openai-gpt-4o-mini/"
ANTHROPIC = "fantasy/TestAnthropicCommon/claude-sonnet-4/"
# the top-level keys Go's recorder writes, in order, for an HTTP/1.1 chunked exchange
GO_REQUEST_KEYS = ["proto", "proto_major", "proto_minor", "content_length", "host", "body",
                   "headers", "url", "method"]
GO_RESPONSE_KEYS = ["proto", "proto_major", "proto_minor", "transfer_encoding", "content_length",
                    "body", "headers", "status", "code", "duration"]


# ---- helpers -----------------------------------------------------------------------------

def sdk_kwargs(fn, body: dict) -> dict:
    """The recorded body as SDK keyword arguments; unknown keys go in ``extra_body``."""
    params = inspect.signature(fn).parameters
    kw = {k: v for k, v in body.items() if k in params}
    extra = {k: v for k, v in body.items() if k not in params}
    if extra:
        kw["extra_body"] = extra
    return kw


def base_url(server: ReplayServer, source: Cassette, suffix: str) -> str:
    """The SDK base URL on the server: the recorded URL's path up to ``suffix``."""
    url = source.interactions[0].request.url
    return server.url + request_target(url[:url.index(suffix)]).rstrip("/")


def assert_server_gone(url: str) -> None:
    """Nothing answers at ``url`` any more, so a replay cannot be reaching the provider."""
    with pytest.raises(httpx.ConnectError):
        httpx.get(url, timeout=2, trust_env=False)


def record(lib, path, source: Cassette, suffix: str, run):
    """Run ``run(http, base)`` through a recording transport against a server for ``source``."""
    with ReplayServer([("provider", source)], chunk_size=CHUNK).start() as server:
        base = base_url(server, source, suffix)
        t = ReplayTransport(path, "record-only", real_transport=lib.HTTPTransport())
        with lib.Client(transport=t, trust_env=False) as http:
            live = run(http, base)
        assert t.recorded == len(source.interactions)
        assert not server.matcher.unplayed()
    assert_server_gone(server.url)
    return live, server.url, base


def replay(lib, path, base: str, run):
    """Run ``run(http, base)`` again from the recording alone (replay-only)."""
    t = ReplayTransport(path, chunk_size=CHUNK)
    with lib.Client(transport=t, trust_env=False) as http:
        out = run(http, base)
    assert not t.unplayed()
    return out


def check_recording(path, source: Cassette, server_url: str, agent: str) -> None:
    """Checks 1, 2 and 4 on the file at ``path``, recorded from a server replaying ``source``."""
    data = path.read_bytes()
    rec = load(path)
    assert loads(data).dumps() == data and rec.dumps() == data
    text = data.decode("utf-8")
    n = len(source.interactions)
    assert text.startswith("---\nversion: 2\ninteractions:\n- id: 0\n  request:\n")
    assert re.findall(r"^    ([a-z_]+):", text, re.M) == (GO_REQUEST_KEYS + GO_RESPONSE_KEYS) * n
    assert len(re.findall(r"^    duration: \d[\d.]*(ns|µs|ms|s)$", text, re.M)) == n
    assert KEY not in text and "Authorization" not in text and "X-Stainless" not in text
    assert len(rec.interactions) == n
    for i, (new, old) in enumerate(zip(rec.interactions, source.interactions)):
        req, resp = new.request, new.response
        assert new.id == i and req.method == "POST"
        assert req.url == server_url + request_target(old.request.url)
        assert json.loads(req.body) == json.loads(old.request.body)
        assert req.content_length == len(req.body_bytes)
        assert sorted(req.headers) == ["Accept", "Content-Type", "User-Agent"]
        assert req.headers["Content-Type"] == ["application/json"]
        assert req.headers["User-Agent"][0].startswith(agent)
        assert (resp.proto, resp.transfer_encoding, resp.content_length) == \
            ("HTTP/1.1", ["chunked"], -1)
        assert (resp.code, resp.status, resp.uncompressed) == (200, "200 OK", False)
        assert resp.headers == old.response.headers  # Content-Type only, as Go filters
        assert resp.body == old.response.body
        assert resp.duration_ns > 0
    assert [r.to_json() for r in decode_cassette(path)] == \
        [r.to_json() for r in decode_cassette(source)]


def agrees_with_decode(summaries, source: Cassette) -> None:
    """The SDK's text and tool calls are what pyfantasy decodes from the source cassette."""
    decoded = decode_cassette(source)
    assert len(summaries) == len(decoded)
    for (text, calls, _, _), r in zip(summaries, decoded):
        parts = r.content or []
        assert text == "".join(p.text for p in parts if p.type == "text")
        assert calls == [(p.tool_name, json.loads(p.input or "{}")) for p in parts
                         if p.type == "tool-call" and not p.provider_executed]
    assert summaries[-1][0] or summaries[-1][1]


def record_and_replay(tmp_path, lib, rel: str, suffix: str, agent: str, run_for):
    """Record ``rel`` through the SDK, replay it, check everything; the live summaries."""
    source = load(CORPUS / rel)
    path = tmp_path / "recorded.yaml"
    live, server_url, base = record(lib, path, source, suffix, lambda h, b: run_for(source, h, b))
    replayed = replay(lib, path, base, lambda h, b: run_for(source, h, b))
    assert replayed == live
    check_recording(path, source, server_url, agent)
    agrees_with_decode(live, source)
    return live


# ---- openai SDK: chat completions ----------------------------------------------------------

def chat_summary(completion, usage):
    """(text, tool calls, finish reason, usage) of a chat completion."""
    choice = completion.choices[0]
    calls = [(tc.function.name, json.loads(tc.function.arguments or "{}"))
             for tc in (choice.message.tool_calls or [])]
    return choice.message.content or "", calls, choice.finish_reason, usage


def run_chat(source: Cassette, http, base: str):
    """Send each recorded chat request with the openai SDK; summarise each answer."""
    openai = pytest.importorskip("openai")
    from openai.lib.streaming.chat import ChatCompletionStreamState
    client = openai.OpenAI(api_key=KEY, base_url=base, max_retries=0, http_client=http)
    out = []
    for it in source.interactions:
        body = json.loads(it.request.body)
        result = client.chat.completions.create(**sdk_kwargs(client.chat.completions.create, body))
        if body.get("stream"):
            state, usage = ChatCompletionStreamState(), None
            for chunk in result:
                if chunk.usage is not None:
                    usage = chunk.usage.model_dump()
                if chunk.choices:
                    state.handle_chunk(chunk)
            out.append(chat_summary(state.current_completion_snapshot, usage))
        else:
            out.append(chat_summary(result, result.usage.model_dump()))
    return out


@pytest.mark.parametrize("name", ["simple", "simple_streaming", "multi_tool", "multi_tool_streaming"])
def test_openai_chat_completions(tmp_path, name):
    pytest.importorskip("openai")
    live = record_and_replay(tmp_path, httpx, OPENAI + name + ".yaml", "/chat/completions",
                             "OpenAI/Python", run_chat)
    assert all(usage and usage["total_tokens"] > 0 for _, _, _, usage in live)
    if name.startswith("multi_tool"):
        assert live[0][2] == "tool_calls" and sorted(c[0] for c in live[0][1]) == ["add", "multiply"]
    assert live[-1][2] == "stop"


# ---- openai SDK: Responses API (streaming) ---------------------------------------------------

def run_responses(source: Cassette, http, base: str):
    """Stream each recorded Responses request with the openai SDK; summarise the final response."""
    openai = pytest.importorskip("openai")
    client = openai.OpenAI(api_key=KEY, base_url=base, max_retries=0, http_client=http)
    out = []
    for it in source.interactions:
        body = json.loads(it.request.body)
        assert body.get("stream") is True
        events = list(client.responses.create(**sdk_kwargs(client.responses.create, body)))
        final = next(e.response for e in events if e.type == "response.completed")
        calls = [(o.name, json.loads(o.arguments or "{}")) for o in final.output
                 if o.type == "function_call"]
        out.append((final.output_text, calls, final.status, final.usage.model_dump()))
    return out


@pytest.mark.parametrize("name", ["simple_streaming", "multi_tool_streaming"])
def test_openai_responses_streaming(tmp_path, name):
    pytest.importorskip("openai")
    live = record_and_replay(tmp_path, httpx, RESPONSES + name + ".yaml", "/responses",
                             "OpenAI/Python", run_responses)
    assert all(status == "completed" and usage["total_tokens"] > 0 for _, _, status, usage in live)


# ---- anthropic SDK (httpx2 clients) ------------------------------------------------------------

def run_messages(source: Cassette, http, base: str):
    """Send each recorded Messages request with the anthropic SDK; summarise each message."""
    anthropic = pytest.importorskip("anthropic")
    client = anthropic.Anthropic(api_key=KEY, base_url=base, max_retries=0, http_client=http)
    out = []
    for it in source.interactions:
        body = json.loads(it.request.body)
        if body.get("stream"):
            rest = {k: v for k, v in body.items() if k != "stream"}
            with client.messages.stream(**sdk_kwargs(client.messages.stream, rest)) as stream:
                for _ in stream:
                    pass
                message = stream.get_final_message()
        else:
            message = client.messages.create(**sdk_kwargs(client.messages.create, body))
        text = "".join(b.text for b in message.content if b.type == "text")
        calls = [(b.name, b.input) for b in message.content if b.type == "tool_use"]
        out.append((text, calls, message.stop_reason, message.usage.model_dump()))
    return out


@pytest.mark.parametrize("name", ["simple", "simple_streaming", "multi_tool", "multi_tool_streaming"])
def test_anthropic_messages(tmp_path, name):
    pytest.importorskip("anthropic")
    httpx2 = pytest.importorskip("httpx2")
    live = record_and_replay(tmp_path, httpx2, ANTHROPIC + name + ".yaml", "/v1/messages",
                             "Anthropic/Python", run_messages)
    assert all(usage["output_tokens"] > 0 for _, _, _, usage in live)
    if name.startswith("multi_tool"):
        assert live[0][2] == "tool_use" and sorted(c[0] for c in live[0][1]) == ["add", "multiply"]
    assert live[-1][2] == "end_turn"


# ---- async: openai.AsyncOpenAI over AsyncReplayTransport ----------------------------------------

async def run_chat_async(source: Cassette, http, base: str):
    """``run_chat`` (streaming requests) with ``openai.AsyncOpenAI``."""
    import openai
    from openai.lib.streaming.chat import ChatCompletionStreamState
    client = openai.AsyncOpenAI(api_key=KEY, base_url=base, max_retries=0, http_client=http)
    out = []
    for it in source.interactions:
        body = json.loads(it.request.body)
        kw = sdk_kwargs(client.chat.completions.create, body)
        state, usage = ChatCompletionStreamState(), None
        async for chunk in await client.chat.completions.create(**kw):
            if chunk.usage is not None:
                usage = chunk.usage.model_dump()
            if chunk.choices:
                state.handle_chunk(chunk)
        out.append(chat_summary(state.current_completion_snapshot, usage))
    return out


async def run_through(transport, source: Cassette, base: str):
    """``run_chat_async`` through an ``httpx.AsyncClient`` on ``transport``, closed after."""
    async with httpx.AsyncClient(transport=transport, trust_env=False) as http:
        return await run_chat_async(source, http, base)


def test_openai_async_client_records_then_replays(tmp_path):
    pytest.importorskip("openai")
    source = load(CORPUS / OPENAI / "tool_streaming.yaml")
    path = tmp_path / "recorded.yaml"
    with ReplayServer([("provider", source)], chunk_size=CHUNK).start() as server:
        base = base_url(server, source, "/chat/completions")
        rec = AsyncReplayTransport(path, "record-only", real_transport=httpx.AsyncHTTPTransport())
        live = asyncio.run(run_through(rec, source, base))
        assert rec.recorded == len(source.interactions) == 2
        assert not server.matcher.unplayed()
    assert_server_gone(server.url)
    play = AsyncReplayTransport(path, chunk_size=CHUNK)
    assert asyncio.run(run_through(play, source, base)) == live
    assert not play.unplayed()
    check_recording(path, source, server.url, "AsyncOpenAI/Python")
    agrees_with_decode(live, source)
    assert live[0][2] == "tool_calls" and [c[0] for c in live[0][1]] == ["weather"]
    assert live[1][2] == "stop" and "40" in live[1][0]
