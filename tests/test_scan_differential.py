"""The JSON scan kernels: native == python on random JSON, garbage and splits.

The random JSON texts have random whitespace (space, tab, CR, LF) between
tokens, objects with duplicate keys, and strings holding lone surrogates (as
``\\uXXXX`` escapes and as the raw bytes "surrogatepass" writes) and invalid
UTF-8 (stray, truncated and overlong sequences, verbatim inside the quotes).

Chunks must be identical (values, statuses, offsets, merged counts) with
coalescing off. With coalescing on they must be identical too, except on
events holding objects with duplicate keys. Both backends give such an
object the last value of the key at the key's first position (as
``json.loads`` and Go do), but they decide whether to merge on different
views of it: python on the final value, native on every value the text
holds, shadowed ones included. So on such events only *which* consecutive
chunks are merged may differ (native may refuse a merge python makes, e.g.
``{"c":"x","c":"y"}`` twice, or make one python refuses, e.g.
``{"c":"x","c":null}`` twice). What stays identical is checked by
``check_coalesced``: each coalesced chunk stands for a run of consecutive
uncoalesced chunks (same event name, status and offset as the run's first),
and its value is the run's common value with its one COALESCE string
replaced by the run's strings concatenated.
"""
from __future__ import annotations

import json
import re
from typing import List, NamedTuple, Tuple

import pytest
from hypothesis import given, strategies as st

from pyfantasy._kernels.jsonscan import (CHUNK_BAD_JSON, CHUNK_DONE, CHUNK_OK, COALESCE, INERT, INERT_NULL,
                                         Scanner, Spec, scan_body)
from pyfantasy._kernels.python.scan import merge_key, set_at

# every test here compares with (or runs) the C kernels: skipped without them, failed under
# PYFANTASY_REQUIRE_NATIVE (conftest); the python runs of the parametrised ones are not gated
pytestmark = pytest.mark.needs_native

SPEC = Spec({
    "id": INERT,
    "choices.*.index": 0,
    "choices.*.delta.content": COALESCE,
    "choices.*.delta.reasoning": COALESCE | INERT_NULL,
    "choices.*.delta.tool_calls": 0,
    "choices.*.finish_reason": INERT_NULL,
    "usage": 0,
    "a.b": INERT,
    "a.*.c": COALESCE | INERT_NULL,
    "x": 0,
})

KEYS = ["id", "choices", "index", "delta", "content", "reasoning", "tool_calls", "finish_reason", "usage",
        "a", "b", "c", "x", "y", "\u00e9", "k\\"]

class Obj(NamedTuple):
    """A JSON object as the text spells it: its (key, value) pairs, keys possibly repeated."""
    pairs: Tuple


class Raw(NamedTuple):
    """Bytes written verbatim inside a JSON string (invalid UTF-8)."""
    data: bytes


class JStr(NamedTuple):
    """A JSON string the text spells piece by piece: ``str`` pieces (lone surrogates allowed)
    are escaped as ``json.dumps`` does, ``Raw`` pieces are written as they are."""
    parts: Tuple


def _is_utf8(b: bytes) -> bool:
    try:
        b.decode("utf-8")
        return True
    except UnicodeDecodeError:
        return False


invalid_utf8 = (st.sampled_from([b"\xff", b"\xfe", b"\x80", b"\xbf", b"\xc0\x80", b"\xc1\xbf", b"\xc3",
                                 b"\xe2\x82", b"\xe0\x80\xaf", b"\xed\xa0\x80", b"\xed\xbf\xbf",
                                 b"\xf0\x9f\x98", b"\xf4\x90\x80\x80", b"\xf8\x88\x80\x80\x80"])
                | st.binary(min_size=1, max_size=4).filter(lambda b: not _is_utf8(b)))
lone_surrogates = st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF)
odd_strings = st.lists(st.text(max_size=3) | lone_surrogates | invalid_utf8.map(Raw),
                       min_size=1, max_size=5).map(lambda parts: JStr(tuple(parts)))

scalars = (st.none() | st.booleans() | st.integers(-10**20, 10**20)
           | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=8) | odd_strings)
json_values = st.recursive(
    scalars,
    lambda inner: (st.lists(inner, max_size=4)
                   | st.dictionaries(st.sampled_from(KEYS), inner, max_size=5).map(lambda d: Obj(tuple(d.items())))
                   | st.lists(st.tuples(st.sampled_from(KEYS), inner), max_size=5).map(lambda p: Obj(tuple(p)))),
    max_leaves=25)
# the whitespace JSON allows between tokens, drawn in runs and used in turn
whitespace = st.lists(st.text(alphabet=" \t\r\n", max_size=3), min_size=1, max_size=12)


def has_duplicate_keys(v) -> bool:
    if isinstance(v, Obj):
        keys = [k for k, _ in v.pairs]
        return len(set(keys)) != len(keys) or any(has_duplicate_keys(x) for _, x in v.pairs)
    if isinstance(v, list):
        return any(has_duplicate_keys(x) for x in v)
    return False


def _dump(v, ws: List[str] = (), ascii: bool = False) -> str:
    """JSON text of ``v`` (``Obj`` pairs in order, duplicates kept) with the whitespace
    runs of ``ws`` (cycled) around every token. ``Raw`` bytes appear as NUL + hex + NUL
    (JSON text never holds a raw NUL); ``_utf8`` turns the text into the body's bytes."""
    pos = [0]

    def w() -> str:
        if not ws:
            return ""
        pos[0] += 1
        return ws[pos[0] % len(ws)]

    def enc(x) -> str:
        if isinstance(x, Obj):
            if not x.pairs:
                return "{" + w() + "}"
            return "{" + ",".join(w() + json.dumps(k, ensure_ascii=ascii) + w() + ":" + w() + enc(y) + w()
                                  for k, y in x.pairs) + "}"
        if isinstance(x, list):
            if not x:
                return "[" + w() + "]"
            return "[" + ",".join(w() + enc(y) + w() for y in x) + "]"
        if isinstance(x, JStr):
            return '"' + "".join("\0" + p.data.hex() + "\0" if isinstance(p, Raw)
                                 else json.dumps(p, ensure_ascii=ascii)[1:-1] for p in x.parts) + '"'
        return json.dumps(x, ensure_ascii=ascii)

    return w() + enc(v) + w()


def _utf8(text: str) -> bytes:
    """``_dump``'s text as bytes: UTF-8, lone surrogates as "surrogatepass" writes them
    (invalid UTF-8), NUL-delimited hex as the raw bytes it stands for."""
    pieces = text.split("\0")
    return b"".join(bytes.fromhex(p) if k % 2 else p.encode("utf-8", "surrogatepass")
                    for k, p in enumerate(pieces))


def sse_data(text: str, eol: str = "\n") -> bytes:
    """An SSE event carrying ``text``: one ``data:`` line per line of it (the event's
    data joins them with LF, which JSON reads as whitespace, as it reads the CR they replace)."""
    lines = re.split(r"\r\n|\r|\n", text)
    return _utf8("".join("data: " + line + eol for line in lines)) + eol.encode()


def run(body: bytes, backend: str, cuts=(), sse=True, coalesce=False):
    sc = Scanner(SPEC, sse, b"[DONE]", coalesce, backend)
    out, prev = [], 0
    for cut in list(cuts) + [len(body)]:
        out += sc.feed(body[prev:cut])
        prev = cut
    out += sc.feed(b"", True)
    return out + [("cut", sc.cut)]


def sse_body(values, garbage, ws=(), eol="\n"):
    parts = []
    for k, (v, g) in enumerate(zip(values, garbage)):
        if g is not None:
            parts.append(b"data: " + g + b"\n\n")
        parts.append(sse_data(_dump(v, ws[k:] + ws[:k], ascii=k % 2 == 1), eol))
    return b"".join(parts)


def check_coalesced(coalesced, plain) -> None:
    """``coalesced`` (one backend, coalescing on) is ``plain`` (coalescing off) with runs
    of consecutive chunks merged as the rule allows (see the module docstring)."""
    assert coalesced[-1] == plain[-1]  # ("cut", offset)
    coalesced, plain = coalesced[:-1], plain[:-1]
    i = 0
    for ch in coalesced:
        run_ = plain[i:i + ch.merged]
        assert len(run_) == ch.merged >= 1
        first = run_[0]
        assert (ch.event, ch.status, ch.offset) == (first.event, first.status, first.offset)
        assert all(r.merged == 1 for r in run_)
        if ch.merged == 1:
            assert ch == first
        else:
            assert all(r.status == CHUNK_OK and r.event == ch.event for r in run_)
            keys = [merge_key(r.value, SPEC.root) for r in run_]
            if all(k is not None and k[:2] == keys[0][:2] for k in keys):
                assert ch.value == set_at(first.value, keys[0][1], "".join(k[2] for k in keys))
            else:  # native merged events whose COALESCE string a duplicate key shadows
                assert all(r.value == first.value for r in run_) and ch.value == first.value
        i += ch.merged
    assert i == len(plain)


@given(st.lists(json_values, max_size=8), st.lists(st.none() | st.binary(max_size=12), max_size=8),
       st.lists(st.integers(0, 400), max_size=6), whitespace, st.sampled_from(["\n", "\r\n", "\r"]))
def test_sse_native_equals_python(values, garbage, cuts, ws, eol):
    body = sse_body(values, garbage + [None] * len(values), ws, eol)
    cuts = sorted(c for c in cuts if c <= len(body))
    py = run(body, "python", cuts)
    assert run(body, "native", cuts) == py
    nat_c, py_c = run(body, "native", cuts, coalesce=True), run(body, "python", cuts, coalesce=True)
    if not any(has_duplicate_keys(v) for v in values):
        assert nat_c == py_c
    check_coalesced(nat_c, py)
    check_coalesced(py_c, py)


@given(st.lists(json_values, min_size=1, max_size=6), st.lists(st.integers(0, 400), max_size=4), whitespace)
def test_duplicate_keys_coalesced(values, cuts, ws):
    """Events made of repeats of one event with duplicate keys: where the merge
    decision may differ, the rest must not (see the module docstring)."""
    body = b"".join(sse_data(_dump(Obj((("a", [Obj((("c", v), ("c", w)))]),)), ws))
                    for v, w in zip(values, values[1:] + values[:1]))
    body += body
    cuts = sorted(c for c in cuts if c <= len(body))
    py = run(body, "python", cuts)
    assert run(body, "native", cuts) == py
    check_coalesced(run(body, "native", cuts, coalesce=True), py)
    check_coalesced(run(body, "python", cuts, coalesce=True), py)


def test_duplicate_keys_known_merge_differences():
    """The documented difference, pinned: values equal, grouping not."""
    shadowed = sse_data('{"a":[{"c":"x","c":null}]}') * 2   # python: no string; native: one
    twice = sse_data('{"a":[{"c":"x","c":"y"}]}') * 2       # python: one string; native: two
    for body, merged in ((shadowed, {"python": [1, 1], "native": [2]}),
                         (twice, {"python": [2], "native": [1, 1]})):
        plain = run(body, "python")
        assert run(body, "native") == plain
        for b in ("python", "native"):
            got = run(body, b, coalesce=True)
            assert [c.merged for c in got[:-1]] == merged[b]
            check_coalesced(got, plain)


@given(json_values, whitespace, st.booleans(), st.binary(max_size=6))
def test_document_native_equals_python(value, ws, ascii, tail):
    body = _utf8(_dump(value, ws, ascii)) + tail
    assert scan_body(body, SPEC, False, backend="native") == scan_body(body, SPEC, False, backend="python")


@given(st.lists(json_values, min_size=1, max_size=5), st.integers(0, 10**6), st.lists(st.integers(0, 400), max_size=4),
       whitespace)
def test_truncated_streams_native_equals_python(values, where, cuts, ws):
    body = sse_body(values, [None] * len(values), ws)
    body = body[:where % (len(body) + 1)]
    cuts = sorted(c for c in cuts if c <= len(body))
    assert run(body, "native", cuts) == run(body, "python", cuts)


@given(st.lists(json_values, min_size=1, max_size=4), st.integers(0, 10**6), st.lists(st.integers(0, 300), max_size=4))
def test_eof_dispatch_native_equals_python(values, where, cuts):
    body = sse_body(values, [None] * len(values))
    body = body[:where % (len(body) + 1)]
    cuts = sorted(c for c in cuts if c <= len(body))
    res = []
    for b in ("native", "python"):
        sc = Scanner(SPEC, True, b"[DONE]", True, b, eof_dispatch=True)
        out, prev = [], 0
        for cut in cuts + [len(body)]:
            out += sc.feed(body[prev:cut])
            prev = cut
        res.append(out + sc.feed(b"", True) + [sc.cut])
    assert res[0] == res[1]


def test_eof_dispatch_uses_the_unterminated_event():
    body = b'data: {"id":"1"}\r\n\r\ndata: {"id":"2"}'
    for b in ("python", "native"):
        plain = scan_body(body, SPEC, True, backend=b)
        google = Scanner(SPEC, True, None, True, b, eof_dispatch=True).feed(body, True)
        assert [c.value["id"] for c in plain] == ["1"]
        assert [c.value["id"] for c in google] == ["1", "2"]
        assert google[1].offset == body.index(b'data: {"id":"2"}')


def test_cut_offsets():
    ev = b'data: {"id":"1"}\n\n'
    for b in ("python", "native"):
        assert run(ev + ev, b)[-1] == ("cut", None)
        assert run(ev + b"data: {", b)[-1] == ("cut", len(ev))
        assert run(ev + b"event: x\ndata: {}\n", b)[-1] == ("cut", len(ev))
        assert run(ev + b": comment", b)[-1] == ("cut", None)
        assert run(ev + b"data: [DONE]\n\ndata: {", b)[-1] == ("cut", None)


@given(st.binary(max_size=80), st.lists(st.integers(0, 80), max_size=4))
def test_garbage_native_equals_python(garbage, cuts):
    for body in (garbage, b"data: " + garbage + b"\n\n", b"data: {\"id\": " + garbage + b"}\n\n"):
        c = sorted(x for x in cuts if x <= len(body))
        assert run(body, "native", c) == run(body, "python", c)
        assert scan_body(body, SPEC, False, backend="native") == scan_body(body, SPEC, False, backend="python")


@given(st.text(st.characters(exclude_categories=()), max_size=30))
def test_strings_unescape_identically(s):
    """Any string, lone surrogates included (escaped, or raw as invalid UTF-8)."""
    # every string escaped every way JSON allows
    forms = [json.dumps(s), json.dumps(s, ensure_ascii=False),
             '"' + "".join("\\u%04x" % ord(c) if ord(c) < 0x10000 else c for c in s) + '"']
    for f in forms:
        body = ('{"id": %s}' % f).encode("utf-8", "surrogatepass")
        n = scan_body(body, SPEC, False, backend="native")
        p = scan_body(body, SPEC, False, backend="python")
        assert n == p


@pytest.mark.parametrize("backend", ["python", "native"])
@pytest.mark.parametrize("text,ok", [
    ("0e", False), ("1.", False), ("1.5e", False), ("-0.e", False), ("1.5.", True), ("1e5e", True),
    ("1e5.", True), ("01", True), ("1 x", True), ("[1]x", True),
])
def test_document_tail_as_go_decoder(backend, text, ok):
    """A whole-document body: anything after a complete first value is ignored (Go's Decoder)."""
    (ch,) = scan_body(text.encode(), SPEC, False, backend=backend)
    assert (ch.status == CHUNK_OK) == ok


@pytest.mark.parametrize("backend", ["python", "native"])
@pytest.mark.parametrize("text,ok", [
    ('{"id": 1}', True), ('{"id": 1,}', False), ("[1,]", False), ("[,1]", False), ('{"a" 1}', False),
    ("01", False), ("1.", False), (".5", False), ("-", False), ("1e", False), ("1e+", False),
    ("-0", True), ("1E+2", True), ("NaN", False), ("Infinity", False), ("-Infinity", False),
    ('"\\x"', False), ('"\\u12"', False), ('"\t"', False), ('"a\\/b"', True), ("tru", False),
    ("nul", False), ("[]", True), ("{}", True), ("  [ ] ", True), ('{"id":"\\ud800"}', True),
    ("\ufeff{}", False), ("[" * 10 + "]" * 10, True), ("", False), ("   ", False), ("{} {}", False),
    ("1" * 5000, True),
])
def test_strict_rfc8259(backend, text, ok):
    body = b"data: " + text.encode() + b"\n\n"
    (ch,) = scan_body(body, SPEC, True, backend=backend)
    assert (ch.status == CHUNK_OK) == ok


def test_lone_surrogates_become_replacement(backend="native"):
    body = b'data: {"id":"a\\ud800b\\udc00c\\ud83d\\ude00"}\n\n'
    for b in ("python", "native"):
        (ch,) = scan_body(body, SPEC, True, backend=b)
        assert ch.value == {"id": "a\ufffdb\ufffdc\U0001F600"}


def test_invalid_utf8_in_strings_replaced_as_python_does():
    raw = b'data: {"id":"a\xffb\xe2\x82c\xf0\x9f\x98"}\n\n'
    expected = b'a\xffb\xe2\x82c\xf0\x9f\x98'.decode("utf-8", "replace")
    for b in ("python", "native"):
        (ch,) = scan_body(raw, SPEC, True, backend=b)
        assert ch.value == {"id": expected}


def test_done_stops_the_stream():
    body = b'data: {"id":"1"}\n\ndata: [DONE]\n\ndata: {"id":"2"}\n\n'
    for b in ("python", "native"):
        chunks = scan_body(body, SPEC, True, b"[DONE]", backend=b)
        assert [c.status for c in chunks] == [CHUNK_OK, CHUNK_DONE]
        assert chunks[1].offset == body.index(b"data: [DONE]")


@pytest.mark.parametrize("backend", ["python", "native"])
def test_deep_nesting_has_no_limit(backend):
    depth = 100000
    body = b'{"x": ' + b"[" * depth + b"]" * depth + b', "id": "deep"}'
    (ch,) = scan_body(body, SPEC, False, backend=backend)
    assert ch.status == CHUNK_OK and ch.value["id"] == "deep"
    inner, d = ch.value["x"], 1
    while inner:
        inner, d = inner[0], d + 1
    assert d == depth
    (bad,) = scan_body(body[:-30], SPEC, False, backend=backend)
    assert bad.status == CHUNK_BAD_JSON


CONTENT = b'data: {"id":"x","choices":[{"delta":{"content":"%s"},"finish_reason":null}]}\n\n'


@pytest.mark.parametrize("backend", ["python", "native"])
def test_coalescing_rule(backend):
    def chunks(*events):
        return scan_body(b"".join(events), SPEC, True, coalesce=True, backend=backend)
    run2 = chunks(CONTENT % b"a", CONTENT % b"b", CONTENT % b"c")
    assert len(run2) == 1 and run2[0].merged == 3
    assert run2[0].value["choices"][0]["delta"]["content"] == "abc"
    # a non-inert leaf (finish_reason set) ends the run; so does another id or event name
    stop = b'data: {"id":"x","choices":[{"delta":{"content":"d"},"finish_reason":"stop"}]}\n\n'
    assert [c.merged for c in chunks(CONTENT % b"a", stop, CONTENT % b"b")] == [1, 1, 1]
    other = b'data: {"id":"y","choices":[{"delta":{"content":"d"},"finish_reason":null}]}\n\n'
    assert [c.merged for c in chunks(CONTENT % b"a", other)] == [1, 1]
    named = b"event: x\n" + CONTENT % b"b"
    assert [c.merged for c in chunks(CONTENT % b"a", named)] == [1, 1]
    # numbers are not inert unless flagged; integers compare by value ("-0" == "0"),
    # other numbers by spelling; a second coalesce string prevents merging
    num = b'data: {"id":"x","choices":[{"index":0,"delta":{"content":"a"}}]}\n\n'
    assert [c.merged for c in chunks(num, num)] == [1, 1]
    ab = b'data: {"a":{"b":%s},"x":null}\n\n'
    abc = b'data: {"a":[{"c":"t"}],"id":%s}\n\n'
    assert [c.merged for c in chunks(abc % b"-0", abc % b"0")] == [2]
    assert [c.merged for c in chunks(abc % b"1.0", abc % b"1.00")] == [1, 1]
    assert [c.merged for c in chunks(abc % b"1e2", abc % b"1e2")] == [2]
    assert [c.merged for c in chunks(abc % b"1", abc % b"1.0")] == [1, 1]
    assert [c.merged for c in chunks(ab % b"true", ab % b"true")] == [1, 1]  # no coalesce string
    two = b'data: {"a":[{"c":"1"},{"c":"2"}]}\n\n'
    assert [c.merged for c in chunks(two, two)] == [1, 1]
    nulls = b'data: {"a":[{"c":"1"},{"c":null}]}\n\n'
    assert [c.merged for c in chunks(nulls, nulls)] == [2]
    # two different COALESCE leaves at the same place never merge (regression)
    r = b'data: {"choices":[{"delta":{"reasoning":"think"}}]}\n\n'
    t = b'data: {"choices":[{"delta":{"content":"say"}}]}\n\n'
    got = chunks(r, r, t, t)
    assert [c.merged for c in got] == [2, 2]
    assert got[0].value["choices"][0]["delta"] == {"reasoning": "thinkthink"}
    assert got[1].value["choices"][0]["delta"] == {"content": "saysay"}
    # same leaf, other array element: no merge
    e0 = b'data: {"a":[{"c":"x"},{}]}\n\n'
    e1 = b'data: {"a":[{},{"c":"x"}]}\n\n'
    assert [c.merged for c in chunks(e0, e1)] == [1, 1]


def test_long_coalesced_run_is_linear():
    n = 20000
    body = b"".join(b'data: {"id":"x","choices":[{"delta":{"content":"ab"}}]}\n\n' for _ in range(n))
    (ch,) = scan_body(body, SPEC, True, coalesce=True, backend="native")
    assert ch.merged == n and ch.value["choices"][0]["delta"]["content"] == "ab" * n


@pytest.mark.parametrize("body", [
    # past CPython's int digit limit: the native side rebuilds from its records
    b'data: {"id":"a","x":' + b"7" * 5000 + b'}\n\n',
    # a raw leaf container keeps its escapes: a lone surrogate there becomes U+FFFD
    b'data: {"id":"a","usage":{"k":"\\ud800 \\udc00\\u00e9","n":[1.50,-0]}}\n\n',
    # array elements the spec does not reach are None; key text needing escapes
    b'data: {"choices":[{"x":1},{"index":2,"delta":{"content":"\\"\\\\\\n\\u0001"}},{}],"k\\\\":1}\n\n',
    # a bare string root and a scalar where the spec expects a container
    b'data: "just text"\n\ndata: {"choices":7,"a":[1,{"c":null}]}\n\n',
])
def test_native_value_paths_equal_python(body):
    """The native side hands values over as JSON text, or as records when the text is
    beyond the json module; both must give what the python backend gives."""
    assert run(body, "native") == run(body, "python")


# ---- the prefix template (pf_json.c): chunks that share the last parse's prefix ----------

_PREFIXES = st.lists(st.tuples(st.sampled_from(["id", "x", "y", "a", "usage", "k\\\\"]), json_values),
                     max_size=3).map(lambda kv: "".join(f'"{k}":{_dump(v)},' for k, v in kv))
_STRINGS = st.one_of(st.text(max_size=12).map(lambda t: json.dumps(t)[1:-1]),
                     st.sampled_from(["\\x", "\x01", "\\ud800", "\\u00e9", "\0ff\0", "\0c3\0", "\\", "\\\"", "\""]))
_SUFFIXES = st.one_of(st.sampled_from(['"}}]}', '"},"finish_reason":null}],"usage":{"a":1}}', '"}}],"x":[1,2]}',
                                       '"}}]', '"}}]}}', '"}', '"}},{"delta":{"content":"z"}}]}', '"}}] }  ',
                                       '"},"index":1}],"id":"q"}', '"}}],"a":{"b":1,"c":"v"}}']),
                      st.text(alphabet='{}[]",:0123 nul\\', max_size=10))


@given(_PREFIXES, st.lists(st.tuples(_STRINGS, _SUFFIXES, st.booleans()), min_size=1, max_size=8),
       st.lists(st.integers(0, 400), max_size=4))
def test_shared_prefix_streams_native_equals_python(head, events, cuts):
    """Events that start like the one before up to its COALESCE string (text deltas of one
    stream): native resumes the parse at the string from the saved parser state; what comes
    out must be what a full parse gives, whatever string and tail follow (valid or not)."""
    prefix = '{' + head + '"choices":[{"index":0,"delta":{"content":"'
    body = b"".join(sse_data(prefix + s + tail if same else '{"x":' + tail + '}') for s, tail, same in events)
    cuts = sorted(c for c in cuts if c <= len(body))
    assert run(body, "native", cuts) == run(body, "python", cuts)
    assert run(body, "native", cuts, coalesce=True) == run(body, "python", cuts, coalesce=True)
