"""Shared fixtures: the backend parameter, corpus location, hypothesis profiles."""
from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from pyfantasy._backend import native_available

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
# The shared corpus sits beside the repository (../shared/corpus); PYFANTASY_CORPUS overrides.
CORPUS = Path(os.environ.get("PYFANTASY_CORPUS", ROOT.parent / "shared" / "corpus"))

settings.register_profile("default", max_examples=200, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("ci", max_examples=300, deadline=None, derandomize=True,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("expensive", max_examples=20000, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "default"))

BACKEND_PARAMS = [
    "python",
    pytest.param("native", marks=pytest.mark.skipif(
        not native_available() and not os.environ.get("PYFANTASY_REQUIRE_NATIVE"),
        reason="native extension not built")),
]


@pytest.fixture(params=BACKEND_PARAMS)
def backend(request) -> str:
    """Each test that takes ``backend`` runs once per backend (pass it as ``backend=``)."""
    return request.param


def corpus_files():
    """All cassette files of the shared corpus, sorted (empty when the corpus is absent)."""
    if not CORPUS.is_dir():
        return []
    return sorted(p for p in CORPUS.rglob("*") if p.suffix in (".yaml", ".yml"))


needs_corpus = pytest.mark.skipif(not CORPUS.is_dir(), reason=f"corpus not found at {CORPUS}")


def pytest_sessionstart(session):
    """Under the sanitizer job, make sure the instrumented build is the one imported."""
    expected = os.environ.get("PYFANTASY_EXPECT_NATIVE_FROM")
    if expected:
        import pyfantasy._native_lib as lib
        if not os.path.abspath(lib.__file__).startswith(os.path.abspath(expected)):
            raise pytest.UsageError(f"imported {lib.__file__}, expected a build under {expected}")
