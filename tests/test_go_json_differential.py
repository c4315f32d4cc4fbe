"""pyfantasy's Go-JSON helpers (pyfantasy/_go/json.py) vs Go's encoding/json, run by Go.

Every case goes through the Go oracle (tests/go/oracle, mode "json") and must give the
same bytes or the same error text: ``quote`` (Go strings of random bytes: invalid UTF-8,
``<>&``, U+2028/U+2029, controls), ``format_float`` (random bit patterns and the edge
values), ``compact`` (``json.RawMessage``), ``syntax_error`` (the scanner's texts),
``decode_object`` (``json.Unmarshal`` into ``map[string]any``), ``encode`` of random
trees, and ``Response.to_json_bytes()`` of every corpus interaction (both backends).
"""
from __future__ import annotations

import random
import struct
from typing import Any, List

import pytest

import go_oracle
from helpers import CORPUS, corpus_files
from pyfantasy._errors import DecodeError
from pyfantasy._go.json import (RawJSON, Struct, UnsupportedValueError, compact, decode_object,
                               encode, format_float, go_bytes, go_string, quote, syntax_error)
from pyfantasy.cassette import load
from pyfantasy.decode import decode_interaction

CASES = 12000
PIECES = [b"<", b">", b"&", "\u2028".encode(), "\u2029".encode(), b"\x00", b"\x1f", b"\x7f",
          b"\t", b"\n", b"\r", b"\x08", b"\x0c", b'"', b"\\", b"/", b"\xff", b"\xc3", b"\xed\xa0\x80",
          b"\xf4\x90\x80\x80", b"\xc0\xaf", b"\xef\xbf\xbd", "é😊月".encode(), b"a", b"Z", b"0", b" ",
          b"\xe2\x80", b"\xf0\x9f\x98"]


def random_bytes(rng: random.Random) -> bytes:
    if rng.random() < 0.2:
        return bytes(rng.randrange(256) for _ in range(rng.randint(0, 12)))
    return b"".join(rng.choice(PIECES) for _ in range(rng.randint(0, 10)))


JSON_PIECES = ['{', '}', '[', ']', ',', ':', '"a"', '"\\ud800"', '"\\udc00\\ud800"', '"\\u00e9"',
               '"\\uD83D\\uDE0A"', '"\\x"', '"\\u12"', '1', '-0', '1e400', '1E400', '-1e400',
               '0.5', '01', '1.', '.5', '1e', '-', 'true', 'tru', 'null', 'nul', 'false', ' ',
               '\n', '\t', '"<>&\u2028"', '"\x01"', '2.5e-7', '123456789012345678901234567890',
               '"a\xff"']


def random_json(rng: random.Random) -> bytes:
    """Mostly valid JSON (objects of random values), sometimes broken anywhere."""
    def value(depth: int) -> str:
        r = rng.random()
        if depth > 3 or r < 0.5:
            return rng.choice(['"s"', '"\\ud800"', '"\\ud83d\\ude0a"', '"\\udc00"', "1e400",
                               "-1E400", "1.5", "-0", "12345678901234567890", "true", "null",
                               '"<&>\u2028"', '"\\u0000"', "[]", "{}", '"a\\"b"'])
        if r < 0.75:
            return "[" + ",".join(value(depth + 1) for _ in range(rng.randint(0, 3))) + "]"
        keys = ["", "\\ud800", "<"]
        return "{" + ",".join('"k%d%s":%s' % (i, rng.choice(keys), value(depth + 1))
                              for i in range(rng.randint(0, 3))) + "}"
    r = rng.random()
    if r < 0.5:
        text = value(0)
    elif r < 0.8:
        text = "".join(rng.choice(JSON_PIECES) for _ in range(rng.randint(0, 8)))
    else:
        text = value(0)
        cut = rng.randint(0, len(text))
        text = text[:cut] + rng.choice(JSON_PIECES) + text[cut + rng.randint(0, 2):]
    if rng.random() < 0.2:
        text = rng.choice([" ", "\n", ""]) + text + rng.choice([" ", "\r\n", "x", ""])
    return text.encode("utf-8", "surrogatepass")


EDGE_FLOATS = [0.0, -0.0, 1e21, 1e20, 1e-7, 1e-6, 9.999999999999999e-7, 5e-324, -5e-324,
               1.7976931348623157e308, 2.0, 0.1, 1 / 3, 123456789.0, 1e-320, 2.5e-7, 1e22,
               float("nan"), float("inf"), float("-inf"), 100.0, 1e15, 1e16, 1.5e300]


def random_float(rng: random.Random) -> float:
    r = rng.random()
    if r < 0.4:
        return struct.unpack("<d", rng.getrandbits(64).to_bytes(8, "little"))[0]
    if r < 0.8:
        return rng.uniform(-10, 10) * 10.0 ** rng.randint(-30, 30)
    return rng.choice(EDGE_FLOATS) * rng.choice([1, -1])


def bits(f: float) -> str:
    return struct.pack(">d", f).hex()


def py_result(fn, *args):
    """(bytes, "") or (None, error text) like the oracle's answers."""
    try:
        out = fn(*args)
    except UnsupportedValueError as exc:
        return None, str(exc)
    return (out.encode("utf-8", "surrogateescape") if isinstance(out, str) else out), ""


def go_result(r: dict):
    return (go_oracle.unb64(r["out"]) if r["out"] is not None else None), r["err"]


def check(cases: List[dict], expected: List[Any]) -> None:
    answers = go_oracle.run({"mode": "json", "cases": cases})
    diffs = [(c, e, go_result(a)) for c, e, a in zip(cases, expected, answers)
             if e != go_result(a)]
    assert diffs == [], f"{len(diffs)} of {len(cases)} differ; first: {diffs[:3]!r}"


def test_quote_random_go_strings():
    rng = random.Random(1)
    data = [random_bytes(rng) for _ in range(CASES)]
    check([{"kind": "quote", "b": go_oracle.b64(b)} for b in data],
          [py_result(quote, go_string(b)) for b in data])


def test_quote_lone_surrogates_stand_for_wtf8_bytes():
    """A lone surrogate that is not a surrogate escape stands for its 3 WTF-8 bytes."""
    strings = ["\ud800", "a\udbff\udfffb", "\udc7f", "\ud83d", "x\udfff<"]
    check([{"kind": "quote", "b": go_oracle.b64(go_bytes(s))} for s in strings],
          [py_result(quote, s) for s in strings])


def test_format_float():
    rng = random.Random(2)
    floats = EDGE_FLOATS + [random_float(rng) for _ in range(CASES)]
    check([{"kind": "float", "bits": bits(f)} for f in floats],
          [py_result(format_float, f) for f in floats])


def _compact(b: bytes):
    return compact(go_string(b))


def test_compact_raw_messages():
    rng = random.Random(3)
    data = [random_json(rng) for _ in range(CASES)]
    check([{"kind": "compact", "b": go_oracle.b64(b)} for b in data],
          [py_result(_compact, b) for b in data])


def test_syntax_error_texts():
    rng = random.Random(4)
    data = [random_json(rng) for _ in range(CASES)]
    expected = [((b"" if err is None else None), err or "")
                for err in (syntax_error(b) for b in data)]
    check([{"kind": "syntax", "b": go_oracle.b64(b)} for b in data], expected)


def _decode_object(b: bytes):
    obj, err = decode_object(go_string(b))
    if err is not None:
        return None, err
    return encode(obj), ""


def test_decode_object():
    rng = random.Random(5)
    data = [random_json(rng) for _ in range(CASES)]
    data += [b"1E400", b"1e400", b" -1E400 ", b'{"a":"\\ud800"}', b'{"\\ud800":1}',
             b'{"a":["\\udc00x"]}', b'{"a":1e400}', b"null", b"[]", b'"x"', b"true", b"1"]
    check([{"kind": "object", "b": go_oracle.b64(b)} for b in data],
          [_decode_object(b) for b in data])


# --- trees: encode() and Response.to_json_bytes() ---------------------------------------------
def to_node(v: Any) -> dict:
    """The oracle's typed tree for a value ``encode`` accepts (same dispatch as ``_go.json._enc``)."""
    if isinstance(v, RawJSON):
        return {"r": go_oracle.b64(go_bytes(v.text))}
    if hasattr(v, "_go_json") and not isinstance(v, (str, int, float, dict, list, tuple)):
        return to_node(v._go_json())
    if v is None:
        return {"n": True}
    if isinstance(v, bool):
        return {"t": v}
    if isinstance(v, str):
        return {"s": go_oracle.b64(go_bytes(str.__str__(v)))}
    if isinstance(v, int):
        return {"i": str(int(v))}
    if isinstance(v, float):
        return {"f": bits(v)}
    if isinstance(v, (bytes, bytearray, memoryview)):
        return {"y": go_oracle.b64(bytes(v))}
    if isinstance(v, Struct):
        return {"o": [{"k": go_oracle.b64(go_bytes(k)), "v": to_node(x)} for k, x in v.items()]}
    if isinstance(v, dict):
        return {"m": [{"k": go_oracle.b64(go_bytes(k)), "v": to_node(x)} for k, x in v.items()]}
    if isinstance(v, (list, tuple)):
        return {"a": [to_node(x) for x in v]}
    raise TypeError(type(v))


def random_tree(rng: random.Random, depth: int = 0) -> Any:
    r = rng.random()
    if depth > 3 or r < 0.5:
        return rng.choice([None, True, False, rng.randint(-2**63, 2**64 - 1), random_float(rng),
                           go_string(random_bytes(rng)), random_bytes(rng)])
    if r < 0.65:
        return [random_tree(rng, depth + 1) for _ in range(rng.randint(0, 3))]
    if r < 0.8:
        return {go_string(random_bytes(rng)): random_tree(rng, depth + 1)
                for _ in range(rng.randint(0, 3))}
    if r < 0.9:
        return Struct((go_string(random_bytes(rng)), random_tree(rng, depth + 1))
                      for _ in range(rng.randint(0, 3)))
    text = random_json(rng)
    try:
        return RawJSON(text)
    except UnsupportedValueError:
        return RawJSON('{"x": [1, 2.50, "<\\u00e9>"]}')


def test_encode_random_trees():
    rng = random.Random(6)
    trees = [random_tree(rng) for _ in range(CASES)]
    check([{"kind": "tree", "tree": to_node(t)} for t in trees],
          [py_result(encode, t) for t in trees])


def test_every_corpus_response(backend):
    files = corpus_files()
    if not files:
        pytest.skip(f"corpus not found at {CORPUS}")
    responses = []
    for path in files:
        for it in load(path).interactions:
            try:
                responses.append(decode_interaction(it, backend=backend))
            except DecodeError:
                continue
    assert len(responses) > 400
    check([{"kind": "tree", "tree": to_node(r)} for r in responses],
          [py_result(lambda r: r.to_json_bytes(), r) for r in responses])
