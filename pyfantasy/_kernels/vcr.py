"""Fast go-vcr cassette reading: bytes -> interactions, for high-volume scans.

What: ``read_interactions(data)`` gives the same ``Interaction`` objects as
``pyfantasy.cassette.loads(data).interactions`` (url, method, bodies,
status, code, headers, duration, every other field too), several times
faster, because the native backend parses the Go recorder's YAML subset in
C (native/pf_vcr.c) instead of composing a libyaml node tree.

Why a subset: the recorder writes one fixed schema with a handful of
scalar styles. The C reader parses exactly that and answers "not mine"
for anything else (comments, anchors, odd tags, folded scalars, quoted
integers, ...); then, and on the python backend, ``cassette.loads`` reads
the file, so results and errors are always the loader's. Layout and legacy
quoting (needed only to write a file back) are not detected here.
"""
from __future__ import annotations

import os
import re
from typing import Any, Iterator, List, Optional, Tuple, Union

from pyfantasy._errors import UnsupportedCassetteText as Unsupported
from pyfantasy._kernels import kernel
from pyfantasy.cassette import Interaction, loads

__all__ = ["read_interactions", "read_light", "read_file", "Unsupported", "split_interactions",
           "iter_interactions"]

def read_interactions(data: Union[bytes, bytearray, memoryview], path: Optional[str] = None,
                      backend: Optional[str] = None, light: bool = False) -> List[Interaction]:
    """The interactions of a cassette, as ``cassette.loads(data, path).interactions``.

    ``backend``: ``native`` tries the C reader first (falling back to the
    loader outside its subset), ``python`` uses the loader. Raises
    ``CassetteError`` exactly when the loader does. ``light``: the C reader may leave out
    what a scan row does not read (see ``native_interactions``).
    """
    data = bytes(data)
    fast = kernel("cassette", backend)
    if fast is not None:
        try:
            return fast(data, light)
        except Unsupported:
            pass
    return loads(data, path=path).interactions


def read_light(data: bytes, backend: Optional[str] = None, borrow: bool = False) -> "Optional[List[Any]]":
    """The interactions as a scan row reads them (url, method and body of the request, and its
    model and stream when C can read them as ``json.loads`` does; body, status, code,
    Content-Type and duration of the response), from one C parse of the file and a few fields
    per interaction (``light_interactions``; ``borrow``: bodies left in the reader until read,
    valid until the next read on this thread); None where the backend has no such reader or the
    file needs ``read_interactions`` (which then reads it, or says why not)."""
    light = kernel("cassette-light", backend)
    if light is None:
        return None
    try:
        return light(data, borrow)
    except Unsupported:
        return None


_FIRST_ITEM = re.compile(rb"^( *)- id: ", re.M)


def split_interactions(data: bytes) -> Optional[Tuple[bytes, List[Tuple[int, int]]]]:
    """``(header, [(start, end), ...])``: the text before the first interaction and the
    byte span of each one, cut where a line starts ``- id: `` at the first one's column;
    None when the text does not look like that (then read it whole).

    ``header + data[start:end]`` is a cassette of that one interaction. A cut inside a
    scalar cannot parse (a block scalar ends at a less indented line; a quoted one would
    be left open), so a reader that accepts every piece read what the whole file holds.
    """
    m = _FIRST_ITEM.search(data)
    if m is None or not data[:m.start()].endswith(b"interactions:\n"):
        return None
    mark = b"\n" + m.group(0)
    starts = [m.start()]
    i = data.find(mark, m.start())
    while i >= 0:
        starts.append(i + 1)
        i = data.find(mark, i + 1)
    return data[:m.start()], list(zip(starts, starts[1:] + [len(data)]))


def iter_interactions(data: bytes, path: Optional[str] = None, backend: Optional[str] = None,
                      light: bool = False) -> Optional[Iterator[Interaction]]:
    """The interactions of a cassette of several, read one at a time from their own text
    (``split_interactions``), so that memory holds one parsed interaction, not all of them;
    None when the text cannot be split. Raises ``CassetteError`` (or ``ValueError``) from the
    piece that cannot be read: then read the whole file for the error the loader gives."""
    split = split_interactions(data)
    if split is None or len(split[1]) < 2:
        return None
    header, spans = split

    def each() -> Iterator[Interaction]:
        for start, end in spans:
            its = read_interactions(header + data[start:end], path, backend, light)
            if len(its) != 1:
                raise ValueError(f"the text of interaction at byte {start} holds {len(its)} interactions")
            yield its[0]
    return each()


def read_file(path: "Union[str, os.PathLike[str]]", backend: Optional[str] = None) -> List[Interaction]:
    """``read_interactions`` of the file at ``path`` (CassetteError if it cannot be read)."""
    from pyfantasy._files import read_bytes
    where = os.fspath(path)
    return read_interactions(read_bytes(where), where, backend)
