"""Seeded random strings and cassettes for the Go differentials (tests/test_go_*.py).

Strings mix what decides a YAML style or a JSON escape (docs/cassettes.md#scalars;
encoding/json's rules): controls, TAB, CR, NEL,
U+2028/U+2029, BOM, emoji, quotes, indicators, YAML 1.1 words, numbers,
leading/trailing spaces and line breaks, and long lines of words (so that
the rc.5+ 80-column folding meets spaces, double spaces and escapes at
every column). ``random.Random(seed)`` keeps every run identical.
"""
from __future__ import annotations

import random
from typing import Iterator, List

from pyfantasy.cassette import Cassette, Interaction, Request, Response

PIECES = list("abZ09 -:#?'\"\\{}[],.|>!&*%@`~=_+\t\n\r") + [
    "\u00e9", "\u6708", "\u2019", "\U0001F60A", "\x00", "\x07", "\x1b", "\x7f", "\x85",
    "\x9f", "\xa0", "\u2028", "\u2029", "\ufeff", "\ufffe", "\ue000", "\u3000", "  ", "   ",
    "\n\n", " \n", "\n ", "<", ">", "&", "\x01", "\x1f",
]
WORDS = [
    "true", "True", "yes", "Off", "on", "y", "n", "null", "~", "123", "-1", "+1", "-0",
    "007", "08", "0x1F", "0b2", "1_000", "1e3", "1e400", ".5", ".inf", "2025-03-19",
    "2025-03-19T10:00:00Z", "2025-03-19 10:00:00", "12:30", "1:2:3", "<<", "-", "---", "...",
    "- a", "? x", ": x", "a: b", "a #b", "#a", "'q'", "it's", "=", "v1", '{"type":"text"}',
    "data: [DONE]", "lorem", "ipsum", "dolor", "sit", "amet", "consectetur", "x" * 30,
]


def text(rng: random.Random) -> str:
    """One random string (valid Unicode, no surrogates)."""
    kind = rng.random()
    if kind < 0.3:
        s = "".join(rng.choice(PIECES if rng.random() < 0.6 else WORDS)
                    for _ in range(rng.randint(0, 6)))
    elif kind < 0.65:  # a long line of words: folding territory
        parts = []
        for _ in range(rng.randint(5, 60)):
            parts.append(rng.choice(WORDS) if rng.random() < 0.8 else rng.choice(PIECES))
            parts.append(rng.choice([" ", " ", " ", "  ", "", "\t", "'", '"']))
        s = "".join(parts)
        if rng.random() < 0.3:
            s = "{" + s
    elif kind < 0.85:  # several lines
        lines = [text_line(rng) for _ in range(rng.randint(1, 5))]
        s = rng.choice(["\n", "\n", "\r\n", "\n\n", "\u2028", "\u2029", "\x85"]).join(lines)
        s += rng.choice(["", "", "\n", "\n\n", " "])
    else:  # random code points
        s = "".join(chr(rng.choice([rng.randint(0, 0x7F), rng.randint(0x80, 0xD7FF),
                                    rng.randint(0xE000, 0x10FFFF)]))
                    for _ in range(rng.randint(0, 20)))
    if rng.random() < 0.1:
        s = rng.choice([" ", "\n", "\u2028", "\ufeff", "  "]) + s
    if rng.random() < 0.1:
        s += rng.choice([" ", "\n", "\u2028", "\u2029", "  "])
    return s


def text_line(rng: random.Random) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(0, 25)))


def integer(rng: random.Random) -> int:
    return rng.choice([rng.randint(-1, 5), rng.randint(-2**63, 2**63 - 1)])


def cassette_with(rng: random.Random, s: str) -> Cassette:
    """A one-interaction cassette with ``s`` in every string field (also as keys); one in
    ten has a binary response body instead."""
    t = text(rng)
    req = Request(proto=s, proto_major=integer(rng), proto_minor=integer(rng),
                  content_length=integer(rng), transfer_encoding=[s, t], trailer={s: [t]},
                  host=s, remote_addr=s, request_uri=t, body=s, form={t: [s], "alt": []},
                  headers={s: [s, t], "Accept": [t]}, url=s, method=t)
    resp = Response(proto=t, proto_major=integer(rng), proto_minor=integer(rng),
                    transfer_encoding=[t], trailer={t: [s]}, content_length=integer(rng),
                    uncompressed=rng.random() < 0.5, body=s, headers={s: [s], t: []},
                    status=s, code=integer(rng), duration_ns=integer(rng))
    if rng.random() < 0.1:  # a binary body (!!binary, base64 cut at 70 columns)
        resp.body = bytes(rng.randrange(256) for _ in range(rng.randint(1, 200))) + b"\xff"
    return Cassette([Interaction(0, req, resp)])


def strings_in(c: Cassette) -> Iterator[str]:
    """Every string of a cassette (keys, list items, str bodies, scalar fields)."""
    for it in c.interactions:
        for part in (it.request, it.response):
            for m in (part.trailer, part.headers, getattr(part, "form", {})):
                for k, v in m.items():
                    yield k
                    yield from v
            yield from part.transfer_encoding
            if isinstance(part.body, str):
                yield part.body
            yield part.proto
            yield getattr(part, "status", "") or getattr(part, "url", "")


def strings(seed: int, n: int) -> List[str]:
    rng = random.Random(seed)
    return [text(rng) for _ in range(n)]
