"""Go ``time.Duration`` text: exact parse and format, and a timedelta that keeps nanoseconds.

What: go-vcr stores ``response.duration`` as Go's ``time.Duration`` (an int64
count of nanoseconds) written with ``Duration.String()`` and read back with
``time.ParseDuration`` (docs/cassettes.md#durations).

Strategy: both directions are straight ports of Go's ``time/format.go``
(``Duration.format``, ``ParseDuration``, ``leadingInt``,
``leadingFraction``), including Go's use of a float64 for the fraction part,
so that every string Go accepts gives Go's value and every value prints as Go
prints it. ``GoDuration`` is a ``datetime.timedelta`` (microsecond
resolution, truncated toward zero) that also carries the exact
``nanoseconds`` (docs/cassettes.md#durations-in-python: 96 % of the corpus durations have nanosecond
digits).
"""
from __future__ import annotations

import re

from datetime import timedelta
from typing import Union
from pyfantasy._errors import DurationError

__all__ = ["GoDuration", "DurationError", "format_duration", "parse_duration",
           "timedelta_to_ns", "INT64_MIN", "INT64_MAX"]

INT64_MIN = -(1 << 63)
INT64_MAX = (1 << 63) - 1

_NS, _US, _MS, _S = 1, 1000, 1000_000, 1000_000_000
_UNITS = {
    "ns": 1,
    "us": 1000,
    "\u00b5s": 1000,  # U+00B5 MICRO SIGN (what Go writes)
    "\u03bcs": 1000,  # U+03BC GREEK SMALL LETTER MU
    "ms": 1000_000,
    "s": 1000_000_000,
    "m": 60 * 1000_000_000,
    "h": 3600 * 1000_000_000,
}


def _frac(v: int, prec: int) -> "tuple[str, int]":
    """Go's fmtFrac: the fraction of ``v / 10**prec`` without trailing zeros (with its dot)."""
    digits = []
    printed = False
    for _ in range(prec):
        d = v % 10
        printed = printed or d != 0
        if printed:
            digits.append(chr(48 + d))
        v //= 10
    if printed:
        return "." + "".join(reversed(digits)), v
    return "", v


def format_duration(ns: int) -> str:
    """Format int64 nanoseconds exactly as Go's ``time.Duration.String`` does.

    ``0`` is ``0s``; below a second one unit (``ns``, ``µs`` with U+00B5,
    ``ms``); from a second up ``[<h>h][<m>m]<s>[.<frac>]s``.

    Raises:
        DurationError: the value is outside int64.
    """
    if not INT64_MIN <= ns <= INT64_MAX:
        raise DurationError(f"duration {ns}ns does not fit in int64 nanoseconds")
    if ns == 0:
        return "0s"
    neg = ns < 0
    u = -ns if neg else ns
    if u < _S:
        if u < _US:
            text = f"{u}ns"
        elif u < _MS:
            f, w = _frac(u, 3)
            text = f"{w}{f}\u00b5s"
        else:
            f, w = _frac(u, 6)
            text = f"{w}{f}ms"
    else:
        f, u = _frac(u, 9)
        text = f"{u % 60}{f}s"
        u //= 60
        if u > 0:
            text = f"{u % 60}m" + text
            u //= 60
            if u > 0:
                text = f"{u}h" + text
    return "-" + text if neg else text


# a positive number of seconds or milliseconds, at most nine digits before the point: Go's
# float64 fraction is then exact, so integers give the same nanoseconds
_SIMPLE = re.compile(r"(\d{1,9})(?:\.(\d{1,9}))?(ms|s)\Z")


def parse_duration(text: str) -> int:
    """Parse a Go duration string (Go's ``time.ParseDuration``) into int nanoseconds.

    Optional sign, then ``<number><unit>`` pairs summed (``1h30m``, ``1m1h``,
    ``.5s``); units ``ns us µs μs ms s m h``; ``0``, ``+0``, ``-0`` alone need
    no unit. The fraction is computed with a float64 as Go does.

    Raises:
        DurationError: not a duration, unknown or missing unit, or overflow.
    """
    m = _SIMPLE.match(text)
    if m is not None:   # what the recorder writes ("967.754833ms", "1.240184834s"): exact in integers
        whole, frac, unit = m.groups()
        digits = 9 if unit == "s" else 6
        if len(frac or "") <= digits:
            return int(whole) * 10 ** digits + (int(frac) * 10 ** (digits - len(frac)) if frac else 0)
    orig = text
    s = text
    neg = False
    if s and s[0] in "+-":
        neg = s[0] == "-"
        s = s[1:]
    if s == "0":
        return 0
    if s == "":
        raise DurationError(f"invalid duration {orig!r}")
    total = 0
    n = len(s)
    i = 0
    while i < n:
        c = s[i]
        if not (c == "." or "0" <= c <= "9"):
            raise DurationError(f"invalid duration {orig!r}")
        # leadingInt: [0-9]*, error on overflow past 1<<63.
        v = 0
        start = i
        while i < n and "0" <= s[i] <= "9":
            if v > (1 << 63) // 10:
                raise DurationError(f"invalid duration {orig!r} (overflow)")
            v = v * 10 + ord(s[i]) - 48
            if v > 1 << 63:
                raise DurationError(f"invalid duration {orig!r} (overflow)")
            i += 1
        pre = i != start
        # leadingFraction: (\.[0-9]*)?, stops accumulating on overflow.
        f = 0
        scale = 1.0
        post = False
        if i < n and s[i] == ".":
            i += 1
            start = i
            overflow = False
            while i < n and "0" <= s[i] <= "9":
                if not overflow:
                    if f > ((1 << 63) - 1) // 10:
                        overflow = True
                    else:
                        y = f * 10 + ord(s[i]) - 48
                        if y > 1 << 63:
                            overflow = True
                        else:
                            f = y
                            scale *= 10
                i += 1
            post = i != start
        if not pre and not post:
            raise DurationError(f"invalid duration {orig!r}")
        start = i
        while i < n and not (s[i] == "." or "0" <= s[i] <= "9"):
            i += 1
        if i == start:
            raise DurationError(f"missing unit in duration {orig!r}")
        unit_text = s[start:i]
        unit = _UNITS.get(unit_text)
        if unit is None:
            raise DurationError(f"unknown unit {unit_text!r} in duration {orig!r}")
        if v > (1 << 63) // unit:
            raise DurationError(f"invalid duration {orig!r} (overflow)")
        v *= unit
        if f > 0:
            v += int(float(f) * (float(unit) / scale))
            if v > 1 << 63:
                raise DurationError(f"invalid duration {orig!r} (overflow)")
        total += v
        if total > 1 << 63:
            raise DurationError(f"invalid duration {orig!r} (overflow)")
    if neg:
        return -total
    if total > INT64_MAX:
        raise DurationError(f"invalid duration {orig!r} (overflow)")
    return total


def timedelta_to_ns(value: timedelta) -> int:
    """Exact nanoseconds of a timedelta: a GoDuration's own, else from days/seconds/µs."""
    if isinstance(value, GoDuration):
        return value.nanoseconds
    return ((value.days * 86400 + value.seconds) * 1000_000 + value.microseconds) * 1000


class GoDuration(timedelta):
    """A ``datetime.timedelta`` that also keeps Go's exact integer ``nanoseconds``.

    The timedelta part is the nanoseconds truncated toward zero to whole
    microseconds; ``nanoseconds`` is the source of truth when the cassette is
    written. Arithmetic gives plain timedeltas (microsecond precision), as
    for any timedelta subclass. ``str()`` is Go's text (``1.611896291s``).
    """

    __slots__ = ("nanoseconds",)

    def __new__(cls, nanoseconds: int = 0) -> "GoDuration":
        ns = int(nanoseconds)
        us = abs(ns) // 1000
        self = super().__new__(cls, microseconds=us if ns >= 0 else -us)
        self.nanoseconds = ns
        return self

    @classmethod
    def parse(cls, text: str) -> "GoDuration":
        """Build from Go's text (``2.397934s``); raises DurationError."""
        return cls(parse_duration(text))

    @classmethod
    def from_timedelta(cls, value: timedelta) -> "GoDuration":
        """Exact conversion of any timedelta (or GoDuration)."""
        return cls(timedelta_to_ns(value))

    def __str__(self) -> str:
        return format_duration(self.nanoseconds)

    def __repr__(self) -> str:
        return f"GoDuration({self.nanoseconds})"

    def __reduce__(self):
        return (GoDuration, (self.nanoseconds,))


DurationLike = Union[GoDuration, timedelta]
