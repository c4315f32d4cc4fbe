"""Shared fixtures: the backend parameter and hypothesis profiles (locations live in helpers.py)."""
from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, settings

from helpers import BACKEND_PARAMS

settings.register_profile("default", max_examples=200, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("ci", max_examples=300, deadline=None, derandomize=True,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("expensive", max_examples=20000, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "default"))


@pytest.fixture(params=BACKEND_PARAMS)
def backend(request) -> str:
    """Each test that takes ``backend`` runs once per backend (pass it as ``backend=``)."""
    return request.param


def pytest_sessionstart(session):
    """Under the sanitizer job, make sure the instrumented build is the one imported."""
    expected = os.environ.get("PYFANTASY_EXPECT_NATIVE_FROM")
    if expected:
        import pyfantasy._native_lib as lib
        if not os.path.abspath(lib.__file__).startswith(os.path.abspath(expected)):
            raise pytest.UsageError(f"imported {lib.__file__}, expected a build under {expected}")
