"""Shared fixtures and the suite's rules: the backend parameter, hypothesis profiles, the
native/corpus checks and the ``native`` marker (locations and helpers live in helpers.py)."""
from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, settings

import sanitizer
from helpers import (BACKEND_PARAMS, check_session_environment, missing_corpus,
                     skip_or_fail_without_native)

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


def pytest_configure(config):
    check_session_environment()


def pytest_sessionstart(session):
    """Under the sanitizer job, make sure the instrumented build is the one imported."""
    expected = os.environ.get("PYFANTASY_EXPECT_NATIVE_FROM")
    if expected:
        import pyfantasy._native_lib as lib
        if not os.path.abspath(lib.__file__).startswith(os.path.abspath(expected)):
            raise pytest.UsageError(f"imported {lib.__file__}, expected a build under {expected}")


# pytest's reason for the placeholder item of a parametrize that got no values
_EMPTY_SET = "got empty parameter set"


def pytest_collection_modifyitems(config, items):
    """Mark what reaches C code, and refuse empty parameter sets.

    - a test parametrised with ``backend="native"`` gets ``needs_native`` and ``native``;
      ``needs_native`` implies ``native`` (the sanitizer job runs ``-m native``), except on
      the ``backend="python"`` runs of a module marked ``needs_native``, which need neither;
    - an empty parameter set is an error, except when the corpus is absent outside CI
      (then it is a skip naming the missing folder): a filter that matches nothing must
      not pass as a skipped test.
    """
    empty = []
    corpus_problem = missing_corpus()
    for item in items:
        backend = _backend_param(item)
        if backend == "native":
            item.add_marker(pytest.mark.needs_native)
        if backend != "python" and item.get_closest_marker("needs_native") is not None:
            item.add_marker(pytest.mark.native)
        if any(str(m.kwargs.get("reason", m.args[0] if m.args else "")).startswith(_EMPTY_SET)
               for m in item.iter_markers("skip")):
            if corpus_problem is None:
                empty.append(item.nodeid)
            else:
                item.add_marker(pytest.mark.skip(reason=corpus_problem))
    if empty:
        raise pytest.UsageError("empty parameter sets (a parametrisation that matches nothing "
                                "is a bug, not a skip):\n  " + "\n  ".join(empty))


def pytest_collection_finish(session):
    """Start the sanitizer job in the background when it is selected (tests/sanitizer.py): it
    runs on the second core while the rest of the suite runs here. Its test, which waits for
    it, goes last (after any shuffle), so the suite is not held up waiting."""
    session.config.sanitizer_job = None
    session.items.sort(key=lambda item: item.name == sanitizer.TEST_NAME)   # stable
    if any(item.name == sanitizer.TEST_NAME for item in session.items) and sanitizer.available() \
            and not session.config.option.collectonly:
        session.config.sanitizer_job = sanitizer.Job().start_in_background()


def pytest_unconfigure(config):
    """A background sanitizer job whose test never ran (-x, an interrupt) is stopped and removed."""
    job = getattr(config, "sanitizer_job", None)
    if job is not None:
        job.close()


def _backend_param(item):
    """The ``backend`` parameter of a parametrised test (None when it has none)."""
    callspec = getattr(item, "callspec", None)
    return callspec.params.get("backend") if callspec is not None else None


def pytest_runtest_setup(item):
    """A test that needs the C extension skips without it, or fails under PYFANTASY_REQUIRE_NATIVE."""
    if _backend_param(item) != "python" and item.get_closest_marker("needs_native") is not None:
        skip_or_fail_without_native()
