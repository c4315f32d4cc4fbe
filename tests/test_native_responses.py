"""OpenAI Responses streams: the C state machine (native/pf_responses.c) == the Python one.

Every corpus body of the format decodes identically on both backends, whole
and fed in pieces, without the C side handing any back to Python. Then
hypothesis mutates real bodies (byte flips, truncations, deleted, duplicated
and swapped events, JSON values replaced by other types, huge integers, lone
surrogates, deep nesting inside raw fields, injected events of every kind the
machine handles) and feeds them in random pieces: the stream parts of each
feed, the Response and the error (kind, message, offset, partial Response)
must be the same on both backends.
"""
from __future__ import annotations

import json
import re
from functools import lru_cache

import pytest
from hypothesis import given, strategies as st

from helpers import (check_corpus_document, document_in_c, falls_back, interaction, interactions, json_paths,
                     json_replace, mutated_json, needs_corpus, same_document)
from pyfantasy import DecodeError
from pyfantasy.decode import StreamDecoder
from test_decode_differential import _error, _part, check, whole

pytestmark = [pytest.mark.needs_native, needs_corpus]

FMT = "openai-responses"
CORPUS = interactions(FMT, True)


def _body(rel: str, iid: int) -> bytes:
    return interaction(rel, iid).response.body_bytes


@lru_cache(maxsize=None)
def bodies():
    return [_body(*p.values) for p in CORPUS]


def feeds(body: bytes, backend: str, cuts):
    """The stream parts of each feed (a list per feed), and the result of close()."""
    dec = StreamDecoder(FMT, backend)
    out, prev = [], 0
    try:
        for cut in sorted(c % (len(body) + 1) for c in cuts) + [len(body)]:
            out.append([_part(p) for p in dec.feed(body[prev:cut])])
            prev = cut
        return out, ("ok", dec.close().to_json())
    except DecodeError as e:
        return out, _error(e)


def same(body: bytes, cuts) -> None:
    check(body, FMT, cuts)   # whole bodies, and the parts of a split feed, on both backends
    assert feeds(body, "native", cuts) == feeds(body, "python", cuts)


# ---- the corpus -------------------------------------------------------------------------

def test_corpus_has_the_format():
    assert len(CORPUS) >= 30


@pytest.mark.parametrize("rel,iid", CORPUS)
def test_corpus_bodies(rel, iid):
    body = _body(rel, iid)
    assert not falls_back(body, FMT)
    same(body, [len(body) // 3, len(body) // 2, 2 * len(body) // 3])
    assert whole(body, FMT, "native")[0] == "ok"


def test_corpus_covers_the_machine():
    """The corpus reaches reasoning summaries, tool calls, web search and citations."""
    seen = set()
    for body in bodies():
        resp = whole(body, FMT, "native")[1]
        for c in resp["content"] or []:
            seen.add(c["type"])
            seen.update(c["data"].get("provider_metadata") or {})
    assert {"reasoning", "text", "tool-call", "tool-result", "source", "openai"} <= seen


# ---- mutations of real bodies ----------------------------------------------------------------

def events(body: bytes):
    """The body's SSE events, each with its blank line."""
    return [e for e in re.split(rb"(?<=\n\n)", body) if e]


DEEP = "[" * 3000 + "{\"type\":\"x\"}" + "]" * 3000
REPLACEMENTS = [None, True, False, 0, -1, 7, 10**30, -(10**25), 1.5, -0.0, 1e300, "", "x", "12", " 3", "-0",
                "\ud800", "a\udc00b", [], {}, [1, "a"], {"type": "x"}, {"message": 5, "code": None},
                "__DEEP__", "__DEEPOBJ__"]


def _dumps(v, ascii: bool) -> bytes:
    text = json.dumps(v, ensure_ascii=ascii, separators=(",", ":"))
    text = text.replace('"__DEEP__"', DEEP).replace('"__DEEPOBJ__"', '{"a":' * 2000 + "1" + "}" * 2000)
    return text.encode("utf-8", "surrogatepass")   # a lone surrogate as raw (invalid) UTF-8 bytes


def _ids(body: bytes):
    return sorted(set(re.findall(rb'"(?:id|item_id|call_id)":"([^"]{1,80})"', body))) or [b"x"]


def injected(draw, body: bytes) -> bytes:
    """One event of a kind the machine handles, naming ids found in the body."""
    iid = draw(st.sampled_from(_ids(body))).decode()
    idx = draw(st.sampled_from([0, 1, 2, -1, 10**20, "1"]))
    text = draw(st.text(st.sampled_from(list("ab \"\\\n\u00e9\U0001F600\ud800")), max_size=5))
    ev = draw(st.sampled_from([
        {"type": "response.output_text.annotation.added", "item_id": iid,
         "annotation": draw(st.sampled_from([
             {"type": "file_citation", "filename": draw(st.sampled_from(["a.pdf", "", 3, None])), "file_id": "f"},
             {"type": "url_citation", "url": draw(st.sampled_from(["https://x.test", 5, None])), "title": text},
             {"type": 1}, "url_citation", [1]]))},
        {"type": "response.reasoning_summary_text.delta", "item_id": iid, "summary_index": idx, "delta": text},
        {"type": "response.reasoning_summary_part.added", "item_id": iid, "summary_index": idx},
        {"type": "response.output_item.added", "output_index": idx,
         "item": {"type": draw(st.sampled_from(["reasoning", "function_call", "message", "web_search_call", 4])),
                  "id": iid, "call_id": iid, "name": text, "encrypted_content": draw(st.sampled_from(["", "enc",
                                                                                                    None]))}},
        {"type": "response.output_item.done", "output_index": idx,
         "item": {"type": draw(st.sampled_from(["reasoning", "function_call", "message", "web_search_call"])),
                  "id": iid, "call_id": iid, "name": text, "arguments": text,
                  "action": draw(st.sampled_from([
                      {"type": "search", "query": text, "sources": [{"type": "url", "url": "u"}, 3, {}]},
                      {"type": "", "query": "q"}, {"type": "open_page"}, [], "search", {"sources": "x"}]))}},
        {"type": "response.function_call_arguments.delta", "output_index": idx, "item_id": iid, "delta": text},
        {"type": "response.output_text.delta", "item_id": iid, "output_index": 0, "delta": text},
        {"type": draw(st.sampled_from(["response.completed", "response.incomplete"])),
         "response": {"id": iid, "incomplete_details": draw(st.sampled_from([
             None, {"reason": "max_output_tokens"}, {"reason": "content_filter"}, {"reason": "max_tokens"},
             {"reason": "other"}, {"reason": 3}])),
             "usage": draw(st.sampled_from([
                 None, {"input_tokens": 5, "output_tokens": 2, "input_tokens_details": {"cached_tokens": 9},
                        "output_tokens_details": {"reasoning_tokens": 1}},
                 {"input_tokens": "7", "output_tokens": 2.9, "input_tokens_details": []}, [3]]))}},
        {"type": "response.failed", "response": {"error": draw(st.sampled_from([
            {"message": text, "code": "server_error"}, {"message": "m", "code": ""}, "boom", None]))}},
        {"type": "error", "message": text, "code": draw(st.sampled_from(["rate_limit", "", None, 429]))},
        {"type": "response.created", "error": draw(st.sampled_from([None, "boom", {"message": "m"}, 1]))},
    ]))
    name = draw(st.sampled_from([ev["type"] if isinstance(ev.get("type"), str) else "x", "thread.run"]))
    return b"event: " + name.encode() + b"\ndata: " + _dumps(ev, draw(st.booleans())) + b"\n\n"


@st.composite
def mutated(draw):
    body = draw(st.sampled_from(bodies()))
    evs = events(body)
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.integers(0, 7))
        k = draw(st.integers(0, max(len(evs) - 1, 0)))
        if kind == 0 and evs:  # delete an event
            del evs[k]
        elif kind == 1 and evs:  # duplicate one
            evs.insert(k, evs[k])
        elif kind == 2 and len(evs) > 1:  # swap two neighbours
            j = min(k + 1, len(evs) - 1)
            evs[k], evs[j] = evs[j], evs[k]
        elif kind in (3, 4) and evs:  # a JSON value replaced by another type
            m = re.match(rb"(.*?data: )(.*?)(\n\n)\Z", evs[k], re.S)
            try:
                v = json.loads(m.group(2)) if m else None
            except (ValueError, RecursionError):  # already mutated into non-JSON (or too deep for json)
                m = None
            if m:
                path = draw(st.sampled_from(list(json_paths(v))))
                v = json_replace(v, path, draw(st.sampled_from(REPLACEMENTS)))
                evs[k] = m.group(1) + _dumps(v, draw(st.booleans())) + m.group(3)
        elif kind == 5:
            evs.insert(k, injected(draw, body))
        else:
            data = b"".join(evs)
            if data and kind == 6:  # a byte flipped
                i = draw(st.integers(0, len(data) - 1))
                data = data[:i] + bytes([data[i] ^ draw(st.integers(1, 255))]) + data[i + 1:]
            elif data:  # truncated
                data = data[:draw(st.integers(0, len(data)))]
            evs = [data]
    return b"".join(evs)


@given(mutated(), st.lists(st.integers(0, 10**6), max_size=6))
def test_mutated_bodies(body, cuts):
    same(body, cuts)


# ---- fixed mutations take the C path ---------------------------------------------------

def _fixed(body: bytes):
    evs = events(body)
    mid = len(evs) // 2
    yield body[:len(body) // 2]
    yield b"".join(evs[:mid] + evs[mid + 1:])
    yield b"".join(evs[:mid] + [evs[mid]] + evs[mid:])
    yield b"".join(evs[:mid] + [b'event: error\ndata: {"type":"error","message":"m\\u0000x","code":"c"}\n\n'])


@pytest.mark.parametrize("rel,iid", CORPUS[:8])
def test_mutations_stay_native(rel, iid):
    """Deleted, duplicated events and cut bodies are decoded by C, not handed back."""
    for body in _fixed(_body(rel, iid)):
        assert not falls_back(body, FMT)
        same(body, [len(body) // 2])


def test_huge_integer_falls_back_identically():
    body = next(b for b in bodies() if b'"type":"function_call"' in b)
    body = re.sub(rb'"output_index":\d+', b'"output_index":' + b"9" * 30, body)
    assert falls_back(body, FMT)
    same(body, [10, len(body) // 2])


def test_merged_events_replayed():
    """Identical events carrying a stray `delta` coalesce; each is still handled (two tool starts)."""
    ev = (b'event: response.output_item.added\ndata: {"type":"response.output_item.added","output_index":0,'
          b'"delta":"%s","item":{"type":"function_call","call_id":"c","name":"f"}}\n\n')
    body = ev % b"a" + ev % b"b" + (b'event: response.completed\ndata: {"type":"response.completed",'
                                    b'"response":{"id":"r"}}\n\n')
    assert not falls_back(body, FMT)
    parts = feeds(body, "native", [])[0][0]
    assert [p[0] for p in parts] == ["tool-input-start", "tool-input-start"]
    same(body, [])


def test_fallback_keeps_returned_metadata_live():
    """A body handed back to Python after some feeds: the metadata objects of the parts
    already returned keep changing with later events (here the summary), on both backends."""
    first = (b'data: {"type":"response.created","response":{"id":"r"}}\n\n'
             b'data: {"type":"response.output_item.added","output_index":0,"item":{"type":"reasoning","id":"rs"}}\n\n'
             b'data: {"type":"response.reasoning_summary_part.added","item_id":"rs","summary_index":0}\n\n')
    body = first + (b'data: {"type":"response.reasoning_summary_text.delta","item_id":"rs","summary_index":0,'
                    b'"delta":"abc"}\n\n'
                    b'data: {"type":"response.output_item.done","output_index":0,"item":{"type":"reasoning",'
                    b'"id":"rs","encrypted_content":"e"}}\n\n'
                    b'data: {"type":"response.completed","response":{"id":"r","usage":{"output_tokens":'
                    + str(10**20).encode() + b'}}}\n\n')
    assert falls_back(body, FMT)
    dec = StreamDecoder(FMT, "native")
    start = dec.feed(first)[0]
    dec.feed(body[len(first):])
    dec.close()
    assert start.type == "reasoning-start" and start.provider_metadata["openai"].summary == ["abc"]
    same(body, [len(first)])



# ---- non-streaming bodies: pf_responses_document_new --------------------------------------------


from hypothesis import HealthCheck, settings  # noqa: E402


DOCS = interactions(FMT, False)


@needs_corpus
@pytest.mark.parametrize("rel,iid", DOCS)
def test_corpus_documents_native_equals_python(rel, iid):
    check_corpus_document(rel, iid, (b'"file_citation"',))


def response(*output, usage=None, **top):
    d = {"id": "resp_1", "object": "response", "output": list(output), **top}
    if usage is not False:
        d["usage"] = usage or {"input_tokens": 10, "output_tokens": 4, "input_tokens_details": {"cached_tokens": 3},
                               "output_tokens_details": {"reasoning_tokens": 2}}
    return json.dumps(d).encode()


MSG = {"type": "message", "id": "msg_1", "content": [
    {"type": "output_text", "text": "hi", "annotations": [
        {"type": "url_citation", "url": "https://a", "title": "A"}, 7, {"type": "other"},
        {"type": "url_citation", "url": "https://b"}]},
    {"type": "refusal", "refusal": "no"}, {"type": "output_text"}, 3]}


# web search calls: a tool call and its result with the call's metadata (action, sources), as the
# stream's done item makes them; ids with escapes and many sources outlast the C scratch buffers
_SOURCES = [{"type": "url", "url": f"https://s{k}/\u00e9"} for k in range(20)] + [5, {"url": 3}]
WEB_SEARCH_DOCS = [
    response({"type": "web_search_call", "id": "ws_1", "action": {"type": "search", "query": "q"}}),
    response({"type": "web_search_call", "id": "ws_\u00e9\n", "status": "completed",
              "action": {"type": "search", "query": "tokyo \"population\"", "sources": _SOURCES}}, MSG,
             {"type": "web_search_call", "id": "ws_2", "action": {"type": "open_page", "url": "https://x"}},
             {"type": "function_call", "call_id": "c1", "name": "f", "arguments": "{}"}),
    response({"type": "web_search_call", "id": "ws_3"}, {"type": "web_search_call", "action": None},
             {"type": "web_search_call", "id": 7, "action": {"type": "", "query": "q"}},
             {"type": "web_search_call", "id": "ws_4", "action": {"query": "q", "sources": "x"}},
             {"type": "web_search_call", "id": "ws_5", "action": ["search"]}),
    response({"type": "web_search_call", "id": "ws_6", "action": {"type": "search", "query": 5}}),
    response({"type": "reasoning", "id": "rs_1", "summary": [{"text": "a"}]},
             {"type": "web_search_call", "id": "ws_7", "action": {"type": "search", "query": "q",
                                                                   "sources": [{"type": "url", "url": "u"}]}},
             {"type": "reasoning", "id": "rs_2", "summary": [], "encrypted_content": "enc"}, MSG),
]


@pytest.mark.parametrize("body", [
    response(MSG),
    response({"type": "reasoning", "id": "rs_1", "summary": [{"text": "a"}, {"text": "b"}, 5]},
             {"type": "reasoning", "id": "rs_2", "summary": [], "encrypted_content": "enc"},
             {"type": "reasoning", "id": "rs_3", "summary": []}, MSG,
             {"type": "function_call", "call_id": "c1", "name": "f", "arguments": "{\"x\": 1}"}, None, "x"),
    response(MSG, incomplete_details={"reason": "max_output_tokens"}),
    response(MSG, incomplete_details={"reason": "content_filter"}, usage=False),
    response(usage={"input_tokens": "9", "output_tokens": 1.0}), response(id=5), b'{"output": {}}',
    response(MSG, error=None), response(MSG, error={"message": ""}),
    *WEB_SEARCH_DOCS,
])
def test_document_shapes(body):
    assert document_in_c(body, FMT)
    same_document(body, FMT)


@pytest.mark.parametrize("body", [
    b"[1]", b"not json", b"null", response(MSG, error={"message": "boom", "code": "x"}),
    response({"type": "message", "content": [{"type": "output_text", "text": "t", "annotations": [
        {"type": "file_citation", "file_id": "f1", "filename": ""}]}]}),
])
def test_document_shapes_handed_back(body):
    assert not document_in_c(body, FMT)
    same_document(body, FMT)


def _doc_bodies():
    return [json.loads(interaction(*p.values).response.body_bytes) for p in DOCS
            if interaction(*p.values).response.code < 400]


DOC_BODIES = _doc_bodies() if DOCS else []
DOC_REPLACEMENTS = [None, True, 0, -1, 1.5, "7", "", "x\u00e9", [], {}, [1, {"a": None}], 10 ** 19, "\ud800",
                    {"type": "reasoning", "summary": [{"text": "s"}]}, [{"text": "t"}], "message", "function_call",
                    "web_search_call", {"type": "web_search_call", "id": "w", "action": {
                        "type": "search", "query": "q", "sources": [{"type": "url", "url": "u"}]}}]


@needs_corpus
@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(mutated_json(DOC_BODIES, DOC_REPLACEMENTS, ensure_ascii=True))
def test_mutated_corpus_documents(body):
    same_document(body, FMT)
