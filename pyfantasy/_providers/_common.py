"""Helpers every provider decoder uses: lenient field reads (openai-go's apijson rules),
raw JSON text of parsed values, and error parts."""
from __future__ import annotations

import json
from typing import Any, Optional

from .._errors import DecodeError
from .._gojson import RawJSON
from .._scan import JSONFloat
from ..response import StreamPart


def s(v: Any) -> str:
    """A string field as openai-go reads it: null/missing is "", a number reads as its text."""
    t = type(v)
    if t is str:
        return v
    if v is None:
        return ""
    if t is bool:
        return ""
    if isinstance(v, JSONFloat):
        return v.raw
    if isinstance(v, (int, float)):
        return str(v)
    return ""


def i(v: Any) -> int:
    """An integer field: null/missing is 0, floats are truncated, numeric strings parsed."""
    t = type(v)
    if t is int:
        return v
    if v is None or t is bool:
        return 0
    if isinstance(v, float):
        return int(v) if v == v and abs(v) != float("inf") else 0
    if t is str:
        try:
            return int(v)
        except ValueError:
            try:
                return int(float(v))
            except ValueError:
                return 0
    return 0


def f(v: Any) -> float:
    """A float field (Go's standard decoder: wrong JSON type reads as 0)."""
    if isinstance(v, bool) or v is None:
        return 0.0
    if isinstance(v, (int, float)):
        return float(v)
    return 0.0


def d(v: Any) -> dict:
    """An object field; anything else reads as an empty object."""
    return v if type(v) is dict else {}


def raw_text(v: Any) -> str:
    """Compact JSON text of a parsed value, keeping each float's original spelling."""
    if isinstance(v, JSONFloat):
        return v.raw
    if isinstance(v, bool):
        return "true" if v else "false"
    if v is None:
        return "null"
    if isinstance(v, (int, float)):
        return json.dumps(v)
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)
    if isinstance(v, list):
        return "[" + ",".join(raw_text(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ",".join(json.dumps(k, ensure_ascii=False) + ":" + raw_text(x) for k, x in v.items()) + "}"
    raise TypeError(type(v))


def raw(v: Any) -> RawJSON:
    """A parsed value as a ``json.RawMessage`` with its original number spellings."""
    return RawJSON(raw_text(v))


def error_part(kind: str, message: str, offset: Optional[int] = None) -> StreamPart:
    return StreamPart("error", error=DecodeError(kind, message, offset))
