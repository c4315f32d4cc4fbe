"""The "natural" order in which Go's YAML library writes map keys (header names, form keys).

What: go.yaml.in/yaml sorts the keys of every map it writes with its
``keyList.Less`` (docs/cassettes.md#key-order), so
``X-2`` comes before ``X-10`` and ``A-b`` before ``A1`` before ``Ab``.

Strategy: a direct port of ``keyList.Less`` for two strings, compared code
point by code point, wrapped with ``functools.cmp_to_key``. Digit runs are
accumulated in int64 with wrap-around as Go does (a digit's value is its code
point minus 48, even for non-ASCII digits). Letters are Unicode category L*
and digits category Nd of Go's Unicode version (``_go.unicode``, not Python's
``str.isalpha``/``isdecimal``, whose Unicode version differs). Maps here are
small (a handful of headers), so the O(n log n) Python comparisons are cheap.
"""
from __future__ import annotations

import re
from bisect import bisect_right
from functools import cmp_to_key
from typing import Iterable, List

from pyfantasy._go.unicode import DIGIT, LETTER

__all__ = ["natural_less", "natural_sorted"]

_MASK = (1 << 64) - 1


def _wrap64(v: int) -> int:
    v &= _MASK
    return v - (1 << 64) if v >= 1 << 63 else v


# [first, last] pairs -> [first, last + 1) bounds: a code point is in the class when
# bisect_right lands on an odd index.
_LETTER = tuple(x + (i & 1) for i, x in enumerate(LETTER))
_DIGIT = tuple(x + (i & 1) for i, x in enumerate(DIGIT))


def _is_letter(c: str) -> bool:
    """Go's ``unicode.IsLetter``."""
    return c.isalpha() if c < "\x80" else bisect_right(_LETTER, ord(c)) & 1 == 1


def _is_digit(c: str) -> bool:
    """Go's ``unicode.IsDigit`` (category Nd)."""
    return "0" <= c <= "9" if c < "\x80" else bisect_right(_DIGIT, ord(c)) & 1 == 1


def natural_less(a: str, b: str) -> bool:
    """True when Go's YAML encoder writes key ``a`` before key ``b``."""
    n = min(len(a), len(b))
    digits = False
    for i in range(n):
        ac = a[i]
        bc = b[i]
        if ac == bc:
            digits = _is_digit(ac)
            continue
        al = _is_letter(ac)
        bl = _is_letter(bc)
        if al and bl:
            return ac < bc
        if al or bl:
            if digits:
                return al
            return bl
        an = bn = 0
        if ac == "0" or bc == "0":
            j = i - 1
            while j >= 0 and _is_digit(a[j]):
                if a[j] != "0":
                    an = bn = 1
                    break
                j -= 1
        ai = i
        while ai < len(a) and _is_digit(a[ai]):
            an = _wrap64(an * 10 + ord(a[ai]) - 48)
            ai += 1
        bi = i
        while bi < len(b) and _is_digit(b[bi]):
            bn = _wrap64(bn * 10 + ord(b[bi]) - 48)
            bi += 1
        if an != bn:
            return an < bn
        if ai != bi:
            return ai < bi
        return ac < bc
    return len(a) < len(b)


def _cmp(a: str, b: str) -> int:
    if a == b:
        return 0
    return -1 if natural_less(a, b) else 1


_KEY = cmp_to_key(_cmp)

# Keys made only of ASCII letters and of non-digit characters below "A"
# (such as "-" and "."; not "_", which is above "A") compare in Go's order
# exactly as Python compares strings: letter/letter and other/other by code
# point, every such character before every letter, and a prefix first. Real
# header names (Content-Type, User-Agent) all qualify.
_PLAIN_ORDER = re.compile(r"[\x00-\x2f\x3a-\x40A-Za-z]*")


def natural_sorted(keys: Iterable[str]) -> List[str]:
    """The keys in Go's YAML key order."""
    keys = list(keys)
    if len(keys) < 2:
        return keys
    match = _PLAIN_ORDER.fullmatch
    if all(match(k) for k in keys):
        return sorted(keys)
    return sorted(keys, key=_KEY)
