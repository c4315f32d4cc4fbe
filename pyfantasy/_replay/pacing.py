"""How a recorded body is served again: cut in chunks, optionally paced over its duration.

Shared by the httpx transports (``replay``) and the loopback server
(``_replay.server``); no httpx here, so ``pyfantasy serve`` runs without it.
"""
from __future__ import annotations

from typing import List, Optional, Union

DEFAULT_CHUNK_SIZE = 1024


def body_chunks(body: bytes, chunk_size: Optional[int]) -> List[bytes]:
    """``body`` cut in ``chunk_size`` pieces (one piece when ``chunk_size`` is falsy)."""
    if not body:
        return []
    if not chunk_size or chunk_size <= 0 or chunk_size >= len(body):
        return [body]
    return [body[i:i + chunk_size] for i in range(0, len(body), chunk_size)]


def pace_factor(pace: Union[bool, float, None]) -> float:
    """``pace`` as a factor of the recorded duration (0 = no pacing)."""
    if pace is None or pace is False:
        return 0.0
    if pace is True:
        return 1.0
    value = float(pace)
    if value < 0:
        raise ValueError("pace must be a non-negative factor")
    return value


def chunk_delay(duration_ns: int, chunks: int, factor: float) -> float:
    """Seconds to wait before each chunk so that all chunks take ``duration * factor``."""
    if not factor or chunks <= 0 or duration_ns <= 0:
        return 0.0
    return duration_ns * factor / 1e9 / chunks
