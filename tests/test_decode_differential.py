"""Decoders: native == python on random provider streams.

The two backends share the providers' state machines and differ in the
scanner under them (SSE split, JSON validation, pruning, coalescing of
delta runs, offsets, cut detection). Random streams of openai-chat,
anthropic and openai-responses events, drawn from a small vocabulary of
each API's events (valid ones, events out of order, error events, malformed
JSON, non-objects, unknown events, comments), with random line ends,
random truncation and random feed splits, must give the same result on
both backends: the same ``Response.to_json()``, or a ``DecodeError`` with
the same kind, message, offset and partial ``response.to_json()``. Fed to a
``StreamDecoder`` in random pieces, they must also give the same stream
parts on both backends and the result ``decode_body`` gives.
"""
from __future__ import annotations

import dataclasses
import json

import pytest
from hypothesis import given, settings, strategies as st

from pyfantasy import DecodeError
from pyfantasy.decode import StreamDecoder, decode_body

pytestmark = pytest.mark.needs_native

# ---- shared pieces -------------------------------------------------------------------

# short strings with what JSON escapes, multi-byte UTF-8, an astral char and a lone
# surrogate (written as an escape, or as the invalid UTF-8 "surrogatepass" gives)
texts = st.text(st.sampled_from(list("ab Oi!\"\\\n\t\u00e9\u4e16\U0001F600\ud800{}:,")), max_size=6)
ints = st.integers(0, 3) | st.sampled_from([-1, 10**20])
small_ints = st.integers(0, 2)
names = st.sampled_from(["weather", "add", "multiply", ""])
args = st.sampled_from(["", "{", "{\"location\":", "\"Florence\"}", "{}", "{\"a\":1}", "[1]", "nul"])


@st.composite
def dumps(draw, value) -> bytes:
    """JSON text of ``value`` with random escaping and spacing (spaces and tabs only:
    an SSE data line cannot hold a line break)."""
    ascii = draw(st.booleans())
    seps = draw(st.sampled_from([(",", ":"), (", ", ": "), (",\t", ":\t")]))
    text = json.dumps(value, ensure_ascii=ascii, separators=seps)
    pad = draw(st.sampled_from(["", " ", "   \t"]))
    return (text + pad).encode("utf-8", "surrogatepass")


MALFORMED = [b"{", b'{"id": "c1", "choices": [}', b'{"type":', b"nul", b"{} {}", b"[1,]",
             b'{"a":1}x', b"\xff\xfe", b"NaN", b'{"type":"message_stop"', b"  "]
NON_OBJECTS = [b"null", b"[]", b"1", b'"text"', b"true"]


@st.composite
def sse_body(draw, events, done: bool) -> bytes:
    """An SSE body of ``events`` (``(name or None, data bytes)``), random line ends,
    comments, a [DONE] marker (``done``) and a random truncation."""
    eol = draw(st.sampled_from([b"\n", b"\r\n", b"\r"]))
    out = []
    for name, data in events:
        if draw(st.integers(0, 9)) == 0:
            out.append(b": keep-alive" + eol)
        if name is not None:
            out.append(b"event: " + name.encode() + eol)
        out.append(b"data: " + data + eol + eol)
    if done and draw(st.integers(0, 4)):
        out.append(b"data: [DONE]" + eol + eol)
    body = b"".join(out)
    if draw(st.integers(0, 3)) == 0:  # a cut connection
        body = body[:draw(st.integers(0, len(body)))]
    return body


def _error(e: DecodeError):
    return ("error", e.kind, e.message, e.offset, e.response.to_json() if e.response is not None else None)


def _part(p):
    """A stream part as comparable values (errors by kind, message and offset)."""
    out = []
    for f in dataclasses.fields(p):
        v = getattr(p, f.name)
        if isinstance(v, DecodeError):
            v = (v.kind, v.message, v.offset)
        elif isinstance(v, BaseException):
            v = (type(v).__name__, str(v))
        out.append(v)
    return tuple(out)


def whole(body: bytes, fmt: str, backend: str, variant=None):
    try:
        return ("ok", decode_body(body, fmt, True, backend, variant=variant).to_json())
    except DecodeError as e:
        return _error(e)


def pieces(body: bytes, fmt: str, backend: str, cuts, variant=None):
    dec = StreamDecoder(fmt, backend, variant=variant)
    assert dec.backend == backend
    parts, prev = [], 0
    try:
        for cut in sorted(c % (len(body) + 1) for c in cuts) + [len(body)]:
            parts += [_part(p) for p in dec.feed(body[prev:cut])]
            prev = cut
        return ("ok", dec.close().to_json()), parts
    except DecodeError as e:
        return _error(e), parts


def check(body: bytes, fmt: str, cuts, variant=None) -> None:
    py = whole(body, fmt, "python", variant)
    assert whole(body, fmt, "native", variant) == py
    py_split, py_parts = pieces(body, fmt, "python", cuts, variant)
    nat_split, nat_parts = pieces(body, fmt, "native", cuts, variant)
    assert nat_split == py_split
    assert nat_parts == py_parts
    assert py_split == py  # any feed split decodes as the whole body does


splits = st.lists(st.integers(0, 10**6), max_size=6)
malformed = st.sampled_from(MALFORMED) | st.binary(max_size=8)


def _kind(draw, valid, bad):
    """An event kind: one of ``valid`` (0..valid) seven times in eight, else one of ``bad``
    (so that most streams get somewhere before they fail)."""
    return draw(st.integers(0, valid)) if draw(st.integers(0, 7)) else draw(st.sampled_from(bad))


def streams(event, tail, start=(), group=None):
    """``start`` + random events (and well-formed ``group`` runs of events) + (half the
    time) a well-formed ending."""
    item = event.map(lambda e: [e]) if group is None else (event.map(lambda e: [e]) | group)
    return st.tuples(st.lists(item, max_size=10), st.booleans()).map(
        lambda t: list(start) + [e for g in t[0] for e in g] + (list(tail) if t[1] else []))

# ---- openai-chat -------------------------------------------------------------------------


def _chunk(cid, delta, finish=None, **extra):
    return {"id": cid, "choices": [{"index": 0, "delta": delta, "finish_reason": finish}], **extra}


@st.composite
def chat_event(draw):
    cid = draw(st.sampled_from(["c1", "c1", "c2"]))
    kind = _kind(draw, 10, [11, 12, 13])
    if kind <= 2:
        v = _chunk(cid, {"content": draw(texts)})
    elif kind == 3:
        v = _chunk(cid, {draw(st.sampled_from(["reasoning_content", "reasoning"])): draw(texts)})
    elif kind == 4:
        k = draw(small_ints)
        v = _chunk(cid, {"tool_calls": [{"index": k, "id": f"call_{k}", "type": "function",
                                         "function": {"name": draw(names), "arguments": draw(args)}}]})
    elif kind == 5:
        v = _chunk(cid, {"tool_calls": [{"index": draw(small_ints), "function": {"arguments": draw(args)}}]})
    elif kind == 6:
        v = _chunk(cid, {}, draw(st.sampled_from(["stop", "length", "tool_calls", "content_filter",
                                                  "function_call", "other", "", None])))
    elif kind == 7:
        p, o = draw(ints), draw(ints)
        v = {"id": cid, "choices": [], "usage": {
            "prompt_tokens": p, "completion_tokens": o, "total_tokens": p + o,
            "prompt_tokens_details": {"cached_tokens": draw(small_ints)},
            "completion_tokens_details": {"reasoning_tokens": draw(small_ints)}}}
    elif kind == 8:
        v = _chunk(cid, {"role": "assistant", "content": draw(st.sampled_from(["", None]))})
    elif kind == 9:
        detail = draw(st.sampled_from([
            {"type": "reasoning.text", "text": "think", "index": 0},
            {"type": "reasoning.encrypted", "data": "enc", "index": 0},
            {"type": "reasoning.summary", "summary": "sum", "index": 1}]))
        v = _chunk(cid, {"reasoning_details": [detail]}, provider="P")
    elif kind == 10:
        v = _chunk(cid, {"annotations": [{"type": "url_citation",
                                          "url_citation": {"url": "https://x.test", "title": draw(texts)}}]})
    elif kind == 11:
        v = {"error": draw(st.sampled_from([{"message": "overloaded", "type": "server_error"}, "boom", 1]))}
    elif kind == 12:
        return None, draw(malformed)
    else:
        return None, draw(st.sampled_from(NON_OBJECTS))
    return None, draw(dumps(v))


CHAT_END = [(None, json.dumps(_chunk("c1", {}, "stop")).encode()),
            (None, b'{"id":"c1","choices":[],"usage":{"prompt_tokens":4,"completion_tokens":2,"total_tokens":6}}')]


@given(streams(chat_event(), CHAT_END).flatmap(lambda evs: sse_body(evs, True)), splits,
       st.sampled_from(["openai", "compat", "openrouter", "vercel"]))
def test_openai_chat_streams(body, cuts, variant):
    check(body, "openai-chat", cuts, variant)


# ---- anthropic ---------------------------------------------------------------------------

_BLOCKS = [{"type": "text", "text": ""}, {"type": "thinking", "thinking": "", "signature": ""},
           {"type": "redacted_thinking", "data": "opaque"},
           {"type": "tool_use", "id": "toolu_1", "name": "weather", "input": {}},
           {"type": "server_tool_use", "id": "srvtoolu_1", "name": "web_search", "input": {}},
           {"type": "mystery"}]
_STOPS = ["end_turn", "tool_use", "max_tokens", "stop_sequence", "refusal", "pause_turn", "", None]


@st.composite
def anthropic_event(draw):
    kind = _kind(draw, 9, [10, 11, 12, 13])
    idx = draw(small_ints)
    if kind == 0:
        v = {"type": "message_start", "message": {
            "id": "msg_1", "type": "message", "role": "assistant", "content": [], "stop_reason": None,
            "usage": {"input_tokens": draw(ints), "output_tokens": draw(ints),
                      "cache_creation_input_tokens": draw(small_ints), "cache_read_input_tokens": 0}}}
    elif kind == 1:
        v = {"type": "content_block_start", "index": idx, "content_block": draw(st.sampled_from(_BLOCKS))}
    elif kind <= 4:
        v = {"type": "content_block_delta", "index": idx,
             "delta": ({"type": "text_delta", "text": draw(texts)} if kind <= 3
                       else {"type": "thinking_delta", "thinking": draw(texts)})}
    elif kind == 5:
        v = {"type": "content_block_delta", "index": idx,
             "delta": draw(st.sampled_from([{"type": "input_json_delta", "partial_json": a}
                                            for a in ["", "{\"loc", "ation\": \"F\"}", "{}"]]
                                           + [{"type": "signature_delta", "signature": "sig"},
                                              {"type": "citations_delta"}]))}
    elif kind == 6:
        v = {"type": "content_block_stop", "index": idx}
    elif kind == 7:
        v = {"type": "message_delta", "delta": {"stop_reason": draw(st.sampled_from(_STOPS)),
                                                "stop_sequence": None},
             "usage": {"output_tokens": draw(ints), "input_tokens": draw(st.none() | ints)}}
    elif kind == 8:
        v = {"type": "message_stop"}
    elif kind == 9:
        v = {"type": "ping"}
    elif kind == 10:
        data = draw(st.sampled_from([
            b'{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}',
            b'{"type":"error","error":{"type":"api_error","message":"x"}}', b'{"type":"error"}',
            b"not json", b"[1]"]))
        return "error", data
    elif kind == 11:
        name = draw(st.sampled_from(["content_block_delta", "message_stop", "ping", None]))
        return name, draw(malformed)
    elif kind == 12:
        return draw(st.sampled_from(["message_start", "content_block_delta"])), draw(st.sampled_from(NON_OBJECTS))
    else:  # an event named otherwise than its type, or not at all
        v = {"type": "content_block_delta", "index": idx, "delta": {"type": "text_delta", "text": draw(texts)}}
        return draw(st.sampled_from([None, "message", "unknown", "message_stop"])), draw(dumps(v))
    return v["type"], draw(dumps(v))


ANTHROPIC_START = [("message_start", b'{"type":"message_start","message":{"id":"msg_1","content":[],'
                                     b'"usage":{"input_tokens":1}}}')]
ANTHROPIC_END = [("message_delta", b'{"type":"message_delta","delta":{"stop_reason":"end_turn"},'
                                   b'"usage":{"output_tokens":3}}'),
                 ("message_stop", b'{"type":"message_stop"}')]


def _anthropic_stream(events):
    return ANTHROPIC_START + events


@st.composite
def anthropic_block(draw):
    """A whole content block: start, deltas, stop (its index drawn: 0, 1 or 2)."""
    idx = draw(small_ints)
    block = draw(st.sampled_from(_BLOCKS[:4]))
    key = {"text": ("text_delta", "text"), "thinking": ("thinking_delta", "thinking"),
           "tool_use": ("input_json_delta", "partial_json")}.get(block["type"])
    evs = [("content_block_start", {"type": "content_block_start", "index": idx, "content_block": block})]
    if key is not None:
        for _ in range(draw(st.integers(0, 4))):
            val = draw(args if key[0] == "input_json_delta" else texts)
            evs.append(("content_block_delta", {"type": "content_block_delta", "index": idx,
                                                "delta": {"type": key[0], key[1]: val}}))
        if block["type"] == "thinking" and draw(st.booleans()):
            evs.append(("content_block_delta", {"type": "content_block_delta", "index": idx,
                                                "delta": {"type": "signature_delta", "signature": "sig"}}))
    evs.append(("content_block_stop", {"type": "content_block_stop", "index": idx}))
    return [(n, draw(dumps(v))) for n, v in evs]


@given(streams(anthropic_event(), ANTHROPIC_END, ANTHROPIC_START, anthropic_block())
       .flatmap(lambda evs: sse_body(evs, False)), splits)
def test_anthropic_streams(body, cuts):
    check(body, "anthropic", cuts)


# ---- openai-responses ---------------------------------------------------------------------

_ITEMS = [{"id": "msg_1", "type": "message", "role": "assistant", "content": []},
          {"id": "rs_1", "type": "reasoning", "summary": []},
          {"id": "rs_1", "type": "reasoning", "summary": [], "encrypted_content": "enc"},
          {"id": "fc_1", "type": "function_call", "call_id": "call_1", "name": "weather", "arguments": ""},
          {"id": "fc_1", "type": "function_call", "call_id": "call_1", "name": "weather",
           "arguments": "{\"location\":\"Florence\"}"},
          {"id": "ws_1", "type": "web_search_call", "action": {"type": "search", "query": "q"}},
          {"id": "x_1", "type": "mystery"}]


@st.composite
def responses_event(draw):
    kind = _kind(draw, 12, [11, 13, 14, 15])
    out_idx = draw(small_ints)
    if kind == 0:
        v = {"type": "response.created", "response": {"id": "resp_1", "status": "in_progress", "usage": None}}
    elif kind <= 2:
        v = {"type": draw(st.sampled_from(["response.output_item.added", "response.output_item.done"])),
             "output_index": out_idx, "item": draw(st.sampled_from(_ITEMS))}
    elif kind <= 5:
        v = {"type": "response.output_text.delta", "item_id": draw(st.sampled_from(["msg_1", "msg_2"])),
             "output_index": out_idx, "content_index": 0, "delta": draw(texts), "logprobs": []}
    elif kind == 6:
        v = {"type": "response.function_call_arguments.delta", "item_id": "fc_1", "output_index": out_idx,
             "delta": draw(args)}
    elif kind == 7:
        v = {"type": "response.reasoning_summary_part.added", "item_id": "rs_1", "output_index": out_idx,
             "summary_index": draw(small_ints), "part": {"type": "summary_text", "text": ""}}
    elif kind == 8:
        v = {"type": "response.reasoning_summary_text.delta", "item_id": "rs_1", "output_index": out_idx,
             "summary_index": draw(st.integers(-1, 2)), "delta": draw(texts)}
    elif kind == 9:
        ann = draw(st.sampled_from([
            {"type": "url_citation", "url": "https://x.test", "title": "T", "start_index": 0, "end_index": 1},
            {"type": "file_citation", "filename": "f.pdf", "file_id": "file_1"},
            {"type": "file_citation"}, "not an object"]))
        v = {"type": "response.output_text.annotation.added", "item_id": "msg_1", "output_index": out_idx,
             "annotation": ann}
    elif kind == 10:
        i, o = draw(ints), draw(ints)
        v = {"type": draw(st.sampled_from(["response.completed", "response.incomplete"])), "response": {
            "id": "resp_1",
            "incomplete_details": draw(st.sampled_from([None, {"reason": "max_output_tokens"},
                                                        {"reason": "content_filter"}])),
            "usage": {"input_tokens": i, "output_tokens": o, "total_tokens": i + o,
                      "input_tokens_details": {"cached_tokens": draw(small_ints)},
                      "output_tokens_details": {"reasoning_tokens": draw(small_ints)}}}}
    elif kind == 11:
        v = draw(st.sampled_from([
            {"type": "response.failed", "response": {"id": "resp_1",
                                                     "error": {"code": "server_error", "message": "boom"}}},
            {"type": "error", "code": "rate_limit", "message": "slow down"},
            {"type": "error"},
            {"error": {"message": "top-level"}}]))
    elif kind == 12:
        v = {"type": draw(st.sampled_from(["response.in_progress", "response.content_part.added",
                                           "response.output_text.done", "response.unknown"])),
             "item_id": "msg_1", "output_index": out_idx}
    elif kind == 13:
        return draw(st.sampled_from([None, "response.output_text.delta"])), draw(malformed)
    elif kind == 14:
        return None, draw(st.sampled_from(NON_OBJECTS))
    else:  # the Responses reader ignores event names: a misleading one changes nothing
        v = {"type": "response.output_text.delta", "item_id": "msg_1", "output_index": 0, "delta": draw(texts)}
        return draw(st.sampled_from(["message", "error", "response.completed"])), draw(dumps(v))
    return v.get("type"), draw(dumps(v))


RESPONSES_END = [("response.completed", b'{"type":"response.completed","response":{"id":"resp_1","usage":'
                                         b'{"input_tokens":4,"output_tokens":2,"total_tokens":6}}}')]


@st.composite
def responses_item(draw):
    """A whole output item: added, its deltas, done."""
    out_idx = draw(small_ints)
    which = draw(st.sampled_from(["message", "reasoning", "function_call"]))
    added = {"message": _ITEMS[0], "reasoning": _ITEMS[1], "function_call": _ITEMS[3]}[which]
    done = {"message": _ITEMS[0], "reasoning": _ITEMS[2], "function_call": _ITEMS[4]}[which]
    evs = [{"type": "response.output_item.added", "output_index": out_idx, "item": added}]
    for k in range(draw(st.integers(0, 4))):
        if which == "message":
            evs.append({"type": "response.output_text.delta", "item_id": "msg_1", "output_index": out_idx,
                        "content_index": 0, "delta": draw(texts)})
        elif which == "function_call":
            evs.append({"type": "response.function_call_arguments.delta", "item_id": "fc_1",
                        "output_index": out_idx, "delta": draw(args)})
        else:
            if k == 0 or draw(st.booleans()):
                evs.append({"type": "response.reasoning_summary_part.added", "item_id": "rs_1",
                            "output_index": out_idx, "summary_index": k})
            evs.append({"type": "response.reasoning_summary_text.delta", "item_id": "rs_1",
                        "output_index": out_idx, "summary_index": k, "delta": draw(texts)})
    evs.append({"type": "response.output_item.done", "output_index": out_idx, "item": done})
    return [(v["type"], draw(dumps(v))) for v in evs]


@given(streams(responses_event(), RESPONSES_END, group=responses_item())
       .flatmap(lambda evs: sse_body(evs, False)), splits)
def test_openai_responses_streams(body, cuts):
    check(body, "openai-responses", cuts)


# ---- runs of deltas (what coalescing merges), around the feed splits --------------------

@given(st.lists(texts, min_size=1, max_size=20), splits, st.sampled_from(["openai-chat", "anthropic",
                                                                            "openai-responses"]),
       st.booleans())
def test_delta_runs(deltas, cuts, fmt, finish):
    """Long runs of text deltas (merged into few chunks by the scanner) with an end or not."""
    if fmt == "openai-chat":
        evs = [(None, json.dumps(_chunk("c1", {"content": t})).encode()) for t in deltas]
        if finish:
            evs += [(None, json.dumps(_chunk("c1", {}, "stop")).encode()), (None, b"[DONE]")]
    elif fmt == "anthropic":
        evs = _anthropic_stream([("content_block_start", b'{"type":"content_block_start","index":0,'
                                                         b'"content_block":{"type":"text","text":""}}')])
        evs += [("content_block_delta", json.dumps({"type": "content_block_delta", "index": 0, "delta": {
            "type": "text_delta", "text": t}}).encode()) for t in deltas]
        if finish:
            evs += [("content_block_stop", b'{"type":"content_block_stop","index":0}'),
                    ("message_delta", b'{"type":"message_delta","delta":{"stop_reason":"end_turn"},'
                                      b'"usage":{"output_tokens":3}}'),
                    ("message_stop", b'{"type":"message_stop"}')]
    else:
        evs = [("response.output_item.added", json.dumps({"type": "response.output_item.added",
                                                           "output_index": 0, "item": _ITEMS[0]}).encode())]
        evs += [("response.output_text.delta", json.dumps({
            "type": "response.output_text.delta", "item_id": "msg_1", "output_index": 0,
            "content_index": 0, "delta": t}).encode()) for t in deltas]
        if finish:
            evs += [("response.output_item.done", json.dumps({"type": "response.output_item.done",
                                                               "output_index": 0, "item": _ITEMS[0]}).encode()),
                    ("response.completed", b'{"type":"response.completed","response":{"id":"resp_1"}}')]
    body = b"".join((b"event: " + n.encode() + b"\n" if n else b"") + b"data: " + d + b"\n\n" for n, d in evs)
    check(body, fmt, cuts)
    if finish:
        r = decode_body(body, fmt, True, "native")
        # a lone surrogate escape reads as U+FFFD, as in Go
        text = "".join(p.text for p in (r.content or []) if p.type == "text")
        assert text == "".join(deltas).replace("\ud800", "\ufffd")


# ---- hostile values in every format (issue 12) -------------------------------------------
# Deep nesting (past Python's recursion limit), integers past float64 and past CPython's
# 4,300-digit str() limit, numbers out of float64 range, lone surrogate escapes: in the
# raw-JSON fields a decoder keeps (tool inputs, usage extras, cost), in typed float fields
# and in keys nobody reads. Both backends must agree and raise nothing but DecodeError.

HOSTILE = [
    "[" * 3000 + "]" * 3000,
    '{"a":' * 3000 + "1" + "}" * 3000,
    '[{"k":' * 1500 + '"\\ud800"' + "}]" * 1500,
    "9" * 400, "-" + "9" * 5000, "1e999", "-1e999", "1.5e-999",
    '"\\ud800x"', '{"\\udc00":"\\ud800"}', '{"a":[1e999,' + "9" * 400 + "]}",
]

# (format, stream, variant, body with @@ where the hostile value goes)
_CHAT_DOC = ('{"id":"c1","provider":@@,"choices":[{"index":0,"message":{"role":"assistant","content":"hi",'
             '"tool_calls":[{"id":"call_1","type":"function","function":{"name":"f","arguments":"{}"}}]},'
             '"finish_reason":"stop"}],"x":@@,"usage":{"prompt_tokens":1,"completion_tokens":2,'
             '"total_tokens":3,"cost":@@,"cost_details":{"upstream_inference_cost":@@},"cost_in_usd_ticks":@@}}')
_ANTHROPIC_DOC = ('{"id":"m1","type":"message","role":"assistant","x":@@,"content":[{"type":"text","text":"hi"},'
                  '{"type":"tool_use","id":"t1","name":"weather","input":{"a":@@}},'
                  '{"type":"server_tool_use","id":"s1","name":"web_search","input":{"q":@@}}],'
                  '"stop_reason":"tool_use","usage":{"input_tokens":1,"output_tokens":2,"x":@@}}')
_ANTHROPIC_EVENTS = [
    '{"type":"message_start","message":{"id":"m1","content":[],"x":@@,"usage":{"input_tokens":1,"x":@@}}}',
    '{"type":"content_block_start","index":0,"content_block":{"type":"tool_use","id":"t1","name":"w",'
    '"input":{"a":@@}}}',
    '{"type":"content_block_delta","index":0,"x":@@,"delta":{"type":"input_json_delta","partial_json":"{}"}}',
    '{"type":"content_block_stop","index":0}',
    '{"type":"content_block_start","index":1,"content_block":{"type":"server_tool_use","id":"s1",'
    '"name":"web_search","input":@@}}',
    '{"type":"content_block_stop","index":1}',
    '{"type":"message_delta","delta":{"stop_reason":"tool_use"},"usage":{"output_tokens":3,"x":@@}}',
    '{"type":"message_stop"}']
_RESPONSES_EVENTS = [
    '{"type":"response.created","response":{"id":"r1","x":@@}}',
    '{"type":"response.output_item.added","output_index":0,"item":{"id":"fc_1","type":"function_call",'
    '"call_id":"c1","name":"w","arguments":"","x":@@}}',
    '{"type":"response.function_call_arguments.delta","item_id":"fc_1","output_index":0,"delta":"{}","x":@@}',
    '{"type":"response.output_item.done","output_index":0,"item":{"id":"fc_1","type":"function_call",'
    '"call_id":"c1","name":"w","arguments":"{}"}}',
    '{"type":"response.completed","response":{"id":"r1","usage":{"input_tokens":1,"output_tokens":2,'
    '"total_tokens":3,"x":@@}}}']
_GOOGLE_DOC = ('{"candidates":[{"content":{"role":"model","parts":[{"text":"hi"},{"functionCall":{"name":"f",'
               '"args":{"a":@@}}}]},"finishReason":"STOP","x":@@}],"usageMetadata":{"promptTokenCount":1,'
               '"candidatesTokenCount":2,"totalTokenCount":3},"x":@@}')


def _sse(events, names=False, done=False) -> str:
    out = ""
    for e in events:
        if names:
            out += "event: " + json.loads(e.replace("@@", "0"))["type"] + "\n"
        out += "data: " + e + "\n\n"
    return out + ("data: [DONE]\n\n" if done else "")


def _evstream(events) -> bytes:
    """AWS event-stream frames of Bedrock ``chunk`` events carrying ``events`` (bytes)."""
    import base64
    import struct
    import zlib

    def header(name, value):
        return bytes([len(name)]) + name.encode() + b"\x07" + struct.pack(">H", len(value)) + value.encode()
    out = b""
    for e in events:
        heads = header(":event-type", "chunk") + header(":content-type", "application/json") + \
            header(":message-type", "event")
        payload = json.dumps({"bytes": base64.b64encode(e).decode()}).encode()
        prelude = struct.pack(">II", 16 + len(heads) + len(payload), len(heads))
        prelude += struct.pack(">I", zlib.crc32(prelude))
        msg = prelude + heads + payload
        out += msg + struct.pack(">I", zlib.crc32(msg))
    return out


_CHAT_EVENTS = [
    '{"id":"c1","provider":@@,"choices":[{"index":0,"delta":{"content":"hi"}}],"x":@@}',
    '{"id":"c1","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"call_1","type":"function",'
    '"function":{"name":"f","arguments":"{}"}}]}}]}',
    '{"id":"c1","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}',
    '{"id":"c1","choices":[],"usage":{"prompt_tokens":1,"completion_tokens":2,"total_tokens":3,"cost":@@,'
    '"cost_details":{"upstream_inference_cost":@@},"cost_in_usd_ticks":@@}}']
HOSTILE_BODIES = [
    ("openai-chat", False, v, _CHAT_DOC) for v in ("openai", "compat", "openrouter")] + [
    ("openai-chat", True, v, _sse(_CHAT_EVENTS, done=True)) for v in ("openai", "compat", "openrouter")] + [
    ("openai-chat", True, "openai", _sse(['{"error":@@}'])),
    ("anthropic", False, None, _ANTHROPIC_DOC),
    ("anthropic", True, None, _sse(_ANTHROPIC_EVENTS, names=True)),
    ("openai-responses", True, None, _sse(_RESPONSES_EVENTS, names=True)),
    ("openai-responses", True, None, _sse(['{"error":@@}'])),
    ("google", False, None, _GOOGLE_DOC),
    ("google", True, None, "data: " + _GOOGLE_DOC + "\r\n\r\n"),
    ("bedrock", False, None, _ANTHROPIC_DOC),
    ("bedrock", True, None, None),  # _ANTHROPIC_EVENTS in event-stream frames
]


def _hostile_body(fmt, template, value, holes) -> bytes:
    """``template`` with ``value`` in the holes chosen (a bitmask), 0 in the others."""
    def fill(text):
        parts = text.split("@@")
        return "".join(p + (value if holes >> k & 1 else "0") for k, p in enumerate(parts[:-1])) + parts[-1]
    if template is None:  # bedrock stream: the same holes, one per frame's event
        return _evstream([fill(e).encode() for e in _ANTHROPIC_EVENTS])
    return fill(template).encode()


def _raw_error(e: DecodeError):
    return ("error", e.kind, e.message, e.offset, e.response.to_json_bytes() if e.response is not None else None)


def decode_any(body: bytes, fmt: str, stream: bool, backend: str, variant=None):
    """The outcome of decoding ``body`` whole, as bytes (a deep value makes Python's ``==``
    on parsed JSON recurse too far)."""
    try:
        return ("ok", decode_body(body, fmt, stream, backend, variant=variant).to_json_bytes())
    except DecodeError as e:
        return _raw_error(e)


def pieces_any(body: bytes, fmt: str, backend: str, cuts, variant=None):
    dec = StreamDecoder(fmt, backend, variant=variant)
    parts, prev = [], 0
    try:
        for cut in sorted(c % (len(body) + 1) for c in cuts) + [len(body)]:
            parts += [_part(p) for p in dec.feed(body[prev:cut])]
            prev = cut
        return ("ok", dec.close().to_json_bytes()), parts
    except DecodeError as e:
        return _raw_error(e), parts


@settings(max_examples=60)
@given(st.sampled_from(range(len(HOSTILE_BODIES))), st.sampled_from(HOSTILE), st.integers(1, 255), splits)
def test_hostile_values_every_format(which, value, holes, cuts):
    fmt, stream, variant, template = HOSTILE_BODIES[which]
    body = _hostile_body(fmt, template, value, holes)
    py = decode_any(body, fmt, stream, "python", variant)
    assert decode_any(body, fmt, stream, "native", variant) == py
    if stream:
        py_split, py_parts = pieces_any(body, fmt, "python", cuts, variant)
        nat_split, nat_parts = pieces_any(body, fmt, "native", cuts, variant)
        assert nat_split == py_split == py
        assert nat_parts == py_parts


@pytest.mark.parametrize("which", range(len(HOSTILE_BODIES)))
def test_hostile_templates_decode_when_harmless(which):
    """The templates are valid bodies of their format: with 0 in every hole they decode."""
    fmt, stream, variant, template = HOSTILE_BODIES[which]
    r = decode_any(_hostile_body(fmt, template, "0", 0), fmt, stream, "python", variant)
    if "error" not in (template or ""):
        assert r[0] == "ok", r
