"""ReplayTransport / AsyncReplayTransport: matching, responses, modes, recording, bad input.

Recording is tested against servers of our own: ``httpx.MockTransport``
handlers, and a real loopback HTTP server (pyfantasy's replay server serving
a corpus cassette, so the recorder sees real HTTP/1.1 chunked framing). Each
recording is replayed again and compared, the file is checked to be exactly
``Cassette.dumps()`` of what it holds (the Go recorder's bytes), and one
recording is compared with the literal text Go writes for it.
"""
from __future__ import annotations

import asyncio
import gzip
import json
import os
import time

import httpx
import pytest

from helpers import CORPUS, needs_corpus
from pyfantasy import CassetteError, PyfantasyError
from pyfantasy._replay.match import Matcher, RequestView, bodies_match, urls_match
from pyfantasy._replay.server import ReplayServer
from pyfantasy.cassette import Cassette, Interaction, Request, Response, load, loads
from pyfantasy.decode import decode_interaction
from pyfantasy.replay import (AsyncReplayTransport, ReplayError, ReplayTransport,
                              canonical_header_key, go_parse_query, recorded_request,
                              recorded_response, resolve_mode)

URL = "https://api.example.test/v1/chat/completions"


def make_cassette(*pairs, duration_ns=1_000_000) -> Cassette:
    """``pairs`` of (request body, response body[, code]) for POST URL."""
    its = []
    for i, pair in enumerate(pairs):
        req_body, resp_body = pair[0], pair[1]
        code = pair[2] if len(pair) > 2 else 200
        its.append(Interaction(
            id=i,
            request=Request(proto="HTTP/1.1", proto_major=1, proto_minor=1,
                            content_length=len(req_body), body=req_body, url=URL, method="POST",
                            headers={"Content-Type": ["application/json"]}),
            response=Response(proto="HTTP/2.0", proto_major=2, content_length=-1, body=resp_body,
                              headers={"Content-Type": ["application/json"]},
                              status=f"{code} {'OK' if code == 200 else 'Too Many Requests'}",
                              code=code, duration_ns=duration_ns)))
    return Cassette(interactions=its)


def client(transport) -> httpx.Client:
    return httpx.Client(transport=transport)


# ---- matching ---------------------------------------------------------------------------

@pytest.mark.parametrize("request_body,recorded,expected", [
    pytest.param(b'{"a":1,"b":[1,2]}', '{"b":[1,2],"a":1}', True, id="json-key-order"),
    pytest.param(b'{"a": 1}', '{"a":1.0}', True, id="json-numbers-as-float64"),
    pytest.param(b'{"n":9007199254740993}', '{"n":9007199254740992}', True,
                 id="json-big-ints-compare-as-go-float64"),
    pytest.param(b'{"a":1}', '{"a":2}', False, id="json-value-differs"),
    pytest.param(b'{"a":[1,2]}', '{"a":[2,1]}', False, id="json-list-order-matters"),
    pytest.param(b"line1\r\nline2", "line1\nline2", True, id="crlf-normalised"),
    pytest.param(b"x=1&y=2", "y=2&x=1", False, id="form-text-differs"),
    pytest.param(b"", "", True, id="both-empty"),
    pytest.param(b"", "{}", False, id="empty-vs-json"),
    pytest.param(b"NaN", "NaN", True, id="same-text-even-if-not-json"),
    pytest.param(b'{"a":NaN}', '{"a": NaN}', False, id="nan-is-not-json"),
])
def test_bodies_match(request_body, recorded, expected):
    assert bodies_match(request_body, recorded) is expected


@pytest.mark.parametrize("a,b,mode,expected", [
    (URL, URL, "full", True),
    ("https://API.example.test:443/v1/chat/completions", URL, "full", True),
    ("http://api.example.test/v1/chat/completions", URL, "full", False),
    (URL + "?alt=sse", URL, "full", False),
    ("/v1/chat/completions", URL, "path", True),
    ("/v1/chat/completions?x=1", URL + "?x=1", "path", True),
    ("/v1/chat", URL, "path", False),
])
def test_urls_match(a, b, mode, expected):
    assert urls_match(a, b, mode) is expected


def test_interactions_in_order_each_once():
    cas = make_cassette(('{"q":1}', '{"n":"first"}'), ('{"q":1}', '{"n":"second"}'))
    with client(ReplayTransport(cas)) as c:
        assert c.post(URL, content=b'{"q": 1}').json() == {"n": "first"}
        assert c.post(URL, content=b'{"q":1}').json() == {"n": "second"}
        with pytest.raises(ReplayError) as err:
            c.post(URL, content=b'{"q":1}')
    assert "already" in err.value.reason and err.value.closest["replayed"]


def test_allow_playback_repeats():
    cas = make_cassette(('{"q":1}', '{"n":"first"}'), ('{"q":1}', '{"n":"second"}'))
    with client(ReplayTransport(cas, allow_playback_repeats=True)) as c:
        assert [c.post(URL, content=b'{"q":1}').json()["n"] for _ in range(3)] == ["first"] * 3


def test_matching_skips_to_the_first_unused_match():
    cas = make_cassette(('{"q":1}', '"one"'), ('{"q":2}', '"two"'))
    t = ReplayTransport(cas)
    with client(t) as c:
        assert c.post(URL, content=b'{"q":2}').json() == "two"
        assert [it.id for it in t.unplayed()] == [0]
        assert c.post(URL, content=b'{"q":1}').json() == "one"
    assert t.unplayed() == []


def test_no_match_error_names_cassette_closest_and_diff(tmp_path):
    path = tmp_path / "c.yaml"
    make_cassette(('{"model":"a","messages":[{"role":"user","content":"hi"}]}', '{}'),
                  ('{"model":"zzz"}', '{}')).save(path)
    with client(ReplayTransport(path)) as c:
        with pytest.raises(ReplayError) as err:
            c.post(URL, content=b'{"messages":[{"content":"hello","role":"user"}],"model":"a"}')
    e = err.value
    assert isinstance(e, PyfantasyError)
    assert e.cassette == str(path) and str(path) in str(e)
    assert e.closest["interaction"] == 0 and not e.closest["replayed"]
    assert '-      "content": "hi",' in e.diff and '+      "content": "hello",' in e.diff
    assert '"model"' not in "".join(ln for ln in e.diff.splitlines() if ln[:1] in "+-" and
                                    not ln.startswith(("---", "+++")))  # key order is no diff
    assert e.method == "POST" and e.url == URL


def test_no_match_on_method_and_url_shows_them():
    cas = make_cassette(('{}', '{}'))
    with client(ReplayTransport(cas)) as c:
        with pytest.raises(ReplayError) as err:
            c.put("https://api.example.test/v2/other", content=b"{}")
    assert f"-POST {URL}" in err.value.diff
    assert "+PUT https://api.example.test/v2/other" in err.value.diff


def test_matcher_is_sans_io_and_explains_empty_cassettes():
    m = Matcher([], name="empty.yaml")
    e = m.explain(RequestView("GET", "https://x.test/", b""))
    assert "no interactions" in str(e) and e.closest is None


# ---- responses ---------------------------------------------------------------------------

def test_status_headers_and_http_version():
    cas = make_cassette(('{}', '{"error":"slow down"}', 429))
    cas.interactions[0].response.headers["Retry-After"] = ["3"]
    with client(ReplayTransport(cas)) as c:
        r = c.post(URL, content=b"{}")
    assert (r.status_code, r.reason_phrase, r.http_version) == (429, "Too Many Requests", "HTTP/2")
    assert r.headers["retry-after"] == "3" and r.headers["content-type"] == "application/json"
    assert r.json() == {"error": "slow down"}


@pytest.mark.parametrize("size,expected", [(1, 26), (10, 3), (26, 1), (0, 1), (None, 1)])
def test_bodies_are_streamed_in_chunks(size, expected):
    body = "abcdefghijklmnopqrstuvwxyz"
    with client(ReplayTransport(make_cassette(("{}", body)), chunk_size=size)) as c:
        with c.stream("POST", URL, content=b"{}") as r:
            pieces = list(r.iter_raw())
    assert len(pieces) == expected and b"".join(pieces) == body.encode()


@needs_corpus
def test_binary_bodies_are_served_as_bytes():
    path = CORPUS / "fantasy/TestBedrockCommon/bedrock-anthropic-claude-haiku-4-5/simple_streaming.yaml"
    cas = load(path)
    it = cas.interactions[0]
    assert isinstance(it.response.body, bytes)
    with client(ReplayTransport(path, chunk_size=100)) as c:
        r = c.request(it.request.method, it.request.url, content=it.request.body_bytes)
    assert r.content == it.response.body


def test_pacing_spreads_the_body_over_the_recorded_duration():
    cas = make_cassette(("{}", "x" * 40), duration_ns=1_000_000_000)
    t = ReplayTransport(cas, chunk_size=10, pace=0.1)  # 4 chunks over 0.1 s
    with client(t) as c:
        start = time.perf_counter()
        with c.stream("POST", URL, content=b"{}") as r:
            got = [time.perf_counter() - start for _ in r.iter_raw()]
    assert len(got) == 4
    assert got[-1] >= 0.099 and got[0] >= 0.024 and got[0] < got[-1]
    with client(ReplayTransport(make_cassette(("{}", "x" * 40), duration_ns=1_000_000_000),
                                chunk_size=10)) as c:
        start = time.perf_counter()
        c.post(URL, content=b"{}")
        assert time.perf_counter() - start < 0.5  # no pacing by default (paced: 1 s)


def test_async_transport_replays_and_streams():
    cas = make_cassette(('{"q":1}', "data: a\n\ndata: b\n\n"))
    cas.interactions[0].response.headers["Content-Type"] = ["text/event-stream"]

    async def main():
        async with httpx.AsyncClient(transport=AsyncReplayTransport(cas, chunk_size=4, pace=0.01)) as c:
            async with c.stream("POST", URL, content=b'{"q":1}') as r:
                pieces = [p async for p in r.aiter_raw()]
            with pytest.raises(ReplayError):
                await c.post(URL, content=b'{"q":1}')
        return pieces

    pieces = asyncio.run(main())
    assert b"".join(pieces) == b"data: a\n\ndata: b\n\n" and len(pieces) == 5


@needs_corpus
@pytest.mark.native  # the default backend
def test_openai_sdk_async_client_over_the_async_transport():
    openai = pytest.importorskip("openai")
    from openai.lib.streaming.chat import ChatCompletionStreamState
    path = CORPUS / "fantasy/TestOpenAICommon/openai-gpt-4o-mini/tool_streaming.yaml"
    cas = load(path)

    async def main():
        out = []
        http = httpx.AsyncClient(transport=AsyncReplayTransport(path, chunk_size=50))
        api = openai.AsyncOpenAI(api_key="x", max_retries=0, http_client=http)
        for it in cas.interactions:
            state = ChatCompletionStreamState()
            async for chunk in await api.chat.completions.create(**json.loads(it.request.body)):
                if chunk.choices:
                    state.handle_chunk(chunk)
            out.append(state.current_completion_snapshot.choices[0].message)
        await api.close()
        return out

    messages = asyncio.run(main())
    first = decode_interaction(cas.interactions[0])
    assert [(tc.function.name, tc.function.arguments) for tc in messages[0].tool_calls] == \
        [(p.tool_name, p.input) for p in first.content if p.type == "tool-call"]
    last = decode_interaction(cas.interactions[-1])
    assert messages[-1].content == "".join(p.text for p in last.content if p.type == "text")


# ---- modes -------------------------------------------------------------------------------

def mock(handler_log: list, body=b'{"ok":true}', **kw):
    def handler(request: httpx.Request) -> httpx.Response:
        handler_log.append(request.content)
        return httpx.Response(200, headers={"Content-Type": "application/json"}, content=body, **kw)
    return httpx.MockTransport(handler)


@pytest.mark.parametrize("name,expected", [
    ("none", "replay-only"), ("once", "record-once"), ("all", "record-only"),
    ("new_episodes", "replay-with-new-episodes"), ("passthrough", "passthrough"),
    ("replay-only", "replay-only")])
def test_mode_names(name, expected):
    assert resolve_mode(name) == expected


def test_unknown_mode():
    with pytest.raises(ValueError, match="unknown replay mode"):
        ReplayTransport(Cassette(), "sometimes")


def test_record_once_records_then_replays(tmp_path):
    path = tmp_path / "sub" / "once.yaml"
    calls: list = []
    with client(ReplayTransport(path, "record-once", real_transport=mock(calls))) as c:
        assert c.post(URL, content=b'{"n":1}').json() == {"ok": True}
    assert calls == [b'{"n":1}'] and path.exists()
    with client(ReplayTransport(path, "record-once", real_transport=mock(calls))) as c:
        assert c.post(URL, content=b'{"n":1}').json() == {"ok": True}
        with pytest.raises(ReplayError):  # an existing cassette is only replayed
            c.post(URL, content=b'{"n":2}')
    assert len(calls) == 1


def test_record_only_starts_a_new_cassette(tmp_path):
    path = tmp_path / "c.yaml"
    make_cassette(('{"old":1}', '{}'), ('{"old":2}', '{}')).save(path)
    calls: list = []
    with client(ReplayTransport(path, "record-only", real_transport=mock(calls))) as c:
        c.post(URL, content=b'{"old":1}')
    assert len(calls) == 1
    assert [it.request.body for it in load(path).interactions] == ['{"old":1}']


def test_replay_with_new_episodes(tmp_path):
    path = tmp_path / "c.yaml"
    make_cassette(('{"q":1}', '"recorded"')).save(path)
    calls: list = []
    with client(ReplayTransport(path, "replay-with-new-episodes", real_transport=mock(calls))) as c:
        assert c.post(URL, content=b'{"q":1}').json() == "recorded"
        assert c.post(URL, content=b'{"q":2}').json() == {"ok": True}
    assert calls == [b'{"q":2}']
    assert [(it.id, it.request.body) for it in load(path).interactions] == [(0, '{"q":1}'), (1, '{"q":2}')]


def test_passthrough_neither_replays_nor_writes(tmp_path):
    path = tmp_path / "c.yaml"
    calls: list = []
    with client(ReplayTransport(path, "passthrough", real_transport=mock(calls))) as c:
        assert c.post(URL, content=b"{}").json() == {"ok": True}
    assert calls == [b"{}"] and not path.exists()


def test_in_memory_cassette_is_recorded_into():
    cas = Cassette()
    calls: list = []
    with client(ReplayTransport(cas, "record-once", real_transport=mock(calls))) as c:
        c.post(URL, content=b"{}")
    assert len(cas.interactions) == 1 and cas.interactions[0].response.body == '{"ok":true}'


# ---- recording: the fields Go writes --------------------------------------------------------

GO_TEXT = '''---
version: 2
interactions:
- id: 0
  request:
    proto: HTTP/1.1
    proto_major: 1
    proto_minor: 1
    content_length: 27
    host: ""
    body: '{"model":"m","stream":true}'
    form:
      alt:
      - sse
      beta:
      - "true"
    headers:
      Accept:
      - application/json
      Content-Type:
      - application/json
      User-Agent:
      - test-agent/1.0
    url: https://api.example.test/v1/chat/completions?alt=sse&beta=true
    method: POST
  response:
    proto: HTTP/1.1
    proto_major: 1
    proto_minor: 1
    transfer_encoding:
    - chunked
    content_length: -1
    body: |+
      data: {"x":1}

      data: [DONE]

    headers:
      Content-Type:
      - text/event-stream
    status: 200 OK
    code: 200
    duration: 1.5s
'''


def sse_handler(request):
    def gen():
        yield b'data: {"x":1}\n\n'
        yield b"data: [DONE]\n\n"
    return httpx.Response(200, headers={"Content-Type": "text/event-stream",
                                        "X-Request-Id": "req_1", "Set-Cookie": "a=b"},
                          content=gen())


def fixed_duration(it):
    it.response.duration_ns = 1_500_000_000
    return it


def test_recording_writes_exactly_what_go_writes(tmp_path):
    path = tmp_path / "go.yaml"
    t = ReplayTransport(path, "record-only", real_transport=httpx.MockTransport(sse_handler),
                        before_record=fixed_duration)
    with client(t) as c:
        r = c.post(URL + "?alt=sse&beta=true", content=b'{"model":"m","stream":true}',
                   headers={"User-Agent": "test-agent/1.0", "Accept": "application/json",
                            "Content-Type": "application/json", "Authorization": "Bearer secret"})
        assert r.text == 'data: {"x":1}\n\ndata: [DONE]\n\n'
    data = path.read_bytes()
    assert data.decode() == GO_TEXT
    assert load(path).dumps() == data and b"secret" not in data


def test_recording_measures_the_duration(tmp_path):
    def slow(request):
        time.sleep(0.05)
        return httpx.Response(200, content=b"{}")
    path = tmp_path / "c.yaml"
    with client(ReplayTransport(path, "record-only", real_transport=httpx.MockTransport(slow))) as c:
        c.get("https://api.example.test/models")
    d = load(path).interactions[0].response.duration_ns
    assert 50_000_000 <= d < 5_000_000_000


def test_keep_all_headers(tmp_path):
    path = tmp_path / "c.yaml"
    t = ReplayTransport(path, "record-only", real_transport=httpx.MockTransport(sse_handler),
                        keep_all_headers=True)
    with client(t) as c:
        c.post(URL, content=b"{}", headers={"x-custom": "1"})
    it = load(path).interactions[0]
    assert {"X-Custom", "Accept-Encoding", "User-Agent"} <= set(it.request.headers)
    assert not {"Host", "Content-Length"} & set(it.request.headers)  # Go keeps those in fields
    assert {"X-Request-Id", "Set-Cookie", "Content-Type"} <= set(it.response.headers)
    assert "Transfer-Encoding" not in it.response.headers
    assert it.response.transfer_encoding == ["chunked"]


@pytest.mark.parametrize("keep,request_keys,response_keys", [
    (("x-request-id",), set(), {"X-Request-Id"}),
    (None, {"X-Custom", "User-Agent", "Accept"}, {"X-Request-Id", "Set-Cookie", "Content-Type"}),
])
def test_keep_headers(tmp_path, keep, request_keys, response_keys):
    path = tmp_path / "c.yaml"
    t = ReplayTransport(path, "record-only", real_transport=httpx.MockTransport(sse_handler),
                        keep_headers=keep)
    with client(t) as c:
        c.post(URL, content=b"{}", headers={"x-custom": "1"})
    it = load(path).interactions[0]
    assert request_keys <= set(it.request.headers) and response_keys <= set(it.response.headers)
    if keep is not None:
        assert set(it.request.headers) == request_keys and set(it.response.headers) == response_keys


def test_gzip_is_recorded_uncompressed_as_go_does(tmp_path):
    payload = b'{"choices":[]}'

    def handler(request):
        return httpx.Response(200, headers={"Content-Type": "application/json",
                                            "Content-Encoding": "gzip"},
                              content=gzip.compress(payload))
    path = tmp_path / "c.yaml"
    t = ReplayTransport(path, "record-only", real_transport=httpx.MockTransport(handler),
                        keep_all_headers=True)
    with client(t) as c:
        assert c.get("https://api.example.test/x").content == payload
    r = load(path).interactions[0].response
    assert (r.body, r.uncompressed, r.content_length) == (payload.decode(), True, -1)
    assert "Content-Encoding" not in r.headers and "Content-Length" not in r.headers
    with client(ReplayTransport(path)) as c:  # and it replays as the plain body
        assert c.get("https://api.example.test/x").content == payload


def test_binary_response_is_recorded_as_bytes(tmp_path):
    blob = bytes(range(256)) * 3
    path = tmp_path / "c.yaml"
    handler = httpx.MockTransport(lambda req: httpx.Response(
        200, headers={"Content-Type": "application/vnd.amazon.eventstream"}, content=blob))
    with client(ReplayTransport(path, "record-only", real_transport=handler)) as c:
        c.post("https://bedrock.example.test/invoke", content=b"{}")
    assert b"body: !!binary |" in path.read_bytes()
    r = load(path).interactions[0].response
    assert r.body == blob and r.content_length == len(blob)
    with client(ReplayTransport(path)) as c:
        assert c.post("https://bedrock.example.test/invoke", content=b"{}").content == blob


@pytest.mark.parametrize("key,canonical", [
    ("content-type", "Content-Type"), ("X-AMZ-date", "X-Amz-Date"), ("user-agent", "User-Agent"),
    ("x_y", "X_y"), ("bad key", "bad key"), ("accept", "Accept")])
def test_canonical_header_key_as_go(key, canonical):
    assert canonical_header_key(key) == canonical


def test_go_parse_query():
    assert go_parse_query("alt=sse&beta=true&a=1&a=2&e=&sp=a+b%21&bad=%zz&semi=a;b") == \
        {"alt": ["sse"], "beta": ["true"], "a": ["1", "2"], "e": [""], "sp": ["a b!"]}


def test_recorded_request_form_includes_urlencoded_body_first():
    req = recorded_request("POST", "https://x.test/p?a=q", [
        (b"content-type", b"application/x-www-form-urlencoded"), (b"host", b"x.test")],
        b"a=b&c=d", keep_headers=None)
    assert req.form == {"a": ["b", "q"], "c": ["d"]}
    assert req.content_length == 7 and "Host" not in req.headers and req.host == ""


@pytest.mark.parametrize("version,code,headers,method,expect", [
    ("HTTP/2", 200, [], "POST", ("HTTP/2.0", 2, 0, [], -1, "200 OK")),
    ("HTTP/2", 529, [(b"content-length", b"3")], "POST", ("HTTP/2.0", 2, 0, [], 3, "529 ")),
    ("HTTP/1.1", 200, [(b"content-length", b"3")], "POST", ("HTTP/1.1", 1, 1, [], 3, "200 Fine")),
    ("HTTP/1.1", 200, [(b"transfer-encoding", b"chunked"), (b"content-length", b"3")], "POST",
     ("HTTP/1.1", 1, 1, ["chunked"], -1, "200 Fine")),
    ("HTTP/1.1", 204, [], "DELETE", ("HTTP/1.1", 1, 1, [], 0, "204 Fine")),
    ("HTTP/1.1", 200, [(b"content-length", b"99")], "HEAD", ("HTTP/1.1", 1, 1, [], 99, "200 Fine")),
    ("HTTP/1.0", 200, [], "GET", ("HTTP/1.0", 1, 0, [], -1, "200 Fine")),
])
def test_recorded_response_fields_as_go_reports_them(version, code, headers, method, expect):
    r = recorded_response(code, "Fine", version, headers, b"abc" if method != "HEAD" else b"",
                          7, request_method=method, keep_headers=None)
    assert (r.proto, r.proto_major, r.proto_minor, r.transfer_encoding, r.content_length,
            r.status) == expect
    assert "Transfer-Encoding" not in r.headers and r.duration_ns == 7


def test_ids_are_positions_and_the_file_is_saved_after_each_interaction(tmp_path):
    path = tmp_path / "c.yaml"
    calls: list = []
    t = ReplayTransport(path, "record-only", real_transport=mock(calls))
    c = client(t)
    for n in range(3):
        c.post(URL, content=json.dumps({"n": n}).encode())
        saved = load(path)  # already on disk, before close
        assert [it.id for it in saved.interactions] == list(range(n + 1))
    c.close()
    assert path.read_bytes() == load(path).dumps()


def test_the_body_streams_through_while_recording(tmp_path):
    produced = []

    def handler(request):
        def gen():
            for i in range(3):
                produced.append(i)
                yield f"data: {i}\n\n".encode()
        return httpx.Response(200, headers={"Content-Type": "text/event-stream"}, content=gen())
    path = tmp_path / "c.yaml"
    with client(ReplayTransport(path, "record-only", real_transport=httpx.MockTransport(handler))) as c:
        with c.stream("POST", URL, content=b"{}") as r:
            it = r.iter_raw()
            first = next(it)
            assert first == b"data: 0\n\n" and produced == [0]  # not buffered whole
            assert not path.exists()  # recorded once the body has ended
            rest = b"".join(it)
        assert path.exists()
    assert load(path).interactions[0].response.body == "data: 0\n\ndata: 1\n\ndata: 2\n\n"
    assert rest == b"data: 1\n\ndata: 2\n\n"


def test_a_body_left_unread_is_still_recorded_whole(tmp_path):
    path = tmp_path / "c.yaml"
    with client(ReplayTransport(path, "record-only", real_transport=httpx.MockTransport(sse_handler))) as c:
        with c.stream("POST", URL, content=b"{}") as r:
            next(r.iter_raw())  # the client stops reading after the first chunk
    assert load(path).interactions[0].response.body == 'data: {"x":1}\n\ndata: [DONE]\n\n'


def test_async_recording(tmp_path):
    path = tmp_path / "c.yaml"

    async def handler(request):
        return httpx.Response(200, headers={"Content-Type": "application/json"}, content=b'{"a":1}')

    async def main():
        t = AsyncReplayTransport(path, "record-once", real_transport=httpx.MockTransport(handler))
        async with httpx.AsyncClient(transport=t) as c:
            assert (await c.post(URL, content=b"{}")).json() == {"a": 1}
        t2 = AsyncReplayTransport(path)
        async with httpx.AsyncClient(transport=t2) as c:
            return (await c.post(URL, content=b"{}")).json()

    assert asyncio.run(main()) == {"a": 1}
    assert load(path).dumps() == path.read_bytes()


def test_httpx2_clients_get_httpx2_responses(tmp_path):
    httpx2 = pytest.importorskip("httpx2")
    path = tmp_path / "c.yaml"
    real = httpx2.MockTransport(lambda req: httpx2.Response(200, content=b'{"v":2}'))
    with httpx2.Client(transport=ReplayTransport(path, "record-once", real_transport=real)) as c:
        assert c.post(URL, content=b"{}").json() == {"v": 2}
    with httpx2.Client(transport=ReplayTransport(path, chunk_size=2)) as c:
        r = c.post(URL, content=b"{}")
        assert isinstance(r, httpx2.Response) and r.json() == {"v": 2}


@needs_corpus
@pytest.mark.native  # the default backend
def test_record_from_a_real_loopback_server_then_replay(tmp_path):
    """corpus cassette -> replay server -> real HTTP -> recorder -> new cassette -> replay."""
    rel = "fantasy/TestOpenAICommon/openai-gpt-4o-mini/multi_tool_streaming.yaml"
    original = load(CORPUS / rel)
    path = tmp_path / "rec.yaml"
    with ReplayServer([("c", original)], chunk_size=100).start() as server:
        t = ReplayTransport(path, "record-only", real_transport=httpx.HTTPTransport(verify=False))
        with httpx.Client(transport=t, trust_env=False, verify=False) as c:
            for it in original.interactions:
                r = c.post(server.url + "/v1/chat/completions", content=it.request.body_bytes,
                           headers={"Content-Type": "application/json"})
                assert r.status_code == 200
    rec = load(path)
    assert path.read_bytes() == rec.dumps()
    assert len(rec.interactions) == len(original.interactions)
    for new, old in zip(rec.interactions, original.interactions):
        assert new.request.body == old.request.body and new.request.method == "POST"
        assert new.request.url == server.url + "/v1/chat/completions"
        assert new.request.content_length == len(old.request.body_bytes)
        assert (new.response.proto, new.response.transfer_encoding, new.response.content_length) == \
            ("HTTP/1.1", ["chunked"], -1)
        assert (new.response.code, new.response.status) == (200, "200 OK")
        assert new.response.body == old.response.body
        assert new.response.headers == old.response.headers  # Content-Type only, as Go filters
        assert decode_interaction(new).to_json_bytes() == decode_interaction(old).to_json_bytes()
    # the recording replays to the same client requests
    with client(ReplayTransport(path)) as c:
        for it in original.interactions:
            r = c.post(server.url + "/v1/chat/completions", content=it.request.body_bytes)
            assert r.text == it.response.body


# ---- bad input ---------------------------------------------------------------------------

def test_missing_cassette_file(tmp_path):
    with pytest.raises(CassetteError) as err:
        ReplayTransport(tmp_path / "nope.yaml")
    assert "nope.yaml" in str(err.value) and "cannot read" in str(err.value)


def test_malformed_cassette(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("---\nversion: 2\ninteractions:\n- id: [oops\n")
    with pytest.raises(CassetteError) as err:
        ReplayTransport(path)
    assert err.value.line is not None and "bad.yaml" in str(err.value)
    path.write_text("---\nversion: 3\ninteractions: []\n")
    with pytest.raises(CassetteError, match="version"):
        ReplayTransport(path, "record-once")  # the file exists, so it must be readable


def test_cassette_argument_type():
    with pytest.raises(TypeError):
        ReplayTransport(42)


def test_interrupted_stream_records_nothing_and_keeps_the_file(tmp_path):
    path = tmp_path / "c.yaml"
    calls: list = []

    def handler(request):
        if request.content == b"2":
            def gen():
                yield b"data: partial\n\n"
                raise httpx.ReadError("connection lost")
            return httpx.Response(200, content=gen())
        calls.append(request.content)
        return httpx.Response(200, content=b"ok")
    t = ReplayTransport(path, "record-only", real_transport=httpx.MockTransport(handler))
    with client(t) as c:
        c.post(URL, content=b"1")
        before = path.read_bytes()
        with pytest.raises(httpx.ReadError):
            c.post(URL, content=b"2")
    assert path.read_bytes() == before
    assert [it.request.body for it in load(path).interactions] == ["1"]
    assert os.listdir(tmp_path) == ["c.yaml"]  # no temporary file left


def test_interrupt_while_saving_leaves_the_old_file(tmp_path, monkeypatch):
    path = tmp_path / "c.yaml"
    calls: list = []
    t = ReplayTransport(path, "record-only", real_transport=mock(calls))
    c = client(t)
    c.post(URL, content=b"1")
    before = path.read_bytes()

    def interrupted(src, dst):
        raise KeyboardInterrupt
    monkeypatch.setattr(os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        c.post(URL, content=b"2")
    monkeypatch.undo()
    assert path.read_bytes() == before and loads(before).interactions[0].request.body == "1"
    assert os.listdir(tmp_path) == ["c.yaml"]


@pytest.mark.parametrize("mode", ["record-once", "record-only", "replay-with-new-episodes"])
def test_a_failed_recording_writes_no_cassette(tmp_path, mode):
    """A request that fails (no network) records nothing and leaves no file, so the next
    run records instead of finding an empty cassette (issue 13, defect 2)."""
    path = tmp_path / "c.yaml"

    def offline(request):
        raise httpx.ConnectError("no network")
    with client(ReplayTransport(path, mode, real_transport=httpx.MockTransport(offline))) as c:
        with pytest.raises(httpx.ConnectError):
            c.post(URL, content=b"1")
    assert not path.exists() and os.listdir(tmp_path) == []
    calls: list = []
    with client(ReplayTransport(path, "record-once", real_transport=mock(calls))) as c:
        c.post(URL, content=b"1")
    assert [it.request.body for it in load(path).interactions] == ["1"]
