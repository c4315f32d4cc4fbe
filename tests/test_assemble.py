"""Stream assembly into the agent step Response (docs/semantics.md#step-assembly-from-a-stream,
docs/semantics.md#the-non-streaming-step and docs/semantics.md#tool-call-validation).

Worked examples of docs/semantics.md#worked-examples are replayed as the stream parts their provider emits
and compared with the document's JSON; the remaining cases pin one rule of
``agent.processStepStream`` / ``agent.Generate`` / tool-call validation each.
"""
from __future__ import annotations

import hashlib
import json
import uuid

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pyfantasy import DecodeError
from pyfantasy._providers.assemble import (StreamAssembler, ToolSpec, assemble_stream, deterministic_id,
                                 deterministic_uuid, generate_step, validate_tool_call)
from pyfantasy._go.json import RawJSON, go_bytes, go_string
from pyfantasy.response import (AnthropicReasoningMetadata, CallWarning, GoogleReasoningMetadata,
                                OpenAIMetadata, OpenAIResponsesMetadata, ReasoningContent, Response,
                                ResponsesReasoningMetadata, SourceContent, StreamPart, TextContent,
                                ToolCallContent, ToolResultContent, Usage, VercelMetadata,
                                WebSearchAction, WebSearchCallMetadata)

P = StreamPart
WEATHER = '{"location":"Florence, Italy"}'


def finish(reason="stop", usage=None, metadata=None) -> StreamPart:
    return P("finish", finish_reason=reason, usage=Usage() if usage is None else usage, provider_metadata=metadata)


# ---------------------------------------------------------------------------
# Examples (docs/semantics.md#worked-examples) replayed as stream parts
# ---------------------------------------------------------------------------

EXPECTED_10_5 = r'''{"content":[{"type":"reasoning","data":{"text":"I need to get the weather information for Florence, Italy. I'll call the weather function with \"Florence\" as the location parameter. "}},{"type":"text","data":{"text":"  "}},{"type":"text","data":{"text":" "}},{"type":"tool-call","data":{"tool_call_id":"functions.weather:0","tool_name":"weather","input":"{\"location\": \"Florence\"}","provider_executed":false}}],"finish_reason":"tool-calls","usage":{"input_tokens":12,"output_tokens":47,"total_tokens":123,"reasoning_tokens":34,"cache_creation_tokens":0,"cache_read_tokens":64},"warnings":null,"provider_metadata":{"openai":{"type":"openai.metadata","data":{"logprobs":null,"accepted_prediction_tokens":0,"rejected_prediction_tokens":0,"extra_fields":{"cost":0.0001232}}}}}'''


def test_openaicompat_stream_10_5():
    """Avian: reasoning ends after the text started, text resumes after the tool
    call as a second part, a late null reasoning re-opens a block that is dropped."""
    reasoning = ["I need to get the weather information for Florence, Italy. ",
                 "I'll call the weather function with \"Florence\" as the location parameter. "]
    parts = [P("reasoning_start", id="0")]
    parts += [P("reasoning_delta", id="0", delta=d) for d in reasoning]
    parts += [P("text_start", id="0"), P("text_delta", id="0", delta=" "), P("reasoning_end", id="0"),
              P("text_delta", id="0", delta=" "),
              P("text_end", id="0"), P("tool_input_start", id="functions.weather:0", tool_call_name="weather"),
              P("tool_input_delta", id="functions.weather:0", delta='{"location": "Florence"}'),
              P("text_start", id="0"), P("text_delta", id="0", delta=" "),
              P("reasoning_start", id="0"), P("reasoning_delta", id="0", delta=""),
              P("text_end", id="0"), P("tool_input_end", id="functions.weather:0"),
              P("tool_call", id="functions.weather:0", tool_call_name="weather",
                tool_call_input='{"location": "Florence"}'),
              finish("tool-calls", Usage(12, 47, 123, 34, 0, 64),
                     {"openai": OpenAIMetadata(extra_fields={"cost": RawJSON("0.0001232")})})]
    asm = StreamAssembler()
    asm.feed_all(parts)
    assert asm.open_blocks == [("reasoning", "0")]
    r = asm.close()
    assert r.to_json_bytes() == EXPECTED_10_5.encode()


EXPECTED_10_8 = r'''{"content":[{"type":"reasoning","data":{"text":"**Determining the Weather**\n\nI've identified the need to find weather information, specifically for Florence, Italy. The `weather` function looks like the right tool for the job. I now plan to use this function, with \"Florence, Italy\" as the specified location.\n\n\n","provider_metadata":{"google":{"type":"google.reasoning_metadata","data":{"signature":"","tool_id":""}}}}},{"type":"reasoning","data":{"text":"","provider_metadata":{"google":{"type":"google.reasoning_metadata","data":{"signature":"ClkBjz1rXyu/iVRB…","tool_id":""}}}}},{"type":"tool-call","data":{"tool_call_id":"dEDMKZ3Jd0omXRAI","tool_name":"weather","input":"{\"location\":\"Florence, Italy\"}","provider_executed":false}}],"finish_reason":"tool-calls","usage":{"input_tokens":28,"output_tokens":9,"total_tokens":37,"reasoning_tokens":61,"cache_creation_tokens":0,"cache_read_tokens":0},"warnings":null,"provider_metadata":{"openai":{"type":"openai.metadata","data":{"logprobs":null,"accepted_prediction_tokens":0,"rejected_prediction_tokens":0}},"vercel":{"type":"vercel.metadata","data":{}}}}'''


def test_vercel_stream_10_8():
    text = ("**Determining the Weather**\n\nI've identified the need to find weather information, "
            "specifically for Florence, Italy. The `weather` function looks like the right tool for the "
            "job. I now plan to use this function, with \"Florence, Italy\" as the specified location.\n\n\n")
    parts = [
        P("reasoning_start", id="0", provider_metadata={"google": GoogleReasoningMetadata()}),
        P("reasoning_delta", id="0", delta=text),
        P("tool_input_start", id="dEDMKZ3Jd0omXRAI", tool_call_name="weather"),
        P("reasoning_end", id="0"),  # no metadata: the start's stays
        P("tool_input_delta", id="dEDMKZ3Jd0omXRAI", delta=WEATHER),
        P("reasoning_start", id="0"),
        P("reasoning_end", id="0", provider_metadata={"google": GoogleReasoningMetadata("ClkBjz1rXyu/iVRB…")}),
        P("tool_input_end", id="dEDMKZ3Jd0omXRAI"),
        P("tool_call", id="dEDMKZ3Jd0omXRAI", tool_call_name="weather", tool_call_input=WEATHER),
        finish("tool-calls", Usage(28, 9, 37, 61), {"vercel": VercelMetadata(), "openai": OpenAIMetadata()}),
    ]
    assert assemble_stream(parts).to_json_bytes() == EXPECTED_10_8.encode()


EXPECTED_10_10B = r'''{"content":[{"type":"reasoning","data":{"text":"\n**Getting weather info**\n\nI need to respond to the user's question about the weather in Florence, Italy. I'll use the weather tool, which requires the location string. According to the instructions, I can call functions.weather directly since I only need one tool for this task. There's no need for parallel execution here. I'll call the tool to retrieve the current weather information for Florence and see what it returns!","provider_metadata":{"openai":{"type":"openai.responses.reasoning_metadata","data":{"item_id":"rs_017e85da2ae23b69016a3c1251dcec819daf72930a854fd4d1","encrypted_content":"gAAAAABqPBJRAhme…","summary":["**Getting weather info**\n\nI need to respond to the user's question about the weather in Florence, Italy. I'll use the weather tool, which requires the location string. According to the instructions, I can call functions.weather directly since I only need one tool for this task. There's no need for parallel execution here. I'll call the tool to retrieve the current weather information for Florence and see what it returns!"]}}}}},{"type":"tool-call","data":{"tool_call_id":"call_zgUaIBRPTwxxOusyyKw5NVMH","tool_name":"weather","input":"{\"location\":\"Florence, Italy\"}","provider_executed":false}}],"finish_reason":"tool-calls","usage":{"input_tokens":63,"output_tokens":121,"total_tokens":184,"reasoning_tokens":64,"cache_creation_tokens":0,"cache_read_tokens":0},"warnings":null,"provider_metadata":{"openai":{"type":"openai.responses.metadata","data":{"response_id":"resp_017e85da2ae23b69016a3c12518cc0819da56cbbdd33f128f3"}}}}'''


def test_responses_stream_10_10_shared_metadata_object():
    """The reasoning metadata object is yielded at the start (summary []) and mutated
    while the summary streams in: the Response shows its final state."""
    item = "rs_017e85da2ae23b69016a3c1251dcec819daf72930a854fd4d1"
    meta = ResponsesReasoningMetadata(item, "gAAAAABqPBJRAhme…", [])
    pm = {"openai": meta}
    deltas = ["**Getting weather info**\n\nI", " need to respond to the user's question about the weather in "
              "Florence, Italy. I'll use the weather tool, which requires the location string. According to "
              "the instructions, I can call functions.weather directly since I only need one tool for this "
              "task. There's no need for parallel execution here. I'll call the tool to retrieve the current "
              "weather information for Florence and see what it returns", "!"]
    asm = StreamAssembler()
    asm.feed(P("reasoning_start", id=item, provider_metadata=pm))
    meta.summary.append("")
    asm.feed(P("reasoning_delta", id=item, delta="\n", provider_metadata=pm))
    for d in deltas:
        meta.summary[0] += d
        asm.feed(P("reasoning_delta", id=item, delta=d, provider_metadata=pm))
    cid = "call_zgUaIBRPTwxxOusyyKw5NVMH"
    asm.feed_all([
        P("reasoning_end", id=item, provider_metadata=pm),
        P("tool_input_start", id=cid, tool_call_name="weather"),
        P("tool_input_delta", id=cid, delta='{"location":'),  # deltas never reach the content
        P("tool_input_end", id=cid),
        P("tool_call", id=cid, tool_call_name="weather", tool_call_input=WEATHER),
        finish("tool-calls", Usage(63, 121, 184, 64),
               {"openai": OpenAIResponsesMetadata("resp_017e85da2ae23b69016a3c12518cc0819da56cbbdd33f128f3")}),
    ])
    assert asm.close().to_json_bytes() == EXPECTED_10_10B.encode()


EXPECTED_10_11 = r'''{"content":[{"type":"tool-call","data":{"tool_call_id":"ws_0200025d411b0585016a3c13b4825c81a391999cec332e6f02","tool_name":"web_search","input":"","provider_executed":true}},{"type":"tool-result","data":{"tool_call_id":"ws_0200025d411b0585016a3c13b4825c81a391999cec332e6f02","tool_name":"web_search","result":null,"provider_executed":true,"provider_metadata":{"openai":{"type":"openai.responses.web_search_call_metadata","data":{"item_id":"ws_0200025d411b0585016a3c13b4825c81a391999cec332e6f02","action":{"type":"search","query":"current population of Tokyo 2024"}}}}}},{"type":"source","data":{"source_type":"url","id":"<uuid>","url":"https://www.toukei.metro.tokyo.lg.jp/index.htm?utm_source=openai","title":"東京都の統計"}},{"type":"text","data":{"text":"Here is the most recent … as well."}}],"finish_reason":"stop","usage":{"input_tokens":17407,"output_tokens":164,"total_tokens":17571,"reasoning_tokens":0,"cache_creation_tokens":0,"cache_read_tokens":0},"warnings":null,"provider_metadata":{"openai":{"type":"openai.responses.metadata","data":{"response_id":"resp_0200025d411b0585016a3c13b4018c81a3852ca4fd5be2b6a6"}}}}'''


def test_responses_web_search_stream_10_11_source_before_text():
    ws = "ws_0200025d411b0585016a3c13b4825c81a391999cec332e6f02"
    msg = "msg_0200"
    sid = deterministic_uuid("resp_0200", 0, 0)
    parts = [
        P("tool_input_start", id=ws, tool_call_name="web_search", provider_executed=True),
        P("tool_input_end", id=ws),
        P("tool_call", id=ws, tool_call_name="web_search", provider_executed=True),
        P("tool_result", id=ws, tool_call_name="web_search", provider_executed=True,
          provider_metadata={"openai": WebSearchCallMetadata(ws, WebSearchAction(
              "search", "current population of Tokyo 2024"))}),
        P("text_start", id=msg), P("text_delta", id=msg, delta="Here is the most recent … "),
        P("source", id=sid, source_type="url", url="https://www.toukei.metro.tokyo.lg.jp/index.htm?utm_source=openai",
          title="東京都の統計"),
        P("text_delta", id=msg, delta="as well."), P("text_end", id=msg),
        finish("stop", Usage(17407, 164, 17571),
               {"openai": OpenAIResponsesMetadata("resp_0200025d411b0585016a3c13b4018c81a3852ca4fd5be2b6a6")}),
    ]
    r = assemble_stream(parts)
    assert r.to_json_bytes() == EXPECTED_10_11.replace("<uuid>", sid).encode()
    assert [type(c).__name__ for c in r.content] == ["ToolCallContent", "ToolResultContent",
                                                     "SourceContent", "TextContent"]


EXPECTED_10_13 = r'''{"content":[{"type":"text","data":{"text":"I'll get the weather information for Florence, Italy for you."}},{"type":"tool-call","data":{"tool_call_id":"toolu_01N2eM4V43kGCDkq2Lw7ChWQ","tool_name":"weather","input":"{\"location\": \"Florence,Italy\"}","provider_executed":false}}],"finish_reason":"tool-calls","usage":{"input_tokens":394,"output_tokens":67,"total_tokens":461,"reasoning_tokens":0,"cache_creation_tokens":0,"cache_read_tokens":0},"warnings":null,"provider_metadata":{}}'''


def test_anthropic_stream_10_13():
    tid = "toolu_01N2eM4V43kGCDkq2Lw7ChWQ"
    parts = [P("text_start", id="0"), P("text_delta", id="0", delta="I'll get the weather information"),
             P("text_delta", id="0", delta=" for Florence, Italy for you."), P("text_end", id="0"),
             P("tool_input_start", id=tid, tool_call_name="weather")]
    parts += [P("tool_input_delta", id=tid, delta=d) for d in ['{"locati', 'on":', ' "Fl', 'orence,It', 'aly"}']]
    parts += [P("tool_input_end", id=tid),
              P("tool_call", id=tid, tool_call_name="weather", tool_call_input='{"location": "Florence,Italy"}'),
              finish("tool-calls", Usage(394, 67, 461), {})]
    assert assemble_stream(parts).to_json_bytes() == EXPECTED_10_13.encode()


EXPECTED_10_18 = r'''{"content":[{"type":"reasoning","data":{"text":"","provider_metadata":{"google":{"type":"google.reasoning_metadata","data":{"signature":"\u0012\ufffd\u0003\n…","tool_id":"9d532gc9"}}}}},{"type":"tool-call","data":{"tool_call_id":"9d532gc9","tool_name":"weather","input":"{\"location\":\"Florence, Italy\"}","provider_executed":false}}],"finish_reason":"tool-calls","usage":{"input_tokens":65,"output_tokens":32,"total_tokens":175,"reasoning_tokens":188,"cache_creation_tokens":0,"cache_read_tokens":0},"warnings":null,"provider_metadata":null}'''


def test_google_stream_10_18_signature_only_reasoning_with_empty_id():
    sig = go_string(b"\x12\xbe\x03\n") + "…"
    parts = [P("reasoning_start", id=""),
             P("reasoning_end", id="", provider_metadata={"google": GoogleReasoningMetadata(sig, "9d532gc9")}),
             P("tool_input_start", id="9d532gc9", tool_call_name="weather"),
             P("tool_input_delta", id="9d532gc9", delta=WEATHER), P("tool_input_end", id="9d532gc9"),
             P("tool_call", id="9d532gc9", tool_call_name="weather", tool_call_input=WEATHER),
             finish("tool-calls", Usage(65, 32, 175, 188), None)]
    assert assemble_stream(parts).to_json_bytes() == EXPECTED_10_18.encode()


# ---------------------------------------------------------------------------
# The rules of docs/semantics.md#step-assembly-from-a-stream one by one
# ---------------------------------------------------------------------------


def test_content_order_is_order_of_end_events():
    r = assemble_stream([
        P("reasoning_start", id="r", delta="think "), P("text_start", id="t"),
        P("text_delta", id="t", delta="Hel"), P("reasoning_delta", id="r", delta="more"),
        P("text_delta", id="t", delta="lo"), P("text_start", id="u"), P("text_delta", id="u", delta="2nd"),
        P("text_end", id="u"), P("text_end", id="t"), P("reasoning_end", id="r"), finish()])
    assert r.content == [TextContent("2nd"), TextContent("Hello"), ReasoningContent("think more")]


def test_unterminated_blocks_are_dropped_and_stray_parts_ignored():
    asm = StreamAssembler()
    asm.feed_all([
        P("text_delta", id="x", delta="ignored: no open block"), P("text_end", id="x"),
        P("reasoning_delta", id="y", delta="ignored"), P("reasoning_end", id="y"),
        P("text_start", id="0"), P("text_delta", id="0", delta="lost"),
        P("reasoning_start", id="1", delta="lost too"), finish()])
    assert sorted(asm.open_blocks) == [("reasoning", "1"), ("text", "0")]
    r = asm.close()
    assert r.content is None
    assert r.to_json()["content"] is None


def test_restarting_a_block_resets_it():
    r = assemble_stream([P("text_start", id="0"), P("text_delta", id="0", delta="old"),
                         P("text_start", id="0"), P("text_delta", id="0", delta="new"), P("text_end", id="0"),
                         P("reasoning_start", id="0", delta="a"), P("reasoning_start", id="0", delta="b"),
                         P("reasoning_end", id="0"), finish()])
    assert r.content == [TextContent("new"), ReasoningContent("b")]


def test_text_metadata_comes_from_the_end_part():
    m_start, m_end = {"x": AnthropicReasoningMetadata("s")}, {"y": AnthropicReasoningMetadata("e")}
    r = assemble_stream([P("text_start", id="0", provider_metadata=m_start), P("text_end", id="0", provider_metadata=m_end),
                         P("text_start", id="1", provider_metadata=m_start), P("text_end", id="1"), finish()])
    assert r.content[0].provider_metadata is m_end
    assert r.content[1].provider_metadata is None


def test_reasoning_metadata_replaced_by_non_nil_only():
    a = {"anthropic": AnthropicReasoningMetadata("a")}
    b = {"anthropic": AnthropicReasoningMetadata("b")}
    r = assemble_stream([
        P("reasoning_start", id="0", provider_metadata=a), P("reasoning_delta", id="0", delta="x"),
        P("reasoning_end", id="0"),
        P("reasoning_start", id="1", provider_metadata=a), P("reasoning_delta", id="1", delta="y", provider_metadata=b),
        P("reasoning_end", id="1"),
        P("reasoning_start", id="2", provider_metadata=a), P("reasoning_delta", id="2", provider_metadata={}),
        P("reasoning_end", id="2"),
        P("reasoning_start", id="3", provider_metadata=a), P("reasoning_end", id="3", provider_metadata=b),
        finish()])
    assert [c.provider_metadata for c in r.content] == [a, b, {}, b]
    assert r.content[1].provider_metadata is b
    # an empty (non-nil) map replaces, and is then omitted from the JSON
    assert "provider_metadata" not in r.to_json()["content"][2]["data"]


def test_anthropic_signature_fragments_replace_then_final():
    parts = [P("reasoning_start", id="0"), P("reasoning_delta", id="0", delta="Let me think.")]
    for frag in ["EqQB", "CkYI"]:
        parts.append(P("reasoning_delta", id="0", provider_metadata={"anthropic": AnthropicReasoningMetadata(frag)}))
    parts += [P("reasoning_end", id="0", provider_metadata={"anthropic": AnthropicReasoningMetadata("EqQBCkYI")}),
              finish()]
    r = assemble_stream(parts)
    assert r.content == [ReasoningContent("Let me think.", {"anthropic": AnthropicReasoningMetadata("EqQBCkYI")})]


def test_tool_input_parts_do_not_make_content():
    r = assemble_stream([P("tool_input_start", id="c", tool_call_name="w"),
                         P("tool_input_delta", id="c", delta='{"a":1}'), P("tool_input_end", id="c"), finish()])
    assert r.content is None


def test_tool_call_fields_and_tool_result_only_when_provider_executed():
    md = {"openai": WebSearchCallMetadata("w")}
    r = assemble_stream([
        P("tool_call", id="c1", tool_call_name="weather", tool_call_input=WEATHER, provider_metadata=md),
        P("tool_result", id="c1", tool_call_name="weather"),  # not provider-executed: ignored
        P("tool_result", id="s1", tool_call_name="web_search", provider_executed=True, provider_metadata=md),
        finish("tool-calls")])
    assert r.content == [ToolCallContent("c1", "weather", WEATHER, provider_metadata=md),
                         ToolResultContent("s1", "web_search", None, provider_executed=True, provider_metadata=md)]


def test_source_fields():
    r = assemble_stream([P("source", id="d1", source_type="document", title="Doc", url="",
                           provider_metadata=None), finish()])
    assert r.content == [SourceContent("document", "d1", title="Doc")]
    assert r.to_json()["content"][0]["data"] == {"source_type": "document", "id": "d1", "title": "Doc"}


def test_missing_finish():
    r = assemble_stream([P("text_start", id="0"), P("text_delta", id="0", delta="hi"), P("text_end", id="0")])
    assert r.finish_reason == "unknown" and r.usage == Usage() and r.provider_metadata is None
    assert r.content == [TextContent("hi")]
    assert assemble_stream([]).to_json_bytes() == Response(None, "unknown").to_json_bytes()


def test_finish_sets_usage_reason_metadata_and_warnings_part():
    w = [CallWarning("unsupported-setting", "top_k")]
    asm = StreamAssembler()
    assert not asm.finished
    asm.feed_all([P("warnings", warnings=w), finish("length", Usage(1, 2, 3), {})])
    assert asm.finished
    r = asm.close()
    assert (r.finish_reason, r.usage, r.provider_metadata, r.warnings) == ("length", Usage(1, 2, 3), {}, w)
    assert json.loads(r.to_json_bytes())["provider_metadata"] == {}


def test_error_part_fails_the_step():
    asm = StreamAssembler()
    err = DecodeError("truncated", "stream transport error: unexpected EOF")
    asm.feed_all([P("text_start", id="0"), P("text_delta", id="0", delta="a"), P("text_end", id="0"),
                  P("error", error=err), P("text_start", id="1"), P("text_end", id="1"), finish()])
    assert asm.error is err
    with pytest.raises(DecodeError) as ei:
        asm.close()
    assert ei.value is err
    assert ei.value.response == Response([TextContent("a")], "unknown")  # parts after the error are not read
    assert not asm.finished


@pytest.mark.parametrize("error, message", [
    (ValueError("boom"), "boom"), ("response failed: x (code: y)", "response failed: x (code: y)"), (None, "")])
def test_error_part_other_values_become_decode_errors(error, message):
    with pytest.raises(DecodeError) as ei:
        assemble_stream([P("error", error=error)])
    assert ei.value.kind == "stream-error" and ei.value.message == message
    assert ei.value.response == Response()
    if isinstance(error, BaseException):
        assert ei.value.__cause__ is error


def test_close_is_idempotent_and_feed_after_close_fails():
    asm = StreamAssembler()
    asm.feed(finish())
    assert asm.close() is asm.close()
    with pytest.raises(RuntimeError):
        asm.feed(finish())
    assert asm.snapshot() == asm.close()


# ---------------------------------------------------------------------------
# Tool-call validation (docs/semantics.md#tool-call-validation)
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("input_, error", [
    ('{"location":"Florence"}', None),
    ("null", None),
    (" {} ", None),
    ('{"location": "Flor', "invalid JSON input: unexpected end of JSON input"),
    ("", "invalid JSON input: unexpected end of JSON input"),
    ("x", "invalid JSON input: invalid character 'x' looking for beginning of value"),
    ('{"a":1}}', "invalid JSON input: invalid character '}' after top-level value"),
    ("[1,2]", "invalid JSON input: json: cannot unmarshal array into Go value of type map[string]interface {}"),
    ('"s"', "invalid JSON input: json: cannot unmarshal string into Go value of type map[string]interface {}"),
    ("{'a': 1}", "invalid JSON input: invalid character '\\'' looking for beginning of object key string"),
])
def test_json_object_check(input_, error):
    call = ToolCallContent("c", "anything", input_)
    out = validate_tool_call(call)
    if error is None:
        assert out is call
    else:
        assert out == ToolCallContent("c", "anything", input_, invalid=True, validation_error=error)
    r = assemble_stream([P("tool_call", id="c", tool_call_name="anything", tool_call_input=input_), finish()])
    assert r.content == [out]


def test_invalid_call_json():
    r = assemble_stream([P("tool_call", id="c", tool_call_name="w", tool_call_input="{"), finish("tool-calls")])
    assert r.to_json_bytes().startswith(
        b'{"content":[{"type":"tool-call","data":{"tool_call_id":"c","tool_name":"w","input":"{",'
        b'"provider_executed":false,"invalid":true,"validation_error":"invalid JSON input: unexpected end of JSON input"}}]')


def test_provider_executed_calls_are_not_validated():
    call = ToolCallContent("s", "web_search", "", provider_executed=True)
    assert validate_tool_call(call, tools=[]) is call
    r = assemble_stream([P("tool_call", id="s", tool_call_name="web_search", provider_executed=True), finish()])
    assert not r.content[0].invalid


TOOLS = [ToolSpec("computer", provider_executable=True), ToolSpec("weather", ["location"]),
         ToolSpec("add", ("a", "b"))]


@pytest.mark.parametrize("name, input_, error", [
    ("weather", '{"location":"x"}', None),
    ("nope", "{}", "tool not found: nope. Available tools: weather, add, computer"),
    ("nope", "not json", "tool not found: nope. Available tools: weather, add, computer"),
    ("weather", "{}", "missing required parameter: location"),
    ("weather", "null", "missing required parameter: location"),
    ("add", '{"b":1}', "missing required parameter: a"),
    ("add", '{"a":1', "invalid JSON input: unexpected end of JSON input"),
    ("computer", "{}", None),                      # executable provider tool: only the JSON check
    ("computer", "[]", "invalid JSON input: json: cannot unmarshal array into Go value of type map[string]interface {}"),
])
def test_validation_with_tool_list(name, input_, error):
    out = validate_tool_call(ToolCallContent("c", name, input_), TOOLS)
    assert out.invalid is (error is not None)
    assert out.validation_error == error
    assert out.input == input_


def test_unknown_tools_accepted_without_tool_list_but_not_with_empty_list():
    call = ToolCallContent("c", "nope", "{}")
    assert validate_tool_call(call) is call
    assert validate_tool_call(call, tools=[]).validation_error == "tool not found: nope. Available tools: "


def test_repair_hook():
    call = ToolCallContent("c", "weather", '{"location": "Flor')
    fixed = validate_tool_call(call, TOOLS, repair=lambda s: s + '"}')
    assert fixed == ToolCallContent("c", "weather", '{"location": "Flor"}')
    # still failing after repair, same text, or a repair that raises: invalid with the original error
    for repair in (lambda s: s + "}", lambda s: s, lambda s: 1 / 0):
        out = validate_tool_call(call, TOOLS, repair=repair)
        assert out.invalid and out.input == call.input
        assert out.validation_error == "invalid JSON input: unexpected end of JSON input"
    # the repaired call must pass every check, e.g. required keys
    out = validate_tool_call(ToolCallContent("c", "weather", "{"), TOOLS, repair=lambda s: "{}")
    assert out.invalid and out.validation_error == "invalid JSON input: unexpected end of JSON input"
    asm = StreamAssembler(tools=TOOLS, repair=lambda s: s + "}")
    asm.feed_all([P("tool_call", id="c", tool_call_name="add", tool_call_input='{"a":1,"b":2'), finish()])
    assert asm.close().content == [ToolCallContent("c", "add", '{"a":1,"b":2}')]


# ---------------------------------------------------------------------------
# The non-streaming agent step (docs/semantics.md#the-non-streaming-step)
# ---------------------------------------------------------------------------


def test_generate_step():
    md = {"anthropic": AnthropicReasoningMetadata("s")}
    provider = Response(
        content=[TextContent("t"), ToolCallContent("a", "weather", "{"),
                 ToolCallContent("b", "web_search", "{", provider_executed=True), ReasoningContent("r", md)],
        finish_reason="tool-calls", usage=Usage(1, 2, 3), warnings=[CallWarning()], provider_metadata={})
    step = generate_step(provider)
    assert step.content == [TextContent("t"),
                            ToolCallContent("a", "weather", "{", invalid=True,
                                            validation_error="invalid JSON input: unexpected end of JSON input"),
                            ToolCallContent("b", "web_search", "{", provider_executed=True),
                            ReasoningContent("r", md)]
    assert (step.finish_reason, step.usage, step.warnings, step.provider_metadata) == (
        "tool-calls", Usage(1, 2, 3), [CallWarning()], {})
    assert step.content is not provider.content
    assert generate_step(provider, tools=[ToolSpec("x")]).content[1].validation_error == (
        "tool not found: weather. Available tools: x")


def test_generate_step_empty_content_is_an_empty_list():
    assert generate_step(Response(None, "stop")).to_json()["content"] == []
    assert generate_step(Response([], "stop")).content == []


# ---------------------------------------------------------------------------
# deterministic ids
# ---------------------------------------------------------------------------


def _reference(*parts: bytes) -> str:
    h = hashlib.sha1()
    for p in parts:
        h.update(len(p).to_bytes(8, "big") + p)
    return h.hexdigest()


def test_deterministic_id_rule():
    assert deterministic_id("src_", "resp_1", 0, "https://x") == "src_" + _reference(b"resp_1", b"0", b"https://x")[:16]
    assert deterministic_id("", "é", b"\x00", length=40) == _reference("é".encode(), b"\x00")
    assert deterministic_id("p", "ab", "c") != deterministic_id("p", "a", "bc")
    assert deterministic_id("p", "a") == deterministic_id("p", "a") != deterministic_id("q", "a")
    assert len(deterministic_id("", "a", length=8)) == 8
    with pytest.raises(ValueError):
        deterministic_id("", "a", length=0)


def test_deterministic_uuid():
    u = deterministic_uuid("resp_1", 3)
    assert u == deterministic_uuid("resp_1", 3) != deterministic_uuid("resp_1", 4)
    parsed = uuid.UUID(u)
    assert str(parsed) == u and parsed.version == 5 and parsed.variant == uuid.RFC_4122
    assert parsed.bytes[:6] == bytes.fromhex(_reference(b"resp_1", b"3"))[:6]
    assert deterministic_uuid("resp_abc", "citation", 3) == "03c11291-070e-56cc-b98e-0b1a47ed8fb9"


_PART = st.one_of(st.text(), st.binary(max_size=40), st.integers(), st.sampled_from(["\udcff", "a\udc80b", "\ud800"]))


@given(st.lists(_PART, max_size=4))
def test_deterministic_uuid_is_uuid5_bits_over_the_digest(parts):
    """The UUID written by hand is uuid.UUID(bytes=digest[:16], version=5), for any parts
    (a str stands for the Go string of its bytes: surrogates for the bytes they escape)."""
    raw = [p if isinstance(p, bytes) else go_bytes(p) if isinstance(p, str) else str(p).encode() for p in parts]
    want = str(uuid.UUID(bytes=bytes.fromhex(_reference(*raw))[:16], version=5))
    assert deterministic_uuid(*parts) == want
