"""The fast cassette reader (native/pf_vcr.c via pyfantasy._kernels.vcr) against ``cassette.loads``.

Contract under test: for any bytes, the C reader either returns exactly
``loads(data).interactions`` or says ``Unsupported`` (never a different
value, never a crash); ``read_interactions`` therefore always equals the
loader, errors included. Checked on every corpus file (where the C reader
must not fall back at all), on hand-written edge cases of each scalar style
and layout, on generated cassettes (the strategies of test_cassette_generated),
and on mutated corpus files. On the python backend ``read_interactions`` *is*
``loads(...).interactions``, so comparing the two there proves nothing: the
comparisons run on native only (marked, so they also run in the ASan/UBSan job
of tests/test_build.py); the python backend keeps the checks against fixed values.
"""
from __future__ import annotations

import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpers import CORPUS, DATA, corpus_files, needs_corpus, run_in_threads
from pyfantasy._kernels import kernel
from pyfantasy._kernels.vcr import Unsupported, read_file, read_interactions
from pyfantasy.cassette import (Cassette, CassetteError, Interaction, Layout, Request, Response,
                                loads)
from test_cassette_generated import cassettes, go_unreadable, headers, text

native_only = pytest.mark.needs_native


def native_interactions(data: bytes):
    """The C reader alone (no loader fallback), through the kernel table."""
    return kernel("cassette", "native")(data)


def loader_result(data: bytes):
    """``loads(data).interactions``, or the CassetteError it raises (as a comparable tuple)."""
    try:
        return loads(data).interactions
    except CassetteError as exc:
        return ("error", str(exc))


def fast_result(data: bytes, backend: str):
    try:
        return read_interactions(data, backend=backend)
    except CassetteError as exc:
        return ("error", str(exc))


def check_native(data: bytes) -> bool:
    """The C reader agrees with the loader or declines. Returns True when it read the file."""
    expected = loader_result(data)
    try:
        got = native_interactions(data)
    except Unsupported as exc:
        assert 0 <= exc.offset <= len(data)
        return False
    assert not isinstance(expected, tuple), f"the loader rejects this file: {expected}"
    assert got == expected
    return True


# --- corpus ---------------------------------------------------------------------------------

@needs_corpus
@native_only
def test_corpus_equals_loader():
    files = corpus_files()
    assert len(files) >= 354
    for path in files:
        data = path.read_bytes()
        assert read_interactions(data, backend="native") == loads(data).interactions, path


def _light_view(it):
    """What a scan row reads of an interaction (bodies as bytes)."""
    body = lambda b: b if isinstance(b, bytes) else b.encode()  # noqa: E731
    req, res = it.request, it.response
    return (it.id, req.url, req.method, body(req.body), body(res.body), res.status, res.code,
            res.headers.get("Content-Type"), res.duration_ns)


@needs_corpus
@native_only
def test_light_read_keeps_what_scan_rows_read():
    """``light=True`` (pyfantasy scan): the fields a row reads are the full read's; the others
    keep their defaults; a repeated header key is still refused."""
    for path in corpus_files():
        data = path.read_bytes()
        light, full = kernel("cassette", "native")(data, True), native_interactions(data)
        assert [_light_view(i) for i in light] == [_light_view(i) for i in full], path
        for it in light:
            assert isinstance(it.response.body, bytes) and isinstance(it.request.body, bytes)
            assert all(v == [] for v in it.request.headers.values())   # keys kept (repeats refused), no values
            assert it.response.proto == "" and it.request.content_length == 0
            assert all(v == [] for k, v in it.response.headers.items() if k != "Content-Type")
    data = corpus_files()[0].read_bytes()
    headers = b"\n    headers:\n      Content-Type:\n"
    assert headers in data
    twice = data.replace(headers, b"\n    headers:\n      X-A:\n      - a\n      X-A:\n      - b\n      Content-Type:\n", 1)
    assert isinstance(loader_result(twice), tuple)   # the loader refuses a repeated key...
    with pytest.raises(Unsupported):                 # ...and so does the light read (not a header it drops)
        kernel("cassette", "native")(twice, True)
    request = b"\n    headers:\n      Accept:\n"            # the request's headers: not read by rows at all
    assert request in data
    twice = data.replace(request, b"\n    headers:\n      Accept:\n      - a\n      Accept:\n", 1)
    assert isinstance(loader_result(twice), tuple)
    with pytest.raises(Unsupported):
        kernel("cassette", "native")(twice, True)


@needs_corpus
@native_only
def test_threads_read_alike():
    """C calls run without the GIL: each thread has its own C reader, so threads reading
    cassettes at once get what one thread alone gets (they shared one process-wide reader,
    and read one another's half-written arenas)."""
    datas = [p.read_bytes() for p in corpus_files()]
    alone = [(read_interactions(d, backend="native"), light_result(d)) for d in datas]
    wrong: list = []

    def work(k: int) -> None:
        for _ in range(2):
            for j in range(k, len(datas), 4):
                if (read_interactions(datas[j], backend="native"), light_result(datas[j])) != alone[j]:
                    wrong.append(j)
    run_in_threads(work)
    assert wrong == []


@needs_corpus
@native_only
def test_native_reads_every_corpus_file_itself():
    """No corpus file needs the fallback: the subset covers what the recorder writes."""
    count = 0
    for path in corpus_files():
        data = path.read_bytes()
        its = native_interactions(data)
        assert its == loads(data).interactions, path
        count += len(its)
    assert count >= 538


@needs_corpus
def test_read_file(backend):
    path = corpus_files()[0]
    assert read_file(path, backend=backend) == loads(path.read_bytes()).interactions
    with pytest.raises(CassetteError, match="no-such-file.yaml: cannot read"):
        read_file(CORPUS / "no-such-file.yaml", backend=backend)


@native_only
def test_fixtures():
    paths = sorted((DATA / "cassettes").glob("*.yaml"))
    assert paths
    for path in paths:
        data = path.read_bytes()
        assert fast_result(data, "native") == loader_result(data), path


# --- hand-written cases -----------------------------------------------------------------------

HEAD = "---\nversion: 2\ninteractions:\n- id: 0\n  request:\n"


def doc(request: str = "    url: http://h/\n    method: POST\n", response: str = "    body: x\n    code: 200\n") -> bytes:
    return (HEAD + request + "  response:\n" + response).encode("utf-8")


READ = {  # text -> must be read by the C reader (and equal the loader)
    "plain": doc(),
    "empty": b"---\nversion: 2\ninteractions: []\n",
    "no-dashes": b"version: 2\ninteractions: []\n",
    "version-last": b"interactions: []\nversion: 2\n",
    "single": doc(response="    body: '{\"a\":''b''}'\n"),
    "double-escapes": doc(response='    body: "a\\0b\\a\\b\\t\\\tc\\n\\v\\f\\r\\e\\ \\"\\/\\\\\\N\\_\\L\\P\\x41\\xe9\\u00e9\\u6708\\U0001F60A"\n'),
    "double-empty": doc(response='    body: ""\n    status: ""\n'),
    "literal-clip": doc(response="    body: |\n      a\n        b\n\n      c\n"),
    "literal-strip": doc(response="    body: |-\n      a\n      b\n    code: 1\n"),
    "literal-keep": doc(response="    body: |+\n      a\n\n\n    code: 1\n"),
    "literal-keep-eof": doc(response="    code: 1\n    body: |+\n      a\n\n"),
    "literal-indicator": doc(response="    body: |2\n        two leading\n      x\n"),
    "literal-indicator-keep": doc(response="    body: |2+\n\n      a\n\n"),
    "literal-indicator-strip": doc(response="    body: |2-\n       lead\n"),
    "literal-chomp-first": doc(response="    body: |-2\n       lead\n"),
    "literal-tab": doc(response="    body: |\n      line1\n      \tindented\n"),
    "literal-tab-first": doc(response="    body: |\n      \tb\n      c\n"),
    "binary-inline": doc(response="    body: !!binary AAACkQAAAEslguja\n"),
    "binary-block": doc(response="    body: !!binary |\n      AAACkQAAAEslgujaCzpldmVudC10eXBlBwAFY2h1bmsNOmNvbnRlbnQtdHlwZQcAEGFwcG\n      xpY2F0aW9u\n"),
    "binary-pad1": doc(response="    body: !!binary QUI=\n"),
    "binary-pad2": doc(response="    body: !!binary QQ==\n"),
    "binary-utf8-string-field": doc(response="    status: !!binary b2s=\n"),
    "binary-invalid-utf8-string-field": doc(response="    status: !!binary /w==\n"),
    "nulls": doc(request="    host: ~\n    url: null\n    method: Null\n    proto_major: ~\n", response="    body: NULL\n    code: null\n    duration: ~\n    uncompressed: ~\n"),
    "ints": doc(request="    content_length: -1\n    proto_major: 0\n", response="    code: 999999999999999999\n    content_length: -999999999999999999\n"),
    "bools": doc(response="    uncompressed: true\n    code: 1\n"),
    "bool-false": doc(response="    uncompressed: false\n"),
    "durations": doc(response="    duration: 1m18.00699275s\n"),
    "duration-micro": doc(response="    duration: 755.667\u00b5s\n"),
    "duration-quoted": doc(response="    duration: '1.5s'\n"),
    "headers": doc(request="    headers:\n      Accept:\n      - '*/*'\n      Content-Type:\n      - application/json\n      X-Empty: []\n      \"\":\n      - empty key\n      \"yes\":\n      - \"true\"\n      'x: y':\n      - \"1\"\n      \"tab\\tkey\":\n      - t\n    url: u\n",
                   response="    headers: {}\n    trailer:\n      K:\n      - |\n        multi\n        line\n      - |2-\n         lead\n"),
    "transfer-encoding": doc(response="    transfer_encoding:\n    - chunked\n    - gzip\n    content_length: -1\n"),
    "transfer-encoding-empty": doc(response="    transfer_encoding: []\n    trailer: {}\n"),
    "request-empty-map": (HEAD[:-len("  request:\n")] + "  request: {}\n  response:\n    code: 1\n").encode(),
    "no-id": b"---\nversion: 2\ninteractions:\n- request:\n    url: a\n  response:\n    code: 1\n",
    "ids": b"---\nversion: 2\ninteractions:\n- id: 7\n  response:\n    code: 1\n- id: 3\n  request:\n    url: b\n",
    "plain-oddities": doc(request="    url: https://x/v1/m:stream?alt=sse#frag\n    method: -a\n    host: a#b\n    proto: '#a'\n    remote_addr: x:y\n    request_uri: ?x\n", response="    status: =\n    body: \"\\xA0x\"\n    proto: :x\n"),
    "unicode": doc(response="    body: Ol\u00e1 \u6708 \u2019 \u00a0x\n    status: '\u00e9\u00e9'\n"),
    "indent4-compact": b"---\nversion: 2\ninteractions:\n  - id: 0\n    request:\n        url: u\n        headers:\n            Accept:\n              - a\n    response:\n        body: |\n            x\n        transfer_encoding:\n          - chunked\n",
    "indent4-spaced": b"---\nversion: 2\ninteractions:\n    - id: 0\n      request:\n        headers:\n            Accept:\n                - a\n      response:\n        body: |4+\n\n            x\n\n        code: 1\n",
    "indent2-spaced": b"---\nversion: 2\ninteractions:\n  - id: 0\n    request:\n      headers:\n        A:\n          - b\n    response:\n      code: 1\n",
}

DECLINED = {  # text -> the C reader must decline (the loader reads it, or says why not)
    "comment": doc(response="    body: x # note\n"),
    "comment-line": doc(response="    # note\n    body: x\n"),
    "anchor": doc(response="    body: &a x\n"),
    "alias": doc(response="    body: *a\n"),
    "tag": doc(response="    body: !!str x\n"),
    "int-tag": doc(response="    code: !!int 200\n"),
    "folded": doc(response="    body: >\n      a\n      b\n"),
    "flow-map": doc(response="    headers: {A: [b]}\n"),
    "flow-seq": doc(response="    transfer_encoding: [chunked]\n"),
    "cr": doc(response="    body: x\r\n"),
    "tab-indent": doc(response="\tbody: x\n"),
    "u2028": doc(response="    body: 'a\u2028      b'\n"),
    "nel": doc(response="    body: 'a\u0085b'\n"),
    "bom": b"\xef\xbb\xbf" + doc(),
    "unknown-key": doc(response="    extra: 1\n"),
    "duplicate-key": doc(response="    code: 1\n    code: 2\n"),
    "duplicate-header": doc(response="    headers:\n      A:\n      - b\n      A:\n      - c\n"),
    "quoted-int": doc(response='    code: "200"\n'),
    "hex-int": doc(response="    code: 0x1F\n"),
    "octal-int": doc(response="    code: 010\n"),
    "underscore-int": doc(response="    code: 1_000\n"),
    "huge-int": doc(response="    code: 99999999999999999999\n"),
    "minus-zero": doc(response="    code: -0\n"),
    "bool-yes": doc(response="    uncompressed: yes\n"),
    "bad-duration": doc(response="    duration: 5\n"),
    "version-3": b"---\nversion: 3\ninteractions: []\n",
    "version-quoted": b"---\nversion: \"2\"\ninteractions: []\n",
    "no-version": b"---\ninteractions: []\n",
    "blank-line": doc(response="    body: x\n\n    code: 1\n"),
    "trailing-space": doc(response="    body: x \n"),
    "no-final-newline": doc()[:-1],
    "multiline-plain": doc(response="    body: a\n      b\n"),
    "multiline-single": doc(response="    body: 'a\n      b'\n"),
    "multiline-double": doc(response='    body: "a\n      b"\n'),
    "escaped-break": doc(response='    body: "a\\\n      b"\n'),
    "lone-surrogate": doc(response='    body: "\\ud800"\n'),
    "bad-escape": doc(response='    body: "\\q"\n'),
    "complex-key": doc(response="    headers:\n      ? |-\n        multi\n        line\n      : - z\n"),
    "spaces-only-line": doc(response="    body: |\n      a\n   \n      b\n"),
    "block-less-indented": doc(response="    body: |\n      a\n     b\n"),
    "bad-base64": doc(response="    body: !!binary A*==\n"),
    "base64-short": doc(response="    body: !!binary QUJ\n"),
    "base64-mid-pad": doc(response="    body: !!binary QQ==QQ==\n"),
    "binary-key": doc(response="    headers:\n      !!binary QQ==:\n      - b\n"),
    "second-doc": doc() + b"---\nversion: 2\n",
    "end-marker": doc() + b"...\n",
    "directive": b"%YAML 1.1\n" + doc(),
    "not-utf8": doc(response="    body: 'x'\n").replace(b"'x'", b"'\xff'"),
    "nul": doc(response="    body: 'a\x00b'\n"),
    "two-spaces-after-colon": doc(response="    body:  x\n"),
    "seq-item-map": doc(response="    transfer_encoding:\n    - a: b\n"),
    "interactions-map": b"---\nversion: 2\ninteractions:\n  a: b\n",
    "request-list": b"---\nversion: 2\ninteractions:\n- id: 0\n  request:\n  - a\n",
    "dash-alone": doc(response="    status: -\n"),
    "empty-block-value": doc(response="    body:\n    code: 1\n"),
    "empty": b"",
    "garbage": b"\x00\x01\x02",
    "json": b'{"version": 2, "interactions": []}\n',
}


@native_only
@pytest.mark.parametrize("name", list(READ))
def test_native_reads(name):
    assert check_native(READ[name]), f"{name}: the C reader declined it"


@native_only
@pytest.mark.parametrize("name", list(DECLINED))
def test_native_declines(name):
    assert not check_native(DECLINED[name]), f"{name}: the C reader should have declined"


@native_only
@pytest.mark.parametrize("name", list(DECLINED))
def test_declined_cases_equal_loader(name):
    """Declined text falls back to the loader: its result, or its error, exactly."""
    assert fast_result(DECLINED[name], "native") == loader_result(DECLINED[name])


def test_values_of_a_hand_checked_case(backend):
    """Not only equal to the loader: the values themselves, for the trickiest styles."""
    its = read_interactions(READ["headers"] + b"", backend=backend)
    assert its[0].request.headers == {"Accept": ["*/*"], "Content-Type": ["application/json"],
                                      "X-Empty": [], "": ["empty key"], "yes": ["true"],
                                      "x: y": ["1"], "tab\tkey": ["t"]}
    assert its[0].response.trailer == {"K": ["multi\nline\n", " lead"]}
    its = read_interactions(READ["double-escapes"], backend=backend)
    assert its[0].response.body == ('a\x00b\x07\x08\t\tc\n\x0b\x0c\r\x1b "/\\\x85\xa0\u2028\u2029'
                                    'A\xe9\xe9\u6708\U0001F60A')
    its = read_interactions(READ["binary-block"], backend=backend)
    assert its[0].response.body[:4] == b"\x00\x00\x02\x91" and len(its[0].response.body) == 60
    its = read_interactions(READ["literal-keep"], backend=backend)
    assert its[0].response.body == "a\n\n\n"
    its = read_interactions(READ["nulls"], backend=backend)
    assert (its[0].request.url, its[0].response.code, its[0].response.duration_ns) == ("", 0, 0)


@native_only
@pytest.mark.parametrize("at", range(9))
def test_every_byte_at_every_word_position(at):
    """check_text reads printable ASCII 8 bytes at a time: each byte value, at each position of a
    word, is still read or declined as one by one (a control byte, DEL, a stray UTF-8 byte)."""
    for b in range(256):
        line = b"x" * at + bytes([b]) + b"y" * 20
        data = doc(response="    body: |\n      ").replace(b"|\n      ", b"|\n      " + line) + b"\n"
        read = check_native(data)
        if b < 0x20 and b != 0x09 or b == 0x7F or b >= 0x80:
            assert not read, (at, b)   # outside the subset's alphabet (a lone byte >= 0x80 is not UTF-8)
        elif b != 0x23:   # '#' after text is still body text; others are plain printable characters
            assert read, (at, b)


# --- the scan's light rows (pf_vcr_light) ---------------------------------------------------

def light_result(data: bytes):
    """``light_interactions`` as ``_light_view``s; "declined" when it leaves the file to the record
    walk (None, or Unsupported as the walk raises it)."""
    from pyfantasy._kernels.native import ffi
    light = kernel("cassette-light", "native")
    try:
        its = light(data)
    except Unsupported:
        with pytest.raises(Unsupported):
            light(data, True)
        return "declined"
    # borrow=True (a scan's read; parsed again here: the copies above are not touched): bodies
    # left in the reader's arena, the same bytes at their pointers and when read
    borrowed = light(data, True)
    if its is None:
        assert borrowed is None
        return "declined"
    for it in borrowed:
        at = it.response.at
        if at is not None:
            assert ffi.buffer(at[1] + at[2], at[3])[:] == it.response.body
        else:
            assert it.response.body == ""
    views = [_light_view(i) for i in its]
    assert [_light_view(i) for i in borrowed] == views
    return views


def check_light(data: bytes) -> bool:
    """The per-interaction rows of pf_vcr_light give what the record walk gives a scan row, or
    decline; they decline whenever the walk does. True when they read the file."""
    got = light_result(data)
    try:
        walk = [_light_view(i) for i in kernel("cassette", "native")(data, True)]
    except Unsupported:
        assert got == "declined"
        return False
    if got == "declined":
        return False
    assert got == walk
    return True


@needs_corpus
@native_only
def test_light_rows_equal_the_record_walk_on_the_corpus():
    """pyfantasy scan reads every corpus file through pf_vcr_light: never declined there."""
    for path in corpus_files():
        assert check_light(path.read_bytes()), path


@native_only
@pytest.mark.parametrize("name", list(READ) + list(DECLINED))
def test_light_rows_on_hand_written_cases(name):
    data = READ.get(name, DECLINED.get(name))
    assert check_light(data) or name not in READ or name in LIGHT_DECLINES, name


# what pf_vcr_light leaves to the record walk (which raises the loader's error, or joins the values)
LIGHT_DECLINES = {
    "repeated-header": doc(response="    headers:\n      X-A:\n      - a\n      X-A:\n      - b\n"),
    "repeated-request-header": doc(request="    headers:\n      Accept:\n      - a\n      Accept: []\n"),
    "binary-key": doc(response="    headers:\n      !!binary QQ==:\n      - a\n"),
    "two-content-types": doc(response="    headers:\n      Content-Type:\n      - a\n      - b\n"),
    "bad-duration": doc(response="    duration: 5 parsecs\n"),
    # past LIGHT_MAX_KEYS keys in one interaction the walk checks repeats (in linear time)
    "many-keys": doc(response="    headers:\n" + "".join(f"      X-{k}:\n      - v\n" for k in range(300))),
}


@native_only
@pytest.mark.parametrize("name", list(LIGHT_DECLINES))
def test_light_rows_decline(name):
    assert light_result(LIGHT_DECLINES[name]) == "declined"
    check_light(LIGHT_DECLINES[name])


@native_only
def test_light_rows_values():
    """The fields themselves: absent ones take the defaults, a Content-Type key with no value
    reads as an empty list, a binary body stays bytes, the same key in another map is no repeat."""
    data = doc(request="    url: http://h/v1/chat/completions\n    headers:\n      Content-Type:\n      - a\n",
               response="    body: !!binary /w==\n    headers:\n      Content-Type: []\n      X: []\n"
                        "    status: 200 OK\n    code: 200\n    duration: 1.5s\n")
    assert light_result(data) == [(0, "http://h/v1/chat/completions", "", b"", b"\xff", "200 OK", 200, [],
                                   1_500_000_000)]
    [it] = kernel("cassette-light", "native")(data)
    assert it.request.body == "" and it.request.method == ""   # absent: the dataclass defaults
    assert check_light(data)
    plain = doc()
    [it] = kernel("cassette-light", "native")(plain)
    assert it.response.headers == {} and it.response.body == b"x" and it.response.code == 200


DURATIONS = ["1s", "0s", "1.5s", "967.754833ms", "1.240184834s", "999999999s", "1000000000s", "1.123456789s",
             "1.1234567891s", "1.123456ms", "1.1234567ms", "1.s", ".5s", "0", "1h", "1m1.5s", "01s", "1µs",
             "+1s", "-1s", "1S", "1sx", "1.5", "s", "ms", "1.5mss", "0.000000001s", "123456789.123456789s",
             "1١s", "'1.5s'", "\"2s\""]


@native_only
@pytest.mark.parametrize("text", DURATIONS)
def test_light_durations_as_the_record_walk(text):
    """The recorder's simple durations are read in C (pf_vcr_light), the others by
    pyfantasy._go.duration: the same nanoseconds as the record walk, or both decline."""
    check_light(doc(response=f"    duration: {text}\n"))


@native_only
@given(st.text(st.sampled_from("0123456789.smhuµn"), min_size=1, max_size=24))
def test_light_durations_generated(text):
    check_light(doc(response=f"    duration: '{text}'\n"))


def _row_view(req):
    """What a scan row reads of request_json's value: the model when a non-empty string, and
    whether "stream" is true."""
    if not isinstance(req, dict):
        return None, False
    m = req.get("model")
    return (m if isinstance(m, str) and m else None), req.get("stream") is True


def check_request(body: str) -> bool:
    """pf_vcr_light's reading of a request body is json.loads's (as a scan row reads it), or it
    leaves the body to json.loads. True when C read it."""
    from pyfantasy._providers.formats import UNREAD, _parse_request
    data = Cassette([Interaction(request=Request(url="https://api.openai.com/v1/chat/completions", body=body),
                                 response=Response(code=200))]).dumps()
    its = kernel("cassette-light", "native")(data)
    if its is None:
        return False
    parsed = its[0].request.parsed
    try:
        expected = _parse_request(body.encode("utf-8", "surrogatepass"))
    except RecursionError:
        assert parsed is UNREAD
        return False
    if parsed is UNREAD:
        return False
    assert _row_view(parsed) == _row_view(expected), (body, parsed, expected)
    return True


REQUESTS = {  # body -> whether C reads it itself
    '{"model":"gpt-4o","stream":true,"messages":[{"role":"user","content":"hi"}]}': True,
    '{"model": "m", "stream": false}': True,
    '  {"stream": true, "model": "a", "model": "b"}  ': True,
    '{"model": "a", "model": 3}': True,
    '{"model": ""}': True,
    '{"stream": true, "stream": false}': True,
    '{"stream": "true"}': True,
    '{"x": {"model": "nested", "stream": true}}': True,
    '[{"model": "in a list"}]': True,
    '"just a string"': True,
    '42': True,
    '{}': True,
    '{"model": "m", "n": NaN}': False,          # json.loads reads NaN: C leaves it
    '{"model": "m"} trailing': False,
    '{"model": "m"} {}': False,
    '{"mod\\u0065l": "escaped key"}': False,
    '{"model": "esc\\u0061ped"}': False,
    '{"model": "caf\u00e9"}': False,
    '{"model": "m", "big": ' + "1" * 5000 + '}': False,
    '[' * 300 + ']' * 300: False,
    '\ufeff{"model": "bom"}': False,
    '': False,
    '   ': False,
    '{"model": "m",}': False,
    '{"model" "m"}': False,
}


@native_only
@pytest.mark.parametrize("body", list(REQUESTS))
def test_light_request_json(body):
    assert check_request(body) == REQUESTS[body]


_json_keys = st.sampled_from(["model", "stream", "messages", "x", "mod\u0065l", "stream ", "Model"])
_json_scalars = st.none() | st.booleans() | st.integers(-10**20, 10**20) | \
    st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=8)
_json_values = st.recursive(_json_scalars, lambda inner: st.lists(inner, max_size=4) |
                            st.dictionaries(_json_keys, inner, max_size=4), max_leaves=12)


@native_only
@given(st.lists(st.tuples(_json_keys, _json_values), max_size=6), st.sampled_from(["", " ", "\n  ", "\t"]),
       st.sampled_from(["", " ", "x", "}", ",", "NaN"]), st.booleans())
def test_light_request_json_generated(pairs, ws, tail, escape):
    """Objects with repeated, escaped and nested keys, any values, whitespace and a tail: what C
    reads of them is what json.loads reads, or C leaves them."""
    import json
    body = "{" + ws + ("," + ws).join(json.dumps(k) + ws + ":" + ws + json.dumps(v, ensure_ascii=escape)
                                      for k, v in pairs) + ws + "}" + ws + tail
    check_request(body)


@native_only
@settings(max_examples=max(10, settings().max_examples // 4),
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(cassettes)
def test_generated_cassettes_light(c):
    check_light(c.dumps())


@needs_corpus
@native_only
@settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.data())
def test_mutated_corpus_files_light(data):
    """Corpus files with header lines repeated, dropped or changed: the light rows still equal
    the record walk, or decline."""
    files = corpus_files()
    text = files[data.draw(st.integers(0, len(files) - 1))].read_bytes()
    lines = text.split(b"\n")
    for _ in range(data.draw(st.integers(1, 4))):
        k = data.draw(st.integers(0, len(lines) - 1))
        op = data.draw(st.sampled_from(["repeat", "drop", "null", "ctype"]))
        if op == "repeat":
            lines.insert(k, lines[k])
        elif op == "drop":
            del lines[k]
        elif op == "null" and b": " in lines[k]:
            lines[k] = lines[k].split(b": ")[0] + b": ~"
        elif op == "ctype":
            lines.insert(k, b"      Content-Type:")
    check_light(b"\n".join(lines))


# --- generated and mutated input -----------------------------------------------------------------

@native_only
@settings(max_examples=max(10, settings().max_examples // 4),
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(cassettes)
def test_generated_cassettes_native(c):
    data = c.dumps()
    check_native(data)


@native_only
@given(text, headers)
def test_generated_strings_native(value, hdrs):
    """Every string style the writer picks, in the current layout and an indent-4 one."""
    for layout in (Layout(2, True), Layout(4, False)):
        c = Cassette([Interaction(request=Request(body=value, headers=hdrs, url=value),
                                  response=Response(body=value, status=value, headers=hdrs))],
                     layout=layout)
        if go_unreadable(c):
            continue
        check_native(c.dumps())


ORDINARY = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=30)


@native_only
@given(st.lists(st.tuples(ORDINARY, ORDINARY, st.integers(100, 599)), min_size=1, max_size=3))
def test_native_never_falls_back_on_ordinary_cassettes(items):
    """Printable ASCII in the current layout: always read by the C reader itself."""
    c = Cassette([Interaction(request=Request(url=u, body=b, headers={"Accept": [b]}),
                              response=Response(body=b + "\n" + u, code=code, status=u,
                                                duration_ns=code * 1000))
                  for u, b, code in items])
    assert check_native(c.dumps())


def _mutations(data: bytes, rnd: random.Random, n: int):
    specials = [b"\n", b" ", b"'", b'"', b"\\", b"|", b"-", b":", b"#", b"\t", b"!", b"\xff", b"\x00",
                b"\xe2\x80\xa8", b"[]", b"{}", b"|+", b"|2", b"!!binary "]
    for _ in range(n):
        pos = rnd.randrange(len(data) + 1)
        op = rnd.randrange(4)
        if op == 0:
            yield data[:pos]
        elif op == 1:
            yield data[:pos] + rnd.choice(specials) + data[pos:]
        elif op == 2:
            yield data[:pos] + data[pos + rnd.randrange(1, 8):]
        else:
            yield data[:pos] + bytes([rnd.randrange(256)]) + data[pos + 1:]


@native_only
@needs_corpus
def test_native_mutated_corpus_files():
    """Cut, inserted, deleted and flipped bytes: the C reader agrees with the loader or declines."""
    rnd = random.Random(1234)
    files = corpus_files()
    picked = [files[i] for i in range(0, len(files), max(1, len(files) // 12))]
    small = sorted(files, key=lambda p: p.stat().st_size)[:3]
    read = declined = 0
    for path in picked + small:
        data = path.read_bytes()
        for m in _mutations(data, rnd, 40):
            if check_native(m):
                read += 1
            else:
                declined += 1
    assert read and declined


@native_only
def test_errors_are_the_loaders():
    for name in ("version-3", "quoted-int", "duplicate-key", "not-utf8", "no-version"):
        with pytest.raises(CassetteError) as info:
            read_interactions(DECLINED[name], path="x.yaml", backend="native")
        with pytest.raises(CassetteError) as expected:
            loads(DECLINED[name], path="x.yaml")
        assert str(info.value) == str(expected.value)
