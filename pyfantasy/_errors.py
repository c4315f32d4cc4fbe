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


class SSEError(PyfantasyError):
    """A Server-Sent Events stream was used wrongly (e.g. fed after close)."""


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
