"""Which recorded interaction answers a request: the sans-IO matcher shared by
``ReplayTransport``, ``AsyncReplayTransport`` and the ``pyfantasy serve`` server.

What: fantasy's recorder (charm.land/x/vcr over go-vcr v4) replays an
interaction when
1. the method is equal (exactly, as Go compares strings);
2. the URL is equal (``r.URL.String() == i.URL``);
3. the bodies are equal as text after CRLF -> LF normalisation, or else both
   parse as JSON into equal values (Go's ``json.Unmarshal`` into ``any`` then
   ``reflect.DeepEqual``: key order ignored, every number a float64).
Interactions are tried in cassette order and each is replayed once (go-vcr
marks it replayed), unless repeats are allowed.

Strategy: nothing here does IO. A request is a ``RequestView`` (method, URL
or request target, body bytes); the ``Matcher`` holds the interactions of one
or more cassettes (each entry labelled with its cassette) and the "already
replayed" flags behind a lock, so one matcher serves threads and tasks alike.
The server compares URLs in ``"path"`` mode (path and query only), because
its clients talk to the loopback address instead of the recorded host.

When nothing matches, ``Matcher.explain`` builds a ``ReplayError`` naming the
cassette, the closest interaction (same method and URL first, then the most
similar body) and a unified diff of method, URL and body (JSON bodies are
pretty-printed with sorted keys, so the diff shows values, not key order).
"""
from __future__ import annotations

import difflib
import json
import math
import threading
from dataclasses import dataclass
from typing import Any, Iterable, List, Optional, Sequence, Tuple
from urllib.parse import urlsplit

from pyfantasy._errors import ReplayError

__all__ = ["ReplayError", "RequestView", "Entry", "Matcher", "bodies_match", "urls_match",
           "request_target"]

URL_MODES = ("full", "path")
_DIFF_LINES = 80          # a diff longer than this is cut (the message says so)
_SIMILARITY_LINES = 2000  # bodies compared for "closest" on their first lines only
DIFF_BODY_BYTES = 64 * 1024  # a longer body is diffed (and compared for "closest") on this much only
_DIFF_LINE_CHARS = 400       # a longer diff line is cut (it says how much was left out)


@dataclass(frozen=True)
class RequestView:
    """What the matcher needs of a request: ``url`` is absolute (``"full"`` mode)
    or a request target ``/path?query`` (``"path"`` mode)."""

    method: str
    url: str
    body: bytes = b""


@dataclass
class Entry:
    """One interaction as the matcher sees it: its cassette ``label`` and the interaction."""

    label: str
    interaction: Any  # pyfantasy.cassette.Interaction
    replayed: bool = False


# --- the three comparisons ---------------------------------------------------------------
def _body_bytes(body: Any) -> bytes:
    if body is None:
        return b""
    if isinstance(body, str):
        return body.encode("utf-8", "surrogatepass")
    return bytes(body)


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _go_float(text: str) -> float:
    value = float(text)
    if math.isinf(value):  # Go: "cannot unmarshal number 1e400 into a float64"
        raise ValueError("number out of range")
    return value


def _json_value(data: bytes) -> Tuple[bool, Any]:
    """``(True, value)`` when ``data`` is one JSON value as Go's decoder reads it into ``any``."""
    text = data.decode("utf-8", "replace")  # Go replaces invalid UTF-8 inside strings
    try:
        return True, json.loads(text, parse_int=_go_float, parse_float=_go_float,
                                parse_constant=_reject_constant)
    except (ValueError, RecursionError):
        return False, None


def bodies_match(request_body: bytes, recorded_body: Any) -> bool:
    """Equal as text after CRLF normalisation, else equal as JSON (key order ignored)."""
    a = request_body.replace(b"\r\n", b"\n")
    b = _body_bytes(recorded_body).replace(b"\r\n", b"\n")
    if a == b:
        return True
    if not a or not b:
        return False
    ok_a, va = _json_value(a)
    if not ok_a:
        return False
    ok_b, vb = _json_value(b)
    return ok_b and va == vb


def _norm_url(url: str) -> Tuple[str, ...]:
    try:
        p = urlsplit(url)
        host = (p.hostname or "").lower()
        port = p.port
    except ValueError:
        return (url,)
    scheme = p.scheme.lower()
    if port is not None and (scheme, port) in (("http", 80), ("https", 443)):
        port = None
    return (scheme, host, str(port or ""), p.path or "/", p.query)


def request_target(url: str) -> str:
    """``/path?query`` of a URL (what an HTTP/1.1 request line carries)."""
    try:
        p = urlsplit(url)
    except ValueError:
        return url
    return (p.path or "/") + (f"?{p.query}" if p.query else "")


def urls_match(request_url: str, recorded_url: str, mode: str = "full") -> bool:
    """``"full"``: equal text, or equal after normalising scheme/host case and
    default ports; ``"path"``: equal path and query (the host is ignored)."""
    if mode == "path":
        return request_url == request_target(recorded_url) or \
            _norm_url("http://h" + request_url)[3:] == _norm_url(recorded_url)[3:]
    return request_url == recorded_url or _norm_url(request_url) == _norm_url(recorded_url)


def _matches(view: RequestView, it: Any, mode: str) -> bool:
    req = it.request
    return (view.method == req.method and urls_match(view.url, req.url, mode)
            and bodies_match(view.body, req.body))


# --- the matcher -------------------------------------------------------------------------
class Matcher:
    """Interactions of one or more cassettes, replayed in order, each once unless ``repeats``.

    Thread-safe: ``match`` finds and marks an interaction under a lock.
    """

    def __init__(self, entries: Iterable[Tuple[str, Any]] = (), *, repeats: bool = False,
                 url_mode: str = "full", name: str = "<cassette>"):
        if url_mode not in URL_MODES:
            raise ValueError(f"url_mode must be one of {URL_MODES}, not {url_mode!r}")
        self.entries: List[Entry] = [Entry(label, it) for label, it in entries]
        self.repeats = repeats
        self.url_mode = url_mode
        self.name = name
        self._lock = threading.Lock()

    def add(self, label: str, interaction: Any, replayed: bool = True) -> None:
        """Append an interaction (a new recording is marked replayed: it was just served)."""
        with self._lock:
            self.entries.append(Entry(label, interaction, replayed))

    def match(self, view: RequestView, only: Optional[str] = None) -> Optional[Entry]:
        """The first matching interaction not yet replayed (any, with repeats), marked replayed."""
        with self._lock:
            for e in self.entries:
                if (only is not None and e.label != only) or (e.replayed and not self.repeats):
                    continue
                if _matches(view, e.interaction, self.url_mode):
                    e.replayed = True
                    return e
        return None

    def unplayed(self) -> List[Entry]:
        """Entries never replayed."""
        with self._lock:
            return [e for e in self.entries if not e.replayed]

    def labels(self) -> List[str]:
        seen: dict = {}
        for e in self.entries:
            seen.setdefault(e.label, None)
        return list(seen)

    # --- the error when nothing matched ---------------------------------------------------
    def explain(self, view: RequestView, only: Optional[str] = None) -> ReplayError:
        """A ``ReplayError`` for ``view``: closest interaction and a diff of what differs."""
        with self._lock:
            pool = [e for e in self.entries if only is None or e.label == only]
            snapshot = [(e, e.replayed) for e in pool]
        where = only if only is not None else self.name
        if not snapshot:
            return ReplayError("no match: the cassette has no interactions", cassette=where,
                               method=view.method, url=view.url)
        for entry, replayed in snapshot:
            if replayed and _matches(view, entry.interaction, self.url_mode):
                reason = ("no match: the interactions that match this request were all replayed "
                          "already (each is replayed once; allow repeats to replay them again)")
                return ReplayError(reason, cassette=where, method=view.method, url=view.url,
                                   closest=_closest_info(entry, replayed))
        entry, replayed = _closest(view, snapshot, self.url_mode)
        req = entry.interaction.request
        diff = request_diff(req.method, req.url, req.body, view.method, view.url, view.body,
                            self.url_mode)
        return ReplayError("no interaction matches this request", cassette=where,
                           method=view.method, url=view.url,
                           closest=_closest_info(entry, replayed), diff=diff)


def _closest_info(entry: Entry, replayed: bool) -> dict:
    req = entry.interaction.request
    return {"cassette": entry.label, "interaction": entry.interaction.id,
            "method": req.method, "url": req.url, "replayed": replayed}


def _closest(view: RequestView, pool: Sequence[Tuple[Entry, bool]], mode: str) -> Tuple[Entry, bool]:
    """Rank: same method, same URL, same path; then the most similar body; then not replayed."""
    def path_of(u: str) -> str:
        return request_target(u).split("?", 1)[0]

    vpath = path_of(view.url)
    keyed = []
    for e, replayed in pool:
        req = e.interaction.request
        keyed.append(((req.method == view.method, urls_match(view.url, req.url, mode),
                       path_of(req.url) == vpath), e, replayed))
    top = max(k for k, _, _ in keyed)
    group = [(e, r) for k, e, r in keyed if k == top]
    if len(group) == 1:
        return group[0]
    mine = _body_text(view.body).splitlines()[:_SIMILARITY_LINES]
    best, best_score = group[0], (-1.0, False)
    for e, r in group:
        theirs = _body_text(_body_bytes(e.interaction.request.body)).splitlines()[:_SIMILARITY_LINES]
        score = (difflib.SequenceMatcher(None, mine, theirs, autojunk=False).ratio(), not r)
        if score > best_score:
            best, best_score = (e, r), score
    return best


def _body_text(body: bytes) -> str:
    """A body as diffable text: JSON pretty-printed with sorted keys, else the text itself.
    A body over ``DIFF_BODY_BYTES`` is cut there (as text), a last line says how much is left
    out: a huge request costs the 404 no more than a small one."""
    if len(body) > DIFF_BODY_BYTES:
        head = body[:DIFF_BODY_BYTES].replace(b"\r\n", b"\n").decode("utf-8", "replace")
        return (head.rstrip("\n") + f"\n... (body truncated: {len(body) - DIFF_BODY_BYTES} more bytes "
                f"of {len(body)} not compared)\n")
    body = body.replace(b"\r\n", b"\n")
    ok, value = _json_value(body) if body else (False, None)
    if ok and isinstance(value, (dict, list)):
        # parse again keeping ints as ints, for a readable diff
        try:
            value = json.loads(body.decode("utf-8", "replace"))
        except ValueError:
            pass
        return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    return body.decode("utf-8", "replace")


def request_diff(rec_method: str, rec_url: str, rec_body: Any, method: str, url: str,
                 body: bytes, mode: str = "full") -> str:
    """Unified diff (recorded -> request) of the request line and the body."""
    shown_rec_url = request_target(rec_url) if mode == "path" else rec_url
    a = [f"{rec_method} {shown_rec_url}\n"] + _lines(_body_text(_body_bytes(rec_body)))
    b = [f"{method} {url}\n"] + _lines(_body_text(body))
    diff = list(difflib.unified_diff(a, b, fromfile="recorded", tofile="request", n=2))
    if not diff:
        return ""
    out = [_cut_line(ln if ln.endswith("\n") else ln + "\n") for ln in diff]
    if len(out) > _DIFF_LINES:
        cut = len(out) - _DIFF_LINES
        out = out[:_DIFF_LINES] + [f"... ({cut} more diff lines)\n"]
    return "".join(out)


def _cut_line(line: str) -> str:
    if len(line) <= _DIFF_LINE_CHARS + 1:
        return line
    return line[:_DIFF_LINE_CHARS] + f"... (line truncated: {len(line) - 1 - _DIFF_LINE_CHARS} more characters)\n"


def _lines(text: str) -> List[str]:
    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    return lines
