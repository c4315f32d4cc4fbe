"""Bad input: every failure is a DecodeError with kind, message and offset, and
nothing decoded before it is lost (``exc.response``)."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from pyfantasy import DecodeError, UsageError
from pyfantasy.cassette import Cassette, Interaction, Request, Response as Recorded
from pyfantasy.decode import StreamDecoder, decode_body, decode_interaction


def chunk(content=None, finish=None, tool=None, usage=None, cid="c1"):
    delta = {}
    if content is not None:
        delta["content"] = content
    if tool is not None:
        delta["tool_calls"] = [tool]
    ch = {"id": cid, "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}
    if usage is not None:
        ch = {"id": cid, "choices": [], "usage": usage}
    return b"data: " + json.dumps(ch).encode() + b"\n\n"


USAGE = {"prompt_tokens": 5, "completion_tokens": 3, "total_tokens": 8}
GOOD = chunk("Hel") + chunk("lo") + chunk(finish="stop") + chunk(usage=USAGE) + b"data: [DONE]\n\n"


def test_good_stream(backend):
    r = decode_body(GOOD, "openai-chat", True, backend)
    assert [p.text for p in r.content] == ["Hello"]
    assert (r.finish_reason, r.usage.total_tokens) == ("stop", 8)


def test_comment_after_last_event_is_not_a_cut(backend):
    r = decode_body(GOOD + b": keep-alive", "openai-chat", True, backend)
    assert r.content[0].text == "Hello"


def test_cut_after_done_is_ignored(backend):
    r = decode_body(GOOD + b"data: {\"x", "openai-chat", True, backend)
    assert r.content[0].text == "Hello"


def test_missing_done_decodes_as_fantasy_does(backend):
    """Cerebras and Hugging Face's router end chat streams after the finish chunk and
    usage, without [DONE]; fantasy decodes them normally, and so does pyfantasy."""
    body = GOOD[:-len(b"data: [DONE]\n\n")]
    r = decode_body(body, "openai-chat", True, backend)
    assert r == decode_body(GOOD, "openai-chat", True, backend)
    assert r.finish_reason == "stop" and r.content[0].text == "Hello" and r.usage.total_tokens == 8


def test_no_done_and_no_finish_reason_is_a_cut(backend):
    """Neither [DONE] nor a finish reason: fantasy's unexpected EOF, with the text kept."""
    body = chunk("Hel") + chunk("lo")
    with pytest.raises(DecodeError) as ei:
        decode_body(body, "openai-chat", True, backend)
    e = ei.value
    assert e.kind == "truncated" and "unexpected EOF" in e.message and e.offset == len(body)
    assert e.response.content[0].text == "Hello"


def test_responses_streams_need_no_done(backend):
    body = (b'data: {"type":"response.output_text.delta","item_id":"m","output_index":0,'
            b'"content_index":0,"delta":"Hi"}\n\n')
    with pytest.raises(DecodeError) as ei:  # cut before response.completed, not for want of [DONE]
        decode_body(body, "openai-responses", True, backend)
    assert "[DONE]" not in ei.value.message


@pytest.mark.parametrize("cut", [10, 40, 90])
def test_stream_cut_mid_event(backend, cut):
    body = chunk("Hel") + chunk("lo") + chunk(finish="stop")
    body = body[:len(chunk("Hel")) + cut]
    with pytest.raises(DecodeError) as ei:
        decode_body(body, "openai-chat", True, backend)
    e = ei.value
    assert e.kind == "truncated" and "unexpected EOF" in e.message
    assert e.offset == len(body)
    # the text decoded before the cut is kept (the open text block closes at the end)
    assert [p.text for p in e.response.content] == ["Hel"]


def test_truncated_tool_call_keeps_text(backend):
    body = (chunk("Let me check.") +
            chunk(tool={"index": 0, "id": "call_1", "type": "function",
                        "function": {"name": "weather", "arguments": "{\"loc"}}))
    with pytest.raises(DecodeError) as ei:
        decode_body(body + b"data: {\"id\":\"c1\",\"choi", "openai-chat", True, backend)
    # fantasy would end this stream as tool-calls (a tool call needs no finish reason);
    # pyfantasy still says the body was cut, and keeps that Response
    e = ei.value
    assert e.kind == "truncated" and e.offset == len(body)
    assert [p.type for p in e.response.content] == ["text", "tool-call"]
    assert e.response.finish_reason == "tool-calls"
    assert e.response.content[1].invalid  # '{"loc' is not a JSON object


def test_malformed_json_chunk(backend):
    bad = b"data: {\"id\": \"c1\", \"choices\": [}\n\n"
    body = chunk("Hi") + chunk(" there") + bad + chunk("never") + chunk(finish="stop")
    with pytest.raises(DecodeError) as ei:
        decode_body(body, "openai-chat", True, backend)
    e = ei.value
    assert e.kind == "json"
    assert e.offset == body.index(bad)
    assert str(e.offset) in str(e)
    # the text block was still open (fantasy's agent would drop it): the partial keeps it
    assert [(p.type, p.text) for p in e.response.content] == [("text", "Hi there")]


def test_error_object_in_stream(backend):
    err = b'data: {"error": {"message": "overloaded", "type": "server_error"}}\n\n'
    body = chunk("partial") + chunk(tool={"index": 0, "id": "x", "type": "function",
                                          "function": {"name": "f", "arguments": "{}"}}) + err
    with pytest.raises(DecodeError) as ei:
        decode_body(body, "openai-chat", True, backend)
    e = ei.value
    assert e.kind == "provider-error" and e.message == "stream error: overloaded"
    # the text block was closed by the tool call, so it survives in the partial response
    assert [p.text for p in e.response.content] == ["partial"]


def test_error_key_with_any_value_stops_the_stream(backend):
    body = chunk("a") + b'data: {"error": null}\n\n'
    with pytest.raises(DecodeError) as ei:
        decode_body(body, "openai-chat", True, backend)
    assert ei.value.message == "stream error: received error while streaming: null"


def test_non_json_body(backend):
    with pytest.raises(DecodeError) as ei:
        decode_body(b"<html>502 Bad Gateway</html>", "openai-chat", False, backend)
    assert ei.value.kind == "json" and ei.value.offset == 0


def test_no_choices(backend):
    with pytest.raises(DecodeError) as ei:
        decode_body(b'{"id":"x","choices":[]}', "openai-chat", False, backend)
    assert ei.value.kind == "no-response" and ei.value.message == "no response: no response generated"


def test_unknown_format():
    with pytest.raises(DecodeError) as ei:
        decode_body(b"{}", "smoke-signals", False)
    assert ei.value.kind == "unknown-format" and "openai-chat" in ei.value.message


def _interaction(body, code=200, status="200 OK", ctype="application/json", url=None, stream=False):
    req_body = json.dumps({"model": "m", "messages": [], "stream": stream})
    return Interaction(id=0, request=Request(url=url or "https://api.openai.com/v1/chat/completions",
                                             method="POST", body=req_body),
                       response=Recorded(body=body, code=code, status=status,
                                         headers={"Content-Type": [ctype]}))


def test_http_error_status(backend):
    it = _interaction('{"error":{"message":"Incorrect API key provided","type":"invalid_request_error"}}',
                      code=401, status="401 Unauthorized")
    with pytest.raises(DecodeError) as ei:
        decode_interaction(it, backend)
    assert ei.value.kind == "http-status"
    assert ei.value.message == "unauthorized: Incorrect API key provided"


def test_http_error_without_error_object(backend):
    it = _interaction("upstream timed out", code=504, status="504 Gateway Timeout", ctype="text/plain")
    with pytest.raises(DecodeError) as ei:
        decode_interaction(it, backend)
    assert ei.value.message == "gateway timeout: upstream timed out"


def test_non_json_content_type(backend):
    it = _interaction("hello", ctype="text/html")
    with pytest.raises(DecodeError) as ei:
        decode_interaction(it, backend)
    assert ei.value.kind == "content-type" and "text/html" in ei.value.message


def test_unknown_url_is_an_error_not_a_guess():
    it = _interaction("{}", url="https://example.com/v2/generate")
    with pytest.raises(DecodeError) as ei:
        decode_interaction(it)
    assert ei.value.kind == "unknown-format"


def test_stream_decoder_incremental_parts(backend):
    dec = StreamDecoder("openai-chat", backend)
    first = dec.feed(chunk("Hel"))
    assert [(p.type, p.delta) for p in first] == [("text-start", ""), ("text-delta", "Hel")]
    assert dec.feed(chunk("lo")[:7]) == []
    rest = dec.feed(chunk("lo")[7:] + chunk(finish="stop"))
    assert [(p.type, p.delta) for p in rest] == [("text-delta", "lo")]
    assert dec.feed(b"data: [DONE]\n\n") == []
    r = dec.close()
    assert r.content[0].text == "Hello" and r.finish_reason == "stop"
    assert dec.close() is r
    with pytest.raises(UsageError):  # API misuse, not a decoding failure
        dec.feed(b"data: more\n\n")


def test_cli_reports_each_interaction_and_goes_on(tmp_path, backend):
    good = _interaction(json.dumps({"id": "x", "choices": [{"index": 0, "message": {"content": "Oi"},
                                                            "finish_reason": "stop"}]}))
    bad = _interaction("not json at all")
    cas = Cassette(interactions=[good, bad, good])
    path = tmp_path / "mixed.yaml"
    cas.save(path)
    (tmp_path / "broken.yaml").write_text("---\nversion: 2\ninteractions: [\n")
    proc = subprocess.run([sys.executable, "-m", "pyfantasy", "decode", str(tmp_path), "--to", "jsonl",
                           "--backend", backend], capture_output=True, text=True)
    assert proc.returncode == 1
    rows = [json.loads(line) for line in proc.stdout.splitlines()]
    broken = [r for r in rows if r["cassette"].endswith("broken.yaml")]
    assert broken and broken[0]["error"]["kind"] == "cassette" and "broken.yaml" in broken[0]["error"]["message"]
    mixed = [r for r in rows if r["cassette"].endswith("mixed.yaml")]
    assert [r["interaction"] for r in mixed] == [0, 1, 2]
    assert [r["error"] is None for r in mixed] == [True, False, True]
    assert mixed[1]["error"]["kind"] == "json" and mixed[1]["response"] is None
    assert mixed[0]["response"]["content"] == [{"type": "text", "data": {"text": "Oi"}}]
    assert "Traceback" not in proc.stderr


def test_feed_last_equals_feed_then_close(backend):
    """``feed(data, last=True)`` ends the body in the same call: same parts, same Response
    or same error, and nothing can be fed after it."""
    for body in (GOOD, GOOD[:-len(b"data: [DONE]\n\n")], chunk("Hel") + b"data: {\"x"):
        a, b = StreamDecoder("openai-chat", backend), StreamDecoder("openai-chat", backend)
        parts_a, parts_b = a.feed(body), b.feed(body, last=True)
        assert parts_a == parts_b
        outcomes = []
        for dec in (a, b):
            try:
                outcomes.append(dec.close().to_json())
            except DecodeError as e:
                outcomes.append((e.kind, e.message, e.offset, e.response.to_json()))
        assert outcomes[0] == outcomes[1]
        with pytest.raises(UsageError):  # API misuse, not a decoding failure
            b.feed(b"data: more\n\n")


DEEP_SURROGATE = b"[" * 5000 + b'"\\ud800"' + b"]" * 5000


def test_deep_value_with_lone_surrogate(backend):
    """A lone surrogate escape in an event holding a value nested deeper than Python's recursion
    limit: surrogates were fixed recursively and the decode crashed (RecursionError)."""
    body = (b'data: {"type":"response.output_item.done","output_index":0,"item":{"type":"web_search_call",'
            b'"id":"w","action":' + DEEP_SURROGATE + b'}}\n\n'
            b'data: {"type":"response.completed","response":{"id":"r"}}\n\n')
    resp = decode_body(body, "openai-responses", True, backend)
    assert [c.type for c in resp.content] == ["tool-call", "tool-result"]


def test_deep_error_value(backend):
    """A deeply nested top-level ``error`` is quoted in the message (raw_text recursed and crashed)."""
    body = b'data: {"error":' + DEEP_SURROGATE + b'}\n\n'
    with pytest.raises(DecodeError) as exc:
        decode_body(body, "openai-responses", True, backend)
    assert exc.value.kind == "provider-error"
    assert exc.value.message == ("stream error: received error while streaming: "
                                 + "[" * 5000 + '"\ufffd"' + "]" * 5000)
