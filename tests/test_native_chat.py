"""The C chat-completions state machine (native/pf_chat.c) against its Python twin.

Beyond the random streams of test_decode_differential: every corpus chat stream
goes through C with no hand-back to Python; the hand-back itself (a shape C
does not reproduce) gives the same parts and Response in the middle of a
stream; a long stream moves to Python with bounded memory; threads reuse their
own decoders; and mutated real bodies decode alike on both backends.
"""
from __future__ import annotations

import json
import random

import pytest
from hypothesis import given, settings, strategies as st

from helpers import CORPUS, falls_back, interaction, interactions, needs_corpus, run_in_threads
from test_decode_differential import _part
from pyfantasy import DecodeError
from pyfantasy.decode import KEEP_LIMIT, StreamDecoder, decode_body, detect_format

pytestmark = pytest.mark.needs_native  # conftest: skip (or fail when required) without the extension

CHAT = interactions("openai-chat", stream=True)


def _bodies():
    out = []
    for p in CHAT:
        rel, iid = p.values
        it = interaction(rel, iid)
        out.append((it.response.body_bytes, detect_format(it).variant))
    return out


def outcome(body, backend, variant=None):
    try:
        return ("ok", decode_body(body, "openai-chat", True, backend, variant=variant).to_json_bytes())
    except DecodeError as e:
        return ("error", e.kind, e.message, e.offset, e.response.to_json_bytes() if e.response else None)


def feed_parts(body, backend, cuts, variant=None):
    dec = StreamDecoder("openai-chat", backend, variant=variant)
    parts, prev = [], 0
    try:
        for cut in sorted(set(cuts)) + [len(body)]:
            parts.append([_part(p) for p in dec.feed(body[prev:cut])])
            prev = cut
        return parts, ("ok", dec.close().to_json_bytes())
    except DecodeError as e:
        return parts, ("error", e.kind, e.message, e.offset, e.response.to_json_bytes() if e.response else None)


def decode_alike(body, cuts, variant=None):
    """Native and python agree on ``body`` whole, and fed in pieces at ``cuts`` (taken modulo
    its length): the Response or error, and every stream part."""
    assert outcome(body, "native", variant) == outcome(body, "python", variant)
    cuts = [c % (len(body) + 1) for c in cuts]
    assert feed_parts(body, "native", cuts, variant) == feed_parts(body, "python", cuts, variant)


@pytest.mark.parametrize("rel,iid", [p.values for p in CHAT], ids=[p.id for p in CHAT])
def test_corpus_chat_streams_stay_in_c(rel, iid):
    """Every recorded chat stream: the C machine decodes it (no hand-back) exactly as Python does."""
    it = interaction(rel, iid)
    body, variant = it.response.body_bytes, detect_format(it).variant
    assert not falls_back(body, "openai-chat", variant), "the C state machine handed a recorded body back"
    assert outcome(body, "native", variant) == outcome(body, "python", variant)


def _chunk(delta, **extra):
    return b"data: " + json.dumps({"id": "c1", "choices": [{"index": 0, "delta": delta, **extra}]}).encode() + b"\n\n"


LOGPROBS = {"content": [{"token": "Hi", "logprob": -0.1, "bytes": [72, 105], "top_logprobs": []}]}
HANDED_BACK = (_chunk({"content": "Hel"}) + _chunk({"content": "lo"})
               + _chunk({"content": "!"}, logprobs=LOGPROBS)
               + _chunk({}, finish_reason="stop") + b"data: [DONE]\n\n")


@pytest.mark.parametrize("cuts", [[], [10], [30, 60, 90, 200], list(range(0, len(HANDED_BACK), 7))])
def test_hand_back_mid_stream_gives_the_same_parts(cuts):
    """logprobs are decoded by the Python machine: the native decoder replays what it kept."""
    nat = feed_parts(HANDED_BACK, "native", cuts)
    assert nat == feed_parts(HANDED_BACK, "python", cuts)
    assert b'"logprobs":[{"token":"Hi"' in nat[1][1]


def test_long_stream_moves_to_python_with_bounded_memory():
    one = _chunk({"content": "x" * 1000})
    n = KEEP_LIMIT // len(one) + 50
    dec = StreamDecoder("openai-chat", "native")
    text = []
    for _ in range(n):
        for p in dec.feed(one):
            text.append(p.delta)
        assert dec._kept is None or dec._kept_bytes <= KEEP_LIMIT
    assert dec._reader is None and dec._kept is None  # moved to the Python machine past the limit
    dec.feed(_chunk({}, finish_reason="stop"))
    assert dec.close().content[0].text == "x" * (1000 * n) == "".join(text)


def test_threads_decode_with_their_own_decoders():
    bodies = _bodies()[:40]
    want = [outcome(b, "python", v) for b, v in bodies]
    errors = []

    def work(seed):
        order = list(range(len(bodies)))
        random.Random(seed).shuffle(order)
        for k in order:
            if outcome(bodies[k][0], "native", bodies[k][1]) != want[k]:
                errors.append(k)
    run_in_threads(work)
    assert not errors


_MUTATIONS = [b'"', b"\\u", b"{", b"}", b"[", b"]", b",", b"\n\n", b"data: ", b"9" * 30, b"null", b"\xff",
              b"\\ud800", b'"usage":{"total_tokens":5}', b"1e999", b"-0", b'"12"',
              b'"reasoning_details":[{"type":"reasoning.summary","format":"openai-responses-v1","summary":"s",'
              b'"index":3}]', b'"tool_calls":[{"index":1,"function":{"name":"f","arguments":"{"}}]',
              b'"usage":{"total_tokens":5,"queue_time":0.5,"x":-0,"x":null,"y":"s","z":{"a":1},"w":"\\u00e9"}',
              b'"usage":{"total_tokens":7,"q":1,"r":[1, 2],"q":2.50,"cost":0.001,"cost_details":{'
              b'"upstream_inference_cost":1e-7,"upstream_inference_prompt_cost":3}},"provider":"Open\\"AI"',
              b'"usage":{"total_tokens":1,"prompt_tokens":"3","cost":1e999}', b'"provider":{"a": 1}']


@st.composite
def mutated(draw):
    bodies = _bodies()
    body, _ = bodies[draw(st.integers(0, len(bodies) - 1))]
    b = bytearray(body)
    for _ in range(draw(st.integers(1, 6))):
        i = draw(st.integers(0, max(len(b) - 1, 0)))
        op = draw(st.integers(0, 3))
        if op == 0 and b:
            b[i] = draw(st.integers(0, 255))
        elif op == 1:
            del b[i:i + draw(st.integers(1, 60))]
        elif op == 2:
            b[i:i] = draw(st.sampled_from(_MUTATIONS))
        else:
            del b[i:]
    return bytes(b)


@needs_corpus
@settings(max_examples=300, deadline=None)
@given(mutated(), st.sampled_from(["openai", "compat", "openrouter", "vercel"]),
       st.lists(st.integers(0, 4000), max_size=5))
def test_mutated_corpus_bodies_decode_alike(body, variant, cuts):
    decode_alike(body, cuts, variant)


def test_negative_openrouter_token_counts_decode_as_python():
    """OpenRouter's usage metadata keeps JSON integers as they are, negative ones too (the
    C record could not hold them: such a body is read by Python's code)."""
    body = (_chunk({"content": "hi"}, finish_reason="stop") + b'data: {"id":"c1","choices":[],"usage":'
            b'{"prompt_tokens":0,"completion_tokens":-1,"total_tokens":-1}}\n\n' + b"data: [DONE]\n\n")
    nat = outcome(body, "native", "openrouter")
    assert nat == outcome(body, "python", "openrouter")
    assert b'"completion_tokens":-1' in nat[1]


@needs_corpus
def test_corpus_is_there():
    assert CHAT, f"no chat streams found in {CORPUS}"


def _tool_call_stream(args: str) -> bytes:
    call = {"index": 0, "id": "call_1", "type": "function", "function": {"name": "f", "arguments": args}}
    return (_chunk({"tool_calls": [call]}) + _chunk({}, finish_reason="tool_calls") + b"data: [DONE]\n\n")


TOOL_INPUTS = ['{"a":1}', ' {"a": [1, 2.5, -0, true, null, "x"]} ', "{}", "null", "", "[1]", '"s"', "1", '{"a":1}}',
               '{"a":1e400}', '{"a":1e4}', '{"a":' + "9" * 400 + "}", '{"a":' + "9" * 300 + "}", '{"a":01}',
               '{"a":"\\ud800"}', '{"a":"\\x"}', '{"a":"\x01"}', '{"a":"\xff"}', '{"a" 1}', '{"a":1,}', '{,}',
               '{"a":[1,]}', '{"a":tru}', '{"a":-}', '{"a":1.}', '{"a":.5}', "{" * 70 + "}" * 70,
               '{"a":' + "[" * 70 + "]" * 70 + "}", '{"a":{"b":{"c":[]}}}\n', '{"a":1} x', "\t{}\r\n"]


@pytest.mark.parametrize("args", TOOL_INPUTS)
def test_tool_call_input_check_matches_python(args):
    """C's JSON-object check of a tool call's input (pf_lex_json_object) only skips the agent's
    check when Python's check passes too: the Response is the same, valid or invalid."""
    body = _tool_call_stream(args)
    assert outcome(body, "native") == outcome(body, "python")


@settings(max_examples=300, deadline=None)
@given(st.one_of(
    st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
                 lambda kids: st.lists(kids, max_size=3) | st.dictionaries(st.text(max_size=4), kids, max_size=3),
                 max_leaves=8).map(lambda v: json.dumps({"v": v})),
    st.text(alphabet='{}[]",:0123456789.eE-+ \\ntruefalsenul\x01\xe9', max_size=24)))
def test_random_tool_call_inputs_decode_alike(args):
    body = _tool_call_stream(args)
    assert outcome(body, "native") == outcome(body, "python")


# -- runs of text deltas: the scanner's fast path (pf_json.c, join_run) -----------------------

_RUN_PREFIX = b'data: {"id":"c1","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"'
_RUN_TAILS = [b'"},"logprobs":null,"finish_reason":null}]}', b'"},"finish_reason":null}]}',
              b'"},"logprobs":null,"finish_reason":"stop"}]}', b'"},"finish_reason":null}]} ',
              b'"},"finish_reason":null}]', b'"},"finish_reason":null,"x":1}]}', b'"}}]}',
              b'"},"finish_reason":null}],"usage":{"completion_tokens":2}}', b'",}]}',
              # free strings (off the spec, in an on-spec object): OpenAI's obfuscation differs each time
              b'"},"finish_reason":null}],"usage":null,"obfuscation":"%s"}',
              b'"},"finish_reason":null}],"obfuscation":"%s","service_tier":"%s","x":["%s"]}',
              b'"},"finish_reason":null,"logprobs":{"content":"%s"}}]}', b'"},"finish_reason":"%s"}]}',
              b'"},"finish_reason":null}],"usage":{"x":"%s"}}']
_RUN_TEXTS = st.one_of(st.text(max_size=6).map(lambda t: json.dumps(t)[1:-1].encode()),
                       st.sampled_from([b"", b"\\n", b"\\u00e9", b"\\ud83d\\ude00", b"\\ud800", b"\\x", b"\xff",
                                        b"\xc3", b'"', b"\\", b"\x01", "é".encode()]))


@st.composite
def delta_runs(draw):
    """A chat stream of text-delta chunks that share a prefix and mostly their tail: runs the
    scanner joins without parsing; the odd tail, string, free string or event name breaks them."""
    chunks = []
    base = draw(st.sampled_from(_RUN_TAILS))
    for _ in range(draw(st.integers(1, 12))):
        name = draw(st.sampled_from([b"", b"", b"", b"event: x\n"]))
        tail = base if draw(st.integers(0, 4)) else draw(st.sampled_from(_RUN_TAILS))
        free = draw(st.sampled_from([b"ab", b"Xy3", b"", b"q" * 9]) if draw(st.integers(0, 3)) else _RUN_TEXTS)
        chunks.append(name + _RUN_PREFIX + draw(_RUN_TEXTS) + tail.replace(b"%s", free) + b"\n\n")
    end = draw(st.sampled_from([b"data: [DONE]\n\n", b"", b'data: {"choices":[{"index":0,"delta":{},'
                                                         b'"finish_reason":"stop"}]}\n\n']))
    return b"".join(chunks) + end


@settings(max_examples=300, deadline=None)
@given(delta_runs(), st.lists(st.integers(0, 3000), max_size=4))
def test_runs_of_text_deltas_decode_alike(body, cuts):
    decode_alike(body, cuts)


def test_a_long_run_of_text_deltas_is_one_text():
    pieces = [json.dumps(t)[1:-1].encode() for t in ("Hé", "llo", "\n", "😀", "", " wo", "rld", '"q"')]
    tail = _RUN_TAILS[0]
    body = b"".join(_RUN_PREFIX + p + tail + b"\n\n" for p in pieces) + _chunk({}, finish_reason="stop") \
        + b"data: [DONE]\n\n"
    for backend in ("native", "python"):
        resp = decode_body(body, "openai-chat", True, backend)
        assert [c.text for c in resp.content] == ['Héllo\n😀 world"q"']
    # a chunk whose tail differs ends the run; the next run starts again
    body2 = body.replace(b"\n\n" + _RUN_PREFIX + b"llo" + tail, b"\n\n" + _RUN_PREFIX + b"llo" + _RUN_TAILS[3])
    assert outcome(body2, "native") == outcome(body2, "python")
    assert json.loads(outcome(body2, "native")[1])["content"][0]["data"]["text"] == 'Héllo\n😀 world"q"'


@pytest.mark.parametrize("bad", [b"\\x", b"\xff", b"\xc3", b"\x01", b"\\ud800", b"\\u12", b'a"b', b"\\"])
@pytest.mark.parametrize("tail", [t for t in _RUN_TAILS if b"%s" in t])
def test_a_free_string_must_still_be_a_valid_string(bad, tail):
    """Free strings (off the spec) may differ from chunk to chunk of a run, but each is
    still checked: a bad one in the middle of a run is the same error (or text) as in Python."""
    frees = [b"ab", b"cd", b"ef", bad, b"gh"]
    body = b"".join(_RUN_PREFIX + b"t%d" % k + tail.replace(b"%s", f) + b"\n\n" for k, f in enumerate(frees))
    body += _chunk({}, finish_reason="stop") + b"data: [DONE]\n\n"
    assert outcome(body, "native") == outcome(body, "python")
    if bad == b"\\x":
        assert outcome(body, "native")[:2] == ("error", "json")


@st.composite
def reframed(draw):
    """A corpus chat body whose events are framed otherwise: data split over several
    ``data:`` lines (anywhere, inside strings too), CRLF or CR line ends, comments: the
    scanner's events read in place or copied, across any feed cuts, as Python reads them."""
    bodies = _bodies()
    body, variant = bodies[draw(st.integers(0, len(bodies) - 1))]
    eol = draw(st.sampled_from([b"\n", b"\n", b"\r\n", b"\r"]))
    out = []
    for line in body.split(b"\n"):
        if line.startswith(b"data: ") and len(line) > 8 and draw(st.integers(0, 3)) == 0:
            data = line[6:]
            cuts = sorted(set(draw(st.lists(st.integers(1, len(data) - 1), max_size=3))))
            pieces = [data[a:b] for a, b in zip([0] + cuts, cuts + [len(data)])]
            out.extend(b"data: " + p for p in pieces)
        elif line == b"" and draw(st.integers(0, 9)) == 0:
            out.extend([b": keep-alive", b""])
        else:
            out.append(line)
    return eol.join(out), variant


@needs_corpus
@settings(max_examples=200, deadline=None)
@given(reframed(), st.lists(st.integers(0, 6000), max_size=5))
def test_reframed_corpus_bodies_decode_alike(bv, cuts):
    body, variant = bv
    decode_alike(body, cuts, variant)
