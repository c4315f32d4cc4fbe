"""pyfantasy's cassette writer vs Go's YAML encoder (go.yaml.in/yaml/v4 rc.6), byte for byte.

- rc.6 layout (``LAYOUT_RC6``: what charm.land/x/vcr writes once on rc.5+):
  ``dumps()`` must equal x/vcr's marshal function run by Go, for 12,000
  random strings put in every field of a cassette, and for every corpus
  cassette; pyfantasy reads Go's output back as the same values, detects
  the layout and writes the same bytes again.
- rc.3 layout (the corpus's, ``LAYOUT_CURRENT``): rc.3 is not packaged, so
  the oracle is rc.6 with the rc.5 line width turned off
  (``WithLineWidth(-1)``: rc.2/rc.3 never fold), and every remaining
  difference must be one of the rc.3-vs-rc.6 rules named in ``RC3_RULES``,
  line by line; any other difference fails.
"""
from __future__ import annotations

import random
import re
from collections import Counter
from typing import Callable, Dict, List

import pytest

import go_oracle
from go_random import cassette_with, strings, strings_in
from helpers import CORPUS, DATA, corpus_files
from pyfantasy._kernels import vcr as vcr_reader
from pyfantasy._go import yaml as _goyaml
from pyfantasy.cassette import LAYOUT_CURRENT, LAYOUT_RC6, Cassette, Layout, load, loads

RANDOM_CASES = 12000
BATCH = 2000

_BLOCK_HEADER = re.compile(r"(?:[^ ].*: |- |\? |: - |)\|[-+]?$")


def _rc4_block_indicator(py: str, go: str, next_line: str) -> bool:
    """rc.4 dropped the indentation indicator of a block scalar that starts with a line break
    (docs/cassettes.md#library-versions-and-folding): rc.3 ``body: |2-``, rc.6 ``body: |-``."""
    if not _BLOCK_HEADER.search(go.lstrip(" ")):
        return False
    bar = go.rindex("|")
    return (py == go[:bar + 1] + "2" + go[bar + 1:]
            and (next_line == "" or next_line[:1] in "\u2028\u2029"))


_YAML11 = re.compile(r"y|Y|yes|Yes|YES|n|N|no|No|NO|on|On|ON|off|Off|OFF|<<"
                     r"|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?")
_QUOTED_END = re.compile(r"""(?:"([^"]*)"|'([^']*)')((?:: \[\]|:)?)$""")


def _rc5_yaml11_single_quoted(py: str, go: str, next_line: str) -> bool:
    """rc.5 single-quotes YAML 1.1 booleans, base-60 numbers and ``<<`` (strings for its
    YAML 1.2 resolver); rc.3 double-quoted them like other non-strings (docs/cassettes.md#strings-that-look-typed)."""
    m, n = _QUOTED_END.search(py), _QUOTED_END.search(go)
    if m is None or n is None or m.group(1) is None or n.group(2) is None:
        return False
    word = m.group(1)
    return (word == n.group(2) and m.group(3) == n.group(3) and _YAML11.fullmatch(word) is not None
            and py[:m.start()] == go[:n.start()])


RC3_RULES: Dict[str, Callable[[str, str, str], bool]] = {
    "rc4-block-indicator-on-leading-break": _rc4_block_indicator,
    "rc5-yaml11-words-single-quoted": _rc5_yaml11_single_quoted,
}


def explain_rc3(py: bytes, go: bytes, seen: Counter) -> List[str]:
    """Lines where rc.3 (pyfantasy) and unfolded rc.6 (Go) differ that no named rule explains."""
    p, g = py.decode().split("\n"), go.decode().split("\n")
    if len(p) != len(g):
        return [f"line counts differ: {len(p)} vs {len(g)}"]
    bad = []
    for i, (a, b) in enumerate(zip(p, g)):
        if a == b:
            continue
        nxt = g[i + 1] if i + 1 < len(g) else ""
        rule = next((name for name, ok in RC3_RULES.items() if ok(a, b, nxt)), None)
        if rule is None:
            bad.append(f"line {i + 1}: pyfantasy {a!r} vs Go {b!r}")
        else:
            seen[rule] += 1
    return bad


def _with_layout(c: Cassette, layout: Layout) -> Cassette:
    return Cassette(c.interactions, layout=layout)


def _encode(cassettes: List[Cassette]) -> List[dict]:
    out = []
    for i in range(0, len(cassettes), BATCH):
        chunk = cassettes[i:i + BATCH]
        out += go_oracle.run({"mode": "yaml",
                              "cassettes": [go_oracle.cassette_json(c) for c in chunk]})
    return out


@pytest.fixture(scope="module")
def random_cases():
    values = strings(seed=20261206, n=RANDOM_CASES)
    rng = random.Random(11)
    cassettes = [cassette_with(rng, s) for s in values]
    return values, cassettes, _encode(cassettes)


def test_random_strings_rc6_layout(random_cases):
    values, cassettes, encoded = random_cases
    diffs = []
    for s, c, e in zip(values, cassettes, encoded):
        assert not e["err"], e["err"]
        go = go_oracle.unb64(e["xvcr"])
        if _with_layout(c, LAYOUT_RC6).dumps() != go:
            diffs.append(s)
    assert len(values) >= 10000
    assert diffs == [], f"{len(diffs)} of {len(values)} differ, first: {diffs[:5]!r}"


def test_random_strings_rc3_layout(random_cases):
    values, cassettes, encoded = random_cases
    seen: Counter = Counter()
    unexplained = {}
    for s, c, e in zip(values, cassettes, encoded):
        bad = explain_rc3(_with_layout(c, LAYOUT_CURRENT).dumps(), go_oracle.unb64(e["nowrap"]),
                          seen)
        if bad:
            unexplained[s] = bad
    assert unexplained == {}, f"{len(unexplained)} cassettes differ beyond the named rules"
    assert all(seen[rule] > 0 for rule in RC3_RULES), seen  # every rule is exercised


def rc6_lossy(c: Cassette) -> bool:
    """rc.4+ writes a block scalar that starts with a line break without an indentation
    indicator, so when its first non-empty line starts with a space every reader (Go's too)
    takes that space as indentation: such a file does not hold the values it was given."""
    for s in strings_in(c):
        if (s[:1] in "\n\u2028\u2029" and s.lstrip("\n\u2028\u2029")[:1] == " "
                and _goyaml.choose_style(s, rc6=True) is _goyaml.LITERAL):
            return True
    return False


@pytest.fixture(scope="module")
def go_read_back(random_cases):
    """The first 1,000 random cassettes as Go's rc.6 files, and what Go's decoders read."""
    values, cassettes, encoded = random_cases
    files = [go_oracle.unb64(e["xvcr"]) for e in encoded[:1000]]
    seen_by_go = go_oracle.run({"mode": "decode", "files": [go_oracle.b64(f) for f in files]})
    return cassettes[:1000], files, seen_by_go


def test_go_rc6_output_reads_back(go_read_back, backend):
    """Go's rc.6 files: pyfantasy reads what Go's own decoder reads (both backends), which is
    what was written unless ``rc6_lossy``; it detects the rc.6 layout where it shows and
    writes the same bytes back."""
    cassettes, files, seen_by_go = go_read_back
    folded = lossy = tab = 0
    for c, go, d in zip(cassettes, files, seen_by_go):
        if go_oracle.TAB_QUIRK in d["v3_err"] and go_oracle.TAB_QUIRK in d["v4_err"]:
            tab += 1  # Go cannot read it; pyfantasy can (test_go_vcr_decode checks the values)
            assert loads(go).dumps() == go
            continue
        assert d["v3_err"] == "" and d["v4_err"] == "", d
        got = go_oracle.comparable(go_oracle.cassette_json(
            Cassette(vcr_reader.read_interactions(go, backend=backend))))
        assert got == go_oracle.comparable(d["v3"], ids=False) == go_oracle.comparable(d["v4"])
        if rc6_lossy(c):
            lossy += 1
            continue
        assert got == go_oracle.comparable(go_oracle.cassette_json(c))
        back = loads(go)
        assert back.dumps() == go
        folded += back.layout.folded
    assert folded > 50 and lossy < 50 and tab < 20, (folded, lossy, tab)


def test_corpus_rc6_and_rc3(request):
    files = corpus_files()
    if not files:
        pytest.skip(f"corpus not found at {CORPUS}")
    current = []
    for path in files:
        c = load(path)
        if c.layout == LAYOUT_CURRENT:
            current.append((path, c))
    encoded = _encode([c for _, c in current])
    seen: Counter = Counter()
    folded = 0
    for (path, c), e in zip(current, encoded):
        go = go_oracle.unb64(e["xvcr"])
        assert _with_layout(c, LAYOUT_RC6).dumps() == go, path
        back = loads(go)
        assert back.dumps() == go, path
        folded += back.layout.folded
        assert explain_rc3(path.read_bytes(), go_oracle.unb64(e["nowrap"]), seen) == [], path
    assert len(current) >= 350 and folded > 100, (len(current), folded)


def test_awkward_fixture_is_what_go_writes():
    """Issue 14 item 8: tests/data/cassettes/awkward_bodies.yaml's bytes are Go's encoder's
    (unfolded rc.6, with the rc.3 rules of ``RC3_RULES``), not only pyfantasy's."""
    from test_cassette_generated import AWKWARD_EXPECTED
    path = DATA / "cassettes" / "awkward_bodies.yaml"
    (encoded,) = _encode([AWKWARD_EXPECTED])
    seen: Counter = Counter()
    assert explain_rc3(path.read_bytes(), go_oracle.unb64(encoded["nowrap"]), seen) == []
