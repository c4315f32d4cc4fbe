"""Backend selection: backend= > PYFANTASY_BACKEND > native when built; strict native."""
from __future__ import annotations

import gc
import tracemalloc

import pytest

from helpers import skip_under_asan

import pyfantasy
from pyfantasy import _kernels as kernels
from pyfantasy.sse import SSEDecoder


def test_explicit_argument_wins(monkeypatch):
    monkeypatch.setenv("PYFANTASY_BACKEND", "native")
    assert SSEDecoder("python").backend == "python"


def test_environment_is_read_at_each_resolution(monkeypatch):
    monkeypatch.setenv("PYFANTASY_BACKEND", "python")
    assert pyfantasy.backend() == "python"
    monkeypatch.setenv("PYFANTASY_BACKEND", " Python ")
    assert pyfantasy.backend() == "python"
    monkeypatch.setenv("PYFANTASY_BACKEND", "")
    assert pyfantasy.backend() == ("native" if kernels.native_available() else "python")


def test_unknown_backend_is_a_value_error(monkeypatch):
    monkeypatch.setenv("PYFANTASY_BACKEND", "rust")
    with pytest.raises(ValueError, match="native, python"):
        pyfantasy.backend()
    with pytest.raises(ValueError):
        SSEDecoder("fortran")


def test_available_backends():
    names = pyfantasy.available_backends()
    assert names[-1] == "python" and set(names) <= {"native", "python"}


def test_native_missing_is_a_clear_error(monkeypatch):
    monkeypatch.setattr(kernels, "_native_checked", True)
    monkeypatch.setattr(kernels, "_native_error", ImportError("no compiler"))
    monkeypatch.setenv("PYFANTASY_BACKEND", "native")
    with pytest.raises(pyfantasy.BackendUnavailableError) as ei:
        pyfantasy.backend()
    assert "PYFANTASY_BACKEND=python" in str(ei.value) and "compiler" in str(ei.value)
    assert isinstance(ei.value, ImportError)
    monkeypatch.delenv("PYFANTASY_BACKEND")
    assert pyfantasy.backend() == "python"  # the default falls back silently; only an explicit ask fails


@pytest.mark.needs_native
@pytest.mark.skipif(not __import__("os").path.exists("/proc/self/statm"), reason="no /proc")
@skip_under_asan
def test_native_memory_is_flat():
    """Decoders created and fed in a loop release their C memory and Python objects."""
    from pyfantasy._kernels.jsonscan import Scanner
    from pyfantasy._providers.openai_chat import STREAM_SPEC
    body = b'data: {"id":"x","choices":[{"delta":{"content":"hello"}}]}\n\n' * 50

    def work():
        for _ in range(200):
            d = SSEDecoder("native")
            d.feed(body)
            d.close()
            Scanner(STREAM_SPEC, True, b"[DONE]", True, "native").feed(body, True)

    work()
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    objs = len(gc.get_objects())
    work()
    gc.collect()
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    assert after - before < 200_000
    assert len(gc.get_objects()) - objs < 500
    # C allocations (not seen by tracemalloc): the resident size stays flat
    rss0 = _rss()
    for _ in range(5):
        work()
    assert _rss() - rss0 < 8 << 20


def _rss() -> int:
    with open("/proc/self/statm") as f:
        import os
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
