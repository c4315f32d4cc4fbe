"""Real clients nobody here wrote, replayed from corpus cassettes, through the transport
and through the loopback server.

Each test replays every interaction of a cassette, in order, by sending the
recorded request body with the SDK (the ``openai`` SDK for chat completions
and the Responses API, the ``anthropic`` SDK for Messages, ``httpx-sse`` for
raw events). Two checks per interaction:
1. against the raw recorded body: what the SDK parsed is what was recorded
   (the SDK's model dumped back to JSON equals the body, or each recorded
   SSE event), so bodies and streams arrive intact, chunk by chunk;
2. against ``pyfantasy.decode.decode_interaction`` (every backend of the
   installation, identical; CI requires native): the SDK's final message has
   the same text, tool calls and usage (mapped as fantasy maps it,
   docs/semantics.md#chat-completions-usage-and-metadata,
   docs/semantics.md#responses-non-streaming and
   docs/semantics.md#anthropic-non-streaming). Every format is decoded: an
   interaction that does not decode is a failure.
Bodies are served in 37-byte chunks so every SDK has to reassemble events
cut at arbitrary places.
"""
from __future__ import annotations

import inspect
import json

import httpx
import pytest

from helpers import CORPUS, needs_corpus
from pyfantasy import available_backends
from pyfantasy._replay.match import request_target
from pyfantasy._replay.server import ReplayServer
from pyfantasy.cassette import load
from pyfantasy.decode import decode_interaction, detect_format
from pyfantasy.replay import ReplayTransport
from pyfantasy.sse import iter_events

# decodes on the C extension too (marked for the sanitizer job of test_build.py)
pytestmark = [needs_corpus, pytest.mark.native, pytest.mark.filterwarnings("ignore::DeprecationWarning")]

CHUNK = 37
CHAT = ["fantasy/TestOpenAICommon/openai-gpt-4o-mini/simple.yaml",
        "fantasy/TestOpenAICommon/openai-gpt-4o-mini/simple_streaming.yaml",
        "fantasy/TestOpenAICommon/openai-gpt-4o-mini/multi_tool.yaml",
        "fantasy/TestOpenAICommon/openai-gpt-4o-mini/multi_tool_streaming.yaml",
        "seeds/002_ca3fa4015e962f21.yaml"]  # OpenRouter: ": OPENROUTER PROCESSING" comments
RESPONSES = ["fantasy/TestOpenAIResponsesCommon/openai-gpt-4o-mini/simple.yaml",
             "fantasy/TestOpenAIResponsesCommon/openai-gpt-4o-mini/simple_streaming.yaml",
             "fantasy/TestOpenAIResponsesCommon/openai-gpt-4o-mini/multi_tool.yaml",
             "fantasy/TestOpenAIResponsesCommon/openai-gpt-4o-mini/multi_tool_streaming.yaml"]
ANTHROPIC = ["fantasy/TestAnthropicCommon/claude-sonnet-4/simple.yaml",
             "fantasy/TestAnthropicCommon/claude-sonnet-4/simple_streaming.yaml",
             "fantasy/TestAnthropicCommon/claude-sonnet-4/multi_tool.yaml",
             "fantasy/TestAnthropicCommon/claude-sonnet-4/multi_tool_streaming.yaml"]
SSE = ["fantasy/TestOpenAICommon/openai-gpt-4o-mini/multi_tool_streaming.yaml",
       "fantasy/TestAnthropicCommon/claude-sonnet-4/tool_streaming.yaml",
       "seeds/002_ca3fa4015e962f21.yaml"]


class Replay:
    """One cassette, reachable through a ReplayTransport or a loopback ReplayServer."""

    def __init__(self, rel: str, via: str):
        self.path = str(CORPUS / rel)
        self.cassette = load(self.path)
        self.via = via
        self.server = None
        if via == "server":
            self.server = ReplayServer([("c", self.cassette)], chunk_size=CHUNK).start()

    def close(self) -> None:
        if self.server is not None:
            self.server.close()

    def base(self, suffix: str) -> str:
        """The SDK base URL: the recorded URL up to ``suffix`` (or the server's equivalent)."""
        url = self.cassette.interactions[0].request.url
        head = url[:url.index(suffix)]
        if self.server is None:
            return head
        return self.server.url + request_target(head).rstrip("/")

    def url(self, it) -> str:
        return it.request.url if self.server is None else self.server.url + request_target(it.request.url)

    def httpx_client(self) -> httpx.Client:
        if self.server is None:
            return httpx.Client(transport=ReplayTransport(self.path, chunk_size=CHUNK))
        return httpx.Client(trust_env=False, verify=False)  # plain HTTP to 127.0.0.1

    def httpx2_client(self):
        import httpx2
        if self.server is None:
            return httpx2.Client(transport=ReplayTransport(self.path, chunk_size=CHUNK))
        return httpx2.Client(trust_env=False, verify=False)


@pytest.fixture(params=["transport", "server"])
def via(request):
    return request.param


@pytest.fixture
def replay_of(via):
    opened = []

    def make(rel):
        r = Replay(rel, via)
        opened.append(r)
        return r
    yield make
    for r in opened:
        r.close()


def sdk_kwargs(fn, body: dict) -> dict:
    """The recorded body as SDK keyword arguments; keys the SDK does not know go in extra_body."""
    params = inspect.signature(fn).parameters
    kw = {k: v for k, v in body.items() if k in params}
    extra = {k: v for k, v in body.items() if k not in params}
    if extra:
        kw["extra_body"] = extra
    return kw


def sse_data(it):
    return [json.loads(e.data) for e in iter_events([it.response.body_bytes])
            if e.data and e.data != "[DONE]"]


def dump(model) -> dict:
    return model.model_dump(mode="json", by_alias=True, exclude_unset=True)


def decoded(it):
    """decode_interaction on every backend of the installation (identical); a DecodeError fails."""
    r = decode_interaction(it, "python")
    for backend in available_backends():
        assert decode_interaction(it, backend).to_json_bytes() == r.to_json_bytes(), backend
    return r


def our_text(r) -> str:
    return "".join(p.text for p in (r.content or []) if p.type == "text")


def our_calls(r):
    return [(p.tool_name, json.loads(p.input or "{}")) for p in (r.content or [])
            if p.type == "tool-call" and not p.provider_executed]


def our_usage(r):
    u = r.usage
    return (u.input_tokens, u.output_tokens, u.total_tokens, u.reasoning_tokens,
            u.cache_creation_tokens, u.cache_read_tokens)


# ---- openai SDK: chat completions -------------------------------------------------------

def chat_usage(u: dict, router: bool):
    """docs/semantics.md#chat-completions-usage-and-metadata and docs/semantics.md#openrouter-usage-and-metadata: prompt
    minus cached; OpenRouter/Vercel recompute the total."""
    ptd = u.get("prompt_tokens_details") or {}
    ctd = u.get("completion_tokens_details") or {}
    cached = ptd.get("cached_tokens") or 0
    inp = max((u.get("prompt_tokens") or 0) - cached, 0)
    out = u.get("completion_tokens") or 0
    total = inp + out + cached if router else (u.get("total_tokens") or 0)
    return (inp, out, total, ctd.get("reasoning_tokens") or 0, 0, cached)


@pytest.mark.parametrize("rel", CHAT)
def test_openai_chat_completions(rel, replay_of):
    openai = pytest.importorskip("openai")
    from openai.lib.streaming.chat import ChatCompletionStreamState
    rp = replay_of(rel)
    # transport: a legacy httpx client; server: the SDK's own httpx2 over real HTTP
    http = rp.httpx_client() if rp.via == "transport" else rp.httpx2_client()
    client = openai.OpenAI(api_key="x", base_url=rp.base("/chat/completions"), max_retries=0,
                           http_client=http)
    seen = []
    for it in rp.cassette.interactions:
        body = json.loads(it.request.body)
        result = client.chat.completions.create(**sdk_kwargs(client.chat.completions.create, body))
        if body.get("stream"):
            state, chunks, usage = ChatCompletionStreamState(), [], {}
            for chunk in result:
                chunks.append(dump(chunk))
                if chunk.usage is not None:
                    usage = chunk.usage.model_dump()
                if chunk.choices:
                    state.handle_chunk(chunk)
            assert chunks == sse_data(it)  # every recorded event, parsed by the SDK
            message = state.current_completion_snapshot.choices[0].message
        else:
            assert dump(result) == json.loads(it.response.body)
            message, usage = result.choices[0].message, result.usage.model_dump()
        calls = [(tc.function.name, json.loads(tc.function.arguments or "{}"))
                 for tc in (message.tool_calls or [])]
        seen.append((it, message.content or "", calls, usage))
    assert not rp.server or not rp.server.matcher.unplayed()
    for it, text, calls, usage in seen:
        r = decoded(it)
        assert our_text(r) == text
        assert our_calls(r) == calls
        router = detect_format(it).variant in ("openrouter", "vercel")
        if usage:
            assert our_usage(r) == chat_usage(usage, router)


# ---- openai SDK: Responses API ----------------------------------------------------------

def responses_summary(resp):
    text = "".join(c.text for item in resp.output if item.type == "message"
                   for c in item.content if c.type == "output_text")
    calls = [(item.name, json.loads(item.arguments or "{}")) for item in resp.output
             if item.type == "function_call"]
    u = resp.usage
    cached = (u.input_tokens_details.cached_tokens if u.input_tokens_details else 0) or 0
    reasoning = (u.output_tokens_details.reasoning_tokens if u.output_tokens_details else 0) or 0
    usage = (max(u.input_tokens - cached, 0), u.output_tokens, u.input_tokens + u.output_tokens,
             reasoning, 0, cached)  # docs/semantics.md#responses-non-streaming, step 4
    return text, calls, usage


@pytest.mark.parametrize("rel", RESPONSES)
def test_openai_responses(rel, replay_of):
    openai = pytest.importorskip("openai")
    rp = replay_of(rel)
    http = rp.httpx_client() if rp.via == "transport" else rp.httpx2_client()
    client = openai.OpenAI(api_key="x", base_url=rp.base("/responses"), max_retries=0,
                           http_client=http)
    seen = []
    for it in rp.cassette.interactions:
        body = json.loads(it.request.body)
        result = client.responses.create(**sdk_kwargs(client.responses.create, body))
        if body.get("stream"):
            events = list(result)
            assert [dump(e) for e in events] == sse_data(it)
            final = next(e.response for e in events if e.type == "response.completed")
            deltas = "".join(e.delta for e in events if e.type == "response.output_text.delta")
            assert deltas == final.output_text
        else:
            assert dump(result) == json.loads(it.response.body)
            final = result
        seen.append((it, responses_summary(final)))
    for it, (text, calls, usage) in seen:
        r = decoded(it)
        assert (our_text(r), our_calls(r), our_usage(r)) == (text, calls, usage)


# ---- anthropic SDK (httpx2 underneath) -----------------------------------------------------

@pytest.mark.parametrize("rel", ANTHROPIC)
def test_anthropic_messages(rel, replay_of):
    anthropic = pytest.importorskip("anthropic")
    pytest.importorskip("httpx2")
    rp = replay_of(rel)
    client = anthropic.Anthropic(api_key="x", base_url=rp.base("/v1/messages"), max_retries=0,
                                 http_client=rp.httpx2_client())
    seen = []
    for it in rp.cassette.interactions:
        body = json.loads(it.request.body)
        if body.get("stream"):
            rest = {k: v for k, v in body.items() if k != "stream"}
            with client.messages.stream(**sdk_kwargs(client.messages.stream, rest)) as stream:
                events = [dump(e) for e in stream]
                message = stream.get_final_message()
            # every recorded event (but pings, which the SDK drops) reached the SDK intact
            raw = [e for e in sse_data(it) if e["type"] != "ping"]
            sdk_raw = [e for e in events if e["type"] in {r["type"] for r in raw}]
            assert [{k: e.get(k) for k in r} for e, r in zip(sdk_raw, raw)] == raw
            assert len(sdk_raw) == len(raw)
        else:
            message = client.messages.create(**sdk_kwargs(client.messages.create, body))
            assert dump(message) == json.loads(it.response.body)
        u = message.usage
        usage = (u.input_tokens, u.output_tokens, u.input_tokens + u.output_tokens, 0,
                 # docs/semantics.md#anthropic-non-streaming
                 u.cache_creation_input_tokens or 0, u.cache_read_input_tokens or 0)
        text = "".join(b.text for b in message.content if b.type == "text")
        calls = [(b.name, b.input) for b in message.content if b.type == "tool_use"]
        seen.append((it, text, calls, usage))
    for it, text, calls, usage in seen:
        r = decoded(it)
        assert (our_text(r), our_calls(r), our_usage(r)) == (text, calls, usage)


# ---- httpx-sse ---------------------------------------------------------------------------

@pytest.mark.parametrize("rel", SSE)
def test_httpx_sse_events(rel, replay_of):
    httpx_sse = pytest.importorskip("httpx_sse")
    rp = replay_of(rel)
    with rp.httpx_client() as client:
        for it in rp.cassette.interactions:
            body = json.loads(it.request.body)
            with httpx_sse.connect_sse(client, "POST", rp.url(it), json=body) as source:
                assert source.response.status_code == it.response.code
                got = [(e.event, e.data, e.id) for e in source.iter_sse()]
            want = [(e.event, e.data, e.id) for e in iter_events([it.response.body_bytes])]
            assert got == want and got
            if detect_format(it).format == "openai-chat":
                text = "".join((json.loads(d)["choices"][0]["delta"].get("content") or "")
                               for _, d, _ in got if d.startswith("{") and json.loads(d)["choices"])
                assert our_text(decoded(it)) == text
