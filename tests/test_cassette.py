"""pyfantasy.cassette against docs/cassettes.md.

Vectors, styles, durations, key order, layouts, errors, save(), corpus.

The JSON vectors in tests/data/cassette_vectors.json are the two JSON blocks
of the specification (docs/cassettes.md#examples), copied verbatim; each gives the
exact bytes of one field inside a cassette in the current layout.
"""
from __future__ import annotations

import base64
import json
import os
from datetime import timedelta

import pytest
from hypothesis import given, strategies as st

from pyfantasy._go import yaml as _goyaml
from pyfantasy import cassette as cas
from pyfantasy._go.duration import GoDuration, format_duration, parse_duration
from pyfantasy._errors import CassetteError
from pyfantasy._go.natsort import natural_less, natural_sorted
from pyfantasy.cassette import (LAYOUT_CURRENT, Cassette, Interaction, Layout, Request,
                                Response, dumps, load, loads)

from helpers import CORPUS, DATA, corpus_files, needs_corpus

VECTORS = json.loads((DATA / "cassette_vectors.json").read_text(encoding="ascii"))


# --- exact bytes of one field (docs/cassettes.md#examples) -------------------------------
def _vector_id(v: dict) -> str:
    value = v.get("value", v.get("value_base64", v.get("nanoseconds")))
    return f"{v['field']}={json.dumps(value, ensure_ascii=True)[:40]}"


def _cassette_for(v: dict) -> Cassette:
    """One interaction, every field at its zero value but the vector's."""
    f = v["field"]
    if f == "cassette":
        return Cassette()
    it = Interaction()
    if f == "response.duration":
        it.response.duration_ns = v["nanoseconds"]
    elif f == "response.content_length + uncompressed":
        it.response.content_length = v["value"]["content_length"]
        it.response.uncompressed = v["value"]["uncompressed"]
    else:
        section, name = f.split(".")
        value = base64.b64decode(v["value_base64"]) if "value_base64" in v else v["value"]
        setattr(getattr(it, section), name, value)
    return Cassette([it])


# What follows each field when every other field has its zero value
# (docs/cassettes.md#request-fields and docs/cassettes.md#response-fields).
_FOLLOWER = {
    "request.host": "    url: \"\"\n",
    "request.form": "    url: \"\"\n",
    "request.headers": "    url: \"\"\n",
    "request.url": "    method: \"\"\n",
    "response.body": "    headers: {}\n",
    "response.content_length + uncompressed": "    body: \"\"\n",
    "response.transfer_encoding": "    content_length: 0\n",
}


@pytest.mark.parametrize("vector", VECTORS["section6"] + VECTORS["section7"], ids=_vector_id)
def test_vector_emitted_exactly(vector):
    c = _cassette_for(vector)
    out = c.dumps().decode("utf-8")
    f = vector["field"]
    if f == "cassette":
        assert out == vector["emitted"]
        return
    section = out[out.index("  response:\n"):] if f.startswith("response") else \
        out[out.index("  request:\n"):out.index("  response:\n")]
    if f == "response.duration":
        assert out.endswith(vector["emitted"])
    else:
        assert vector["emitted"] + _FOLLOWER[f] in section
    # and it reads back to the same value (the TAB-led block needs the pure-Python fallback)
    back = loads(out)
    assert back == c
    assert back.dumps() == out.encode("utf-8")


def test_vector_files_cover_the_spec():
    assert len(VECTORS["section6"]) == 20
    assert len(VECTORS["section7"]) == 51


def test_empty_cassette_bytes():
    assert Cassette().dumps() == b"---\nversion: 2\ninteractions: []\n"
    assert dumps(Cassette()) == b"---\nversion: 2\ninteractions: []\n"
    assert loads(b"---\nversion: 2\ninteractions: []\n") == Cassette()


FULL_EXPECTED = """\
---
version: 2
interactions:
- id: 0
  request:
    proto: HTTP/1.1
    proto_major: 1
    proto_minor: 1
    content_length: 27
    transfer_encoding:
    - chunked
    trailer:
      X-Trail:
      - "1"
    host: example.com
    remote_addr: 127.0.0.1:5000
    request_uri: /v1/x?alt=sse
    body: '{"q":"it''s"}'
    form:
      alt:
      - sse
    headers:
      Content-Type:
      - application/json
    url: https://example.com/v1/x?alt=sse
    method: POST
  response:
    proto: HTTP/2.0
    proto_major: 2
    proto_minor: 0
    transfer_encoding:
    - chunked
    trailer:
      Grpc-Status:
      - "0"
    content_length: -1
    uncompressed: true
    body: |+
      data: {"a": 1}

    headers:
      Content-Type:
      - text/event-stream
    status: 200 OK
    code: 200
    duration: 1.611896291s
- id: 1
  request:
    proto: ""
    proto_major: 0
    proto_minor: 0
    content_length: 0
    host: ""
    url: ""
    method: GET
  response:
    proto: ""
    proto_major: 0
    proto_minor: 0
    content_length: 0
    body: ""
    headers: {}
    status: ""
    code: 0
    duration: 0s
"""


def _full_cassette() -> Cassette:
    req = Request(proto="HTTP/1.1", proto_major=1, proto_minor=1, content_length=27,
                  transfer_encoding=["chunked"], trailer={"X-Trail": ["1"]}, host="example.com",
                  remote_addr="127.0.0.1:5000", request_uri="/v1/x?alt=sse",
                  body='{"q":"it\'s"}', form={"alt": ["sse"]},
                  headers={"Content-Type": ["application/json"]},
                  url="https://example.com/v1/x?alt=sse", method="POST")
    resp = Response(proto="HTTP/2.0", proto_major=2, proto_minor=0,
                    transfer_encoding=["chunked"], trailer={"Grpc-Status": ["0"]},
                    content_length=-1, uncompressed=True, body='data: {"a": 1}\n\n',
                    headers={"Content-Type": ["text/event-stream"]}, status="200 OK", code=200,
                    duration_ns=1611896291)
    return Cassette([Interaction(0, req, resp), Interaction(7, Request(method="GET"), Response())])


def test_every_field_in_order_and_ids_renumbered():
    c = _full_cassette()
    assert c.dumps().decode() == FULL_EXPECTED
    back = loads(FULL_EXPECTED)
    assert back.interactions[1].id == 1
    back.interactions[1].id = 7
    assert back == c


# --- plain text Go would read as something else ----------------------------------------------
# docs/cassettes.md#strings-that-look-typed
QUOTED = ["0", "-1", "+1", "007", "08", "0x1F", "-0x1f", "0o17", "0b101", "1_000", "1.5", "1.",
          "1e3", "-1E-3", ".5", ".5e3", ".5_5", "12:30", "1:2:3", "-1:30.5", "2025-03-19",
          "2025-3-9", "2024-02-29", "2025-03-19T10:00:00Z", "2025-03-19t1:2:3.5+02:00",
          "2025-03-19T10:00:00,5-24:00", "2025-03-19 10:00:00", "2025-03-19 10:00:00.123",
          "<<", "-0", "-0.0", "+.inf", ".NaN", "~", "null", "NULL", "true", "FALSE", "y", "N",
          "yes", "Off", "on", "18446744073709551615", "99999999999999999999", "0b-1", "0o+7"]
NOT_QUOTED = ["0x", "0b2", "1.2.3", "2025-3-9x", "+", "._", "v1", "1e400", "2025-02-30",
              "2023-02-29", "2025-13-01", "2025-03-19T10:00:00", "2025-03-19T24:00:00Z",
              "2025-03-19 10:00:00 +02:00", "2025-03-19T10:00:00+25:00", "=", "-a", "yes!",
              "Yes.", "nil", "none", "0xFFFFFFFFFFFFFFFFFF", "._5", ".e5",
              "1:60", "12:30:", "0b", "-", "--1", "+-1", "0x_", "1 000", "12-30", "v1.2"]


@pytest.mark.parametrize("value", QUOTED)
def test_go_resolves_as_non_string(value):
    assert _goyaml.resolves_non_string(value)
    assert _goyaml.choose_style(value) == _goyaml.DOUBLE


@pytest.mark.parametrize("value", NOT_QUOTED)
def test_go_resolves_as_string(value):
    assert not _goyaml.resolves_non_string(value)


@pytest.mark.parametrize("value,style", [
    ("plain text", "plain"), ("-a", "plain"), ("?x", "plain"), (":x", "plain"), ("x:y", "plain"),
    ("a#b", "plain"), ("it's", "plain"), ("=", "plain"), ("\\", "plain"),
    ("\u00e9t\u00e9", "plain"),
    ("- a", "single"), ("? a", "single"), ("a:", "single"), ("---x", "single"), ("...", "single"),
    ("{a}", "single"), ("@x", "single"), ("%x", "single"), ("`x", "single"), ("a\u2028b", "single"),
    ("a\tb", "double"), ("\U0001F60A", "double"), ("a\x7fb", "double"), ("a\ufffeb", "double"),
    ("", "double"), ("\n", "double"), ("a\n", "literal"), ("a\n\tb", "literal"),
    ("a\n ", "double"), ("a \nb", "double"), ("a\n b", "literal"), ("a\u2028 b", "double"),
])
def test_choose_style(value, style):
    assert _goyaml.choose_style(value) == style


# --- durations (docs/cassettes.md#durations) -----------------------------------------------
DURATION_TABLE = [
    (0, "0s"), (1, "1ns"), (999, "999ns"), (1000, "1\u00b5s"), (1500, "1.5\u00b5s"),
    (1000000, "1ms"), (967754833, "967.754833ms"), (1200000000, "1.2s"),
    (60000000000, "1m0s"), (62500000000, "1m2.5s"), (78006992750, "1m18.00699275s"),
    (7200000000000, "2h0m0s"), (-1500000000, "-1.5s"),
    (9223372036854775807, "2562047h47m16.854775807s"),
    (-9223372036854775808, "-2562047h47m16.854775808s"),
]


@pytest.mark.parametrize("ns,text", DURATION_TABLE, ids=[t for _, t in DURATION_TABLE])
def test_duration_table_both_ways(ns, text):
    assert format_duration(ns) == text
    assert parse_duration(text) == ns


@pytest.mark.parametrize("text,ns", [
    ("1.5h", 5400000000000), ("90m", 5400000000000), (".5s", 500000000), ("0.5s", 500000000),
    ("1m1h", 3660000000000), ("500ms300us", 500300000), ("1\u03bcs", 1000), ("1us", 1000),
    ("+0", 0), ("-0", 0), ("0", 0), ("1.s", 1000000000), ("+5s", 5000000000),
    ("-1m0.5s", -60500000000), ("1h1h", 7200000000000), ("2.397934s", 2397934000),
    ("0.000000001s", 1), ("1.0000000001s", 1000000000),
])
def test_duration_parse(text, ns):
    assert parse_duration(text) == ns


@pytest.mark.parametrize("text", [
    "", "1", "1x", "s", ".s", "-", "+", "1.5", "1 s", "1S", "1m 1s", "--1s", "1e3s",
    "9223372036854775808ns", "2562048h", "9999999999999999999999s", "106751d",
])
def test_duration_parse_errors(text):
    with pytest.raises(ValueError):
        parse_duration(text)


def test_duration_limits():
    assert parse_duration("-9223372036854775808ns") == -(1 << 63)
    assert parse_duration("9223372036854775807ns") == (1 << 63) - 1
    with pytest.raises(ValueError):
        format_duration(1 << 63)


def test_go_duration_type():
    d = GoDuration(1611896291)
    assert isinstance(d, timedelta)
    assert d.nanoseconds == 1611896291
    assert d == timedelta(seconds=1, microseconds=611896)
    assert str(d) == "1.611896291s"
    assert GoDuration(-1999) == timedelta(microseconds=-1)  # truncated toward zero
    assert GoDuration.parse("1m18.00699275s").nanoseconds == 78006992750
    assert GoDuration.from_timedelta(timedelta(days=1)).nanoseconds == 86400 * 10**9


def test_response_duration_property():
    r = Response(duration_ns=1611896291)
    assert r.duration.nanoseconds == 1611896291
    assert r.duration == timedelta(seconds=1, microseconds=611896)
    r.duration = timedelta(seconds=2, microseconds=5)
    assert r.duration_ns == 2000005000
    r.duration = GoDuration(7)
    assert r.duration_ns == 7
    r.duration = "1.5h"
    assert r.duration_ns == 5400 * 10**9
    r.duration = timedelta(days=-1)
    assert r.duration_ns == -86400 * 10**9
    with pytest.raises(TypeError):
        r.duration = 5


def test_duration_outside_int64_cannot_be_written():
    c = Cassette([Interaction()])
    c.interactions[0].response.duration = timedelta(days=300 * 366)
    with pytest.raises(CassetteError, match="int64"):
        c.dumps()


# --- natural key order (docs/cassettes.md#key-order) ----------------------------------------
@pytest.mark.parametrize("a,b", [
    ("X-Amz-Date", "X-Api-Key"), ("A1", "Ab"), ("A-b", "Ab"), ("X-2", "X-10"), ("A-b", "A1"),
    ("Zeta", "alpha"), ("Accept", "Content-Type"), ("Content-Type", "User-Agent"),
    ("a", "ab"), ("a1b", "a1-"),  # after a digit a letter comes first
    ("x1", "x01"),  # equal numbers: shorter run first
    ("11-", "100"),  # quirk: a 0 after a non-zero prefix digit compares 1-prefixed runs
    ("2", "11"), ("11", "100"), ("alt", "beta"),
])
def test_natural_less(a, b):
    assert natural_less(a, b)
    assert not natural_less(b, a)


def test_natural_sorted_spec_example():
    keys = ["X-10", "X-2", "x-lower", "Accept", "A1", "A-b", "Ab"]
    assert natural_sorted(keys) == ["A-b", "A1", "Ab", "Accept", "X-2", "X-10", "x-lower"]
    assert natural_sorted(["User-Agent", "Content-Type", "Accept"]) == \
        ["Accept", "Content-Type", "User-Agent"]
    assert natural_sorted(["100", "11", "2"]) == ["2", "11", "100"]
    assert natural_sorted(["a~", "ab", "a_"]) == ["a_", "a~", "ab"]


def test_headers_kept_in_load_order_sorted_on_write():
    text = ("---\nversion: 2\ninteractions:\n- id: 0\n  request:\n    headers:\n"
            "      b:\n      - \"1\"\n      a:\n      - \"2\"\n")
    c = loads(text)
    assert list(c.interactions[0].request.headers) == ["b", "a"]
    out = c.dumps().decode()
    assert "    headers:\n      a:\n      - \"2\"\n      b:\n      - \"1\"\n" in out


# --- layouts (docs/cassettes.md#layout) -----------------------------------------------------
LAYOUTS = [Layout(2, True), Layout(4, True), Layout(4, False), Layout(2, False)]


def _layout_cassette() -> Cassette:
    c = _full_cassette()
    r = c.interactions[0].response
    r.body = '{\n  "id": "x"\n}'
    r.headers = {"multi\nline": ["z", "w"], "k" * 129: [], "X-2": ["a\nb\n"], "X-10": []}
    c.interactions[0].request.body = b"\xff\x00" * 40
    c.interactions[1].id = 1  # ids are written as indexes
    return c


def _layout_id(layout: Layout) -> str:
    return f"indent{layout.indent}-{'compact' if layout.compact else 'spaced'}"


@pytest.mark.parametrize("layout", LAYOUTS, ids=_layout_id)
def test_layout_save_reload_detect(layout, tmp_path):
    c = _layout_cassette()
    c.layout = layout
    p = tmp_path / "c.yaml"
    c.save(p)
    data = p.read_bytes()
    back = load(p)
    assert back.layout == layout
    assert back == c
    assert back.dumps() == data


def test_layout_columns_indent4_not_compact():
    c = _layout_cassette()
    c.layout = Layout(4, False)
    lines = c.dumps().decode().split("\n")
    assert "    - id: 0" in lines
    assert "      request:" in lines
    assert "        proto: HTTP/1.1" in lines
    assert "            Content-Type:" in lines
    assert "                - application/json" in lines
    assert "        transfer_encoding:" in lines and "            - chunked" in lines
    i = lines.index("        body: |-")
    assert lines[i + 1:i + 4] == ["            {", '              "id": "x"', "            }"]
    j = lines.index("            ? |-")
    assert lines[j + 1:j + 5] == ["                multi", "                line",
                                  "            :   - z", "                - w"]
    assert "            X-2:" in lines and "                - |" in lines


def test_layout_columns_indent4_compact():
    c = _layout_cassette()
    c.layout = Layout(4, True)
    lines = c.dumps().decode().split("\n")
    assert "  - id: 0" in lines
    assert "    request:" in lines
    assert "        proto: HTTP/1.1" in lines
    assert "            Content-Type:" in lines
    assert "              - application/json" in lines
    assert "        body: |4-" not in lines and "        body: |-" in lines


def test_new_cassette_uses_current_layout():
    assert Cassette().layout == LAYOUT_CURRENT == Layout(2, True)


@needs_corpus
@pytest.mark.parametrize("rel,layout", [
    ("fantasy/TestAnthropicWebSearch/stream.yaml", Layout(4, False)),
    ("seeds/003_d71d355bdca2edab.yaml", Layout(4, True)),
    ("seeds/000_1efa1784a3a0f976.yaml", Layout(2, True)),
])
def test_corpus_layouts_detected(rel, layout):
    assert load(CORPUS / rel).layout == layout


# --- legacy quoting (docs/cassettes.md#legacy-quoting) ---------------------------------------
def test_legacy_quoting_detected_and_kept():
    c = _full_cassette()
    c.interactions[0].request.body = '{"q":"a\\\\b # c"}'
    c.legacy_quoting = True
    data = c.dumps()
    text = data.decode()
    assert '    body: "{\\"q\\":\\"a\\\\\\\\b # c\\"}"\n' in text
    assert "    body: \"data: {\\\"a\\\": 1}\\n\\n\"\n" in text
    back = loads(data)
    assert back.legacy_quoting is True
    assert back.dumps() == data
    c.legacy_quoting = False
    assert loads(c.dumps()).legacy_quoting is False


# --- errors ---------------------------------------------------------------------------------
GOOD = ("---\nversion: 2\ninteractions:\n- id: 0\n  request:\n    proto: HTTP/1.1\n"
        "    headers:\n      Accept:\n      - a\n  response:\n    code: 200\n"
        "    duration: 1s\n")


def _error_for(text, tmp_path, name="bad.yaml") -> CassetteError:
    p = tmp_path / name
    p.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    with pytest.raises(CassetteError) as info:
        load(p)
    err = info.value
    assert str(p) in str(err)
    assert err.path == str(p)
    return err


ERROR_CASES = [
    ("---\nversion: 2\ninteractions:\n- id: 0\n  request: [\n", 6, 1, "invalid YAML"),
    ("---\nversion: 2\ninteractions: [a, b\n", 4, 1, "invalid YAML"),
    ("---\nversion: 2\n  bad: indent\n", 3, 6, "invalid YAML"),
    ("---\n- a\n- b\n", 2, 1, "must be a mapping"),
    ("---\njust text\n", 2, 1, "must be a mapping"),
    ("---\ninteractions: []\n", 2, 1, "missing 'version'"),
    ("---\nversion: 1\ninteractions: []\n", 2, 10, "unsupported cassette version 1"),
    ("---\nversion: \"2\"\ninteractions: []\n", 2, 10, "must be an integer"),
    ("---\nversion: two\ninteractions: []\n", 2, 10, "must be an integer"),
    ("---\nversion: 2\ninteractions: {}\n", 3, 15, "interactions must be a list"),
    ("---\nversion: 2\ninteractions: nope\n", 3, 15, "interactions must be a list"),
    (GOOD.replace("code: 200", "code: abc"), 11, 11,
     "interactions[0].response.code must be an integer"),
    (GOOD.replace("code: 200", "code: [1]"), 11, 11, "must be an integer, found a list"),
    (GOOD.replace("code: 200", "code: 18446744073709551615"), 11, 11, "out of range"),
    (GOOD.replace("code: 200", "code: 99999999999999999999"), 11, 11, "must be an integer"),
    (GOOD.replace("duration: 1s", "duration: 1x"), 12, 15, "unknown unit"),
    (GOOD.replace("duration: 1s", "duration: 1"), 12, 15, "missing unit"),
    (GOOD.replace("duration: 1s", "duration: 9999999h"), 12, 15, "invalid duration"),
    (GOOD.replace("      - a\n", "      - [a]\n"), 9, 9, "headers['Accept'] must be a string"),
    (GOOD.replace("      Accept:\n      - a\n", "      Accept: a\n"), 8, 15,
     "must be a list of strings"),
    (GOOD.replace("    headers:\n      Accept:\n      - a\n", "    headers: [a]\n"), 7, 14,
     "headers must be a mapping"),
    (GOOD.replace("  request:\n    proto: HTTP/1.1\n    headers:\n      Accept:\n      - a\n",
                  "  request: 5\n"), 5, 12,
     "request must be a mapping"),
    (GOOD.replace("- id: 0\n", "- 5\n- id: 0\n"), 4, 3, "interactions[0] must be a mapping"),
    (GOOD.replace("    proto: HTTP/1.1\n", "    proto: {a: b}\n"), 6, 12, "proto must be a string"),
    (GOOD.replace("    code: 200\n", "    code: 200\n    code: 201\n"), 12, 5,
     "duplicate key 'code'"),
    (GOOD.replace("  response:\n", "  response:\n    uncompressed: maybe\n"), 11, 19,
     "must be a boolean"),
    (GOOD.replace("    duration: 1s\n", "    body: !!binary AB=C\n"), 12, 11, "invalid !!binary"),
    (GOOD + "---\nversion: 2\n", 13, 1, "invalid YAML"),
    ("---\nversion: 2\ninteractions:\n- id: 0\n  request:\n    body: \"\\ud800\"\n", 6, 11,
     "lone surrogate"),
    ("", 1, 1, "no YAML document"),
    ("---\nversion: 2\nx: a\x01b\n", 3, 5, "invalid YAML"),
    ("---\nversion: 2\ninteractions:\n- id: x1\n", 4, 7, "interactions[0].id must be an integer"),
]


@pytest.mark.parametrize("text,line,column,fragment", ERROR_CASES,
                         ids=[f"{i}-{c[3]}" for i, c in enumerate(ERROR_CASES)])
def test_cassette_errors(text, line, column, fragment, tmp_path):
    err = _error_for(text, tmp_path)
    assert fragment in str(err)
    assert err.line == line
    assert err.column == column
    assert f"bad.yaml:{line}:" in str(err)


def test_not_utf8(tmp_path):
    err = _error_for(GOOD.encode().replace(b"HTTP/1.1", b"HTTP/1.\xff"), tmp_path)
    assert "not valid UTF-8" in str(err)
    assert (err.line, err.column) == (6, 19)
    assert "bad.yaml:6:19" in str(err)
    err = _error_for("\ufeffversion: 2\n".encode("utf-16"), tmp_path)
    assert "not UTF-8" in str(err) and err.line == 1


def test_missing_file(tmp_path):
    p = tmp_path / "nope.yaml"
    with pytest.raises(CassetteError) as info:
        load(p)
    assert str(p) in str(info.value)
    assert info.value.line is None
    with pytest.raises(CassetteError):
        load(tmp_path)  # a folder


def test_loads_names_path_or_string():
    with pytest.raises(CassetteError) as info:
        loads(b"---\nversion: 3\n")
    assert str(info.value).startswith("<string>:2:10: ")
    with pytest.raises(CassetteError) as info:
        loads(b"---\nversion: 3\n", path="x/y.yaml")
    assert str(info.value).startswith("x/y.yaml:2:10: ")


def test_missing_optional_keys_and_unknown_keys():
    c = loads("---\nversion: 2\ninteractions:\n- id: 0\n  extra: 1\n  response:\n"
              "    code: 404\n    new_field: {a: [1]}\n    headers:\n    body:\n")
    it = c.interactions[0]
    assert it.request == Request()
    assert it.response == Response(code=404)
    assert loads("---\nversion: 2\n").interactions == []
    assert loads("---\nversion: 2\ninteractions:\n").interactions == []


def test_integer_syntax_like_go():
    c = loads(GOOD.replace("code: 200", "code: 0x1F"))
    assert c.interactions[0].response.code == 31
    c = loads(GOOD.replace("code: 200", "code: 1_000"))
    assert c.interactions[0].response.code == 1000


@pytest.mark.parametrize("mutate,fragment", [
    (lambda c: setattr(c.interactions[0].response, "body", "x\ud800y"), "lone surrogate"),
    (lambda c: setattr(c.interactions[0].request, "headers", {"K": ["\udfff"]}), "lone surrogate"),
    (lambda c: setattr(c.interactions[0].response, "code", "200"), "expected an int"),
    (lambda c: setattr(c.interactions[0].response, "code", 1 << 63), "int64"),
    (lambda c: setattr(c.interactions[0].request, "url", 5), "expected str or bytes"),
    (lambda c: setattr(c.interactions[0].request, "headers", {"K": "v"}), "list of strings"),
    (lambda c: setattr(c.interactions[0].request, "headers", {1: ["v"]}), "keys must be str"),
    (lambda c: setattr(c, "layout", Layout(1, True)), "layout"),
])
def test_dump_errors(mutate, fragment):
    c = Cassette([Interaction()])
    mutate(c)
    with pytest.raises(CassetteError, match=fragment):
        c.dumps()


# --- model helpers ---------------------------------------------------------------------------
def test_bodies_and_body_bytes():
    c = Cassette([Interaction()])
    r = c.interactions[0]
    r.request.body = "h\u00e9"
    r.response.body = b"\x00\x00\x02\x91\xff"
    assert r.request.body_bytes == "h\u00e9".encode()
    assert r.response.body_bytes == b"\x00\x00\x02\x91\xff"
    back = loads(c.dumps())
    assert back.interactions[0].response.body == b"\x00\x00\x02\x91\xff"
    assert back.interactions[0].request.body == "h\u00e9"
    # bytes that are valid UTF-8 are written as a string, as Go does
    r.response.body = "ok \u00e9".encode()
    assert b"    body: ok \xc3\xa9\n" in c.dumps()
    assert loads(c.dumps()).interactions[0].response.body == "ok \u00e9"


# --- save() ----------------------------------------------------------------------------------
def test_save_writes_and_replaces(tmp_path):
    p = tmp_path / "sub" / "c.yaml"
    c = _full_cassette()
    c.save(p)
    assert p.read_text() == FULL_EXPECTED
    c.interactions.pop()
    c.save(str(p))
    assert load(p) == c
    assert os.listdir(p.parent) == ["c.yaml"]


def test_save_failing_in_dumps_keeps_old_file(tmp_path):
    p = tmp_path / "c.yaml"
    _full_cassette().save(p)
    before = p.read_bytes()
    bad = _full_cassette()
    bad.interactions[1].response.body = "\ud800"
    with pytest.raises(CassetteError):
        bad.save(p)
    assert p.read_bytes() == before
    assert os.listdir(tmp_path) == ["c.yaml"]


def test_save_failing_mid_write_keeps_old_file(tmp_path, monkeypatch):
    p = tmp_path / "c.yaml"
    _full_cassette().save(p)
    before = p.read_bytes()

    real_fdopen = os.fdopen

    class Broken:
        def __init__(self, f):
            self.f = f

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.f.close()

        def write(self, data):
            self.f.write(data[: len(data) // 2])
            raise OSError(28, "No space left on device")

    monkeypatch.setattr(cas.os, "fdopen", lambda fd, mode: Broken(real_fdopen(fd, mode)))
    with pytest.raises(CassetteError, match="No space left"):
        Cassette().save(p)
    assert p.read_bytes() == before
    assert os.listdir(tmp_path) == ["c.yaml"]


def test_save_failing_on_replace_keeps_old_file(tmp_path, monkeypatch):
    p = tmp_path / "c.yaml"
    _full_cassette().save(p)
    before = p.read_bytes()

    def boom(src, dst):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(cas.os, "replace", boom)
    with pytest.raises(CassetteError, match="Permission denied"):
        Cassette().save(p)
    assert p.read_bytes() == before
    assert os.listdir(tmp_path) == ["c.yaml"]


# --- the corpus ------------------------------------------------------------------------------
_CORPUS_FILES = corpus_files()


@needs_corpus
@pytest.mark.parametrize("path", _CORPUS_FILES,
                         ids=[str(p.relative_to(CORPUS)) for p in _CORPUS_FILES])
def test_corpus_round_trip(path):
    data = path.read_bytes()
    c = loads(data, path=path)
    assert c.dumps() == data


@needs_corpus
def test_corpus_load_path():
    assert len(_CORPUS_FILES) == 354
    c = load(CORPUS / "fantasy/TestAnthropicCommon/claude-sonnet-4/multi_tool.yaml")
    assert len(c.interactions) >= 2
    first = c.interactions[0]
    assert first.request.method == "POST"
    assert first.request.url == "https://api.anthropic.com/v1/messages"
    assert first.request.host == ""
    assert first.response.content_length == -1 and first.response.uncompressed is True
    assert first.response.duration.nanoseconds == 2397934000
    assert first.response.headers == {"Content-Type": ["application/json"]}


@needs_corpus
def test_corpus_binary_bodies_are_bytes():
    c = load(CORPUS / "fantasy/TestBedrockBasicAuth/simple_streaming.yaml")
    bodies = [it.response.body for it in c.interactions]
    assert any(isinstance(b, bytes) and b.startswith(b"\x00\x00") for b in bodies)


@given(st.integers(0, 10 ** 9 - 1), st.text("0123456789", max_size=10), st.sampled_from(["s", "ms"]),
       st.booleans())
def test_parse_duration_fast_path_is_go_rule(whole, frac, unit, point):
    """The recorder's own spelling ("967.754833ms") is read with integers; it must give what
    Go's algorithm (the general path, its float64 fraction included) gives."""
    import re
    from pyfantasy._go import duration
    text = f"{whole}{'.' + frac if frac or point else ''}{unit}"
    fast = duration._SIMPLE
    try:
        duration._SIMPLE = re.compile(r"(?!)")   # never matches: the general path only
        try:
            expected = parse_duration(text)
        except duration.DurationError as e:
            expected = str(e)
    finally:
        duration._SIMPLE = fast
    try:
        got = parse_duration(text)
    except duration.DurationError as e:
        got = str(e)
    assert got == expected
