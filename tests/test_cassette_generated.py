"""Generated cassettes with awkward strings: round trip, idempotence, PyYAML as an oracle.

Three properties for every generated cassette ``c`` (hypothesis, plus
plain loops for sizes hypothesis rarely reaches):
1. ``loads(dumps(c))`` is ``c`` (ids renumbered, UTF-8 ``bytes`` read back as ``str``);
2. ``dumps(loads(dumps(c))) == dumps(c)`` (idempotent);
3. PyYAML's pure-Python ``SafeLoader`` with implicit typing off reads
   ``dumps(c)`` as exactly the values of ``c``, laid out as docs/cassettes.md#schema
   says (an oracle that shares no code with
   pyfantasy's reader or writer).
Also hand-checked fixtures in tests/data/cassettes/.
"""
from __future__ import annotations

import base64
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers import DATA
from pyfantasy._go import yaml as _goyaml
from pyfantasy._go.duration import INT64_MAX, INT64_MIN, format_duration
from pyfantasy.cassette import (Cassette, CassetteError, Interaction, Layout, Request, Response,
                                load, loads)


class OracleLoader(yaml.SafeLoader):
    """PyYAML's pure-Python loader, every plain scalar a string (no implicit types)."""

    yaml_implicit_resolvers: dict = {}


def oracle_read(data: bytes) -> Any:
    return yaml.load(data.decode("utf-8"), Loader=OracleLoader)


def _as_read(value):
    """What a reader gives back for a written string: UTF-8 bytes come back as str."""
    if isinstance(value, bytes):
        try:
            return value.decode("utf-8")
        except UnicodeDecodeError:
            return value
    return value


def _map(m):
    return {k: [_as_read(x) for x in v] for k, v in m.items()}


def expected_document(c: Cassette) -> dict:
    """docs/cassettes.md#schema: what the file must hold, with ints as text (no implicit typing)."""
    interactions = []
    for index, it in enumerate(c.interactions):
        q, r = it.request, it.response
        req: dict = {"proto": q.proto, "proto_major": str(q.proto_major),
                     "proto_minor": str(q.proto_minor), "content_length": str(q.content_length)}
        if q.transfer_encoding:
            req["transfer_encoding"] = list(q.transfer_encoding)
        if q.trailer:
            req["trailer"] = _map(q.trailer)
        req["host"] = q.host
        if q.remote_addr:
            req["remote_addr"] = q.remote_addr
        if q.request_uri:
            req["request_uri"] = q.request_uri
        if q.body:
            req["body"] = _as_read(q.body)
        if q.form:
            req["form"] = _map(q.form)
        if q.headers:
            req["headers"] = _map(q.headers)
        req["url"] = q.url
        req["method"] = q.method
        resp: dict = {"proto": r.proto, "proto_major": str(r.proto_major),
                      "proto_minor": str(r.proto_minor)}
        if r.transfer_encoding:
            resp["transfer_encoding"] = list(r.transfer_encoding)
        if r.trailer:
            resp["trailer"] = _map(r.trailer)
        resp["content_length"] = str(r.content_length)
        if r.uncompressed:
            resp["uncompressed"] = "true"
        resp["body"] = _as_read(r.body)
        resp["headers"] = _map(r.headers)
        resp["status"] = r.status
        resp["code"] = str(r.code)
        resp["duration"] = format_duration(r.duration_ns)
        interactions.append({"id": str(index), "request": req, "response": resp})
    return {"version": "2", "interactions": interactions}


def normalized(c: Cassette) -> Cassette:
    """The cassette a reader gives back: ids are indexes, UTF-8 bytes bodies are str."""
    out = Cassette(layout=c.layout if c.interactions else Layout(2, True))
    for index, it in enumerate(c.interactions):
        q, r = it.request, it.response
        req = Request(**{**vars(q), "body": _as_read(q.body)})
        resp = Response(**{**vars(r), "body": _as_read(r.body)})
        out.interactions.append(Interaction(index, req, resp))
    return out


def go_unreadable(c: Cassette) -> bool:
    """Go's quirk in indent widths other than 2 (docs/cassettes.md#literal-blocks): it writes a list item's block scalar
    with the indicator digit I but its lines at dash + 2, which no reader (Go's included) reads
    back as the same value. It concerns list items (header values) that contain a line feed
    and start with a space or a line break."""
    if c.layout.indent == 2:
        return False
    for it in c.interactions:
        lists = [it.request.transfer_encoding, it.response.transfer_encoding]
        for m in (it.request.trailer, it.request.form, it.request.headers, it.response.trailer,
                  it.response.headers):
            lists.extend(m.values())
        for items in lists:
            for v in items:
                if (isinstance(v, str) and _goyaml.choose_style(v) == _goyaml.LITERAL
                        and v[0] in " \n\u2028\u2029"):
                    return True
    return False


def check(c: Cassette) -> bytes:
    data = c.dumps()
    assert data.startswith(b"---\nversion: 2\n") and data.endswith(b"\n")
    assert not data.endswith(b"\n\n")
    if go_unreadable(c):
        return data
    back = loads(data)
    assert back == normalized(c)
    assert back.dumps() == data
    assert oracle_read(data) == expected_document(c)
    return data


# --- strategies -------------------------------------------------------------------------------
AWKWARD_CHARS = list("abZ09 -:#?'\"\\{}[],.|>!&*%@`~=_+\t\n\r") + [
    "\u00e9", "\u6708", "\u2019", "\U0001F60A", "\U0001F44B", "\x00", "\x07", "\x1b", "\x7f",
    "\x85", "\x9f", "\xa0", "\u2028", "\u2029", "\ufeff", "\ufffe", "\uffff", "\ue000",
    "\u3000", "\u1680",
]
WORDS = [
    "", " ", "\n", "\n\n", "  \n", "a\n", "a\n\n\n", "\na\n", "  two\nx\n", "\tb\nc\n",
    "x\ntrail \n", "a\r\nb\r\n", "true", "True", "yes", "Off", "on", "y", "n", "null", "~",
    "123", "-1", "+1", "-0", "007", "08", "0x1F", "0x", "0b2", "0b-1", "0o+7", "1_000",
    "1e3", "1e400", ".5", "._", ".inf", "-.Inf", "1.2.3", "2025-03-19", "2025-3-9",
    "2025-02-30", "2025-03-19T10:00:00Z", "2025-03-19 10:00:00", "2025-03-19 10:00:00 +02:00",
    "12:30", "1:2:3", "<<", "-", "--", "---", "...", "- a", "-a", "? x", "?x", ": x", ":x",
    "a:", "a: b", "a #b", "a#b", "#a", "'quoted'", "it's", "=", "\\", "v1", "\ufeffhi",
    "a\u2028b", "a\u2028", "\u2029b", "a \u2028b", "\u00a0x", "\U0001F60A",
    '{"type":"text","text":"I\'ll"}', 'data: {"a":1}\n\n', ": OPENROUTER PROCESSING\n\n",
]
chars = st.sampled_from(AWKWARD_CHARS)
words = st.sampled_from(WORDS)
# Any code point but a surrogate (by hand: st.text()'s default alphabet takes seconds to set up).
any_char = st.one_of(st.integers(0, 0xD7FF), st.integers(0xE000, 0x10FFFF)).map(chr)
short = st.one_of(st.text(chars, max_size=16), words,
                  st.lists(any_char, max_size=8).map("".join))
separators = st.sampled_from(["\n", "\r\n", "\n\n", " \n", "\n ", "\u2028", "\u2029", "\x85"])
multiline = st.tuples(st.lists(short, min_size=1, max_size=5), separators,
                      st.sampled_from(["", "\n", "\n\n", " "])).map(
    lambda t: t[1].join(t[0]) + t[2])
text = st.one_of(short, multiline)
invalid_utf8 = st.tuples(st.binary(max_size=60), st.sampled_from(
    [b"\xff", b"\xc3", b"\xed\xa0\x80", b"\xf4\x90\x80\x80", b"\xc0\xaf"])).map(
    lambda t: t[0] + t[1] + t[0])
body = st.one_of(text, st.binary(max_size=40), invalid_utf8)
header_key = st.one_of(st.text(st.sampled_from("ABXZabxz-_019~."), max_size=8), words,
                       st.text(chars, max_size=10), st.just("k" * 129), st.just("\u00e9" * 65))
headers = st.dictionaries(header_key, st.lists(text, max_size=3), max_size=3)
ints = st.one_of(st.integers(-1, 5), st.integers(INT64_MIN, INT64_MAX))
durations = st.one_of(st.integers(-10**12, 10**12), st.integers(INT64_MIN, INT64_MAX),
                      st.integers(0, 10**6))

requests = st.builds(Request, proto=text, proto_major=ints, proto_minor=ints,
                     content_length=ints, transfer_encoding=st.lists(text, max_size=2),
                     trailer=headers, host=text, remote_addr=text, request_uri=text,
                     body=body, form=headers, headers=headers, url=text, method=text)
responses = st.builds(Response, proto=text, proto_major=ints, proto_minor=ints,
                      transfer_encoding=st.lists(text, max_size=2), trailer=headers,
                      content_length=ints, uncompressed=st.booleans(), body=body,
                      headers=headers, status=text, code=ints, duration_ns=durations)
interactions = st.builds(Interaction, id=st.integers(0, 9), request=requests,
                         response=responses)
layouts = st.sampled_from([Layout(2, True), Layout(4, True), Layout(4, False), Layout(2, False),
                           Layout(3, True), Layout(8, False)])
cassettes = st.builds(Cassette, interactions=st.lists(interactions, max_size=2), layout=layouts)
# Whole cassettes are large draws (generation, not the checks, dominates the time): a quarter of
# the profile's examples; bodies and headers alone get the full count below.
_WHOLE = settings(max_examples=max(10, settings().max_examples // 4))


@_WHOLE
@given(cassettes)
def test_generated_cassettes(c):
    check(c)


@given(body)
def test_generated_bodies(value):
    c = Cassette([Interaction(response=Response(body=value)),
                  Interaction(request=Request(body=value))])
    check(c)


@given(headers)
def test_generated_headers(value):
    check(Cassette([Interaction(request=Request(headers=value, form=value, trailer=value),
                                response=Response(headers=value))]))


@pytest.mark.parametrize("value", WORDS, ids=[repr(w)[:30] for w in WORDS])
def test_awkward_words(value):
    check(Cassette([Interaction(request=Request(body=value, headers={value: [value]}),
                                response=Response(body=value, status=value))]))


# --- plain loops --------------------------------------------------------------------------------
def test_binary_bodies_every_length():
    for n in range(1, 201):
        data = bytes((0xFF, *range(n - 1)))[:n]
        c = Cassette([Interaction(response=Response(body=data))])
        out = check(c).decode()
        b64 = base64.b64encode(data).decode()
        if n <= 51:  # under 70 characters: on the tag's line
            assert len(b64) < 70
            assert f"    body: !!binary {b64}\n" in out
        else:
            assert len(b64) >= 70
            lines = [b64[i:i + 70] for i in range(0, len(b64), 70)]
            block = "".join(f"      {line}\n" for line in lines)
            assert f"    body: !!binary |\n{block}    headers: {{}}\n" in out


@pytest.mark.parametrize("n,expect", [(51, "inline"), (52, "block"), (53, "block")])
def test_binary_cut_at_70(n, expect):
    data = b"\x80" * n
    out = check(Cassette([Interaction(response=Response(body=data))])).decode()
    assert ("!!binary |\n" in out) == (expect == "block")


def test_go_indicator_quirk_in_indent4_list_items():
    """Reproduced as Go writes it: '|4' with lines at dash + 2; not readable back (by design)."""
    c = Cassette([Interaction(request=Request(headers={"K": ["\na\n"]}))], layout=Layout(4, True))
    out = c.dumps().decode()
    assert "            K:\n              - |4\n\n                a\n        url:" in out
    assert go_unreadable(c)
    with pytest.raises(CassetteError):
        loads(out)
    c.layout = Layout(2, True)  # fine with indent 2: dash + 2 is the indicator
    assert not go_unreadable(c)
    check(c)


def test_long_lines_are_never_folded():
    json_line = '{"text":"' + ("lorem ipsum it's " * 8000) + '"}'
    assert len(json_line) > 100_000
    emoji_line = json_line[:-2] + '\U0001F60A"}'
    sse = ("data: " + "x" * 120_000 + "\n\n") * 2
    c = Cassette([Interaction(request=Request(body=json_line),
                              response=Response(body=emoji_line)),
                  Interaction(response=Response(body=sse, headers={"X": ["y" * 110_000]}))])
    out = check(c).decode()
    lines = out.split("\n")
    assert "    body: '" + json_line.replace("'", "''") + "'" in lines
    assert any(line.startswith('    body: "{\\"text\\"') and line.endswith('\\U0001F60A\\"}"')
               for line in lines)
    assert "      data: " + "x" * 120_000 in lines
    assert "      - " + "y" * 110_000 in lines


def test_header_keys_in_natural_order():
    keys = ["X-10", "X-2", "x-lower", "Accept", "A1", "A-b", "Ab", "100", "11-", "2"]
    c = Cassette([Interaction(response=Response(headers={k: ["v"] for k in keys}))])
    out = check(c).decode()
    written = [line[6:-1] for line in out.split("\n") if line.startswith("      ") and
               line.endswith(":")]
    assert [w.strip('"') for w in written] == \
        ["2", "11-", "100", "A-b", "A1", "Ab", "Accept", "X-2", "X-10", "x-lower"]


# --- hand-checked fixtures ---------------------------------------------------------------------
AWKWARD_EXPECTED = Cassette([
    Interaction(0, Request(
        proto="HTTP/1.1", proto_major=1, proto_minor=1, content_length=-1, host="",
        body='{"text":"Ol\u00e1! \U0001F44B it\'s"}',
        headers={"": ["empty key"], "yes": ["true"], "x: y": ["1"], "tab\tkey": ["t"],
                 "multi\nline": ["z", "2025-03-19"], "X-2": ["a\nb\n"], "X-10": [],
                 "Accept": ["application/json"]},
        url="https://example.com/v1/models/m:streamGenerateContent?alt=sse", method="POST"),
        Response(proto="HTTP/2.0", proto_major=2, proto_minor=0, content_length=-1,
                 uncompressed=True,
                 body='data: {"a": 1}\r\n\r\ndata: [DONE]\r\n\r\n',
                 headers={"Content-Type": ["text/event-stream"]}, status="200 OK", code=200,
                 duration_ns=755667)),
    Interaction(1, Request(
        proto="HTTP/1.1", proto_major=1, proto_minor=1, content_length=11, host="",
        body="  two leading\n\tx\n", url="http://h/", method="GET"),
        Response(proto="HTTP/1.1", proto_major=1, proto_minor=1, transfer_encoding=["chunked"],
                 content_length=-1, body="event: a\ndata: b\n\n", headers={},
                 status="200 OK", code=200, duration_ns=78006992750)),
    Interaction(2, Request(host="", body="\ufeffhi", url="", method=""),
                Response(body=b"\x00\x00\x02\x91\x00\x00\x00K%\x82\xe8\xda" * 5,
                         headers={"X": ["a\u2028b", " lead", "trail ", "-", "'q'", "a\x85b"]},
                         status="", code=0, duration_ns=-1500000000)),
])


def test_awkward_fixture_exact():
    path = DATA / "cassettes" / "awkward_bodies.yaml"
    data = path.read_bytes()
    c = load(path)
    assert c == AWKWARD_EXPECTED
    assert c.dumps() == data
    assert AWKWARD_EXPECTED.dumps() == data
    assert oracle_read(data) == expected_document(AWKWARD_EXPECTED)


def test_indent4_fixture_exact():
    path = DATA / "cassettes" / "indent4_spaced.yaml"
    data = path.read_bytes()
    c = load(path)
    assert c.layout == Layout(4, False)
    assert c.dumps() == data
    expected = Cassette([Interaction(0, Request(proto="HTTP/1.1", proto_major=1, proto_minor=1,
                                                content_length=2, body="{}",
                                                headers={"Accept": ["*/*"]},
                                                url="http://h/", method="POST"),
                                     Response(proto="HTTP/1.1", proto_major=1, proto_minor=1,
                                              transfer_encoding=["chunked"],
                                              content_length=-1, body="a\n  b\n",
                                              headers={"Content-Type": ["text/plain"]},
                                              status="200 OK", code=200,
                                              duration_ns=1000))],
                        layout=Layout(4, False))
    assert c == expected
