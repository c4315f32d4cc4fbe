"""Reading typed values out of parsed JSON: the one set of coercion helpers.

Three families, by how a value of the wrong JSON type is treated:

``lenient_*``
    openai-go's apijson rules, used by the provider decoders: a wrong or
    missing value reads as the Go zero value (a number in a string field
    reads as its text, a numeric string in an integer field is parsed).

``strict_*``
    A Go typed decode: ``null``/missing is the zero value, any other wrong
    type is an error. The caller says which error: ``error(value, go_type,
    *where)`` builds the exception (only called on a mismatch), so each
    decoder keeps its own messages (genai's ``json: cannot unmarshal ...``,
    the JSON model's ``path: expected ...``).

``member_*`` and the other path-taking readers
    The strict readers with :func:`json_shape_error`: what
    :meth:`pyfantasy.response.Response.from_json` and the provider metadata
    classes (:mod:`pyfantasy._providers.metadata`) use; errors are
    :class:`~pyfantasy.DecodeError` of kind ``"json"`` naming the JSON path.
"""
from __future__ import annotations

from typing import Any, Callable, List, Optional

from pyfantasy._errors import DecodeError
from pyfantasy._go.json import RawJSON, SpanDict, int_text
from pyfantasy._kernels.jsonscan import JSONFloat

__all__ = [
    "lenient_str", "lenient_int", "lenient_float", "lenient_object",
    "strict_str", "strict_bool", "strict_object", "strict_array",
    "json_shape_error", "object_at", "optional_object", "optional_array",
    "member_str", "member_nullable_str", "member_int", "member_float", "member_bool",
    "member_raw", "raw_or_none", "str_list", "int_list",
]

ErrorFactory = Callable[..., BaseException]


# ---- lenient: openai-go's apijson ------------------------------------------------------

def lenient_str(v: Any) -> str:
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
    if isinstance(v, int):
        return int_text(v)
    if isinstance(v, float):
        return str(v)
    return ""


def lenient_int(v: Any) -> int:
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


def lenient_float(v: Any) -> float:
    """A float field (Go's standard decoder: wrong JSON type reads as 0)."""
    if isinstance(v, bool) or v is None:
        return 0.0
    if isinstance(v, (int, float)):
        return float(v)
    return 0.0


def lenient_object(v: Any) -> dict:
    """An object field; anything else reads as an empty object."""
    return v if type(v) is dict else {}


# ---- strict: a Go typed decode, the caller's error ---------------------------------------

def strict_str(v: Any, error: ErrorFactory, *where: Any) -> str:
    """A Go ``string``: null/missing is ""; not a string raises ``error(v, "string", *where)``."""
    if type(v) is str:
        return v
    if v is None:
        return ""
    if isinstance(v, str):
        return v
    raise error(v, "string", *where)


def strict_bool(v: Any, error: ErrorFactory, *where: Any) -> bool:
    """A Go ``bool``: null/missing is false; not a boolean raises ``error(v, "bool", *where)``."""
    if v is None:
        return False
    if type(v) is not bool:
        raise error(v, "bool", *where)
    return v


def strict_object(v: Any, error: ErrorFactory, go_type: str, *where: Any) -> Optional[dict]:
    """A Go struct pointer or map: null/missing is None; not an object raises ``error(v, go_type, *where)``."""
    if v is None:
        return None
    if not isinstance(v, dict):
        raise error(v, go_type, *where)
    return v


def strict_array(v: Any, error: ErrorFactory, go_type: str, *where: Any) -> Optional[list]:
    """A Go slice: null/missing is None (nil); not an array raises ``error(v, go_type, *where)``."""
    if v is None:
        return None
    if not isinstance(v, list):
        raise error(v, go_type, *where)
    return v


# ---- the JSON model's readers (DecodeError "json", with the path) ------------------------

_EXPECTED = {"string": "a string", "int": "an integer", "float": "a number", "bool": "a boolean",
             "object": "an object", "array": "an array", "nullable string": "a string or null"}


def json_shape_error(v: Any, go_type: str, path: str) -> DecodeError:
    """``<path>: expected <kind>`` (objects and arrays also name the type found)."""
    what = "expected " + _EXPECTED[go_type]
    if go_type in ("object", "array"):
        what += ", got " + type(v).__name__
    return DecodeError("json", "%s: %s" % (path, what))


def object_at(v: Any, path: str) -> dict:
    """A required JSON object."""
    if not isinstance(v, dict):
        raise json_shape_error(v, "object", path)
    return v


def optional_object(v: Any, path: str) -> Optional[dict]:
    """A JSON object or null (None)."""
    return strict_object(v, json_shape_error, "object", path)


def optional_array(v: Any, path: str) -> Optional[list]:
    """A JSON array or null (None)."""
    return strict_array(v, json_shape_error, "array", path)


def member_str(d: dict, key: str, path: str) -> str:
    """``d[key]`` as a Go string (missing/null is "")."""
    v = d.get(key)
    if v is None:
        return ""
    if not isinstance(v, str):
        raise json_shape_error(v, "string", path + "." + key)
    return v


def member_nullable_str(d: dict, key: str, path: str) -> Optional[str]:
    """``d[key]`` as a Go ``*string`` (missing/null is None)."""
    v = d.get(key)
    if v is not None and not isinstance(v, str):
        raise json_shape_error(v, "nullable string", path + "." + key)
    return v


def member_int(d: dict, key: str, path: str) -> int:
    """``d[key]`` as a Go integer (missing/null is 0; ``-0`` reads as the float -0.0 and is 0)."""
    v = d.get(key)
    if v is None or (type(v) is float and v == 0.0):
        return 0
    if isinstance(v, bool) or not isinstance(v, int):
        raise json_shape_error(v, "int", path + "." + key)
    return v


def member_float(d: dict, key: str, path: str) -> float:
    """``d[key]`` as a Go float64 (missing/null is 0.0)."""
    v = d.get(key)
    if v is None:
        return 0.0
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise json_shape_error(v, "float", path + "." + key)
    return float(v)


def member_bool(d: dict, key: str, path: str) -> bool:
    """``d[key]`` as a Go bool (missing/null is false)."""
    return strict_bool(d.get(key), json_shape_error, path + "." + key)


def member_raw(d: dict, key: str) -> Optional[RawJSON]:
    """The member ``key`` as raw JSON: verbatim text when ``d`` was parsed from text."""
    if key not in d:
        return None
    if isinstance(d, SpanDict):
        a, b = d.spans[key]
        return RawJSON(d.source[a:b])
    return RawJSON.from_value(d[key])


def raw_or_none(v: Any) -> Optional[RawJSON]:
    """A free-form JSON value as RawJSON; ``None`` and raw ``null`` are both ``None`` (nil)."""
    if v is None:
        return None
    if not isinstance(v, RawJSON):
        v = RawJSON.from_value(v)
    return None if v.text == "null" else v


def _scalar_list(v: Any, path: str, go_type: str, ok: Callable[[Any], bool]) -> Optional[list]:
    items = optional_array(v, path)
    if items is None:
        return None
    for k, x in enumerate(items):
        if not ok(x):
            raise json_shape_error(x, go_type, "%s[%d]" % (path, k))
    return list(items)


def str_list(v: Any, path: str) -> Optional[List[str]]:
    """A ``[]string`` (null is None)."""
    return _scalar_list(v, path, "string", lambda x: isinstance(x, str))


def int_list(v: Any, path: str) -> Optional[List[int]]:
    """A slice of integers (null is None)."""
    return _scalar_list(v, path, "int", lambda x: not isinstance(x, bool) and isinstance(x, int))
