"""How go.yaml.in/yaml/v4 writes one string: its style and its exact text.

What: every string of a cassette (values, list items, map keys) is written
plain, single-quoted, double-quoted or as a literal block, chosen by the Go
encoder's rules; ``!!binary`` bodies are base64 cut at 70 characters. This
module reproduces those bytes (docs/cassettes.md#scalars)
as rc.2/rc.3 write them and, with ``rc6=True``, as rc.5 and later do
(folding at 80 columns, YAML 1.1 words single-quoted, docs/cassettes.md#library-versions-and-folding; checked
against rc.6 by tests/test_go_yaml_differential.py), plus the
plain-or-``strconv.Quote`` rules of the older goccy writer (docs/cassettes.md#legacy-quoting).
The schema walk that places these scalars at the right columns lives in
``cassette.py``.

Strategy: the Go emitter's character-by-character analysis
(``yaml_emitter_analyze_scalar``) is replaced by a few compiled regular
expressions and substring searches that answer the same questions (any
special character, any TAB, a space before a line break, ...), so that a
100 kB body is classified in C-speed scans. The "would this plain text read
back as a non-string" check (docs/cassettes.md#strings-that-look-typed) ports Go's ``resolve`` (map of
reserved words, ``strconv.ParseInt``/``ParseUint``/``ParseFloat``,
``time.Parse`` with yaml's four timestamp layouts, base-60 floats, YAML 1.1
booleans); it only runs on strings whose first character can start such a
value.
"""
from __future__ import annotations

import base64
import math
import re
from functools import lru_cache
from typing import Optional, Tuple
from pyfantasy._errors import SurrogateError

__all__ = [
    "PLAIN", "SINGLE", "DOUBLE", "LITERAL", "SurrogateError",
    "choose_style", "resolves_non_string", "is_simple_key", "scalar",
    "render", "double_quoted", "binary", "legacy_scalar", "go_quote",
]

PLAIN, SINGLE, DOUBLE, LITERAL = "plain", "single", "double", "literal"


# --- character classes (docs/cassettes.md#character-classes) ---------------------------
# "special": not printable (library definition: LF, 20-7E, A0-D7FF, E000-FFFD
# except FEFF) and not TAB. CR, NEL, every C0/C1 control, U+FEFF, U+FFFE/FFFF,
# lone surrogates and everything above U+FFFF (emoji) are special.
_SPECIAL_CLASS = r"[^\t\n\x20-\x7e\xa0-\ud7ff\ue000-\ufefe\uff00-\ufffd]"
_SURROGATE = re.compile(r"[\ud800-\udfff]")
# Line breaks: LF, CR, NEL, LS, PS. CR and NEL are special, so only LF, LS and PS
# need their own searches in strings that have no special character.
_ANY_BREAK = re.compile(r"[\n\r\x85\u2028\u2029]")
_LSPS = re.compile(r"[\u2028\u2029]")
_SPACE_BREAK = re.compile(r" [\n\r\x85\u2028\u2029]")
_BREAK_SPACE = re.compile(r"[\n\r\x85\u2028\u2029] ")
_LINE_SPLIT = re.compile(r"([\n\u2028\u2029])")
_LSPS_SPLIT = re.compile(r"([\u2028\u2029])")
_BREAKS = "\n\r\x85\u2028\u2029"
# Go's unicode.IsSpace (used for the "whitespace only" test of step 1).
_GO_SPACES = ("\t\n\v\f\r \x85\xa0\u1680" + "".join(chr(c) for c in range(0x2000, 0x200B))
              + "\u2028\u2029\u202f\u205f\u3000")
# First characters that forbid plain style ("indicators").
_FIRST_INDICATORS = frozenset("#,[]{}&*!|>'\"%@`")
# Characters escaped in double quotes: not printable, a line break, '"' or '\'.
_ESCAPE_CLASS = r"[^\x20\x21\x23-\x5b\x5d-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd]"


@lru_cache(maxsize=None)
def _big_class(pattern: str) -> "re.Pattern[str]":
    """``_SPECIAL_CLASS`` or ``_ESCAPE_CLASS`` compiled, on first use: a negated class up to
    U+FFFD compiles to a 64K-bit map (fast to match) in about 10 ms, which every process that
    imports the cassette reader paid, though only writing YAML uses them."""
    return re.compile(pattern)


_NAMED_ESCAPES = {
    "\x00": "\\0", "\x07": "\\a", "\x08": "\\b", "\t": "\\t", "\n": "\\n",
    "\x0b": "\\v", "\x0c": "\\f", "\r": "\\r", "\x1b": "\\e", '"': '\\"',
    "\\": "\\\\", "\x85": "\\N", "\xa0": "\\_", "\u2028": "\\L", "\u2029": "\\P",
}


# --- plain text that Go would not read back as a string ------------------------------
# docs/cassettes.md#strings-that-look-typed
_RESERVED = frozenset(
    "~ null Null NULL true True TRUE false False FALSE .nan .NaN .NAN .inf .Inf .INF "
    "+.inf +.Inf +.INF -.inf -.Inf -.INF -0 -0.0 << "
    # YAML 1.1 booleans (Go's isOldBool)
    "y Y yes Yes YES n N no No NO on On ON off Off OFF".split())
_TYPED_FIRST = frozenset("+-0123456789.yYnNtTfFoO~<")
# strconv.ParseFloat on text starting with "." (underscores only between digits).
_DOT_FLOAT = re.compile(r"\.[0-9](?:_?[0-9])*(?:[eE][-+]?[0-9](?:_?[0-9])*)?")
# yaml's yamlStyleFloat, applied after deleting "_".
_YAML_FLOAT = re.compile(r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?")
_BASE60 = re.compile(r"[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?")
# time.Parse with "2006-1-2T15:4:5.999999999Z07:00" (also "t"), "2006-1-2 15:4:5.999999999"
# and "2006-1-2".
_TIMESTAMP = re.compile(
    r"([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})"
    r"(?:([Tt ])([0-9]{1,2}):([0-9]{1,2}):([0-9]{1,2})(?:[.,][0-9]+)?"
    r"(Z|[-+]([0-9]{2}):([0-9]{2}))?)?")
# Characters that can appear in anything numeric or a timestamp: a cheap pre-filter.
_NUMERIC_CHARS = re.compile(r"[-+0-9a-fA-FxXoObB_.:eETtZ ,]*")


def _go_parse_uint(s: str, base: int) -> Optional[int]:
    """strconv.ParseUint(s, base, 64) for base 0 (prefixes, leading-0 octal), 2 or 8."""
    if not s:
        return None
    if base == 0:
        base = 10
        if s[0] == "0":
            if len(s) >= 3 and s[1] in "bB":
                base, s = 2, s[2:]
            elif len(s) >= 3 and s[1] in "oO":
                base, s = 8, s[2:]
            elif len(s) >= 3 and s[1] in "xX":
                base, s = 16, s[2:]
            else:
                base, s = 8, s[1:]
    v = 0
    for ch in s:
        o = ord(ch)
        if 48 <= o <= 57:
            d = o - 48
        elif 97 <= (o | 32) <= 122:
            d = (o | 32) - 87
        else:
            return None
        if d >= base:
            return None
        v = v * base + d
        if v >= 1 << 64:
            return None
    return v


def _go_parse_int(s: str, base: int) -> Optional[int]:
    """strconv.ParseInt(s, base, 64): optional sign, then ParseUint, int64 range."""
    if not s:
        return None
    neg = False
    if s[0] in "+-":
        neg = s[0] == "-"
        s = s[1:]
    u = _go_parse_uint(s, base)
    if u is None:
        return None
    if neg:
        return -u if u <= 1 << 63 else None
    return u if u < 1 << 63 else None


def parse_go_int(text: str) -> Optional[int]:
    """The integer Go's YAML decoder reads from plain ``text``, or None.

    Same syntax as the resolver: ``_`` removed, then ParseInt (base prefixes,
    leading-0 octal) or ParseUint. Used by the loader for integer fields.
    """
    plain = text.replace("_", "") if "_" in text else text
    v = _go_parse_int(plain, 0)
    if v is None:
        v = _go_parse_uint(plain, 0)
    return v


def _days_in(month: int, year: int) -> int:
    """Go's daysIn (proleptic Gregorian, year 0 is a leap year)."""
    if month == 2:
        return 29 if year % 4 == 0 and (year % 100 != 0 or year % 400 == 0) else 28
    return 30 if month in (4, 6, 9, 11) else 31


def _is_timestamp(s: str) -> bool:
    m = _TIMESTAMP.fullmatch(s)
    if m is None:
        return False
    year, month, day = int(m.group(1)), int(m.group(2)), int(m.group(3))
    if not 1 <= month <= 12 or not 1 <= day <= _days_in(month, year):
        return False
    sep = m.group(4)
    if sep is None:
        return True
    zone = m.group(8)
    if (sep == " ") != (zone is None):
        return False  # "T"/"t" needs a zone; " " has none
    if int(m.group(5)) >= 24 or int(m.group(6)) >= 60 or int(m.group(7)) >= 60:
        return False
    if zone is not None and zone != "Z":
        if int(m.group(9)) > 24 or int(m.group(10)) > 60:
            return False
    return True


def resolves_non_string(s: str) -> bool:
    """True when plain ``s`` would be read by Go's YAML as a non-string.

    docs/cassettes.md#strings-that-look-typed (Go's ``resolve`` plus ``isBase60Float`` and ``isOldBool``).
    ``s`` is non-empty.
    """
    c = s[0]
    if c not in _TYPED_FIRST:
        return False
    if s in _RESERVED:
        return True
    if c == ".":
        return (_DOT_FLOAT.fullmatch(s) is not None
                and math.isfinite(float(s.replace("_", ""))))
    if c not in "+-0123456789":
        return False
    if _NUMERIC_CHARS.fullmatch(s) is None:
        return False
    if c != "+" and c != "-" and len(s) >= 5 and s[4] == "-" and _is_timestamp(s):
        return True
    plain = s.replace("_", "")
    if _go_parse_int(plain, 0) is not None or _go_parse_uint(plain, 0) is not None:
        return True
    if _YAML_FLOAT.fullmatch(plain) is not None and math.isfinite(float(plain)):
        return True
    # Go's resolve also tries ParseInt(plain[2:], 2|8) after a lowercase "0b"/"0o"
    # prefix, which accepts a sign there ("0b-1", "0o+7").
    if plain[:2] in ("0b", "0o") and plain[2:3] in ("+", "-"):
        if _go_parse_int(plain[2:], 2 if plain[1] == "b" else 8) is not None:
            return True
    if ":" in s and _BASE60.fullmatch(s) is not None:
        return True
    return False


# --- style (docs/cassettes.md#choosing-a-style) -------------------------------------------
def _plain_allowed(s: str) -> bool:
    """Plain allowed, for a non-empty string with no line break, TAB or special character."""
    c = s[0]
    if c in _FIRST_INDICATORS:
        return False
    if c in "?:-" and (len(s) == 1 or s[1] == " "):
        return False
    if c == " " or s[-1] == " " or s[-1] == ":":
        return False
    if s.startswith(("---", "...")):
        return False
    if ": " in s or " #" in s:
        return False
    return True


# rc.5+ asks single quotes (not double) for these: they are strings for its YAML 1.2
# resolver but not for YAML 1.1 readers (its representer's isOldBool, isBase60Float,
# looksLikeMerge).
_OLD_BOOLS = frozenset("y Y yes Yes YES n N no No NO on On ON off Off OFF <<".split())


def _yaml11_only(s: str) -> bool:
    return s in _OLD_BOOLS or (":" in s and _BASE60.fullmatch(s) is not None)


def choose_style(s: str, rc6: bool = False) -> str:
    """The style go.yaml.in/yaml/v4 gives string ``s`` (docs/cassettes.md#choosing-a-style, steps 1 to 3).

    ``rc6``: the rules of rc.5 and later, where YAML 1.1 booleans, base-60
    numbers and ``<<`` are single-quoted instead of double-quoted.

    Raises:
        SurrogateError: ``s`` holds a lone surrogate.
    """
    if not s:
        return DOUBLE
    special = _big_class(_SPECIAL_CLASS).search(s) is not None
    if special and _SURROGATE.search(s) is not None:
        raise SurrogateError("lone surrogate")
    if "\n" in s:
        # Step 1 asks literal, unless whitespace only ("\n" included).
        if not s.strip(_GO_SPACES):
            return DOUBLE
        if special or s[-1] == " " or _SPACE_BREAK.search(s) is not None:
            return DOUBLE
        return LITERAL
    if rc6 and _yaml11_only(s):
        return SINGLE
    if resolves_non_string(s):
        return DOUBLE
    if special or "\t" in s:
        return DOUBLE  # neither plain nor single-quoted allowed
    if _LSPS.search(s) is None:
        if _plain_allowed(s):
            return PLAIN
        return SINGLE
    # LS/PS (printable line breaks): never plain; single-quoted unless next to a space.
    if _SPACE_BREAK.search(s) is not None or _BREAK_SPACE.search(s) is not None:
        return DOUBLE
    return SINGLE


def is_simple_key(s: str) -> bool:
    """A key is written ``key:`` when it has no line break and is at most 128 UTF-8 bytes.

    Otherwise it is a complex key (``? key`` then ``: value``), docs/cassettes.md#keys.
    """
    if _ANY_BREAK.search(s) is not None:
        return False
    return len(s) <= 32 or len(s.encode("utf-8", "surrogatepass")) <= 128


# --- writing (docs/cassettes.md#writing-each-style) ---------------------------------------
def _escape_char(c: str) -> str:
    e = _NAMED_ESCAPES.get(c)
    if e is not None:
        return e
    v = ord(c)
    if v <= 0xFF:
        return "\\x%02X" % v
    if v <= 0xFFFF:
        return "\\u%04X" % v
    return "\\U%08X" % v


_escape_cache: dict = {}


def _escape_match(m: "re.Match[str]") -> str:
    c = m.group()
    e = _escape_cache.get(c)
    if e is None:
        e = _escape_cache[c] = _escape_char(c)
    return e


def double_quoted(s: str) -> str:
    """``s`` double-quoted as Go writes it: one line, uppercase hex escapes.

    Quirk: a string starting with U+FEFF has every character escaped.
    """
    if s[:1] == "\ufeff":
        return '"' + "".join(_escape_char(c) for c in s) + '"'
    return '"' + _big_class(_ESCAPE_CLASS).sub(_escape_match, s) + '"'


def _single_quoted(s: str, cont: int) -> str:
    s = s.replace("'", "''")
    if _LSPS.search(s) is None:
        return "'" + s + "'"
    # A raw LS/PS ends the physical line for the emitter: the next character is
    # preceded by the continuation indentation. Nothing is added before the
    # closing quote: Go writes 'a<U+2028>' (its writer indents only before text).
    pad = " " * cont
    parts = _LSPS_SPLIT.split(s)
    out = ["'"]
    breaks = False
    for i, part in enumerate(parts):
        if i % 2:
            out.append(part)
            breaks = True
        elif part:
            if breaks:
                out.append(pad)
            out.append(part)
            breaks = False
    out.append("'")
    return "".join(out)


# --- rc.5+ folding (the emitter's 80-column best width) ------------------------------------
FOLD_WIDTH = 80


_SPACE = re.compile(" ")


def _fold(text: str, col: int, cont: int, edges: bool, backslash: bool) -> str:
    """The emitter's folding of a one-line scalar text (escaped, quotes doubled, no LS/PS).

    ``yaml_emitter_write_*_scalar`` with breaks allowed: a space written past
    column 80 (``col`` is the column of ``text[0]``) and not right after
    another space becomes a line break plus ``cont`` spaces. Plain and
    single-quoted text keeps the space when the next character is a space
    too; quoted text (``edges``) never folds its first or last character;
    double-quoted text (``backslash``) folds there anyway and writes ``\\``
    before the following space so that the reader keeps it.
    """
    out = []
    start = 0
    base = 0  # index of the first character on the current output line
    n = len(text)
    for m in _SPACE.finditer(text):
        i = m.start()
        if col + (i - base) <= FOLD_WIDTH or (i > 0 and text[i - 1] == " "):
            continue
        nxt = text[i + 1:i + 2]
        if edges and (i == 0 or i == n - 1):
            continue
        if not backslash and nxt == " ":
            continue
        out.append(text[start:i])
        out.append("\n" + " " * cont)
        col = cont
        if backslash and nxt == " ":
            out.append("\\")
            col += 1
        start = base = i + 1
    out.append(text[start:])
    return "".join(out)


def _fold_single_breaks(s: str, col: int, cont: int) -> str:
    """``_fold`` for single-quoted text holding a raw LS/PS: after one the column is 0 and
    the next character is preceded by the continuation indent."""
    d = s.replace("'", "''")
    pad = " " * cont
    out = ["'"]
    column = col + 1
    spaces = breaks = False
    last = len(d) - 1
    for i, ch in enumerate(d):
        if ch == " ":
            if not spaces and column > FOLD_WIDTH and 0 < i < last and d[i + 1] != " ":
                out.append("\n" + pad)
                column = cont
            else:
                out.append(" ")
                column += 1
            spaces = True
        elif ch == "\u2028" or ch == "\u2029":
            out.append(ch)
            column = 0
            breaks = True
        else:
            if breaks:
                out.append(pad)
                column = cont
            out.append(ch)
            column += 1
            spaces = breaks = False
    out.append("'")
    return "".join(out)


def _literal(s: str, cont: int, digit: str, rc6: bool = False) -> Tuple[str, bool]:
    head = "|"
    if s[0] == " " or (s[0] in _BREAKS and not rc6):
        head += digit  # rc.4 and later give the indicator to a leading space only
    last = s[-1]
    if last not in _BREAKS:
        head += "-"
        ends_with_break = False
    else:
        ends_with_break = True
        if len(s) == 1 or s[-2] in _BREAKS:
            head += "+"
    pad = " " * cont
    if _LSPS.search(s) is None:
        body = "\n".join([pad + line if line else "" for line in s.split("\n")])
    else:
        parts = _LINE_SPLIT.split(s)
        out = []
        for i, part in enumerate(parts):
            if i % 2:
                out.append(part)
            elif part:
                out.append(pad + part)
        body = "".join(out)
    return head + "\n" + body, ends_with_break


def render(s: str, style: str, cont: int, digit: str, col: int = 0, rc6: bool = False,
           simple_key: bool = False) -> Tuple[str, bool]:
    """The text of ``s`` in ``style`` after ``key: `` or ``- ``.

    Args:
        cont: column of continuation lines (block scalar lines, text after a raw
            LS/PS in single quotes, folded lines).
        digit: the block indentation indicator (the layout's indent width).
        col: the column where the text starts (only used when folding).
        rc6: write as go.yaml.in/yaml/v4 rc.5+ does: plain and quoted scalars
            folded at spaces past column 80, and no indentation indicator for
            a block scalar that starts with a line break (rc.4+).
        simple_key: the text is a ``key:`` (the emitter never folds those).

    Returns:
        ``(text, ends_with_break)``: when the text ends with a line break the
        caller must not add its own newline.
    """
    if style is LITERAL:
        return _literal(s, cont, digit, rc6)
    if style is PLAIN:
        text = s
    elif style is SINGLE:
        text = _single_quoted(s, cont)
    else:
        text = double_quoted(s)
    if rc6 and not simple_key and col + len(text) > FOLD_WIDTH + 1 and " " in text:
        if style is PLAIN:
            text = _fold(text, col, cont, False, False)
        elif style is DOUBLE:  # (the U+FEFF quirk escapes every space: nothing to fold)
            text = '"' + _fold(text[1:-1], col + 1, cont, True, True) + '"'
        elif _LSPS.search(s) is None:
            text = "'" + _fold(text[1:-1], col + 1, cont, True, False) + "'"
        else:
            text = _fold_single_breaks(s, col, cont)
    return text, False


def scalar(s: str, cont: int, digit: str, col: int = 0, rc6: bool = False,
           simple_key: bool = False) -> Tuple[str, bool]:
    """``render(s, choose_style(s, rc6), ...)``: a string as Go writes it."""
    return render(s, choose_style(s, rc6), cont, digit, col, rc6, simple_key)


def binary(data: bytes, cont: int) -> Tuple[str, bool]:
    """``!!binary`` and standard base64 (docs/cassettes.md#binary-bodies).

    Below 70 characters the text follows the tag on the same line; otherwise it
    is a ``|`` block of 70-character lines (each ending with a newline).
    """
    b64 = base64.b64encode(data).decode("ascii")
    if len(b64) < 70:
        return "!!binary " + b64, False
    pad = " " * cont
    lines = [pad + b64[i:i + 70] + "\n" for i in range(0, len(b64), 70)]
    return "!!binary |\n" + "".join(lines), True


# --- the goccy/go-yaml writer of September 2025, plain or strconv.Quote --------------------
# docs/cassettes.md#legacy-quoting
_LEGACY_RESERVED = frozenset(
    "null Null NULL ~ true True TRUE false False FALSE y Y yes Yes YES n N no No NO "
    "on On ON off Off OFF .inf .Inf .INF -.inf -.Inf -.INF .nan .NaN .NAN -".split())
_LEGACY_FIRST = frozenset("*&[{}],!|>%'\"@` ")
_LEGACY_TIMESTAMP = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}(?:[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]+)?"
    r"(?:Z|[-+][0-9]{2}:[0-9]{2})|[ ][0-9]{2}:[0-9]{2}:[0-9]{2})?"
    r"|[0-9]{1,2}:[0-9]{1,2}")
_LEGACY_FLOAT = re.compile(r"(?:[0-9]+\.[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?")
_LEGACY_QUOTE_ESC = {"\x07": "\\a", "\x08": "\\b", "\x0c": "\\f", "\n": "\\n", "\r": "\\r",
                     "\t": "\\t", "\x0b": "\\v", '"': '\\"', "\\": "\\\\"}
_LEGACY_ESCAPE = re.compile(r'[^\x20\x21\x23-\x5b\x5d-\x7e]')


def _legacy_number(s: str) -> bool:
    if not s or s[0] == "_":
        return False
    t = s[1:] if s[0] in "+-" else s
    t = t.replace("_", "")
    if not t:
        return False
    low = t[:2].lower()
    if low == "0x":
        return len(t) > 2 and all(ch in "0123456789abcdefABCDEF" for ch in t[2:])
    if low == "0o":
        return len(t) > 2 and all(ch in "01234567" for ch in t[2:])
    if low == "0b":
        return len(t) > 2 and all(ch in "01" for ch in t[2:])
    dots = t.count(".")
    if dots > 1:
        return False
    if dots == 1:
        return _LEGACY_FLOAT.fullmatch(t) is not None
    if t[0] == "0" and len(t) > 1:
        return all(ch in "01234567" for ch in t[1:])
    return t.isascii() and t.isdigit()


def _legacy_needs_quotes(s: str) -> bool:
    if not s or s in _LEGACY_RESERVED:
        return True
    if s[0] in _LEGACY_FIRST or s[-1] in ": ":
        return True
    if "#" in s or "\\" in s or ": " in s or "- " in s:
        return True
    if _legacy_number(s) or _LEGACY_TIMESTAMP.fullmatch(s) is not None:
        return True
    return False


def _legacy_escape(m: "re.Match[str]") -> str:
    c = m.group()
    e = _LEGACY_QUOTE_ESC.get(c)
    if e is not None:
        return e
    v = ord(c)
    if v < 0x80:
        return "\\x%02x" % v
    if c.isprintable():
        return c
    if v < 0x10000:
        return "\\u%04x" % v
    return "\\U%08x" % v


def go_quote(s: str) -> str:
    """Go's ``strconv.Quote`` of a valid string (lowercase hex, printable runes raw)."""
    return '"' + _LEGACY_ESCAPE.sub(_legacy_escape, s) + '"'


def legacy_scalar(s: str) -> str:
    """A string as the goccy writer wrote it: plain, or ``strconv.Quote`` when it needs quotes.

    Multi-line strings that need no quotes are not specified (docs/cassettes.md#legacy-quoting); they
    are quoted here, and the exact round-trip check that enables legacy mode
    rejects any file where that guess is wrong.
    """
    if _SURROGATE.search(s) is not None:
        raise SurrogateError("lone surrogate")
    if _legacy_needs_quotes(s) or _ANY_BREAK.search(s) is not None or _big_class(_SPECIAL_CLASS).search(s):
        return go_quote(s)
    return s
