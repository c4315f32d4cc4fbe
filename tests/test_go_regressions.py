"""Regression vectors for the defects the Go oracle found; expected bytes are Go's own output.

Each vector was produced by tests/go/oracle (Go 1.23.5, go.yaml.in/yaml/v4 4.0.0-rc.6 as
charm.land/x/vcr configures it, encoding/json) and is checked here without Go, so these
run on every machine. Before the fixes each of them failed.
"""
from __future__ import annotations

import pytest

from pyfantasy._kernels import vcr as vcr_reader
from pyfantasy._go.json import decode_object, encode, go_string
from pyfantasy.cassette import (LAYOUT_CURRENT, LAYOUT_RC6, Cassette, Interaction, Request,
                                Response, loads)

HEAD = b'---\nversion: 2\ninteractions:\n- id: 0\n  request:\n    proto: ""\n    proto_major: 0\n' \
       b'    proto_minor: 0\n    content_length: 0\n    host: ""\n'
RESP = b'  response:\n    proto: ""\n    proto_major: 0\n    proto_minor: 0\n    content_length: 0\n'

# 1. A single-quoted string ending with U+2028/U+2029: nothing before the closing quote.
LSPS = Cassette([Interaction(0, Request(body="a\u2028", url="u", method="GET",
                                        headers={"X": ["b\u2029"]}),
                             Response(body="ok", status="200 OK", code=200))])
LSPS_GO = (HEAD + "    body: 'a\u2028'\n    headers:\n      X:\n      - 'b\u2029'\n".encode()
           + b"    url: u\n    method: GET\n" + RESP
           + b"    body: ok\n    headers: {}\n    status: 200 OK\n    code: 200\n    duration: 0s\n")

# 2. Key order with letters and digits newer than Python 3.11's Unicode 14 (Go has 15.0):
#    U+32241 (CJK Ext. H) is a letter and U+1E4F5 (Nag Mundari) a digit for Go.
#    3. rc.5+ single-quotes YAML 1.1 words, base-60 numbers and "<<".
KEYS = Cassette([Interaction(0, Request(url="u", method="GET", headers={
    "\U00032241a": ["1"], "Accept": ["2"], "\U0001E4F5x": ["3"], "9x": ["4"]}),
    Response(status="on", body="y", headers={"<<": ["12:30"]}))])
KEYS_HEADERS = (b'    headers:\n      9x:\n      - "4"\n      "\\U0001E4F5x":\n      - "3"\n'
                b'      Accept:\n      - "2"\n      "\\U00032241a":\n      - "1"\n'
                b'    url: u\n    method: GET\n' + RESP)
KEYS_RC6 = (HEAD + KEYS_HEADERS + b"    body: 'y'\n    headers:\n      '<<':\n      - '12:30'\n"
            b"    status: 'on'\n    code: 0\n    duration: 0s\n")

# 4. rc.5+ folding at 80 columns (single quotes, a plain-looking URL that is quoted for its
#    trailing space, double quotes with "\" before a kept space).
FOLD = Cassette([Interaction(0, Request(
    url="https://example.com/" + "path " * 30, method="POST",
    body='{"text":"' + "it's a long line with words " * 5 + '"}'),
    Response(body="x\n  y\n", headers={"K": ["a\tb " + "word  " * 20]}, status="200 OK"))])
FOLD_RC6 = (
    HEAD + b"    body: '{\"text\":\"it''s a long line with words it''s a long line with words it''s\n"
    b"      a long line with words it''s a long line with words it''s a long line with words\n"
    b"      \"}'\n"
    b"    url: 'https://example.com/path path path path path path path path path path path\n"
    b"      path path path path path path path path path path path path path path path path\n"
    b"      path path path '\n    method: POST\n" + RESP
    + b"    body: |\n      x\n        y\n    headers:\n      K:\n"
    b'      - "a\\tb word  word  word  word  word  word  word  word  word  word  word  word\n'
    b'        \\ word  word  word  word  word  word  word  word  "\n'
    b"    status: 200 OK\n    code: 0\n    duration: 0s\n")


@pytest.mark.parametrize("cassette,layout,expected", [
    pytest.param(LSPS, LAYOUT_CURRENT, LSPS_GO, id="trailing-LS-PS-rc3"),
    pytest.param(LSPS, LAYOUT_RC6, LSPS_GO, id="trailing-LS-PS-rc6"),
    pytest.param(KEYS, LAYOUT_RC6, KEYS_RC6, id="unicode15-keys-yaml11-words-rc6"),
    pytest.param(FOLD, LAYOUT_RC6, FOLD_RC6, id="fold-80-rc6"),
])
def test_go_bytes(cassette, layout, expected, backend):
    c = Cassette(cassette.interactions, layout=layout)
    assert c.dumps() == expected
    back = loads(expected)
    assert back.dumps() == expected  # the layout is detected on load
    assert Cassette(vcr_reader.read_interactions(expected, backend=backend)).interactions == \
        back.interactions


def test_rc3_words_double_quoted():
    """The corpus's rc.3 writer still double-quotes YAML 1.1 words (docs/cassettes.md#strings-that-look-typed)."""
    data = Cassette(KEYS.interactions).dumps()
    assert b'    status: "on"\n' in data and b'      "<<":\n      - "12:30"\n' in data


def test_decode_object_number_too_large_at_top_level():
    assert decode_object("1E400") == (
        None, "json: cannot unmarshal number into Go value of type map[string]interface {}")
    assert decode_object("[1e400]") == (
        None, "json: cannot unmarshal array into Go value of type map[string]interface {}")
    assert decode_object('{"a":-1E400} x') == (None, "invalid character 'x' after top-level value")
    assert decode_object('{"a":[-1E400]}') == (
        None, "json: cannot unmarshal number -1E400 into Go value of type float64")


def test_decode_object_lone_surrogates_become_fffd():
    assert decode_object('{"a":"\\ud800","\\udc00":["x\\ud800\\udc00\\udc00"]}') == (
        {"a": "\ufffd", "\ufffd": ["x\U00010000\ufffd"]}, None)
    assert decode_object(go_string(b'{"a":"\xed\xa0\x80"}')) == ({"a": "\ufffd" * 3}, None)


def test_map_keys_sorted_by_go_bytes():
    """An invalid byte (0xC3 alone) sorts before U+2029 (E2 80 A9) in Go's byte order."""
    key = go_string(b"\xc3")
    assert encode({"\u2029": 1, key: 2}) == b'{"\\ufffd":2,"\\u2029":1}'
