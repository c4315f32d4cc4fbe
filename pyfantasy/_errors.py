"""The exception hierarchy: every error pyfantasy raises on purpose is a PyfantasyError.

Errors carry their data in attributes (path, line, offset, kind) so callers
never have to parse messages; ``str(exc)`` is the readable summary.
"""
from __future__ import annotations

from typing import Any, Optional


class PyfantasyError(Exception):
    """Base class of every error pyfantasy raises on purpose."""


class BackendUnavailableError(PyfantasyError, ImportError):
    """The backend asked for (``native``) cannot be loaded."""


class UsageError(PyfantasyError, RuntimeError):
    """An object was used wrongly (e.g. a decoder fed after it was closed): a bug in the caller."""


class SSEError(PyfantasyError):
    """A Server-Sent Events stream cannot be read (e.g. a response that is not text/event-stream)."""


class SSEClosedError(SSEError, UsageError):
    """An ``SSEDecoder`` was fed after ``close()``."""


class CassetteError(PyfantasyError, ValueError):
    """A cassette could not be read or written.

    Attributes: ``path`` (file name or ``"<string>"``), ``line`` (1-based,
    or None when the problem has no position), ``column`` (1-based or None),
    ``reason`` (what is wrong, without the location).
    """

    def __init__(self, reason: str, path: Optional[str] = None,
                 line: Optional[int] = None, column: Optional[int] = None):
        self.reason = reason
        self.path = path if path is not None else "<string>"
        self.line = line
        self.column = column
        where = self.path
        if line is not None:
            where += f":{line}"
            if column is not None:
                where += f":{column}"
        super().__init__(f"{where}: {reason}")


class DecodeError(PyfantasyError, ValueError):
    """A response body could not be decoded (fully).

    Attributes: ``kind`` (a short machine name such as ``"truncated"``,
    ``"json"``, ``"provider-error"``, ``"http-status"``, ``"unknown-format"``),
    ``message``, ``offset`` (byte offset in the body, or None) and
    ``response`` (the partial Response holding everything decoded before
    the error, or None).
    """

    def __init__(self, kind: str, message: str, offset: Optional[int] = None,
                 response: Any = None, path: Optional[str] = None):
        self.kind = kind
        self.message = message
        self.offset = offset
        self.response = response
        self.path = path
        loc = ""
        if path is not None:
            loc = f"{path}: "
        at = f" at byte {offset}" if offset is not None else ""
        super().__init__(f"{loc}{kind}{at}: {message}")

    def located(self, path: str) -> "DecodeError":
        """The same error, naming where the body came from (e.g. ``file.yaml#3``)."""
        return DecodeError(self.kind, self.message, self.offset, self.response, path)


class UnsupportedValueError(PyfantasyError, ValueError):
    """A value Go's ``json.Marshal`` refuses (NaN, ±Inf, invalid raw JSON, odd types).

    ``str(exc)`` is Go's error text, e.g. ``json: unsupported value: NaN``.
    """


class ReportError(PyfantasyError):
    """A results file could not be read (missing, unknown format, not scan output)."""


class ReplayError(PyfantasyError):
    """No recorded interaction matches a request (or the cassette cannot replay at all).

    Attributes: ``cassette`` (path or label of the cassette(s) searched),
    ``method`` and ``url`` of the request, ``reason`` (one line),
    ``closest`` (``None`` or a dict with ``cassette``, ``interaction``,
    ``method``, ``url``, ``replayed``) and ``diff`` (unified diff from the
    closest recorded request to this one; empty when there is none).
    """

    def __init__(self, reason: str, *, cassette: str = "<cassette>", method: str = "",
                 url: str = "", closest: Optional[dict] = None, diff: str = ""):
        self.reason = reason
        self.cassette = cassette
        self.method = method
        self.url = url
        self.closest = closest
        self.diff = diff
        lines = [f"{cassette}: {reason}"]
        if method or url:
            lines.append(f"  request: {method} {url}")
        if closest is not None:
            used = " (already replayed)" if closest.get("replayed") else ""
            where = "" if closest["cassette"] == cassette else f"{closest['cassette']} "
            lines.append(f"  closest: {where}interaction {closest['interaction']}{used}: "
                         f"{closest['method']} {closest['url']}")
        if diff:
            lines.append("  diff (recorded -> request):")
            lines.extend("    " + ln for ln in diff.rstrip("\n").split("\n"))
        super().__init__("\n".join(lines))

    def to_json(self) -> dict:
        """The error as the JSON object the replay server answers with."""
        return {"type": "pyfantasy_replay_no_match", "message": self.reason,
                "cassette": self.cassette, "method": self.method, "url": self.url,
                "closest": self.closest, "diff": self.diff}


class DurationError(PyfantasyError, ValueError):
    """A string is not a Go duration, or a value does not fit in int64 nanoseconds."""


class SurrogateError(PyfantasyError, ValueError):
    """A string holds a lone surrogate: UTF-8 cannot encode it (Go never writes one)."""


class UnsupportedCassetteText(PyfantasyError):
    """The C cassette reader cannot vouch for this text (``offset``: where it stopped); the
    caller reads the file with the YAML loader instead (internal, never reaches a user)."""

    def __init__(self, offset: int):
        super().__init__(f"outside the recorder's YAML subset at byte {offset}")
        self.offset = offset


class NativeFallback(PyfantasyError):
    """A C decoder hands this body back to the Python state machine (a shape it does not
    handle); internal: the caller decodes the body in Python instead."""


class ScanWarning(UserWarning):
    """A file could not be read or decoded at all (it still gets its error row)."""
