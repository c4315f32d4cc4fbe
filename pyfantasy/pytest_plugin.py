"""pytest plugin: a ``cassette`` fixture that replays (or records) each test's go-vcr cassette.

What: a test that takes the ``cassette`` fixture gets an httpx client (and
transports) backed by ``pyfantasy.replay``, reading and writing
``<folder of the test file>/cassettes/<test name>.yaml``, the layout of
fantasy's Go tests (``testdata/<TestName>/<subtest>.yaml``): a
parametrized test uses ``cassettes/<test name>/<param id>.yaml``, a test
in a class ``cassettes/<Class>/<test name>.yaml``::

    @pytest.mark.cassette("chat")                 # optional: cassettes/chat.yaml
    def test_chat(cassette):
        client = openai.OpenAI(api_key="x", max_retries=0, http_client=cassette.client)
        ...

The marker takes the cassette name (relative to the cassette folder,
``.yaml`` added when missing; an absolute path is used as is) and any
``ReplayTransport`` keyword (``mode=``, ``allow_playback_repeats=``,
``chunk_size=``, ``pace=``, ``keep_all_headers=``, ``before_record=``, ...),
plus ``assert_all_played=True`` to fail a test that left interactions
unplayed.

``--cassette-record-mode`` (the names pytest-recording uses) maps to the
transport modes:

===============  ============================  ==========================================
record mode      transport mode                what happens
===============  ============================  ==========================================
none (default)   replay-only                   replay; an unmatched request fails the test
once             record-once                   replay if the file exists, else record it
new_episodes     replay-with-new-episodes      replay what matches, record the rest
all, rewrite     record-only                   record every request anew
passthrough      passthrough                   real network, nothing recorded
===============  ============================  ==========================================

``--record-mode`` works too: pyfantasy registers it when pytest-recording
is not installed, and reads pytest-recording's own ``--record-mode`` when it
is (the two plugins then share it; ``--cassette-record-mode`` overrides it
for pyfantasy's cassettes only). Registering it alongside pytest-recording
would make every pytest run fail (both plugins claiming one option).
(go-vcr's own names, ``replay-only`` etc., are accepted too.) Recording
needs a real transport: the network by default; override the
``cassette_real_transport`` fixture to return another ``httpx`` transport
(or an ``(sync, async)`` pair). ``--cassette-dir`` puts all cassettes in one
folder instead. The cassette is saved when the test ends (and after each
recorded interaction).
"""
from __future__ import annotations

import os
import re
from typing import Any, Iterator, Optional

import pytest

# pyfantasy.replay (and httpx) are imported only when a test uses the fixture: the plugin
# is loaded by every pytest session of an environment where pyfantasy is installed.
RECORD_MODES = ("none", "once", "new_episodes", "all", "rewrite", "passthrough")
TRANSPORT_MODES = ("replay-only", "record-once", "record-only", "replay-with-new-episodes",
                   "passthrough")  # == pyfantasy.replay.MODES
_MARKER_DOC = ("cassette(name=None, **options): replay (or record) the test's go-vcr cassette "
               "through the `cassette` fixture; options are pyfantasy.replay.ReplayTransport "
               "keywords (mode=..., allow_playback_repeats=...) and assert_all_played=True")
_TRANSPORT_KEYS = ("chunk_size", "pace", "allow_playback_repeats", "keep_all_headers",
                   "keep_headers", "before_record", "url_mode")


_CHOICES = RECORD_MODES + tuple(m for m in TRANSPORT_MODES if m not in RECORD_MODES)
_MODE_HELP = ("cassette record mode: none (replay only, default), once, new_episodes, "
              "all (record anew), passthrough, or a go-vcr mode name")


def _pytest_recording_installed() -> bool:
    """pytest-recording owns ``--record-mode`` when installed (it may load after us)."""
    import importlib.util
    return importlib.util.find_spec("pytest_recording") is not None


def pytest_addoption(parser) -> None:
    group = parser.getgroup("pyfantasy", "pyfantasy cassette replay")
    group.addoption("--cassette-record-mode", action="store", default=None, choices=_CHOICES,
                    dest="cassette_record_mode", metavar="MODE", help=_MODE_HELP)
    if not _pytest_recording_installed():
        try:
            group.addoption("--record-mode", action="store", default=None, choices=_CHOICES,
                            metavar="MODE", help=_MODE_HELP + " (same as --cassette-record-mode)")
        except ValueError:  # another plugin defines it already: read theirs
            pass
    group.addoption("--cassette-dir", action="store", default=None, metavar="DIR",
                    help="folder of the cassettes (default: cassettes/ beside each test file)")


def pytest_configure(config) -> None:
    config.addinivalue_line("markers", _MARKER_DOC)


def _mode_from_option(config) -> str:
    """``--cassette-record-mode``, else ``--record-mode`` (ours or pytest-recording's), else none."""
    from pyfantasy.replay import resolve_mode
    mode = (config.getoption("cassette_record_mode", default=None)
            or config.getoption("record_mode", default=None) or "none")
    return resolve_mode(mode)


_UNSAFE = re.compile(r"[^A-Za-z0-9._\-]+")


def _safe(part: str) -> str:
    part = _UNSAFE.sub("_", part).strip("._") or "_"
    return part


def default_cassette_name(item) -> str:
    """``test_x``, ``test_x/<param id>`` or ``Class/test_x[/<param id>]`` (without ``.yaml``)."""
    parts = []
    cls = getattr(item, "cls", None)
    if cls is not None:
        parts.append(_safe(cls.__name__))
    parts.append(_safe(getattr(item, "originalname", None) or item.name.split("[", 1)[0]))
    callspec = getattr(item, "callspec", None)
    if callspec is not None:
        parts.append(_safe(callspec.id))
    return "/".join(parts)


def cassette_path(item, name: Optional[str] = None) -> str:
    """Where the cassette of ``item`` lives (the marker's ``name`` when given)."""
    folder = item.config.getoption("cassette_dir", default=None)
    if folder is None:
        folder = os.path.join(os.path.dirname(str(item.path)), "cassettes")
    name = name or default_cassette_name(item)
    if not name.endswith((".yaml", ".yml")):
        name += ".yaml"
    if os.path.isabs(name):
        return name
    return os.path.join(folder, *name.split("/"))


class CassetteFixture:
    """What the ``cassette`` fixture gives a test.

    Attributes: ``path`` (the file), ``mode`` (transport mode), ``transport``
    and ``async_transport`` (created on first use, sharing one cassette),
    ``client`` / ``async_client`` (httpx clients over them), ``cassette``
    (the ``pyfantasy.cassette.Cassette`` being replayed or recorded).
    """

    def __init__(self, path: str, mode: str, options: dict, real: Any):
        from pyfantasy import replay
        self._replay = replay
        self.path = path
        self.mode = mode
        self.options = options
        self._real = real
        self._core: Any = None
        self._transport: Any = None
        self._async_transport: Any = None
        self._client = None
        self._async_client = None

    def _shared(self):
        if self._core is None:
            opts = self.options
            self._core = self._replay._Core(
                self.path, self.mode, path=None,
                allow_playback_repeats=opts.get("allow_playback_repeats", False),
                keep_all_headers=opts.get("keep_all_headers", False),
                keep_headers=opts.get("keep_headers", self._replay.DEFAULT_KEEP_HEADERS),
                before_record=opts.get("before_record"), url_mode=opts.get("url_mode", "full"))
        return self._core

    def _real_pair(self):
        real = self._real
        if isinstance(real, tuple):
            return real
        sync = real if callable(getattr(real, "handle_request", None)) else None
        async_ = real if callable(getattr(real, "handle_async_request", None)) else None
        return sync, async_

    def _kwargs(self) -> dict:
        return {k: self.options[k] for k in ("chunk_size", "pace") if k in self.options}

    @property
    def transport(self):
        """A ``pyfantasy.replay.ReplayTransport`` for this test's cassette."""
        if self._transport is None:
            self._transport = self._replay.ReplayTransport(
                self.path, self.mode, real_transport=self._real_pair()[0], _core=self._shared(),
                **self._kwargs())
        return self._transport

    @property
    def async_transport(self):
        """A ``pyfantasy.replay.AsyncReplayTransport`` sharing the cassette with ``transport``."""
        if self._async_transport is None:
            self._async_transport = self._replay.AsyncReplayTransport(
                self.path, self.mode, real_transport=self._real_pair()[1], _core=self._shared(),
                **self._kwargs())
        return self._async_transport

    @property
    def client(self):
        """An ``httpx.Client`` over ``transport`` (closed at the end of the test; an
        ``httpx2.Client`` when only httpx2 is installed). SDKs built on httpx2, such as
        the anthropic SDK, take ``httpx2.Client(transport=cassette.transport)``."""
        if self._client is None:
            self._client = self._replay.httpx.Client(transport=self.transport)
        return self._client

    @property
    def async_client(self):
        """An ``httpx.AsyncClient`` over ``async_transport`` (close it, or ``async with`` it)."""
        if self._async_client is None:
            self._async_client = self._replay.httpx.AsyncClient(transport=self.async_transport)
        return self._async_client

    @property
    def cassette(self):
        return self._shared().cassette

    def unplayed(self):
        """Interactions not replayed by this test."""
        return [e.interaction for e in self._shared().matcher.unplayed()]

    def finish(self) -> None:
        """Save the cassette (recording modes) and close the sync client/transport."""
        try:
            if self._client is not None:
                self._client.close()
            elif self._transport is not None:
                self._transport.close()
        finally:
            if self._core is not None:
                self._core.close()


@pytest.fixture
def cassette_real_transport():
    """The transport recordings go through (None: the network). Override it in a conftest
    to record against something else; return an ``(sync, async)`` pair for both kinds."""
    return None


@pytest.fixture
def cassette(request, cassette_real_transport) -> Iterator[CassetteFixture]:
    """Replay (or record, per ``--record-mode``) this test's go-vcr cassette; see the module doc."""
    marker = request.node.get_closest_marker("cassette")
    name = None
    options: dict = {}
    if marker is not None:
        if marker.args:
            name = marker.args[0]
        options = dict(marker.kwargs)
        name = options.pop("name", name)
    from pyfantasy.replay import resolve_mode
    mode = resolve_mode(options.pop("mode", None) or _mode_from_option(request.config))
    assert_all_played = options.pop("assert_all_played", False)
    unknown = set(options) - set(_TRANSPORT_KEYS)
    if unknown:
        raise pytest.UsageError(f"@pytest.mark.cassette: unknown option(s) {sorted(unknown)}; "
                                f"expected {', '.join(_TRANSPORT_KEYS)}, mode, assert_all_played")
    fixture = CassetteFixture(cassette_path(request.node, name), mode, options,
                              cassette_real_transport)
    yield fixture
    fixture.finish()
    if assert_all_played and fixture._core is not None and fixture.unplayed():
        left = ", ".join(str(it.id) for it in fixture.unplayed())
        pytest.fail(f"{fixture.path}: interactions not replayed: {left}", pytrace=False)
