"""The Response model and its exact Go JSON (docs/semantics.md#the-response-value-and-its-go-json and
docs/semantics.md#worked-examples).

Each worked example (docs/semantics.md#worked-examples) is rebuilt by hand from the content the document
describes and compared with the document's JSON, byte for byte and as parsed
JSON; then Go's encoding rules one by one; then round trips through
``Response.from_json`` on hypothesis-generated responses.
"""
from __future__ import annotations

import json
import math

import pytest
from hypothesis import given, strategies as st

from pyfantasy import DecodeError
from pyfantasy._go.json import (RawJSON, Struct, UnsupportedValueError, compact, decode_object,
                               encode, format_float, go_bytes, go_string, parse, quote,
                               syntax_error)
from pyfantasy.response import (AnthropicReasoningMetadata, AnthropicWebSearchResultMetadata,
                                CallWarning, FileContent, FinishReason, GoogleReasoningMetadata,
                                OpenAIMetadata, OpenAIResponsesMetadata, OpenRouterMetadata,
                                OpenRouterUsage, ReasoningContent, Response,
                                ResponsesReasoningMetadata, SourceContent, StreamPart,
                                StreamPartType, TextContent, TokenLogProb, ToolCallContent,
                                ToolResultContent, TopLogProb, UnknownMetadata, Usage,
                                VercelMetadata, WebSearchAction, WebSearchCallMetadata,
                                WebSearchResultItem, WebSearchSource)

# The outputs of the worked examples (docs/semantics.md#worked-examples),
# verbatim as in tests/data/semantics_examples.jsonl ("…" marks values the
# document abridged; they are reproduced as the literal character).
EXPECTED = {
    '10.1': r'''{"content":[{"type":"text","data":{"text":"Oi!"}}],"finish_reason":"stop","usage":{"input_tokens":20,"output_tokens":2,"total_tokens":22,"reasoning_tokens":0,"cache_creation_tokens":0,"cache_read_tokens":0},"warnings":null,"provider_metadata":{"openai":{"type":"openai.metadata","data":{"logprobs":null,"accepted_prediction_tokens":0,"rejected_prediction_tokens":0}}}}''',
    '10.2': r'''{"content":[{"type":"tool-call","data":{"tool_call_id":"call_7kE4IjtnwXcGbX6hDM7xFu8T","tool_name":"weather","input":"{\"location\":\"Florence, Italy\"}","provider_executed":false}}],"finish_reason":"tool-calls","usage":{"input_tokens":61,"output_tokens":16,"total_tokens":77,"reasoning_tokens":0,"cache_creation_tokens":0,"cache_read_tokens":0},"warnings":null,"provider_metadata":{"openai":{"type":"openai.metadata","data":{"logprobs":null,"accepted_prediction_tokens":0,"rejected_prediction_tokens":0}}}}''',
    '10.3': r'''{"content":[{"type":"text","data":{"text":"Olá!"}}],"finish_reason":"stop","usage":{"input_tokens":20,"output_tokens":4,"total_tokens":24,"reasoning_tokens":0,"cache_creation_tokens":0,"cache_read_tokens":0},"warnings":null,"provider_metadata":{"openai":{"type":"openai.metadata","data":{"logprobs":null,"accepted_prediction_tokens":0,"rejected_prediction_tokens":0,"extra_fields":{"completion_time":0.009096914,"prompt_time":0.010962163,"queue_time":0.194572138,"total_time":0.020059077}}}}}''',
    '10.4': r'''{"content":[{"type":"text","data":{"text":"Olá!"}},{"type":"reasoning","data":{"text":"The user says: \"Say hi in Portuguese\". So answer: \"Olá\" or \"Oi\". Likely \"Olá\". Probably a friendly greeting. Just respond with that."}}],"finish_reason":"stop","usage":{"input_tokens":84,"output_tokens":47,"total_tokens":131,"reasoning_tokens":0,"cache_creation_tokens":0,"cache_read_tokens":0},"warnings":null,"provider_metadata":{"openai":{"type":"openai.metadata","data":{"logprobs":null,"accepted_prediction_tokens":0,"rejected_prediction_tokens":0}}}}''',
    '10.5': r'''{"content":[{"type":"reasoning","data":{"text":"I need to get the weather information for Florence, Italy. I'll call the weather function with \"Florence\" as the location parameter. "}},{"type":"text","data":{"text":"  "}},{"type":"text","data":{"text":" "}},{"type":"tool-call","data":{"tool_call_id":"functions.weather:0","tool_name":"weather","input":"{\"location\": \"Florence\"}","provider_executed":false}}],"finish_reason":"tool-calls","usage":{"input_tokens":12,"output_tokens":47,"total_tokens":123,"reasoning_tokens":34,"cache_creation_tokens":0,"cache_read_tokens":64},"warnings":null,"provider_metadata":{"openai":{"type":"openai.metadata","data":{"logprobs":null,"accepted_prediction_tokens":0,"rejected_prediction_tokens":0,"extra_fields":{"cost":0.0001232}}}}}''',
    '10.6': r'''{"content":[{"type":"text","data":{"text":"Oi! 😊"}}],"finish_reason":"stop","usage":{"input_tokens":19,"output_tokens":7,"total_tokens":26,"reasoning_tokens":0,"cache_creation_tokens":0,"cache_read_tokens":0},"warnings":null,"provider_metadata":{"openai":{"type":"openrouter.metadata","data":{"provider":"\"OpenAI\"","usage":{"prompt_tokens":19,"prompt_tokens_details":{"cached_tokens":0},"completion_tokens":7,"completion_tokens_details":{"reasoning_tokens":0},"total_tokens":26,"cost":0.00001255,"cost_details":{"upstream_inference_cost":0.00001255,"upstream_inference_prompt_cost":0.0000038,"upstream_inference_completions_cost":0.00000875}}}}}}''',
    '10.7': r'''{"content":[{"type":"text","data":{"text":"Olá! 😊"}}],"finish_reason":"stop","usage":{"input_tokens":19,"output_tokens":7,"total_tokens":26,"reasoning_tokens":0,"cache_creation_tokens":0,"cache_read_tokens":0},"warnings":null,"provider_metadata":{"openai":{"type":"openai.metadata","data":{"logprobs":null,"accepted_prediction_tokens":0,"rejected_prediction_tokens":0}},"openrouter":{"type":"openrouter.metadata","data":{"provider":"\"OpenAI\"","usage":{"prompt_tokens":19,"prompt_tokens_details":{"cached_tokens":0},"completion_tokens":7,"completion_tokens_details":{"reasoning_tokens":0},"total_tokens":26,"cost":0.00001255,"cost_details":{"upstream_inference_cost":0.00001255,"upstream_inference_prompt_cost":0.0000038,"upstream_inference_completions_cost":0.00000875}}}}}}''',
    '10.8': r'''{"content":[{"type":"reasoning","data":{"text":"**Determining the Weather**\n\nI've identified the need to find weather information, specifically for Florence, Italy. The `weather` function looks like the right tool for the job. I now plan to use this function, with \"Florence, Italy\" as the specified location.\n\n\n","provider_metadata":{"google":{"type":"google.reasoning_metadata","data":{"signature":"","tool_id":""}}}}},{"type":"reasoning","data":{"text":"","provider_metadata":{"google":{"type":"google.reasoning_metadata","data":{"signature":"ClkBjz1rXyu/iVRB…","tool_id":""}}}}},{"type":"tool-call","data":{"tool_call_id":"dEDMKZ3Jd0omXRAI","tool_name":"weather","input":"{\"location\":\"Florence, Italy\"}","provider_executed":false}}],"finish_reason":"tool-calls","usage":{"input_tokens":28,"output_tokens":9,"total_tokens":37,"reasoning_tokens":61,"cache_creation_tokens":0,"cache_read_tokens":0},"warnings":null,"provider_metadata":{"openai":{"type":"openai.metadata","data":{"logprobs":null,"accepted_prediction_tokens":0,"rejected_prediction_tokens":0}},"vercel":{"type":"vercel.metadata","data":{}}}}''',
    '10.9': r'''{"content":[{"type":"tool-call","data":{"tool_call_id":"call_6Y7U4KSBYYYDJIEL0QdvBtzW","tool_name":"weather","input":"{\"location\":\"Florence, Italy\"}","provider_executed":false}}],"finish_reason":"tool-calls","usage":{"input_tokens":58,"output_tokens":17,"total_tokens":75,"reasoning_tokens":0,"cache_creation_tokens":0,"cache_read_tokens":0},"warnings":null,"provider_metadata":{"openai":{"type":"openai.responses.metadata","data":{"response_id":"resp_0ae18fcb02ae6780016a3c11fb7aa481a0a5936c206a2238bd"}}}}''',
    '10.10': r'''{"content":[{"type":"reasoning","data":{"text":"**Checking weather in Florence**\n\nI need to provide a weather update for Florence, Italy. To do this, I’ll call the weather function with the location specified. It seems that I only need to use one tool, so I’ll stick with that. Once I make the call, I’ll need to handle the response, which might come back as a JSON object. I’ll aim to present the key details like temperature and conditions in a simple format.","provider_metadata":{"openai":{"type":"openai.responses.reasoning_metadata","data":{"item_id":"rs_0d8949369356df9a016a3c1243e5a0819c87655df5f53e767e","encrypted_content":"gAAAAABqPBJHBSKG…","summary":["**Checking weather in Florence**\n\nI need to provide a weather update for Florence, Italy. To do this, I’ll call the weather function with the location specified. It seems that I only need to use one tool, so I’ll stick with that. Once I make the call, I’ll need to handle the response, which might come back as a JSON object. I’ll aim to present the key details like temperature and conditions in a simple format."]}}}}},{"type":"tool-call","data":{"tool_call_id":"call_4QfIn5gPKIOWzKqBb5D2uuh4","tool_name":"weather","input":"{\"location\":\"Florence, Italy\"}","provider_executed":false}}],"finish_reason":"tool-calls","usage":{"input_tokens":63,"output_tokens":212,"total_tokens":275,"reasoning_tokens":128,"cache_creation_tokens":0,"cache_read_tokens":0},"warnings":null,"provider_metadata":{"openai":{"type":"openai.responses.metadata","data":{"response_id":"resp_0d8949369356df9a016a3c12432020819c956937a00dcc1a84"}}}}''',
    '10.10b': r'''{"content":[{"type":"reasoning","data":{"text":"\n**Getting weather info**\n\nI need to respond to the user's question about the weather in Florence, Italy. I'll use the weather tool, which requires the location string. According to the instructions, I can call functions.weather directly since I only need one tool for this task. There's no need for parallel execution here. I'll call the tool to retrieve the current weather information for Florence and see what it returns!","provider_metadata":{"openai":{"type":"openai.responses.reasoning_metadata","data":{"item_id":"rs_017e85da2ae23b69016a3c1251dcec819daf72930a854fd4d1","encrypted_content":"gAAAAABqPBJRAhme…","summary":["**Getting weather info**\n\nI need to respond to the user's question about the weather in Florence, Italy. I'll use the weather tool, which requires the location string. According to the instructions, I can call functions.weather directly since I only need one tool for this task. There's no need for parallel execution here. I'll call the tool to retrieve the current weather information for Florence and see what it returns!"]}}}}},{"type":"tool-call","data":{"tool_call_id":"call_zgUaIBRPTwxxOusyyKw5NVMH","tool_name":"weather","input":"{\"location\":\"Florence, Italy\"}","provider_executed":false}}],"finish_reason":"tool-calls","usage":{"input_tokens":63,"output_tokens":121,"total_tokens":184,"reasoning_tokens":64,"cache_creation_tokens":0,"cache_read_tokens":0},"warnings":null,"provider_metadata":{"openai":{"type":"openai.responses.metadata","data":{"response_id":"resp_017e85da2ae23b69016a3c12518cc0819da56cbbdd33f128f3"}}}}''',
    '10.11': r'''{"content":[{"type":"tool-call","data":{"tool_call_id":"ws_0200025d411b0585016a3c13b4825c81a391999cec332e6f02","tool_name":"web_search","input":"","provider_executed":true}},{"type":"tool-result","data":{"tool_call_id":"ws_0200025d411b0585016a3c13b4825c81a391999cec332e6f02","tool_name":"web_search","result":null,"provider_executed":true,"provider_metadata":{"openai":{"type":"openai.responses.web_search_call_metadata","data":{"item_id":"ws_0200025d411b0585016a3c13b4825c81a391999cec332e6f02","action":{"type":"search","query":"current population of Tokyo 2024"}}}}}},{"type":"source","data":{"source_type":"url","id":"<uuid>","url":"https://www.toukei.metro.tokyo.lg.jp/index.htm?utm_source=openai","title":"東京都の統計"}},{"type":"text","data":{"text":"Here is the most recent … as well."}}],"finish_reason":"stop","usage":{"input_tokens":17407,"output_tokens":164,"total_tokens":17571,"reasoning_tokens":0,"cache_creation_tokens":0,"cache_read_tokens":0},"warnings":null,"provider_metadata":{"openai":{"type":"openai.responses.metadata","data":{"response_id":"resp_0200025d411b0585016a3c13b4018c81a3852ca4fd5be2b6a6"}}}}''',
    '10.12': r'''{"content":[{"type":"reasoning","data":{"text":"The user is asking about the weather in Florence, Italy. I have a weather function available that takes a location parameter. The user has provided the location as \"Florence, Italy\" which is specific enough for the weather function. I have all the required parameters to make the function call.","provider_metadata":{"anthropic":{"type":"anthropic.reasoning_metadata","data":{"signature":"Es8DCkYICxgCKkBR…","redacted_data":""}}}}},{"type":"tool-call","data":{"tool_call_id":"toolu_014azqsWLU8Djh6RhmBGRC2u","tool_name":"weather","input":"{\"location\":\"Florence, Italy\"}","provider_executed":false}}],"finish_reason":"tool-calls","usage":{"input_tokens":424,"output_tokens":118,"total_tokens":542,"reasoning_tokens":0,"cache_creation_tokens":0,"cache_read_tokens":0},"warnings":null,"provider_metadata":{}}''',
    '10.13': r'''{"content":[{"type":"text","data":{"text":"I'll get the weather information for Florence, Italy for you."}},{"type":"tool-call","data":{"tool_call_id":"toolu_01N2eM4V43kGCDkq2Lw7ChWQ","tool_name":"weather","input":"{\"location\": \"Florence,Italy\"}","provider_executed":false}}],"finish_reason":"tool-calls","usage":{"input_tokens":394,"output_tokens":67,"total_tokens":461,"reasoning_tokens":0,"cache_creation_tokens":0,"cache_read_tokens":0},"warnings":null,"provider_metadata":{}}''',
    '10.14': r'''{"content":[{"type":"text","data":{"text":"I'll get the current weather information for Florence, Italy for you."}},{"type":"tool-call","data":{"tool_call_id":"toolu_vrtx_01PKrjavVyDh3fufyVCkCJ49","tool_name":"weather","input":"{\"location\":\"Florence,Italy\"}","provider_executed":false}}],"finish_reason":"tool-calls","usage":{"input_tokens":394,"output_tokens":68,"total_tokens":462,"reasoning_tokens":0,"cache_creation_tokens":0,"cache_read_tokens":0},"warnings":null,"provider_metadata":{}}''',
    '10.15': r'''{"content":[{"type":"text","data":{"text":"Olá! 👋\n\nHow can I help you today?"}}],"finish_reason":"stop","usage":{"input_tokens":16,"output_tokens":18,"total_tokens":34,"reasoning_tokens":0,"cache_creation_tokens":0,"cache_read_tokens":0},"warnings":null,"provider_metadata":{}}''',
    '10.16': r'''{"content":[{"type":"reasoning","data":{"text":"","provider_metadata":{"google":{"type":"google.reasoning_metadata","data":{"signature":"\n\ufffd\u0001\u0001…","tool_id":"1"}}}}},{"type":"tool-call","data":{"tool_call_id":"1","tool_name":"weather","input":"{\"location\":\"Florence,Italy\"}","provider_executed":false}}],"finish_reason":"tool-calls","usage":{"input_tokens":54,"output_tokens":15,"total_tokens":117,"reasoning_tokens":48,"cache_creation_tokens":0,"cache_read_tokens":0},"warnings":null,"provider_metadata":null}''',
    '10.17': r'''{"content":[{"type":"text","data":{"text":"The weather in Florence,Italy is 40 C."}}],"finish_reason":"stop","usage":{"input_tokens":127,"output_tokens":16,"total_tokens":131,"reasoning_tokens":0,"cache_creation_tokens":0,"cache_read_tokens":0},"warnings":null,"provider_metadata":null}''',
    '10.18': r'''{"content":[{"type":"reasoning","data":{"text":"","provider_metadata":{"google":{"type":"google.reasoning_metadata","data":{"signature":"\u0012\ufffd\u0003\n…","tool_id":"9d532gc9"}}}}},{"type":"tool-call","data":{"tool_call_id":"9d532gc9","tool_name":"weather","input":"{\"location\":\"Florence, Italy\"}","provider_executed":false}}],"finish_reason":"tool-calls","usage":{"input_tokens":65,"output_tokens":32,"total_tokens":175,"reasoning_tokens":188,"cache_creation_tokens":0,"cache_read_tokens":0},"warnings":null,"provider_metadata":null}''',
    '10.20': r'''{"content":[{"type":"text","data":{"text":"Oi!"}}],"finish_reason":"stop","usage":{"input_tokens":19,"output_tokens":76,"total_tokens":95,"reasoning_tokens":64,"cache_creation_tokens":0,"cache_read_tokens":0},"warnings":null,"provider_metadata":{"openai":{"type":"openai.metadata","data":{"logprobs":null,"accepted_prediction_tokens":0,"rejected_prediction_tokens":0}}}}''',
    '10.20b': r'''{"content":[{"type":"text","data":{"text":"Oi! (Também pode usar \"Olá!\")"}}],"finish_reason":"stop","usage":{"input_tokens":19,"output_tokens":164,"total_tokens":183,"reasoning_tokens":128,"cache_creation_tokens":0,"cache_read_tokens":0},"warnings":null,"provider_metadata":{"openai":{"type":"openai.responses.metadata","data":{"response_id":"resp_07f7b191c92ba150016a3c117b1cf081978145cbcb940b8a9c"}}}}''',
}

SECTION_1_6 = r'''{"content":[{"type":"reasoning","data":{"text":"Thinking…","provider_metadata":{"anthropic":{"type":"anthropic.reasoning_metadata","data":{"signature":"EtYDCkY…","redacted_data":""}}}}},{"type":"text","data":{"text":"It is 40°C \u003chot\u003e"}},{"type":"source","data":{"source_type":"url","id":"https://example.org/a","url":"https://example.org/a","title":"Example"}},{"type":"source","data":{"source_type":"document","id":"9b2f…","title":"report.pdf","media_type":"text/plain","filename":"report.pdf"}},{"type":"tool-call","data":{"tool_call_id":"call_1","tool_name":"weather","input":"{\"location\":\"Florence\"}","provider_executed":false}},{"type":"tool-call","data":{"tool_call_id":"call_2","tool_name":"nope","input":"{}","provider_executed":false,"invalid":true,"validation_error":"tool not found: nope. Available tools: weather"}},{"type":"tool-call","data":{"tool_call_id":"srvtoolu_1","tool_name":"web_search","input":"{\"query\":\"x\"}","provider_executed":true}},{"type":"tool-result","data":{"tool_call_id":"srvtoolu_1","tool_name":"web_search","result":null,"provider_executed":true,"provider_metadata":{"anthropic":{"type":"anthropic.web_search_result_metadata","data":{"results":[{"url":"https://example.org/a","title":"Example","encrypted_content":"Eq…","page_age":"2 days ago"}]}}}}},{"type":"file","data":{"media_type":"image/png","data":"iVBORw0KGgo="}}],"finish_reason":"tool-calls","usage":{"input_tokens":12,"output_tokens":47,"total_tokens":123,"reasoning_tokens":34,"cache_creation_tokens":0,"cache_read_tokens":64},"warnings":[{"type":"unsupported-setting","setting":"top_k","tool":null,"details":"","message":""}],"provider_metadata":{"openai":{"type":"openai.metadata","data":{"logprobs":null,"accepted_prediction_tokens":0,"rejected_prediction_tokens":0,"extra_fields":{"cost":0.0001232}}}}}'''

WEATHER_FLORENCE = '{"location":"Florence, Italy"}'


def openai_md(**kw) -> dict:
    return {"openai": OpenAIMetadata(**kw)}


def U(*n) -> Usage:
    return Usage(*n)


# ---------------------------------------------------------------------------
# Hand-built responses
# ---------------------------------------------------------------------------


def build_1_6() -> Response:
    return Response(
        content=[
            ReasoningContent("Thinking…", {"anthropic": AnthropicReasoningMetadata(signature="EtYDCkY…")}),
            TextContent("It is 40°C <hot>"),
            SourceContent(source_type="url", id="https://example.org/a", url="https://example.org/a",
                          title="Example"),
            SourceContent(source_type="document", id="9b2f…", title="report.pdf",
                          media_type="text/plain", filename="report.pdf"),
            ToolCallContent("call_1", "weather", '{"location":"Florence"}'),
            ToolCallContent("call_2", "nope", "{}", invalid=True,
                            validation_error="tool not found: nope. Available tools: weather"),
            ToolCallContent("srvtoolu_1", "web_search", '{"query":"x"}', provider_executed=True),
            ToolResultContent("srvtoolu_1", "web_search", provider_executed=True, provider_metadata={
                "anthropic": AnthropicWebSearchResultMetadata(results=[WebSearchResultItem(
                    url="https://example.org/a", title="Example", encrypted_content="Eq…",
                    page_age="2 days ago")])}),
            FileContent(media_type="image/png", data=b"\x89PNG\r\n\x1a\n"),
        ],
        finish_reason=FinishReason.TOOL_CALLS,
        usage=Usage(12, 47, 123, 34, 0, 64),
        warnings=[CallWarning(type="unsupported-setting", setting="top_k")],
        provider_metadata=openai_md(extra_fields={"cost": RawJSON("0.0001232")}))


OPENROUTER_USAGE = OpenRouterUsage(prompt_tokens=19, cached_tokens=0, completion_tokens=7,
                                   reasoning_tokens=0, total_tokens=26, cost=0.00001255,
                                   upstream_inference_cost=0.00001255,
                                   upstream_inference_prompt_cost=0.0000038,
                                   upstream_inference_completions_cost=0.00000875)

SUMMARY_10_10 = ("**Checking weather in Florence**\n\nI need to provide a weather update for Florence, "
                 "Italy. To do this, I’ll call the weather function with the location specified. It "
                 "seems that I only need to use one tool, so I’ll stick with that. Once I make the "
                 "call, I’ll need to handle the response, which might come back as a JSON object. "
                 "I’ll aim to present the key details like temperature and conditions in a simple "
                 "format.")
SUMMARY_10_10B = ("**Getting weather info**\n\nI need to respond to the user's question about the "
                  "weather in Florence, Italy. I'll use the weather tool, which requires the location "
                  "string. According to the instructions, I can call functions.weather directly since "
                  "I only need one tool for this task. There's no need for parallel execution here. "
                  "I'll call the tool to retrieve the current weather information for Florence and see "
                  "what it returns!")
REASONING_10_5 = ("I need to get the weather information for Florence, Italy. I'll call the weather "
                  "function with \"Florence\" as the location parameter. ")
REASONING_10_8 = ("**Determining the Weather**\n\nI've identified the need to find weather information, "
                  "specifically for Florence, Italy. The `weather` function looks like the right tool "
                  "for the job. I now plan to use this function, with \"Florence, Italy\" as the "
                  "specified location.\n\n\n")
REASONING_10_12 = ("The user is asking about the weather in Florence, Italy. I have a weather function "
                   "available that takes a location parameter. The user has provided the location as "
                   "\"Florence, Italy\" which is specific enough for the weather function. I have all "
                   "the required parameters to make the function call.")
WS_ID = "ws_0200025d411b0585016a3c13b4825c81a391999cec332e6f02"


BUILDERS = {
    "10.1": lambda: Response([TextContent("Oi!")], "stop", U(20, 2, 22), None, openai_md()),
    "10.2": lambda: Response(
        [ToolCallContent("call_7kE4IjtnwXcGbX6hDM7xFu8T", "weather", WEATHER_FLORENCE)],
        "tool-calls", U(61, 16, 77), None, openai_md()),
    # extra_fields given out of order: Go sorts map keys
    "10.3": lambda: Response([TextContent("Olá!")], "stop", U(20, 4, 24), None, openai_md(
        extra_fields={"queue_time": RawJSON("0.194572138"), "prompt_time": RawJSON("0.010962163"),
                      "completion_time": RawJSON("0.009096914"), "total_time": RawJSON("0.020059077")})),
    "10.4": lambda: Response(
        [TextContent("Olá!"), ReasoningContent(
            'The user says: "Say hi in Portuguese". So answer: "Olá" or "Oi". Likely "Olá". '
            "Probably a friendly greeting. Just respond with that.")],
        "stop", U(84, 47, 131), None, openai_md()),
    "10.5": lambda: Response(
        [ReasoningContent(REASONING_10_5), TextContent("  "), TextContent(" "),
         ToolCallContent("functions.weather:0", "weather", '{"location": "Florence"}')],
        "tool-calls", U(12, 47, 123, 34, 0, 64), None,
        openai_md(extra_fields={"cost": RawJSON("0.0001232")})),
    "10.6": lambda: Response([TextContent("Oi! 😊")], "stop", U(19, 7, 26), None,
                             {"openai": OpenRouterMetadata(provider='"OpenAI"', usage=OPENROUTER_USAGE)}),
    "10.7": lambda: Response([TextContent("Olá! 😊")], "stop", U(19, 7, 26), None,
                             {"openrouter": OpenRouterMetadata(provider='"OpenAI"', usage=OPENROUTER_USAGE),
                              "openai": OpenAIMetadata()}),
    "10.8": lambda: Response(
        [ReasoningContent(REASONING_10_8, {"google": GoogleReasoningMetadata()}),
         ReasoningContent("", {"google": GoogleReasoningMetadata(signature="ClkBjz1rXyu/iVRB…")}),
         ToolCallContent("dEDMKZ3Jd0omXRAI", "weather", WEATHER_FLORENCE)],
        "tool-calls", U(28, 9, 37, 61), None, {"openai": OpenAIMetadata(), "vercel": VercelMetadata()}),
    "10.9": lambda: Response(
        [ToolCallContent("call_6Y7U4KSBYYYDJIEL0QdvBtzW", "weather", WEATHER_FLORENCE)],
        "tool-calls", U(58, 17, 75), None, {"openai": OpenAIResponsesMetadata(
            "resp_0ae18fcb02ae6780016a3c11fb7aa481a0a5936c206a2238bd")}),
    "10.10": lambda: Response(
        [ReasoningContent(SUMMARY_10_10, {"openai": ResponsesReasoningMetadata(
            item_id="rs_0d8949369356df9a016a3c1243e5a0819c87655df5f53e767e",
            encrypted_content="gAAAAABqPBJHBSKG…", summary=[SUMMARY_10_10])}),
         ToolCallContent("call_4QfIn5gPKIOWzKqBb5D2uuh4", "weather", WEATHER_FLORENCE)],
        "tool-calls", U(63, 212, 275, 128), None, {"openai": OpenAIResponsesMetadata(
            "resp_0d8949369356df9a016a3c12432020819c956937a00dcc1a84")}),
    "10.10b": lambda: Response(
        [ReasoningContent("\n" + SUMMARY_10_10B, {"openai": ResponsesReasoningMetadata(
            item_id="rs_017e85da2ae23b69016a3c1251dcec819daf72930a854fd4d1",
            encrypted_content="gAAAAABqPBJRAhme…", summary=[SUMMARY_10_10B])}),
         ToolCallContent("call_zgUaIBRPTwxxOusyyKw5NVMH", "weather", WEATHER_FLORENCE)],
        "tool-calls", U(63, 121, 184, 64), None, {"openai": OpenAIResponsesMetadata(
            "resp_017e85da2ae23b69016a3c12518cc0819da56cbbdd33f128f3")}),
    "10.11": lambda: Response(
        [ToolCallContent(WS_ID, "web_search", "", provider_executed=True),
         ToolResultContent(WS_ID, "web_search", None, provider_executed=True, provider_metadata={
             "openai": WebSearchCallMetadata(item_id=WS_ID, action=WebSearchAction(
                 type="search", query="current population of Tokyo 2024"))}),
         SourceContent("url", "<uuid>", url="https://www.toukei.metro.tokyo.lg.jp/index.htm?utm_source=openai",
                       title="東京都の統計"),
         TextContent("Here is the most recent … as well.")],
        "stop", U(17407, 164, 17571), None, {"openai": OpenAIResponsesMetadata(
            "resp_0200025d411b0585016a3c13b4018c81a3852ca4fd5be2b6a6")}),
    "10.12": lambda: Response(
        [ReasoningContent(REASONING_10_12, {"anthropic": AnthropicReasoningMetadata("Es8DCkYICxgCKkBR…", "")}),
         ToolCallContent("toolu_014azqsWLU8Djh6RhmBGRC2u", "weather", WEATHER_FLORENCE)],
        "tool-calls", U(424, 118, 542), None, {}),
    "10.13": lambda: Response(
        [TextContent("I'll get the weather information for Florence, Italy for you."),
         ToolCallContent("toolu_01N2eM4V43kGCDkq2Lw7ChWQ", "weather", '{"location": "Florence,Italy"}')],
        "tool-calls", U(394, 67, 461), None, {}),
    "10.14": lambda: Response(
        [TextContent("I'll get the current weather information for Florence, Italy for you."),
         ToolCallContent("toolu_vrtx_01PKrjavVyDh3fufyVCkCJ49", "weather", '{"location":"Florence,Italy"}')],
        "tool-calls", U(394, 68, 462), None, {}),
    "10.15": lambda: Response([TextContent("Olá! 👋\n\nHow can I help you today?")], "stop",
                              U(16, 18, 34), None, {}),
    # the thought signature is raw bytes: 0A F3 01 01 → \n, \ufffd (F3 without continuation), \u0001 ×2
    "10.16": lambda: Response(
        [ReasoningContent("", {"google": GoogleReasoningMetadata(
            signature=go_string(b"\x0a\xf3\x01\x01") + "…", tool_id="1")}),
         ToolCallContent("1", "weather", '{"location":"Florence,Italy"}')],
        "tool-calls", U(54, 15, 117, 48), None, None),
    "10.17": lambda: Response([TextContent("The weather in Florence,Italy is 40 C.")], "stop",
                              U(127, 16, 131), None, None),
    "10.18": lambda: Response(
        [ReasoningContent("", {"google": GoogleReasoningMetadata(
            signature=go_string(b"\x12\xbe\x03\n") + "…", tool_id="9d532gc9")}),
         ToolCallContent("9d532gc9", "weather", WEATHER_FLORENCE)],
        "tool-calls", U(65, 32, 175, 188), None, None),
    "10.20": lambda: Response([TextContent("Oi!")], "stop", U(19, 76, 95, 64), None, openai_md()),
    "10.20b": lambda: Response([TextContent('Oi! (Também pode usar "Olá!")')], "stop",
                               U(19, 164, 183, 128), None, {"openai": OpenAIResponsesMetadata(
                                   "resp_07f7b191c92ba150016a3c117b1cf081978145cbcb940b8a9c")}),
}


def expected_bytes(key: str) -> bytes:
    # Example 10.11 (docs/semantics.md#responses-api-examples) prints the placeholder <uuid>
    # unescaped; Go would escape it like any other "<".
    return EXPECTED[key].replace('"<uuid>"', '"\\u003cuuid\\u003e"').encode("utf-8")


def test_every_example_has_a_builder():
    assert set(BUILDERS) == set(EXPECTED)


@pytest.mark.parametrize("key", sorted(EXPECTED, key=lambda k: [int(x) for x in k.rstrip("b").split(".")] + [k.endswith("b")]))
def test_worked_example_bytes(key):
    r = BUILDERS[key]()
    assert r.to_json_bytes() == expected_bytes(key)
    assert r.to_json() == json.loads(expected_bytes(key))
    assert list(r.to_json()) == ["content", "finish_reason", "usage", "warnings", "provider_metadata"]


@pytest.mark.parametrize("key", sorted(EXPECTED))
def test_worked_example_round_trip(key):
    r = BUILDERS[key]()
    b = r.to_json_bytes()
    assert Response.from_json(b, exact=True).to_json_bytes() == b
    assert Response.from_json(b).to_json() == r.to_json()
    if key in ("10.16", "10.18"):
        # the raw signature bytes were written as \ufffd escapes: by default they read
        # back as the character U+FFFD, which Go writes raw
        assert Response.from_json(b) != r
        assert Response.from_json(b).to_json_bytes() != b
        assert b"\\ufffd" in b and "\ufffd".encode() in Response.from_json(b).to_json_bytes()
    else:
        assert Response.from_json(b).to_json_bytes() == b
        assert Response.from_json(r.to_json()).to_json_bytes() == b
        assert Response.from_json(b) == r
        assert Response.from_json(r.to_json()) == r


def test_complete_example_section_1_6():
    r = build_1_6()
    assert r.to_json_bytes() == SECTION_1_6.encode("utf-8")
    assert r.to_json() == json.loads(SECTION_1_6)
    assert Response.from_json(SECTION_1_6.encode()) == r
    assert Response.from_json(json.loads(SECTION_1_6)) == r


def test_content_data_key_order():
    d = build_1_6().to_json()
    data = [list(c["data"]) for c in d["content"]]
    assert data[0] == ["text", "provider_metadata"]
    assert data[2] == ["source_type", "id", "url", "title"]
    assert data[3] == ["source_type", "id", "title", "media_type", "filename"]
    assert data[5] == ["tool_call_id", "tool_name", "input", "provider_executed", "invalid",
                       "validation_error"]
    assert data[7] == ["tool_call_id", "tool_name", "result", "provider_executed", "provider_metadata"]
    assert [list(c) for c in d["content"]] == [["type", "data"]] * len(d["content"])
    assert list(d["usage"]) == ["input_tokens", "output_tokens", "total_tokens", "reasoning_tokens",
                                "cache_creation_tokens", "cache_read_tokens"]
    assert list(d["warnings"][0]) == ["type", "setting", "tool", "details", "message"]


# ---------------------------------------------------------------------------
# Go encoding/json rules (docs/semantics.md#go-json-encoding-rules)
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("text, written", [
    ("<a href='x'>&amp;</a>", r'"\u003ca href=\u0027x\u0027\u003e\u0026amp;\u003c/a\u003e"'.replace("\\u0027", "'")),
    ("line\u2028para\u2029end", r'"line\u2028para\u2029end"'),
    ("q\"b\\s/", r'"q\"b\\s/"'),
    ("\n\r\t\b\f", r'"\n\r\t\b\f"'),
    ("\x00\x01\x0b\x1f\x7f", '"\\u0000\\u0001\\u000b\\u001f\x7f"'),
    ("Olá 😊 東京 \ufffd", '"Olá 😊 東京 \ufffd"'),  # non-ASCII and a genuine U+FFFD raw
    ("", '""'),
], ids=["html", "u2028", "quote-backslash", "short-escapes", "controls", "non-ascii", "empty"])
def test_string_escaping(text, written):
    assert quote(text) == written
    assert encode(text) == written.encode("utf-8")


@pytest.mark.parametrize("raw, written", [
    (b"a\xffb", r'"a\ufffdb"'),
    (b"\xf0\x9f\x98A", r'"\ufffd\ufffd\ufffdA"'),     # truncated 4-byte sequence: one per byte
    (b"\xed\xa0\x80", r'"\ufffd\ufffd\ufffd"'),        # UTF-8-encoded surrogate is invalid
    (b"\xc0\xaf", r'"\ufffd\ufffd"'),                  # overlong
    (b"\xbe>", r'"\ufffd\u003e"'),
    (b"\xef\xbf\xbd", '"\ufffd"'),                     # a real U+FFFD stays raw
    (b"\xc3\xa9\xe2\x80\xa8", r'"é\u2028"'),
], ids=["ff", "truncated", "surrogate", "overlong", "continuation", "real-fffd", "valid"])
def test_invalid_utf8_one_replacement_per_byte(raw, written):
    s = go_string(raw)
    assert go_bytes(s) == raw
    assert encode(s) == written.encode("utf-8")


def test_surrogates_not_from_bytes():
    # a lone surrogate code point stands for its 3 WTF-8 bytes; escaped bytes that
    # together form valid UTF-8 are that character
    assert encode("\ud800") == b'"\\ufffd\\ufffd\\ufffd"'
    assert encode("\udcc3\udca9") == '"é"'.encode()


@pytest.mark.parametrize("value, written", [
    (1e21, "1e+21"), (1e20, "100000000000000000000"), (999999999999999900000.0, "999999999999999900000"),
    (0.000001, "0.000001"), (1e-7, "1e-7"), (1.5e-7, "1.5e-7"), (9.99e-7, "9.99e-7"),
    (0.0000038, "0.0000038"), (0.00001255, "0.00001255"), (0.0001232, "0.0001232"),
    (2.0, "2"), (-2.5, "-2.5"), (0.0, "0"), (-0.0, "-0"), (1e-100, "1e-100"), (5e-324, "5e-324"),
    (1.7976931348623157e308, "1.7976931348623157e+308"), (0.1, "0.1"), (1 / 3, "0.3333333333333333"),
    (12345678901234567890.0, "12345678901234567000"), (123456.789e3, "123456789"), (-1e22, "-1e+22"),
])
def test_go_float_formatting(value, written):
    assert format_float(value) == written
    assert encode(value) == written.encode()
    assert float(written) == value


@pytest.mark.parametrize("value, text", [
    (math.nan, "json: unsupported value: NaN"),
    (math.inf, "json: unsupported value: +Inf"),
    (-math.inf, "json: unsupported value: -Inf"),
])
def test_nan_and_inf_are_errors(value, text):
    with pytest.raises(UnsupportedValueError) as ei:
        encode([1, value])
    assert str(ei.value) == text
    r = Response(provider_metadata={"openai": OpenRouterMetadata(usage=OpenRouterUsage(cost=value))})
    with pytest.raises(UnsupportedValueError):
        r.to_json_bytes()
    with pytest.raises(ValueError):
        r.to_json()


def test_ints_in_float_fields_are_written_as_floats():
    u = OpenRouterUsage(cost=2, upstream_inference_cost=2 ** 60, upstream_inference_prompt_cost=10 ** 21)
    d = encode(OpenRouterMetadata(usage=u))
    assert b'"cost":2,' in d
    assert b'"upstream_inference_cost":1152921504606847000,' in d  # float64, not the exact int
    assert b'"upstream_inference_prompt_cost":1e+21,' in d
    # and ints stay exact where Go has int64
    assert b'"input_tokens":9223372036854775807' in Response(usage=Usage(2 ** 63 - 1)).to_json_bytes()


def test_nil_versus_empty():
    z = b'"usage":{"input_tokens":0,"output_tokens":0,"total_tokens":0,"reasoning_tokens":0,"cache_creation_tokens":0,"cache_read_tokens":0}'
    assert Response().to_json_bytes() == b'{"content":null,"finish_reason":"unknown",' + z + b',"warnings":null,"provider_metadata":null}'
    assert Response([], "stop", warnings=[], provider_metadata={}).to_json_bytes() == (
        b'{"content":[],"finish_reason":"stop",' + z + b',"warnings":[],"provider_metadata":{}}')
    # omitempty: an empty metadata map in a content part is left out, like nil
    assert encode(TextContent("x", {})) == encode(TextContent("x", None)) == b'{"type":"text","data":{"text":"x"}}'
    assert encode(ResponsesReasoningMetadata("i", None, None)) == (
        b'{"type":"openai.responses.reasoning_metadata","data":{"item_id":"i","encrypted_content":null,"summary":null}}')
    assert encode(ResponsesReasoningMetadata("i", "e", [])) == (
        b'{"type":"openai.responses.reasoning_metadata","data":{"item_id":"i","encrypted_content":"e","summary":[]}}')
    assert encode(OpenAIMetadata(extra_fields={})) == encode(OpenAIMetadata())
    assert encode(AnthropicWebSearchResultMetadata(results=[])) == b'{"type":"anthropic.web_search_result_metadata","data":{}}'
    assert encode(AnthropicWebSearchResultMetadata(error_code="max_uses_exceeded")) == (
        b'{"type":"anthropic.web_search_result_metadata","data":{"error_code":"max_uses_exceeded"}}')
    assert encode(VercelMetadata()) == b'{"type":"vercel.metadata","data":{}}'
    assert encode(VercelMetadata('"x"')) == b'{"type":"vercel.metadata","data":{"provider":"\\"x\\""}}'
    assert encode(WebSearchCallMetadata("w")) == b'{"type":"openai.responses.web_search_call_metadata","data":{"item_id":"w"}}'
    assert encode(WebSearchAction("search", "", [])) == b'{"type":"search"}'
    assert encode(WebSearchAction("open_page", "", [WebSearchSource("url", "u")])) == (
        b'{"type":"open_page","sources":[{"type":"url","url":"u"}]}')
    assert encode(WebSearchResultItem("u", "t", "e")) == b'{"url":"u","title":"t","encrypted_content":"e"}'
    assert encode(FileContent("a/b", None)) == b'{"type":"file","data":{"media_type":"a/b","data":null}}'
    assert encode(FileContent("a/b", b"")) == b'{"type":"file","data":{"media_type":"a/b","data":""}}'
    assert encode(SourceContent("url", "")) == b'{"type":"source","data":{"source_type":"url","id":""}}'
    assert encode(ToolCallContent("i", "n", "", validation_error="")) == (
        b'{"type":"tool-call","data":{"tool_call_id":"i","tool_name":"n","input":"","provider_executed":false}}')
    assert encode(ToolResultContent("i", "n", client_metadata="{}")) == (
        b'{"type":"tool-result","data":{"tool_call_id":"i","tool_name":"n","result":null,"client_metadata":"{}","provider_executed":false}}')
    assert encode(CallWarning()) == b'{"type":"other","setting":"","tool":null,"details":"","message":""}'


def test_logprobs_shape():
    md = OpenAIMetadata(logprobs=[TokenLogProb("Hi", [72, 105], -0.5, [TopLogProb("Hi", [72, 105], -0.5),
                                                                        TopLogProb("Yo", None, -3.0)])])
    assert encode(md) == (b'{"type":"openai.metadata","data":{"logprobs":[{"token":"Hi","bytes":[72,105],'
                          b'"logprob":-0.5,"top_logprobs":[{"token":"Hi","bytes":[72,105],"logprob":-0.5},'
                          b'{"token":"Yo","bytes":null,"logprob":-3}]}],"accepted_prediction_tokens":0,'
                          b'"rejected_prediction_tokens":0}}')


def test_map_keys_sorted_structs_in_order():
    assert encode({"b": 1, "a": 2, "B": 3, "é": 4, "aa": 5}) == '{"B":3,"a":2,"aa":5,"b":1,"é":4}'.encode()
    assert encode(Struct(b=1, a=2)) == b'{"b":1,"a":2}'
    r = Response(provider_metadata={"vercel": VercelMetadata(), "openai": OpenAIMetadata(),
                                    "anthropic": AnthropicReasoningMetadata()})
    assert list(r.to_json()["provider_metadata"]) == ["anthropic", "openai", "vercel"]
    md = OpenAIMetadata(extra_fields={"z": RawJSON("1"), "a": RawJSON("2")})
    assert encode(md).endswith(b'"extra_fields":{"a":2,"z":1}}}')


def test_raw_json_is_compacted_and_html_escaped_but_otherwise_verbatim():
    raw = RawJSON(' {\n "b" : [1 , 2.50, 1e3],\t"a":"<x> & \\u00e9 \u2028" } ')
    assert raw.text == '{"b":[1,2.50,1e3],"a":"\\u003cx\\u003e \\u0026 \\u00e9 \\u2028"}'
    assert encode({"k": raw}) == ('{"k":' + raw.text + "}").encode()
    assert raw.value() == {"b": [1, 2.5, 1000.0], "a": "<x> & é \u2028"}
    assert compact('"a b"') == '"a b"'
    with pytest.raises(UnsupportedValueError) as ei:
        RawJSON("{")
    assert str(ei.value) == "json: error calling MarshalJSON for type json.RawMessage: unexpected end of JSON input"
    with pytest.raises(UnsupportedValueError):
        RawJSON("NaN")


def test_tool_call_input_is_a_json_string():
    tc = ToolCallContent("c", "w", '{"q":"<b>"}\n')
    assert encode(tc) == b'{"type":"tool-call","data":{"tool_call_id":"c","tool_name":"w","input":"{\\"q\\":\\"\\u003cb\\u003e\\"}\\n","provider_executed":false}}'


def test_finish_reason_and_stream_part_type_values():
    assert [f.value for f in FinishReason] == ["stop", "length", "content-filter", "tool-calls",
                                               "error", "other", "unknown"]
    assert Response(finish_reason=FinishReason.CONTENT_FILTER).finish_reason == "content-filter"
    assert type(Response(finish_reason=FinishReason.STOP).finish_reason) is str
    # the public spelling is hyphenated (interface.md); Go's underscores are accepted
    assert StreamPart("text_start", id="0").type == StreamPartType.TEXT_START == "text-start"
    assert StreamPart(StreamPartType.TOOL_INPUT_DELTA).type == "tool-input-delta"
    assert StreamPartType("tool_call") is StreamPartType.TOOL_CALL
    with pytest.raises(ValueError):
        StreamPart("text-begin")
    assert repr(StreamPart("text_delta", id="0", delta="x")) == "StreamPart('text-delta', id='0', delta='x')"


# ---------------------------------------------------------------------------
# from_json
# ---------------------------------------------------------------------------


def test_from_json_keeps_raw_spellings_from_bytes():
    b = (b'{"content":[{"type":"tool-result","data":{"tool_call_id":"t","tool_name":"n","result":'
         b'{"z":1.0,"a":"\\u00e9"},"provider_executed":true}}],"finish_reason":"stop","usage":'
         b'{"input_tokens":1,"output_tokens":2,"total_tokens":3,"reasoning_tokens":0,"cache_creation_tokens":0,'
         b'"cache_read_tokens":0},"warnings":[{"type":"unsupported-tool","setting":"","tool":{"type":"function",'
         b'"data":{"name":"w","b":1E2}},"details":"d","message":"m"}],"provider_metadata":{"openai":{"type":'
         b'"openai.metadata","data":{"logprobs":null,"accepted_prediction_tokens":3,"rejected_prediction_tokens":4,'
         b'"extra_fields":{"cost":1.50,"s":"\\/x"}}},"zz":{"type":"future.metadata","data":{"y":[1.0],"x":null}}}}')
    r = Response.from_json(b)
    assert r.to_json_bytes() == b
    assert r.content[0].result == RawJSON('{"z":1.0,"a":"\\u00e9"}')
    assert r.warnings[0].tool.text == '{"type":"function","data":{"name":"w","b":1E2}}'
    assert r.provider_metadata["openai"].extra_fields == {"cost": RawJSON("1.50"), "s": RawJSON('"\\/x"')}
    assert r.provider_metadata["zz"] == UnknownMetadata("future.metadata", RawJSON('{"y":[1.0],"x":null}'))
    # from the parsed object the values survive, the spellings are Go's
    assert Response.from_json(json.loads(b)).to_json() == json.loads(b)
    assert Response.from_json(bytearray(b)) == Response.from_json(b.decode()) == r


@pytest.mark.parametrize("data, message", [
    (b'{"content":[', "unexpected end of JSON input"),
    (b'{"content":nul}', "invalid character '}' in literal null (expecting 'l')"),
    (b'{"content":[]} x', "invalid character 'x' after top-level value"),
    (b"", "unexpected end of JSON input"),
])
def test_from_json_syntax_errors(data, message):
    with pytest.raises(DecodeError) as ei:
        Response.from_json(data)
    assert ei.value.kind == "json"
    assert ei.value.message == message


@pytest.mark.parametrize("obj", [
    [], {"content": {}}, {"content": [{"type": "image", "data": {}}]}, {"content": [{"type": "text"}]},
    {"usage": {"input_tokens": 1.5}}, {"usage": {"input_tokens": True}}, {"finish_reason": 3},
    {"content": [{"type": "text", "data": {"text": 1}}]}, {"provider_metadata": {"x": 1}},
    {"content": [{"type": "file", "data": {"data": "***"}}]},
    {"provider_metadata": {"openai": {"type": "openai.metadata", "data": {"logprobs": {}}}}},
], ids=repr)
def test_from_json_shape_errors(obj):
    with pytest.raises(DecodeError) as ei:
        Response.from_json(obj)
    assert ei.value.kind == "json"


def test_from_json_defaults_and_go_string_decoding():
    r = Response.from_json(b'{"content":[{"type":"text","data":{"text":"a\\ud800b\\ud83d\\ude00\xff"}}]}')
    assert r.content == [TextContent("a\ufffdb😀\ufffd")]
    assert r.finish_reason == "" and r.usage == Usage() and r.warnings is None and r.provider_metadata is None
    exact = Response.from_json(b'{"content":[{"type":"text","data":{"text":"a\\ufffdb\xef\xbf\xbd"}}]}', exact=True)
    assert exact.content[0].text == "a\udcffb\ufffd"
    assert exact.to_json_bytes().startswith(b'{"content":[{"type":"text","data":{"text":"a\\ufffdb\xef\xbf\xbd"}}]')


def test_conveniences():
    r = build_1_6()
    assert r.text == "It is 40°C <hot>"
    assert r.reasoning_text == "Thinking…"
    assert [c.tool_call_id for c in r.tool_calls] == ["call_1", "call_2", "srvtoolu_1"]
    assert [s.id for s in r.sources] == ["https://example.org/a", "9b2f…"]
    assert r.dumps() == r.to_json_bytes()
    assert TextContent.type == "text" and ToolResultContent.type == "tool-result"
    for content in (None, []):   # no parts: empty text, empty lists (new ones each time)
        empty = Response(content=content)
        assert empty.text == empty.reasoning_text == "" and empty.tool_calls == empty.sources == []
        assert empty.tool_calls is not empty.tool_calls


def test_metadata_objects_are_shared_and_final_state_is_written():
    meta = ResponsesReasoningMetadata("rs_1", None, [])
    r = Response([ReasoningContent("x", {"openai": meta})])
    meta.summary.append("s")
    meta.encrypted_content = "enc"
    assert r.to_json()["content"][0]["data"]["provider_metadata"]["openai"]["data"] == {
        "item_id": "rs_1", "encrypted_content": "enc", "summary": ["s"]}


# ---------------------------------------------------------------------------
# Go scanner error texts
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("text, message", [
    ("", "unexpected end of JSON input"),
    ("   ", "unexpected end of JSON input"),
    ('{"a":1', "unexpected end of JSON input"),
    ("x", "invalid character 'x' looking for beginning of value"),
    ("1.", "invalid character ' ' after decimal point in numeric literal"),
    ("-", "invalid character ' ' in numeric literal"),
    ("1e", "invalid character ' ' in exponent of numeric literal"),
    ("tru", "invalid character ' ' in literal true (expecting 'e')"),
    ("fx", "invalid character 'x' in literal false (expecting 'a')"),
    ("nul!", "invalid character '!' in literal null (expecting 'l')"),
    ("[1] x", "invalid character 'x' after top-level value"),
    ("01", "invalid character '1' after top-level value"),
    ('{"a" 1}', "invalid character '1' after object key"),
    ('{"a":1 2}', "invalid character '2' after object key:value pair"),
    ("[1 2]", "invalid character '2' after array element"),
    ("{1:2}", "invalid character '1' looking for beginning of object key string"),
    ('{"a":1,}', "invalid character '}' looking for beginning of object key string"),
    ("[1,]", "invalid character ']' looking for beginning of value"),
    ('"a\nb"', "invalid character '\\n' in string literal"),
    ('"\\q"', "invalid character 'q' in string escape code"),
    ('"\\u12g4"', "invalid character 'g' in \\u hexadecimal character escape"),
    ("'a'", "invalid character '\\'' looking for beginning of value"),
    ('{"a":"b"}"', "invalid character '\"' after top-level value"),
    ("é", "invalid character 'Ã' looking for beginning of value"),
    ("\x7f", "invalid character '\\x7f' looking for beginning of value"),
    ("\x00", "invalid character '\\x00' looking for beginning of value"),
    ("\u00a0", "invalid character 'Â' looking for beginning of value"),  # first byte C2
    (b"\x85", "invalid character '\\u0085' looking for beginning of value"),
    (b"\xa0", "invalid character '\\u00a0' looking for beginning of value"),
    (b"\xad", "invalid character '\\u00ad' looking for beginning of value"),
    (b"\xff", "invalid character 'ÿ' looking for beginning of value"),
    ("NaN", "invalid character 'N' looking for beginning of value"),
    pytest.param("[" * 10001, "invalid character '[' exceeded max depth", id="depth-10001"),
    ('{"a":[1,{"b":null}],"c":"\\u00e9\\n"}', None),
    pytest.param("[" * 10000 + "]" * 10000, None, id="depth-10000"),
])
def test_go_syntax_error_texts(text, message):
    assert syntax_error(text) == message


@pytest.mark.parametrize("text, result", [
    ('{"a":1}', ({"a": 1.0}, None)),
    ("null", ({}, None)),
    (" {} ", ({}, None)),
    ("[]", (None, "json: cannot unmarshal array into Go value of type map[string]interface {}")),
    ('"x"', (None, "json: cannot unmarshal string into Go value of type map[string]interface {}")),
    ("1", (None, "json: cannot unmarshal number into Go value of type map[string]interface {}")),
    ("false", (None, "json: cannot unmarshal bool into Go value of type map[string]interface {}")),
    ('{"a":1e400}', (None, "json: cannot unmarshal number 1e400 into Go value of type float64")),
    ('{"a":Infinity}', (None, "invalid character 'I' looking for beginning of value")),
    ("[1] [", (None, "invalid character '[' after top-level value")),
])
def test_decode_object(text, result):
    assert decode_object(text) == result


def test_parse_spans():
    src = '{ "a" : [1, {"b": 2.0}] ,"c":"\\u003c"}'
    d = parse(src)
    assert d == {"a": [1, {"b": 2.0}], "c": "<"}
    a, b = d.spans["a"]
    assert src[a:b] == '[1, {"b": 2.0}]'
    assert d.source is src


# ---------------------------------------------------------------------------
# Round trips on generated responses
# ---------------------------------------------------------------------------

texts = st.text(max_size=12)
names = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7e), max_size=6)
ints = st.integers(-2 ** 63, 2 ** 63 - 1)
floats = st.floats(allow_nan=False, allow_infinity=False)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-2 ** 53, 2 ** 53) | floats | texts,
    lambda kids: st.lists(kids, max_size=3) | st.dictionaries(names, kids, max_size=3),
    max_leaves=6)
raw_values = json_values.map(RawJSON.from_value)


def _metadata_values():
    top = st.builds(TopLogProb, texts, st.none() | st.lists(st.integers(0, 255), max_size=3), floats)
    return st.one_of(
        st.builds(OpenAIMetadata,
                  st.none() | st.lists(st.builds(TokenLogProb, texts, st.none() | st.lists(st.integers(0, 255), max_size=3),
                                                 floats, st.none() | st.lists(top, max_size=2)), max_size=2),
                  ints, ints, st.none() | st.dictionaries(names, raw_values, min_size=1, max_size=3)),
        st.builds(OpenAIResponsesMetadata, texts),
        st.builds(ResponsesReasoningMetadata, texts, st.none() | texts, st.none() | st.lists(texts, max_size=3)),
        st.builds(WebSearchCallMetadata, texts, st.none() | st.builds(
            WebSearchAction, texts, texts,
            st.none() | st.lists(st.builds(WebSearchSource, texts, texts), min_size=1, max_size=2))),
        st.builds(OpenRouterMetadata, texts, st.builds(OpenRouterUsage, ints, ints, ints, ints, ints,
                                                       floats, floats, floats, floats)),
        st.builds(VercelMetadata, texts),
        st.builds(AnthropicReasoningMetadata, texts, texts),
        st.builds(AnthropicWebSearchResultMetadata,
                  st.none() | st.lists(st.builds(WebSearchResultItem, texts, texts, texts, texts),
                                       min_size=1, max_size=2), texts),
        st.builds(GoogleReasoningMetadata, texts, texts),
        st.builds(UnknownMetadata, names.map(lambda n: "x." + n), raw_values),
    )


metadata_maps = st.dictionaries(names, _metadata_values(), max_size=3)
part_metadata = st.none() | st.dictionaries(names, _metadata_values(), min_size=1, max_size=2)
contents = st.one_of(
    st.builds(TextContent, texts, part_metadata),
    st.builds(ReasoningContent, texts, part_metadata),
    st.builds(FileContent, texts, st.none() | st.binary(max_size=8), part_metadata),
    st.builds(SourceContent, st.sampled_from(["url", "document"]), texts, texts, texts, texts, texts,
              part_metadata),
    st.builds(ToolCallContent, texts, texts, texts, st.booleans(), part_metadata, st.booleans(),
              st.none() | texts.filter(bool)),
    st.builds(ToolResultContent, texts, texts, st.none() | raw_values, texts, st.booleans(), part_metadata),
)
responses = st.builds(
    Response,
    st.none() | st.lists(contents, max_size=4),
    st.sampled_from([f.value for f in FinishReason]) | texts,
    st.builds(Usage, ints, ints, ints, ints, ints, ints),
    st.none() | st.lists(st.builds(CallWarning, st.sampled_from(["unsupported-setting", "unsupported-tool", "other"]),
                                   texts, st.none() | raw_values, texts, texts), max_size=2),
    st.none() | metadata_maps,
)


@given(responses)
def test_round_trip_generated(r):
    b = r.to_json_bytes()
    b.decode("utf-8")  # always valid UTF-8
    assert json.loads(b) == r.to_json()
    back = Response.from_json(b)
    assert back == r
    assert back.to_json_bytes() == b
    if b"-0" not in b:  # json.loads reads -0 as the integer 0; Go (and the bytes path) keep -0.0
        assert Response.from_json(r.to_json()) == r
        assert Response.from_json(r.to_json()).to_json_bytes() == b


@given(st.lists(st.binary(max_size=12), min_size=1, max_size=3))
def test_round_trip_invalid_utf8(blobs):
    r = Response([ReasoningContent(go_string(x), {"google": GoogleReasoningMetadata(go_string(x), "t")})
                  for x in blobs])
    b = r.to_json_bytes()
    assert Response.from_json(b, exact=True).to_json_bytes() == b
    plain = json.loads(b)
    assert plain == r.to_json()
    # one U+FFFD per byte that is not part of valid UTF-8
    assert [c["data"]["text"] for c in plain["content"]] == [
        "".join("\ufffd" if 0xDC80 <= ord(ch) <= 0xDCFF else ch for ch in x.decode("utf-8", "surrogateescape"))
        for x in blobs]


@given(st.text())
def test_quote_property(s):
    q = quote(s)
    assert json.loads(q) == s
    assert not any(ch in q for ch in "<>&\u2028\u2029") and all(ord(ch) >= 0x20 for ch in q)


@given(floats)
def test_float_property(x):
    from decimal import Decimal
    s = format_float(x)
    assert float(s) == x
    a = abs(x)
    if x == 0:
        assert s in ("0", "-0")
    elif 1e-6 <= a < 1e21:
        assert "e" not in s
        ref = format(Decimal(repr(x)), "f")
        if "." in ref:
            ref = ref.rstrip("0").rstrip(".")
        assert s == ref
    else:
        mant, exp = s.split("e")
        assert exp[0] in "+-" and int(exp) == Decimal(repr(x)).adjusted()
        assert exp[0] == "-" or len(exp) >= 3
        assert Decimal(mant) * Decimal(10) ** int(exp) == Decimal(repr(x))


def test_negative_zero_survives_the_bytes_path():
    r = Response(provider_metadata={"openrouter": OpenRouterMetadata(usage=OpenRouterUsage(cost=-0.0))})
    b = r.to_json_bytes()
    assert b'"cost":-0,' in b
    back = Response.from_json(b)
    assert math.copysign(1.0, back.provider_metadata["openrouter"].usage.cost) == -1.0
    assert back.to_json_bytes() == b
